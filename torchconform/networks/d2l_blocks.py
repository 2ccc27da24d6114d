"""d2l's "layers and blocks", "parameter management" and "custom layers"
sections (seed 001): MLP, MySequential, FixedHiddenMLP, NestMLP (and the
chimera built from them), the nested rgnet, CenteredLayer, MyLinear and the
shared-parameter net.

The chapter builds these blocks without training them; where a loss is needed
the networks use the chapter-neighbouring choices: cross-entropy for the
10-class MLP, MSE against random targets for blocks with free-form outputs,
and the scalar output itself for FixedHiddenMLP (it returns ``X.sum()``).
All are trained with SGD at d2l's usual learning rate of 0.1.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from torchconform.networks import twin as tw
from torchconform.networks.core import OptimSpec, count_flops, mm_flops, seeded
from torchconform.networks.spec import NetworkSpec
from torchconform.references import nn as ref

SEED = "001_ab42a81b30ebca8e.txt"
SGD = OptimSpec("SGD", {"lr": 0.1})


class MLP(nn.Module):
    """d2l's MLP: ``Linear(20, hidden)``, ReLU, ``Linear(hidden, 10)``; (N, 20) in, (N, 10) out."""

    def __init__(self, hidden: int = 256):
        super().__init__()
        self.hidden = nn.Linear(20, hidden)
        self.out = nn.Linear(hidden, 10)

    def forward(self, X):
        return self.out(F.relu(self.hidden(X)))


class MySequential(nn.Module):
    """d2l's hand-written ``nn.Sequential``: its modules, registered under
    "0", "1", ..., applied in order."""

    def __init__(self, *args):
        super().__init__()
        for idx, module in enumerate(args):
            self._modules[str(idx)] = module

    def forward(self, X):
        for block in self._modules.values():
            X = block(X)
        return X


class FixedHiddenMLP(nn.Module):
    """The constant weight is a non-persistent buffer (the tutorial keeps a
    plain tensor attribute) so that ``.to(device)`` moves it while the
    ``state_dict`` keeps the tutorial's keys."""

    def __init__(self):
        super().__init__()
        self.register_buffer("rand_weight", torch.rand((20, 20)), persistent=False)
        self.linear = nn.Linear(20, 20)

    def forward(self, X):
        X = self.linear(X)
        X = F.relu(torch.mm(X, self.rand_weight) + 1)
        X = self.linear(X)
        while X.abs().sum() > 1:
            X /= 2
        return X.sum()


class NestMLP(nn.Module):
    """d2l's nested block: ``Sequential(Linear(20, 64), ReLU, Linear(64, 32), ReLU)``
    then ``Linear(32, 16)``; (N, 20) in, (N, 16) out."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
        self.linear = nn.Linear(32, 16)

    def forward(self, X):
        return self.linear(self.net(X))


class CenteredLayer(nn.Module):
    """d2l's parameter-free layer ``X - X.mean()`` (the mean over every element)."""

    def forward(self, X):
        return X - X.mean()


class MyLinear(nn.Module):
    """d2l's MyLinear. d2l's forward reads ``self.weight.data``, which cuts the
    layer out of autograd; here it uses the parameters so gradients reach them."""

    def __init__(self, in_units: int, units: int):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_units, units))
        self.bias = nn.Parameter(torch.randn(units))

    def forward(self, X):
        return F.relu(torch.matmul(X, self.weight) + self.bias)


def shared_net() -> nn.Sequential:
    """The parameter-tying example: one ``shared`` Linear used twice."""
    shared = nn.Linear(8, 8)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.Linear(8, 1))


def rgnet() -> nn.Sequential:
    """The nested-block example of parameter management: four ``block1``
    (Linear 4-8, ReLU, Linear 8-4, ReLU) added as "block 0".."block 3" to one
    Sequential, then ``Linear(4, 1)``; (N, 4) in, (N, 1) out."""
    blocks = nn.Sequential()
    for i in range(4):
        blocks.add_module(f"block {i}", nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU()))
    return nn.Sequential(blocks, nn.Linear(4, 1))


# --------------------------------------------------------------------------- twins


def _lin(prefix: str) -> tw.Linear:
    return tw.Linear(f"{prefix}weight", f"{prefix}bias")


class FixedHidden(tw.Block):
    """FixedHiddenMLP's forward: the linear layer twice around a constant
    product, then halving until the absolute sum is at most 1."""

    def __init__(self, prefix: str = ""):
        self.prefix = prefix
        self.linear = _lin(f"{prefix}linear.")

    def forward(self, twin, x):
        h1, c1 = self.linear.forward(twin, x)
        z = h1 @ twin.buffers[f"{self.prefix}rand_weight"] + 1
        h2, c2 = self.linear.forward(twin, ref.relu(z))
        halvings = 0
        while np.abs(h2).sum() > 1:
            h2 = h2 / 2
            halvings += 1
        return h2.sum(), (c1, z, c2, halvings, h2.shape)

    def magnitude(self, twin, x, mx):
        """The absolute sum of the halved second linear output: the terms of the final sum (a scalar)."""
        out, (_, _, c2, halvings, _) = self.forward(twin, x)
        h2 = self.linear.forward(twin, c2)[0] * 0.5**halvings
        return out, np.abs(h2).sum()

    def backward(self, twin, cache, g, grads):
        c1, z, c2, halvings, shape = cache
        g_h2 = np.full(shape, g * 0.5**halvings, dtype=z.dtype)
        g_z = ref.relu_backward(self.linear.backward(twin, c2, g_h2, grads), z)
        return self.linear.backward(twin, c1, g_z @ twin.buffers[f"{self.prefix}rand_weight"].T, grads)


class Centered(tw.Block):
    """Twin of :class:`CenteredLayer`: the VJP of ``x - mean(x)`` is ``g - mean(g)``."""

    def forward(self, twin, x):
        return x - x.mean(), None

    def backward(self, twin, cache, g, grads):
        return g - g.mean()

    def magnitude(self, twin, x, mx):
        """``mx + mean(mx)``: each output's own term and the mean's."""
        return x - x.mean(), mx + mx.mean()


def _nest(prefix: str = "") -> tw.Sequence:
    return tw.Sequence(_lin(f"{prefix}net.0."), tw.ReLU(), _lin(f"{prefix}net.2."), tw.ReLU(), _lin(f"{prefix}linear."))


def _mlp_two(first: str, second: str):
    return lambda twin, module: tw.Sequence(_lin(first), tw.ReLU(), _lin(second))


_BLOCKS = {
    "d2l_mlp": _mlp_two("hidden.", "out."),
    "d2l_my_sequential": _mlp_two("0.", "2."),
    "d2l_fixed_hidden": lambda twin, module: FixedHidden(),
    "d2l_nest": lambda twin, module: _nest(),
    "d2l_chimera": lambda twin, module: tw.Sequence(_nest("0."), _lin("1."), FixedHidden("2.")),
    "d2l_centered": lambda twin, module: tw.Sequence(_lin("0."), Centered()),
    "d2l_my_linear": lambda twin, module: tw.Sequence(
        tw.Linear("0.weight", "0.bias", layout="in_out"), tw.ReLU(),
        tw.Linear("1.weight", "1.bias", layout="in_out"), tw.ReLU()),
    "d2l_rgnet": lambda twin, module: tw.Sequence(
        *(tw.Sequence(_lin(f"0.block {i}.0."), tw.ReLU(), _lin(f"0.block {i}.2."), tw.ReLU()) for i in range(4)),
        _lin("1.")),
    "d2l_shared": lambda twin, module: tw.Sequence(
        _lin("0."), tw.ReLU(), _lin("2."), tw.ReLU(), _lin("2."), tw.ReLU(), _lin("6.")),
}


# --------------------------------------------------------------------------- data and FLOPs


def _uniform_batch(features: int, target):
    """``torch.rand(n, features)``-like inputs; ``target(rng, n)`` draws the targets."""

    def batch(n: int, seed: int):
        rng = np.random.default_rng(seed)
        return rng.random((n, features)), target(rng, n)

    return batch


def _labels(rng, n):
    return rng.integers(0, 10, n)


def _normal(width):
    return lambda rng, n: rng.standard_normal((n, width))


def _none(rng, n):
    return np.zeros(0)


def _mm(b, k, n, grad_input=True, grad_weight=True):
    return (mm_flops(b, k, n), grad_input, grad_weight)


def _fixed_ops(b, input_grad):
    return [_mm(b, 20, 20, input_grad), _mm(b, 20, 20, True, False), _mm(b, 20, 20)]


def _nest_ops(b):
    return [_mm(b, 20, 64, False), _mm(b, 64, 32), _mm(b, 32, 16)]


_FLOPS = {
    "d2l_mlp": lambda b, hidden=256: count_flops([_mm(b, 20, hidden, False), _mm(b, hidden, 10)]),
    "d2l_my_sequential": lambda b: count_flops([_mm(b, 20, 256, False), _mm(b, 256, 10)]),
    "d2l_fixed_hidden": lambda b: count_flops(_fixed_ops(b, False)),
    "d2l_nest": lambda b: count_flops(_nest_ops(b)),
    "d2l_chimera": lambda b: count_flops(_nest_ops(b) + [_mm(b, 16, 20)] + _fixed_ops(b, True)),
    "d2l_centered": lambda b: count_flops([_mm(b, 8, 128, False)]),
    "d2l_my_linear": lambda b: count_flops([_mm(b, 64, 8, False), _mm(b, 8, 1)]),
    "d2l_rgnet": lambda b: count_flops(
        [op for i in range(4) for op in (_mm(b, 4, 8, i > 0), _mm(b, 8, 4))] + [_mm(b, 4, 1)]),
    "d2l_shared": lambda b: count_flops([_mm(b, 4, 8, False), _mm(b, 8, 8), _mm(b, 8, 8), _mm(b, 8, 1)]),
}


def _spec(name, title, section, build, batch, default_batch, loss) -> NetworkSpec:
    return NetworkSpec(name=name, title=f"{title} (d2l layers and blocks)", source=f"{SEED} §{section}",
                       build=seeded(build), blocks=_BLOCKS[name], batch=batch, default_batch=default_batch, loss=loss,
                       optimizer=SGD, flops=_FLOPS[name])


SPECS = [
    _spec("d2l_mlp", "MLP 20-256-10", "层和块", lambda hidden=256: MLP(hidden),
          _uniform_batch(20, _labels), 2, "cross_entropy"),
    _spec("d2l_my_sequential", "MySequential", "顺序块",
          lambda: MySequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10)),
          _uniform_batch(20, _labels), 2, "cross_entropy"),
    _spec("d2l_fixed_hidden", "FixedHiddenMLP", "灵活的计算", FixedHiddenMLP, _uniform_batch(20, _none), 2, "output"),
    _spec("d2l_nest", "NestMLP", "灵活的计算", NestMLP, _uniform_batch(20, _normal(16)), 2, "mse_mean"),
    _spec("d2l_chimera", "Chimera: NestMLP, Linear, FixedHiddenMLP", "灵活的计算",
          lambda: nn.Sequential(NestMLP(), nn.Linear(16, 20), FixedHiddenMLP()), _uniform_batch(20, _none), 2,
          "output"),
    _spec("d2l_centered", "Linear + CenteredLayer", "自定义层",
          lambda: nn.Sequential(nn.Linear(8, 128), CenteredLayer()), _uniform_batch(8, _normal(128)), 4, "mse_mean"),
    _spec("d2l_my_linear", "MyLinear 64-8-1", "自定义层",
          lambda: nn.Sequential(MyLinear(64, 8), MyLinear(8, 1)), _uniform_batch(64, _normal(1)), 2, "mse_mean"),
    _spec("d2l_rgnet", "Nested blocks rgnet", "从嵌套块收集参数", rgnet, _uniform_batch(4, _normal(1)), 2, "mse_mean"),
    _spec("d2l_shared", "Shared-parameter net", "参数绑定", shared_net, _uniform_batch(4, _normal(1)), 2, "mse_mean"),
]
