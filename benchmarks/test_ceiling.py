"""The machine's measured peaks per target, the yardsticks of the networks'
GFLOP/s: a large float32 GEMM (``ceiling: gemm``) and a large copy
(``ceiling: bandwidth``)."""

from __future__ import annotations

import pytest

from torchconform.bench import ceilings
from torchconform.bench import runtime
from torchconform.bench.targets import CORE_TARGETS, TARGETS
from torchconform.bench.timing import bench

PEAK_TARGETS = [pytest.param(TARGETS[t], id=t) for t in CORE_TARGETS]


def _measure(benchmark, budget, target, make, kind: str, unit: str, scale: float) -> None:
    reason = runtime.unavailable(target)
    if reason:
        pytest.skip(reason)
    benchmark.group = f"ceiling {kind}"
    with runtime.context(target):
        ceiling = make()
        median = bench(benchmark, ceiling.run, None, budget)
    benchmark.extra_info.update({"ceiling": kind, "target": target.name, "size": ceiling.size, "work": ceiling.work})
    if median:
        benchmark.extra_info[unit] = ceiling.work / median / scale


@pytest.mark.parametrize("target", PEAK_TARGETS)
def test_gemm_peak(benchmark, budget, target):
    _measure(benchmark, budget, target, lambda: ceilings.gemm(target), "gemm", "gflops", 1e9)


@pytest.mark.parametrize("target", PEAK_TARGETS)
def test_copy_bandwidth(benchmark, budget, target):
    # the same sizes with --quick, so a quick run compares with a full baseline
    _measure(benchmark, budget, target, lambda: ceilings.bandwidth(target), "bandwidth", "gbytes_per_s", 1e9)
