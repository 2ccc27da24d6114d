"""Verdicts on the tutorials' performance claims (issue 8, item 4), one
benchmark per claim and network with ``extra_info["claim"]``, ``verdict``
and ``detail`` (see :mod:`torchconform.bench.claims` for the rules).

Two variants are sampled alternately (so load changes hit both alike); the
benchmark fixture itself times the variant the claim is about. With
``--benchmark-disable`` each variant runs once and the verdict is "not
measured".
"""

from __future__ import annotations

import pytest
import torch

from torchconform import devices
from torchconform.bench import claims, peakmem
from torchconform.bench.steps import NetworkCase, make_step, step_info
from torchconform.bench.runtime import ALL_THREADS, context, torch_threads
from torchconform.bench.targets import TARGETS
from torchconform.bench.timing import Budget, bench, interleaved

NETWORKS = ("two_layer", "lenet", "cifar")
#: --quick: one network per claim.
QUICK_NETWORKS = ("lenet",)
FROZEN_NETWORKS = ("lenet", "cifar")
#: The frozen-backbone comparison runs at a training-sized batch.
FREEZE_BATCH = 64
TENSOR_MIB = {False: 64, True: 16}  # by --quick
NOT_TIMED = "timing disabled (--benchmark-disable)"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" not in metafunc.fixturenames:
        return
    names = FROZEN_NETWORKS if metafunc.function.__name__ == "test_claim_freezing_speeds_training" else NETWORKS
    if metafunc.config.getoption("quick"):
        names = [n for n in names if n in QUICK_NETWORKS]
    metafunc.parametrize("case", [pytest.param(NetworkCase(n, n), id=n) for n in names])


@pytest.fixture
def paired(budget: Budget) -> Budget:
    """The budget of a paired comparison: enough samples for the U test to be able to decide."""
    return Budget(budget.max_time, max(budget.min_rounds, claims.MIN_SAMPLES), budget.warmup)


def _with_threads(n: int, reset):
    def setup():
        torch.set_num_threads(n)
        if reset:
            reset()
    return setup


def test_claim_multicore_no_faster(benchmark, budget, paired, case):
    benchmark.group = "claim multicore-no-faster"
    with torch_threads(ALL_THREADS):
        one = make_step(case, TARGETS["cpu-1thread"], "train")
        many = make_step(case, TARGETS["cpu-allthreads"], "train")
        if benchmark.disabled:
            one.run()
            verdict, detail, c = "not measured", NOT_TIMED, None
        else:
            a, b = interleaved(one.run, _with_threads(1, one.reset), many.run, _with_threads(ALL_THREADS, many.reset),
                               paired)
            verdict, detail, c = claims.multicore(a, b, ALL_THREADS)
        torch.set_num_threads(ALL_THREADS)
        median = bench(benchmark, many.run, many.reset, budget)
        benchmark.extra_info.update(step_info(case.id, TARGETS["cpu-allthreads"], "train", many, median))
    benchmark.extra_info.update(claims.info("multicore-no-faster", verdict, detail,
                                            speedup=c.speedup if c else None, p_value=c.p_value if c else None))


def test_claim_gpu_50x(benchmark, budget, paired, case):
    benchmark.group = "claim gpu-50x"
    cpu_target = TARGETS["cpu-allthreads"]
    with context(cpu_target):
        cpu = make_step(case, cpu_target, "train")
        if not devices.cuda_available():
            median = bench(benchmark, cpu.run, cpu.reset, budget)
            benchmark.extra_info.update(step_info(case.id, cpu_target, "train", cpu, median))
            benchmark.extra_info.update(claims.info("gpu-50x", claims.NO_GPU, f"no GPU: {devices.NO_CUDA_REASON}"))
            return
        gpu = make_step(case, TARGETS["cuda"], "train")
        if benchmark.disabled:
            verdict, detail, c = "not measured", NOT_TIMED, None
        else:
            verdict, detail, c = claims.gpu_speedup(*interleaved(cpu.run, cpu.reset, gpu.run, gpu.reset, paired))
        median = bench(benchmark, gpu.run, gpu.reset, budget)
    benchmark.extra_info.update(step_info(case.id, TARGETS["cuda"], "train", gpu, median))
    benchmark.extra_info.update(claims.info("gpu-50x", verdict, detail, speedup=c.speedup if c else None))


def test_claim_small_net_little_gpu_gain(benchmark, budget, paired, quick):
    benchmark.group = "claim small-net-little-gpu-gain"
    widths = (6, 16) if quick else (6, 128)
    cpu_target = TARGETS["cpu-allthreads"]
    with context(cpu_target):
        steps = {w: make_step(NetworkCase("cifar", "cifar", {"width": w}), cpu_target, "train") for w in widths}
        if not devices.cuda_available():
            median = bench(benchmark, steps[widths[0]].run, steps[widths[0]].reset, budget)
            benchmark.extra_info.update(step_info("cifar", cpu_target, "train", steps[widths[0]], median))
            benchmark.extra_info.update(claims.info("small-net-little-gpu-gain", claims.NO_GPU,
                                                    f"no GPU: {devices.NO_CUDA_REASON}; the CPU side is in the "
                                                    "conv_width sweep"))
            return
        gains = {}
        for w in widths:
            gpu = make_step(NetworkCase("cifar", "cifar", {"width": w}), TARGETS["cuda"], "train")
            if not benchmark.disabled:
                gains[w] = claims.contrast(*interleaved(steps[w].run, steps[w].reset, gpu.run, gpu.reset, paired)).speedup
        median = bench(benchmark, gpu.run, gpu.reset, budget)
    verdict, detail = claims.small_net_gain(gains) if gains else ("not measured", NOT_TIMED)
    benchmark.extra_info.update(step_info("cifar", TARGETS["cuda"], "train", gpu, median, x=widths[-1]))
    benchmark.extra_info.update(claims.info("small-net-little-gpu-gain", verdict, detail,
                                            gain_by_width={str(w): g for w, g in gains.items()}))


def test_claim_freezing_speeds_training(benchmark, budget, paired, case):
    # one thread: the comparison is about autograd's work, not thread scheduling
    benchmark.group = "claim freezing-speeds-training"
    target = TARGETS["cpu-1thread"]
    with context(target):
        full = make_step(case, target, "train", FREEZE_BATCH)
        frozen = make_step(case, target, "train", FREEZE_BATCH, frozen=True)
        if benchmark.disabled:
            verdict, detail, c = "not measured", NOT_TIMED, None
        else:
            verdict, detail, c = claims.freezing(*interleaved(full.run, full.reset, frozen.run, frozen.reset, paired))
        median = bench(benchmark, frozen.run, frozen.reset, budget)
        benchmark.extra_info.update(step_info(case.id, target, "train", frozen, median, frozen=True,
                                              full_flops=full.flops))
    benchmark.extra_info.update(claims.info("freezing-speeds-training", verdict, detail,
                                            speedup=c.speedup if c else None))


def test_claim_inplace_saves_memory(benchmark, quick, device):
    # ``device`` is the plugin's fixture: cpu, and cuda (skipped with the reason where absent)
    benchmark.group = "claim inplace-saves-memory"
    mib = TENSOR_MIB[quick]
    peaks = {v: peakmem.run(v, device, mib) for v in peakmem.VARIANTS}
    tensor_bytes = peaks["inplace"]["tensor_bytes"]
    verdict, detail = claims.inplace(peaks["inplace"]["extra_peak_bytes"], peaks["outofplace"]["extra_peak_bytes"],
                                     tensor_bytes)
    t = torch.ones(tensor_bytes // 4, device=device)

    def refill():  # each round starts from ones: repeated updates would grow the values without bound
        t.fill_(1.0)

    benchmark.pedantic(lambda: peakmem._updates(t, "inplace"), setup=refill, rounds=5)
    benchmark.extra_info.update(claims.info(
        "inplace-saves-memory", verdict, detail, target=device, tensor_bytes=tensor_bytes,
        peak_inplace_bytes=peaks["inplace"]["extra_peak_bytes"],
        peak_outofplace_bytes=peaks["outofplace"]["extra_peak_bytes"], method=peaks["inplace"]["method"]))
