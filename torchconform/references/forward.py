"""NumPy forward references too long for one expression in the op table.

Pure NumPy, no torch: a repro script inlines these with ``inspect.getsource``.
Each takes and returns float64 arrays of any shape.
"""

import numpy as np


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


def trunc_divide(x, y):
    """Quotient rounded towards zero: exact for integers (``x / y`` in
    float64 loses digits beyond 2**53), ``trunc(x / y)`` for floats."""
    if x.dtype.kind in "biu" and np.asarray(y).dtype.kind in "biu":
        floor = x // y
        return np.where((floor < 0) & (floor * y != x), floor + 1, floor)
    return np.trunc(x / y)


def _spread(x, dim, correction, keepdim):
    """Per slice: the sum of squared deviations from the mean (two-pass), the
    sum of squares, and the divisor ``max(n - correction, 1)``."""
    deviations = x - np.mean(x, axis=dim, keepdims=True)
    squares = np.sum(np.square(deviations), axis=dim, keepdims=keepdim)
    total = np.sum(np.square(x), axis=dim, keepdims=keepdim)
    count = x.size if dim is None else x.shape[dim]
    return squares, total, max(count - correction, 1)


def variance_error_scale(x, dim, correction, keepdim, eps):
    """Size of the rounding error of a variance computed in a dtype with
    machine epsilon ``eps`` by a stable algorithm (two-pass or Welford):
    first order ``sqrt(S * sum(x**2)) / (n - correction)``, the variance times
    its condition number ``sqrt(sum(x**2) / S)`` (Chan, Golub and LeVeque,
    "Algorithms for computing the sample variance", 1983), plus the rounded
    mean's second-order term ``eps * sum(x**2) / (n - correction)``, which is
    what is left for a constant slice (S = 0)."""
    squares, total, divisor = _spread(x, dim, correction, keepdim)
    return (np.sqrt(squares * total) + eps * total) / divisor


def std_error_scale(x, dim, correction, keepdim, eps):
    """The variance's error scale carried through the square root: an error
    ``e`` in the variance moves the root by at most ``e / (std + sqrt(e))``,
    so a constant slice's std must be 0 within a few ULPs of its value."""
    squares, _, divisor = _spread(x, dim, correction, keepdim)
    scale = variance_error_scale(x, dim, correction, keepdim, eps)
    return scale / (np.sqrt(squares / divisor) + np.sqrt(eps * scale))


def _shifted(x, dim):
    """``x`` less the first element of its slice: the same variance, and a
    constant slice becomes exact zeros (a rounded mean would leave a tiny
    positive spread, and S / 0 would be inf where it is 0 / 0 = nan)."""
    if x.size == 0:
        return x
    first = x.reshape(-1)[0] if dim is None else np.take(x, [0], axis=dim)
    return x - first


def variance(x, dim, correction, keepdim):
    """Two-pass variance in float64 of the shifted data (see :func:`_shifted`)."""
    return np.var(_shifted(x, dim), axis=dim, ddof=correction, keepdims=keepdim)


def standard_deviation(x, dim, correction, keepdim):
    return np.sqrt(variance(x, dim, correction, keepdim))
