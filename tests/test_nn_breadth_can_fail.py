"""The convolution, normalisation and further torch.nn.functional checks can
fail: torch patched the way a real bug would be (a convolution that
ignores its padding mode, a wrong transposed-convolution weight gradient, a one-pass
variance, a wrong channel window) makes the real Hypothesis test raise with a
message naming the function and what differed.

Each Hypothesis test runs through ``.hypothesis.inner_test`` on one fixed
example, so each case is quick and deterministic.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from conformance import (test_nn_conv, test_nn_distance, test_nn_interpolate, test_nn_loss_options, test_nn_norm,
                         test_nn_recurrent, test_nn_second_order)


def inner(test):
    return test.hypothesis.inner_test


def test_conv_that_ignores_its_padding_mode_fails(monkeypatch):
    # a Conv1d that always zero-pads, whatever padding_mode says
    original = torch.nn.Conv1d._conv_forward
    monkeypatch.setattr(torch.nn.Conv1d, "_conv_forward",
                        lambda self, x, w, b: F.conv1d(x, w, b, self.stride, self.padding, self.dilation, self.groups))
    cfg = dict(k=1, groups=1, cin=1, cout=1, kernel=(3,), dilation=(1,), stride=(1,), padding=(1,),
               pairs=((1, 1),), mode="circular", shape=(1, 1, 4), bias=False)
    with pytest.raises(AssertionError, match=r"Conv1d.*\[float64, forward"):
        inner(test_nn_conv.test_conv_nd_matches_numpy)(dtype=torch.float64, device="cpu", cfg=cfg, seed=0)
    monkeypatch.setattr(torch.nn.Conv1d, "_conv_forward", original)
    inner(test_nn_conv.test_conv_nd_matches_numpy)(dtype=torch.float64, device="cpu", cfg=cfg, seed=0)


def test_conv_transpose_with_a_wrong_weight_gradient_fails(monkeypatch):
    original = F.conv_transpose2d

    class WrongWeightGrad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, w):
            return w.clone()

        @staticmethod
        def backward(ctx, g):
            return 1.5 * g

    monkeypatch.setattr(F, "conv_transpose2d", lambda x, w, *a, **kw: original(x, WrongWeightGrad.apply(w), *a, **kw))
    cfg = dict(k=2, groups=1, cin=2, cout=2, kernel=(2, 2), dilation=(1, 1), stride=(2, 1), padding=(0, 0),
               output_padding=(1, 0), shape=(1, 2, 2, 2), bias=True)
    with pytest.raises(AssertionError, match="ConvTranspose2d.*d/dweight"):
        inner(test_nn_conv.test_conv_transpose_nd_matches_numpy)(dtype=torch.float32, device="cpu", cfg=cfg, seed=1)


def _one_pass_layer_norm(x, shape, weight=None, bias=None, eps=1e-5):
    """layer_norm with the variance as E[x**2] - E[x]**2 (the cancelling form)."""
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    mean = x.mean(axes, keepdim=True)
    var = (x * x).mean(axes, keepdim=True) - mean * mean
    y = (x - mean) / torch.sqrt(var.clamp(min=0) + eps)
    return y if weight is None else y * weight + bias


def test_one_pass_variance_fails_at_a_large_offset(monkeypatch):
    monkeypatch.setattr(F, "layer_norm", _one_pass_layer_norm)
    example = dict(dtype=torch.float32, device="cpu", lead=[3], normalized=[4], affine=True, eps=1e-5, seed=3)
    inner(test_nn_norm.test_layer_norm_matches_numpy)(conditioning=(0.0, 1.0), **example)  # centred: fine
    with pytest.raises(AssertionError, match=r"F.layer_norm.*offset/spread \(100.0, 0.01\)"):
        inner(test_nn_norm.test_layer_norm_matches_numpy)(conditioning=(1e2, 1e-2), **example)


def test_local_response_norm_with_an_off_by_one_window_fails(monkeypatch):
    original = F.local_response_norm
    # sums one channel more than the window holds, with the same alpha / size
    monkeypatch.setattr(F, "local_response_norm",
                        lambda x, size, alpha, beta, k: original(x, size + 1, alpha * (size + 1) / size, beta, k))
    with pytest.raises(AssertionError, match="F.local_response_norm"):
        inner(test_nn_norm.test_local_response_norm_matches_numpy)(
            dtype=torch.float64, device="cpu", n=1, c=4, spatial=[2], size=2, alpha=1.0, beta=0.75, k=1.0, seed=0)


def test_cdist_that_ignores_p_fails(monkeypatch):
    original = torch.cdist
    monkeypatch.setattr(torch, "cdist", lambda a, b, p=2.0, **kw: original(a, b, 2.0))
    with pytest.raises(AssertionError, match=r"torch.cdist.*p=3.0"):
        inner(test_nn_distance.test_cdist_matches_numpy)(dtype=torch.float64, device="cpu", batch=[], rows=(2, 3),
                                                         m=3, p=3.0, seed=0)


def test_huber_loss_with_a_wrong_gradient_outside_delta_fails(monkeypatch):
    def wrong(x, y, reduction="mean", delta=1.0):
        # the outer branch's slope forgets delta (sign(d), not delta sign(d)); the value stays right
        d = x - y
        outer = (delta * (d.abs() - 0.5 * delta)).detach() + (d.abs() - d.abs().detach())
        value = torch.where(d.abs() <= delta, 0.5 * d * d, outer)
        return {"none": value, "sum": value.sum(), "mean": value.mean()}[reduction]

    monkeypatch.setattr(F, "huber_loss", wrong)
    test = inner(test_nn_loss_options.test_loss_with_options_matches_numpy)
    with pytest.raises(AssertionError, match=r"F.huber_loss.*d/dinput"):
        _run_row(test, "huber_loss", {"delta": 0.5}, "sum")


def _run_row(test, name, options, reduction):
    """Run the loss-table test for one row with fixed options (through a stub data object)."""
    class Data:
        def __init__(self):
            self.values = [options, reduction]

        def draw(self, strategy, label=None):
            return self.values.pop(0)

    test(name=name, dtype=torch.float64, device="cpu", shape=[3, 4], data=Data(), seed=0)


def test_interpolate_ignoring_align_corners_fails(monkeypatch):
    original = F.interpolate
    monkeypatch.setattr(F, "interpolate", lambda x, align_corners=None, **kw: original(x, align_corners=False, **kw))

    class Data:
        values = [2, 3, 3, 5, 5, 1, 1]  # dims, input sizes, output sizes, batch, channels

        def draw(self, strategy, label=None):
            return self.values.pop(0)

    with pytest.raises(AssertionError, match=r"F.interpolate.*'bicubic'.*align_corners': True"):
        inner(test_nn_interpolate.test_interpolate_matches_numpy)(mode="bicubic", dtype=torch.float64, device="cpu",
                                                                  by_size=True, align=True, data=Data(), seed=0)


def test_float32_bicubic_in_bfloat16_precision_fails(monkeypatch):
    # the float32 scale counts the cubic weights' Horner rounding (about 13
    # eps per tap): a kernel carrying bfloat16's 8 bits must still fail
    original = F.interpolate
    monkeypatch.setattr(F, "interpolate", lambda x, **kw: original(x, **kw).to(torch.bfloat16).to(x.dtype))

    class Data:
        values = [2, 3, 3, 5, 5, 1, 1]  # dims, input sizes, output sizes, batch, channels

        def draw(self, strategy, label=None):
            return self.values.pop(0)

    with pytest.raises(AssertionError, match=r"F.interpolate.*'bicubic'.*\[float32, forward"):
        inner(test_nn_interpolate.test_interpolate_matches_numpy)(mode="bicubic", dtype=torch.float32, device="cpu",
                                                                  by_size=True, align=True, data=Data(), seed=0)


def test_gru_cell_with_swapped_gates_fails(monkeypatch):
    # a GRUCell that reads the update gate's rows as the reset gate's and vice versa
    def swapped(self, x, h):
        r, z, n = self.weight_ih.chunk(3)
        return torch._VF.gru_cell(x, h, torch.cat([z, r, n]), self.weight_hh, self.bias_ih, self.bias_hh)

    monkeypatch.setattr(torch.nn.GRUCell, "forward", swapped)
    with pytest.raises(AssertionError, match="GRUCell"):
        inner(test_nn_recurrent.test_recurrent_cell_matches_numpy)(name="gru", dtype=torch.float64, device="cpu",
                                                                   n=2, inputs=2, hidden=2, seed=0)


def test_wrong_second_derivative_fails(monkeypatch):
    # layer_norm whose backward is right but whose own derivative is lost (its gradient a
    # constant plus 0 * x): the Hessian-vector product comes out 0 where the reference's is not
    original = F.layer_norm

    class FirstOrderOnly(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, w, b):
            ctx.save_for_backward(x, w, b)
            return original(x, x.shape[-1:], w, b, 1e-5)

        @staticmethod
        def backward(ctx, g):
            saved = ctx.saved_tensors
            x, w, b = (t.detach().requires_grad_() for t in saved)
            with torch.enable_grad():
                out = original(x, x.shape[-1:], w, b, 1e-5)
            gx, gw, gb = torch.autograd.grad(out, (x, w, b), g.detach())
            return gx + 0 * saved[0], gw, gb

    monkeypatch.setitem(test_nn_second_order.ROWS, "layer_norm", test_nn_second_order.SecondOrder(
        (2, 4), test_nn_second_order.ROWS["layer_norm"].others, lambda x, w, b: FirstOrderOnly.apply(x, w, b),
        test_nn_second_order.ROWS["layer_norm"].vjp))
    with pytest.raises(AssertionError, match=r"layer_norm: d/dx <g, f\(x\)> along u \(second order\)"):
        inner(test_nn_second_order.test_hessian_vector_product_matches_numpy)(name="layer_norm", device="cpu", seed=0)
