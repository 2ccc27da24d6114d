"""What a torch.nn call should return, from the NumPy formulas of
:mod:`torchconform.references.nn`, with the size of each result's terms.

Each function takes the float64 inputs torch saw and the upstream gradient
``g`` (the cotangent, shaped like the output) and returns an :class:`Expected`:
the value, the VJP with respect to each input, and the error scale of each.
The scale is the same computation on absolute values (for a layer linear in
each argument), or the sum of the absolute terms a formula cancels; the
tolerance policy bounds the error relative to it (see
:func:`torchconform.oracle.assert_matches`). Pure NumPy, float64 in and out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from torchconform.references import (attention as att_ref, conv as conv_ref, distance as dist_ref,
                                     embedding as emb_ref, nn as ref,
                                     interpolate as interp_ref, norm as norm_ref, pool as pool_ref,
                                     recurrent as rec_ref)


@dataclass(frozen=True)
class Expected:
    """A reference result: ``value`` (float64, the output's shape), ``grads``
    (one VJP per input in call order, float64 shaped like that input, ``None``
    where torch does not differentiate the input or the check skips it),
    ``scale`` (size of the output's terms, broadcastable to ``value``; ``None``:
    the value's own size) and ``grad_scales`` (the same per gradient; missing
    trailing entries mean ``None``)."""

    value: np.ndarray
    grads: tuple = ()
    scale: np.ndarray | None = None
    grad_scales: tuple = ()


def _abs(a):
    return None if a is None else np.abs(a)


# --------------------------------------------------------------------------- layers


def linear(x, weight, bias, g) -> Expected:
    """``x @ weight.T + bias`` (``bias`` may be ``None``) with its VJPs
    (x, weight[, bias]); formula of ``torch.nn.Linear``'s documentation."""
    has_bias = bias is not None
    return Expected(ref.linear(x, weight, bias), ref.linear_backward(g, x, weight, has_bias),
                    ref.linear(np.abs(x), np.abs(weight), _abs(bias)),
                    ref.linear_backward(np.abs(g), np.abs(x), np.abs(weight), has_bias))


def conv2d(x, weight, bias, g, **hyper) -> Expected:
    """:func:`~torchconform.references.nn.conv2d` with its VJPs (x, weight[, bias]);
    ``hyper`` holds stride, padding, dilation and groups."""
    has_bias = bias is not None
    return Expected(ref.conv2d(x, weight, bias, **hyper), ref.conv2d_backward(g, x, weight, has_bias=has_bias, **hyper),
                    ref.conv2d(np.abs(x), np.abs(weight), _abs(bias), **hyper),
                    ref.conv2d_backward(np.abs(g), np.abs(x), np.abs(weight), has_bias=has_bias, **hyper))


def max_pool2d(x, g, **hyper) -> Expected:
    """Max pooling of (N, C, H, W) ``x``; overlapping windows add up several
    upstream gradients, hence the gradient's scale."""
    value, argmax = ref.max_pool2d(x, **hyper)
    return Expected(value, (ref.max_pool2d_backward(g, x.shape, argmax),), None,
                    (ref.max_pool2d_backward(np.abs(g), x.shape, argmax),))


def avg_pool2d(x, g, **hyper) -> Expected:
    """Average pooling of (N, C, H, W) ``x`` with its VJP."""
    return Expected(ref.avg_pool2d(x, **hyper), (ref.avg_pool2d_backward(g, x.shape, **hyper),),
                    ref.avg_pool2d(np.abs(x), **hyper), (ref.avg_pool2d_backward(np.abs(g), x.shape, **hyper),))


# --------------------------------------------------------------------------- activations


def relu(x, g) -> Expected:
    """``max(x, 0)``; the gradient passes where ``x > 0`` only (torch's threshold_backward)."""
    return Expected(ref.relu(x), (ref.relu_backward(g, x),))


def sigmoid(x, g) -> Expected:
    """Sigmoid, differentiated through its output: ``1 - y`` cancels near
    saturation, so the terms ``|g| y (1 + y)`` bound the gradient's error."""
    y = ref.sigmoid(x)
    return Expected(y, (ref.sigmoid_backward(g, y),), None, (np.abs(g) * y * (1 + y),))


def tanh(x, g) -> Expected:
    """Tanh, differentiated through its output: the terms of ``1 - y*y`` are ``1 + y*y``."""
    y = np.tanh(x)
    return Expected(y, (ref.tanh_backward(g, y),), None, (np.abs(g) * (1 + y * y),))


def _softmax_scales(x, y, g, log):
    """Terms of log_softmax's ``x - max - log(sum)`` (the log of a sum near 1
    has an absolute error of the sum's relative error, hence the 1); softmax's
    ``exp(x - max)`` amplifies the rounding of ``x - max`` by its size; the
    VJPs subtract a weighted sum of ``g`` from ``g``."""
    shifted = x - x.max(axis=-1, keepdims=True)
    p = np.exp(y) if log else y
    if log:
        lse = np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        return np.abs(shifted) + lse + 1, np.abs(g) + p * np.abs(g).sum(axis=-1, keepdims=True)
    return y * (1 + np.abs(shifted)), p * (np.abs(g) + (np.abs(g) * p).sum(axis=-1, keepdims=True))


def softmax(x, g) -> Expected:
    """Softmax over the last axis (the stable ``exp(x - max)`` form)."""
    y = ref.softmax(x)
    scale, gscale = _softmax_scales(x, y, g, log=False)
    return Expected(y, (ref.softmax_backward(g, y),), scale, (gscale,))


def log_softmax(x, g) -> Expected:
    """Log-softmax over the last axis (``x - max - log(sum(exp(x - max)))``)."""
    y = ref.log_softmax(x)
    scale, gscale = _softmax_scales(x, y, g, log=True)
    return Expected(y, (ref.log_softmax_backward(g, y),), scale, (gscale,))


# --------------------------------------------------------------------------- batch norm


def batch_norm_train(x, gamma, beta, g, running_mean, running_var, momentum, eps):
    """Training-mode batch norm of (N, C, ...) ``x`` (``gamma``/``beta`` of
    shape (C,) or ``None``). Returns (Expected with VJPs x, weight, bias;
    new running mean; new running variance)."""
    want, cache, rm, rv = ref.batch_norm_train(x, gamma, beta, running_mean, running_var, momentum, eps)
    xhat, inv, axes, shape = cache
    scale = (np.abs(x) + np.abs(x.mean(axis=axes, keepdims=True))) * inv.reshape(shape)
    if gamma is not None:
        scale = scale * np.abs(gamma).reshape(shape) + np.abs(beta).reshape(shape)
    # d/dx subtracts two batch means from g: its terms are each taken in absolute value
    g_hat = np.abs(g) * (1 if gamma is None else np.abs(gamma).reshape(shape))
    gx_terms = (g_hat + g_hat.mean(axis=axes, keepdims=True)
                + np.abs(xhat) * (g_hat * np.abs(xhat)).mean(axis=axes, keepdims=True)) * inv.reshape(shape)
    scales = (gx_terms, (np.abs(g) * np.abs(xhat)).sum(axis=axes), np.abs(g).sum(axis=axes))
    return Expected(want, ref.batch_norm_train_backward(g, gamma, cache), scale, scales), rm, rv


def batch_norm_eval(x, gamma, beta, g, running_mean, running_var, eps) -> Expected:
    """Eval-mode batch norm with the running statistics; only d/dx is given."""
    bshape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    inv = (1 / np.sqrt(running_var + eps)).reshape(bshape)
    scale = (np.abs(x) + np.abs(running_mean).reshape(bshape)) * inv * (
        1 if gamma is None else np.abs(gamma).reshape(bshape))
    scale = scale + (0 if beta is None else np.abs(beta).reshape(bshape))
    gx = g * inv * (1 if gamma is None else gamma.reshape(bshape))
    return Expected(ref.batch_norm_eval(x, gamma, beta, running_mean, running_var, eps), (gx,), scale)


# --------------------------------------------------------------------------- losses


def _chain(grad, g, reduction, class_axis=False):
    """The VJP with upstream ``g``, from the reference gradient of the loss's
    sum (each unreduced loss depends on its own position only, so the factor
    of each position is applied afterwards)."""
    if reduction != "none":
        return grad * g
    return grad * (np.expand_dims(g, 1) if class_axis else g)


def _per_element(x, reduction):
    """d reduced / d element: 1/size for a mean, else 1."""
    return 1 / x.size if reduction == "mean" else 1


def mse_loss(p, t, g, reduction) -> Expected:
    """Mean squared error with VJPs for the prediction and the target."""
    want, grad = ref.mse_loss(p, t, reduction)
    terms = np.abs(_chain(2 * (np.abs(p) + np.abs(t)) * _per_element(p, reduction), g, reduction))
    scale = ref.mse_loss(np.abs(p) + np.abs(t), 0, reduction)[0]
    return Expected(want, (_chain(grad, g, reduction), -_chain(grad, g, reduction)), scale, (terms, terms))


def _logp_terms(logits):
    """Size of the terms of log_softmax over the class axis 1."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return np.abs(shifted) + np.log(np.exp(shifted).sum(axis=1, keepdims=True)) + 1


def cross_entropy(x, target, g, **options) -> Expected:
    """Cross-entropy of (N, C, ...) logits against class indices; the VJP
    for the logits only. ``options``: weight, ignore_index, reduction,
    label_smoothing."""
    reduction = options["reduction"]
    want, grad = ref.cross_entropy(x, target, **options)
    # the loss is linear in log_softmax with non-positive coefficients: fed the
    # negated sizes of log_softmax's terms it gives the size of the loss's terms
    scale = ref.cross_entropy_from_log_probs(-_logp_terms(x), target, **options)[0]
    g_logp = np.abs(_chain(ref.cross_entropy_from_log_probs(x, target, **options)[1], g, reduction, True))
    p = ref.softmax(x, axis=1)
    gscale = g_logp + p * g_logp.sum(axis=1, keepdims=True)
    return Expected(want, (_chain(grad, g, reduction, True), None), scale, (gscale,))


def nll_loss(logp, target, g, **options) -> Expected:
    """Negative log-likelihood of (N, C, ...) log-probabilities; VJP for
    ``logp`` only. ``options``: weight, ignore_index, reduction."""
    want, grad = ref.nll_loss(logp, target, **options)
    scale = ref.nll_loss(-np.abs(logp), target, **options)[0]
    return Expected(want, (_chain(grad, g, options["reduction"], True), None), scale)


def binary_cross_entropy(p, t, g, weight, reduction) -> Expected:
    """Binary cross-entropy of probabilities ``p``; VJP for ``p`` only."""
    want, grad = ref.binary_cross_entropy(p, t, weight, reduction)
    # p - t cancels in the gradient; its terms are p + t
    w = 1 if weight is None else weight
    gscale = np.abs(_chain(w * (p + t) / (p * (1 - p)) * _per_element(p, reduction), g, reduction))
    return Expected(want, (_chain(grad, g, reduction), None), None, (gscale,))


def binary_cross_entropy_with_logits(x, t, g, weight, pos_weight, reduction) -> Expected:
    """Binary cross-entropy of logits ``x`` (stable form); VJP for ``x`` only."""
    want, grad = ref.binary_cross_entropy_with_logits(x, t, weight, pos_weight, reduction)
    w = 1 if weight is None else weight
    pw = 1 if pos_weight is None else pos_weight
    coeff = 1 + (pw - 1) * t
    terms = w * (np.abs((1 - t) * x) + coeff * (np.logaddexp(0, -np.abs(x)) + np.maximum(-x, 0)))
    scale = terms if reduction == "none" else terms.sum() / (terms.size if reduction == "mean" else 1)
    # the gradient has two textbook forms, (1 - t) - c sigmoid(-x) and
    # c sigmoid(x) - pos_weight t; either may be computed, so both sets of terms count
    both = np.abs(1 - t) + coeff * ref.sigmoid(-x) + coeff * ref.sigmoid(x) + pw * t
    per = w * both * _per_element(x, reduction)
    return Expected(want, (_chain(grad, g, reduction), None), scale, (np.abs(_chain(per, g, reduction)),))


# --------------------------------------------------------------------------- convolutions in any dimension


def conv(x, weight, bias, g, *, index, groups) -> Expected:
    """``conv1d/2d/3d`` through the window map ``index``
    (:func:`torchconform.references.conv.window_map`, which carries stride,
    padding, padding mode and dilation) with VJPs (x, weight[, bias]); a
    bilinear map, so its terms are the same computation on absolute values."""
    has_bias = bias is not None
    return Expected(conv_ref.conv(x, weight, bias, index, groups),
                    conv_ref.conv_backward(g, x, weight, index, groups, has_bias),
                    conv_ref.conv(np.abs(x), np.abs(weight), _abs(bias), index, groups),
                    conv_ref.conv_backward(np.abs(g), np.abs(x), np.abs(weight), index, groups, has_bias))


def conv_transpose(x, weight, bias, g, **hyper) -> Expected:
    """``conv_transpose1d/2d/3d`` with VJPs (x, weight[, bias]); ``hyper``
    holds stride, padding, output_padding, groups and dilation."""
    has_bias = bias is not None
    return Expected(conv_ref.conv_transpose(x, weight, bias, **hyper),
                    conv_ref.conv_transpose_backward(g, x, weight, has_bias=has_bias, **hyper),
                    conv_ref.conv_transpose(np.abs(x), np.abs(weight), _abs(bias), **hyper),
                    conv_ref.conv_transpose_backward(np.abs(g), np.abs(x), np.abs(weight), has_bias=has_bias,
                                                     **hyper))


# --------------------------------------------------------------------------- normalisation


def _standardized(x, weight, bias, g, view, axes, eps):
    """Mean/variance normalisation of ``x`` over ``axes`` of ``view(x)`` (a
    reshape), then ``* weight + bias`` (already broadcast to ``x``'s shape, or
    ``None``). Returns (value, d x, g xhat, value scale, d x scale, g-xhat
    scale) in ``x``'s shape.

    A correct two-pass kernel rounds the mean to about ``eps |mean|``, which
    moves ``xhat`` by ``eps |mean| inv``: the offset-to-spread ratio
    ``|mean| inv`` is part of every term's size, so a large offset with a small
    spread widens the bound linearly, while a one-pass ``E[x**2] - E[x]**2``
    errs by its square and still fails."""
    xhat, inv, mean = (a for a in norm_ref.standardize(view(x), axes, eps))
    ratio = np.abs(mean) * inv
    w = 1 if weight is None else weight
    gh = view(g * w)
    dx = norm_ref.standardize_backward(gh, xhat, inv, axes)
    gabs = np.abs(gh)
    dx_terms = inv * (gabs + gabs.mean(axis=axes, keepdims=True)
                      + np.abs(xhat) * (gabs * np.abs(xhat)).mean(axis=axes, keepdims=True)) * (1 + ratio)
    xhat_terms = np.abs(xhat) + ratio
    back = (lambda a: np.broadcast_to(a, xhat.shape).reshape(x.shape))
    value = back(xhat) * w + (0 if bias is None else bias)
    scale = back(xhat_terms) * np.abs(w) + (0 if bias is None else np.abs(bias))
    return value, back(dx), g * back(xhat), scale, back(dx_terms), np.abs(g) * back(xhat_terms)


def _param_grads(weight, bias, g, g_xhat, g_xhat_terms, sum_axes, shape):
    """(d weight, d bias) and their scales: the sums of ``g xhat`` and ``g``
    over ``sum_axes``, reshaped to the parameters' ``shape``."""
    if weight is None:
        return (), ()
    def total(a):
        return a.sum(axis=sum_axes).reshape(shape)
    return (total(g_xhat), total(g)), (total(g_xhat_terms), total(np.abs(g)))


def layer_norm(x, weight, bias, g, *, ndims, eps) -> Expected:
    """``layer_norm`` over the last ``ndims`` axes with elementwise affine
    ``weight``/``bias`` (shape of those axes, or ``None``); VJPs (x, weight, bias)."""
    axes = tuple(range(x.ndim - ndims, x.ndim))
    value, dx, g_xhat, scale, dx_s, gx_s = _standardized(x, weight, bias, g, lambda a: a, axes, eps)
    pg, ps = _param_grads(weight, bias, g, g_xhat, gx_s, tuple(range(x.ndim - ndims)), x.shape[x.ndim - ndims:])
    return Expected(value, (dx,) + pg, scale, (dx_s,) + ps)


def group_norm(x, weight, bias, g, *, groups, eps) -> Expected:
    """``group_norm`` of (N, C, ...) ``x`` in ``groups`` channel groups with
    per-channel ``weight``/``bias`` (C,) or ``None``; VJPs (x, weight, bias).
    ``instance_norm`` (input statistics) is the case ``groups = C``."""
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    w = None if weight is None else weight.reshape(shape)
    b = None if bias is None else bias.reshape(shape)
    value, dx, g_xhat, scale, dx_s, gx_s = _standardized(
        x, w, b, g, lambda a: a.reshape(x.shape[0], groups, -1), (2,), eps)
    sum_axes = (0,) + tuple(range(2, x.ndim))
    pg, ps = _param_grads(weight, bias, g, g_xhat, gx_s, sum_axes, (x.shape[1],))
    return Expected(value, (dx,) + pg, scale, (dx_s,) + ps)


def rms_norm(x, weight, g, *, ndims, eps) -> Expected:
    """``rms_norm`` over the last ``ndims`` axes (``weight`` of their shape or
    ``None``); VJPs (x, weight). The mean of squares has no cancellation: the
    value's terms are its own size; the VJP subtracts two terms."""
    value, r = norm_ref.rms_norm(x, ndims, weight, eps)
    dx, dw = norm_ref.rms_norm_backward(g, x, ndims, weight, r)
    w = 1 if weight is None else np.abs(weight)
    axes = tuple(range(x.ndim - ndims, x.ndim))
    dx_s = r * np.abs(g) * w + np.abs(x) * r ** 3 * (np.abs(g) * w * np.abs(x)).mean(axis=axes, keepdims=True)
    grads = (dx,) if weight is None else (dx, dw)
    scales = (dx_s,) if weight is None else (dx_s, (np.abs(g * x) * r).sum(axis=tuple(range(x.ndim - ndims))))
    return Expected(value, grads, None, scales)


def normalize(x, g, *, p, dim, eps) -> Expected:
    """``normalize`` along ``dim`` with its VJP; the VJP's two terms are
    judged by their sizes."""
    value, n, clipped = norm_ref.normalize(x, p, dim, eps)
    dx = norm_ref.normalize_backward(g, x, p, dim, eps)
    safe = np.where(clipped, eps, n)
    terms = np.abs(g) / safe + (np.abs(g * x)).sum(axis=dim, keepdims=True) / safe ** 2 * np.abs(x) ** (p - 1) \
        / safe ** (p - 1)
    return Expected(value, (dx,), None, (terms,))


def local_response_norm(x, g, **options) -> Expected:
    """``local_response_norm`` (size, alpha, beta, k) with its VJP; the VJP
    adds the cross-channel terms, judged by their sizes."""
    value, _ = norm_ref.local_response_norm(x, **options)
    dx = norm_ref.local_response_norm_backward(g, x, **options)
    direct, through = norm_ref.local_response_norm_vjp_parts(np.abs(g), np.abs(x), **options)
    return Expected(value, (dx,), None, (direct + through,))


# --------------------------------------------------------------------------- pooling in any dimension


def max_pool(x, g, *, windows, out_shape) -> tuple:
    """Max pooling over ``windows`` (:func:`torchconform.references.pool.combine`).
    Returns (Expected with the VJP of ``x``, argmax as in-plane indices);
    overlapping windows add up several upstream gradients, hence the scale."""
    value, argmax = pool_ref.max_pool(x, windows, out_shape)
    return Expected(value, (pool_ref.scatter_to_plane(g, argmax, x.shape),), None,
                    (pool_ref.scatter_to_plane(np.abs(g), argmax, x.shape),)), argmax


def linear_pool(x, g, *, weights, out_shape) -> Expected:
    """A pooling linear in ``x`` (average, adaptive average) given its weight
    matrix (:func:`torchconform.references.pool.avg_pool_weights`), with its VJP."""
    return Expected(pool_ref.linear_pool(x, weights, out_shape),
                    (pool_ref.linear_pool_backward(g, weights, x.shape),),
                    pool_ref.linear_pool(np.abs(x), weights, out_shape),
                    (pool_ref.linear_pool_backward(np.abs(g), weights, x.shape),))


def lp_pool(x, g, *, weights, out_shape, p) -> Expected:
    """``lp_pool``: ``(sum over the window of x**p) ** (1/p)`` for positive
    ``x`` (``weights`` of the window sums, divisor 1), with its VJP
    ``g S**(1/p - 1) x**(p-1)`` gathered back through the windows."""
    s = pool_ref.linear_pool(x ** p, weights, out_shape)
    value = s ** (1 / p)
    dx = pool_ref.linear_pool_backward(g * s ** (1 / p - 1), weights, x.shape) * x ** (p - 1)
    gscale = pool_ref.linear_pool_backward(np.abs(g) * s ** (1 / p - 1), weights, x.shape) * x ** (p - 1)
    return Expected(value, (dx,), None, (gscale,))


def max_unpool(x, g, *, indices, out_shape) -> Expected:
    """``max_unpool``: ``x`` written at the in-plane ``indices`` of a zero
    output of ``out_shape`` (distinct indices); the VJP reads ``g`` back there."""
    return Expected(pool_ref.scatter_to_plane(x, indices, out_shape), (pool_ref.gather_from_plane(g, indices),))


# --------------------------------------------------------------------------- losses of per-element terms


def reduced_loss(terms, g, reduction: str, batch: int | None = None) -> Expected:
    """A loss from its unreduced :class:`torchconform.references.losses.Terms`
    under ``reduction`` (``none``, ``sum``, ``mean`` over the unreduced
    elements, or ``batchmean``: the sum over ``batch``, the first dimension).
    Each partial is chained with ``g``, which, unreduced, multiplies the
    partials of its own sample (trailing axes broadcast)."""
    factor = {"none": 1.0, "sum": 1.0, "mean": 1 / max(terms.value.size, 1)}.get(reduction)
    factor = 1 / batch if reduction == "batchmean" else factor
    size = np.abs(terms.value) if terms.terms is None else terms.terms
    if reduction == "none":
        value, scale = terms.value, size
    else:
        value, scale = terms.value.sum() * factor, size.sum() * factor
    grads, scales = [], []
    sizes = list(terms.partial_terms) + [None] * (len(terms.partials) - len(terms.partial_terms))
    for partial, psize in zip(terms.partials, sizes):
        gg = g.reshape(g.shape + (1,) * (partial.ndim - g.ndim)) if reduction == "none" else g
        grads.append(partial * gg * factor)
        scales.append(np.abs(partial if psize is None else psize) * np.abs(gg) * factor)
    return Expected(value, tuple(grads), scale, tuple(scales))


# --------------------------------------------------------------------------- distances


def pairwise_distance(x1, x2, g, *, p, eps) -> Expected:
    """``pairwise_distance`` along the last axis with VJPs (x1, x2); the
    difference cancels, so the value's terms are the norm of ``|x1| + |x2|``."""
    n, grad = dist_ref.pairwise(x1, x2, p, eps)
    gx = g[..., None] * grad
    return Expected(n, (gx, -gx), dist_ref.norm(np.abs(x1) + np.abs(x2) + eps, p),
                    (np.abs(gx), np.abs(gx)))


def cdist(x1, x2, g, *, p) -> Expected:
    """``cdist`` of (..., P, M) and (..., R, M) with VJPs (x1, x2)."""
    n, grad = dist_ref.cdist(x1, x2, p)
    per_pair = g[..., None] * grad
    terms = np.abs(per_pair)
    scale = dist_ref.norm(np.abs(x1)[..., :, None, :] + np.abs(x2)[..., None, :, :], p)
    return Expected(n, (per_pair.sum(axis=-2), -per_pair.sum(axis=-3)), scale,
                    (terms.sum(axis=-2), terms.sum(axis=-3)))


def pdist(x, g, *, p) -> Expected:
    """``pdist`` of (N, M) ``x`` with its VJP."""
    n, (i, j), grad = dist_ref.pdist(x, p)
    per_pair = g[:, None] * grad
    gx, terms = np.zeros_like(x), np.zeros_like(x)
    np.add.at(gx, i, per_pair)
    np.add.at(gx, j, -per_pair)
    np.add.at(terms, i, np.abs(per_pair))
    np.add.at(terms, j, np.abs(per_pair))
    return Expected(n, (gx,), dist_ref.norm(np.abs(x[i]) + np.abs(x[j]), p), (terms,))


def cosine_similarity(x1, x2, g, *, dim, eps) -> Expected:
    """``cosine_similarity`` along ``dim`` with VJPs (x1, x2); the VJPs
    subtract ``s u`` from the other input's unit vector, hence their terms."""
    s, d1, d2 = dist_ref.cosine_similarity(x1, x2, dim, eps)
    ge = np.expand_dims(g, dim)
    n1 = np.maximum(np.sqrt((x1 * x1).sum(axis=dim, keepdims=True)), eps)
    n2 = np.maximum(np.sqrt((x2 * x2).sum(axis=dim, keepdims=True)), eps)
    scale = (np.abs(x1 / n1) * np.abs(x2 / n2)).sum(axis=dim)
    t1 = np.abs(ge) * (np.abs(x2 / n2) + np.abs(np.expand_dims(s, dim) * x1 / n1)) / n1
    t2 = np.abs(ge) * (np.abs(x1 / n1) + np.abs(np.expand_dims(s, dim) * x2 / n2)) / n2
    return Expected(s, (ge * d1, ge * d2), scale, (t1, t2))


# --------------------------------------------------------------------------- embeddings


def embedding(indices, weight, g, *, padding_idx, max_norm, norm_type, scale_grad_by_freq) -> Expected:
    """``embedding`` with the weight's VJP (a copy: exact value, sums of cotangents)."""
    if max_norm is not None:
        weight = emb_ref.renorm(weight, indices, max_norm, norm_type)
    grad = emb_ref.embedding_backward(g, indices, weight.shape[0], padding_idx, scale_grad_by_freq)
    return Expected(weight[indices], (None, grad), None,
                    (None, emb_ref.embedding_backward(np.abs(g), indices, weight.shape[0], padding_idx,
                                                      scale_grad_by_freq)))


def embedding_bag(indices, weight, per_sample_weights, g, *, bag_list, mode, padding_idx) -> Expected:
    """``embedding_bag`` with VJPs (weight, per_sample_weights)."""
    value, d_weight, d_psw = emb_ref.embedding_bag(weight, bag_list, mode, per_sample_weights, None, padding_idx)
    absolute = emb_ref.embedding_bag(np.abs(weight), bag_list, mode,
                                     None if per_sample_weights is None else np.abs(per_sample_weights), None,
                                     padding_idx)
    scale = value if mode == "max" else absolute[0]
    grads = (None, d_weight(g)) + (() if per_sample_weights is None else (d_psw(g),))
    scales = (None, (d_weight if mode == "max" else absolute[1])(np.abs(g))) + (
        () if per_sample_weights is None else (absolute[2](np.abs(g)),))
    return Expected(value, grads, None if mode == "max" else scale, scales)


# --------------------------------------------------------------------------- attention


def scaled_dot_product_attention(q, k, v, g, *, mask, is_causal, scale) -> Expected:
    """``scaled_dot_product_attention`` with VJPs (q, k, v); ``mask`` is bool
    or float (not differentiated) or ``None``. Value terms: ``P`` widened by
    the logits' size (the softmax's rounding, as in :func:`softmax`) times
    ``|v|``; VJP terms from :func:`~torchconform.references.attention.attention_backward`."""
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    additive = att_ref.bias(q.shape[-2], k.shape[-2], mask, is_causal)
    out, p = att_ref.attention(q, k, v, additive, scale)
    logits = np.abs(q) @ np.swapaxes(np.abs(k), -1, -2) * abs(scale)
    size = p * (1 + logits + np.where(np.isfinite(additive), np.abs(additive), 0))
    return Expected(out, att_ref.attention_backward(g, q, k, v, p, scale), size @ np.abs(v),
                    att_ref.attention_backward(g, q, k, v, p, scale, terms=True))


def multihead_self_attention(x, in_w, in_b, out_w, out_b, g, *, heads) -> Expected:
    """Batch-first self-attention through ``nn.MultiheadAttention``'s
    parameters with VJPs (x, in_proj_weight, in_proj_bias, out_proj.weight,
    out_proj.bias) and the sizes of their terms."""
    out, backward = att_ref.multihead_self_attention(x, in_w, in_b, out_w, out_b, heads)
    abs_out, _ = att_ref.multihead_self_attention(np.abs(x), np.abs(in_w), np.abs(in_b), np.abs(out_w),
                                                  np.abs(out_b), heads)
    logit_size = 1 + ((np.abs(x) @ np.abs(in_w).T + np.abs(in_b)) ** 2).max()
    return Expected(out, backward(g), abs_out * logit_size, backward(g, terms=True))


# --------------------------------------------------------------------------- interpolation


def interpolate(x, g, *, matrices, term_matrices) -> Expected:
    """``interpolate`` as one weight matrix per spatial dimension
    (:func:`torchconform.references.interpolate.matrix`) with its VJP; scales
    from ``term_matrices``, the size of each weight's rounding terms
    (``matrix(..., terms=True)``: at least ``|w|``, more where a weight is
    computed near zero from larger terms)."""
    return Expected(interp_ref.apply(x, matrices), (interp_ref.apply(g, matrices, transpose=True),),
                    interp_ref.apply(np.abs(x), term_matrices),
                    (interp_ref.apply(np.abs(g), term_matrices, transpose=True),))


# --------------------------------------------------------------------------- recurrent layers


def recurrent_cell(kind, x, state, w_ih, w_hh, b_ih, b_hh, g, *, nonlinearity="tanh") -> Expected:
    """One ``RNNCell``/``LSTMCell``/``GRUCell`` step from a given state with
    VJPs (x, h[, c], w_ih, w_hh, b_ih, b_hh); for the LSTM the output and
    ``g`` are ``h`` and ``c`` concatenated on the last axis. The value's
    terms: the pre-activations' absolute terms (bounded activations)."""
    new, back = rec_ref.step(kind, x, state, w_ih, w_hh, b_ih, b_hh, nonlinearity)
    hidden = w_hh.shape[1]
    dstate = (g[..., :hidden], g[..., hidden:]) if kind == "lstm" else g
    grads, terms = back(dstate), back(dstate, terms=True)
    h = state[0] if kind == "lstm" else state
    pre = np.abs(x) @ np.abs(w_ih).T + np.abs(b_ih) + np.abs(h) @ np.abs(w_hh).T + np.abs(b_hh)
    value = np.concatenate(new, axis=-1) if kind == "lstm" else new
    scale = np.full(value.shape, 1 + pre.max())

    def flat(vjps):
        dx, dstate_prev, *params = vjps
        states = tuple(dstate_prev) if kind == "lstm" else (dstate_prev,)
        return (dx, *states, *params)
    return Expected(value, flat(grads), scale, flat(terms))


def recurrent_network(kind, x, params: dict, g, *, layers, bidirectional, batch_first, nonlinearity="tanh") -> Expected:
    """``nn.RNN``/``LSTM``/``GRU`` from zero states; the checked output is
    (output, h_n[, c_n]) flattened and concatenated, with VJPs (x, every
    parameter in ``params``' order)."""
    seq = np.swapaxes(x, 0, 1) if batch_first else x
    out, h_n, c_n, back = rec_ref.network(kind, seq, params, layers, bidirectional, nonlinearity)
    out_b = np.swapaxes(out, 0, 1) if batch_first else out
    parts = [out_b, h_n] + ([c_n] if kind == "lstm" else [])
    sizes = np.cumsum([p.size for p in parts])[:-1]
    pieces = np.split(g, sizes)
    d_out = pieces[0].reshape(out_b.shape)
    d_out = np.swapaxes(d_out, 0, 1) if batch_first else d_out
    d_h = pieces[1].reshape(h_n.shape)
    d_c = pieces[2].reshape(c_n.shape) if kind == "lstm" else None

    def vjps(terms):
        dx, grads = back(d_out, d_h, d_c, terms)
        dx = np.swapaxes(dx, 0, 1) if batch_first else dx
        return (dx, *(grads[k] for k in params))
    steps = x.shape[1] if batch_first else x.shape[0]
    biggest = max(np.abs(v).sum(axis=-1).max() for v in params.values()) + np.abs(x).max()
    return Expected(np.concatenate([p.reshape(-1) for p in parts]), vjps(False),
                    np.full(int(sum(p.size for p in parts)), steps * layers * (1 + biggest)), vjps(True))


def packed_recurrent_network(kind, x, lengths, params: dict, g, *, layers, bidirectional,
                             nonlinearity="tanh") -> Expected:
    """``nn.RNN``/``LSTM``/``GRU`` run on a ``PackedSequence`` of the
    sequence-first ``x`` (T, N, I) with the valid ``lengths`` (N ints in 1..T),
    unpacked by ``pad_packed_sequence(total_length=T)``: each sequence is run
    alone over its own length (the backward direction starting at its last
    valid step), its outputs beyond that length are 0, and ``h_n``/``c_n``
    are its states after its own last step (``torch.nn.utils.rnn`` docs).
    The checked output and VJPs are laid out as :func:`recurrent_network`'s
    (``batch_first`` False)."""
    t_len, n = x.shape[:2]
    runs = [rec_ref.network(kind, x[:length, b:b + 1], params, layers, bidirectional, nonlinearity)
            for b, length in enumerate(lengths)]
    out = np.zeros((t_len, n, runs[0][0].shape[-1]))
    for b, (o, *_) in enumerate(runs):
        out[:lengths[b], b] = o[:, 0]
    h_n = np.concatenate([r[1] for r in runs], axis=1)
    parts = [out, h_n] + ([np.concatenate([r[2] for r in runs], axis=1)] if kind == "lstm" else [])
    pieces = np.split(g, np.cumsum([p.size for p in parts])[:-1])
    d_out, d_h = pieces[0].reshape(out.shape), pieces[1].reshape(h_n.shape)
    d_c = pieces[2].reshape(h_n.shape) if kind == "lstm" else None

    def vjps(terms):
        dx, grads = np.zeros(x.shape), {k: np.zeros(v.shape) for k, v in params.items()}
        for b, (length, (*_, back)) in enumerate(zip(lengths, runs)):
            dx_b, grads_b = back(d_out[:length, b:b + 1], d_h[:, b:b + 1],
                                 None if d_c is None else d_c[:, b:b + 1], terms)
            dx[:length, b] = dx_b[:, 0]
            for k in grads:
                grads[k] += grads_b[k]
        return (dx, *(grads[k] for k in params))
    biggest = max(np.abs(v).sum(axis=-1).max() for v in params.values()) + np.abs(x).max()
    size = int(sum(p.size for p in parts))
    return Expected(np.concatenate([p.reshape(-1) for p in parts]), vjps(False),
                    np.full(size, t_len * layers * (1 + biggest)), vjps(True))
