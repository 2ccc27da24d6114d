"""Comparisons of torch results with NumPy references under the one policy.

Everything is compared as NumPy arrays with ``numpy.testing``; torch is only
the thing under test. The failure message says what was compared, the
tolerance, the worst element, and (when the caller has one) a standalone
script that reproduces the failure.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from torchconform import coverage, dtypes, record
from torchconform.tolerances import Tolerance, tolerance, ulp_error


def _describe_worst(actual: np.ndarray, expected: np.ndarray) -> str:
    if actual.shape != expected.shape or actual.size == 0:
        return ""
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(actual.astype(np.complex128) - expected.astype(np.complex128))
    diff = np.where(np.isnan(diff), np.inf, diff)
    idx = np.unravel_index(int(np.argmax(diff)), diff.shape)
    return f"worst element at index {tuple(int(i) for i in idx)}: actual {actual[idx]!r}, expected {expected[idx]!r}"


def assert_matches(
    actual: torch.Tensor | np.ndarray,
    expected: np.ndarray,
    dtype: torch.dtype | None = None,
    *,
    kind: str = "forward",
    op: str | None = None,
    scale: np.ndarray | None = None,
    what: str = "",
    repro: str | Callable[[], str] | None = None,
    check_dtype: bool = True,
) -> None:
    """Assert a torch result equals a NumPy reference under the policy.

    ``expected`` is the reference in float64 (or exact) precision; it is
    rounded to ``dtype`` (the dtype of ``actual`` by default) before the
    comparison, so exact ops must agree to the bit. ``op`` names a policy
    factor, ``scale`` the size of the op's terms (see :mod:`tolerances`).
    The largest ULP error is noted for the report, and the comparison for
    the API coverage (:mod:`torchconform.coverage`).
    """
    coverage.compared(actual)
    if isinstance(actual, torch.Tensor):
        dtype = dtype or actual.dtype
        got = dtypes.tensor_to_numpy(actual)
    else:
        if dtype is None:
            raise TypeError("dtype is required when actual is not a tensor")
        got = np.asarray(actual)
    tol = tolerance(dtype, kind=kind, op=op)
    want = dtypes.round_to_dtype(np.asarray(expected), dtype) if kind == "forward" else np.asarray(expected)
    header = f"{what or 'result'} [{dtypes.name(dtype)}, {kind}, {tol}]"
    record.note("tolerance", str(tol))
    try:
        if got.shape != want.shape:
            raise AssertionError(f"shape {got.shape} != expected {want.shape}")
        if check_dtype and got.dtype != np.dtype(dtypes.to_numpy(dtype)):
            raise AssertionError(f"dtype {got.dtype} != expected {np.dtype(dtypes.to_numpy(dtype))}")
        record.note("max_ulp", ulp_error(got, want, dtype))
        _compare(got, want, tol, scale)
    except AssertionError as exc:
        message = f"{header}\n{_describe_worst(got, want)}\n{exc}"
        if repro:
            script = repro() if callable(repro) else repro
            record.note("repro", script)
            message += f"\n--- standalone repro script ---\n{script}"
        record.note("observed", np.array2string(got, threshold=20))
        record.note("expected", np.array2string(want, threshold=20))
        raise AssertionError(message) from None


def _compare(got: np.ndarray, want: np.ndarray, tol: Tolerance, scale: np.ndarray | None) -> None:
    if tol.exact:
        np.testing.assert_array_equal(got, want, strict=True)
        return
    if scale is None:
        np.testing.assert_allclose(got, want, rtol=tol.rtol, atol=tol.atol, equal_nan=True)
        return
    # The error bound is relative to the size of the op's terms: pass
    # elementwise where |got - want| <= atol + rtol*max(|want|, scale).
    g = got.astype(np.complex128 if np.iscomplexobj(got) else np.float64)
    w = want.astype(g.dtype)
    s = np.broadcast_to(np.abs(np.asarray(scale, dtype=np.float64)), w.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        bound = tol.atol + tol.rtol * np.maximum(np.abs(w), s)
        close = (np.abs(g - w) <= bound) | (np.isnan(g) & np.isnan(w)) | (g == w)
    if not np.all(close):
        bad = int(np.size(close) - np.count_nonzero(close))
        np.testing.assert_array_equal(
            close, np.ones_like(close),
            err_msg=f"{bad} element(s) outside rtol*max(|expected|, scale) + atol",
        )


def assert_device_matches_cpu(
    on_device: torch.Tensor, on_cpu: torch.Tensor, *, kind: str = "forward", op: str | None = None, what: str = ""
) -> None:
    """A result on an accelerator must agree with the same computation on CPU,
    under the same policy (CPU plays the reference, rounded to the dtype)."""
    if on_device.device.type == "cpu":
        return
    assert_matches(
        on_device,
        dtypes.tensor_to_numpy(on_cpu).astype(dtypes.reference_dtype(on_cpu.dtype)),
        on_cpu.dtype,
        kind=kind,
        op=op,
        what=f"{what or 'result'} on {on_device.device} vs cpu",
    )
