"""Tutorial claims about torch.nn and torch.optim: the exact module reprs and
parameter counts the seeds print, grad_fn names, zero_grad, the blitz's
"probabilities", unbatched Conv2d, d2l's parameter management, weight tying,
initialisers, saving and loading, freezing, hand-written updates against the
optimizers, and the course's regression loops reaching their stopping rules.

Networks come from the zoo (torchconform.networks); gradients and outputs
are compared with its NumPy twins, parameter counts with plain arithmetic.
"""

import io
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from torchconform import claims, dtypes
from torchconform.networks import ZOO, loss_fn
from torchconform.networks.blitz import LeNet
from torchconform.networks.course import LR
from torchconform.oracle import assert_matches
from torchconform.references import nn as ref
from torchconform.references import optim as optim_ref

pytestmark = [pytest.mark.area("claims"), pytest.mark.capability("seed_claim")]

claim = pytest.mark.seed_claim


def np_of(t: torch.Tensor) -> np.ndarray:
    return dtypes.tensor_to_numpy(t.detach())


def build(name: str, device, dtype=torch.float64, **overrides):
    """A zoo network on ``device`` and its NumPy twin (float64)."""
    spec = ZOO[name]
    module = spec.build(**overrides).to(dtype)
    twin = spec.twin(module)
    return module.to(device), twin


def batch(name: str, n: int, device, dtype=torch.float64):
    x, y = ZOO[name].batch(n, 0)
    tx = torch.from_numpy(x).to(device, dtype)
    ty = torch.from_numpy(y).to(device, dtype if y.dtype.kind == "f" else torch.int64)
    return x, y, tx, ty


def assert_grads_match_twin(module, grads, what):
    for name, p in module.named_parameters():
        expected = grads[name]
        assert_matches(p.grad, expected, torch.float64, kind="gradient", op="matmul",
                       scale=np.full(expected.shape, np.abs(expected).max()), what=f"{what}: d loss / d {name}")


# --------------------------------------------------------------------------- 002 blitz: Net


class Net(LeNet):
    """The zoo's LeNet under the blitz's class name, so reprs compare verbatim."""


LENET_REPR = """Net(
  (conv1): Conv2d(1, 6, kernel_size=(3, 3), stride=(1, 1))
  (conv2): Conv2d(6, 16, kernel_size=(3, 3), stride=(1, 1))
  (fc1): Linear(in_features=576, out_features=120, bias=True)
  (fc2): Linear(in_features=120, out_features=84, bias=True)
  (fc3): Linear(in_features=84, out_features=10, bias=True)
)"""


@claim("blitz-lenet-repr")
def test_lenet_repr(device):
    assert repr(Net().to(device)) == LENET_REPR


@claim("blitz-lenet-parameters")
def test_lenet_has_ten_parameter_tensors(device):
    params = list(Net().to(device).parameters())
    assert len(params) == 10
    assert str(params[0].size()) == "torch.Size([6, 1, 3, 3])"
    # conv 1->6 3x3, conv 6->16 3x3, fc 576->120, 120->84, 84->10, with biases
    expected = (6 * 1 * 9 + 6) + (16 * 6 * 9 + 16) + (576 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10)
    assert expected == 81_194
    assert sum(p.numel() for p in params) == expected


@claim("blitz-cifar-parameters")
def test_cifar_net_parameter_count(device):
    net = ZOO["cifar"].build().to(device)
    expected = (6 * 3 * 25 + 6) + (16 * 6 * 25 + 16) + (400 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10)
    assert expected == 62_006
    assert sum(p.numel() for p in net.parameters()) == expected


@claim("blitz-lenet-expects-32x32")
def test_lenet_needs_32x32_inputs(device):
    net = Net().to(device)
    assert net(torch.randn(1, 1, 32, 32, device=device)).shape == (1, 10)
    # 28x28 (raw MNIST) leaves 16x5x5 = 400 features where fc1 expects 16x6x6 = 576
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        net(torch.randn(1, 1, 28, 28, device=device))


@claim("blitz-addmm-backward-name")
def test_linear_output_grad_fn_is_addmmbackward0(device):
    net = Net().to(device)
    out = net(torch.randn(1, 1, 32, 32, device=device))
    assert out.shape == (1, 10)
    assert type(out.grad_fn).__name__ == "AddmmBackward0"
    assert repr(out).endswith("grad_fn=<AddmmBackward0>)")


@claim("blitz-mseloss-backward-name")
def test_mse_loss_is_0d_with_mselossbackward0(device):
    net = Net().to(device)
    output = net(torch.randn(1, 1, 32, 32, device=device))
    target = torch.randn(10, device=device).view(1, -1)
    loss = nn.MSELoss()(output, target)
    assert loss.shape == ()
    assert type(loss.grad_fn).__name__ == "MseLossBackward0"
    assert repr(loss).startswith("tensor(") and repr(loss).endswith("grad_fn=<MseLossBackward0>)")
    assert_matches(loss.detach(), np.asarray(np.mean((np_of(output).astype(np.float64) - np_of(target)) ** 2)), torch.float32,
                   op="mean")


@claim("blitz-next-functions-chain")
def test_next_functions_chain_reaches_accumulate_grad(device):
    net = Net().to(device)
    loss = nn.MSELoss()(net(torch.randn(1, 1, 32, 32, device=device)), torch.randn(1, 10, device=device))
    first = loss.grad_fn
    second = first.next_functions[0][0]
    third = second.next_functions[0][0]
    names = [type(f).__name__ for f in (first, second, third)]
    # the seed's comment says "ReLU" for the third, but it printed AccumulateGrad: fc3's bias
    assert names == ["MseLossBackward0", "AddmmBackward0", "AccumulateGrad"]
    assert third.variable is net.fc3.bias


@claim("blitz-zero-grad-none")
def test_net_zero_grad_sets_grads_to_none(device):
    net = Net().to(device)
    out = net(torch.randn(1, 1, 32, 32, device=device))
    out.backward(torch.randn(1, 10, device=device))  # a non-scalar output takes a gradient of its shape
    assert net.conv1.bias.grad is not None
    net.zero_grad()
    assert net.conv1.bias.grad is None


@claim("blitz-zero-grad-set-to-none-false")
def test_zero_grad_without_set_to_none_prints_zeros(device):
    net = Net().to(device)
    net(torch.randn(1, 1, 32, 32, device=device)).sum().backward()
    net.zero_grad(set_to_none=False)
    assert str(net.conv1.bias.grad.cpu()) == "tensor([0., 0., 0., 0., 0., 0.])"


@claim("blitz-conv1-bias-grad-after-backward")
def test_conv1_bias_grad_after_backward_matches_numpy(device):
    net, twin = build("lenet", device)
    x, y, tx, ty = batch("lenet", 1, device)
    net.zero_grad()
    loss_fn("mse_mean")(net(tx), ty).backward()
    grads = twin.gradients(x, y)
    assert net.conv1.bias.grad.shape == (6,)
    assert_grads_match_twin(net, grads, "LeNet")


@claim("blitz-nn-minibatch-only")
def test_conv2d_accepts_unbatched_input(device):
    torch.manual_seed(0)
    conv = nn.Conv2d(1, 6, 3).to(device, torch.float64)
    x = torch.randn(1, 32, 32, dtype=torch.float64, device=device)
    out = conv(x)
    assert out.shape == (6, 30, 30)
    expected = ref.conv2d(np_of(x)[None], np_of(conv.weight), np_of(conv.bias))[0]
    scale = np.full(expected.shape, np.abs(expected).max())
    assert_matches(out, expected, torch.float64, op="matmul", scale=scale)
    assert_matches(conv(x.unsqueeze(0))[0], expected, torch.float64, op="matmul", scale=scale)


@claim("blitz-outputs-are-logits")
def test_cifar_outputs_are_logits_not_probabilities(device):
    net, twin = build("cifar", device)
    x, _, tx, _ = batch("cifar", 4, device)
    with torch.no_grad():
        outputs = net(tx)
    logits = twin.forward(x)
    assert_matches(outputs, logits, torch.float64, op="matmul", scale=np.full(logits.shape, np.abs(logits).max()))
    row_sums = logits.sum(axis=1)
    assert np.any(np.abs(row_sums - 1) > 1e-3), f"rows of raw scores need not sum to 1, got {row_sums}"
    probabilities = torch.softmax(outputs, dim=1)
    assert_matches(probabilities, ref.softmax(logits, axis=1), torch.float64, op="sum")
    _, predicted = torch.max(outputs, 1)
    assert_matches(predicted, np.argmax(logits, axis=1), torch.int64)


@claim("blitz-parameter-registered-on-assign")
def test_parameter_assigned_to_a_module_is_registered(device):
    m = nn.Module()
    m.scale = nn.Parameter(torch.ones(3, device=device))
    m.plain = torch.ones(3, device=device)
    assert [name for name, _ in m.named_parameters()] == ["scale"]


@claim("blitz-sgd-data-sub")
def test_data_sub_update_equals_sgd(device):
    lr = 0.01
    nets = [ZOO["lenet"].build().to(device) for _ in range(2)]
    x, y, tx, ty = batch("lenet", 1, device, torch.float32)
    for net in nets:
        net.zero_grad()
        loss_fn("mse_mean")(net(tx), ty).backward()
    before = {n: np_of(p).astype(np.float64) for n, p in nets[0].named_parameters()}
    grads = {n: np_of(p.grad).astype(np.float64) for n, p in nets[0].named_parameters()}
    for f in nets[0].parameters():
        f.data.sub_(f.grad.data * lr)
    torch.optim.SGD(nets[1].parameters(), lr=lr).step()
    for manual, (name, optimised) in zip(nets[0].parameters(), nets[1].named_parameters()):
        expected = before[name] - lr * grads[name]
        assert_matches(manual, expected, torch.float32, scale=np.abs(before[name]), what=f"f.data.sub_ {name}")
        assert_matches(optimised, expected, torch.float32, scale=np.abs(before[name]), what=f"SGD.step {name}")


@claim("blitz-optimizer-zero-grad-none")
def test_optimizer_zero_grad_sets_grads_to_none(device):
    net = ZOO["lenet"].build().to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
    net(torch.randn(1, 1, 32, 32, device=device)).sum().backward()
    optimizer.zero_grad()
    assert all(p.grad is None for p in net.parameters())


@claim("blitz-cifar-width")
def test_cifar_net_with_wider_convolutions(device):
    net = ZOO["cifar"].build(width=12).to(device)
    assert net.conv1.out_channels == net.conv2.in_channels == 12
    assert net(torch.randn(4, 3, 32, 32, device=device)).shape == (4, 10)


@claim("blitz-freeze-new-fc")
def test_frozen_parameters_get_no_grad_and_stay_put(device):
    net = ZOO["cifar"].build().to(device)
    for param in net.parameters():
        param.requires_grad = False
    net.fc3 = nn.Linear(84, 10).to(device)  # the new classifier, not frozen
    frozen = {n: p.detach().clone() for n, p in net.named_parameters() if not n.startswith("fc3.")}
    new = {n: p.detach().clone() for n, p in net.named_parameters() if n.startswith("fc3.")}
    optimizer = torch.optim.SGD(net.parameters(), lr=1e-2, momentum=0.9)  # every parameter registered
    _, _, tx, ty = batch("cifar", 4, device, torch.float32)
    nn.CrossEntropyLoss()(net(tx), ty).backward()
    optimizer.step()
    for name, p in net.named_parameters():
        if name in frozen:
            assert p.grad is None, name
            assert torch.equal(p, frozen[name]), f"{name} moved although frozen"
        else:
            assert p.grad is not None and not torch.equal(p, new[name]), name


@claim("blitz-resnet18-finetune")
def test_resnet18_frozen_backbone_new_fc(device):
    torchvision = pytest.importorskip(
        "torchvision", reason="torchvision is an optional extra (pip install 'torchconform[vision]'); not installed")
    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None).to(device)
    for param in model.parameters():
        param.requires_grad = False
    model.fc = nn.Linear(512, 10).to(device)
    model.eval()  # batch-norm statistics stay as they are
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    (model(torch.rand(1, 3, 64, 64, device=device)) - torch.rand(1, 10, device=device)).sum().backward()
    optimizer.step()
    for name, p in model.named_parameters():
        if name.startswith("fc."):
            assert p.grad is not None and not torch.equal(p, before[name]), name
        else:
            assert p.grad is None and torch.equal(p, before[name]), name


@claim("blitz-dataiter-next-removed")
def test_dataloader_iterator_has_no_next_method(device):
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.arange(8.0).view(4, 2), torch.arange(4)), batch_size=2)
    dataiter = iter(loader)
    with pytest.raises(AttributeError):
        dataiter.next()
    images, labels = next(dataiter)
    assert_matches(images.to(device), np.array([[0.0, 1.0], [2.0, 3.0]]), torch.float32)
    assert_matches(labels, np.array([0, 1]), torch.int64)


# --------------------------------------------------------------------------- 000 learning PyTorch with examples


@claim("lpe-mse-sum")
def test_mse_loss_sum_is_the_squared_error_sum(device):
    torch.manual_seed(0)
    y_pred, y = torch.randn(4, 3, device=device), torch.randn(4, 3, device=device)
    expected = ((np_of(y_pred).astype(np.float64) - np_of(y)) ** 2).sum()
    assert_matches(nn.MSELoss(reduction="sum")(y_pred, y), np.asarray(expected), torch.float32, op="sum")


@claim("lpe-no-grad-update-equals-sgd")
def test_no_grad_update_equals_sgd(device):
    lr = 1e-4
    models = [ZOO["two_layer_sequential"].build(hidden=8).to(device) for _ in range(2)]
    x, y, tx, ty = batch("two_layer_sequential", 4, device, torch.float32)
    for model in models:
        model.zero_grad()
        nn.MSELoss(reduction="sum")(model(tx), ty).backward()
    before = {n: np_of(p).astype(np.float64) for n, p in models[0].named_parameters()}
    grads = {n: np_of(p.grad).astype(np.float64) for n, p in models[0].named_parameters()}
    with torch.no_grad():
        for param in models[0].parameters():
            param -= lr * param.grad
    torch.optim.SGD(models[1].parameters(), lr=lr).step()
    for manual, (name, optimised) in zip(models[0].parameters(), models[1].named_parameters()):
        expected = before[name] - lr * grads[name]
        assert_matches(manual, expected, torch.float32, scale=np.abs(before[name]), what=f"param -= lr * grad: {name}")
        assert_matches(optimised, expected, torch.float32, scale=np.abs(before[name]), what=f"SGD.step: {name}")


@claim("lpe-grads-accumulate-in-buffers")
def test_backward_accumulates_into_grad(device):
    model, twin = build("two_layer_sequential", device, hidden=8)
    x, y, tx, ty = batch("two_layer_sequential", 4, device)
    for _ in range(2):
        nn.MSELoss(reduction="sum")(model(tx), ty).backward()
    grads = {k: 2 * v for k, v in twin.gradients(x, y).items()}
    assert_grads_match_twin(model, grads, "two backward calls")


OPTIMIZERS = [
    pytest.param("SGD", {"lr": 1e-2, "momentum": 0.9}, id="sgd-momentum"),
    pytest.param("Adam", {"lr": 1e-2}, id="adam"),
    pytest.param("Adagrad", {"lr": 1e-2}, id="adagrad"),
    pytest.param("RMSprop", {"lr": 1e-2}, id="rmsprop"),
]


@claim("lpe-optimizers-update-rules")
@pytest.mark.parametrize("name, kwargs", OPTIMIZERS)
def test_optimizer_matches_numpy_update_rule(name, kwargs, device):
    rng = np.random.default_rng(1)
    p0 = rng.standard_normal(5)
    grads = rng.standard_normal((4, 5))
    p = torch.tensor(p0, device=device, requires_grad=True)
    optimizer = getattr(torch.optim, name)([p], **kwargs)
    reference = optim_ref.OPTIMIZERS[name](**kwargs)
    expected = {"p": p0.copy()}
    for g in grads:
        p.grad = torch.tensor(g, device=device)
        optimizer.step()
        reference.step(expected, {"p": g})
    assert_matches(p.detach(), expected["p"], torch.float64, scale=np.abs(p0), what=f"{name} after {len(grads)} steps")


@claim("lpe-two-layer-net-parameters")
def test_two_layer_net_parameters_are_the_two_linears(device):
    model = ZOO["two_layer"].build().to(device)
    shapes = [tuple(p.shape) for p in model.parameters()]
    assert shapes == [(100, 1000), (100,), (10, 100), (10,)]
    assert sum(p.numel() for p in model.parameters()) == 1000 * 100 + 100 + 100 * 10 + 10


@claim("lpe-dynamic-net-shared-middle")
def test_dynamic_net_reuses_one_middle_layer(device):
    model, twin = build("dynamic", device, depth=3, hidden=8)
    assert len(list(model.parameters())) == 6  # three Linear layers whatever the depth
    x, y, tx, ty = batch("dynamic", 4, device)
    nn.MSELoss(reduction="sum")(model(tx), ty).backward()
    # the middle layer's gradient is the sum over its three uses
    assert_grads_match_twin(model, twin.gradients(x, y), "DynamicNet depth 3")


# --------------------------------------------------------------------------- 001 d2l: blocks


@claim("d2l-mlp-forward")
def test_mlp_block_matches_numpy(device):
    net, twin = build("d2l_mlp", device)
    x, _, tx, _ = batch("d2l_mlp", 2, device)
    out = net(tx)
    assert out.shape == (2, 10)
    expected = twin.forward(x)
    assert_matches(out, expected, torch.float64, op="matmul", scale=np.full(expected.shape, np.abs(expected).max()))


@claim("d2l-modules-dict-ordered")
def test_modules_is_an_insertion_ordered_dict(device):
    net = ZOO["d2l_my_sequential"].build().to(device)
    # The seed's OrderedDict holds before torch 2.5 (see the claim's since).
    here = claims.by_id()["d2l-modules-dict-ordered"].on(torch.__version__)
    assert type(net._modules) is (dict if here.status == "differs" else OrderedDict)
    assert list(net._modules) == ["0", "1", "2"]
    assert [type(m).__name__ for m in net._modules.values()] == ["Linear", "ReLU", "Linear"]


@claim("d2l-my-sequential-equals-sequential")
def test_my_sequential_runs_blocks_like_sequential(device):
    net = ZOO["d2l_my_sequential"].build().to(device)
    reference = nn.Sequential(*net._modules.values())  # the very same blocks, in nn.Sequential
    X = torch.rand(2, 20, device=device)
    assert torch.equal(net(X), reference(X))


@claim("d2l-fixed-hidden-bounded")
def test_fixed_hidden_mlp_output_is_bounded(device):
    net, twin = build("d2l_fixed_hidden", device)
    x, _, tx, _ = batch("d2l_fixed_hidden", 2, device)
    out = net(tx)
    assert out.shape == ()
    assert abs(out.item()) <= 1
    assert_matches(out, np.asarray(twin.forward(x)), torch.float64, op="matmul", scale=np.asarray(1.0))


@claim("d2l-rand-weight-not-registered")
def test_constant_weight_is_not_a_parameter(device):
    net = ZOO["d2l_fixed_hidden"].build().to(device)
    assert [n for n, _ in net.named_parameters()] == ["linear.weight", "linear.bias"]
    assert "rand_weight" not in net.state_dict()
    before = net.rand_weight.clone()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    net(torch.rand(2, 20, device=device)).backward()
    optimizer.step()
    assert torch.equal(net.rand_weight, before)
    # the seed's form: a plain tensor attribute is neither parameter nor buffer
    plain = nn.Module()
    plain.rand_weight = torch.rand((20, 20), requires_grad=False, device=device)
    assert list(plain.parameters()) == [] and list(plain.buffers()) == [] and plain.state_dict() == {}


@claim("d2l-chimera")
def test_chimera_runs_and_is_bounded(device):
    net, twin = build("d2l_chimera", device)
    assert [type(m).__name__ for m in net] == ["NestMLP", "Linear", "FixedHiddenMLP"]
    x, _, tx, _ = batch("d2l_chimera", 2, device)
    out = net(tx)
    assert out.shape == () and abs(out.item()) <= 1
    assert_matches(out, np.asarray(twin.forward(x)), torch.float64, op="matmul", scale=np.asarray(1.0))


# --------------------------------------------------------------------------- 001 d2l: parameter management


def small_net(device) -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1)).to(device)


@claim("d2l-state-dict-keys")
def test_state_dict_of_a_layer(device):
    net = small_net(device)
    sd = net[2].state_dict()
    assert type(sd) is OrderedDict
    assert [(k, tuple(v.shape)) for k, v in sd.items()] == [("weight", (1, 8)), ("bias", (1,))]
    assert torch.equal(net.state_dict()["2.bias"].data, net[2].bias.data)


@claim("d2l-parameter-type-repr")
def test_parameter_type_and_repr(device):
    net = small_net(device)
    with torch.no_grad():
        net[2].bias.fill_(0.0887)
    assert str(type(net[2].bias)) == "<class 'torch.nn.parameter.Parameter'>"
    bias = net.to("cpu")[2].bias  # the printed reprs are of a CPU tensor
    assert repr(bias) == "Parameter containing:\ntensor([0.0887], requires_grad=True)"
    assert repr(bias.data) == "tensor([0.0887])"


@claim("d2l-grad-none-before-backward")
def test_grad_is_none_before_backward(device):
    net = small_net(device)
    assert (net[2].weight.grad == None) is True  # noqa: E711 -- the seed's own comparison


@claim("d2l-named-parameters")
def test_named_parameters_print(device):
    net = small_net(device)
    first = " ".join(str((name, param.shape)) for name, param in net[0].named_parameters())
    whole = " ".join(str((name, param.shape)) for name, param in net.named_parameters())
    assert first == "('weight', torch.Size([8, 4])) ('bias', torch.Size([8]))"
    assert whole == ("('0.weight', torch.Size([8, 4])) ('0.bias', torch.Size([8])) "
                     "('2.weight', torch.Size([1, 8])) ('2.bias', torch.Size([1]))")


def block1():
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU())


def block2():
    net = nn.Sequential()
    for i in range(4):
        net.add_module(f"block {i}", block1())
    return net


_BLOCK = """Sequential(
      (0): Linear(in_features=4, out_features=8, bias=True)
      (1): ReLU()
      (2): Linear(in_features=8, out_features=4, bias=True)
      (3): ReLU()
    )"""
RGNET_REPR = ("Sequential(\n  (0): Sequential(\n"
              + "".join(f"    (block {i}): {_BLOCK}\n" for i in range(4))
              + "  )\n  (1): Linear(in_features=4, out_features=1, bias=True)\n)")


@claim("d2l-rgnet-repr-keys")
def test_nested_rgnet_repr_and_keys(device):
    rgnet = nn.Sequential(block2(), nn.Linear(4, 1)).to(device)
    assert repr(rgnet) == RGNET_REPR
    keys = list(rgnet.state_dict())
    assert keys[0] == "0.block 0.0.weight" and keys[-1] == "1.bias" and len(keys) == 4 * 4 + 2
    assert rgnet(torch.rand(2, 4, device=device)).shape == (2, 1)


@claim("d2l-init-normal-zeros")
def test_init_normal_and_zeros(device):
    net = small_net(device)

    def init_normal(m):
        if type(m) == nn.Linear:
            nn.init.normal_(m.weight, mean=0, std=0.01)
            nn.init.zeros_(m.bias)

    assert net.apply(init_normal) is net
    w = np_of(net[0].weight)
    assert np.all(np.abs(w) < 6 * 0.01) and np.unique(w).size == w.size  # drawn, within 6 sigma
    assert_matches(net[0].bias, np.zeros(8, dtype=np.float32), torch.float32)


@claim("d2l-init-constant")
def test_init_constant(device):
    net = small_net(device)

    def init_constant(m):
        if type(m) == nn.Linear:
            nn.init.constant_(m.weight, 1)
            nn.init.zeros_(m.bias)

    net.apply(init_constant)
    assert_matches(net[0].weight.data[0], np.ones(4, dtype=np.float32), torch.float32)
    assert_matches(net[0].bias.data[0], np.asarray(0.0, dtype=np.float32), torch.float32)


@claim("d2l-init-xavier-42")
def test_init_xavier_and_42(device):
    net = small_net(device)
    net[0].apply(lambda m: nn.init.xavier_uniform_(m.weight) if type(m) == nn.Linear else None)
    net[2].apply(lambda m: nn.init.constant_(m.weight, 42) if type(m) == nn.Linear else None)
    bound = np.sqrt(6.0 / (4 + 8))  # Glorot: fan_in 4, fan_out 8
    assert np.all(np.abs(np_of(net[0].weight)) <= bound)
    assert_matches(net[2].weight.data, np.full((1, 8), 42.0, dtype=np.float32), torch.float32)


@claim("d2l-my-init-mask")
def test_my_init_prints_and_masks(device, capsys):
    net = small_net(device)

    def my_init(m):
        if type(m) == nn.Linear:
            print("Init", *[(name, param.shape) for name, param in m.named_parameters()][0])
            nn.init.uniform_(m.weight, -10, 10)
            m.weight.data *= m.weight.data.abs() >= 5

    net.apply(my_init)
    assert capsys.readouterr().out == "Init weight torch.Size([8, 4])\nInit weight torch.Size([1, 8])\n"
    for layer in (net[0], net[2]):
        w = np_of(layer.weight)
        assert layer.weight.dtype == torch.float32  # *= with a bool mask keeps the float dtype
        assert np.all((w == 0) | ((np.abs(w) >= 5) & (np.abs(w) <= 10))), w


@claim("d2l-direct-set")
def test_setting_parameters_directly(device):
    net = small_net(device)
    before = np_of(net[0].weight).astype(np.float64)
    net[0].weight.data[:] += 1
    net[0].weight.data[0, 0] = 42
    expected = before + 1
    expected[0, 0] = 42
    assert_matches(net[0].weight.data[0], expected[0], torch.float32)


@claim("d2l-tied-weights")
def test_tied_layer_is_one_object_and_sums_gradients(device):
    net, twin = build("d2l_shared", device)
    assert net[2] is net[4]
    assert (net[2].weight.data[0] == net[4].weight.data[0]).tolist() == [True] * 8
    net[2].weight.data[0, 0] = 100
    assert (net[2].weight.data[0] == net[4].weight.data[0]).tolist() == [True] * 8
    twin.load_from(net)
    x, y, tx, ty = batch("d2l_shared", 2, device)
    loss_fn("mse_mean")(net(tx), ty).backward()
    # the shared weight's gradient is the sum of its two uses
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias", "6.weight", "6.bias"]
    assert_grads_match_twin(net, twin.gradients(x, y), "tied net")


@claim("d2l-centered-layer")
def test_centered_layer_has_zero_mean(device):
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    layer = ZOO["d2l_centered"].build()[1]
    y = layer(torch.tensor(x, device=device))
    assert_matches(y, x - x.mean(), torch.float64, op="mean", scale=np.abs(x))


# --------------------------------------------------------------------------- 001 d2l: files


@claim("d2l-save-load-tensors")
def test_save_and_load_tensors_lists_dicts(device, tmp_path):
    x = torch.arange(4, device=device)
    y = torch.zeros(4, device=device)
    torch.save(x, tmp_path / "x-file")
    assert torch.equal(torch.load(tmp_path / "x-file"), x)
    torch.save([x, y], tmp_path / "x-files")
    x2, y2 = torch.load(tmp_path / "x-files")
    assert torch.equal(x2, x) and torch.equal(y2, y) and x2.device == x.device
    torch.save({"x": x, "y": y}, tmp_path / "mydict")
    mydict2 = torch.load(tmp_path / "mydict")
    assert list(mydict2) == ["x", "y"] and torch.equal(mydict2["y"], y)


class MLP(nn.Module):
    """d2l's file-section MLP: its output layer is named ``output`` (the zoo's
    MLP, from the blocks section, names it ``out``), which the printed repr shows."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(20, 256)
        self.output = nn.Linear(256, 10)

    def forward(self, x):
        return self.output(F.relu(self.hidden(x)))


MLP_REPR = """MLP(
  (hidden): Linear(in_features=20, out_features=256, bias=True)
  (output): Linear(in_features=256, out_features=10, bias=True)
)"""


@claim("d2l-save-load-params-clone")
def test_state_dict_round_trip_gives_an_equal_clone(device):
    torch.manual_seed(0)
    net = MLP().to(device)
    X = torch.randn(size=(2, 20), device=device)
    Y = net(X)
    buffer = io.BytesIO()
    torch.save(net.state_dict(), buffer)
    buffer.seek(0)
    clone = MLP().to(device)
    clone.load_state_dict(torch.load(buffer))
    assert repr(clone.eval()) == MLP_REPR
    assert clone.eval() is clone
    assert (clone(X) == Y).all()


# --------------------------------------------------------------------------- 003 course: regression loops


@claim("course-linreg-reaches-loss-below-1")
def test_linear_regression_loop_reaches_its_stopping_rule(device):
    torch.manual_seed(10)
    lr = 0.05
    x = torch.rand(20, 1) * 10
    y = 2 * x + (5 + torch.randn(20, 1))
    w = torch.randn((1), requires_grad=True)
    b = torch.zeros((1), requires_grad=True)
    x, y = x.to(device), y.to(device)
    w, b = (t.detach().to(device).requires_grad_() for t in (w, b))
    stopped = None
    for iteration in range(1000):
        y_pred = torch.add(torch.mul(w, x), b)
        loss = (0.5 * (y - y_pred) ** 2).mean()
        loss.backward()
        b.data.sub_(lr * b.grad)
        w.data.sub_(lr * w.grad)
        w.grad.zero_()
        b.grad.zero_()
        if iteration % 20 == 0 and loss.item() < 1:
            stopped = iteration
            break
    assert stopped is not None, f"loss {loss.item():.4f} still >= 1 after 1000 iterations"
    # the fit it stopped at is no worse than 1 above the least-squares optimum's loss
    xn, yn = np_of(x).astype(np.float64).ravel(), np_of(y).astype(np.float64).ravel()
    slope, intercept = np.polyfit(xn, yn, 1)
    assert 0.5 * np.mean((yn - slope * xn - intercept) ** 2) <= loss.item() < 1


@claim("course-logreg-reaches-accuracy")
def test_logistic_regression_loop_reaches_its_stopping_rule(device):
    torch.manual_seed(10)
    sample_nums, mean_value, bias = 100, 1.7, 1
    n_data = torch.ones(sample_nums, 2)
    x0 = torch.normal(mean_value * n_data, 1) + bias
    y0 = torch.zeros(sample_nums)
    x1 = torch.normal(-mean_value * n_data, 1) + bias
    y1 = torch.ones(sample_nums)
    train_x = torch.cat((x0, x1), 0).to(device)
    train_y = torch.cat((y0, y1), 0).to(device)
    lr_net = LR().to(device)
    loss_fn_ = nn.BCELoss()
    optimizer = torch.optim.SGD(lr_net.parameters(), lr=0.01, momentum=0.9)
    acc = None
    for iteration in range(1000):
        y_pred = lr_net(train_x)
        loss = loss_fn_(y_pred.squeeze(), train_y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if iteration % 50 == 0:
            mask = y_pred.ge(0.5).float().squeeze()
            acc = (mask == train_y).sum().item() / train_y.size(0)
            if acc > 0.99:
                break
    assert acc is not None and acc > 0.99, f"accuracy {acc} after 1000 iterations"
    # the accuracy is recomputed in NumPy from the predictions it was read from
    pred = np_of(y_pred).ravel()
    assert np.mean((pred >= 0.5).astype(np.float64) == np_of(train_y)) == acc
