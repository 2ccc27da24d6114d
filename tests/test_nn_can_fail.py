"""Every nn/optim/network check can fail: a broken torch (a patched layer, a
wrong backward, a wrong optimizer, a non-recursive train()) or a twin fed a
wrong parameter must make the conformance check raise, with a message that
says what was compared.

Hypothesis tests are run through ``.hypothesis.inner_test`` on one fixed
example, so each case is quick and deterministic.
"""

import dataclasses
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conformance import test_module_api, test_nn_init, test_nn_layers, test_nn_losses, test_nn_recurrent, test_optim
from tests.can_fail import failure_of
from torchconform import nncheck
from torchconform.networks import ZOO, OptimSpec, checks
from torchconform.references import nn_expected as expected


def inner(test):
    return test.hypothesis.inner_test


# --------------------------------------------------------------------------- networks


@pytest.mark.parametrize("name", ["two_layer", "lenet", "d2l_shared"])
def test_twin_with_a_wrong_parameter_fails_forward_and_gradients(name):
    pair = checks.make_pair(ZOO[name], torch.float64, "cpu")
    first = next(iter(pair.twin.params))
    pair.twin.params[first] = pair.twin.params[first] * 1.001
    with pytest.raises(AssertionError, match=f"{name} forward"):
        checks.check_forward(pair)
    with pytest.raises(AssertionError, match=f"{name} d loss / d "):
        checks.check_gradients(pair)


def test_patched_pooling_fails_the_network_check(monkeypatch):
    pair = checks.make_pair(ZOO["lenet"], torch.float32, "cpu")
    monkeypatch.setattr(F, "max_pool2d", lambda x, k, *a, **kw: F.avg_pool2d(x, k))
    with pytest.raises(AssertionError, match="lenet forward"):
        checks.check_forward(pair)


def test_wrong_backward_fails_the_network_gradient_check(monkeypatch):
    class ScaledGradient(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clamp(min=0)

        @staticmethod
        def backward(ctx, g):
            return 1.01 * g  # forgets the ReLU mask and scales

    pair = checks.make_pair(ZOO["two_layer_myrelu"], torch.float64, "cpu")
    pair.module.relu = ScaledGradient.apply
    checks.check_forward(pair)  # the forward is still right
    with pytest.raises(AssertionError, match="two_layer_myrelu d loss / d w1"):
        checks.check_gradients(pair)


def test_wrong_optimizer_fails_the_training_check():
    spec = ZOO["cifar"]
    wrong = dataclasses.replace(spec, optimizer=OptimSpec("SGD", {"lr": 0.001, "momentum": 0.8}))
    pair = checks.make_pair(spec, torch.float64, "cpu", batch=4)
    pair.spec = wrong
    with pytest.raises(AssertionError, match="cifar losses over 3 SGD"):
        checks.check_training(pair)


def test_different_dropout_masks_fail_the_training_mode_check(monkeypatch):
    pair = checks.make_pair(ZOO["mnist"], torch.float64, "cpu", batch=4)
    other = pair.twin.draw_dropout_masks(pair.x_np, seed=2)
    original = checks.use_dropout_masks
    monkeypatch.setattr(checks, "use_dropout_masks", lambda module, masks: original(module, other))
    with pytest.raises(AssertionError, match="mnist forward"):
        checks.check_dropout_training(pair, seed=1)


def test_dynamic_net_out_of_step_with_its_twin_fails():
    pair = checks.make_pair(ZOO["dynamic"], torch.float64, "cpu", batch=4)
    pair.module.rng.seed(12345)  # the module now draws other depths than the twin
    with pytest.raises(AssertionError, match="dynamic forward"):
        for _ in range(8):
            checks.check_forward(pair)


# --------------------------------------------------------------------------- layers and losses


def test_conv2d_that_forgets_its_bias_fails(monkeypatch):
    original = F.conv2d
    monkeypatch.setattr(F, "conv2d", lambda x, w, b=None, *args: original(x, w, None, *args))
    cfg = dict(cin=2, cout=2, groups=1, kernel=(3, 3), stride=(1, 1), padding=(1, 1), dilation=(1, 1),
               hw=(4, 4), batch=1, bias=True)
    with pytest.raises(AssertionError, match="Conv2d"):
        inner(test_nn_layers.test_conv2d_matches_numpy)(dtype=torch.float64, device="cpu", cfg=cfg, seed=0)


def test_linear_with_a_wrong_weight_gradient_fails(monkeypatch):
    original = F.linear

    class WrongLinear(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, w, b):
            ctx.save_for_backward(x, w)
            return original(x, w, b)

        @staticmethod
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            g2, x2 = g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1])
            return g @ w, 2 * g2.T @ x2, g2.sum(0)  # the weight gradient doubled

    monkeypatch.setattr(F, "linear", lambda x, w, b=None: WrongLinear.apply(x, w, b))
    with pytest.raises(AssertionError, match="d/dweight"):
        inner(test_nn_layers.test_linear_matches_numpy)(dtype=torch.float64, device="cpu", lead=[2], fin=3, fout=2,
                                                        bias=True, seed=0)


def test_cross_entropy_ignoring_label_smoothing_fails(monkeypatch):
    original = F.cross_entropy
    monkeypatch.setattr(F, "cross_entropy", lambda *a, label_smoothing=0.0, **kw: original(*a, **kw))
    case = dict(shape=(3, 4), target=np.array([3, 1, 0]), ignore_index=-100, weighted=False)
    with pytest.raises(AssertionError, match="CrossEntropyLoss"):
        inner(test_nn_losses.test_cross_entropy_loss_matches_numpy)(
            reduction="mean", dtype=torch.float64, device="cpu", case=case, smoothing=0.1, magnitude=1.0, seed=0)


def test_dropout_that_does_not_rescale_fails(monkeypatch):
    original = F.dropout
    monkeypatch.setattr(F, "dropout", lambda x, p=0.5, training=True, inplace=False:
                        original(x, p, training) * (1 - p))
    with pytest.raises(AssertionError, match="kept values"):
        test_nn_layers.test_dropout_zeroes_a_binomial_fraction_and_scales_the_rest(0.5, "cpu")


# --------------------------------------------------------------------------- init


@pytest.mark.parametrize("init, message", [("kaiming_uniform_", "outside"), ("kaiming_normal_", "rejected")])
def test_kaiming_init_with_the_wrong_gain_fails(init, message, monkeypatch):
    # uniform draws beyond the bound fail the support check; normal ones the statistics
    original = getattr(torch.nn.init, init)
    monkeypatch.setattr(torch.nn.init, init, lambda t, **kw: original(t, **kw).mul_(1.1))
    with pytest.raises(AssertionError, match=f"{init}.*{message}"):
        test_nn_init.test_kaiming_inits_scale_with_the_chosen_fan_and_gain(
            "relu", 0.0, "fan_in", (256, 160), torch.float32, "cpu")


def test_check_distribution_rejects_a_shifted_mean():
    torch.manual_seed(0)
    values = (torch.randn(20_000, dtype=torch.float64) + 0.05).numpy()
    with pytest.raises(AssertionError, match="mean p="):
        test_nn_init.check_distribution(values, test_nn_init.scipy.stats.norm(0, 1), "shifted normal")


# --------------------------------------------------------------------------- optim and module API


def test_sgd_ignoring_dampening_fails(monkeypatch):
    class NoDampening(torch.optim.SGD):
        def __init__(self, params, dampening=0.0, **kw):
            super().__init__(params, dampening=0.0, **kw)

    monkeypatch.setattr(torch.optim, "SGD", NoDampening)
    hyper = {"lr": 0.1, "momentum": 0.5, "dampening": 0.3, "weight_decay": 0.0, "nesterov": False}
    make = lambda lists: torch.optim.SGD(lists[0], **hyper)  # noqa: E731
    with pytest.raises(AssertionError, match="after steps"):
        test_optim.run_steps([([(3,)], test_optim.ref.SGD(**hyper))], make, [[True]] * 3, torch.float64, "cpu", 0,
                             "SGD")


def test_adam_without_bias_correction_fails(monkeypatch):
    # Adam with bias correction dropped from the step size: lr / (1 - beta1**t) becomes lr
    original = torch.optim.Adam

    def without_correction(params, lr=1e-3, betas=(0.9, 0.999), **kw):
        return original(params, lr=lr * (1 - betas[0]) / math.sqrt(1 - betas[1]), betas=betas, **kw)

    monkeypatch.setattr(torch.optim, "Adam", without_correction)
    hyper = {"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False}
    make = lambda lists: torch.optim.Adam(lists[0], **hyper)  # noqa: E731
    with pytest.raises(AssertionError, match="Adam"):
        test_optim.run_steps([([(2, 2)], test_optim.ref.Adam(**hyper))], make, [[True]] * 2, torch.float64, "cpu", 0,
                             "Adam")


def test_train_that_does_not_recurse_fails(monkeypatch):
    def shallow_train(self, mode=True):
        self.training = mode
        return self

    monkeypatch.setattr(torch.nn.Module, "train", shallow_train)
    with pytest.raises(AssertionError):
        test_module_api.test_train_and_eval_set_the_flag_on_every_submodule("cpu")


def test_load_state_dict_that_aliases_fails(monkeypatch):
    def aliasing_load(self, state_dict, strict=True, assign=False):
        for name, value in state_dict.items():
            module_name, _, attr = name.rpartition(".")
            setattr(self.get_submodule(module_name), attr, torch.nn.Parameter(value, requires_grad=False))

    monkeypatch.setattr(torch.nn.Module, "load_state_dict", aliasing_load)
    with pytest.raises(AssertionError, match="copy into the existing parameters"):
        test_module_api.test_load_state_dict_copies_values_and_checks_keys("cpu")


# --------------------------------------------------------------------------- the nn engine


def test_a_result_of_the_wrong_dtype_fails_the_engine():
    # the expected dtype is the inputs' dtype, not whatever torch returned
    case = nncheck.Case("ReLU", lambda x: torch.relu(x).double(), expected.relu)
    with pytest.raises(AssertionError, match=r"(?s)ReLU.*dtype float64 != expected float32"):
        case.check([np.ones((2, 3))], torch.float32, "cpu", 0)


def test_a_wrong_gradient_fails_the_engine():
    class Doubled(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return torch.tanh(x)

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    case = nncheck.Case("Tanh", Doubled.apply, expected.tanh)
    with pytest.raises(AssertionError, match="Tanh: d/dx"):
        case.check([np.linspace(-1, 1, 6)], torch.float64, "cpu", 0)


def test_packing_that_ignores_the_lengths_fails_the_packed_sequence_check(monkeypatch):
    """A pack_padded_sequence that runs every sequence over the whole padded
    length (as if all lengths were T): the real property fails on outputs
    and states of the shorter sequences."""
    pack = test_nn_recurrent.pack_padded_sequence
    monkeypatch.setattr(test_nn_recurrent, "pack_padded_sequence",
                        lambda x, lengths, **kw: pack(x, torch.full_like(lengths, x.shape[0]), **kw))
    found = failure_of(test_nn_recurrent.test_packed_sequences_run_each_sequence_over_its_own_length,
                       name="gru", dtype=torch.float64, device="cpu")
    assert "GRU" in found and "packed lengths" in found, found
