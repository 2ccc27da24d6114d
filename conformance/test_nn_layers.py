"""torch.nn layers against the NumPy references of ``torchconform.references.nn``
(issue 5, item 3): forward values and the gradients with respect to the input
and the parameters, with hyper-parameters drawn by Hypothesis.

Hyper-parameters (sizes, kernel, stride, padding, dilation, groups, modes) are
what layer bugs hide in, so Hypothesis draws and shrinks them directly; the
values are standard normal from a drawn seed, as layer arithmetic has no
special-value structure worth shrinking element by element.

Products and sums are judged against the size of their terms, which the
references of :mod:`torchconform.references.nn_expected` return with each value
and gradient; :mod:`torchconform.nncheck` runs torch and compares.
"""

import numpy as np
import pytest
import scipy.stats
import torch
from hypothesis import assume, given, strategies as st
from torch import nn

from torchconform import dtypes, oracle
from torchconform.nncheck import Case, WithParams, check, rounded, run
from torchconform.references import nn as ref, nn_expected as expected

pytestmark = [pytest.mark.area("nn"), pytest.mark.usefixtures("one_thread")]

DTYPES = [torch.float32, torch.float64]
seeds = st.integers(0, 2**32 - 1)


def normal(rng, *shape):
    return rng.standard_normal(shape)


# --------------------------------------------------------------------------- Linear


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.linear")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(lead=st.lists(st.integers(1, 4), max_size=2), fin=st.integers(1, 12), fout=st.integers(1, 12),
       bias=st.booleans(), seed=seeds)
def test_linear_matches_numpy(dtype, device, lead, fin, fout, bias, seed):
    rng = np.random.default_rng(seed)
    layer = nn.Linear(fin, fout, bias=bias)
    arrays = [normal(rng, *lead, fin), normal(rng, fout, fin)] + ([normal(rng, fout)] if bias else [])
    r = run(WithParams(layer).to(device, dtype), arrays, dtype, device, seed)
    x, w, b = r.inputs[0], r.inputs[1], (r.inputs[2] if bias else None)
    check(r, expected.linear(x, w, b, r.g), dtype, op="matmul", grad_op="matmul",
          what=f"Linear({fin}, {fout}, bias={bias})")


# --------------------------------------------------------------------------- Conv2d


@st.composite
def conv_configs(draw):
    groups = draw(st.integers(1, 3), label="groups")
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 3))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    spans = [d * (k - 1) + 1 - 2 * p for k, d, p in zip(kernel, dilation, padding)]
    hw = tuple(draw(st.integers(max(1, s), max(1, s) + 5)) for s in spans)
    return dict(cin=cin, cout=cout, groups=groups, kernel=kernel, stride=stride, padding=padding,
                dilation=dilation, hw=hw, batch=draw(st.integers(1, 2)), bias=draw(st.booleans()))


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.conv2d")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(cfg=conv_configs(), seed=seeds)
def test_conv2d_matches_numpy(dtype, device, cfg, seed):
    rng = np.random.default_rng(seed)
    hyper = {k: cfg[k] for k in ("stride", "padding", "dilation", "groups")}
    layer = nn.Conv2d(cfg["cin"], cfg["cout"], cfg["kernel"], bias=cfg["bias"], **hyper)
    arrays = [normal(rng, cfg["batch"], cfg["cin"], *cfg["hw"]), normal(rng, *layer.weight.shape)]
    arrays += [normal(rng, cfg["cout"])] if cfg["bias"] else []
    r = run(WithParams(layer).to(device, dtype), arrays, dtype, device, seed)
    x, w = r.inputs[:2]
    b = r.inputs[2] if cfg["bias"] else None
    check(r, expected.conv2d(x, w, b, r.g, **hyper), dtype, op="matmul", grad_op="matmul", what=f"{layer}")


# --------------------------------------------------------------------------- pooling


@st.composite
def pool_configs(draw, dilation=True):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)  # torch allows at most half the kernel
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilation else (1, 1)
    spans = [d * (k - 1) + 1 - 2 * p for k, d, p in zip(kernel, dil, padding)]
    hw = tuple(draw(st.integers(max(1, s), max(1, s) + 5)) for s in spans)
    return dict(kernel_size=kernel, stride=stride, padding=padding, dilation=dil, hw=hw,
                ceil_mode=draw(st.booleans()), shape=(draw(st.integers(1, 2)), draw(st.integers(1, 2))))


def windows_touch_input(cfg) -> bool:
    """Whether every pooling window has a tap inside the input (dilation can
    put all taps of an edge window into the padding)."""
    for size, k, s, p, d in zip(cfg["hw"], cfg["kernel_size"], cfg["stride"], cfg["padding"], cfg["dilation"]):
        out = ref.conv2d_output_shape(size, size, k, s, p, d, cfg["ceil_mode"])[0]
        if not all(any(0 <= o * s - p + j * d < size for j in range(k)) for o in range(out)):
            return False
    return True


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.max_pool2d", "nn.functional.max_pool2d_with_indices")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(cfg=pool_configs(), seed=seeds)
def test_max_pool2d_matches_numpy(dtype, device, cfg, seed):
    # windows made only of padding are test_max_pool2d_indices_stay_inside_the_input's subject
    assume(windows_touch_input(cfg))
    hyper = {k: cfg[k] for k in ("kernel_size", "stride", "padding", "dilation", "ceil_mode")}
    layer = nn.MaxPool2d(**hyper)
    x = normal(np.random.default_rng(seed), *cfg["shape"], *cfg["hw"])
    r = run(layer, [x], dtype, device, seed)
    check(r, expected.max_pool2d(r.inputs[0], r.g, **hyper), dtype, grad_op="sum", what=f"{layer}")


@pytest.mark.capability("forward")
def test_max_pool2d_indices_stay_inside_the_input(device):
    # kernel 2 with dilation 2 and padding 1 on a width-1 input: both taps of
    # the window fall in the padding, so the output is -inf and no input
    # element is its argmax. The index must still point inside the input,
    # since backward scatters the gradient there. (Only indices are checked:
    # running backward with a bad index writes outside the gradient tensor.)
    x = torch.randn(1, 2, 1, 1, dtype=torch.float64, device=device)
    out, indices = nn.functional.max_pool2d(x, (1, 2), 1, (0, 1), (1, 2), return_indices=True)
    oracle.assert_matches(out, np.full((1, 2, 1, 1), -np.inf), torch.float64, what="max_pool2d of a window of padding only")
    bad = dtypes.tensor_to_numpy(indices)
    assert np.all((bad >= 0) & (bad < x[0, 0].numel())), f"max_pool2d indices {bad.ravel()} outside the 1x1 input plane"


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.avg_pool2d")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(cfg=pool_configs(dilation=False), include_pad=st.booleans(), divisor=st.sampled_from([None, 1, 3]), seed=seeds)
def test_avg_pool2d_matches_numpy(dtype, device, cfg, include_pad, divisor, seed):
    hyper = {k: cfg[k] for k in ("kernel_size", "stride", "padding", "ceil_mode")}
    hyper.update(count_include_pad=include_pad, divisor_override=divisor)
    layer = nn.AvgPool2d(**hyper)
    x = normal(np.random.default_rng(seed), *cfg["shape"], *cfg["hw"])
    r = run(layer, [x], dtype, device, seed)
    check(r, expected.avg_pool2d(r.inputs[0], r.g, **hyper), dtype, op="mean", grad_op="mean", what=f"{layer}")


# --------------------------------------------------------------------------- activations


#: One row per activation: the module and its reference (see :class:`~torchconform.nncheck.Case`).
#: Softmax sums over the last axis, hence the "sum" policy factor.
ACTIVATIONS = {case.name: case for case in [
    Case("ReLU", nn.ReLU(), expected.relu),
    Case("Sigmoid", nn.Sigmoid(), expected.sigmoid),
    Case("Tanh", nn.Tanh(), expected.tanh),
    Case("Softmax", nn.Softmax(dim=-1), expected.softmax, op="sum", grad_op="sum"),
    Case("LogSoftmax", nn.LogSoftmax(dim=-1), expected.log_softmax, op="sum", grad_op="sum"),
]}


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.relu", "sigmoid", "tanh", "nn.functional.softmax", "nn.functional.log_softmax")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@pytest.mark.parametrize("name", list(ACTIVATIONS))
@given(shape=st.lists(st.integers(1, 6), min_size=1, max_size=3), magnitude=st.sampled_from([1.0, 30.0, 1e3]),
       seed=seeds)
def test_activation_matches_numpy(name, dtype, device, shape, magnitude, seed):
    # large inputs check the stable forms: no overflow of exp, no 0/0 in softmax
    ACTIVATIONS[name].check([magnitude * normal(np.random.default_rng(seed), *shape)], dtype, device, seed)


# --------------------------------------------------------------------------- Flatten


@pytest.mark.capability("forward")
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data())
def test_flatten_merges_the_chosen_dims(device, shape, data):
    start = data.draw(st.integers(-len(shape), len(shape) - 1), label="start_dim")
    end = data.draw(st.integers(-len(shape), len(shape) - 1), label="end_dim")
    lo, hi = start % len(shape), end % len(shape)
    assume(lo <= hi)
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    r = run(nn.Flatten(start, end), [x], torch.float64, device, 0)
    want = x.reshape(tuple(shape[:lo]) + (-1,) + tuple(shape[hi + 1:]))
    oracle.assert_matches(r.out, want, torch.float64, what=f"Flatten({start}, {end}) of {shape}")
    oracle.assert_matches(r.grads[0], r.g.reshape(shape), torch.float64, kind="gradient")


# --------------------------------------------------------------------------- BatchNorm


@st.composite
def batch_norm_configs(draw):
    kind = draw(st.sampled_from(["1d", "1d-seq", "2d"]))
    c = draw(st.integers(1, 4))
    n = draw(st.integers(2, 4))  # training needs more than one value per channel
    extra = {"1d": (), "1d-seq": (draw(st.integers(1, 4)),), "2d": (draw(st.integers(1, 3)), draw(st.integers(1, 3)))}
    return dict(cls=nn.BatchNorm2d if kind == "2d" else nn.BatchNorm1d, shape=(n, c) + extra[kind],
                affine=draw(st.booleans()), momentum=draw(st.sampled_from([0.1, 0.5])),
                eps=draw(st.sampled_from([1e-5, 1e-2])))


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.batch_norm")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(cfg=batch_norm_configs(), seed=seeds)
def test_batch_norm_training_matches_numpy(dtype, device, cfg, seed):
    rng = np.random.default_rng(seed)
    c = cfg["shape"][1]
    layer = cfg["cls"](c, eps=cfg["eps"], momentum=cfg["momentum"], affine=cfg["affine"]).to(device, dtype)
    rm, rv = np.zeros(c), np.ones(c)
    arrays = [3 + 2 * normal(rng, *cfg["shape"])] + ([normal(rng, c), normal(rng, c)] if cfg["affine"] else [])
    call = WithParams(layer)
    for step in range(2):  # two batches: the running statistics average over both
        r = run(call, arrays, dtype, device, seed + step)
        x = r.inputs[0]
        gamma, beta = (r.inputs[1], r.inputs[2]) if cfg["affine"] else (None, None)
        want, rm, rv = expected.batch_norm_train(x, gamma, beta, r.g, rm, rv, cfg["momentum"], cfg["eps"])
        check(r, want, dtype, op="var", grad_op="var", what=f"{layer} train step {step}")
        arrays = [3 + 2 * normal(rng, *cfg["shape"])] + arrays[1:]
    oracle.assert_matches(layer.running_mean, rm, dtype, op="var", scale=np.abs(rm) + 3, what="running_mean")
    oracle.assert_matches(layer.running_var, rv, dtype, op="var", what="running_var")
    assert int(layer.num_batches_tracked) == 2


@pytest.mark.checks("nn.functional.batch_norm")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(cfg=batch_norm_configs(), seed=seeds)
def test_batch_norm_eval_uses_running_statistics(dtype, device, cfg, seed):
    rng = np.random.default_rng(seed)
    c = cfg["shape"][1]
    layer = cfg["cls"](c, eps=cfg["eps"], affine=cfg["affine"]).to(device, dtype).eval()
    rm, rv = rounded(normal(rng, c), dtype), rounded(rng.uniform(0.5, 2, c), dtype)
    with torch.no_grad():
        layer.running_mean.copy_(torch.from_numpy(rm))
        layer.running_var.copy_(torch.from_numpy(rv))
    arrays = [normal(rng, *cfg["shape"])] + ([normal(rng, c), normal(rng, c)] if cfg["affine"] else [])
    r = run(WithParams(layer).to(device, dtype), arrays, dtype, device, seed)
    gamma, beta = (r.inputs[1], r.inputs[2]) if cfg["affine"] else (None, None)
    want = expected.batch_norm_eval(r.inputs[0], gamma, beta, r.g, rm, rv, cfg["eps"])
    check(r, want, dtype, op="var", what=f"{layer} eval")
    np.testing.assert_array_equal(dtypes.tensor_to_numpy(layer.running_mean), rm.astype(dtypes.to_numpy(dtype)),
                                  err_msg="eval mode must leave the running mean alone")


# --------------------------------------------------------------------------- Dropout

#: False-alarm rate of each statistical test in this module (fixed seeds make
#: a run reproducible; the rate says how often a correct torch would fail one
#: test if the seed were chosen at random).
ALPHA = 1e-4
DROPOUT_SIZE = 20_000


@pytest.mark.capability("dropout")
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_zeroes_a_binomial_fraction_and_scales_the_rest(p, device):
    torch.manual_seed(1234)
    x = torch.ones(DROPOUT_SIZE, dtype=torch.float64, device=device, requires_grad=True)
    out = nn.Dropout(p)(x)
    out.backward(torch.ones_like(out))
    y = dtypes.tensor_to_numpy(out)
    zeros = int(np.sum(y == 0))
    test = scipy.stats.binomtest(zeros, DROPOUT_SIZE, p)
    assert test.pvalue > ALPHA, f"Dropout({p}) zeroed {zeros}/{DROPOUT_SIZE}: binomial p-value {test.pvalue:.2e}"
    kept = y[y != 0]
    oracle.assert_matches(torch.from_numpy(kept), np.full(kept.shape, 1 / (1 - p)), torch.float64, what="kept values")
    oracle.assert_matches(x.grad, np.where(y != 0, 1 / (1 - p), 0.0), torch.float64, kind="gradient", what="Dropout grad")


@pytest.mark.checks("nn.functional.dropout2d")
@pytest.mark.capability("dropout")
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_dropout2d_zeroes_whole_channels(p, device):
    torch.manual_seed(99)
    n, c = 50, 40
    # inputs in [1, 2): a zero in the output can only be a drop
    x = np.random.default_rng(99).uniform(1, 2, (n, c, 3, 3))
    out = nn.Dropout2d(p)(torch.tensor(x, device=device))
    kept = (dtypes.tensor_to_numpy(out).reshape(n, c, -1) != 0).any(-1)
    # the reference keeps or drops whole channels as torch's output shows, and scales the kept by 1/(1-p):
    # a channel dropped in part, or a wrong scale, is a mismatch
    oracle.assert_matches(out, x * kept[:, :, None, None] / (1 - p), torch.float64, what=f"Dropout2d({p})")
    zeros = int((~kept).sum())
    assert scipy.stats.binomtest(zeros, n * c, p).pvalue > ALPHA, f"Dropout2d({p}) dropped {zeros}/{n * c} channels"


@pytest.mark.capability("dropout")
@pytest.mark.parametrize("layer", [nn.Dropout(0.5), nn.Dropout2d(0.5), nn.Dropout(0.0)], ids=str)
@given(seed=seeds)
def test_dropout_is_identity_in_eval_and_at_p0(layer, device, seed):
    x = normal(np.random.default_rng(seed), 2, 3, 4, 4)
    if layer.p > 0:
        layer.eval()
    r = run(layer, [x], torch.float64, device, seed)
    oracle.assert_matches(r.out, r.inputs[0], torch.float64, what=f"{layer} ({'eval' if layer.p else 'train'})")
    oracle.assert_matches(r.grads[0], r.g, torch.float64, kind="gradient")
    layer.train()


@pytest.mark.capability("dropout")
def test_dropout_at_p1_zeroes_everything(device):
    x = torch.randn(5, 7, dtype=torch.float64, device=device, requires_grad=True)
    out = nn.Dropout(1.0)(x)
    out.sum().backward()
    # Every element times a zero mask: -0 for a negative input, as IEEE multiplication gives.
    oracle.assert_matches(out, dtypes.tensor_to_numpy(x.detach()) * 0.0, torch.float64, what="Dropout(1.0)")
    oracle.assert_matches(x.grad, np.zeros((5, 7)), torch.float64, kind="gradient")
