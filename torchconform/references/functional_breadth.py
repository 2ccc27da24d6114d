"""NumPy references for the remaining torch.nn.functional functions:
``softsign``, ``tanhshrink``, ``softmin``, ``glu``, ``prelu``, ``rrelu`` (eval
mode), ``bilinear``, ``channel_shuffle``, ``conv_tbc``, ``alpha_dropout``'s
affine map, the intervals of ``fractional_max_pool`` and ``ctc_loss``.

Formulas, from each function's ``torch.nn`` documentation page unless noted:

* ``softsign(x) = x / (1 + |x|)``; ``tanhshrink(x) = x - tanh(x)``;
  ``softmin(x) = softmax(-x)``; ``glu(a | b) = a sigmoid(b)`` (halves along ``dim``);
  ``prelu(x) = max(0, x) + w min(0, x)`` (``w`` per channel, dimension 1);
  ``rrelu`` in eval mode is ``leaky_relu`` with slope ``(lower + upper) / 2``.
* ``bilinear``: ``y_o = x1^T W_o x2 + b_o``.
* ``channel_shuffle``: channels viewed as ``(groups, C / groups)``, transposed.
* ``conv_tbc``: a 1-d convolution over time of ``(T, B, C_in)`` inputs with
  ``(K, C_in, C_out)`` weights, zero-padded by ``pad`` at both ends (ATen's
  ``conv_tbc``: ``y[t, b, o] = sum_k x[t + k - pad, b, :] W[k, :, o] + bias[o]``).
* ``alpha_dropout``: with ``alpha' = 1.7580993408473766`` (SELU's
  ``scale * alpha``), ``a = ((1 - p)(1 + p alpha'^2))^(-1/2)`` and
  ``b = a alpha' p``, a kept element becomes ``a x + b``, a dropped one
  ``a (-alpha') + b`` (``torch.nn.AlphaDropout``, from Klambauer et al., 2017,
  "Self-Normalizing Neural Networks", section "New Dropout Technique").
* ``fractional_max_pool``: the window starts along one dimension are
  ``floor((i + u) alpha) - floor(u alpha)`` for ``i < out - 1`` and
  ``in - k`` for the last, with ``alpha = (in - k) / (out - 1)`` and the drawn
  sample ``u`` in ``[0, 1)`` (Graham, 2014, "Fractional Max-Pooling",
  pseudorandom sequences; ATen's ``generate_intervals``, which computes in the
  input's floating dtype, as :func:`fractional_starts` does).
* ``ctc_loss``: ``-log p(target | input)`` by the forward (alpha) recursion
  of Graves et al., 2006, "Connectionist Temporal Classification", eq. 6-8,
  in log space over the target with blanks interleaved.

Pure NumPy: nothing here imports torch.
"""

from __future__ import annotations

import numpy as np

#: SELU's scale times alpha: the value a SELU network saturates to is -ALPHA_PRIME.
ALPHA_PRIME = 1.7580993408473766


def _expit(z):
    return np.exp(-np.logaddexp(0, -z))


def softsign(x):
    """(value, derivative) of ``x / (1 + |x|)``, float64 of ``x``'s shape."""
    return x / (1 + np.abs(x)), 1 / (1 + np.abs(x)) ** 2


def tanhshrink(x):
    """(value, derivative, size of the value's terms) of ``x - tanh(x)``:
    the subtraction cancels near 0, so its terms are ``|x| + |tanh x|``."""
    t = np.tanh(x)
    return x - t, t * t, np.abs(x) + np.abs(t)


def softmin(x, axis):
    """``softmax(-x)`` along ``axis``, computed with the max shift."""
    z = -x - (-x).max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def glu(x, axis):
    """(value, d value / d a, d value / d b) of ``a sigmoid(b)`` for the two
    halves ``a``, ``b`` of ``x`` along ``axis`` (its length must be even)."""
    a, b = np.split(x, 2, axis=axis)
    s = _expit(b)
    return a * s, s, a * s * _expit(-b)


def prelu(x, weight):
    """(value, d/dx, d/dweight elementwise) of ``max(0, x) + w min(0, x)``;
    ``weight`` has one entry or one per channel (dimension 1 of ``x``; an
    ``x`` of fewer dimensions has one channel)."""
    shape = [1] * x.ndim
    if weight.size > 1:
        shape[1] = weight.size
    w = weight.reshape(shape)
    negative = x < 0
    return np.where(negative, w * x, x), np.where(negative, w, 1.0) + 0 * x, np.where(negative, x, 0.0)


def leaky(x, slope):
    """(value, derivative) of ``x`` for ``x >= 0``, ``slope x`` below: rrelu in eval mode."""
    return np.where(x >= 0, x, slope * x), np.where(x >= 0, 1.0, slope)


def bilinear(x1, x2, weight, bias):
    """(value, size of its terms) of ``x1^T W_o x2 + b_o``: ``x1`` (..., I),
    ``x2`` (..., J), ``weight`` (O, I, J), ``bias`` (O,) or ``None``; value (..., O)."""
    value = np.einsum("...i,oij,...j->...o", x1, weight, x2)
    terms = np.einsum("...i,oij,...j->...o", np.abs(x1), np.abs(weight), np.abs(x2))
    if bias is not None:
        value, terms = value + bias, terms + np.abs(bias)
    return value, terms


def channel_shuffle(x, groups: int):
    """``x`` (N, C, ...) with its channels viewed as (groups, C / groups) and transposed."""
    n, c = x.shape[:2]
    return x.reshape(n, groups, c // groups, *x.shape[2:]).swapaxes(1, 2).reshape(x.shape)


def conv_tbc(x, weight, bias, pad: int):
    """(value, size of its terms) of ATen's ``conv_tbc``: ``x`` (T, B, C_in),
    ``weight`` (K, C_in, C_out), ``bias`` (C_out,); value (T + 2 pad - K + 1, B, C_out)."""
    k = weight.shape[0]
    xp = np.pad(x, ((pad, pad), (0, 0), (0, 0)))
    steps = xp.shape[0] - k + 1
    value = bias + sum(np.einsum("tbc,co->tbo", xp[j:j + steps], weight[j]) for j in range(k))
    terms = np.abs(bias) + sum(np.einsum("tbc,co->tbo", np.abs(xp[j:j + steps]), np.abs(weight[j]))
                               for j in range(k))
    return value, terms


def conv_tbc_vjp(g, x, weight, pad: int):
    """VJPs (d x, d weight, d bias) of :func:`conv_tbc` for the cotangent
    ``g`` (T_out, B, C_out): each tap ``k`` is a matrix product of the
    shifted, padded input with ``weight[k]``."""
    k = weight.shape[0]
    steps = g.shape[0]
    gxp = np.zeros((x.shape[0] + 2 * pad,) + x.shape[1:])
    xp = np.pad(x, ((pad, pad), (0, 0), (0, 0)))
    gw = np.empty(weight.shape)
    for j in range(k):
        gxp[j:j + steps] += np.einsum("tbo,co->tbc", g, weight[j])
        gw[j] = np.einsum("tbc,tbo->co", xp[j:j + steps], g)
    return gxp[pad:pad + x.shape[0]], gw, g.sum(axis=(0, 1))


def alpha_dropout(x, kept, p: float):
    """``alpha_dropout``'s output for the keep mask ``kept`` (bool, broadcast
    to ``x``; per element or per channel) at drop probability ``p``."""
    a = 1 / np.sqrt((1 - p) * (1 + p * ALPHA_PRIME**2))
    b = a * ALPHA_PRIME * p
    return np.where(kept, a * x + b, -a * ALPHA_PRIME + b)


def fractional_starts(sample, size: int, out: int, kernel: int, dtype=np.float64) -> np.ndarray:
    """Window starts (int64, ``out`` of them) of a fractional max pooling
    along one dimension of length ``size`` for the sample ``u`` in [0, 1),
    computed in ``dtype`` (the input's)."""
    starts = np.empty(out, dtype=np.int64)
    if out > 1:
        u = dtype(sample)
        alpha = dtype(size - kernel) / dtype(out - 1)
        for i in range(out - 1):
            starts[i] = int(dtype(dtype(i) + u) * alpha) - int(dtype(u * alpha))
    starts[out - 1] = size - kernel
    return starts


def fractional_max_pool(x, samples, kernel, out, dtype=np.float64):
    """(value, in-plane argmax) of a fractional max pooling of (N, C, *spatial)
    ``x`` with ``samples`` (N, C, dims) in [0, 1), ``kernel`` and ``out``
    per spatial dimension. ATen reads the samples in reverse dimension order
    for 2-d (sample 0 is the width's) and in order for 3-d."""
    n, c = x.shape[:2]
    spatial = x.shape[2:]
    dims = len(spatial)
    order = list(reversed(range(dims))) if dims == 2 else list(range(dims))
    value = np.empty((n, c, *out))
    argmax = np.empty((n, c, *out), dtype=np.int64)
    for i in range(n):
        for j in range(c):
            starts = [None] * dims
            for d, s in zip(range(dims), order):
                starts[d] = fractional_starts(samples[i, j, s], spatial[d], out[d], kernel[d], dtype)
            for pos in np.ndindex(*out):
                window = tuple(slice(starts[d][pos[d]], starts[d][pos[d]] + kernel[d]) for d in range(dims))
                block = x[i, j][window]
                best = np.unravel_index(int(np.argmax(block)), block.shape)
                value[(i, j, *pos)] = block[best]
                argmax[(i, j, *pos)] = np.ravel_multi_index(
                    tuple(starts[d][pos[d]] + best[d] for d in range(dims)), spatial)
    return value, argmax


def ctc_nll(log_probs, target, blank: int = 0) -> float:
    """``-log p(target | input)`` for one sample: ``log_probs`` (T, C) float64
    log-probabilities over the input length, ``target`` (S,) class indices
    without blanks. ``inf`` where no alignment fits in T steps."""
    labels = np.full(2 * len(target) + 1, blank, dtype=np.int64)
    labels[1::2] = target
    length = len(labels)
    alpha = np.full(length, -np.inf)
    alpha[0] = log_probs[0, blank]
    if length > 1:
        alpha[1] = log_probs[0, labels[1]]
    # s - 2 is reachable for a label that differs from the label two back (no repeat, not a blank)
    skip = np.zeros(length, bool)
    skip[2:] = (labels[2:] != blank) & (labels[2:] != labels[:-2])
    for t in range(1, log_probs.shape[0]):
        step, jump = np.full(length, -np.inf), np.full(length, -np.inf)
        step[1:] = alpha[:-1]
        jump[2:] = alpha[:-2]
        alpha = np.logaddexp(np.logaddexp(alpha, step), np.where(skip, jump, -np.inf)) + log_probs[t, labels]
    return -np.logaddexp(alpha[-1], alpha[-2] if length > 1 else -np.inf)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, reduction: str = "mean",
             zero_infinity: bool = False, blank: int = 0):
    """``ctc_loss`` of (T, N, C) ``log_probs`` against padded (N, S)
    ``targets``: the per-sample losses (``reduction="none"``), their sum, or
    the mean over the batch of each loss divided by its target length
    (clamped to at least 1), as ``torch.nn.CTCLoss`` documents. Infinite
    losses become 0 under ``zero_infinity``."""
    losses = np.array([ctc_nll(log_probs[:input_lengths[i], i], targets[i, :target_lengths[i]], blank)
                       for i in range(log_probs.shape[1])])
    if zero_infinity:
        losses = np.where(np.isinf(losses), 0.0, losses)
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return (losses / np.maximum(np.asarray(target_lengths), 1)).mean()
