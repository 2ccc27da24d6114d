"""``torch.nn.functional.interpolate`` against NumPy (issue 14, item 1): modes
``nearest``, ``nearest-exact``, ``area`` in one to three dimensions,
``linear``, ``bilinear``, ``trilinear`` and ``bicubic`` with and without
``align_corners``, output given by ``size`` or by ``scale_factor``
(down- and up-sampling); values and VJPs through the nn engine. References:
:mod:`torchconform.references.interpolate`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, strategies as st

from torchconform import dtypes
from torchconform.nncheck import check, run
from torchconform.references import interpolate as interp_ref, nn_expected as expected

pytestmark = [pytest.mark.area("nn"), pytest.mark.usefixtures("one_thread")]

DTYPES = [torch.float32, torch.float64]
seeds = st.integers(0, 2**32 - 1)
#: mode -> (spatial dimensions it takes, its per-dimension matrix mode)
MODES = {"nearest": ((1, 2, 3), "nearest"), "nearest-exact": ((1, 2, 3), "nearest-exact"), "area": ((1, 2, 3), "area"),
         "linear": ((1,), "linear"), "bilinear": ((2,), "linear"), "trilinear": ((3,), "linear"),
         "bicubic": ((2,), "bicubic")}


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.interpolate")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@pytest.mark.parametrize("mode", list(MODES))
@given(by_size=st.booleans(), align=st.booleans(), data=st.data(), seed=seeds)
def test_interpolate_matches_numpy(mode, dtype, device, by_size, align, data, seed):
    dims, kind = MODES[mode]
    k = data.draw(st.sampled_from(dims), label="dims")
    spatial = tuple(data.draw(st.integers(1, 4 if k < 3 else 3), label="size") for _ in range(k))
    options = {"mode": mode}
    if kind in ("linear", "bicubic"):
        options["align_corners"] = align
    if by_size:
        out = tuple(data.draw(st.integers(1, 6 if k < 3 else 4), label="output size") for _ in range(k))
        options["size"] = out
        factors = [None] * k
    else:
        factors = [data.draw(st.sampled_from([0.5, 1.0, 1.5, 2.0, 2.5]), label="scale_factor") for _ in range(k)]
        out = tuple(math.floor(n * f) for n, f in zip(spatial, factors))
        if min(out) < 1:
            factors = [2.0] * k
            out = tuple(2 * n for n in spatial)
        options["scale_factor"] = tuple(factors)
    x = np.random.default_rng(seed).standard_normal((data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)),
                                                     *spatial))
    # area is adaptive pooling to the output size, whatever gave it
    matrices, term_matrices = ([interp_ref.matrix(n, o, kind, align, None if kind == "area" else f, terms=terms)
                                for n, o, f in zip(spatial, out, factors)] for terms in (False, True))
    r = run(lambda t: F.interpolate(t, **options), [x], dtype, device, seed, op="sum")
    check(r, expected.interpolate(r.inputs[0], r.g, matrices=matrices, term_matrices=term_matrices), dtype, op="sum", grad_op="sum",
          what=f"F.interpolate(x of {x.shape}, {options})")
