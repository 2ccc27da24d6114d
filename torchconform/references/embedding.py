"""NumPy references for ``torch.nn.functional.embedding`` (``padding_idx``,
``max_norm``, ``scale_grad_by_freq``), ``embedding_bag`` (modes ``sum``,
``mean``, ``max``; ``per_sample_weights``; ``padding_idx``;
``include_last_offset``) and ``one_hot``.

``embedding`` reads rows of the weight; its VJP adds each cotangent row to
the row it read, none to ``padding_idx``, divided by how often the index
occurs in the input under ``scale_grad_by_freq`` (``torch.nn.Embedding``'s
documentation). ``max_norm`` first rescales, in place, every referenced row
whose ``norm_type`` norm exceeds it by ``max_norm / (norm + 1e-7)`` (ATen's
``embedding_renorm_``); the lookup and its VJP then use the rescaled rows.
A bag reduces the rows of its indices (offsets mark where each bag starts),
skipping ``padding_idx``; an empty bag gives zeros (``torch.nn.EmbeddingBag``).

Pure NumPy: nothing here imports torch.
"""

from __future__ import annotations

import numpy as np


def renorm(weight, indices, max_norm: float, norm_type: float) -> np.ndarray:
    """``weight`` with each row named in ``indices`` scaled to ``max_norm``
    when its norm exceeds it."""
    out = weight.copy()
    for row in np.unique(indices):
        n = (np.abs(out[row]) ** norm_type).sum() ** (1 / norm_type)
        if n > max_norm:
            out[row] *= max_norm / (n + 1e-7)
    return out


def embedding_backward(g, indices, num_rows: int, padding_idx, scale_grad_by_freq: bool) -> np.ndarray:
    """VJP of the lookup with respect to the weight (num_rows, D)."""
    flat, rows = g.reshape(-1, g.shape[-1]), indices.reshape(-1)
    if scale_grad_by_freq:
        counts = np.bincount(rows, minlength=num_rows)
        flat = flat / counts[rows][:, None]
    out = np.zeros((num_rows, g.shape[-1]))
    np.add.at(out, rows, flat)
    if padding_idx is not None:
        out[padding_idx] = 0
    return out


def bags(indices, offsets, include_last_offset: bool) -> list:
    """Index lists of each bag of 1-d ``indices`` split at ``offsets``."""
    ends = list(offsets[1:]) + ([] if include_last_offset else [len(indices)])
    return [indices[start:end] for start, end in zip(offsets, ends)]


def embedding_bag(weight, bag_list, mode: str, per_sample_weights, offsets, padding_idx):
    """(value (B, D), d weight for a cotangent ``g`` as a function, d
    per_sample_weights for ``g`` as a function) of ``embedding_bag``."""
    d = weight.shape[1]
    value = np.zeros((len(bag_list), d))
    picks = []  # per bag: (positions in the flat input, rows, factor per row, argmax per column)
    position = 0
    for b, rows in enumerate(bag_list):
        positions = np.arange(position, position + len(rows))
        position += len(rows)
        keep = rows != padding_idx if padding_idx is not None else np.ones(len(rows), bool)
        rows, positions = rows[keep], positions[keep]
        psw = np.ones(len(rows)) if per_sample_weights is None else per_sample_weights[positions]
        if len(rows) == 0:
            picks.append((positions, rows, psw, None))
            continue
        block = weight[rows] * psw[:, None]
        if mode == "sum":
            value[b] = block.sum(0)
        elif mode == "mean":
            value[b], psw = block.mean(0), psw / len(rows)
        else:
            arg = block.argmax(0)
            value[b] = block[arg, np.arange(d)]
            picks.append((positions, rows, psw, arg))
            continue
        picks.append((positions, rows, psw, None))

    def d_weight(g):
        out = np.zeros_like(weight)
        for b, (_, rows, factor, arg) in enumerate(picks):
            if arg is None:
                np.add.at(out, rows, factor[:, None] * g[b])
            else:
                np.add.at(out, (rows[arg], np.arange(d)), g[b])
        return out

    def d_per_sample_weights(g):
        out = np.zeros(sum(len(r) for r in bag_list))
        for b, (positions, rows, _, _) in enumerate(picks):
            out[positions] = weight[rows] @ g[b]
        return out

    return value, d_weight, d_per_sample_weights


def one_hot(indices, num_classes: int) -> np.ndarray:
    """int64 array of shape ``indices.shape + (num_classes,)``."""
    return (indices[..., None] == np.arange(num_classes)).astype(np.int64)
