"""Goodness-of-fit checks of torch's random samplers against scipy.stats.

A sampler has no reference value, only a reference distribution: the check
draws ``N`` samples from a generator seeded with ``SEED`` and applies a
goodness-of-fit test from scipy.stats, Kolmogorov-Smirnov for a continuous
distribution and Pearson's chi-square (tail bins pooled until each expects
at least ``MIN_EXPECTED`` samples, Cochran's rule) for a discrete one, at
significance level ``ALPHA``.

With a fixed seed the outcome is reproducible for one torch build and
device. On a build or device whose random stream differs, a *correct*
sampler fails one check with probability ``ALPHA`` = 0.1%, so a run of ``k``
such checks raises a false alarm with probability at most ``k * ALPHA``. A
broken sampler (a rate taken for a scale, a rate or scale off by 15% or more,
a shifted range, a wrong support) fails with probability near 1 at this ``N``;
smaller biases need more samples than a quick run can afford.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
from scipy import stats

from torchconform import coverage, dtypes, record

#: Seed of the generators the distribution checks draw from.
SEED = 20240611
#: Significance level of every goodness-of-fit test (the false-alarm rate of one check on a correct sampler).
ALPHA = 1e-3
#: Samples per check: enough that a rate or scale off by 15% is rejected (KS distance ~0.05 > 1.95/sqrt(N)).
N = 4000
#: Fewest expected samples per chi-square bin (Cochran's rule).
MIN_EXPECTED = 5.0


def generator(device: str, seed: int = SEED) -> torch.Generator:
    """A generator on ``device`` seeded with ``seed`` (``SEED`` by default)."""
    return torch.Generator(device=device).manual_seed(seed)


def _pooled_bins(dist: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer bin edges (right-open) over the support of a discrete
    ``dist``, adjacent values pooled so each bin expects at least
    ``MIN_EXPECTED`` of ``n`` samples, and each bin's probability."""
    lo, hi = int(dist.ppf(1e-9)), int(dist.isf(1e-9)) + 1
    edges, probs, start, mass = [], [], lo, 0.0
    for k in range(lo, hi + 1):
        mass += float(dist.pmf(k))
        if mass * n >= MIN_EXPECTED:
            edges.append(start)
            probs.append(mass)
            start, mass = k + 1, 0.0
    if not probs:
        return np.array([-np.inf, np.inf]), np.array([1.0])
    probs[-1] += mass
    # The first bin takes everything below, the last everything above (their tail mass too).
    probs[0] += float(dist.cdf(lo - 1))
    probs[-1] += float(dist.sf(hi))
    bounds = np.array(edges[1:], dtype=np.float64)
    return np.concatenate([[-np.inf], bounds, [np.inf]]), np.array(probs)


def goodness_of_fit(values: np.ndarray, dist: Any) -> float:
    """The p-value of ``values`` (1-d float64) as a sample of the frozen
    scipy.stats distribution ``dist``: Kolmogorov-Smirnov when ``dist`` is
    continuous, chi-square over pooled integer bins when it is discrete (a
    non-integer value then gives p = 0)."""
    if hasattr(dist.dist, "pdf"):
        return float(stats.kstest(values, dist.cdf).pvalue)
    low, high = dist.support()
    if not np.all(np.isfinite(values) & (values == np.round(values)) & (values >= low) & (values <= high)):
        return 0.0
    edges, probs = _pooled_bins(dist, values.size)
    if probs.size == 1:  # one bin holds the whole support: every in-support sample fits
        return 1.0
    observed = np.histogram(values, bins=np.concatenate([edges[:1], edges[1:-1] - 0.5, edges[-1:]]))[0]
    return float(stats.chisquare(observed, probs / probs.sum() * values.size).pvalue)


def assert_distribution(sample: torch.Tensor, dist: Any, *, what: str,
                        transform: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
    """Assert ``sample`` (any shape; every element one draw) is a sample of
    the frozen scipy.stats distribution ``dist`` at level ``ALPHA``
    (:func:`goodness_of_fit`). ``transform`` maps the float64 values first
    (standardising draws of different means, say). The comparison is noted
    for the API coverage, as :func:`torchconform.oracle.assert_matches`
    notes its own. Raises ``AssertionError`` with the p-value, ``ALPHA``, the
    sample size and the distribution."""
    coverage.compared(sample)
    values = dtypes.tensor_to_numpy(sample).astype(np.float64).ravel()
    if transform is not None:
        values = transform(values)
    record.note("tolerance", f"goodness of fit, alpha={ALPHA}")
    p_value = goodness_of_fit(values, dist)
    assert p_value > ALPHA, (f"{what}: goodness-of-fit p-value {p_value:.3g} <= alpha {ALPHA} against "
                             f"{getattr(dist.dist, 'name', None) or dist.dist}{dist.args or ''}{dist.kwds or ''} (n={values.size}, seed={SEED})")
