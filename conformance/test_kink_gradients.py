"""Gradients exactly on kinks and ties (issue 14, item 5): ``abs`` at 0,
``clamp`` (and ``clamp_min``/``clamp_max``) at its bounds, ``maximum``/
``minimum`` and ``fmax``/``fmin`` at ties, ``amax``/``amin`` over tied
values, ``max(dim)`` with ties, and the steps ``sign``, ``round``, ``floor``.

Torch documents the gradient it returns where a function is not
differentiable (autograd mechanics, "Gradients for non-differentiable
functions"): where the function is locally convex, the sub-gradient of
minimum norm; locally concave, the super-gradient of minimum norm. So: 0 for
``abs`` at 0 and for ``clamp`` at either bound (as ``relu`` and ``hardtanh``
give), an even split between tied arguments of ``maximum`` and between the
tied maxima of ``amax`` (which its documentation also states), and, as
``max(dim)``'s documentation states, the whole gradient to the index it
returns. The inputs are drawn from a small grid, so ties and bound hits are
common, not rare.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from torchconform import dtypes, oracle, record

pytestmark = [pytest.mark.area("autograd"), pytest.mark.capability("grad"), pytest.mark.derivatives("reverse")]

DTYPES = [torch.float32, torch.float64]
#: A grid holding the kinks (0, the clamp bounds -1 and 1) and repeated values.
GRID = st.sampled_from([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0])
CLAMP_AT_BOUNDS = "clamp-gradient-at-bounds-not-minimum-norm"
FMAX_TIES = "fmax-tie-gradient-not-minimum-norm"


def arrays(size=st.integers(1, 6)):
    return size.flatmap(lambda n: st.lists(GRID, min_size=n, max_size=n)).map(np.array)


def gradients(fn, dtype, device, *arrays_):
    leaves = [torch.tensor(a, dtype=dtype, device=device, requires_grad=True) for a in arrays_]
    out = fn(*leaves)
    g = torch.ones_like(out)
    return [t if t is not None else torch.zeros_like(leaf)
            for t, leaf in zip(torch.autograd.grad(out, leaves, g, allow_unused=True), leaves)]


def _check(got, want, keep, dtype, what):
    for i, (tensor, expected) in enumerate(zip(got, want)):
        oracle.assert_matches(dtypes.tensor_to_numpy(tensor)[keep[i]], np.asarray(expected, np.float64)[keep[i]],
                              dtype, kind="gradient", what=f"{what} [input {i}]")


@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(x=arrays())
def test_abs_and_steps_at_zero_and_integers(dtype, device, x):
    for name, fn, want in [("abs", torch.abs, np.sign(x)), ("sign", torch.sign, 0 * x),
                           ("round", torch.round, 0 * x), ("floor", torch.floor, 0 * x)]:
        _check(gradients(fn, dtype, device, x), [want], [np.ones(x.shape, bool)], dtype, f"d {name}(x) at x={x}")


CLAMPS = {
    "clamp(x, -1, 1)": (lambda x: torch.clamp(x, -1.0, 1.0), (-1.0, 1.0)),
    "clamp_min(x, 0)": (lambda x: torch.clamp_min(x, 0.0), (0.0, np.inf)),
    "clamp_max(x, 0.5)": (lambda x: torch.clamp_max(x, 0.5), (-np.inf, 0.5)),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@pytest.mark.parametrize("name", CLAMPS)
@given(x=arrays())
def test_clamp_passes_the_gradient_strictly_inside(name, dtype, device, x):
    fn, (lo, hi) = CLAMPS[name]
    on_bound = (x == lo) | (x == hi)
    if on_bound.any():
        record.note("deviation", CLAMP_AT_BOUNDS)  # bound hits: test_clamp_at_its_bounds_gives_zero
    want = ((x > lo) & (x < hi)).astype(float)
    _check(gradients(fn, dtype, device, x), [want], [~on_bound], dtype, f"d {name} at x={x}")


PAIRS = {
    "maximum": (torch.maximum, lambda x, y: (np.where(x > y, 1.0, np.where(x == y, 0.5, 0.0)),
                                             np.where(y > x, 1.0, np.where(x == y, 0.5, 0.0)))),
    "minimum": (torch.minimum, lambda x, y: (np.where(x < y, 1.0, np.where(x == y, 0.5, 0.0)),
                                             np.where(y < x, 1.0, np.where(x == y, 0.5, 0.0)))),
    "fmax": (torch.fmax, lambda x, y: (np.where(x > y, 1.0, np.where(x == y, 0.5, 0.0)),
                                       np.where(y > x, 1.0, np.where(x == y, 0.5, 0.0)))),
    "fmin": (torch.fmin, lambda x, y: (np.where(x < y, 1.0, np.where(x == y, 0.5, 0.0)),
                                       np.where(y < x, 1.0, np.where(x == y, 0.5, 0.0)))),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@pytest.mark.parametrize("name", PAIRS)
@given(xy=st.integers(1, 6).flatmap(lambda n: st.tuples(*[st.lists(GRID, min_size=n, max_size=n)] * 2)))
def test_binary_extremum_splits_a_tie_evenly(name, dtype, device, xy):
    x, y = map(np.array, xy)
    fn, reference = PAIRS[name]
    keep = np.ones(x.shape, bool)
    if name in ("fmax", "fmin"):
        # ties: test_fmax_splits_a_tie_evenly
        keep = x != y
        if not keep.all():
            record.note("deviation", FMAX_TIES)
    _check(gradients(fn, dtype, device, x, y), reference(x, y), [keep, keep], dtype, f"d {name}(x, y) at {x}, {y}")


@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@given(x=st.integers(1, 3).flatmap(lambda r: st.integers(1, 4).flatmap(
    lambda c: st.lists(GRID, min_size=r * c, max_size=r * c).map(lambda v: np.array(v).reshape(r, c)))),
       dim=st.sampled_from([0, 1]))
def test_reductions_over_ties(dtype, device, x, dim):
    # amax/amin: evenly among the tied extremes; max(dim)/min(dim): all to the returned index
    for name, reduce, pick in [("amax", np.max, "max"), ("amin", np.min, "min")]:
        extreme = reduce(x, axis=dim, keepdims=True)
        ties = (x == extreme).astype(float)
        want = ties / ties.sum(axis=dim, keepdims=True)
        fn = (lambda t, name=name: getattr(torch, name)(t, dim))
        _check(gradients(fn, dtype, device, x), [want], [np.ones(x.shape, bool)], dtype, f"d {name}(x, {dim}) at {x}")
        leaf = torch.tensor(x, dtype=dtype, device=device, requires_grad=True)
        values, indices = getattr(torch, pick)(leaf, dim)
        (got,) = torch.autograd.grad(values.sum(), leaf)
        index = np.expand_dims(dtypes.tensor_to_numpy(indices), dim)
        assert np.all(np.take_along_axis(x, index, axis=dim) == extreme), (
            f"torch.{pick}(x, {dim}) at {x} returned indices {index.reshape(-1)} that are not extremes")
        chosen = np.zeros(x.shape)
        np.put_along_axis(chosen, index, 1.0, axis=dim)
        _check([got], [chosen], [np.ones(x.shape, bool)], dtype, f"d torch.{pick}(x, {dim}).values at {x}")


# ----------------------------------------------------------------- known deviations


@pytest.mark.parametrize("name", CLAMPS)
def test_clamp_at_its_bounds_gives_zero(name, device):
    fn, (lo, hi) = CLAMPS[name]
    x = np.array([b for b in (lo, hi) if np.isfinite(b)])
    _check(gradients(fn, torch.float64, device, x), [np.zeros_like(x)], [np.ones(x.shape, bool)], torch.float64,
           f"d {name} at its bounds {x} (relu and hardtanh give 0)")


@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_fmax_splits_a_tie_evenly(name, device):
    x = np.array([1.0])
    _check(gradients(PAIRS[name][0], torch.float64, device, x, x), [[0.5], [0.5]],
           [np.ones(1, bool)] * 2, torch.float64, f"d {name}(1, 1) (maximum gives 0.5 each)")
