"""Forward mode: ``torch.func.jvp`` equals NumPy's derivative along drawn
tangents, for every differentiable float row of the op table.

The rows, inputs and references are the first-order reverse test's
(:func:`~torchconform.gradcheck.op_grad_cases`): a unary elementwise row
(one with closed-form derivatives) compares ``J v`` elementwise with
``f'(x) v``; a row with central differences compares it with NumPy's
directional difference; any other row by duality with its closed-form VJP,
``<g, J v> = <J^T g, v>`` for a drawn cotangent ``g``. Primals are never
stride-0 (known deviation ``forward-ad-expanded-primal``). The same
tangents through ``torch.autograd.forward_ad`` dual numbers, in float64,
against NumPy's directional central difference.
"""

import pytest
import torch
from hypothesis import strategies as st, given

from torchconform import record
from torchconform.derivative_orders import budgeted, check_dual_numbers
from torchconform.gradcheck import (
    FORWARD_AD_LAYOUTS, GRAD_DTYPES, check_forward_mode, cotangents, differentiable_rows, op_grad_cases, tangents,
)
from torchconform.ops import TABLE

pytestmark = [pytest.mark.area("autograd"), pytest.mark.capability("grad")]


@pytest.mark.derivatives("forward")
@pytest.mark.parametrize("op", differentiable_rows(TABLE), ids=lambda op: op.name)
@given(data=st.data())
def test_op_forward_mode_matches_numpy(op, device, data):
    dtype = data.draw(st.sampled_from(GRAD_DTYPES), label="dtype")
    record.note("deviation", "forward-ad-expanded-primal")
    case = data.draw(op_grad_cases(op, dtype, device, layouts=FORWARD_AD_LAYOUTS), label="case")
    v = data.draw(tangents(case, device), label="v")
    g = data.draw(cotangents(case, device), label="g")
    check_forward_mode(case, v, g, elementwise=op.derivatives is not None)


@pytest.mark.derivatives("forward")
@pytest.mark.parametrize("op", differentiable_rows(TABLE), ids=lambda op: op.name)
@budgeted
@given(data=st.data())
def test_op_dual_numbers_match_numpy(op, device, data):
    """``torch.autograd.forward_ad``: the tangent of a row's result at dual
    inputs ``(x, v)`` equals NumPy's directional central difference (float64)."""
    record.note("deviation", "forward-ad-expanded-primal")
    case = data.draw(op_grad_cases(op, torch.float64, device, layouts=FORWARD_AD_LAYOUTS), label="case")
    check_dual_numbers(case, data.draw(tangents(case, device), label="v"))
