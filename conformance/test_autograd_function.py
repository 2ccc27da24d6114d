"""Custom ``torch.autograd.Function``: the seed's ``MyReLU`` (forward and
backward values, ``ctx.save_for_backward``, its gradient against NumPy
central differences) and the seed's two-layer network built on it, whose
weight gradients are checked against the NumPy backpropagation.
"""

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

from torchconform import oracle
from torchconform.gradcheck import (
    FINITE_DIFFERENCES, GRAD_DTYPES, MAX_SIDE, Domain, GradCase, check_first_order, cotangents, same_on_cpu,
    smooth_tensors,
)
from torchconform.networks.learning_pytorch import MyReLU  # the seed's Function, shared with the zoo
from torchconform.references import nn as nn_ref
from torchconform.strategies import shapes

pytestmark = [pytest.mark.area("autograd"), pytest.mark.capability("custom_function")]

DTYPE = st.sampled_from(GRAD_DTYPES)


@given(data=st.data())
def test_my_relu_gradient_matches_finite_differences(device, data):
    x = data.draw(smooth_tensors(data.draw(DTYPE, label="dtype"), data.draw(shapes(max_side=MAX_SIDE)), device,
                                 Domain(avoid=(0.0,))), label="x")
    # No closed form given: the reference is central differences of NumPy relu.
    case = GradCase("MyReLU", MyReLU.apply, nn_ref.relu, [x], x.tensor.dtype, FINITE_DIFFERENCES,
                    text="MyReLU.apply(x)")
    oracle.assert_matches(MyReLU.apply(x.tensor), nn_ref.relu(x.array.astype(np.float64)), x.tensor.dtype, what="MyReLU forward")
    check_first_order(case, data.draw(cotangents(case, device), label="g"))


@given(data=st.data())
def test_my_relu_saves_its_input_for_backward(device, data):
    xd = data.draw(smooth_tensors(data.draw(DTYPE, label="dtype"), data.draw(shapes(max_side=MAX_SIDE)), device))
    x = xd.tensor.detach().requires_grad_()
    out = MyReLU.apply(x)
    assert out.requires_grad and out.grad_fn is not None, "a Function applied to a tracked input is tracked"
    (saved,) = out.grad_fn.saved_tensors
    assert saved is x or saved.data_ptr() == x.data_ptr(), "ctx.save_for_backward(input) keeps the input itself"
    oracle.assert_matches(saved, xd.array, xd.tensor.dtype, what="the saved input")


@given(data=st.data())
def test_two_layer_net_with_my_relu_matches_numpy_backprop(device, data):
    """The seed's loop body: y_pred = relu(x @ w1) @ w2, loss = sum((y_pred - y)^2)."""
    dtype = data.draw(DTYPE, label="dtype")
    n, d_in, h, d_out = (data.draw(st.integers(1, 4), label=k) for k in ("N", "D_in", "H", "D_out"))
    x, w1, w2, y = (data.draw(smooth_tensors(dtype, shape, device), label=name)
                    for name, shape in [("x", (n, d_in)), ("w1", (d_in, h)), ("w2", (h, d_out)), ("y", (n, d_out))])
    a, b1, b2, target = (d.array.astype(np.float64) for d in (x, w1, w2, y))
    pre, pre_terms = a @ b1, np.abs(a) @ np.abs(b1)
    # Away from the kink: a rounded x @ w1 must not change sign.
    assume(np.all((np.abs(pre) > 1e-3 * pre_terms) | (pre_terms == 0)))

    def weight_grads(inputs, first, second, targets):
        first, second = first.detach().requires_grad_(), second.detach().requires_grad_()
        (MyReLU.apply(inputs.mm(first)).mm(second) - targets).pow(2).sum().backward()
        return first.grad, second.grad

    grad_w1, grad_w2 = weight_grads(x.tensor, w1.tensor, w2.tensor, y.tensor)

    hidden = np.maximum(pre, 0)
    grad_pred = 2 * (hidden @ b2 - target)
    grad_hidden = grad_pred @ b2.T
    grad_pre = np.where(pre < 0, 0, grad_hidden)  # the seed's rule: zero where the input was negative
    # Each gradient is a sum of products: bound its error by the sum of |terms|.
    pred_terms = 2 * (np.abs(hidden) @ np.abs(b2) + np.abs(target))
    scale_w2 = np.abs(hidden).T @ pred_terms
    scale_w1 = np.abs(a).T @ (pred_terms @ np.abs(b2).T)
    oracle.assert_matches(grad_w2, hidden.T @ grad_pred, x.tensor.dtype, kind="gradient", op="matmul", scale=scale_w2,
                          what="w2.grad of the seed's MyReLU net")
    oracle.assert_matches(grad_w1, a.T @ grad_pre, x.tensor.dtype, kind="gradient", op="matmul", scale=scale_w1,
                          what="w1.grad of the seed's MyReLU net")
    same_on_cpu(weight_grads, [x.tensor, w1.tensor, w2.tensor, y.tensor], [grad_w1, grad_w2], "MyReLU net weight grads")
