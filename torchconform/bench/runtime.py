"""Running a step on a :class:`~.targets.Target`: its thread setting, whether
this machine can run it, its dtype in torch, and waiting for its device."""

from __future__ import annotations

import contextlib
import functools
import os
from typing import Iterator

import torch

from torchconform import devices
from torchconform.bench.targets import Target

#: torch's thread count when this module was imported: what "all threads" means
#: (the number of cores, unless OMP_NUM_THREADS or similar says otherwise).
ALL_THREADS = torch.get_num_threads()


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, which a container
    or ``taskset`` narrows), or the machine's count where affinity is not
    available; at least 1."""
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


def unavailable(target: Target) -> str | None:
    """The skip reason when ``target`` cannot run on this machine, or None."""
    if target.device.startswith("cuda") and not devices.cuda_available():
        return devices.NO_CUDA_REASON
    if target.compile:
        return compile_unavailable()
    return None


def context(target: Target) -> contextlib.AbstractContextManager:
    """The thread setting a step on ``target`` must run under (NumPy's BLAS is
    left at its own default and recorded with the machine info)."""
    if target.backend != "torch" or target.device != "cpu":
        return contextlib.nullcontext()
    return torch_threads(target.threads if target.threads is not None else ALL_THREADS)


def torch_dtype(target: Target) -> torch.dtype:
    """The torch dtype ``target.dtype`` names (``"float32"`` -> ``torch.float32``);
    AttributeError for a name torch lacks."""
    return getattr(torch, target.dtype)


def synchronize(target: Target) -> None:
    """Wait until the work queued on ``target``'s device is done (a no-op on
    CPU and for NumPy), so a timer stopped next measures the work itself."""
    devices.synchronize(target.device)


def threads(target: Target) -> int:
    """How many threads a step on ``target`` may keep busy: its own count,
    all of them for NumPy (its BLAS may use every core) and torch on all
    threads, one host thread for a GPU."""
    if target.device != "cpu":
        return 1
    return target.threads or ALL_THREADS
