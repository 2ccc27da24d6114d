"""Properties that need no reference (issue 13, item 3), for every op-table
row that moves or maps values elementwise: the result does not depend on
the input's memory layout nor on the number of intra-op threads, bit for
bit (these kernels have no reduction order to vary); and where a row has
in-place and out= forms, they give the functional result bit for bit."""

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from torchconform import dtypes
from torchconform.opcheck import crashing, kron_refuses, op_cases, require_dtype
from torchconform.ops import INDEXING, SHAPE, TABLE
from torchconform.strategies import LAYOUTS

pytestmark = pytest.mark.area("forms")

# Rows that only move values: elementwise float kernels may round differently in their vectorised
# and scalar paths (cosh, remainder), and rows that accumulate (dot, inner, einsum, trace,
# index_add, scatter_add: the ones with an error scale) sum in an order that depends on the layout
# and the thread count, neither of which torch promises to avoid.
BITWISE_ROWS = [op for op in SHAPE + INDEXING if op.scale is None]
#: One dtype per row: the first of these of a kind the row is checked on.
PREFERRED = (torch.float32, torch.int64, torch.complex64, torch.bool, torch.float64)


def row_dtype(op):
    return next(d for d in PREFERRED
                if dtypes.name(d) in (op.dtypes or [dtypes.name(d)]) and
                {torch.bool: "bool", torch.int64: "int", torch.complex64: "complex"}.get(d, "float") in op.kinds)


def assert_same_bits(got, want, what):
    a, b = dtypes.tensor_to_numpy(got), dtypes.tensor_to_numpy(want)
    assert a.shape == b.shape and got.dtype == want.dtype, f"{what}: {got.dtype}{a.shape} vs {want.dtype}{b.shape}"
    if np.iscomplexobj(a) or a.dtype.kind == "f":
        # Same bits, -0.0 told from 0.0; a NaN meets a NaN (its sign and payload carry no meaning).
        nan_a, nan_b = np.isnan(a), np.isnan(b)
        np.testing.assert_array_equal(nan_a, nan_b, err_msg=f"{what}: NaN positions")
        a, b = np.where(nan_a, 0, a).reshape(-1).view(np.uint8), np.where(nan_b, 0, b).reshape(-1).view(np.uint8)
    np.testing.assert_array_equal(a, b, err_msg=what)


@pytest.mark.capability("layout")
@pytest.mark.parametrize("op", BITWISE_ROWS, ids=lambda op: op.name)
@given(data=st.data())
def test_result_does_not_depend_on_layout_or_threads(op, device, data):
    dtype = row_dtype(op)
    require_dtype(dtype, device)
    case = data.draw(op_cases(op, dtype, device, layouts=[layout for layout in LAYOUTS if layout != "contiguous"]),
                     label="case")
    if kron_refuses(case) or crashing(case):
        return
    result = op.run_torch(*case.tensors, **case.params)
    dense = op.run_torch(*[t.contiguous() for t in case.tensors], **case.params)
    assert_same_bits(result, dense, f"{op.name}: drawn layout vs contiguous copy")
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        single = op.run_torch(*case.tensors, **case.params)
    finally:
        torch.set_num_threads(threads)
    assert_same_bits(result, single, f"{op.name}: {threads} threads vs 1")


FORM_ROWS = [op for op in TABLE.values() if op.inplace or op.out]


@pytest.mark.capability("out")
@pytest.mark.parametrize("op", FORM_ROWS, ids=lambda op: op.name)
@given(data=st.data())
def test_inplace_and_out_forms_equal_the_functional_result(op, device, data):
    dtype = row_dtype(op)
    require_dtype(dtype, device)
    case = data.draw(op_cases(op, dtype, device, result_shaped_first=True,
                              layouts=[layout for layout in LAYOUTS if layout != "expanded"]), label="case")
    if crashing(case):
        return
    expected = op.run_torch(*[t.clone() for t in case.tensors], **case.params)
    if op.out:
        out = torch.empty_like(expected)
        returned = op.run_torch(*[t.clone() for t in case.tensors], which="out", out=out, **case.params)
        assert returned is out, f"{op.out} must return out"
        assert_same_bits(out, expected, f"{op.name}: out= vs functional")
    if op.inplace and expected.dtype == dtype and tuple(expected.shape) == tuple(case.tensors[0].shape):
        target = case.tensors[0].clone()
        op.run_torch(target, *case.tensors[1:], which="inplace", **case.params)
        assert_same_bits(target, expected, f"{op.name}: in-place vs functional")
