"""Matrix products of the seeds against NumPy: ``mm``, ``matmul``/``@``
(1-D, 2-D, batched, broadcast batch dims), ``dot`` and ``mv``.

The reference is NumPy's product in float64 (complex128); integers are
exact. A product's rounding error is relative to the size of its terms, not
of its result (cancellation), so the comparison scale is ``|a| @ |b|`` (the
textbook bound ``k eps |a||b|``) with the policy's "matmul"/"linalg" factor.
Values are drawn in [-100, 100] with their edge values (-0.0, subnormals):
the float64 reference cannot overflow where a float16 partial sum may, and
telling that apart from a wrong kernel is not this check's job.
"""

import functools

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from torchconform import dtypes
from torchconform.oracle import assert_matches
from torchconform.strategies import broadcastable_shapes, tensors

pytestmark = pytest.mark.area("linalg")

DTYPES = [torch.int32, torch.int64, torch.float16, torch.bfloat16, torch.float32, torch.float64,
          torch.complex64, torch.complex128]
DOMAIN = (-100.0, 100.0)
SIDES = st.integers(0, 4)


@functools.cache
def matmul_support(dtype, device):
    """None when ``dtype`` products run on ``device``, else the reason not
    (CUDA has no integer matmul kernels, by design)."""
    if dtype not in dtypes.supported_dtypes(device):
        return f"{dtypes.name(dtype)} is not supported by this torch build on {device}"
    try:
        torch.ones(2, 2, dtype=dtype, device=device) @ torch.ones(2, 2, dtype=dtype, device=device)
    except RuntimeError as exc:
        return f"no {dtypes.name(dtype)} matmul on {device}: {str(exc).splitlines()[0]}"
    return None


def product_dtypes(device):
    """The dtypes of DTYPES whose products run on ``device``; shrinks towards int32."""
    usable = [d for d in DTYPES if matmul_support(d, device) is None]
    if not usable:
        pytest.skip(f"no matrix product dtype works on {device}: {matmul_support(torch.float32, device)}")
    return st.sampled_from(usable)


def operands(data, dtype, device, *shape_pair):
    return [data.draw(tensors(dtype, shape=s, device=device, domain=DOMAIN), label=name)
            for name, s in zip("ab", shape_pair)]


def check_product(result, a, b, reference, on_cpu, *, op, what):
    """``result`` against ``reference(a, b)`` in float64 with scale ``reference(|a|, |b|)``."""
    ref = dtypes.reference_dtype(a.tensor.dtype)
    x, y = a.array.astype(ref), b.array.astype(ref)
    scale = reference(np.abs(x), np.abs(y)) if not dtypes.is_exact(a.tensor.dtype) else None
    assert_matches(result, np.asarray(reference(x, y)), a.tensor.dtype, op=op, scale=scale, what=what)
    if result.device.type != "cpu":
        # Not assert_device_matches_cpu: the comparison needs the same scale
        # (devices sum in different orders; the difference is relative to |a||b|).
        assert_matches(result, dtypes.tensor_to_numpy(on_cpu).astype(ref), a.tensor.dtype, op=op, scale=scale,
                       what=f"{what} on {result.device} vs cpu")


@pytest.mark.capability("forward")
@given(data=st.data())
def test_mm_matches_numpy_matmul(device, data):
    dtype = data.draw(product_dtypes(device), label="dtype")
    n, k, m = data.draw(SIDES, label="n"), data.draw(SIDES, label="k"), data.draw(SIDES, label="m")
    a, b = operands(data, dtype, device, (n, k), (k, m))
    result = torch.mm(a.tensor, b.tensor)
    check_product(result, a, b, np.matmul, torch.mm(a.tensor.cpu(), b.tensor.cpu()), op="matmul", what="mm")


@st.composite
def matmul_shapes(draw):
    """Operand shapes for every matmul case: 1-D or 2-D on either side, and
    broadcastable batch dims (0-2 of them, size-1 dims included)."""
    batch = draw(broadcastable_shapes(2, max_dims=2, max_side=3), label="batch")
    k = draw(SIDES, label="k")
    a_matrix, b_matrix = draw(st.booleans(), label="a is a matrix"), draw(st.booleans(), label="b is a matrix")
    a = batch.input_shapes[0] + (draw(SIDES, label="n"), k) if a_matrix else (k,)
    b = batch.input_shapes[1] + (k, draw(SIDES, label="m")) if b_matrix else (k,)
    return a, b


@pytest.mark.capability("forward")
@given(data=st.data())
def test_matmul_matches_numpy_matmul(device, data):
    dtype = data.draw(product_dtypes(device), label="dtype")
    a, b = operands(data, dtype, device, *data.draw(matmul_shapes(), label="shapes"))
    on_cpu = torch.matmul(a.tensor.cpu(), b.tensor.cpu())
    check_product(torch.matmul(a.tensor, b.tensor), a, b, np.matmul, on_cpu, op="matmul", what="matmul")
    check_product(a.tensor @ b.tensor, a, b, np.matmul, on_cpu, op="matmul", what="a @ b")


@pytest.mark.capability("forward")
@given(data=st.data())
def test_dot_matches_numpy_dot(device, data):
    dtype = data.draw(product_dtypes(device), label="dtype")
    k = data.draw(SIDES, label="k")
    a, b = operands(data, dtype, device, (k,), (k,))
    result = torch.dot(a.tensor, b.tensor)
    check_product(result, a, b, np.dot, torch.dot(a.tensor.cpu(), b.tensor.cpu()), op="linalg", what="dot")


@pytest.mark.capability("forward")
@given(data=st.data())
def test_mv_matches_numpy_matmul(device, data):
    dtype = data.draw(product_dtypes(device), label="dtype")
    n, m = data.draw(SIDES, label="n"), data.draw(SIDES, label="m")
    a, b = operands(data, dtype, device, (n, m), (m,))
    result = torch.mv(a.tensor, b.tensor)
    check_product(result, a, b, np.matmul, torch.mv(a.tensor.cpu(), b.tensor.cpu()), op="linalg", what="mv")


@pytest.mark.capability("errors")
@pytest.mark.parametrize("call, a_shape, b_shape", [
    pytest.param(torch.mm, (2, 3), (4, 2), id="mm-inner-mismatch"),
    pytest.param(torch.mm, (3,), (3, 2), id="mm-needs-matrices"),
    pytest.param(torch.matmul, (2, 3), (2, 3), id="matmul-inner-mismatch"),
    pytest.param(torch.matmul, (2, 2, 3), (3, 3, 1), id="matmul-batch-not-broadcastable"),
    pytest.param(torch.dot, (2, 2), (2, 2), id="dot-needs-vectors"),
    pytest.param(torch.mv, (2, 3), (2,), id="mv-inner-mismatch"),
])
def test_incompatible_shapes_raise(call, a_shape, b_shape, device):
    with pytest.raises(RuntimeError):
        call(torch.ones(a_shape, device=device), torch.ones(b_shape, device=device))
