"""Shape, layout and indexing rows of the op table
(``conformance/test_shape.py`` and ``conformance/test_indexing.py`` iterate
``SHAPE`` and ``INDEXING``).

These ops move (or add up) values; NumPy doing the same move is the
reference. Index tensors are drawn as parameters: flat lists of ints with
their shape, so a repro script writes them as literals, and the torch
expression builds the long tensor on the input's device.
"""

from __future__ import annotations

import math
import string

import numpy as np
import torch
from hypothesis import strategies as st

from torchconform.ops.record import ALL, NUMERIC, Deviates, Op

_MOVE = ALL  # moving values works on every dtype
_BOUNDED = (-1e4, 1e4)
_INDEX = "torch.tensor(index, dtype=torch.long, device=x.device).reshape(index_shape)"
_NP_INDEX = "np.asarray(index, dtype=np.int64).reshape(index_shape)"


def _dims_subset(shapes, dtype):
    nd = len(shapes[0])
    return st.fixed_dictionaries({"dims": st.lists(st.integers(0, nd - 1), unique=True, max_size=nd).map(tuple)
                                  if nd else st.just(())})


@st.composite
def _roll(draw, shapes, dtype):
    nd = len(shapes[0])
    if nd == 0 or draw(st.booleans()):
        return {"shifts": draw(st.integers(-7, 7)), "dims": None}
    dims = tuple(draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=nd, unique_by=lambda d: d % nd)))
    return {"shifts": tuple(draw(st.integers(-7, 7)) for _ in dims), "dims": dims}


@st.composite
def _two_dims(draw, shapes, dtype):
    nd = len(shapes[0])
    first, second = draw(st.lists(st.integers(-nd, nd - 1), min_size=2, max_size=2, unique_by=lambda d: d % nd))
    return {"dims": (first, second), "k": draw(st.integers(-5, 5)), "offset": draw(st.integers(-3, 3))}


def _offset(shapes, dtype):
    return st.fixed_dictionaries({"offset": st.integers(-4, 4)})


@st.composite
def _reps(draw, shapes, dtype):
    nd = len(shapes[0])
    return {"reps": tuple(draw(st.lists(st.integers(0, 3), min_size=nd, max_size=nd + 2)))}


@st.composite
def _dim_and(draw, shapes, dtype, *, extra):
    nd = len(shapes[0])
    dim = draw(st.integers(-nd, nd - 1))
    return {"dim": dim, **draw(extra(shapes[0][dim]))}


@st.composite
def _movedim(draw, shapes, dtype):
    nd = len(shapes[0])
    source = draw(st.lists(st.integers(0, nd - 1), unique=True, max_size=nd)) if nd else []
    destination = draw(st.permutations(range(nd)))[:len(source)]
    return {"source": tuple(source), "destination": tuple(destination)}


@st.composite
def _unflatten(draw, shapes, dtype):
    nd = len(shapes[0])
    dim = draw(st.integers(0, nd - 1))
    n = shapes[0][dim]
    divisors = [d for d in range(1, n + 1) if n % d == 0] or [1]
    first = draw(st.sampled_from(divisors))
    return {"dim": dim, "sizes": (first, n // first if n else 0)}


@st.composite
def _narrow(draw, shapes, dtype):
    nd = len(shapes[0])
    dim = draw(st.integers(-nd, nd - 1))
    n = shapes[0][dim]
    start = draw(st.integers(0, n))
    return {"dim": dim, "start": start, "length": draw(st.integers(0, n - start))}


@st.composite
def _broadcast(draw, shapes, dtype):
    shape = shapes[0]
    leading = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    return {"shape": leading + tuple(draw(st.integers(0, 3)) if n == 1 else n for n in shape)}


@st.composite
def _einsum(draw, shapes, dtype):
    """A one-operand equation: the input's letters, and an output of a
    subset of them in any order (the rest summed out)."""
    letters = string.ascii_lowercase[:len(shapes[0])]
    kept = draw(st.permutations(letters))[:draw(st.integers(0, len(letters)))]
    return {"equation": f"{letters}->{''.join(kept)}"}


def _one_dim(shapes, dtype):
    nd = len(shapes[0])
    return st.fixed_dictionaries({"dim": st.integers(-nd, nd - 1)})


def _three_pieces(shapes, dtype):
    return st.fixed_dictionaries({"piece": st.integers(0, 2)})


@st.composite
def _split(draw, shapes, dtype):
    nd = len(shapes[0])
    dim = draw(st.integers(-nd, nd - 1))
    sections = draw(st.integers(1, 4))
    return {"dim": dim, "sections": sections, "piece": draw(st.integers(0, sections - 1))}


@st.composite
def _unbind(draw, shapes, dtype):
    nd = len(shapes[0])
    dim = draw(st.integers(-nd, nd - 1))
    return {"dim": dim, "piece": draw(st.integers(0, shapes[0][dim] - 1))}


def _meshgrid(shapes, dtype):
    return st.fixed_dictionaries({"indexing": st.sampled_from(["ij", "xy"]), "piece": st.integers(0, 1)})


@st.composite
def _split_sizes(draw, shapes, dtype):
    """A dim, sizes adding up to its length (zeros allowed), and a piece."""
    nd = len(shapes[0])
    dim = draw(st.integers(-nd, nd - 1))
    n = shapes[0][dim]
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
    sizes = [b - a for a, b in zip([0] + cuts, cuts + [n])]
    return {"dim": dim, "sizes": sizes, "piece": draw(st.integers(0, len(sizes) - 1))}


@st.composite
def _split_size(draw, shapes, dtype):
    """A dim, a piece length (the last piece may be shorter), a number of
    chunks giving that length (as ``chunk`` rounds up), and a piece."""
    nd = len(shapes[0])
    dim = draw(st.integers(-nd, nd - 1))
    n = shapes[0][dim]
    chunks = draw(st.integers(1, 4))
    size = -(-n // chunks) if n else draw(st.integers(1, 4))
    return {"dim": dim, "size": size, "chunks": chunks, "piece": draw(st.integers(0, max(1, -(-n // size)) - 1))}


@st.composite
def _reshape_target(draw, shapes, dtype):
    shape = shapes[0]
    return {"shape": draw(st.sampled_from([(math.prod(shape),), tuple(reversed(shape)), (1,) + shape]))}


@st.composite
def _sum_to(draw, shapes, dtype):
    """A size the input's shape broadcasts to from: trailing dims kept or made 1."""
    shape = shapes[0]
    kept = shape[draw(st.integers(0, len(shape))):]
    return {"size": tuple(draw(st.sampled_from([n, 1])) for n in kept)}


@st.composite
def _window(draw, shapes, dtype):
    nd = len(shapes[0])
    dim = draw(st.integers(-nd, nd - 1))
    return {"dim": dim, "size": draw(st.integers(1, shapes[0][dim])), "step": draw(st.integers(1, 3))}


@st.composite
def _strided_region(draw, shapes, dtype):
    """A (rows, cols) size, strides and storage offset that stay inside the
    flattened input (made contiguous: as_strided addresses the storage)."""
    n = math.prod(shapes[0])
    size = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    # Non-overlapping: torch refuses to write one location twice (its error says so).
    inner = draw(st.integers(1, 2))
    stride = (draw(st.integers(size[1] * inner, size[1] * inner + 2)), inner)
    extent = (size[0] - 1) * stride[0] + (size[1] - 1) * stride[1] + 1 if all(size) else 0
    if extent > n:
        size = (0, size[1])
        extent = 0
    return {"size": size, "stride": stride, "offset": draw(st.integers(0, n - extent))}


SHAPE = [
    Op("flip", "torch.flip(x, dims)", "np.flip(x, axis=dims)", kinds=_MOVE, params=_dims_subset),
    Op("roll", "torch.roll(x, shifts, dims)", "np.roll(x, shifts, axis=dims)", kinds=_MOVE, params=_roll),
    Op("rot90", "torch.rot90(x, k, dims)", "np.rot90(x, k, axes=dims)", kinds=_MOVE, params=_two_dims, min_dims=2),
    Op("tril", "torch.tril(x, offset)", "np.tril(x, offset)", kinds=_MOVE, params=_offset, min_dims=2,
       inplace="x.tril_(offset)", out="torch.tril(x, offset, out=out)"),
    Op("triu", "torch.triu(x, offset)", "np.triu(x, offset)", kinds=_MOVE, params=_offset, min_dims=2,
       inplace="x.triu_(offset)", out="torch.triu(x, offset, out=out)"),
    Op("diag", "torch.diag(x.flatten(), offset)", "np.diag(x.ravel(), offset)", kinds=_MOVE, params=_offset),
    Op("diagonal", "torch.diagonal(x, offset, *dims)", "np.diagonal(x, offset, *dims)", kinds=_MOVE,
       params=_two_dims, min_dims=2),
    Op("diag_embed", "torch.diag_embed(x)", "ref.diag_embed(x)", kinds=_MOVE, min_dims=1),
    Op("repeat", "x.repeat(reps)", "np.tile(x, reps)", kinds=_MOVE, params=_reps),
    Op("tile", "torch.tile(x, reps)", "np.tile(x, reps)", kinds=_MOVE, params=_reps),
    Op("repeat_interleave", "torch.repeat_interleave(x, repeats, dim=dim)", "np.repeat(x, repeats, axis=dim)",
       kinds=_MOVE, min_dims=1,
       params=lambda shapes, dtype: _dim_and(shapes, dtype, extra=lambda n: st.fixed_dictionaries(
           {"repeats": st.integers(0, 3)}))),
    Op("movedim", "torch.movedim(x, source, destination)", "np.moveaxis(x, source, destination)", kinds=_MOVE,
       params=_movedim),
    Op("unflatten", "torch.unflatten(x, dim, sizes)",
       "x.reshape(x.shape[:dim] + sizes + x.shape[dim + 1:])", kinds=_MOVE, params=_unflatten, min_dims=1),
    Op("narrow", "torch.narrow(x, dim, start, length)", "np.take(x, np.arange(start, start + length), axis=dim)",
       kinds=_MOVE, params=_narrow, min_dims=1),
    Op("broadcast_to", "torch.broadcast_to(x, shape)", "np.broadcast_to(x, shape)", kinds=_MOVE, params=_broadcast),
    Op("expand", "x.expand(shape)", "np.broadcast_to(x, shape)", kinds=_MOVE, params=_broadcast),
    Op("atleast_1d", "torch.atleast_1d(x)", "np.atleast_1d(x)", kinds=_MOVE),
    Op("atleast_2d", "torch.atleast_2d(x)", "np.atleast_2d(x)", kinds=_MOVE),
    Op("atleast_3d", "torch.atleast_3d(x)", "np.atleast_3d(x)", kinds=_MOVE),
    Op("hstack", "torch.hstack([x, x])", "np.hstack([x, x])", kinds=_MOVE),
    Op("vstack", "torch.vstack([x, x])", "np.vstack([x, x])", kinds=_MOVE),
    Op("dstack", "torch.dstack([x, x])", "np.dstack([x, x])", kinds=_MOVE),
    Op("column_stack", "torch.column_stack([x, x])", "np.column_stack([x, x])", kinds=_MOVE, min_dims=0),
    Op("tensor_split", "torch.tensor_split(x, sections, dim=dim)[piece]",
       "np.array_split(x, sections, axis=dim)[piece]", kinds=_MOVE, params=_split, min_dims=1),
    Op("unbind", "torch.unbind(x, dim)[piece]", "np.take(x, piece, axis=dim)", kinds=_MOVE, params=_unbind,
       min_dims=1, nonempty=True),
    Op("einsum", "torch.einsum(equation, x)", "np.einsum(equation, x)", kinds=("int", "float", "complex"),
       params=_einsum, domain=_BOUNDED, factor="sum", scale="np.einsum(equation, np.abs(x))"),
    # Products of every pair: complex products of non-finite or huge parts are mul's deviation
    # (complex-mul-non-finite-parts), which an elementwise mask cannot place in these results; finite,
    # bounded values, as for tensordot below.
    Op("kron", "torch.kron(x, y)", "np.kron(x, y)", arity=2, kinds=NUMERIC, domain=_BOUNDED, specials=False),
    Op("outer", "torch.outer(x.flatten(), y.flatten())", "np.outer(x.ravel(), y.ravel())", arity=2, kinds=NUMERIC,
       domain=_BOUNDED, specials=False),
    # A contraction (the product goes through matmul): finite values, as for matmul.
    Op("tensordot_outer", "torch.tensordot(x, y, dims=0)", "np.tensordot(x, y, axes=0)", arity=2, kinds=NUMERIC,
       domain=_BOUNDED, specials=False),
    Op("block_diag", "torch.block_diag(x.flatten(1), y.flatten(1))",
       "scipy.linalg.block_diag(x.reshape(x.shape[0], math.prod(x.shape[1:])),"
       " y.reshape(y.shape[0], math.prod(y.shape[1:])))", arity=2, kinds=NUMERIC,
       min_dims=2),
    Op("meshgrid", "torch.meshgrid(x.flatten(), y.flatten(), indexing=indexing)[piece]",
       "np.meshgrid(x.ravel(), y.ravel(), indexing=indexing)[piece]", arity=2, kinds=_MOVE, params=_meshgrid),
    Op("fliplr", "torch.fliplr(x)", "np.fliplr(x)", kinds=_MOVE, min_dims=2),
    Op("flipud", "torch.flipud(x)", "np.flipud(x)", kinds=_MOVE, min_dims=1),
    Op("swapaxes", "torch.swapaxes(x, *dims)", "np.swapaxes(x, *dims)", kinds=_MOVE, params=_two_dims, min_dims=2),
    Op("moveaxis", "torch.moveaxis(x, source, destination)", "np.moveaxis(x, source, destination)", kinds=_MOVE,
       params=_movedim),
    Op("ravel", "torch.ravel(x)", "np.ravel(x)", kinds=_MOVE),
    Op("diagflat", "torch.diagflat(x, offset)", "np.diagflat(x, offset)", kinds=_MOVE, params=_offset),
    Op("vander", "torch.vander(x.flatten(), n)", "np.vander(x.ravel(), n)", kinds=("int", "float"),
       domain=(-8, 8), params=lambda shapes, dtype: st.fixed_dictionaries({"n": st.integers(0, 4)})),
    Op("trace", "torch.trace(x.flatten(1))", "np.trace(x.reshape(x.shape[0], math.prod(x.shape[1:])))"
       ".astype(np.int64 if x.dtype.kind in 'biu' else x.dtype)", kinds=("int", "float"), min_dims=2,
       out_dtype="accumulate", factor="sum", domain=_BOUNDED,
       scale="np.trace(np.abs(x.reshape(x.shape[0], math.prod(x.shape[1:]))))"),
    # inner contracts the last dims, which must be equal (no broadcasting): x with itself.
    Op("inner", "torch.inner(x, x)", "np.inner(x, x)", kinds=("int", "float"), min_dims=1,
       domain=(-100, 100), specials=False, factor="sum", scale="np.inner(np.abs(x), np.abs(x))"),
    Op("select", "x.select(dim, piece)", "np.take(x, piece, axis=dim)", kinds=_MOVE, params=_unbind, min_dims=1,
       nonempty=True),
    Op("select_scatter", "torch.select_scatter(x, torch.zeros_like(x.select(dim, piece)), dim, piece)",
       "ref.index_fill(x, dim, [piece], 0)", kinds=_MOVE, params=_unbind, min_dims=1, nonempty=True),
    Op("slice_scatter",
       "torch.slice_scatter(x, torch.zeros_like(torch.narrow(x, dim, start, length)), dim, start, start + length)",
       "ref.index_fill(x, dim, np.arange(start, start + length), 0)", kinds=_MOVE, params=_narrow, min_dims=1),
    Op("row_stack", "torch.row_stack([x, x])", "np.vstack([x, x])", kinds=_MOVE),
    Op("concat", "torch.concat([x, x], dim=dim)", "np.concatenate([x, x], axis=dim)", kinds=_MOVE, min_dims=1,
       params=_one_dim),
    Op("concatenate", "torch.concatenate([x, x], dim=dim)", "np.concatenate([x, x], axis=dim)", kinds=_MOVE,
       min_dims=1, params=_one_dim),
    Op("swapdims", "torch.swapdims(x, *dims)", "np.swapaxes(x, *dims)", kinds=_MOVE, params=_two_dims, min_dims=2),
    Op("hsplit", "torch.hsplit(x, [1, 3])[piece]", "np.hsplit(x, [1, 3])[piece]", kinds=_MOVE, min_dims=1,
       params=_three_pieces),
    Op("vsplit", "torch.vsplit(x, [1, 3])[piece]", "np.vsplit(x, [1, 3])[piece]", kinds=_MOVE, min_dims=2,
       params=_three_pieces),
    Op("dsplit", "torch.dsplit(x, [1, 3])[piece]", "np.dsplit(x, [1, 3])[piece]", kinds=_MOVE, min_dims=3,
       params=_three_pieces),
    Op("ger", "torch.ger(x.flatten(), y.flatten())", "np.outer(x.ravel(), y.ravel())", arity=2,
       kinds=("int", "float")),
    Op("dot", "torch.dot(x.flatten(), x.flatten())", "np.dot(x.ravel(), x.ravel())", kinds=("int", "float"),
       domain=(-100, 100), specials=False, factor="sum", scale="np.dot(np.abs(x.ravel()), np.abs(x.ravel()))"),
    Op("vdot", "torch.vdot(x.flatten(), x.flip(tuple(range(x.ndim))).flatten())",
       "np.vdot(x.ravel(), np.flip(x).ravel())", kinds=("float", "complex"), domain=(-100, 100), specials=False,
       factor="sum", scale="np.sum(np.abs(x) * np.abs(np.flip(x)))"),
    Op("combinations", "torch.combinations(x.flatten()[:6], r, with_replacement=with_replacement)",
       "ref.combinations(x.ravel()[:6], r, with_replacement)", kinds=_MOVE,
       params=lambda shapes, dtype: st.fixed_dictionaries({"r": st.integers(1, 3),
                                                           "with_replacement": st.booleans()})),
    Op("fill_diagonal", "x.flatten(1).clone().fill_diagonal_(1)",
       "ref.fill_diagonal(x.reshape(x.shape[0], math.prod(x.shape[1:])), 1)", kinds=_MOVE, min_dims=2),
    Op("unravel_index", "torch.unravel_index(torch.remainder(x, 24), (2, 3, 4))[piece]",
       "np.unravel_index(np.remainder(x, 24), (2, 3, 4))[piece]", kinds=("int",), out_dtype="long",
       params=lambda shapes, dtype: st.fixed_dictionaries({"piece": st.integers(0, 2)})),
    Op("cartesian_prod", "torch.cartesian_prod(x.flatten(), y.flatten())",
       "np.stack(np.meshgrid(x.ravel(), y.ravel(), indexing='ij'), -1).reshape(-1, 2)", arity=2, kinds=_MOVE),
    Op("split_with_sizes", "torch.split_with_sizes(x, sizes, dim)[piece]",
       "np.split(x, np.cumsum(sizes)[:-1].tolist(), axis=dim)[piece]", kinds=_MOVE, params=_split_sizes, min_dims=1),
    Op("unsafe_split_with_sizes", "torch.unsafe_split_with_sizes(x, sizes, dim)[piece]",
       "np.split(x, np.cumsum(sizes)[:-1].tolist(), axis=dim)[piece]", kinds=_MOVE, params=_split_sizes, min_dims=1),
    Op("unsafe_split", "torch.unsafe_split(x, size, dim)[piece]",
       "np.take(x, np.arange(piece * size, min(piece * size + size, x.shape[dim])), axis=dim)", kinds=_MOVE,
       params=_split_size, min_dims=1),
    Op("unsafe_chunk", "torch.unsafe_chunk(x, chunks, dim)[piece]",
       "np.take(x, np.arange(piece * size, min(piece * size + size, x.shape[dim])), axis=dim)", kinds=_MOVE,
       params=_split_size, min_dims=1, nonempty=True),
    Op("expand_as", "x.expand_as(torch.empty(shape, device=x.device))", "np.broadcast_to(x, shape)", kinds=_MOVE,
       params=_broadcast),
    Op("reshape_as", "x.reshape_as(torch.empty(shape, device=x.device))", "x.reshape(shape)", kinds=_MOVE,
       params=_reshape_target),
    Op("sum_to_size", "x.sum_to_size(size)", "ref.sum_to_size(x, size)", kinds=("float", "complex"), params=_sum_to,
       # The finite terms bound the rounding error; a NaN or infinite term is matched by position.
       factor="sum", scale="ref.sum_to_size(np.where(np.isfinite(x), np.abs(x), 0.0), size)"),
    Op("unfold", "x.unfold(dim, size, step)",
       "np.lib.stride_tricks.sliding_window_view(x, size, axis=dim)[(slice(None),) * (dim % x.ndim) + (slice(None, None, step),)]",
       kinds=_MOVE, params=_window, min_dims=1, nonempty=True),
    Op("diagonal_scatter", "torch.diagonal_scatter(x, torch.zeros_like(torch.diagonal(x, offset, *dims)), offset, *dims)",
       "ref.put(x, np.diagonal(np.arange(x.size).reshape(x.shape), offset, *dims).ravel(), 0)", kinds=_MOVE,
       params=_two_dims, min_dims=2),
    Op("as_strided_scatter",
       "torch.as_strided_scatter(x.flatten().contiguous(), torch.zeros(size, dtype=x.dtype, device=x.device), size, stride, offset)",
       "ref.put(x.ravel(), (offset + stride[0] * np.arange(size[0])[:, None] + stride[1] * np.arange(size[1])).ravel(), 0)",
       kinds=_MOVE, params=_strided_region),
    Op("broadcast_tensors", "torch.broadcast_tensors(x, y)[piece]", "np.broadcast_arrays(x, y)[piece]", arity=2,
       kinds=_MOVE, params=lambda shapes, dtype: st.fixed_dictionaries({"piece": st.integers(0, 1)})),
    Op("view_as_complex", "torch.view_as_complex(torch.stack(torch.broadcast_tensors(x, y), -1))", "ref.make_complex(x, y)", arity=2,
       dtypes=("float32", "float64"), out_dtype="complex"),
    Op("as_strided", "torch.as_strided(x.flatten().contiguous(), size, stride, offset)",
       "x.ravel()[offset + stride[0] * np.arange(size[0])[:, None] + stride[1] * np.arange(size[1])]",
       kinds=_MOVE, params=_strided_region),
    Op("view_as", "x.contiguous().view_as(torch.empty(shape, device=x.device))", "x.reshape(shape)", kinds=_MOVE,
       params=_reshape_target),
    Op("adjoint", "torch.adjoint(x)", "np.conj(np.swapaxes(x, -1, -2))", kinds=_MOVE, min_dims=2),
    Op("conj", "torch.conj(x)", "np.conj(x)", kinds=_MOVE),
    Op("resolve_conj", "torch.resolve_conj(torch.conj(x))", "np.conj(x)", kinds=_MOVE),
]


@st.composite
def _gather(draw, shapes, dtype):
    """A dim and an index shaped like the input but for its size along dim
    (0 to 4), of values in [-n, n) for a dim of size n (in [0, n) when
    ``negative`` is false: gather refuses negative indices)."""
    shape = shapes[0]
    nd = len(shape)
    dim = draw(st.integers(-nd, nd - 1)) if nd else 0
    n = shape[dim] if nd else 1
    index_shape = tuple(draw(st.integers(0, 4)) if i == dim % max(nd, 1) else s for i, s in enumerate(shape))
    size = 1
    for s in index_shape:
        size *= s
    index = draw(st.lists(st.integers(0, n - 1), min_size=size, max_size=size)) if n else []
    if not n:
        index_shape = tuple(0 if i == dim % max(nd, 1) else s for i, s in enumerate(shape))
    return {"dim": dim, "index": index, "index_shape": index_shape}


@st.composite
def _positions(draw, shapes, dtype, *, unique=False, negative=True):
    """A dim and a 1-d list of indices into it (repeated, and negative, unless told not to)."""
    shape = shapes[0]
    nd = len(shape)
    dim = draw(st.integers(-nd, nd - 1))
    n = shape[dim]
    low = -n if negative else 0
    if n == 0:
        index = []
    elif unique:
        index = draw(st.permutations(range(n)))[:draw(st.integers(0, n))]
    else:
        index = draw(st.lists(st.integers(low, n - 1), max_size=6))
    return {"dim": dim, "index": index, "index_shape": (len(index),)}


@st.composite
def _with_source(draw, shapes, dtype, *, unique):
    """Positions along a dim and a source (small ints, exact in every dtype)
    shaped like the input with that dim replaced by the number of positions."""
    params = draw(_positions(shapes, dtype, unique=unique, negative=False))
    shape = list(shapes[0])
    shape[params["dim"]] = len(params["index"])
    size = 1
    for s in shape:
        size *= s
    low = -3 if dtype.is_floating_point or dtype.is_complex or dtype.is_signed else 0
    values = st.booleans() if dtype == torch.bool else st.integers(low, 3)
    return {**params, "source": draw(st.lists(values, min_size=size, max_size=size)), "source_shape": tuple(shape)}


@st.composite
def _scatter(draw, shapes, dtype):
    params = draw(_gather(shapes, dtype))
    size = len(params["index"])
    low = -3 if dtype.is_floating_point or dtype.is_complex or dtype.is_signed else 0
    return {**params, "source": draw(st.lists(st.integers(low, 3), min_size=size, max_size=size)),
            "reduce": draw(st.sampled_from(["sum", "prod", "mean", "amax", "amin"])),
            "include_self": draw(st.booleans())}


@st.composite
def _index_reduce(draw, shapes, dtype):
    return {**draw(_with_source(shapes, dtype, unique=False)),
            "reduce": draw(st.sampled_from(["prod", "mean", "amax", "amin"])), "include_self": draw(st.booleans())}


@st.composite
def _mask(draw, shapes, dtype):
    size = 1
    for s in shapes[0]:
        size *= s
    return {"mask": draw(st.lists(st.booleans(), min_size=size, max_size=size)), "mask_shape": tuple(shapes[0]),
            "value": draw(st.sampled_from([0, 1] if dtype == torch.bool else [0, 1, 3]))}


@st.composite
def _where(draw, shapes, dtype):
    result = np.broadcast_shapes(*shapes)
    size = math.prod(result)
    return {"mask": draw(st.lists(st.booleans(), min_size=size, max_size=size)), "mask_shape": tuple(result)}


_SRC = "torch.tensor(source, device=x.device).to(x.dtype).reshape(source_shape)"
_NP_SRC = "np.asarray(source).astype(x.dtype).reshape(source_shape)"
_MASK = "torch.tensor(mask, dtype=torch.bool, device=x.device).reshape(mask_shape)"
_NP_MASK = "np.asarray(mask, dtype=bool).reshape(mask_shape)"
_SCATTER_SRC = "torch.tensor(source, device=x.device).to(x.dtype).reshape(index_shape)"
_NP_SCATTER_SRC = "np.asarray(source).astype(x.dtype).reshape(index_shape)"

INDEXING = [
    Op("gather", f"torch.gather(x, dim, {_INDEX})", f"np.take_along_axis(x, {_NP_INDEX}, axis=dim)", kinds=_MOVE,
       params=_gather, min_dims=1),
    Op("take_along_dim", f"torch.take_along_dim(x, {_INDEX}, dim=dim)",
       f"np.take_along_axis(x, {_NP_INDEX}, axis=dim)", kinds=_MOVE, params=_gather, min_dims=1),
    Op("take", f"torch.take(x, {_INDEX})", f"np.take(x.ravel(), {_NP_INDEX})", kinds=_MOVE, min_dims=1,
       params=lambda shapes, dtype: _positions(((math.prod(shapes[0]),),), dtype)),
    # The index_* ops take indices in [0, n) (torch refuses negative ones, with an error).
    Op("index_select", f"torch.index_select(x, dim, {_INDEX})", f"np.take(x, {_NP_INDEX}, axis=dim)", kinds=_MOVE,
       params=lambda shapes, dtype: _positions(shapes, dtype, negative=False), min_dims=1),
    Op("getitem_advanced", f"x[{_INDEX}]", f"x[{_NP_INDEX}]", kinds=_MOVE, min_dims=1,
       params=lambda shapes, dtype: _positions(shapes, dtype).filter(lambda p: p["dim"] in (0, -len(shapes[0])))),
    Op("index_add", f"torch.index_add(x, dim, {_INDEX}, {_SRC})",
       f"ref.index_add(x, dim, {_NP_INDEX}, {_NP_SRC})", kinds=NUMERIC, domain=_BOUNDED, min_dims=1,
       params=lambda shapes, dtype: _with_source(shapes, dtype, unique=False), factor="sum",
       scale=f"ref.index_add(np.abs(x), dim, {_NP_INDEX}, np.abs({_NP_SRC}))"),
    Op("index_reduce", f"x.index_reduce(dim, {_INDEX}, {_SRC}, reduce, include_self=include_self)",
       f"ref.index_reduce(x, dim % x.ndim, {_NP_INDEX}, {_NP_SRC}, reduce, include_self)",
       kinds=("int", "float"), domain=(-100, 100), specials=False, min_dims=1, params=_index_reduce, factor="prod",
       crash=Deviates("index-reduce-prod-half-precision-raises",
                      "np.full(x.shape, reduce == 'prod' and dtype in ('float16', 'bfloat16'))"),
       scale=f"ref.index_reduce(np.abs(x), dim % x.ndim, {_NP_INDEX}, np.abs({_NP_SRC}), 'prod', True)"
             f" + ref.index_reduce(np.abs(x), dim % x.ndim, {_NP_INDEX}, np.abs({_NP_SRC}), 'mean', True)"),
    Op("index_copy", f"x.index_copy(dim, {_INDEX}, {_SRC})", f"ref.index_copy(x, dim, {_NP_INDEX}, {_NP_SRC})",
       kinds=_MOVE, min_dims=1, params=lambda shapes, dtype: _with_source(shapes, dtype, unique=True)),
    Op("index_fill", f"x.index_fill(dim, {_INDEX}, value)", f"ref.index_fill(x, dim, {_NP_INDEX}, value)",
       kinds=_MOVE, min_dims=1,
       params=lambda shapes, dtype: _positions(shapes, dtype, negative=False).map(lambda p: {**p, "value": 1})),
    Op("index_put_accumulate", f"x.index_put(({_INDEX},), {_SRC}, accumulate=True)",
       f"ref.index_add(x, 0, {_NP_INDEX}, {_NP_SRC})", kinds=NUMERIC, domain=_BOUNDED, min_dims=1, factor="sum",
       params=lambda shapes, dtype: _with_source(shapes, dtype, unique=False).filter(
           lambda p: p["dim"] in (0, -len(shapes[0]))),
       scale=f"ref.index_add(np.abs(x), 0, {_NP_INDEX}, np.abs({_NP_SRC}))"),
    Op("scatter", f"torch.scatter(x, dim, {_INDEX}, {_SCATTER_SRC})",
       f"ref.scatter_reduce(x, dim % x.ndim, {_NP_INDEX}, {_NP_SCATTER_SRC}, 'amax', False)",
       kinds=_MOVE, min_dims=1,
       params=lambda shapes, dtype: _scatter(shapes, dtype).filter(
           lambda p: len(set(p["index"])) == len(p["index"]) or len(p["index"]) <= 1)),
    Op("scatter_add", f"torch.scatter_add(x, dim, {_INDEX}, {_SCATTER_SRC})",
       f"ref.scatter_reduce(x, dim % x.ndim, {_NP_INDEX}, {_NP_SCATTER_SRC}, 'sum', True)", kinds=NUMERIC,
       domain=_BOUNDED, min_dims=1, params=_scatter, factor="sum",
       scale=f"ref.scatter_reduce(np.abs(x), dim % x.ndim, {_NP_INDEX}, np.abs({_NP_SCATTER_SRC}), 'sum', True)"),
    Op("scatter_reduce", f"torch.scatter_reduce(x, dim, {_INDEX}, {_SCATTER_SRC}, reduce, include_self=include_self)",
       f"ref.scatter_reduce(x, dim % x.ndim, {_NP_INDEX}, {_NP_SCATTER_SRC}, reduce, include_self)",
       kinds=("int", "float"), domain=(-100, 100), specials=False, min_dims=1, params=_scatter, factor="prod",
       scale=f"ref.scatter_reduce(np.abs(x), dim % x.ndim, {_NP_INDEX}, np.abs({_NP_SCATTER_SRC}), 'prod', True)"
             f" + ref.scatter_reduce(np.abs(x), dim % x.ndim, {_NP_INDEX}, np.abs({_NP_SCATTER_SRC}), 'sum', True)"),
    Op("put", f"x.put({_INDEX}, torch.tensor(source, device=x.device).to(x.dtype))",
       f"ref.put(x, {_NP_INDEX}, np.asarray(source).astype(x.dtype))", kinds=_MOVE, min_dims=1,
       params=lambda shapes, dtype: _with_source(((math.prod(shapes[0]),),), dtype, unique=True)),
    Op("masked_fill", f"x.masked_fill({_MASK}, value)", f"np.where({_NP_MASK}, value, x).astype(x.dtype)",
       kinds=_MOVE, params=_mask, inplace=f"x.masked_fill_({_MASK}, value)"),
    Op("masked_select", f"torch.masked_select(x, {_MASK})", f"x[{_NP_MASK}]", kinds=_MOVE, params=_mask),
    Op("masked_scatter", f"x.masked_scatter({_MASK}, torch.flip(x, tuple(range(x.ndim))))",
       f"ref.masked_scatter(x, {_NP_MASK}, np.flip(x))", kinds=_MOVE, params=_mask),
    Op("where", f"torch.where({_MASK}, x, y)", f"np.where({_NP_MASK}, x, y)", arity=2, kinds=_MOVE, params=_where),
    Op("where_scalar", f"torch.where({_MASK}, x, 0)", f"np.where({_NP_MASK}, x, 0).astype(x.dtype)", kinds=NUMERIC,
       params=_mask),
    Op("nonzero", "torch.nonzero(x)", "np.argwhere(x)", kinds=ALL, out_dtype="long"),
    Op("argwhere", "torch.argwhere(x)", "np.argwhere(x)", kinds=ALL, out_dtype="long"),
    Op("nonzero_as_tuple", "torch.nonzero(x, as_tuple=True)[0]", "np.nonzero(x)[0]", kinds=ALL, out_dtype="long",
       min_dims=1),
]
