"""Hypothesis strategies for indices, masks, dims and splits: the inputs of
the indexing, shape and view checks (conformance/test_indexing.py,
test_shape.py, test_views.py).

Every strategy draws plain Python / NumPy values, never tensors, so the same
index is applied to the NumPy twin as the reference. Arguments are checked
at once and a bad one raises ``InvalidArgument`` naming it.

Shrinking, in general: indices shrink towards 0 and towards fewer index
entries, slices towards ``:``, dims towards 0, masks towards all-False and
array indices towards short arrays of zeros.
"""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument


def _check_shape(shape: tuple[int, ...], *, nonempty_first: bool = False) -> None:
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise InvalidArgument(f"shape={shape!r}: sides must be non-negative ints")
    if nonempty_first and (not shape or shape[0] == 0):
        raise InvalidArgument(f"shape={shape!r}: needs at least one dimension with a non-zero first side")


def _positive_steps(index):
    # torch refuses negative slice steps by design (see test_indexing's
    # negative-step example); the property tests draw the positive ones.
    def fix(part):
        if isinstance(part, slice) and part.step is not None and part.step < 0:
            return slice(part.start, part.stop, -part.step)
        return part

    return tuple(fix(p) for p in index) if isinstance(index, tuple) else fix(index)


def basic_indices(shape: tuple[int, ...], *, allow_newaxis: bool = True) -> st.SearchStrategy:
    """NumPy basic indices valid for ``shape``: ints (negative ones too),
    slices with start/stop/step (steps positive), ``...`` and ``None``, alone
    or in a tuple. Shrinks towards ``()``-like indices and ``:`` slices."""
    _check_shape(shape)
    return hnp.basic_indices(shape, allow_newaxis=allow_newaxis, allow_ellipsis=True).map(_positive_steps)


def integer_array_indices(shape: tuple[int, ...], *, max_dims: int = 2) -> st.SearchStrategy:
    """A tuple of int64 index arrays (negative entries included) for the
    leading dims of ``shape``, with broadcast-compatible (equal) shapes of up
    to ``max_dims`` dims, as NumPy advanced indexing takes them. Every side of
    ``shape`` must be non-zero. Shrinks towards one array of zeros."""
    _check_shape(shape)
    if not shape or 0 in shape:
        raise InvalidArgument(f"shape={shape!r}: integer-array indexing needs non-empty sides")
    return hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=max_dims, max_side=4))


def boolean_masks(shape: tuple[int, ...]) -> st.SearchStrategy:
    """A bool array of exactly ``shape`` (masks for ``masked_select`` and
    ``x[mask]``). Shrinks towards all-False."""
    _check_shape(shape)
    return hnp.arrays(np.bool_, shape)


def dims(ndim: int, *, extra: int = 0) -> st.SearchStrategy:
    """A dim for a tensor of ``ndim`` dims, negative forms included:
    ``-(ndim + extra) <= d < ndim + extra`` (``extra=1`` for ``unsqueeze`` and
    ``stack``, which insert a dim). Shrinks towards 0."""
    if ndim + extra < 1:
        raise InvalidArgument(f"ndim={ndim}, extra={extra}: no dim to draw")
    n = ndim + extra
    return st.integers(0, n - 1) | st.integers(-n, -1)


def select_indices(size: int, *, max_len: int = 6) -> st.SearchStrategy:
    """An int64 vector of indices into a dim of ``size`` (repeats allowed,
    non-negative as ``index_select`` requires). Empty when ``size`` is 0.
    Shrinks towards an empty vector."""
    if size < 0:
        raise InvalidArgument(f"size={size}: must be non-negative")
    if size == 0:
        return st.just(np.zeros(0, dtype=np.int64))
    return hnp.arrays(np.int64, st.integers(0, max_len), elements=st.integers(0, size - 1))


def split_sections(size: int, *, max_parts: int = 4) -> st.SearchStrategy:
    """A list of non-negative section lengths summing to ``size`` (the list
    form of ``torch.split``). Shrinks towards ``[size]``."""
    if size < 0:
        raise InvalidArgument(f"size={size}: must be non-negative")
    cuts = st.lists(st.integers(0, size), max_size=max_parts - 1).map(sorted)
    return cuts.map(lambda c: [b - a for a, b in zip([0] + c, c + [size])])


@st.composite
def reshape_targets(draw, numel: int) -> tuple[int, ...]:
    """A shape with ``numel`` elements, possibly with one ``-1`` in place of a
    side (for ``reshape``/``view``). Built by splitting ``numel`` into factors;
    shrinks towards ``(numel,)``."""
    if numel < 0:
        raise InvalidArgument(f"numel={numel}: must be non-negative")
    sides: list[int] = []
    rest = numel
    while rest > 1 and len(sides) < 3 and draw(st.booleans()):
        divisors = [d for d in range(2, rest + 1) if rest % d == 0]
        d = draw(st.sampled_from(divisors))
        sides.append(d)
        rest //= d
    sides.append(rest)
    if numel == 0:
        sides += [draw(st.integers(1, 3))] * draw(st.integers(0, 1))
    sides = draw(st.permutations(sides))
    if numel > 0 and draw(st.booleans()):
        sides[draw(st.integers(0, len(sides) - 1))] = -1
    return tuple(sides)
