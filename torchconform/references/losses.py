"""NumPy references for torch.nn.functional's losses that are a reduction of
per-element terms: ``l1_loss``, ``smooth_l1_loss`` (``beta``),
``huber_loss`` (``delta``), ``soft_margin_loss``, ``poisson_nll_loss``
(``log_input``, ``full``), ``hinge_embedding_loss``, ``margin_ranking_loss``,
``kl_div`` (``log_target``), ``gaussian_nll_loss`` (``full``), and the
per-sample ``multilabel_soft_margin_loss`` (class ``weight``),
``cross_entropy`` with class-probability targets (``weight``,
``label_smoothing``), ``multi_margin_loss`` (``p``, ``margin``, ``weight``),
``multilabel_margin_loss``, ``triplet_margin_loss`` (``p``, ``swap``) and
``cosine_embedding_loss`` (``margin``).

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
    """Elementwise |x - y| and its partials (sign(d), -sign(d)), float64, shape of the broadcast
    inputs (torch.nn.L1Loss docs; the subgradient 0 at d = 0)."""
    d = x - y
    return Terms(np.abs(d), None, (np.sign(d), -np.sign(d)))


def smooth_l1(x, y, beta: float) -> Terms:
    """Elementwise smooth L1 (0.5 d²/beta inside |d| < beta, |d| - beta/2 outside) and its partials,
    float64; beta = 0 is the L1 loss (torch.nn.SmoothL1Loss docs)."""
    d = x - y
    if beta == 0:  # torch: the L1 loss
        return l1(x, y)
    inside = np.abs(d) < beta
    return Terms(np.where(inside, 0.5 * d * d / beta, np.abs(d) - 0.5 * beta), None,
                 (np.where(inside, d / beta, np.sign(d)), np.where(inside, -d / beta, -np.sign(d))))


def huber(x, y, delta: float) -> Terms:
    """Elementwise Huber loss (0.5 d² inside |d| <= delta, delta (|d| - delta/2) outside) and its
    partials, float64 (torch.nn.HuberLoss docs)."""
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


def _log_softmax(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def cross_entropy_probabilities(x, t, weight, label_smoothing: float) -> Terms:
    """Per sample of (N, C) logits against (N, C) class probabilities:
    ``-sum_c w_c t'_c log_softmax(x)_c`` with ``t' = t (1 - ls) + ls / C``
    (``torch.nn.CrossEntropyLoss``; the mean divides by N); d/dx
    ``softmax(x) sum(w t') - w t'`` and d/dt ``-(1 - ls) w log_softmax(x)``."""
    c = x.shape[-1]
    w = np.ones(c) if weight is None else weight
    ts = t * (1 - label_smoothing) + label_smoothing / c
    logp = _log_softmax(x)
    p = np.exp(logp)
    wt = (w * ts).sum(axis=-1, keepdims=True)
    # log_softmax's terms: the shifted logit and the log of the sum (at least 1)
    terms = (np.abs(w * ts) * (np.abs(x - x.max(axis=-1, keepdims=True)) - logp + 1)).sum(-1)
    return Terms(-(w * ts * logp).sum(-1), terms,
                 (p * wt - w * ts, -(1 - label_smoothing) * w * logp),
                 (p * np.abs(wt) + np.abs(w * ts), (1 - label_smoothing) * np.abs(w) * (np.abs(logp) + 1)))


def multi_margin(x, y, p: int, margin: float, weight) -> Terms:
    """Per sample of (N, C) ``x`` with class targets ``y``: ``sum_{i != y}
    w_y max(0, margin - x_y + x_i)**p / C`` (``torch.nn.MultiMarginLoss``); d/dx."""
    n, c = x.shape
    w = np.ones(c) if weight is None else weight
    xy = x[np.arange(n), y][:, None]
    z = margin - xy + x
    active = (z > 0) & (np.arange(c)[None, :] != y[:, None])
    wy = w[y][:, None]
    per = np.where(active, wy * np.maximum(z, 0) ** p / c, 0.0)
    di = np.where(active, wy * p * np.maximum(z, 0) ** (p - 1) / c, 0.0)
    dx = di.copy()
    dx[np.arange(n), y] = -di.sum(-1)
    terms = np.where(active, np.abs(wy) * (abs(margin) + np.abs(xy) + np.abs(x)) ** p / c, 0.0)
    return Terms(per.sum(-1), terms.sum(-1), (dx,))


def multilabel_margin(x, y) -> Terms:
    """Per sample of (N, C) ``x`` with target lists ``y`` (class indices up to
    the first -1): ``sum_{j in y} sum_{i not in y} max(0, 1 - (x_j - x_i)) / C``
    (``torch.nn.MultiLabelMarginLoss``); d/dx."""
    n, c = x.shape
    value, dx, terms = np.zeros(n), np.zeros_like(x), np.zeros(n)
    for s in range(n):
        stop = np.flatnonzero(y[s] < 0)
        targets = y[s, :stop[0] if stop.size else c]
        others = [i for i in range(c) if i not in set(targets)]
        for j in targets:
            for i in others:
                z = 1 - (x[s, j] - x[s, i])
                if z > 0:
                    value[s] += z / c
                    terms[s] += (1 + abs(x[s, j]) + abs(x[s, i])) / c
                    dx[s, j] -= 1 / c
                    dx[s, i] += 1 / c
    return Terms(value, terms, (dx,))


def _distance(a, b, p: float, eps: float):
    d = a - b + eps
    n = (np.abs(d) ** p).sum(-1) ** (1 / p)
    return n, np.sign(d) * np.abs(d) ** (p - 1) / n[..., None] ** (p - 1)


def triplet_margin(a, pos, neg, margin: float, p: float, eps: float, swap: bool) -> Terms:
    """Per sample: ``max(d(a, pos) - d(a, neg) + margin, 0)`` with the
    ``pairwise_distance`` ``d`` (``eps`` added to the difference); ``swap``
    uses ``min(d(a, neg), d(pos, neg))`` (``torch.nn.TripletMarginLoss``);
    d/da, d/dpos, d/dneg."""
    dap, gap = _distance(a, pos, p, eps)
    dan, gan = _distance(a, neg, p, eps)
    use_pn = np.zeros(dan.shape, bool)
    if swap:
        dpn, gpn = _distance(pos, neg, p, eps)
        use_pn = dpn < dan
        dan = np.where(use_pn, dpn, dan)
    z = dap - dan + margin
    active = (z > 0)[..., None]
    u = use_pn[..., None]
    da = np.where(active, gap - np.where(u, 0, gan), 0.0)
    dpos = np.where(active, -gap - np.where(u, gpn if swap else 0, 0), 0.0)
    dneg = np.where(active, np.where(u, gpn if swap else 0, gan), 0.0)
    # d/da subtracts two unit-size gradients: their sizes add
    t_an = np.where(u, 0, np.abs(gan))
    t_pn = np.where(u, np.abs(gpn) if swap else 0, 0)
    sizes = tuple(np.where(active, t, 0.0) for t in (np.abs(gap) + t_an, np.abs(gap) + t_pn, t_an + t_pn))
    return Terms(np.maximum(z, 0), np.abs(dap) + np.abs(dan) + abs(margin), (da, dpos, dneg), sizes)


def cosine_embedding(x1, x2, y, margin: float) -> Terms:
    """Per sample: ``1 - cos`` where ``y = 1``, ``max(0, cos - margin)`` where
    ``y = -1``, with ``cos = x1.x2 / sqrt((|x1|**2 + 1e-12)(|x2|**2 + 1e-12))``
    (ATen's ``cosine_embedding_loss``); d/dx1, d/dx2."""
    m1, m2 = (x1 * x1).sum(-1) + 1e-12, (x2 * x2).sum(-1) + 1e-12
    root = np.sqrt(m1 * m2)
    cos = (x1 * x2).sum(-1) / root
    dc1 = x2 / root[..., None] - cos[..., None] * x1 / m1[..., None]
    dc2 = x1 / root[..., None] - cos[..., None] * x2 / m2[..., None]
    pos = (y == 1)[..., None]
    active = (cos - margin > 0)[..., None]
    factor = np.where(pos, -1.0, np.where(active, 1.0, 0.0))
    value = np.where(y == 1, 1 - cos, np.maximum(cos - margin, 0))
    t1 = np.abs(x2) / root[..., None] + np.abs(cos[..., None] * x1) / m1[..., None]
    t2 = np.abs(x1) / root[..., None] + np.abs(cos[..., None] * x2) / m2[..., None]
    return Terms(value, 1 + np.abs(cos) + abs(margin), (factor * dc1, factor * dc2),
                 (np.abs(factor) * t1, np.abs(factor) * t2))
