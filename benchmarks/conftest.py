"""Options and run-wide settings of the benchmarks (``nox -s bench``).

* ``--quick``: a smoke-sized run (fewer rounds, short sweeps) in under two minutes;
* ``--baseline FILE``: compare with an earlier pytest-benchmark JSON
  (e.g. ``reports/reference/bench.json``); ratios with their bootstrap
  interval printed after the run, a change called only when the interval
  clears 1 and the move exceeds ``--baseline-threshold``;
* ``--compile``: add the ``compile-cpu`` target (``torch.compile``), opt-in
  because compiling takes seconds to minutes per network.

Timing defaults to: garbage collection off during rounds, warm-up rounds on
(off with --quick), ``--benchmark-max-time`` 0.5 s (0.02 s quick) and
``--benchmark-min-rounds`` 5 (3 quick); without --quick they can be overridden
on the command line, with it they contradict it and stop the run.

Around every benchmark the machine's state is recorded (other processes' CPU
use before and during it, load average, clock; see
:mod:`torchconform.bench.machine_state`) in ``extra_info["machine_state"]``;
a benchmark whose figures cannot be trusted gets ``extra_info["unreliable"]``
(the reasons), and a timed claim measured on a busy machine is "not measured:
machine busy" (too wide a spread: "inconclusive") instead of a verdict.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Iterator

import pytest

from torchconform import environment
from torchconform.bench import claims, compare, machine_state, runtime, targets
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
                    help="call a change only when the median moved by more than this share "
                         f"(default {compare.REGRESSION_THRESHOLD}) and its interval clears 1")
    group.addoption("--compile", action="store_true", default=False,
                    help="also time torch.compile of the quick-to-compile networks (target compile-cpu)")


def _given(config: pytest.Config, option: str) -> bool:
    flag = "--" + option.replace("_", "-")
    return any(str(arg).split("=")[0] == flag for arg in config.invocation_params.args)


def pytest_configure(config: pytest.Config) -> None:
    # runs before pytest-benchmark's own (trylast) configure reads these options
    quick = config.getoption("quick")
    contradicting = [f"--{o.replace('_', '-')}" for o in QUICK if _given(config, o)]
    contradicting += ["--compile"] if config.getoption("compile") else []
    if quick and contradicting:
        raise pytest.UsageError(f"--quick sets its own short budget and leaves out torch.compile: "
                                f"drop {' and '.join(contradicting)} or drop --quick")
    for option, value in (QUICK if quick else FULL).items():
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
        "all_threads": runtime.ALL_THREADS,
        "usable_cores": runtime.usable_cores(),
        "max_time": float(config.getoption("benchmark_max_time")),
        "min_rounds": config.getoption("benchmark_min_rounds"),
        "load_average_1_5_15min_at_end": os.getloadavg(),
        "cpu_frequency": machine_state.frequency(),
    }


def pytest_benchmark_update_json(config: pytest.Config, benchmarks, output_json: dict) -> None:
    # the run-wide verdict on the figures, beside each benchmark's own reasons
    infos = [b["extra_info"] for b in output_json["benchmarks"]]
    unreliable = [i for i in infos if i.get("unreliable")]
    busy = [i for i in unreliable if i.get("machine_busy")]
    others = [i["machine_state"].get("others_cores_during", 0.0) for i in infos if i.get("machine_state")]
    output_json["reliability"] = {
        "benchmarks": len(infos),
        "unreliable": len(unreliable),
        "busy": len(busy),
        "spread_only": len(unreliable) - len(busy),
        "others_cores_max": max(others, default=0.0),
        "others_cores_median": sorted(others)[len(others) // 2] if others else 0.0,
        "usable_cores": runtime.usable_cores(),
    }


def _threads(info: dict) -> int:
    """How many threads a benchmark ran on: as recorded, else its target's
    (NumPy's BLAS may use every core; a GPU step needs one host thread)."""
    if info.get("threads"):
        return int(info["threads"])
    target = targets.TARGETS.get(str(info.get("target")))
    return runtime.threads(target) if target else 1


class _Watch:
    """The last snapshot of the machine and the last benchmark's state,
    whose "after" the next benchmark's "before" probe fills in."""

    def __init__(self) -> None:
        self.last: machine_state.Snapshot | None = None
        self.pending: dict | None = None

    def before(self) -> tuple[machine_state.Snapshot, float]:
        now, others = machine_state.probe(self.last)
        if self.pending is not None:
            self.pending["others_cores_after"] = round(others, 3)
            self.pending = None
        return now, others


@pytest.fixture(scope="session")
def _watch() -> Iterator[_Watch]:
    watch = _Watch()
    yield watch
    if watch.pending is not None:  # the last benchmark's "after"
        watch.before()


@pytest.fixture(autouse=True)
def machine_watch(_watch: _Watch, benchmark) -> Iterator[None]:
    """Record the machine's state around the benchmark and judge its figures."""
    if benchmark.disabled:  # nothing is timed, so nothing to judge
        yield
        return
    start, before = _watch.before()
    load_before = machine_state.load_average()
    yield
    end = machine_state.snapshot()
    _watch.last = end
    stats = benchmark.stats.stats if benchmark.stats else None
    if stats is None:  # skipped or failed: nothing to judge
        return
    state = {"others_cores_before": round(before, 3),
             "others_cores_during": round(machine_state.others_cores(start, end), 3),
             "load_1min_before": load_before, "load_1min_after": machine_state.load_average(),
             "threads": _threads(benchmark.extra_info), "usable_cores": runtime.usable_cores(),
             **{f"cpu_{k}": v for k, v in machine_state.frequency().items()}}
    state["free_cores"] = round(max(0.0, state["usable_cores"] - max(before, state["others_cores_during"])), 3)
    _watch.pending = state
    info = benchmark.extra_info
    info["machine_state"] = state
    reasons = machine_state.unreliable_reasons(state, state["threads"], state["usable_cores"],
                                               stats.iqr if stats.rounds > 1 else None, stats.median)
    if reasons:
        info["unreliable"] = reasons
        info["machine_busy"] = machine_state.is_busy(reasons)
        claims.distrust(info, reasons, info["machine_busy"])


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    baseline = getattr(config, "_bench_baseline", None)
    if baseline is None:
        return
    session = getattr(config, "_benchmarksession", None)
    current = [(b.fullname, compare.Sample(b.stats.median, tuple(b.stats.data),
                                           tuple(b.extra_info.get("unreliable") or ())))
               for b in getattr(session, "benchmarks", []) if b.stats.rounds]
    rows, missing = compare.compare(current, baseline, config.getoption("baseline_threshold"))
    terminalreporter.section(f"comparison with {config.getoption('baseline')}")
    for line in compare.report_lines(rows, missing, config.getoption("baseline_threshold")):
        terminalreporter.write_line(line, red="REGRESSION" in line)


@pytest.fixture(scope="session")
def quick(pytestconfig: pytest.Config) -> bool:
    return pytestconfig.getoption("quick")


@pytest.fixture(scope="session")
def budget(pytestconfig: pytest.Config) -> Budget:
    return Budget.from_config(pytestconfig)
