"""Elementwise rows of the op table: unary, binary (broadcasting) and ternary.

Adding an op is adding a row (see CONTRIBUTING.md): the conformance tests
iterate these lists (``conformance/test_math.py``, the autograd modules).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from torchconform.ops.gradient import FINITE_DIFFERENCES as FD, Derivatives, Domain, Smooth
from torchconform.ops.record import ALL, NUMERIC, REAL, Deviates, Op
from torchconform.references import nn as nn_ref, vjp

_POSITIVE = Smooth((Domain((0.1, 5.0)),))
_UNIT = Smooth((Domain((-0.9, 0.9)),))
_NONZERO = Domain(avoid=(0.0,))
_AWAY_FROM_ZERO = Smooth((_NONZERO,))


def _th(x):
    return np.tanh(x)


def _sig(x):
    return nn_ref.sigmoid(x)


_EXP = Derivatives((np.exp,) * 3)
_LOG = Derivatives((lambda x: 1 / x, lambda x: -1 / x ** 2, lambda x: 2 / x ** 3))
# torch forms 1 - y*y from the output y: relative to its terms, not its value.
_TANH = Derivatives(
    (lambda x: 1 - _th(x) ** 2, lambda x: -2 * _th(x) * (1 - _th(x) ** 2),
     lambda x: -2 * (1 - _th(x) ** 2) * (1 - 3 * _th(x) ** 2)),
    (lambda x: 1 + _th(x) ** 2, lambda x: 2 * np.abs(_th(x)) * (1 + _th(x) ** 2),
     lambda x: 2 * (1 + _th(x) ** 2) * (1 + 3 * _th(x) ** 2)))
_SIGMOID = Derivatives(
    (lambda x: _sig(x) * (1 - _sig(x)), lambda x: _sig(x) * (1 - _sig(x)) * (1 - 2 * _sig(x)),
     lambda x: _sig(x) * (1 - _sig(x)) * (1 - 6 * _sig(x) + 6 * _sig(x) ** 2)),
    (lambda x: _sig(x) * (1 + _sig(x)), lambda x: _sig(x) * (1 + _sig(x)) * (1 + 2 * _sig(x)),
     lambda x: _sig(x) * (1 + _sig(x)) * (1 + 6 * _sig(x) + 6 * _sig(x) ** 2)))

#: float64 values that round to float16 differently through float32 (a tie made by the first rounding).
DOUBLE_ROUNDED_TO_HALF = "(dtype == 'float64') & (x.astype(np.float32).astype(np.float16) != x.astype(np.float16))"

UNARY = [
    Op("exp", "torch.exp(x)", "np.exp(x)", inplace="x.exp_()", out="torch.exp(x, out=out)", kinds=("float", "complex"),
       grad=_EXP.vjp(), derivatives=_EXP),
    Op("exp2", "torch.exp2(x)", "np.exp2(x)", grad=FD),
    Op("expm1", "torch.expm1(x)", "np.expm1(x)", grad=FD),
    Op("log", "torch.log(x)", "np.log(x)", inplace="x.log_()", out="torch.log(x, out=out)",
       grad=_LOG.vjp(), smooth=_POSITIVE, derivatives=_LOG),
    Op("log2", "torch.log2(x)", "np.log2(x)", grad=FD, smooth=_POSITIVE),
    Op("log10", "torch.log10(x)", "np.log10(x)", grad=FD, smooth=_POSITIVE),
    Op("log1p", "torch.log1p(x)", "np.log1p(x)", grad=FD, smooth=Smooth((Domain((-0.9, 5.0)),))),
    Op("sqrt", "torch.sqrt(x)", "np.sqrt(x)", inplace="x.sqrt_()", out="torch.sqrt(x, out=out)",
       grad=vjp.elementwise(lambda x: 0.5 / np.sqrt(x)), smooth=_POSITIVE),
    Op("rsqrt", "torch.rsqrt(x)", "1 / np.sqrt(x)", grad=FD, smooth=_POSITIVE),
    Op("abs", "torch.abs(x)", "np.abs(x)", kinds=("int", "float"), inplace="x.abs_()", out="torch.abs(x, out=out)",
       grad=vjp.elementwise(np.sign), smooth=_AWAY_FROM_ZERO),
    Op("neg", "torch.neg(x)", "-x", kinds=("int", "float", "complex"), grad=FD,
       deviation=Deviates("complex-neg-keeps-positive-zero-parts",
                          "np.iscomplexobj(x) & (((x.real == 0) & ~np.signbit(x.real))"
                          " | ((x.imag == 0) & ~np.signbit(x.imag)))")),
    Op("sign", "torch.sign(x)", "np.sign(x)", kinds=("int", "float"),
       deviation=Deviates("sign-of-nan-is-zero", "np.isnan(x)")),
    Op("square", "torch.square(x)", "np.square(x)", kinds=("int", "float"), grad=FD,
       derivatives=Derivatives((lambda x: 2 * x, lambda x: 2.0, lambda x: 0.0))),
    Op("reciprocal", "torch.reciprocal(x)", "1 / x", grad=FD, smooth=_AWAY_FROM_ZERO),
    Op("deg2rad", "torch.deg2rad(x)", "np.deg2rad(x)", grad=vjp.elementwise(lambda x: np.full_like(x, np.pi / 180))),
    Op("sin", "torch.sin(x)", "np.sin(x)", inplace="x.sin_()", out="torch.sin(x, out=out)",
       grad=vjp.elementwise(np.cos),
       derivatives=Derivatives((np.cos, lambda x: -np.sin(x), lambda x: -np.cos(x)), (lambda x: 1.0,) * 3)),
    Op("cos", "torch.cos(x)", "np.cos(x)", grad=vjp.elementwise(lambda x: -np.sin(x))),
    Op("tan", "torch.tan(x)", "np.tan(x)", factor="special", grad=FD, smooth=Smooth((Domain((-1.3, 1.3)),))),
    Op("asin", "torch.asin(x)", "np.arcsin(x)", factor="special", grad=FD, smooth=_UNIT),
    Op("acos", "torch.acos(x)", "np.arccos(x)", factor="special", grad=FD, smooth=_UNIT),
    Op("atan", "torch.atan(x)", "np.arctan(x)", factor="special", grad=FD),
    Op("sinh", "torch.sinh(x)", "np.sinh(x)", factor="special", grad=FD),
    Op("cosh", "torch.cosh(x)", "np.cosh(x)", factor="special", grad=FD),
    Op("tanh", "torch.tanh(x)", "np.tanh(x)", factor="special", inplace="x.tanh_()",
       grad=_TANH.vjp(), derivatives=_TANH),
    Op("asinh", "torch.asinh(x)", "np.arcsinh(x)", factor="special", grad=FD),
    Op("acosh", "torch.acosh(x)", "np.arccosh(x)", factor="special", grad=FD, smooth=Smooth((Domain((1.1, 5.0)),))),
    Op("atanh", "torch.atanh(x)", "np.arctanh(x)", factor="special", grad=FD, smooth=_UNIT),
    Op("sigmoid", "torch.sigmoid(x)", "ref.sigmoid(x)", factor="special", inplace="x.sigmoid_()",
       grad=_SIGMOID.vjp(), derivatives=_SIGMOID),
    Op("relu", "torch.relu(x)", "ref.relu(x)", kinds=("int", "float"), inplace="x.relu_()",
       grad=vjp.elementwise(lambda x: (x > 0).astype(np.float64)), smooth=_AWAY_FROM_ZERO),
    Op("erf", "torch.erf(x)", "np.vectorize(math.erf, otypes=[np.float64])(x)", factor="special", grad=FD,
       deviation=Deviates("erf-bfloat16-flushes-tiny", "(np.abs(x) < 2.0 ** -14) & (dtype == 'bfloat16')")),
    Op("floor", "torch.floor(x)", "np.floor(x)", kinds=("int", "float")),
    Op("ceil", "torch.ceil(x)", "np.ceil(x)", kinds=("int", "float")),
    Op("trunc", "torch.trunc(x)", "np.trunc(x)", kinds=("int", "float")),
    Op("round", "torch.round(x)", "np.round(x)", kinds=("float",)),
    Op("frac", "torch.frac(x)", "x - np.trunc(x)", grad=FD,
       smooth=Smooth((Domain(avoid=tuple(float(k) for k in range(-3, 4))),))),
    Op("isnan", "torch.isnan(x)", "np.isnan(x)", out_dtype="bool"),
    Op("isinf", "torch.isinf(x)", "np.isinf(x)", out_dtype="bool"),
    Op("isfinite", "torch.isfinite(x)", "np.isfinite(x)", out_dtype="bool"),
    Op("logical_not", "torch.logical_not(x)", "np.logical_not(x)", kinds=ALL, out_dtype="bool"),
    # The rest of the unary math (issue 13): special functions against scipy.special.
    # Near its roots (1 and 2) lgamma's error is absolute, about eps: scale 1.
    Op("lgamma", "torch.lgamma(x)", "ref.lgamma(x)", factor="special", scale="np.ones_like(x)", inplace="x.lgamma_()",
       out="torch.lgamma(x, out=out)",
       deviation=Deviates("lgamma-overflows-below-the-largest-finite-value", "x * np.log(np.abs(x)) > huge")),
    Op("digamma", "torch.digamma(x)", "scipy.special.psi(x)", factor="special", scale="np.ones_like(x)", inplace="x.digamma_()",
       domain=(-1e4, 1e4)),
    Op("polygamma", "torch.polygamma(n, x)", "scipy.special.polygamma(n, x)", factor="special",
       params=lambda shapes, dtype: st.fixed_dictionaries({"n": st.integers(1, 3)}), domain=(0.0, 1e3),
       specials=False,
       deviation=Deviates("trigamma-float64-loses-digits", "(n == 1) & (x > 0.1) & (x < 9) & (dtype == 'float64')")),
    Op("erfc", "torch.erfc(x)", "scipy.special.erfc(x)", factor="special", inplace="x.erfc_()",
       out="torch.erfc(x, out=out)"),
    Op("erfinv", "torch.erfinv(x)", "np.copysign(scipy.special.erfinv(x), x)", factor="special", domain=(-1.0, 1.0)),
    Op("i0", "torch.i0(x)", "ref.i0(x)", factor="special", domain=(-80.0, 80.0)),
    # pi * x is rounded first: an absolute error of about eps, whatever the value (scale 1).
    Op("sinc", "torch.sinc(x)", "np.sinc(x)", factor="special", domain=(-1e4, 1e4), scale="np.ones_like(x)"),
    # log(x) - log1p(-x) in the working dtype: the error is relative to the terms, not to a result
    # near 0 (x near 1/2), plus the rounding of 1 - x.
    Op("logit", "torch.logit(x, eps=bound)", "ref.logit(x, bound)", factor="special", domain=(0.0, 1.0),
       scale="1 + np.abs(np.log(x)) + np.abs(np.log1p(-x))",
       params=lambda shapes, dtype: st.fixed_dictionaries({"bound": st.sampled_from([None, 1e-3, 0.25])}),
       deviation=Deviates("logit-clamp-bound-rounds-to-one",
                          "(bound is not None and bound < eps / 4) & (x > 1 - (bound or 0))")),
    # Parameter names are not nan/inf: those name constants in the repro scripts.
    Op("nan_to_num", "torch.nan_to_num(x, nan=fill_nan, posinf=fill_posinf, neginf=fill_neginf)",
       "np.nan_to_num(x, nan=fill_nan, posinf=fill_posinf, neginf=fill_neginf)", kinds=REAL,
       params=lambda shapes, dtype: st.fixed_dictionaries(
           {"fill_nan": st.sampled_from([0.0, -1.5]), "fill_posinf": st.sampled_from([1.0, 3.0]),
            "fill_neginf": st.sampled_from([-1.0, 0.0])})),
    Op("signbit", "torch.signbit(x)", "np.signbit(x)", kinds=REAL, out_dtype="bool",
       deviation=Deviates("bfloat16-nan-is-negative", "np.isnan(x) & (dtype == 'bfloat16')")),
    Op("round_decimals", "torch.round(x, decimals=decimals)", "ref.round_decimals(x, decimals)",
       domain=(-1e3, 1e3), specials=False,
       params=lambda shapes, dtype: st.fixed_dictionaries({"decimals": st.integers(-2, 3)}),
       deviation=Deviates("round-decimals-scales-in-the-working-dtype",
                          "(np.abs(np.abs(x * 10.0 ** decimals) % 1 - 0.5) <= 2 * eps * np.abs(x * 10.0 ** decimals))"
                          " | (np.abs(x * 10.0 ** decimals) > huge)")),
    Op("rad2deg", "torch.rad2deg(x)", "np.rad2deg(x)", inplace="x.rad2deg_()", grad=FD),
    Op("sgn", "torch.sgn(x)", "np.sign(x)", kinds=("float", "complex"), out="torch.sgn(x, out=out)",
       deviation=Deviates("sgn-of-nan-or-complex-edge-values",
                          "np.isnan(x) | (np.iscomplexobj(x) & (np.isinf(x) | (np.abs(x) > huge)"
                          " | ((np.abs(x) < tiny) & (x != 0))))")),
    Op("positive", "torch.positive(x)", "+x", kinds=("int", "float", "complex")),
    Op("bitwise_not", "torch.bitwise_not(x)", "np.invert(x)", kinds=("bool", "int"), inplace="x.bitwise_not_()",
       out="torch.bitwise_not(x, out=out)"),
    # scipy.special.multigammaln is defined (torch.mvlgamma too) for x > (p - 1) / 2: 1.5 at p = 4.
    Op("mvlgamma", "torch.mvlgamma(x, p)", "scipy.special.multigammaln(x, p)", domain=(1.6, 50.0), specials=False,
       factor="special", grad=FD,
       params=lambda shapes, dtype: st.fixed_dictionaries({"p": st.integers(1, 4)})),
    Op("renorm", "torch.renorm(x, p, dim, maxnorm)", "ref.renorm(x, p, dim, maxnorm)", min_dims=2,
       domain=(-10.0, 10.0), specials=False, factor="sum", scale="np.abs(x)",
       params=lambda shapes, dtype: st.fixed_dictionaries({
           "p": st.sampled_from([1.0, 2.0, 3.0]), "dim": st.integers(0, max(len(shapes[0]), 1) - 1),
           "maxnorm": st.sampled_from([0.5, 1.0, 5.0])})),
    # Casts, on values the target dtype holds: NumPy's astype (float to integer truncates towards zero,
    # integers wrap modulo 2**bits in both); a float target's reference is the value itself, which the
    # comparison rounds to the target. float16 and bfloat16 round to nearest even, as NumPy's float16.
    Op("bool", "x.bool()", "x.astype(bool)", kinds=ALL, out_dtype="bool"),
    Op("byte", "x.byte()", "x.astype(np.uint8)", kinds=REAL, out_dtype="uint8", domain=(0, 255), specials=False),
    Op("char", "x.char()", "x.astype(np.int8)", kinds=REAL, out_dtype="int8", domain=(-128, 127), specials=False),
    Op("short", "x.short()", "x.astype(np.int16)", kinds=REAL, out_dtype="int16", domain=(-32768, 32767),
       specials=False),
    Op("int", "x.int()", "x.astype(np.int32)", kinds=REAL, out_dtype="int32", domain=(-2e9, 2e9), specials=False),
    Op("long", "x.long()", "x.astype(np.int64)", kinds=REAL, out_dtype="long", domain=(-9e18, 9e18),
       specials=False),
    Op("half", "x.half()", "x", kinds=REAL, out_dtype="float16", domain=(-65504, 65504),
       deviation=Deviates("float64-to-float16-rounds-twice", DOUBLE_ROUNDED_TO_HALF)),
    Op("bfloat16", "x.bfloat16()", "x", kinds=REAL, out_dtype="bfloat16", domain=(-3e38, 3e38)),
    Op("cfloat", "x.cfloat()", "x.astype(np.complex128)", kinds=NUMERIC, out_dtype="complex64",
       domain=(-3e38, 3e38)),
    Op("cdouble", "x.cdouble()", "x.astype(np.complex128)", kinds=NUMERIC, out_dtype="complex128"),
    # complex32 has no NumPy type: the result is read back as complex64 (exact), against NumPy's float16
    # rounding of the value (round to nearest even).
    Op("chalf", "x.chalf().cfloat()", "x.astype(np.float16).astype(np.complex128)", kinds=REAL,
       out_dtype="complex64", domain=(-65504, 65504),
       deviation=Deviates("float64-to-float16-rounds-twice", DOUBLE_ROUNDED_TO_HALF)),
    Op("type_as", "x.type_as(torch.zeros((), dtype=torch.float64))", "x", kinds=REAL, out_dtype="float64"),
    # ``~x`` (see the operator rows of BINARY for why through handle_torch_function).
    Op("__invert__", "torch.overrides.handle_torch_function(torch.Tensor.__invert__, (x,), x)", "np.invert(x)",
       kinds=("bool", "int")),
    Op("abs_complex", "torch.abs(x)", "np.abs(x)", kinds=("complex",), out_dtype="real", factor="special"),
    Op("angle", "torch.angle(x)", "np.angle(x)", kinds=("float", "complex"), out_dtype="real", factor="special",
       deviation=Deviates("angle-of-negative-zero-is-zero",
                          "~np.iscomplexobj(x) & (x == 0) & np.signbit(np.real(x))")),
    Op("real", "torch.real(x)", "np.real(x)", kinds=("complex",), out_dtype="real"),
    Op("imag", "torch.imag(x)", "np.imag(x)", kinds=("complex",), out_dtype="real"),
    Op("conj_physical", "torch.conj_physical(x)", "np.conj(x)", kinds=("complex",)),
    Op("exp_complex", "torch.exp(x)", "np.exp(x)", kinds=("complex",), factor="special", domain=(-50, 50)),
    Op("log_complex", "torch.log(x)", "np.log(x)", kinds=("complex",), factor="special"),
    Op("clamp_min", "torch.clamp_min(x, v)", "np.maximum(x, v)", kinds=REAL,
       params=lambda shapes, dtype: st.fixed_dictionaries({"v": st.sampled_from([0, 1, 3])})),
    Op("clamp_max", "torch.clamp_max(x, v)", "np.minimum(x, v)", kinds=REAL,
       params=lambda shapes, dtype: st.fixed_dictionaries({"v": st.sampled_from([0, 1, 3])})),
    Op("isneginf", "torch.isneginf(x)", "np.isneginf(x)", kinds=REAL, out_dtype="bool"),
    Op("isposinf", "torch.isposinf(x)", "np.isposinf(x)", kinds=REAL, out_dtype="bool"),
    Op("isreal", "torch.isreal(x)", "np.isreal(x)", kinds=ALL, out_dtype="bool"),
    Op("frexp_mantissa", "torch.frexp(x).mantissa", "np.frexp(x)[0]", kinds=("float",)),
    # Aliases: each is its own public name, so each is checked, against the same reference as its op.
    Op("arccos", "torch.arccos(x)", "np.arccos(x)", factor="special"),
    Op("arcsin", "torch.arcsin(x)", "np.arcsin(x)", factor="special"),
    Op("arctan", "torch.arctan(x)", "np.arctan(x)", factor="special"),
    Op("arccosh", "torch.arccosh(x)", "np.arccosh(x)", factor="special"),
    Op("arcsinh", "torch.arcsinh(x)", "np.arcsinh(x)", factor="special"),
    Op("arctanh", "torch.arctanh(x)", "np.arctanh(x)", factor="special"),
    Op("absolute", "torch.absolute(x)", "np.abs(x)", kinds=("int", "float")),
    Op("negative", "torch.negative(x)", "-x", kinds=("int", "float")),
    Op("fix", "torch.fix(x)", "np.trunc(x)", kinds=("int", "float")),
    # Bounds inside every integer dtype (a Python int out of range wraps: python-int-out-of-range-wraps).
    Op("clip", "torch.clip(x, 0, 3)", "np.clip(x, 0, 3)", kinds=("int", "float")),
]


def _alpha(shapes, dtype):
    # torch refuses a float alpha for integer tensors, and a negative one would
    # not fit an unsigned dtype in NumPy: draw those only for floats.
    choices = [1, 2] if not (dtype.is_floating_point or dtype.is_complex) else [1, 2, -1, 0.5]
    return st.fixed_dictionaries({"alpha": st.sampled_from(choices)})


def _value(shapes, dtype):
    return st.fixed_dictionaries({"value": st.sampled_from([1, -0.5, 2, 0])})


# Composite ops evaluate their terms in the working dtype, so a term can
# overflow (inf - inf = nan) where the float64 reference does not. Bounded
# inputs keep every term finite; the unbounded special values are covered by
# the single-step ops (``add`` without alpha, ``mul``, ...).
NO_INTERMEDIATE_OVERFLOW = (-1e4, 1e4)

_SMALL_INT = (-1000, 1000)
_SUBNORMAL_Y = "(np.abs(y) < tiny) & (y != 0)"
# A subnormal part of a complex dividend: the division's intermediate products of it underflow.
_SUBNORMAL_PART_X = ("((np.abs(np.real(x)) < tiny) & (np.real(x) != 0))"
                     " | ((np.abs(np.imag(x)) < tiny) & (np.imag(x) != 0))")
# Where Cephes' igam switches to the Temme asymptotic series (shape a = x > 20, point y within 0.3 a).
_NEAR_THE_DIAGONAL_OF_A_LARGE_SHAPE = "(x > 20) & (np.abs(y - x) < 0.3 * x) & (dtype == 'float64')"
# Divisors for which x / y leaves the finite range: subnormal, or tiny against a large x.
_QUOTIENT_OVERFLOWS = "((np.abs(y) < tiny) | (np.abs(x / y) > huge)) & (y != 0)"
_NON_FINITE_COMPLEX_Y = "np.iscomplexobj(y) & ~np.isfinite(y)"
# ... or a part of the complex sum (difference) that is zero, whose sign comes from alpha * y.
_COMPLEX_SUM_DEVIATES = _NON_FINITE_COMPLEX_Y + " | (np.iscomplexobj(y) & (((x + y).real == 0) | ((x + y).imag == 0)))"
_COMPLEX_DIFFERENCE_DEVIATES = (_NON_FINITE_COMPLEX_Y
                                + " | (np.iscomplexobj(y) & (((x - y).real == 0) | ((x - y).imag == 0)))")
# Elements where some product of parts leaves the dtype's finite range (inputs that are inf or nan
# included), or underflows below its normal range (its zero's sign then follows the formula).
_COMPLEX_PRODUCT_OVERFLOWS = ("np.iscomplexobj(x) & (~(np.maximum(np.abs(x.real), np.abs(x.imag))"
                              " * np.maximum(np.abs(y.real), np.abs(y.imag)) <= huge)"
                              + "".join(f" | ((np.abs({p}) < tiny) & ({p} != 0))" for p in
                                        ("x.real * y.real", "x.imag * y.imag", "x.real * y.imag", "x.imag * y.real"))
                              + ")")
# Elements whose exact quotient lies within a rounding of the next integer away from zero.
_QUOTIENT_ROUNDS_UP_TO_AN_INTEGER = ("(np.round(x / y) != np.trunc(x / y))"
                                     " & (np.abs(x / y - np.round(x / y)) <= eps * np.abs(x / y))")
_TIES_ARE_KINKS = Smooth(apart=((0, 1),))
# gcd's magnitude |int_min| does not fit the dtype (gcd(5, -2**63) is -1 in torch, 1 in NumPy).
_INT_MIN_OPERAND = "((x == int_min) | (y == int_min)) & (int_min < 0)"
# lcm's exact value leaves a signed dtype's range, where torch and NumPy wrap different products.
_LCM_OVERFLOWS = ("(np.abs(x.astype(np.float64)) / np.maximum(np.abs(np.gcd(x, y).astype(np.float64)), 1)"
                  " * np.abs(y.astype(np.float64)) >= -float(int_min)) & (int_min < 0)")
_ADD_DEVIATES = Deviates("complex-add-scales-other-by-alpha",
                         "(np.iscomplexobj(y) & ~np.isfinite(x + y)) | (np.iscomplexobj(x)"
                         " & (((x + y).real == 0) | ((x + y).imag == 0)))")
_MUL_DEVIATES = Deviates("complex-mul-non-finite-parts", _COMPLEX_PRODUCT_OVERFLOWS)
_TRUE_DIVISION = dict(
    kinds=("int", "float", "complex"), out_dtype="float", nonzero=("y",),
    deviation=Deviates("complex-division-edge-operands",
                       f"np.iscomplexobj(y) & (({_SUBNORMAL_Y}) | {_SUBNORMAL_PART_X} | ~np.isfinite(x)"
                       " | ~np.isfinite(y)"
                       " | (np.abs(y) > np.sqrt(huge)) | (np.abs(x) > np.sqrt(huge))"
                       " | ((x / y).real == 0) | ((x / y).imag == 0))"))


def _dunder(name: str, *inputs: str) -> str:
    """The call of ``Tensor.<name>`` on ``inputs`` through torch.overrides.handle_torch_function
    (why: see the operator rows of :data:`BINARY`)."""
    args = ", ".join(inputs)
    return f"torch.overrides.handle_torch_function(torch.Tensor.{name}, ({args},), {args})"



BINARY = [
    Op("add", "torch.add(x, y)", "x + y", arity=2, kinds=NUMERIC, inplace="x.add_(y)", out="torch.add(x, y, out=out)",
       grad=vjp.add, deviation=Deviates("complex-add-scales-other-by-alpha", _COMPLEX_SUM_DEVIATES)),
    Op("sub", "torch.sub(x, y)", "x - y", arity=2, kinds=NUMERIC, inplace="x.sub_(y)", out="torch.sub(x, y, out=out)",
       grad=vjp.sub, deviation=Deviates("complex-add-scales-other-by-alpha", _COMPLEX_DIFFERENCE_DEVIATES)),
    # alpha * y is rounded (and can overflow) before the addition: a composite op.
    Op("add_alpha", "torch.add(x, y, alpha=alpha)", "x + alpha * y", arity=2, kinds=NUMERIC, params=_alpha,
       domain=NO_INTERMEDIATE_OVERFLOW, scale="np.abs(x) + np.abs(alpha * y)", inplace="x.add_(y, alpha=alpha)",
       out="torch.add(x, y, alpha=alpha, out=out)", grad=FD),
    Op("sub_alpha", "torch.sub(x, y, alpha=alpha)", "x - alpha * y", arity=2, kinds=NUMERIC, params=_alpha,
       domain=NO_INTERMEDIATE_OVERFLOW, scale="np.abs(x) + np.abs(alpha * y)", inplace="x.sub_(y, alpha=alpha)",
       out="torch.sub(x, y, alpha=alpha, out=out)", grad=FD),
    Op("mul", "torch.mul(x, y)", "x * y", arity=2, kinds=NUMERIC, inplace="x.mul_(y)",
       out="torch.mul(x, y, out=out)", grad=vjp.mul,
       deviation=Deviates("complex-mul-non-finite-parts", _COMPLEX_PRODUCT_OVERFLOWS)),
    Op("div", "torch.div(x, y)", "x / y", arity=2, kinds=("int", "float", "complex"), out_dtype="float",
       nonzero=("y",), inplace="x.div_(y)", out="torch.div(x, y, out=out)",
       grad=vjp.div, smooth=Smooth((Domain(), _NONZERO)),
       deviation=Deviates("complex-division-edge-operands",
                          f"np.iscomplexobj(y) & (({_SUBNORMAL_Y}) | {_SUBNORMAL_PART_X} | ~np.isfinite(x)"
                       " | ~np.isfinite(y)"
                          " | (np.abs(y) > np.sqrt(huge)) | (np.abs(x) > np.sqrt(huge))"
                          " | ((x / y).real == 0) | ((x / y).imag == 0))")),
    Op("div_floor", "torch.div(x, y, rounding_mode='floor')", "np.floor_divide(x, y)", arity=2, kinds=REAL,
       domain=_SMALL_INT, nonzero=("y",)),
    Op("div_trunc", "torch.div(x, y, rounding_mode='trunc')", "ref.trunc_divide(x, y)", arity=2, kinds=REAL,
       domain=_SMALL_INT, nonzero=("y",),
       deviation=Deviates("div-trunc-rounds-the-quotient-first", _QUOTIENT_ROUNDS_UP_TO_AN_INTEGER),
       crash=Deviates("div-trunc-int-min-by-minus-one-crashes", "(x == int_min) & (y == -1) & (int_min < 0)")),
    Op("floor_divide", "x // y", "x // y", arity=2, kinds=REAL, domain=_SMALL_INT, nonzero=("y",)),
    Op("remainder", "torch.remainder(x, y)", "np.remainder(x, y)", arity=2, kinds=REAL, domain=_SMALL_INT,
       nonzero=("y",),
       deviation=(Deviates("remainder-subnormal-divisor", _QUOTIENT_OVERFLOWS),
                  Deviates("remainder-zero-takes-the-dividend-sign",
                           "(np.remainder(x, y) == 0) & (np.signbit(x) != np.signbit(y)) & (x.dtype.kind == 'f')"))),
    Op("fmod", "torch.fmod(x, y)", "np.fmod(x, y)", arity=2, kinds=REAL, domain=_SMALL_INT, nonzero=("y",),
       deviation=Deviates("fmod-subnormal-divisor", _QUOTIENT_OVERFLOWS)),
    Op("pow", "torch.pow(x, y)", "np.power(x, y)", arity=2, factor="pow", domain=(-8, 8),
       grad=vjp.pow_, smooth=Smooth((Domain((0.1, 5.0)), Domain()))),
    # x = 0 with y < 0 is the branch cut.
    Op("atan2", "torch.atan2(x, y)", "np.arctan2(x, y)", arity=2, factor="special", grad=FD,
       smooth=Smooth((_NONZERO, Domain()))),
    Op("hypot", "torch.hypot(x, y)", "np.hypot(x, y)", arity=2, factor="special"),
    Op("maximum", "torch.maximum(x, y)", "np.maximum(x, y)", arity=2, kinds=REAL, grad=FD, smooth=_TIES_ARE_KINKS),
    Op("minimum", "torch.minimum(x, y)", "np.minimum(x, y)", arity=2, kinds=REAL, grad=FD, smooth=_TIES_ARE_KINKS),
    Op("fmax", "torch.fmax(x, y)", "np.fmax(x, y)", arity=2),
    Op("eq", "torch.eq(x, y)", "x == y", arity=2, kinds=ALL, out_dtype="bool"),
    Op("ne", "x != y", "x != y", arity=2, kinds=ALL, out_dtype="bool"),
    Op("lt", "x < y", "x < y", arity=2, kinds=("bool", "int", "float"), out_dtype="bool"),
    Op("le", "x <= y", "x <= y", arity=2, kinds=("bool", "int", "float"), out_dtype="bool"),
    Op("gt", "torch.gt(x, y)", "x > y", arity=2, kinds=("bool", "int", "float"), out_dtype="bool"),
    Op("ge", "torch.ge(x, y)", "x >= y", arity=2, kinds=("bool", "int", "float"), out_dtype="bool"),
    Op("logical_and", "torch.logical_and(x, y)", "np.logical_and(x, y)", arity=2, kinds=ALL, out_dtype="bool"),
    Op("logical_xor", "torch.logical_xor(x, y)", "np.logical_xor(x, y)", arity=2, kinds=ALL, out_dtype="bool"),
    Op("bitwise_and", "x & y", "x & y", arity=2, kinds=("bool", "int")),
    Op("bitwise_or", "x | y", "x | y", arity=2, kinds=("bool", "int")),
    Op("bitwise_xor", "x ^ y", "x ^ y", arity=2, kinds=("bool", "int")),
    # The rest of the binary math (issue 13).
    Op("logical_or", "torch.logical_or(x, y)", "np.logical_or(x, y)", arity=2, kinds=ALL, out_dtype="bool"),
    # max(x, y) + log(1 + exp(-|x - y|)): the error is relative to the terms, |max| and the log
    # (at most log 2), not to a result near 0 (logaddexp2(-1, -1) is exactly 0).
    Op("logaddexp", "torch.logaddexp(x, y)", "np.logaddexp(x, y)", arity=2, factor="special",
       out="torch.logaddexp(x, y, out=out)", scale="np.maximum(np.abs(x), np.abs(y)) + 1"),
    Op("logaddexp2", "torch.logaddexp2(x, y)", "np.logaddexp2(x, y)", arity=2, factor="special",
       scale="np.maximum(np.abs(x), np.abs(y)) + 1"),
    Op("xlogy", "torch.xlogy(x, y)", "scipy.special.xlogy(x, y)", arity=2, factor="special",
       inplace="x.xlogy_(y)", out="torch.xlogy(x, y, out=out)"),
    Op("copysign", "torch.copysign(x, y)", "np.copysign(x, y)", arity=2, kinds=REAL, out_dtype="float",
       inplace="x.copysign_(y)",
       deviation=Deviates("bfloat16-nan-is-negative", "np.isnan(y) & (dtype == 'bfloat16')")),
    Op("ldexp", "torch.ldexp(x, y)", "x * np.exp2(y)", arity=2, domain=(-20, 20), factor="pow",
       deviation=Deviates("ldexp-power-of-two-in-the-working-dtype", "(np.exp2(y) > huge) | (np.exp2(y) < tiny)")),
    Op("heaviside", "torch.heaviside(x, y)", "ref.heaviside(x, y)", arity=2, kinds=REAL,
       deviation=Deviates("heaviside-of-nan-is-not-nan", "np.isnan(x)")),
    Op("float_power", "torch.float_power(x, y)", "np.float_power(x, y)", arity=2, kinds=REAL,
       out_dtype="double", domain=(-8, 8), factor="pow"),
    Op("true_divide", "torch.true_divide(x, y)", "np.true_divide(x, y)", arity=2, kinds=REAL, out_dtype="float",
       nonzero=("y",)),
    Op("fmin", "torch.fmin(x, y)", "np.fmin(x, y)", arity=2, kinds=REAL),
    Op("isclose", "torch.isclose(x, y, equal_nan=equal_nan)", "np.isclose(x, y, equal_nan=equal_nan)", arity=2,
       kinds=REAL, out_dtype="bool", domain=(-1e3, 1e3),
       params=lambda shapes, dtype: st.fixed_dictionaries({"equal_nan": st.booleans()})),
    Op("left_shift", "x << s", "x << s", kinds=("int",),
       params=lambda shapes, dtype: st.fixed_dictionaries({"s": st.integers(0, 7)})),
    Op("right_shift", "x >> s", "x >> s", kinds=("int",),
       params=lambda shapes, dtype: st.fixed_dictionaries({"s": st.integers(0, 7)})),
    Op("bitwise_left_shift", "torch.bitwise_left_shift(x, y)", "np.left_shift(x, y)", arity=2, kinds=("int",),
       domain=(0, 7)),
    Op("bitwise_right_shift", "torch.bitwise_right_shift(x, y)", "np.right_shift(x, y)", arity=2, kinds=("int",),
       domain=(0, 7)),
    # C99 7.12.11.3: nextafter(x, y) is y when x == y (so nextafter(0, -0) is -0); NumPy's float16
    # nextafter returns x there, so the reference applies the rule itself.
    Op("nextafter", "torch.nextafter(x, y)",
       "np.where(x == y, y.astype(carrier), np.nextafter(x.astype(carrier), y.astype(carrier)))", arity=2,
       dtypes=("float16", "float32", "float64"),
       params=lambda shapes, dtype: st.just({"carrier": str(dtype).removeprefix("torch.")})),
    Op("rsub", "torch.rsub(x, y)", "y - x", arity=2, kinds=("int", "float", "complex"),
       deviation=Deviates("complex-add-scales-other-by-alpha",
                          "np.iscomplexobj(x) & (~np.isfinite(x) | ((y - x).real == 0) | ((y - x).imag == 0))")),
    Op("arctan2", "torch.arctan2(x, y)", "np.arctan2(x, y)", arity=2, factor="special"),
    Op("multiply", "torch.multiply(x, y)", "x * y", arity=2, kinds=REAL),
    Op("subtract", "torch.subtract(x, y)", "x - y", arity=2, kinds=REAL),
    Op("divide", "torch.divide(x, y)", "x / y", arity=2, kinds=("float",)),
    Op("greater", "torch.greater(x, y)", "x > y", arity=2, kinds=REAL, out_dtype="bool"),
    Op("greater_equal", "torch.greater_equal(x, y)", "x >= y", arity=2, kinds=REAL, out_dtype="bool"),
    Op("less", "torch.less(x, y)", "x < y", arity=2, kinds=REAL, out_dtype="bool"),
    Op("less_equal", "torch.less_equal(x, y)", "x <= y", arity=2, kinds=REAL, out_dtype="bool"),
    Op("not_equal", "torch.not_equal(x, y)", "x != y", arity=2, kinds=ALL, out_dtype="bool"),
    Op("igamma", "torch.igamma(x, y)", "scipy.special.gammainc(x, y)", arity=2, domain=(0.0, 50.0),
       specials=False, factor="special", scale="np.ones_like(x * y)",
       deviation=Deviates("igamma-float64-asymptotic-series", _NEAR_THE_DIAGONAL_OF_A_LARGE_SHAPE)),
    Op("igammac", "torch.igammac(x, y)", "scipy.special.gammaincc(x, y)", arity=2, domain=(0.0, 50.0),
       specials=False, factor="special", scale="np.ones_like(x * y)",
       deviation=Deviates("igamma-float64-asymptotic-series", _NEAR_THE_DIAGONAL_OF_A_LARGE_SHAPE)),
    Op("polar", "torch.polar(x, y)", "x * np.exp(1j * y)", arity=2, domain=(0.0, 1e3), specials=False,
       dtypes=("float32", "float64"), out_dtype="complex", scale="np.abs(x) * (1 + np.abs(y))"),
    Op("complex", "torch.complex(x, y)", "ref.make_complex(x, y)", arity=2, dtypes=("float32", "float64"),
       out_dtype="complex"),
    # NaN propagates, as through every activation (IEEE-style; see ref.relu).
    Op("threshold", "torch.threshold(x, 0.5, -1.0)", "np.where(np.isnan(x) | (x > 0.5), x, -1.0)"),
    Op("hardshrink", "torch.hardshrink(x, 0.5)", "np.where(np.isnan(x) | (np.abs(x) > 0.5), x, 0.0)"),
    # The ops' own function names, where the operator rows above reach another family: ``x & y`` and
    # ``x // y`` dispatch as ``__and__`` and ``__floordiv__``.
    Op("bitwise_and_function", "torch.bitwise_and(x, y)", "np.bitwise_and(x, y)", arity=2, kinds=("bool", "int"),
       inplace="x.bitwise_and_(y)", out="torch.bitwise_and(x, y, out=out)"),
    Op("bitwise_or_function", "torch.bitwise_or(x, y)", "np.bitwise_or(x, y)", arity=2, kinds=("bool", "int"),
       inplace="x.bitwise_or_(y)", out="torch.bitwise_or(x, y, out=out)"),
    Op("bitwise_xor_function", "torch.bitwise_xor(x, y)", "np.bitwise_xor(x, y)", arity=2, kinds=("bool", "int"),
       inplace="x.bitwise_xor_(y)", out="torch.bitwise_xor(x, y, out=out)"),
    Op("floor_divide_function", "torch.floor_divide(x, y)", "np.floor_divide(x, y)", arity=2, kinds=REAL,
       domain=_SMALL_INT, nonzero=("y",), inplace="x.floor_divide_(y)", out="torch.floor_divide(x, y, out=out)"),
    Op("gcd", "torch.gcd(x, y)", "np.gcd(x, y)", arity=2, kinds=("int",), inplace="x.gcd_(y)",
       out="torch.gcd(x, y, out=out)", deviation=Deviates("gcd-with-int-min-is-negative", _INT_MIN_OPERAND)),
    Op("lcm", "torch.lcm(x, y)", "np.lcm(x, y)", arity=2, kinds=("int",), inplace="x.lcm_(y)",
       out="torch.lcm(x, y, out=out)",
       deviation=(Deviates("gcd-with-int-min-is-negative", _INT_MIN_OPERAND),
                  Deviates("lcm-overflow-wraps-differently", _LCM_OVERFLOWS)),
       # Torch divides by its gcd, -1 here: int_min / -1 traps in 32- and 64-bit integer division.
       crash=Deviates("lcm-int-min-and-odd-crashes",
                      "(int_min < -32768) & (((x == int_min) & (y % 2 != 0)) | ((y == int_min) & (x % 2 != 0)))")),
] + [
    # Python's operators. Most of them are C methods that report themselves to __torch_function__
    # as the method they forward to (``Tensor.__add__`` as ``Tensor.add``), so a call of the
    # dunder is indistinguishable from ``x.add(y)`` to a TorchFunctionMode and its family could
    # never count as checked. Entering through the public override protocol
    # (torch.overrides.handle_torch_function) names the dunder itself, which then computes the value.
    Op(name, _dunder(name, *inputs), reference, arity=len(inputs), **fields)
    for name, inputs, reference, fields in [
        ("__add__", "xy", "x + y", dict(kinds=NUMERIC, deviation=_ADD_DEVIATES)),
        ("__radd__", "xy", "y + x", dict(kinds=NUMERIC, deviation=_ADD_DEVIATES)),
        ("__sub__", "xy", "x - y", dict(kinds=NUMERIC, deviation=Deviates("complex-add-scales-other-by-alpha",
                                                                           _COMPLEX_DIFFERENCE_DEVIATES))),
        ("__mul__", "xy", "x * y", dict(kinds=NUMERIC, deviation=_MUL_DEVIATES)),
        ("__rmul__", "xy", "y * x", dict(kinds=NUMERIC, deviation=_MUL_DEVIATES)),
        ("__truediv__", "xy", "x / y", _TRUE_DIVISION),
        ("__div__", "xy", "x / y", _TRUE_DIVISION),
        ("__mod__", "xy", "np.remainder(x, y)", dict(
            kinds=REAL, domain=_SMALL_INT, nonzero=("y",),
            deviation=(Deviates("remainder-subnormal-divisor", _QUOTIENT_OVERFLOWS),
                       Deviates("remainder-zero-takes-the-dividend-sign",
                                "(np.remainder(x, y) == 0) & (np.signbit(x) != np.signbit(y)) & (x.dtype.kind == 'f')")))),
        ("__rand__", "xy", "y & x", dict(kinds=("bool", "int"))),
        ("__ror__", "xy", "y | x", dict(kinds=("bool", "int"))),
        ("__rxor__", "xy", "y ^ x", dict(kinds=("bool", "int"))),
        ("__rlshift__", "xy", "np.left_shift(y, x)", dict(kinds=("int",), domain=(0, 7))),
        ("__rrshift__", "xy", "np.right_shift(y, x)", dict(kinds=("int",), domain=(0, 7))),
        ("__eq__", "xy", "x == y", dict(kinds=ALL, out_dtype="bool")),
        ("__ne__", "xy", "x != y", dict(kinds=ALL, out_dtype="bool")),
        ("__lt__", "xy", "x < y", dict(kinds=("bool", "int", "float"), out_dtype="bool")),
        ("__le__", "xy", "x <= y", dict(kinds=("bool", "int", "float"), out_dtype="bool")),
        ("__gt__", "xy", "x > y", dict(kinds=("bool", "int", "float"), out_dtype="bool")),
        ("__ge__", "xy", "x >= y", dict(kinds=("bool", "int", "float"), out_dtype="bool")),
    ]
]

TERNARY = [
    Op("addcmul", "torch.addcmul(x, y, z, value=value)", "x + value * y * z", arity=3, params=_value,
       domain=NO_INTERMEDIATE_OVERFLOW,
       scale="np.abs(x) + np.abs(value * y * z)", inplace="x.addcmul_(y, z, value=value)",
       out="torch.addcmul(x, y, z, value=value, out=out)", grad=FD),
    Op("addcdiv", "torch.addcdiv(x, y, z, value=value)", "x + value * y / z", arity=3, params=_value,
       domain=NO_INTERMEDIATE_OVERFLOW,
       scale="np.abs(x) + np.abs(value * y / z)", inplace="x.addcdiv_(y, z, value=value)",
       grad=FD, smooth=Smooth((Domain(), Domain(), _NONZERO)),
       deviation=Deviates("addcdiv-scales-tensor1-before-dividing", "(np.abs(value * y) < tiny) & (value * y != 0)")),
    Op("clamp", "torch.clamp(x, y, z)", "np.minimum(np.maximum(x, y), z)", arity=3, kinds=REAL,
       grad=vjp.clamp,
       smooth=Smooth((Domain(), Domain((-2.0, -0.2)), Domain((0.2, 2.0))), apart=((0, 1), (0, 2)),
                     full_first="clamp-backward-broadcast-input")),
    Op("lerp", "torch.lerp(x, y, z)", "x + z * (y - x)", arity=3, scale="np.abs(x) + np.abs(z * y) + np.abs(z * x)",
       domain=NO_INTERMEDIATE_OVERFLOW, grad=FD),
]
