"""The nn.Module API the tutorials lean on (issue 5, item 6): parameter names
and order for nested blocks, state_dict keys and loading, apply, .to, the
train/eval flag, requires_grad_, shared parameters, and torch.save/torch.load
round trips (the d2l file I/O section)."""

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from torch import nn

from torchconform import dtypes, oracle, strategies
from torchconform.networks import ZOO
from torchconform.networks.d2l_blocks import FixedHiddenMLP, NestMLP, shared_net

pytestmark = pytest.mark.area("module")


def block1():
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU())


def rgnet():
    """The parameters chapter's nested network."""
    block2 = nn.Sequential()
    for i in range(4):
        block2.add_module(f"block {i}", block1())
    return nn.Sequential(block2, nn.Linear(4, 1))


def chimera():
    return nn.Sequential(NestMLP(), nn.Linear(16, 20), FixedHiddenMLP())


def _linear(prefix, fin, fout):
    return [(f"{prefix}weight", (fout, fin)), (f"{prefix}bias", (fout,))]


# Written out from the modules' structure: registration order, depth first.
EXPECTED_PARAMETERS = {
    "rgnet": [item for i in range(4) for item in _linear(f"0.block {i}.0.", 4, 8) + _linear(f"0.block {i}.2.", 8, 4)]
             + _linear("1.", 4, 1),
    "chimera": _linear("0.net.0.", 20, 64) + _linear("0.net.2.", 64, 32) + _linear("0.linear.", 32, 16)
               + _linear("1.", 16, 20) + _linear("2.linear.", 20, 20),
    "shared": _linear("0.", 4, 8) + _linear("2.", 8, 8) + _linear("6.", 8, 1),
}
BUILDERS = {"rgnet": rgnet, "chimera": chimera, "shared": shared_net}


@pytest.mark.capability("module")
@pytest.mark.parametrize("name", list(EXPECTED_PARAMETERS))
def test_named_parameters_follow_registration_order_depth_first(name, device):
    module = BUILDERS[name]().to(device)
    got = [(n, tuple(p.shape)) for n, p in module.named_parameters()]
    assert got == EXPECTED_PARAMETERS[name]
    assert [p for p in module.parameters()] == [p for _, p in module.named_parameters()]


@pytest.mark.capability("module")
def test_state_dict_holds_parameters_and_persistent_buffers(device):
    module = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), FixedHiddenMLP()).to(device)
    assert list(module.state_dict()) == [
        "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
        "2.linear.weight", "2.linear.bias",
    ], "a non-persistent buffer (FixedHiddenMLP.rand_weight) must stay out of the state_dict"
    assert "2.rand_weight" in dict(module.named_buffers())
    for key, value in module.state_dict().items():
        assert not value.requires_grad, f"state_dict()[{key!r}] must be detached"


@pytest.mark.capability("module")
def test_load_state_dict_copies_values_and_checks_keys(device):
    source, target = ZOO["d2l_mlp"].build().to(device), ZOO["d2l_mlp"].build().to(device)
    with torch.no_grad():
        for p in target.parameters():
            p.zero_()
    before = {n: p for n, p in target.named_parameters()}
    state = source.state_dict()
    target.load_state_dict(state)
    for name, p in target.named_parameters():
        assert p is before[name], "load_state_dict must copy into the existing parameters"
        oracle.assert_matches(p, dtypes.tensor_to_numpy(state[name]), torch.float32, what=f"loaded {name}")
    with torch.no_grad():
        state["hidden.weight"].add_(1.0)
    assert not torch.equal(target.hidden.weight, state["hidden.weight"]), "loaded values must not alias the source"
    with pytest.raises(RuntimeError, match="Missing key"):
        target.load_state_dict({k: v for k, v in state.items() if k != "out.bias"})
    extra = dict(state, **{"out.extra": torch.zeros(1)})
    with pytest.raises(RuntimeError, match="Unexpected key"):
        target.load_state_dict(extra)
    result = target.load_state_dict({k: v for k, v in extra.items() if k != "out.bias"}, strict=False)
    assert (result.missing_keys, result.unexpected_keys) == (["out.bias"], ["out.extra"])


@pytest.mark.capability("module")
def test_apply_visits_every_module_once_children_first(device):
    module = rgnet().to(device)
    visited = []
    assert module.apply(visited.append) is module
    expected = [m for m in module.modules()]
    assert sorted(map(id, visited)) == sorted(map(id, expected)), "apply must visit each module exactly once"
    order = [visited.index(m) for m in (module[0][0][0], module[0][0], module[0], module)]
    assert order == sorted(order), "apply must call fn on the children before their parent"


@pytest.mark.capability("module")
@pytest.mark.parametrize("dtype", [torch.float64, torch.float16], ids=dtypes.name)
def test_to_converts_floating_state_in_place_and_keeps_integer_buffers(dtype, device):
    module = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    params = list(module.parameters())
    values = [dtypes.tensor_to_numpy(p) for p in params]
    assert module.to(device=device, dtype=dtype) is module
    for p, before, after in zip(params, values, module.parameters()):
        assert p is after, ".to must keep the Parameter objects"
        assert p.dtype == dtype and p.device.type == torch.device(device).type
        oracle.assert_matches(p, before.astype(np.float64), dtype, what="converted parameter")
    assert module[1].running_mean.dtype == dtype
    assert module[1].num_batches_tracked.dtype == torch.int64, "integer buffers must keep their dtype"


@pytest.mark.capability("module")
def test_train_and_eval_set_the_flag_on_every_submodule(device):
    module = chimera().to(device)
    assert module.eval() is module
    assert not any(m.training for m in module.modules())
    module.train()
    assert all(m.training for m in module.modules())
    module.train(False)
    assert not any(m.training for m in module.modules())


@pytest.mark.capability("module")
def test_requires_grad_false_freezes_every_parameter(device):
    module = rgnet().to(device)
    module.requires_grad_(False)
    assert not any(p.requires_grad for p in module.parameters())
    x = torch.rand(2, 4, device=device, requires_grad=True)
    module(x).sum().backward()
    assert all(p.grad is None for p in module.parameters())
    assert x.grad is not None, "inputs still get gradients through a frozen module"


@pytest.mark.capability("module")
def test_shared_layer_is_one_parameter_whose_gradient_adds_both_uses(device):
    net = shared_net().to(device).double()
    assert net[2].weight is net[4].weight
    assert len(list(net.parameters())) == 6, "a shared parameter is listed once"
    with torch.no_grad():
        net[2].weight[0, 0] = 100
    assert net[4].weight[0, 0].item() == 100
    x = torch.rand(3, 4, device=device, dtype=torch.float64)
    net(x).sum().backward()
    # the same network with the second use given its own copy of the weight
    w2 = net[2].weight.detach().clone().requires_grad_(True)
    w4 = net[2].weight.detach().clone().requires_grad_(True)
    h = torch.relu(net[0](x))
    h = torch.relu(nn.functional.linear(h, w2, net[2].bias.detach()))
    h = torch.relu(nn.functional.linear(h, w4, net[2].bias.detach()))
    net[6](h).sum().backward()
    expected = dtypes.tensor_to_numpy(w2.grad) + dtypes.tensor_to_numpy(w4.grad)
    oracle.assert_matches(net[2].weight.grad, expected, torch.float64, kind="gradient", op="sum",
                          scale=np.abs(dtypes.tensor_to_numpy(w2.grad)) + np.abs(dtypes.tensor_to_numpy(w4.grad)),
                          what="gradient of the shared weight")


# --------------------------------------------------------------------------- torch.save / torch.load


def assert_same_tensor(loaded: torch.Tensor, saved: torch.Tensor, what: str) -> None:
    assert loaded.dtype == saved.dtype and loaded.shape == saved.shape and loaded.device == saved.device, what
    np.testing.assert_array_equal(dtypes.tensor_to_numpy(loaded), dtypes.tensor_to_numpy(saved), err_msg=what)


@pytest.mark.capability("serialization")
@given(data=st.data())
def test_save_load_round_trips_tensors_lists_and_dicts(device, data, tmp_path_factory):
    dtype = data.draw(strategies.dtypes_for(device), label="dtype")
    x = data.draw(strategies.tensors(dtype, device=device), label="x").tensor
    y = data.draw(strategies.tensors(dtype, device=device), label="y").tensor
    path = tmp_path_factory.mktemp("io") / "x-file"
    for obj in (x, [x, y], {"x": x, "y": y}):
        torch.save(obj, path)
        loaded = torch.load(path)
        assert type(loaded) is type(obj)
        pairs = [(loaded, obj)] if isinstance(obj, torch.Tensor) else \
            zip(loaded, obj) if isinstance(obj, list) else [(loaded[k], obj[k]) for k in obj]
        for got, want in pairs:
            assert_same_tensor(got, want, f"round trip of {type(obj).__name__}")


@pytest.mark.capability("serialization")
def test_save_load_keeps_views_sharing_storage(device, tmp_path):
    base = torch.arange(12.0, device=device)
    torch.save([base, base[2:6], base.view(3, 4)], tmp_path / "views")
    whole, part, grid = torch.load(tmp_path / "views")
    part[0] = -1.0
    assert whole[2].item() == -1.0 and grid[0, 2].item() == -1.0, "views saved together must share storage again"


@pytest.mark.capability("serialization")
def test_state_dict_round_trip_restores_the_model(device, tmp_path):
    # d2l: save net.state_dict(), rebuild MLP(), load, and the clone computes the same
    spec = ZOO["d2l_mlp"]
    net = spec.build().to(device)
    torch.save(net.state_dict(), tmp_path / "mlp.params")
    torch.manual_seed(1)
    clone = type(net)().to(device)
    clone.load_state_dict(torch.load(tmp_path / "mlp.params"))
    clone.eval()
    x = torch.randn(2, 20, device=device)
    np.testing.assert_array_equal(dtypes.tensor_to_numpy(clone(x)), dtypes.tensor_to_numpy(net(x)))
