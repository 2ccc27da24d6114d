"""The one tolerance policy of the suite.

Every comparison of a torch result with a NumPy reference goes through
:func:`tolerance` and nowhere else sets an ``rtol``/``atol``. A test that
needs more room than its dtype gives must name an op factor below, with the
reason written next to it; there is no per-test override.

How a result is judged
----------------------
The reference is computed in float64 (complex128) from the very values the
tensor holds, then rounded to the tested dtype, so an exact op would match it
to the last bit. A result ``a`` passes against the rounded reference ``e`` when

    |a - e| <= atol + rtol * max(|e|, scale)

elementwise, where ``scale`` defaults to ``|e|``. Ops built from several
rounding steps (``addcmul``, ``sub`` with ``alpha``, reductions, matmul) have
an error that is relative to the size of their *terms*, not of their result;
their op-table entry gives a NumPy ``scale`` (for a sum: the sum of absolute
values), which is the textbook forward-error bound ``|error| <= k*eps*scale``.

Non-finite values and zeros have no error bound, scaled comparison or not:
NaN must meet NaN at the same positions, an infinity the same infinity, and
a complex value is judged part by part (each part against the modulus), so
an infinite part cannot hide a wrong other part. Where both the rounded
reference and the result are zero, their signs must agree: IEEE 754 fixes the
sign of a zero result for every correctly rounded operation (``x - x`` is
``+0`` in round-to-nearest, ``-0 * 5`` is ``-0``), and NumPy follows it. A
reference that is not zero but rounds to zero in the tested dtype (an
underflow) leaves the sign to wherever the kernel underflowed, so it is not
compared; nor is it for ops that pick one of two equal zeros
(:data:`ZERO_SIGN_UNSPECIFIED`), nor for comparisons with a ``scale`` (ops
of several rounding steps: reductions, ``addcmul``, ``lerp``), where the
sign of a zero follows the order of evaluation, which neither IEEE nor
torch's documentation fixes. An op whose zero sign differs from NumPy by
design is a named known deviation.
Gradients are exempt: a backward formula's zero sign follows the formula
(``g * -0.5 * x**-1.5`` is ``-0`` for a zero cotangent), which neither IEEE
nor the closed-form NumPy VJP fixes.
Terms beyond the range: where the size of a several-term op's terms (its
``scale``, e.g. the sum of ``|x|``) is finite but exceeds the dtype's
largest finite value, a partial result may overflow in one evaluation order and not in
another (``max + max - max`` is ``inf`` or ``max``; ``inf - inf`` is NaN),
and neither IEEE 754 nor torch fixes the order of a reduction; such
elements are not compared (the report notes how many). Elements whose terms
stay in range are judged as above, infinities and NaN included.
The result dtype is always checked, against the dtype the caller expects
(the op's rule, or the test's own choice), never against the result itself.

Why these numbers
-----------------
``rtol`` is a small multiple of the dtype's machine epsilon: vectorised torch
kernels (SLEEF, CUDA intrinsics) promise a few ULPs, not correct rounding.
float16 and bfloat16 kernels compute in float32 and round once, so two ULPs
(one for the rounding of the reference, one for the kernel) suffice. For
float32 we allow 8 epsilon (about 8 to 16 ULPs), close to
``torch.testing.assert_close``'s 1.3e-6. float64 gets 1e-10: far tighter than
``assert_close``'s 1e-7, because a float64 reference only checks a float64 op
well when the tolerance is near float64 precision.
``atol`` is the smallest normal number of the dtype (float16: 6.1e-5,
bfloat16 and float32: 1.2e-38): it forgives only a wrong value below the
normal range, i.e. a subnormal result flushed to zero (flush-to-zero
hardware) or the underflowed intermediates of a composite op such as
``addcmul``. A result of normal size must be right relative to its own size:
a float16 ``sin`` that flushed every ``|x| < 2**-11`` to zero (results up to
4.9e-4, 8 times the smallest normal) fails, as does flushing any result
beyond the smallest normal (a result of 1.5 smallest normals read as zero
is off by more than ``atol + rtol*|e|``). ``torch.testing`` uses 1e-5 for
float16 whatever the size, which is below the float16 normal range's
spacing near 1e-5 only by chance; tying ``atol`` to the dtype's own range
keeps one rule for all dtypes.

Gradients are compared against closed-form NumPy VJPs (``kind="gradient"``):
backward formulas chain several rounded ops, so they get 64 epsilon. Against
central finite differences in float64 (``kind="finite_difference"``) the
truncation error of the difference (``h**2`` with ``h ~ eps**(1/3)``)
dominates in float64, hence 1e-6.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from torchconform import dtypes


@dataclass(frozen=True)
class Tolerance:
    """A comparison tolerance: ``|a - e| <= atol + rtol * max(|e|, scale)``
    elementwise, ``rtol`` unitless, ``atol`` in the units of the values."""

    rtol: float
    atol: float

    @property
    def exact(self) -> bool:
        """Whether the comparison is exact (both tolerances 0: integers and bool)."""
        return self.rtol == 0 and self.atol == 0

    def __str__(self) -> str:
        return "exact" if self.exact else f"rtol={self.rtol:.3g}, atol={self.atol:.3g}"


@dataclass(frozen=True)
class OpFactor:
    """A multiplier on ``rtol`` for one op, with the reason it is needed."""

    factor: float
    reason: str


#: rtol as a multiple of machine epsilon, per kind of comparison.
_EPS_MULTIPLE = {
    "forward": {torch.float16: 2, torch.bfloat16: 2, torch.float32: 8},
    "gradient": {torch.float16: 8, torch.bfloat16: 8, torch.float32: 64},
}
_FLOAT64_RTOL = {"forward": 1e-10, "gradient": 1e-9, "finite_difference": 1e-6}
_FINITE_DIFFERENCE_FLOOR = 1e-6
KINDS = ("forward", "gradient", "finite_difference")

#: Ops whose kernels legitimately need more than the base policy. Each entry
#: says why; tests cannot add their own.
OP_FACTORS: dict[str, OpFactor] = {
    "sum": OpFactor(4, "pairwise summation: error grows like log2(n) eps times the sum of |x|"),
    "mean": OpFactor(4, "a sum (see sum) followed by one division"),
    "prod": OpFactor(8, "n-1 rounded multiplications, relative error up to (n-1) eps"),
    "var": OpFactor(8, "Welford's update rounds several terms per element; the scale is the variance times "
                       "its condition number (references.forward.variance_error_scale)"),
    "std": OpFactor(8, "sqrt of var (see var), the error carried through the root "
                       "(references.forward.std_error_scale)"),
    "matmul": OpFactor(4, "blocked dot products: error up to k eps times sum |a||b| (scale)"),
    "linalg": OpFactor(4, "blocked dot products: error up to k eps times sum |a||b| (scale)"),
    "pow": OpFactor(4, "computed as exp(y*log(x)) in vector kernels; error scales with |y log x|"),
    "logspace": OpFactor(4, "base**(start + i*step): the exponent is rounded first, then amplified by log(base)"),
    "linspace": OpFactor(2, "start + i*step rounds the step and the product"),
    "fft": OpFactor(8, "radix-2/3/5 and Bluestein passes: error up to about log2(n) eps times sum |x| (scale)"),
    "special_function": OpFactor(8, "series and rational approximations (Cephes) of torch.special: a few ULPs "
                                    "of the pointwise condition scale (see pointwise_condition_scale)"),
    "special": OpFactor(4, "hyperbolic and inverse-trigonometric kernels promise about 4 ULPs"),
}


#: Ops that select one of their inputs (or of a slice's elements): -0 and +0
#: compare equal, and which of the two such an op returns is fixed by neither
#: IEEE 754-2008 (maxNum/minNum), C's fmax/fmin nor NumPy's maximum, so the
#: sign of a zero result is not compared for them. Keyed by op-table name.
ZERO_SIGN_UNSPECIFIED = frozenset({
    "maximum", "minimum", "fmax", "clamp", "relu", "amax", "amin", "max_values", "min_values",
    # Selections among equal values (-0.0 == 0.0 sort and compare as ties) and complex products.
    "fmin", "clamp_min", "clamp_max", "clip", "aminmax_min", "aminmax_max", "kthvalue", "median", "median_dim",
    "nanmedian", "sort_values", "topk_values", "msort", "cummax_values", "cummin_values", "mode", "sgn", "outer",
    "kron", "ger", "tensordot_outer", "threshold",
    # One representative of each run of equal values; 0.0 and -0.0 are equal.
    "unique", "unique_dim", "unique_consecutive",
})


def tolerance(dtype: torch.dtype, *, kind: str = "forward", op: str | None = None) -> Tolerance:
    """The (rtol, atol) for comparing a result of ``dtype`` with its reference.

    ``kind`` is ``"forward"`` (values of an op), ``"gradient"`` (autograd vs a
    closed-form NumPy VJP) or ``"finite_difference"`` (autograd vs NumPy
    central differences). ``op`` names an entry of :data:`OP_FACTORS`.
    Integers and bool are exact.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown tolerance kind {kind!r}; expected one of {KINDS}")
    if op is not None and op not in OP_FACTORS:
        raise ValueError(f"op factor {op!r} is not in the policy; add it to OP_FACTORS with a reason")
    if dtypes.is_exact(dtype):
        return Tolerance(0.0, 0.0)
    real = {torch.complex64: torch.float32, torch.complex128: torch.float64}.get(dtype, dtype)
    factor = OP_FACTORS[op].factor if op else 1.0
    info = torch.finfo(real)
    atol = float(info.tiny)
    if kind == "finite_difference":
        rtol = max(_FLOAT64_RTOL[kind], 64 * info.eps)
        return Tolerance(rtol * factor, max(atol, _FINITE_DIFFERENCE_FLOOR))
    if real == torch.float64:
        rtol = _FLOAT64_RTOL[kind]
    else:
        rtol = _EPS_MULTIPLE[kind][real] * info.eps
    return Tolerance(rtol * factor, atol)


def ulp_error(actual: np.ndarray, expected: np.ndarray, dtype: torch.dtype) -> float:
    """Largest error of ``actual`` in ULPs of ``dtype`` at the expected value.

    Positions where both are NaN, or both the same infinity, count as zero;
    a NaN/inf mismatch is ``inf``. Exact dtypes report the largest absolute
    difference (0 when equal). Empty arrays give 0.
    """
    a = np.asarray(actual)
    e = np.asarray(expected)
    if a.size == 0:
        return 0.0
    if dtypes.is_exact(dtype):
        return float(np.max(np.abs(a.astype(np.float64) - e.astype(np.float64))))
    a = a.astype(np.complex128 if np.iscomplexobj(a) else np.float64)
    e = e.astype(a.dtype)
    both_nan = np.isnan(a) & np.isnan(e)
    same_inf = np.isinf(a) & np.isinf(e) & (a == e)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(a - e) / dtypes.ulp(np.abs(e), dtype)
    err = np.where(both_nan | same_inf, 0.0, err)
    err = np.where(np.isnan(err), np.inf, err)
    return float(np.max(err))


#: Relative step of the central differences in :func:`pointwise_condition_scale`.
_CONDITION_STEP = 2.0 ** -20


def pointwise_condition_scale(reference, *args: np.ndarray) -> np.ndarray:
    """The comparison scale of an elementwise function at ``args``:
    ``|f| + sum_i |a_i df/da_i|``.

    It is the error that rounding the arguments alone causes (the relative
    condition number of ``f`` times ``|f|``, Higham, Accuracy and Stability
    of Numerical Algorithms, 2nd ed., sec. 1.6), so a kernel accurate to a
    few ULPs of the problem passes near a function's zeros, where the
    relative error of the value is unbounded, and is held to its value
    elsewhere. ``reference`` is the float64 NumPy/SciPy function;
    derivatives are central differences of it with a relative step of
    2**-20. A derivative that is not finite there (a domain edge) counts as
    0. Returns an array of the broadcast shape.
    """
    args = [np.asarray(a, dtype=np.float64) for a in args]
    with np.errstate(all="ignore"):
        value = np.asarray(reference(*args), dtype=np.float64)
        scale = np.abs(value)
        for i, a in enumerate(args):
            h = _CONDITION_STEP * np.maximum(np.abs(a), _CONDITION_STEP)
            up = [b if j != i else a + h for j, b in enumerate(args)]
            down = [b if j != i else a - h for j, b in enumerate(args)]
            slope = (np.asarray(reference(*up), dtype=np.float64) - np.asarray(reference(*down), dtype=np.float64)) / (2 * h)
            term = np.abs(a * slope)
            scale = scale + np.where(np.isfinite(term), term, 0.0)
    return np.where(np.isfinite(scale), scale, np.abs(value))


def conditioned_scale(expected: np.ndarray, cond: float, n: int) -> float:
    """The comparison scale of a linear-algebra result: ``max(n, 1) * cond *
    max|expected|``.

    A backward-stable algorithm (LU with partial pivoting, Householder QR,
    Cholesky, the QR/divide-and-conquer eigen- and singular-value solvers)
    computes the exact result of a problem perturbed by about ``n eps`` in
    relative terms; the result then moves by up to the condition number
    ``cond`` times that (Higham, Accuracy and Stability of Numerical
    Algorithms, 2nd ed., Thm. 7.2 and ch. 19). ``cond`` is the 2-norm
    condition number of the drawn matrix (1 for checks of a defining
    property such as ``Q R = A`` or ``Q^H Q = I``, which are
    backward-error statements), ``n`` its order, ``expected`` the
    reference (its largest magnitude sets the unit). Used with the
    policy's "linalg" factor.
    """
    expected = np.asarray(expected)
    magnitude = float(np.max(np.abs(expected))) if expected.size else 0.0
    return max(n, 1) * max(cond, 1.0) * magnitude
