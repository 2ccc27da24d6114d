"""Closed forms of torch.optim.lr_scheduler's learning-rate schedules.

Each function gives the learning rate of one parameter group at epoch
(step count) ``e`` from its base rate, written from the schedule's
documentation (https://pytorch.org/docs/stable/optim.html, "How to adjust
learning rate", one page per scheduler) and the papers those pages cite.
Torch computes most schedules recursively (each rate from the previous one);
these are the closed forms the documentation gives or implies, so a drift of
the recursion shows. Pure Python and NumPy: nothing here imports torch.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import Callable, Sequence


def step_lr(base: float, e: int, step_size: int, gamma: float = 0.1) -> float:
    """StepLR: decayed by ``gamma`` every ``step_size`` epochs."""
    return base * gamma ** (e // step_size)


def multistep_lr(base: float, e: int, milestones: Sequence[int], gamma: float = 0.1) -> float:
    """MultiStepLR: decayed by ``gamma`` at each milestone reached (a milestone
    listed twice decays twice)."""
    return base * gamma ** bisect.bisect_right(sorted(milestones), e)


def exponential_lr(base: float, e: int, gamma: float) -> float:
    """ExponentialLR: ``base * gamma**e``."""
    return base * gamma**e


def cosine_annealing_lr(base: float, e: float, T_max: int, eta_min: float = 0.0) -> float:
    """CosineAnnealingLR, the closed form its docs give (SGDR, Loshchilov &
    Hutter 2017, eq. 5, without restarts): ``eta_min + (base - eta_min)
    (1 + cos(pi e / T_max)) / 2``, periodic beyond ``T_max``."""
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * e / T_max)) / 2


def cosine_warm_restarts_lr(base: float, e: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0) -> float:
    """CosineAnnealingWarmRestarts (SGDR, eq. 5): cosine annealing over runs of
    ``T_0, T_0 T_mult, T_0 T_mult**2, ...`` epochs, restarting at ``base``;
    ``e`` may be fractional."""
    if T_mult == 1:
        t_cur, t_i = e % T_0, T_0
    else:
        # the run holding e: T_0 (T_mult**n - 1) / (T_mult - 1) <= e
        n = int(math.log(e / T_0 * (T_mult - 1) + 1, T_mult))
        start = T_0 * (T_mult**n - 1) / (T_mult - 1)
        if start > e:  # the logarithm rounded up across a run boundary
            n -= 1
            start = T_0 * (T_mult**n - 1) / (T_mult - 1)
        t_cur, t_i = e - start, T_0 * T_mult**n
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2


def _anneal(start: float, end: float, fraction: float, strategy: str) -> float:
    if strategy == "cos":
        return end + (start - end) * (1 + math.cos(math.pi * fraction)) / 2
    return start + (end - start) * fraction


def one_cycle(e: int, total_steps: int, low: float, high: float, final: float, pct_start: float = 0.3,
              anneal_strategy: str = "cos", three_phase: bool = False) -> float:
    """OneCycleLR (Smith & Topin 2018, "Super-Convergence"), for the learning
    rate (``low = max_lr / div_factor``, ``high = max_lr``, ``final = low /
    final_div_factor``) or, inverted, the momentum: from ``low`` up to ``high``
    over the first ``pct_start`` of the ``total_steps`` steps (peak at step
    ``pct_start * total_steps - 1``), then down to ``final`` at the last step
    (``total_steps - 1``); with ``three_phase`` back to ``low`` over a
    second, equal stretch first, then to ``final``."""
    peak = pct_start * total_steps - 1
    if three_phase:
        phases = [(0, peak, low, high), (peak, 2 * peak, high, low), (2 * peak, total_steps - 1, low, final)]
    else:
        phases = [(0, peak, low, high), (peak, total_steps - 1, high, final)]
    for begin, end, start, stop in phases:
        if e <= end:
            return _anneal(start, stop, (e - begin) / (end - begin), anneal_strategy)
    raise ValueError(f"step {e} is past the cycle of {total_steps} steps")


def cyclic(e: int, low: float, high: float, step_size_up: int, step_size_down: int | None = None,
           mode: str = "triangular", gamma: float = 1.0) -> float:
    """CyclicLR (Smith 2017, "Cyclical Learning Rates for Training Neural
    Networks", section 3.1): up from ``low`` to ``high`` in ``step_size_up``
    steps and back in ``step_size_down``; the amplitude is scaled by 1
    (triangular), ``1 / 2**(cycle - 1)`` (triangular2, ``cycle`` counted from
    1) or ``gamma**e`` (exp_range). For the momentum, swap ``low`` and
    ``high``."""
    down = step_size_up if step_size_down is None else step_size_down
    cycle, position = divmod(e, step_size_up + down)
    height = position / step_size_up if position < step_size_up else 1 - (position - step_size_up) / down
    scale = {"triangular": 1.0, "triangular2": 1 / 2.0**cycle, "exp_range": gamma**e}[mode]
    return low + (high - low) * height * scale


def linear_lr(base: float, e: int, start_factor: float = 1 / 3, end_factor: float = 1.0,
              total_iters: int = 5) -> float:
    """LinearLR: the factor moves linearly from ``start_factor`` to
    ``end_factor`` over ``total_iters`` epochs, then stays."""
    return base * (start_factor + (end_factor - start_factor) * min(e, total_iters) / total_iters)


def constant_lr(base: float, e: int, factor: float = 1 / 3, total_iters: int = 5) -> float:
    """ConstantLR: ``base * factor`` before ``total_iters``, ``base`` from then on."""
    return base * factor if e < total_iters else base


def polynomial_lr(base: float, e: int, total_iters: int = 5, power: float = 1.0) -> float:
    """PolynomialLR: ``base * (1 - min(e, total_iters) / total_iters)**power``."""
    return base * (1 - min(e, total_iters) / total_iters) ** power


def lambda_lr(base: float, e: int, lr_lambda: Callable[[int], float]) -> float:
    """LambdaLR: ``base * lr_lambda(e)``."""
    return base * lr_lambda(e)


def multiplicative_lr(base: float, e: int, lr_lambda: Callable[[int], float]) -> float:
    """MultiplicativeLR: ``base`` times ``lr_lambda(k)`` for every epoch ``k`` in 1..e."""
    return base * math.prod(lr_lambda(k) for k in range(1, e + 1))


def sequential(e: int, schedules: Sequence[Callable[[int], float]], milestones: Sequence[int]) -> float:
    """SequentialLR: the schedule whose stretch holds ``e`` (a new one starts
    at each milestone), at the epoch counted from the start of its stretch."""
    which = bisect.bisect_right(milestones, e)
    return schedules[which](e - (milestones[which - 1] if which else 0))


@dataclass
class ReduceLROnPlateau:
    """ReduceLROnPlateau's documented rule: a metric is an improvement when it
    beats the best so far by ``threshold`` (relative, ``best * (1 -+
    threshold)``, or absolute, ``best -+ threshold``, in the direction of
    ``mode``). After more than ``patience`` epochs in a row without one, every
    rate is multiplied by ``factor`` (not below ``min_lr``; a change smaller
    than ``eps`` is not made) and the next ``cooldown`` epochs count no bad
    epochs.

    :meth:`step` takes the epoch's metric and returns the rates after it."""

    lrs: list[float]
    mode: str = "min"
    factor: float = 0.1
    patience: int = 10
    threshold: float = 1e-4
    threshold_mode: str = "rel"
    cooldown: int = 0
    min_lr: float = 0.0
    eps: float = 1e-8
    best: float = field(init=False)
    bad: int = field(default=0, init=False)
    cooling: int = field(default=0, init=False)

    def __post_init__(self):
        self.best = math.inf if self.mode == "min" else -math.inf

    def improves(self, metric: float) -> bool:
        """Whether ``metric`` beats the best so far by the threshold."""
        sign = 1 if self.mode == "min" else -1
        if self.threshold_mode == "rel":
            return sign * metric < sign * self.best * (1 - sign * self.threshold)
        return sign * metric < sign * self.best - self.threshold

    def step(self, metric: float) -> list[float]:
        """Ends an epoch whose metric was ``metric``; returns every group's rate after it."""
        if self.improves(metric):
            self.best, self.bad = metric, 0
        else:
            self.bad += 1
        if self.cooling > 0:
            self.cooling -= 1
            self.bad = 0
        if self.bad > self.patience:
            reduced = [max(lr * self.factor, self.min_lr) for lr in self.lrs]
            self.lrs = [new if old - new > self.eps else old for old, new in zip(self.lrs, reduced)]
            self.cooling, self.bad = self.cooldown, 0
        return list(self.lrs)
