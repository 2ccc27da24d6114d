"""binary_cross_entropy_with_logits computes a small loss and its gradient as differences of near-equal terms: 0.0."""
import math
import sys

import torch
import torch.nn.functional as F


def loss_and_gradient(x, target):
    leaf = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(leaf, torch.tensor(target, dtype=torch.float64))
    (grad,) = torch.autograd.grad(loss, leaf)
    return loss.item(), grad.item()


cases = [  # (what, torch's value, the stable value)
    ("loss(x=-40, target=0)", loss_and_gradient(-40.0, 0.0)[0], math.log1p(math.exp(-40.0))),
    ("d loss / dx (x=40, target=1)", loss_and_gradient(40.0, 1.0)[1], -1 / (1 + math.exp(40.0))),
]
print(f"torch {torch.__version__}")
off = 0
for what, got, want in cases:
    error = abs(got - want) / abs(want)
    print(f"float64 {what}: torch {got!r}, stable form {want!r} (relative error {error:.2g})")
    off += error > 1e-10
sys.exit(1 if off else 0)
