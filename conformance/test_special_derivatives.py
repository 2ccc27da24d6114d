"""Every derivative order of the special functions and the elementwise math
families (issue 14, item 4), against nested central differences of SciPy and
NumPy in float64 (engine: :mod:`torchconform.derivative_orders`).

Rows: every ``torch.special`` function torch differentiates (``gammainc``
and ``gammaincc`` with respect to ``x`` only, the shape ``a`` closed over;
``zeta`` with respect to ``q`` only), and the ``torch`` namespace's
special functions, binary math families, inverse trigonometric aliases,
clamps and rounding steps (whose derivative is zero away from their jumps). Inputs are drawn away from poles
(``digamma``/``lgamma``/``polygamma`` at the non-positive integers: one
row on ``x > 0``, a second on ``(-1.8, -1.2)``), kinks and jumps (integers
for ``floor``/``ceil``/``trunc``, half-integers for ``round``, multiples of
the divisor for ``fmod``/``remainder``, ties for ``fmax``/``fmin`` and the
tensor clamps) and domain edges far enough that a difference quotient of
step ~0.6% of ``max |x|`` stays accurate.

Known deviations checked here by strict-xfail examples:

* ``special-functions-without-derivatives``: the Bessel, Airy and
  orthogonal polynomial functions of ``torch.special``, ``zeta`` with respect
  to its first argument and ``gammainc``/``gammaincc`` with respect to ``a`` have no
  derivative: backward raises and ``torch.func`` transforms of the first
  kinds silently give zero;
* ``special-functions-without-forward-mode``: ``igamma``/``igammac`` with
  respect to ``x`` and ``zeta`` with respect to ``q`` have reverse mode only
  (their rows leave out the forward and second orders);
* ``higher-derivatives-near-a-removable-singularity``: the second and
  third derivatives of ``sinc``, ``special.i1`` and ``special.i1e``, whose
  backward formulas divide by ``x``, are nan or wrong at 0 and lose their
  digits next to it; those rows keep :data:`~torchconform.gradcheck.MARGIN`
  away from 0;
* ``special-derivatives-cancel-in-the-tails``: higher derivatives of
  ``special.erfcx``, ``special.i0e`` and ``special.i1e`` for large ``x`` and
  ``special.log_ndtr`` for very negative ``x`` lose their digits (the rows stay where a difference
  quotient can judge them);
* ``expm1-derivative-from-saturated-output``: ``expm1``'s derivative,
  computed as ``expm1(x) + 1``, loses its relative precision for ``x << 0``;
* ``softmax-derivative-from-saturated-output``: the derivatives of
  ``softmax``/``log_softmax`` (and ``logsumexp``'s second) are computed from
  the probabilities and lose their relative precision where one rounds to 1.

The ``float_power`` row also keeps its exponent away from 0 and 1 (known
deviation ``pow-mixed-derivative-at-zero-exponent``, checked in
``test_known_deviations.py``).
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
import scipy.special as sc
import torch
from hypothesis import given, strategies as st

from torchconform.derivative_orders import Differentiable, budgeted, check, params
from torchconform.gradcheck import Domain
from torchconform.oracle import assert_matches
from torchconform.references import finite_diff

pytestmark = [pytest.mark.area("special"), pytest.mark.capability("grad")]

D = Differentiable

#: Where the gamma family is smooth: a value drawn from 0.5 up keeps the
#: pole at 0 about thirty difference steps (at most 0.0174 here) away.
POSITIVE = Domain((0.5, 3.0))
#: Between the poles at -2 and -1, at least 0.2 from either.
BETWEEN_POLES = Domain((-1.8, -1.2))
INTEGERS = tuple(float(k) for k in range(-3, 4))
HALF_INTEGERS = tuple(k + 0.5 for k in range(-3, 3))


def _const(like: torch.Tensor, values) -> torch.Tensor:
    """A fixed operand on ``like``'s device and dtype (inside vmap too)."""
    return torch.tensor(values, dtype=like.dtype, device=like.device)


def _apart(gap: float = 0.1):
    """``valid``: the two inputs differ by more than ``gap`` everywhere (ties are kinks)."""
    return lambda x, y: bool(np.all(np.abs(x - y) > gap))


def _off_multiples(gap: float = 0.1):
    """``valid``: ``x`` keeps ``gap`` away from every multiple of ``y``
    (where ``fmod`` and ``remainder`` jump)."""
    def valid(x, y):
        q = x / y
        return bool(np.all(np.abs(q - np.round(q)) * np.abs(y) > gap))
    return valid


def _log_softmax(x, axis):
    """x - logsumexp(x) with the maximum subtracted first (the stable form)."""
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _logsumexp(x, axis):
    top = np.max(x, axis=axis, keepdims=True)
    return np.squeeze(top, axis) + np.log(np.sum(np.exp(x - top), axis=axis))


def _multigammaln(x, p):
    return np.vectorize(lambda v: sc.multigammaln(v, p))(x)


#: The incomplete gamma functions (w.r.t. x) and zeta (w.r.t. q) have no forward mode
#: (known deviation special-functions-without-forward-mode):
#: no ``jvp``, so no forward-over-reverse second derivative either.
WITHOUT_FORWARD_MODE = ("reverse", "third", "vmap")

#: Shape parameters of the incomplete gamma rows (torch differentiates w.r.t. x only).
GAMMA_SHAPES = [0.5, 1.5, 3.0]


def _special_rows() -> list[Differentiable]:
    S = torch.special
    return [
        D("torch.special.erf", S.erf, sc.erf),
        D("torch.special.erfc", S.erfc, sc.erfc),
        D("torch.special.erfcx", S.erfcx, sc.erfcx, domains=(Domain((-2.0, 6.0)),)),
        D("torch.special.erfinv", S.erfinv, sc.erfinv, domains=(Domain((-0.8, 0.8)),)),
        D("torch.special.expit", S.expit, sc.expit, domains=(Domain((-8.0, 8.0)),)),
        D("torch.special.logit", S.logit, sc.logit, domains=(Domain((0.15, 0.85)),)),
        # Clamped to [eps, 1 - eps]: zero derivative outside.
        D("torch.special.logit", lambda x: S.logit(x, eps=0.2), lambda x: sc.logit(np.clip(x, 0.2, 0.8)),
          domains=(Domain((0.02, 0.98), avoid=(0.2, 0.8)),), variant="eps=0.2"),
        D("torch.special.log_ndtr", S.log_ndtr, sc.log_ndtr, domains=(Domain((-5.0, 5.0)),)),
        D("torch.special.ndtr", S.ndtr, sc.ndtr, domains=(Domain((-5.0, 5.0)),)),
        D("torch.special.ndtri", S.ndtri, sc.ndtri, domains=(Domain((0.1, 0.9)),)),
        D("torch.special.digamma", S.digamma, sc.psi, domains=(POSITIVE,)),
        D("torch.special.psi", S.psi, sc.psi, domains=(BETWEEN_POLES,), variant="x<0"),
        D("torch.special.polygamma", lambda x: S.polygamma(1, x), lambda x: sc.polygamma(1, x), domains=(POSITIVE,),
          variant="n=1"),
        D("torch.special.polygamma", lambda x: S.polygamma(2, x), lambda x: sc.polygamma(2, x),
          domains=(BETWEEN_POLES,), variant="n=2,x<0"),
        D("torch.special.gammaln", S.gammaln, sc.gammaln, domains=(POSITIVE,)),
        D("torch.special.multigammaln", lambda x: S.multigammaln(x, 2), lambda x: _multigammaln(x, 2),
          domains=(Domain((1.0, 3.5)),), variant="p=2"),
        D("torch.special.i0", S.i0, sc.i0, domains=(Domain((-4.0, 4.0)),)),
        D("torch.special.i1", S.i1, sc.i1, domains=(Domain((-4.0, 4.0), avoid=(0.0,)),)),
        # exp(-|x|) scaling: a kink at 0.
        D("torch.special.i0e", S.i0e, sc.i0e, domains=(Domain((-2.0, 2.0), avoid=(0.0,)),)),
        D("torch.special.i1e", S.i1e, sc.i1e, domains=(Domain((-2.0, 2.0), avoid=(0.0,)),)),
        D("torch.special.entr", S.entr, sc.entr, domains=(Domain((0.3, 3.0)),)),
        D("torch.special.sinc", S.sinc, np.sinc, domains=(Domain((-2.0, 2.0), avoid=(0.0,)),)),
        D("torch.special.xlogy", S.xlogy, sc.xlogy, shapes=((3,), (3,)), domains=(Domain(), Domain((0.5, 3.0)))),
        D("torch.special.xlog1py", S.xlog1py, sc.xlog1py, shapes=((3,), (3,)),
          domains=(Domain(), Domain((-0.5, 3.0)))),
        D("torch.special.exp2", S.exp2, np.exp2),
        D("torch.special.expm1", S.expm1, np.expm1),
        D("torch.special.log1p", S.log1p, np.log1p, domains=(Domain((-0.5, 3.0)),)),
        D("torch.special.logsumexp", lambda x: S.logsumexp(x, 1), lambda x: _logsumexp(x, 1),
          shapes=((2, 3),), variant="dim=1"),
        D("torch.special.softmax", lambda x: S.softmax(x, 0), lambda x: np.exp(_log_softmax(x, 0)), shapes=((3, 2),),
          variant="dim=0"),
        D("torch.special.log_softmax", lambda x: S.log_softmax(x, 1), lambda x: _log_softmax(x, 1),
          shapes=((2, 3),), variant="dim=1"),
        D("torch.special.round", S.round, np.round, domains=(Domain((-2.4, 2.4), avoid=HALF_INTEGERS),)),
        D("torch.special.zeta", lambda q: S.zeta(3.0, q), lambda q: sc.zeta(3.0, q), domains=(Domain((0.5, 3.0)),),
          orders=WITHOUT_FORWARD_MODE, variant="wrt q"),
        D("torch.special.gammainc", lambda x: S.gammainc(_const(x, GAMMA_SHAPES), x),
          lambda x: sc.gammainc(GAMMA_SHAPES, x), shapes=((3,),), domains=(Domain((0.5, 3.5)),),
          orders=WITHOUT_FORWARD_MODE, variant="wrt x"),
        D("torch.special.gammaincc", lambda x: S.gammaincc(_const(x, GAMMA_SHAPES), x),
          lambda x: sc.gammaincc(GAMMA_SHAPES, x), shapes=((3,),), domains=(Domain((0.5, 3.5)),),
          orders=WITHOUT_FORWARD_MODE, variant="wrt x"),
    ]


def _torch_rows() -> list[Differentiable]:
    two = ((3,), (3,))
    return [
        D("torch.digamma", torch.digamma, sc.psi, domains=(BETWEEN_POLES,), variant="x<0"),
        D("torch.erfc", torch.erfc, sc.erfc),
        D("torch.erfinv", torch.erfinv, sc.erfinv, domains=(Domain((-0.8, 0.8)),)),
        D("torch.i0", torch.i0, sc.i0, domains=(Domain((-4.0, 4.0)),)),
        D("torch.igamma", lambda x: torch.igamma(_const(x, GAMMA_SHAPES), x),
          lambda x: sc.gammainc(GAMMA_SHAPES, x), shapes=((3,),), domains=(Domain((0.5, 3.5)),), orders=WITHOUT_FORWARD_MODE, variant="wrt x"),
        D("torch.igammac", lambda x: torch.igammac(_const(x, GAMMA_SHAPES), x),
          lambda x: sc.gammaincc(GAMMA_SHAPES, x), shapes=((3,),), domains=(Domain((0.5, 3.5)),), orders=WITHOUT_FORWARD_MODE, variant="wrt x"),
        D("torch.lgamma", torch.lgamma, sc.gammaln, domains=(POSITIVE,)),
        # log|Gamma|: Gamma is positive on (-2, -1).
        D("torch.lgamma", torch.lgamma, sc.gammaln, domains=(BETWEEN_POLES,), variant="x<0"),
        D("torch.polygamma", lambda x: torch.polygamma(3, x), lambda x: sc.polygamma(3, x), domains=(POSITIVE,),
          variant="n=3"),
        D("torch.mvlgamma", lambda x: torch.mvlgamma(x, 3), lambda x: _multigammaln(x, 3),
          domains=(Domain((1.5, 4.0)),), variant="p=3"),
        D("torch.sinc", torch.sinc, np.sinc, domains=(Domain((-2.0, 2.0), avoid=(0.0,)),)),
        D("torch.xlogy", torch.xlogy, sc.xlogy, shapes=two, domains=(Domain(), Domain((0.5, 3.0)))),
        D("torch.logit", torch.logit, sc.logit, domains=(Domain((0.15, 0.85)),)),
        D("torch.logaddexp", torch.logaddexp, np.logaddexp, shapes=two),
        D("torch.logaddexp2", torch.logaddexp2, np.logaddexp2, shapes=two),
        # A kink only where both are 0.
        D("torch.hypot", torch.hypot, np.hypot, shapes=two, domains=(Domain(avoid=(0.0,)), Domain())),
        # pow masks exponents of exactly 0 in its backward, and so exponents of 1 in its second
        # derivative (known deviation pow-mixed-derivative-at-zero-exponent).
        D("torch.float_power", torch.float_power, np.float_power, shapes=two,
          domains=(Domain((0.2, 3.0)), Domain((-2.0, 2.0), avoid=(0.0, 1.0)))),
        D("torch.copysign", torch.copysign, np.copysign, shapes=two, domains=(Domain(avoid=(0.0,)),)),
        D("torch.fmod", torch.fmod, np.fmod, shapes=((2,), (2,)), domains=(Domain(), Domain((0.8, 2.0))),
          valid=_off_multiples()),
        D("torch.remainder", torch.remainder, np.remainder, shapes=((2,), (2,)),
          domains=(Domain(), Domain((-2.0, -0.8))), valid=_off_multiples()),
        D("torch.ldexp", torch.ldexp, lambda x, y: x * np.exp2(y), shapes=two, domains=(Domain(), Domain((-2.0, 2.0)))),
        D("torch.fmax", torch.fmax, np.fmax, shapes=two, valid=_apart()),
        D("torch.fmin", torch.fmin, np.fmin, shapes=two, valid=_apart()),
        D("torch.true_divide", torch.true_divide, np.true_divide, shapes=two,
          domains=(Domain(), Domain((0.5, 3.0)))),
        D("torch.divide", torch.divide, np.divide, shapes=two, domains=(Domain(), Domain((-3.0, -0.5)))),
        # A rounded quotient: zero derivative away from the jumps (where x / y is an integer).
        D("torch.divide", lambda x, y: torch.divide(x, y, rounding_mode="floor"),
          lambda x, y: np.floor_divide(x, y), shapes=((2,), (2,)), domains=(Domain(), Domain((0.8, 2.0))),
          valid=_off_multiples(), variant="rounding_mode=floor"),
        D("torch.multiply", torch.multiply, np.multiply, shapes=two),
        D("torch.subtract", lambda x, y: torch.subtract(x, y, alpha=2.5), lambda x, y: x - 2.5 * y, shapes=two,
          variant="alpha=2.5"),
        D("torch.rsub", lambda x, y: torch.rsub(x, y, alpha=-1.5), lambda x, y: y + 1.5 * x, shapes=two,
          variant="alpha=-1.5"),
        D("torch.negative", torch.negative, np.negative),
        D("torch.positive", torch.positive, np.positive),
        D("torch.absolute", torch.absolute, np.absolute, domains=(Domain(avoid=(0.0,)),)),
        D("torch.arccos", torch.arccos, np.arccos, domains=(Domain((-0.8, 0.8)),)),
        D("torch.arccosh", torch.arccosh, np.arccosh, domains=(Domain((1.3, 4.0)),)),
        D("torch.arcsin", torch.arcsin, np.arcsin, domains=(Domain((-0.8, 0.8)),)),
        D("torch.arcsinh", torch.arcsinh, np.arcsinh),
        D("torch.arctan", torch.arctan, np.arctan),
        # The branch cut is the negative x-axis (y = 0).
        D("torch.arctan2", torch.arctan2, np.arctan2, shapes=two, domains=(Domain(avoid=(0.0,)), Domain())),
        D("torch.arctanh", torch.arctanh, np.arctanh, domains=(Domain((-0.8, 0.8)),)),
        D("torch.clamp_min", torch.clamp_min, np.maximum, shapes=two, valid=_apart()),
        D("torch.clamp_max", torch.clamp_max, np.minimum, shapes=two, valid=_apart()),
        D("torch.clip", lambda x: torch.clip(x, -1.0, 1.5), lambda x: np.clip(x, -1.0, 1.5),
          domains=(Domain(avoid=(-1.0, 1.5)),), variant="min=-1,max=1.5"),
        # Finite inputs pass through unchanged.
        D("torch.nan_to_num", lambda x: torch.nan_to_num(x, nan=0.5, posinf=2.0, neginf=-2.0),
          lambda x: np.nan_to_num(x, nan=0.5, posinf=2.0, neginf=-2.0), variant="nan=0.5,posinf=2,neginf=-2"),
        D("torch.trunc", torch.trunc, np.trunc, domains=(Domain((-2.4, 2.4), avoid=INTEGERS),)),
        D("torch.fix", torch.fix, np.fix, domains=(Domain((-2.4, 2.4), avoid=INTEGERS),)),
        D("torch.floor", torch.floor, np.floor, domains=(Domain((-2.4, 2.4), avoid=INTEGERS),)),
        D("torch.ceil", torch.ceil, np.ceil, domains=(Domain((-2.4, 2.4), avoid=INTEGERS),)),
        D("torch.round", torch.round, np.round, domains=(Domain((-2.4, 2.4), avoid=HALF_INTEGERS),)),
        D("torch.sign", torch.sign, np.sign, domains=(Domain(avoid=(0.0,)),)),
        D("torch.sgn", torch.sgn, np.sign, domains=(Domain(avoid=(0.0,)),), variant="real"),
    ]


ROWS = _special_rows() + _torch_rows()


@pytest.mark.parametrize(("op", "order"), params(ROWS))
@budgeted
@given(data=st.data())
def test_special_derivatives_match_finite_differences(op, order, device, data):
    check(op, order, device, data)


# ------------------------------------------------------- known deviations


def _chebyshev_third_kind(x):
    """V_3(cos t) = cos(3.5 t) / cos(t / 2) (Mason & Handscomb, Chebyshev Polynomials, 2003, sec. 1.2.3)."""
    t = np.arccos(x)
    return np.cos(3.5 * t) / np.cos(t / 2)


def _chebyshev_fourth_kind(x):
    """W_3(cos t) = sin(3.5 t) / sin(t / 2) (same source)."""
    t = np.arccos(x)
    return np.sin(3.5 * t) / np.sin(t / 2)


def _shifted(reference):
    return lambda x: reference(2 * x - 1)


_POSITIVE_X, _UNIT_X, _HALF_X = [0.5, 1.5, 2.5], [-0.6, 0.1, 0.7], [0.2, 0.45, 0.8]
_S = torch.special
#: torch.special functions (and operands) torch has no derivative for, at
#: smooth points: (torch function of one tensor, SciPy/NumPy twin, values).
WITHOUT_DERIVATIVES = {
    "bessel_j0": (_S.bessel_j0, sc.j0, _POSITIVE_X),
    "bessel_j1": (_S.bessel_j1, sc.j1, _POSITIVE_X),
    "bessel_y0": (_S.bessel_y0, sc.y0, _POSITIVE_X),
    "bessel_y1": (_S.bessel_y1, sc.y1, _POSITIVE_X),
    "modified_bessel_i0": (_S.modified_bessel_i0, sc.i0, _POSITIVE_X),
    "modified_bessel_i1": (_S.modified_bessel_i1, sc.i1, _POSITIVE_X),
    "modified_bessel_k0": (_S.modified_bessel_k0, sc.k0, _POSITIVE_X),
    "modified_bessel_k1": (_S.modified_bessel_k1, sc.k1, _POSITIVE_X),
    "scaled_modified_bessel_k0": (_S.scaled_modified_bessel_k0, sc.k0e, _POSITIVE_X),
    "scaled_modified_bessel_k1": (_S.scaled_modified_bessel_k1, sc.k1e, _POSITIVE_X),
    "spherical_bessel_j0": (_S.spherical_bessel_j0, lambda x: sc.spherical_jn(0, x), _POSITIVE_X),
    "airy_ai": (_S.airy_ai, lambda x: sc.airy(x)[0], [-1.0, 0.5, 1.5]),
    "chebyshev_polynomial_t": (lambda x: _S.chebyshev_polynomial_t(x, 3), lambda x: sc.eval_chebyt(3, x), _UNIT_X),
    "chebyshev_polynomial_u": (lambda x: _S.chebyshev_polynomial_u(x, 3), lambda x: sc.eval_chebyu(3, x), _UNIT_X),
    "chebyshev_polynomial_v": (lambda x: _S.chebyshev_polynomial_v(x, 3), _chebyshev_third_kind, _UNIT_X),
    "chebyshev_polynomial_w": (lambda x: _S.chebyshev_polynomial_w(x, 3), _chebyshev_fourth_kind, _UNIT_X),
    "shifted_chebyshev_polynomial_t": (lambda x: _S.shifted_chebyshev_polynomial_t(x, 3),
                                       _shifted(lambda x: sc.eval_chebyt(3, x)), _HALF_X),
    "shifted_chebyshev_polynomial_u": (lambda x: _S.shifted_chebyshev_polynomial_u(x, 3),
                                       _shifted(lambda x: sc.eval_chebyu(3, x)), _HALF_X),
    "shifted_chebyshev_polynomial_v": (lambda x: _S.shifted_chebyshev_polynomial_v(x, 3),
                                       _shifted(_chebyshev_third_kind), _HALF_X),
    "shifted_chebyshev_polynomial_w": (lambda x: _S.shifted_chebyshev_polynomial_w(x, 3),
                                       _shifted(_chebyshev_fourth_kind), _HALF_X),
    "hermite_polynomial_h": (lambda x: _S.hermite_polynomial_h(x, 3), lambda x: sc.eval_hermite(3, x), _UNIT_X),
    "hermite_polynomial_he": (lambda x: _S.hermite_polynomial_he(x, 3), lambda x: sc.eval_hermitenorm(3, x),
                              _UNIT_X),
    "laguerre_polynomial_l": (lambda x: _S.laguerre_polynomial_l(x, 3), lambda x: sc.eval_laguerre(3, x), _UNIT_X),
    "legendre_polynomial_p": (lambda x: _S.legendre_polynomial_p(x, 3), lambda x: sc.eval_legendre(3, x), _UNIT_X),
    "zeta(wrt x)": (lambda x: _S.zeta(x, 1.5), lambda x: sc.zeta(x, 1.5), [2.0, 3.0, 4.5]),
    "gammainc(wrt a)": (lambda a: _S.gammainc(a, torch.full_like(a, 1.5)), lambda a: sc.gammainc(a, 1.5), _POSITIVE_X),
    "gammaincc(wrt a)": (lambda a: _S.gammaincc(a, torch.full_like(a, 1.5)), lambda a: sc.gammaincc(a, 1.5),
                         _POSITIVE_X),
}


@pytest.mark.parametrize("name", list(WITHOUT_DERIVATIVES))
def test_special_function_has_a_derivative(name, device):
    """Known deviation special-functions-without-derivatives: the derivative
    of an elementwise function (``backward`` and ``torch.func.jvp`` along
    ones) equals the central difference of its SciPy twin."""
    torch_fn, numpy_fn, values = WITHOUT_DERIVATIVES[name]
    x = np.array(values)
    want = finite_diff.gradient(lambda a: float(np.sum(numpy_fn(a))), [x], finite_diff.nested_step([x], 1))[0]
    leaf = torch.tensor(x, device=device, requires_grad=True)
    (grad,) = torch.autograd.grad(torch_fn(leaf).sum(), leaf)
    assert_matches(grad, want, torch.float64, kind="finite_difference", what=f"d/dx of torch.special.{name}")
    _, tangent = torch.func.jvp(torch_fn, (leaf.detach(),), (torch.ones_like(leaf),))
    assert_matches(tangent, want, torch.float64, kind="finite_difference", what=f"jvp of torch.special.{name}")


#: Functions with a reverse-mode derivative but no forward mode: (function of
#: one tensor, its derivative in closed form, values).
WITHOUT_FORWARD_MODE_EXAMPLES = {
    # dP/dx = x**(a-1) exp(-x) / Gamma(a) (DLMF 8.8.13); Q = 1 - P.
    "igamma(wrt x)": (lambda x: torch.igamma(_const(x, GAMMA_SHAPES), x),
                      lambda x: np.exp((np.array(GAMMA_SHAPES) - 1) * np.log(x) - x - sc.gammaln(GAMMA_SHAPES)),
                      [0.7, 1.9, 2.6]),
    "igammac(wrt x)": (lambda x: torch.igammac(_const(x, GAMMA_SHAPES), x),
                       lambda x: -np.exp((np.array(GAMMA_SHAPES) - 1) * np.log(x) - x - sc.gammaln(GAMMA_SHAPES)),
                       [0.7, 1.9, 2.6]),
    # d/dq zeta(s, q) = -s zeta(s + 1, q) (DLMF 25.11.17).
    "special.zeta(wrt q)": (lambda q: torch.special.zeta(3.0, q), lambda q: -3 * sc.zeta(4.0, q), [0.7, 1.9, 2.6]),
}


@pytest.mark.parametrize("name", list(WITHOUT_FORWARD_MODE_EXAMPLES))
def test_special_function_has_forward_mode(name, device):
    """Known deviation special-functions-without-forward-mode: ``torch.func.jvp``
    along ones gives the elementwise derivative (closed form)."""
    torch_fn, derivative, values = WITHOUT_FORWARD_MODE_EXAMPLES[name]
    at = torch.tensor(values, dtype=torch.float64, device=device)
    _, tangent = torch.func.jvp(torch_fn, (at,), (torch.ones_like(at),))
    assert_matches(tangent, derivative(np.array(values)), torch.float64, kind="gradient",
                   what=f"jvp of torch.{name}")


#: (torch function, its mpmath twin, x, derivative order): points next to the
#: removable singularity at 0 where the backward formula divides by x.
NEAR_ZERO = {
    "sinc-second-at-0": (torch.sinc, lambda z: mp.sinc(mp.pi * z), 0.0, 2),
    "sinc-second-at-1e-8": (torch.sinc, lambda z: mp.sinc(mp.pi * z), 1e-8, 2),
    "sinc-third-at-1e-5": (torch.sinc, lambda z: mp.sinc(mp.pi * z), 1e-5, 3),
    "i1-third-at-0": (torch.special.i1, lambda z: mp.besseli(1, z), 0.0, 3),
    "i1-third-at-1e-7": (torch.special.i1, lambda z: mp.besseli(1, z), 1e-7, 3),
    "i1e-third-at-1e-6": (torch.special.i1e, lambda z: mp.besseli(1, z) * mp.exp(-z), 1e-6, 3),
}


def _derivative_by_reverse_mode(torch_fn, at: float, order: int, device: str) -> torch.Tensor:
    """The ``order``-th derivative of an elementwise ``torch_fn`` at ``at``
    (float64, shape ``(1,)``) by ``autograd.grad`` ``order`` times."""
    x = torch.tensor([at], dtype=torch.float64, device=device, requires_grad=True)
    derivative = torch_fn(x)
    for level in range(order):
        (derivative,) = torch.autograd.grad(derivative.sum(), x, create_graph=level < order - 1)
    return derivative


def _assert_derivative_is_mpmath(case: str, table: dict, device: str) -> None:
    torch_fn, reference, at, order = table[case]
    got = _derivative_by_reverse_mode(torch_fn, at, order, device)
    with mp.workdps(50):
        want = float(mp.diff(reference, mp.mpf(at), order))
    assert_matches(got, np.array([want]), torch.float64, kind="gradient",
                   what=f"derivative {order} of {case.split('-')[0]} at {at}")


@pytest.mark.parametrize("case", list(NEAR_ZERO))
def test_higher_derivatives_next_to_zero(case, device):
    """Known deviation higher-derivatives-near-a-removable-singularity: the
    k-th derivative by reverse mode k times equals mpmath's (50 digits)."""
    _assert_derivative_is_mpmath(case, NEAR_ZERO, device)


#: (torch function, its mpmath twin, x, derivative order): tails where the
#: derivative is a small difference of large terms.
TAILS = {
    "erfcx-second-at-1000": (torch.special.erfcx, lambda z: mp.exp(z * z) * mp.erfc(z), 1000.0, 2),
    "erfcx-third-at-100": (torch.special.erfcx, lambda z: mp.exp(z * z) * mp.erfc(z), 100.0, 3),
    "erfcx-third-at-1000": (torch.special.erfcx, lambda z: mp.exp(z * z) * mp.erfc(z), 1000.0, 3),
    "log_ndtr-third-at-minus-40": (torch.special.log_ndtr, lambda z: mp.log(mp.ncdf(z)), -40.0, 3),
    "log_ndtr-third-at-minus-100": (torch.special.log_ndtr, lambda z: mp.log(mp.ncdf(z)), -100.0, 3),
    "i0e-third-at-10000": (torch.special.i0e, lambda z: mp.besseli(0, z) * mp.exp(-z), 1e4, 3),
    "i1e-third-at-10000": (torch.special.i1e, lambda z: mp.besseli(1, z) * mp.exp(-z), 1e4, 3),
}


@pytest.mark.parametrize("case", list(TAILS))
def test_higher_derivatives_in_the_tails(case, device):
    """Known deviation special-derivatives-cancel-in-the-tails: the k-th
    derivative by reverse mode k times equals mpmath's (50 digits)."""
    _assert_derivative_is_mpmath(case, TAILS, device)


@pytest.mark.parametrize("order", [1, 2])
def test_expm1_derivative_below_minus_20(order, device):
    """Known deviation expm1-derivative-from-saturated-output: every
    derivative of expm1 is exp(x) (NumPy), also where expm1(x) rounds to -1."""
    x = np.array([-20.0, -30.0, -40.0])
    got = [_derivative_by_reverse_mode(torch.special.expm1, at, order, device) for at in x]
    assert_matches(torch.cat(got), np.exp(x), torch.float64, kind="gradient",
                   what=f"derivative {order} of expm1 at {x.tolist()}")


def _gradient_of_first_output(kind: str, x: torch.Tensor) -> torch.Tensor:
    """d/dx of ``softmax(x)[0]``, ``log_softmax(x)[0]`` or
    ``d/dx0 logsumexp(x)`` (the last a second derivative), by autograd."""
    if kind == "logsumexp-second":
        (first,) = torch.autograd.grad(torch.special.logsumexp(x, 0), x, create_graph=True)
        return torch.autograd.grad(first[0], x)[0]
    return torch.autograd.grad(getattr(torch.special, kind)(x, 0)[0], x)[0]


@pytest.mark.parametrize("kind", ["softmax", "log_softmax", "logsumexp-second"])
def test_softmax_derivatives_where_a_probability_rounds_to_one(kind, device):
    """Known deviation softmax-derivative-from-saturated-output: at x = (40, 0)
    the probabilities are p = (expit(40), expit(-40)); d softmax_0 = p0 p1 (1, -1),
    d log_softmax_0 = p1 (1, -1) and the logsumexp Hessian's first row is
    p0 p1 (1, -1) (SciPy's expit keeps p1 = 4.25e-18 exact)."""
    p0, p1 = sc.expit(40.0), sc.expit(-40.0)
    scale = p1 if kind == "log_softmax" else p0 * p1
    x = torch.tensor([40.0, 0.0], dtype=torch.float64, device=device, requires_grad=True)
    assert_matches(_gradient_of_first_output(kind, x), scale * np.array([1.0, -1.0]), torch.float64, kind="gradient",
                   what=f"{kind} derivative at (40, 0)")
