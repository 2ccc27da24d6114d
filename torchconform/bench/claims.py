"""Verdicts on the tutorials' performance claims (issue 8, item 4), from two
samples of step times or two memory peaks. A verdict is "holds",
"does not hold" or "not measured"; its detail says by how much and why.

Two timing samples differ only when a Mann-Whitney U test says so at
``ALPHA`` *and* the medians differ by more than ``MIN_EFFECT``: a shared
machine's noise must not decide a verdict.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from scipy.stats import mannwhitneyu

ALPHA = 0.01
MIN_EFFECT = 0.05
#: Samples per variant: with fewer, the U test cannot reach ALPHA at all (3 vs 3 gives p >= 0.1).
MIN_SAMPLES = 12
#: The GPU speed-up the learning-PyTorch seed promises ("50倍或更高").
GPU_PROMISE = 50.0

#: id -> (seed file, the quoted statement).
CLAIMS = {
    "multicore-no-faster": ("000_abfb2c0f4555406a.txt", "cpu版Pytorch单核、多核运行没有区别,多核性能反而下降。"),
    "gpu-50x": ("000_abfb2c0f4555406a.txt", "对于现代深度神经网络,GPUs通常提供50倍或更高的加速"),
    "small-net-little-gpu-gain": ("002_ec6c5d2b5f244ec5.txt", "为什么我们没注意到GPU的速度提升很多?那是因为网络非常的小。"),
    "freezing-speeds-training": ("002_ec6c5d2b5f244ec5.txt", "“冻结”部分模型是很有用的(这通过减少autograd计算带来一些性能好处)"),
    "inplace-saves-memory": ("002_ec6c5d2b5f244ec5.txt", "原地操作虽然会节省许多空间"),
}


@dataclass(frozen=True)
class Contrast:
    """How much faster ``b`` is than ``a`` (median of a / median of b)."""

    speedup: float
    p_value: float
    median_a: float
    median_b: float

    @property
    def significant(self) -> bool:
        """Whether the samples differ: the U test's p-value is below ``ALPHA``
        and the speed-up is further than ``MIN_EFFECT`` from 1."""
        return self.p_value < ALPHA and abs(self.speedup - 1) > MIN_EFFECT

    def describe(self, a: str, b: str) -> str:
        """One line for a verdict's detail: both medians in milliseconds per
        step (``a`` and ``b`` name the two variants), the speed-up, whether it
        is significant and the p-value."""
        verdict = "significant" if self.significant else "within noise"
        return (f"{b} {self.median_b * 1e3:.3g} ms vs {a} {self.median_a * 1e3:.3g} ms per step: "
                f"{self.speedup:.2f}x ({verdict}, Mann-Whitney p={self.p_value:.2g})")


def contrast(a: list[float], b: list[float]) -> Contrast:
    """How much faster sample ``b`` is than sample ``a`` (step times in
    seconds, any lengths): the ratio of medians and the two-sided
    Mann-Whitney U p-value (1.0 when a side has fewer than two times, which
    no test can separate). Raises ``statistics.StatisticsError`` when a
    sample is empty and ZeroDivisionError when b's median is 0."""
    ma, mb = statistics.median(a), statistics.median(b)
    p = float(mannwhitneyu(a, b, alternative="two-sided").pvalue) if len(a) > 1 and len(b) > 1 else 1.0
    return Contrast(ma / mb, p, ma, mb)


def info(claim: str, verdict: str, detail: str, **facts) -> dict:
    """The ``extra_info`` of a claim's benchmark (the fields :mod:`torchconform.report.bench` reads)."""
    seed, quote = CLAIMS[claim]
    return {"claim": claim, "seed": seed, "quote": quote, "verdict": verdict, "detail": detail, **facts}


def multicore(one: list[float], many: list[float], threads: int) -> tuple[str, str, Contrast | None]:
    """"Multi-core is no faster than single-core, even slower": holds unless
    all threads are significantly faster than one."""
    if threads < 2:
        return "not measured", "only one usable core on this machine", None
    c = contrast(one, many)
    text = c.describe("1 thread", f"{threads} threads")
    if c.significant and c.speedup > 1:
        return "does not hold", f"multi-core is faster: {text}", c
    if c.significant:
        return "holds", f"multi-core is slower: {text}", c
    return "holds", f"no measurable difference: {text}", c


def freezing(full: list[float], frozen: list[float]) -> tuple[str, str, Contrast]:
    """"Freezing parameters speeds training": holds when the frozen step is
    significantly faster than the full one."""
    c = contrast(full, frozen)
    text = c.describe("full step", "frozen step")
    if c.significant and c.speedup > 1:
        return "holds", text, c
    return "does not hold", text, c


def inplace(peak_inplace: int, peak_outofplace: int, tensor_bytes: int) -> tuple[str, str]:
    """"In-place operations save memory": holds when the out-of-place updates
    need at least half a tensor more at their peak."""
    saved = peak_outofplace - peak_inplace
    text = (f"extra peak {peak_inplace / 2**20:.1f} MiB in place vs {peak_outofplace / 2**20:.1f} MiB out of place "
            f"for a {tensor_bytes / 2**20:.0f} MiB tensor")
    return ("holds" if saved >= tensor_bytes / 2 else "does not hold"), text


def gpu_speedup(cpu: list[float], gpu: list[float]) -> tuple[str, str, Contrast]:
    """"GPUs give a speed-up of 50x or more": holds when the median CPU step
    (all threads; seconds) over the median CUDA step reaches ``GPU_PROMISE``.
    Returns (verdict, detail, the contrast)."""
    c = contrast(cpu, gpu)
    text = c.describe("CPU all threads", "CUDA")
    return ("holds" if c.speedup >= GPU_PROMISE else "does not hold"), text, c


def small_net_gain(gain_by_width: dict[int, float]) -> tuple[str, str]:
    """"Small networks gain little on GPU; widen and see": holds when the GPU
    speed-up grows with the CIFAR net's width and the narrowest gains least."""
    widths = sorted(gain_by_width)
    text = ", ".join(f"width {w}: {gain_by_width[w]:.2f}x" for w in widths)
    grows = gain_by_width[widths[0]] < gain_by_width[widths[-1]]
    return ("holds" if grows else "does not hold"), f"CUDA vs CPU speed-up by conv width: {text}"


NO_GPU = "not measured"
#: The verdicts a measurement can reach, and what replaces them when the
#: measurement cannot be trusted (benchmarks/conftest.py decides which).
VERDICTS = ("holds", "does not hold")
BUSY = "not measured: machine busy"
INCONCLUSIVE = "inconclusive"
#: Claims decided by timing (other processes' load falsifies them); the
#: in-place claim compares memory peaks, which a busy machine does not change.
TIMED = ("multicore-no-faster", "gpu-50x", "small-net-little-gpu-gain", "freezing-speeds-training")


def distrust(info: dict, reasons: list[str], busy: bool) -> None:
    """Withdraw the verdict of a timed claim's ``info`` (its benchmark's
    ``extra_info``) whose measurement is unreliable for ``reasons`` (see
    :mod:`.machine_state`): "not measured: machine busy" when other processes
    took the cores (``busy``), else "inconclusive"; the measured verdict is kept under
    ``measured_verdict``, the reason leads the detail. Anything else is left alone."""
    if not reasons or info.get("claim") not in TIMED or info.get("verdict") not in VERDICTS:
        return
    info["measured_verdict"] = info["verdict"]
    info["verdict"] = BUSY if busy else INCONCLUSIVE
    info["detail"] = f"{reasons[0]}; the figures were: {info['detail']}"
