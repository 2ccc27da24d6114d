"""The third derivative of torch.logcumsumexp is nan; log(cumsum(exp(x))) gives the finite value."""
import sys

import torch


def third(fn, x, g, v):
    x = x.clone().requires_grad_()
    (d1,) = torch.autograd.grad(fn(x), x, g, create_graph=True)
    (d2,) = torch.autograd.grad((d1 * v).sum(), x, create_graph=True)
    (d3,) = torch.autograd.grad((d2 * v).sum(), x)
    return d3


x = torch.tensor([0.3, -1.2, 0.8], dtype=torch.float64)
g = torch.tensor([1.0, 0.0, -1.0], dtype=torch.float64)
v = torch.tensor([0.5, -0.7, 1.1], dtype=torch.float64)
got = third(lambda t: torch.logcumsumexp(t, 0), x, g, v)
want = third(lambda t: torch.log(torch.cumsum(torch.exp(t), 0)), x, g, v)
print(f"torch {torch.__version__}")
print("logcumsumexp, reverse mode three times:", got.tolist())
print("log(cumsum(exp(x))), the same:          ", want.tolist())
sys.exit(0 if torch.allclose(got, want) else 1)
