"""The rest of torch.nn.functional against NumPy (issue 14, item 1): the
activations ``softsign``, ``tanhshrink``, ``softmin``, ``glu``, ``prelu`` and
``rrelu``; ``bilinear``, ``channel_shuffle``, ``conv_tbc``;
``triplet_margin_with_distance_loss``, ``linear_cross_entropy`` and
``ctc_loss``; the random functions ``gumbel_softmax``, ``alpha_dropout``,
``feature_alpha_dropout``, ``dropout1d``/``dropout3d`` and
``fractional_max_pool2d``/``3d``.

A random function is checked where it is deterministic (``training=False``,
rrelu's eval slope, a fractional pooling given its ``_random_samples``) and,
where it is not, against a reference built from what torch drew: the keep
mask read off the output (a dropped and a kept element have distinct
values) gives the NumPy output, so a wrong scale, a partly dropped channel or
a wrong dropped value is a mismatch. References: ``torchconform.references.functional_breadth``.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import scipy.stats
import torch
import torch.nn.functional as F
from hypothesis import given, strategies as st

from torchconform import dtypes, oracle
from torchconform.nncheck import Expected, check, rounded, run
from torchconform.references import (finite_diff, functional_breadth as fb, losses as L, nn as ref,
                                     nn_expected as expected, pool as pool_ref)

pytestmark = [pytest.mark.area("nn"), pytest.mark.usefixtures("one_thread")]

DTYPES = [torch.float32, torch.float64]
seeds = st.integers(0, 2**32 - 1)
shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3)


def normal(seed, *shape, scale=1.0):
    return scale * np.random.default_rng(seed).standard_normal(shape)


# --------------------------------------------------------------------------- activations


def _softsign(x, g):
    # torch differentiates x / (1 + |x|) by the quotient rule: 1/(1+|x|) - |x|/(1+|x|)**2 cancels for large |x|
    value, slope = fb.softsign(x)
    return Expected(value, (g * slope,), None, (np.abs(g) * slope * (1 + 2 * np.abs(x)),))


def _tanhshrink(x, g):
    # torch differentiates x - tanh(x) term by term: 1 - (1 - tanh(x)**2) cancels for small x
    value, slope, terms = fb.tanhshrink(x)
    return Expected(value, (g * slope,), terms, (np.abs(g) * (2 - slope),))


def _softmin(x, g):
    want = expected.softmax(-x, g)
    return Expected(want.value, (-want.grads[0],), want.scale, want.grad_scales)


def _glu(x, g):
    value, da, db = fb.glu(x, -1)
    return Expected(value, (np.concatenate([g * da, g * db], axis=-1),), None,
                    (np.concatenate([np.abs(g * da), np.abs(g) * (np.abs(value) + np.abs(db))], axis=-1),))


def _rrelu_eval(x, g, lower=0.125, upper=1 / 3):
    value, slope = fb.leaky(x, (lower + upper) / 2)
    return Expected(value, (g * slope,))


#: name: (torch function of one tensor, reference(x, g) -> Expected, last-axis length must be even)
ELEMENTWISE = {
    "softsign": (F.softsign, _softsign),
    "tanhshrink": (F.tanhshrink, _tanhshrink),
    "softmin": (lambda t: F.softmin(t, dim=-1), _softmin),
    "glu": (lambda t: F.glu(t, dim=-1), _glu),
    "rrelu": (lambda t: F.rrelu(t, training=False), _rrelu_eval),
}


@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.checks(f"nn.functional.{n}")) for n in ELEMENTWISE])
@given(shape=shapes, magnitude=st.sampled_from([1.0, 30.0]), seed=seeds)
def test_activation_matches_numpy(name, dtype, device, shape, magnitude, seed):
    fn, reference = ELEMENTWISE[name]
    if name == "glu":
        shape = shape[:-1] + [2 * shape[-1]]
    r = run(fn, [normal(seed, *shape, scale=magnitude)], dtype, device, seed, op=None)
    check(r, reference(r.inputs[0], r.g), dtype, op="sum" if name == "softmin" else None,
          grad_op="sum" if name in ("softmin", "glu") else None, what=f"F.{name}")


@pytest.mark.checks("nn.functional.prelu")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), per_channel=st.booleans(), seed=seeds)
def test_prelu_matches_numpy(dtype, device, shape, per_channel, seed):
    # a 1-d input has no channel dimension: one weight
    per_channel = per_channel and len(shape) > 1
    channels = shape[1] if per_channel else 1
    weight = normal(seed + 1, channels if per_channel else 1) * 0.5
    r = run(F.prelu, [normal(seed, *shape), weight], dtype, device, seed, op=None)
    x, w = r.inputs
    value, dx, dw = fb.prelu(x, w)
    axes = tuple(i for i in range(x.ndim) if not (per_channel and i == 1))
    gw = (r.g * dw).sum(axis=axes).reshape(w.shape)
    gw_terms = np.abs(r.g * dw).sum(axis=axes).reshape(w.shape)
    check(r, Expected(value, (r.g * dx, gw), None, (None, gw_terms)), dtype, grad_op="sum",
          what=f"F.prelu(x of {shape}, weight of {w.shape})", names=("x", "weight"))


@pytest.mark.checks("nn.functional.rrelu")
@pytest.mark.capability("dropout")
@pytest.mark.parametrize("bounds", [(0.125, 1 / 3), (0.1, 0.9)], ids=str)
def test_rrelu_training_draws_each_slope_in_its_bounds(bounds, device):
    lower, upper = bounds
    torch.manual_seed(7)
    x = torch.tensor(normal(7, 2000), device=device, requires_grad=True)
    out = F.rrelu(x, lower, upper, training=True)
    out.backward(torch.ones_like(out))
    xs, ys = dtypes.tensor_to_numpy(x.detach()), dtypes.tensor_to_numpy(out.detach())
    negative = xs < 0
    slopes = np.where(negative, ys / np.where(negative, xs, 1.0), 1.0)
    # the reference keeps torch's slope only where it is inside the bounds: a slope outside is a mismatch
    inside = np.where(negative, np.clip(slopes, lower, upper), 1.0)
    oracle.assert_matches(out, np.where(negative, inside * xs, xs), torch.float64, what=f"F.rrelu{bounds} training")
    oracle.assert_matches(x.grad, inside, torch.float64, kind="gradient", what="F.rrelu training: d/dx is the slope")
    # the slopes are uniform on [lower, upper]
    drawn = (slopes[negative] - lower) / (upper - lower)
    assert scipy.stats.kstest(drawn, "uniform").pvalue > 1e-4, "rrelu's slopes are not uniform on their bounds"


# --------------------------------------------------------------------------- bilinear, channel_shuffle, conv_tbc


@pytest.mark.checks("nn.functional.bilinear")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(lead=st.lists(st.integers(1, 3), max_size=2), sizes=st.tuples(*[st.integers(1, 4)] * 3), bias=st.booleans(),
       seed=seeds)
def test_bilinear_matches_numpy(dtype, device, lead, sizes, bias, seed):
    i, j, o = sizes
    arrays = [normal(seed, *lead, i), normal(seed + 1, *lead, j), normal(seed + 2, o, i, j)]
    arrays += [normal(seed + 3, o)] if bias else []
    r = run(F.bilinear, arrays, dtype, device, seed, op="matmul")
    x1, x2, w = r.inputs[:3]
    b = r.inputs[3] if bias else None
    value, terms = fb.bilinear(x1, x2, w, b)
    g = r.g

    def vjps(g, w, x1, x2):
        rows = (g.reshape(-1, o), x1.reshape(-1, i), x2.reshape(-1, j))
        return (np.einsum("...o,oij,...j->...i", g, w, x2), np.einsum("...o,oij,...i->...j", g, w, x1),
                np.einsum("bo,bi,bj->oij", *rows)) + ((rows[0].sum(0),) if bias else ())

    grads = vjps(g, w, x1, x2)
    sizes_ = vjps(np.abs(g), np.abs(w), np.abs(x1), np.abs(x2))
    check(r, Expected(value, grads, terms, sizes_), dtype, op="matmul", grad_op="matmul",
          what=f"F.bilinear(lead {lead}, in {i}, {j}, out {o}, bias={bias})", names=("x1", "x2", "weight", "bias"))


@pytest.mark.capability("forward")
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.checks(f"nn.functional.{n}"))
                                  for n in ("channel_shuffle", "native_channel_shuffle")])
@given(groups=st.integers(1, 3), per_group=st.integers(1, 3), n=st.integers(1, 2),
       spatial=st.lists(st.integers(1, 3), min_size=1, max_size=2), seed=seeds)
def test_channel_shuffle_permutes_channels(name, device, groups, per_group, n, spatial, seed):
    x = normal(seed, n, groups * per_group, *spatial)
    out = getattr(F, name)(torch.tensor(x, device=device), groups)
    oracle.assert_matches(out, fb.channel_shuffle(x, groups), torch.float64, what=f"F.{name}(x of {x.shape}, {groups})")


@pytest.mark.checks("nn.functional.conv_tbc")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(t=st.integers(1, 5), b=st.integers(1, 2), cin=st.integers(1, 3), cout=st.integers(1, 3), k=st.integers(1, 3),
       pad=st.integers(0, 2), seed=seeds)
def test_conv_tbc_matches_numpy(dtype, device, t, b, cin, cout, k, pad, seed):
    if t + 2 * pad < k:
        t = k  # at least one output step
    arrays = [normal(seed, t, b, cin), normal(seed + 1, k, cin, cout), normal(seed + 2, cout)]
    r = run(lambda x, w, bias: F.conv_tbc(x, w, bias, pad), arrays, dtype, device, seed, op="matmul")
    value, terms = fb.conv_tbc(*r.inputs, pad)
    grads = fb.conv_tbc_vjp(r.g, *r.inputs[:2], pad)
    sizes = fb.conv_tbc_vjp(np.abs(r.g), *(np.abs(a) for a in r.inputs[:2]), pad)
    check(r, Expected(value, grads, terms, sizes), dtype, op="matmul", grad_op="matmul", names=("x", "weight", "bias"),
          what=f"F.conv_tbc(x of {(t, b, cin)}, weight of {(k, cin, cout)}, pad={pad})")


# --------------------------------------------------------------------------- losses


@pytest.mark.checks("nn.functional.triplet_margin_with_distance_loss")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(n=st.integers(1, 4), d=st.integers(1, 4), margin=st.sampled_from([0.5, 1.0, 3.0]), swap=st.booleans(),
       reduction=st.sampled_from(["none", "mean", "sum"]), seed=seeds)
def test_triplet_margin_with_distance_loss_matches_numpy(dtype, device, n, d, margin, swap, reduction, seed):
    # the default distance is pairwise_distance (p = 2, eps = 1e-6), the reference of triplet_margin_loss
    arrays = [normal(seed + i, n, d) for i in range(3)]
    r = run(lambda a, p, q: F.triplet_margin_with_distance_loss(a, p, q, margin=margin, swap=swap,
                                                                reduction=reduction),
            arrays, dtype, device, seed, op="sum")
    want = expected.reduced_loss(L.triplet_margin(*r.inputs, margin, 2.0, 1e-6, swap), r.g, reduction)
    check(r, want, dtype, op="sum", grad_op="sum", names=("anchor", "positive", "negative"),
          what=f"F.triplet_margin_with_distance_loss(margin={margin}, swap={swap}, reduction={reduction})")


@pytest.mark.checks("nn.functional.linear_cross_entropy")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(n=st.integers(1, 4), d=st.integers(1, 4), c=st.integers(2, 5), bias=st.booleans(),
       reduction=st.sampled_from(["none", "mean", "sum"]), smoothing=st.sampled_from([0.0, 0.2]), seed=seeds)
def test_linear_cross_entropy_is_cross_entropy_of_the_linear_layer(dtype, device, n, d, c, bias, reduction, smoothing,
                                                                   seed):
    names = list(inspect.signature(F.linear_cross_entropy).parameters)
    assert names[:3] == ["input", "linear_weight", "target"] and {"linear_bias", "reduction", "label_smoothing"} <= \
        set(names), f"linear_cross_entropy's signature changed: {names}"
    target = np.random.default_rng(seed).integers(0, c, n)
    x, w = normal(seed, n, d), normal(seed + 1, c, d)
    b = normal(seed + 2, c) if bias else None
    tensors = [torch.tensor(nn_in, dtype=dtype, device=device) for nn_in in (x, w)]
    out = F.linear_cross_entropy(*tensors, torch.tensor(target, device=device),
                                 linear_bias=None if b is None else torch.tensor(b, dtype=dtype, device=device),
                                 reduction=reduction, label_smoothing=smoothing)
    xs, ws = (dtypes.tensor_to_numpy(t).astype(np.float64) for t in tensors)
    logits = xs @ ws.T + (0 if b is None else b.astype(dtypes.to_numpy(dtype)))
    want = ref.cross_entropy(logits, target, reduction=reduction, label_smoothing=smoothing)[0]
    scale = np.abs(xs) @ np.abs(ws).T + (0 if b is None else np.abs(b))
    oracle.assert_matches(out, want, dtype, op="matmul", scale=scale.sum() + 1 if reduction != "none" else
                          scale.sum(-1) + 1, what=f"F.linear_cross_entropy(bias={bias}, {reduction}, {smoothing})")


@st.composite
def ctc_cases(draw):
    n, c = draw(st.integers(1, 3), label="batch"), draw(st.integers(2, 4), label="classes")
    s = draw(st.integers(0, 3), label="max target length")
    target_lengths = [draw(st.integers(0, s)) for _ in range(n)]
    t = draw(st.integers(1, 6), label="max input length")
    # short inputs make some alignments impossible: the infinite losses zero_infinity is about
    input_lengths = [draw(st.integers(1, t)) for _ in range(n)]
    targets = [draw(st.lists(st.integers(1, c - 1), min_size=s, max_size=s)) for _ in range(n)]
    return dict(n=n, c=c, t=t, targets=np.array(targets, dtype=np.int64).reshape(n, s),
                input_lengths=input_lengths, target_lengths=target_lengths)


@pytest.mark.checks("nn.functional.ctc_loss")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(case=ctc_cases(), reduction=st.sampled_from(["none", "mean", "sum"]), zero_infinity=st.booleans(), seed=seeds)
def test_ctc_loss_matches_the_forward_algorithm(dtype, device, case, reduction, zero_infinity, seed):
    logits = torch.tensor(normal(seed, case["t"], case["n"], case["c"]), dtype=dtype, device=device, requires_grad=True)
    log_probs = torch.log_softmax(logits, -1)
    lengths = dict(input_lengths=case["input_lengths"], target_lengths=case["target_lengths"])
    out = F.ctc_loss(log_probs, torch.tensor(case["targets"], device=device), **lengths, reduction=reduction,
                     zero_infinity=zero_infinity)
    lp = dtypes.tensor_to_numpy(log_probs.detach()).astype(np.float64)
    want = fb.ctc_loss(lp, case["targets"], **lengths, reduction=reduction, zero_infinity=zero_infinity)
    # a sum of up to T log-probabilities (and a log-sum-exp over alignments): their sizes bound the error
    terms = fb.ctc_loss(-np.abs(lp), case["targets"], **lengths, reduction=reduction, zero_infinity=zero_infinity)
    what = (f"F.ctc_loss(log_probs of {lp.shape}, targets={case['targets'].tolist()}, "
            f"input_lengths={case['input_lengths']}, target_lengths={case['target_lengths']}, "
            f"reduction={reduction}, zero_infinity={zero_infinity})")
    oracle.assert_matches(out, want, dtype, op="sum", scale=np.where(np.isfinite(terms), np.abs(terms) + 1, 1.0),
                          what=what)
    if not np.all(np.isfinite(want)):
        return  # no gradient to compare where a loss is infinite (zero_infinity exists for that)
    # the gradient with respect to the logits under log_softmax, against float64 finite differences of the reference
    g = rounded(np.asarray(normal(seed + 1, *np.shape(want))), dtype)
    out.backward(torch.tensor(g, dtype=dtype, device=device))
    x = dtypes.tensor_to_numpy(logits.detach()).astype(np.float64)

    def loss_of_logits(z):
        shifted = z - z.max(-1, keepdims=True)
        return fb.ctc_loss(shifted - np.log(np.exp(shifted).sum(-1, keepdims=True)), case["targets"], **lengths,
                           reduction=reduction, zero_infinity=zero_infinity)

    (d_logits,) = finite_diff.vjp(loss_of_logits, [x], g)
    # torch's kernel returns exp(log_probs) minus each class's alignment posterior: terms up to |g| per element
    oracle.assert_matches(logits.grad, d_logits.value, dtype, kind="finite_difference", op="sum",
                          scale=d_logits.scale + np.abs(g).max(), what=f"{what}: d/dlogits through log_softmax")


# --------------------------------------------------------------------------- random functions


@pytest.mark.checks("nn.functional.gumbel_softmax")
@pytest.mark.capability("dropout")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(rows=st.integers(1, 4), c=st.integers(1, 6), tau=st.sampled_from([0.5, 1.0, 2.0]), seed=seeds)
def test_gumbel_softmax_soft_is_a_distribution_and_hard_its_argmax(dtype, device, rows, c, tau, seed):
    logits = torch.tensor(normal(seed, rows, c), dtype=dtype, device=device, requires_grad=True)
    torch.manual_seed(seed)
    soft = F.gumbel_softmax(logits, tau=tau)
    torch.manual_seed(seed)
    hard = F.gumbel_softmax(logits, tau=tau, hard=True)
    y = dtypes.tensor_to_numpy(soft.detach()).astype(np.float64)
    assert np.all(y >= 0), f"gumbel_softmax gave negative probabilities {y}"
    oracle.assert_matches(soft.detach().sum(-1), np.ones(rows), dtype, op="sum", what="gumbel_softmax row sums")
    oracle.assert_matches(hard.detach(), np.eye(c)[y.argmax(-1)], dtype,
                          what="gumbel_softmax(hard=True): one-hot at the soft sample's argmax")
    # straight-through: hard's gradient is the soft sample's, (y (w - y.w)) / tau
    w = normal(seed + 1, rows, c)
    hard.backward(torch.tensor(w, dtype=dtype, device=device))
    want = y * (w - (w * y).sum(-1, keepdims=True)) / tau
    oracle.assert_matches(logits.grad, want, dtype, kind="gradient", op="sum",
                          scale=y * (np.abs(w) + (np.abs(w) * y).sum(-1, keepdims=True)) / tau,
                          what="gumbel_softmax(hard=True) straight-through gradient")


#: name: whether it drops whole channels
ALPHA_KINDS = {"alpha_dropout": False, "feature_alpha_dropout": True}


@pytest.mark.capability("dropout")
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.checks(f"nn.functional.{n}")) for n in ALPHA_KINDS])
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_alpha_dropout_keeps_mean_and_variance_by_its_affine_map(name, p, device):
    fn, per_channel = getattr(F, name), ALPHA_KINDS[name]
    n, c = 40, 30
    x = normal(3, n, c, 4)
    tx = torch.tensor(x, device=device)
    oracle.assert_matches(fn(tx, p, training=False), x, torch.float64, what=f"F.{name}(training=False)")
    torch.manual_seed(3)
    out = fn(tx, p, training=True)
    y = dtypes.tensor_to_numpy(out)
    # kept or dropped: whichever of the two documented values the element is nearer
    kept = np.abs(y - fb.alpha_dropout(x, True, p)) < np.abs(y - fb.alpha_dropout(x, False, p))
    if per_channel:
        kept = kept.any(-1, keepdims=True)  # a channel dropped in part then mismatches
    oracle.assert_matches(out, fb.alpha_dropout(x, kept, p), torch.float64, what=f"F.{name}(p={p}, training=True)")
    dropped, total = int((~kept).sum()), kept.size
    assert scipy.stats.binomtest(dropped, total, p).pvalue > 1e-4, f"F.{name}({p}) dropped {dropped}/{total}"


@pytest.mark.capability("dropout")
@pytest.mark.parametrize("name, shape", [
    pytest.param("dropout1d", (40, 30, 3), marks=pytest.mark.checks("nn.functional.dropout1d")),
    pytest.param("dropout3d", (20, 30, 2, 2, 2), marks=pytest.mark.checks("nn.functional.dropout3d"))])
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_feature_dropout_zeroes_whole_channels(name, shape, p, device):
    fn = getattr(F, name)
    x = np.random.default_rng(5).uniform(1, 2, shape)  # a zero in the output can only be a drop
    tx = torch.tensor(x, device=device)
    oracle.assert_matches(fn(tx, p, training=False), x, torch.float64, what=f"F.{name}(training=False)")
    torch.manual_seed(5)
    out = fn(tx, p, training=True)
    kept = (dtypes.tensor_to_numpy(out).reshape(*shape[:2], -1) != 0).any(-1)
    mask = kept.reshape(kept.shape + (1,) * (len(shape) - 2))
    oracle.assert_matches(out, x * mask / (1 - p), torch.float64, what=f"F.{name}(p={p}, training=True)")
    assert scipy.stats.binomtest(int((~kept).sum()), kept.size, p).pvalue > 1e-4, f"F.{name}({p}) drop rate"


@st.composite
def fractional_cases(draw):
    """Fractional max pooling in 2 or 3 dims: kernel 1-3 per dim, spatial
    size from the kernel up, output sizes whose windows fit; shrinks to 2-d,
    kernel 1, the smallest sizes. In 3-d the last window never ends at the
    input's end: torch refuses that (known deviation
    fractional-max-pool3d-window-at-the-end-raises, its own strict-xfail
    example in test_known_deviations.py)."""
    k = draw(st.sampled_from([2, 3]), label="dims")
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(k))
    short = 0 if k == 2 else 1
    top = 7 if k == 2 else 4
    spatial = tuple(draw(st.integers(kk + short, kk + top)) for kk in kernel)
    out = tuple(draw(st.integers(1, s - kk + 1 - short)) for s, kk in zip(spatial, kernel))
    return dict(k=k, kernel=kernel, spatial=spatial, out=out, n=draw(st.integers(1, 2)), c=draw(st.integers(1, 2)))


@pytest.mark.checks("nn.functional.fractional_max_pool2d", "nn.functional.fractional_max_pool2d_with_indices",
                    "nn.functional.fractional_max_pool3d", "nn.functional.fractional_max_pool3d_with_indices")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(cfg=fractional_cases(), seed=seeds)
def test_fractional_max_pool_matches_its_interval_sequence(dtype, device, cfg, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((cfg["n"], cfg["c"], *cfg["spatial"]))
    samples = rng.uniform(0, 1, (cfg["n"], cfg["c"], cfg["k"])).astype(dtypes.to_numpy(dtype))
    fn = getattr(F, f"fractional_max_pool{cfg['k']}d")
    tx = torch.tensor(x, dtype=dtype, device=device, requires_grad=True)
    tu = torch.tensor(samples, device=device)
    value, indices = fn(tx, cfg["kernel"], output_size=cfg["out"], return_indices=True, _random_samples=tu)
    plain = fn(tx.detach(), cfg["kernel"], output_size=cfg["out"], _random_samples=tu)
    xs = dtypes.tensor_to_numpy(tx.detach()).astype(np.float64)
    want, argmax = fb.fractional_max_pool(xs, samples, cfg["kernel"], cfg["out"], dtypes.to_numpy(dtype))
    what = f"F.fractional_max_pool{cfg['k']}d(x of {x.shape}, {cfg['kernel']}, output_size={cfg['out']})"
    oracle.assert_matches(value, want, dtype, what=what)
    oracle.assert_matches(indices, argmax, torch.int64, what=f"{what} indices")
    oracle.assert_matches(plain, want, dtype, what=f"{what} without indices")
    # the gradient goes to each window's maximum, summed where windows overlap
    g = rounded(rng.standard_normal(want.shape), dtype)
    value.backward(torch.tensor(g, dtype=dtype, device=device))
    oracle.assert_matches(tx.grad, pool_ref.scatter_to_plane(g, argmax, x.shape), dtype, kind="gradient", op="sum",
                          scale=pool_ref.scatter_to_plane(np.abs(g), argmax, x.shape), what=f"{what}: d/dx")
