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
    dtype: torch.dtype,
    *,
    kind: str = "forward",
    op: str | None = None,
    scale: np.ndarray | None = None,
    what: str = "",
    repro: str | Callable[[], str] | None = None,
    zero_sign: bool = True,
) -> None:
    """Assert a torch result equals a NumPy reference under the policy.

    ``dtype`` is the result dtype the caller expects, from the op's rule or
    the test's own choice, never read off ``actual``: a result of another
    dtype fails. ``expected`` is the reference in float64 (or exact)
    precision; it is rounded to ``dtype`` before the comparison, so exact ops
    must agree to the bit. NaN and infinities must match by position (and
    sign), zeros by sign where the reference is exactly zero and the op is
    one rounding step (no ``scale``; and unless ``zero_sign`` is False: an
    op the policy lists in :data:`tolerances.ZERO_SIGN_UNSPECIFIED`),
    complex values part by part (see :mod:`tolerances`). ``op`` names a policy factor, ``scale`` the size of
    the op's terms. The largest ULP error is noted for the report, and the
    comparison for the API coverage (:mod:`torchconform.coverage`).
    Raises ``AssertionError`` with the tolerance, the worst element and, when
    ``repro`` is given, a standalone script.
    """
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be the expected torch.dtype of the result, got {dtype!r}")
    coverage.compared(actual)
    got = dtypes.tensor_to_numpy(actual) if isinstance(actual, torch.Tensor) else np.asarray(actual)
    tol = tolerance(dtype, kind=kind, op=op)
    want = dtypes.round_to_dtype(np.asarray(expected), dtype) if kind == "forward" else np.asarray(expected)
    header = f"{what or 'result'} [{dtypes.name(dtype)}, {kind}, {tol}]"
    record.note("tolerance", str(tol))
    try:
        if got.shape != want.shape:
            raise AssertionError(f"shape {got.shape} != expected {want.shape}")
        if got.dtype != np.dtype(dtypes.to_numpy(dtype)):
            raise AssertionError(f"dtype {got.dtype} != expected {np.dtype(dtypes.to_numpy(dtype))}")
        record.note("max_ulp", ulp_error(got, want, dtype))
        signed = zero_sign and kind == "forward" and scale is None
        _compare(got, want, tol, scale, _exact_zeros(np.asarray(expected), want.shape, signed),
                 _beyond_range(scale, want.shape, dtype))
    except AssertionError as exc:
        message = f"{header}\n{_describe_worst(got, want)}\n{exc}"
        if repro:
            script = repro() if callable(repro) else repro
            record.note("repro", script)
            message += f"\n--- standalone repro script ---\n{script}"
        record.note("observed", np.array2string(got, threshold=20))
        record.note("expected", np.array2string(want, threshold=20))
        raise AssertionError(message) from None


def _first_mismatch(bad: np.ndarray, got: np.ndarray, want: np.ndarray, what: str) -> AssertionError:
    idx = np.unravel_index(int(np.argmax(bad)), bad.shape)
    where = tuple(int(i) for i in idx)
    return AssertionError(f"{int(np.count_nonzero(bad))} element(s) with {what}; first at index {where}: "
                          f"actual {got[idx]!r}, expected {want[idx]!r}")


def _exact_zeros(expected: np.ndarray, shape: tuple, wanted: bool) -> np.ndarray:
    """Where the unrounded reference is exactly zero. A reference that only
    rounds to zero in the tested dtype (an underflow) leaves the sign to
    wherever the kernel underflowed, so it is not marked."""
    if np.iscomplexobj(expected):
        parts = np.stack([np.broadcast_to(expected.real == 0, shape), np.broadcast_to(expected.imag == 0, shape)], -1)
        return parts & wanted
    return np.broadcast_to(expected == 0, shape) & wanted


def _split_complex(got: np.ndarray, want: np.ndarray, scale: np.ndarray | None):
    """Real and imaginary parts side by side (a trailing axis of 2), each
    judged against the modulus of the value (or ``scale``, if larger), as the
    error of a complex result is; where the modulus is infinite each part is
    judged by its own size. Comparing moduli alone would let an infinite part
    hide a wrong other part."""
    with np.errstate(invalid="ignore", over="ignore"):
        size = np.abs(want.astype(np.complex128))
        size = np.where(np.isfinite(size), size, 0.0)
        if scale is not None:
            # A non-finite part of the value must not drop the (finite) scale the other part is judged by.
            bound = np.abs(np.asarray(scale, dtype=np.complex128))
            size = np.maximum(size, np.where(np.isfinite(bound), bound, 0.0))
    def parts(a):
        return np.stack([a.real, a.imag], axis=-1)
    return parts(got), parts(want), np.stack([size, size], axis=-1)


def _beyond_range(scale: np.ndarray | None, shape: tuple, dtype: torch.dtype) -> np.ndarray:
    """Where the size of an op's terms is finite but exceeds the dtype's
    largest finite value (see tolerances: "Terms beyond the range"); an
    infinite size means an infinite input, whose result IEEE fixes."""
    if scale is None or not (dtype.is_floating_point or dtype.is_complex):
        return np.zeros(shape, dtype=bool)
    huge = torch.finfo(dtype).max
    with np.errstate(invalid="ignore"):
        size = np.abs(np.asarray(scale, dtype=np.float64))
        return np.broadcast_to((size > huge) & np.isfinite(size), shape)


def _compare(got: np.ndarray, want: np.ndarray, tol: Tolerance, scale: np.ndarray | None,
             exact_zero: np.ndarray, beyond_range: np.ndarray) -> None:
    """``exact_zero`` marks where the unrounded reference is ±0 (complex:
    per part, as :func:`_split_complex` lays them out): only there is the
    sign of a zero fixed. ``beyond_range`` marks the elements of a
    several-term op whose terms overflow the dtype: not compared."""
    if tol.exact:
        np.testing.assert_array_equal(got, want, strict=True)
        return
    if np.any(beyond_range):
        record.note("not compared", f"{int(np.count_nonzero(beyond_range))} element(s) whose terms overflow the dtype")
        got, want = np.where(beyond_range, 0, got), np.where(beyond_range, 0, want)
    if np.iscomplexobj(got) or np.iscomplexobj(want):
        got, want, scale = _split_complex(got, want, scale)
        if exact_zero.shape != got.shape:  # a real reference for a complex result: both parts
            exact_zero = np.stack([exact_zero, exact_zero], axis=-1)
    g, w = got.astype(np.float64), want.astype(np.float64)
    # Non-finite values carry no error bound: NaN must meet NaN and an
    # infinity the same infinity, whatever the scale says.
    bad = np.isnan(g) != np.isnan(w)
    if np.any(bad):
        raise _first_mismatch(bad, got, want, "NaN where the reference has none, or the reverse")
    bad = (np.isinf(g) | np.isinf(w)) & (g != w) & ~np.isnan(w)
    if np.any(bad):
        raise _first_mismatch(bad, got, want, "an infinity not matched by the same infinity")
    # Signed zeros (see tolerances): where the reference is exactly zero the signs must agree.
    bad = exact_zero & (g == 0) & (w == 0) & (np.signbit(g) != np.signbit(w))
    if np.any(bad):
        raise _first_mismatch(bad, got, want, "a zero of the wrong sign")
    finite = np.isfinite(w)
    with np.errstate(invalid="ignore", over="ignore"):
        size = np.abs(w) if scale is None else np.maximum(
            np.abs(w), np.broadcast_to(np.abs(np.asarray(scale, dtype=np.float64)), w.shape))
        close = ~finite | (g == w) | (np.abs(g - w) <= tol.atol + tol.rtol * size)
    if not np.all(close):
        rule = "rtol*|expected| + atol" if scale is None else "rtol*max(|expected|, scale) + atol"
        raise _first_mismatch(~close, got, want, f"an error beyond {rule}")


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
