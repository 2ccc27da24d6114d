"""Scans and order statistics: every row of the op table's ORDER (cumsum,
cumprod, cummax/cummin with their indices, logcumsumexp, stable sort and
argsort, topk, kthvalue, median, quantile with every interpolation, mode,
unique, searchsorted, histograms, counts, nan-reductions, diff, trapezoid,
cov, aminmax, isin) against NumPy/SciPy, per dtype, on every device, in every
drawn layout."""

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from torchconform import dtypes, record
from torchconform.opcheck import check_op, op_cases, op_dtype_params, require_dtype
from torchconform.oracle import assert_matches
from torchconform.ops import ORDER
from torchconform.strategies import LAYOUTS, dtypes_for, shapes, tensors

pytestmark = pytest.mark.area("order")

#: Rows whose known deviation depends on the input's layout, which a row's
#: value predicate cannot see: that layout is left out and the report names the deviation.
LAYOUT_DEVIATIONS = {"median_dim": ("expanded", "median-dim-of-a-stride-0-input")}


@pytest.mark.capability("forward")
@pytest.mark.parametrize("op, dtype", op_dtype_params(ORDER))
@given(data=st.data())
def test_order_op_matches_numpy(op, dtype, device, data):
    require_dtype(dtype, device)
    layouts = LAYOUTS
    if op.name in LAYOUT_DEVIATIONS:
        left_out, deviation = LAYOUT_DEVIATIONS[op.name]
        layouts = [layout for layout in LAYOUTS if layout != left_out]
        record.note("deviation", deviation)
    check_op(data.draw(op_cases(op, dtype, device, layouts=layouts), label="case"))


ISIN_LAYOUT = "isin-non-viewable-test-elements-raises"


def _flattens_as_a_view(t):
    try:
        t.view(-1)
    except RuntimeError:
        return False
    return True


@pytest.mark.capability("forward")
@given(data=st.data())
def test_isin_matches_numpy(device, data):
    """torch.isin(elements, test_elements, invert=) against numpy.isin, for independent shapes and
    layouts of both (0-d included); values from a small range so that members are common."""
    dtype = data.draw(dtypes_for(device, ("int", "float")), label="dtype")
    elements, test_elements = (data.draw(tensors(dtype, shape=shapes(max_dims=3), device=device, domain=(-4, 4)),
                                         label=name) for name in ("elements", "test_elements"))
    invert = data.draw(st.booleans(), label="invert")
    if not _flattens_as_a_view(test_elements.tensor):
        # A property of the layout, not of the values; the deviation has its own example test.
        record.note("deviation", ISIN_LAYOUT)
        return
    expected = np.isin(elements.array, test_elements.array, invert=invert)
    assert_matches(torch.isin(elements.tensor, test_elements.tensor, invert=invert), expected, torch.bool,
                   what=f"isin(elements, test_elements, invert={invert})")


FLOATS = ("float",)


@pytest.mark.capability("forward")
@given(data=st.data())
def test_corrcoef_matches_numpy(device, data):
    """torch.corrcoef of a (variables, observations) matrix against numpy.corrcoef (both clip to [-1, 1];
    a constant variable's row is nan). Its error is cov's, eps |x|max^2, over sd_i sd_j."""
    dtype = data.draw(dtypes_for(device, FLOATS), label="dtype")
    shape = data.draw(st.tuples(st.integers(1, 4), st.integers(1, 5)), label="shape")
    drawn = data.draw(tensors(dtype, shape=shape, device=device, domain=(-10, 10), specials=False), label="x")
    x = drawn.array.astype(np.float64)
    with np.errstate(all="ignore"):
        expected = np.corrcoef(x)
        spread = np.sqrt(np.outer(np.var(x, axis=1), np.var(x, axis=1)))
        scale = np.max(np.abs(x)) ** 2 / spread
    scale = np.where(np.isfinite(scale), scale, 0.0).reshape(np.shape(expected))
    assert_matches(torch.corrcoef(drawn.tensor), expected, dtype, op="var", scale=scale, what="corrcoef")


@pytest.mark.capability("forward")
@given(data=st.data())
def test_gradient_matches_numpy_gradient(device, data):
    """torch.gradient(x, spacing=h, dim=d, edge_order=e) against numpy.gradient(x, h, axis=d, edge_order=e):
    second-order central differences inside, one-sided first- or second-order ones at the edges.
    Its error is that of a difference of terms of size |x| / h."""
    dtype = data.draw(dtypes_for(device, ("int", "float")), label="dtype")
    drawn = data.draw(tensors(dtype, shape=shapes(min_dims=1, max_dims=3, min_side=3), device=device,
                              domain=(-100, 100), specials=False), label="x")
    dim = data.draw(st.integers(-drawn.array.ndim, drawn.array.ndim - 1), label="dim")
    spacing = data.draw(st.sampled_from([1.0, 0.5, 2.0]), label="spacing")
    edge_order = data.draw(st.sampled_from([1, 2]), label="edge_order")
    if dtype == torch.uint8:
        record.note("deviation", "gradient-refuses-uint8")  # its own strict-xfail example checks it
        return
    x = drawn.array.astype(np.float64)
    expected = np.gradient(x, spacing, axis=dim, edge_order=edge_order)
    (result,) = torch.gradient(drawn.tensor, spacing=spacing, dim=dim, edge_order=edge_order)
    out_dtype = dtype if dtype.is_floating_point else torch.get_default_dtype()
    if not dtype.is_floating_point:
        wraps = _near(np.abs(x) * 4 > torch.iinfo(dtype).max, dim)
        if np.any(wraps):
            record.note("deviation", "gradient-integer-terms-wrap")  # its own strict-xfail example checks it
            expected = np.where(wraps, dtypes.tensor_to_numpy(result).astype(np.float64), expected)
    assert_matches(result, expected, out_dtype, op="sum", scale=np.full(expected.shape, 4 * np.max(np.abs(x)) / spacing),
                   what=f"gradient(x, spacing={spacing}, dim={dim}, edge_order={edge_order})")


def _near(mask, dim):
    """``mask`` widened by two elements either way along ``dim``: the elements whose difference
    stencil (interior and edge, either edge order) reaches a marked element."""
    out = mask.copy()
    for shift in (-2, -1, 1, 2):
        moved = np.roll(mask, shift, axis=dim)
        index = [slice(None)] * mask.ndim
        index[dim] = slice(0, shift) if shift > 0 else slice(shift, None)  # no wrap-around
        moved[tuple(index)] = False
        out |= moved
    return out
