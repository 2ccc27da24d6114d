"""torch.nn.functional's lookups against NumPy (issue 14, item 1):
``embedding`` (``padding_idx``, ``max_norm`` with ``norm_type``,
``scale_grad_by_freq``), ``embedding_bag`` (modes sum, mean and max,
``per_sample_weights``, ``padding_idx``, ``include_last_offset``, empty bags)
and ``one_hot``; values and VJPs with respect to the weight and the
per-sample weights, through the nn engine. References:
:mod:`torchconform.references.embedding`.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, strategies as st

from torchconform import dtypes, oracle
from torchconform.nncheck import check, run
from torchconform.references import embedding as emb_ref, nn_expected as expected

pytestmark = [pytest.mark.area("nn"), pytest.mark.usefixtures("one_thread")]

DTYPES = [torch.float32, torch.float64]
seeds = st.integers(0, 2**32 - 1)
NAMES = ("indices", "weight", "per_sample_weights")


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.embedding")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(rows=st.integers(1, 6), dim=st.integers(1, 4), shape=st.lists(st.integers(1, 4), min_size=1, max_size=2),
       padding=st.booleans(), max_norm=st.sampled_from([None, 0.5, 2.0]), norm_type=st.sampled_from([1.0, 2.0]),
       freq=st.booleans(), seed=seeds)
def test_embedding_matches_numpy(dtype, device, rows, dim, shape, padding, max_norm, norm_type, freq, seed):
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, rows, shape)
    padding_idx = int(indices.flat[0]) if padding else None
    options = dict(padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type, scale_grad_by_freq=freq)
    r = run(lambda i, w: F.embedding(i, w, **options), [indices, rng.standard_normal((rows, dim))], dtype, device,
            seed, grad=(False, True), op=None)
    check(r, expected.embedding(r.inputs[0], r.inputs[1], r.g, **options), dtype, grad_op="sum",
          what=f"F.embedding(indices of {tuple(shape)}, weight ({rows}, {dim}), {options})", names=NAMES)


@st.composite
def bag_cases(draw):
    rows = draw(st.integers(1, 5), label="rows")
    sizes = draw(st.lists(st.integers(0, 3), min_size=1, max_size=4), label="bag sizes")
    mode = draw(st.sampled_from(["sum", "mean", "max"]), label="mode")
    return dict(rows=rows, dim=draw(st.integers(1, 3), label="dim"), sizes=sizes, mode=mode,
                weighted=mode == "sum" and draw(st.booleans(), label="per_sample_weights"),
                padding=draw(st.booleans(), label="padding_idx"), last=draw(st.booleans(), label="include_last"))


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.embedding_bag")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(case=bag_cases(), seed=seeds)
def test_embedding_bag_matches_numpy(dtype, device, case, seed):
    rng = np.random.default_rng(seed)
    total = sum(case["sizes"])
    indices = rng.integers(0, case["rows"], total)
    starts = np.concatenate([[0], np.cumsum(case["sizes"])[:-1]]).astype(np.int64)
    offsets = np.append(starts, total) if case["last"] else starts
    padding_idx = 0 if case["padding"] else None
    arrays = [indices, rng.standard_normal((case["rows"], case["dim"]))]
    arrays += [rng.standard_normal(total)] if case["weighted"] else []
    options = dict(mode=case["mode"], padding_idx=padding_idx, include_last_offset=case["last"])

    def bag(i, w, psw=None):
        return F.embedding_bag(i, w, torch.tensor(offsets, device=i.device), per_sample_weights=psw, **options)

    r = run(bag, arrays, dtype, device, seed, grad=(False, True, True), op="sum")
    bag_list = emb_ref.bags(r.inputs[0], offsets, case["last"])
    want = expected.embedding_bag(r.inputs[0], r.inputs[1], r.inputs[2] if case["weighted"] else None, r.g,
                                  bag_list=bag_list, mode=case["mode"], padding_idx=padding_idx)
    check(r, want, dtype, op="sum", grad_op="sum", names=NAMES,
          what=f"F.embedding_bag(bags {case['sizes']} of ({case['rows']}, {case['dim']}), {options}, "
          f"per_sample_weights={case['weighted']})")


@pytest.mark.checks("nn.functional.one_hot")
@pytest.mark.capability("forward")
@given(shape=st.lists(st.integers(0, 4), max_size=3), classes=st.integers(1, 5), infer=st.booleans(), seed=seeds)
def test_one_hot_matches_numpy(device, shape, classes, infer, seed):
    indices = np.random.default_rng(seed).integers(0, classes, shape)
    if infer and indices.size == 0:
        infer = False  # torch cannot infer the class count of an empty tensor
    num = int(indices.max()) + 1 if infer else classes
    got = F.one_hot(torch.tensor(indices, device=device), -1 if infer else classes)
    oracle.assert_matches(got, emb_ref.one_hot(indices, num), torch.int64, what=f"F.one_hot(indices of {tuple(shape)}, "
                          f"{-1 if infer else classes})")
