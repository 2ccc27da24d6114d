"""The tutorial networks against their NumPy twins (issue 5, item 2): forward,
the gradient of the loss for every parameter, and a few training steps with
the tutorial's optimizer, in float64 and float32, on every device."""

import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from torchconform import dtypes, oracle
from torchconform.networks import ZOO, loss_fn
from torchconform.networks.checks import (
    check_dropout_training,
    check_forward,
    check_gradients,
    check_training,
    make_pair,
)

pytestmark = [pytest.mark.area("networks"), pytest.mark.usefixtures("one_thread")]

DTYPES = [torch.float64, torch.float32]
TRAINING_BATCH = 8
NETWORKS = [pytest.param(name, dtype, id=f"{name}-{dtypes.name(dtype)}") for name in ZOO for dtype in DTYPES]


@pytest.mark.capability("forward")
@pytest.mark.parametrize("name, dtype", NETWORKS)
def test_forward_matches_twin(name, dtype, device):
    check_forward(make_pair(ZOO[name], dtype, device))


@pytest.mark.capability("grad")
@pytest.mark.parametrize("name, dtype", NETWORKS)
def test_parameter_gradients_match_twin(name, dtype, device):
    check_gradients(make_pair(ZOO[name], dtype, device))


@pytest.mark.capability("optim")
@pytest.mark.parametrize("name, dtype", NETWORKS)
def test_training_steps_match_twin(name, dtype, device):
    # a few samples suffice for the update rule; the tutorial batches are checked above
    check_training(make_pair(ZOO[name], dtype, device, batch=TRAINING_BATCH))


@pytest.mark.capability("dropout")
@pytest.mark.parametrize("name", [n for n, spec in ZOO.items() if spec.has_dropout])
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
def test_training_mode_with_shared_dropout_masks_matches_twin(name, dtype, device):
    # eval mode is covered above; here a smaller batch keeps the NumPy convolutions quick
    check_dropout_training(make_pair(ZOO[name], dtype, device, batch=8))


@pytest.mark.capability("grad")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
def test_tensor_form_manual_backward_matches_twin(dtype, device):
    # the seed's "tensor" form computes the two-layer backward by hand with torch ops
    pair = make_pair(ZOO["two_layer_numpy"], dtype, device)
    got = pair.module.manual_gradients(pair.x, pair.y)
    for name, expected in pair.twin.gradients(pair.x_np, pair.y_np).items():
        oracle.assert_matches(got[name], expected, dtype, kind="gradient", op="matmul",
                              scale=np.full(expected.shape, np.abs(expected).max()), what=f"manual d loss / d {name}")


@pytest.mark.capability("forward")
def test_dynamic_net_draws_a_depth_per_call_that_the_twin_follows(device):
    pair = make_pair(ZOO["dynamic"], torch.float64, device, batch=4)
    depths = []
    for _ in range(12):
        check_forward(pair)
        assert pair.module.last_depth == pair.twin.block.blocks[2].last_depth
        depths.append(pair.module.last_depth)
    assert set(depths) == {0, 1, 2, 3}, f"12 seeded draws should reach every depth 0..3, got {depths}"


@pytest.mark.capability("forward")
@pytest.mark.parametrize("depth", [0, 3])
def test_dynamic_net_pinned_depth_is_used_every_call(depth, device):
    pair = make_pair(ZOO["dynamic"], torch.float64, device, batch=4, depth=depth)
    for _ in range(3):
        check_forward(pair)
        assert pair.module.last_depth == depth


@pytest.mark.capability("flops")
@pytest.mark.parametrize("name", list(ZOO))
def test_flop_counter_matches_analytic_flops(name, device):
    spec = ZOO[name]
    overrides = {"depth": 2} if name == "dynamic" else {}
    module = spec.build(**overrides).to(device)
    x, y = spec.batch(spec.default_batch, 0)
    x = torch.from_numpy(x).float().to(device)
    y = torch.from_numpy(y).to(device)
    y = y.float() if y.is_floating_point() else y
    with FlopCounterMode(display=False) as forward:
        out = module(x)
    with FlopCounterMode(display=False) as backward:
        loss_fn(spec.loss)(out, y).backward()
    counted = {"forward": forward.get_total_flops(), "backward": backward.get_total_flops()}
    assert counted == spec.flops(spec.default_batch, **overrides)
