"""torch.index_reduce has no forward-mode derivative (jvp raises NotImplementedError)."""
import sys

import torch

x = torch.randn(3, 2, dtype=torch.float64)
src = torch.randn(3, 2, dtype=torch.float64)
index = torch.tensor([0, 2, 0])
failed = False
for reduce in ("prod", "mean", "amax", "amin"):
    try:
        torch.func.jvp(lambda a, b: torch.index_reduce(a, 0, index, b, reduce), (x, src),
                       (torch.ones_like(x), torch.ones_like(src)))
        print(f"torch {torch.__version__}: index_reduce(reduce={reduce!r}) jvp ok")
    except NotImplementedError as exc:
        print(f"torch {torch.__version__}: index_reduce(reduce={reduce!r}) jvp raised: {str(exc).splitlines()[0]}")
        failed = True
sys.exit(1 if failed else 0)
