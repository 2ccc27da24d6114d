"""torch.nn.functional's losses of per-element terms with every option
against NumPy (issue 14, item 1): ``l1_loss``, ``smooth_l1_loss`` (``beta``
including 0), ``huber_loss`` (``delta``), ``soft_margin_loss``,
``poisson_nll_loss`` (``log_input``, ``full``), ``hinge_embedding_loss``
(``margin``), ``margin_ranking_loss`` (``margin``), ``kl_div``
(``log_target``, ``batchmean``), ``gaussian_nll_loss`` (``full``) and
``multilabel_soft_margin_loss`` (class ``weight``), ``cross_entropy`` with
class-probability targets (``weight``, ``label_smoothing``),
``multi_margin_loss`` (``p``, ``margin``, ``weight``),
``multilabel_margin_loss``, ``triplet_margin_loss`` (``p``, ``swap``) and
``cosine_embedding_loss`` (``margin``), each in every reduction;
values and VJPs with respect to every argument torch differentiates, through
the nn engine. References: :mod:`torchconform.references.losses`.

One row per loss: how its arguments are drawn, which are differentiated,
its options, the torch call and the NumPy terms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, strategies as st

from torchconform import dtypes
from torchconform.nncheck import check, rounded, run
from torchconform.references import losses as L, nn_expected as expected

pytestmark = [pytest.mark.area("nn"), pytest.mark.usefixtures("one_thread")]

DTYPES = [torch.float32, torch.float64]
REDUCTIONS = ["none", "mean", "sum"]
seeds = st.integers(0, 2**32 - 1)


def _signs(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


@dataclass(frozen=True)
class LossRow:
    """``draw(rng, shape, options)`` gives the float64 arguments;
    ``grad(options)`` which of them torch differentiates; ``options`` a
    strategy of keyword dicts (``reduction`` added by the test);
    ``torch(options, dtype, device)`` the call on tensors; ``terms(options,
    *arrays)`` the :class:`~torchconform.references.losses.Terms`."""

    draw: Callable
    grad: Callable
    options: st.SearchStrategy
    torch: Callable
    terms: Callable
    reductions: tuple = tuple(REDUCTIONS)
    matrix: bool = False  # arguments are (N, C) or (N, D) matrices


def _normal2(rng, shape, options):
    return [options.get("magnitude", 1.0) * rng.standard_normal(shape), rng.standard_normal(shape)]


def _kl_draw(rng, shape, options):
    x = rng.standard_normal(shape)
    if options["log_target"]:
        return [x, rng.standard_normal(shape)]
    y = rng.uniform(0.05, 1, shape)
    return [x, np.where(rng.random(shape) < 0.3, 0.0, y) if options["zeros"] else y]


def _probabilities(rng, shape):
    t = rng.random(shape)
    return t / t.sum(axis=-1, keepdims=True)


def _target_lists(rng, shape):
    """(N, C) class lists: a random subset per sample, then -1 (which ends the list) and filler."""
    n, c = shape
    out = np.full(shape, -1, dtype=np.int64)
    for s in range(n):
        k = rng.integers(0, c + 1)
        out[s, :k] = rng.permutation(c)[:k]
        out[s, k + 1:] = rng.integers(0, c, max(c - k - 1, 0))  # past the -1: ignored
    return out


def _class_weight(options, shape, dtype, device):
    w = _multilabel_weight(options, shape, dtype)
    return None if w is None else torch.tensor(w, dtype=dtype, device=device)


def _multilabel_weight(options, shape, dtype):
    return rounded(np.linspace(0.5, 2, shape[-1]), dtype) if options["weighted"] else None


ROWS = {
    "l1_loss": LossRow(_normal2, lambda o: (True, True), st.just({}),
                       lambda o, dt, dev: lambda x, y: F.l1_loss(x, y, reduction=o["reduction"]),
                       lambda o, x, y: L.l1(x, y)),
    "smooth_l1_loss": LossRow(_normal2, lambda o: (True, True), st.fixed_dictionaries(
        {"beta": st.sampled_from([0.0, 0.5, 1.0, 2.0])}),
        lambda o, dt, dev: lambda x, y: F.smooth_l1_loss(x, y, reduction=o["reduction"], beta=o["beta"]),
        lambda o, x, y: L.smooth_l1(x, y, o["beta"])),
    "huber_loss": LossRow(_normal2, lambda o: (True, True), st.fixed_dictionaries(
        {"delta": st.sampled_from([0.5, 1.0, 2.0])}),
        lambda o, dt, dev: lambda x, y: F.huber_loss(x, y, reduction=o["reduction"], delta=o["delta"]),
        lambda o, x, y: L.huber(x, y, o["delta"])),
    # |x| <= 80: beyond, float32 exp(-y x) overflows (known deviation soft-margin-loss-overflows)
    "soft_margin_loss": LossRow(
        lambda rng, s, o: [np.clip(o["magnitude"] * rng.standard_normal(s), -80, 80), _signs(rng, s)],
        lambda o: (True,),
        st.fixed_dictionaries({"magnitude": st.sampled_from([1.0, 50.0])}),
        lambda o, dt, dev: lambda x, y: F.soft_margin_loss(x, y, reduction=o["reduction"]),
        lambda o, x, y: L.soft_margin(x, y)),
    "poisson_nll_loss": LossRow(
        lambda rng, s, o: [rng.standard_normal(s) if o["log_input"] else rng.uniform(0.1, 3, s),
                           np.round(rng.uniform(0, 5, s), 1)], lambda o: (True,),
        st.fixed_dictionaries({"log_input": st.booleans(), "full": st.booleans()}),
        lambda o, dt, dev: lambda x, y: F.poisson_nll_loss(x, y, o["log_input"], o["full"], reduction=o["reduction"]),
        lambda o, x, y: L.poisson_nll(x, y, o["log_input"], o["full"])),
    "hinge_embedding_loss": LossRow(
        lambda rng, s, o: [rng.standard_normal(s), _signs(rng, s)], lambda o: (True,),
        st.fixed_dictionaries({"margin": st.sampled_from([0.5, 1.0, 2.0])}),
        lambda o, dt, dev: lambda x, y: F.hinge_embedding_loss(x, y, o["margin"], reduction=o["reduction"]),
        lambda o, x, y: L.hinge_embedding(x, y, o["margin"])),
    "margin_ranking_loss": LossRow(
        lambda rng, s, o: [rng.standard_normal(s), rng.standard_normal(s), _signs(rng, s)],
        lambda o: (True, True), st.fixed_dictionaries({"margin": st.sampled_from([0.0, 0.5, 1.0])}),
        lambda o, dt, dev: lambda a, b, y: F.margin_ranking_loss(a, b, y, o["margin"], reduction=o["reduction"]),
        lambda o, a, b, y: L.margin_ranking(a, b, y, o["margin"])),
    # a zero target's own gradient is 0/0 in torch's xlogy backward; zeros are drawn with the target held fixed
    "kl_div": LossRow(
        _kl_draw, lambda o: (True, o["log_target"] or not o["zeros"]),
        st.fixed_dictionaries({"log_target": st.booleans(), "zeros": st.booleans()}),
        lambda o, dt, dev: lambda x, y: F.kl_div(x, y, reduction=o["reduction"], log_target=o["log_target"]),
        lambda o, x, y: L.kl_div(x, y, o["log_target"]), reductions=("none", "mean", "sum", "batchmean")),
    "gaussian_nll_loss": LossRow(
        lambda rng, s, o: [rng.standard_normal(s), rng.standard_normal(s), rng.uniform(0.1, 2, s)],
        lambda o: (True, True, True), st.fixed_dictionaries({"full": st.booleans()}),
        lambda o, dt, dev: lambda x, y, v: F.gaussian_nll_loss(x, y, v, full=o["full"], reduction=o["reduction"]),
        lambda o, x, y, v: L.gaussian_nll(x, y, v, o["full"])),
    "multilabel_soft_margin_loss": LossRow(
        lambda rng, s, o: [o["magnitude"] * rng.standard_normal(s), (rng.random(s) < 0.5).astype(np.float64)],
        lambda o: (True,),
        st.fixed_dictionaries({"weighted": st.booleans(), "magnitude": st.sampled_from([1.0, 30.0])}),
        lambda o, dt, dev: lambda x, y: F.multilabel_soft_margin_loss(
            x, y, weight=None if (w := _multilabel_weight(o, x.shape, dt)) is None else torch.tensor(
                w, dtype=dt, device=dev), reduction=o["reduction"]),
        lambda o, x, y: L.multilabel_soft_margin(x, y, _multilabel_weight(o, x.shape, o["dtype"])), matrix=True),
    "cross_entropy(probabilities)": LossRow(
        lambda rng, s, o: [o["magnitude"] * rng.standard_normal(s), _probabilities(rng, s)], lambda o: (True, True),
        st.fixed_dictionaries({"weighted": st.booleans(), "label_smoothing": st.sampled_from([0.0, 0.2]),
                               "magnitude": st.sampled_from([1.0, 30.0])}),
        lambda o, dt, dev: lambda x, t: F.cross_entropy(x, t, weight=_class_weight(o, x.shape, dt, dev),
                                                        reduction=o["reduction"], label_smoothing=o["label_smoothing"]),
        lambda o, x, t: L.cross_entropy_probabilities(x, t, _multilabel_weight(o, x.shape, o["dtype"]),
                                                      o["label_smoothing"]), matrix=True),
    "multi_margin_loss": LossRow(
        lambda rng, s, o: [rng.standard_normal(s), rng.integers(0, s[1], s[0])], lambda o: (True,),
        st.fixed_dictionaries({"p": st.sampled_from([1, 2]), "margin": st.sampled_from([0.5, 1.0]),
                               "weighted": st.booleans()}),
        lambda o, dt, dev: lambda x, y: F.multi_margin_loss(
            x, y, o["p"], o["margin"], _class_weight(o, x.shape, dt, dev), reduction=o["reduction"]),
        lambda o, x, y: L.multi_margin(x, y, o["p"], o["margin"], _multilabel_weight(o, x.shape, o["dtype"])),
        matrix=True),
    "multilabel_margin_loss": LossRow(
        lambda rng, s, o: [rng.standard_normal(s), _target_lists(rng, s)], lambda o: (True,), st.just({}),
        lambda o, dt, dev: lambda x, y: F.multilabel_margin_loss(x, y, reduction=o["reduction"]),
        lambda o, x, y: L.multilabel_margin(x, y), matrix=True),
    "triplet_margin_loss": LossRow(
        lambda rng, s, o: [rng.standard_normal(s) for _ in range(3)], lambda o: (True, True, True),
        st.fixed_dictionaries({"margin": st.sampled_from([0.5, 1.0]), "p": st.sampled_from([1.0, 2.0, 3.0]),
                               "swap": st.booleans()}),
        lambda o, dt, dev: lambda a, p, n: F.triplet_margin_loss(a, p, n, o["margin"], o["p"], 1e-6, o["swap"],
                                                                 reduction=o["reduction"]),
        lambda o, a, p, n: L.triplet_margin(a, p, n, o["margin"], o["p"], 1e-6, o["swap"]), matrix=True),
    "cosine_embedding_loss": LossRow(
        lambda rng, s, o: [rng.standard_normal(s), rng.standard_normal(s), _signs(rng, s[:1])],
        lambda o: (True, True), st.fixed_dictionaries({"margin": st.sampled_from([-0.3, 0.0, 0.3])}),
        lambda o, dt, dev: lambda a, b, y: F.cosine_embedding_loss(a, b, y, o["margin"], reduction=o["reduction"]),
        lambda o, a, b, y: L.cosine_embedding(a, b, y, o["margin"]), matrix=True),
}

NAMES = {"margin_ranking_loss": ("input1", "input2", "target"), "gaussian_nll_loss": ("input", "target", "var"),
         "triplet_margin_loss": ("anchor", "positive", "negative"), "cosine_embedding_loss": ("input1", "input2")}


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.l1_loss", "nn.functional.smooth_l1_loss", "nn.functional.huber_loss", "nn.functional.soft_margin_loss", "nn.functional.poisson_nll_loss", "nn.functional.hinge_embedding_loss", "nn.functional.margin_ranking_loss", "nn.functional.kl_div", "nn.functional.gaussian_nll_loss", "nn.functional.multilabel_soft_margin_loss", "nn.functional.cross_entropy", "nn.functional.multi_margin_loss", "nn.functional.multilabel_margin_loss", "nn.functional.triplet_margin_loss", "nn.functional.cosine_embedding_loss")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@pytest.mark.parametrize("name", list(ROWS))
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data(), seed=seeds)
def test_loss_with_options_matches_numpy(name, dtype, device, shape, data, seed):
    row = ROWS[name]
    if row.matrix:
        shape = shape[:2] if len(shape) > 1 else [1] + shape  # (N, C)
    options = dict(data.draw(row.options, label="options"), reduction=data.draw(st.sampled_from(row.reductions),
                                                                                 label="reduction"), dtype=dtype)
    rng = np.random.default_rng(seed)
    arrays = row.draw(rng, tuple(shape), options)
    r = run(row.torch(options, dtype, device), arrays, dtype, device, seed, grad=row.grad(options), op="sum")
    want = expected.reduced_loss(row.terms(options, *r.inputs), r.g, options["reduction"], batch=shape[0])
    flags = list(row.grad(options)) + [False] * (len(arrays) - len(row.grad(options)))
    want = expected.Expected(want.value, tuple(gr if flag else None for gr, flag in zip(want.grads, flags)),
                             want.scale, want.grad_scales)
    shown = {k: v for k, v in options.items() if k != "dtype"}
    check(r, want, dtype, op="sum", grad_op="sum", what=f"F.{name}(x of {tuple(shape)}, {shown})",
          names=NAMES.get(name, ("input", "target")))


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.soft_margin_loss")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
def test_soft_margin_loss_of_a_large_margin_violation(dtype, device):
    # log(1 + exp(-y x)) at -y x = 800 is 800 (logaddexp), and its derivative -y sigmoid(-y x) is -1
    r = run(lambda x, y: F.soft_margin_loss(x, y, reduction="none"), [np.array([-800.0]), np.array([1.0])], dtype,
            device, 0, grad=(True,))
    check(r, expected.reduced_loss(L.soft_margin(*r.inputs), r.g, "none"), dtype,
          what="F.soft_margin_loss(-800, target 1)")
