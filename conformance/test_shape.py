"""Shape manipulation against NumPy: cat, stack, chunk, split, reshape,
view, transpose/t/permute, squeeze/unsqueeze (negative dims too), flatten.

Each op only moves values, so the NumPy twin under the same operation is the
reference, and integer and bool results must match exactly. Inputs come in
every dtype and memory layout.
"""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from torchconform import index_strategies as ix, record
from torchconform.dtypes import tensor_to_numpy
from torchconform.opcheck import MOVE_DTYPES, check_op, kron_refuses, op_cases, op_dtype_params, require_dtype
from torchconform.ops import SHAPE
from torchconform.oracle import assert_device_matches_cpu, assert_matches
from torchconform.strategies import dtypes_for, shapes, tensors

pytestmark = pytest.mark.area("shape")


def draw_tensor(data, device, **shape_args):
    dtype = data.draw(dtypes_for(device), label="dtype")
    return data.draw(tensors(dtype, shape=shapes(**shape_args), device=device), label="x")


def assert_pieces_match(pieces, expected, dtype, what):
    assert len(pieces) == len(expected), f"{what}: {len(pieces)} pieces, expected {len(expected)}"
    for i, (piece, want) in enumerate(zip(pieces, expected)):
        assert_matches(piece, want, dtype, what=f"{what} piece {i}")


@st.composite
def concat_inputs(draw, device, *, same_shape):
    """1-3 drawn tensors of one dtype that agree on every side but the
    concatenation dim (or on every side, for stack), and that dim."""
    dtype = draw(dtypes_for(device), label="dtype")
    base = draw(shapes(min_dims=1, max_dims=3), label="shape")
    dim = draw(ix.dims(len(base), extra=int(same_shape)), label="dim")
    count = draw(st.integers(1, 3), label="count")
    drawn = []
    for _ in range(count):
        shape = list(base)
        if not same_shape:
            shape[dim] = draw(st.integers(0, 3))
        drawn.append(draw(tensors(dtype, shape=tuple(shape), device=device)))
    return drawn, dim


@pytest.mark.capability("forward")
@given(data=st.data())
def test_cat_matches_numpy_concatenate(device, data):
    drawn, dim = data.draw(concat_inputs(device, same_shape=False))
    result = torch.cat([d.tensor for d in drawn], dim=dim)
    assert_matches(result, np.concatenate([d.array for d in drawn], axis=dim), drawn[0].tensor.dtype, what=f"cat(dim={dim})")
    assert_device_matches_cpu(result, torch.cat([d.tensor.cpu() for d in drawn], dim=dim), what="cat")


@pytest.mark.capability("forward")
@given(data=st.data())
def test_stack_matches_numpy_stack(device, data):
    drawn, dim = data.draw(concat_inputs(device, same_shape=True))
    result = torch.stack([d.tensor for d in drawn], dim=dim)
    assert_matches(result, np.stack([d.array for d in drawn], axis=dim), drawn[0].tensor.dtype, what=f"stack(dim={dim})")
    assert_device_matches_cpu(result, torch.stack([d.tensor.cpu() for d in drawn], dim=dim), what="stack")


def consecutive_slices(a, dim, size):
    """Pieces of ``size`` along ``dim`` (the last may be shorter): the
    documented result of ``chunk`` and of ``split`` with an int."""
    n = a.shape[dim]
    return [np.take(a, np.arange(i, min(i + size, n)), axis=dim) for i in range(0, n, size)]


@pytest.mark.capability("forward")
@given(data=st.data())
def test_chunk_matches_ceil_sized_slices(device, data):
    # A 0-size dim is left out: torch returns `chunks` empty pieces there,
    # a convention with no NumPy counterpart.
    x = draw_tensor(data, device, min_dims=1, min_side=1)
    dim = data.draw(ix.dims(x.array.ndim), label="dim")
    chunks = data.draw(st.integers(1, 6), label="chunks")
    size = math.ceil(x.array.shape[dim] / chunks)
    pieces = torch.chunk(x.tensor, chunks, dim=dim)
    assert_pieces_match(pieces, consecutive_slices(x.array, dim, size), x.tensor.dtype, f"chunk({chunks}, dim={dim})")


@pytest.mark.capability("forward")
@given(data=st.data())
def test_split_by_size_matches_consecutive_slices(device, data):
    x = draw_tensor(data, device, min_dims=1, min_side=1)
    dim = data.draw(ix.dims(x.array.ndim), label="dim")
    size = data.draw(st.integers(1, 6), label="size")
    pieces = torch.split(x.tensor, size, dim=dim)
    assert_pieces_match(pieces, consecutive_slices(x.array, dim, size), x.tensor.dtype, f"split({size}, dim={dim})")


@pytest.mark.capability("forward")
@given(data=st.data())
def test_split_by_sections_matches_numpy_split(device, data):
    x = draw_tensor(data, device, min_dims=1)
    dim = data.draw(ix.dims(x.array.ndim), label="dim")
    sections = data.draw(ix.split_sections(x.array.shape[dim]), label="sections")
    pieces = torch.split(x.tensor, sections, dim=dim)
    expected = np.split(x.array, np.cumsum(sections)[:-1], axis=dim)
    assert_pieces_match(pieces, expected, x.tensor.dtype, f"split({sections}, dim={dim})")


@pytest.mark.capability("forward")
@given(data=st.data())
def test_reshape_matches_numpy_reshape(device, data):
    x = draw_tensor(data, device)
    target = data.draw(ix.reshape_targets(x.array.size), label="target")
    result = x.tensor.reshape(target)
    assert_matches(result, x.array.reshape(target), x.tensor.dtype, what=f"reshape{target}")
    assert_device_matches_cpu(result, x.tensor.cpu().reshape(target), what="reshape")


@pytest.mark.capability("forward")
@given(data=st.data())
def test_view_of_contiguous_matches_numpy_reshape(device, data):
    dtype = data.draw(dtypes_for(device), label="dtype")
    x = data.draw(tensors(dtype, device=device, layouts=["contiguous"]), label="x")
    target = data.draw(ix.reshape_targets(x.array.size), label="target")
    assert_matches(x.tensor.view(target), x.array.reshape(target), dtype, what=f"view{target}")


@pytest.mark.capability("errors")
@pytest.mark.parametrize("make", [
    pytest.param(lambda d: torch.arange(12, device=d).reshape(3, 4).t(), id="transposed"),
    pytest.param(lambda d: torch.arange(12, device=d).reshape(3, 4)[:, :2], id="column-slice"),
    pytest.param(lambda d: torch.arange(3, device=d).reshape(3, 1).expand(3, 4), id="expanded"),
])
def test_view_refuses_non_viewable_strides(make, device):
    x = make(device)
    with pytest.raises(RuntimeError, match=r"view size is not compatible.*Use \.reshape"):
        x.view(-1)
    assert_matches(x.reshape(-1), tensor_to_numpy(x).reshape(-1), torch.int64, what="reshape where view is refused")


@pytest.mark.capability("forward")
@given(data=st.data())
def test_transpose_matches_numpy_swapaxes(device, data):
    x = draw_tensor(data, device, min_dims=1)
    d0, d1 = data.draw(ix.dims(x.array.ndim), label="dim0"), data.draw(ix.dims(x.array.ndim), label="dim1")
    result = torch.transpose(x.tensor, d0, d1)
    assert_matches(result, np.swapaxes(x.array, d0, d1), x.tensor.dtype, what=f"transpose({d0}, {d1})")
    assert_device_matches_cpu(result, torch.transpose(x.tensor.cpu(), d0, d1), what="transpose")


@pytest.mark.capability("forward")
@given(data=st.data())
def test_t_matches_numpy_transpose(device, data):
    x = draw_tensor(data, device, max_dims=2)
    assert_matches(x.tensor.t(), x.array.T, x.tensor.dtype, what="t()")


@pytest.mark.capability("forward")
@given(data=st.data())
def test_permute_matches_numpy_transpose(device, data):
    x = draw_tensor(data, device)
    order = data.draw(st.permutations(range(x.array.ndim)), label="order")
    negative = data.draw(st.lists(st.booleans(), min_size=len(order), max_size=len(order)), label="negative")
    dims = [d - x.array.ndim if neg else d for d, neg in zip(order, negative)]
    result = x.tensor.permute(dims)
    assert_matches(result, np.transpose(x.array, order), x.tensor.dtype, what=f"permute{tuple(dims)}")
    assert_device_matches_cpu(result, x.tensor.cpu().permute(dims), what="permute")


@pytest.mark.capability("forward")
@given(data=st.data())
def test_squeeze_matches_numpy_squeeze(device, data):
    x = draw_tensor(data, device, max_side=2)
    assert_matches(torch.squeeze(x.tensor), np.squeeze(x.array), x.tensor.dtype, what="squeeze()")


@pytest.mark.capability("forward")
@given(data=st.data())
def test_squeeze_dim_matches_numpy_squeeze_axis(device, data):
    x = draw_tensor(data, device, min_dims=1, max_side=2)
    dim = data.draw(ix.dims(x.array.ndim), label="dim")
    result = torch.squeeze(x.tensor, dim)
    if x.array.shape[dim] == 1:
        expected = np.squeeze(x.array, axis=dim)
    else:
        # Deviation squeeze-of-non-unit-dim-is-noop: NumPy raises, torch
        # returns the input's shape (checked as such, see the example test).
        record.note("deviation", "squeeze-of-non-unit-dim-is-noop")
        expected = x.array
    assert_matches(result, expected, x.tensor.dtype, what=f"squeeze(dim={dim})")


@pytest.mark.capability("forward")
@given(data=st.data())
def test_unsqueeze_matches_numpy_expand_dims(device, data):
    x = draw_tensor(data, device)
    dim = data.draw(ix.dims(x.array.ndim, extra=1), label="dim")
    result = torch.unsqueeze(x.tensor, dim)
    assert_matches(result, np.expand_dims(x.array, dim), x.tensor.dtype, what=f"unsqueeze({dim})")
    assert_device_matches_cpu(result, torch.unsqueeze(x.tensor.cpu(), dim), what="unsqueeze")


@pytest.mark.capability("forward")
@given(data=st.data())
def test_flatten_matches_numpy_reshape(device, data):
    x = draw_tensor(data, device, min_dims=1)
    n, shape = x.array.ndim, x.array.shape
    # Negative dims too; ordered by the dim they name, as flatten requires.
    start, end = sorted((data.draw(ix.dims(n), label="dim"), data.draw(ix.dims(n), label="dim")), key=lambda d: d % n)
    lo, hi = start % n, end % n
    expected = x.array.reshape(shape[:lo] + (math.prod(shape[lo:hi + 1]),) + shape[hi + 1:])
    assert_matches(torch.flatten(x.tensor, start, end), expected, x.tensor.dtype, what=f"flatten({start}, {end})")


@pytest.mark.capability("forward")
def test_flatten_of_zero_dim_is_one_element(device):
    """A 0-d tensor flattens to shape (1,), as NumPy's ravel does."""
    x = torch.tensor(7, device=device)
    assert_matches(torch.flatten(x), np.ravel(np.array(7)), torch.int64, what="flatten(0-d)")


def test_squeeze_of_non_unit_dim_raises_like_numpy(device):
    """Known deviation ``squeeze-of-non-unit-dim-is-noop``: NumPy's
    ``squeeze(a, axis)`` raises ValueError when that axis is not of size 1;
    torch returns the tensor unchanged, by design (the seed relies on it:
    ``squeeze(t, dim=1)`` keeps ``[1, 2, 3, 1]``)."""
    with pytest.raises((ValueError, RuntimeError)):
        torch.squeeze(torch.zeros(1, 2, 3, 1, device=device), dim=1)


@pytest.mark.capability("forward")
@pytest.mark.parametrize("op, dtype", op_dtype_params(SHAPE, MOVE_DTYPES))
@given(data=st.data())
def test_shape_row_matches_numpy(op, dtype, device, data):
    """Every SHAPE row of the op table (flip, roll, rot90, tril/triu, diag,
    repeat, tile, movedim, einsum, kron, meshgrid, ...) against NumPy."""
    require_dtype(dtype, device)
    case = data.draw(op_cases(op, dtype, device), label="case")
    if not kron_refuses(case):
        check_op(case)
