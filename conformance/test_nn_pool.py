"""torch.nn.functional's pooling in one, two and three dimensions against
NumPy (issue 14, item 1): ``max_pool`` (dilation, ``ceil_mode``,
``return_indices``), ``avg_pool`` (``count_include_pad``,
``divisor_override``), ``lp_pool``, ``adaptive_max_pool`` and
``adaptive_avg_pool`` (output sizes below, at and above the input's), and
``max_unpool``; values, returned indices and VJPs, through the nn engine
(:mod:`torchconform.nncheck`). References: :mod:`torchconform.references.pool`.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, strategies as st

from torchconform import dtypes, oracle
from torchconform.nncheck import check, run
from torchconform.references import nn_expected as expected, pool as pool_ref

pytestmark = [pytest.mark.area("nn"), pytest.mark.usefixtures("one_thread")]

DTYPES = [torch.float32, torch.float64]
seeds = st.integers(0, 2**32 - 1)
DIMS = st.sampled_from([1, 2, 3])


def _fn(name: str, k: int):
    return getattr(F, f"{name}{k}d")


@st.composite
def window_cases(draw, dilation=True):
    """A k-d pooling configuration: kernel, stride, padding (at most half the
    kernel, as torch requires), dilation, ceil_mode and an input holding at
    least one dilated window."""
    k = draw(DIMS, label="dims")
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(k))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(k))
    padding = tuple(draw(st.integers(0, kk // 2)) for kk in kernel)
    dil = tuple(draw(st.integers(1, 2)) for _ in range(k)) if dilation else (1,) * k
    top = 4 if k < 3 else 2
    spatial = tuple(draw(st.integers(max(1, d * (kk - 1) + 1 - 2 * p), max(1, d * (kk - 1) + 1 - 2 * p) + top))
                    for kk, d, p in zip(kernel, dil, padding))
    return dict(k=k, kernel=kernel, stride=stride, padding=padding, dilation=dil, ceil_mode=draw(st.booleans()),
                shape=(draw(st.integers(1, 2)), draw(st.integers(1, 2)), *spatial))


def _windows(cfg):
    per_dim = [pool_ref.sliding_windows(n, kk, s, p, d, cfg["ceil_mode"]) for n, kk, s, p, d in
               zip(cfg["shape"][2:], cfg["kernel"], cfg["stride"], cfg["padding"], cfg["dilation"])]
    return pool_ref.combine(cfg["shape"][2:], per_dim)


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.max_pool1d_with_indices", "nn.functional.max_pool2d_with_indices",
                    "nn.functional.max_pool3d_with_indices", "nn.functional.max_pool1d", "nn.functional.max_pool2d",
                    "nn.functional.max_pool3d")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(cfg=window_cases(), seed=seeds)
def test_max_pool_nd_matches_numpy(dtype, device, cfg, seed):
    windows, out_shape = _windows(cfg)
    assume(all(taps for taps, _, _ in windows))  # windows of padding only: test_nn_layers' indices test
    indices = []

    def pool(t):
        out, idx = _fn("max_pool", cfg["k"])(t, cfg["kernel"], cfg["stride"], cfg["padding"], cfg["dilation"],
                                             ceil_mode=cfg["ceil_mode"], return_indices=True)
        indices.append(idx)
        return out

    x = np.random.default_rng(seed).standard_normal(cfg["shape"])
    r = run(pool, [x], dtype, device, seed, op=None)
    want, argmax = expected.max_pool(r.inputs[0], r.g, windows=windows, out_shape=out_shape)
    what = f"F.max_pool{cfg['k']}d(x of {cfg['shape']}, {cfg['kernel']}, {cfg['stride']}, {cfg['padding']}, " \
           f"{cfg['dilation']}, ceil_mode={cfg['ceil_mode']})"
    check(r, want, dtype, grad_op="sum", what=what)
    oracle.assert_matches(indices[-1], argmax, torch.int64, what=f"{what} indices")
    # without return_indices the call dispatches to another function
    plain = _fn("max_pool", cfg["k"])(torch.tensor(r.inputs[0], dtype=dtype, device=device), cfg["kernel"],
                                      cfg["stride"], cfg["padding"], cfg["dilation"], ceil_mode=cfg["ceil_mode"])
    oracle.assert_matches(plain, want.value, dtype, what=f"{what} without indices")


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.avg_pool1d", "nn.functional.avg_pool2d", "nn.functional.avg_pool3d")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(cfg=window_cases(dilation=False), include_pad=st.booleans(), divisor=st.sampled_from([None, 1, 3]),
       seed=seeds)
def test_avg_pool_nd_matches_numpy(dtype, device, cfg, include_pad, divisor, seed):
    if cfg["k"] == 1:
        divisor = None  # avg_pool1d has no divisor_override
    # avg_pool3d (unlike 1d and 2d) refuses inputs smaller than the kernel, whatever the padding
    assume(cfg["k"] < 3 or all(n >= kk for n, kk in zip(cfg["shape"][2:], cfg["kernel"])))
    windows, out_shape = _windows(cfg)
    weights = pool_ref.avg_pool_weights(windows, cfg["shape"][2:],
                                        divisor or ("padded" if include_pad else "inside"))
    options = dict(ceil_mode=cfg["ceil_mode"], count_include_pad=include_pad)
    options.update({"divisor_override": divisor} if cfg["k"] > 1 else {})
    x = np.random.default_rng(seed).standard_normal(cfg["shape"])
    r = run(lambda t: _fn("avg_pool", cfg["k"])(t, cfg["kernel"], cfg["stride"], cfg["padding"], **options), [x],
            dtype, device, seed, op="mean")
    check(r, expected.linear_pool(r.inputs[0], r.g, weights=weights, out_shape=out_shape), dtype, op="mean",
          grad_op="mean", what=f"F.avg_pool{cfg['k']}d(x of {cfg['shape']}, {cfg['kernel']}, {cfg['stride']}, "
          f"{cfg['padding']}, {options})")


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.lp_pool1d", "nn.functional.lp_pool2d", "nn.functional.lp_pool3d")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(cfg=window_cases(dilation=False), p=st.sampled_from([1.0, 2.0, 3.0]), seed=seeds)
def test_lp_pool_nd_matches_numpy(dtype, device, cfg, p, seed):
    # no padding in lp_pool; ceil_mode: known deviation lp-pool-ceil-mode-partial-window-scaled
    cfg = dict(cfg, padding=(0,) * cfg["k"], ceil_mode=False)
    assume(all(n >= kk for n, kk in zip(cfg["shape"][2:], cfg["kernel"])))
    windows, out_shape = _windows(cfg)
    weights = pool_ref.avg_pool_weights(windows, cfg["shape"][2:], 1)
    # positive inputs: x**p of a negative x has no real p-th root for odd p
    x = 0.2 + np.abs(np.random.default_rng(seed).standard_normal(cfg["shape"]))
    # lp_pool1d takes int kernel and stride only
    kernel, stride = (cfg["kernel"][0], cfg["stride"][0]) if cfg["k"] == 1 else (cfg["kernel"], cfg["stride"])
    r = run(lambda t: _fn("lp_pool", cfg["k"])(t, p, kernel, stride), [x], dtype, device, seed, op="mean")
    check(r, expected.lp_pool(r.inputs[0], r.g, weights=weights, out_shape=out_shape, p=p), dtype, op="pow",
          grad_op="pow", what=f"F.lp_pool{cfg['k']}d(x of {cfg['shape']}, {p}, {cfg['kernel']}, {cfg['stride']})")


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.adaptive_avg_pool1d", "nn.functional.adaptive_avg_pool2d", "nn.functional.adaptive_avg_pool3d", "nn.functional.adaptive_max_pool1d_with_indices", "nn.functional.adaptive_max_pool2d_with_indices", "nn.functional.adaptive_max_pool3d_with_indices",
                    "nn.functional.adaptive_max_pool1d", "nn.functional.adaptive_max_pool2d",
                    "nn.functional.adaptive_max_pool3d")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@pytest.mark.parametrize("kind", ["max", "avg"])
@given(k=DIMS, n=st.integers(1, 2), c=st.integers(1, 2), data=st.data(), seed=seeds)
def test_adaptive_pool_nd_matches_numpy(kind, dtype, device, k, n, c, data, seed):
    spatial = tuple(data.draw(st.integers(1, 5 if k < 3 else 3), label="size") for _ in range(k))
    out = tuple(data.draw(st.integers(1, s + 1), label="output size") for s in spatial)
    windows, out_shape = pool_ref.combine(spatial, [pool_ref.adaptive_windows(s, o) for s, o in zip(spatial, out)])
    x = np.random.default_rng(seed).standard_normal((n, c, *spatial))
    what = f"F.adaptive_{kind}_pool{k}d(x of {x.shape}, {out})"
    if kind == "avg":
        weights = pool_ref.avg_pool_weights(windows, spatial, "inside")
        r = run(lambda t: _fn("adaptive_avg_pool", k)(t, out), [x], dtype, device, seed, op="mean")
        check(r, expected.linear_pool(r.inputs[0], r.g, weights=weights, out_shape=out_shape), dtype, op="mean",
              grad_op="mean", what=what)
        return
    indices = []

    def pool(t):
        value, idx = _fn("adaptive_max_pool", k)(t, out, return_indices=True)
        indices.append(idx)
        return value

    r = run(pool, [x], dtype, device, seed, op=None)
    want, argmax = expected.max_pool(r.inputs[0], r.g, windows=windows, out_shape=out_shape)
    check(r, want, dtype, grad_op="sum", what=what)
    oracle.assert_matches(indices[-1], argmax, torch.int64, what=f"{what} indices")
    plain = _fn("adaptive_max_pool", k)(torch.tensor(r.inputs[0], dtype=dtype, device=device), out)
    oracle.assert_matches(plain, want.value, dtype, what=f"{what} without indices")


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.max_unpool1d", "nn.functional.max_unpool2d", "nn.functional.max_unpool3d")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(k=DIMS, kernel=st.integers(1, 3), n=st.integers(1, 2), c=st.integers(1, 2), data=st.data(), seed=seeds)
def test_max_unpool_nd_matches_numpy(dtype, device, k, kernel, n, c, data, seed):
    # non-overlapping windows (stride = kernel) give distinct indices, so the unpooling is a permutation
    spatial = tuple(data.draw(st.integers(kernel, 2 * kernel + 1), label="size") for _ in range(k))
    rng = np.random.default_rng(seed)
    source = torch.tensor(rng.standard_normal((n, c, *spatial)))
    pooled, indices = _fn("max_pool", k)(source, kernel, return_indices=True)
    x = rng.standard_normal(tuple(pooled.shape))
    out_shape = (n, c, *spatial)
    r = run(lambda t: _fn("max_unpool", k)(t, indices.to(t.device), kernel, output_size=spatial), [x], dtype,
            device, seed, op=None)
    check(r, expected.max_unpool(r.inputs[0], r.g, indices=indices.numpy(), out_shape=out_shape), dtype,
          what=f"F.max_unpool{k}d(x of {x.shape}, {kernel}, output_size={spatial})")


@pytest.mark.checks("nn.functional.lp_pool1d")
@pytest.mark.capability("forward")
def test_lp_pool_partial_windows(device):
    # ceil_mode's last window of [1, 2, 3] with kernel 2, stride 2 holds 3 alone: (3**2) ** (1/2) = 3
    x = torch.tensor([[[1.0, 2.0, 3.0]]], dtype=torch.float64, device=device)
    oracle.assert_matches(F.lp_pool1d(x, 2.0, 2, 2, ceil_mode=True), np.array([[[5 ** 0.5, 3.0]]]), torch.float64,
                          what="F.lp_pool1d([1, 2, 3], 2, kernel 2, stride 2, ceil_mode=True)")
