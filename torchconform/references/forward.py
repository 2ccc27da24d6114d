"""NumPy forward references too long for one expression in the op table.

Pure NumPy, no torch: a repro script inlines these with ``inspect.getsource``.
Each takes and returns float64 arrays of any shape. Special functions come
from SciPy (``scipy.special``, Cephes/Boost implementations), never from
hand-written series; where SciPy's value at an infinity disagrees with the
limit C99 Annex F prescribes, the limit is written out.
"""

import math

import numpy as np
import scipy.special


def sigmoid(x):
    """The logistic function ``1 / (1 + exp(-x))``, elementwise, same shape as
    ``x``; for ``x < 0`` the algebraically equal ``exp(x) / (1 + exp(x))``."""
    # Two branches so neither exp overflows into a wrong 0/inf ratio.
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))


def logsumexp(x, dim, keepdim):
    """``log(sum(exp(x), axis=dim))`` with the maximum shifted out first, so no
    exp overflows (Blanchard, Higham and Higham, "Accurately computing the
    log-sum-exp and softmax functions", IMA J. Numer. Anal. 41, 2021). ``dim``
    is an int; the reduced axis is kept with size 1 when ``keepdim``."""
    m = np.max(x, axis=dim, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=dim, keepdims=True)) + m
    return out if keepdim else np.squeeze(out, axis=dim)


def relu(x):
    """``max(x, 0)`` elementwise, same shape and dtype as ``x``; NaN stays NaN."""
    # NaN propagates, as in IEEE max with a NaN operand.
    return np.where(np.isnan(x), x, np.maximum(x, 0))


def _lgamma(v):
    try:
        return math.lgamma(v)
    except (ValueError, OverflowError):  # a pole (C99 F.9.5.4: +inf), or beyond the largest float
        return math.inf


def lgamma(x):
    """``log|Gamma(x)|`` elementwise, from Python's ``math.lgamma`` (C99
    ``lgamma``): +inf at the poles and at both infinities. Not
    ``scipy.special.gammaln``, which returns inf for subnormal inputs (where
    the value is -log(x), about 744) and -inf at -inf."""
    return np.vectorize(_lgamma, otypes=[np.float64])(x)


def i0(x):
    """The modified Bessel function of the first kind of order 0,
    ``scipy.special.i0``, with its limit +inf at both infinities (the series
    sum((x/2)**(2k) / (k!)**2) grows without bound; Cephes returns nan there)."""
    return np.where(np.isinf(x), np.inf, scipy.special.i0(x))


def logit(x, eps):
    """``log(p / (1 - p))`` with ``p = clip(x, eps, 1 - eps)`` (``eps=None``:
    no clipping), as torch.logit documents; the log-odds via ``scipy.special.logit``."""
    p = x if eps is None else np.clip(x, eps, 1 - eps)
    return scipy.special.logit(p)


def round_decimals(x, decimals):
    """``x`` rounded half to even at ``decimals`` decimal places: ``round(x * 10**d) / 10**d``
    (``x / 10**-d`` for negative ``d``), the formula torch.round documents;
    NaN and infinities pass through."""
    if decimals >= 0:
        return np.round(x * 10.0 ** decimals) / 10.0 ** decimals
    return np.round(x / 10.0 ** -decimals) * 10.0 ** -decimals
