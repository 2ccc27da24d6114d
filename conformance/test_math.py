"""Elementwise math: every unary, binary and ternary row of the op table
against NumPy, per dtype, on every device, in every drawn layout."""

import pytest
import torch
from hypothesis import given, strategies as st

from torchconform.opcheck import (FORM_DTYPES, check_op, check_result, crashing, op_cases, op_dtype_params,
                                  require_dtype)
from torchconform.ops import BINARY, TERNARY, UNARY
from torchconform.strategies import LAYOUTS

pytestmark = pytest.mark.area("math")

ELEMENTWISE = UNARY + BINARY + TERNARY


@pytest.mark.capability("forward")
@pytest.mark.parametrize("op, dtype", op_dtype_params(ELEMENTWISE))
@given(data=st.data())
def test_op_matches_numpy(op, dtype, device, data):
    require_dtype(dtype, device)
    check_op(data.draw(op_cases(op, dtype, device), label="case"))


@pytest.mark.capability("inplace")
@pytest.mark.parametrize("op, dtype", op_dtype_params([op for op in ELEMENTWISE if op.inplace], FORM_DTYPES))
@given(data=st.data())
def test_inplace_matches_numpy_and_keeps_storage(op, dtype, device, data):
    require_dtype(dtype, device)
    # An expanded (stride-0) target is refused by design: see the test below.
    layouts = [layout for layout in LAYOUTS if layout != "expanded"]
    case = data.draw(op_cases(op, dtype, device, result_shaped_first=True, layouts=layouts), label="case")
    if case.expected_dtype != dtype:
        pytest.skip("in-place needs the result dtype to equal the input dtype")
    if crashing(case):
        return
    target = case.tensors[0]
    pointer, version = target.data_ptr(), target._version
    result = op.run_torch(*case.tensors, which="inplace", **case.params)
    assert result is target, f"{op.inplace} must return its input"
    assert target.data_ptr() == pointer, f"{op.inplace} must write into the existing storage"
    assert target._version > version, f"{op.inplace} must bump the version counter"
    check_result(case, result, what=f"{op.name} in-place: {op.inplace}")


@pytest.mark.capability("out")
@pytest.mark.parametrize("op, dtype", op_dtype_params([op for op in ELEMENTWISE if op.out], FORM_DTYPES))
@given(data=st.data())
def test_out_matches_numpy_and_returns_out(op, dtype, device, data):
    require_dtype(dtype, device)
    case = data.draw(op_cases(op, dtype, device), label="case")
    if crashing(case):
        return
    shape = case.expected().shape
    out = torch.empty(shape, dtype=case.expected_dtype, device=device)
    pointer = out.data_ptr()
    result = op.run_torch(*case.tensors, which="out", out=out, **case.params)
    assert result is out, f"{op.out} must return out"
    if out.numel():
        assert out.data_ptr() == pointer, "a correctly sized out= must keep its storage"
    check_result(case, out, what=f"{op.name} out=: {op.out}")


@pytest.mark.capability("inplace")
@pytest.mark.parametrize("op", [op for op in UNARY if op.inplace], ids=lambda op: op.name)
def test_inplace_refuses_a_self_overlapping_target(op, device):
    target = torch.ones(1, 3, device=device).expand(2, 3)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        op.run_torch(target, which="inplace")


@pytest.mark.capability("inplace")
@pytest.mark.parametrize("op", [op for op in BINARY if op.inplace], ids=lambda op: op.name)
def test_inplace_refuses_to_broadcast_its_target(op, device):
    dtype = torch.get_default_dtype() if "float" in op.kinds else torch.int64  # gcd_ has no float form
    small, large = torch.ones(1, 3, dtype=dtype, device=device), torch.ones(2, 3, dtype=dtype, device=device)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        op.run_torch(small, large, which="inplace", **({"alpha": 1} if "alpha" in op.inplace else {}))
