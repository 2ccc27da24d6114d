"""The device API as the seeds teach it (issue 8, item 3): ``torch.device``
and its repr, ``cuda.is_available``/``device_count``, d2l's ``try_gpu`` and
``try_all_gpus`` fallbacks, where tensors and modules live, and what happens
when a device is missing or two devices meet in one op.

Claims that need a GPU to be observed are skipped with the reason on a
machine without one; everything checkable without a GPU (the reprs, the
fallbacks, ``.cuda(i)`` raising past the device count) runs everywhere.
"""

import numpy as np
import pytest
import torch
from torch import nn

from torchconform import devices
from torchconform.oracle import assert_matches

pytestmark = [pytest.mark.area("claims"), pytest.mark.capability("seed_claim")]

claim = pytest.mark.seed_claim
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason=devices.NO_CUDA_REASON)


def try_gpu(i=0):
    """d2l's helper, verbatim: gpu(i) if it exists, else cpu()."""
    if torch.cuda.device_count() >= i + 1:
        return torch.device(f"cuda:{i}")
    return torch.device("cpu")


def try_all_gpus():
    """d2l's helper, verbatim: every GPU, or [cpu()] when there is none."""
    devices = [torch.device(f"cuda:{i}") for i in range(torch.cuda.device_count())]
    return devices if devices else [torch.device("cpu")]


@claim("d2l-device-reprs")
def test_device_objects_and_reprs():
    printed = repr((torch.device("cpu"), torch.device("cuda"), torch.device("cuda:1")))
    assert printed == "(device(type='cpu'), device(type='cuda'), device(type='cuda', index=1))"
    assert torch.device("cuda:1").index == 1 and torch.device("cuda").index is None


@claim("course-cuda-is-available")
def test_is_available_agrees_with_device_count():
    available = torch.cuda.is_available()
    assert isinstance(available, bool)
    count = torch.cuda.device_count()
    assert isinstance(count, int) and count >= 0
    assert available == (count > 0)


@claim("d2l-try-gpu-fallback")
def test_try_gpu_and_try_all_gpus():
    count = torch.cuda.device_count()
    assert try_gpu() == (torch.device("cuda:0") if count else torch.device("cpu"))
    assert try_gpu(10) == (torch.device("cuda:10") if count > 10 else torch.device("cpu"))
    assert try_all_gpus() == ([torch.device(f"cuda:{i}") for i in range(count)] or [torch.device("cpu")])


@claim("blitz-device-selection")
def test_blitz_device_line():
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    assert str(device) == ("cuda:0" if torch.cuda.device_count() else "cpu")


@claim("d2l-tensors-default-cpu")
def test_tensors_are_created_on_cpu_by_default():
    x = torch.tensor([1, 2, 3])
    assert x.device == torch.device("cpu")
    assert torch.ones(2, 3).device.type == "cpu"


@claim("d2l-cuda-index-out-of-range-raises")
def test_cuda_index_past_the_count_raises():
    count = torch.cuda.device_count()
    with pytest.raises((RuntimeError, AssertionError)):  # a CPU-only build raises AssertionError
        torch.ones(2, 3).cuda(count)


@claim("d2l-create-on-device")
def test_create_on_a_device(device):
    X = torch.ones(2, 3, device=device)
    assert X.device.type == torch.device(device).type
    assert_matches(X, np.ones((2, 3), dtype=np.float32), torch.float32)


@claim("course-tensor-on-cuda-repr")
@needs_cuda
def test_cuda_resolves_to_cuda_0_and_shows_in_repr():
    t = torch.tensor(np.ones((3, 3)), device="cuda")
    assert t.device == torch.device("cuda:0") and t.device.index == 0
    assert "device='cuda:0', dtype=torch.float64" in repr(t)


@claim("d2l-cross-device-op-raises")
@needs_cuda
def test_an_op_across_devices_raises():
    # (a 0-d CPU tensor is allowed as a scalar; a 1-d one is not)
    with pytest.raises(RuntimeError, match="same device"):
        torch.ones(2, device="cuda") + torch.ones(2)


@claim("d2l-net-to-device")
def test_module_to_moves_parameters_and_returns_itself(device):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 1))
    assert net.to(device=device) is net
    assert all(p.device.type == torch.device(device).type for p in net.parameters())
    X = torch.ones(2, 3, device=device)
    w, b = (p.detach().cpu().numpy().astype(np.float64) for p in (net[0].weight, net[0].bias))
    expected = np.ones((2, 3)) @ w.T + b
    assert_matches(net(X), expected, torch.float32, op="matmul", scale=np.full(expected.shape, np.abs(w).sum() + np.abs(b).sum()))
