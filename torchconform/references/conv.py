"""NumPy references for torch.nn.functional's convolutions in any number of
spatial dimensions: ``conv1d``/``conv2d``/``conv3d`` (stride, dilation,
groups, symmetric, asymmetric (``padding='same'``) and non-zero padding modes
of ``nn.Conv*d``) and ``conv_transpose1d/2d/3d`` (``output_padding``).

A convolution is linear in its input, so one *index map* (see
:mod:`torchconform.references.gather`) describes which input element sits
under each kernel tap of each output position: the padded input's map
(``numpy.pad`` of ``arange``, -1 for zero padding) cut into dilated, strided
windows with ``sliding_window_view``. The value contracts the gathered
windows with the weight per group (``numpy.einsum``; cross-correlation, as
the ``torch.nn.Conv2d`` documentation defines it), the input's VJP
scatter-adds the weight-weighted cotangent back through the map, the
weight's VJP contracts the cotangent with the windows.

A transposed convolution is the adjoint of the convolution whose input has
the transposed one's output shape (the ``torch.nn.ConvTranspose2d``
documentation: "the gradient of Conv2d with respect to its input"), so its
value is that convolution's input VJP, its input VJP that convolution's
value and its weight VJP that convolution's weight VJP with input and
cotangent swapped. Output size per dimension:
``(I - 1) s - 2 p + d (k - 1) + output_padding + 1``.

Pure NumPy: nothing here imports torch.
"""

from __future__ import annotations

import string

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from torchconform.references import gather


def _per_dim(v, k: int) -> tuple:
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * k


def same_padding(kernel, dilation) -> tuple:
    """(before, after) pairs of ``padding='same'`` per spatial dimension:
    ``d (k - 1)`` in all, the odd one after (torch pads the extra element on
    the right, per ``_conv_forward``'s ``_reversed_padding_repeated_twice``)."""
    pairs = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pairs.append((total // 2, total - total // 2))
    return tuple(pairs)


def window_map(x_shape: tuple, kernel, stride=1, padding=0, dilation=1, mode: str = "constant") -> np.ndarray:
    """Index map (N, C, *out, *kernel) into flat ``x`` of ``x_shape`` (N, C,
    *spatial): the element under each tap of each output position, -1 for
    zero padding. ``padding`` is an int, one int per dimension, or (before,
    after) pairs; ``mode`` is ``constant``, ``reflect``, ``replicate`` or
    ``circular`` (the padding modes of ``nn.Conv*d``)."""
    k = len(x_shape) - 2
    kernel, stride, dilation = _per_dim(kernel, k), _per_dim(stride, k), _per_dim(dilation, k)
    pairs = [p if isinstance(p, (tuple, list)) else (p, p) for p in _per_dim(padding, k)]
    torch_pad = [w for pair in reversed(pairs) for w in pair]
    index = gather.pad_map(tuple(x_shape), tuple(torch_pad), mode)
    spans = tuple((kk - 1) * d + 1 for kk, d in zip(kernel, dilation))
    axes = tuple(range(2, 2 + k))
    windows = sliding_window_view(index, spans, axis=axes)
    cut = (slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride) \
        + tuple(slice(None, None, d) for d in dilation)
    return windows[cut]


def _letters(k: int) -> tuple[str, str]:
    """einsum letters for k output and k kernel axes."""
    return string.ascii_uppercase[:k], string.ascii_uppercase[10:10 + k]


def _grouped(a: np.ndarray, groups: int) -> np.ndarray:
    """Split axis 1 (channels) into (groups, channels per group)."""
    return a.reshape(a.shape[0], groups, a.shape[1] // groups, *a.shape[2:])


def conv(x, weight, bias, index, groups=1) -> np.ndarray:
    """Cross-correlation of ``x`` (N, C_in, *spatial) with ``weight`` (C_out,
    C_in/groups, *kernel) through ``index`` (:func:`window_map`), plus
    ``bias`` (C_out,) or ``None``: (N, C_out, *out)."""
    k = weight.ndim - 2
    o, t = _letters(k)
    cols = _grouped(gather.gather(x, index), groups)  # N G c *O *K
    w = weight.reshape(groups, weight.shape[0] // groups, *weight.shape[1:])  # G o c *K
    out = np.einsum(f"ngc{o}{t},gdc{t}->ngd{o}", cols, w)
    out = out.reshape(out.shape[0], -1, *out.shape[3:])
    return out if bias is None else out + bias.reshape((1, -1) + (1,) * k)


def conv_backward(g, x, weight, index, groups=1, has_bias=True) -> tuple:
    """VJPs of :func:`conv` for the cotangent ``g`` (N, C_out, *out):
    (d x, d weight, d bias) (d bias only when ``has_bias``)."""
    k = weight.ndim - 2
    o, t = _letters(k)
    gg = _grouped(g, groups)  # N G d *O
    w = weight.reshape(groups, weight.shape[0] // groups, *weight.shape[1:])
    dcols = np.einsum(f"ngd{o},gdc{t}->ngc{o}{t}", gg, w).reshape(index.shape)
    dx = gather.scatter_add(dcols, index, x.size).reshape(x.shape)
    cols = _grouped(gather.gather(x, index), groups)
    dw = np.einsum(f"ngd{o},ngc{o}{t}->gdc{t}", gg, cols).reshape(weight.shape)
    grads = (dx, dw)
    return grads + (g.sum(axis=(0,) + tuple(range(2, g.ndim))),) if has_bias else grads


def transposed_output_shape(x_shape, weight_shape, stride=1, padding=0, output_padding=0, groups=1,
                            dilation=1) -> tuple:
    """(N, C_out, *out) of ``conv_transposeNd`` of ``x`` (N, C_in, *in) with
    ``weight`` (C_in, C_out/groups, *kernel)."""
    k = len(x_shape) - 2
    kernel = weight_shape[2:]
    sizes = [(i - 1) * s - 2 * p + d * (kk - 1) + op + 1 for i, s, p, d, kk, op in
             zip(x_shape[2:], _per_dim(stride, k), _per_dim(padding, k), _per_dim(dilation, k), kernel,
                 _per_dim(output_padding, k))]
    return (x_shape[0], weight_shape[1] * groups, *sizes)


def _adjoint_map(x_shape, weight_shape, stride, padding, output_padding, groups, dilation):
    """The window map of the convolution a transposed one is the adjoint of,
    cut to the transposed input's size (an output padding of at least the
    stride adds windows past it) and the output shape."""
    out_shape = transposed_output_shape(x_shape, weight_shape, stride, padding, output_padding, groups, dilation)
    index = window_map(out_shape, weight_shape[2:], stride, padding, dilation)
    k = len(x_shape) - 2
    index = index[(slice(None), slice(None)) + tuple(slice(0, i) for i in x_shape[2:]) + (slice(None),) * k]
    return index, out_shape


def conv_transpose(x, weight, bias, stride=1, padding=0, output_padding=0, groups=1, dilation=1) -> np.ndarray:
    """``torch.nn.functional.conv_transposeNd`` of ``x`` (N, C_in, *in) with
    ``weight`` (C_in, C_out/groups, *kernel) and ``bias`` (C_out,) or ``None``."""
    index, out_shape = _adjoint_map(x.shape, weight.shape, stride, padding, output_padding, groups, dilation)
    y = conv_backward(x, np.zeros(out_shape), weight, index, groups, has_bias=False)[0]
    return y if bias is None else y + bias.reshape((1, -1) + (1,) * (x.ndim - 2))


def conv_transpose_backward(g, x, weight, stride=1, padding=0, output_padding=0, groups=1, dilation=1,
                            has_bias=True) -> tuple:
    """VJPs of :func:`conv_transpose` for ``g`` shaped like its output:
    (d x, d weight[, d bias])."""
    index, _ = _adjoint_map(x.shape, weight.shape, stride, padding, output_padding, groups, dilation)
    dx = conv(g, weight, None, index, groups)
    dw = conv_backward(x, g, weight, index, groups, has_bias=False)[1]
    grads = (dx, dw)
    return grads + (g.sum(axis=(0,) + tuple(range(2, g.ndim))),) if has_bias else grads
