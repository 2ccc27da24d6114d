"""The normalisation layers' module behaviour against NumPy (issue 14, item
2): BatchNorm's running statistics under ``momentum=None`` (the cumulative
average, ``1 / num_batches_tracked`` per step) and with
``track_running_stats=False`` (batch statistics in eval mode too, no
buffers), functional ``batch_norm`` with given running statistics in both
modes, InstanceNorm with ``track_running_stats``, and a ``state_dict`` round
trip that carries the buffers (a reloaded layer in eval mode gives the same
output). References: :mod:`torchconform.references.nn` (Ioffe and Szegedy
2015, Algorithm 1; ``torch.nn.BatchNorm1d``'s documentation of ``momentum``).
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, strategies as st
from torch import nn

from torchconform import dtypes, oracle
from torchconform.nncheck import check, rounded, run
from torchconform.references import nn_expected as expected

pytestmark = [pytest.mark.area("nn"), pytest.mark.usefixtures("one_thread")]

DTYPES = [torch.float32, torch.float64]
seeds = st.integers(0, 2**32 - 1)


@pytest.mark.checks("nn.functional.batch_norm")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(n=st.integers(2, 4), c=st.integers(1, 3), length=st.integers(1, 3), steps=st.integers(1, 4), seed=seeds)
def test_batch_norm_momentum_none_keeps_the_cumulative_average(dtype, device, n, c, length, steps, seed):
    rng = np.random.default_rng(seed)
    layer = nn.BatchNorm1d(c, momentum=None, affine=False).to(device, dtype)
    rm, rv = np.zeros(c), np.ones(c)
    for step in range(1, steps + 1):
        r = run(layer, [5 + 2 * rng.standard_normal((n, c, length))], dtype, device, seed + step, op="var")
        want, rm, rv = expected.batch_norm_train(r.inputs[0], None, None, r.g, rm, rv, 1 / step, layer.eps)
        check(r, want, dtype, op="var", grad_op="var", what=f"BatchNorm1d(momentum=None) step {step}")
    oracle.assert_matches(layer.running_mean, rm, dtype, op="var", scale=np.abs(rm) + 5, what="cumulative running_mean")
    oracle.assert_matches(layer.running_var, rv, dtype, op="var", what="cumulative running_var (unbiased)")
    assert int(layer.num_batches_tracked) == steps


@pytest.mark.checks("nn.functional.batch_norm")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(n=st.integers(2, 4), c=st.integers(1, 3), seed=seeds)
def test_batch_norm_without_running_stats_uses_the_batch_in_eval(dtype, device, n, c, seed):
    rng = np.random.default_rng(seed)
    layer = nn.BatchNorm1d(c, track_running_stats=False, affine=False).to(device, dtype).eval()
    assert layer.running_mean is None and layer.running_var is None and "running_mean" not in layer.state_dict()
    r = run(layer, [rng.standard_normal((n, c))], dtype, device, seed, op="var")
    want = expected.batch_norm_train(r.inputs[0], None, None, r.g, None, None, 0.1, layer.eps)[0]
    check(r, want, dtype, op="var", grad_op="var", what="BatchNorm1d(track_running_stats=False).eval()")


@pytest.mark.checks("nn.functional.batch_norm")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(n=st.integers(2, 4), c=st.integers(1, 3), training=st.booleans(), momentum=st.sampled_from([0.1, 0.7]),
       seed=seeds)
def test_functional_batch_norm_updates_the_given_statistics(dtype, device, n, c, training, momentum, seed):
    rng = np.random.default_rng(seed)
    rm, rv = rounded(rng.standard_normal(c), dtype), rounded(rng.uniform(0.5, 2, c), dtype)
    rm_t = torch.tensor(rm, dtype=dtype, device=device)
    rv_t = torch.tensor(rv, dtype=dtype, device=device)
    arrays = [rng.standard_normal((n, c, 2)), 1 + rng.standard_normal(c), rng.standard_normal(c)]
    r = run(lambda x, w, b: F.batch_norm(x, rm_t, rv_t, w, b, training, momentum, 1e-5), arrays, dtype, device,
            seed, op="var")
    x, w, b = r.inputs
    what = f"F.batch_norm(training={training}, momentum={momentum})"
    if training:
        want, new_rm, new_rv = expected.batch_norm_train(x, w, b, r.g, rm, rv, momentum, 1e-5)
        check(r, want, dtype, op="var", grad_op="var", what=what)
    else:
        new_rm, new_rv = rm, rv
        check(r, expected.batch_norm_eval(x, w, b, r.g, rm, rv, 1e-5), dtype, op="var", what=what)
    oracle.assert_matches(rm_t, new_rm, dtype, op="var", scale=np.abs(new_rm) + 1, what=f"{what} running_mean")
    oracle.assert_matches(rv_t, new_rv, dtype, op="var", what=f"{what} running_var")


@pytest.mark.checks("nn.functional.instance_norm")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(n=st.integers(1, 3), c=st.integers(1, 3), length=st.integers(2, 4), seed=seeds)
def test_instance_norm_tracks_running_statistics(dtype, device, n, c, length, seed):
    # InstanceNorm1d(track_running_stats=True) normalises each instance in training and averages
    # the per-instance statistics over the batch into its running buffers (unbiased variance)
    rng = np.random.default_rng(seed)
    layer = nn.InstanceNorm1d(c, track_running_stats=True, momentum=0.3).to(device, dtype)
    x = rounded(3 + rng.standard_normal((n, c, length)), dtype)
    layer(torch.tensor(x, dtype=dtype, device=device))
    want_mean = 0.3 * x.mean(axis=(0, 2))
    want_var = 0.7 + 0.3 * x.var(axis=2, ddof=1).mean(axis=0)
    oracle.assert_matches(layer.running_mean, want_mean, dtype, op="var", scale=np.abs(want_mean) + 3,
                          what="InstanceNorm1d running_mean")
    oracle.assert_matches(layer.running_var, want_var, dtype, op="var", what="InstanceNorm1d running_var")
    layer.eval()
    r = run(layer, [x], dtype, device, seed, op="var")
    check(r, expected.batch_norm_eval(r.inputs[0], None, None, r.g, rounded(want_mean, dtype),
                                      rounded(want_var, dtype), layer.eps), dtype, op="var",
          what="InstanceNorm1d(track_running_stats=True).eval()")


@pytest.mark.capability("forward")
@pytest.mark.parametrize("cls", [nn.BatchNorm1d, nn.BatchNorm2d, nn.InstanceNorm2d, nn.GroupNorm, nn.LayerNorm],
                         ids=lambda c: c.__name__)
def test_state_dict_round_trip_keeps_parameters_and_buffers(cls, device):
    torch.manual_seed(0)
    shape = (3, 4, 2, 2) if cls in (nn.BatchNorm2d, nn.InstanceNorm2d, nn.GroupNorm, nn.LayerNorm) else (3, 4)
    make = {nn.GroupNorm: lambda: nn.GroupNorm(2, 4), nn.LayerNorm: lambda: nn.LayerNorm(shape[1:]),
            nn.InstanceNorm2d: lambda: nn.InstanceNorm2d(4, affine=True, track_running_stats=True)}.get(
        cls, lambda: cls(4))
    layer = make().to(device, torch.float64)
    with torch.no_grad():
        for p in layer.parameters():
            p.normal_()
    x = torch.randn(*shape, dtype=torch.float64, device=device)
    layer(x)  # a training step moves the running statistics
    buffer = io.BytesIO()
    torch.save(layer.state_dict(), buffer)
    buffer.seek(0)
    clone = make().to(device, torch.float64)
    clone.load_state_dict(torch.load(buffer))
    for key, value in layer.state_dict().items():
        assert torch.equal(clone.state_dict()[key], value), f"{cls.__name__} state_dict[{key!r}] changed"
    layer.eval(), clone.eval()
    oracle.assert_matches(clone(x), dtypes.tensor_to_numpy(layer(x)), torch.float64,
                          what=f"reloaded {cls.__name__} in eval mode")
