"""NumPy references for ``torch.nn.functional.affine_grid`` and
``grid_sample`` (2-d; modes ``bilinear`` and ``nearest``; padding modes
``zeros``, ``border`` and ``reflection``; ``align_corners``).

``affine_grid`` maps the normalised pixel centres (``-1`` and ``1`` at the
corner pixels' centres with ``align_corners``, at the image edges without:
``(2 j + 1) / W - 1``) through each ``theta`` (N, 2, 3): linear in theta, its
VJP the sum of cotangent-times-base products. ``grid_sample`` turns each
normalised ``(x, y)`` into pixel coordinates (``(x + 1) / 2 (W - 1)`` or
``((x + 1) W - 1) / 2``), clips them to the image (``border``) or reflects them
about the edges (``reflection``: about the corner centres with
``align_corners``, about the image edges without) and then clips, and
interpolates: bilinear weights of the four neighbours, each outside the
image adding 0; nearest rounds half to even (``nearbyint``), as ATen's
``grid_sampler_compute_source_index`` and the function's documentation
describe. The value is linear in the input, so its VJP scatters the
cotangent back with the same weights.

Pure NumPy: nothing here imports torch.
"""

from __future__ import annotations

import numpy as np


def base(size: int, align_corners: bool) -> np.ndarray:
    """The ``size`` normalised pixel coordinates in [-1, 1], float64, shape (size,): pixel
    centres at the ends with ``align_corners``, else pixel edges at -1 and 1 (torch.nn.functional.affine_grid docs)."""
    if align_corners:
        return np.linspace(-1, 1, size) if size > 1 else np.zeros(1)
    return (2 * np.arange(size) + 1) / size - 1


def affine_grid(theta, h: int, w: int, align_corners: bool, absolute: bool = False):
    """(grid (N, H, W, 2), VJP function of theta) of ``affine_grid``; with
    ``absolute`` the base coordinates are taken in absolute value (for the
    size of the terms, with ``|theta|``)."""
    xs, ys = base(w, align_corners), base(h, align_corners)
    coords = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None], np.ones((1, 1))), -1)  # H W 3
    coords = np.abs(coords) if absolute else coords
    grid = np.einsum("hwk,njk->nhwj", coords, theta)
    return grid, lambda g: np.einsum("nhwj,hwk->njk", g, coords)


def _reflect(c, low, high):
    span = high - low
    if span <= 0:
        return np.zeros_like(c)
    c = np.abs(c - low)
    flips = np.floor(c / span)
    extra = c - flips * span
    return np.where(flips % 2 == 0, low + extra, high - extra)


def source(coord, size: int, padding_mode: str, align_corners: bool):
    """Pixel coordinate of normalised ``coord`` along an axis of ``size``."""
    c = (coord + 1) / 2 * (size - 1) if align_corners else ((coord + 1) * size - 1) / 2
    if padding_mode == "reflection":
        c = _reflect(c, 0, size - 1) if align_corners else _reflect(c, -0.5, size - 0.5)
    if padding_mode in ("border", "reflection"):
        c = np.clip(c, 0, size - 1)
    return c


def sample_weights(grid, h: int, w: int, mode: str, padding_mode: str, align_corners: bool) -> np.ndarray:
    """(N, Ho, Wo, H W) weights: ``grid_sample`` output = weights @ input plane."""
    x = source(grid[..., 0], w, padding_mode, align_corners)
    y = source(grid[..., 1], h, padding_mode, align_corners)
    weights = np.zeros(grid.shape[:3] + (h * w,))
    if mode == "nearest":
        corners = [(np.rint(x), np.rint(y), np.ones(x.shape))]
    else:
        x0, y0 = np.floor(x), np.floor(y)
        fx, fy = x - x0, y - y0
        corners = [(x0, y0, (1 - fx) * (1 - fy)), (x0 + 1, y0, fx * (1 - fy)), (x0, y0 + 1, (1 - fx) * fy),
                   (x0 + 1, y0 + 1, fx * fy)]
    for cx, cy, wt in corners:
        inside = (cx >= 0) & (cx <= w - 1) & (cy >= 0) & (cy <= h - 1)
        flat = (np.clip(cy, 0, h - 1) * w + np.clip(cx, 0, w - 1)).astype(np.int64)
        for index in np.ndindex(grid.shape[:3]):
            if inside[index]:
                weights[index + (flat[index],)] += wt[index]
    return weights


def grid_sample(x, weights):
    """``x`` (N, C, H, W) sampled with :func:`sample_weights`: (N, C, Ho, Wo)."""
    n, c = x.shape[:2]
    return np.einsum("nhwk,nck->nchw", weights, x.reshape(n, c, -1))


def grid_sample_input_vjp(g, weights, x_shape):
    """VJP of :func:`grid_sample` with respect to the input."""
    return np.einsum("nhwk,nchw->nck", weights, g).reshape(x_shape)
