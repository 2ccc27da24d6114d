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


def matrix(n_in: int, n_out: int, mode: str, align_corners: bool = False, scale_factor=None) -> np.ndarray:
    """The (n_out, n_in) weights of ``mode`` along one dimension."""
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
            m[i, lo] += 1 - frac
            m[i, hi] += frac
        elif mode == "bicubic":
            src = i * scale if align_corners else (i + 0.5) * scale - 0.5
            base = math.floor(src)
            t = src - base
            for offset, w in zip(range(-1, 3), _cubic(np.array([t + 1, t, 1 - t, 2 - t]))):
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
