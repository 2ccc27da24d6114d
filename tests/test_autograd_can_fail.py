"""Every autograd check can fail: give it a torch whose derivative is wrong
(a custom ``Function`` with a wrong backward patched in for a torch op, a
``backward`` that forgets to accumulate, a hook that is dropped) and the
check raises an ``AssertionError`` naming what it differentiated."""

import re

import numpy as np
import pytest
import torch

from torchconform.gradcheck import (
    FINITE_DIFFERENCES, GradCase, check_accumulation, check_derivatives, check_first_order, check_hook_scales_gradient,
    check_linearity, check_weighting, op_case,
)
from torchconform.ops import TABLE
from torchconform.references import nn as nn_ref
from torchconform.strategies import Drawn

import conformance.test_autograd_forward_mode as forward_tests
from tests.can_fail import failure_of, without_shrinking


def drawn(values) -> Drawn:
    array = np.array(values, dtype=np.float64)
    return Drawn(torch.from_numpy(array.copy()), array, "contiguous")


def wrong_backward(forward, backward):
    """A torch op whose backward is ``backward(x, grad_output)``."""
    class Wrong(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return forward(x)

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return backward(x, grad_output)

    return Wrong.apply


class _Mul(torch.autograd.Function):
    """``x * y`` saving both factors, for a subclass's wrong backward."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y


class WrongMul(_Mul):
    """``x * y`` whose backward ignores the incoming weights (as if g = 1)."""

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        return torch.ones_like(grad_output) * y, torch.ones_like(grad_output) * x


class FirstRowMul(_Mul):
    """``x * y`` for a ``y`` broadcast along dim 0 whose backward keeps only
    the first row of y's gradient instead of summing over the broadcast dim."""

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        return grad_output * y, (grad_output * x)[:1]


X = [0.3, -1.2, 2.0]
G = [1.0, -0.5, 2.0]


# ----------------------------------------------------------------- first order


def test_first_order_reports_a_wrong_closed_form_gradient(monkeypatch):
    sin = torch.sin
    monkeypatch.setattr(torch, "sin", wrong_backward(sin, lambda x, g: g * torch.cos(x) * 1.01))
    with pytest.raises(AssertionError, match=r"(?s)autograd.grad.*d/dx of torch.sin\(x\).*gradient"):
        check_first_order(op_case(TABLE["sin"], [drawn(X)], {}, torch.float64), drawn(G))


def test_first_order_reports_a_broadcast_gradient_that_is_not_summed(monkeypatch):
    monkeypatch.setattr(torch, "mul", FirstRowMul.apply)
    case = op_case(TABLE["mul"], [drawn([X, [1.0, 2.0, -1.0]]), drawn([[2.0, 0.5, -1.0]])], {}, torch.float64)
    with pytest.raises(AssertionError, match="d/dy of torch.mul"):
        check_first_order(case, drawn([G, G]))


def test_first_order_reports_a_wrong_gradient_against_finite_differences(monkeypatch):
    atan = torch.atan
    monkeypatch.setattr(torch, "atan", wrong_backward(atan, lambda x, g: -g / (1 + x * x)))
    with pytest.raises(AssertionError, match=r"(?s)d/dx of torch.atan\(x\).*finite_difference"):
        check_first_order(op_case(TABLE["atan"], [drawn(X)], {}, torch.float64), drawn(G))


def test_first_order_reports_a_wrong_custom_function():
    """The seed's MyReLU with the mask inverted, against NumPy differences."""
    relu = wrong_backward(lambda x: x.clamp(min=0), lambda x, g: g * (x < 0))
    case = GradCase("MyReLU", relu, nn_ref.relu, [drawn(X)], torch.float64, FINITE_DIFFERENCES,
                    text="MyReLU.apply(x)")
    with pytest.raises(AssertionError, match="MyReLU"):
        check_first_order(case, drawn(G))


# ----------------------------------------------------------------- weighting


def test_weighting_reports_a_backward_that_ignores_the_weights(monkeypatch):
    monkeypatch.setattr(torch, "mul", WrongMul.apply)
    case = op_case(TABLE["mul"], [drawn(X), drawn([2.0, 0.5, -1.0])], {}, torch.float64)
    with pytest.raises(AssertionError, match=r"backward\(gradient=g\).*torch.mul"):
        check_weighting(case, drawn(G), drawn([0.5, 1.5, -2.0]))
    with pytest.raises(AssertionError, match="grad_outputs="):
        check_linearity(case, drawn(G), drawn([0.5, 1.5, -2.0]), 2.0)


# ----------------------------------------------------------------- higher order


def test_higher_order_reports_a_backward_that_is_not_differentiable(monkeypatch):
    """First derivative right, built from a detached cos (plus 0 * x, so it
    still requires grad): the second derivative comes out 0."""
    sin = torch.sin
    monkeypatch.setattr(torch, "sin", wrong_backward(sin, lambda x, g: g * (torch.cos(x.detach()) + 0 * x)))
    with pytest.raises(AssertionError, match="derivative 2 of sin"):
        check_derivatives(lambda t: torch.sin(t), drawn(X), [np.cos, lambda x: -np.sin(x)], name="sin")


# ----------------------------------------------------------------- graph semantics


def test_accumulation_reports_a_backward_that_overwrites_grad(monkeypatch):
    case = op_case(TABLE["sin"], [drawn(X)], {}, torch.float64)
    made, leaves, backward = [], case.leaves, torch.Tensor.backward

    def remembered(*args):
        made[:] = leaves(*args)
        return made

    def overwriting(self, *args, **kwargs):
        for leaf in made:
            leaf.grad = None
        return backward(self, *args, **kwargs)

    monkeypatch.setattr(case, "leaves", remembered)
    monkeypatch.setattr(torch.Tensor, "backward", overwriting)
    with pytest.raises(AssertionError, match=r".grad after 3 retained backward passes"):
        check_accumulation(case, drawn(G), 3)


def test_hooks_report_a_dropped_hook(monkeypatch):
    class Handle:
        def remove(self):
            pass

    monkeypatch.setattr(torch.Tensor, "register_hook", lambda self, hook: Handle())
    case = op_case(TABLE["sin"], [drawn(X)], {}, torch.float64)
    with pytest.raises(AssertionError, match=r"hook grad \* 2.0"):
        check_hook_scales_gradient(case, drawn(G), 2.0)


# ----------------------------------------------------------------- forward mode


def wrong_jvp(forward, jvp):
    """A torch op of any number of tensors whose reverse mode is right (by
    ``torch.func.vjp`` of ``forward``) but whose forward-mode derivative is
    ``jvp(inputs, tangents)``."""
    class Wrong(torch.autograd.Function):
        @staticmethod
        def forward(*inputs):
            return forward(*inputs)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_forward(*inputs)

        @staticmethod
        def jvp(ctx, *tangents):
            return jvp(ctx.saved_tensors, tangents)

    return Wrong.apply


@pytest.mark.parametrize("name, jvp, path", [
    ("sin", lambda x, v: torch.cos(x[0]) * v[0] * 1.01, r"J v of torch.sin\(x\)"),
    ("mul", lambda x, v: v[0] * x[1], r"<g, torch.func.jvp: J v of torch.mul\(x, y\)> vs <J\^T g, v>"),
    ("atan2", lambda x, v: (x[1] * v[0] + x[0] * v[1]) / (x[0] ** 2 + x[1] ** 2), r"J v of torch.atan2\(x, y\)"),
], ids=["elementwise", "duality", "central-differences"])
def test_forward_mode_property_reports_a_wrong_jvp(monkeypatch, name, jvp, path):
    """sin's JVP 1% too large, mul's forgetting y's tangent, atan2's with a
    wrong sign: each path of the real Hypothesis test fails naming the op."""
    monkeypatch.setattr(torch, name, wrong_jvp(getattr(torch, name), jvp))
    message = failure_of(without_shrinking(forward_tests.test_op_forward_mode_matches_numpy), op=TABLE[name],
                         device="cpu")
    assert re.search(path, message), message
