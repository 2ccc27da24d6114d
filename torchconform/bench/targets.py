"""The benchmark targets, in one place: where a step runs (a NumPy twin, or
torch on a device with a thread count, optionally through ``torch.compile``),
in report order, with the colour every chart gives it and the targets its
throughput is compared with.

Adding a target is one entry in :data:`TARGETS`: the benchmarks, the
ceilings, the sweeps, the speed-up table and the charts all read it from
here. Plain data, importable without torch (the report needs no torch);
:mod:`.runtime` runs a step on a target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Target:
    """``backend`` "numpy" or "torch"; ``device`` "cpu" or "cuda[:N]";
    ``threads`` None means all threads; ``dtype`` a NumPy/torch dtype name.

    ``colour``: its colour on every chart (hex). ``versus``: the targets its
    throughput is divided by in the speed-up table, the first being what it
    is compared with by default. ``core``: measured in every sweep and
    against the machine's peaks, and named as "not measured" on a page that
    lacks it. ``opt_in``: timed only when asked (``--compile``)."""

    name: str
    backend: str
    device: str = "cpu"
    threads: int | None = None
    dtype: str = "float32"
    compile: bool = False
    colour: str = ""
    versus: tuple[str, ...] = ()
    core: bool = False
    opt_in: bool = False

    @property
    def np_dtype(self) -> np.dtype:
        """``dtype`` as a NumPy dtype; TypeError for a name NumPy lacks."""
        return np.dtype(self.dtype)


TARGETS: dict[str, Target] = {t.name: t for t in (
    Target("numpy", "numpy", colour="#8c8c8c", core=True),
    Target("numpy-float64", "numpy", dtype="float64", colour="#525252", versus=("numpy",)),
    Target("cpu-1thread", "torch", threads=1, colour="#9ecae1", versus=("numpy",), core=True),
    Target("cpu-allthreads", "torch", colour="#3182bd", versus=("numpy", "cpu-1thread"), core=True),
    Target("cuda", "torch", device="cuda", colour="#31a354", versus=("cpu-allthreads", "numpy"), core=True),
    Target("compile-cpu", "torch", compile=True, colour="#756bb1", versus=("cpu-allthreads",), opt_in=True),
)}

#: The targets of the main matrix, in report order (the opt-in ones need their flag).
MAIN_TARGETS = tuple(name for name, t in TARGETS.items() if not t.opt_in)
#: The targets of the sweeps and the peak measurements, and the columns every page expects.
CORE_TARGETS = tuple(name for name, t in TARGETS.items() if t.core)
#: (faster, slower) pairs of the speed-up table, in report order.
SPEEDUP_PAIRS = tuple((name, other) for name, t in TARGETS.items() for other in t.versus)
