"""Every derivative order of a differentiable function, against NumPy.

A :class:`Differentiable` names a torch function of float tensors and its
NumPy twin; :func:`cases` draws float64 inputs where it is smooth, as a
:class:`~torchconform.gradcheck.GradCase`; :func:`check` then compares one
order of torch's derivatives with nested central differences of the NumPy
twin (:func:`torchconform.references.finite_diff.directional_gradient`):

* ``reverse``: ``autograd.grad`` with a drawn cotangent ``g`` (the VJP
  ``J^T g``, also through ``backward``);
* ``forward``: ``torch.func.jvp`` along drawn tangents ``v`` (``J v``),
  and the same through ``torch.autograd.forward_ad`` dual numbers;
* ``second``: the Hessian-vector product ``H v`` of ``<g, f>``, both
  reverse-over-reverse (``autograd.grad`` with ``create_graph=True``, twice)
  and forward-over-reverse (``torch.func.jvp`` of ``torch.func.vjp``);
* ``third``: the contraction ``T[v, v, .]`` of the third derivative of
  ``<g, f>``, by reverse mode three times (against its closed form, zero,
  for a row marked :attr:`Differentiable.quadratic`);
* ``vmap``: ``torch.func.vmap`` of the VJP over a batch of two inputs
  equals each sample's VJP (and of the function, each sample's value).

Complex results are compared through their real view (``view_as_real`` /
real and imaginary parts stacked last), so ``<g, f>`` is real. Inputs are
float64: the reference is a difference quotient, which needs the full
precision (float32 first derivatives are the op tables' tests).
Gradients with respect to every input are checked: the parameters (weight,
bias) of an nn function are inputs like any other.

A row lists the orders torch has for it (:attr:`Differentiable.orders`);
a missing one is a known deviation, checked by its own strict-xfail test
next to the rows (``deviations.toml``), never a silent gap.

A test module holds its rows and one test::

    @pytest.mark.parametrize(("op", "order"), params(ROWS))
    @budgeted
    @given(data=st.data())
    def test_x_derivatives_match_finite_differences(op, order, device, data):
        check(op, order, device, data)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as fwAD
from hypothesis import assume, settings, strategies as st

from torchconform import compat, dtypes, oracle
from torchconform.gradcheck import (
    FORWARD_AD_LAYOUTS, FINITE_DIFFERENCES, Domain, GradCase, check_first_order, check_forward_mode, same_on_cpu,
    smooth_tensors,
)
from torchconform.references import finite_diff
from torchconform.strategies import Drawn
from torchconform.tolerances import tolerance

__all__ = ["ORDERS", "Differentiable", "budgeted", "cases", "check", "check_dual_numbers", "check_second_order", "check_third_order",
           "check_vmap", "params"]

#: The checks :func:`check` runs, each with the coverage order it counts as.
ORDERS = {"reverse": "reverse", "forward": "forward", "second": "second", "third": "third", "vmap": "reverse"}

_DTYPE = torch.float64

#: A derivative-order case draws this share of the profile's examples.
_SHARE = 8


def budgeted(test):
    """Hypothesis ``settings`` for a derivative-order test: an eighth of the
    active profile's ``max_examples`` (at least 5; other settings as the
    profile's). One example differentiates up to three times and evaluates
    the NumPy twin some twenty times per input element, and every row runs
    five orders, so each (row, order) case draws fewer examples than a
    forward check to keep the default run within its time budget; the
    ``thorough`` profile still scales them up."""
    return settings(max_examples=max(5, settings.default.max_examples // _SHARE))(test)


def _real_torch(y: torch.Tensor) -> torch.Tensor:
    return torch.view_as_real(y.resolve_conj()) if y.is_complex() else y


def _real_numpy(y) -> np.ndarray:
    y = np.asarray(y)
    return np.stack([y.real, y.imag], -1) if np.iscomplexobj(y) else y.astype(np.float64)


@dataclass(frozen=True)
class Differentiable:
    """One differentiable function, for the derivative-order checks.

    name: the public family it checks (``"torch.special.erfcx"``), declared
      for the coverage; the test id.
    torch_fn / numpy_fn: the function of ``len(shapes)`` float tensors
      (float64 arrays), returning one tensor (array), real or complex; any
      other operand is closed over. Structure an input needs (a symmetric
      positive definite matrix, a probability vector) is built inside both
      from unconstrained values, so every draw is in the domain.
    shapes: the shape of each differentiable input.
    domains: where each input is drawn (the last repeats), away from kinks.
    orders: the checks (keys of :data:`ORDERS`) torch's derivatives of this
      function support; leave one out only with a known deviation saying so.
    valid: a predicate on the float64 NumPy inputs a drawn case must meet
      (well-separated eigenvalues, a matrix far from singular).
    variant: what sets this row apart from another row of the same family
      (``"stride=2,groups=2"``), part of the test id.
    quadratic: the function is a polynomial of degree at most 2 in all its
      inputs together, between kinks (a linear layer, a pooling, a squared
      error, a hinge): its third derivative is identically zero, the closed
      form its third-order check compares with (a nested difference cannot
      judge a zero: its own rounding error exceeds the tolerance).
    """

    name: str
    torch_fn: Callable[..., torch.Tensor]
    numpy_fn: Callable[..., np.ndarray]
    shapes: tuple[tuple[int, ...], ...] = ((4,),)
    domains: tuple[Domain, ...] = (Domain(),)
    orders: tuple[str, ...] = tuple(ORDERS)
    valid: Callable[..., bool] | None = None
    variant: str = ""
    quadratic: bool = False

    def __str__(self) -> str:
        return f"{self.name}({self.variant})" if self.variant else self.name

    def __post_init__(self) -> None:
        unknown = set(self.orders) - set(ORDERS)
        if unknown:
            raise ValueError(f"{self.name}: unknown derivative orders {sorted(unknown)}; expected some of {list(ORDERS)}")

    def domain(self, i: int) -> Domain:
        """The domain input ``i`` is drawn from."""
        return self.domains[min(i, len(self.domains) - 1)]


def params(rows: list[Differentiable]) -> list:
    """``pytest.param(row, order)`` for every row and each of its orders,
    marked with the coverage order it counts as, id ``"<name>(<variant>)-<order>"``."""
    return [pytest.param(row, order, marks=pytest.mark.derivatives(ORDERS[order]), id=f"{row}-{order}")
            for row in rows for order in row.orders]


@st.composite
def cases(draw, row: Differentiable, device: str, *, layouts=FORWARD_AD_LAYOUTS) -> GradCase:
    """A float64 :class:`~torchconform.gradcheck.GradCase` of ``row`` on
    ``device``: each input of its shape, in its domain (no kink within the
    margin), in one of ``layouts`` (stride-0 primals left out by default:
    forward mode refuses them, known deviation ``forward-ad-expanded-primal``).
    Shrinks towards the domain's low end and the contiguous layout."""
    inputs = [draw(smooth_tensors(_DTYPE, shape, device, row.domain(i), layouts=layouts), label=f"x{i}")
              for i, shape in enumerate(row.shapes)]
    if row.valid is not None:
        assume(row.valid(*[d.array for d in inputs]))
    return GradCase(name=row.name, torch_fn=lambda *t: _real_torch(row.torch_fn(*t)),
                    numpy_fn=lambda *a: _real_numpy(row.numpy_fn(*a)), inputs=inputs, dtype=_DTYPE,
                    vjp=FINITE_DIFFERENCES, text=str(row), names=tuple(f"x{i}" for i in range(len(inputs))))


def _weights(case: GradCase, device: str) -> st.SearchStrategy:
    """The cotangent ``g`` (output shape) and one tangent per input, in [-2, 2]."""
    shape = case.output().shape
    drawn = [smooth_tensors(_DTYPE, shape, device, Domain((-2.0, 2.0)))]
    drawn += [smooth_tensors(_DTYPE, d.array.shape, device, Domain((-2.0, 2.0))) for d in case.inputs]
    return st.tuples(*drawn)


def check(row: Differentiable, order: str, device: str, data: st.DataObject) -> None:
    """Draw a case of ``row`` and its weights from ``data`` and compare the
    derivative ``order`` (a key of :data:`ORDERS`) with NumPy. Raises
    ``AssertionError`` naming the function, the order and the input; skips
    when this torch has no ``row.name`` (:func:`compat.require_api`)."""
    compat.require_api(row.name)
    case = data.draw(cases(row, device), label="case")
    g, *v = data.draw(_weights(case, device), label="g, v")
    if order == "reverse":
        check_first_order(case, g)
    elif order == "forward":
        check_forward_mode(case, v, g)
        check_dual_numbers(case, v)
    elif order == "second":
        check_second_order(case, g, v)
    elif order == "third":
        check_third_order(case, g, v, vanishing=row.quadratic)
    elif order == "vmap":
        check_vmap(case, g, v)
    else:
        raise ValueError(f"order={order!r}: expected one of {sorted(ORDERS)}")


def _grads(outputs, inputs, grad_outputs=None, *, create_graph: bool) -> list[torch.Tensor]:
    # A derivative that does not depend on an input (a linear function's
    # Jacobian) has no graph: its own derivative is zero, which
    # materialize_grads gives; a wrong zero still fails against NumPy.
    if not outputs.requires_grad:
        return [torch.zeros_like(x) for x in inputs]
    return list(torch.autograd.grad(outputs, inputs, grad_outputs, create_graph=create_graph,
                                    allow_unused=True, materialize_grads=True))


def _contract(grads: list[torch.Tensor], v: list[torch.Tensor]) -> torch.Tensor:
    return sum((gi * vi).sum() for gi, vi in zip(grads, v))


def _reference(case: GradCase, g: np.ndarray, v: list[np.ndarray], order: int, arrays=None):
    """NumPy's gradient of ``D^order_v <g, f>`` at the case's inputs (or at
    ``arrays``), and the difference's error estimate: how far the result
    moves when the step halves (the Richardson error estimate, Numerical
    Recipes 3rd ed., section 5.7)."""
    arrays = case.arrays() if arrays is None else arrays
    want = finite_diff.directional_gradient(case.numpy_fn, arrays, g, v, order)
    finer = finite_diff.directional_gradient(case.numpy_fn, arrays, g, v, order, shrink=0.5)
    error = max((float(np.max(np.abs(a - b))) for a, b in zip(want, finer) if a.size), default=0.0)
    return want, error


def _compare(case: GradCase, got: list[torch.Tensor], want: list[np.ndarray], error: float, what: str) -> None:
    # One step along v moves every element: the difference's error scales
    # with the largest entry of the derivative, not with each element; and
    # it is never below the difference's own error estimate (ten times it).
    # A case whose reference is that uncertain (over 0.1% of the
    # derivative, or of 1 for a derivative below 1, such as the vanishing
    # third derivative of a linear op) is outside what a difference quotient
    # can judge: the strategy draws another (too many rejections fail
    # Hypothesis' health check).
    tol = tolerance(case.dtype, kind="finite_difference")
    size = max((float(np.max(np.abs(w))) for w in want if w.size), default=0.0)
    assume(10 * error <= 1e-3 * max(size, 1.0))
    scale = max(size, 10 * error / tol.rtol)
    for name, tensor, expected in zip(case.names, got, want):
        oracle.assert_matches(tensor, expected, case.dtype, kind="finite_difference",
                              scale=np.full(expected.shape, scale), what=f"{what}: d/d{name} of {case.text}")


def _reverse_over_reverse(case: GradCase, g: torch.Tensor, v: list[torch.Tensor], times: int):
    """The gradient of ``D^(times-1)_v <g, f>`` by reverse mode ``times`` times."""
    def run(*tensors):
        leaves = [t.detach().requires_grad_() for t in tensors]
        current = _grads(case.torch_fn(*leaves), leaves, g.to(leaves[0].device), create_graph=times > 1)
        for level in range(1, times):
            current = _grads(_contract(current, [t.to(leaves[0].device) for t in v]), leaves,
                             create_graph=level < times - 1)
        return current
    return run


def check_second_order(case: GradCase, g: Drawn, v: list[Drawn]) -> None:
    """``H v`` of ``<g, f>`` by reverse-over-reverse and by
    forward-over-reverse (``jvp`` of ``vjp``) both equal NumPy's nested
    central difference; off CPU also CPU's."""
    tangents = [t.tensor for t in v]
    want, error = _reference(case, g.array, [t.array for t in v], 1)
    run = _reverse_over_reverse(case, g.tensor, tangents, 2)
    got = run(*case.tensors())
    _compare(case, got, want, error, "H v by reverse-over-reverse")

    def cotangent_map(*primals):
        _, pullback = torch.func.vjp(case.torch_fn, *primals)
        return pullback(g.tensor)

    _, by_forward = torch.func.jvp(cotangent_map, tuple(case.tensors()), tuple(tangents))
    _compare(case, list(by_forward), want, error, "H v by forward-over-reverse (jvp of vjp)")
    same_on_cpu(_reverse_over_reverse(case, g.tensor.cpu(), [t.cpu() for t in tangents], 2), case.tensors(), got,
                f"H v of {case.name}")


def check_third_order(case: GradCase, g: Drawn, v: list[Drawn], *, vanishing: bool = False) -> None:
    """``T[v, v, .]`` of ``<g, f>`` by reverse mode three times equals
    NumPy's nested central difference, or zero where the function is a
    polynomial of degree at most 2 (``vanishing``); off CPU also CPU's.

    A vanishing third derivative is compared as a closed-form gradient
    (``kind="gradient"``) on the scale of NumPy's ``H v``: torch may build
    the zero from cancelling terms of that size."""
    tangents = [t.tensor for t in v]
    got = _reverse_over_reverse(case, g.tensor, tangents, 3)(*case.tensors())
    if vanishing:
        second, _ = _reference(case, g.array, [t.array for t in v], 1)
        scale = max((float(np.max(np.abs(w))) for w in second if w.size), default=0.0)
        for name, tensor, like in zip(case.names, got, second):
            oracle.assert_matches(tensor, np.zeros_like(like), case.dtype, kind="gradient",
                                  scale=np.full(like.shape, scale),
                                  what=f"T[v, v, .] by reverse mode three times (zero: degree at most 2): "
                                       f"d/d{name} of {case.text}")
    else:
        want, error = _reference(case, g.array, [t.array for t in v], 2)
        _compare(case, got, want, error, "T[v, v, .] by reverse mode three times")
    same_on_cpu(_reverse_over_reverse(case, g.tensor.cpu(), [t.cpu() for t in tangents], 3), case.tensors(), got,
                f"third derivative of {case.name}")


def check_vmap(case: GradCase, g: Drawn, v: list[Drawn]) -> None:
    """``vmap`` over a batch of two inputs (the drawn ones, and the drawn
    ones moved by ``0.01 v``, which stays inside the kink margin) gives each
    sample's value and VJP, against NumPy per sample."""
    arrays = case.arrays()
    batch = [np.stack([a, a + 0.01 * t.array]) for a, t in zip(arrays, v)]
    device = case.inputs[0].tensor.device
    stacked = [torch.tensor(b, dtype=case.dtype, device=device) for b in batch]

    def value_and_vjp_at(cotangent):
        def value_and_vjp(*primals):
            value, pullback = torch.func.vjp(case.torch_fn, *primals)
            return value, pullback(cotangent)
        return value_and_vjp

    value_and_vjp = value_and_vjp_at(g.tensor)
    values, grads = torch.func.vmap(value_and_vjp)(*stacked)
    same_on_cpu(lambda *t: [torch.func.vmap(value_and_vjp_at(g.tensor.cpu()))(*t)[0]], stacked, [values],
                f"vmap of {case.name}")
    for k in range(2):
        sample = [b[k] for b in batch]
        oracle.assert_matches(values[k], case.numpy_fn(*sample), case.dtype, kind="finite_difference",
                              what=f"vmap sample {k}: value of {case.text}")
        want, error = _reference(case, g.array, [], 0, sample)
        _compare(case, [t[k] for t in grads], want, error, f"vmap sample {k}: J^T g")


def check_dual_numbers(case: GradCase, v: list[Drawn]) -> None:
    """Forward mode through ``torch.autograd.forward_ad`` dual numbers: the
    tangent of ``f`` at duals ``(x, v)`` equals NumPy's directional central
    difference along ``v`` (in ``f``'s output shape and the case's dtype);
    off CPU also CPU's."""
    def tangent_at(*tensors):
        with fwAD.dual_level():
            duals = [fwAD.make_dual(t, d.tensor.to(t.device)) for t, d in zip(tensors, v)]
            out = fwAD.unpack_dual(case.torch_fn(*duals))
            # An output that does not depend on the inputs carries no tangent.
            return [out.tangent if out.tangent is not None else torch.zeros_like(out.primal)]

    (tangent,) = tangent_at(*case.tensors())
    want = finite_diff.jvp(case.numpy_fn, case.arrays(), [t.array.astype(np.float64) for t in v])
    # Where the value itself is not finite (the mean of no elements) there is no derivative to compare.
    defined = np.isfinite(case.output()).reshape(tuple(tangent.shape))
    got = dtypes.tensor_to_numpy(tangent)
    oracle.assert_matches(got[defined], want.reshape(tuple(tangent.shape))[defined], case.dtype,
                          kind="finite_difference", what=f"forward_ad dual numbers: tangent of {case.text or case.name}")
    same_on_cpu(tangent_at, case.tensors(), [tangent], f"forward_ad tangent of {case.name}")
