"""NumPy references for ``torch.nn.functional.scaled_dot_product_attention``
(boolean and additive masks, ``is_causal``, ``scale``, ``dropout_p=0``) and
self-attention through ``torch.nn.MultiheadAttention``, values and VJPs.

Attention is ``softmax(q k^T scale + bias) v`` with ``scale = 1/sqrt(E)`` by
default, ``bias`` ``-inf`` where a boolean mask is False, the mask itself
when it is a float, and ``-inf`` above the diagonal under ``is_causal``
(the function's documentation gives this reference implementation). The
VJPs are the chain rule through the product, the (stable, max-shifted)
softmax and the two matrix products: ``dV = P^T g``, ``dS = P (g V^T - sum(P
g V^T))``, ``dQ = dS K scale``, ``dK = dS^T Q scale``.

``MultiheadAttention`` projects the input by ``in_proj_weight`` (the three
projections stacked), splits ``embed_dim`` into ``num_heads`` heads of
``embed_dim / num_heads``, attends per head and projects back by
``out_proj`` (``torch.nn.MultiheadAttention``'s documentation, Vaswani et
al. 2017, section 3.2.2).

Pure NumPy: nothing here imports torch.
"""

from __future__ import annotations

import numpy as np


def _softmax(s):
    shifted = s - s.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def bias(l: int, s: int, mask, is_causal: bool) -> np.ndarray:
    """The additive bias (..., L, S) of a mask (bool: True attends) and causality."""
    out = np.zeros((l, s))
    if is_causal:
        out = np.where(np.tril(np.ones((l, s), bool)), 0.0, -np.inf)
    if mask is not None:
        out = out + (np.where(mask, 0.0, -np.inf) if mask.dtype == bool else mask)
    return out


def attention(q, k, v, additive, scale):
    """(output (..., L, Ev), probabilities P (..., L, S))."""
    p = _softmax(q @ np.swapaxes(k, -1, -2) * scale + additive)
    return p @ v, p


def attention_backward(g, q, k, v, p, scale, terms: bool = False):
    """VJPs (dq, dk, dv) of :func:`attention` for the cotangent ``g``; with
    ``terms``, the size of their terms instead: every product on absolute
    values, the softmax's subtraction as a sum, and ``dS`` widened by ``1 +
    |logits|`` (the relative error of ``P`` after rounding the logits)."""
    t = np.swapaxes
    if terms:
        g, q, k, v, scale = np.abs(g), np.abs(q), np.abs(k), np.abs(v), abs(scale)
    dv = t(p, -1, -2) @ g
    dp = g @ t(v, -1, -2)
    if terms:
        ds = p * (dp + (dp * p).sum(axis=-1, keepdims=True)) * (1 + q @ t(k, -1, -2) * scale)
        dv = dv + t(p * (q @ t(k, -1, -2) * scale), -1, -2) @ g
    else:
        ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))
    return ds @ k * scale, t(ds, -1, -2) @ q * scale, dv


def multihead_self_attention(x, in_w, in_b, out_w, out_b, heads: int):
    """Output (N, L, E) of self-attention of batch-first ``x`` (N, L, E) and
    ``backward(g, terms=False)`` giving the VJPs (x, in_w, in_b, out_w,
    out_b) for a cotangent, or with ``terms`` the size of their terms."""
    n, l, e = x.shape
    hd = e // heads
    proj = x @ in_w.T + in_b  # N L 3E
    q, k, v = (proj[..., i * e:(i + 1) * e].reshape(n, l, heads, hd).transpose(0, 2, 1, 3) for i in range(3))
    scale = 1 / np.sqrt(hd)
    o, p = attention(q, k, v, 0.0, scale)
    merged = o.transpose(0, 2, 1, 3).reshape(n, l, e)
    out = merged @ out_w.T + out_b

    def backward(g, terms=False):
        a = np.abs if terms else (lambda z: z)
        mrg = np.abs(p) @ np.abs(v) if terms else None
        mrg = mrg.transpose(0, 2, 1, 3).reshape(n, l, e) if terms else merged
        d_out_w = a(g).reshape(-1, e).T @ mrg.reshape(-1, e)
        d_out_b = a(g).reshape(-1, e).sum(0)
        d_merged = a(g) @ a(out_w)
        d_o = d_merged.reshape(n, l, heads, hd).transpose(0, 2, 1, 3)
        dq, dk, dv = attention_backward(d_o, q, k, v, p, scale, terms)
        d_proj = np.concatenate([d.transpose(0, 2, 1, 3).reshape(n, l, e) for d in (dq, dk, dv)], axis=-1)
        d_in_w = d_proj.reshape(-1, 3 * e).T @ a(x).reshape(-1, e)
        return d_proj @ a(in_w), d_in_w, d_proj.reshape(-1, 3 * e).sum(0), d_out_w, d_out_b

    return out, backward
