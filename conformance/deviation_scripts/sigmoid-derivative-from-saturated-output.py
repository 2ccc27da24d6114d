"""Torch computes sigmoid's derivative as y * (1 - y) from the rounded output, which is 0 where sigmoid(x) rounds to 1."""
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


def product(x):
    """sigmoid(x) * sigmoid(-x), the stable form of sigmoid'(x)."""
    return 1 / (1 + math.exp(-x)) / (1 + math.exp(x))


cases = [  # (what, function, x, dtype, order, the true value)
    ("logsigmoid''", F.logsigmoid, 40.0, torch.float64, 2, -product(40.0)),
    ("sigmoid'", torch.sigmoid, 40.0, torch.float64, 1, product(40.0)),
    ("sigmoid'", torch.sigmoid, 20.0, torch.float32, 1, product(20.0)),
]
print(f"torch {torch.__version__}")
off = 0
for what, fn, x, dtype, order, want in cases:
    got = derivative(fn, x, dtype, order)
    error = abs(got - want) / abs(want)
    print(f"{what}({x}) in {dtype}: torch {got!r}, sigmoid(x) sigmoid(-x) form {want!r} (relative error {error:.2g})")
    off += error > (1e-10 if dtype == torch.float64 else 1e-5)
sys.exit(1 if off else 0)
