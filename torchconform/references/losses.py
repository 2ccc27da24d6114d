"""NumPy references for torch.nn.functional's losses that are a reduction of
per-element terms: ``l1_loss``, ``smooth_l1_loss`` (``beta``),
``huber_loss`` (``delta``), ``soft_margin_loss``, ``poisson_nll_loss``
(``log_input``, ``full``), ``hinge_embedding_loss``, ``margin_ranking_loss``,
``kl_div`` (``log_target``), ``gaussian_nll_loss`` (``full``), and the
per-sample ``multilabel_soft_margin_loss`` (class ``weight``).

Each function returns a :class:`Terms`: the unreduced loss, the size of the
terms it adds (for the error bound), and its partial derivative with
respect to each differentiated argument with the size of that derivative's
terms. The formulas are those of each loss's page in the ``torch.nn``
documentation (``SmoothL1Loss``, ``HuberLoss``, ``PoissonNLLLoss`` with its
Stirling term ``y log y - y + log(2 pi y) / 2`` for ``y > 1``, ``KLDivLoss``,
``GaussianNLLLoss`` with the variance clamped to ``eps`` without a gradient
through the clamp, as its documentation says, ...); the derivatives are
their closed forms. ``log(1 + exp(z))`` is ``numpy.logaddexp(0, z)``, which
neither overflows nor cancels.

Pure NumPy: nothing here imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Terms:
    """An unreduced loss: ``value`` (float64), ``terms`` (size of the terms
    summed in it, or ``None`` for its own size), ``partials`` (d value / d
    argument, elementwise, one per differentiated argument) and
    ``partial_terms`` (their sizes, ``None`` entries for their own size)."""

    value: np.ndarray
    terms: np.ndarray | None
    partials: tuple
    partial_terms: tuple = ()


def _sigmoid(z):
    return np.exp(-np.logaddexp(0, -z))


def l1(x, y) -> Terms:
    d = x - y
    return Terms(np.abs(d), None, (np.sign(d), -np.sign(d)))


def smooth_l1(x, y, beta: float) -> Terms:
    d = x - y
    if beta == 0:  # torch: the L1 loss
        return l1(x, y)
    inside = np.abs(d) < beta
    return Terms(np.where(inside, 0.5 * d * d / beta, np.abs(d) - 0.5 * beta), None,
                 (np.where(inside, d / beta, np.sign(d)), np.where(inside, -d / beta, -np.sign(d))))


def huber(x, y, delta: float) -> Terms:
    d = x - y
    inside = np.abs(d) <= delta
    partial = np.where(inside, d, delta * np.sign(d))
    return Terms(np.where(inside, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta)), None, (partial, -partial))


def soft_margin(x, y) -> Terms:
    """``log(1 + exp(-y x))`` for targets ``y`` of +-1."""
    return Terms(np.logaddexp(0, -y * x), None, (-y * _sigmoid(-y * x),))


def poisson_nll(x, y, log_input: bool, full: bool, eps: float = 1e-8) -> Terms:
    """``exp(x) - y x`` (``log_input``) or ``x - y log(x + eps)``, plus the
    Stirling term when ``full``; d/dx only (torch does not differentiate it
    in the target here)."""
    if log_input:
        value, terms = np.exp(x) - y * x, np.exp(x) + np.abs(y * x)
        partial, pterms = np.exp(x) - y, np.exp(x) + y
    else:
        value, terms = x - y * np.log(x + eps), np.abs(x) + np.abs(y * np.log(x + eps))
        partial, pterms = 1 - y / (x + eps), 1 + y / (x + eps)
    if full:
        safe = np.where(y > 1, y, 1.0)
        stirling = np.where(y > 1, safe * np.log(safe) - safe + 0.5 * np.log(2 * np.pi * safe), 0.0)
        value, terms = value + stirling, terms + np.abs(stirling) + np.where(y > 1, safe, 0)
    return Terms(value, terms, (partial,), (pterms,))


def hinge_embedding(x, y, margin: float) -> Terms:
    """``x`` where ``y = 1``, ``max(0, margin - x)`` where ``y = -1``."""
    active = margin - x > 0
    value = np.where(y == 1, x, np.where(active, margin - x, 0.0))
    return Terms(value, np.abs(x) + abs(margin), (np.where(y == 1, 1.0, np.where(active, -1.0, 0.0)),))


def margin_ranking(x1, x2, y, margin: float) -> Terms:
    """``max(0, -y (x1 - x2) + margin)``; d/dx1 and d/dx2."""
    z = -y * (x1 - x2) + margin
    active = z > 0
    return Terms(np.maximum(z, 0), np.abs(x1) + np.abs(x2) + abs(margin),
                 (np.where(active, -y, 0.0), np.where(active, y, 0.0)))


def kl_div(x, y, log_target: bool) -> Terms:
    """``y (log y - x)`` (0 where ``y = 0``) or, for a log target,
    ``exp(y) (y - x)``; d/dx and d/dy."""
    if log_target:
        p = np.exp(y)
        return Terms(p * (y - x), p * (np.abs(y) + np.abs(x)), (-p, p * (y - x + 1)),
                     (None, p * (np.abs(y) + np.abs(x) + 1)))
    safe = np.where(y > 0, y, 1.0)
    value = np.where(y > 0, safe * np.log(safe), 0.0) - y * x
    dy = np.where(y > 0, np.log(safe) + 1, 0.0) - x
    return Terms(value, np.abs(np.where(y > 0, safe * np.log(safe), 0.0)) + np.abs(y * x), (-y, dy),
                 (None, np.where(y > 0, np.abs(np.log(safe)) + 1, 0.0) + np.abs(x)))


def gaussian_nll(x, y, var, full: bool, eps: float = 1e-6) -> Terms:
    """``(log(v) + (x - y)**2 / v) / 2`` with ``v = max(var, eps)`` (plus
    ``log(2 pi) / 2`` when ``full``); d/dx, d/dy, d/dvar (through ``v``,
    the clamp itself passing the gradient unchanged)."""
    v = np.maximum(var, eps)
    d = x - y
    value = 0.5 * (np.log(v) + d * d / v) + (0.5 * np.log(2 * np.pi) if full else 0.0)
    terms = 0.5 * (np.abs(np.log(v)) + d * d / v) + (0.5 * np.log(2 * np.pi) if full else 0.0)
    dv = 0.5 * (1 / v - d * d / (v * v))
    return Terms(value, terms, (d / v, -d / v, dv), (None, None, 0.5 * (1 / v + d * d / (v * v))))


def multilabel_soft_margin(x, y, weight) -> Terms:
    """Per sample of (N, C) ``x``: ``-mean_c w_c (y log sigmoid(x) + (1 - y)
    log sigmoid(-x))`` (shape (N,)); d/dx ``w_c (sigmoid(x) - y) / C``."""
    w = 1.0 if weight is None else weight
    c = x.shape[-1]
    per = w * (y * np.logaddexp(0, -x) + (1 - y) * np.logaddexp(0, x))
    partial = w * (_sigmoid(x) - y) / c
    return Terms(per.mean(axis=-1), None, (partial,), (np.abs(w) * (_sigmoid(x) + np.abs(y)) / c,))
