"""Weighting outputs: ``y.backward(gradient=g)``,
``torch.autograd.backward(ys, grad_tensors=gs)`` and
``torch.autograd.grad(ys, xs, grad_outputs=gs)`` give the NumPy VJP with
those weights; the gradient is linear in them; weights of any layout are
accepted; a missing or mis-shaped weight raises.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from torchconform import strategies
from torchconform.gradcheck import (
    GRAD_DTYPES, MAX_SIDE, check_first_order, check_linearity, check_weighting, cotangents, op_grad_cases,
)
from torchconform.ops import TABLE

pytestmark = [pytest.mark.area("autograd"), pytest.mark.capability("grad_outputs")]

#: Elementwise with broadcasting (closed form), a unary op, a reduction, and
#: a row checked against central differences.
WEIGHTED = [TABLE[name] for name in ("mul", "div", "sin", "sum", "atan2")]
OPS = pytest.mark.parametrize("op", WEIGHTED, ids=lambda op: op.name)
DTYPE = st.sampled_from(GRAD_DTYPES)


@OPS
@pytest.mark.derivatives("reverse")
@given(data=st.data())
def test_gradient_grad_tensors_and_grad_outputs_agree_with_numpy(op, device, data):
    case = data.draw(op_grad_cases(op, data.draw(DTYPE, label="dtype"), device), label="case")
    g1, g2 = data.draw(cotangents(case, device), label="g1"), data.draw(cotangents(case, device), label="g2")
    check_weighting(case, g1, g2)


@OPS
@pytest.mark.derivatives("reverse")
@given(data=st.data())
def test_gradient_is_linear_in_the_weights(op, device, data):
    case = data.draw(op_grad_cases(op, data.draw(DTYPE, label="dtype"), device), label="case")
    g1, g2 = data.draw(cotangents(case, device), label="g1"), data.draw(cotangents(case, device), label="g2")
    # Powers of two and zero scale exactly, so c*g is the weight the reference sees.
    check_linearity(case, g1, g2, data.draw(st.sampled_from([0.0, 2.0, -0.5, 0.25, -4.0]), label="c"))


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced", "expanded"])
@pytest.mark.checks("mul")
@pytest.mark.derivatives("reverse")
@given(data=st.data())
def test_weights_of_any_layout_give_the_numpy_vjp(layout, device, data):
    case = data.draw(op_grad_cases(TABLE["mul"], data.draw(DTYPE, label="dtype"), device), label="case")
    check_first_order(case, data.draw(cotangents(case, device, layouts=[layout]), label="g"))


_LEAF = strategies.shapes(max_side=MAX_SIDE)


@given(shape=_LEAF)
def test_backward_without_gradient_needs_a_single_element(device, shape):
    x = torch.full(shape, 1.5, dtype=torch.float64, device=device, requires_grad=True)
    y = x * x
    if y.numel() == 1:
        # The implicit weight is 1: d(x*x)/dx = 2x.
        y.backward()
        np.testing.assert_array_equal(x.grad.cpu().numpy(), np.full(shape, 3.0))
    else:
        with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
            y.backward()


@given(shape=_LEAF, wrong=_LEAF)
def test_weight_of_the_wrong_shape_raises(device, shape, wrong):
    if tuple(shape) == tuple(wrong):
        wrong = tuple(shape) + (1,)
    x = torch.ones(shape, device=device, requires_grad=True)
    g = torch.ones(wrong, device=device)
    y = x * 2
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        y.backward(gradient=g, retain_graph=True)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        torch.autograd.backward([y], grad_tensors=[g], retain_graph=True)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        torch.autograd.grad(y, x, grad_outputs=g)
