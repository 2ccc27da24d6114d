"""The benchmarks' own checks: every benchmark runs (once, timing disabled),
the analytic FLOPs agree with torch's counter, a training step's reset puts
the state back, thread counts are restored, baselines are judged and bad ones
refused with one line, and the claim verdicts follow their rules.
CI never asserts a speed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from torchconform.bench import ceilings, claims, compare
from torchconform.bench.flops import counted_flops
from torchconform.bench.steps import make_step, network_cases
from torchconform.bench.targets import TARGETS, torch_threads

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
    ("{", "not valid JSON"),
    ('{"machine_info": {}}', "not a pytest-benchmark JSON file"),
    ('{"benchmarks": [{"name": "x"}]}', "lacks a name or stats.median"),
])
def test_unusable_baseline_is_refused_with_one_line(tmp_path, content, message):
    path = tmp_path / "base.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(compare.BaselineError, match=message) as info:
        compare.load_baseline(path)
    assert "\n" not in str(info.value)


def test_missing_baseline_stops_the_run_with_one_line_and_nonzero_exit(tmp_path):
    done = _pytest("--baseline", str(tmp_path / "absent.json"), "--collect-only")
    assert done.returncode != 0
    assert done.stderr.strip() == f"ERROR: baseline {tmp_path / 'absent.json'}: no such file"


def test_baseline_comparison_flags_a_regression(tmp_path):
    # a baseline claiming the step once took a microsecond makes today's run a regression
    base = tmp_path / "base.json"
    select = ["--quick", "-k", "test_infer_step and d2l_shared-numpy and not float64"]
    first = _pytest(*select, f"--benchmark-json={base}")
    assert first.returncode == 0, first.stdout[-2000:]
    doc = json.loads(base.read_text())
    doc["benchmarks"][0]["stats"]["median"] = 1e-9
    base.write_text(json.dumps(doc))
    done = _pytest(*select, "--baseline", str(base))
    assert done.returncode == 0, done.stdout[-2000:]
    assert "<- REGRESSION" in done.stdout and "1 compared, 1 slower than the baseline by more than 25%" in done.stdout


def test_compare_ratio_and_flags():
    rows, missing = compare.compare([("a", 2.0), ("b", 1.0), ("c", 0.5), ("new", 1.0)], {"a": 1.0, "b": 1.1, "c": 1.0})
    assert [(r.name, r.ratio, r.flag()) for r in rows] == [("a", 2.0, "REGRESSION"), ("b", 1.0 / 1.1, ""),
                                                          ("c", 0.5, "faster")]
    assert missing == ["new"]


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
