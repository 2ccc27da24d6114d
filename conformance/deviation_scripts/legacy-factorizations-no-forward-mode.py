"""torch.cholesky and torch.ormqr have no forward-mode derivative (torch.linalg.cholesky has)."""
import sys

import torch

a = torch.tensor([[4.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 2.0]], dtype=torch.float64)
t = torch.eye(3, dtype=torch.float64)
failed = False
for name, fn, primals, tangents in [
        ("cholesky", torch.cholesky, (a,), (t,)),
        ("ormqr", torch.ormqr, (a[:, :2], torch.tensor([0.5, 1.0], dtype=torch.float64), a), (t[:, :2], t[0, :2], t))]:
    try:
        torch.func.jvp(fn, primals, tangents)
        print(f"torch {torch.__version__}: torch.{name} has forward mode")
    except (NotImplementedError, RuntimeError) as exc:
        print(f"torch {torch.__version__}: jvp of torch.{name} raises: {str(exc).splitlines()[0]}")
        failed = True
sys.exit(1 if failed else 0)
