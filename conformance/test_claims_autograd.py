"""Tutorial claims about autograd: the blitz's Q = 3a^3 - b^2, the course's
y = (x + w)(w + 1) graph, grad_fn names, retain_graph, grad_tensors,
autograd.grad, custom Functions, .data and no_grad.

Expected gradients are the seeds' printed numbers or closed forms in NumPy.
"""

import warnings

import numpy as np
import pytest
import torch

from torchconform import claims, dtypes
from torchconform.networks.learning_pytorch import MyReLU
from torchconform.oracle import assert_matches

pytestmark = [pytest.mark.area("claims"), pytest.mark.capability("seed_claim")]

claim = pytest.mark.seed_claim


def leaf(device, values) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32, device=device, requires_grad=True)


# --------------------------------------------------------------------------- 002 blitz


@claim("blitz-q-gradient-external-grad")
def test_q_backward_with_external_gradient(device):
    a = leaf(device, [2.0, 3.0])
    b = leaf(device, [6.0, 4.0])
    Q = 3 * a**3 - b**2
    Q.backward(gradient=torch.tensor([1.0, 1.0], device=device))
    an, bn = np.array([2.0, 3.0]), np.array([6.0, 4.0])
    assert_matches(a.grad, 9 * an**2, torch.float32, kind="gradient")   # [36, 81]
    assert_matches(b.grad, -2 * bn, torch.float32, kind="gradient")     # [-12, -8]
    assert (9 * a**2 == a.grad).tolist() == [True, True]
    assert (-2 * b == b.grad).tolist() == [True, True]


@claim("blitz-q-nonscalar-needs-gradient")
def test_nonscalar_backward_needs_gradient_or_a_sum(device):
    a = leaf(device, [2.0, 3.0])
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (3 * a**3).backward()
    (3 * a**3).sum().backward()  # the seed's alternative: aggregate to a scalar
    assert_matches(a.grad, 9 * np.array([2.0, 3.0]) ** 2, torch.float32, kind="gradient")


@claim("blitz-requires-grad-propagation")
def test_requires_grad_of_sums(device):
    x = torch.rand(5, 5, device=device)
    y = torch.rand(5, 5, device=device)
    z = torch.rand((5, 5), device=device, requires_grad=True)
    a = x + y
    b = x + z
    assert f"Does `a` require gradients? : {a.requires_grad}" == "Does `a` require gradients? : False"
    assert f"Does `b` require gradients?: {b.requires_grad}" == "Does `b` require gradients?: True"


# --------------------------------------------------------------------------- 003 course: the y = (x + w)(w + 1) graph


def _graph(device):
    w = leaf(device, [1.0])
    x = leaf(device, [2.0])
    a = torch.add(w, x)
    b = torch.add(w, 1)
    y = torch.mul(a, b)
    return w, x, a, b, y


@claim("course-graph-dy-dw")
def test_dy_dw_is_five(device):
    w, x, a, b, y = _graph(device)
    y.backward()
    # dy/dw = 2w + x + 1 = 5, dy/dx = w + 1 = 2
    assert_matches(w.grad, np.array([2 * 1.0 + 2.0 + 1]), torch.float32, kind="gradient")
    assert_matches(x.grad, np.array([1.0 + 1]), torch.float32, kind="gradient")


@claim("course-graph-is-leaf")
def test_is_leaf_table(device):
    w, x, a, b, y = _graph(device)
    assert [t.is_leaf for t in (w, x, a, b, y)] == [True, True, False, False, False]


@claim("course-graph-nonleaf-grad-none-warns")
def test_non_leaf_grad_is_none_with_a_warning(device):
    w, x, a, b, y = _graph(device)
    y.backward()
    assert str(w.grad.cpu()) == "tensor([5.])" and str(x.grad.cpu()) == "tensor([2.])"
    for t in (a, b, y):
        with pytest.warns(UserWarning, match="not a leaf Tensor"):
            assert t.grad is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert w.grad is not None  # a leaf's .grad is read without a warning


@claim("course-graph-retain-grad")
def test_retain_grad_keeps_a_non_leaf_gradient(device):
    w = leaf(device, [1.0])
    x = leaf(device, [2.0])
    a = torch.add(w, x)
    a.retain_grad()
    torch.mul(a, torch.add(w, 1)).backward()
    assert_matches(a.grad, np.array([1.0 + 1]), torch.float32, kind="gradient")  # dy/da = b = w + 1


@claim("course-graph-grad-fn-names")
def test_grad_fn_table(device):
    w, x, a, b, y = _graph(device)
    names = [None if t.grad_fn is None else type(t.grad_fn).__name__ for t in (w, x, a, b, y)]
    assert names == [None, None, "AddBackward0", "AddBackward0", "MulBackward0"]
    assert repr(a.grad_fn).startswith("<AddBackward0 object at 0x")


@claim("course-retain-graph")
def test_retain_graph_allows_a_second_backward_that_accumulates(device):
    w, x, a, b, y = _graph(device)
    y.backward(retain_graph=True)
    assert_matches(w.grad, np.array([5.0]), torch.float32, kind="gradient")
    y.backward()
    assert_matches(w.grad, np.array([10.0]), torch.float32, kind="gradient")
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


@claim("course-grad-tensors-weights")
def test_grad_tensors_weight_the_outputs(device):
    w, x, a, b, _ = _graph(device)
    y0 = torch.mul(a, b)   # dy0/dw = 5
    y1 = torch.add(a, b)   # dy1/dw = 2
    loss = torch.cat([y0, y1], dim=0)
    loss.backward(gradient=torch.tensor([1.0, 2.0], device=device))
    assert_matches(w.grad, np.array([1 * 5.0 + 2 * 2.0]), torch.float32, kind="gradient")


@claim("course-autograd-grad-second-order")
def test_autograd_grad_first_and_second_derivative(device):
    x = leaf(device, [3.0])
    y = torch.pow(x, 2)
    grad_1 = torch.autograd.grad(y, x, create_graph=True)
    assert isinstance(grad_1, tuple) and len(grad_1) == 1
    assert type(grad_1[0].grad_fn).__name__ == "MulBackward0"
    assert_matches(grad_1[0].detach(), np.array([2 * 3.0]), torch.float32, kind="gradient")
    grad_2 = torch.autograd.grad(grad_1[0], x)
    assert grad_2[0].grad_fn is None
    assert_matches(grad_2[0], np.array([2.0]), torch.float32, kind="gradient")
    assert repr(tuple(g.cpu() for g in grad_2)) == "(tensor([2.]),)"


@claim("course-autograd-grad-allow-unused")
def test_autograd_grad_allow_unused_gives_none(device):
    x = leaf(device, [3.0])
    unused = leaf(device, [1.0])
    y = x**2
    with pytest.raises(RuntimeError, match="not have been used"):
        torch.autograd.grad(y, [x, unused], retain_graph=True)
    gx, gu = torch.autograd.grad(y, [x, unused], allow_unused=True)
    assert gu is None
    assert_matches(gx, np.array([6.0]), torch.float32, kind="gradient")


@claim("course-grads-accumulate")
def test_gradients_accumulate_until_zeroed(device):
    w = leaf(device, [1.0])
    for _ in range(2):
        (w * 3).sum().backward()
    assert_matches(w.grad, np.array([6.0]), torch.float32, kind="gradient")
    w.grad.zero_()
    assert_matches(w.grad, np.array([0.0]), torch.float32, kind="gradient")


@claim("course-leaf-inplace-raises")
def test_in_place_on_a_leaf_requiring_grad_raises(device):
    w = leaf(device, [1.0])
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.add_(1)


@claim("course-variable-merged")
def test_variable_returns_a_plain_tensor(device):
    v = torch.autograd.Variable(torch.ones(2, device=device), requires_grad=True)
    assert type(v) is torch.Tensor
    for attr in ("data", "grad", "grad_fn", "requires_grad", "is_leaf"):
        assert hasattr(v, attr), attr


# --------------------------------------------------------------------------- 002 blitz: in-place and history


@claim("blitz-inplace-breaks-backward")
def test_in_place_change_of_a_saved_tensor_breaks_backward(device):
    x = leaf(device, [0.5, -1.0])
    y = x.sigmoid()   # sigmoid's backward reuses its output
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# ------------------------------------------------------------------- 000 learning PyTorch: Function, .data, no_grad


@claim("lpe-custom-function-apply")
def test_custom_relu_function_through_apply(device):
    x = leaf(device, [-2.0, -0.5, 0.0, 0.5, 3.0])
    y = MyReLU.apply(x)
    xn = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    assert_matches(y.detach(), np.maximum(xn, 0), torch.float32)
    assert type(y.grad_fn).__name__ == "MyReLUBackward"
    g = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    y.backward(torch.tensor(g, dtype=torch.float32, device=device))
    assert_matches(x.grad, np.where(xn < 0, 0.0, g), torch.float32, kind="gradient")


@claim("lpe-ctx-saved-tensors")
def test_ctx_saved_tensors_returns_what_was_saved(device):
    seen = {}

    class Spy(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            seen["saved"] = dtypes.tensor_to_numpy(input.detach())
            return grad_output * (input >= 0)

    Spy.apply(leaf(device, [-1.0, 2.0])).sum().backward()
    assert_matches(seen["saved"], np.array([-1.0, 2.0]), torch.float32)


@claim("lpe-function-instance-call-raises")
def test_calling_a_function_instance_raises(device):
    x = leaf(device, [1.0])
    with pytest.warns(DeprecationWarning, match="should not be instantiated"):
        instance = MyReLU()
    with pytest.raises(RuntimeError, match="Legacy autograd function"):
        instance(x)


@claim("lpe-no-grad-results")
def test_no_grad_results_do_not_require_grad(device):
    w = leaf(device, [1.0, 2.0])
    with torch.no_grad():
        y = w * 2
    assert not y.requires_grad and y.grad_fn is None
    assert (w * 2).requires_grad


@claim("lpe-data-shares-storage-no-history")
def test_data_shares_storage_and_is_not_tracked(device):
    w = leaf(device, [1.0, 2.0])
    d = w.data
    assert not d.requires_grad and d.grad_fn is None
    assert d.untyped_storage().data_ptr() == w.untyped_storage().data_ptr()
    d.mul_(3)  # bypasses autograd: no error although w is a leaf requiring grad
    assert_matches(w.detach(), np.array([3.0, 6.0]), torch.float32)
    (w * w).sum().backward()
    assert_matches(w.grad, 2 * np.array([3.0, 6.0]), torch.float32, kind="gradient")


@claim("lpe-loss-is-0d")
def test_summed_loss_is_zero_dimensional(device):
    torch.manual_seed(0)
    y_pred = torch.randn(4, 3, device=device, requires_grad=True)
    y = torch.randn(4, 3, device=device)
    loss = (y_pred - y).pow(2).sum()
    assert loss.shape == () and loss.dim() == 0
    assert isinstance(loss.item(), float)
    assert torch.nn.MSELoss()(y_pred, y).shape == ()
    ref = ((dtypes.tensor_to_numpy(y_pred.detach()).astype(np.float64) - dtypes.tensor_to_numpy(y)) ** 2).sum()
    assert_matches(loss.detach(), np.asarray(ref), torch.float32, op="sum")


@claim("lpe-manual-backward-equals-autograd")
def test_numpy_form_gradients_equal_autograd(device):
    rng = np.random.default_rng(0)
    n, d_in, h, d_out = 8, 12, 6, 3  # the seed's 64x1000x100x10 shrunk
    x, y = rng.standard_normal((n, d_in)), rng.standard_normal((n, d_out))
    w1, w2 = rng.standard_normal((d_in, h)), rng.standard_normal((h, d_out))
    # the seed's NumPy form, verbatim
    hh = x.dot(w1)
    h_relu = np.maximum(hh, 0)
    y_pred = h_relu.dot(w2)
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.T.dot(grad_y_pred)
    grad_h = grad_y_pred.dot(w2.T)
    grad_h[hh < 0] = 0
    grad_w1 = x.T.dot(grad_h)
    tx, ty = (torch.tensor(v, device=device) for v in (x, y))
    tw1, tw2 = (torch.tensor(v, device=device, requires_grad=True) for v in (w1, w2))
    loss = (tx.mm(tw1).clamp(min=0).mm(tw2) - ty).pow(2).sum()
    loss.backward()
    assert_matches(loss.detach(), np.asarray(np.square(y_pred - y).sum()), torch.float64, op="sum")
    assert_matches(tw1.grad, grad_w1, torch.float64, kind="gradient", op="matmul")
    assert_matches(tw2.grad, grad_w2, torch.float64, kind="gradient", op="matmul")


@claim("lpe-dtype-float")
def test_torch_float_is_float32(device):
    assert torch.float is torch.float32
    assert torch.randn(2, device=device, dtype=torch.float).dtype == torch.float32


@claim("course-dependent-nodes-require-grad")
def test_nodes_depending_on_a_leaf_require_grad(device):
    w, x, a, b, y = _graph(device)
    assert [t.requires_grad for t in (a, b, y)] == [True, True, True]
    assert not torch.add(torch.ones(1, device=device), 1).requires_grad


@claim("course-autograd-backward-grad-variables")
def test_backward_function_form_and_grad_variables(device):
    w, x, a, b, _ = _graph(device)
    y = torch.cat([torch.mul(a, b), torch.add(a, b)])
    torch.autograd.backward(y, grad_tensors=torch.tensor([1.0, 2.0], device=device), retain_graph=True)
    assert_matches(w.grad, np.array([9.0]), torch.float32, kind="gradient")
    w.grad = None
    # A UserWarning before torch 2.4, a FutureWarning since.
    deprecation = FutureWarning if claims.release_at_least(torch.__version__, "2.4") else UserWarning
    with pytest.warns(deprecation, match="grad_variables"):
        torch.autograd.backward(y, grad_variables=torch.tensor([1.0, 2.0], device=device))
    assert_matches(w.grad, np.array([9.0]), torch.float32, kind="gradient")
