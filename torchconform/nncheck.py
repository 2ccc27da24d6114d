"""The engine of the torch.nn checks, as :mod:`opcheck` is for tensor ops.

A check has two halves. :func:`run` calls a layer, loss or functional on torch
with the inputs rounded to the dtype under test and back-propagates a drawn
upstream gradient (the cotangent), replaying on CPU and comparing when the
device is an accelerator. :func:`check` compares what torch returned with an
:class:`~torchconform.references.nn_expected.Expected` (value, VJPs and the
size of their terms, from NumPy) under the tolerance policy, including the
dtype of the result and of each gradient, which comes from the rule "a float
layer returns the dtype of its float inputs", not from torch.

Adding a torch.nn.functional function is a row in a :class:`Case` table; see
``conformance/test_nn_layers.py`` (``ACTIVATIONS``) for an example::

    Case("silu", F.silu, expected.silu)  # expected.silu(x, g) -> Expected

The test then reads ``check(run(case.fn, [x], dtype, device, seed), case.expected(...), dtype)``.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from torch import nn

from torchconform import dtypes, oracle
from torchconform.references.nn_expected import Expected

__all__ = ["Case", "Expected", "Run", "WithParams", "check", "one_thread", "rounded", "run", "single_threaded"]


def rounded(a: np.ndarray, dtype: torch.dtype) -> np.ndarray:
    """``a`` as ``dtype`` holds it, widened back to float64 for the reference.

    Any shape; the result is float64 of the same shape."""
    return np.asarray(a).astype(dtypes.to_numpy(dtype)).astype(np.float64)


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """Run torch (and NumPy's BLAS, when threadpoolctl is there) on one thread.

    Checks that alternate many small torch and NumPy calls make both thread
    pools spin against each other: on 2 cores the network checks ran 16x
    slower with the default pools. The kernels checked are the same; only
    their threading changes.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            yield
        else:
            with threadpool_limits(1):
                yield
    finally:
        torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def one_thread():
    """Module-scoped fixture running a test module under :func:`single_threaded`.
    Use it with ``pytestmark = pytest.mark.usefixtures("one_thread")``; the
    torchconform plugin registers it."""
    with single_threaded():
        yield


@dataclass
class Run:
    """What torch did in one :func:`run`.

    ``out`` is the detached output; ``grads`` holds one gradient per input
    (``None`` for an input that did not require grad); ``inputs`` the values
    torch saw, as float64 arrays (integer inputs such as class targets
    unchanged); ``g`` the upstream gradient (cotangent), float64, shaped like
    ``out``."""

    out: torch.Tensor
    grads: list
    inputs: list
    g: np.ndarray


def run(fn: Callable, arrays: Sequence[np.ndarray], dtype: torch.dtype, device: str, seed: int, *,
        grad: Sequence[bool] | None = None, op: str | None = "matmul") -> Run:
    """Call ``fn`` on tensors holding ``arrays`` and back-propagate a standard
    normal upstream gradient drawn from ``seed``.

    Float arrays are rounded to ``dtype``; integer arrays (class targets) keep
    their integer dtype. ``grad`` flags which inputs are leaves requiring grad
    (default: all; missing trailing flags are False). Off CPU the same call is
    replayed on CPU and the output and gradients must agree under the policy
    factor ``op``; a module ``fn`` is deep-copied to CPU first, so the replay
    starts from the same state (BatchNorm's running statistics) and leaves the
    original alone.

    Raises ``AssertionError`` if the device and CPU disagree."""
    on_cpu = None
    if torch.device(device).type != "cpu":
        cpu_fn = copy.deepcopy(fn).cpu() if isinstance(fn, nn.Module) else fn
        on_cpu = run(cpu_fn, arrays, dtype, "cpu", seed, grad=grad, op=op)
    inputs = [rounded(a, dtype) if np.asarray(a).dtype.kind == "f" else np.asarray(a) for a in arrays]
    flags = [True] * len(inputs) if grad is None else list(grad) + [False] * (len(inputs) - len(grad))
    tensors = [torch.tensor(a, dtype=dtype if a.dtype.kind == "f" else None, device=device, requires_grad=flag)
               for a, flag in zip(inputs, flags)]
    out = fn(*tensors)
    g = rounded(np.random.default_rng(seed).standard_normal(out.shape), dtype)
    out.backward(torch.tensor(g, dtype=dtype, device=device))
    result = Run(out.detach(), [t.grad for t in tensors], inputs, g)
    if on_cpu is not None:
        oracle.assert_device_matches_cpu(result.out, on_cpu.out, op=op)
        for got, want in zip(result.grads, on_cpu.grads):
            if got is not None:
                oracle.assert_device_matches_cpu(got, want, kind="gradient", op=op)
    return result


def check(r: Run, want: Expected, dtype: torch.dtype, *, op: str | None = None, grad_op: str | None = None,
          what: str = "", names: Sequence[str] = ("x", "weight", "bias")) -> None:
    """Assert torch's output and gradients in ``r`` match ``want``.

    The output is compared under the policy factor ``op`` with
    ``want.scale``, each gradient that ``want`` gives (not ``None``) under
    ``grad_op`` with its ``want.grad_scales`` entry, named ``d/d<name>`` from
    ``names``. Every result must have ``dtype``, the dtype the float inputs
    were given. Raises ``AssertionError`` naming ``what`` and the gradient."""
    oracle.assert_matches(r.out, want.value, dtype, op=op, scale=want.scale, what=what)
    scales = list(want.grad_scales) + [None] * (len(want.grads) - len(want.grad_scales))
    for got, expected, scale, name in zip(r.grads, want.grads, scales, names):
        if expected is not None:
            label = f"{what}: d/d{name}" if what else f"d/d{name}"
            oracle.assert_matches(got, expected, dtype, kind="gradient", op=grad_op, scale=scale, what=label)


class WithParams(nn.Module):
    """Runs ``module``'s own forward with the tensors passed after the input as
    its parameters (in ``named_parameters()`` order), so their gradients are
    the leaves' gradients of :func:`run`."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.inner = module
        self.names = [n for n, _ in module.named_parameters()]

    def forward(self, x, *params):
        return torch.func.functional_call(self.inner, dict(zip(self.names, params)), (x,))


@dataclass(frozen=True)
class Case:
    """One row of a table of checked functions.

    ``fn`` is the torch callable (a module instance, or a
    ``torch.nn.functional`` function with its options bound) taking the drawn
    arrays as tensors; ``expected`` the NumPy reference, called with the
    float64 inputs torch saw and then the upstream gradient ``g``, returning
    an :class:`Expected`; ``op`` and ``grad_op`` name the tolerance policy
    factors of the output and the gradients (see :mod:`torchconform.tolerances`)."""

    name: str
    fn: Callable
    expected: Callable[..., Expected]
    op: str | None = None
    grad_op: str | None = None

    def check(self, arrays: Sequence[np.ndarray], dtype: torch.dtype, device: str, seed: int) -> None:
        """Run the row on ``arrays`` (float64, any shapes ``fn`` accepts) in
        ``dtype`` on ``device`` and compare it with its reference.

        Raises ``AssertionError`` on a mismatch of value, gradient or dtype."""
        r = run(self.fn, arrays, dtype, device, seed)
        check(r, self.expected(*r.inputs, r.g), dtype, op=self.op, grad_op=self.grad_op, what=self.name)
