"""Dtype tables: the torch <-> NumPy mapping, dtype families, rounding to a
dtype NumPy lacks (bfloat16), and a probe of what this torch build supports.

bfloat16 has no NumPy counterpart, so tensors of that dtype cross the bridge as
float32 (exact: every bfloat16 is a float32) and references are rounded to
bfloat16 with :func:`round_to_dtype`.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

#: Every dtype the suite knows, in a stable order (reports and ids use it).
ALL_DTYPES: tuple[torch.dtype, ...] = (
    torch.bool,
    torch.uint8,
    torch.int8,
    torch.int16,
    torch.int32,
    torch.int64,
    torch.float16,
    torch.bfloat16,
    torch.float32,
    torch.float64,
    torch.complex64,
    torch.complex128,
)

_TO_NUMPY = {
    torch.bool: np.bool_,
    torch.uint8: np.uint8,
    torch.int8: np.int8,
    torch.int16: np.int16,
    torch.int32: np.int32,
    torch.int64: np.int64,
    torch.float16: np.float16,
    torch.bfloat16: np.float32,  # carrier type; see module docstring
    torch.float32: np.float32,
    torch.float64: np.float64,
    torch.complex64: np.complex64,
    torch.complex128: np.complex128,
}

INTEGER_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)
FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
COMPLEX_DTYPES = (torch.complex64, torch.complex128)
#: Dtypes whose ops are checked exactly (no tolerance).
EXACT_DTYPES = (torch.bool,) + INTEGER_DTYPES


def name(dtype: torch.dtype) -> str:
    """``torch.float32`` -> ``"float32"``: the short name used in ids and reports."""
    return str(dtype).removeprefix("torch.")


def from_name(text: str) -> torch.dtype:
    """``"float32"`` -> ``torch.float32`` (the inverse of :func:`name`).
    Raises ``ValueError`` for a name that is not a torch dtype."""
    dtype = getattr(torch, text, None)
    if not isinstance(dtype, torch.dtype):
        raise ValueError(f"unknown dtype {text!r}")
    return dtype


def to_numpy(dtype: torch.dtype) -> type:
    """The NumPy type a tensor of ``dtype`` becomes on the bridge (bfloat16,
    which NumPy lacks, becomes float32). Raises ``KeyError`` for a dtype
    outside :data:`ALL_DTYPES`."""
    return _TO_NUMPY[dtype]


def is_exact(dtype: torch.dtype) -> bool:
    """Whether ``dtype`` is bool or an integer dtype (compared exactly)."""
    return dtype in EXACT_DTYPES


def is_float(dtype: torch.dtype) -> bool:
    """Whether ``dtype`` is a real floating-point dtype (float16, bfloat16, float32, float64)."""
    return dtype in FLOAT_DTYPES


def is_complex(dtype: torch.dtype) -> bool:
    """Whether ``dtype`` is complex64 or complex128."""
    return dtype in COMPLEX_DTYPES


def reference_dtype(dtype: torch.dtype) -> type:
    """The NumPy type references are computed in for inputs of ``dtype``:
    float64/complex128 for inexact dtypes (so the reference is more accurate
    than what it checks), the exact type itself for integers and bool."""
    if is_complex(dtype):
        return np.complex128
    if is_float(dtype):
        return np.float64
    return _TO_NUMPY[dtype]


def tensor_to_numpy(t: torch.Tensor) -> np.ndarray:
    """A NumPy copy of ``t`` (any device, any layout, bfloat16 widened;
    a ZeroTensor, which forward-mode AD returns for a tangent known to be
    zero and which refuses ``.numpy()``, as the zeros it stands for)."""
    if t._is_zerotensor():
        return np.zeros(tuple(t.shape), dtype=_TO_NUMPY[torch.float32 if t.dtype == torch.bfloat16 else t.dtype])
    t = t.detach().resolve_conj().resolve_neg().cpu()
    if t.dtype == torch.bfloat16:
        t = t.to(torch.float32)
    return np.array(t.contiguous().numpy(), copy=True)


def _round_float32_to_bfloat16(x: np.ndarray) -> np.ndarray:
    # Round-to-nearest-even on the float32 bit pattern: bfloat16 is the top
    # 16 bits of a float32. NaNs are kept as NaN (the bias could carry them to inf).
    bits = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bias = 0x7FFF + ((bits >> 16) & 1)
    rounded = (((bits + bias) >> 16) << 16).astype(np.uint32).view(np.float32)
    return np.where(np.isnan(x), np.float32(np.nan), rounded)


def round_to_dtype(x: np.ndarray, dtype: torch.dtype) -> np.ndarray:
    """Round a (float64) reference to what an exact result in ``dtype`` is,
    returned in the bridge type. Overflow becomes inf, as in the dtype."""
    x = np.asarray(x)
    with np.errstate(over="ignore", invalid="ignore"):
        if dtype == torch.bfloat16:
            # float64 -> float32 -> bfloat16 can double-round; the error is at
            # most one bfloat16 ULP in rare halfway cases, inside the policy.
            return _round_float32_to_bfloat16(x.astype(np.float32))
        return x.astype(_TO_NUMPY[dtype])


def eps(dtype: torch.dtype) -> float:
    """Machine epsilon of an inexact dtype (of its real part for complex)."""
    if is_complex(dtype):
        dtype = torch.float32 if dtype == torch.complex64 else torch.float64
    return float(torch.finfo(dtype).eps)


def ulp(x: np.ndarray, dtype: torch.dtype) -> np.ndarray:
    """Spacing of ``dtype`` at each value of ``x`` (the size of one ULP),
    floored at the smallest subnormal. Computed in NumPy from finfo figures."""
    real = torch.float32 if dtype == torch.complex64 else torch.float64 if dtype == torch.complex128 else dtype
    info = torch.finfo(real)
    mag = np.abs(np.asarray(x, dtype=np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = np.floor(np.log2(np.maximum(mag, info.tiny)))
    spacing = np.exp2(exponent) * info.eps
    smallest_subnormal = info.tiny * info.eps
    return np.maximum(spacing, smallest_subnormal)


@functools.cache
def supported_dtypes(device: str) -> tuple[torch.dtype, ...]:
    """Dtypes this torch build can create and add on ``device``: probed, not
    assumed, so a vendor build lacking (say) bfloat16 is told apart from one
    computing it wrongly."""
    found = []
    for dtype in ALL_DTYPES:
        try:
            t = torch.ones(2, dtype=dtype, device=device)
            (t + t).cpu()
        except (RuntimeError, TypeError):
            continue
        found.append(dtype)
    return tuple(found)
