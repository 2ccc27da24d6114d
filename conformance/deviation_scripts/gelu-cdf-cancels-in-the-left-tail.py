"""gelu computes the normal CDF as (1 + erf(x / sqrt(2))) / 2, which cancels for x << 0: gelu(-10) is -0.0."""
import math
import sys

import torch
import torch.nn.functional as F


def derivative(fn, x, order):
    """The order-th float64 derivative of fn at x by autograd.grad with create_graph, nested."""
    leaf = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = fn(leaf)
    for _ in range(order):
        (out,) = torch.autograd.grad(out, leaf, create_graph=True)
    return out.item()


def cdf(x):
    return math.erfc(-x / math.sqrt(2)) / 2


def tanh_gelu(x):
    """x (1 + tanh(u)) / 2 = x sigmoid(2u), u = sqrt(2 / pi) (x + 0.044715 x**3)."""
    u = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
    return x / (1 + math.exp(-2 * u))


x = -10.0
cases = [  # (what, function, order, the true value)
    ("gelu", F.gelu, 0, x * cdf(x)),
    ("gelu'", F.gelu, 1, cdf(x) + x * math.exp(-x * x / 2) / math.sqrt(2 * math.pi)),
    ("gelu(approximate='tanh')", lambda t: F.gelu(t, approximate="tanh"), 0, tanh_gelu(x)),
]
print(f"torch {torch.__version__}")
off = 0
for what, fn, order, want in cases:
    got = derivative(fn, x, order)
    error = abs(got - want) / abs(want)
    print(f"{what} at {x} in float64: torch {got!r}, erfc / sigmoid form {want!r} (relative error {error:.2g})")
    off += error > 1e-10
sys.exit(1 if off else 0)
