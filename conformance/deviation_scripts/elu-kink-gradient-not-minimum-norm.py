"""At x = 0 torch gives elu(alpha=2) and selu their left slopes, not the minimum-norm super-gradient (the right slope)."""
import sys

import torch
import torch.nn.functional as F

SELU_SCALE = 1.0507009873554804934193349852946  # the SELU paper's constant (torch's documented scale)
cases = [  # (what, function, the minimum-norm slope at 0: the right one, of the smaller size)
    ("elu(x, alpha=2.0)", lambda t: F.elu(t, alpha=2.0), 1.0),
    ("selu(x)", F.selu, SELU_SCALE),
]
print(f"torch {torch.__version__}")
off = 0
for what, fn, want in cases:
    x = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    (got,) = torch.autograd.grad(fn(x), x)
    print(f"d/dx {what} at 0: torch {got.item()!r}, minimum-norm super-gradient {want!r}")
    off += abs(got.item() - want) > 1e-12
sys.exit(1 if off else 0)
