"""What the rest of the machine was doing around a benchmark, and whether its
figures can be trusted (issue 11).

Other processes' CPU use is measured, not guessed from the load average: the
system-wide busy CPU time (``psutil.cpu_times``: everything but idle and I/O
wait, hypervisor steal included) minus this process's own CPU time and that of
its waited-for children (``psutil.Process.cpu_times``), over the wall time
between two :class:`Snapshot`\\ s, in cores. The 1-minute load average is
recorded beside it but never judged: it lags by a minute and counts this
process's own threads from the previous benchmark.

A benchmark is *unreliable* when

* the cores other processes used before or during it leave fewer free cores
  than the threads it runs (with ``SLACK_CORES`` of tolerance), so its threads
  queued behind someone else's (pyperf warns alike about a busy system); or
* its rounds spread too wide: an interquartile range above ``MAX_SPREAD`` of
  the median (pyperf's own warning uses the standard deviation over the mean;
  the IQR is not thrown off by a single preempted round).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

#: Other processes may use this many cores beyond the ones a benchmark leaves free.
SLACK_CORES = 0.25
#: Interquartile range over median above which the rounds are too spread to trust.
MAX_SPREAD = 0.25
#: Shortest window for the "before" measurement: /proc/stat counts in 10 ms ticks.
MIN_PROBE_S = 0.05
BUSY = "machine busy"
GOVERNOR = Path("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")


@dataclass(frozen=True)
class Snapshot:
    """CPU seconds used so far by the whole machine (``busy``) and by this
    process with its children (``own``), at ``wall`` (``time.monotonic``, s)."""

    wall: float
    busy: float
    own: float


def snapshot() -> Snapshot:
    """The machine's busy CPU seconds (all cores, idle, I/O wait and guest
    time left out) and this process's own with its waited-for children, now.
    Raises ``psutil.Error`` only where psutil cannot read the counters."""
    machine = psutil.cpu_times()
    idle = machine.idle + getattr(machine, "iowait", 0.0)
    # guest time is already counted in user time on Linux
    guest = getattr(machine, "guest", 0.0) + getattr(machine, "guest_nice", 0.0)
    own = psutil.Process().cpu_times()
    return Snapshot(time.monotonic(), sum(machine) - idle - guest,
                    own.user + own.system + own.children_user + own.children_system)


def others_cores(start: Snapshot, end: Snapshot) -> float:
    """Cores other processes kept busy on average between two snapshots (>= 0)."""
    elapsed = end.wall - start.wall
    if elapsed <= 0:
        return 0.0
    return max(0.0, ((end.busy - start.busy) - (end.own - start.own)) / elapsed)


def probe(since: Snapshot | None) -> tuple[Snapshot, float]:
    """(now, others' cores since ``since``), waiting until at least
    ``MIN_PROBE_S`` has passed so the CPU tick counters can tell."""
    if since is None:
        since = snapshot()
    time.sleep(max(0.0, MIN_PROBE_S - (time.monotonic() - since.wall)))
    now = snapshot()
    return now, others_cores(since, now)


def load_average() -> float | None:
    """The 1-minute load average (processes running or waiting to run,
    averaged), or None where the platform has none; recorded, never judged."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def frequency() -> dict[str, Any]:
    """Current and maximum CPU clock (MHz) and the scaling governor, where
    the machine exposes them (a VM often does not): missing keys are left out."""
    out: dict[str, Any] = {}
    try:
        freq = psutil.cpu_freq()
    except (OSError, NotImplementedError, RuntimeError):
        freq = None
    if freq and freq.current:
        out["current_mhz"] = round(freq.current)
        if freq.max:
            out["max_mhz"] = round(freq.max)
    try:
        out["governor"] = GOVERNOR.read_text().strip()
    except OSError:
        pass
    return out


def unreliable_reasons(state: dict[str, Any], threads: int, cores: int, iqr: float | None,
                       median: float | None) -> list[str]:
    """Why a benchmark's figures cannot be trusted (empty: they can).

    ``state`` holds ``others_cores_before``/``_during`` (cores, see
    :func:`others_cores`); ``threads`` is what the benchmark ran on,
    ``cores`` the usable cores; ``iqr`` and ``median`` of its rounds, in seconds
    (None when not timed)."""
    reasons = []
    # a short probe can count a tick too many: never more than the machine has
    others = min(cores, max(state.get("others_cores_before") or 0.0, state.get("others_cores_during") or 0.0))
    free = cores - others
    if others > max(0, cores - threads) + SLACK_CORES:
        reasons.append(f"{BUSY}: other processes used {others:.1f} of {cores} cores, "
                       f"leaving {free:.1f} for {threads} thread(s)")
    if iqr is not None and median and iqr / median > MAX_SPREAD:
        reasons.append(f"spread too wide: IQR {iqr / median:.0%} of the median (limit {MAX_SPREAD:.0%})")
    return reasons


def is_busy(reasons: list[str]) -> bool:
    """Whether one of :func:`unreliable_reasons` is the machine being busy."""
    return any(r.startswith(BUSY) for r in reasons)
