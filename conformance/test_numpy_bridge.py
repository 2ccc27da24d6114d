"""The NumPy bridge: ``torch.from_numpy`` and ``Tensor.numpy()`` share memory
with their source (a write through either side is seen by the other), keep
the dtype, and ``torch.tensor`` copies.

Sharing is a CPU property: a tensor on another device cannot alias host
memory, so there the checks are that ``.to(device)`` copies and that
``.numpy()`` is refused with a clear error.
"""

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from torchconform import dtypes
from torchconform.oracle import assert_matches
from torchconform.strategies import elements, shapes

pytestmark = pytest.mark.area("bridge")

#: dtypes with a NumPy counterpart (bfloat16 has none).
BRIDGED = [d for d in dtypes.ALL_DTYPES if d != torch.bfloat16]


@st.composite
def arrays_and_new_values(draw):
    """A NumPy array of a bridged dtype, strided or not, and values of the
    same shape to write into it later."""
    dtype = draw(st.sampled_from(BRIDGED), label="dtype")
    carrier = dtypes.to_numpy(dtype)
    shape = draw(shapes(), label="shape")
    base = draw(hnp.arrays(carrier, shape, elements=elements(dtype)), label="array")
    if base.ndim and draw(st.booleans(), label="strided"):
        # A positively strided view: from_numpy must honour its strides.
        padded = np.zeros(base.shape[:-1] + (2 * base.shape[-1],), dtype=carrier)
        padded[..., ::2] = base
        base = padded[..., ::2]
    new = draw(hnp.arrays(carrier, shape, elements=elements(dtype)), label="new values")
    return dtype, base, new


def require_cpu(device):
    if device != "cpu":
        pytest.skip("memory sharing with NumPy is a CPU property; see test_to_device_copies_a_numpy_backed_tensor")


@pytest.mark.capability("aliasing")
@given(case=arrays_and_new_values())
def test_from_numpy_shares_memory_both_ways(device, case):
    require_cpu(device)
    dtype, a, new = case
    t = torch.from_numpy(a)
    assert t.dtype == dtype, f"from_numpy gave {t.dtype} for a {a.dtype} array"
    assert t.stride() == tuple(s // a.itemsize for s in a.strides), "from_numpy must keep the array's strides"
    a[...] = new
    assert_matches(t, new, dtype, what="tensor after a write into its source array")
    flipped = np.array(np.flip(new))  # np.array: flip of a 0-d array is a scalar
    t.copy_(torch.from_numpy(flipped))
    assert_matches(a, flipped, dtype, what="array after a write into the tensor")


@pytest.mark.capability("aliasing")
@given(case=arrays_and_new_values())
def test_numpy_of_a_tensor_shares_memory_both_ways(device, case):
    require_cpu(device)
    dtype, values, new = case
    t = torch.tensor(values)
    a = t.numpy()
    assert a.dtype == np.dtype(dtypes.to_numpy(dtype)), f".numpy() gave {a.dtype} for {t.dtype}"
    a[...] = new
    assert_matches(t, new, dtype, what="tensor after a write into its .numpy() array")
    t.zero_()
    assert_matches(a, np.zeros_like(new), dtype, what=".numpy() array after tensor.zero_()")


@pytest.mark.capability("copy")
@given(case=arrays_and_new_values())
def test_torch_tensor_copies_its_input(device, case):
    dtype, a, new = case
    t = torch.tensor(a, device=device)
    before = a.copy()
    a[...] = new
    assert_matches(t, before, dtype, what="torch.tensor(a) after a write into a")
    assert t.dtype == dtype


@pytest.mark.capability("copy")
def test_to_device_copies_a_numpy_backed_tensor(device):
    if device == "cpu":
        pytest.skip("to('cpu') of a CPU tensor is the tensor itself, by design")
    a = np.arange(6.0)
    t = torch.from_numpy(a).to(device)
    a[0] = -1
    assert_matches(t, np.arange(6.0), torch.float64, what="device tensor after a write into the host array")
    with pytest.raises(TypeError, match="cpu"):
        t.numpy()


def test_from_numpy_accepts_negative_strides(device):
    """Known deviation ``negative-slice-step-refused`` (its bridge face):
    ``torch.from_numpy(a[::-1])`` raises ValueError ("At least one stride in
    the given numpy array is negative") because tensors cannot have
    negative strides; NumPy views of that kind are everyday values."""
    a = np.arange(6)
    assert_matches(torch.from_numpy(a[::-1]).to(device), a[::-1], torch.int64, what="from_numpy(a[::-1])")
