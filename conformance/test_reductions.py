"""Reductions: every row of the op table's REDUCTIONS against NumPy, per
dtype, on every device, plus what users rely on beyond values: NaN
propagation, keepdim shapes, the first index on ties, std/var correction
(down to no degrees of freedom) and integer sums that accumulate in int64."""

import dataclasses

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from torchconform import dtypes, strategies
from torchconform.opcheck import OpCase, check_op, op_cases, op_dtype_params, require_dtype
from torchconform.ops import REDUCTIONS, row
from torchconform.oracle import assert_matches

pytestmark = pytest.mark.area("reductions")

#: Reductions that take a ``dim`` (and ``keepdim``) parameter.
DIM_REDUCTIONS = [op for op in REDUCTIONS if op.params is not None]
#: Reductions whose value is NaN as soon as one reduced element is.
NAN_PROPAGATING = [op for op in REDUCTIONS if op.nan_propagating]
#: Index-returning reductions: torch documents the first index on ties, as NumPy's argmax/argmin do.
INDEX_REDUCTIONS = [op for op in REDUCTIONS if op.returns_index]


@pytest.mark.capability("forward")
@pytest.mark.parametrize("op, dtype", op_dtype_params(REDUCTIONS))
@given(data=st.data())
def test_reduction_matches_numpy(op, dtype, device, data):
    require_dtype(dtype, device)
    check_op(data.draw(op_cases(op, dtype, device), label="case"))


@st.composite
def _with_a_nan(draw, op, dtype, device):
    """A case of ``op`` with NaN written at one drawn position, and every other
    value bounded so that nothing else (inf - inf, overflow) makes a NaN."""
    bounded = dataclasses.replace(op, specials=False, domain=op.domain or (-1e4, 1e4))
    case = draw(op_cases(bounded, dtype, device, layouts=["contiguous"]).filter(lambda c: c.inputs[0].array.size))
    drawn = case.inputs[0]
    position = draw(st.integers(0, drawn.array.size - 1), label="nan_position")
    array = drawn.array.copy()
    array.flat[position] = np.nan
    tensor = drawn.tensor.clone()
    tensor.view(-1)[position] = float("nan")
    # A variance without degrees of freedom is nan everywhere: keep the correction at 0.
    params = case.params | ({"correction": 0} if "correction" in case.params else {})
    return OpCase(op, [strategies.Drawn(tensor, array, drawn.layout)], params, dtype)


@pytest.mark.capability("nan")
@pytest.mark.parametrize("op", NAN_PROPAGATING, ids=lambda op: op.name)
@given(data=st.data())
def test_nan_propagates_to_its_slice_only(op, device, data):
    case = data.draw(_with_a_nan(op, torch.float32, device), label="case")
    result = check_op(case)
    has_nan = np.any(np.isnan(case.inputs[0].array), axis=case.params.get("dim"), keepdims=True)
    np.testing.assert_array_equal(np.isnan(dtypes.tensor_to_numpy(result)), has_nan.reshape(result.shape),
                                  err_msg=f"{op.name}: NaN must reach exactly the outputs whose slice holds it")


@pytest.mark.capability("keepdim")
@pytest.mark.parametrize("op", DIM_REDUCTIONS, ids=lambda op: op.name)
@given(data=st.data())
def test_keepdim_keeps_the_reduced_dim_with_size_one(op, device, data):
    shape = data.draw(strategies.shapes(min_dims=1, min_side=1), label="shape")
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    x = torch.zeros(shape, device=device)
    params = data.draw(op.params((shape,), x.dtype), label="params") | {"dim": dim}
    for keepdim in (True, False):
        expected = np.sum(np.zeros(shape), axis=dim, keepdims=keepdim).shape
        got = tuple(op.run_torch(x, **params | {"keepdim": keepdim}).shape)
        assert got == expected, f"{op.name}(dim={dim}, keepdim={keepdim}) on {shape}: shape {got} != {expected}"


@pytest.mark.capability("ties")
@pytest.mark.parametrize("op", INDEX_REDUCTIONS, ids=lambda op: op.name)
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float16, torch.float32], ids=dtypes.name)
@given(data=st.data())
def test_ties_give_the_first_index(op, dtype, device, data):
    require_dtype(dtype, device)
    # Three values (0 and -0.0 compare equal) in small tensors make ties the rule.
    shape = data.draw(strategies.shapes(min_dims=1, min_side=1, max_side=4), label="shape")
    values = data.draw(hnp.arrays(dtypes.to_numpy(dtype), shape, elements=st.sampled_from(
        [0, 1] if dtypes.is_exact(dtype) else [0.0, -0.0, 1.0])), label="values")
    x = strategies.Drawn(torch.from_numpy(values).to(device), values, "contiguous")
    check_op(OpCase(op, [x], data.draw(op.params((shape,), dtype), label="params"), dtype))


@pytest.mark.capability("correction")
@pytest.mark.parametrize("op", [row("var"), row("std")], ids=lambda op: op.name)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=dtypes.name)
@given(data=st.data())
def test_correction_matches_numpy_ddof_up_to_no_degrees_of_freedom(op, dtype, device, data):
    case = data.draw(op_cases(op, dtype, device).filter(lambda c: c.inputs[0].array.size), label="case")
    dim = case.params["dim"]
    count = case.inputs[0].array.size if dim is None else case.inputs[0].array.shape[dim]
    # From correction == count on, both divide by zero (inf, or nan for a constant slice).
    correction = data.draw(st.sampled_from([0, 1, count - 1, count, count + 1]), label="correction")
    values = case.inputs[0].array
    constant = np.ptp(values, axis=dim) == 0 if dim is not None else np.ptp(values) == 0
    if correction >= count and np.any(constant):
        # S / 0 where the sum of squares S of a constant slice is 0 only up to the rounding of its mean:
        # 0 / 0 = nan for an exact mean, S / 0 = inf otherwise. Either is right; nothing else is.
        result = dtypes.tensor_to_numpy(op.run_torch(*case.tensors, **case.params | {"correction": correction}))
        assert np.all(np.isnan(result) | (result == np.inf)), f"{op.name} without degrees of freedom: {result}"
        return
    check_op(OpCase(op, case.inputs, case.params | {"correction": correction}, dtype))


#: Narrower than int64: a sum in their own dtype would overflow after a few additions.
WIDENED = [torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32]


@pytest.mark.capability("dtype")
@pytest.mark.parametrize("dtype", WIDENED, ids=dtypes.name)
@given(data=st.data())
def test_integer_sum_accumulates_in_int64_without_overflow(dtype, device, data):
    x = data.draw(strategies.tensors(dtype, shape=strategies.shapes(min_dims=1), device=device), label="x")
    result = torch.sum(x.tensor)
    assert result.dtype == torch.int64, f"sum of {dtypes.name(dtype)} must accumulate in int64"
    assert_matches(result, np.sum(x.array, dtype=np.int64), torch.int64, what=f"sum of {dtypes.name(dtype)}")


@pytest.mark.capability("dtype")
@pytest.mark.parametrize("dtype", [torch.uint8, torch.int16], ids=dtypes.name)
@given(data=st.data())
def test_sum_with_an_explicit_dtype_wraps_like_numpy(dtype, device, data):
    x = data.draw(strategies.tensors(dtype, shape=strategies.shapes(min_dims=1), device=device,
                                     domain=(0, 255)), label="x")
    with np.errstate(over="ignore"):
        expected = np.sum(x.array, dtype=x.array.dtype)
    assert_matches(torch.sum(x.tensor, dtype=dtype), expected, dtype, what=f"sum(dtype={dtypes.name(dtype)})")


@pytest.mark.capability("dtype")
@pytest.mark.parametrize("dtype", [torch.uint8, torch.int64, torch.bool], ids=dtypes.name)
def test_mean_of_an_integer_tensor_is_refused(dtype, device):
    with pytest.raises(RuntimeError, match="Input dtype must be either a floating point or complex"):
        torch.mean(torch.ones(3, dtype=dtype, device=device))


@pytest.mark.capability("errors")
@pytest.mark.parametrize("op", [row(name) for name in ("amax", "max_values", "argmax")], ids=lambda op: op.name)
def test_a_reduction_without_identity_refuses_an_empty_dim(op, device):
    # NumPy refuses the same: "zero-size array to reduction operation maximum which has no identity".
    with pytest.raises((RuntimeError, IndexError), match="(?i)empty|zero|non-zero size"):
        op.run_torch(torch.zeros(0, 3, device=device), dim=0, keepdim=False)
