"""NumPy references for torch.nn.functional's normalisation layers:
``layer_norm``, ``group_norm``, ``instance_norm`` (input statistics),
``rms_norm``, ``local_response_norm`` and ``normalize``, values and VJPs.

The mean/variance layers share one formula (the ``torch.nn.LayerNorm``,
``GroupNorm`` and ``InstanceNorm1d`` documentation):
``y = (x - mean) / sqrt(var + eps) * weight + bias`` with the biased variance
over the normalised axes; its VJP with respect to ``x`` is the textbook
``inv (g' - mean(g') - xhat mean(g' xhat))`` with ``g' = g weight`` (Ioffe
and Szegedy 2015, section 3, over the normalised axes instead of the batch).
The mean is subtracted before squaring (two passes), so a large offset does
not cancel in the reference. ``rms_norm`` divides by ``sqrt(mean(x**2) +
eps)`` (``torch.nn.RMSNorm``; Zhang and Sennrich 2019), ``normalize`` by
``max(||x||_p, eps)`` and ``local_response_norm`` by ``(k + alpha/size *
sum of x**2 over the channel window) ** beta``, the window of channel ``c``
running from ``c - size//2`` to ``c + (size-1)//2`` (torch pads the squared
input by ``size//2`` before and ``(size-1)//2`` after the channels and
average-pools with a window of ``size``).

Pure NumPy: nothing here imports torch.
"""

from __future__ import annotations

import numpy as np


def standardize(x: np.ndarray, axes: tuple, eps: float):
    """(xhat, inv, mean) of ``x`` over ``axes`` (kept as size-1 axes):
    ``xhat = (x - mean) * inv``, ``inv = 1 / sqrt(var + eps)``, biased var."""
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    inv = 1 / np.sqrt((centred * centred).mean(axis=axes, keepdims=True) + eps)
    return centred * inv, inv, mean


def standardize_backward(gh: np.ndarray, xhat: np.ndarray, inv: np.ndarray, axes: tuple) -> np.ndarray:
    """VJP of :func:`standardize`'s ``xhat`` for the cotangent ``gh`` (``g``
    times the weight) over ``axes``."""
    return inv * (gh - gh.mean(axis=axes, keepdims=True) - xhat * (gh * xhat).mean(axis=axes, keepdims=True))


def rms_norm(x, ndims: int, weight, eps: float):
    """(y, r) of ``rms_norm`` over the last ``ndims`` axes: ``y = x r weight``
    with ``r = 1 / sqrt(mean(x**2) + eps)``; ``weight`` may be ``None``."""
    axes = tuple(range(x.ndim - ndims, x.ndim))
    r = 1 / np.sqrt((x * x).mean(axis=axes, keepdims=True) + eps)
    return x * r * (1 if weight is None else weight), r


def rms_norm_backward(g, x, ndims: int, weight, r):
    """VJPs (d x, d weight or ``None``) of :func:`rms_norm`."""
    axes = tuple(range(x.ndim - ndims, x.ndim))
    gh = g * (1 if weight is None else weight)
    dx = r * gh - x * r ** 3 * (gh * x).mean(axis=axes, keepdims=True)
    dw = None if weight is None else (g * x * r).sum(axis=tuple(range(x.ndim - ndims)))
    return dx, dw


def normalize(x, p: float, dim: int, eps: float):
    """(y, n, clipped) of ``normalize``: ``y = x / max(||x||_p, eps)`` along
    ``dim``; ``n`` the p-norm (kept axis), ``clipped`` where ``eps`` won."""
    n = (np.abs(x) ** p).sum(axis=dim, keepdims=True) ** (1 / p)
    clipped = n < eps
    return x / np.where(clipped, eps, n), n, clipped


def normalize_backward(g, x, p: float, dim: int, eps: float):
    """VJP of :func:`normalize`: ``g / n - (sum g x) / n**2 * dn/dx`` with
    ``dn/dx = sign(x) |x|**(p-1) / n**(p-1)``; ``g / eps`` where clipped."""
    _, n, clipped = normalize(x, p, dim, eps)
    safe = np.where(clipped, 1.0, n)
    dn = np.sign(x) * np.abs(x) ** (p - 1) / safe ** (p - 1)
    dx = g / safe - (g * x).sum(axis=dim, keepdims=True) / safe ** 2 * dn
    return np.where(clipped, g / eps, dx)


def _channel_window(c: int, size: int) -> np.ndarray:
    """(C, C) 0/1 matrix: row ``c`` marks the channels summed for channel ``c``."""
    window = np.zeros((c, c))
    for i in range(c):
        window[i, max(0, i - size // 2):min(c, i + (size - 1) // 2 + 1)] = 1
    return window


def local_response_norm(x, size: int, alpha: float, beta: float, k: float):
    """(y, base) of ``local_response_norm`` of (N, C, ...) ``x``:
    ``y = x * base**-beta``, ``base = k + alpha/size * windowed sum of x**2``."""
    window = _channel_window(x.shape[1], size)
    base = k + alpha / size * np.einsum("dc,nc...->nd...", window, x * x)
    return x * base ** -beta, base


def local_response_norm_vjp_parts(g, x, size: int, alpha: float, beta: float, k: float):
    """The two parts of :func:`local_response_norm`'s VJP, (direct, through
    the windows): the VJP is ``direct - through`` with ``direct = g
    base**-beta`` and, for channel ``j``, ``through = 2 beta alpha/size x_j
    sum_c g_c x_c base_c**(-beta-1)`` over the windows holding ``j``."""
    window = _channel_window(x.shape[1], size)
    _, base = local_response_norm(x, size, alpha, beta, k)
    through = np.einsum("dc,nd...->nc...", window, g * x * base ** (-beta - 1))
    return g * base ** -beta, 2 * beta * alpha / size * x * through


def local_response_norm_backward(g, x, size: int, alpha: float, beta: float, k: float):
    """VJP of :func:`local_response_norm` (see :func:`local_response_norm_vjp_parts`)."""
    direct, through = local_response_norm_vjp_parts(g, x, size, alpha, beta, k)
    return direct - through
