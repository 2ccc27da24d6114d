"""Forward mode of torch.scatter_reduce(..., 'prod') drops the tangent: jvp is 0."""
import sys

import torch
import torch.autograd.forward_ad as fwAD

x = torch.tensor([2.0, 3.0, 5.0], dtype=torch.float64)
src = torch.tensor([7.0, 11.0], dtype=torch.float64)
index = torch.tensor([0, 0])


def f(a, b):
    return torch.scatter_reduce(a, 0, index, b, "prod")


ones, none = torch.ones(3, dtype=torch.float64), torch.zeros(2, dtype=torch.float64)
_, jvp = torch.func.jvp(f, (x, src), (ones, none))
h = 1e-6
difference = (f(x + h * ones, src) - f(x - h * ones, src)) / (2 * h)
with fwAD.dual_level():
    tangent = fwAD.unpack_dual(f(fwAD.make_dual(x, ones), src)).tangent
print(f"torch {torch.__version__}: value {f(x, src).tolist()}")
print("jvp along x = (1, 1, 1):", jvp.tolist())
print("central difference:     ", difference.tolist())
print("forward_ad tangent of the result:", tangent)
sys.exit(0 if torch.allclose(jvp, difference) else 1)
