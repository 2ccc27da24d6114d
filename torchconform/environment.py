"""Facts about the machine and the software under test, shared by the
conformance results and the benchmark JSON, so every number in a report says
where it came from.

:func:`collect` returns a plain JSON-ready dict; :func:`rows` flattens one
(or any similar dict, e.g. pytest-benchmark's ``machine_info``) into
``(label, value)`` pairs for a table. Every probe is best-effort: a fact that
cannot be read is recorded as the reason, never raised, because a report is
still worth having on an odd machine.
"""

from __future__ import annotations

import datetime
import os
import platform
import re
import shutil
import subprocess
import sys
from typing import Any

#: Environment variables that change how fast (or which kernels) BLAS and
#: OpenMP run; recorded rather than changed (OPENBLAS_CORETYPE can slow NumPy).
THREADING_VARIABLES = (
    "OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
    "CUDA_VISIBLE_DEVICES",
)


def _cpu_model() -> str:
    """The CPU's marketing name: ``model name`` in /proc/cpuinfo on x86, the
    ``Model name`` of lscpu on ARM (whose cpuinfo has only part numbers)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Hardware", "cpu model") and value.strip():
                    return value.strip()
    except OSError:
        pass
    if shutil.which("lscpu"):
        try:
            out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        match = re.search(r"^Model name:\s*(.+)$", out, re.MULTILINE)
        if match:
            return match.group(1).strip()
    return platform.processor() or platform.machine() or "unknown"


def _physical_cores() -> int | None:
    """Distinct (package, core) pairs in /proc/cpuinfo; None where it does not say."""
    cores, package, core = set(), None, None
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "physical id":
                    package = value.strip()
                elif key == "core id":
                    core = value.strip()
                elif not line.strip() and core is not None:
                    cores.add((package, core))
                    package = core = None
    except OSError:
        return None
    if core is not None:
        cores.add((package, core))
    return len(cores) or None


def _cpu() -> dict[str, Any]:
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count()
    return {
        "model": _cpu_model(),
        "architecture": platform.machine(),
        "logical_cores": os.cpu_count(),
        "physical_cores": _physical_cores(),
        "usable_cores": usable,
    }


def _blas() -> list[dict[str, Any]] | str:
    """NumPy's (and any other loaded) BLAS/OpenMP pools, as threadpoolctl sees them."""
    try:
        import numpy  # noqa: F401  (load NumPy's BLAS so threadpoolctl finds it)
        from threadpoolctl import threadpool_info
    except ImportError as exc:
        return f"not recorded: {exc}"
    keep = ("user_api", "internal_api", "version", "architecture", "threading_layer", "num_threads", "filepath")
    return [{k: pool.get(k) for k in keep if pool.get(k) is not None} for pool in threadpool_info()]


def _nvidia_driver() -> str | None:
    if not shutil.which("nvidia-smi"):
        return None
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=20,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    versions = sorted({line.strip() for line in out.splitlines() if line.strip()})
    return ", ".join(versions) or None


def _cuda(torch: Any) -> dict[str, Any]:
    info: dict[str, Any] = {"build": torch.version.cuda, "available": False, "devices": []}
    try:
        info["available"] = bool(torch.cuda.is_available())
    except Exception as exc:  # a broken driver must not break the report
        info["error"] = f"{type(exc).__name__}: {exc}"
        return info
    if not info["available"]:
        return info
    info["driver"] = _nvidia_driver()
    try:
        info["cudnn"] = torch.backends.cudnn.version()
    except Exception:
        info["cudnn"] = None
    for index in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(index)
        info["devices"].append({
            "index": index,
            "name": props.name,
            "capability": f"{props.major}.{props.minor}",
            "memory_gib": round(props.total_memory / 2**30, 1),
            "multiprocessors": props.multi_processor_count,
        })
    return info


def _torch() -> dict[str, Any]:
    try:
        import torch
    except ImportError as exc:
        return {"version": f"not importable: {exc}"}
    return {
        "version": torch.__version__,
        "git_version": getattr(torch.version, "git_version", None),
        "debug": bool(getattr(torch.version, "debug", False)),
        "config": torch.__config__.show(),
        "parallel": torch.__config__.parallel_info(),
        "num_threads": torch.get_num_threads(),
        "num_interop_threads": torch.get_num_interop_threads(),
        "mkl": torch.backends.mkl.is_available(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "cuda": _cuda(torch),
    }


def collect() -> dict[str, Any]:
    """Everything a result needs to be interpreted later, as JSON-ready data."""
    try:
        import numpy

        numpy_version = numpy.__version__
    except ImportError:
        numpy_version = None
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "torch": _torch(),
        "numpy": numpy_version,
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "platform": platform.platform(),
        "cpu": _cpu(),
        "blas": _blas(),
        "variables": {name: os.environ.get(name) for name in THREADING_VARIABLES},
    }


def summary(env: dict[str, Any]) -> str:
    """One line naming torch, its CUDA, the devices and the CPU (page headers)."""
    torch_info = env.get("torch") or {}
    cuda = torch_info.get("cuda") or {}
    gpus = ", ".join(d.get("name", "?") for d in cuda.get("devices") or []) or "no CUDA device"
    cpu = env.get("cpu") or {}
    return (
        f"torch {torch_info.get('version', '?')} (CUDA build {cuda.get('build') or 'none'}), {gpus}; "
        f"CPU {cpu.get('model', '?')} with {cpu.get('usable_cores', '?')} usable cores; "
        f"NumPy {env.get('numpy', '?')}, Python {(env.get('python') or {}).get('version', '?')}"
    )


def rows(data: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Flatten nested facts into ``("torch.cuda.build", "12.4")`` rows.

    Lists of dicts (CUDA devices, BLAS pools) become one row per entry with
    ``key=value`` pairs; ``None`` shows as "not set". Multi-line strings
    (``torch.__config__.show()``) are kept whole for a ``<pre>``.
    """
    if isinstance(data, dict):
        out: list[tuple[str, str]] = []
        for key, value in data.items():
            out.extend(rows(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(data, list):
        if not data:
            return [(prefix, "none")]
        if not any(isinstance(item, dict) for item in data):
            return [(prefix, ", ".join(str(item) for item in data))]
        return [
            (f"{prefix}[{i}]", ", ".join(f"{k}={v}" for k, v in item.items()) if isinstance(item, dict) else str(item))
            for i, item in enumerate(data)
        ]
    return [(prefix, "not set" if data is None else str(data))]
