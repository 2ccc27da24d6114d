"""The derivative-order engine: its nested differences are accurate where
a closed form is known, and each of its checks fails, naming the order,
when torch's derivative of that order is wrong (a custom ``Function``
patched in for ``torch.sin``, run through the real op-table property)."""

import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import conformance.test_autograd_forward_mode as forward_mode
import conformance.test_autograd_higher_order as higher_order
import conformance.test_nn_derivatives as nn_derivatives
from tests.can_fail import failure_of, without_shrinking
from torchconform.derivative_orders import Differentiable
from torchconform.ops import TABLE
from torchconform.references import finite_diff

_VALUES = hnp.arrays(np.float64, 3, elements=st.floats(-2, 2))


def _cubic(x, y):
    """f = x**3 * y + exp(x) (elementwise; closed forms in the tests)."""
    return x ** 3 * y + np.exp(x)


@settings(max_examples=30, deadline=None)
@given(x=_VALUES, y=_VALUES, g=_VALUES, v=_VALUES, w=_VALUES)
def test_nested_differences_match_closed_forms(x, y, g, v, w):
    """For <g, f> with f = x^3 y + e^x: the VJP, H [v, w] and T[(v, w), (v, w), .]."""
    tangents = [v, w]
    grad = finite_diff.directional_gradient(_cubic, [x, y], g, tangents, 0)
    np.testing.assert_allclose(grad[0], g * (3 * x ** 2 * y + np.exp(x)), rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(grad[1], g * x ** 3, rtol=1e-8, atol=1e-8)
    hv = finite_diff.directional_gradient(_cubic, [x, y], g, tangents, 1)
    np.testing.assert_allclose(hv[0], g * ((6 * x * y + np.exp(x)) * v + 3 * x ** 2 * w), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(hv[1], g * 3 * x ** 2 * v, rtol=1e-6, atol=1e-6)
    third = finite_diff.directional_gradient(_cubic, [x, y], g, tangents, 2)
    np.testing.assert_allclose(third[0], g * ((6 * y + np.exp(x)) * v ** 2 + 12 * x * v * w), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(third[1], g * 6 * x * v ** 2, rtol=1e-5, atol=1e-5)


def test_a_row_refuses_an_unknown_order():
    with pytest.raises(ValueError, match="unknown derivative orders"):
        Differentiable("torch.sin", torch.sin, np.sin, orders=("fourth",))


# ----------------------------------------------------------------- can fail


def _function(forward, backward, jvp, *, vmap=None):
    """A one-input torch op usable under ``torch.func`` transforms with the
    given ``backward(x, g)`` and ``jvp(x, v)``, and optionally a vmap rule."""
    rules = {"forward": staticmethod(lambda x: forward(x)),
             "setup_context": staticmethod(lambda ctx, inputs, output: (ctx.save_for_backward(*inputs),
                                                                       ctx.save_for_forward(*inputs))),
             "backward": staticmethod(lambda ctx, g: backward(ctx.saved_tensors[0], g)),
             "jvp": staticmethod(lambda ctx, v: jvp(ctx.saved_tensors[0], v)),
             "generate_vmap_rule": vmap is None}
    if vmap is not None:
        rules["vmap"] = staticmethod(lambda info, in_dims, x: vmap(x))
    return type("Patched", (torch.autograd.Function,), rules).apply


_REAL_SIN, _REAL_COS = torch.sin, torch.cos
#: cos whose forward-mode derivative has the wrong sign (its reverse mode is right).
_COS_WRONG_JVP = _function(_REAL_COS, lambda x, g: -g * _REAL_SIN(x), lambda x, v: _REAL_SIN(x) * v)
#: cos whose own derivative is right but not differentiable (a detached sin).
_COS_FLAT_SECOND = _function(_REAL_COS, lambda x, g: -g * _REAL_SIN(x.detach()) + 0 * x, lambda x, v: -_REAL_SIN(x) * v)


def _sin(backward, **kwargs):
    return _function(_REAL_SIN, backward, lambda x, v: _REAL_COS(x) * v, **kwargs)


_PATCHED_SIN = {
    # The first derivative right, built from a detached cos: H v is 0.
    "second": (_sin(lambda x, g: g * (_REAL_COS(x.detach()) + 0 * x)),
               r"H v by reverse-over-reverse: d/dx of torch.sin\(x\)"),
    # Reverse over reverse right; the backward's forward-mode derivative wrong.
    "forward-over-reverse": (_sin(lambda x, g: g * _COS_WRONG_JVP(x)),
                             r"H v by forward-over-reverse \(jvp of vjp\): d/dx of torch.sin\(x\)"),
    # First and second derivatives right, the third missing a term.
    "third": (_sin(lambda x, g: g * _COS_FLAT_SECOND(x)),
              r"T\[v, v, \.\] by reverse mode three times: d/dx of torch.sin\(x\)"),
    # A batching rule that mixes up the samples of the batch.
    "vmap": (_sin(lambda x, g: g * _REAL_COS(x), vmap=lambda x: (_REAL_SIN(x.flip(0)), 0)),
             r"vmap sample \d: value of torch.sin\(x\)"),
}


@pytest.mark.parametrize("defect", list(_PATCHED_SIN))
def test_each_order_reports_a_wrong_derivative_of_that_order(monkeypatch, defect):
    """The real property (``test_op_higher_orders_match_finite_differences``)
    on the ``sin`` row fails at the order the patched sin gets wrong."""
    patched, message = _PATCHED_SIN[defect]
    order = "second" if defect == "forward-over-reverse" else defect
    monkeypatch.setattr(torch, "sin", patched)
    found = failure_of(without_shrinking(higher_order.test_op_higher_orders_match_finite_differences),
                       op=TABLE["sin"], order=order, device="cpu")
    assert re.search(message, found), found


def test_dual_numbers_report_a_wrong_forward_derivative(monkeypatch):
    """sin whose forward-mode derivative is 1% too large: the real
    dual-number property fails naming the op."""
    monkeypatch.setattr(torch, "sin", _function(_REAL_SIN, lambda x, g: g * _REAL_COS(x),
                                                lambda x, v: 1.01 * _REAL_COS(x) * v))
    found = failure_of(without_shrinking(forward_mode.test_op_dual_numbers_match_numpy), op=TABLE["sin"], device="cpu")
    assert re.search(r"forward_ad dual numbers: tangent of torch.sin\(x\)", found), found


def test_a_quadratic_row_reports_a_third_derivative_that_does_not_vanish(monkeypatch):
    """mse_loss with a cubic term centred on the evaluation point (as a
    wrong double-backward formula gives): its value and first two
    derivatives are right, its third is not zero. The real nn property
    fails at third order against the closed form, zero."""
    real = torch.nn.functional.mse_loss

    def cubic_third(x, t, *args, **kwargs):
        d = x - t
        return real(x, t, *args, **kwargs) + 1e-3 * ((d - d.detach()) ** 3).sum()

    monkeypatch.setattr(torch.nn.functional, "mse_loss", cubic_third)
    row = next(r for r in nn_derivatives.ROWS if r.name == "torch.nn.functional.mse_loss")
    found = failure_of(without_shrinking(nn_derivatives.test_nn_derivatives_match_finite_differences),
                       op=row, order="third", device="cpu")
    assert re.search(r"T\[v, v, \.\] by reverse mode three times \(zero: degree at most 2\): "
                     r"d/dx\d of torch.nn.functional.mse_loss", found), found
    for order in ("reverse", "second"):  # the defect is the third order's alone
        nn_derivatives.test_nn_derivatives_match_finite_differences(op=row, order=order, device="cpu")
