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

from torchconform import record
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
