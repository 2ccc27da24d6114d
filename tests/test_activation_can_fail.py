"""The tail and kink derivative checks can fail: a torch function with a
wrong derivative (a relu that passes the gradient at exactly 0, a silu with a
skewed slope, a log_softmax taken as the log of a softmax) makes the
conformance test raise, naming the function, the order and the route.
Hypothesis tests run through ``.hypothesis.inner_test`` on one fixed example."""

import dataclasses

import numpy as np
import pytest
import torch

from conformance import test_activation_derivatives as tad
from conformance import test_kink_gradients as tkg
from torchconform.networks.learning_pytorch import MyReLU


class _Draws:
    """A stand-in for Hypothesis' ``data``: draws the given values in order."""

    def __init__(self, *values):
        self.values = list(values)

    def draw(self, strategy, label=None):
        return self.values.pop(0)


def run(name, dtype, x, params=None):
    ones = [1.0] * len(x)
    values = np.array(x, dtype=np.float64 if dtype == torch.float64 else np.float32)
    tad.test_elementwise_derivatives_in_tails_and_on_kinks.hypothesis.inner_test(
        name=name, dtype=dtype, device="cpu", data=_Draws(params or {}, values, ones, ones))


def test_relu_passing_the_gradient_at_zero_fails(monkeypatch):
    # The tutorial's MyReLU zeroes the gradient only where input < 0: at the
    # kink it passes 1 instead of the documented minimum-norm 0.
    monkeypatch.setitem(tad.ELEMENTWISE, "relu", dataclasses.replace(tad.ELEMENTWISE["relu"], torch_fn=MyReLU.apply))
    with pytest.raises(AssertionError, match=r"derivative 1 of relu.*reverse"):
        run("relu", torch.float64, [0.0, 1.5])


def test_skewed_silu_fails_in_the_tail(monkeypatch):
    spec = tad.ELEMENTWISE["silu"]
    monkeypatch.setitem(tad.ELEMENTWISE, "silu", dataclasses.replace(
        spec, torch_fn=lambda t: t * torch.sigmoid(t * (1 + 1e-6))))
    with pytest.raises(AssertionError, match=r"silu"):
        run("silu", torch.float64, [-30.0])


def test_unstable_log_softmax_fails(monkeypatch):
    monkeypatch.setitem(tad.ALONG, "log_softmax", (lambda t, dim: torch.log(torch.softmax(t, dim)),
                                                   tad.act.log_softmax_derivatives))
    x = np.array([1000.0, -1000.0, 3.0])
    with pytest.raises(AssertionError, match=r"log_softmax"):
        tad.test_softmax_family_directional_derivatives.hypothesis.inner_test(
            name="log_softmax", dtype=torch.float64, device="cpu",
            data=_Draws(1, x, 1, [1.0, 1.0, 1.0], [1.0, -0.5, 2.0]))


def test_abs_with_gradient_one_at_zero_fails(monkeypatch):
    # where(x >= 0, x, -x): the value of abs, but the gradient 1 at 0 instead of the minimum-norm 0
    monkeypatch.setattr(torch, "abs", lambda t: torch.where(t >= 0, t, -t))
    with pytest.raises(AssertionError, match=r"d abs\(x\) at x="):
        tkg.test_abs_and_steps_at_zero_and_integers.hypothesis.inner_test(
            dtype=torch.float64, device="cpu", x=np.array([0.0, -1.0]))


def test_max_dim_splitting_ties_fails(monkeypatch):
    # a max(dim) whose gradient is split among ties like amax: not what max(dim) documents
    monkeypatch.setattr(torch, "max", lambda t, dim: torch.return_types.max((torch.amax(t, dim),
                                                                            torch.argmax(t, dim))))
    with pytest.raises(AssertionError, match=r"torch\.max\(x, 0\)\.values"):
        tkg.test_reductions_over_ties.hypothesis.inner_test(
            dtype=torch.float64, device="cpu", x=np.array([[1.0], [1.0]]), dim=0)
