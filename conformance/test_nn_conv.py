"""torch.nn's convolutions in every dimension against NumPy (issue 14, item 1):
``nn.Conv1d/2d/3d`` with stride, dilation, groups, integer or ``'same'``
padding in every ``padding_mode`` (zeros, reflect, replicate, circular), and
``nn.ConvTranspose1d/2d/3d`` with ``output_padding``; values and the VJPs
with respect to the input, the weight and the bias, through the nn engine
(:mod:`torchconform.nncheck`). References: :mod:`torchconform.references.conv`.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from torch import nn

from torchconform import dtypes
from torchconform.nncheck import WithParams, check, run
from torchconform.references import conv as conv_ref, nn_expected as expected

pytestmark = [pytest.mark.area("nn"), pytest.mark.usefixtures("one_thread")]

DTYPES = [torch.float32, torch.float64]
seeds = st.integers(0, 2**32 - 1)
CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
CONV_TRANSPOSE = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}


def _sizes(draw, k: int, low: int = 1) -> tuple:
    """Small per-dimension sizes; 3-d volumes stay tiny so the reference's
    einsum and torch's kernels both run in milliseconds."""
    return tuple(draw(st.integers(low, 2 if k == 3 else 3)) for _ in range(k))


@st.composite
def conv_cases(draw):
    """A Conv{k}d configuration with an input at least as large as the padded
    dilated kernel (reflect padding also needs pads below each size)."""
    k = draw(st.sampled_from([1, 2, 3]), label="dims")
    groups = draw(st.integers(1, 2), label="groups")
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel, dilation = _sizes(draw, k), tuple(draw(st.integers(1, 2)) for _ in range(k))
    mode = draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]), label="padding_mode")
    same = draw(st.booleans(), label="padding='same'")
    stride = (1,) * k if same else tuple(draw(st.integers(1, 2)) for _ in range(k))
    if same:
        pairs = conv_ref.same_padding(kernel, dilation)
    else:
        pads = tuple(draw(st.integers(0, 2)) for _ in range(k))
        pairs = tuple((p, p) for p in pads)
    need = [max(1, d * (kk - 1) + 1 - a - b, max(a, b) + 1 if mode == "reflect" else 1, max(a, b))
            for kk, d, (a, b) in zip(kernel, dilation, pairs)]
    spatial = tuple(draw(st.integers(n, n + (1 if k == 3 else 3))) for n in need)
    return dict(k=k, groups=groups, cin=cin, cout=cout, kernel=kernel, dilation=dilation, stride=stride,
                padding="same" if same else tuple(p for p, _ in pairs), pairs=pairs, mode=mode,
                shape=(draw(st.integers(1, 2)), cin, *spatial), bias=draw(st.booleans()))


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.conv1d", "nn.functional.conv2d", "nn.functional.conv3d", "nn.functional.pad")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(cfg=conv_cases(), seed=seeds)
def test_conv_nd_matches_numpy(dtype, device, cfg, seed):
    rng = np.random.default_rng(seed)
    layer = CONV[cfg["k"]](cfg["cin"], cfg["cout"], cfg["kernel"], stride=cfg["stride"], padding=cfg["padding"],
                           dilation=cfg["dilation"], groups=cfg["groups"], bias=cfg["bias"],
                           padding_mode=cfg["mode"])
    arrays = [rng.standard_normal(cfg["shape"]), rng.standard_normal(layer.weight.shape)]
    arrays += [rng.standard_normal(cfg["cout"])] if cfg["bias"] else []
    r = run(WithParams(layer).to(device, dtype), arrays, dtype, device, seed)
    mode = "constant" if cfg["mode"] == "zeros" else cfg["mode"]
    index = conv_ref.window_map(cfg["shape"], cfg["kernel"], cfg["stride"], cfg["pairs"], cfg["dilation"], mode)
    x, w = r.inputs[:2]
    b = r.inputs[2] if cfg["bias"] else None
    check(r, expected.conv(x, w, b, r.g, index=index, groups=cfg["groups"]), dtype, op="matmul", grad_op="matmul",
          what=f"{layer} on {cfg['shape']}")


@st.composite
def conv_transpose_cases(draw):
    """A ConvTranspose{k}d configuration; torch requires output_padding below
    the stride or the dilation, and a positive output size."""
    k = draw(st.sampled_from([1, 2, 3]), label="dims")
    groups = draw(st.integers(1, 2), label="groups")
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel, dilation = _sizes(draw, k), tuple(draw(st.integers(1, 2)) for _ in range(k))
    stride = tuple(draw(st.integers(1, 2)) for _ in range(k))
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    padding = tuple(draw(st.integers(0, 1)) for _ in range(k))
    spatial = _sizes(draw, k)
    sizes = conv_ref.transposed_output_shape((1, cin, *spatial), (cin, cout // groups, *kernel), stride, padding,
                                             output_padding, groups, dilation)[2:]
    if min(sizes) < 1:
        padding = (0,) * k
    return dict(k=k, groups=groups, cin=cin, cout=cout, kernel=kernel, dilation=dilation, stride=stride,
                padding=padding, output_padding=output_padding, shape=(draw(st.integers(1, 2)), cin, *spatial),
                bias=draw(st.booleans()))


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.conv_transpose1d", "nn.functional.conv_transpose2d", "nn.functional.conv_transpose3d")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(cfg=conv_transpose_cases(), seed=seeds)
def test_conv_transpose_nd_matches_numpy(dtype, device, cfg, seed):
    rng = np.random.default_rng(seed)
    hyper = {key: cfg[key] for key in ("stride", "padding", "output_padding", "groups", "dilation")}
    layer = CONV_TRANSPOSE[cfg["k"]](cfg["cin"], cfg["cout"], cfg["kernel"], bias=cfg["bias"], **hyper)
    arrays = [rng.standard_normal(cfg["shape"]), rng.standard_normal(layer.weight.shape)]
    arrays += [rng.standard_normal(cfg["cout"])] if cfg["bias"] else []
    r = run(WithParams(layer).to(device, dtype), arrays, dtype, device, seed)
    x, w = r.inputs[:2]
    b = r.inputs[2] if cfg["bias"] else None
    check(r, expected.conv_transpose(x, w, b, r.g, **hyper), dtype, op="matmul", grad_op="matmul",
          what=f"{layer} on {cfg['shape']}")
