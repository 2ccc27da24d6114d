"""torch.nn.functional's distances against NumPy (issue 14, item 1):
``pairwise_distance`` (``p`` in 1, 2, 3, inf; ``eps``), ``cdist`` (batched),
``pdist`` and ``cosine_similarity`` (any ``dim``); values and VJPs with
respect to both inputs, through the nn engine. References:
:mod:`torchconform.references.distance`.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, strategies as st

from torchconform import dtypes
from torchconform.nncheck import check, run
from torchconform.references import nn_expected as expected

pytestmark = [pytest.mark.area("nn"), pytest.mark.usefixtures("one_thread")]

DTYPES = [torch.float32, torch.float64]
seeds = st.integers(0, 2**32 - 1)
NORMS = st.sampled_from([1.0, 2.0, 3.0, float("inf")])
NAMES = ("x1", "x2")


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.pairwise_distance")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), p=NORMS, eps=st.sampled_from([0.0, 1e-6, 0.1]),
       seed=seeds)
def test_pairwise_distance_matches_numpy(dtype, device, shape, p, eps, seed):
    rng = np.random.default_rng(seed)
    r = run(lambda a, b: F.pairwise_distance(a, b, p, eps), [rng.standard_normal(shape), rng.standard_normal(shape)],
            dtype, device, seed, op="sum")
    check(r, expected.pairwise_distance(*r.inputs, r.g, p=p, eps=eps), dtype, op="pow", grad_op="pow",
          what=f"F.pairwise_distance(x of {shape}, p={p}, eps={eps})", names=NAMES)


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("cdist")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(batch=st.lists(st.integers(1, 2), max_size=1), rows=st.tuples(st.integers(1, 4), st.integers(1, 4)),
       m=st.integers(1, 4), p=NORMS, seed=seeds)
def test_cdist_matches_numpy(dtype, device, batch, rows, m, p, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((*batch, rows[0], m)), rng.standard_normal((*batch, rows[1], m))]
    r = run(lambda a, b: torch.cdist(a, b, p), arrays, dtype, device, seed, op="sum")
    check(r, expected.cdist(*r.inputs, r.g, p=p), dtype, op="pow", grad_op="pow",
          what=f"torch.cdist({arrays[0].shape}, {arrays[1].shape}, p={p})", names=NAMES)


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.pdist")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(n=st.integers(2, 5), m=st.integers(1, 4), p=NORMS, seed=seeds)
def test_pdist_matches_numpy(dtype, device, n, m, p, seed):
    x = np.random.default_rng(seed).standard_normal((n, m))
    r = run(lambda t: F.pdist(t, p), [x], dtype, device, seed, op="sum")
    check(r, expected.pdist(r.inputs[0], r.g, p=p), dtype, op="pow", grad_op="pow",
          what=f"F.pdist(x of {x.shape}, p={p})")


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.cosine_similarity")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data(), seed=seeds)
def test_cosine_similarity_matches_numpy(dtype, device, shape, data, seed):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    rng = np.random.default_rng(seed)
    r = run(lambda a, b: F.cosine_similarity(a, b, dim, 1e-8), [rng.standard_normal(shape),
                                                                rng.standard_normal(shape)], dtype, device, seed,
            op="sum")
    check(r, expected.cosine_similarity(*r.inputs, r.g, dim=dim, eps=1e-8), dtype, op="sum", grad_op="sum",
          what=f"F.cosine_similarity(x of {shape}, dim={dim})", names=NAMES)
