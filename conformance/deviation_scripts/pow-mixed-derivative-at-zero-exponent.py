"""The mixed second derivative of torch.pow(x, y) at an exponent of exactly 0
is 0; the true value x**(y-1) * (1 + y*log(x)) is 1 at (x, y) = (1, 0)."""
import sys

import torch

x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
y = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
(dx,) = torch.autograd.grad(torch.pow(x, y), x, create_graph=True)
(dxy,) = torch.autograd.grad(dx, y)
print(f"torch {torch.__version__}: d2/dx dy of x**y at (1, 0) by reverse-over-reverse = {dxy.item()} (true 1)")


def pullback(a, b):
    return torch.func.vjp(torch.pow, a, b)[1](torch.tensor(1.0, dtype=torch.float64))


zero, one = torch.tensor(0.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64)
_, (tx, _) = torch.func.jvp(pullback, (x.detach(), y.detach()), (zero, one))
print(f"forward-over-reverse: {tx.item()} (true 1)")
sys.exit(0 if abs(dxy.item() - 1) < 1e-12 and abs(tx.item() - 1) < 1e-12 else 1)
