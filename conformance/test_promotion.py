"""Type promotion of binary ops against ``numpy.result_type``: every pair of
tensor dtypes, tensors against Python scalars (NumPy 2's NEP 50 rules, where
Python scalars are "weak"), tensors against 0-d tensors, true division, and
the values of mixed-dtype arithmetic.

Where torch differs from NumPy *by design*, the pair is still checked: the
expected dtype becomes the deviation's documented rule and the report notes
the deviation's id; each deviation also has a deterministic example below
that asserts NumPy's answer and is a strict xfail via deviations.toml, so the
day torch changes, the run says so.

bfloat16 has no NumPy type. Its oracle is NumPy's answer with float16 in its
place, except that float16 with bfloat16 gives float32 (neither holds the
other; float32 is the smallest type that holds both).
"""

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from torchconform import dtypes, record
from torchconform.oracle import assert_device_matches_cpu, assert_matches
from torchconform.strategies import broadcastable_shapes, dtypes_for, kind_of, tensors

# complex32 results (float16 with complex) are the point of some checks, not a problem.
pytestmark = [pytest.mark.area("promotion"), pytest.mark.filterwarnings("ignore:ComplexHalf support is experimental")]

CATEGORY = {"bool": 0, "int": 1, "float": 2, "complex": 3}
NEP50 = int(np.__version__.split(".")[0]) >= 2

INT_WITH_FLOAT = "promotion-int-with-float-keeps-float"
PYTHON_FLOAT = "python-float-scalar-promotes-to-default-dtype"
FLOAT16_COMPLEX = "float16-with-python-complex-gives-complex32"
ZERO_DIM = "zero-dim-tensor-promotes-like-a-scalar"
INT_DIVISION = "int-true-division-gives-default-dtype"
COMPLEX_ADD_INF = "complex-add-infinity-makes-nan"

_FROM_NUMPY = {np.dtype(dtypes.to_numpy(d)): d for d in dtypes.ALL_DTYPES if d != torch.bfloat16}
_COMPLEX_OF = {torch.float16: torch.complex32, torch.bfloat16: torch.complex64,
               torch.float32: torch.complex64, torch.float64: torch.complex128}


def category(dtype):
    return CATEGORY[kind_of(dtype)]


def numpy_type(dtype):
    return np.float16 if dtype == torch.bfloat16 else dtypes.to_numpy(dtype)


def numpy_promotion(a, b, *, divide=False):
    """NumPy's result dtype for tensors of dtypes ``a`` and ``b`` (``np.true_divide``
    when ``divide``), as a torch dtype; bfloat16 as the module docstring says."""
    x, y = np.ones(1, numpy_type(a)), np.ones(1, numpy_type(b))
    result = _FROM_NUMPY[(np.true_divide(x, y) if divide else x + y).dtype]
    if result == torch.float16 and torch.bfloat16 in (a, b):
        return torch.float32 if torch.float16 in (a, b) else torch.bfloat16
    return result


def expected_promotion(a, b, *, divide=False):
    """NumPy's answer, or the documented torch rule where a known deviation applies."""
    expected = numpy_promotion(a, b, divide=divide)
    exact, inexact = sorted((a, b), key=category)
    if category(exact) <= 1 < category(inexact) and expected != inexact:
        # Torch: an integer or bool operand never widens a floating one.
        record.note("deviation", INT_WITH_FLOAT)
        return inexact
    if divide and expected == torch.float64 and category(a) <= 1 and category(b) <= 1:
        record.note("deviation", INT_DIVISION)
        return torch.get_default_dtype()
    return expected


def require(dtype_pair, device):
    missing = [d for d in dtype_pair if d not in dtypes.supported_dtypes(device)]
    if missing:
        pytest.skip(f"{', '.join(map(dtypes.name, missing))} not supported by this torch build on {device}")


PAIRS = [pytest.param(a, b, id=f"{dtypes.name(a)}-{dtypes.name(b)}")
         for a, b in itertools.product(dtypes.ALL_DTYPES, repeat=2)]


@pytest.mark.capability("dtype")
@pytest.mark.parametrize("a, b", PAIRS)
def test_tensor_promotion_matches_numpy_result_type(a, b, device):
    require((a, b), device)
    x, y = torch.ones(2, dtype=a, device=device), torch.ones(2, dtype=b, device=device)
    expected = expected_promotion(a, b)
    for what, got in [("result_type", torch.result_type(x, y)), ("x + y", (x + y).dtype), ("x * y", (x * y).dtype)]:
        assert got == expected, f"{what} for {dtypes.name(a)}, {dtypes.name(b)}: {got}, expected {expected}"
    got = (x / y).dtype
    expected = expected_promotion(a, b, divide=True)
    assert got == expected, f"x / y for {dtypes.name(a)}, {dtypes.name(b)}: {got}, expected {expected}"


SCALARS = [pytest.param(True, id="bool"), pytest.param(3, id="int"), pytest.param(2.5, id="float"),
           pytest.param(1.5j, id="complex")]


@pytest.mark.capability("dtype")
@pytest.mark.skipif(not NEP50, reason="NumPy < 2 promotes Python scalars by value (pre-NEP 50); no oracle")
@pytest.mark.parametrize("scalar", SCALARS)
@pytest.mark.parametrize("dtype", dtypes.ALL_DTYPES, ids=dtypes.name)
def test_python_scalar_promotion_matches_numpy(dtype, scalar, device):
    require((dtype,), device)
    got = (torch.ones(2, dtype=dtype, device=device) + scalar).dtype
    expected = _FROM_NUMPY[(np.ones(2, numpy_type(dtype)) + scalar).dtype]
    if expected == torch.float16 and dtype == torch.bfloat16:
        expected = torch.bfloat16
    if category(dtype) <= 1 and expected in (torch.float64, torch.complex128):
        # Torch: a Python float/complex gives the default dtype (float32/complex64).
        record.note("deviation", PYTHON_FLOAT)
        expected = torch.get_default_dtype() if expected == torch.float64 else torch.complex64
    if dtype == torch.float16 and expected == torch.complex64:
        record.note("deviation", FLOAT16_COMPLEX)
        expected = torch.complex32
    assert got == expected, f"{dtypes.name(dtype)} tensor + {scalar!r}: {got}, expected {expected}"


def zero_dim_rule(dim_dtype, zero_dim_dtype):
    """Torch's documented rule: a 0-d tensor only counts when its category
    (bool < int < float < complex) is higher than the dimensioned operand's;
    then its dtype wins, except that a complex 0-d tensor with a float
    operand gives the complex counterpart of the float."""
    if category(zero_dim_dtype) <= category(dim_dtype):
        return dim_dtype
    if category(zero_dim_dtype) == 3 and category(dim_dtype) == 2:
        return _COMPLEX_OF[dim_dtype]
    return zero_dim_dtype


@pytest.mark.capability("dtype")
@pytest.mark.parametrize("a, b", PAIRS)
def test_zero_dim_tensor_promotion_matches_numpy_result_type(a, b, device):
    require((a, b), device)
    got = (torch.ones(2, dtype=a, device=device) + torch.ones((), dtype=b, device=device)).dtype
    expected = expected_promotion(a, b)
    rule = zero_dim_rule(a, b)
    if expected != rule:
        # NumPy 2 treats 0-d arrays like any array; torch like a scalar.
        record.note("deviation", ZERO_DIM)
        expected = rule
    assert got == expected, f"{dtypes.name(a)} tensor + 0-d {dtypes.name(b)}: {got}, expected {expected}"


@pytest.mark.capability("forward")
@given(data=st.data())
def test_mixed_dtype_add_matches_numpy_in_the_promoted_dtype(device, data):
    # Values after promotion: both operands cast to the result dtype, then added.
    a, b = data.draw(dtypes_for(device), label="a dtype"), data.draw(dtypes_for(device), label="b dtype")
    # At least 1-d: a 0-d operand promotes like a scalar (tested above) and
    # can give complex32, which NumPy cannot hold.
    shapes = data.draw(broadcastable_shapes(2, min_dims=1, max_dims=3), label="shapes").input_shapes
    # Integers stay small so that int -> float casts are exact (no double
    # rounding through float64 on the NumPy side).
    x = data.draw(tensors(a, shape=shapes[0], device=device, domain=(-1000, 1000) if category(a) == 1 else None),
                  label="x")
    y = data.draw(tensors(b, shape=shapes[1], device=device, domain=(-1000, 1000) if category(b) == 1 else None),
                  label="y")
    result = x.tensor + y.tensor
    ref = dtypes.reference_dtype(result.dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        cast = [dtypes.round_to_dtype(v.array.astype(np.result_type(v.array.dtype, ref)), result.dtype).astype(ref)
                for v in (x, y)]
        expected = np.logical_or(*cast) if ref == np.bool_ else cast[0] + cast[1]
    keep = ~complex_infinity(*cast) if dtypes.is_complex(result.dtype) else np.ones(expected.shape, bool)
    if not keep.all():
        record.note("deviation", COMPLEX_ADD_INF)
    got = dtypes.tensor_to_numpy(result)
    assert got.shape == expected.shape, f"shape {got.shape}, expected {expected.shape}"
    assert_matches(got[keep], expected[keep], result.dtype, what=f"{dtypes.name(a)} + {dtypes.name(b)}")
    assert_device_matches_cpu(result, x.tensor.cpu() + y.tensor.cpu(), what="mixed-dtype add")


def complex_infinity(*arrays):
    """Elements where an operand has an infinite real or imaginary part
    (see the deviation ``complex-add-infinity-makes-nan``), broadcast."""
    return np.logical_or.reduce([np.isinf(np.real(a)) | np.isinf(np.imag(a)) for a in np.broadcast_arrays(*arrays)])


@pytest.mark.capability("dtype")
def test_uint8_with_int8_promotes_to_int16_like_numpy(device):
    x, y = torch.tensor([200], dtype=torch.uint8, device=device), torch.tensor([-100], dtype=torch.int8, device=device)
    expected = np.array([200], np.uint8) + np.array([-100], np.int8)
    assert_matches(x + y, expected, torch.int16, what="uint8 + int8")


@pytest.mark.capability("errors")
def test_bool_subtraction_is_refused_like_numpy(device):
    with pytest.raises(TypeError):
        np.ones(2, bool) - np.ones(2, bool)
    with pytest.raises(RuntimeError, match="Subtraction.*bool"):
        torch.ones(2, dtype=torch.bool, device=device) - torch.ones(2, dtype=torch.bool, device=device)


# -- examples of the known deviations: each asserts NumPy's answer (strict xfail) ----------------

def test_int32_with_float32_tensor_is_float64_like_numpy(device):
    """Known deviation ``promotion-int-with-float-keeps-float``: NumPy widens
    int16/int32/int64 with float16/float32/complex64 to a type that holds
    every integer of the operand (int32 + float32 -> float64); torch keeps the
    floating operand's dtype, by design (category first, then the widest
    type of that category)."""
    x, y = torch.ones(2, dtype=torch.int32, device=device), torch.ones(2, dtype=torch.float32, device=device)
    assert (x + y).dtype == torch.float64


def test_int_tensor_with_python_float_is_float64_like_numpy(device):
    """Known deviation ``python-float-scalar-promotes-to-default-dtype``: an
    int or bool tensor with a Python float gives float64 in NumPy 2 and
    ``torch.get_default_dtype()`` (float32) in torch; with a Python complex,
    complex128 versus complex64. By design: torch's default dtype."""
    assert (torch.ones(2, dtype=torch.int64, device=device) + 2.5).dtype == torch.float64


def test_float16_tensor_with_python_complex_is_complex64_like_numpy(device):
    """Known deviation ``float16-with-python-complex-gives-complex32``: torch
    gives the experimental complex32 (ComplexHalf), NumPy complex64 (it has
    no complex32)."""
    assert (torch.ones(2, dtype=torch.float16, device=device) + 1.5j).dtype == torch.complex64


def test_zero_dim_int64_with_int32_tensor_is_int64_like_numpy(device):
    """Known deviation ``zero-dim-tensor-promotes-like-a-scalar``: NumPy 2
    (NEP 50) promotes 0-d arrays like any array (int32 + 0-d int64 ->
    int64); torch lets a 0-d tensor change the result only when its category
    is higher, as for a Python scalar (int32)."""
    x, y = torch.ones(2, dtype=torch.int32, device=device), torch.tensor(1, dtype=torch.int64, device=device)
    assert (x + y).dtype == torch.int64


def test_int_true_division_is_float64_like_numpy(device):
    """Known deviation ``int-true-division-gives-default-dtype``: NumPy's true
    division of integers (tensor / tensor or / int) gives float64; torch
    gives ``torch.get_default_dtype()`` (float32)."""
    got = (torch.tensor([1, 2], device=device) / 2).dtype
    assert got == (np.array([1, 2]) / 2).dtype, f"int64 tensor / 2 is {got}"


def test_out_of_range_python_int_raises_like_numpy(device):
    """Known deviation ``python-int-out-of-range-wraps``: NumPy 2 raises
    OverflowError for ``uint8 array + 300``; torch converts 300 to uint8 by
    wrapping (44) and returns ``1 + 44 = 45`` without a warning."""
    with pytest.raises(OverflowError):
        torch.ones(2, dtype=torch.uint8, device=device) + 300


def test_complex_add_with_an_infinite_part_keeps_the_other_part(device):
    """Known deviation ``complex-add-infinity-makes-nan``: torch computes
    complex ``x + y`` as ``x + alpha * y`` with a complex product, so an
    infinite part of ``y`` turns ``y``'s other (finite) part into nan:
    ``(1+1j) + infj`` gives ``nan+infj`` where NumPy (and C99 addition) give
    ``1+infj``. Subtraction too."""
    x = np.array([1 + 1j, 2j], np.complex64)
    y = np.array([complex(0, np.inf), complex(np.inf, 0)], np.complex64)
    result = torch.from_numpy(x).to(device) + torch.from_numpy(y).to(device)
    assert_matches(result, x.astype(np.complex128) + y, torch.complex64, what="(1+1j) + infj, 2j + inf")
