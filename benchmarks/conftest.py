"""Options and run-wide settings of the benchmarks (``nox -s bench``).

* ``--quick``: a smoke-sized run (fewer rounds, short sweeps) in under two minutes;
* ``--baseline FILE``: compare medians with an earlier pytest-benchmark JSON
  (e.g. ``reports/reference/bench.json``); ratios printed after the run,
  moves beyond ``--baseline-threshold`` flagged;
* ``--compile``: add the ``compile-cpu`` target (``torch.compile``), opt-in
  because compiling takes seconds to minutes per network.

Unless given on the command line, timing defaults to: garbage collection
off during rounds, warm-up rounds on (off with --quick),
``--benchmark-max-time`` 0.5 s (0.02 s quick) and ``--benchmark-min-rounds`` 5 (3 quick).
"""

from __future__ import annotations

import os
from decimal import Decimal

import pytest

from torchconform import environment
from torchconform.bench import compare, targets
from torchconform.bench.timing import Budget

# quick: no separate warm-up rounds (each step is already called twice untimed:
# once when it is made, once to plan the rounds)
FULL = {"benchmark_max_time": Decimal("0.5"), "benchmark_min_rounds": 5, "benchmark_warmup": True}
QUICK = {"benchmark_max_time": Decimal("0.02"), "benchmark_min_rounds": 3, "benchmark_warmup": False}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("torchconform benchmarks")
    group.addoption("--quick", action="store_true", default=False,
                    help="short run: fewer rounds and sweep points (under 2 minutes)")
    group.addoption("--baseline", metavar="FILE", default=None,
                    help="pytest-benchmark JSON of an earlier run to compare medians with")
    group.addoption("--baseline-threshold", metavar="SHARE", type=float, default=compare.REGRESSION_THRESHOLD,
                    help=f"flag medians that moved by more than this share (default {compare.REGRESSION_THRESHOLD})")
    group.addoption("--compile", action="store_true", default=False,
                    help="also time torch.compile of the quick-to-compile networks (target compile-cpu)")


def _given(config: pytest.Config, option: str) -> bool:
    flag = "--" + option.replace("_", "-")
    return any(str(arg).split("=")[0] == flag for arg in config.invocation_params.args)


def pytest_configure(config: pytest.Config) -> None:
    # runs before pytest-benchmark's own (trylast) configure reads these options
    for option, value in (QUICK if config.getoption("quick") else FULL).items():
        if not _given(config, option):
            setattr(config.option, option, value)
    config.option.benchmark_disable_gc = True
    path = config.getoption("baseline")
    if path:
        try:
            config._bench_baseline = compare.load_baseline(path)
        except compare.BaselineError as exc:
            raise pytest.UsageError(str(exc)) from None


def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict) -> None:
    machine_info["torchconform"] = environment.collect()
    machine_info["torchconform_bench"] = {
        "quick": config.getoption("quick"),
        "all_threads": targets.ALL_THREADS,
        "usable_cores": targets.usable_cores(),
        "max_time": float(config.getoption("benchmark_max_time")),
        "min_rounds": config.getoption("benchmark_min_rounds"),
        # other processes' load skews every number: recorded when the JSON is written (end of run)
        "load_average_1_5_15min": os.getloadavg(),
    }


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    baseline = getattr(config, "_bench_baseline", None)
    if baseline is None:
        return
    session = getattr(config, "_benchmarksession", None)
    current = [(b.fullname, b.stats.median) for b in getattr(session, "benchmarks", []) if b.stats.rounds]
    rows, missing = compare.compare(current, baseline)
    terminalreporter.section(f"comparison with {config.getoption('baseline')}")
    for line in compare.report_lines(rows, missing, config.getoption("baseline_threshold")):
        terminalreporter.write_line(line, red="REGRESSION" in line)


@pytest.fixture(scope="session")
def quick(pytestconfig: pytest.Config) -> bool:
    return pytestconfig.getoption("quick")


@pytest.fixture(scope="session")
def budget(pytestconfig: pytest.Config) -> Budget:
    return Budget.from_config(pytestconfig)
