"""Gradient checks: the engine behind the autograd conformance tests.

It draws differentiable inputs away from kinks and domain edges (where the
op-table row's gradient domain says), wraps a function of tensors with its
NumPy twin and its gradient reference (a closed-form VJP, or central
differences where the row chose them) as a :class:`GradCase`, and checks
torch's autograd against NumPy:

* :func:`check_first_order`: ``autograd.grad`` and ``backward(gradient=g)``
  against the VJP (or central differences), off CPU also against CPU;
* :func:`check_weighting` and :func:`check_linearity`: the three ways of
  weighting outputs (``gradient=``, ``grad_tensors=``, ``grad_outputs=``);
* :func:`check_forward_mode`: ``torch.func.jvp`` against the same
  references, by duality (``<g, J v> = <J^T g, v>``) or directly;
* :func:`check_derivatives`: derivatives of every order through
  ``create_graph=True`` against closed forms;
* :func:`check_accumulation` and :func:`check_hook_scales_gradient`: graph
  semantics whose effect is a gradient value.

Check functions raise ``AssertionError`` naming what was differentiated, so
the suite's own tests can feed them a deliberately wrong autograd.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable, Sequence

import hypothesis.extra.numpy as hnp
import numpy as np
import torch
from hypothesis import assume, strategies as st
from hypothesis.errors import InvalidArgument

from torchconform import dtypes, oracle, record, strategies
from torchconform.ops.gradient import FINITE_DIFFERENCES, MARGIN, TINY, Domain, FiniteDifferences, Smooth
from torchconform.ops.record import Op
from torchconform.references import finite_diff, vjp
from torchconform.strategies import Drawn

#: Dtypes gradients are checked in: the ones autograd is used with for
#: training references; float16/bfloat16 gradients are a precision question
#: for the nn area, not a question of the derivative being right.
GRAD_DTYPES = (torch.float32, torch.float64)

#: Small shapes keep central differences (one column per input element) cheap
#: while still reaching 4-d (channels_last) tensors and size-0/size-1 dims.
MAX_DIMS, MAX_SIDE = 4, 3

#: Forward-mode AD refuses a stride-0 primal (known deviation
#: ``forward-ad-expanded-primal``): primals of forward-mode checks are drawn
#: in every other layout; tangents in all of them.
FORWARD_AD_LAYOUTS = tuple(layout for layout in strategies.LAYOUTS if layout != "expanded")

#: Where inputs are drawn is a fact of each row (:mod:`torchconform.ops.gradient`); re-exported for tests.
__all__ = ["FINITE_DIFFERENCES", "FORWARD_AD_LAYOUTS", "GRAD_DTYPES", "MARGIN", "MAX_DIMS", "MAX_SIDE", "TINY", "Domain", "GradCase", "Smooth",
           "check_accumulation", "check_derivatives", "check_first_order", "check_forward_mode", "check_hook_scales_gradient",
           "check_linearity", "check_weighting", "cotangents", "differentiable_rows", "op_case", "op_grad_cases",
           "same_on_cpu", "tangents", "smooth_tensors"]


def differentiable_rows(table: dict[str, Op]) -> list[Op]:
    """Rows autograd tests consider: those with a gradient reference (every
    one is defined on floats; :class:`~torchconform.ops.record.Op` checks)."""
    return [op for op in table.values() if op.differentiable]


# ----------------------------------------------------------------- drawing


def _from_values(values: np.ndarray, dtype: torch.dtype, device: str, layout: str) -> torch.Tensor:
    # The foundation's layout builder: the same layouts as every other area.
    return strategies._with_layout(values, dtype, device, layout)


def smooth_tensors(dtype: torch.dtype, shape: tuple[int, ...], device: str, domain: Domain = Domain(), *,
                   unique: bool = False, layouts: Sequence[str] = strategies.LAYOUTS) -> st.SearchStrategy:
    """Draws a :class:`~torchconform.strategies.Drawn` tensor of the float
    ``dtype`` and ``shape`` on ``device`` with values in ``domain`` (no special
    values, no kink within :data:`MARGIN`), in a drawn layout (the one really
    applied is recorded). ``unique`` values leave out the ``expanded``
    layout, whose repeated rows are ties. Raises ``InvalidArgument`` at once
    for a dtype that is not a float ``torch.dtype``, a bad shape, an unknown
    layout, or no layout left."""
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise InvalidArgument(f"dtype={dtype!r}: expected a floating-point torch.dtype")
    if not strategies._is_shape(shape):
        raise InvalidArgument(f"shape={shape!r}: expected a tuple of non-negative ints")
    strategies._check_layouts(layouts)
    if unique:
        layouts = [layout for layout in layouts if layout != "expanded"]
        strategies._check_layouts(layouts)
    return _smooth_tensors(dtype, tuple(shape), device, domain, unique, layouts)


@st.composite
def _smooth_tensors(draw, dtype, shape, device, domain, unique, layouts) -> Drawn:
    layout = draw(st.sampled_from(list(layouts)), label="layout")
    if layout == "expanded" and shape:
        row = draw(_arrays(dtype, (1,) + tuple(shape[1:]), domain, False))
        values = np.broadcast_to(row, shape).copy()
    else:
        values = draw(_arrays(dtype, tuple(shape), domain, unique))
    return Drawn(_from_values(values, dtype, device, layout), values, strategies.applied_layout(layout, len(shape)))


@functools.lru_cache(maxsize=None)
def _arrays(dtype: torch.dtype, shape: tuple[int, ...], domain: Domain, unique: bool) -> st.SearchStrategy:
    # Built once per signature: Hypothesis validates every new strategy
    # object, which cost more than the checks themselves.
    elems = strategies.elements(dtype, domain=domain.bounds, specials=False).filter(domain.allows)
    return hnp.arrays(np.dtype(dtypes.to_numpy(dtype)), shape, elements=elems, unique=unique)


@dataclass
class GradCase:
    """A differentiable function of drawn tensors, with its NumPy twin.

    ``torch_fn`` takes the tensors of ``inputs`` (any other operand, such as a
    target or an index, is closed over and follows the inputs' device);
    ``numpy_fn`` takes their float64 values. ``vjp`` is the gradient
    reference, always given: a closed-form VJP from
    :mod:`torchconform.references.vjp` taking ``(g, *arrays)``, or
    :data:`~torchconform.ops.gradient.FINITE_DIFFERENCES` for central
    differences of ``numpy_fn``.
    """

    name: str
    torch_fn: Callable[..., torch.Tensor]
    numpy_fn: Callable[..., np.ndarray]
    inputs: list[Drawn]
    dtype: torch.dtype
    vjp: Callable | FiniteDifferences
    factor: str | None = None
    text: str = ""
    names: tuple[str, ...] = field(default=tuple("xyz"))

    def __repr__(self) -> str:
        inputs = ", ".join(f"{n}={d!r}" for n, d in zip(self.names, self.inputs))
        return f"GradCase({self.text or self.name}: {inputs})"

    def _repr_pretty_(self, printer, cycle) -> None:  # Hypothesis' falsifying-example printer
        printer.text(repr(self))

    def arrays(self) -> list[np.ndarray]:
        """The inputs' values as float64 arrays (the references' inputs)."""
        return [d.array.astype(np.float64) for d in self.inputs]

    def output(self) -> np.ndarray:
        """The NumPy forward result at :meth:`arrays` (float64)."""
        return np.asarray(self.numpy_fn(*self.arrays()), dtype=np.float64)

    @property
    def kind(self) -> str:
        """The tolerance kind of the comparison: "gradient" against a
        closed-form VJP, "finite_difference" against central differences."""
        return "finite_difference" if isinstance(self.vjp, FiniteDifferences) else "gradient"

    def reference(self, g: np.ndarray) -> list[vjp.Grad]:
        """The ``g``-weighted gradient of every input, in NumPy (``g`` in the
        shape of torch's output, as :func:`cotangents` draws it)."""
        g = np.asarray(g, dtype=np.float64).reshape(self.output().shape)
        if isinstance(self.vjp, FiniteDifferences):
            return finite_diff.vjp(self.numpy_fn, self.arrays(), g)
        return self.vjp(g, *self.arrays())

    def tensors(self) -> list[torch.Tensor]:
        """The drawn input tensors (layout and device as drawn)."""
        return [d.tensor for d in self.inputs]

    def leaves(self) -> list[torch.Tensor]:
        """Fresh leaves holding the inputs (layout kept), requiring grad."""
        return [t.detach().requires_grad_() for t in self.tensors()]


def op_case(op: Op, inputs: list[Drawn], params: dict, dtype: torch.dtype) -> GradCase:
    """The :class:`GradCase` of a differentiable op-table row called with
    ``params``: its gradient reference is the row's closed-form VJP, or
    central differences where the row chose ``FINITE_DIFFERENCES``. Raises
    ``ValueError`` for a row without a gradient."""
    rule = op.grad
    if rule is None:
        raise ValueError(f"op {op.name!r} has no gradient reference (grad=None)")
    return GradCase(
        name=op.name,
        torch_fn=lambda *t: op.run_torch(*t, **params),
        numpy_fn=lambda *a: op.run_numpy(*a, **params),
        inputs=inputs,
        dtype=dtype,
        vjp=rule if isinstance(rule, FiniteDifferences) else (lambda g, *a: rule(g, *a, **params)),
        factor=op.factor,
        text=f"{op.torch} with {params}" if params else op.torch,
    )


@st.composite
def op_grad_cases(draw, op: Op, dtype: torch.dtype, device: str, *,
                  layouts: Sequence[str] = strategies.LAYOUTS) -> GradCase:
    """Inputs for a differentiable row where its derivative exists: shapes
    as the op-table tests draw them (broadcasting included, up to 4-d), values
    in the row's gradient domain (:attr:`~torchconform.ops.record.Op.gradient_domain`),
    each input in one of ``layouts``."""
    smooth = op.gradient_domain
    min_side = max(smooth.min_side, 1 if op.nonempty else 0)
    if op.arity == 1:
        shapes = [draw(strategies.shapes(min_dims=smooth.min_dims, min_side=min_side, max_dims=MAX_DIMS,
                                         max_side=MAX_SIDE), label="shape")]
    else:
        drawn = draw(strategies.broadcastable_shapes(op.arity, min_side=min_side, max_dims=MAX_DIMS,
                                                     max_side=MAX_SIDE), label="shapes")
        shapes = list(drawn.input_shapes)
        if smooth.full_first:
            shapes[0] = drawn.result_shape
            record.note("deviation", smooth.full_first)
    inputs = [draw(smooth_tensors(dtype, shape, device, smooth.domain(i), unique=smooth.distinct, layouts=layouts),
                   label=name)
              for i, (name, shape) in enumerate(zip("xyz", shapes))]
    params = draw(op.params(tuple(shapes), dtype), label="params") if op.params else {}
    for i, j in smooth.apart:
        a, b = np.broadcast_arrays(inputs[i].array.astype(np.float64), inputs[j].array.astype(np.float64))
        assume(np.all(np.abs(a - b) > MARGIN))
    case = op_case(op, inputs, params, dtype)
    if smooth.valid is not None:
        assume(smooth.valid(case.output()))
    return case


def cotangents(case: GradCase, device: str, *, layouts: Sequence[str] = strategies.LAYOUTS) -> st.SearchStrategy:
    """Weights ``g`` of the output, in [-2, 2], in any layout: stride-0 and
    non-contiguous ``g`` included. ``g`` takes the shape of torch's output:
    whether that shape is right is the forward tests' question, asked once
    there; references see ``g`` in their own result's shape."""
    with torch.no_grad():
        shape = tuple(case.torch_fn(*case.tensors()).shape)
    return smooth_tensors(case.dtype, shape, device, Domain((-2.0, 2.0)), layouts=layouts)


def tangents(case: GradCase, device: str) -> st.SearchStrategy:
    """One tangent ``v`` per input of ``case``, in that input's shape and
    dtype, values in [-2, 2], any layout: a list of
    :class:`~torchconform.strategies.Drawn`."""
    return st.tuples(*[smooth_tensors(case.dtype, d.array.shape, device, Domain((-2.0, 2.0))) for d in case.inputs]
                     ).map(list)


# ----------------------------------------------------------------- checks


def _compare(case: GradCase, got: Sequence[torch.Tensor], want: Sequence[vjp.Grad], how: str,
             kind: str | None = None) -> None:
    for name, tensor, grad in zip(case.names, got, want):
        assert tensor is not None, f"{how}: no gradient for {name} of {case.text or case.name}"
        oracle.assert_matches(tensor, grad.value, case.dtype, kind=kind or case.kind, op=case.factor,
                              scale=grad.scale, what=f"{how}: d/d{name} of {case.text or case.name}")


def same_on_cpu(run: Callable[..., Sequence[torch.Tensor]], tensors: Sequence[torch.Tensor],
                got: Sequence[torch.Tensor], what: str, *, op: str | None = None) -> None:
    """Off CPU, ``run`` on CPU copies of ``tensors`` gives ``got`` again
    (gradient policy, CPU as the reference)."""
    if got[0].device.type == "cpu":
        return
    for i, (on_device, on_cpu) in enumerate(zip(got, run(*[t.detach().cpu() for t in tensors]))):
        oracle.assert_device_matches_cpu(on_device, on_cpu, kind="gradient", op=op, what=f"{what} [{i}]")


def check_first_order(case: GradCase, g: Drawn) -> None:
    """``autograd.grad(out, inputs, grad_outputs=g)`` and ``out.backward(g)``
    both equal the NumPy VJP; broadcast inputs get gradients summed over the
    broadcast dimensions."""
    want = case.reference(g.array)

    def by_grad(leaves):
        return torch.autograd.grad(case.torch_fn(*leaves), leaves, grad_outputs=g.tensor.to(leaves[0].device))

    leaves = case.leaves()
    got = by_grad(leaves)
    _compare(case, got, want, "autograd.grad(grad_outputs=g)")
    case.torch_fn(*leaves).backward(g.tensor)
    _compare(case, [leaf.grad for leaf in leaves], want, "backward(gradient=g)")
    same_on_cpu(lambda *t: by_grad([x.requires_grad_() for x in t]), case.tensors(), got, case.name, op=case.factor)


def check_forward_mode(case: GradCase, v: Sequence[Drawn], g: Drawn, *, elementwise: bool = False) -> None:
    """``torch.func.jvp`` of ``case`` at its inputs along the tangents ``v``
    gives ``u = J v`` (in the output's shape and the case's dtype), checked
    against NumPy:

    * ``elementwise`` (a unary row whose Jacobian is diagonal, so ``J v``
      is the VJP of ``v``): ``u`` elementwise against the closed form;
    * a row with central differences: ``u`` against NumPy's directional
      central difference along ``v`` (:func:`finite_diff.jvp`);
    * otherwise by duality: ``<g, u>`` (summed in float64, rounded to the
      dtype) against ``sum_i <(J^T g)_i, v_i>`` from the closed-form VJP,
      with ``sum_i <scale_i, |v_i|>`` as the size of the terms (outputs
      whose forward value is not finite left out).

    Raises ``AssertionError`` naming the case; a row without a forward-mode
    formula raises torch's ``NotImplementedError``.
    """
    vs = [t.array.astype(np.float64) for t in v]

    def by_jvp(*primals_and_tangents):
        n = len(case.inputs)
        return [torch.func.jvp(case.torch_fn, primals_and_tangents[:n], primals_and_tangents[n:])[1]]

    both = case.tensors() + [t.tensor for t in v]
    (u,) = by_jvp(*both)
    what = f"torch.func.jvp: J v of {case.text or case.name}"
    if isinstance(case.vjp, FiniteDifferences):
        want = finite_diff.jvp(case.numpy_fn, case.arrays(), vs)
        oracle.assert_matches(u, want.reshape(tuple(u.shape)), case.dtype, kind=case.kind, op=case.factor, what=what)
    elif elementwise:
        (grad,) = case.reference(vs[0])
        oracle.assert_matches(u, grad.value, case.dtype, kind=case.kind, op=case.factor, scale=grad.scale, what=what)
    else:
        ref = case.reference(g.array)
        want = sum(float(np.sum(r.value * w)) for r, w in zip(ref, vs))
        terms = sum(float(np.sum(r.scale * np.abs(w))) for r, w in zip(ref, vs))
        # Where the forward result itself is not finite (the mean of no
        # elements) there is no derivative to weigh: the VJP gives those
        # outputs' weights to no input either.
        defined = np.isfinite(case.output()).reshape(tuple(u.shape))
        got = np.sum((g.array.astype(np.float64) * u.detach().cpu().numpy().astype(np.float64))[defined])
        oracle.assert_matches(np.asarray(got, dtype=dtypes.to_numpy(case.dtype)), np.asarray(want), case.dtype,
                              kind=case.kind, op=case.factor, scale=np.asarray(terms), what=f"<g, {what}> vs <J^T g, v>")
    same_on_cpu(by_jvp, both, [u], f"torch.func.jvp of {case.name}", op=case.factor)


def check_weighting(case: GradCase, g1: Drawn, g2: Drawn) -> None:
    """Two outputs ``y1 = f(inputs)`` and ``y2 = y1**2`` weighted by ``g1``
    and ``g2``: ``torch.autograd.backward(grad_tensors=)`` and
    ``torch.autograd.grad(grad_outputs=)`` both give the VJP of
    ``g1 + 2 g2 y1`` (chain rule, NumPy), and ``y1.backward(gradient=g1)``
    alone gives the VJP of ``g1``."""
    y1 = case.output()
    combined = case.reference(g1.array + 2 * g2.array * y1)
    # torch adds the two contributions: error relative to their sizes.
    bound = case.reference(np.abs(g1.array) + np.abs(2 * g2.array * y1))
    want = [vjp.Grad(c.value, b.scale) for c, b in zip(combined, bound)]

    leaves = case.leaves()
    case.torch_fn(*leaves).backward(gradient=g1.tensor)
    _compare(case, [leaf.grad for leaf in leaves], case.reference(g1.array), "y.backward(gradient=g)")

    leaves = case.leaves()
    out = case.torch_fn(*leaves)
    torch.autograd.backward([out, out * out], grad_tensors=[g1.tensor, g2.tensor])
    _compare(case, [leaf.grad for leaf in leaves], want, "autograd.backward([y, y*y], grad_tensors=[g1, g2])")

    def by_grad(leaves):
        out = case.torch_fn(*leaves)
        dev = leaves[0].device
        return torch.autograd.grad([out, out * out], leaves, grad_outputs=[g1.tensor.to(dev), g2.tensor.to(dev)])

    got = by_grad(case.leaves())
    _compare(case, got, want, "autograd.grad([y, y*y], grad_outputs=[g1, g2])")
    same_on_cpu(lambda *t: by_grad([x.requires_grad_() for x in t]), case.tensors(), got, case.name, op=case.factor)


def check_linearity(case: GradCase, g1: Drawn, g2: Drawn, c: float) -> None:
    """The gradient is linear in the weights: ``c*g1`` (``c`` a power of two
    or 0, so the scaling is exact) gives ``c`` times the VJP of ``g1``, and
    ``g1 + g2`` the sum of both VJPs."""
    ref1, ref2 = case.reference(g1.array), case.reference(g2.array)
    scaled = [vjp.Grad(c * r.value, abs(c) * r.scale) for r in ref1]
    leaves = case.leaves()
    _compare(case, torch.autograd.grad(case.torch_fn(*leaves), leaves, grad_outputs=c * g1.tensor), scaled,
             f"grad_outputs={c}*g")
    total = [vjp.Grad(a.value + b.value, a.scale + b.scale) for a, b in zip(ref1, ref2)]
    leaves = case.leaves()
    _compare(case, torch.autograd.grad(case.torch_fn(*leaves), leaves, grad_outputs=g1.tensor + g2.tensor), total,
             "grad_outputs=g1+g2")


def check_derivatives(fn: Callable[[torch.Tensor], torch.Tensor], x: Drawn, closed_forms: Sequence[Callable],
                      *, name: str, factor: str | None = None, scales: Sequence[Callable] | None = None) -> None:
    """The k-th derivative of the elementwise ``fn`` at ``x``, taken by
    ``autograd.grad(..., create_graph=True)`` k times, equals ``closed_forms[k-1]``
    (NumPy, of the float64 values); ``scales`` give the size of the terms of
    each (default: its absolute value). Every intermediate derivative must
    itself require grad; the last one, taken without ``create_graph``, not.
    Off CPU every derivative is also compared with CPU."""
    def derivatives(t: torch.Tensor) -> list[torch.Tensor]:
        leaf = t.detach().requires_grad_()
        current, found = fn(leaf), []
        for order in range(1, len(closed_forms) + 1):
            (current,) = torch.autograd.grad(current, leaf, grad_outputs=torch.ones_like(current),
                                             create_graph=order < len(closed_forms))
            found.append(current)
        return found

    a = x.array.astype(np.float64)
    got = derivatives(x.tensor)
    for order, (closed, current) in enumerate(zip(closed_forms, got), start=1):
        graph = order < len(closed_forms)
        scale = None if scales is None else scales[order - 1](a)
        oracle.assert_matches(current, np.asarray(closed(a), dtype=np.float64) * np.ones_like(a), x.tensor.dtype,
                              kind="gradient", op=factor, scale=scale,
                              what=f"derivative {order} of {name} (create_graph={graph})")
        assert current.requires_grad == graph, (
            f"derivative {order} of {name}: requires_grad is {current.requires_grad} with create_graph={graph}")
    same_on_cpu(derivatives, [x.tensor], got, f"derivatives of {name}", op=factor)


def check_accumulation(case: GradCase, g: Drawn, times: int) -> None:
    """``times`` backward passes through one retained graph leave ``times``
    VJPs in ``.grad``; ``grad.zero_()`` resets it to zeros."""
    leaves = case.leaves()
    out = case.torch_fn(*leaves)
    for _ in range(times):
        out.backward(g.tensor, retain_graph=True)
    want = [vjp.Grad(times * r.value, times * r.scale) for r in case.reference(g.array)]
    _compare(case, [leaf.grad for leaf in leaves], want, f".grad after {times} retained backward passes")
    for name, leaf in zip(case.names, leaves):
        leaf.grad.zero_()
        assert not torch.any(leaf.grad != 0), f"grad.zero_() left non-zero values in {name}.grad"


def check_hook_scales_gradient(case: GradCase, g: Drawn, factor: float) -> None:
    """A ``register_hook`` returning ``factor * grad`` on every input scales
    what reaches ``.grad``; after ``handle.remove()`` the hook no longer acts."""
    ref = case.reference(g.array)
    leaves = case.leaves()
    handles = [leaf.register_hook(lambda grad: grad * factor) for leaf in leaves]
    case.torch_fn(*leaves).backward(g.tensor)
    _compare(case, [leaf.grad for leaf in leaves], [vjp.Grad(factor * r.value, abs(factor) * r.scale) for r in ref],
             f"hook grad * {factor}")
    for handle, leaf in zip(handles, leaves):
        handle.remove()
        leaf.grad = None
    case.torch_fn(*leaves).backward(g.tensor)
    _compare(case, [leaf.grad for leaf in leaves], ref, "after the hook's handle.remove()")
