"""NumPy references for ``torch.nn.functional.interpolate`` in modes
``nearest``, ``nearest-exact``, ``linear``/``bilinear``/``trilinear``,
``bicubic`` and ``area``, with ``align_corners`` and ``size`` or
``scale_factor``.

Every mode is separable: along each spatial dimension output ``i`` is a
weighted sum of input elements, a matrix (out, in), and the result applies
one matrix per dimension; the VJP applies their transposes. The source
coordinate of output ``i`` is ``i * scale`` (``align_corners``, with
``scale = (in - 1) / (out - 1)``) or ``(i + 0.5) * scale - 0.5`` (half
pixels), ``scale = in / out`` from ``size`` or ``1 / scale_factor`` from a
scale factor (ATen's ``area_pixel_compute_source_index`` and
``compute_scales_value``). ``nearest`` takes ``floor(i * scale)``,
``nearest-exact`` ``floor((i + 0.5) * scale)``; linear modes clamp a
negative source to 0 and interpolate the two neighbours; ``bicubic`` uses
Keys' cubic convolution with ``A = -0.75`` on four neighbours, indices
clamped to the edge (ATen's ``upsample_bicubic2d``; R. Keys, "Cubic
convolution interpolation for digital image processing", 1981); ``area`` is
adaptive average pooling.

Pure NumPy: nothing here imports torch.
"""

from __future__ import annotations

import math

import numpy as np

CUBIC_A = -0.75


def _scale(n_in: int, n_out: int, align_corners: bool, scale_factor) -> float:
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1 / scale_factor if scale_factor else n_in / n_out


def _cubic(x):
    x = np.abs(x)
    a = CUBIC_A
    return np.where(x <= 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                    np.where(x < 2, ((a * x - 5 * a) * x + 8 * a) * x - 4 * a, 0.0))


def _cubic_terms(x):
    """The size of the rounding terms of ``_cubic(x)`` as a kernel evaluates
    it in the working precision: the sum of the magnitudes of Horner's
    intermediate results (each step rounds relative to its result), and the
    magnitude of the slope, which multiplies the rounding of the tap distance
    ``x``. Near the kernel's zero at x = 2 the five intermediates are 1 to 5
    each, about 13 in all, while the weight is near 0."""
    x = np.abs(x)
    a = CUBIC_A
    near = (a + 2) * x, (a + 2) * x - (a + 3), ((a + 2) * x - (a + 3)) * x, ((a + 2) * x - (a + 3)) * x * x
    far = a * x, a * x - 5 * a, (a * x - 5 * a) * x, (a * x - 5 * a) * x + 8 * a, ((a * x - 5 * a) * x + 8 * a) * x
    steps = np.where(x <= 1, sum(np.abs(v) for v in near), sum(np.abs(v) for v in far)) + np.abs(_cubic(x))
    slope = np.where(x <= 1, (3 * (a + 2) * x - 2 * (a + 3)) * x, (3 * a * x - 10 * a) * x + 8 * a)
    return np.where(x < 2, steps, 0.0), np.where(x < 2, np.abs(slope), 0.0)


def matrix(n_in: int, n_out: int, mode: str, align_corners: bool = False, scale_factor=None, *,
           terms: bool = False) -> np.ndarray:
    """The (n_out, n_in) weights of ``mode`` along one dimension.

    With ``terms``, the size of each weight's rounding terms instead, for an
    error scale: ATen computes the source coordinate and the weights in the
    input's precision (float for float32), so a weight errs by a few eps
    times ``|w| + (1 + |src|) * |dw/dsrc|`` (the coordinate ``i * scale``
    rounds relative to ``|src|``, up to ``n_in``, and the fraction ``t``
    then differs by that) plus, for bicubic, the size of the cubic's
    Horner steps (:func:`_cubic_terms`). These exceed ``|w|`` where a
    weight is near zero: a float32 bicubic upsample of 4 to 8 elements erred
    by 35 eps times ``sum |w| |x|`` (the policy allows 32)."""
    m = np.zeros((n_out, n_in))
    scale = _scale(n_in, n_out, align_corners and mode in ("linear", "bicubic"), scale_factor)
    for i in range(n_out):
        if mode == "nearest":
            m[i, min(math.floor(i * scale), n_in - 1)] = 1
        elif mode == "nearest-exact":
            m[i, min(math.floor((i + 0.5) * scale), n_in - 1)] = 1
        elif mode == "linear":
            src = i * scale if align_corners else max((i + 0.5) * scale - 0.5, 0.0)
            lo = min(math.floor(src), n_in - 1)
            hi = min(lo + 1, n_in - 1)
            frac = src - lo
            m[i, lo] += 1 - frac + terms * (1 + abs(src))
            m[i, hi] += frac + terms * (1 + abs(src))
        elif mode == "bicubic":
            src = i * scale if align_corners else (i + 0.5) * scale - 0.5
            base = math.floor(src)
            t = src - base
            taps = np.array([t + 1, t, 1 - t, 2 - t])
            if terms:
                size, slope = _cubic_terms(taps)
                weights = size + (1 + abs(src)) * slope
            else:
                weights = _cubic(taps)
            for offset, w in zip(range(-1, 3), weights):
                m[i, min(max(base + offset, 0), n_in - 1)] += w
        elif mode == "area":
            start, end = (i * n_in) // n_out, math.ceil((i + 1) * n_in / n_out)
            m[i, start:end] = 1 / (end - start)
        else:
            raise ValueError(f"unknown interpolation mode {mode!r}")
    return m


def apply(x: np.ndarray, matrices: list, transpose: bool = False) -> np.ndarray:
    """``x`` (N, C, *spatial) with ``matrices[d]`` applied along spatial dim
    ``d`` (its transpose with ``transpose``: the VJP)."""
    out = x
    for d, m in enumerate(matrices):
        out = np.moveaxis(np.tensordot(m.T if transpose else m, np.moveaxis(out, 2 + d, 0), axes=1), 0, 2 + d)
    return out
