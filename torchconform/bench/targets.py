"""Where a benchmarked step runs: a NumPy twin or torch on a device, with a
thread count, and optionally through ``torch.compile``."""

from __future__ import annotations

import contextlib
import functools
import os
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch

from torchconform import devices

#: torch's thread count when this module was imported: what "all threads" means
#: (the number of cores, unless OMP_NUM_THREADS or similar says otherwise).
ALL_THREADS = torch.get_num_threads()


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run with ``torch.set_num_threads(n)`` (``None``: leave it), restoring
    the previous count afterwards even when the body raises."""
    previous = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@functools.lru_cache(maxsize=None)
def compile_unavailable() -> str | None:
    """Why ``torch.compile`` cannot run here, or None: found by compiling and
    running a tiny function once (inductor needs a working C++ compiler)."""
    try:
        fn = torch.compile(lambda a: (a * 2).sum())
        fn(torch.ones(3))
    except Exception as exc:  # any failure of the compiler stack is a reason to skip
        return f"torch.compile fails on this machine: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    return None


@dataclass(frozen=True)
class Target:
    """``backend`` is "numpy" or "torch"; ``threads`` None means all threads."""

    name: str
    backend: str
    device: str = "cpu"
    threads: int | None = None
    dtype: str = "float32"
    compile: bool = False

    @property
    def np_dtype(self) -> np.dtype:
        return np.dtype(self.dtype)

    @property
    def torch_dtype(self) -> torch.dtype:
        return getattr(torch, self.dtype)

    def unavailable(self) -> str | None:
        """The skip reason when this target cannot run on this machine."""
        if self.device.startswith("cuda") and not devices.cuda_available():
            return devices.NO_CUDA_REASON
        if self.compile:
            return compile_unavailable()
        return None

    def context(self) -> contextlib.AbstractContextManager:
        """The thread setting the step must run under (NumPy's BLAS is left
        at its own default and recorded with the machine info)."""
        if self.backend != "torch" or self.device != "cpu":
            return contextlib.nullcontext()
        return torch_threads(self.threads if self.threads is not None else ALL_THREADS)

    def synchronize(self) -> None:
        devices.synchronize(self.device)


TARGETS: dict[str, Target] = {t.name: t for t in (
    Target("numpy", "numpy"),
    Target("numpy-float64", "numpy", dtype="float64"),
    Target("cpu-1thread", "torch", threads=1),
    Target("cpu-allthreads", "torch"),
    Target("cuda", "torch", device="cuda"),
    Target("compile-cpu", "torch", compile=True),
)}

#: The targets of the main matrix, in report order; compile-cpu is opt-in (--compile).
MAIN_TARGETS = ("numpy", "numpy-float64", "cpu-1thread", "cpu-allthreads", "cuda")
