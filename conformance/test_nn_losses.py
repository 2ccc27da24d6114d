"""torch.nn losses against NumPy (issue 5, item 3): MSELoss, CrossEntropyLoss
(class weights, ignore_index, label smoothing), NLLLoss, BCELoss and
BCEWithLogitsLoss, in each reduction, forward and gradient with respect to the
input (and the target where torch differentiates it).

Options are drawn by Hypothesis; values come from a drawn seed (see
test_nn_layers). Each loss is judged against the size of its terms: losses
are sums of non-negative terms, but the terms themselves (a log near 0, a
difference ``p - t``) can cancel, so the references of
:mod:`torchconform.references.nn_expected` return the terms' size with each
value and gradient.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from torch import nn

from torchconform import dtypes, oracle
from torchconform.nncheck import check, rounded, run
from torchconform.references import nn_expected as expected

pytestmark = [pytest.mark.area("nn"), pytest.mark.usefixtures("one_thread")]

DTYPES = [torch.float32, torch.float64]
REDUCTIONS = ["none", "mean", "sum"]
seeds = st.integers(0, 2**32 - 1)


def call(loss, arrays, dtype, device, seed, *, grad=(True,)):
    """:func:`~torchconform.nncheck.run` with the first input (the prediction) differentiated
    by default and losses' device-vs-CPU policy factor."""
    return run(loss, arrays, dtype, device, seed, grad=grad, op="sum")


#: How gradient messages name a loss's arguments.
LOSS_INPUTS = ("input", "target")
shapes = st.lists(st.integers(1, 5), min_size=1, max_size=3)


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.mse_loss")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(shape=shapes, seed=seeds)
def test_mse_loss_matches_numpy(reduction, dtype, device, shape, seed):
    rng = np.random.default_rng(seed)
    r = call(nn.MSELoss(reduction=reduction), [rng.standard_normal(shape), rng.standard_normal(shape)],
             dtype, device, seed, grad=(True, True))
    check(r, expected.mse_loss(*r.inputs, r.g, reduction), dtype, op="sum", what=f"MSELoss({reduction})",
          names=LOSS_INPUTS)


# --------------------------------------------------------------------------- class-index losses


@st.composite
def classification(draw):
    """Logits or log-probabilities (N, C[, d]) with targets, some equal to
    ``ignore_index`` (but at least one counted), and optional class weights."""
    n, c = draw(st.integers(1, 5)), draw(st.integers(2, 5))
    extra = draw(st.lists(st.integers(1, 3), max_size=1))
    ignore = draw(st.sampled_from([-100, 0]), label="ignore_index")
    target = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n * int(np.prod(extra)),
                                    max_size=n * int(np.prod(extra))))).reshape(n, *extra)
    target = np.where(np.array(draw(st.lists(st.booleans(), min_size=target.size, max_size=target.size)))
                      .reshape(target.shape), ignore, target)
    target.flat[0] = c - 1  # one counted target keeps the weighted mean defined
    weighted = draw(st.booleans(), label="weight")
    return dict(shape=(n, c, *extra), target=target.astype(np.int64), ignore_index=ignore, weighted=weighted)


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.cross_entropy")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(case=classification(), smoothing=st.sampled_from([0.0, 0.1, 0.5]), magnitude=st.sampled_from([1.0, 50.0]),
       seed=seeds)
def test_cross_entropy_loss_matches_numpy(reduction, dtype, device, case, smoothing, magnitude, seed):
    rng = np.random.default_rng(seed)
    c = case["shape"][1]
    weight = rounded(rng.uniform(0.1, 2, c), dtype) if case["weighted"] else None
    loss = nn.CrossEntropyLoss(weight=None if weight is None else torch.tensor(weight, dtype=dtype, device=device),
                               ignore_index=case["ignore_index"], reduction=reduction, label_smoothing=smoothing)
    r = call(loss, [magnitude * rng.standard_normal(case["shape"]), case["target"]], dtype, device, seed)
    options = dict(weight=weight, ignore_index=case["ignore_index"], reduction=reduction, label_smoothing=smoothing)
    check(r, expected.cross_entropy(*r.inputs, r.g, **options), dtype, op="sum", names=LOSS_INPUTS,
          what=f"CrossEntropyLoss({reduction}, smoothing={smoothing}, ignore_index={case['ignore_index']})")


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.nll_loss")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(case=classification(), seed=seeds)
def test_nll_loss_matches_numpy(reduction, dtype, device, case, seed):
    rng = np.random.default_rng(seed)
    c = case["shape"][1]
    weight = rounded(rng.uniform(0.1, 2, c), dtype) if case["weighted"] else None
    loss = nn.NLLLoss(weight=None if weight is None else torch.tensor(weight, dtype=dtype, device=device),
                      ignore_index=case["ignore_index"], reduction=reduction)
    r = call(loss, [rng.standard_normal(case["shape"]), case["target"]], dtype, device, seed)
    options = dict(weight=weight, ignore_index=case["ignore_index"], reduction=reduction)
    check(r, expected.nll_loss(*r.inputs, r.g, **options), dtype, op="sum", what=f"NLLLoss({reduction})",
          names=LOSS_INPUTS)


# --------------------------------------------------------------------------- binary losses


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.binary_cross_entropy")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(shape=shapes, weighted=st.booleans(), seed=seeds)
def test_bce_loss_matches_numpy(reduction, dtype, device, shape, weighted, seed):
    rng = np.random.default_rng(seed)
    weight = rounded(rng.uniform(0.1, 2, shape[-1]), dtype) if weighted else None
    loss = nn.BCELoss(weight=None if weight is None else torch.tensor(weight, dtype=dtype, device=device),
                      reduction=reduction)
    r = call(loss, [rng.uniform(0.01, 0.99, shape), rng.uniform(0, 1, shape)], dtype, device, seed)
    check(r, expected.binary_cross_entropy(*r.inputs, r.g, weight, reduction), dtype, op="sum",
          what=f"BCELoss({reduction})", names=LOSS_INPUTS)


@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
def test_bce_loss_clamps_log_at_minus_100(dtype, device):
    # a prediction of exactly 0 or 1 gives log(0): torch clamps each log at -100
    p = np.array([0.0, 1.0, 0.0, 1.0])
    t = np.array([1.0, 0.0, 0.0, 1.0])
    r = call(nn.BCELoss(reduction="none"), [p, t], dtype, device, 0)
    # The sign of a zero loss follows the order of the formula's terms, which torch does not fix.
    oracle.assert_matches(r.out, np.array([100.0, 100.0, 0.0, 0.0]), dtype, what="BCELoss at p in {0, 1}",
                          zero_sign=False)


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.binary_cross_entropy_with_logits")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(shape=shapes, weighted=st.booleans(), pos_weighted=st.booleans(), magnitude=st.sampled_from([1.0, 100.0]),
       seed=seeds)
def test_bce_with_logits_loss_matches_numpy(reduction, dtype, device, shape, weighted, pos_weighted, magnitude, seed):
    # large logits check the stable form: no overflow of exp, no log(0)
    rng = np.random.default_rng(seed)
    weight = rounded(rng.uniform(0.1, 2, shape[-1]), dtype) if weighted else None
    pos_weight = rounded(rng.uniform(0.1, 3, shape[-1]), dtype) if pos_weighted else None

    def as_tensor(a):
        return None if a is None else torch.tensor(a, dtype=dtype, device=device)

    loss = nn.BCEWithLogitsLoss(weight=as_tensor(weight), pos_weight=as_tensor(pos_weight), reduction=reduction)
    r = call(loss, [magnitude * rng.standard_normal(shape), rng.uniform(0, 1, shape)], dtype, device, seed)
    check(r, expected.binary_cross_entropy_with_logits(*r.inputs, r.g, weight, pos_weight, reduction), dtype,
          op="sum", what=f"BCEWithLogitsLoss({reduction})", names=LOSS_INPUTS)
