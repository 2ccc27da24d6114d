"""torch.clamp(x, lo, hi) with a bound that requires grad raises in backward when x is smaller than the result."""
import sys

import torch

x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
lo = torch.tensor([0.0, 1.0], dtype=torch.float64)
hi = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
# sum(clamp(0.5, [0, 1], 2)) = 0.5 + 1: x passes through once, hi is never reached
want = (1.0, 0.0)
print(f"torch {torch.__version__}: clamp(x=0.5, lo=[0, 1], hi=2) = {torch.clamp(x, lo, hi).tolist()}")
try:
    got = tuple(g.item() for g in torch.autograd.grad(torch.clamp(x, lo, hi).sum(), [x, hi]))
except RuntimeError as error:
    print(f"d/d(x, hi) of its sum: raises {error}; expected {want}")
    sys.exit(1)
print(f"d/d(x, hi) of its sum: torch {got}; expected {want}")
sys.exit(0 if got == want else 1)
