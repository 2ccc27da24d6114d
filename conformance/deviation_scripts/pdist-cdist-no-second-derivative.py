"""torch.nn.functional.pdist and torch.cdist have no second derivative."""
import sys

import torch

x = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
y = torch.randn(4, 2, dtype=torch.float64)
missing = []
for name, call in [("pdist", lambda a: torch.nn.functional.pdist(a)), ("cdist", lambda a: torch.cdist(a, y))]:
    (first,) = torch.autograd.grad(call(x).sum(), x, create_graph=True)
    try:
        torch.autograd.grad(first.sum(), x)
        print(f"torch {torch.__version__}: {name} second derivative computed")
    except (NotImplementedError, RuntimeError) as error:
        print(f"torch {torch.__version__}: {name} second derivative raises: {error}")
        missing.append(name)
sys.exit(1 if missing else 0)
