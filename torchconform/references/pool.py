"""NumPy references for torch.nn.functional's pooling in any number of
spatial dimensions: max (dilation, ``ceil_mode``, ``return_indices``),
average (``count_include_pad``, ``divisor_override``), power-average
(``lp_pool``), adaptive max and average, and ``max_unpool``.

Every pooling is described by its *windows*: for each output position the
flat in-plane indices of the input elements under it (taps falling in the
padding dropped) and, for averages, the divisor. Per dimension, output ``o``
of a window pooling starts at ``o s - p`` and taps every ``d``-th element
``k`` times (the ``torch.nn.MaxPool2d`` documentation); its output size is
``floor((L + 2p - d(k-1) - 1)/s) + 1``, rounded up under ``ceil_mode`` unless
the last window would start in the right padding. The average divides by the
window clipped to the padded input (``count_include_pad``) or to the input,
as ``torch.nn.AvgPool2d`` documents and ATen's ``avg_pool2d`` kernel computes
(``pool_size`` from ``min(start + k, L + p) - start``). Adaptive output ``o``
of ``m`` covers ``floor(o L / m)`` to ``ceil((o + 1) L / m)``
(``torch.nn.AdaptiveAvgPool2d``, ATen's ``start_index``/``end_index``). A
window of several dimensions is the product of its per-dimension windows.

Pure NumPy: nothing here imports torch.
"""

from __future__ import annotations

import itertools
import math

import numpy as np


def output_size(size: int, k: int, s: int, p: int, d: int = 1, ceil_mode: bool = False) -> int:
    """Number of window positions along one dimension (see the module doc)."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def sliding_windows(size: int, k: int, s: int, p: int, d: int = 1, ceil_mode: bool = False) -> list:
    """Per output position of one dimension: (taps inside the input, size of
    the window clipped to the padded input)."""
    windows = []
    for o in range(output_size(size, k, s, p, d, ceil_mode)):
        start = o * s - p
        taps = [t for t in range(start, start + d * (k - 1) + 1, d) if 0 <= t < size]
        windows.append((taps, min(start + k, size + p) - start))
    return windows


def adaptive_windows(size: int, out: int) -> list:
    """Per output position of one dimension of an adaptive pooling: (taps, count)."""
    windows = []
    for o in range(out):
        taps = list(range((o * size) // out, math.ceil((o + 1) * size / out)))
        windows.append((taps, len(taps)))
    return windows


def combine(spatial: tuple, per_dim: list) -> tuple[list, tuple]:
    """The windows of a pooling over ``spatial`` from its per-dimension
    windows: (list over output positions, row-major, of (flat in-plane taps,
    padded count, taps inside count)), output spatial shape."""
    out_shape = tuple(len(w) for w in per_dim)
    windows = []
    for position in itertools.product(*per_dim):
        taps = [np.ravel_multi_index(t, spatial) for t in itertools.product(*(w[0] for w in position))]
        windows.append((taps, math.prod(w[1] for w in position), math.prod(len(w[0]) for w in position)))
    return windows, out_shape


def max_pool(x, windows, out_shape):
    """(value, argmax) of max pooling of (N, C, *spatial) ``x`` over
    ``windows`` (:func:`combine`); ``argmax`` holds in-plane flat indices, as
    ``return_indices=True`` does. The first maximum of a window wins."""
    plane = x.reshape(*x.shape[:2], -1)
    value = np.empty(x.shape[:2] + (len(windows),))
    argmax = np.empty(x.shape[:2] + (len(windows),), dtype=np.int64)
    for i, (taps, _, _) in enumerate(windows):
        picked = plane[:, :, taps]
        best = picked.argmax(axis=-1)
        argmax[:, :, i] = np.asarray(taps)[best]
        value[:, :, i] = np.take_along_axis(picked, best[..., None], -1)[..., 0]
    return value.reshape(x.shape[:2] + out_shape), argmax.reshape(x.shape[:2] + out_shape)


def scatter_to_plane(g, argmax, x_shape):
    """Each value of ``g`` added at its in-plane index ``argmax``: the VJP of
    :func:`max_pool` and the value of ``max_unpool``."""
    n, c = x_shape[:2]
    out = np.zeros((n * c, math.prod(x_shape[2:])))
    rows = np.repeat(np.arange(n * c), argmax[0, 0].size)
    np.add.at(out, (rows, argmax.reshape(-1)), g.reshape(-1))
    return out.reshape(x_shape)


def gather_from_plane(x, argmax):
    """``x`` (N, C, *spatial) read at the in-plane indices ``argmax``: the VJP of ``max_unpool``."""
    plane = x.reshape(*x.shape[:2], -1)
    return np.take_along_axis(plane, argmax.reshape(*argmax.shape[:2], -1), -1).reshape(argmax.shape)


def avg_pool_weights(windows, spatial, divisor) -> np.ndarray:
    """(positions, plane size) matrix of an average pooling: 1/divisor at each
    tap of each window; ``divisor`` is ``"padded"``, ``"inside"`` or a number
    (``divisor_override``)."""
    weights = np.zeros((len(windows), math.prod(spatial)))
    for i, (taps, padded, inside) in enumerate(windows):
        div = {"padded": padded, "inside": inside}.get(divisor, divisor)
        np.add.at(weights[i], taps, 1.0 / div)
    return weights


def linear_pool(x, weights, out_shape):
    """Pooling linear in ``x``: ``weights`` (:func:`avg_pool_weights`) applied to each plane."""
    plane = x.reshape(*x.shape[:2], -1)
    return (plane @ weights.T).reshape(x.shape[:2] + out_shape)


def linear_pool_backward(g, weights, x_shape):
    """VJP of :func:`linear_pool`."""
    return (g.reshape(*g.shape[:2], -1) @ weights).reshape(x_shape)
