"""torch.nn losses against NumPy (issue 5, item 3): MSELoss, CrossEntropyLoss
(class weights, ignore_index, label smoothing), NLLLoss, BCELoss and
BCEWithLogitsLoss, in each reduction, forward and gradient with respect to the
input (and the target where torch differentiates it).

Options are drawn by Hypothesis; values come from a drawn seed (see
test_nn_layers). Each loss is judged against the size of its terms: losses
are sums of non-negative terms, but the terms themselves (a log near 0, a
difference ``p - t``) can cancel, so each check passes the terms' size.
"""

import copy

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from torch import nn

from torchconform import dtypes, oracle
from torchconform.networks.checks import single_threaded
from torchconform.references import nn as ref

pytestmark = pytest.mark.area("nn")

DTYPES = [torch.float32, torch.float64]
REDUCTIONS = ["none", "mean", "sum"]
seeds = st.integers(0, 2**32 - 1)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    with single_threaded():
        yield


def rounded(a, dtype):
    return np.asarray(a).astype(dtypes.to_numpy(dtype)).astype(np.float64)


def call(loss, inputs, dtype, device, seed, *, grad=(True,)):
    """``loss(*tensors)`` with the float ``inputs`` (rounded to ``dtype``) as
    leaves, the ones flagged in ``grad`` requiring grad; back-propagates a
    random upstream gradient. Returns (out, grads, inputs as float64, g).
    Off CPU the same call on CPU (with the loss's weights moved there) must agree."""
    cpu_loss = copy.deepcopy(loss).cpu() if torch.device(device).type != "cpu" else None
    values = [rounded(a, dtype) if a.dtype.kind == "f" else a for a in inputs]
    tensors = [torch.tensor(a, dtype=dtype if a.dtype.kind == "f" else None, device=device) for a in values]
    flags = list(grad) + [False] * (len(tensors) - len(grad))
    for t, flag in zip(tensors, flags):
        t.requires_grad_(flag)
    out = loss(*tensors)
    g = rounded(np.random.default_rng(seed).standard_normal(out.shape), dtype)
    out.backward(torch.tensor(g, dtype=dtype, device=device))
    grads = [t.grad for t in tensors]
    if torch.device(device).type != "cpu":
        cpu_out, cpu_grads, _, _ = call(cpu_loss, inputs, dtype, "cpu", seed, grad=grad)
        oracle.assert_device_matches_cpu(out.detach(), cpu_out, op="sum")
        for got, want in zip(grads, cpu_grads):
            if got is not None:
                oracle.assert_device_matches_cpu(got, want, kind="gradient", op="sum")
    return out.detach(), grads, values, g


def chain(grad, g, reduction, class_axis=False):
    """The VJP with upstream ``g``, from the reference gradient of the loss's
    sum (each unreduced loss depends on its own position only, so the factor
    of each position is applied afterwards)."""
    if reduction != "none":
        return grad * g
    return grad * (np.expand_dims(g, 1) if class_axis else g)


def per_element(x, reduction):
    """d reduced / d element: 1/size for a mean, else 1."""
    return 1 / x.size if reduction == "mean" else 1


def check(out, want, scale, grads, expected, scales, what, *, dtype):
    oracle.assert_matches(out, want, dtype, op="sum", scale=scale, what=what)
    for got, exp, sc, name in zip(grads, expected, scales, ["input", "target"]):
        oracle.assert_matches(got, exp, dtype, kind="gradient", scale=sc, what=f"{what}: d/d{name}")


shapes = st.lists(st.integers(1, 5), min_size=1, max_size=3)


@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(shape=shapes, seed=seeds)
def test_mse_loss_matches_numpy(reduction, dtype, device, shape, seed):
    rng = np.random.default_rng(seed)
    out, grads, (p, t), g = call(nn.MSELoss(reduction=reduction), [rng.standard_normal(shape),
                                                                    rng.standard_normal(shape)],
                                 dtype, device, seed, grad=(True, True))
    want, grad = ref.mse_loss(p, t, reduction)
    terms = np.abs(chain(2 * (np.abs(p) + np.abs(t)) * per_element(p, reduction), g, reduction))
    scale = ref.mse_loss(np.abs(p) + np.abs(t), 0, reduction)[0]
    check(out, want, scale, grads, [chain(grad, g, reduction), -chain(grad, g, reduction)], [terms, terms],
          f"MSELoss({reduction})", dtype=dtype)


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


def logp_terms(logits):
    """Size of the terms of log_softmax (see test_nn_layers)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return np.abs(shifted) + np.log(np.exp(shifted).sum(axis=1, keepdims=True)) + 1


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
    out, grads, (x, _), g = call(loss, [magnitude * rng.standard_normal(case["shape"]), case["target"]],
                                 dtype, device, seed)
    options = dict(weight=weight, ignore_index=case["ignore_index"], reduction=reduction, label_smoothing=smoothing)
    want, grad = ref.cross_entropy(x, case["target"], **options)
    # the loss is linear in log_softmax with non-positive coefficients: fed the
    # negated sizes of log_softmax's terms it gives the size of the loss's terms
    scale = ref.cross_entropy_from_log_probs(-logp_terms(x), case["target"], **options)[0]
    g_logp = np.abs(chain(ref.cross_entropy_from_log_probs(x, case["target"], **options)[1], g, reduction, True))
    p = ref.softmax(x, axis=1)
    gscale = g_logp + p * g_logp.sum(axis=1, keepdims=True)
    check(out, want, scale, grads[:1], [chain(grad, g, reduction, True)], [gscale],
          f"CrossEntropyLoss({reduction}, smoothing={smoothing}, ignore_index={case['ignore_index']})", dtype=dtype)


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
    out, grads, (logp, _), g = call(loss, [rng.standard_normal(case["shape"]), case["target"]], dtype, device, seed)
    options = dict(weight=weight, ignore_index=case["ignore_index"], reduction=reduction)
    want, grad = ref.nll_loss(logp, case["target"], **options)
    scale = ref.nll_loss(-np.abs(logp), case["target"], **options)[0]
    check(out, want, scale, grads[:1], [chain(grad, g, reduction, True)], [None], f"NLLLoss({reduction})", dtype=dtype)


# --------------------------------------------------------------------------- binary losses


@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(shape=shapes, weighted=st.booleans(), seed=seeds)
def test_bce_loss_matches_numpy(reduction, dtype, device, shape, weighted, seed):
    rng = np.random.default_rng(seed)
    weight = rounded(rng.uniform(0.1, 2, shape[-1]), dtype) if weighted else None
    loss = nn.BCELoss(weight=None if weight is None else torch.tensor(weight, dtype=dtype, device=device),
                      reduction=reduction)
    out, grads, (p, t), g = call(loss, [rng.uniform(0.01, 0.99, shape), rng.uniform(0, 1, shape)], dtype, device, seed)
    want, grad = ref.binary_cross_entropy(p, t, weight, reduction)
    # p - t cancels in the gradient; its terms are p + t
    w = 1 if weight is None else weight
    gscale = np.abs(chain(w * (p + t) / (p * (1 - p)) * per_element(p, reduction), g, reduction))
    check(out, want, None, grads[:1], [chain(grad, g, reduction)], [gscale], f"BCELoss({reduction})", dtype=dtype)


@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
def test_bce_loss_clamps_log_at_minus_100(dtype, device):
    # a prediction of exactly 0 or 1 gives log(0): torch clamps each log at -100
    p = np.array([0.0, 1.0, 0.0, 1.0])
    t = np.array([1.0, 0.0, 0.0, 1.0])
    out, _, _, _ = call(nn.BCELoss(reduction="none"), [p, t], dtype, device, 0)
    # The sign of a zero loss follows the order of the formula's terms, which torch does not fix.
    oracle.assert_matches(out, np.array([100.0, 100.0, 0.0, 0.0]), dtype, what="BCELoss at p in {0, 1}",
                          zero_sign=False)


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
    out, grads, (x, t), g = call(loss, [magnitude * rng.standard_normal(shape), rng.uniform(0, 1, shape)],
                                 dtype, device, seed)
    want, grad = ref.binary_cross_entropy_with_logits(x, t, weight, pos_weight, reduction)
    w = 1 if weight is None else weight
    coeff = 1 + ((1 if pos_weight is None else pos_weight) - 1) * t
    terms = w * (np.abs((1 - t) * x) + coeff * (np.logaddexp(0, -np.abs(x)) + np.maximum(-x, 0)))
    scale = terms if reduction == "none" else terms.sum() / (terms.size if reduction == "mean" else 1)
    # the gradient has two textbook forms, (1 - t) - c sigmoid(-x) and
    # c sigmoid(x) - pos_weight t; either may be computed, so both sets of terms count
    pw = 1 if pos_weight is None else pos_weight
    both = np.abs(1 - t) + coeff * ref.sigmoid(-x) + coeff * ref.sigmoid(x) + pw * t
    per = w * both * per_element(x, reduction)
    check(out, want, scale, grads[:1], [chain(grad, g, reduction)], [np.abs(chain(per, g, reduction))],
          f"BCEWithLogitsLoss({reduction})", dtype=dtype)
