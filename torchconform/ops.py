"""The op table: what to call in torch, what to compare it with in NumPy.

Each :class:`Op` names a torch expression and a NumPy reference expression
as *source text* over the inputs ``x``, ``y``, ``z`` and drawn parameters.
Keeping them as text gives readable reports and lets a failure print a
standalone script that rebuilds the call with only torch and NumPy. The
NumPy side sees float64/complex128 (or exact integer) arrays and may use only
``np`` and ``math``.

Tests iterate the table (see ``conformance/test_math.py``); adding an op is
adding a row, not a test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from hypothesis import strategies as st

from torchconform.references import forward

FLOAT = ("float",)
REAL = ("int", "float")
NUMERIC = ("int", "float", "complex")
ALL = ("bool", "int", "float", "complex")

#: What the result dtype is, from the (single) input dtype: a rule of the
#: table, so that dtype checks do not take the answer from torch.
OUT_DTYPES: dict[str, Callable[[torch.dtype], torch.dtype]] = {
    "same": lambda d: d,
    "bool": lambda d: torch.bool,
    # torch.all/any keep uint8 for uint8 input, for backward compatibility (torch.all docs).
    "logical": lambda d: torch.uint8 if d == torch.uint8 else torch.bool,
    "long": lambda d: torch.int64,
    # Integer and bool inputs go to the default float dtype (torch docs on
    # type promotion: "integral inputs are promoted to the default scalar type").
    "float": lambda d: d if d.is_floating_point or d.is_complex else torch.get_default_dtype(),
    # Sums and products of integers accumulate in int64 (torch.sum docs).
    "accumulate": lambda d: torch.int64 if not (d.is_floating_point or d.is_complex) else d,
    "real": lambda d: {torch.complex64: torch.float32, torch.complex128: torch.float64}.get(d, d),
}


@dataclass(frozen=True)
class Op:
    """One row of the table.

    name: id used in test ids and reports.
    torch / numpy: expressions (source text) over ``x``, ``y``, ``z`` and params.
    arity: number of tensor inputs.
    kinds: dtype kinds the op is checked on (bool, int, float, complex).
    domain: inclusive bounds of drawn float values (all inputs), None for anything; integers
      always span their dtype's range (integer arithmetic wraps alike in torch and NumPy).
    specials: draw nan/inf/-0.0/subnormals/extremes.
    nonzero: names of inputs drawn without 0 (integer division by zero raises in torch).
      Float inputs still meet 0: float division by zero is defined (inf/nan).
    scale: NumPy expression for the size of the op's terms (see tolerances).
    factor: name of the policy's op factor, if the op needs one.
    out_dtype: key of :data:`OUT_DTYPES`.
    params: function of (input shape, dtype) returning a strategy of keyword dicts.
    inplace / out: torch expressions for the in-place and ``out=`` forms.
    differentiable: autograd tests consider it.
    nonempty: inputs need at least one element in every dim (reductions that have no identity).
    min_dims: fewest dims of a drawn input (a reduction that requires a dim needs one; NumPy
      has no axis 0 on a 0-d array).
    deviation: (id, NumPy predicate over the inputs, the params, ``dtype`` (its name), ``tiny``,
      ``eps`` and ``huge`` (its smallest normal, epsilon and largest finite value)) marking the
      elements where torch differs by design or by a known defect. Those elements are left out
      of the value comparison (and the report says so); the deviation's own example test in
      ``conformance/test_known_deviations.py`` keeps it honest as a strict xfail. Several
      deviations: a tuple of such pairs.
    clustered: float inputs are often a large offset plus a small spread (see
      :func:`strategies.tensors`), where cancellation shows.
    crash: (deviation id, predicate as for ``deviation``) of inputs on which torch kills the
      process (SIGFPE): a case holding one is not run at all, and the report names the deviation.
    """

    name: str
    torch: str
    numpy: str
    arity: int = 1
    kinds: tuple[str, ...] = FLOAT
    domain: tuple[float, float] | None = None
    specials: bool = True
    nonzero: tuple[str, ...] = ()
    scale: str | None = None
    factor: str | None = None
    out_dtype: str = "same"
    params: Callable | None = None
    inplace: str | None = None
    out: str | None = None
    differentiable: bool = True
    nonempty: bool = False
    min_dims: int = 0
    deviation: tuple | None = None
    crash: tuple[str, str] | None = None
    clustered: bool = False
    _code: dict = field(default_factory=dict, compare=False, repr=False)

    def __repr__(self) -> str:
        return f"Op({self.name!r})"

    def _repr_pretty_(self, printer, cycle) -> None:  # Hypothesis' falsifying-example printer
        printer.text(repr(self))

    def _compiled(self, which: str):
        if which not in self._code:
            self._code[which] = compile(getattr(self, which), f"<op {self.name}:{which}>", "eval")
        return self._code[which]

    def run_torch(self, *tensors: torch.Tensor, which: str = "torch", **params):
        names = dict(zip("xyz", tensors))
        return eval(self._compiled(which), {"torch": torch, "math": math}, {**names, **params})

    def run_numpy(self, *arrays: np.ndarray, **params):
        names = dict(zip("xyz", arrays))
        with np.errstate(all="ignore"):
            return eval(self._compiled("numpy"), {"np": np, "math": math, "ref": forward}, {**names, **params})

    @property
    def deviations(self) -> tuple[tuple[str, str], ...]:
        """The (id, predicate) pairs of :attr:`deviation`, however many."""
        if self.deviation is None:
            return ()
        return (self.deviation,) if isinstance(self.deviation[0], str) else self.deviation

    def deviating(self, arrays, dtype_name: str, tiny: float, eps: float = 0.0, huge: float = math.inf,
                  *, rules=None, **params) -> dict[str, np.ndarray]:
        """Boolean mask (broadcast to the result) of the elements each of the
        op's deviations (or the given ``rules``) covers, by deviation id."""
        names = dict(zip("xyz", arrays))
        scope = {**names, **params, "dtype": dtype_name, "tiny": tiny, "eps": eps, "huge": huge}
        with np.errstate(all="ignore"):
            return {dev_id: np.asarray(eval(compile(rule, f"<op {self.name}:{dev_id}>", "eval"), {"np": np}, scope))
                    for dev_id, rule in (self.deviations if rules is None else rules)}

    def error_scale(self, *arrays: np.ndarray, eps: float = 0.0, **params):
        """The op's ``scale`` expression over the inputs, the params and the
        dtype's machine epsilon ``eps``."""
        if self.scale is None:
            return None
        names = dict(zip("xyz", arrays))
        with np.errstate(all="ignore"):
            return eval(compile(self.scale, f"<op {self.name}:scale>", "eval"),
                        {"np": np, "math": math, "ref": forward}, {**names, **params, "eps": eps})


def _dim_params(shape, dtype=None, *, keepdim: bool = True, allow_none: bool = True):
    """Reduction parameters for an input of ``shape``: a dim (negative ones
    too) or None for all, and keepdim."""
    nd = len(shape)
    dims = st.integers(-nd, nd - 1) if nd else st.just(None)
    if allow_none:
        dims = st.one_of(st.none(), dims)
    return st.fixed_dictionaries({"dim": dims, **({"keepdim": st.booleans()} if keepdim else {})})


def _std_params(shape, dtype):
    return st.fixed_dictionaries({"dim": _dim_params(shape, keepdim=False).map(lambda d: d["dim"]),
                                  "keepdim": st.booleans(), "correction": st.integers(0, 2)})


def _alpha(shapes, dtype):
    # torch refuses a float alpha for integer tensors, and a negative one would
    # not fit an unsigned dtype in NumPy: draw those only for floats.
    choices = [1, 2] if not (dtype.is_floating_point or dtype.is_complex) else [1, 2, -1, 0.5]
    return st.fixed_dictionaries({"alpha": st.sampled_from(choices)})


def _value(shapes, dtype):
    return st.fixed_dictionaries({"value": st.sampled_from([1, -0.5, 2, 0])})


UNARY = [
    Op("exp", "torch.exp(x)", "np.exp(x)", inplace="x.exp_()", out="torch.exp(x, out=out)", kinds=("float", "complex")),
    Op("exp2", "torch.exp2(x)", "np.exp2(x)"),
    Op("expm1", "torch.expm1(x)", "np.expm1(x)"),
    Op("log", "torch.log(x)", "np.log(x)", inplace="x.log_()", out="torch.log(x, out=out)"),
    Op("log2", "torch.log2(x)", "np.log2(x)"),
    Op("log10", "torch.log10(x)", "np.log10(x)"),
    Op("log1p", "torch.log1p(x)", "np.log1p(x)"),
    Op("sqrt", "torch.sqrt(x)", "np.sqrt(x)", inplace="x.sqrt_()", out="torch.sqrt(x, out=out)"),
    Op("rsqrt", "torch.rsqrt(x)", "1 / np.sqrt(x)"),
    Op("abs", "torch.abs(x)", "np.abs(x)", kinds=("int", "float"), inplace="x.abs_()", out="torch.abs(x, out=out)",
       differentiable=True),
    Op("neg", "torch.neg(x)", "-x", kinds=("int", "float", "complex"),
       deviation=("complex-neg-keeps-positive-zero-parts",
                  "np.iscomplexobj(x) & (((x.real == 0) & ~np.signbit(x.real)) | ((x.imag == 0) & ~np.signbit(x.imag)))")),
    Op("sign", "torch.sign(x)", "np.sign(x)", kinds=("int", "float"), differentiable=False,
       deviation=("sign-of-nan-is-zero", "np.isnan(x)")),
    Op("square", "torch.square(x)", "np.square(x)", kinds=("int", "float")),
    Op("reciprocal", "torch.reciprocal(x)", "1 / x"),
    Op("sin", "torch.sin(x)", "np.sin(x)", inplace="x.sin_()", out="torch.sin(x, out=out)"),
    Op("cos", "torch.cos(x)", "np.cos(x)"),
    Op("tan", "torch.tan(x)", "np.tan(x)", factor="special"),
    Op("asin", "torch.asin(x)", "np.arcsin(x)", factor="special"),
    Op("acos", "torch.acos(x)", "np.arccos(x)", factor="special"),
    Op("atan", "torch.atan(x)", "np.arctan(x)", factor="special"),
    Op("sinh", "torch.sinh(x)", "np.sinh(x)", factor="special"),
    Op("cosh", "torch.cosh(x)", "np.cosh(x)", factor="special"),
    Op("tanh", "torch.tanh(x)", "np.tanh(x)", factor="special", inplace="x.tanh_()"),
    Op("asinh", "torch.asinh(x)", "np.arcsinh(x)", factor="special"),
    Op("acosh", "torch.acosh(x)", "np.arccosh(x)", factor="special"),
    Op("atanh", "torch.atanh(x)", "np.arctanh(x)", factor="special"),
    Op("sigmoid", "torch.sigmoid(x)", "ref.sigmoid(x)", factor="special", inplace="x.sigmoid_()"),
    Op("relu", "torch.relu(x)", "ref.relu(x)", kinds=("int", "float"),
       inplace="x.relu_()"),
    Op("erf", "torch.erf(x)", "np.vectorize(math.erf, otypes=[np.float64])(x)", factor="special",
       deviation=("erf-bfloat16-flushes-tiny", "(np.abs(x) < 2.0 ** -14) & (dtype == 'bfloat16')")),
    Op("floor", "torch.floor(x)", "np.floor(x)", kinds=("int", "float"), differentiable=False),
    Op("ceil", "torch.ceil(x)", "np.ceil(x)", kinds=("int", "float"), differentiable=False),
    Op("trunc", "torch.trunc(x)", "np.trunc(x)", kinds=("int", "float"), differentiable=False),
    Op("round", "torch.round(x)", "np.round(x)", kinds=("float",), differentiable=False),
    Op("frac", "torch.frac(x)", "x - np.trunc(x)"),
    Op("isnan", "torch.isnan(x)", "np.isnan(x)", out_dtype="bool", differentiable=False),
    Op("isinf", "torch.isinf(x)", "np.isinf(x)", out_dtype="bool", differentiable=False),
    Op("isfinite", "torch.isfinite(x)", "np.isfinite(x)", out_dtype="bool", differentiable=False),
    Op("logical_not", "torch.logical_not(x)", "np.logical_not(x)", kinds=ALL, out_dtype="bool",
       differentiable=False),
]

# Composite ops evaluate their terms in the working dtype, so a term can
# overflow (inf - inf = nan) where the float64 reference does not. Bounded
# inputs keep every term finite; the unbounded special values are covered by
# the single-step ops (``add`` without alpha, ``mul``, ...).
_NO_INTERMEDIATE_OVERFLOW = (-1e4, 1e4)

_SMALL_INT = (-1000, 1000)
_SUBNORMAL_Y = "(np.abs(y) < tiny) & (y != 0)"
# Divisors for which x / y leaves the finite range: subnormal, or tiny against a large x.
_QUOTIENT_OVERFLOWS = "((np.abs(y) < tiny) | (np.abs(x / y) > huge)) & (y != 0)"
_NON_FINITE_COMPLEX_Y = "np.iscomplexobj(y) & ~np.isfinite(y)"
# ... or a part of the complex sum (difference) that is zero, whose sign comes from alpha * y.
_COMPLEX_SUM_DEVIATES = (_NON_FINITE_COMPLEX_Y + " | (np.iscomplexobj(y) & (((x + y).real == 0) | ((x + y).imag == 0)))")
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

BINARY = [
    Op("add", "torch.add(x, y)", "x + y", arity=2, kinds=NUMERIC, inplace="x.add_(y)", out="torch.add(x, y, out=out)",
       deviation=("complex-add-scales-other-by-alpha", _COMPLEX_SUM_DEVIATES)),
    Op("sub", "torch.sub(x, y)", "x - y", arity=2, kinds=NUMERIC, inplace="x.sub_(y)", out="torch.sub(x, y, out=out)",
       deviation=("complex-add-scales-other-by-alpha", _COMPLEX_DIFFERENCE_DEVIATES)),
    # alpha * y is rounded (and can overflow) before the addition: a composite op.
    Op("add_alpha", "torch.add(x, y, alpha=alpha)", "x + alpha * y", arity=2, kinds=NUMERIC, params=_alpha,
       domain=_NO_INTERMEDIATE_OVERFLOW, scale="np.abs(x) + np.abs(alpha * y)", inplace="x.add_(y, alpha=alpha)",
       out="torch.add(x, y, alpha=alpha, out=out)"),
    Op("sub_alpha", "torch.sub(x, y, alpha=alpha)", "x - alpha * y", arity=2, kinds=NUMERIC, params=_alpha,
       domain=_NO_INTERMEDIATE_OVERFLOW, scale="np.abs(x) + np.abs(alpha * y)", inplace="x.sub_(y, alpha=alpha)",
       out="torch.sub(x, y, alpha=alpha, out=out)"),
    Op("mul", "torch.mul(x, y)", "x * y", arity=2, kinds=NUMERIC, inplace="x.mul_(y)",
       out="torch.mul(x, y, out=out)", deviation=("complex-mul-non-finite-parts", _COMPLEX_PRODUCT_OVERFLOWS)),
    Op("div", "torch.div(x, y)", "x / y", arity=2, kinds=("int", "float", "complex"), out_dtype="float",
       nonzero=("y",), inplace="x.div_(y)", out="torch.div(x, y, out=out)",
       deviation=("complex-division-edge-operands",
                  f"np.iscomplexobj(y) & (({_SUBNORMAL_Y}) | ~np.isfinite(x) | ~np.isfinite(y)"
                  " | (np.abs(y) > np.sqrt(huge)) | (np.abs(x) > np.sqrt(huge)))")),
    Op("div_floor", "torch.div(x, y, rounding_mode='floor')", "np.floor_divide(x, y)", arity=2, kinds=REAL,
       domain=_SMALL_INT, nonzero=("y",), differentiable=False),
    Op("div_trunc", "torch.div(x, y, rounding_mode='trunc')", "ref.trunc_divide(x, y)", arity=2, kinds=REAL,
       domain=_SMALL_INT, nonzero=("y",), differentiable=False,
       deviation=("div-trunc-rounds-the-quotient-first", _QUOTIENT_ROUNDS_UP_TO_AN_INTEGER),
       crash=("div-trunc-int-min-by-minus-one-crashes", "(x == int_min) & (y == -1) & (int_min < 0)")),
    Op("floor_divide", "x // y", "x // y", arity=2, kinds=REAL, domain=_SMALL_INT, nonzero=("y",),
       differentiable=False),
    Op("remainder", "torch.remainder(x, y)", "np.remainder(x, y)", arity=2, kinds=REAL, domain=_SMALL_INT,
       nonzero=("y",), differentiable=False,
       deviation=(("remainder-subnormal-divisor", _QUOTIENT_OVERFLOWS),
                  ("remainder-zero-takes-the-dividend-sign",
                   "(np.remainder(x, y) == 0) & (np.signbit(x) != np.signbit(y)) & (x.dtype.kind == 'f')"))),
    Op("fmod", "torch.fmod(x, y)", "np.fmod(x, y)", arity=2, kinds=REAL, domain=_SMALL_INT, nonzero=("y",),
       differentiable=False, deviation=("fmod-subnormal-divisor", _QUOTIENT_OVERFLOWS)),
    Op("pow", "torch.pow(x, y)", "np.power(x, y)", arity=2, factor="pow", domain=(-8, 8)),
    Op("atan2", "torch.atan2(x, y)", "np.arctan2(x, y)", arity=2, factor="special"),
    Op("hypot", "torch.hypot(x, y)", "np.hypot(x, y)", arity=2, factor="special", differentiable=False),
    Op("maximum", "torch.maximum(x, y)", "np.maximum(x, y)", arity=2, kinds=REAL),
    Op("minimum", "torch.minimum(x, y)", "np.minimum(x, y)", arity=2, kinds=REAL),
    Op("fmax", "torch.fmax(x, y)", "np.fmax(x, y)", arity=2, differentiable=False),
    Op("eq", "torch.eq(x, y)", "x == y", arity=2, kinds=ALL, out_dtype="bool", differentiable=False),
    Op("ne", "x != y", "x != y", arity=2, kinds=ALL, out_dtype="bool", differentiable=False),
    Op("lt", "x < y", "x < y", arity=2, kinds=("bool", "int", "float"), out_dtype="bool", differentiable=False),
    Op("le", "x <= y", "x <= y", arity=2, kinds=("bool", "int", "float"), out_dtype="bool", differentiable=False),
    Op("gt", "torch.gt(x, y)", "x > y", arity=2, kinds=("bool", "int", "float"), out_dtype="bool",
       differentiable=False),
    Op("ge", "torch.ge(x, y)", "x >= y", arity=2, kinds=("bool", "int", "float"), out_dtype="bool",
       differentiable=False),
    Op("logical_and", "torch.logical_and(x, y)", "np.logical_and(x, y)", arity=2, kinds=ALL, out_dtype="bool",
       differentiable=False),
    Op("logical_xor", "torch.logical_xor(x, y)", "np.logical_xor(x, y)", arity=2, kinds=ALL, out_dtype="bool",
       differentiable=False),
    Op("bitwise_and", "x & y", "x & y", arity=2, kinds=("bool", "int"), differentiable=False),
    Op("bitwise_or", "x | y", "x | y", arity=2, kinds=("bool", "int"), differentiable=False),
    Op("bitwise_xor", "x ^ y", "x ^ y", arity=2, kinds=("bool", "int"), differentiable=False),
]

TERNARY = [
    Op("addcmul", "torch.addcmul(x, y, z, value=value)", "x + value * y * z", arity=3, params=_value,
       domain=_NO_INTERMEDIATE_OVERFLOW,
       scale="np.abs(x) + np.abs(value * y * z)", inplace="x.addcmul_(y, z, value=value)",
       out="torch.addcmul(x, y, z, value=value, out=out)"),
    Op("addcdiv", "torch.addcdiv(x, y, z, value=value)", "x + value * y / z", arity=3, params=_value,
       domain=_NO_INTERMEDIATE_OVERFLOW,
       scale="np.abs(x) + np.abs(value * y / z)", inplace="x.addcdiv_(y, z, value=value)",
       deviation=("addcdiv-scales-tensor1-before-dividing", "(np.abs(value * y) < tiny) & (value * y != 0)")),
    Op("clamp", "torch.clamp(x, y, z)", "np.minimum(np.maximum(x, y), z)", arity=3, kinds=REAL),
    Op("lerp", "torch.lerp(x, y, z)", "x + z * (y - x)", arity=3, scale="np.abs(x) + np.abs(z * y) + np.abs(z * x)",
       domain=_NO_INTERMEDIATE_OVERFLOW),
]

REDUCTIONS = [
    Op("sum", "torch.sum(x) if dim is None else torch.sum(x, dim=dim, keepdim=keepdim)",
       "np.sum(x, dtype=np.int64 if x.dtype.kind in 'biu' else None, axis=dim, keepdims=keepdim and dim is not None)",
       kinds=("bool", "int", "float", "complex"), params=_dim_params, out_dtype="accumulate", factor="sum",
       scale="np.sum(np.abs(x), axis=dim, keepdims=keepdim and dim is not None)"),
    Op("mean", "torch.mean(x) if dim is None else torch.mean(x, dim=dim, keepdim=keepdim)",
       "np.mean(x, axis=dim, keepdims=keepdim and dim is not None)", params=_dim_params, factor="mean",
       domain=_NO_INTERMEDIATE_OVERFLOW,
       scale="np.mean(np.abs(x), axis=dim, keepdims=keepdim and dim is not None)"),
    Op("prod", "torch.prod(x) if dim is None else torch.prod(x, dim=dim, keepdim=keepdim)",
       "np.prod(x, dtype=np.int64 if x.dtype.kind in 'biu' else None, axis=dim, keepdims=keepdim and dim is not None)",
       kinds=("int", "float"), domain=(-2, 2), params=_dim_params, out_dtype="accumulate", factor="prod",
       # A slice holding a zero whose other factors could carry a running product past the largest
       # finite value (no order can overflow when the product of max(|x|, 1) stays finite).
       deviation=("prod-running-overflow-before-zero",
                  "np.any(x == 0, axis=dim, keepdims=keepdim and dim is not None)"
                  " & (np.prod(np.maximum(np.abs(x), 1.0), axis=dim, keepdims=keepdim and dim is not None) > huge)")),
    Op("amax", "torch.amax(x) if dim is None else torch.amax(x, dim=dim, keepdim=keepdim)",
       "np.max(x, axis=dim, keepdims=keepdim and dim is not None)", kinds=REAL, params=_dim_params, nonempty=True),
    Op("amin", "torch.amin(x) if dim is None else torch.amin(x, dim=dim, keepdim=keepdim)",
       "np.min(x, axis=dim, keepdims=keepdim and dim is not None)", kinds=REAL, params=_dim_params, nonempty=True),
    Op("max_values", "torch.max(x, dim=dim, keepdim=keepdim).values",
       "np.max(x, axis=dim, keepdims=keepdim)", kinds=REAL,
       params=lambda s, d: _dim_params(s, allow_none=False), nonempty=True, min_dims=1),
    Op("max_indices", "torch.max(x, dim=dim, keepdim=keepdim).indices",
       "np.expand_dims(np.argmax(x, axis=dim), dim) if keepdim else np.argmax(x, axis=dim)", kinds=REAL,
       params=lambda s, d: _dim_params(s, allow_none=False), nonempty=True, min_dims=1,
       out_dtype="long", differentiable=False),
    Op("min_values", "torch.min(x, dim=dim, keepdim=keepdim).values",
       "np.min(x, axis=dim, keepdims=keepdim)", kinds=REAL,
       params=lambda s, d: _dim_params(s, allow_none=False), nonempty=True, min_dims=1),
    Op("min_indices", "torch.min(x, dim=dim, keepdim=keepdim).indices",
       "np.expand_dims(np.argmin(x, axis=dim), dim) if keepdim else np.argmin(x, axis=dim)", kinds=REAL,
       params=lambda s, d: _dim_params(s, allow_none=False), nonempty=True, min_dims=1,
       out_dtype="long", differentiable=False),
    Op("argmax", "torch.argmax(x, dim=dim, keepdim=keepdim)",
       "np.argmax(x, axis=dim, keepdims=keepdim)", kinds=REAL,
       params=_dim_params, nonempty=True, out_dtype="long", differentiable=False),
    Op("argmin", "torch.argmin(x, dim=dim, keepdim=keepdim)",
       "np.argmin(x, axis=dim, keepdims=keepdim)", kinds=REAL,
       params=_dim_params, nonempty=True, out_dtype="long", differentiable=False),
    # Two-pass (mean first) in float64 on data shifted by its first element: the reference.
    Op("var", "torch.var(x, dim=dim, correction=correction, keepdim=keepdim)",
       "ref.variance(x, dim, correction, keepdim)", params=_std_params,
       specials=False, domain=(-1e3, 1e3), factor="var", clustered=True,
       scale="ref.variance_error_scale(x, dim, correction, keepdim, eps)"),
    Op("std", "torch.std(x, dim=dim, correction=correction, keepdim=keepdim)",
       "ref.standard_deviation(x, dim, correction, keepdim)", params=_std_params,
       specials=False, domain=(-1e3, 1e3), factor="std", clustered=True,
       scale="ref.std_error_scale(x, dim, correction, keepdim, eps)"),
    Op("logsumexp", "torch.logsumexp(x, dim=dim, keepdim=keepdim)", "ref.logsumexp(x, dim, keepdim)",
       params=lambda s, d: _dim_params(s, allow_none=False), specials=False, domain=(-80, 80), nonempty=True,
       min_dims=1,
       factor="sum", scale="np.max(np.abs(x), axis=dim, keepdims=keepdim)"),
    Op("all", "torch.all(x)", "np.all(x)", kinds=ALL, out_dtype="logical", differentiable=False),
    Op("any", "torch.any(x)", "np.any(x)", kinds=ALL, out_dtype="logical", differentiable=False),
]

TABLE: dict[str, Op] = {op.name: op for op in UNARY + BINARY + TERNARY + REDUCTIONS}
