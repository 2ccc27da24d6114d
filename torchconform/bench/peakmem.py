"""Peak memory of the seed's in-place and out-of-place updates, each in a
fresh process (``python -m torchconform.bench.peakmem VARIANT DEVICE MIB``),
printing one JSON line.

torch's CPU allocations go through malloc, which tracemalloc does not see;
the process's peak resident set does. The peak is reset (``/proc/self/clear_refs``)
once the tensor exists, so what is read is what the updates add on top of it;
where the reset is not allowed, ``ru_maxrss`` is used, which hides any
growth below the process's earlier peak (import of torch). On CUDA the
caching allocator's own peak is read instead.
"""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
from pathlib import Path

VARIANTS = ("inplace", "outofplace")


def _status_bytes(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.MULTILINE)
    return int(match.group(1)) * 1024


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_bytes(reset: bool) -> int:
    if reset:
        return _status_bytes("VmHWM")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux


def _updates(t, variant: str):
    """The seed's ``tensor.add_(5)``, then a scale and a ReLU, in place or as new tensors."""
    if variant == "inplace":
        t.add_(5).mul_(2).relu_()
    else:
        t = t + 5
        t = t * 2
        t = t.relu()
    return t


def measure(variant: str, device: str, mib: int) -> dict:
    """Allocates a float32 tensor of ``mib`` MiB of ones on ``device``
    (``"cpu"`` or ``"cuda[:N]"``) and runs the ``variant`` updates
    (:data:`VARIANTS`) on it. Returns ``{"variant", "device", "tensor_bytes",
    "extra_peak_bytes", "method"}``: the peak bytes the updates added on top
    of the tensor (>= 0) and how they were read. Only meaningful in a fresh
    process (:func:`run`); raises what torch raises for an unknown device or
    a tensor that does not fit."""
    import torch

    count = mib * 2**20 // 4
    t = torch.ones(count, device=device)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        start = torch.cuda.memory_allocated()
        _updates(t, variant)
        torch.cuda.synchronize()
        extra, how = torch.cuda.max_memory_allocated() - start, "torch.cuda.max_memory_allocated"
    else:
        reset = _reset_peak()
        start = _status_bytes("VmRSS") if reset else _peak_bytes(False)
        _updates(t, variant)
        extra = _peak_bytes(reset) - start
        how = "peak RSS (VmHWM, reset) of a fresh process" if reset else "ru_maxrss of a fresh process"
    return {"variant": variant, "device": device, "tensor_bytes": count * 4, "extra_peak_bytes": max(extra, 0),
            "method": how}


def run(variant: str, device: str, mib: int) -> dict:
    """:func:`measure` in a child process (peaks never go down within one)."""
    out = subprocess.run([sys.executable, "-m", "torchconform.bench.peakmem", variant, device, str(mib)],
                         capture_output=True, text=True, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
