"""The pieces every tutorial network shares: its spec, its loss and its optimizer
described once for both torch and NumPy, dropout masks handed to both, and FLOP
counting in the convention of ``torch.utils.flop_counter``."""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

import numpy as np
import torch
import torch.nn.functional as F

from torchconform.references import nn as ref
from torchconform.references import optim as optim_ref


#: Seed of torch's generator while a network is built, so parameters are reproducible.
BUILD_SEED = 0


def seeded(build: Callable[..., torch.nn.Module]) -> Callable[..., torch.nn.Module]:
    """Wrap a constructor so it draws its parameters from ``BUILD_SEED`` and
    leaves the caller's global torch generator untouched."""

    @functools.wraps(build)
    def wrapper(**overrides) -> torch.nn.Module:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(BUILD_SEED)
            return build(**overrides)

    return wrapper


@dataclass(frozen=True)
class OptimSpec:
    """A torch optimizer and its hyper-parameters, with the same rule in NumPy.

    Calling it with parameters gives the torch optimizer, so it is the
    ``Callable[[Iterable[Parameter]], Optimizer]`` a spec promises.
    """

    name: str
    kwargs: dict = field(default_factory=dict)

    def __call__(self, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
        return getattr(torch.optim, self.name)(params, **self.kwargs)

    def numpy(self):
        """The same rule as a fresh :mod:`torchconform.references.optim` optimizer
        (no state). Raises ``KeyError`` for a name it lacks."""
        return optim_ref.OPTIMIZERS[self.name](**self.kwargs)

    def __str__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.kwargs.items())
        return f"{self.name}({args})"


# --------------------------------------------------------------------------- losses
# "output": the network already returns the scalar objective (d2l's FixedHiddenMLP
# returns X.sum()), so targets are ignored. "bce": the prediction (N, 1) is
# squeezed to the targets' shape, as the course's logistic regression does.

LOSSES = ("mse_sum", "mse_mean", "half_mse_mean", "cross_entropy", "nll", "bce", "output")


def loss_fn(name: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The torch loss a tutorial trains its network with."""
    table = {
        "mse_sum": lambda p, t: F.mse_loss(p, t, reduction="sum"),
        "mse_mean": lambda p, t: F.mse_loss(p, t),
        "half_mse_mean": lambda p, t: (0.5 * (t - p) ** 2).mean(),
        "cross_entropy": F.cross_entropy,
        "nll": F.nll_loss,
        "bce": lambda p, t: F.binary_cross_entropy(p.reshape(t.shape), t),
        "output": lambda p, t: p,
    }
    if name not in table:
        raise ValueError(f"unknown loss {name!r}; expected one of {LOSSES}")
    return table[name]


def numpy_loss(name: str) -> Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]:
    """The same loss in NumPy: ``(pred, target) -> (loss, d loss / d pred)``."""

    def half_mse(p, t):
        loss, g = ref.mse_loss(p, t)
        return loss / 2, g / 2

    def bce(p, t):
        loss, g = ref.binary_cross_entropy(p.reshape(t.shape), t)
        return loss, g.reshape(p.shape)

    table = {
        "mse_sum": lambda p, t: ref.mse_loss(p, t, reduction="sum"),
        "mse_mean": ref.mse_loss,
        "half_mse_mean": half_mse,
        "cross_entropy": ref.cross_entropy,
        "nll": ref.nll_loss,
        "bce": bce,
        "output": lambda p, t: (p, np.ones_like(p)),
    }
    if name not in table:
        raise ValueError(f"unknown loss {name!r}; expected one of {LOSSES}")
    return table[name]


# --------------------------------------------------------------------------- dropout masks


def draw_dropout_masks(shapes: dict[str, tuple[tuple[int, ...], float]], seed: int) -> dict[str, np.ndarray]:
    """0/1 keep-masks (kept with probability 1 - p) for ``{layer: (shape, p)}``."""
    rng = np.random.default_rng(seed)
    return {name: (rng.random(shape) >= p).astype(np.float64) for name, (shape, p) in shapes.items()}


@contextlib.contextmanager
def use_dropout_masks(module: torch.nn.Module, masks: dict[str, np.ndarray]) -> Iterator[None]:
    """Make the named dropout submodules of ``module`` apply the given masks
    (``x * mask / (1 - p)`` in training mode, identity in eval) instead of
    drawing their own, so a twin fed the same masks must agree."""

    def hook_for(mask: np.ndarray):
        def hook(layer, inputs, output):
            if not layer.training:
                return None
            x = inputs[0]
            m = torch.as_tensor(mask, dtype=x.dtype, device=x.device)
            return x * m / (1 - layer.p)

        return hook

    handles = [module.get_submodule(name).register_forward_hook(hook_for(mask)) for name, mask in masks.items()]
    try:
        yield
    finally:
        for h in handles:
            h.remove()


# --------------------------------------------------------------------------- FLOPs


def mm_flops(m: int, k: int, n: int) -> int:
    """An (m, k) @ (k, n) product: m*n*k multiply-adds, 2 FLOPs each."""
    return 2 * m * k * n


def conv_flops(batch: int, cin: int, cout: int, kernel: int, out_h: int, out_w: int, groups: int = 1) -> int:
    """FLOPs of a square ``kernel`` convolution producing (batch, cout, out_h,
    out_w): one multiply-add (2 FLOPs) per output element and (cin/groups) k^2 taps."""
    return 2 * batch * cout * out_h * out_w * (cin // groups) * kernel * kernel


def count_flops(ops: list[tuple[int, bool, bool]]) -> dict[str, int]:
    """FLOPs of a sequence of ``(forward_flops, grad_input, grad_weight)``
    products. Backward repeats a product's cost once for the gradient of its
    input (when that input requires grad) and once for its weight (when the
    weight is a parameter); elementwise work is not counted, as in
    ``torch.utils.flop_counter``."""
    forward = sum(f for f, _, _ in ops)
    backward = sum(f * (int(gi) + int(gw)) for f, gi, gw in ops)
    return {"forward": forward, "backward": backward}
