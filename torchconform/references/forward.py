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
