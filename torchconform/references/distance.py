"""NumPy references for torch.nn.functional's distances: ``pairwise_distance``
(``p``, ``eps``), ``cdist``, ``pdist`` and ``cosine_similarity``, values and
VJPs.

The p-norm of a difference ``d`` is ``(sum |d|**p) ** (1/p)`` (``max |d|``
for ``p = inf``), with gradient ``sign(d) |d|**(p-1) / n**(p-1)`` (the
indicator of the largest ``|d|`` for ``inf``); ``pairwise_distance`` adds
``eps`` to the difference (``torch.nn.PairwiseDistance``), ``cdist`` measures
every pair of rows of two batches of row sets and ``pdist`` the pairs
``i < j`` of one set in row-major order (their documentation).
``cosine_similarity`` is the sum of the products of the two inputs each
divided by its norm clamped to ``eps`` (ATen's ``cosine_similarity``); its
gradient with respect to ``x1`` is ``(u2 - s u1) / |x1|``.

Pure NumPy: nothing here imports torch.
"""

from __future__ import annotations

import numpy as np


def norm(d: np.ndarray, p: float, axis: int = -1) -> np.ndarray:
    """p-norm of ``d`` along ``axis`` (removed)."""
    if np.isinf(p):
        return np.abs(d).max(axis=axis)
    return (np.abs(d) ** p).sum(axis=axis) ** (1 / p)


def norm_gradient(d: np.ndarray, p: float, n: np.ndarray, axis: int = -1) -> np.ndarray:
    """d norm / d d, shaped like ``d`` (``n`` the norm along ``axis``)."""
    n = np.expand_dims(n, axis)
    if np.isinf(p):
        return np.sign(d) * (np.abs(d) == n)
    if p == 1:
        return np.sign(d)
    return np.sign(d) * np.abs(d) ** (p - 1) / n ** (p - 1)


def pairwise(x1, x2, p: float, eps: float):
    """(value, d value / d x1) of ``pairwise_distance`` along the last axis."""
    d = x1 - x2 + eps
    n = norm(d, p)
    return n, norm_gradient(d, p, n)


def cdist(x1, x2, p: float):
    """(value (..., P, R), per-pair gradient (..., P, R, M) with respect to
    the ``x1`` row) of ``cdist`` of ``x1`` (..., P, M) and ``x2`` (..., R, M)."""
    d = x1[..., :, None, :] - x2[..., None, :, :]
    n = norm(d, p)
    return n, norm_gradient(d, p, n)


def pdist(x, p: float):
    """(value (N (N - 1) / 2,), pairs (i, j), per-pair gradient with respect
    to row ``i``) of ``pdist`` of ``x`` (N, M)."""
    i, j = np.triu_indices(x.shape[0], k=1)
    d = x[i] - x[j]
    n = norm(d, p)
    return n, (i, j), norm_gradient(d, p, n)


def cosine_similarity(x1, x2, dim: int, eps: float):
    """(value, d/dx1, d/dx2) of ``cosine_similarity`` along ``dim``."""
    n1 = np.maximum(np.sqrt((x1 * x1).sum(axis=dim, keepdims=True)), eps)
    n2 = np.maximum(np.sqrt((x2 * x2).sum(axis=dim, keepdims=True)), eps)
    u1, u2 = x1 / n1, x2 / n2
    s = (u1 * u2).sum(axis=dim, keepdims=True)
    return s.squeeze(dim), (u2 - s * u1) / n1, (u1 - s * u2) / n2
