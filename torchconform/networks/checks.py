"""Checks of a torch network against its NumPy twin, shared by the conformance
tests and the tests that prove those checks can fail.

Each check builds the network in ``dtype`` on ``device``, loads a float64 twin
from the very same parameters, feeds both the same inputs (rounded to
``dtype``) and compares under the tolerance policy. Off CPU it also compares
the device's result with CPU's.

How results are judged: a network's output is a chain of products, so its
rounding error scales with the size of the terms of its last product, not with
the output (which may cancel to near zero); :meth:`Twin.output_magnitude` gives
that size as the ``scale``. Gradients and trained parameters are judged
normwise, relative to the largest element of each tensor, the way LAPACK states
the accuracy of products: an element that cancels to near zero is as uncertain
as the tensor's large ones.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch

from torchconform import oracle
from torchconform.nncheck import rounded
from torchconform.networks.core import loss_fn, use_dropout_masks
from torchconform.networks.spec import NetworkSpec

#: Training steps compared by :func:`check_training`.
STEPS = 3


@dataclass
class Pair:
    """A network on a device, its twin, and one batch as each sees it."""

    spec: NetworkSpec
    module: torch.nn.Module
    twin: object
    x: torch.Tensor
    y: torch.Tensor
    x_np: np.ndarray
    y_np: np.ndarray

    def loss(self, module: torch.nn.Module | None = None, device: str | None = None) -> torch.Tensor:
        """The spec's torch loss (a 0-d tensor in the pair's dtype) of ``module``
        (default: the pair's) on the pair's batch, moved to ``device`` if given."""
        module = module or self.module
        x, y = (self.x, self.y) if device is None else (self.x.to(device), self.y.to(device))
        return loss_fn(self.spec.loss)(module(x), y)


def _as_dtype(a: np.ndarray, dtype: torch.dtype) -> np.ndarray:
    """Floats rounded to ``dtype`` (kept in float64 for the twin); labels as they are."""
    return rounded(a, dtype) if a.dtype.kind == "f" else a


def make_pair(spec: NetworkSpec, dtype: torch.dtype, device: str, *, batch: int | None = None, seed: int = 0,
              train: bool = False, **overrides) -> Pair:
    """The network in ``dtype`` on ``device`` (eval mode unless ``train``), and
    a float64 twin loaded from its parameters."""
    module = spec.build(**overrides).to(dtype)
    module.train(train)
    twin = spec.twin(module)
    x_np, y_np = (_as_dtype(a, dtype) for a in spec.batch(batch or spec.default_batch, seed))
    x = torch.from_numpy(x_np).to(dtype)
    y = torch.from_numpy(y_np).to(dtype if y_np.dtype.kind == "f" else torch.int64)
    return Pair(spec, module.to(device), twin, x.to(device), y.to(device), x_np, y_np)


def _on_cpu(pair: Pair) -> torch.nn.Module:
    return copy.deepcopy(pair.module).cpu()


def _normwise(expected: np.ndarray) -> np.ndarray:
    return np.full(np.shape(expected), np.max(np.abs(expected), initial=0.0))


def check_forward(pair: Pair) -> None:
    """The module's output equals the twin's forward."""
    cpu = _on_cpu(pair) if pair.x.device.type != "cpu" else None
    out = pair.module(pair.x)
    expected = pair.twin.forward(pair.x_np)
    oracle.assert_matches(out, expected, pair.x.dtype, kind="forward", op="matmul", scale=pair.twin.output_magnitude(pair.x_np),
                          what=f"{pair.spec.name} forward")
    if cpu is not None:
        oracle.assert_device_matches_cpu(out, cpu(pair.x.cpu()), op="matmul", what=f"{pair.spec.name} forward")


def torch_gradients(pair: Pair, module: torch.nn.Module | None = None, device: str | None = None) -> dict:
    """``{parameter name: .grad}`` after one backward pass of the pair's loss
    through ``module`` (default: the pair's); parameters without a gradient are left out."""
    module = module or pair.module
    module.zero_grad(set_to_none=True)
    pair.loss(module, device).backward()
    return {n: p.grad for n, p in module.named_parameters() if p.grad is not None}


def check_gradients(pair: Pair) -> None:
    """Autograd's gradient of the loss for every parameter equals the twin's
    hand-written backward, and both leave the same parameters without one."""
    cpu = _on_cpu(pair) if pair.x.device.type != "cpu" else None
    got = torch_gradients(pair)
    want = pair.twin.gradients(pair.x_np, pair.y_np)
    assert set(got) == set(want), (
        f"{pair.spec.name}: parameters with a gradient differ: torch {sorted(got)}, twin {sorted(want)}")
    for name, expected in want.items():
        oracle.assert_matches(got[name], expected, pair.x.dtype, kind="gradient", op="matmul", scale=_normwise(expected),
                              what=f"{pair.spec.name} d loss / d {name}")
    if cpu is not None:
        on_cpu = torch_gradients(pair, cpu, "cpu")
        for name, g in got.items():
            oracle.assert_device_matches_cpu(g, on_cpu[name], kind="gradient", op="matmul",
                                             what=f"{pair.spec.name} d loss / d {name}")


def check_training(pair: Pair, steps: int = STEPS) -> None:
    """``steps`` updates with the tutorial's optimizer give the twin's loss
    trajectory (each loss before its step) and the twin's parameters."""
    optimizer = pair.spec.optimizer(pair.module.parameters())
    losses, want, scales = [], [], []
    for _ in range(steps):
        if pair.spec.loss == "output":
            # the objective is the network's output: judge it by its terms' size
            scales.append(pair.twin.output_magnitude(pair.x_np))
        optimizer.zero_grad()
        loss = pair.loss()
        loss.backward()
        optimizer.step()
        losses.append(loss.detach())
        want.append(pair.twin.step(pair.x_np, pair.y_np))
    oracle.assert_matches(torch.stack(losses), np.array(want), pair.x.dtype, kind="gradient", op="matmul",
                          scale=np.array(scales) if scales else None,
                          what=f"{pair.spec.name} losses over {steps} {pair.spec.optimizer} steps")
    for name, p in pair.module.named_parameters():
        expected = pair.twin.params[name]
        oracle.assert_matches(p, expected, pair.x.dtype, kind="gradient", op="matmul", scale=_normwise(expected),
                              what=f"{pair.spec.name} {name} after {steps} {pair.spec.optimizer} steps")


def check_dropout_training(pair: Pair, seed: int = 1) -> None:
    """In training mode, with the same dropout masks handed to module and twin,
    forward and gradients agree (the masks replace draws that cannot be shared)."""
    masks = pair.twin.draw_dropout_masks(pair.x_np, seed)
    pair.module.train()
    pair.twin.train()
    pair.twin.set_dropout_masks(masks)
    with use_dropout_masks(pair.module, masks):
        check_forward(pair)
        check_gradients(pair)
