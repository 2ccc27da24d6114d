"""NumPy references for torch.nn layers, losses and init (torch.optim's update
rules are in :mod:`torchconform.references.optim`).

Pure NumPy: nothing here imports torch, so these are an independent oracle.
Every layer comes as a forward function and a hand-written backward (a VJP:
the gradient of a scalar with respect to the inputs, given the gradient with
respect to the output). Shapes and argument names follow ``torch.nn.functional``
so a test reads like the call it checks. Arrays are computed in the dtype they
arrive in (float64 for references, float32 when a twin is timed).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)


# --------------------------------------------------------------------------- linear


def _at_b(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a^T @ b`` over the last two axes, computed as ``(b^T @ a)^T``: for the
    long thin products of weight gradients (batch*pixels rows) OpenBLAS was
    measured up to 100x slower in the first orientation, and NumPy twins are
    timed next to torch."""
    return np.swapaxes(np.swapaxes(b, -1, -2) @ a, -1, -2)


def linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """``y = x @ weight.T + bias`` over any leading dimensions.

    ``x`` (..., in), ``weight`` (out, in), ``bias`` (out,) or ``None``; returns
    (..., out) in the inputs' dtype. Formula: ``torch.nn.Linear``
    (https://pytorch.org/docs/stable/generated/torch.nn.Linear.html).
    """
    y = x @ weight.T
    return y if bias is None else y + bias


def linear_backward(g: np.ndarray, x: np.ndarray, weight: np.ndarray, has_bias: bool = True):
    """VJPs of :func:`linear` for the upstream gradient ``g`` (..., out):
    ``(g @ weight, g^T x, sum of g over leading dims or None)``, shaped like
    ``x``, ``weight`` and the bias. Matrix calculus of ``y = x W^T + b``."""
    g2 = g.reshape(-1, g.shape[-1])
    x2 = x.reshape(-1, x.shape[-1])
    gb = g2.sum(axis=0) if has_bias else None
    return g @ weight, _at_b(g2, x2), gb


# --------------------------------------------------------------------------- convolution and pooling


def _out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    span = size + 2 * p - d * (k - 1) - 1
    if not ceil_mode:
        return span // s + 1
    out = -(-span // s) + 1
    # torch drops a last window that would start inside the right padding
    if (out - 1) * s >= size + p:
        out -= 1
    return out


def conv2d_output_shape(h: int, w: int, kernel, stride=1, padding=0, dilation=1, ceil_mode=False) -> tuple[int, int]:
    """(OH, OW) of a 2-d convolution or pooling over an (H, W) = (``h``, ``w``)
    plane: ``floor((size + 2p - d(k - 1) - 1) / s) + 1`` (ceil in ``ceil_mode``,
    dropping a last window that starts in the right padding), as the shape
    formulas of ``torch.nn.Conv2d`` and ``torch.nn.MaxPool2d`` state. Each
    hyper-parameter is an int or an (h, w) pair."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(_pair, (kernel, stride, padding, dilation))
    return _out_size(h, kh, sh, ph, dh, ceil_mode), _out_size(w, kw, sw, pw, dw, ceil_mode)


def _windows(xp: np.ndarray, kh: int, kw: int, oh: int, ow: int, stride, dilation) -> np.ndarray:
    """View (N, C, OH, OW, KH, KW) of the padded input under each kernel tap."""
    (sh, sw), (dh, dw) = stride, dilation
    v = sliding_window_view(xp, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(2, 3))
    return v[:, :, : (oh - 1) * sh + 1 : sh, : (ow - 1) * sw + 1 : sw, ::dh, ::dw]


def _im2col(x, kh, kw, oh, ow, stride, padding, dilation, groups):
    """(padded input, columns of shape (groups, N*OH*OW, C/groups*KH*KW))."""
    n, c = x.shape[:2]
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    cols = _windows(xp, kh, kw, oh, ow, stride, dilation)  # N C OH OW KH KW
    cols = cols.reshape(n, groups, c // groups, oh, ow, kh, kw).transpose(1, 0, 3, 4, 2, 5, 6)
    return xp, cols.reshape(groups, n * oh * ow, -1)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """2-d cross-correlation as ``torch.nn.functional.conv2d`` computes it, with zero padding.

    ``x`` (N, C, H, W), ``weight`` (C_out, C/groups, KH, KW), ``bias``
    (C_out,) or ``None``; stride, padding and dilation are ints or (h, w)
    pairs. Returns (N, C_out, OH, OW) (see :func:`conv2d_output_shape`) in the
    inputs' dtype, computed by im2col and one product per group. Formula:
    ``torch.nn.Conv2d`` (https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html); C and C_out must
    divide by ``groups`` (NumPy raises ``ValueError`` on a reshape otherwise).
    """
    stride, padding, dilation = _pair(stride), _pair(padding), _pair(dilation)
    n, c, h, w = x.shape
    cout, cg, kh, kw = weight.shape
    oh, ow = conv2d_output_shape(h, w, (kh, kw), stride, padding, dilation)
    _, cols = _im2col(x, kh, kw, oh, ow, stride, padding, dilation, groups)
    wg = weight.reshape(groups, cout // groups, cg * kh * kw).transpose(0, 2, 1)
    out = (cols @ wg).reshape(groups, n, oh, ow, cout // groups).transpose(1, 0, 4, 2, 3).reshape(n, cout, oh, ow)
    return out if bias is None else out + bias[:, None, None]


def conv2d_backward(g, x, weight, stride=1, padding=0, dilation=1, groups=1, has_bias=True):
    """VJPs of :func:`conv2d` for the upstream gradient ``g`` (N, C_out, OH, OW):
    ``(grad_x, grad_weight, grad_bias or None)`` shaped like ``x``, ``weight``
    and the bias. ``grad_weight`` is the correlation of ``g`` with the input
    columns, ``grad_x`` the columns ``g @ W`` scattered back over every kernel
    tap (the transposed convolution), ``grad_bias`` the sum of ``g`` over N, OH
    and OW (Dumoulin and Visin, "A guide to convolution arithmetic", 2016)."""
    stride, padding, dilation = _pair(stride), _pair(padding), _pair(dilation)
    n, c, h, w = x.shape
    cout, cg, kh, kw = weight.shape
    og = cout // groups
    _, _, oh, ow = g.shape
    xp, cols = _im2col(x, kh, kw, oh, ow, stride, padding, dilation, groups)
    gg = g.reshape(n, groups, og, oh, ow).transpose(1, 0, 3, 4, 2).reshape(groups, n * oh * ow, og)
    gw = _at_b(gg, cols).reshape(cout, cg, kh, kw)
    wg = weight.reshape(groups, og, cg * kh * kw)
    gcols = (gg @ wg).reshape(groups, n, oh, ow, cg, kh, kw).transpose(1, 0, 4, 2, 3, 5, 6)
    gcols = gcols.reshape(n, c, oh, ow, kh, kw)
    gxp = np.zeros_like(xp)
    (sh, sw), (dh, dw) = stride, dilation
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + (oh - 1) * sh + 1, sh)
            gxp[:, :, rows, j * dw : j * dw + (ow - 1) * sw + 1 : sw] += gcols[..., i, j]
    gx = gxp[:, :, padding[0] : padding[0] + h, padding[1] : padding[1] + w]
    return gx, gw, (g.sum(axis=(0, 2, 3)) if has_bias else None)


def _pool_pad(x, kernel, stride, padding, dilation, ceil_mode, fill):
    """Pad for pooling (with extra right/bottom room in ceil mode); returns padded input and output size."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    n, c, h, w = x.shape
    oh, ow = _out_size(h, kh, sh, ph, dh, ceil_mode), _out_size(w, kw, sw, pw, dw, ceil_mode)
    extra_h = max(0, (oh - 1) * sh + (kh - 1) * dh + 1 - (h + 2 * ph))
    extra_w = max(0, (ow - 1) * sw + (kw - 1) * dw + 1 - (w + 2 * pw))
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph + extra_h), (pw, pw + extra_w)), constant_values=fill)
    return xp, oh, ow


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """(output, argmax) of ``torch.nn.functional.max_pool2d`` on (N, C, H, W) ``x``.

    Padding counts as -inf; ``stride`` defaults to the kernel. The output is
    (N, C, OH, OW) in ``x``'s dtype (see :func:`conv2d_output_shape`); argmax
    is an opaque tuple (flat index into the padded plane, padded shape,
    padding) for :func:`max_pool2d_backward`. The first maximum of a window
    wins; NaN counts as the largest value and propagates, as in torch.
    Formula: ``torch.nn.MaxPool2d`` (https://pytorch.org/docs/stable/generated/torch.nn.MaxPool2d.html).
    """
    kernel = _pair(kernel_size)
    stride = _pair(stride if stride is not None else kernel_size)
    padding, dilation = _pair(padding), _pair(dilation)
    xp, oh, ow = _pool_pad(x, kernel, stride, padding, dilation, ceil_mode, -np.inf)
    win = _windows(xp, *kernel, oh, ow, stride, dilation).reshape(*x.shape[:2], oh, ow, -1)
    # nanargmax would skip NaN; torch picks it, so treat NaN as the largest value
    k = np.argmax(np.where(np.isnan(win), np.inf, win), axis=-1)
    out = np.take_along_axis(win, k[..., None], axis=-1)[..., 0]
    ki, kj = np.divmod(k, kernel[1])
    rows = np.arange(oh)[:, None] * stride[0] + ki * dilation[0]
    cols = np.arange(ow)[None, :] * stride[1] + kj * dilation[1]
    return out, (rows * xp.shape[3] + cols, xp.shape, padding)


def max_pool2d_backward(g, x_shape, argmax):
    """VJP of :func:`max_pool2d`: each upstream gradient of ``g`` (N, C, OH, OW)
    goes to its window's argmax; overlapping windows add up. Returns an array
    of ``x_shape`` (N, C, H, W) in ``g``'s dtype. A window made only of
    padding sends its gradient into the padding, where it is dropped."""
    flat, padded_shape, (ph, pw) = argmax
    n, c = g.shape[:2]
    gxp = np.zeros((n * c, padded_shape[2] * padded_shape[3]), dtype=g.dtype)
    idx = flat.reshape(n * c, -1)
    np.add.at(gxp, (np.arange(n * c)[:, None], idx), g.reshape(n * c, -1))
    gxp = gxp.reshape(n, c, padded_shape[2], padded_shape[3])
    return gxp[:, :, ph : ph + x_shape[2], pw : pw + x_shape[3]]


def _avg_divisors(h, w, oh, ow, kernel, stride, padding, count_include_pad, divisor_override):
    if divisor_override:
        return np.full((oh, ow), float(divisor_override))

    def sizes(size, o, k, s, p):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, size + p)
        full = end - start
        return full, np.minimum(end, size) - np.maximum(start, 0)

    fh, vh = sizes(h, oh, kernel[0], stride[0], padding[0])
    fw, vw = sizes(w, ow, kernel[1], stride[1], padding[1])
    return np.outer(fh, fw) if count_include_pad else np.outer(vh, vw)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    """``torch.nn.functional.avg_pool2d`` of (N, C, H, W) ``x``: each window's sum
    divided by ``divisor_override``, or by the window's size clipped to the
    padded input (``count_include_pad``) or to the input itself. Returns
    (N, C, OH, OW) in ``x``'s dtype. Formula: ``torch.nn.AvgPool2d``
    (https://pytorch.org/docs/stable/generated/torch.nn.AvgPool2d.html) and its CPU kernel's divisors."""
    kernel = _pair(kernel_size)
    stride = _pair(stride if stride is not None else kernel_size)
    padding = _pair(padding)
    xp, oh, ow = _pool_pad(x, kernel, stride, padding, (1, 1), ceil_mode, 0.0)
    win = _windows(xp, *kernel, oh, ow, stride, (1, 1))
    div = _avg_divisors(x.shape[2], x.shape[3], oh, ow, kernel, stride, padding, count_include_pad, divisor_override)
    return win.sum(axis=(-2, -1)) / div.astype(x.dtype)


def avg_pool2d_backward(g, x_shape, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                        divisor_override=None):
    """VJP of :func:`avg_pool2d`: ``g`` (N, C, OH, OW) divided by each window's
    divisor and spread over the window's taps; returns ``x_shape`` (N, C, H, W)."""
    kernel = _pair(kernel_size)
    stride = _pair(stride if stride is not None else kernel_size)
    padding = _pair(padding)
    n, c, h, w = x_shape
    oh, ow = g.shape[2:]
    div = _avg_divisors(h, w, oh, ow, kernel, stride, padding, count_include_pad, divisor_override)
    gd = g / div.astype(g.dtype)
    xp, _, _ = _pool_pad(np.zeros(x_shape, g.dtype), kernel, stride, padding, (1, 1), ceil_mode, 0.0)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            xp[:, :, i : i + (oh - 1) * stride[0] + 1 : stride[0], j : j + (ow - 1) * stride[1] + 1 : stride[1]] += gd
    return xp[:, :, padding[0] : padding[0] + h, padding[1] : padding[1] + w]


# --------------------------------------------------------------------------- activations


def relu(x):
    """``max(x, 0)`` elementwise; NaN propagates (``np.maximum``), as in torch."""
    return np.maximum(x, 0)


def relu_backward(g, x):
    """VJP of :func:`relu`: ``g`` where ``x > 0``, else 0 (0 at ``x == 0``)."""
    # torch's threshold_backward passes the gradient where x > 0 only
    return np.where(x > 0, g, 0)


def sigmoid(x):
    """Logistic function ``1 / (1 + exp(-x))`` elementwise, in a form that never overflows."""
    # split by sign so neither branch overflows exp
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_backward(g, y):
    """VJP of :func:`sigmoid` from its output ``y``: ``g y (1 - y)``."""
    return g * y * (1 - y)


def tanh_backward(g, y):
    """VJP of ``tanh`` from its output ``y``: ``g (1 - y^2)``."""
    return g * (1 - y * y)


def log_softmax(x, axis=-1):
    """``x - max - log(sum(exp(x - max)))`` along ``axis`` (the max shift keeps exp finite)."""
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(x, axis=-1):
    """``exp(x - max) / sum(exp(x - max))`` along ``axis``; same shape as ``x``."""
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_backward(g, y, axis=-1):
    """VJP of :func:`softmax` from its output ``y``: ``y (g - sum(g y))`` along ``axis``
    (the Jacobian ``diag(y) - y y^T`` applied to ``g``)."""
    return y * (g - np.sum(g * y, axis=axis, keepdims=True))


def log_softmax_backward(g, y, axis=-1):
    """VJP of :func:`log_softmax` from its output ``y``: ``g - exp(y) sum(g)`` along ``axis``."""
    return g - np.exp(y) * np.sum(g, axis=axis, keepdims=True)


def dropout(x, mask, p):
    """Inverted dropout with a given 0/1 ``mask`` (broadcastable to ``x``):
    ``x * mask / (1 - p)``, all zeros at ``p == 1``; same shape and dtype as
    ``x``. Formula: ``torch.nn.Dropout`` (https://pytorch.org/docs/stable/generated/torch.nn.Dropout.html)."""
    return x * mask / (1 - p) if p < 1 else x * 0


# --------------------------------------------------------------------------- batch norm


def batch_norm_train(x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5):
    """Training-mode BatchNorm over every axis but 1. Returns (y, cache,
    new_running_mean, new_running_var); the running variance is updated with
    the unbiased batch variance, the output normalised with the biased one.

    ``x`` (N, C, ...) with ``gamma``/``beta`` of shape (C,) or ``None``;
    ``running_mean``/``running_var`` (C,) or ``None`` (then the new ones are
    ``None``). The cache is what :func:`batch_norm_train_backward` needs.
    Formula: Ioffe and Szegedy, "Batch Normalization", 2015, Algorithm 1, and
    ``torch.nn.BatchNorm2d`` (https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html)."""
    axes = tuple(i for i in range(x.ndim) if i != 1)
    shape = [1] * x.ndim
    shape[1] = x.shape[1]
    m = x.size // x.shape[1]
    mean = x.mean(axis=axes)
    var = x.var(axis=axes)
    inv = 1 / np.sqrt(var + eps)
    xhat = (x - mean.reshape(shape)) * inv.reshape(shape)
    y = xhat * (1 if gamma is None else gamma.reshape(shape)) + (0 if beta is None else beta.reshape(shape))
    new_mean = new_var = None
    if running_mean is not None:
        new_mean = (1 - momentum) * running_mean + momentum * mean
        new_var = (1 - momentum) * running_var + momentum * var * m / max(m - 1, 1)
    return y, (xhat, inv, axes, shape), new_mean, new_var


def batch_norm_train_backward(g, gamma, cache):
    """VJPs of :func:`batch_norm_train` for ``g`` shaped like ``x``: ``(grad_x,
    grad_gamma (C,), grad_beta (C,))``, with ``grad_x = (g' - mean(g') - xhat
    mean(g' xhat)) / sqrt(var + eps)`` for ``g' = g gamma`` (Ioffe and
    Szegedy, "Batch Normalization", 2015, section 3)."""
    xhat, inv, axes, shape = cache
    gx_hat = g * (1 if gamma is None else gamma.reshape(shape))
    mean_g = gx_hat.mean(axis=axes, keepdims=True)
    mean_gx = (gx_hat * xhat).mean(axis=axes, keepdims=True)
    gx = (gx_hat - mean_g - xhat * mean_gx) * inv.reshape(shape)
    return gx, (g * xhat).sum(axis=axes), g.sum(axis=axes)


def batch_norm_eval(x, gamma, beta, running_mean, running_var, eps=1e-5):
    """Eval-mode batch norm of (N, C, ...) ``x`` with the running statistics:
    ``(x - running_mean) / sqrt(running_var + eps) * gamma + beta`` per channel
    (``gamma``, ``beta`` of shape (C,) or ``None``). Formula:
    ``torch.nn.BatchNorm2d`` (https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html)."""
    shape = [1] * x.ndim
    shape[1] = x.shape[1]
    scale = 1 / np.sqrt(running_var + eps)
    if gamma is not None:
        scale = scale * gamma
    y = (x - running_mean.reshape(shape)) * scale.reshape(shape)
    return y if beta is None else y + beta.reshape(shape)


# --------------------------------------------------------------------------- losses
# Each returns (loss, grad_input): the reduced loss and its gradient w.r.t. the
# input (for reduction="none", the gradient of the sum of the unreduced losses).


def _reduce(values, reduction, denominator=None):
    if reduction == "none":
        return values, np.ones_like(values)
    if reduction == "sum":
        return values.sum(), np.ones_like(values)
    denominator = values.size if denominator is None else denominator
    return values.sum() / denominator, np.ones_like(values) / denominator


def mse_loss(pred, target, reduction="mean"):
    """``(loss, d loss / d pred)`` of the squared error ``(pred - target)^2``,
    reduced by ``reduction`` ("none": shape of ``pred``; "sum"/"mean": a
    scalar). The gradient is of the reduced loss (of the sum for "none"),
    shaped like ``pred``; ``target`` broadcasts. Formula: ``torch.nn.MSELoss``
    (https://pytorch.org/docs/stable/generated/torch.nn.MSELoss.html)."""
    diff = pred - target
    loss, d = _reduce(diff * diff, reduction)
    return loss, 2 * diff * d


def nll_loss(logp, target, weight=None, ignore_index=-100, reduction="mean"):
    """``nll_loss`` for (N, C) or (N, C, d1, ...) log-probabilities; the mean
    divides by the summed weights of the non-ignored targets, as torch does.

    ``target`` holds int class indices shaped like ``logp`` without axis 1;
    ``weight`` (C,) or ``None``. Returns (loss: scalar, or ``target``'s shape
    for "none"; d loss / d logp shaped like ``logp``). Formula:
    ``torch.nn.NLLLoss`` (https://pytorch.org/docs/stable/generated/torch.nn.NLLLoss.html)."""
    c = logp.shape[1]
    moved = np.moveaxis(logp, 1, -1).reshape(-1, c)
    t = target.reshape(-1)
    keep = t != ignore_index
    safe = np.where(keep, t, 0)
    w = (np.ones(c, logp.dtype) if weight is None else weight)[safe] * keep
    picked = moved[np.arange(t.size), safe]
    # An ignored target contributes a plain 0 (not -0 * picked, whose sign would follow picked).
    values = np.where(keep, -w * picked, 0.0)
    grad = np.zeros_like(moved)
    if reduction == "none":
        loss, d = values.reshape(target.shape), np.ones(t.size, logp.dtype)
    elif reduction == "sum":
        loss, d = values.sum(), np.ones(t.size, logp.dtype)
    else:
        total = w.sum()
        loss, d = values.sum() / total, np.full(t.size, 1 / total, logp.dtype)
    grad[np.arange(t.size), safe] = -w * d
    grad = np.moveaxis(grad.reshape(*np.moveaxis(logp, 1, -1).shape), -1, 1)
    return loss, grad


def cross_entropy(logits, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """``cross_entropy`` with class indices: :func:`log_softmax` then
    :func:`cross_entropy_from_log_probs`; returns (loss, d loss / d logits)
    with the logits (N, C, ...) and targets as :func:`nll_loss` takes them.
    Formula: ``torch.nn.CrossEntropyLoss`` (https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html)."""
    logp = log_softmax(logits, axis=1)
    loss, g_logp = cross_entropy_from_log_probs(logp, target, weight, ignore_index, reduction, label_smoothing)
    return loss, log_softmax_backward(g_logp, logp, axis=1)


def cross_entropy_from_log_probs(logp, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Cross-entropy given log-probabilities: NLL mixed with the uniform
    distribution by ``label_smoothing``, each class weighted, and the smoothing
    term of the mean divided by the same summed target weights as the NLL
    (as torch does). Linear in ``logp``; returns (loss, d loss / d logp)."""
    c = logp.shape[1]
    nll, g_nll = nll_loss(logp, target, weight, ignore_index, reduction)
    if label_smoothing == 0:
        return nll, g_nll
    keep = target != ignore_index
    shape = [1] * logp.ndim
    shape[1] = c
    wc = (np.ones(c, logp.dtype) if weight is None else weight).reshape(shape)
    per_class = wc * np.expand_dims(keep, 1)
    smooth = -(logp * per_class).sum(axis=1)
    g_smooth = -np.broadcast_to(per_class, logp.shape)
    if reduction == "sum":
        smooth = smooth.sum()
    elif reduction == "mean":
        denom = (wc.reshape(-1)[np.where(keep, target, 0)] * keep).sum()
        smooth, g_smooth = smooth.sum() / denom, g_smooth / denom
    eps = label_smoothing
    return (1 - eps) * nll + eps / c * smooth, (1 - eps) * g_nll + eps / c * g_smooth


def binary_cross_entropy(p, target, weight=None, reduction="mean"):
    """``binary_cross_entropy`` with torch's clamp of each log at -100:
    ``-(t log p + (1 - t) log(1 - p))`` weighted and reduced. ``p`` and
    ``target`` of one shape (``weight`` broadcasts); returns (loss, d loss / d p).
    Formula: ``torch.nn.BCELoss`` (https://pytorch.org/docs/stable/generated/torch.nn.BCELoss.html)."""
    log_p = np.maximum(np.log(p), -100)
    log_q = np.maximum(np.log1p(-p), -100)
    values = -(target * log_p + (1 - target) * log_q)
    w = 1 if weight is None else weight
    loss, d = _reduce(values * w, reduction)
    # torch's backward divides by max(p(1-p), 1e-12)
    grad = w * d * (p - target) / np.maximum(p * (1 - p), 1e-12)
    return loss, grad


def binary_cross_entropy_with_logits(x, target, weight=None, pos_weight=None, reduction="mean"):
    """Binary cross-entropy of logits in the stable form
    ``(1 - t) x + (1 + (pw - 1) t) softplus(-x)``, weighted and reduced;
    ``weight`` and ``pos_weight`` broadcast. Returns (loss, d loss / d x).
    Formula: ``torch.nn.BCEWithLogitsLoss`` (https://pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html)."""
    softplus_neg = np.logaddexp(0, -x)
    pw = 1 if pos_weight is None else pos_weight
    coeff = 1 + (pw - 1) * target
    values = (1 - target) * x + coeff * softplus_neg
    w = 1 if weight is None else weight
    loss, d = _reduce(values * w, reduction)
    grad = w * d * ((1 - target) - coeff * sigmoid(-x))
    return loss, grad


# --------------------------------------------------------------------------- init


def calculate_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) as nn.init defines them: dims 1 and 0 times the receptive field.
    Raises ``ValueError`` for fewer than 2 dimensions, as torch does."""
    if len(shape) < 2:
        raise ValueError("fan in and fan out need at least 2 dimensions")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain of ``torch.nn.init.calculate_gain`` for a nonlinearity
    (table in https://pytorch.org/docs/stable/nn.init.html); ``param`` is leaky_relu's negative slope.
    Raises ``ValueError`` for a nonlinearity not in the table."""
    if nonlinearity in ("linear", "sigmoid", "conv1d", "conv2d", "conv3d", "conv_transpose2d"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity}")
