"""NumPy twins: a tutorial network rebuilt from blocks whose forward and backward
are written by hand with :mod:`torchconform.references.nn`.

A block sees the twin's arrays by the torch ``named_parameters()`` /
``named_buffers()`` names, so a parameter used twice (weight sharing) is one
array whose gradient the blocks accumulate, exactly as autograd does.
Only :meth:`NetworkTwin.load_from` and :meth:`NetworkTwin.write_to` touch torch.
"""

from __future__ import annotations

import random
from typing import Callable

import numpy as np
import torch

from torchconform.dtypes import tensor_to_numpy
from torchconform.networks.core import OptimSpec, draw_dropout_masks, numpy_loss
from torchconform.references import nn as ref

Grads = dict[str, np.ndarray]


def _accumulate(grads: Grads, name: str, g: np.ndarray) -> None:
    grads[name] = grads[name] + g if name in grads else g


class Block:
    """``forward(twin, x) -> (y, cache)``; ``backward(twin, cache, g, grads) -> gx``
    adding parameter gradients into ``grads``; ``magnitude(twin, x, mx) -> (y, my)``
    the forward together with the size of the terms of each output, given that
    size ``mx`` for the input (see :meth:`NetworkTwin.output_magnitude`)."""

    def forward(self, twin: "NetworkTwin", x: np.ndarray):
        """``(y, cache)``: the block's output for input ``x`` (an array of the
        twin's dtype, batch first) and what :meth:`backward` needs of this call."""
        raise NotImplementedError

    def backward(self, twin: "NetworkTwin", cache, g: np.ndarray, grads: Grads) -> np.ndarray:
        """The VJP: given the cotangent ``g`` of the output (its shape), adds
        the parameters' gradients into ``grads`` (by torch parameter name) and
        returns the input's cotangent (``x``'s shape)."""
        raise NotImplementedError

    def magnitude(self, twin: "NetworkTwin", x: np.ndarray, mx: np.ndarray):
        """``(y, my)``: the output for ``x`` and, per output element, the size
        of the terms it sums (non-negative, ``y``'s shape), given the sizes
        ``mx`` (``x``'s shape) behind the input: the error scale a float
        result's rounding grows with."""
        raise NotImplementedError


class Monotone(Block):
    """A block that maps term sizes through itself (ReLU, pooling, reshapes, masks)."""

    def magnitude(self, twin, x, mx):
        """The input's term sizes mapped through the block itself."""
        return self.forward(twin, x)[0], self.forward(twin, mx)[0]


class Linear(Block):
    """``x @ W.T + b`` for torch's (out, in) weights; ``layout="in_out"`` for the
    tutorials' raw ``x.mm(w)`` weights of shape (in, out)."""

    def __init__(self, weight: str, bias: str | None = None, layout: str = "out_in"):
        self.weight, self.bias, self.layout = weight, bias, layout

    def _w(self, twin):
        w = twin.params[self.weight]
        return w if self.layout == "out_in" else w.T

    def forward(self, twin, x):
        b = twin.params[self.bias] if self.bias else None
        return ref.linear(x, self._w(twin), b), x

    def magnitude(self, twin, x, mx):
        """``|x| |W|.T + |b|``: the terms of each output's dot product."""
        b = twin.params[self.bias] if self.bias else None
        return self.forward(twin, x)[0], ref.linear(np.abs(x), np.abs(self._w(twin)), None if b is None else np.abs(b))

    def backward(self, twin, x, g, grads):
        gx, gw, gb = ref.linear_backward(g, x, self._w(twin), self.bias is not None)
        _accumulate(grads, self.weight, gw if self.layout == "out_in" else gw.T)
        if self.bias:
            _accumulate(grads, self.bias, gb)
        return gx


class Conv2d(Block):
    """Twin of ``nn.Conv2d`` whose parameters are ``<prefix>.weight`` and
    ``<prefix>.bias``; ``kwargs`` are stride, padding, dilation and groups."""

    def __init__(self, prefix: str, **kwargs):
        self.prefix, self.kwargs = prefix, kwargs

    def forward(self, twin, x):
        p = twin.params
        return ref.conv2d(x, p[f"{self.prefix}.weight"], p[f"{self.prefix}.bias"], **self.kwargs), x

    def magnitude(self, twin, x, mx):
        """The convolution of ``|x|`` with ``|W|`` plus ``|b|``: the terms of each output's sum."""
        p = twin.params
        w, b = np.abs(p[f"{self.prefix}.weight"]), np.abs(p[f"{self.prefix}.bias"])
        return self.forward(twin, x)[0], ref.conv2d(np.abs(x), w, b, **self.kwargs)

    def backward(self, twin, x, g, grads):
        gx, gw, gb = ref.conv2d_backward(g, x, twin.params[f"{self.prefix}.weight"], **self.kwargs)
        _accumulate(grads, f"{self.prefix}.weight", gw)
        _accumulate(grads, f"{self.prefix}.bias", gb)
        return gx


class ReLU(Monotone):
    """Twin of ReLU (:func:`torchconform.references.nn.relu`)."""

    def forward(self, twin, x):
        return ref.relu(x), x

    def backward(self, twin, x, g, grads):
        return ref.relu_backward(g, x)


class Sigmoid(Block):
    """Twin of the logistic sigmoid, differentiated through its output."""

    def forward(self, twin, x):
        y = ref.sigmoid(x)
        return y, y

    def backward(self, twin, y, g, grads):
        return ref.sigmoid_backward(g, y)

    def magnitude(self, twin, x, mx):
        """``y + mx / 4``."""
        # sigmoid' <= 1/4 scales the input's error; the output rounds on its own size
        y = ref.sigmoid(x)
        return y, y + mx / 4


class LogSoftmax(Block):
    """Twin of ``log_softmax(x, dim=1)`` for (N, C) logits."""

    def forward(self, twin, x):
        y = ref.log_softmax(x, axis=1)
        return y, y

    def backward(self, twin, y, g, grads):
        return ref.log_softmax_backward(g, y, axis=1)

    def magnitude(self, twin, x, mx):
        """``|y| + mx`` plus the row's largest ``mx``."""
        # y_i = x_i - logsumexp(x): an error in x_j moves y_i by at most its own size
        y = ref.log_softmax(x, axis=1)
        return y, np.abs(y) + mx + mx.max(axis=1, keepdims=True)


class MaxPool2d(Monotone):
    """Twin of ``max_pool2d(x, kernel)`` (stride = kernel, no padding) on (N, C, H, W)."""

    def __init__(self, kernel: int):
        self.kernel = kernel

    def forward(self, twin, x):
        y, argmax = ref.max_pool2d(x, self.kernel)
        return y, (x.shape, argmax)

    def backward(self, twin, cache, g, grads):
        return ref.max_pool2d_backward(g, *cache)


class Flatten(Monotone):
    """Twin of ``x.view(N, -1)``: (N, ...) to (N, prod(...)); the VJP reshapes back."""

    def forward(self, twin, x):
        return x.reshape(x.shape[0], -1), x.shape

    def backward(self, twin, shape, g, grads):
        return g.reshape(shape)


class Dropout(Monotone):
    """Identity in eval; in training the twin applies the mask it was handed
    (the same one :func:`use_dropout_masks` hands the torch module)."""

    def __init__(self, name: str, p: float = 0.5, channelwise: bool = False):
        self.name, self.p, self.channelwise = name, p, channelwise

    def mask_shape(self, x_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The keep-mask's shape for an input of ``x_shape``: the input's own, or
        (N, C, 1, ...) for channel dropout (``nn.Dropout2d``)."""
        return x_shape[:2] + (1,) * (len(x_shape) - 2) if self.channelwise else x_shape

    def forward(self, twin, x):
        if twin.mask_probe is not None:
            twin.mask_probe[self.name] = (self.mask_shape(x.shape), self.p)
            return x, None
        if not twin.training:
            return x, None
        if twin.masks is None or self.name not in twin.masks:
            raise RuntimeError(f"twin in training mode needs a dropout mask for {self.name!r}; call set_dropout_masks")
        mask = twin.masks[self.name].astype(x.dtype)
        return ref.dropout(x, mask, self.p), mask

    def backward(self, twin, mask, g, grads):
        return g if mask is None else ref.dropout(g, mask, self.p)


class Sequence(Block):
    """Blocks applied in order; the backward runs them in reverse."""

    def __init__(self, *blocks: Block):
        self.blocks = blocks

    def forward(self, twin, x):
        caches = []
        for block in self.blocks:
            x, cache = block.forward(twin, x)
            caches.append(cache)
        return x, caches

    def backward(self, twin, caches, g, grads):
        for block, cache in zip(reversed(self.blocks), reversed(caches)):
            g = block.backward(twin, cache, g, grads)
        return g

    def magnitude(self, twin, x, mx):
        """The sizes carried through each block in order."""
        for block in self.blocks:
            x, mx = block.magnitude(twin, x, mx)
        return x, mx


class NetworkTwin:
    """A network in NumPy, with the module's parameters loaded.

    ``params`` and ``buffers`` are keyed by the torch names. ``forward``,
    ``loss``, ``gradients`` (hand-written backward) and ``step`` (one update of
    the tutorial's optimizer rule, returning the loss before it) all compute in
    ``dtype``. The blocks are made by ``make_block(twin, module)`` on every load,
    so a block can copy state from the module (DynamicNet's random generator).
    """

    def __init__(self, module: torch.nn.Module, make_block: Callable[["NetworkTwin", torch.nn.Module], Block], *,
                 loss: str, optimizer: OptimSpec, dtype=np.float64):
        self.dtype = np.dtype(dtype)
        self.loss_name = loss
        self._loss = numpy_loss(loss)
        self.optimizer_spec = optimizer
        self.masks: dict[str, np.ndarray] | None = None
        self.mask_probe: dict | None = None
        self._make_block = make_block
        self.load_from(module)

    def load_from(self, module: torch.nn.Module) -> None:
        """Copy the module's parameters, buffers and mode (and restart the optimizer state)."""
        self.params = {n: tensor_to_numpy(p).astype(self.dtype) for n, p in module.named_parameters()}
        self.buffers = {n: tensor_to_numpy(b).astype(self.dtype) for n, b in module.named_buffers()}
        self.training = module.training
        self.optimizer = self.optimizer_spec.numpy()
        self.block = self._make_block(self, module)

    def write_to(self, module: torch.nn.Module) -> None:
        """Copy the twin's parameters into ``module``'s (same names and shapes)."""
        with torch.no_grad():
            for name, p in module.named_parameters():
                p.copy_(torch.from_numpy(self.params[name]))

    def train(self, mode: bool = True) -> "NetworkTwin":
        """Set training mode (dropout applies its masks); returns the twin."""
        self.training = mode
        return self

    def eval(self) -> "NetworkTwin":
        """Set eval mode (dropout is the identity); returns the twin."""
        return self.train(False)

    # dropout -----------------------------------------------------------------
    def dropout_shapes(self, x: np.ndarray) -> dict[str, tuple[tuple[int, ...], float]]:
        """``{layer: (mask shape, p)}`` for an input ``x``, found by a forward
        pass in which the dropout blocks only record their input shape."""
        self.mask_probe = {}
        try:
            self.block.forward(self, self._cast(x))
            return self.mask_probe
        finally:
            self.mask_probe = None

    def draw_dropout_masks(self, x: np.ndarray, seed: int) -> dict[str, np.ndarray]:
        """Fresh 0/1 keep-masks for input ``x``, one per dropout layer, drawn from ``seed``."""
        return draw_dropout_masks(self.dropout_shapes(x), seed)

    def set_dropout_masks(self, masks: dict[str, np.ndarray] | None) -> None:
        """Use ``masks`` (layer name -> 0/1 array) in training-mode forwards."""
        self.masks = masks

    # computation -------------------------------------------------------------
    def _cast(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        return x.astype(self.dtype) if np.issubdtype(x.dtype, np.floating) else x

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.block.forward(self, self._cast(x))[0]

    def output_magnitude(self, x: np.ndarray) -> np.ndarray:
        """For each output, the size of the terms of the network's last
        product or reduction (``|W| |h| + |b|`` for a final Linear on its actual
        input ``h``; the sum of absolute values for a final sum), carried
        through the elementwise layers after it. A float result's rounding
        error scales with this, not with the output itself, which may cancel
        to near zero: it is the ``scale`` of :func:`torchconform.oracle.assert_matches`.
        DynamicNet reuses the depth of the latest forward."""
        x = self._cast(x)
        return self.block.magnitude(self, x, np.abs(x))[1]

    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        """The tutorial's loss of the twin's forward on batch ``x`` with targets ``y``."""
        return float(self._loss(self.forward(x), self._cast(y))[0])

    def _loss_and_grads(self, x, y) -> tuple[float, Grads]:
        out, cache = self.block.forward(self, self._cast(x))
        loss, g = self._loss(out, self._cast(y))
        grads: Grads = {}
        self.block.backward(self, cache, g.astype(self.dtype), grads)
        return float(loss), grads

    def gradients(self, x: np.ndarray, y: np.ndarray) -> Grads:
        """Gradient of the loss for every parameter the forward pass reached
        (a parameter it did not reach has none, like a torch ``.grad`` of None)."""
        return self._loss_and_grads(x, y)[1]

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One training step: loss, backward, the optimizer's update of ``params``
        in place; returns the loss before the update."""
        loss, grads = self._loss_and_grads(x, y)
        self.optimizer.step(self.params, {n: grads.get(n) for n in self.params})
        return loss


class DynamicDepth(Block):
    """DynamicNet's middle: the shared layer applied a drawn number of times.

    The draw comes from a copy of the module's ``random.Random``, so the twin
    and the module draw the same depth on their k-th forward pass; a pinned
    ``depth`` skips the draw in both.
    """

    def __init__(self, module: torch.nn.Module, layer: Block):
        self.rng = random.Random()
        self.rng.setstate(module.rng.getstate())
        self.pinned = module.depth
        self.layer = Sequence(layer, ReLU())
        self.last_depth: int | None = None

    def forward(self, twin, x):
        depth = self.pinned if self.pinned is not None else self.rng.randint(0, 3)
        self.last_depth = depth
        caches = []
        for _ in range(depth):
            x, cache = self.layer.forward(twin, x)
            caches.append(cache)
        return x, caches

    def backward(self, twin, caches, g, grads):
        for cache in reversed(caches):
            g = self.layer.backward(twin, cache, g, grads)
        return g

    def magnitude(self, twin, x, mx):
        """The sizes carried through the layer as many times as the latest
        forward ran it; RuntimeError when no forward ran and the depth is drawn."""
        if self.pinned is None and self.last_depth is None:
            raise RuntimeError("DynamicNet's magnitude pass reuses the latest depth: run a forward pass first")
        for _ in range(self.pinned if self.pinned is not None else self.last_depth):
            x, mx = self.layer.magnitude(twin, x, mx)
        return x, mx
