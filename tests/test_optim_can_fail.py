"""The optimizer and scheduler checks can fail: a torch optimizer or
scheduler changed the way a real bug would (a dropped term, a recursion that
drifts, an off-by-one epoch) makes the conformance test raise, naming what
it compared. Hypothesis tests run through ``.hypothesis.inner_test`` on one
fixed example."""

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler

from conformance import test_lr_schedulers, test_optim


def inner(test):
    return test.hypothesis.inner_test


class _Draws:
    """A stand-in for Hypothesis' ``data``: draws the given values in order."""

    def __init__(self, *values):
        self.values = list(values)

    def draw(self, strategy, label=None):
        return self.values.pop(0)


def test_nadam_without_its_momentum_schedule_fails(monkeypatch):
    # momentum_decay ignored: mu_t = beta1 / 2 instead of beta1 (1 - 0.96**(t psi) / 2)
    original = torch.optim.NAdam
    monkeypatch.setattr(torch.optim, "NAdam", lambda params, momentum_decay=4e-3, **kw: original(
        params, momentum_decay=0.0, **kw))
    hyper = {"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "momentum_decay": 4e-3,
             "decoupled_weight_decay": False, "maximize": False}
    with pytest.raises(AssertionError, match=r"NAdam\(.*after steps"):
        inner(test_optim.test_optimizer_follows_its_update_rule)(
            name="NAdam", impl="foreach", dtype=torch.float64, device="cpu",
            data=_Draws(hyper, [(3,)], [[True]] * 3), seed=0)


def test_rprop_that_ignores_maximize_fails(monkeypatch):
    original = torch.optim.Rprop
    monkeypatch.setattr(torch.optim, "Rprop", lambda params, maximize=False, **kw: original(params, **kw))
    hyper = {"lr": 0.01, "etas": (0.5, 1.2), "step_sizes": (1e-6, 50.0), "maximize": True}
    with pytest.raises(AssertionError, match="Rprop"):
        inner(test_optim.test_optimizer_follows_its_update_rule)(
            name="Rprop", impl="for-loop", dtype=torch.float64, device="cpu",
            data=_Draws(hyper, [(2,)], [[True]] * 2), seed=1)


def test_lbfgs_with_a_short_history_fails(monkeypatch):
    # the reference keeps two pairs, torch only one
    original = torch.optim.LBFGS
    monkeypatch.setattr(torch.optim, "LBFGS", lambda params, history_size=100, **kw: original(
        params, history_size=1, **kw))
    rng = np.random.default_rng(0)
    a = np.diag([0.5, 1.0, 2.0])
    with pytest.raises(AssertionError, match="LBFGS"):
        inner(test_optim.test_lbfgs_without_line_search_follows_the_two_loop_recursion)(
            device="cpu", quadratic=(a, rng.standard_normal(3), rng.standard_normal(3)), lr=1.0, history=2,
            iterations=4)


def test_cosine_annealing_off_by_one_epoch_fails(monkeypatch):
    original = lr_scheduler.CosineAnnealingLR.get_lr

    def late(self):
        self.last_epoch -= 1
        try:
            return original(self)
        finally:
            self.last_epoch += 1

    monkeypatch.setattr(lr_scheduler.CosineAnnealingLR, "get_lr", late)
    with pytest.raises(AssertionError, match=r"CosineAnnealingLR.*lr at epochs"):
        inner(test_lr_schedulers.test_schedule_follows_its_closed_form)(
            name="CosineAnnealingLR", data=_Draws({"T_max": 5, "eta_min": 0.0}), bases=(0.1, 0.02))


def test_plateau_without_cooldown_fails(monkeypatch):
    original = lr_scheduler.ReduceLROnPlateau.__init__
    monkeypatch.setattr(lr_scheduler.ReduceLROnPlateau, "__init__",
                        lambda self, optimizer, cooldown=0, **kw: original(self, optimizer, **kw))
    options = {"mode": "min", "factor": 0.5, "patience": 0, "threshold": 1e-4, "threshold_mode": "rel",
               "cooldown": 2, "min_lr": 0.0, "eps": 1e-8}
    with pytest.raises(AssertionError, match="ReduceLROnPlateau"):
        inner(test_lr_schedulers.test_reduce_on_plateau_follows_its_rule)(
            bases=(0.1, 0.02), options=options, metrics=[1.0, 1.0, 1.0, 1.0])
