"""``torch.nn.functional.affine_grid`` and ``grid_sample`` against NumPy
(issue 14, item 1): 2-d grids with and without ``align_corners``, sampling
in ``bilinear`` and ``nearest`` mode with ``zeros``, ``border`` and
``reflection`` padding; values, the VJP with respect to theta and the
input (closed forms), and the bilinear VJP with respect to the grid
against float64 central differences. References:
:mod:`torchconform.references.grid`.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, strategies as st

from torchconform import dtypes, oracle
from torchconform.nncheck import Expected, check, run
from torchconform.references import finite_diff, grid as grid_ref

pytestmark = [pytest.mark.area("nn"), pytest.mark.usefixtures("one_thread")]

DTYPES = [torch.float32, torch.float64]
seeds = st.integers(0, 2**32 - 1)


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.affine_grid")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(n=st.integers(1, 2), h=st.integers(1, 4), w=st.integers(1, 4), align=st.booleans(), seed=seeds)
def test_affine_grid_matches_numpy(dtype, device, n, h, w, align, seed):
    theta = np.random.default_rng(seed).standard_normal((n, 2, 3))
    r = run(lambda t: F.affine_grid(t, (n, 1, h, w), align_corners=align), [theta], dtype, device, seed, op="sum")
    grid, vjp = grid_ref.affine_grid(r.inputs[0], h, w, align)
    scale, abs_vjp = grid_ref.affine_grid(np.abs(r.inputs[0]), h, w, align, absolute=True)
    check(r, Expected(grid, (vjp(r.g),), scale, (abs_vjp(np.abs(r.g)),)), dtype, op="sum", grad_op="sum",
          what=f"F.affine_grid(theta {theta.shape}, {(n, 1, h, w)}, align_corners={align})", names=("theta",))


def _grid_away_from_kinks(rng, shape, h, w, align):
    """Normalised grid points whose pixel coordinates lie 0.05 to 0.45 past a
    multiple of 1/2 (a little outside the image too): central differences
    never straddle a pixel, an edge or a reflection point."""
    pixels = np.stack([0.5 * rng.integers(-3, 2 * s + 2, shape) + rng.uniform(0.05, 0.45, shape) for s in (w, h)],
                      -1)
    sizes = np.array([w, h], dtype=np.float64)
    if align:
        return np.where(sizes > 1, pixels / np.maximum(sizes - 1, 1) * 2 - 1, rng.uniform(-1, 1, pixels.shape))
    return (2 * pixels + 1) / sizes - 1


@pytest.mark.derivatives("reverse")
@pytest.mark.checks("nn.functional.grid_sample")
@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@given(n=st.integers(1, 2), c=st.integers(1, 2), size=st.tuples(st.integers(1, 4), st.integers(1, 4)),
       out=st.tuples(st.integers(1, 3), st.integers(1, 3)), align=st.booleans(), seed=seeds)
def test_grid_sample_matches_numpy(mode, padding_mode, dtype, device, n, c, size, out, align, seed):
    rng = np.random.default_rng(seed)
    h, w = size
    x = rng.standard_normal((n, c, h, w))
    grid = _grid_away_from_kinks(rng, (n, *out), h, w, align)
    bilinear = mode == "bilinear"
    r = run(lambda t, gr: F.grid_sample(t, gr, mode=mode, padding_mode=padding_mode, align_corners=align),
            [x, grid], dtype, device, seed, grad=(True, bilinear), op="sum")
    xs, gs = r.inputs

    def sampled(points):
        return grid_ref.grid_sample(xs, grid_ref.sample_weights(points, h, w, mode, padding_mode, align))

    weights = grid_ref.sample_weights(gs, h, w, mode, padding_mode, align)
    what = f"F.grid_sample(x {x.shape}, grid {grid.shape}, {mode}, {padding_mode}, align_corners={align})"
    # the weights come from pixel coordinates of up to about h + w, rounded in the dtype: each weight
    # errs by that many ULPs, so the terms are the neighbours' sizes times (1 + h + w)
    touched, widen = (weights != 0).astype(np.float64), 1 + h + w
    want = Expected(sampled(gs), (grid_ref.grid_sample_input_vjp(r.g, weights, x.shape), None),
                    grid_ref.grid_sample(np.abs(xs), touched) * widen,
                    (grid_ref.grid_sample_input_vjp(np.abs(r.g), touched, x.shape) * widen,))
    check(r, want, dtype, op="sum", grad_op="sum", what=what, names=("input", "grid"))
    if bilinear:
        (d_grid,) = finite_diff.vjp(sampled, [gs], r.g)
        oracle.assert_matches(r.grads[1], d_grid.value, dtype, kind="finite_difference", op="sum",
                              scale=d_grid.scale, what=f"{what}: d/dgrid")
