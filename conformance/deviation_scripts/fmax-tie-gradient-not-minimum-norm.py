"""At a tie fmax(x, y) and fmin(x, y) give the whole gradient to x; the minimum-norm sub-gradient splits it (0.5, 0.5)."""
import sys

import torch

print(f"torch {torch.__version__}")
off = 0
for name in ["fmax", "fmin", "maximum", "minimum"]:  # maximum and minimum (right) for comparison
    x = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    gx, gy = torch.autograd.grad(getattr(torch, name)(x, y).sum(), (x, y))
    want = [0.5, 0.5]  # the sub-gradient of minimum norm of max(x, y) (min(x, y)) at x == y
    print(f"d {name}(x, y) at x = y = 1: torch ({gx.item()}, {gy.item()}), minimum norm ({want[0]}, {want[1]})")
    off += name.startswith("fm") and [gx.item(), gy.item()] != want
sys.exit(1 if off else 0)
