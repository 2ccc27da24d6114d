"""The checks of conformance/test_nn_functional_breadth.py and
test_nn_torch_aliases.py can fail: torch patched the way a real bug would be
(a ctc_loss that ignores zero_infinity, loses alignment mass or scales its
gradient, an alpha_dropout with plain dropout's scale, a fractional pooling
that reads its samples in the wrong order, a torch.layer_norm with the
unbiased variance) makes the real Hypothesis test raise with a message naming
the function and what differed. Each runs the test's inner function on one
fixed example."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conformance import test_nn_functional_breadth as breadth

CTC_CASE = dict(n=2, c=3, t=4, targets=np.array([[1, 2, 1], [2, 2, 0]]), input_lengths=[4, 2],
                target_lengths=[3, 2])  # the second sample cannot fit "2 2" (3 steps needed) in 2


def inner(test):
    return test.hypothesis.inner_test


def _ctc(**kw):
    inner(breadth.test_ctc_loss_matches_the_forward_algorithm)(dtype=torch.float64, device="cpu", case=CTC_CASE,
                                                               seed=0, **kw)


def test_the_ctc_check_passes_on_torch():
    for reduction in ("none", "mean", "sum"):
        for zero_infinity in (False, True):
            _ctc(reduction=reduction, zero_infinity=zero_infinity)


def test_ctc_loss_that_ignores_zero_infinity_fails(monkeypatch):
    original = F.ctc_loss
    monkeypatch.setattr(F, "ctc_loss", lambda *a, zero_infinity=False, **kw: original(*a, **kw))
    with pytest.raises(AssertionError, match=r"F\.ctc_loss.*zero_infinity=True"):
        _ctc(reduction="none", zero_infinity=True)


def test_ctc_loss_with_a_wrong_alignment_sum_fails(monkeypatch):
    # a kernel that loses probability mass: every loss 5% too large
    original = F.ctc_loss
    monkeypatch.setattr(F, "ctc_loss", lambda *a, **kw: 1.05 * original(*a, **kw))
    with pytest.raises(AssertionError, match=r"F\.ctc_loss.*float64, forward"):
        _ctc(reduction="sum", zero_infinity=True)


def test_alpha_dropout_with_plain_dropout_scaling_fails(monkeypatch):
    monkeypatch.setattr(F, "alpha_dropout", lambda x, p=0.5, training=False, inplace=False: F.dropout(x, p, training))
    with pytest.raises(AssertionError, match=r"F\.alpha_dropout\(p=0\.5, training=True\)"):
        breadth.test_alpha_dropout_keeps_mean_and_variance_by_its_affine_map("alpha_dropout", 0.5, "cpu")


def test_fractional_pool_reading_its_samples_in_the_wrong_order_fails(monkeypatch):
    original = F.fractional_max_pool2d

    def swapped(x, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None):
        return original(x, kernel_size, output_size, output_ratio, return_indices, _random_samples.flip(-1))

    monkeypatch.setattr(F, "fractional_max_pool2d", swapped)
    cfg = dict(k=2, kernel=(2, 2), spatial=(7, 7), out=(4, 4), n=1, c=1)
    with pytest.raises(AssertionError, match=r"F\.fractional_max_pool2d.*float64"):
        inner(breadth.test_fractional_max_pool_matches_its_interval_sequence)(dtype=torch.float64, device="cpu",
                                                                             cfg=cfg, seed=3)


def test_ctc_loss_with_a_wrong_gradient_fails(monkeypatch):
    original = F.ctc_loss

    class ScaledGrad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t.clone()

        @staticmethod
        def backward(ctx, g):
            return 1.1 * g

    monkeypatch.setattr(F, "ctc_loss", lambda lp, *a, **kw: original(ScaledGrad.apply(lp), *a, **kw))
    case = dict(CTC_CASE, input_lengths=[4, 4])  # every loss finite, so the gradient is compared
    with pytest.raises(AssertionError, match=r"F\.ctc_loss.*d/dlogits"):
        inner(breadth.test_ctc_loss_matches_the_forward_algorithm)(dtype=torch.float64, device="cpu", case=case,
                                                                   seed=0, reduction="mean", zero_infinity=False)


def test_torch_layer_norm_with_the_unbiased_variance_fails(monkeypatch):
    from conformance import test_nn_torch_aliases as aliases

    def unbiased(x, shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
        axes = tuple(range(x.dim() - len(shape), x.dim()))
        var, mean = torch.var_mean(x, axes, correction=1, keepdim=True)
        return (x - mean) / torch.sqrt(var + eps) * weight + bias

    monkeypatch.setattr(torch, "layer_norm", unbiased)
    with pytest.raises(AssertionError, match=r"torch\.layer_norm \(seed 0\) \[float32, forward"):
        inner(aliases.test_torch_entry_point_matches_numpy)(op="torch.layer_norm", dtype=torch.float32, device="cpu",
                                                            seed=0)
