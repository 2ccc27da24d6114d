"""Scans and order statistics: every row of the op table's ORDER (cumsum,
cumprod, cummax/cummin with their indices, logcumsumexp, stable sort and
argsort, topk, kthvalue, median, quantile with every interpolation, mode,
unique, searchsorted, histograms, counts, nan-reductions, diff, trapezoid,
cov, aminmax) against NumPy/SciPy, per dtype, on every device, in every
drawn layout."""

import pytest
from hypothesis import given, strategies as st

from torchconform import record
from torchconform.opcheck import check_op, op_cases, op_dtype_params, require_dtype
from torchconform.ops import ORDER
from torchconform.strategies import LAYOUTS

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
