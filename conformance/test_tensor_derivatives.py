"""Every derivative order of torch's shape, indexing, scan, reduction,
order-statistic and complex-view families (issue 14, item 4), against
nested central differences of NumPy twins.

Each row calls one public family with representative non-default options
(a negative or non-leading ``dim``, ``keepdim``, an offset, repeated
indices that accumulate); a second row of a family changes its derivative
formula (a full reduction instead of one along a dim, overlapping windows).
Index tensors, masks, ``dim`` and sizes are closed over, built on the
input's device.

Two constructions keep the difference quotients meaningful:

* Most of these families are linear or piecewise linear (a few, the
  trapezoid rules and the variance, of degree two), so their own third
  derivatives are 0, and a central difference of order three cannot tell 0
  from its rounding noise (about 1e-6 at inputs of size 1). Those rows
  differentiate the family followed by the fixed polynomial ``y + y**3 / 3``
  (:func:`swell`): the first derivative is the family's VJP or JVP applied
  to ``(1 + y**2) g``, and the second and third differentiate the family's
  backward itself (the backward of a backward).
* Order statistics (sort, max, median, quantile, cummax, ...) are
  differentiable only where the values are distinct, and a drawn array
  holds ties most of the time. Their rows add fixed, well-separated offsets
  (a fixed shuffle of ``0, 1, 2, ...``) to inputs drawn in ``(-0.45, 0.45)``
  inside both twins, so every value keeps a gap of 0.1 from every other,
  beyond any step of the differences (``3h < 0.02``); the offsets also keep
  ``std``'s slices away from zero spread, where it has a kink.

Complex inputs are two real inputs, combined by ``torch.complex`` in torch
and ``a + 1j * b`` in NumPy; complex results are compared through their
real view.

Orders torch lacks or gets wrong on 2.13.0 are left out of those rows and
checked in full by ``test_derivative_deviations`` (strict xfail, one known
deviation each, see :data:`DEVIATIONS`), with two example tests of their
own: ``as_strided_scatter``'s reverse-mode gradient with respect to its
input (inverted) and ``conj``'s vmap (``vmap-imag-of-conjugate-view``, whose
example lives with the FFT rows).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np
import pytest
import scipy.integrate
import scipy.special
import torch
from hypothesis import Phase, given, settings, strategies as st

from torchconform import oracle
from torchconform.derivative_orders import ORDERS, Differentiable, budgeted, check, params
from torchconform.gradcheck import Domain
from torchconform.references import finite_diff

pytestmark = [pytest.mark.area("shape"), pytest.mark.capability("grad")]

ALL = tuple(ORDERS)
#: inputs shifted by distinct offsets are drawn here: a gap of 0.1 is left between neighbours
NEAR_ZERO = Domain((-0.45, 0.45))
AWAY_FROM_ZERO = Domain((-3.0, 3.0), avoid=(0.0,))
POSITIVE = Domain((0.2, 3.0))


def swell(y):
    """``y + y**3 / 3`` of a tensor or an array (real or complex): a fixed
    smooth map after a (piecewise) linear family, so that its higher
    derivatives exercise the family's backward (see the module docstring)."""
    return y + y * y * y / 3


def _offsets(name: str, shapes: tuple[tuple[int, ...], ...]) -> list[np.ndarray]:
    """One fixed shuffle of ``0, 1, ..., n - 1`` over all elements of
    ``shapes`` (centred on 0), split into one array per input: distinct
    values a unit apart, the shuffle seeded by the row's name."""
    sizes = [int(np.prod(s)) for s in shapes]
    rng = np.random.default_rng(sum(map(ord, name)))
    values = rng.permutation(sum(sizes)).astype(np.float64) - (sum(sizes) - 1) / 2
    return [part.reshape(s) for part, s in zip(np.split(values, np.cumsum(sizes)[:-1]), shapes)]


def _shifted_torch(fn: Callable, offsets: list[np.ndarray]) -> Callable:
    return lambda *xs: fn(*[x + torch.as_tensor(o, dtype=x.dtype, device=x.device) for x, o in zip(xs, offsets)])


def _shifted_numpy(fn: Callable, offsets: list[np.ndarray]) -> Callable:
    return lambda *xs: fn(*[x + o for x, o in zip(xs, offsets)])


def _swelled_torch(fn: Callable) -> Callable:
    return lambda *xs: swell(fn(*xs))


def _swelled_numpy(fn: Callable) -> Callable:
    return lambda *xs: swell(np.asarray(fn(*xs)))


def row(name: str, torch_fn: Callable, numpy_fn: Callable, *shapes: tuple[int, ...], variant: str = "",
        linear: bool = True, distinct: bool = False, domains: tuple[Domain, ...] = (Domain(),),
        orders: tuple[str, ...] = ALL) -> Differentiable:
    """A :class:`Differentiable` of ``name``: ``linear`` families (linear,
    piecewise linear, or of degree two, whose third derivative is 0 too)
    get :func:`swell` after them; ``distinct`` rows draw their
    inputs near zero and add the row's fixed offsets (see the module
    docstring) in both twins."""
    if distinct:
        offsets = _offsets(name + variant, shapes)
        domains = (NEAR_ZERO,)
        torch_fn, numpy_fn = _shifted_torch(torch_fn, offsets), _shifted_numpy(numpy_fn, offsets)
    if linear:
        torch_fn, numpy_fn = _swelled_torch(torch_fn), _swelled_numpy(numpy_fn)
    return Differentiable(name, torch_fn, numpy_fn, shapes=shapes, domains=domains, orders=orders, variant=variant)


def _on(x: torch.Tensor, values, dtype=None) -> torch.Tensor:
    """A constant (index, mask) on ``x``'s device."""
    return torch.as_tensor(np.asarray(values), dtype=dtype, device=x.device)


def _scatter_numpy(x, index, src, dim, reduce="sum", include_self=True):
    """``torch.scatter_reduce`` in NumPy, 2-d, by its definition: each
    ``out[i][index[i][j]]`` (``dim=1``) or ``out[index[i][j]][j]``
    (``dim=0``) reduces ``src[i][j]`` and, with ``include_self``, its own
    value; untouched positions keep ``x``."""
    groups: dict[tuple[int, int], list] = {}
    for i, j in np.ndindex(index.shape):
        at = (i, int(index[i, j])) if dim == 1 else (int(index[i, j]), j)
        groups.setdefault(at, []).append(src[i, j])
    out = np.array(x, dtype=np.result_type(x, src), copy=True)
    for at, values in groups.items():
        values = ([x[at]] if include_self else []) + values
        out[at] = {"sum": np.sum, "prod": np.prod, "amax": np.max, "amin": np.min, "mean": np.mean}[reduce](values)
    return out


def _index_reduce_numpy(x, index, src, reduce, include_self):
    """``Tensor.index_reduce`` along dim 0 in NumPy: row ``index[k]`` of the
    result reduces ``src[k]`` (and the row of ``x`` with ``include_self``)."""
    out = np.array(x, copy=True)
    for target in set(index.tolist()):
        rows = [src[k] for k in range(len(index)) if index[k] == target]
        rows = ([x[target]] if include_self else []) + rows
        out[target] = {"prod": np.prod, "mean": np.mean, "amax": np.max}[reduce](np.stack(rows), axis=0)
    return out


def _add_at(x, flat_index, values):
    out = np.array(x, copy=True).ravel()
    np.add.at(out, flat_index, values)
    return out.reshape(np.shape(x))


def _diag_embed_numpy(x, offset, dim1, dim2):
    n = x.shape[-1] + abs(offset)
    out = np.zeros(x.shape[:-1] + (n, n))
    i = np.arange(x.shape[-1])
    rows, cols = (i, i + offset) if offset >= 0 else (i - offset, i)
    out[..., rows, cols] = x
    return np.moveaxis(out, (-2, -1), (dim1, dim2))


def _with(x, at, values):
    out = np.array(x, copy=True)
    out[at] = values
    return out


def _c(a, b):
    return a + 1j * b


def _stack_named(pair):
    return torch.stack(tuple(pair))


def _as_strided_scatter(x, s):
    # size, stride and offset address the input's storage, so a view of a
    # drawn layout would scatter elsewhere: the input is made contiguous
    return torch.as_strided_scatter(x.contiguous(), s, (2, 2), (1, 2), 1)


def _as_strided_scatter_numpy(x, s):
    # element (i, j) of the strided view is position 1 + i + 2 j
    return _with(x, np.array([[1, 3], [2, 4]]), s)


AS_STRIDED_BASE = np.array([0.5, -1.0, 2.0, 1.5, -2.5, 1.0])
MASK = [[True, False, True], [False, False, True]]
SCATTER_INDEX = [[2, 0], [1, 2]]  # distinct within each row: plain scatter is deterministic
REPEATED_INDEX = [[2, 2], [0, 2]]  # repeated: contributions accumulate

# Rows with orders torch lacks or gets wrong, in full: ROWS keep the orders
# torch has, test_derivative_deviations checks the others (known deviations
# named there). Products are drawn away from 0, where torch's backward of a
# product over several zeros raises (a documented restriction, not checked).
SCATTER_PROD = row("torch.scatter_reduce", lambda x, s: torch.scatter_reduce(x, 1, _on(x, REPEATED_INDEX), s, "prod"),
                   lambda x, s: _scatter_numpy(x, np.array(REPEATED_INDEX), s, 1, "prod"), (2, 3), (2, 2),
                   variant="prod", linear=False, domains=(AWAY_FROM_ZERO,))
INDEX_PROD = row("torch.index_reduce", lambda x, s: torch.index_reduce(x, 0, _on(x, [0, 2, 0]), s, "prod"),
                 lambda x, s: _index_reduce_numpy(x, np.array([0, 2, 0]), s, "prod", True), (3, 2), (3, 2),
                 linear=False, domains=(AWAY_FROM_ZERO,))
INDEX_MEAN = row("torch.index_reduce",
                 lambda x, s: torch.index_reduce(x, 0, _on(x, [0, 2, 0]), s, "mean", include_self=False),
                 lambda x, s: _index_reduce_numpy(x, np.array([0, 2, 0]), s, "mean", False), (3, 2), (3, 2),
                 variant="mean,include_self=False")
MASKED_SCATTER = row("torch.masked_scatter", lambda x, s: torch.masked_scatter(x, _on(x, MASK), s),
                     lambda x, s: _with(x, np.array(MASK), s.ravel()[:3]), (2, 3), (2, 2))
AS_STRIDED_SRC = row("torch.as_strided_scatter", lambda s: _as_strided_scatter(_on(s, AS_STRIDED_BASE, s.dtype), s),
                     lambda s: _as_strided_scatter_numpy(AS_STRIDED_BASE, s), (2, 2), variant="src")
LOGCUMSUMEXP = row("torch.logcumsumexp", lambda x: torch.logcumsumexp(x, 0),
                   lambda x: np.logaddexp.accumulate(x, 0), (3, 2), linear=False)

JOINING = [
    row("torch.cat", lambda a, b: torch.cat([a, b], dim=1), lambda a, b: np.concatenate([a, b], axis=1), (2, 2), (2, 3)),
    row("torch.concat", lambda a, b: torch.concat([a, b], dim=-2), lambda a, b: np.concatenate([a, b], axis=-2),
        (1, 3), (2, 3)),
    row("torch.concatenate", lambda a, b: torch.concatenate([a, b], 0), lambda a, b: np.concatenate([a, b], 0),
        (3,), (2,)),
    row("torch.stack", lambda a, b: torch.stack([a, b], dim=1), lambda a, b: np.stack([a, b], axis=1), (2, 3), (2, 3)),
    row("torch.hstack", lambda a, b: torch.hstack([a, b]), lambda a, b: np.hstack([a, b]),
        (2, 2), (2, 1)),
    row("torch.vstack", lambda a, b: torch.vstack([a, b]), lambda a, b: np.vstack([a, b]), (3,), (2, 3)),
    row("torch.row_stack", lambda a, b: torch.row_stack([a, b]), lambda a, b: np.vstack([a, b]), (3,), (3,)),
    row("torch.dstack", lambda a, b: torch.dstack([a, b]), lambda a, b: np.dstack([a, b]), (2, 2), (2, 2)),
    row("torch.column_stack", lambda a, b: torch.column_stack([a, b]), lambda a, b: np.column_stack([a, b]),
        (3,), (3, 2)),
]

SPLITTING = [
    row("torch.chunk", lambda x: torch.chunk(x, 3, dim=0)[1], lambda x: x[2:4], (5, 2)),
    row("torch.split", lambda x: torch.split(x, 2, dim=0)[2], lambda x: x[4:], (5, 2)),
    row("torch.split_with_sizes", lambda x: torch.split_with_sizes(x, [1, 3, 1], 0)[1], lambda x: x[1:4], (5, 2)),
    row("torch.tensor_split", lambda x: torch.tensor_split(x, [1, 3], dim=1)[1], lambda x: x[:, 1:3], (2, 5)),
    row("torch.tensor_split", lambda x: torch.tensor_split(x, 3, dim=1)[2], lambda x: x[:, 4:], (2, 5),
        variant="sections=3"),
    row("torch.hsplit", lambda x: torch.hsplit(x, 2)[1], lambda x: x[:, 2:], (2, 4)),
    row("torch.vsplit", lambda x: torch.vsplit(x, [1])[1], lambda x: x[1:], (4, 2)),
    row("torch.dsplit", lambda x: torch.dsplit(x, 2)[0], lambda x: x[..., :2], (1, 2, 4)),
    row("torch.unbind", lambda x: torch.stack(torch.unbind(x, dim=1)[::-1]), lambda x: np.stack([x[:, 1], x[:, 0]]),
        (3, 2)),
]

REARRANGING = [
    row("torch.flip", lambda x: torch.flip(x, (0, 1)), lambda x: np.flip(x, (0, 1)), (2, 3)),
    row("torch.fliplr", torch.fliplr, np.fliplr, (2, 3)),
    row("torch.flipud", torch.flipud, np.flipud, (2, 3)),
    row("torch.roll", lambda x: torch.roll(x, (1, -2), (0, 1)), lambda x: np.roll(x, (1, -2), (0, 1)), (2, 3)),
    row("torch.roll", lambda x: torch.roll(x, 2), lambda x: np.roll(x, 2), (2, 3), variant="flattened"),
    row("torch.rot90", lambda x: torch.rot90(x, 3, (0, 1)), lambda x: np.rot90(x, 3, (0, 1)), (2, 3)),
    row("torch.tril", lambda x: torch.tril(x, 1), lambda x: np.tril(x, 1), (3, 4)),
    row("torch.triu", lambda x: torch.triu(x, -1), lambda x: np.triu(x, -1), (3, 4)),
    row("torch.diag", lambda x: torch.diag(x, 1), lambda x: np.diag(x, 1), (3,)),
    row("torch.diag", lambda x: torch.diag(x, -1), lambda x: np.diag(x, -1), (3, 4), variant="matrix"),
    row("torch.diag_embed", lambda x: torch.diag_embed(x, offset=1, dim1=0, dim2=2),
        lambda x: _diag_embed_numpy(x, 1, 0, 2), (2, 3)),
    row("torch.diagflat", lambda x: torch.diagflat(x, -1), lambda x: np.diagflat(x, -1), (2, 2)),
    row("torch.diagonal", lambda x: torch.diagonal(x, offset=-1, dim1=2, dim2=0),
        lambda x: np.diagonal(x, -1, 2, 0), (3, 2, 2)),
    row("torch.select", lambda x: torch.select(x, 1, -1), lambda x: x[:, -1], (2, 3, 2)),
    row("torch.narrow", lambda x: torch.narrow(x, 1, 1, 2), lambda x: x[:, 1:3], (3, 4)),
    row("torch.squeeze", lambda x: torch.squeeze(x, 1), lambda x: np.squeeze(x, 1), (2, 1, 3)),
    row("torch.unsqueeze", lambda x: torch.unsqueeze(x, -1), lambda x: x[..., None], (2, 3)),
    row("torch.permute", lambda x: torch.permute(x, (2, 0, 1)), lambda x: np.transpose(x, (2, 0, 1)), (2, 1, 3)),
    row("torch.movedim", lambda x: torch.movedim(x, (0, 1), (2, 0)), lambda x: np.moveaxis(x, (0, 1), (2, 0)),
        (2, 3, 2)),
    row("torch.moveaxis", lambda x: torch.moveaxis(x, 0, -1), lambda x: np.moveaxis(x, 0, -1), (2, 3, 1)),
    row("torch.swapaxes", lambda x: torch.swapaxes(x, 0, 2), lambda x: np.swapaxes(x, 0, 2), (2, 3, 2)),
    row("torch.swapdims", lambda x: torch.swapdims(x, 0, 1), lambda x: np.swapaxes(x, 0, 1), (2, 3)),
    row("torch.t", torch.t, np.transpose, (2, 3)),
    row("torch.transpose", lambda x: torch.transpose(x, 0, -1), lambda x: np.swapaxes(x, 0, -1), (2, 3, 2)),
    row("torch.reshape", lambda x: torch.reshape(x, (3, -1)), lambda x: np.reshape(x, (3, -1)), (2, 3, 2)),
    # splitting the last dim: a view of every drawn layout
    row("torch.view", lambda x: x.view(2, 2, 3), lambda x: x.reshape(2, 2, 3), (2, 6)),
    row("torch.view_as", lambda x: x.view_as(torch.empty(2, 3, device=x.device)), lambda x: x.reshape(2, 3), (6,)),
    row("torch.reshape_as", lambda x: x.reshape_as(torch.empty(3, 2, device=x.device)), lambda x: x.reshape(3, 2),
        (2, 3)),
    row("torch.flatten", lambda x: torch.flatten(x, 1), lambda x: x.reshape(2, -1), (2, 3, 2)),
    row("torch.unflatten", lambda x: torch.unflatten(x, 1, (3, 2)), lambda x: x.reshape(2, 3, 2), (2, 6)),
    row("torch.expand", lambda x: x.expand(3, 2, 2), lambda x: np.broadcast_to(x, (3, 2, 2)), (2, 1)),
    row("torch.expand_as", lambda x: x.expand_as(torch.empty(2, 3, device=x.device)),
        lambda x: np.broadcast_to(x, (2, 3)), (1, 3)),
    row("torch.broadcast_to", lambda x: torch.broadcast_to(x, (2, 3, 2)), lambda x: np.broadcast_to(x, (2, 3, 2)),
        (3, 1)),
    row("torch.repeat", lambda x: x.repeat(2, 1, 2), lambda x: np.tile(x, (2, 1, 2)), (2, 3)),
    row("torch.repeat_interleave", lambda x: torch.repeat_interleave(x, 2, dim=1), lambda x: np.repeat(x, 2, 1), (2, 3)),
    row("torch.repeat_interleave", lambda x: torch.repeat_interleave(x, _on(x, [1, 0, 2]), dim=1),
        lambda x: np.repeat(x, [1, 0, 2], axis=1), (2, 3), variant="repeats=[1,0,2]"),
    row("torch.tile", lambda x: torch.tile(x, (2,)), lambda x: np.tile(x, (2,)), (2, 3)),
    row("torch.unfold", lambda x: x.unfold(1, 2, 2),
        lambda x: np.lib.stride_tricks.sliding_window_view(x, 2, axis=1)[:, ::2], (2, 5)),
    row("torch.unfold", lambda x: x.unfold(1, 3, 1), lambda x: np.lib.stride_tricks.sliding_window_view(x, 3, axis=1),
        (2, 4), variant="overlapping"),
    row("torch.clone", lambda x: torch.clone(x, memory_format=torch.contiguous_format), lambda x: x, (2, 3)),
    row("torch.contiguous", lambda x: x.contiguous(), lambda x: x, (2, 3)),
]

INDEXING = [
    row("torch.gather", lambda x: torch.gather(x, 1, _on(x, [[2, 0], [1, 1]])),
        lambda x: np.take_along_axis(x, np.array([[2, 0], [1, 1]]), 1), (2, 3)),
    row("torch.scatter", lambda x, s: torch.scatter(x, 1, _on(x, SCATTER_INDEX), s),
        lambda x, s: _scatter_numpy(x, np.array(SCATTER_INDEX), s, 1, include_self=False), (2, 3), (2, 2)),
    row("torch.scatter_add", lambda x, s: torch.scatter_add(x, 1, _on(x, REPEATED_INDEX), s),
        lambda x, s: _scatter_numpy(x, np.array(REPEATED_INDEX), s, 1), (2, 3), (2, 2)),
    row("torch.scatter_reduce", lambda x, s: torch.scatter_reduce(x, 0, _on(x, [[1, 1, 0]]), s, "sum"),
        lambda x, s: _scatter_numpy(x, np.array([[1, 1, 0]]), s, 0), (2, 3), (1, 3)),
    replace(SCATTER_PROD, orders=("reverse", "third")),
    row("torch.scatter_reduce", lambda x, s: torch.scatter_reduce(x, 1, _on(x, REPEATED_INDEX), s, "mean",
                                                                  include_self=False),
        lambda x, s: _scatter_numpy(x, np.array(REPEATED_INDEX), s, 1, "mean", include_self=False), (2, 3), (2, 2),
        variant="mean,include_self=False"),
    row("torch.scatter_reduce", lambda x, s: torch.scatter_reduce(x, 1, _on(x, REPEATED_INDEX), s, "amax"),
        lambda x, s: _scatter_numpy(x, np.array(REPEATED_INDEX), s, 1, "amax"), (2, 3), (2, 2), variant="amax",
        distinct=True),
    row("torch.index_add", lambda x, s: torch.index_add(x, 0, _on(x, [2, 0, 2]), s, alpha=2.0),
        lambda x, s: _add_at(x, np.array([4, 5, 0, 1, 4, 5]), 2.0 * s.ravel()), (3, 2), (3, 2)),
    row("torch.index_copy", lambda x, s: torch.index_copy(x, 0, _on(x, [2, 0]), s),
        lambda x, s: _with(x, [2, 0], s), (3, 2), (2, 2)),
    row("torch.index_fill", lambda x: torch.index_fill(x, 1, _on(x, [1]), -1.5), lambda x: _with(x, (slice(None), 1), -1.5),
        (3, 2)),
    row("torch.index_put", lambda x, v: torch.index_put(x, (_on(x, [0, 2, 0]), _on(x, [1, 1, 1])), v, accumulate=True),
        lambda x, v: _add_at(x, np.array([1, 5, 1]), v), (3, 2), (3,)),
    replace(INDEX_PROD, orders=("reverse", "third")),
    replace(INDEX_MEAN, orders=("reverse", "third", "vmap")),
    row("torch.index_select", lambda x: torch.index_select(x, 0, _on(x, [2, 0, 2])), lambda x: x[[2, 0, 2]], (3, 2)),
    row("torch.masked_fill", lambda x: torch.masked_fill(x, _on(x, MASK), 0.5), lambda x: np.where(MASK, 0.5, x),
        (2, 3)),
    replace(MASKED_SCATTER, orders=("reverse", "forward", "third", "vmap")),
    row("torch.masked_select", lambda x: torch.masked_select(x, _on(x, MASK)), lambda x: x[np.array(MASK)], (2, 3)),
    row("torch.take", lambda x: torch.take(x, _on(x, [[5, 0], [2, 2]])), lambda x: np.take(x, [[5, 0], [2, 2]]), (2, 3)),
    row("torch.take_along_dim", lambda x: torch.take_along_dim(x, _on(x, [[1], [0]]), dim=1),
        lambda x: np.take_along_axis(x, np.array([[1], [0]]), 1), (2, 3)),
    row("torch.put", lambda x, s: torch.put(x, _on(x, [4, 0, 4]), s, accumulate=True),
        lambda x, s: _add_at(x, np.array([4, 0, 4]), s), (2, 3), (3,)),
    row("torch.diagonal_scatter", lambda x, s: torch.diagonal_scatter(x, s, 1),
        lambda x, s: _with(x, (np.arange(3), np.arange(1, 4)), s), (3, 4), (3,)),
    row("torch.select_scatter", lambda x, s: torch.select_scatter(x, s, 0, 1), lambda x, s: _with(x, 1, s), (2, 3), (3,)),
    row("torch.slice_scatter", lambda x, s: torch.slice_scatter(x, s, 0, 1, 4, 2),
        lambda x, s: _with(x, slice(1, 4, 2), s), (4, 3), (2, 3)),
    # reverse mode with respect to the input is wrong (as-strided-scatter-input-gradient-inverted):
    # forward mode with respect to both, every order with respect to src alone
    row("torch.as_strided_scatter", _as_strided_scatter, _as_strided_scatter_numpy, (6,), (2, 2), orders=("forward",)),
    replace(AS_STRIDED_SRC, orders=("reverse", "forward", "second", "third")),
    row("torch.where", lambda x, y: torch.where(_on(x, MASK), x, y), lambda x, y: np.where(MASK, x, y), (2, 3), (3,)),
]

SCANS_AND_REDUCTIONS = [
    row("torch.cumsum", lambda x: torch.cumsum(x, 1), lambda x: np.cumsum(x, 1), (2, 3)),
    row("torch.cumprod", lambda x: torch.cumprod(x, 0), lambda x: np.cumprod(x, 0), (3, 2), linear=False),
    replace(LOGCUMSUMEXP, orders=("reverse", "forward", "second", "vmap")),
    row("torch.cumulative_trapezoid", lambda y, x: torch.cumulative_trapezoid(y, x, dim=1),
        lambda y, x: scipy.integrate.cumulative_trapezoid(y, x, axis=1), (2, 4), (4,)),
    row("torch.trapezoid", lambda y, x: torch.trapezoid(y, x, dim=-1), lambda y, x: np.trapezoid(y, x, axis=-1),
        (2, 3), (3,)),
    row("torch.trapz", lambda y: torch.trapz(y, dx=0.5, dim=0), lambda y: np.trapezoid(y, dx=0.5, axis=0), (3, 2)),
    row("torch.diff", lambda x, p: torch.diff(x, n=2, dim=1, prepend=p), lambda x, p: np.diff(x, 2, axis=1, prepend=p),
        (2, 3), (2, 1)),
    row("torch.sum", lambda x: torch.sum(x, (0, 2), keepdim=True), lambda x: np.sum(x, (0, 2), keepdims=True),
        (2, 3, 2)),
    row("torch.nansum", lambda x: torch.nansum(x, 1), lambda x: np.nansum(x, 1), (2, 3)),
    row("torch.mean", lambda x: torch.mean(x, (1,), keepdim=True), lambda x: np.mean(x, (1,), keepdims=True), (2, 3)),
    row("torch.nanmean", lambda x: torch.nanmean(x, 0), lambda x: np.nanmean(x, 0), (3, 2)),
    row("torch.prod", lambda x: torch.prod(x, 1), lambda x: np.prod(x, 1), (2, 3), linear=False),
    row("torch.prod", torch.prod, np.prod, (2, 3), linear=False, variant="all"),
    row("torch.std", lambda x: torch.std(x, 1, correction=0), lambda x: np.std(x, 1, ddof=0), (2, 3), linear=False,
        distinct=True),
    row("torch.var", lambda x: torch.var(x, (0, 1), correction=2, keepdim=True),
        lambda x: np.var(x, (0, 1), ddof=2, keepdims=True), (2, 3)),
    row("torch.norm", lambda x: torch.norm(x, p=3, dim=1), lambda x: np.linalg.norm(x, 3, axis=1), (2, 3),
        linear=False, domains=(AWAY_FROM_ZERO,)),
    row("torch.norm", torch.norm, lambda x: np.linalg.norm(x.ravel()), (2, 3), linear=False,
        domains=(AWAY_FROM_ZERO,), variant="fro"),
    row("torch.logsumexp", lambda x: torch.logsumexp(x, 1), lambda x: scipy.special.logsumexp(x, 1), (2, 3),
        linear=False),
    row("torch.dist", lambda x, y: torch.dist(x, y, 2), lambda x, y: np.linalg.norm((x - y).ravel()), (2, 3), (2, 3),
        linear=False, distinct=True),
]

ORDER_STATISTICS = [
    row("torch.amax", lambda x: torch.amax(x, 1), lambda x: np.amax(x, 1), (2, 3), distinct=True),
    row("torch.amin", lambda x: torch.amin(x, (0, 1)), lambda x: np.amin(x, (0, 1)), (2, 3), distinct=True),
    row("torch.max", lambda x: torch.max(x, 1).values, lambda x: np.max(x, 1), (2, 3), distinct=True),
    row("torch.max", torch.max, np.max, (2, 3), distinct=True, variant="all"),
    row("torch.max", torch.max, np.maximum, (2, 3), (3,), distinct=True, variant="binary"),
    row("torch.min", lambda x: torch.min(x, 0, keepdim=True).values, lambda x: np.min(x, 0, keepdims=True), (3, 2),
        distinct=True),
    row("torch.aminmax", lambda x: _stack_named(torch.aminmax(x, dim=1)), lambda x: np.stack([x.min(1), x.max(1)]),
        (2, 3), distinct=True),
    row("torch.cummax", lambda x: torch.cummax(x, 1).values, lambda x: np.maximum.accumulate(x, 1), (2, 3),
        distinct=True),
    row("torch.cummin", lambda x: torch.cummin(x, 0).values, lambda x: np.minimum.accumulate(x, 0), (3, 2),
        distinct=True),
    row("torch.sort", lambda x: torch.sort(x, 0, descending=True).values, lambda x: -np.sort(-x, 0), (3, 2),
        distinct=True),
    row("torch.msort", torch.msort, lambda x: np.sort(x, 0), (3, 2), distinct=True),
    row("torch.topk", lambda x: torch.topk(x, 2, dim=1, largest=False).values, lambda x: np.sort(x, 1)[:, :2], (2, 4),
        distinct=True),
    row("torch.kthvalue", lambda x: torch.kthvalue(x, 2, 1).values, lambda x: np.sort(x, 1)[:, 1], (2, 3),
        distinct=True),
    # an even count: torch's median is the lower of the middle two
    row("torch.median", lambda x: torch.median(x, 1).values, lambda x: np.sort(x, 1)[:, 1], (2, 4), distinct=True),
    row("torch.median", torch.median, np.median, (5,), distinct=True, variant="all"),
    row("torch.nanmedian", lambda x: torch.nanmedian(x, 0).values, lambda x: np.nanmedian(x, 0), (3, 2),
        distinct=True),
    row("torch.quantile", lambda x: torch.quantile(x, 0.3, dim=1), lambda x: np.quantile(x, 0.3, axis=1), (2, 4),
        distinct=True),
    row("torch.quantile", lambda x: torch.quantile(x, _on(x, [0.25, 0.6], x.dtype), dim=0, interpolation="midpoint"),
        lambda x: np.quantile(x, [0.25, 0.6], axis=0, method="midpoint"), (4, 2), distinct=True,
        variant="midpoint,q=[0.25,0.6]"),
    row("torch.nanquantile", lambda x: torch.nanquantile(x, 0.7, dim=0, keepdim=True),
        lambda x: np.nanquantile(x, 0.7, axis=0, keepdims=True), (3, 2), distinct=True),
]

COPIES = [
    row("torch.alias_copy", torch.alias_copy, lambda x: x, (2, 3)),
    row("torch.view_copy", lambda x: torch.view_copy(x, (2, 3)), lambda x: x.reshape(2, 3), (6,)),
    row("torch.permute_copy", lambda x: torch.permute_copy(x, (1, 0)), np.transpose, (2, 3)),
    row("torch.transpose_copy", lambda x: torch.transpose_copy(x, 0, 2), lambda x: np.swapaxes(x, 0, 2), (2, 1, 3)),
    row("torch.diagonal_copy", lambda x: torch.diagonal_copy(x, 1), lambda x: np.diagonal(x, 1), (3, 4)),
    row("torch.narrow_copy", lambda x: torch.narrow_copy(x, 0, 1, 2), lambda x: x[1:3], (4, 2)),
    row("torch.select_copy", lambda x: torch.select_copy(x, 1, 0), lambda x: x[:, 0], (2, 3)),
    row("torch.expand_copy", lambda x: torch.expand_copy(x, (2, 3)), lambda x: np.broadcast_to(x, (2, 3)), (3,)),
    row("torch.unfold_copy", lambda x: torch.unfold_copy(x, 0, 2, 1),
        lambda x: np.lib.stride_tricks.sliding_window_view(x, 2), (4,)),
    row("torch.unbind_copy", lambda x: torch.stack(torch.unbind_copy(x, 0)[::-1]), lambda x: x[::-1], (3, 2)),
    row("torch.squeeze_copy", lambda x: torch.squeeze_copy(x, 0), lambda x: x[0], (1, 3)),
    row("torch.t_copy", torch.t_copy, np.transpose, (2, 3)),
]

COMPLEX_VIEWS = [
    row("torch.complex", torch.complex, _c, (2, 3), (2, 3)),
    row("torch.view_as_real", lambda a, b: torch.view_as_real(torch.complex(a, b)), lambda a, b: np.stack([a, b], -1),
        (2, 3), (2, 3)),
    row("torch.view_as_complex", lambda a, b: torch.view_as_complex(torch.stack([a, b], -1)), _c, (2, 3), (2, 3)),
    row("torch.real", lambda a, b: torch.real(torch.complex(a, b)), lambda a, b: np.real(_c(a, b)), (2, 3), (2, 3)),
    row("torch.imag", lambda a, b: torch.imag(torch.complex(a, b)), lambda a, b: np.imag(_c(a, b)), (2, 3), (2, 3)),
    # conj's VJP is a conjugate view, whose imaginary part (torch.complex's backward) vmap cannot batch
    # (known deviation vmap-imag-of-conjugate-view)
    row("torch.conj", lambda a, b: torch.conj(torch.complex(a, b)), lambda a, b: np.conj(_c(a, b)), (2, 3), (2, 3),
        orders=("reverse", "forward", "second", "third")),
    row("torch.polar", torch.polar, lambda r, t: r * np.exp(1j * t), (2, 3), (2, 3), linear=False,
        domains=(POSITIVE, Domain())),
    row("torch.angle", lambda a, b: torch.angle(torch.complex(a, b)), lambda a, b: np.angle(_c(a, b)), (2, 3), (2, 3),
        linear=False, domains=(POSITIVE, Domain())),
    row("torch.angle", torch.angle, np.angle, (2, 3), linear=False, domains=(AWAY_FROM_ZERO,), variant="real"),
    row("torch.abs", lambda a, b: torch.abs(torch.complex(a, b)), lambda a, b: np.abs(_c(a, b)), (2, 3), (2, 3),
        linear=False, domains=(AWAY_FROM_ZERO, Domain()), variant="complex"),
]

ROWS = JOINING + SPLITTING + REARRANGING + INDEXING + SCANS_AND_REDUCTIONS + ORDER_STATISTICS + COPIES + COMPLEX_VIEWS


@pytest.mark.parametrize(("op", "order"), params(ROWS))
@budgeted
@given(data=st.data())
def test_shape_derivatives_match_finite_differences(op, order, device, data):
    check(op, order, device, data)


def test_as_strided_scatter_input_gradient(device):
    """Known deviation as-strided-scatter-input-gradient-inverted: the VJP
    of ``as_strided_scatter`` with respect to its input is NumPy's (1 where
    ``src`` does not overwrite, 0 where it does, times the cotangent)."""
    rng = np.random.default_rng(11)
    x, s, g = rng.uniform(-1, 1, 6), rng.uniform(-1, 1, (2, 2)), rng.uniform(-1, 1, 6)
    leaves = [torch.tensor(a, device=device, requires_grad=True) for a in (x, s)]
    got = torch.autograd.grad(_as_strided_scatter(*leaves), leaves, torch.tensor(g, device=device))
    want = finite_diff.directional_gradient(_as_strided_scatter_numpy, [x, s], g, [], 0)
    for name, tensor, expected in zip(("input", "src"), got, want):
        oracle.assert_matches(tensor, expected, torch.float64, kind="finite_difference",
                              what=f"d/d{name} of as_strided_scatter(input, src, (2, 2), (1, 2), 1)")


#: (row, order, known deviation): orders torch lacks or gets wrong, each
#: checked in full (a strict xfail through deviations.toml, matched by the
#: deviation's id at the start of the test id).
DEVIATIONS = [
    (SCATTER_PROD, "forward", "scatter-reduce-prod-forward-ad-drops-tangent"),
    (SCATTER_PROD, "second", "scatter-reduce-prod-forward-ad-drops-tangent"),
    (LOGCUMSUMEXP, "third", "logcumsumexp-third-derivative-nan"),
    (INDEX_PROD, "forward", "index-reduce-no-forward-ad"),
    (INDEX_MEAN, "forward", "index-reduce-no-forward-ad"),
    (INDEX_PROD, "second", "index-reduce-no-forward-ad"),
    (INDEX_MEAN, "second", "index-reduce-no-forward-ad"),
    (MASKED_SCATTER, "second", "masked-scatter-forward-over-reverse-raises"),
    (SCATTER_PROD, "vmap", "vmap-of-vjp-raises"),
    (INDEX_PROD, "vmap", "vmap-of-vjp-raises"),
    (AS_STRIDED_SRC, "vmap", "vmap-of-vjp-raises"),
]


@pytest.mark.parametrize(("op", "order"), [pytest.param(r, o, id=f"{d}:{r}-{o}") for r, o, d in DEVIATIONS])
# The first failing draw is the evidence; shrinking it (dozens of nested
# differences) would only make the expected failure slow.
@settings(phases=(Phase.explicit, Phase.generate))
@given(data=st.data())
def test_derivative_deviations(op, order, device, data):
    check(op, order, device, data)
