"""``torch.fft`` against ``numpy.fft`` (and ``scipy.fft`` for the n-d
Hermitian transforms NumPy lacks): every transform with drawn ``n``/``s``,
``dim``, ``norm``, real, integer, bool and complex inputs, batch dims
(including 0-size ones), drawn memory layouts and ``out=``; the sample
frequencies and the shifts.

The reference transforms the tensor's values in float64 (complex128); NumPy
2 would otherwise transform float32 in float32. An FFT's rounding error is
relative to the size of its terms, not of each output: the bound is about
``log2(N) eps sum|x|`` times the normalisation, so the comparison scale is
``2 sum|x|`` over the transformed dims times the normalisation factor (the 2
covers the mirrored half a Hermitian input stands for), with the policy's
"fft" factor. Inputs are finite: where a nan or inf lands in an FFT's output
depends on the algorithm's butterflies, not on a definition NumPy and torch
share. Integer and bool inputs are transformed as the default float dtype.
float16 transforms (CUDA only) need power-of-two lengths, which is what they draw.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
import scipy.fft
import torch
from hypothesis import given, strategies as st

from torchconform import dtypes, record
from torchconform.oracle import assert_matches
from torchconform.strategies import shapes, tensors

pytestmark = pytest.mark.area("fft")

DOMAIN = (-100.0, 100.0)
NORMS = [None, "backward", "ortho", "forward"]
INPUT_DTYPES = (torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.float16,
                torch.float32, torch.float64, torch.complex64, torch.complex128)


@dataclass(frozen=True)
class Transform:
    """One torch.fft transform and its reference.

    ``kind`` is "c2c" (complex in, complex out), "r2c" (real in, one-sided
    complex out) or "c2r" (one-sided Hermitian in, real out); ``rank`` is
    1, 2 or "n" (the ``n``/``dim`` or ``s``/``dim`` signature); ``inverse``
    says which normalisation "backward" applies to it.
    """

    name: str
    kind: str
    rank: int | str
    inverse: bool
    reference: Callable

    @property
    def function(self) -> Callable:
        return getattr(torch.fft, self.name)


def _t(name, kind, rank, inverse, module=np.fft):
    return Transform(name, kind, rank, inverse, getattr(module, name))


TRANSFORMS = [
    _t("fft", "c2c", 1, False), _t("ifft", "c2c", 1, True),
    _t("rfft", "r2c", 1, False), _t("irfft", "c2r", 1, True),
    _t("hfft", "c2r", 1, False), _t("ihfft", "r2c", 1, True),
    _t("fft2", "c2c", 2, False), _t("ifft2", "c2c", 2, True),
    _t("rfft2", "r2c", 2, False), _t("irfft2", "c2r", 2, True),
    _t("hfft2", "c2r", 2, False, scipy.fft), _t("ihfft2", "r2c", 2, True, scipy.fft),
    _t("fftn", "c2c", "n", False), _t("ifftn", "c2c", "n", True),
    _t("rfftn", "r2c", "n", False), _t("irfftn", "c2r", "n", True),
    _t("hfftn", "c2r", "n", False, scipy.fft), _t("ihfftn", "r2c", "n", True, scipy.fft),
]


@functools.cache
def _runs(transform: Transform, dtype: torch.dtype, device: str) -> bool:
    """Whether this torch runs ``transform`` on ``dtype`` inputs on ``device`` (probed)."""
    shape = (2,) * (2 if transform.rank == 2 else 1)
    try:
        transform.function(torch.ones(shape, dtype=dtype, device=device))
    except (RuntimeError, TypeError):
        return False
    return True


def input_dtypes(transform: Transform, device: str) -> st.SearchStrategy:
    usable = [d for d in INPUT_DTYPES if d in dtypes.supported_dtypes(device) and _runs(transform, d, device)
              and not (transform.kind == "r2c" and dtypes.is_complex(d))]
    return st.sampled_from(usable)


def result_dtype(transform: Transform, dtype: torch.dtype) -> torch.dtype:
    """What torch documents: integers and bool are transformed as the default
    float dtype; real-valued results keep the real dtype, others are complex."""
    if dtypes.is_exact(dtype):
        dtype = torch.get_default_dtype()
    real = {torch.complex64: torch.float32, torch.complex128: torch.float64, torch.complex32: torch.float16}
    complex_of = {torch.float16: torch.complex32, torch.float32: torch.complex64, torch.float64: torch.complex128}
    if transform.kind == "c2r":
        return real.get(dtype, dtype)
    return complex_of.get(dtype, dtype)


@st.composite
def transform_case(draw, transform: Transform, dtype: torch.dtype):
    """(shape, dims, lengths, torch keyword arguments, reference keyword arguments).

    Transformed dims have at least one element (an empty transform is an
    error in both libraries), two for a "c2r" transform left to its default
    length 2*(m-1); the other dims may be empty.
    """
    sides = st.sampled_from([1, 2, 4]) if dtype == torch.float16 else st.integers(1, 5)
    rank = transform.rank
    ndim = draw(st.integers(1 if rank in (1, "n") else 2, 3), label="ndim")
    shape = list(draw(st.lists(st.integers(0, 3), min_size=ndim, max_size=ndim), label="batch sides"))
    if rank == 1:
        dims = [draw(st.integers(-ndim, ndim - 1), label="dim")]
    elif rank == 2:
        dims = draw(st.permutations(range(ndim)), label="dim order")[:2]
    elif draw(st.booleans(), label="dim=None"):
        dims = list(range(ndim))
    else:
        dims = draw(st.permutations(range(ndim)), label="dim order")[:draw(st.integers(1, ndim), label="rank")]
    for d in dims:
        shape[d] = draw(sides, label=f"side {d}")
    lengths = draw(st.lists(st.one_of(st.none(), sides), min_size=len(dims), max_size=len(dims)), label="n")
    if rank != 1 and None in lengths:  # s names every transformed length, or none
        lengths = [None] * len(dims)
    if transform.kind == "c2r":
        last = dims[-1]
        if lengths[-1] is None and shape[last] < 2:
            shape[last] = 2
    norm = draw(st.sampled_from(NORMS), label="norm")
    # dim=None: the last two dims for 2-d transforms, all dims for n-d ones.
    default_dims = [d % ndim for d in dims] == (list(range(ndim)) if rank == "n" else [ndim - 2, ndim - 1])
    if rank == 1:
        t_kw, r_kw = {"n": lengths[0], "dim": dims[0]}, {"n": lengths[0], "axis": dims[0]}
    else:
        s = None if None in lengths else lengths
        t_kw = {"s": s} if default_dims else {"s": s, "dim": dims}
        r_kw = {"s": s, "axes": dims}
    t_kw["norm"] = r_kw["norm"] = norm
    return tuple(shape), dims, lengths, t_kw, r_kw


def normalisation(transform: Transform, norm: str | None, signal: int) -> float:
    """The factor the transform applies for ``norm``, for a signal of ``signal`` points."""
    if norm == "ortho":
        return 1 / math.sqrt(signal)
    scaled = transform.inverse if norm in (None, "backward") else not transform.inverse
    return 1 / signal if scaled else 1.0


@pytest.mark.parametrize("op", TRANSFORMS, ids=lambda t: t.name)
@given(data=st.data())
def test_transform_matches_reference(device, op, data):
    dtype = data.draw(input_dtypes(op, device), label="dtype")
    shape, dims, lengths, t_kw, r_kw = data.draw(transform_case(op, dtype), label="case")
    x = data.draw(tensors(dtype, shape=shape, device=device, domain=DOMAIN), label="x")
    if x.array.size == 0 and x.tensor.device.type == "cpu":
        # Known deviation fft-empty-batch-raises (its own strict-xfail example
        # keeps it honest): torch's CPU FFT refuses an empty batch dim.
        record.note("deviation", "fft-empty-batch-raises")
        return
    want = result_dtype(op, dtype)
    use_out = data.draw(st.booleans(), label="out=")
    if use_out and op.name == "ihfftn" and len(dims) == 1:
        record.note("deviation", "ihfftn-out-one-dim-left-empty")  # checked by its own strict-xfail example
        use_out = False
    if use_out:
        result = torch.empty(0, dtype=want, device=device)
        returned = op.function(x.tensor, **t_kw, out=result)
        assert returned is result, "out= must return the out tensor"
    else:
        result = op.function(x.tensor, **t_kw)
    ref = x.array.astype(np.complex128 if dtypes.is_complex(dtype) else np.float64)
    expected = np.asarray(op.reference(ref, **r_kw))
    # The signal's length: the output's for c2c and c2r transforms, the (padded) input's for r2c.
    if op.kind == "r2c":
        signal = math.prod(n if n is not None else shape[d] for d, n in zip(dims, lengths))
    else:
        signal = math.prod(expected.shape[d] for d in dims)
    scale = 2 * np.sum(np.abs(ref), axis=tuple(dims), keepdims=True) * normalisation(op, t_kw["norm"], signal)
    assert_matches(result, expected, want, op="fft", scale=np.broadcast_to(scale, expected.shape) if
                   expected.size else None, what=f"torch.fft.{op.name}(x, {t_kw})")


@pytest.mark.parametrize("op", ["fft.fftfreq", "fft.rfftfreq"], ids=["fftfreq", "rfftfreq"])
@given(data=st.data())
def test_sample_frequencies_match_numpy(device, op, data):
    name = op.removeprefix("fft.")
    dtype = data.draw(st.sampled_from([d for d in (torch.float16, torch.bfloat16, torch.float32, torch.float64)
                                       if d in dtypes.supported_dtypes(device)]), label="dtype")
    n = data.draw(st.integers(1, 12), label="n")
    d = data.draw(st.one_of(st.just(1.0), st.floats(1e-3, 1e3), st.floats(-1e3, -1e-3)), label="d")
    expected = getattr(np.fft, name)(n, d)
    if data.draw(st.booleans(), label="out="):
        result = torch.empty(0, dtype=dtype, device=device)
        getattr(torch.fft, name)(n, d, out=result)
    else:
        result = getattr(torch.fft, name)(n, d, dtype=dtype, device=device)
    assert_matches(result, expected, dtype, what=f"torch.fft.{name}({n}, {d})")


@pytest.mark.parametrize("op", ["fft.fftshift", "fft.ifftshift"], ids=["fftshift", "ifftshift"])
@given(data=st.data())
def test_shift_matches_numpy(device, op, data):
    name = op.removeprefix("fft.")
    dtype = data.draw(st.sampled_from(dtypes.supported_dtypes(device)), label="dtype")
    # A 0-d tensor has nothing to shift: both libraries raise. dim=() is known
    # deviation fftshift-empty-dim-raises, checked by its own example.
    x = data.draw(tensors(dtype, shape=shapes(min_dims=1), device=device), label="x")
    ndim = x.array.ndim
    dim = data.draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1),
                              st.permutations(range(ndim)).flatmap(lambda p: st.integers(1, ndim).map(
                                  lambda k: tuple(p[:k])))), label="dim")
    result = getattr(torch.fft, name)(x.tensor, dim=dim)
    assert_matches(result, getattr(np.fft, name)(x.array, axes=dim), dtype, what=f"torch.fft.{name}(x, dim={dim})")


@pytest.mark.capability("errors")
@pytest.mark.parametrize("call", [
    pytest.param(lambda d: torch.fft.fft(torch.ones(0, device=d)), id="fft-of-nothing"),
    pytest.param(lambda d: torch.fft.rfft(torch.ones(3, dtype=torch.complex64, device=d)), id="rfft-of-complex"),
    pytest.param(lambda d: torch.fft.irfft(torch.ones(1, dtype=torch.complex64, device=d)), id="irfft-of-zero-points"),
    pytest.param(lambda d: torch.fft.fftshift(torch.tensor(1.0, device=d)), id="fftshift-of-a-scalar"),
])
def test_invalid_transforms_raise(call, device):
    with pytest.raises((RuntimeError, IndexError)):
        call(device)
