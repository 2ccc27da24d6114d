"""Scaling series the report draws as curves (``extra_info["sweep"]`` and ``x``):

* ``batch``: the training step against batch size, including the seeds' own
  sizes (1, 2, 4, 20, 64, 200) and up to 1024;
* ``width``: the two-layer net's hidden width;
* ``threads``: torch's thread count, 1 to the usable cores (the seed says
  multi-core is no faster on CPU);
* ``conv_width``: the CIFAR ``Net``'s channels between its convolutions (the
  blitz says small networks gain little on GPU: widen them and see).

``--quick`` keeps the ends of each axis, and LeNet only for the batch and thread sweeps.
"""

from __future__ import annotations

import pytest

from torchconform.bench.steps import NetworkCase, make_step, step_info
from torchconform.bench.runtime import context, torch_threads, unavailable, usable_cores
from torchconform.bench.targets import CORE_TARGETS, TARGETS, Target
from torchconform.bench.timing import bench

#: Each sweep point gets this share of --benchmark-max-time: there are many.
SHARE = 0.5
NETWORKS = ("two_layer", "lenet", "cifar")
QUICK_NETWORKS = ("lenet",)
AXES = {
    # name: (full points, quick points)
    "batch": ((1, 2, 4, 20, 64, 200, 1024), (1, 64)),
    "width": ((10, 100, 1000, 4000), (10, 1000)),
    "conv_width": ((6, 16, 64, 128), (6, 16)),
}


def _points(config: pytest.Config, axis: str) -> tuple[int, ...]:
    full, quick = AXES[axis]
    return quick if config.getoption("quick") else full


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    name, config = metafunc.function.__name__, metafunc.config
    networks = QUICK_NETWORKS if config.getoption("quick") else NETWORKS
    if name == "test_batch_sweep":
        params = [pytest.param(NetworkCase(net, net), TARGETS[t], b, id=f"{net}-{t}-b{b}")
                  for net in networks for t in CORE_TARGETS for b in _points(config, "batch")]
        metafunc.parametrize("case, target, x", params)
    elif name == "test_width_sweep":
        params = [pytest.param(NetworkCase("two_layer", "two_layer", {"hidden": h}), TARGETS[t], h,
                               id=f"two_layer-{t}-hidden{h}")
                  for t in CORE_TARGETS for h in _points(config, "width")]
        metafunc.parametrize("case, target, x", params)
    elif name == "test_conv_width_sweep":
        params = [pytest.param(NetworkCase("cifar", "cifar", {"width": w}), TARGETS[t], w, id=f"cifar-{t}-width{w}")
                  for t in CORE_TARGETS if TARGETS[t].backend == "torch" for w in _points(config, "conv_width")]
        metafunc.parametrize("case, target, x", params)
    elif name == "test_thread_sweep":
        params = [pytest.param(NetworkCase(net, net), kind, n, id=f"{net}-{kind}-threads{n}")
                  for net in networks for kind in ("train", "infer") for n in range(1, usable_cores() + 1)]
        metafunc.parametrize("case, kind, x", params)


def _sweep(benchmark, budget, case: NetworkCase, target: Target, kind: str, axis: str, x: int,
           batch: int | None = None) -> None:
    reason = unavailable(target)
    if reason:
        pytest.skip(reason)
    benchmark.group = f"{axis} sweep: {case.spec_name} {kind}"
    with context(target):
        step = make_step(case, target, kind, batch)
        median = bench(benchmark, step.run, step.reset, budget.scaled(SHARE))
        benchmark.extra_info.update(step_info(case.spec_name, target, kind, step, median, sweep=axis, x=x,
                                              overrides=case.overrides))


def test_batch_sweep(benchmark, budget, case, target, x):
    _sweep(benchmark, budget, case, target, "train", "batch", x, batch=x)


def test_width_sweep(benchmark, budget, case, target, x):
    _sweep(benchmark, budget, case, target, "train", "width", x)


def test_conv_width_sweep(benchmark, budget, case, target, x):
    _sweep(benchmark, budget, case, target, "train", "conv_width", x)


def test_thread_sweep(benchmark, budget, case, kind, x):
    # one curve per step on target "cpu": the thread count is the x axis
    with torch_threads(x):
        _sweep(benchmark, budget, case, Target("cpu", "torch", threads=x), kind, "threads", x)
