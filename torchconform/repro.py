"""Standalone repro scripts: a failing check rewritten as one Python file that
needs only torch and NumPy.

:func:`script` takes the torch expression and the NumPy reference expression
of a check (as source text, over named inputs), the exact input tensors, the
result dtype and the tolerance, and returns a script that

* rebuilds every input bit for bit: its storage (values written as literals,
  so nan, inf and -0.0 survive; NaN payloads are not kept), dtype, size,
  strides and storage offset, with ``as_strided`` on a flat storage tensor;
* builds the NumPy inputs from the same literals, independently of torch,
  in float64 (complex128; integers and bool as themselves);
* runs the op on the device and the reference in NumPy, rounds the reference
  to the result dtype (bfloat16 rounding written out in NumPy) for forward
  checks, and judges ``|actual - expected| <= atol + rtol * max(|expected|, scale)``
  elementwise with NaN equal to NaN, as :mod:`torchconform.oracle` does;
* prints the verdict and exits 0 on a match, 1 on a mismatch, 2 when the
  device is not available on the machine running it.

The check's code stays the reference: the script only mirrors it, so its
text reads like the test's own expressions.
"""

from __future__ import annotations

import keyword
import math
from typing import Any, Mapping

import numpy as np
import torch

#: Storage larger than this is not written out (a repro should be small).
MAX_STORAGE_ELEMENTS = 1_000_000
_RESERVED = {"torch", "np", "sys", "math", "nan", "inf", "expected"}
_LINE = 96


def _literal(value: Any) -> str:
    """Python source that evaluates to ``value`` in the script."""
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, complex):
        return f"complex({_literal(value.real)}, {_literal(value.imag)})"
    if isinstance(value, tuple):
        inner = ", ".join(_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, torch.dtype):
        return str(value)
    if isinstance(value, torch.device):
        return f"torch.device({str(value)!r})"
    if isinstance(value, np.generic):
        return _literal(value.item())
    if isinstance(value, torch.Tensor):
        raise TypeError("a tensor parameter must be passed as a named input, not as a scalar parameter")
    raise TypeError(f"cannot write a {type(value).__name__} as a literal in a repro script")


def _wrapped(items: list[str], indent: str) -> str:
    """Comma-separated items wrapped at a readable line width."""
    lines, line = [], ""
    for item in items:
        piece = f"{item}, "
        if line and len(indent) + len(line) + len(piece) > _LINE:
            lines.append(indent + line.rstrip())
            line = ""
        line += piece
    if line:
        lines.append(indent + line.rstrip())
    return "\n".join(lines)


def _input_spec(name: str, tensor: torch.Tensor) -> str:
    """The ``INPUTS`` entry for one tensor: its storage up to the last element it uses."""
    t = tensor.detach()
    if t.is_neg():
        t = t.resolve_neg()
    conj = t.is_conj()
    if conj:
        t = t.conj()  # the unconjugated view of the same storage, same strides
    size, stride = tuple(t.shape), tuple(t.stride())
    offset = t.storage_offset()
    used = offset + (1 + sum((n - 1) * s for n, s in zip(size, stride)) if t.numel() else 0)
    if used > MAX_STORAGE_ELEMENTS:
        raise ValueError(f"input {name!r} spans {used} storage elements; a repro script is limited to "
                         f"{MAX_STORAGE_ELEMENTS}")
    storage = t.as_strided((used,), (1,), 0).cpu()
    if storage.dtype == torch.bfloat16:
        storage = storage.float()  # every bfloat16 is exactly a float32
    values = [_literal(v) for v in storage.tolist()]
    fields = [
        f"dtype={str(t.dtype).removeprefix('torch.')!r}",
        f"size={_literal(size)}",
        f"stride={_literal(stride)}",
        f"offset={offset}",
    ]
    if conj:
        fields.append("conj=True")
    if tensor.requires_grad:
        fields.append("requires_grad=True")
    body = _wrapped(values, " " * 12)
    return (f"    {name!r}: dict(\n        {', '.join(fields)},\n"
            f"        values=[\n{body}\n        ],\n    ),") if values else (
            f"    {name!r}: dict({', '.join(fields)}, values=[]),")


def _check_name(name: str) -> None:
    if not name.isidentifier() or keyword.iskeyword(name) or name in _RESERVED:
        raise ValueError(f"{name!r} cannot name an input or parameter of a repro script")


def script(
    torch_expr: str,
    numpy_expr: str,
    inputs: Mapping[str, torch.Tensor],
    *,
    dtype: torch.dtype,
    tolerance: Any,
    params: Mapping[str, Any] | None = None,
    device: str | torch.device | None = None,
    scale_expr: str | None = None,
    kind: str = "forward",
    what: str = "",
) -> str:
    """A standalone script reproducing one comparison (see the module docstring).

    ``torch_expr`` and ``numpy_expr`` (and ``scale_expr``, the size of the
    op's terms, see :mod:`torchconform.tolerances`) are expressions over the
    names in ``inputs`` and ``params``; in the NumPy ones those names are
    float64 arrays. ``dtype`` is the dtype of the result, ``tolerance`` a
    :class:`~torchconform.tolerances.Tolerance` or an ``(rtol, atol)`` pair.
    ``kind="forward"`` rounds the reference to ``dtype`` first, as the
    oracle does; gradients are compared unrounded. The device defaults to
    that of the first input.
    """
    params = dict(params or {})
    for name in [*inputs, *params]:
        _check_name(name)
    if set(inputs) & set(params):
        raise ValueError(f"names used both as input and parameter: {sorted(set(inputs) & set(params))}")
    rtol, atol = (tolerance.rtol, tolerance.atol) if hasattr(tolerance, "rtol") else tolerance
    if device is None:
        device = next((t.device for t in inputs.values()), "cpu")
    args = ", ".join([*inputs, *params])
    input_specs = "\n".join(_input_spec(name, t) for name, t in inputs.items())
    param_lines = "".join(f"    {name!r}: {_literal(value)},\n" for name, value in params.items())
    scale_src = scale_expr or "abs(expected)"
    dtype_name = str(dtype).removeprefix("torch.")
    return _TEMPLATE.format(
        what=what or torch_expr,
        torch_expr=torch_expr,
        numpy_expr=numpy_expr,
        scale_src=scale_src,
        scale_args=f"{args}, expected" if args else "expected",
        version=torch.__version__,
        device=str(device),
        dtype=dtype_name,
        rtol=repr(float(rtol)),
        atol=repr(float(atol)),
        round_expected=kind == "forward",
        inputs=input_specs,
        params=param_lines,
        args=args,
    )


_TEMPLATE = '''\
"""Standalone repro (generated by torchconform): {what}

torch:     {torch_expr}
reference: {numpy_expr}   (NumPy, float64)
verdict:   |actual - expected| <= atol + rtol * max(|expected|, scale), NaN equal to NaN
scale:     {scale_src}

Generated with torch {version}. Needs only torch and numpy.
Exit status: 0 match, 1 mismatch, 2 device not available here.
"""
import sys

import numpy as np
import torch

nan, inf = float("nan"), float("inf")
DEVICE = {device!r}
DTYPE = {dtype!r}  # dtype of the result
RTOL, ATOL = {rtol}, {atol}
ROUND_EXPECTED = {round_expected}  # forward values are rounded to DTYPE first; gradients are not

# Each input: its storage from element 0 to the last element it uses, and the
# view (dtype, size, stride, storage offset) the check ran on.
INPUTS = {{
{inputs}
}}
PARAMS = {{
{params}}}


def run_torch({args}):
    return {torch_expr}


def reference({args}):
    return {numpy_expr}


def scale({scale_args}):
    return {scale_src}


def torch_input(dtype, size, stride, offset, values, conj=False, requires_grad=False):
    storage = torch.tensor(values, dtype=getattr(torch, dtype), device=DEVICE)
    view = storage.as_strided(size, stride, offset)
    if conj:
        view = view.conj()
    return view.detach().requires_grad_() if requires_grad else view


def reference_type(dtype):
    if dtype.startswith("complex"):
        return np.complex128
    if dtype.startswith(("float", "bfloat")):
        return np.float64
    return np.dtype(dtype).type


def numpy_input(dtype, size, stride, offset, values, conj=False, requires_grad=False):
    storage = np.array(values, dtype=reference_type(dtype))
    view = np.lib.stride_tricks.as_strided(
        storage[offset:], shape=size, strides=[s * storage.itemsize for s in stride])
    return np.conj(view) if conj else view.copy()


def round_to(x, dtype):
    x = np.asarray(x)
    with np.errstate(over="ignore", invalid="ignore"):
        if dtype == "bfloat16":
            # round to nearest even on the float32 bits: bfloat16 is their top half
            bits = x.astype(np.float32).view(np.uint32).astype(np.uint64)
            rounded = (((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16).astype(np.uint32).view(np.float32)
            return np.where(np.isnan(x), np.float32(nan), rounded)
        return x.astype(np.dtype(dtype).type)


def to_numpy(t):
    t = t.detach().resolve_conj().resolve_neg().cpu()
    return (t.float() if t.dtype == torch.bfloat16 else t).numpy()


def main():
    print(f"torch {{torch.__version__}}, numpy {{np.__version__}}, device {{DEVICE}}, dtype {{DTYPE}}")
    if DEVICE.startswith("cuda") and not torch.cuda.is_available():
        print(f"NOT RUN: device {{DEVICE}} is not available on this machine")
        return 2
    actual = run_torch(**{{n: torch_input(**s) for n, s in INPUTS.items()}}, **PARAMS)
    arrays = {{n: numpy_input(**s) for n, s in INPUTS.items()}}
    with np.errstate(all="ignore"):
        exact = np.asarray(reference(**arrays, **PARAMS))
        expected = round_to(exact, DTYPE) if ROUND_EXPECTED else exact
        size = np.abs(np.asarray(scale(**arrays, **PARAMS, expected=expected)))
    got = to_numpy(actual)
    if str(actual.dtype) != f"torch.{{DTYPE}}":
        print(f"MISMATCH: result dtype {{actual.dtype}}, expected torch.{{DTYPE}}")
        return 1
    if got.shape != expected.shape:
        print(f"MISMATCH: result shape {{got.shape}}, expected {{expected.shape}}")
        return 1
    wide = np.complex128 if np.iscomplexobj(got) or np.iscomplexobj(expected) else np.float64
    g, e = got.astype(wide), expected.astype(wide)
    with np.errstate(invalid="ignore", over="ignore"):
        bound = ATOL + RTOL * np.maximum(np.abs(e), np.broadcast_to(size, e.shape))
        diff = np.abs(g - e)
        close = (diff <= bound) | (np.isnan(g) & np.isnan(e)) | (g == e)
    if got.dtype.kind in "biu":
        close = got == expected  # exactly, also beyond the 53 bits of a float64
    print("actual:  ", np.array2string(got, threshold=50))
    print("expected:", np.array2string(expected, threshold=50))
    tol = f"rtol={{RTOL:.3g}}, atol={{ATOL:.3g}}"
    if close.all():
        print(f"MATCH: all {{close.size}} element(s) within tolerance ({{tol}})")
        return 0
    excess = np.where(close, -np.inf, np.nan_to_num(diff - bound, nan=np.inf))
    worst = np.unravel_index(int(np.argmax(excess)), close.shape)
    bad = close.size - np.count_nonzero(close)
    print(f"MISMATCH: {{bad}} of {{close.size}} element(s) outside tolerance ({{tol}})")
    print(f"worst at index {{tuple(int(i) for i in worst)}}: actual {{got[worst]}}, expected {{expected[worst]}}, "
          f"|difference| {{diff[worst]:.6g}} > bound {{bound[worst]:.6g}}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
'''
