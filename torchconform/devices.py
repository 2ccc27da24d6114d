"""Which devices a run checks, and how a user's ``--device`` choice is validated.

The default is every device this torch can use: ``cpu`` always, ``cuda``
when ``torch.cuda.is_available()``. The CUDA parametrisation is always
generated, so that on a machine without a GPU the report shows CUDA as
*skipped, with the reason*, rather than silently absent.
"""

from __future__ import annotations

import torch

KNOWN_TYPES = ("cpu", "cuda")
NO_CUDA_REASON = "CUDA not available: torch.cuda.is_available() is False on this machine"


class DeviceError(ValueError):
    """A device request this machine cannot honour; its message is one line for the user."""


def cuda_available() -> bool:
    """Whether this torch build sees a CUDA device."""
    return torch.cuda.is_available()


def default_devices() -> list[str]:
    """The devices checked when none is asked for: ``["cpu"]``, plus ``"cuda"`` when available."""
    return ["cpu", "cuda"] if cuda_available() else ["cpu"]


def parse_device(text: str) -> str:
    """Validate one ``--device`` value (``cpu``, ``cuda``, ``cuda:N``) and return it normalised."""
    value = text.strip().lower()
    kind, colon, index = value.partition(":")
    if kind not in KNOWN_TYPES or (colon and not index.isdigit()) or (kind == "cpu" and colon):
        raise DeviceError(f"unknown device {text!r}: use 'cpu', 'cuda' or 'cuda:N'")
    if kind == "cuda":
        if not cuda_available():
            raise DeviceError(f"--device {text} requested but {NO_CUDA_REASON}")
        count = torch.cuda.device_count()
        if index and int(index) >= count:
            raise DeviceError(f"--device {text} requested but only {count} CUDA device(s) exist")
    return value


def parse_devices(values: list[str] | None) -> list[str]:
    """The devices to test, from the (possibly repeated, comma-separated) option values."""
    if not values:
        return default_devices()
    out: list[str] = []
    for value in values:
        for part in value.split(","):
            device = parse_device(part)
            if device not in out:
                out.append(device)
    return out


def device_params(selected: list[str]) -> list[tuple[str, str | None]]:
    """(device, skip reason or None) for the parametrisation of the ``device``
    fixture: the selected devices, plus ``cuda`` marked skipped when the
    machine has none and the user did not narrow the run to other devices."""
    params: list[tuple[str, str | None]] = [(d, None) for d in selected]
    if not cuda_available() and not any(d.startswith("cuda") for d in selected):
        params.append(("cuda", NO_CUDA_REASON))
    return params


def synchronize(device: str) -> None:
    """Wait for queued work on ``device`` (a no-op on CPU); timings need it."""
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)
