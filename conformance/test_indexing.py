"""Indexing against NumPy: basic indices (negative ints, slices with steps,
``...``, ``None``), ``index_select``, ``masked_select``, boolean and
integer-array indexing, and assignment through each kind of index.

Values are drawn in every dtype and memory layout; the same index is applied
to the NumPy twin, which is the reference. Indexing moves values without
arithmetic, so integer and bool results must match exactly.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from torchconform import index_strategies as ix
from torchconform.opcheck import MOVE_DTYPES, check_op, op_cases, op_dtype_params, require_dtype
from torchconform.ops import INDEXING
from torchconform.oracle import assert_device_matches_cpu, assert_matches
from torchconform.strategies import LAYOUTS, dtypes_for, elements, shapes, tensors

pytestmark = pytest.mark.area("indexing")

# Writing through an index into a stride-0 tensor is refused by torch (one
# memory cell backs several elements); assignment tests draw the other layouts.
WRITABLE_LAYOUTS = [layout for layout in LAYOUTS if layout != "expanded"]


@st.composite
def tensor_and(draw, device, index_strategy, *, min_side=0, layouts=LAYOUTS, min_dims=0):
    """A drawn tensor (any dtype) and an index for its shape."""
    dtype = draw(dtypes_for(device), label="dtype")
    shape = draw(shapes(min_dims=min_dims, min_side=min_side), label="shape")
    x = draw(tensors(dtype, shape=shape, device=device, layouts=layouts), label="x")
    return x, draw(index_strategy(shape), label="index")


def to_torch_index(index, device):
    """The NumPy index as torch takes it: arrays become tensors on ``device``."""
    if isinstance(index, tuple):
        return tuple(to_torch_index(part, device) for part in index)
    if isinstance(index, np.ndarray):
        return torch.from_numpy(index).to(device)
    return index


@pytest.mark.capability("forward")
@given(data=st.data())
def test_basic_index_matches_numpy(device, data):
    x, index = data.draw(tensor_and(device, ix.basic_indices))
    result = x.tensor[index]
    assert_matches(result, np.asarray(x.array[index]), x.tensor.dtype, what=f"x[{index!r}]")
    assert_device_matches_cpu(result, x.tensor.cpu()[index], what=f"x[{index!r}]")


@pytest.mark.capability("forward")
@given(data=st.data())
def test_integer_array_index_matches_numpy(device, data):
    x, index = data.draw(tensor_and(device, ix.integer_array_indices, min_side=1, min_dims=1))
    result = x.tensor[to_torch_index(index, device)]
    assert_matches(result, x.array[index], x.tensor.dtype, what="x[integer arrays]")
    assert_device_matches_cpu(result, x.tensor.cpu()[to_torch_index(index, "cpu")], what="x[integer arrays]")


@pytest.mark.capability("forward")
@given(data=st.data())
def test_boolean_mask_index_matches_numpy(device, data):
    x, mask = data.draw(tensor_and(device, ix.boolean_masks))
    result = x.tensor[torch.from_numpy(mask).to(device)]
    assert_matches(result, x.array[mask], x.tensor.dtype, what="x[mask]")
    assert_device_matches_cpu(result, x.tensor.cpu()[torch.from_numpy(mask)], what="x[mask]")


@pytest.mark.capability("forward")
@given(data=st.data())
def test_masked_select_matches_numpy_boolean_index(device, data):
    x, mask = data.draw(tensor_and(device, ix.boolean_masks))
    result = torch.masked_select(x.tensor, torch.from_numpy(mask).to(device))
    assert_matches(result, x.array[mask].reshape(-1), x.tensor.dtype, what="masked_select")
    assert_device_matches_cpu(result, torch.masked_select(x.tensor.cpu(), torch.from_numpy(mask)),
                              what="masked_select")


@pytest.mark.capability("forward")
@given(data=st.data())
def test_index_select_matches_numpy_take(device, data):
    dtype = data.draw(dtypes_for(device), label="dtype")
    x = data.draw(tensors(dtype, shape=shapes(min_dims=1), device=device), label="x")
    dim = data.draw(ix.dims(x.array.ndim), label="dim")
    index = data.draw(ix.select_indices(x.array.shape[dim]), label="index")
    result = torch.index_select(x.tensor, dim, torch.from_numpy(index).to(device))
    assert_matches(result, np.take(x.array, index, axis=dim), dtype, what=f"index_select(dim={dim})")
    assert_device_matches_cpu(result, torch.index_select(x.tensor.cpu(), dim, torch.from_numpy(index)),
                              what="index_select")


def check_assignment(device, data, index_strategy, **draw_args):
    """``x[index] = value`` must leave ``x`` as NumPy's ``a[index] = value`` does."""
    x, index = data.draw(tensor_and(device, index_strategy, layouts=WRITABLE_LAYOUTS, **draw_args))
    value = data.draw(elements(x.tensor.dtype), label="value")
    expected = x.array.copy()
    expected[index] = value
    x.tensor[to_torch_index(index, device)] = value
    assert_matches(x.tensor, expected, x.tensor.dtype, what=f"x after x[index] = {value!r}")


@pytest.mark.capability("setitem")
@given(data=st.data())
def test_assignment_through_basic_index_matches_numpy(device, data):
    check_assignment(device, data, ix.basic_indices)


@pytest.mark.capability("setitem")
@given(data=st.data())
def test_assignment_through_boolean_mask_matches_numpy(device, data):
    check_assignment(device, data, ix.boolean_masks)


@pytest.mark.capability("setitem")
@given(data=st.data())
def test_assignment_through_integer_arrays_matches_numpy(device, data):
    check_assignment(device, data, ix.integer_array_indices, min_side=1, min_dims=1)


@pytest.mark.capability("forward")
def test_out_of_range_index_raises_index_error(device):
    x = torch.zeros(3, 2, device=device)
    for bad in (3, -4, (0, 2)):
        with pytest.raises(IndexError):
            x[bad]


def test_negative_slice_step_reverses_like_numpy(device):
    """Known deviation ``negative-slice-step-refused``: torch raises
    ``ValueError: step must be greater than zero`` for ``x[::-1]`` (tensors
    are views with non-negative strides), where NumPy returns the reversed
    view. Use ``torch.flip``."""
    a = np.arange(6)
    assert_matches(torch.arange(6, device=device)[::-1], a[::-1], torch.int64, what="x[::-1]")


@pytest.mark.capability("forward")
@pytest.mark.parametrize("op, dtype", op_dtype_params(INDEXING, MOVE_DTYPES))
@given(data=st.data())
def test_indexing_row_matches_numpy(op, dtype, device, data):
    """Every INDEXING row of the op table (gather, take, index_add/copy/fill/put
    with repeated and negative indices, scatter with every reduction,
    masked ops, where, nonzero) against NumPy."""
    require_dtype(dtype, device)
    check_op(data.draw(op_cases(op, dtype, device), label="case"))
