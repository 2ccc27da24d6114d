"""NumPy references for torch.nn.functional's copying layers: ``pad`` (every
mode), ``pixel_shuffle``/``pixel_unshuffle``, ``unfold`` and ``fold``.

Each of these only moves (and, for ``fold``, adds) input elements, so one
*index map* describes it: the same NumPy operation applied to ``arange`` of
the input's size says which input element lands in each output position
(-1 where a constant 0 is written). The value is a gather through the map,
its VJP a scatter-add of the cotangent back through it (``numpy.add.at``),
and ``fold``, the adjoint of ``unfold``, swaps the two. Each map is built
with NumPy's own operation: ``numpy.pad`` (modes ``reflect``, ``edge``,
``wrap`` are torch's ``reflect``, ``replicate``, ``circular``, per the
``torch.nn.functional.pad`` documentation), reshapes and transposes for the
pixel shuffles (documented as ``(*, C r**2, H, W) -> (*, C, H r, W r)``),
and ``sliding_window_view`` for unfold's blocks (channel, then kernel row and
column; blocks in row-major order, as ``torch.nn.Unfold`` documents).

Pure NumPy: nothing here imports torch.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

_NUMPY_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad_map(shape: tuple[int, ...], pad: tuple[int, ...], mode: str = "constant") -> np.ndarray:
    """Index map of ``F.pad(x, pad, mode)`` for ``x`` of ``shape``: ``pad``
    lists (before, after) pairs from the last dimension backwards, as torch
    takes them."""
    widths = [(0, 0)] * len(shape)
    for i in range(len(pad) // 2):
        widths[len(shape) - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    index = np.arange(int(np.prod(shape))).reshape(shape)
    if mode == "constant":
        return np.pad(index, widths, mode="constant", constant_values=-1)
    return np.pad(index, widths, mode=_NUMPY_MODE[mode])


def pixel_shuffle_map(shape: tuple[int, ...], r: int) -> np.ndarray:
    """Index map of ``F.pixel_shuffle(x, r)``: channel ``c r**2 + i r + j`` at
    ``(h, w)`` goes to channel ``c`` at ``(h r + i, w r + j)``."""
    *lead, c, h, w = shape
    index = np.arange(int(np.prod(shape))).reshape(*lead, c // (r * r), r, r, h, w)
    n = len(lead)
    order = [*range(n), n, n + 3, n + 1, n + 4, n + 2]
    return index.transpose(order).reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle_map(shape: tuple[int, ...], r: int) -> np.ndarray:
    """Index map of ``F.pixel_unshuffle(x, r)``, the inverse of :func:`pixel_shuffle_map`."""
    *lead, c, h, w = shape
    index = np.arange(int(np.prod(shape))).reshape(*lead, c, h // r, r, w // r, r)
    n = len(lead)
    order = [*range(n), n, n + 2, n + 4, n + 1, n + 3]
    return index.transpose(order).reshape(*lead, c * r * r, h // r, w // r)


def unfold_map(shape: tuple[int, int, int, int], kernel, dilation=(1, 1), padding=(0, 0),
               stride=(1, 1)) -> np.ndarray:
    """Index map of ``F.unfold(x, kernel, dilation, padding, stride)`` for
    ``x`` of shape (N, C, H, W): shape (N, C kh kw, L), zero padding as -1."""
    n, c, h, w = shape
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel, dilation, padding, stride
    index = np.pad(np.arange(n * c * h * w).reshape(shape), ((0, 0), (0, 0), (ph, ph), (pw, pw)),
                   constant_values=-1)
    blocks = sliding_window_view(index, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(2, 3))
    blocks = blocks[:, :, ::sh, ::sw, ::dh, ::dw]  # N C OH OW KH KW
    oh, ow = blocks.shape[2:4]
    return blocks.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, oh * ow)


def gather(x: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``x`` through an index map (0 where the map is -1)."""
    flat = x.reshape(-1)
    return np.where(index >= 0, flat[np.maximum(index, 0)], 0.0)


def scatter_add(g: np.ndarray, index: np.ndarray, size: int) -> np.ndarray:
    """The adjoint of :func:`gather`: each value of ``g`` added to the element
    its map names (flat, of length ``size``)."""
    out = np.zeros(size)
    keep = index >= 0
    np.add.at(out, index[keep], g[keep])
    return out
