"""torch.optim.lr_scheduler against the closed forms of
``torchconform.references.schedules`` (issue 14, item 3): every scheduler,
stepped over many epochs with two parameter groups of their own base rates.
After construction and after every ``step()`` both the optimizer's rates and
``get_last_lr()`` must be the closed form's; CyclicLR and OneCycleLR also
cycle the momentum. ``step(epoch)`` jumps (the deprecated form) must land on
the closed form where torch documents one, CosineAnnealingWarmRestarts takes
fractional epochs, and ReduceLROnPlateau follows its documented rule over a
drawn metric sequence.

Rates are compared as float64 arrays (one row per epoch, one column per
group). Torch computes most schedules recursively, each rate from the last,
so its error grows with the epoch; it is judged against the size of the
rates the schedule moves between (``scale``), the error of a closed form made
of terms that large.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from torch.optim import lr_scheduler as sched

from torchconform import oracle
from torchconform.references import schedules as ref

pytestmark = [pytest.mark.area("optim"), pytest.mark.capability("lr_scheduler")]

EPOCHS = 40
BASES = st.sampled_from([(0.1, 0.02), (1.0, 0.5), (0.05, 0.3)])

#: name -> lr_lambda, for LambdaLR (a factor of the epoch) and MultiplicativeLR (a factor per epoch)
LAMBDAS: dict[str, Callable[[int], float]] = {
    "1/(1+e)": lambda e: 1 / (1 + e),
    "0.9**e": lambda e: 0.9**e,
    "0.95": lambda e: 0.95,
    "1 + 0.1 sin e": lambda e: 1 + 0.1 * math.sin(e),
}


@dataclass(frozen=True)
class Schedule:
    """A scheduler: its drawn options, how to build it on an optimizer, the
    closed form of one group's rate (``base``, epoch, options) and whether
    its error is relative to the rate itself (decays: products of factors)
    or to the base rate (schedules that add terms of that size)."""

    options: st.SearchStrategy
    build: Callable[[torch.optim.Optimizer, dict], object]
    closed: Callable[[float, int, dict], float]
    relative: bool = False


def _factor_schedulers():
    """Options of the multiplicative schedulers ChainedScheduler and
    SequentialLR combine, each as (name, options)."""
    return st.one_of(
        st.tuples(st.just("StepLR"), SCHEDULES["StepLR"].options),
        st.tuples(st.just("ExponentialLR"), SCHEDULES["ExponentialLR"].options),
        st.tuples(st.just("ConstantLR"), SCHEDULES["ConstantLR"].options),
        st.tuples(st.just("LinearLR"), SCHEDULES["LinearLR"].options),
        st.tuples(st.just("MultiStepLR"), SCHEDULES["MultiStepLR"].options),
        st.tuples(st.just("PolynomialLR"), SCHEDULES["PolynomialLR"].options),
    )


def _lambda(kw):
    return LAMBDAS[kw["lr_lambda"]]


SCHEDULES: dict[str, Schedule] = {
    "StepLR": Schedule(
        st.fixed_dictionaries({"step_size": st.integers(1, 10), "gamma": st.sampled_from([0.1, 0.5, 0.9])}),
        lambda o, kw: sched.StepLR(o, **kw), lambda b, e, kw: ref.step_lr(b, e, **kw), relative=True),
    "MultiStepLR": Schedule(
        st.fixed_dictionaries({"milestones": st.lists(st.integers(1, EPOCHS), max_size=5),
                               "gamma": st.sampled_from([0.1, 0.5])}),
        lambda o, kw: sched.MultiStepLR(o, **kw), lambda b, e, kw: ref.multistep_lr(b, e, **kw), relative=True),
    "ExponentialLR": Schedule(
        st.fixed_dictionaries({"gamma": st.sampled_from([0.5, 0.9, 0.99, 1.05])}),
        lambda o, kw: sched.ExponentialLR(o, **kw), lambda b, e, kw: ref.exponential_lr(b, e, **kw), relative=True),
    "CosineAnnealingLR": Schedule(
        st.fixed_dictionaries({"T_max": st.integers(1, 15), "eta_min": st.sampled_from([0.0, 1e-3])}),
        lambda o, kw: sched.CosineAnnealingLR(o, **kw), lambda b, e, kw: ref.cosine_annealing_lr(b, e, **kw)),
    "CosineAnnealingWarmRestarts": Schedule(
        st.fixed_dictionaries({"T_0": st.integers(1, 10), "T_mult": st.integers(1, 3),
                               "eta_min": st.sampled_from([0.0, 1e-3])}),
        lambda o, kw: sched.CosineAnnealingWarmRestarts(o, **kw),
        lambda b, e, kw: ref.cosine_warm_restarts_lr(b, e, **kw)),
    "LinearLR": Schedule(
        st.fixed_dictionaries({"start_factor": st.sampled_from([0.1, 0.5, 1.0]),
                               "end_factor": st.sampled_from([1.0, 0.2]), "total_iters": st.integers(1, 10)}),
        lambda o, kw: sched.LinearLR(o, **kw), lambda b, e, kw: ref.linear_lr(b, e, **kw)),
    "ConstantLR": Schedule(
        st.fixed_dictionaries({"factor": st.sampled_from([0.1, 0.5, 1 / 3]), "total_iters": st.integers(1, 10)}),
        lambda o, kw: sched.ConstantLR(o, **kw), lambda b, e, kw: ref.constant_lr(b, e, **kw), relative=True),
    "PolynomialLR": Schedule(
        st.fixed_dictionaries({"total_iters": st.integers(1, 10), "power": st.sampled_from([1.0, 2.0, 0.5])}),
        lambda o, kw: sched.PolynomialLR(o, **kw), lambda b, e, kw: ref.polynomial_lr(b, e, **kw)),
    "LambdaLR": Schedule(
        st.fixed_dictionaries({"lr_lambda": st.sampled_from(sorted(LAMBDAS))}),
        lambda o, kw: sched.LambdaLR(o, _lambda(kw)), lambda b, e, kw: ref.lambda_lr(b, e, _lambda(kw)),
        relative=True),
    "MultiplicativeLR": Schedule(
        st.fixed_dictionaries({"lr_lambda": st.sampled_from(sorted(LAMBDAS))}),
        lambda o, kw: sched.MultiplicativeLR(o, _lambda(kw)),
        lambda b, e, kw: ref.multiplicative_lr(b, e, _lambda(kw)), relative=True),
}


def _build_named(optimizer, named):
    name, options = named
    return SCHEDULES[name].build(optimizer, options)


def _closed_named(base, e, named):
    name, options = named
    return SCHEDULES[name].closed(base, e, options)


SCHEDULES["ChainedScheduler"] = Schedule(
    st.fixed_dictionaries({"chain": st.lists(_factor_schedulers(), min_size=1, max_size=3)}),
    lambda o, kw: sched.ChainedScheduler([_build_named(o, s) for s in kw["chain"]]),
    # every scheduler in the chain multiplies the rate by its own factor
    lambda b, e, kw: b * math.prod(_closed_named(b, e, s) / b for s in kw["chain"]))
SCHEDULES["SequentialLR"] = Schedule(
    st.fixed_dictionaries({
        "parts": st.lists(st.one_of(_factor_schedulers(), st.tuples(
            st.just("CosineAnnealingLR"), SCHEDULES["CosineAnnealingLR"].options)), min_size=2, max_size=3),
        "gaps": st.lists(st.integers(1, 12), min_size=2, max_size=2)}),
    lambda o, kw: sched.SequentialLR(o, [_build_named(o, s) for s in kw["parts"]],
                                     milestones=list(np.cumsum(kw["gaps"][: len(kw["parts"]) - 1]))),
    lambda b, e, kw: ref.sequential(e, [lambda k, s=s: _closed_named(b, k, s) for s in kw["parts"]],
                                    list(np.cumsum(kw["gaps"][: len(kw["parts"]) - 1]))))


def _optimizer(bases, momentum=0.0):
    params = [torch.nn.Parameter(torch.zeros(1, dtype=torch.float64)) for _ in bases]
    return torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, bases)], momentum=momentum)


def _rates(optimizer, key="lr"):
    return [group[key] for group in optimizer.param_groups]


def _assert_rates(got, want, scale, what):
    oracle.assert_matches(np.array(got, dtype=np.float64), np.array(want, dtype=np.float64), torch.float64,
                          scale=scale, what=what)


def follow(scheduler, optimizer, epochs, want_at, scale, what, key="lr"):
    """Step ``epochs`` times; the rates (and ``get_last_lr()`` for the
    learning rate) at every epoch from 0 must be ``want_at(epoch)``."""
    got, last, want = [_rates(optimizer, key)], [scheduler.get_last_lr()], [want_at(0)]
    for epoch in range(1, epochs + 1):
        optimizer.step()
        scheduler.step()
        got.append(_rates(optimizer, key))
        last.append(scheduler.get_last_lr())
        want.append(want_at(epoch))
    _assert_rates(got, want, scale(np.array(want)), f"{what}: {key} at epochs 0..{epochs} (row = epoch)")
    if key == "lr":
        _assert_rates(last, want, scale(np.array(want)), f"{what}: get_last_lr() at epochs 0..{epochs}")


@pytest.mark.parametrize("name", SCHEDULES)
@given(data=st.data(), bases=BASES)
def test_schedule_follows_its_closed_form(name, data, bases):
    schedule = SCHEDULES[name]
    options = data.draw(schedule.options, label="options")
    optimizer = _optimizer(bases)
    scheduler = schedule.build(optimizer, options)
    scale = (lambda want: np.abs(want)) if schedule.relative else (lambda want: np.broadcast_to(bases, want.shape))
    follow(scheduler, optimizer, EPOCHS, lambda e: [schedule.closed(b, e, options) for b in bases], scale,
           f"{name}({options}) from base rates {bases}")


CLOSED_FORM_JUMPS = ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "ConstantLR",
                     "PolynomialLR"]


@pytest.mark.parametrize("name", CLOSED_FORM_JUMPS)
@given(data=st.data(), bases=BASES, epochs=st.lists(st.integers(0, EPOCHS), min_size=1, max_size=6))
def test_step_with_an_epoch_jumps_to_the_closed_form(name, data, bases, epochs):
    # The deprecated step(epoch) of these schedulers sets the closed form's rate at that epoch, in any order.
    schedule = SCHEDULES[name]
    options = data.draw(schedule.options, label="options")
    optimizer = _optimizer(bases)
    scheduler = schedule.build(optimizer, options)
    got, last, want = [], [], []
    for epoch in epochs:
        optimizer.step()
        with pytest.warns(UserWarning, match="epoch"):
            scheduler.step(epoch)
        got.append(_rates(optimizer))
        last.append(scheduler.get_last_lr())
        want.append([schedule.closed(b, epoch, options) for b in bases])
    scale = np.broadcast_to(bases, np.shape(want))
    _assert_rates(got, want, scale, f"{name}({options}).step(epoch) for epochs {epochs}")
    _assert_rates(last, want, scale, f"{name}({options}).step(epoch) then get_last_lr(), epochs {epochs}")


@given(bases=BASES, options=SCHEDULES["CosineAnnealingWarmRestarts"].options,
       epochs=st.lists(st.floats(0, EPOCHS, allow_subnormal=False), min_size=1, max_size=6))
def test_warm_restarts_take_fractional_epochs(bases, options, epochs):
    # documented use: scheduler.step(epoch + i / iters) inside an epoch
    optimizer = _optimizer(bases)
    scheduler = sched.CosineAnnealingWarmRestarts(optimizer, **options)
    got, want = [], []
    for epoch in epochs:
        optimizer.step()
        scheduler.step(epoch)
        got.append(_rates(optimizer))
        want.append([ref.cosine_warm_restarts_lr(b, epoch, **options) for b in bases])
    _assert_rates(got, want, np.broadcast_to(bases, np.shape(want)),
                  f"CosineAnnealingWarmRestarts({options}).step(epoch) for epochs {epochs}")


ONE_CYCLE = st.fixed_dictionaries({
    "total_steps": st.integers(10, EPOCHS), "pct_start": st.sampled_from([0.3, 0.25, 0.45]),
    "anneal_strategy": st.sampled_from(["cos", "linear"]), "three_phase": st.booleans(),
    "div_factor": st.sampled_from([25.0, 4.0]), "final_div_factor": st.sampled_from([1e4, 10.0])})


@given(bases=BASES, options=ONE_CYCLE, momenta=st.sampled_from([(0.85, 0.95), (0.5, 0.9)]))
def test_one_cycle_rate_and_momentum_follow_the_cycle(bases, options, momenta):
    # max_lr per group: the drawn base rates (OneCycleLR replaces the optimizer's own)
    optimizer = _optimizer(bases, momentum=0.9)
    base_m, max_m = momenta
    scheduler = sched.OneCycleLR(optimizer, max_lr=list(bases), base_momentum=base_m, max_momentum=max_m, **options)
    shape = {k: options[k] for k in ("total_steps", "pct_start", "anneal_strategy", "three_phase")}

    def rates(e):
        return [ref.one_cycle(e, low=b / options["div_factor"], high=b,
                              final=b / options["div_factor"] / options["final_div_factor"], **shape) for b in bases]

    def momentum(e):
        return [ref.one_cycle(e, low=max_m, high=base_m, final=max_m, **shape)] * len(bases)

    steps = options["total_steps"] - 1
    follow(scheduler, optimizer, steps, rates, lambda w: np.broadcast_to(bases, w.shape), f"OneCycleLR({options})")
    optimizer = _optimizer(bases, momentum=0.9)
    scheduler = sched.OneCycleLR(optimizer, max_lr=list(bases), base_momentum=base_m, max_momentum=max_m, **options)
    follow(scheduler, optimizer, steps, momentum, lambda w: np.full(w.shape, max_m), f"OneCycleLR({options})",
           key="momentum")
    with pytest.raises(ValueError, match="total steps"):
        for _ in range(3):
            scheduler.step()


CYCLIC = st.fixed_dictionaries({
    "step_size_up": st.integers(1, 6), "step_size_down": st.none() | st.integers(1, 6),
    "mode": st.sampled_from(["triangular", "triangular2", "exp_range"]), "gamma": st.sampled_from([0.9, 0.99])})


@given(bases=BASES, options=CYCLIC, momenta=st.sampled_from([(0.8, 0.9), (0.5, 0.95)]))
def test_cyclic_rate_and_momentum_follow_the_triangle(bases, options, momenta):
    # base_lr per group: a fifth of the drawn rate, max_lr the drawn rate
    lows = [b / 5 for b in bases]
    base_m, max_m = momenta

    def build():
        optimizer = _optimizer(bases, momentum=0.9)
        return optimizer, sched.CyclicLR(optimizer, base_lr=lows, max_lr=list(bases), base_momentum=base_m,
                                         max_momentum=max_m, **options)

    optimizer, scheduler = build()
    follow(scheduler, optimizer, EPOCHS, lambda e: [ref.cyclic(e, lo, hi, **options) for lo, hi in zip(lows, bases)],
           lambda w: np.broadcast_to(bases, w.shape), f"CyclicLR({options})")
    optimizer, scheduler = build()
    follow(scheduler, optimizer, EPOCHS, lambda e: [ref.cyclic(e, max_m, base_m, **options)] * len(bases),
           lambda w: np.full(w.shape, max_m), f"CyclicLR({options})", key="momentum")


PLATEAU = st.fixed_dictionaries({
    "mode": st.sampled_from(["min", "max"]), "factor": st.sampled_from([0.1, 0.5]), "patience": st.integers(0, 3),
    "threshold": st.sampled_from([1e-4, 0.1]), "threshold_mode": st.sampled_from(["rel", "abs"]),
    "cooldown": st.integers(0, 2), "min_lr": st.sampled_from([0.0, 0.01]), "eps": st.sampled_from([1e-8, 0.05])})


@given(bases=BASES, options=PLATEAU,
       metrics=st.lists(st.sampled_from([1.0, 0.95, 0.9, 0.5, 1.05, 2.0, -1.0]), min_size=1, max_size=EPOCHS))
def test_reduce_on_plateau_follows_its_rule(bases, options, metrics):
    # few distinct metric values: ties, small and large improvements, within and beyond the threshold
    optimizer = _optimizer(bases)
    scheduler = sched.ReduceLROnPlateau(optimizer, **options)
    reference = ref.ReduceLROnPlateau(list(bases), **options)
    got, last, want = [], [], []
    for metric in metrics:
        optimizer.step()
        scheduler.step(metric)
        got.append(_rates(optimizer))
        last.append(scheduler.get_last_lr())
        want.append(reference.step(metric))
    scale = np.abs(np.array(want))
    _assert_rates(got, want, scale, f"ReduceLROnPlateau({options}) on metrics {metrics}")
    _assert_rates(last, want, scale, f"ReduceLROnPlateau({options}).get_last_lr() on metrics {metrics}")
