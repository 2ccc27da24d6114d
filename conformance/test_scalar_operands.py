"""Binary operators with a Python scalar on either side (``2.0 - t``,
``1 / t``, ``3 ** t``, ``t % 2``, ...) against NumPy, for bool, int, float
and complex scalars on every tensor dtype.

The result dtype comes from torch's documented scalar rule, written out
here (not asked of torch): a scalar only changes the dtype when its
category (bool < int < float < complex) is above the tensor's; then a
float scalar gives the default dtype, a complex one the complex dtype
matching the tensor's float dtype (complex64 for integer tensors); true
division of an integer tensor gives the default dtype. The values are
NumPy's, in float64/complex128, rounded to that dtype.
"""

import operator

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from torchconform import dtypes, record
from torchconform.oracle import assert_matches
from torchconform.strategies import dtypes_for, kind_of, shapes, tensors

pytestmark = [pytest.mark.area("promotion"), pytest.mark.filterwarnings("ignore:ComplexHalf support is experimental")]

CATEGORY = {"bool": 0, "int": 1, "float": 2, "complex": 3}
_COMPLEX_OF = {torch.float16: torch.complex32, torch.bfloat16: torch.complex64, torch.float32: torch.complex64,
               torch.float64: torch.complex128}

#: Operator, the tensor dtype kinds torch (and NumPy) accept it on, and whether it divides.
OPERATORS = {
    "add": (operator.add, ("bool", "int", "float", "complex")),
    "sub": (operator.sub, ("int", "float", "complex")),
    "mul": (operator.mul, ("bool", "int", "float", "complex")),
    "truediv": (operator.truediv, ("int", "float", "complex")),
    "floordiv": (operator.floordiv, ("int", "float")),
    "mod": (operator.mod, ("int", "float")),
    "pow": (operator.pow, ("int", "float", "complex")),
}
SCALARS = {"bool": st.booleans(), "int": st.integers(1, 5), "float": st.sampled_from([0.5, 2.0, -1.5, 3.25]),
           "complex": st.sampled_from([1j, 0.5 - 2j])}


def scalar_rule(tensor_dtype, scalar_kind, op_name):
    """Torch's documented result dtype of ``tensor op scalar`` (see the module docstring)."""
    tensor_kind = kind_of(tensor_dtype)
    if CATEGORY[scalar_kind] <= CATEGORY[tensor_kind]:
        result = tensor_dtype
    elif scalar_kind == "complex":
        result = _COMPLEX_OF.get(tensor_dtype, torch.complex64)
    elif scalar_kind == "float":
        result = torch.get_default_dtype()
    else:
        result = torch.int64  # a Python int with a bool tensor
    if op_name == "truediv" and CATEGORY[kind_of(result)] <= 1:
        result = torch.get_default_dtype()
    return result


# The reflected operator (__rsub__) is its own family: a scalar on the left takes another code path.
CASES = [pytest.param(op, side, kind, id=f"{op}-{side}-{kind}",
                      marks=pytest.mark.checks(f"__r{op}__" if side == "left" else f"__{op}__"))
         for op in OPERATORS for side in ("left", "right") for kind in SCALARS
         if not (kind == "complex" and op in ("floordiv", "mod"))]  # complex has no floor, in NumPy or torch

RECIPROCAL = "scalar-over-tensor-multiplies-by-the-reciprocal"
SUBNORMAL_DIVISOR = "remainder-subnormal-divisor"


@pytest.mark.capability("forward")
@pytest.mark.parametrize("op_name, side, scalar_kind", CASES)
@given(data=st.data())
def test_python_scalar_operand_matches_numpy(op_name, side, scalar_kind, device, data):
    function, kinds = OPERATORS[op_name]
    dtype = data.draw(dtypes_for(device, kinds), label="dtype")
    expected_dtype = scalar_rule(dtype, scalar_kind, op_name)
    if expected_dtype == torch.complex32 or (scalar_kind == "bool" and op_name in ("sub", "pow")):
        # complex32 has no NumPy type; a bool scalar is not a number NumPy subtracts or raises to.
        return
    integer_result = CATEGORY[kind_of(expected_dtype)] <= 1
    divides = op_name in ("truediv", "floordiv", "mod")
    # Integer division by zero raises; integer powers stay small and non-negative (no overflow, no 1/x).
    domain = (1, 6) if integer_result and (divides and side == "left" or op_name == "pow") else (-50, 50)
    drawn = data.draw(tensors(dtype, shape=shapes(max_dims=3), device=device,
                              domain=domain if dtypes.is_exact(dtype) else (-50, 50),
                              specials=not integer_result), label="tensor")
    scalar = data.draw(SCALARS[scalar_kind], label="scalar")
    if op_name == "pow" and integer_result and side == "right":
        scalar = abs(int(scalar))
    if divides and side == "right" and not scalar:
        scalar = 2
    if op_name == "pow" and side == "left" and scalar_kind in ("int", "float") and scalar < 0:
        scalar = -scalar  # a negative base to a fractional power is nan in both, but complex in neither oracle
    got = apply_operator(op_name, side, drawn.tensor, scalar)
    assert got.dtype == expected_dtype, (
        f"{'scalar ' + op_name + ' tensor' if side == 'left' else 'tensor ' + op_name + ' scalar'}: "
        f"{dtypes.name(dtype)} with {scalar!r} gives {got.dtype}, expected {expected_dtype}")
    reference = dtypes.reference_dtype(expected_dtype)
    array = drawn.array.astype(reference)
    with np.errstate(all="ignore"):
        value = np.asarray(function(scalar, array) if side == "left" else function(array, scalar))
    if np.iscomplexobj(value) and not dtypes.is_complex(expected_dtype):
        value = value.real
    what = f"{scalar!r} {op_name} x" if side == "left" else f"x {op_name} {scalar!r}"
    deviation = None
    if op_name in ("truediv", "mod") and side == "left" and not dtypes.is_exact(expected_dtype):
        deviation = RECIPROCAL if op_name == "truediv" else SUBNORMAL_DIVISOR
        # Torch computes scalar * (1 / x) and x - floor(scalar / x) * x: where 1 / x overflows the
        # dtype the result is inf or nan.
        real = _REAL_OF.get(expected_dtype, expected_dtype)
        overflows = np.broadcast_to((np.abs(array) < 1 / torch.finfo(real).max) & (array != 0), value.shape)
        if deviation == RECIPROCAL and dtype in (torch.float16, torch.bfloat16) and real != dtype:
            # The reciprocal is rounded to the tensor's own (narrower) dtype before promotion.
            overflows = np.ones(value.shape, bool)
        if np.any(overflows):
            record.note("deviation", deviation)
            value = np.where(overflows, dtypes.tensor_to_numpy(got).astype(value.dtype), value)
    record.note("scalar", what)
    if dtypes.is_complex(expected_dtype):
        finite = np.isfinite(value) & np.isfinite(array)  # complex infinities: see complex-* deviations
        got_parts = torch.view_as_real(got.resolve_conj()).cpu()[torch.from_numpy(np.asarray(finite))]
        want = np.stack([value.real, value.imag], -1)[finite]
        assert_matches(dtypes.tensor_to_numpy(got_parts), want, _REAL_OF[expected_dtype], op="pow", what=what,
                       scale=np.repeat(pow_scale(scalar, array, value, side)[finite][:, None], 2, axis=1)
                       if op_name == "pow" else np.repeat(np.abs(value[finite])[:, None], 2, axis=1))
        return
    assert_matches(got, value.astype(reference), expected_dtype, op="pow" if op_name == "pow" else None, what=what,
                   scale=np.abs(array) if op_name in ("floordiv", "mod") else None)


_REAL_OF = {torch.complex64: torch.float32, torch.complex128: torch.float64}


def apply_operator(op_name, side, tensor, scalar):
    """``scalar op tensor`` (side "left") or ``tensor op scalar``, by calling the dunder Python calls
    for it (``Tensor.__rsub__(tensor, scalar)`` for ``scalar - tensor``). Called through
    torch.overrides.handle_torch_function: several of these dunders are C methods that report
    themselves to __torch_function__ as the method they forward to (``__radd__`` as ``add``), so a
    coverage tracker would credit ``add``; the protocol names the dunder, which computes the value."""
    dunder = getattr(torch.Tensor, f"__r{op_name}__" if side == "left" else f"__{op_name}__")
    return torch.overrides.handle_torch_function(dunder, (tensor,), tensor, scalar)


def pow_scale(scalar, array, value, side):
    """The size of a power's rounding error: pow is exp(y * log(x)), whose
    relative error grows with |y log x| (see tolerances.OP_FACTORS["pow"])."""
    base, exponent = (scalar, array) if side == "left" else (array, scalar)
    with np.errstate(all="ignore"):
        size = np.abs(value) * (1 + np.abs(exponent * np.log(np.asarray(base, dtype=np.complex128))))
    return np.broadcast_to(np.where(np.isfinite(size), size, 0.0), np.shape(value))
