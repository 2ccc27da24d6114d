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

from torchconform.references import nn as ref


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
