"""The benchmarks' own checks: every benchmark runs (once, timing disabled),
the analytic FLOPs agree with torch's counter, a training step's reset puts
the state back, thread counts are restored, baselines are judged by their
intervals and bad ones refused with one line (nothing overwritten), the
machine's state is measured and a busy machine withdraws the verdicts, and
the claim verdicts follow their rules. CI never asserts a speed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from torchconform.bench import ceilings, claims, compare, machine_state
from torchconform.bench.flops import counted_flops
from torchconform.bench.steps import make_step, network_cases
from torchconform.bench.runtime import torch_threads
from torchconform.bench.targets import TARGETS

pytestmark = pytest.mark.area("bench")
ROOT = Path(__file__).resolve().parents[1]
CASES = [pytest.param(c, id=c.id) for c in network_cases()]


def _pytest(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    # An xdist worker's variables would make the child think it runs under
    # xdist, and pytest-benchmark then refuses to time anything.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    return subprocess.run([sys.executable, "-m", "pytest", "benchmarks", "-p", "no:cacheprovider", "-q", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env)


def test_every_benchmark_runs_once_with_timing_disabled():
    # the full set, not --quick: every id of the real run must work (about a minute on 2 cores)
    done = _pytest("--benchmark-disable")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout.splitlines()[-1]


@pytest.mark.parametrize("kind", ["train", "infer"])
@pytest.mark.parametrize("case", CASES)
def test_analytic_flops_match_flop_counter(case, kind):
    step = make_step(case, TARGETS["cpu-1thread"], kind)
    assert counted_flops(step.run) == step.flops, f"{case.id} {kind}: analytic {step.flops} FLOPs"


def test_frozen_step_counts_only_the_trainable_tail():
    case = next(c for c in network_cases() if c.id == "lenet")
    full = make_step(case, TARGETS["cpu-1thread"], "train", 8)
    frozen = make_step(case, TARGETS["cpu-1thread"], "train", 8, frozen=True)
    trainable = [p for p in frozen.module.parameters() if p.requires_grad]
    assert [tuple(p.shape) for p in trainable] == [(10, 84), (10,)]
    assert 0 < frozen.flops < full.flops


@pytest.mark.parametrize("target", ["numpy", "cpu-1thread"])
def test_train_step_reset_restores_parameters(target):
    # two_layer_optim: Adam, whose state (step count, moments) must come back too
    case = next(c for c in network_cases() if c.id == "two_layer_optim")
    step = make_step(case, TARGETS[target], "train", 4)
    step.reset()
    first = step.run()
    step.run()
    step.reset()
    again = step.run()
    assert float(first) == float(again)


def test_torch_threads_restores_the_count_even_after_an_error():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError), torch_threads(1):
        assert torch.get_num_threads() == 1
        raise RuntimeError("step failed")
    assert torch.get_num_threads() == before


def test_ceilings_count_their_work():
    gemm = ceilings.gemm(TARGETS["cpu-1thread"], 16)
    copy = ceilings.bandwidth(TARGETS["numpy"], 4096)
    gemm.run(), copy.run()
    assert (gemm.work, copy.work) == (2 * 16**3, 2 * 4096)


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    ("dir", "is a directory"),
    ("{", "not valid JSON"),
    ('{"machine_info": {}}', "not a pytest-benchmark JSON file"),
    ('{"schema": "torchconform.conformance/1", "records": []}', "not a pytest-benchmark JSON file"),
    ('{"benchmarks": [{"name": "x"}]}', "lacks a name or stats.median"),
])
def test_unusable_baseline_is_refused_with_one_line(tmp_path, content, message):
    path = tmp_path / "base.json"
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_text(content)
    with pytest.raises(compare.BaselineError, match=message) as info:
        compare.load_baseline(path)
    assert "\n" not in str(info.value)


CORRUPT = "{not json"
NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal on a machine without CUDA")


@pytest.mark.parametrize("args, line", [
    (["--baseline", "{tmp}/absent.json"], "ERROR: baseline {tmp}/absent.json: no such file"),
    (["--baseline", "{tmp}/corrupt.json"], "ERROR: baseline {tmp}/corrupt.json: not valid JSON (Expecting property "
                                           "name enclosed in double quotes at line 1)"),
    (["--quick", "--benchmark-max-time=2"], "ERROR: --quick sets its own short budget and leaves out torch.compile: "
                                            "drop --benchmark-max-time or drop --quick"),
    (["--quick", "--compile", "--benchmark-min-rounds", "9"],
     "ERROR: --quick sets its own short budget and leaves out torch.compile: drop --benchmark-min-rounds and "
     "--compile or drop --quick"),
    pytest.param(["--device", "cuda"], "ERROR: --device cuda requested but CUDA not available: "
                 "torch.cuda.is_available() is False on this machine", marks=NO_CUDA),
], ids=["missing-baseline", "corrupt-baseline", "quick-max-time", "quick-compile-rounds", "cuda-without-cuda"])
def test_bad_bench_input_stops_with_one_line_and_overwrites_nothing(tmp_path, args, line):
    (tmp_path / "corrupt.json").write_text(CORRUPT)
    previous = tmp_path / "bench.json"
    previous.write_text('{"benchmarks": []}')
    args = [a.format(tmp=tmp_path) for a in args]
    done = _pytest(*args, "-k", "test_infer_step and lenet-cpu-1thread", f"--benchmark-json={previous}")
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [line.format(tmp=tmp_path)], done.stderr
    assert previous.read_text() == '{"benchmarks": []}'


def test_baseline_comparison_flags_a_regression(tmp_path):
    # a baseline claiming the step once took a nanosecond makes today's run a
    # regression, unless today's machine was too busy to tell
    base, now = tmp_path / "base.json", tmp_path / "now.json"
    select = ["--quick", "-k", "test_infer_step and d2l_shared-cpu-1thread"]
    first = _pytest(*select, f"--benchmark-json={base}")
    assert first.returncode == 0, first.stdout[-2000:]
    doc = json.loads(base.read_text())
    stats = doc["benchmarks"][0]["stats"]
    stats["median"], stats["data"] = 1e-9, [1e-9] * 20
    doc["benchmarks"][0]["extra_info"].pop("unreliable", None)
    base.write_text(json.dumps(doc))
    done = _pytest(*select, "--baseline", str(base), f"--benchmark-json={now}")
    assert done.returncode == 0, done.stdout[-2000:]
    reasons = json.loads(now.read_text())["benchmarks"][0]["extra_info"].get("unreliable")
    if reasons:
        assert f"<- inconclusive: this run is unreliable ({reasons[0]})" in done.stdout
    else:
        assert "<- REGRESSION" in done.stdout and "1 compared: 1 slower" in done.stdout


def _rounds(centre: float, spread: float, n: int = 30) -> tuple[float, ...]:
    return tuple(centre * (1 + spread * ((i * 7919) % n / n - 0.5)) for i in range(n))


@pytest.mark.parametrize("now, then, verdict", [
    (_rounds(2.0, 0.1), _rounds(1.0, 0.1), "slower"),
    (_rounds(0.5, 0.1), _rounds(1.0, 0.1), "faster"),
    (_rounds(1.05, 0.1), _rounds(1.0, 0.1), "unchanged"),
    (_rounds(1.4, 1.9), _rounds(1.0, 1.9), "inconclusive: the interval is too wide to tell"),
    (_rounds(2.0, 0.1)[:3], _rounds(1.0, 0.1), "inconclusive: this run has 3 rounds (< 5)"),
    ((), _rounds(1.0, 0.1), "inconclusive: this run kept no rounds"),
], ids=["slower", "faster", "unchanged", "overlapping", "too-few-rounds", "no-rounds"])
def test_baseline_change_is_called_only_when_the_interval_clears_one(now, then, verdict):
    median = (sorted(now)[len(now) // 2] if now else 2.0)
    change = compare.judge(compare.Sample(median, now), compare.Sample(sorted(then)[len(then) // 2], then))
    assert change.verdict == verdict
    if change.low is not None:
        assert change.low <= change.ratio <= change.high


def test_unreliable_side_makes_the_comparison_inconclusive():
    busy = compare.Sample(2.0, _rounds(2.0, 0.1), ("machine busy: other processes used 2.0 of 2 cores",))
    change = compare.judge(compare.Sample(1.0, _rounds(1.0, 0.1)), busy)
    assert change.verdict == "inconclusive: the baseline is unreliable (machine busy: other processes used 2.0 of 2 cores)"


def test_compare_rows_and_missing():
    sample = compare.Sample(1.0, _rounds(1.0, 0.1))
    rows, missing = compare.compare([("a", sample), ("new", sample)], {"a": compare.Sample(2.0, _rounds(2.0, 0.1))})
    assert [(r.name, r.change.verdict) for r in rows] == [("a", "faster")] and missing == ["new"]
    assert "1 compared: 0 slower and 1 faster" in compare.report_lines(rows, missing)[-1]


def test_others_cores_subtracts_this_process():
    start = machine_state.Snapshot(wall=0.0, busy=10.0, own=4.0)
    end = machine_state.Snapshot(wall=2.0, busy=14.0, own=5.0)  # machine +4 CPU s, this process +1, in 2 s
    assert machine_state.others_cores(start, end) == 1.5


@pytest.mark.parametrize("others, threads, iqr, busy, spread", [
    (0.05, 2, 0.01, False, False),
    (1.0, 1, 0.01, False, False),   # one core taken, one thread needs the other
    (1.0, 2, 0.01, True, False),
    (1.9, 1, 0.01, True, False),
    (0.05, 2, 0.4, False, True),
])
def test_unreliable_reasons(others, threads, iqr, busy, spread):
    reasons = machine_state.unreliable_reasons({"others_cores_before": 0.0, "others_cores_during": others},
                                               threads, 2, iqr, 1.0)
    assert machine_state.is_busy(reasons) == busy
    assert any(r.startswith("spread too wide") for r in reasons) == spread


def test_busy_machine_withdraws_a_timed_claim_but_not_a_memory_one():
    timed = claims.info("multicore-no-faster", "holds", "no measurable difference")
    claims.distrust(timed, ["machine busy: other processes used 2.0 of 2 cores"], busy=True)
    assert (timed["verdict"], timed["measured_verdict"]) == ("not measured: machine busy", "holds")
    assert timed["detail"].startswith("machine busy: other processes used 2.0 of 2 cores; the figures were: ")
    spread = claims.info("freezing-speeds-training", "does not hold", "x")
    claims.distrust(spread, ["spread too wide: IQR 40% of the median (limit 25%)"], busy=False)
    assert spread["verdict"] == "inconclusive"
    memory = claims.info("inplace-saves-memory", "holds", "x")
    claims.distrust(memory, ["machine busy: other processes used 2.0 of 2 cores"], busy=True)
    assert memory["verdict"] == "holds"


def test_benchmark_run_while_other_processes_hold_the_cores_is_marked_busy(tmp_path):
    # one spinning process per usable core: whatever the step, its figures measure them
    out = tmp_path / "bench.json"
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 1)]
    try:
        done = _pytest("--quick", "-k", "test_infer_step and lenet-cpu-1thread", f"--benchmark-json={out}")
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
    assert done.returncode == 0, done.stdout[-2000:]
    doc = json.loads(out.read_text())
    info = doc["benchmarks"][0]["extra_info"]
    assert info["machine_state"]["others_cores_during"] > 0.5, info["machine_state"]
    assert info["machine_busy"] and machine_state.is_busy(info["unreliable"]), info
    assert doc["reliability"]["busy"] == 1


SLOW, FAST = [1.0 + 0.01 * i for i in range(12)], [0.5 + 0.01 * i for i in range(12)]


@pytest.mark.parametrize("one, many, threads, verdict", [
    (SLOW, FAST, 2, "does not hold"),
    (FAST, SLOW, 2, "holds"),
    (SLOW, SLOW, 2, "holds"),
    (SLOW, FAST, 1, "not measured"),
], ids=["multicore-faster", "multicore-slower", "no-difference", "one-core"])
def test_multicore_verdict(one, many, threads, verdict):
    assert claims.multicore(one, many, threads)[0] == verdict


def test_freezing_verdict_needs_a_significant_speedup():
    assert claims.freezing(SLOW, FAST)[0] == "holds"
    assert claims.freezing(SLOW, SLOW)[0] == "does not hold"
    assert claims.freezing(SLOW[:3], FAST[:3])[0] == "does not hold"  # 3 samples cannot be significant


def test_inplace_and_gpu_verdicts():
    mib = 2**20
    assert claims.inplace(0, 64 * mib, 64 * mib)[0] == "holds"
    assert claims.inplace(0, 8 * mib, 64 * mib)[0] == "does not hold"
    assert claims.gpu_speedup([1.0] * 12, [0.01] * 12)[0] == "holds"
    assert claims.small_net_gain({6: 1.5, 128: 20.0})[0] == "holds"
    assert claims.small_net_gain({6: 3.0, 128: 2.0})[0] == "does not hold"


def test_peak_memory_of_out_of_place_updates_exceeds_in_place():
    from torchconform.bench import peakmem

    peaks = {v: peakmem.run(v, "cpu", 16)["extra_peak_bytes"] for v in peakmem.VARIANTS}
    assert peaks["outofplace"] - peaks["inplace"] >= 16 * 2**20 / 2, peaks
