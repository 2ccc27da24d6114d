"""Activations and their first three derivatives in NumPy, in stable forms.

Each function returns ``[f, f', f'', f''']`` at the float64 array ``x`` and
the sizes of their terms.
The forms hold their relative accuracy in the tails, where the textbook
forms cancel: ``1 - sigmoid(x)`` is written ``sigmoid(-x)``, ``1 - tanh(x)**2``
is ``4 sigmoid(2x) sigmoid(-2x)``, the normal CDF is ``scipy.special.ndtr``
(an erfc, not ``(1 + erf) / 2``), ``1 + tanh(u)`` is ``2 sigmoid(2u)``, and
``softplus`` is ``max(x, 0) + log1p(exp(-|x|))``. The derivatives are the
closed forms obtained by the chain rule from these pieces (derived in the
docstrings); tests/test_activation_references.py checks them against
arbitrary-precision ``mpmath`` derivatives, tails included.

Definitions are the ones in the torch.nn.functional documentation
(https://pytorch.org/docs/stable/nn.functional.html), with the SELU constants
of Klambauer et al. 2017 and the GELU of Hendrycks & Gimpel 2016. On a kink
the first derivative is the one torch documents for non-differentiable
points (autograd mechanics, "Gradients for non-differentiable functions"):
the gradient of minimum norm among the sub-gradients where the function is
locally convex, among the super-gradients where it is locally concave;
higher derivatives are not defined there and are left ``nan``.

Pure NumPy and SciPy: nothing here imports torch.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

#: The SELU constants (Klambauer et al. 2017, eq. 14), as torch documents them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def logistic(z: np.ndarray) -> np.ndarray:
    """The logistic sigmoid ``1 / (1 + exp(-z))``, as ``exp(log_expit(z))``.

    ``scipy.special.expit`` returns 0 where the result is subnormal
    (``z < -709.78``: it forms ``exp(-z)``, which overflows), so the float64
    derivatives built from it were 0 where torch rightly gives ~1e-308;
    ``scipy.special.log_expit`` keeps full range and ``exp`` rounds it into
    the subnormals as the true value would be."""
    return np.exp(special.log_expit(z))


def sigmoid_derivatives(z: np.ndarray) -> list[np.ndarray]:
    """``[s, s', s'', s''']`` of the logistic ``s = sigmoid(z)``, with
    ``t = sigmoid(-z)``: ``s' = s t``, ``s'' = s t (t - s)``,
    ``s''' = s t (1 - 6 s t)`` (since ``(t - s)**2 = 1 - 4 s t``)."""
    s, t = logistic(z), logistic(-z)
    st = s * t
    return [s, st, st * (t - s), st * (1 - 6 * st)]


def _min_norm(left: float, right: float) -> float:
    """The element of smallest magnitude of the interval between two one-sided slopes."""
    lo, hi = min(left, right), max(left, right)
    return 0.0 if lo <= 0 <= hi else (lo if lo > 0 else hi)


def _on_kinks(x, kinks, slopes, values, scales):
    """On kink ``k`` the minimum-norm one-sided slope for f' (``slopes[k]`` =
    (left, right)) and ``nan`` (not defined) for f'' and f'''."""
    for k, (left, right) in zip(kinks, slopes):
        on = x == k
        values = [values[0], np.where(on, _min_norm(left, right), values[1]), np.where(on, np.nan, values[2]),
                  np.where(on, np.nan, values[3])]
    return values, scales


def _exact(values):
    """Piecewise forms whose terms are the values themselves."""
    return values, [np.abs(v) for v in values]


# Each function returns ``(values, scales)``: ``[f, f', f'', f''']`` and the
# size of the terms each is summed from (the same formula with every term made
# positive), the error bound of a derivative that crosses zero. In the tails
# the scales shrink with the values: relative accuracy is still asked there.


def sigmoid(x):
    """The logistic sigmoid (:func:`sigmoid_derivatives`); the term sizes are
    the derivatives with every term made positive."""
    s, st, st2, st3 = sigmoid_derivatives(x)
    return [s, st, st2, st3], [s, st, st, st * (1 + 6 * st)]


def logsigmoid(x):
    """``log sigmoid(x) = -softplus(-x)``: derivatives ``t``, ``-s t``, ``-s t (t - s)``."""
    _, st, st2, _ = sigmoid_derivatives(x)
    t, value = logistic(-x), special.log_expit(x)
    return [value, t, -st, -st2], [np.abs(value), t, st, st]


def softplus(x, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta x)) / beta``, and ``x`` where ``beta x > threshold``
    (the documented switch to the linear function). With ``z = beta x``:
    ``f' = sigmoid(z)``, ``f'' = beta s t``, ``f''' = beta**2 s t (t - s)``.
    At ``z = threshold`` f'' and f''' jump (not defined)."""
    z = beta * x
    s, st, st2, _ = sigmoid_derivatives(z)
    linear = z > threshold
    edge = z == threshold
    values = [np.where(linear, x, (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta), np.where(linear, 1.0, s),
              np.where(edge, np.nan, np.where(linear, 0.0, beta * st)),
              np.where(edge, np.nan, np.where(linear, 0.0, beta**2 * st2))]
    return values, [np.abs(values[0]), values[1], np.abs(values[2]), np.where(linear, 0.0, beta**2 * st)]


def tanh(x):
    """With ``q = 1 - tanh**2 = 4 sigmoid(2x) sigmoid(-2x)``: ``f' = q``,
    ``f'' = -2 y q``, ``f''' = -2 q (1 - 3 y**2) = 2 q (2 - 3 q)``."""
    y = np.tanh(x)
    q = 4 * logistic(2 * x) * logistic(-2 * x)
    return [y, q, -2 * y * q, 2 * q * (2 - 3 * q)], [np.abs(y), q, 2 * np.abs(y) * q, 2 * q * (2 + 3 * q)]


def silu(x):
    """``x s``: ``f' = s + x s'``, ``f'' = 2 s' + x s''``, ``f''' = 3 s'' + x s'''``."""
    (s, s1, s2, s3), (_, _, a2, a3) = sigmoid(x)
    ax = np.abs(x)
    return ([x * s, s + x * s1, 2 * s1 + x * s2, 3 * s2 + x * s3],
            [ax * s, s + ax * s1, 2 * s1 + ax * a2, 3 * a2 + ax * a3])


def mish(x):
    """``x tanh(softplus(x))``. With ``p = softplus(x)``, ``T = tanh(p)``,
    ``w = 1 - T**2`` (stable, as in :func:`tanh`), ``p' = s``, ``T' = w s``,
    ``w' = -2 T w s``, ``s' = s t``:
    ``f' = T + x w s``; ``f'' = w s g`` with ``g = 2 + x h``, ``h = t - 2 T s``;
    ``f''' = w s (h g + g')`` with ``g' = h + x (-s t - 2 w s**2 - 2 T s t)``."""
    p = softplus(x)[0][0]
    s, t = logistic(x), logistic(-x)
    big_t = np.tanh(p)
    w = tanh(p)[0][1]
    h, h_terms = t - 2 * big_t * s, t + 2 * np.abs(big_t) * s
    ax = np.abs(x)
    g, g_terms = 2 + x * h, 2 + ax * h_terms
    g1 = h + x * (-s * t - 2 * w * s * s - 2 * big_t * s * t)
    g1_terms = h_terms + ax * (s * t + 2 * w * s * s + 2 * np.abs(big_t) * s * t)
    values = [x * big_t, big_t + x * w * s, w * s * g, w * s * (h * g + g1)]
    return values, [np.abs(values[0]), np.abs(big_t) + ax * w * s, w * s * g_terms,
                    w * s * (h_terms * g_terms + g1_terms)]


def gelu(x, approximate="none"):
    """``x Phi(x)`` with the normal CDF ``Phi`` and density ``phi``:
    ``f' = Phi + x phi``, ``f'' = phi (2 - x**2)``, ``f''' = x phi (x**2 - 4)``.
    ``approximate="tanh"``: ``x sigmoid(h)`` with ``h = 2 sqrt(2/pi) (x + 0.044715 x**3)``
    (``(1 + tanh(h/2)) / 2 = sigmoid(h)``); with ``S(k)`` the k-th derivative of
    the logistic at ``h``: ``S' = h' S1``, ``S'' = h'' S1 + h'**2 S2``,
    ``S''' = h''' S1 + 3 h' h'' S2 + h'**3 S3``, and ``f(k) = k S(k-1) + x S(k)``."""
    ax = np.abs(x)
    if approximate == "none":
        cdf, pdf = special.ndtr(x), np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
        return ([x * cdf, cdf + x * pdf, pdf * (2 - x * x), x * pdf * (x * x - 4)],
                [ax * cdf, cdf + ax * pdf, pdf * (2 + x * x), ax * pdf * (x * x + 4)])
    c, k = 2 * math.sqrt(2 / math.pi), 0.044715
    h, h1, h2, h3 = c * (x + k * x**3), c * (1 + 3 * k * x * x), 6 * c * k * x, 6 * c * k
    (s0, s1, s2, s3), (_, _, a2, a3) = sigmoid(h)
    d1, d2, d3 = h1 * s1, h2 * s1 + h1 * h1 * s2, h3 * s1 + 3 * h1 * h2 * s2 + h1**3 * s3
    b1, b2 = h1 * s1, np.abs(h2) * s1 + h1 * h1 * a2
    b3 = h3 * s1 + 3 * h1 * np.abs(h2) * a2 + h1**3 * a3
    return ([x * s0, s0 + x * d1, 2 * d1 + x * d2, 3 * d2 + x * d3],
            [ax * s0, s0 + ax * b1, 2 * b1 + ax * b2, 3 * b2 + ax * b3])


def elu(x, alpha=1.0, scale=1.0):
    """``scale * (x if x > 0 else alpha (exp(x) - 1))`` (ELU; SELU with the
    SELU constants): every derivative is ``scale alpha exp(x)`` left of 0 and
    (after the first, ``scale``) 0 right of it; kink at 0 (slopes
    ``scale alpha`` and ``scale``)."""
    e = scale * alpha * np.exp(np.minimum(x, 0))
    pos = x > 0
    values = [np.where(pos, scale * x, scale * alpha * np.expm1(np.minimum(x, 0))), np.where(pos, scale, e),
              np.where(pos, 0.0, e), np.where(pos, 0.0, e)]
    return _on_kinks(x, [0.0], [(scale * alpha, scale)], *_exact(values))


def selu(x):
    """SELU: :func:`elu` with the constants :data:`SELU_ALPHA` and :data:`SELU_SCALE`."""
    return elu(x, SELU_ALPHA, SELU_SCALE)


def celu(x, alpha=1.0):
    """``max(0, x) + min(0, alpha (exp(x / alpha) - 1))``: left of 0 the
    derivatives are ``exp(x/alpha) / alpha**(k-1)``; f' is continuous (1) at 0,
    f'' jumps there (not defined)."""
    e = np.exp(np.minimum(x, 0) / alpha)
    pos = x > 0
    values = [np.where(pos, x, alpha * np.expm1(np.minimum(x, 0) / alpha)), np.where(pos, 1.0, e),
              np.where(x == 0, np.nan, np.where(pos, 0.0, e / alpha)),
              np.where(x == 0, np.nan, np.where(pos, 0.0, e / alpha**2))]
    return _exact(values)


def hardswish(x):
    """``x relu6(x + 3) / 6``: 0 below -3, ``x (x + 3) / 6`` between, ``x``
    above 3; kinks at -3 (slopes 0 and -1/2) and 3 (slopes 3/2 and 1)."""
    mid = (x > -3) & (x < 3)
    values = [np.where(x <= -3, 0.0, np.where(x >= 3, x, x * (x + 3) / 6)),
              np.where(x <= -3, 0.0, np.where(x >= 3, 1.0, (2 * x + 3) / 6)), np.where(mid, 1 / 3, 0.0),
              np.zeros_like(x)]
    scales = [np.where(mid, np.abs(x) * (np.abs(x) + 3) / 6, np.abs(values[0])),
              np.where(mid, (2 * np.abs(x) + 3) / 6, np.abs(values[1])), values[2], values[3]]
    return _on_kinks(x, [-3.0, 3.0], [(0.0, -0.5), (1.5, 1.0)], values, scales)


def hardsigmoid(x):
    """``relu6(x + 3) / 6``; kinks at -3 (slopes 0, 1/6) and 3 (1/6, 0)."""
    mid = (x > -3) & (x < 3)
    values = [np.clip(x / 6 + 0.5, 0.0, 1.0), np.where(mid, 1 / 6, 0.0), np.zeros_like(x), np.zeros_like(x)]
    return _on_kinks(x, [-3.0, 3.0], [(0.0, 1 / 6), (1 / 6, 0.0)], values,
                     [np.where(mid, np.abs(x) / 6 + 0.5, values[0]), values[1], values[2], values[3]])


def hardtanh(x, min_val=-1.0, max_val=1.0):
    """``clip(x, min_val, max_val)``; kinks at both bounds (slopes 0 and 1)."""
    inside = (x > min_val) & (x < max_val)
    values = [np.clip(x, min_val, max_val), np.where(inside, 1.0, 0.0), np.zeros_like(x), np.zeros_like(x)]
    return _on_kinks(x, [min_val, max_val], [(0.0, 1.0), (1.0, 0.0)], *_exact(values))


def relu(x):
    """``max(x, 0)``; kink at 0 (slopes 0 and 1)."""
    values = [np.maximum(x, 0.0), np.where(x > 0, 1.0, 0.0), np.zeros_like(x), np.zeros_like(x)]
    return _on_kinks(x, [0.0], [(0.0, 1.0)], *_exact(values))


def leaky_relu(x, negative_slope=0.01):
    """``x`` above 0, ``negative_slope x`` below; kink at 0."""
    values = [np.where(x > 0, x, negative_slope * x), np.where(x > 0, 1.0, negative_slope), np.zeros_like(x),
              np.zeros_like(x)]
    return _on_kinks(x, [0.0], [(negative_slope, 1.0)], *_exact(values))


def relu6(x):
    """``min(max(x, 0), 6)``: :func:`hardtanh` between 0 and 6."""
    return hardtanh(x, 0.0, 6.0)


def softshrink(x, lambd=0.5):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, 0 between;
    kinks at ``-lambd`` (slopes 1, 0) and ``lambd`` (0, 1)."""
    outside = np.abs(x) > lambd
    values = [np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, 0.0)), np.where(outside, 1.0, 0.0),
              np.zeros_like(x), np.zeros_like(x)]
    return _on_kinks(x, [-lambd, lambd], [(1.0, 0.0), (0.0, 1.0)], values,
                     [np.where(outside, np.abs(x) + lambd, 0.0), values[1], values[2], values[3]])


def hardshrink(x, lambd=0.5):
    """``x`` where ``|x| > lambd``, else 0 (a jump at ``+-lambd``, not a kink:
    no derivative there, left ``nan``)."""
    outside = np.abs(x) > lambd
    jump = np.abs(x) == lambd
    values = [np.where(outside, x, 0.0), np.where(jump, np.nan, np.where(outside, 1.0, 0.0)),
              np.where(jump, np.nan, 0.0), np.where(jump, np.nan, 0.0)]
    return values, [np.abs(values[0]), np.abs(values[1]), values[2], values[3]]


def threshold(x, threshold=0.0, value=0.0):
    """``x`` where ``x > threshold``, else ``value`` (a jump at the threshold
    unless ``value == threshold``; no derivative there, left ``nan``)."""
    above = x > threshold
    edge = x == threshold
    values = [np.where(above, x, value), np.where(edge, np.nan, np.where(above, 1.0, 0.0)),
              np.where(edge, np.nan, 0.0), np.where(edge, np.nan, 0.0)]
    return values, [np.abs(values[0]), np.abs(values[1]), values[2], values[3]]


def bce_with_logits(x, target, pos_weight=1.0):
    """Unreduced ``binary_cross_entropy_with_logits`` as a function of the
    logit: ``-(pos_weight y log s + (1 - y) log t)``, with ``c = 1 + (pos_weight - 1) y``:
    ``f' = (1 - y) - c t``, written ``(1 - y) s - pos_weight y t`` (using
    ``s + t = 1``) so that neither target cancels; ``f'' = c s t``,
    ``f''' = c s t (t - s)``."""
    c = 1 + (pos_weight - 1) * target
    s, st, st2, _ = sigmoid_derivatives(x)
    t = logistic(-x)
    value = -pos_weight * target * special.log_expit(x) - (1 - target) * special.log_expit(-x)
    return ([value, (1 - target) * s - pos_weight * target * t, c * st, c * st2],
            [np.abs(value), np.abs(1 - target) * s + pos_weight * target * t, c * st, c * st])


# ----------------------------------------------------------------- along a dimension


def _moments(x, v, axis):
    """``p = softmax(x)``, the expectation under it, ``d = v - E_p v``, the
    cumulants ``k2 = E_p d**2``, ``k3 = E_p d**3`` (kept dims), and ``pc``
    and ``size``, the term sizes of ``p`` and of an expectation (so the terms
    of ``d`` are ``|v| + size(|v|)``): torch forms ``p`` as
    ``exp(x - logsumexp(x))``, whose exponent is rounded relative to
    ``|x| + |logsumexp(x)|``, so ``p`` carries a relative error of eps times
    ``1 + |x| + |logsumexp(x)|`` (two rows of 710 give 0.499985 in float32,
    not 0.5)."""
    top = np.max(x, axis=axis, keepdims=True)
    z = x - top
    total = np.sum(np.exp(z), axis=axis, keepdims=True)
    p = np.exp(z) / total
    pc = p * (1 + np.abs(x) + np.abs(top + np.log(total)))

    def mean(a):
        return np.sum(p * a, axis=axis, keepdims=True)

    def size(a):
        return np.sum(pc * a, axis=axis, keepdims=True)

    d = v - mean(v)
    return p, mean, d, mean(d**2), mean(d**3), pc, size


# Along a dimension, derivatives are directional: forward ``D_v^k f`` (k = 1,
# 2, 3) in the direction ``v``, and reverse ``r_1 = grad(w . f)``,
# ``r_k = grad(r_{k-1} . v)`` with the cotangent ``w``. They follow from
# ``grad E_p h = p (h - E_p h)`` (h fixed) and ``D_v log p = v - E_p v``: the
# directional derivatives of logsumexp are the cumulants of ``v`` under
# ``p = softmax(x)``. Each function returns ``(forward, reverse)`` and their
# term sizes ``(forward_scales, reverse_scales)``, each a list for k = 1, 2, 3;
# ``w`` has the shape of the function's output.


def logsumexp_derivatives(x, v, w, axis=-1):
    """logsumexp: forward ``E_p v, k2, k3`` (reduced axis kept, size 1);
    reverse ``w p, w p d, w p (d**2 - k2)`` (``w`` with the reduced axis kept)."""
    p, mean, d, k2, k3, pc, size = _moments(x, v, axis)
    aw, big = np.abs(w), np.abs(v) + size(np.abs(v))
    return ([mean(v), k2, k3], [w * p, w * p * d, w * p * (d**2 - k2)],
            [size(np.abs(v)), size(big**2), size(big**3)], [aw * pc, aw * pc * big, aw * pc * (big**2 + size(big**2))])


def log_softmax_derivatives(x, v, w, axis=-1):
    """log_softmax ``= x - logsumexp(x)``: forward ``d, -k2, -k3``; reverse
    ``w - W p, -W p d, -W p (d**2 - k2)`` with ``W = sum(w)`` along the axis."""
    p, mean, d, k2, k3, pc, size = _moments(x, v, axis)
    big = np.abs(v) + size(np.abs(v))
    total, weight = np.sum(w, axis=axis, keepdims=True), np.sum(np.abs(w), axis=axis, keepdims=True)
    ones = np.ones_like(d)
    return ([d, -k2 * ones, -k3 * ones], [w - total * p, -total * p * d, -total * p * (d**2 - k2)],
            [big, size(big**2) * ones, size(big**3) * ones],
            [np.abs(w) + weight * pc, weight * pc * big, weight * pc * (big**2 + size(big**2))])


def softmax_derivatives(x, v, w, axis=-1):
    """softmax ``p = exp(log_softmax)``: forward ``p d, p (d**2 - k2),
    p (d**3 - 3 d k2 - k3)``; reverse, with ``e = w - E_p w``, ``c = E_p d e``,
    ``m = E_p d**2 e``: ``p e``, ``p (d e - c)`` (the gradient of the
    covariance ``c``) and ``p (d**2 e - m - 2 c d - k2 e)`` (of ``m``)."""
    p, mean, d, k2, k3, pc, size = _moments(x, v, axis)
    e = w - mean(w)
    c, m = mean(d * e), mean(d * d * e)
    big, we = np.abs(v) + size(np.abs(v)), np.abs(w) + size(np.abs(w))
    b2 = size(big**2)
    return ([p * d, p * (d**2 - k2), p * (d**3 - 3 * d * k2 - k3)],
            [p * e, p * (d * e - c), p * (d * d * e - m - 2 * c * d - k2 * e)],
            [pc * big, pc * (big**2 + b2), pc * (big**3 + 3 * big * b2 + size(big**3))],
            [pc * we, pc * (big * we + size(big * we)),
             pc * (big**2 * we + size(big**2 * we) + 2 * size(big * we) * big + b2 * we)])
