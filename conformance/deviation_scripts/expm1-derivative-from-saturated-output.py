"""The derivative of torch.expm1 is computed as expm1(x) + 1 and loses its
relative precision for x << 0 (exactly 0 below about -37.4); it is exp(x)."""
import sys

import numpy as np
import torch

x = np.array([-20.0, -30.0, -36.0, -40.0])
leaf = torch.tensor(x, requires_grad=True)
(got,) = torch.autograd.grad(torch.special.expm1(leaf).sum(), leaf)
error = np.abs(got.numpy() / np.exp(x) - 1)
for at, g, w, e in zip(x, got.numpy(), np.exp(x), error):
    print(f"torch {torch.__version__}: d/dx expm1 at {at}: {g!r}, exp(x) {w!r} (relative error {e:.2g})")
sys.exit(1 if np.max(error) > 1e-13 else 0)
