"""The mixed second derivative of torch.pow(x, y) at an exponent of exactly 0
is 0; the true value x**(y-1) * (1 + y*log(x)) is 1 at (x, y) = (1, 0). At an
exponent of exactly 1 the third derivative d3/dx2 dy is wrong the same way."""
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
# The second derivative masks exponent - 1 == 0: the third, d3/dx2 dy = (2y - 1) x**(y-2) + ..., at (2, 1) is 1/2.
x2 = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
y1 = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
(d1,) = torch.autograd.grad(torch.pow(x2, y1), x2, create_graph=True)
(d2,) = torch.autograd.grad(d1, x2, create_graph=True)
(d3,) = torch.autograd.grad(d2, y1)
print(f"d3/dx2 dy of x**y at (2, 1) by reverse mode three times = {d3.item()} (true 0.5)")
sys.exit(0 if abs(dxy.item() - 1) < 1e-12 and abs(tx.item() - 1) < 1e-12 and abs(d3.item() - 0.5) < 1e-12 else 1)
