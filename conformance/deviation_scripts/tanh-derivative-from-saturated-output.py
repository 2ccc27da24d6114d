"""Torch computes tanh's derivative as 1 - y**2 from the rounded output, which is 0 where |tanh(x)| rounds to 1."""
import math
import sys

import torch
import torch.nn.functional as F


def derivative(fn, x, dtype, order):
    """The order-th derivative of fn at x by autograd.grad with create_graph, nested."""
    leaf = torch.tensor(x, dtype=dtype, requires_grad=True)
    out = fn(leaf)
    for _ in range(order):
        (out,) = torch.autograd.grad(out, leaf, create_graph=True)
    return out.item()


def sech2(x):
    return 1 / math.cosh(x) ** 2


def mish2(x):
    """mish''(x) for mish(x) = x tanh(s), s = softplus(x): sech(s)**2 (2 sig + x (sig (1 - sig) - 2 tanh(s) sig**2))."""
    s, sig = math.log1p(math.exp(x)), 1 / (1 + math.exp(-x))
    return sech2(s) * (2 * sig + x * (sig / (1 + math.exp(x)) - 2 * math.tanh(s) * sig**2))


cases = [  # (what, function, x, dtype, order, the true value)
    ("tanh'", torch.tanh, -20.0, torch.float64, 1, sech2(-20.0)),
    ("tanh'", torch.tanh, 10.0, torch.float32, 1, sech2(10.0)),
    ("mish''", F.mish, 20.0, torch.float64, 2, mish2(20.0)),
]
print(f"torch {torch.__version__}")
off = 0
for what, fn, x, dtype, order, want in cases:
    got = derivative(fn, x, dtype, order)
    error = abs(got - want) / abs(want)
    print(f"{what}({x}) in {dtype}: torch {got!r}, closed form {want!r} (relative error {error:.2g})")
    off += error > (1e-10 if dtype == torch.float64 else 1e-5)
sys.exit(1 if off else 0)
