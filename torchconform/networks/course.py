"""The tensor/autograd course (seed 003): linear regression with raw ``w``,
``b`` and the logistic-regression ``LR`` module."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from torchconform.networks import twin as tw
from torchconform.networks.core import OptimSpec, count_flops, mm_flops, seeded
from torchconform.networks.spec import NetworkSpec

SEED = "003_b0491628bec07a89.txt"


class LinearRegression(nn.Module):
    """``y_pred = w * x + b`` with ``w ~ randn(1)``, ``b = 0``, as the course writes it."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(1))
        self.b = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return torch.add(torch.mul(self.w, x), self.b)


class LR(nn.Module):
    """The course's logistic regression: ``sigmoid(Linear(2, 1)(x))`` for (N, 2) inputs, (N, 1) output."""

    def __init__(self):
        super().__init__()
        self.features = nn.Linear(2, 1)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        return self.sigmoid(self.features(x))


class ScaleShift(tw.Block):
    """Broadcast ``x * w + b`` with one-element ``w`` and ``b``."""

    def forward(self, twin, x):
        return x * twin.params["w"] + twin.params["b"], x

    def magnitude(self, twin, x, mx):
        """``|x w| + |b|``, the two terms of each output."""
        return self.forward(twin, x)[0], np.abs(x * twin.params["w"]) + np.abs(twin.params["b"])

    def backward(self, twin, x, g, grads):
        grads["w"] = np.atleast_1d((g * x).sum())
        grads["b"] = np.atleast_1d(g.sum())
        return g * twin.params["w"]


def _linreg_batch(n: int, seed: int):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 1)) * 10
    return x, 2 * x + (5 + rng.standard_normal((n, 1)))


def _logreg_batch(n: int, seed: int):
    """Two Gaussian clouds of unit spread around +-1.7 (shifted by the bias 1):
    the first half labelled 0, the rest 1."""
    rng = np.random.default_rng(seed)
    n0 = n - n // 2
    x0 = rng.normal(1.7, 1, (n0, 2)) + 1
    x1 = rng.normal(-1.7, 1, (n // 2, 2)) + 1
    return np.concatenate([x0, x1]), np.concatenate([np.zeros(n0), np.ones(n // 2)])


_LINREG_OPT = OptimSpec("SGD", {"lr": 0.05})
_LOGREG_OPT = OptimSpec("SGD", {"lr": 0.01, "momentum": 0.9})


SPECS = [
    NetworkSpec(
        name="linreg", title="Linear regression (tensor/autograd course)", source=f"{SEED} §线性回归的Pytorch实现",
        build=seeded(LinearRegression), blocks=lambda twin, m: ScaleShift(),
        batch=_linreg_batch, default_batch=20, loss="half_mse_mean", optimizer=_LINREG_OPT,
        # only elementwise work, which torch.utils.flop_counter does not count
        flops=lambda b: count_flops([]),
    ),
    NetworkSpec(
        name="logreg", title="Logistic regression LR module (tensor/autograd course)", source=f"{SEED} §逻辑回归",
        build=seeded(LR),
        blocks=lambda twin, m: tw.Sequence(tw.Linear("features.weight", "features.bias"), tw.Sigmoid()),
        batch=_logreg_batch, default_batch=200, loss="bce", optimizer=_LOGREG_OPT,
        flops=lambda b: count_flops([(mm_flops(b, 2, 1), False, True)]),
    ),
]
