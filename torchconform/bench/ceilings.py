"""The machine's measured peaks, the yardsticks of each network's GFLOP/s:
a large float32 matrix product (compute) and a large copy (memory bandwidth),
per target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

from torchconform.bench import runtime
from torchconform.bench.targets import Target

#: Square GEMM sizes: large enough to reach the BLAS's peak, small enough for a 2-core budget.
GEMM_N = {"cpu": 2048, "cuda": 8192}
#: Bytes of the copied buffer: well beyond any cache.
COPY_BYTES = 256 * 2**20


@dataclass
class Ceiling:
    """One peak measurement ready to time: ``run()`` does the work once and
    returns only when it is finished (the device synchronised); ``work`` is
    what one call does, in FLOPs (:func:`gemm`) or bytes moved
    (:func:`bandwidth`), so work / seconds per call is the peak; ``size`` is
    the matrix order n (gemm) or the buffer's bytes (bandwidth)."""

    run: Callable[[], Any]
    work: float
    size: int


def gemm(target: Target, n: int | None = None) -> Ceiling:
    """``a @ b`` of two n×n float32 matrices: 2n³ FLOPs per call."""
    n = n or GEMM_N["cuda" if target.device.startswith("cuda") else "cpu"]
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n), dtype=np.float32) for _ in range(2))
    if target.backend == "numpy":
        out = np.empty_like(a)
        run = lambda: np.matmul(a, b, out=out)  # noqa: E731
    else:
        ta, tb = (torch.from_numpy(m).to(target.device) for m in (a, b))
        tout = torch.empty_like(ta)

        def run():
            torch.mm(ta, tb, out=tout)
            runtime.synchronize(target)
    run()
    return Ceiling(run, 2.0 * n**3, n)


def bandwidth(target: Target, nbytes: int = COPY_BYTES) -> Ceiling:
    """A copy of ``nbytes`` float32 into a second buffer: read once, written
    once, so 2 × nbytes move per call."""
    count = nbytes // 4
    if target.backend == "numpy":
        src, dst = np.ones(count, np.float32), np.zeros(count, np.float32)
        run = lambda: np.copyto(dst, src)  # noqa: E731
    else:
        src = torch.ones(count, dtype=torch.float32, device=target.device)
        dst = torch.zeros_like(src)

        def run():
            dst.copy_(src)
            runtime.synchronize(target)
    run()
    return Ceiling(run, 2.0 * count * 4, count * 4)
