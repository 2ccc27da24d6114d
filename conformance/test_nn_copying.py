"""torch.nn.functional's copying layers against NumPy (issue 14, item 1):
``pad`` in every mode (constant, reflect, replicate, circular) over 1 to 3
padded dimensions, ``pixel_shuffle`` and ``pixel_unshuffle``, ``unfold``
(stride, padding, dilation) and ``fold``, its adjoint; values and VJPs,
through the nn engine (:mod:`torchconform.nncheck`).

References come from index maps built with NumPy's own operations
(:mod:`torchconform.references.gather`): the value is exact (a copy), the
VJP a sum of upstream gradients, judged against the sum of their sizes.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, strategies as st

from torchconform import dtypes
from torchconform.nncheck import Expected, check, run
from torchconform.references import gather

pytestmark = [pytest.mark.area("nn"), pytest.mark.usefixtures("one_thread")]

DTYPES = [torch.float32, torch.float64]
seeds = st.integers(0, 2**32 - 1)


def _expected_gather(x, g, index):
    gx = gather.scatter_add(g, index, x.size).reshape(x.shape)
    return Expected(gather.gather(x, index), (gx,), None,
                    (gather.scatter_add(np.abs(g), index, x.size).reshape(x.shape),))


def _expected_scatter(x, g, index, out_shape):
    """fold: the value scatters ``x`` through ``index``, the VJP gathers ``g``."""
    value = gather.scatter_add(x, index, int(np.prod(out_shape))).reshape(out_shape)
    scale = gather.scatter_add(np.abs(x), index, int(np.prod(out_shape))).reshape(out_shape)
    return Expected(value, (gather.gather(g, index),), scale)


@st.composite
def pad_cases(draw):
    """A mode, a padded rank k (1 to 3) and an input with k spatial dims after
    (N, C) (constant mode: any leading dims), and pads within the mode's limits
    (reflect: below the size; circular: up to it)."""
    mode = draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]), label="mode")
    k = draw(st.integers(1, 3), label="padded dims")
    spatial = draw(st.lists(st.integers(1, 4), min_size=k, max_size=k), label="spatial")
    lead = [draw(st.integers(1, 2)), draw(st.integers(1, 2))] if mode != "constant" else \
        draw(st.lists(st.integers(1, 2), max_size=2), label="lead")
    limit = {"constant": lambda n: 3, "reflect": lambda n: n - 1, "replicate": lambda n: 3, "circular": lambda n: n}
    pad = []
    for n in reversed(spatial):
        pad += [draw(st.integers(0, limit[mode](n))), draw(st.integers(0, limit[mode](n)))]
    value = draw(st.sampled_from([0.0, 1.5]), label="value") if mode == "constant" else None
    return mode, tuple(lead + spatial), tuple(pad), value


@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(case=pad_cases(), seed=seeds)
def test_pad_matches_numpy_in_every_mode(dtype, device, case, seed):
    mode, shape, pad, value = case
    x = np.random.default_rng(seed).standard_normal(shape)
    options = {"mode": mode} if value is None else {"mode": mode, "value": value}
    r = run(lambda t: F.pad(t, pad, **options), [x], dtype, device, seed, op=None)
    index = gather.pad_map(shape, pad, mode)
    want = _expected_gather(r.inputs[0], r.g, index)
    if value:
        want = Expected(np.where(index >= 0, want.value, value), want.grads, None, want.grad_scales)
    check(r, want, dtype, what=f"F.pad(x of {shape}, {pad}, {options})")


@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(lead=st.lists(st.integers(1, 2), max_size=2), c=st.integers(1, 2), r=st.integers(1, 3),
       hw=st.tuples(st.integers(1, 3), st.integers(1, 3)), seed=seeds)
def test_pixel_shuffle_and_unshuffle_match_numpy(dtype, device, lead, c, r, hw, seed):
    rng = np.random.default_rng(seed)
    shape = (*lead, c * r * r, *hw)
    x = rng.standard_normal(shape)
    result = run(lambda t: F.pixel_shuffle(t, r), [x], dtype, device, seed, op=None)
    check(result, _expected_gather(result.inputs[0], result.g, gather.pixel_shuffle_map(shape, r)), dtype,
          what=f"F.pixel_shuffle(x of {shape}, {r})")
    shape = (*lead, c, hw[0] * r, hw[1] * r)
    x = rng.standard_normal(shape)
    result = run(lambda t: F.pixel_unshuffle(t, r), [x], dtype, device, seed, op=None)
    check(result, _expected_gather(result.inputs[0], result.g, gather.pixel_unshuffle_map(shape, r)), dtype,
          what=f"F.pixel_unshuffle(x of {shape}, {r})")


@st.composite
def unfold_cases(draw):
    kernel = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)), label="kernel")
    dilation = draw(st.tuples(st.integers(1, 2), st.integers(1, 2)), label="dilation")
    padding = draw(st.tuples(st.integers(0, 1), st.integers(0, 1)), label="padding")
    stride = draw(st.tuples(st.integers(1, 2), st.integers(1, 2)), label="stride")
    # the image must hold at least one dilated block
    h = draw(st.integers(max(1, (kernel[0] - 1) * dilation[0] + 1 - 2 * padding[0]), 5), label="h")
    w = draw(st.integers(max(1, (kernel[1] - 1) * dilation[1] + 1 - 2 * padding[1]), 5), label="w")
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), h, w)
    return shape, {"kernel_size": kernel, "dilation": dilation, "padding": padding, "stride": stride}


@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(case=unfold_cases(), seed=seeds)
def test_unfold_and_fold_match_numpy(dtype, device, case, seed):
    shape, options = case
    rng = np.random.default_rng(seed)
    index = gather.unfold_map(shape, options["kernel_size"], options["dilation"], options["padding"],
                              options["stride"])
    result = run(lambda t: F.unfold(t, **options), [rng.standard_normal(shape)], dtype, device, seed, op=None)
    check(result, _expected_gather(result.inputs[0], result.g, index), dtype, what=f"F.unfold(x of {shape}, {options})")
    # fold puts the columns back, adding where blocks overlap: the adjoint of unfold
    columns = rng.standard_normal(index.shape)
    result = run(lambda t: F.fold(t, shape[2:], **options), [columns], dtype, device, seed, op="sum")
    check(result, _expected_scatter(result.inputs[0], result.g, index, shape), dtype, op="sum",
          what=f"F.fold(columns of {index.shape}, {shape[2:]}, {options})")
