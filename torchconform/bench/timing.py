"""How a step is timed.

Every benchmark goes through :func:`bench`: ``benchmark.pedantic`` with one
step per round, the step's ``reset`` as the untimed ``setup`` of each round,
warm-up rounds first, and garbage collection collected before and disabled
during the rounds (``--benchmark-disable-gc``, which benchmarks/conftest.py
turns on). The number of rounds follows pytest-benchmark's own options:
enough to fill ``--benchmark-max-time``, at least ``--benchmark-min-rounds``.
A CUDA step synchronises inside the timed call (see :mod:`.steps`), so the
host clock covers the device's work; :func:`cuda_event_times` measures the
same with CUDA events, the device's own clock.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from dataclasses import dataclass
from typing import Any, Callable

import torch

#: Cap on rounds, so a microsecond step does not run millions of rounds.
MAX_ROUNDS = 2000
#: Warm-up before the timed rounds: this long, at least one round, at most WARMUP_ROUNDS.
WARMUP_TIME = 0.1
WARMUP_ROUNDS = 10


@dataclass(frozen=True)
class Budget:
    """How long a benchmark may take: ``max_time`` seconds of rounds, at least
    ``min_rounds`` rounds, and whether warm-up rounds run first
    (pytest-benchmark's ``--benchmark-max-time``, ``--benchmark-min-rounds``
    and ``--benchmark-warmup``)."""

    max_time: float
    min_rounds: int
    warmup: bool

    @classmethod
    def from_config(cls, config) -> "Budget":
        """The budget pytest-benchmark's options give in a pytest ``config``;
        ValueError when pytest-benchmark is not loaded (its options are unknown)."""
        return cls(float(config.getoption("benchmark_max_time")), int(config.getoption("benchmark_min_rounds")),
                   bool(config.getoption("benchmark_warmup")))

    def scaled(self, factor: float) -> "Budget":
        """A shorter (or longer) budget for the many points of a sweep."""
        return Budget(self.max_time * factor, self.min_rounds, self.warmup)


def _one_call(run: Callable[[], Any], reset: Callable[[], None] | None) -> float:
    if reset:
        reset()
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def plan(run: Callable[[], Any], reset: Callable[[], None] | None, budget: Budget) -> tuple[int, int]:
    """(rounds, warm-up rounds) for a step, from one timed call."""
    duration = max(_one_call(run, reset), 1e-7)
    rounds = min(max(math.ceil(budget.max_time / duration), budget.min_rounds), MAX_ROUNDS)
    warmup = min(max(int(WARMUP_TIME / duration), 1), WARMUP_ROUNDS) if budget.warmup else 0
    return rounds, warmup


def bench(benchmark, run: Callable[[], Any], reset: Callable[[], None] | None, budget: Budget) -> float | None:
    """Time ``run`` with the ``benchmark`` fixture; return the median step
    time in seconds, or None when timing is disabled (``--benchmark-disable``:
    the step then runs once, which is what the project's own tests rely on)."""
    if benchmark.disabled:
        benchmark.pedantic(run, setup=reset, rounds=1)
        return None
    rounds, warmup = plan(run, reset, budget)
    gc.collect()
    benchmark.pedantic(run, setup=reset, rounds=rounds, warmup_rounds=warmup)
    return benchmark.stats.stats.median


class _NoGC:
    """Collect once, then keep the collector off while timing."""

    def __enter__(self):
        gc.collect()
        self.enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.enabled:
            gc.enable()


def interleaved(a: Callable[[], Any], reset_a, b: Callable[[], Any], reset_b, budget: Budget) -> tuple[list[float], list[float]]:
    """Samples of two variants taken alternately, GC off, so a change in the
    machine's load during the measurement hits both alike."""
    rounds = max(plan(a, reset_a, budget)[0], plan(b, reset_b, budget)[0]) // 2
    rounds = max(rounds, budget.min_rounds)
    out_a, out_b = [], []
    with _NoGC():
        for _ in range(rounds):
            out_a.append(_one_call(a, reset_a))
            out_b.append(_one_call(b, reset_b))
    return out_a, out_b


def cuda_event_times(run: Callable[[], Any], reset: Callable[[], None] | None, rounds: int) -> list[float]:
    """Seconds per call of ``run`` on the current CUDA device, by CUDA events
    (the device's clock, excluding host launch gaps before the first kernel)."""
    out = []
    for _ in range(rounds):
        if reset:
            reset()
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        run()
        end.record()
        torch.cuda.synchronize()
        out.append(start.elapsed_time(end) / 1e3)
    return out


def spread(values: list[float]) -> dict[str, float]:
    """Median, quartiles, IQR, min and max of a sample."""
    q1, median, q3 = statistics.quantiles(values, n=4) if len(values) > 1 else (values[0],) * 3
    return {"median": statistics.median(values), "q1": q1, "q3": q3, "iqr": q3 - q1,
            "min": min(values), "max": max(values), "rounds": len(values)}
