"""Every zoo network's training and inference step on every target:
``test_train_step[lenet-cpu-1thread]``, ``test_infer_step[cifar-numpy]``.

Batches are the tutorials' own (``NetworkSpec.default_batch``); torch and the
NumPy twin compute in float32, and ``numpy-float64`` shows the seeds' own
float64 NumPy (left out by ``--quick``). ``compile-cpu`` is opt-in
(``--compile``) and limited to the networks that compile in seconds.
"""

from __future__ import annotations

import pytest

from torchconform.bench.steps import make_step, network_cases, step_info
from torchconform.bench import runtime
from torchconform.bench.targets import MAIN_TARGETS, TARGETS
from torchconform.bench.timing import bench, cuda_event_times, spread

#: Networks whose compiled step is timed with --compile (each compiles in seconds).
COMPILED = ("two_layer", "lenet", "cifar")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    quick = metafunc.config.getoption("quick")
    params = []
    for case in network_cases():
        names = [t for t in MAIN_TARGETS if not (quick and TARGETS[t].dtype == "float64")]
        names += [t for t, target in TARGETS.items() if target.opt_in and case.id in COMPILED]
        params += [pytest.param(case, TARGETS[name], id=f"{case.id}-{name}") for name in names]
    metafunc.parametrize("case, target", params)


def _time_step(benchmark, budget, pytestconfig, case, target, kind: str) -> None:
    if target.opt_in and not pytestconfig.getoption("compile"):
        pytest.skip("torch.compile target is opt-in: pass --compile")
    reason = runtime.unavailable(target)
    if reason:
        pytest.skip(reason)
    benchmark.group = f"{case.id} {kind}"
    with runtime.context(target):
        step = make_step(case, target, kind)
        median = bench(benchmark, step.run, step.reset, budget)
        benchmark.extra_info.update(step_info(case.id, target, kind, step, median,
                                              optimizer=str(case.spec.optimizer)))
        if median and target.device.startswith("cuda"):
            # the device's own clock, beside the host clock pytest-benchmark used
            rounds = benchmark.stats.stats.rounds
            benchmark.extra_info["cuda_event_median_s"] = spread(cuda_event_times(step.run, step.reset, rounds))["median"]


def test_train_step(benchmark, budget, pytestconfig, case, target):
    _time_step(benchmark, budget, pytestconfig, case, target, "train")


def test_infer_step(benchmark, budget, pytestconfig, case, target):
    _time_step(benchmark, budget, pytestconfig, case, target, "infer")
