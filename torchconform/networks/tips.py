"""The tips article (seed 004, "PyTorch经验指南", after Kaixhin/grokking-pytorch):
its MNIST network. The seed's code is lost to images; the network is the one of
the article's source: two 5x5 convolutions (the second followed by channel
dropout), 2x2 max pooling, two linear layers with dropout between them,
log-softmax, NLL loss, and SGD with lr 0.01 and momentum 0.5 on batches of 64.
"""

from __future__ import annotations

import numpy as np
import torch.nn.functional as F
from torch import nn

from torchconform.networks import twin as tw
from torchconform.networks.core import OptimSpec, conv_flops, count_flops, mm_flops, seeded
from torchconform.networks.spec import NetworkSpec

SEED = "004_b2c621c925f4b0ce.txt"


class MnistNet(nn.Module):
    """The dropout after ``fc1`` is a module (``F.dropout(x, training=self.training)``
    in the original) so that a mask can be handed to it; it computes the same."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(320, 50)
        self.fc1_drop = nn.Dropout()
        self.fc2 = nn.Linear(50, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 320)
        x = F.relu(self.fc1(x))
        x = self.fc2(self.fc1_drop(x))
        return F.log_softmax(x, dim=1)


def _block(twin, module):
    return tw.Sequence(
        tw.Conv2d("conv1"), tw.MaxPool2d(2), tw.ReLU(),
        tw.Conv2d("conv2"), tw.Dropout("conv2_drop", 0.5, channelwise=True), tw.MaxPool2d(2), tw.ReLU(),
        tw.Flatten(),
        tw.Linear("fc1.weight", "fc1.bias"), tw.ReLU(), tw.Dropout("fc1_drop", 0.5),
        tw.Linear("fc2.weight", "fc2.bias"), tw.LogSoftmax(),
    )


def _batch(n: int, seed: int):
    # pixels in [0, 1] normalised with MNIST's mean 0.1307 and std 0.3081
    rng = np.random.default_rng(seed)
    return (rng.random((n, 1, 28, 28)) - 0.1307) / 0.3081, rng.integers(0, 10, n)


def _flops(b: int) -> dict[str, int]:
    return count_flops([
        (conv_flops(b, 1, 10, 5, 24, 24), False, True), (conv_flops(b, 10, 20, 5, 8, 8), True, True),
        (mm_flops(b, 320, 50), True, True), (mm_flops(b, 50, 10), True, True),
    ])


_OPT = OptimSpec("SGD", {"lr": 0.01, "momentum": 0.5})

SPECS = [
    NetworkSpec(
        name="mnist", title="MNIST network (PyTorch tips and pitfalls)", source=f"{SEED} §PyTorch 实用指南",
        build=seeded(MnistNet), blocks=_block,
        batch=_batch, default_batch=64, loss="nll", optimizer=_OPT, flops=_flops, has_dropout=True,
    ),
]
