"""hardsigmoid's float64 derivative between -3 and 3 is 1/6 rounded to float32 (0.1666666716337204), not 1/6."""
import sys

import torch
import torch.nn.functional as F

x = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
(got,) = torch.autograd.grad(F.hardsigmoid(x), x)
want = 1 / 6
print(f"torch {torch.__version__}: d/dx hardsigmoid at 0 in float64: torch {got.item()!r}, 1/6 = {want!r} "
      f"(relative error {abs(got.item() - want) / want:.2g})")
sys.exit(0 if abs(got.item() - want) <= 1e-15 else 1)
