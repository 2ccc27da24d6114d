"""The copying-layer checks can fail: a pad that reflects where it should
replicate, or a fold that overwrites instead of adding overlapping blocks,
makes the conformance test raise, naming the call."""

import pytest
import torch
import torch.nn.functional as F

from conformance import test_nn_copying


def test_replicate_pad_that_reflects_fails(monkeypatch):
    real = F.pad
    monkeypatch.setattr(F, "pad", lambda t, pad, mode="constant", **kw: real(
        t, pad, mode="reflect" if mode == "replicate" else mode, **kw))
    with pytest.raises(AssertionError, match=r"F\.pad\(x of \(1, 1, 3\), \(1, 1\), \{'mode': 'replicate'\}\)"):
        test_nn_copying.test_pad_matches_numpy_in_every_mode.hypothesis.inner_test(
            dtype=torch.float64, device="cpu", case=("replicate", (1, 1, 3), (1, 1), None), seed=0)


def test_fold_that_overwrites_fails(monkeypatch):
    def overwriting(columns, output_size, kernel_size, dilation, padding, stride):
        # the last block written wins: fold of the unfolded ones gives 1, not the overlap count
        ones = torch.ones(columns.shape[0], columns.shape[1] // (kernel_size[0] * kernel_size[1]), *output_size,
                          dtype=columns.dtype)
        counts = real(F.unfold(ones, kernel_size, dilation, padding, stride), output_size, kernel_size, dilation,
                      padding, stride)
        return real(columns, output_size, kernel_size, dilation, padding, stride) / counts.clamp(min=1)

    real = F.fold
    monkeypatch.setattr(F, "fold", lambda t, size, **kw: overwriting(t, size, **kw))
    options = {"kernel_size": (2, 2), "dilation": (1, 1), "padding": (0, 0), "stride": (1, 1)}
    with pytest.raises(AssertionError, match=r"F\.fold"):
        test_nn_copying.test_unfold_and_fold_match_numpy.hypothesis.inner_test(
            dtype=torch.float64, device="cpu", case=((1, 1, 3, 3), options), seed=0)
