"""The torch-namespace entry points of torch.nn.functional's functions
(``torch.batch_norm``, ``torch.layer_norm``, ``torch.convolution``,
``torch.kl_div``, ``torch.max_pool2d``, ``torch.native_layer_norm`` ...)
against the same NumPy references as their ``torch.nn.functional``
wrappers (issue 14, item 1).

These take positional options where the wrappers take keywords (an integer
``reduction``: 0 none, 1 mean, 2 sum, ATen's ``at::Reduction``; pooling
modes as integers; cuDNN flags), so a wrapper's argument handling and the
entry point's own are different code paths. Values only: the gradients are
those of the wrappers' kernels, checked in the wrappers' modules.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from torchconform import dtypes, oracle
from torchconform.nncheck import rounded
from torchconform.references import (activations as act, embedding as emb_ref, functional_breadth as fb,
                                     grid as grid_ref, losses as L, nn as ref, nn_expected as expected,
                                     pool as pool_ref)

pytestmark = [pytest.mark.area("nn"), pytest.mark.usefixtures("one_thread")]

DTYPES = [torch.float32, torch.float64]
REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


class Inputs:
    """Draws float64 arrays rounded to ``dtype`` and the tensors holding them."""

    def __init__(self, seed: int, dtype: torch.dtype, device: str):
        self.rng, self.dtype, self.device = np.random.default_rng(seed), dtype, device

    def normal(self, *shape, scale=1.0):
        a = rounded(scale * self.rng.standard_normal(shape), self.dtype)
        return a, torch.tensor(a, dtype=self.dtype, device=self.device)

    def tensor(self, a, dtype=None):
        return torch.tensor(a, dtype=dtype or self.dtype, device=self.device)


def _reduced(terms: L.Terms, reduction: int):
    want = expected.reduced_loss(terms, np.ones(()), REDUCTIONS[reduction])
    return want.value, want.scale


# Each row: inputs -> (torch result, NumPy value, scale of its terms or None, policy factor)


def _batch_norm(i: Inputs, native: bool):
    x, tx = i.normal(3, 2, 2, scale=2)
    (w, tw), (b, tb) = i.normal(2), i.normal(2)
    rm, rv = rounded(i.rng.standard_normal(2), i.dtype), rounded(i.rng.uniform(0.5, 2, 2), i.dtype)
    training = bool(i.rng.integers(2))
    trm, trv = i.tensor(rm), i.tensor(rv)
    if native:
        out = torch.native_batch_norm(tx, tw, tb, trm, trv, training, 0.1, 1e-5)[0]
    else:
        out = torch.batch_norm(tx, tw, tb, trm, trv, training, 0.1, 1e-5, False)
    if training:
        want = expected.batch_norm_train(x, w, b, np.zeros(x.shape), rm, rv, 0.1, 1e-5)[0]
        return out, want.value, want.scale, "var"
    want = expected.batch_norm_eval(x, w, b, np.zeros(x.shape), rm, rv, 1e-5)
    return out, want.value, want.scale, "var"


def _layer_norm(i: Inputs, native: bool):
    x, tx = i.normal(2, 3, 4, scale=3)
    (w, tw), (b, tb) = i.normal(3, 4), i.normal(3, 4)
    out = torch.native_layer_norm(tx, [3, 4], tw, tb, 1e-5)[0] if native else torch.layer_norm(tx, [3, 4], tw, tb)
    want = expected.layer_norm(x, w, b, np.zeros(x.shape), ndims=2, eps=1e-5)
    return out, want.value, want.scale, "var"


def _group_norm(i: Inputs, native: bool):
    x, tx = i.normal(2, 4, 3, scale=3)
    (w, tw), (b, tb) = i.normal(4), i.normal(4)
    out = torch.native_group_norm(tx, tw, tb, 2, 4, 3, 2, 1e-5)[0] if native else torch.group_norm(tx, 2, tw, tb)
    want = expected.group_norm(x, w, b, np.zeros(x.shape), groups=2, eps=1e-5)
    return out, want.value, want.scale, "var"


def _instance_norm(i: Inputs):
    # instance norm with input statistics is group norm with one channel per group
    x, tx = i.normal(2, 3, 4, scale=3)
    (w, tw), (b, tb) = i.normal(3), i.normal(3)
    out = torch.instance_norm(tx, tw, tb, None, None, True, 0.1, 1e-5, False)
    want = expected.group_norm(x, w, b, np.zeros(x.shape), groups=3, eps=1e-5)
    return out, want.value, want.scale, "var"


def _rms_norm(i: Inputs):
    x, tx = i.normal(2, 3, 4, scale=3)
    w, tw = i.normal(4)
    want = expected.rms_norm(x, w, np.zeros(x.shape), ndims=1, eps=1e-6)
    return torch.rms_norm(tx, [4], tw, 1e-6), want.value, want.scale, "var"


def _embedding(i: Inputs):
    w, tw = i.normal(5, 3)
    idx = i.rng.integers(0, 5, (2, 4))
    return torch.embedding(tw, i.tensor(idx, torch.int64)), w[idx], None, None


def _embedding_bag(i: Inputs):
    w, tw = i.normal(6, 3)
    idx, offsets = i.rng.integers(0, 6, 7), np.array([0, 2, 2, 5])
    mode = int(i.rng.integers(3))  # 0 sum, 1 mean, 2 max
    out = torch.embedding_bag(tw, i.tensor(idx, torch.int64), i.tensor(offsets, torch.int64), False, mode)[0]
    value = emb_ref.embedding_bag(w, emb_ref.bags(idx, offsets, False), ("sum", "mean", "max")[mode], None, offsets,
                                  None)[0]
    return out, value, emb_ref.embedding_bag(np.abs(w), emb_ref.bags(idx, offsets, False), "sum", None, offsets,
                                             None)[0], "sum"


def _loss(make_terms: Callable, torch_call: Callable, shapes, targets=None):
    def row(i: Inputs):
        reduction = int(i.rng.integers(3))
        arrays = [i.normal(*s) for s in shapes]
        extra = targets(i) if targets else []
        terms = make_terms(*[a for a, _ in arrays], *[a for a, _ in extra])
        value, scale = _reduced(terms, reduction)
        return torch_call(*[t for _, t in arrays], *[t for _, t in extra], reduction), value, scale, "sum"
    return row


def _signs(i: Inputs, n=4):
    y = rounded(np.where(i.rng.integers(2, size=n) == 1, 1.0, -1.0), i.dtype)
    return [(y, i.tensor(y))]


def _counts(i: Inputs):
    y = rounded(i.rng.poisson(2.0, (3, 2)).astype(np.float64), i.dtype)
    return [(y, i.tensor(y))]


def _kl_target(i: Inputs):
    y = rounded(i.rng.uniform(0.1, 1, (3, 2)), i.dtype)
    return [(y, i.tensor(y))]


def _bce_target(i: Inputs):
    y = rounded(i.rng.uniform(0, 1, (3, 2)), i.dtype)
    return [(y, i.tensor(y))]


def _bce_terms(x, y):
    value, scale = act.bce_with_logits(x, y, 1.0)
    return L.Terms(value[0], scale[0], ())


def _constant_pad_nd(i: Inputs):
    x, tx = i.normal(2, 3)
    return torch.constant_pad_nd(tx, [1, 2, 0, 1], 1.5), np.pad(x, ((0, 1), (1, 2)), constant_values=1.5), None, None


def _convolution(i: Inputs):
    (x, tx), (w, tw), (b, tb) = i.normal(1, 2, 5, 4), i.normal(3, 2, 2, 2), i.normal(3)
    out = torch.convolution(tx, tw, tb, [2, 1], [1, 0], [1, 1], False, [0, 0], 1)
    value = ref.conv2d(x, w, b, stride=(2, 1), padding=(1, 0))
    return out, value, ref.conv2d(np.abs(x), np.abs(w), np.abs(b), stride=(2, 1), padding=(1, 0)), "matmul"


def _max_pool(k: int):
    def row(i: Inputs):
        x, tx = i.normal(1, 2, *([5] * k))
        windows, out_shape = pool_ref.combine(x.shape[2:], [pool_ref.sliding_windows(5, 2, 2, 1, 1, True)] * k)
        out = getattr(torch, f"max_pool{k}d")(tx, [2] * k, [2] * k, [1] * k, [1] * k, True)
        return out, pool_ref.max_pool(x, windows, out_shape)[0], None, None
    return row


def _adaptive_max_pool1d(i: Inputs):
    x, tx = i.normal(2, 2, 7)
    windows, out_shape = pool_ref.combine((7,), [pool_ref.adaptive_windows(7, 3)])
    value, argmax = pool_ref.max_pool(x, windows, out_shape)
    out, indices = torch.adaptive_max_pool1d(tx, [3])
    oracle.assert_matches(indices, argmax, torch.int64, what="torch.adaptive_max_pool1d indices")
    return out, value, None, None


def _elementwise(torch_call, reference):
    def row(i: Inputs):
        x, tx = i.normal(3, 4, scale=2)
        return torch_call(tx), reference(x), None, None
    return row


def _prelu(i: Inputs):
    (x, tx), (w, tw) = i.normal(2, 3, 2), i.normal(3)
    return torch.prelu(tx, tw), fb.prelu(x, w)[0], None, None


def _dropout(name: str, per_channel: bool, alpha: bool):
    def row(i: Inputs):
        x = rounded(i.rng.uniform(1, 2, (20, 10, 3)), i.dtype)
        tx = i.tensor(x)
        oracle.assert_matches(getattr(torch, name)(tx, 0.5, False), x, i.dtype, what=f"torch.{name}(train=False)")
        out = getattr(torch, name)(tx, 0.3, True)
        y = dtypes.tensor_to_numpy(out).astype(np.float64)
        if alpha:
            kept = np.abs(y - fb.alpha_dropout(x, True, 0.3)) < np.abs(y - fb.alpha_dropout(x, False, 0.3))
        else:
            kept = y != 0
        if per_channel:
            kept = kept.any(-1, keepdims=True)
        want = fb.alpha_dropout(x, kept, 0.3) if alpha else x * kept / 0.7
        return out, want, np.abs(want) + 1, None
    return row


def _grid_sampler(i: Inputs):
    # bilinear only: nearest's ties at half pixels are test_nn_grid's subject, with grids kept off them
    x, tx = i.normal(1, 2, 3, 4)
    grid, tgrid = i.normal(1, 2, 3, 2, scale=0.8)
    padding, align = int(i.rng.integers(3)), bool(i.rng.integers(2))  # zeros/border/reflection
    weights = grid_ref.sample_weights(grid, 3, 4, "bilinear", ("zeros", "border", "reflection")[padding], align)
    out = torch.grid_sampler(tx, tgrid, 0, padding, align)
    # weights from pixel coordinates up to h + w, rounded in the dtype (as test_nn_grid)
    scale = grid_ref.grid_sample(np.abs(x), (weights != 0).astype(np.float64)) * (1 + 3 + 4)
    return out, grid_ref.grid_sample(x, weights), scale, "sum"


ROWS: dict[str, Callable] = {
    "batch_norm": lambda i: _batch_norm(i, False),
    "native_batch_norm": lambda i: _batch_norm(i, True),
    "layer_norm": lambda i: _layer_norm(i, False),
    "native_layer_norm": lambda i: _layer_norm(i, True),
    "group_norm": lambda i: _group_norm(i, False),
    "native_group_norm": lambda i: _group_norm(i, True),
    "instance_norm": _instance_norm,
    "rms_norm": _rms_norm,
    "embedding": _embedding,
    "embedding_bag": _embedding_bag,
    "kl_div": _loss(lambda x, y: L.kl_div(x, y, False), lambda x, y, r: torch.kl_div(x, y, r, log_target=False),
                    [(3, 2)], _kl_target),
    "margin_ranking_loss": _loss(lambda a, b, y: L.margin_ranking(a, b, y, 0.5),
                                 lambda a, b, y, r: torch.margin_ranking_loss(a, b, y, 0.5, r), [(4,), (4,)], _signs),
    "cosine_embedding_loss": _loss(lambda a, b, y: L.cosine_embedding(a, b, y, 0.2),
                                   lambda a, b, y, r: torch.cosine_embedding_loss(a, b, y, 0.2, r), [(4, 3), (4, 3)],
                                   _signs),
    "hinge_embedding_loss": _loss(lambda x, y: L.hinge_embedding(x, y, 1.0),
                                  lambda x, y, r: torch.hinge_embedding_loss(x, y, 1.0, r), [(4,)], _signs),
    "poisson_nll_loss": _loss(lambda x, y: L.poisson_nll(x, y, True, True),
                              lambda x, y, r: torch.poisson_nll_loss(x, y, True, True, 1e-8, r), [(3, 2)], _counts),
    "triplet_margin_loss": _loss(lambda a, p, n: L.triplet_margin(a, p, n, 1.0, 2.0, 1e-6, True),
                                 lambda a, p, n, r: torch.triplet_margin_loss(a, p, n, 1.0, 2.0, 1e-6, True, r),
                                 [(3, 4)] * 3),
    "binary_cross_entropy_with_logits": _loss(
        _bce_terms, lambda x, y, r: torch.binary_cross_entropy_with_logits(x, y, None, None, r), [(3, 2)], _bce_target),
    "constant_pad_nd": _constant_pad_nd,
    "convolution": _convolution,
    "max_pool1d": _max_pool(1),
    "max_pool2d": _max_pool(2),
    "max_pool3d": _max_pool(3),
    "adaptive_max_pool1d": _adaptive_max_pool1d,
    "hardshrink": _elementwise(lambda t: torch.hardshrink(t, 0.5), lambda x: act.hardshrink(x, 0.5)[0][0]),
    "celu": _elementwise(lambda t: torch.celu(t, 1.5), lambda x: act.celu(x, 1.5)[0][0]),
    "selu": _elementwise(torch.selu, lambda x: act.selu(x)[0][0]),
    "rrelu": _elementwise(lambda t: torch.rrelu(t, 0.1, 0.3, False), lambda x: fb.leaky(x, 0.2)[0]),
    "prelu": _prelu,
    "dropout": _dropout("dropout", False, False),
    "feature_dropout": _dropout("feature_dropout", True, False),
    "alpha_dropout": _dropout("alpha_dropout", False, True),
    "feature_alpha_dropout": _dropout("feature_alpha_dropout", True, True),
    "grid_sampler": _grid_sampler,
}


@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@pytest.mark.parametrize("op", [f"torch.{name}" for name in ROWS])
@given(seed=st.integers(0, 2**32 - 1))
def test_torch_entry_point_matches_numpy(op, dtype, device, seed):
    torch.manual_seed(seed % 2**31)
    out, value, scale, factor = ROWS[op.removeprefix("torch.")](Inputs(seed, dtype, device))
    oracle.assert_matches(out, value, dtype, op=factor, scale=scale, what=f"{op} (seed {seed})")
