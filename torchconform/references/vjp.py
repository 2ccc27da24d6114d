"""Closed-form vector-Jacobian products (VJPs) in NumPy: the independent
derivative reference for autograd.

A VJP takes the cotangent ``g`` (the weight of each output, what
``backward(gradient=g)`` / ``grad_outputs=g`` passes) and the float64 inputs,
and returns, for each input, ``sum_out g[out] * d out / d input`` as a
:class:`Grad`: the value and its *scale*. The scale is the same formula with
every term taken in absolute value; it is the size of the terms a backward
kernel rounds, so the oracle bounds the error relative to it (as forward
checks do for sums, see :mod:`torchconform.tolerances`). Two places need it:

* a broadcast input receives the sum of the gradients over the broadcast
  dimensions (:func:`unbroadcast`), which can cancel to nearly nothing;
* formulas such as ``g * (1 - tanh(x)**2)`` cancel where the output is near 1.

Pure NumPy, no torch. Rules are written for inputs away from kinks (no ties
in max/min, no input at a clamp bound, ``x != 0`` for abs and relu); the
strategies keep inputs there. Every rule takes ``g`` in the shape of the
op's output and float64 inputs, and returns one :class:`Grad` per input,
each in that input's shape.

Sources: elementary derivatives from the standard tables (Abramowitz and
Stegun, Handbook of Mathematical Functions, 4.1-4.6); reverse-mode rules for
broadcasting, reductions, matrix products and indexing as collected by
M. Giles, "An extended collection of matrix derivative results for forward
and reverse mode algorithmic differentiation" (Oxford NA report 08/01, 2008).
An op-table row names the rule it is checked against in its ``grad`` field
(:mod:`torchconform.ops`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from torchconform.references import nn as nn_ref


@dataclass(frozen=True)
class Grad:
    """The gradient of one input and the size of the terms it is made of.

    value: the ``g``-weighted gradient, float64, in the input's shape.
    scale: non-negative float64 of the same shape: the gradient's formula
      with every term in absolute value (the error bound's reference size).
    """

    value: np.ndarray
    scale: np.ndarray


def unbroadcast(full: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a broadcast-shaped gradient back to an input of ``shape``: over the
    leading dimensions the input lacks and the dimensions where it has size 1."""
    full = np.asarray(full)
    lead = full.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and full.shape[lead + i] != 1)
    return full.sum(axis=axes, keepdims=True).reshape(shape) if axes else full.reshape(shape)


def _grad(full: np.ndarray, shape: tuple[int, ...], scale: np.ndarray | None = None) -> Grad:
    full = np.asarray(full, dtype=np.float64)
    terms = np.abs(full) if scale is None else np.broadcast_to(np.abs(scale), full.shape)
    return Grad(unbroadcast(full, shape), unbroadcast(terms, shape))


def elementwise(derivative: Callable[[np.ndarray], np.ndarray],
                scale: Callable[[np.ndarray], np.ndarray] | None = None) -> Callable:
    """The VJP ``(g, x) -> [Grad]`` of a unary elementwise op from its
    derivative ``f'(x)`` (chain rule: ``g * f'(x)``). ``scale`` gives the size
    of the terms ``f'(x)`` is computed from (default ``|f'(x)|``), for
    formulas that cancel, e.g. ``1 - tanh(x)**2`` near ``|x| = inf``."""
    def vjp(g, x):
        d = derivative(x)
        return [_grad(g * d, x.shape, None if scale is None else np.abs(g) * scale(x))]
    return vjp


# ----------------------------------------------------------------- elementwise


def add(g, x, y, alpha=1):
    """``x + alpha * y``: d/dx = 1, d/dy = alpha; ``g`` in the broadcast shape."""
    return [_grad(g, x.shape), _grad(alpha * g, y.shape)]


def sub(g, x, y, alpha=1):
    """``x - alpha * y``: d/dx = 1, d/dy = -alpha."""
    return [_grad(g, x.shape), _grad(-alpha * g, y.shape)]


def mul(g, x, y):
    """``x * y``: d/dx = y, d/dy = x (product rule)."""
    return [_grad(g * y, x.shape), _grad(g * x, y.shape)]


def div(g, x, y):
    """``x / y``: d/dx = 1/y, d/dy = -x/y**2 (quotient rule)."""
    return [_grad(g / y, x.shape), _grad(-g * x / (y * y), y.shape)]


def pow_(g, x, y):
    """``x ** y`` for ``x > 0``: d/dx = y x^(y-1), d/dy = x^y log x."""
    return [_grad(g * y * np.power(x, y - 1), x.shape), _grad(g * np.power(x, y) * np.log(x), y.shape)]


def pow_scalar(g, x, exponent):
    """``x ** c`` for a Python number ``c``."""
    return [_grad(g * exponent * np.power(x, exponent - 1), x.shape)]


def clamp(g, x, lo, hi):
    """``min(max(x, lo), hi)`` with ``lo < hi`` and x at neither bound."""
    g = np.broadcast_to(g, np.broadcast_shapes(g.shape, x.shape, lo.shape, hi.shape))
    inside = (x > lo) & (x < hi)
    return [_grad(g * inside, x.shape), _grad(g * (x < lo), lo.shape), _grad(g * (x > hi), hi.shape)]


# ----------------------------------------------------------------- reductions


def _restore(g, shape, dim, keepdim):
    """Put a reduced cotangent back in the input's rank, ready to broadcast."""
    if dim is None:
        return np.reshape(g, (1,) * len(shape))
    return g if keepdim else np.expand_dims(g, dim)


def sum_(g, x, dim=None, keepdim=False):
    """``sum(x, dim)``: every reduced element receives its slice's cotangent."""
    return [_grad(np.broadcast_to(_restore(g, x.shape, dim, keepdim), x.shape), x.shape)]


def mean(g, x, dim=None, keepdim=False):
    """``mean(x, dim)``: the slice's cotangent divided by the slice's length."""
    n = x.size if dim is None else x.shape[dim]
    return [_grad(np.broadcast_to(_restore(g, x.shape, dim, keepdim), x.shape) / n, x.shape)]


def _extreme(pick):
    def vjp(g, x, dim=None, keepdim=False):
        """The whole cotangent goes to the (unique) extreme element."""
        chosen = x == pick(x, axis=dim, keepdims=True)
        return [_grad(np.broadcast_to(_restore(g, x.shape, dim, keepdim), x.shape) * chosen, x.shape)]
    return vjp


amax, amin = _extreme(np.max), _extreme(np.min)


def max_values(g, x, dim, keepdim=False):
    """``torch.max(x, dim).values``: as :func:`amax` along ``dim``."""
    return amax(g, x, dim, keepdim)


def min_values(g, x, dim, keepdim=False):
    """``torch.min(x, dim).values``: as :func:`amin` along ``dim``."""
    return amin(g, x, dim, keepdim)


# ----------------------------------------------------------------- linear algebra and activations


def matmul(g, a, b):
    """``a @ b`` for every shape ``torch.matmul`` accepts: 1-d operands are
    promoted (a row / a column) and the promoted dimension removed again;
    batch dimensions broadcast and their gradients are summed back."""
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g2 = np.asarray(g, dtype=np.float64)
    # Put back the dimensions the 1-d promotions removed: m (last) first.
    if b.ndim == 1:
        g2 = np.expand_dims(g2, -1)
    if a.ndim == 1:
        g2 = np.expand_dims(g2, -2)
    ga = g2 @ np.swapaxes(b2, -1, -2)
    gb = np.swapaxes(a2, -1, -2) @ g2
    sa = np.abs(g2) @ np.swapaxes(np.abs(b2), -1, -2)
    sb = np.swapaxes(np.abs(a2), -1, -2) @ np.abs(g2)
    return [Grad(unbroadcast(ga, a2.shape).reshape(a.shape), unbroadcast(sa, a2.shape).reshape(a.shape)),
            Grad(unbroadcast(gb, b2.shape).reshape(b.shape), unbroadcast(sb, b2.shape).reshape(b.shape))]


def softmax(g, x, dim):
    """``softmax(x, dim)``: ``y * (g - sum(g * y, dim))`` with ``y`` the softmax
    (Jacobian ``diag(y) - y y^T``, Bishop, Pattern Recognition and Machine Learning, eq. 4.106)."""
    y = nn_ref.softmax(x, axis=dim)
    return [_grad(nn_ref.softmax_backward(g, y, axis=dim), x.shape,
                  y * (np.abs(g) + np.sum(np.abs(g) * y, axis=dim, keepdims=True)))]


def log_softmax(g, x, dim):
    """``log_softmax(x, dim)``: ``g - softmax(x) * sum(g, dim)`` (Jacobian ``I - 1 softmax^T``)."""
    y = nn_ref.log_softmax(x, axis=dim)
    return [_grad(nn_ref.log_softmax_backward(g, y, axis=dim), x.shape,
                  np.abs(g) + np.exp(y) * np.sum(np.abs(g), axis=dim, keepdims=True))]


# ----------------------------------------------------------------- losses (reduction "mean" or "sum": scalar g)


def mse_loss(g, pred, target, reduction="mean"):
    """``F.mse_loss(pred, target, reduction)`` with a scalar ``g``: the gradients
    of ``pred`` and of ``target`` (``2 (pred - target) / n`` for "mean")."""
    _, d = nn_ref.mse_loss(pred, target, reduction)
    return [_grad(g * d, pred.shape), _grad(-g * d, target.shape)]


def cross_entropy(g, logits, target, reduction="mean"):
    """``F.cross_entropy(logits, target, reduction)`` with int64 class-index
    ``target`` of shape (N,) and logits (N, C): the gradient of the logits,
    ``softmax(logits) - onehot(target)`` (divided by N for "mean")."""
    _, d = nn_ref.cross_entropy(logits, target, reduction=reduction)
    return [_grad(g * d, logits.shape)]


def binary_cross_entropy(g, p, target, reduction="mean"):
    """``F.binary_cross_entropy(p, target, reduction)``: the gradient of the
    probabilities ``p`` (kept inside (0, 1)), ``(p - t) / (p (1 - p))``
    (divided by the element count for "mean")."""
    _, d = nn_ref.binary_cross_entropy(p, target, reduction=reduction)
    return [_grad(g * d, p.shape)]


# ----------------------------------------------------------------- shape ops: gradients routed back


def reshape(g, x, shape):
    """``x.reshape(shape)``: the cotangent reshaped back to ``x.shape``."""
    return [_grad(np.reshape(g, x.shape), x.shape)]


def transpose(g, x, dim0, dim1):
    """``x.transpose(dim0, dim1)``: the cotangent with the two dims swapped back."""
    return [_grad(np.swapaxes(g, dim0, dim1), x.shape)]


def cat(g, *xs, dim=0):
    """``torch.cat(xs, dim)``: each input receives its own slab of the cotangent."""
    cuts = np.cumsum([x.shape[dim] for x in xs])[:-1]
    return [_grad(part, x.shape) for part, x in zip(np.split(g, cuts, axis=dim), xs)]


def stack(g, *xs, dim=0):
    """``torch.stack(xs, dim)``: input ``i`` receives the cotangent at index ``i`` of ``dim``."""
    return [_grad(np.take(g, i, axis=dim), x.shape) for i, x in enumerate(xs)]


def index_select(g, x, dim, index):
    """Repeated indices add up: ``np.add.at`` scatters with accumulation."""
    full = np.zeros(x.shape)
    moved = np.moveaxis(full, dim, 0)
    np.add.at(moved, index, np.moveaxis(np.asarray(g, dtype=np.float64), dim, 0))
    terms = np.zeros(x.shape)
    np.add.at(np.moveaxis(terms, dim, 0), index, np.moveaxis(np.abs(g), dim, 0))
    return [Grad(full, terms)]
