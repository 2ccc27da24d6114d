""""Learning PyTorch with Examples" (seed 000): the two-layer ReLU net in each of
its forms, and DynamicNet.

N, D_in, H, D_out = 64, 1000, 100, 10; squared-error loss summed over the batch.
The NumPy, tensor and autograd forms compute the same thing with raw weights
``w1`` (D_in, H) and ``w2`` (H, D_out) drawn from randn and plain gradient
descent at 1e-6, so they are one network here (whose module also carries the
tensor form's hand-written torch backward); the custom-``MyReLU`` form differs
in the torch function it calls.
"""

from __future__ import annotations

import random

import numpy as np
import torch

from torchconform.networks import twin as tw
from torchconform.networks.core import OptimSpec, count_flops, mm_flops, seeded
from torchconform.networks.spec import NetworkSpec

SEED = "000_abfb2c0f4555406a.txt"
N, D_IN, H, D_OUT = 64, 1000, 100, 10


class RawTwoLayerNet(torch.nn.Module):
    """The NumPy/tensor/autograd forms: ``x.mm(w1).clamp(min=0).mm(w2)``."""

    def __init__(self, d_in: int = D_IN, hidden: int = H, d_out: int = D_OUT, relu=None):
        super().__init__()
        self.w1 = torch.nn.Parameter(torch.randn(d_in, hidden))
        self.w2 = torch.nn.Parameter(torch.randn(hidden, d_out))
        self.relu = relu

    def forward(self, x):
        h = x.mm(self.w1)
        h = h.clamp(min=0) if self.relu is None else self.relu(h)
        return h.mm(self.w2)

    def manual_gradients(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """The tensor form's backward, written with torch ops as the seed does."""
        with torch.no_grad():
            h = x.mm(self.w1)
            h_relu = h.clamp(min=0)
            y_pred = h_relu.mm(self.w2)
            grad_y_pred = 2.0 * (y_pred - y)
            grad_w2 = h_relu.t().mm(grad_y_pred)
            grad_h = grad_y_pred.mm(self.w2.t()).clone()
            grad_h[h < 0] = 0
            return {"w1": x.t().mm(grad_h), "w2": grad_w2}


class MyReLU(torch.autograd.Function):
    """The seed's custom autograd function."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


class TwoLayerNet(torch.nn.Module):
    """The tutorial's custom module: ``linear2(clamp(linear1(x), min=0))``, (N, d_in) in, (N, d_out) out."""

    def __init__(self, d_in: int = D_IN, hidden: int = H, d_out: int = D_OUT):
        super().__init__()
        self.linear1 = torch.nn.Linear(d_in, hidden)
        self.linear2 = torch.nn.Linear(hidden, d_out)

    def forward(self, x):
        return self.linear2(self.linear1(x).clamp(min=0))


class DynamicNet(torch.nn.Module):
    """The seed's DynamicNet: the middle layer reused 0-3 times, drawn per call.

    The draw comes from the module's own ``random.Random(seed)`` (not the global
    ``random``), so runs are reproducible and a twin can copy the generator;
    ``depth`` pins it. ``last_depth`` records the depth of the latest call.
    """

    def __init__(self, d_in: int = D_IN, hidden: int = H, d_out: int = D_OUT, depth: int | None = None,
                 seed: int = 0):
        super().__init__()
        if depth is not None and not 0 <= depth <= 3:
            raise ValueError(f"depth must be in 0..3, got {depth}")
        self.input_linear = torch.nn.Linear(d_in, hidden)
        self.middle_linear = torch.nn.Linear(hidden, hidden)
        self.output_linear = torch.nn.Linear(hidden, d_out)
        self.depth = depth
        self.rng = random.Random(seed)
        self.last_depth: int | None = None

    def forward(self, x):
        h_relu = self.input_linear(x).clamp(min=0)
        self.last_depth = self.depth if self.depth is not None else self.rng.randint(0, 3)
        for _ in range(self.last_depth):
            h_relu = self.middle_linear(h_relu).clamp(min=0)
        return self.output_linear(h_relu)


def _batch(n: int, seed: int):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, D_IN)), rng.standard_normal((n, D_OUT))


def _mlp_flops(batch: int, hidden: int, *, depth: int = 0) -> dict[str, int]:
    first = mm_flops(batch, D_IN, hidden)
    middle = mm_flops(batch, hidden, hidden)
    last = mm_flops(batch, hidden, D_OUT)
    # the input needs no gradient, so the first product has no input-gradient product
    return count_flops([(first, False, True)] + [(middle, True, True)] * depth + [(last, True, True)])


def _raw_block(twin, module):
    return tw.Sequence(tw.Linear("w1", layout="in_out"), tw.ReLU(), tw.Linear("w2", layout="in_out"))


def _two_linear(first: str, second: str):
    def make(twin, module):
        return tw.Sequence(tw.Linear(f"{first}.weight", f"{first}.bias"), tw.ReLU(),
                           tw.Linear(f"{second}.weight", f"{second}.bias"))
    return make


def _dynamic_block(twin, module):
    return tw.Sequence(
        tw.Linear("input_linear.weight", "input_linear.bias"), tw.ReLU(),
        tw.DynamicDepth(module, tw.Linear("middle_linear.weight", "middle_linear.bias")),
        tw.Linear("output_linear.weight", "output_linear.bias"),
    )


def _spec(name, title, section, build, make_block, optimizer, loss="mse_sum", flops=None) -> NetworkSpec:
    return NetworkSpec(
        name=name, title=f"{title} (Learning PyTorch with Examples)", source=f"{SEED} §{section}",
        build=seeded(build), blocks=make_block, batch=_batch, default_batch=N, loss=loss, optimizer=optimizer,
        flops=flops or (lambda batch, hidden=H: _mlp_flops(batch, hidden)),
    )


def _sequential(hidden: int = H):
    return torch.nn.Sequential(torch.nn.Linear(D_IN, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, D_OUT))


def _dynamic_flops(batch: int, hidden: int = H, depth: int | None = None) -> dict[str, int]:
    # an unpinned net draws depth 0..3 uniformly: count the mean depth, rounded down
    return _mlp_flops(batch, hidden, depth=1 if depth is None else depth)


SPECS = [
    _spec("two_layer_numpy", "Two-layer net, NumPy/tensor/autograd forms", "张量 / 自动求导",
          lambda hidden=H: RawTwoLayerNet(hidden=hidden), _raw_block, OptimSpec("SGD", {"lr": 1e-6})),
    _spec("two_layer_myrelu", "Two-layer net with custom MyReLU", "定义新的自动求导函数",
          lambda hidden=H: RawTwoLayerNet(hidden=hidden, relu=MyReLU.apply), _raw_block,
          OptimSpec("SGD", {"lr": 1e-6})),
    _spec("two_layer_sequential", "Two-layer nn.Sequential", "NN模块", _sequential, _two_linear("0", "2"),
          OptimSpec("SGD", {"lr": 1e-4})),
    _spec("two_layer_optim", "Two-layer nn.Sequential trained with Adam", "优化", _sequential, _two_linear("0", "2"),
          OptimSpec("Adam", {"lr": 1e-4})),
    _spec("two_layer", "Two-layer net (TwoLayerNet module)", "自定义nn模块",
          lambda hidden=H: TwoLayerNet(hidden=hidden), _two_linear("linear1", "linear2"),
          OptimSpec("SGD", {"lr": 1e-4})),
    _spec("dynamic", "DynamicNet (weight sharing, random depth)", "控制流+权重共享",
          lambda hidden=H, depth=None, seed=0: DynamicNet(hidden=hidden, depth=depth, seed=seed), _dynamic_block,
          OptimSpec("SGD", {"lr": 1e-4, "momentum": 0.9}), flops=_dynamic_flops),
]
