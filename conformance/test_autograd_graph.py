"""Graph semantics the tutorials teach: freeing and retaining the graph,
accumulation in ``.grad`` and resetting it, leaves and ``grad_fn``,
``requires_grad`` propagation, ``retain_grad``, in-place checks (leaves and
the version counter), grad modes, ``detach`` and tensor hooks. Wherever the
effect is a gradient value, it is compared with NumPy.
"""

import itertools
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from torchconform import oracle
from torchconform.gradcheck import (
    GRAD_DTYPES, MAX_SIDE, check_accumulation, check_hook_scales_gradient, cotangents, op_grad_cases, smooth_tensors,
)
from torchconform.ops import BINARY, TABLE, TERNARY, UNARY
from torchconform.strategies import shapes

pytestmark = [pytest.mark.area("autograd"), pytest.mark.capability("graph")]

DTYPE = st.sampled_from(GRAD_DTYPES)
#: A binary op with broadcasting, and unary ops saving their input / output.
GRAPH_OPS = pytest.mark.parametrize("op", [TABLE[n] for n in ("mul", "sin", "exp")], ids=lambda op: op.name)


@st.composite
def case_and_weight(draw, op, device):
    case = draw(op_grad_cases(op, draw(DTYPE, label="dtype"), device), label="case")
    return case, draw(cotangents(case, device), label="g")


@GRAPH_OPS
@given(data=st.data())
def test_second_backward_without_retain_graph_raises(op, device, data):
    case, g = data.draw(case_and_weight(op, device))
    out = case.torch_fn(*case.leaves())
    out.backward(g.tensor)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        out.backward(g.tensor)


@GRAPH_OPS
@given(data=st.data())
def test_retained_backward_accumulates_and_zero_resets(op, device, data):
    case, g = data.draw(case_and_weight(op, device))
    check_accumulation(case, g, data.draw(st.integers(1, 4), label="times"))


@pytest.mark.parametrize("set_to_none", [True, False], ids=["set_to_none", "zeros"])
def test_module_zero_grad_resets_parameters(device, set_to_none):
    layer = torch.nn.Linear(3, 2, device=device)
    layer(torch.ones(4, 3, device=device)).sum().backward()
    layer.zero_grad(set_to_none=set_to_none)
    for name, p in layer.named_parameters():
        if set_to_none:
            assert p.grad is None, f"zero_grad() must set {name}.grad to None"
        else:
            assert not torch.any(p.grad != 0), f"zero_grad(set_to_none=False) must zero {name}.grad"


_MIXED = [op for op in BINARY + TERNARY if op.differentiable and "float" in op.kinds]


@pytest.mark.parametrize("op", _MIXED, ids=lambda op: op.name)
def test_requires_grad_propagates_through_mixed_inputs(op, device):
    for flags in itertools.product([False, True], repeat=op.arity):
        inputs = [torch.full((2,), 0.5 + i, device=device, requires_grad=f) for i, f in enumerate(flags)]
        out = op.run_torch(*inputs, alpha=1, value=1)
        tracked = any(flags)
        assert out.requires_grad == tracked, f"{op.torch} with requires_grad={flags}: out.requires_grad wrong"
        assert out.is_leaf == (not tracked), f"{op.torch} with requires_grad={flags}: out.is_leaf wrong"
        assert (out.grad_fn is not None) == tracked, f"{op.torch} with requires_grad={flags}: grad_fn wrong"
        for t, f in zip(inputs, flags):
            assert t.is_leaf and t.grad_fn is None, "a created tensor is a leaf without grad_fn"


@given(data=st.data())
def test_retain_grad_keeps_the_gradient_of_a_non_leaf(device, data):
    dtype = data.draw(DTYPE, label="dtype")
    shape = data.draw(shapes(max_side=MAX_SIDE), label="shape")
    xd, gd = (data.draw(smooth_tensors(dtype, shape, device), label=n) for n in ("x", "g"))
    x = xd.tensor.detach().requires_grad_()
    kept, dropped = x * 2, x * 3
    kept.retain_grad()
    (torch.sin(kept) + torch.sin(dropped)).backward(gd.tensor)
    a, g = xd.array.astype(np.float64), gd.array.astype(np.float64)
    oracle.assert_matches(kept.grad, g * np.cos(2 * a), dtype, kind="gradient", what="retained .grad of the non-leaf 2x")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert dropped.grad is None, ".grad of a non-leaf without retain_grad() must be None"
    assert any("not a leaf Tensor" in str(w.message) for w in caught), "reading a non-leaf .grad must warn"


_INPLACE = [op for op in UNARY + BINARY + TERNARY if op.inplace and op.differentiable and "float" in op.kinds]


@pytest.mark.parametrize("op", _INPLACE, ids=lambda op: op.name)
def test_inplace_on_a_leaf_requiring_grad_raises_outside_no_grad(op, device):
    leaf = torch.full((3,), 0.5, device=device, requires_grad=True)
    others = [torch.full((3,), 0.25, device=device) for _ in range(op.arity - 1)]
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        op.run_torch(leaf, *others, which="inplace", alpha=1, value=1)
    # The tutorials' update step: allowed under no_grad, and it stays a leaf.
    with torch.no_grad():
        op.run_torch(leaf, *others, which="inplace", alpha=1, value=1)
    assert leaf.is_leaf and leaf.requires_grad


#: What each op's backward needs (derivatives.yaml saves ``result`` or ``self``).
SAVED = {"sin": "input", "cos": "input", "log": "input", "exp": "output", "sqrt": "output", "tanh": "output",
         "sigmoid": "output"}


@pytest.mark.parametrize("name", SAVED)
def test_inplace_on_a_saved_tensor_is_detected_at_backward(name, device):
    x = torch.full((3,), 0.5, device=device, requires_grad=True)
    a = x * 1
    out = TABLE[name].run_torch(a)
    (a if SAVED[name] == "input" else out).mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


@given(data=st.data())
def test_grad_modes_decide_what_is_tracked(device, data):
    xd = data.draw(smooth_tensors(data.draw(DTYPE, label="dtype"), data.draw(shapes(max_side=MAX_SIDE)), device))
    x = xd.tensor.detach().requires_grad_()
    with torch.no_grad():
        untracked = torch.exp(x)
        with torch.enable_grad():
            tracked = torch.exp(x)
    oracle.assert_matches(untracked, np.exp(xd.array.astype(np.float64)), xd.tensor.dtype, what="exp under no_grad")
    assert not untracked.requires_grad and untracked.grad_fn is None, "no_grad must not record"
    assert tracked.requires_grad, "enable_grad inside no_grad must record"
    for enabled in (False, True):
        with torch.set_grad_enabled(enabled):
            assert torch.exp(x).requires_grad == enabled, f"set_grad_enabled({enabled}) as a context"
    torch.set_grad_enabled(False)
    try:
        assert not torch.exp(x).requires_grad, "set_grad_enabled(False) as a function"
    finally:
        torch.set_grad_enabled(True)
    with torch.inference_mode():
        inferred = torch.exp(x)
    assert inferred.is_inference() and not inferred.requires_grad, "inference_mode results are inference tensors"
    with pytest.raises(RuntimeError, match="Inference tensors cannot be saved for backward"):
        (inferred * x).sum().backward()


@given(data=st.data())
def test_detach_shares_storage_and_does_not_require_grad(device, data):
    xd = data.draw(smooth_tensors(data.draw(DTYPE, label="dtype"), data.draw(shapes(min_side=1, max_side=MAX_SIDE)),
                                  device, layouts=["contiguous", "transposed", "sliced"]))
    y = xd.tensor.detach().requires_grad_() * 2
    d = y.detach()
    assert d.data_ptr() == y.data_ptr(), "detach() must share storage"
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None, "detach() gives a leaf without grad"
    version = y._version
    d.add_(1)
    assert y._version > version, "an in-place change through detach() shows in the shared version counter"
    oracle.assert_matches(y, 2 * xd.array.astype(np.float64) + 1, xd.tensor.dtype, what="y after detach().add_(1)")


@GRAPH_OPS
@given(data=st.data())
def test_hook_scales_the_gradient_until_removed(op, device, data):
    case, g = data.draw(case_and_weight(op, device))
    check_hook_scales_gradient(case, g, data.draw(st.sampled_from([0.0, 2.0, -0.5, 3.0]), label="factor"))


@given(data=st.data())
def test_hook_on_a_non_leaf_scales_what_flows_upstream(device, data):
    dtype = data.draw(DTYPE, label="dtype")
    shape = data.draw(shapes(max_side=MAX_SIDE), label="shape")
    xd, gd = (data.draw(smooth_tensors(dtype, shape, device), label=n) for n in ("x", "g"))
    x = xd.tensor.detach().requires_grad_()
    a = torch.sin(x)
    a.register_hook(lambda grad: grad * 2)
    (a * a).backward(gd.tensor)
    s, g = np.sin(xd.array.astype(np.float64)), gd.array.astype(np.float64)
    oracle.assert_matches(x.grad, 2 * g * 2 * s * np.cos(xd.array.astype(np.float64)), dtype, kind="gradient",
                          what="x.grad through a hook doubling d/d(sin x)")
