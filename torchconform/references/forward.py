"""NumPy forward references too long for one expression in the op table.

Pure NumPy, no torch: a repro script inlines these with ``inspect.getsource``.
"""

import numpy as np


def sigmoid(x):
    # Two branches so neither exp overflows into a wrong 0/inf ratio.
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))


def logsumexp(x, dim, keepdim):
    m = np.max(x, axis=dim, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=dim, keepdims=True)) + m
    return out if keepdim else np.squeeze(out, axis=dim)


def relu(x):
    # NaN propagates, as in IEEE max with a NaN operand.
    return np.where(np.isnan(x), x, np.maximum(x, 0))
