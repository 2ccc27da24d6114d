"""Drawing inputs for a row of the op table and checking torch against its
NumPy reference: the engine behind the op-table tests."""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from hypothesis import strategies as st

from torchconform import dtypes, oracle, record, repro, results, strategies
from torchconform.references import forward
from torchconform.tolerances import ZERO_SIGN_UNSPECIFIED, tolerance
from torchconform.ops.record import OUT_DTYPES, Op


#: The dtype matrix of the op-table tests: every float dtype (each has its own
#: kernels and rounding), one signed and one unsigned integer, and complex64
#: (complex128 runs the same templated kernels); the promotion tests cover
#: the other integer dtypes. Kept small so the whole table stays fast.
DTYPES = (torch.bool, torch.uint8, torch.int64, torch.float16, torch.bfloat16, torch.float32, torch.float64,
          torch.complex64)
#: In-place and out= forms reuse the functional kernel; what they add is
#: writing into a given tensor, checked on one dtype of each kind.
FORM_DTYPES = (torch.int64, torch.bfloat16, torch.float32, torch.complex64)
#: Ops that move values (shape, layout, indexing) run one kernel template for
#: every dtype of an element size: one dtype of each kind, and float16 for
#: the 2-byte size.
MOVE_DTYPES = (torch.bool, torch.int64, torch.float16, torch.float32, torch.complex64)


def op_dtype_params(ops, dtype_matrix=DTYPES) -> list:
    """``pytest.param(op, dtype, id="name-dtype")`` for every row of ``ops`` and
    every dtype of ``dtype_matrix`` of a kind the row is checked on."""
    return [
        pytest.param(op, dtype, id=f"{op.name}-{dtypes.name(dtype)}")
        for op in ops for dtype in dtype_matrix
        if strategies.kind_of(dtype) in op.kinds and (op.dtypes is None or dtypes.name(dtype) in op.dtypes)
    ]


def require_dtype(dtype: torch.dtype, device: str) -> None:
    """Skip, with the reason, a dtype this torch build cannot use on ``device``."""
    if dtype not in dtypes.supported_dtypes(device):
        pytest.skip(f"{dtypes.name(dtype)} is not supported by this torch build on {device}")


@dataclass
class OpCase:
    """Drawn inputs and parameters for one call of an op-table row.

    op: the row; inputs: one :class:`~torchconform.strategies.Drawn` per input
    (``x``, ``y``, ``z``); params: keyword arguments of both expressions;
    dtype: the input dtype. ``originals`` keeps clones of the inputs as drawn
    (an in-place form overwrites the first one).
    """

    op: Op
    inputs: list[strategies.Drawn]
    params: dict
    dtype: torch.dtype

    def __post_init__(self) -> None:
        # In-place forms overwrite the first input; repro scripts need the
        # values as drawn.
        self.originals = [d.tensor.clone() for d in self.inputs]

    def __repr__(self) -> str:
        inputs = ", ".join(f"{n}={d!r}" for n, d in zip("xyz", self.inputs))
        return f"OpCase({self.op.name}: {inputs}, params={self.params})"

    def _repr_pretty_(self, printer, cycle) -> None:  # Hypothesis' falsifying-example printer
        printer.text(repr(self))

    @property
    def tensors(self) -> list[torch.Tensor]:
        """The input tensors, bound to ``x``, ``y``, ``z`` in order."""
        return [d.tensor for d in self.inputs]

    def reference_arrays(self) -> list[np.ndarray]:
        """The inputs as NumPy arrays of the reference dtype (float64/complex128,
        or the exact integer type; see :func:`torchconform.dtypes.reference_dtype`)."""
        return [d.array.astype(dtypes.reference_dtype(self.dtype)) for d in self.inputs]

    @property
    def expected_dtype(self) -> torch.dtype:
        """The result dtype the row's ``out_dtype`` rule gives for the input dtype."""
        return OUT_DTYPES[self.op.out_dtype](self.dtype)

    def expected(self) -> np.ndarray:
        """The NumPy reference result (reference dtype, the result's shape)."""
        return np.asarray(self.op.run_numpy(*self.reference_arrays(), **self.params))

    def scale(self) -> np.ndarray | None:
        """The size of the op's terms (float64), or ``None`` (see :meth:`Op.error_scale`)."""
        eps = 0.0 if dtypes.is_exact(self.dtype) else float(torch.finfo(self.dtype).eps)
        return self.op.error_scale(*self.reference_arrays(), eps=eps, **self.params)


@st.composite
def op_cases(draw, op: Op, dtype: torch.dtype, device: str, *, result_shaped_first: bool = False,
             layouts=strategies.LAYOUTS) -> OpCase:
    """Draws an :class:`OpCase` of ``op`` on ``dtype`` and ``device``: one shape
    (unary) or mutually broadcastable shapes, values in the op's domain
    (integers over their dtype's whole range: integer arithmetic wraps alike
    in torch and NumPy), each input in its own layout drawn from ``layouts``,
    and the row's params (drawn for the tuple of input shapes).
    ``result_shaped_first`` gives the first input the broadcast result shape,
    as an in-place call requires."""
    min_side = 1 if op.nonempty else 0
    if op.arity == 1:
        shapes = [draw(strategies.shapes(min_dims=op.min_dims, min_side=min_side), label="shape")]
    else:
        drawn = draw(strategies.broadcastable_shapes(op.arity, min_dims=op.min_dims, min_side=min_side), label="shapes")
        shapes = list(drawn.input_shapes)
        if result_shaped_first:
            shapes[0] = drawn.result_shape
    inputs = [
        draw(strategies.tensors(dtype, shape=shape, device=device, specials=op.specials,
                                nonzero=name in op.nonzero and dtypes.is_exact(dtype), layouts=layouts,
                                clustered=op.clustered,
                                domain=None if dtypes.is_exact(dtype) else op.domain),
             label=name)
        for name, shape in zip("xyz", shapes)
    ]
    params = draw(op.params(tuple(shapes), dtype), label="params") if op.params else {}
    return OpCase(op, inputs, params, dtype)


def _limits(dtype: torch.dtype) -> dict:
    """The names a deviation predicate sees besides the inputs: ``tiny``,
    ``eps``, ``huge`` for floats, ``int_min`` (the most negative value of an integer dtype; 0 for bool and floats)."""
    if dtype == torch.bool:
        return {"tiny": 0.0, "int_min": 0}
    if dtypes.is_exact(dtype):
        return {"tiny": 0.0, "int_min": torch.iinfo(dtype).min}
    info = torch.finfo(dtype)
    return {"tiny": float(info.tiny), "eps": float(info.eps), "huge": float(info.max), "int_min": 0}


#: torch.kron refuses many non-contiguous inputs (it views a reshape of them).
KRON_NON_CONTIGUOUS = "kron-non-contiguous-input-raises"


def kron_refuses(case: OpCase) -> bool:
    """Whether ``case`` is kron on a non-contiguous input (or one with a
    size-1 dim whose stride differs from a contiguous tensor's), which torch
    may refuse (the deviation :data:`KRON_NON_CONTIGUOUS`, noted for the
    report); the caller must not check it. A property of the layout, not of
    the values, so it cannot be a row's value predicate."""
    refused = case.op.name == "kron" and any(
        not t.is_contiguous() or any(size == 1 and stride != dense
                                     for size, stride, dense in zip(t.shape, t.stride(), torch.empty(t.shape).stride()))
        for t in case.tensors)
    if refused:
        record.note("deviation", KRON_NON_CONTIGUOUS)
    return refused


def crashing(case: OpCase) -> bool:
    """Whether the case holds inputs on which torch is known to kill the
    process (the op's ``crash`` deviation); if so the report names it, and
    the caller must not run torch."""
    if case.op.crash is None:
        return False
    (mask,) = case.op.deviating(case.reference_arrays(), dtypes.name(case.dtype), only=(case.op.crash,),
                                **_limits(case.dtype), **case.params).values()
    if np.any(mask):
        record.note("deviation", case.op.crash.id)
        return True
    return False


def check_result(case: OpCase, result: torch.Tensor, *, what: str = "") -> None:
    """``result`` (of any form of the op: functional, in-place, out=) equals
    the NumPy reference in value (nan/inf by position and sign, signed
    zeros) and dtype, within the tolerance policy, except on elements the
    op's known deviations cover. Raises ``AssertionError`` naming ``what``
    with the worst element and a standalone repro script."""
    expected = case.expected()
    masks = case.op.deviating(case.reference_arrays(), dtypes.name(case.dtype), **_limits(case.dtype), **case.params)
    for dev_id, mask in masks.items():
        if np.any(mask) and expected.shape == tuple(result.shape):
            # Let the deviating elements agree by construction; the deviation
            # has its own strict example test, and the report names it.
            mask = np.broadcast_to(mask, expected.shape)
            expected = np.where(mask, dtypes.tensor_to_numpy(result).astype(expected.dtype), expected)
            record.note("deviation", dev_id)
    oracle.assert_matches(
        result, expected, case.expected_dtype, op=case.op.factor, scale=case.scale(),
        what=what or f"{case.op.name}: {case.op.torch}", repro=lambda: repro_script(case),
        zero_sign=case.op.name not in ZERO_SIGN_UNSPECIFIED,
    )


def repro_script(case: OpCase) -> str:
    """A standalone torch + NumPy script re-running the functional form of
    the op on the case's inputs (see :mod:`torchconform.repro`)."""
    op = case.op
    params = case.params
    if op.scale and "eps" in op.scale:
        params = params | {"eps": 0.0 if dtypes.is_exact(case.dtype) else float(torch.finfo(case.dtype).eps)}
    text = repro.script(
        op.torch, op.numpy.replace("ref.", ""), dict(zip("xyz", case.originals)),
        dtype=case.expected_dtype, tolerance=tolerance(case.expected_dtype, op=op.factor),
        params=params, scale_expr=op.scale and op.scale.replace("ref.", ""),
        what=f"{op.name} on {dtypes.name(case.dtype)}",
    )
    if any(name in op.numpy + (op.scale or "") for name in ("ref.", "math.", "scipy.")):
        # The script must stand alone: inline the NumPy helpers it calls.
        helpers = "import math\n\n" + inspect.getsource(forward).split('"""', 2)[2]
        text = text.replace("\nimport torch\n", "\nimport torch\n" + helpers, 1)
    return text


def check_op(case: OpCase) -> torch.Tensor | None:
    """Run the functional form and check it against NumPy, and, off CPU,
    against the same call on CPU; returns torch's result. A case the op's
    ``crash`` deviation covers is not run (see :func:`crashing`): the result
    is then None. Raises ``AssertionError`` as :func:`check_result` does."""
    if crashing(case):
        return None
    results.leave_case_note(lambda: f"{case!r}\n{results.REPRO_MARKER}\n{repro_script(case)}")
    result = case.op.run_torch(*case.tensors, **case.params)
    check_result(case, result)
    device = case.tensors[0].device
    if device.type != "cpu":
        on_cpu = case.op.run_torch(*[t.cpu() for t in case.tensors], **case.params)
        oracle.assert_device_matches_cpu(result, on_cpu, op=case.op.factor, what=case.op.name)
    return result
