"""The 60-minute blitz (seed 002): the LeNet-style ``Net`` for 1x32x32 inputs,
trained against a random target with MSE and plain SGD, and the CIFAR-10
classifier for 3x32x32 inputs, trained with cross-entropy and SGD with momentum.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from torchconform.networks import twin as tw
from torchconform.networks.core import OptimSpec, conv_flops, count_flops, mm_flops, seeded
from torchconform.networks.spec import NetworkSpec

SEED = "002_ec6c5d2b5f244ec5.txt"


class LeNet(torch.nn.Module):
    """The "定义网络" section's ``Net``: 3x3 convolutions, 2x2 max pooling."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 6, 3)
        self.conv2 = torch.nn.Conv2d(6, 16, 3)
        self.fc1 = torch.nn.Linear(16 * 6 * 6, 120)
        self.fc2 = torch.nn.Linear(120, 84)
        self.fc3 = torch.nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, x[0].numel())
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class CifarNet(torch.nn.Module):
    """The classifier of "训练一个分类器". ``width`` is the number of channels
    between the two convolutions (6 in the tutorial, whose closing exercise
    asks to increase it)."""

    def __init__(self, width: int = 6):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, width, 5)
        self.pool = torch.nn.MaxPool2d(2, 2)
        self.conv2 = torch.nn.Conv2d(width, 16, 5)
        self.fc1 = torch.nn.Linear(16 * 5 * 5, 120)
        self.fc2 = torch.nn.Linear(120, 84)
        self.fc3 = torch.nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 5 * 5)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def _conv_block(twin, module):
    return tw.Sequence(
        tw.Conv2d("conv1"), tw.ReLU(), tw.MaxPool2d(2),
        tw.Conv2d("conv2"), tw.ReLU(), tw.MaxPool2d(2),
        tw.Flatten(),
        tw.Linear("fc1.weight", "fc1.bias"), tw.ReLU(),
        tw.Linear("fc2.weight", "fc2.bias"), tw.ReLU(),
        tw.Linear("fc3.weight", "fc3.bias"),
    )


def _lenet_batch(n: int, seed: int):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 1, 32, 32)), rng.standard_normal((n, 10))


def _cifar_batch(n: int, seed: int):
    # ToTensor + Normalize((0.5,)*3, (0.5,)*3) maps pixels to [-1, 1]
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (n, 3, 32, 32)), rng.integers(0, 10, n)


def _head(b: int, flat: int) -> list[tuple[int, bool, bool]]:
    return [(mm_flops(b, flat, 120), True, True), (mm_flops(b, 120, 84), True, True), (mm_flops(b, 84, 10), True, True)]


def _lenet_flops(b: int) -> dict[str, int]:
    return count_flops([(conv_flops(b, 1, 6, 3, 30, 30), False, True), (conv_flops(b, 6, 16, 3, 13, 13), True, True)]
                       + _head(b, 16 * 6 * 6))


def _cifar_flops(b: int, width: int = 6) -> dict[str, int]:
    convs = [(conv_flops(b, 3, width, 5, 28, 28), False, True), (conv_flops(b, width, 16, 5, 10, 10), True, True)]
    return count_flops(convs + _head(b, 16 * 5 * 5))


_LENET_OPT = OptimSpec("SGD", {"lr": 0.01})
_CIFAR_OPT = OptimSpec("SGD", {"lr": 0.001, "momentum": 0.9})

SPECS = [
    NetworkSpec(
        name="lenet", title="LeNet-style Net for 1x32x32 inputs (60-minute blitz)", source=f"{SEED} §定义网络",
        build=seeded(LeNet), blocks=_conv_block, batch=_lenet_batch, default_batch=1,
        loss="mse_mean", optimizer=_LENET_OPT, flops=_lenet_flops,
    ),
    NetworkSpec(
        name="cifar", title="CIFAR-10 classifier for 3x32x32 inputs (60-minute blitz)", source=f"{SEED} §训练一个分类器",
        build=seeded(CifarNet), blocks=_conv_block, batch=_cifar_batch, default_batch=4,
        loss="cross_entropy", optimizer=_CIFAR_OPT, flops=_cifar_flops,
    ),
]
