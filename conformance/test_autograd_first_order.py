"""First-order autograd: ``autograd.grad`` and ``backward(gradient=g)`` equal
NumPy vector-Jacobian products for drawn inputs, layouts and cotangents.

Every differentiable float row of the op table is checked (closed-form VJP
where :mod:`torchconform.references.vjp` has one, central differences in
float64 otherwise), then the ops the tutorials build networks from that are
not rows: matmul in every shape it accepts, softmax, the seeds' losses, pow
with a scalar exponent, and shape ops that only route gradients.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, strategies as st

from torchconform import oracle, strategies
from torchconform.gradcheck import (
    GRAD_DTYPES, MAX_SIDE, Domain, GradCase, check_first_order, cotangents, differentiable_rows, op_grad_cases,
    smooth_tensors,
)
from torchconform.ops import TABLE
from torchconform.references import nn as nn_ref, vjp

pytestmark = [pytest.mark.area("autograd"), pytest.mark.capability("grad")]

DTYPE = st.sampled_from(GRAD_DTYPES)

@pytest.mark.derivatives("reverse")
@pytest.mark.parametrize("op", differentiable_rows(TABLE), ids=lambda op: op.name)
@given(data=st.data())
def test_op_gradient_matches_numpy(op, device, data):
    case = data.draw(op_grad_cases(op, data.draw(DTYPE, label="dtype"), device), label="case")
    check_first_order(case, data.draw(cotangents(case, device), label="g"))


# ----------------------------------------------------------------- ops outside the table

_SIDES = st.integers(0, MAX_SIDE)


@st.composite
def matmul_cases(draw, dtype, device):
    """``a @ b`` with each operand 1-d, 2-d or batched (batch dims broadcast)."""
    n, k, m = draw(_SIDES), draw(_SIDES), draw(_SIDES)
    batch_a, batch_b = draw(strategies.broadcastable_shapes(2, min_dims=1, max_dims=2, max_side=MAX_SIDE)).input_shapes
    a_shape = draw(st.sampled_from([(k,), (n, k), batch_a + (n, k)]), label="a shape")
    b_shape = draw(st.sampled_from([(k,), (k, m), batch_b + (k, m)]), label="b shape")
    a = draw(smooth_tensors(dtype, a_shape, device), label="a")
    b = draw(smooth_tensors(dtype, b_shape, device), label="b")
    return GradCase("matmul", torch.matmul, np.matmul, [a, b], dtype, vjp.matmul, "matmul", "torch.matmul(a, b)",
                    names=("a", "b"))


@st.composite
def softmax_cases(draw, dtype, device, *, log):
    shape = draw(strategies.shapes(min_dims=1, min_side=1, max_side=MAX_SIDE))
    x = draw(smooth_tensors(dtype, shape, device), label="x")
    dim = draw(st.integers(-x.array.ndim, x.array.ndim - 1), label="dim")
    if log:
        return GradCase("log_softmax", lambda t: torch.log_softmax(t, dim), lambda a: nn_ref.log_softmax(a, dim),
                        [x], dtype, lambda g, a: vjp.log_softmax(g, a, dim), "sum", f"torch.log_softmax(x, {dim})")
    return GradCase("softmax", lambda t: torch.softmax(t, dim), lambda a: nn_ref.softmax(a, dim),
                    [x], dtype, lambda g, a: vjp.softmax(g, a, dim), "sum", f"torch.softmax(x, {dim})")


_REDUCTION = st.sampled_from(["mean", "sum"])


@st.composite
def mse_cases(draw, dtype, device):
    shape = draw(strategies.shapes(min_side=1, max_side=MAX_SIDE))
    pred, target = draw(smooth_tensors(dtype, shape, device)), draw(smooth_tensors(dtype, shape, device))
    reduction = draw(_REDUCTION, label="reduction")
    return GradCase("mse_loss", lambda p, t: F.mse_loss(p, t, reduction=reduction),
                    lambda p, t: nn_ref.mse_loss(p, t, reduction)[0], [pred, target], dtype,
                    lambda g, p, t: vjp.mse_loss(g, p, t, reduction), "sum",
                    f"F.mse_loss(pred, target, reduction={reduction!r})", names=("pred", "target"))


@st.composite
def cross_entropy_cases(draw, dtype, device):
    n, c = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, 4))
    logits = draw(smooth_tensors(dtype, (n, c), device), label="logits")
    target = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n), label="target"), dtype=np.int64)
    reduction = draw(_REDUCTION, label="reduction")
    return GradCase("cross_entropy",
                    lambda x: F.cross_entropy(x, torch.from_numpy(target).to(x.device), reduction=reduction),
                    lambda x: nn_ref.cross_entropy(x, target, reduction=reduction)[0], [logits], dtype,
                    lambda g, x: vjp.cross_entropy(g, x, target, reduction), "sum",
                    f"F.cross_entropy(logits, {target.tolist()}, reduction={reduction!r})", names=("logits",))


@st.composite
def bce_cases(draw, dtype, device):
    shape = draw(strategies.shapes(min_side=1, max_side=MAX_SIDE))
    p = draw(smooth_tensors(dtype, shape, device, Domain((0.05, 0.95))), label="p")
    target = draw(smooth_tensors(dtype, shape, device, Domain((0.0, 1.0))), label="target").array.astype(np.float64)
    reduction = draw(_REDUCTION, label="reduction")
    return GradCase("binary_cross_entropy",
                    lambda x: F.binary_cross_entropy(x, torch.from_numpy(target).to(x), reduction=reduction),
                    lambda x: nn_ref.binary_cross_entropy(x, target, reduction=reduction)[0], [p], dtype,
                    lambda g, x: vjp.binary_cross_entropy(g, x, target, reduction), "sum",
                    f"F.binary_cross_entropy(p, target, reduction={reduction!r})", names=("p",))


@st.composite
def pow_scalar_cases(draw, dtype, device):
    """``x ** c``: integer exponents on any sign of base, others on positive bases."""
    c = draw(st.sampled_from([2, 3, -1, 0.5, -1.5, 2.5]), label="exponent")
    domain = Domain() if float(c).is_integer() else Domain((0.1, 5.0))
    if c < 0:
        domain = Domain(domain.bounds, avoid=(0.0,))
    x = draw(smooth_tensors(dtype, draw(strategies.shapes(max_side=MAX_SIDE)), device, domain), label="x")
    return GradCase("pow_scalar", lambda t: t ** c, lambda a: a ** c, [x], dtype,
                    lambda g, a: vjp.pow_scalar(g, a, c), "pow", f"x ** {c}")


@st.composite
def reshape_cases(draw, dtype, device):
    x = draw(smooth_tensors(dtype, draw(strategies.shapes(max_side=MAX_SIDE)), device), label="x")
    new = tuple(reversed(x.array.shape)) + (1,)
    return GradCase("reshape", lambda t: t.reshape(new), lambda a: a.reshape(new), [x], dtype,
                    lambda g, a: vjp.reshape(g, a, new), text=f"x.reshape({new})")


@st.composite
def transpose_cases(draw, dtype, device):
    x = draw(smooth_tensors(dtype, draw(strategies.shapes(min_dims=2, max_side=MAX_SIDE)), device), label="x")
    nd = x.array.ndim
    d0, d1 = draw(st.integers(-nd, nd - 1), label="dim0"), draw(st.integers(-nd, nd - 1), label="dim1")
    return GradCase("transpose", lambda t: t.transpose(d0, d1), lambda a: np.swapaxes(a, d0, d1), [x], dtype,
                    lambda g, a: vjp.transpose(g, a, d0, d1), text=f"x.transpose({d0}, {d1})")


@st.composite
def cat_stack_cases(draw, dtype, device, *, stack):
    count = draw(st.integers(1, 3), label="count")
    base = draw(strategies.shapes(min_dims=1, max_side=MAX_SIDE), label="shape")
    dim = draw(st.integers(0, len(base) if stack else len(base) - 1), label="dim")
    shapes = [base if stack else base[:dim] + (draw(_SIDES),) + base[dim + 1:] for _ in range(count)]
    xs = [draw(smooth_tensors(dtype, s, device), label=f"x{i}") for i, s in enumerate(shapes)]
    names = tuple(f"x{i}" for i in range(count))
    if stack:
        return GradCase("stack", lambda *t: torch.stack(t, dim), lambda *a: np.stack(a, dim), xs, dtype,
                        lambda g, *a: vjp.stack(g, *a, dim=dim), text=f"torch.stack(xs, {dim})", names=names)
    return GradCase("cat", lambda *t: torch.cat(t, dim), lambda *a: np.concatenate(a, dim), xs, dtype,
                    lambda g, *a: vjp.cat(g, *a, dim=dim), text=f"torch.cat(xs, {dim})", names=names)


@st.composite
def index_select_cases(draw, dtype, device):
    """Indices repeat: their gradients must add up."""
    x = draw(smooth_tensors(dtype, draw(strategies.shapes(min_dims=1, min_side=1, max_side=MAX_SIDE)), device),
             label="x")
    dim = draw(st.integers(0, x.array.ndim - 1), label="dim")
    index = np.array(draw(st.lists(st.integers(0, x.array.shape[dim] - 1), max_size=4), label="index"),
                     dtype=np.int64)
    return GradCase("index_select",
                    lambda t: torch.index_select(t, dim, torch.from_numpy(index).to(t.device)),
                    lambda a: np.take(a, index, axis=dim), [x], dtype,
                    lambda g, a: vjp.index_select(g, a, dim, index), "sum",
                    f"torch.index_select(x, {dim}, {index.tolist()})")


BUILT = {
    "matmul": matmul_cases,
    "softmax": lambda dtype, device: softmax_cases(dtype, device, log=False),
    "log_softmax": lambda dtype, device: softmax_cases(dtype, device, log=True),
    "mse_loss": mse_cases,
    "cross_entropy": cross_entropy_cases,
    "binary_cross_entropy": bce_cases,
    "pow_scalar": pow_scalar_cases,
    "reshape": reshape_cases,
    "transpose": transpose_cases,
    "cat": lambda dtype, device: cat_stack_cases(dtype, device, stack=False),
    "stack": lambda dtype, device: cat_stack_cases(dtype, device, stack=True),
    "index_select": index_select_cases,
}


#: The op family each built case is about (its key, where that is not the op's name).
_FAMILY = {"pow_scalar": "pow"}


@pytest.mark.derivatives("reverse")
@pytest.mark.parametrize("cases", [pytest.param(cases, id=key, marks=pytest.mark.checks(_FAMILY.get(key, key)))
                                   for key, cases in BUILT.items()])
@given(data=st.data())
def test_gradient_matches_numpy_vjp(cases, device, data):
    case = data.draw(cases(data.draw(DTYPE, label="dtype"), device), label="case")
    check_first_order(case, data.draw(cotangents(case, device), label="g"))


@pytest.mark.checks("clamp")
@pytest.mark.derivatives("reverse")
def test_clamp_gradient_reaches_a_broadcast_input(device):
    """clamp(x, lo, hi) with tensor bounds broadcasts x forward, but when
    ``hi`` requires grad its backward raises "output with shape [] doesn't
    match the broadcast shape [2]" if x has fewer elements than the result.
    The op-table check keeps x at the result shape for this reason."""
    x = torch.tensor(0.5, dtype=torch.float64, device=device, requires_grad=True)
    lo = torch.tensor([0.0, 1.0], dtype=torch.float64, device=device)
    hi = torch.tensor(2.0, dtype=torch.float64, device=device, requires_grad=True)
    grad_x, grad_hi = torch.autograd.grad(torch.clamp(x, lo, hi).sum(), [x, hi])
    # x passes through [0, 2] and is clamped up to 1 by the second bound; hi is never reached.
    oracle.assert_matches(grad_x, np.array(1.0), torch.float64, kind="gradient", what="d/dx sum(clamp(x, [0, 1], hi))")
    oracle.assert_matches(grad_hi, np.array(0.0), torch.float64, kind="gradient", what="d/dhi sum(clamp(x, [0, 1], hi))")
