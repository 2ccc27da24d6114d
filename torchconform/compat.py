"""The torch releases the suite supports, and the torch features some checks
need that older releases lack.

Supported: torch 2.3.0 and later, the first releases whose wheels were built
against NumPy 2 (the suite needs NumPy >= 2). A torch built for NumPy 1 cannot
exchange arrays with NumPy 2 at all (``torch.from_numpy`` raises "Numpy is
not available"), so the run stops at start-up with one line saying so.

A check that uses a feature newer than the torch under test is *skipped*
with the reason, never failed: ``require("rand_like-generator")`` at the top
of the check (or of the parameter that needs it). A feature is probed by
calling it, so a vendor build that backports it is checked; and only on
releases older than the one that added it, so on a newer torch a broken
feature fails its check instead of hiding as a skip.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import pytest

from torchconform.claims import release_at_least

#: The oldest torch release the suite runs on (see the module docstring).
OLDEST_SUPPORTED = "2.3.0"


@dataclass(frozen=True)
class Feature:
    """A torch feature some check needs: what it is, the release that added
    it, and a call on a device that raises on a torch without it."""

    what: str
    since: str
    probe: Callable[[str], object]


def _like_with_generator(name: str) -> Callable[[str], object]:
    def probe(device: str) -> object:
        import torch

        args = (2, 9) if name == "randint_like" else ()
        generator = torch.Generator(device=device).manual_seed(0)
        return getattr(torch, name)(torch.zeros(1, device=device), *args, generator=generator)

    return probe


def _fused_step(name: str) -> Callable[[str], object]:
    def probe(device: str) -> object:
        import torch

        param = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64, device=device))
        param.grad = torch.ones_like(param)
        return getattr(torch.optim, name)([param], lr=0.1, fused=True).step()

    return probe


def _adam_decoupled(device: str) -> object:
    import torch

    param = torch.nn.Parameter(torch.zeros(2, device=device))
    return torch.optim.Adam([param], decoupled_weight_decay=True)


FEATURES = {
    **{f"{name}-generator": Feature(f"torch.{name}(..., generator=...)", "2.5", _like_with_generator(name))
       for name in ("rand_like", "randn_like", "randint_like")},
    **{f"fused-{name}": Feature(f"torch.optim.{name}(..., fused=True) on this device", since,
                                _fused_step(name))
       for name, since in (("SGD", "2.4"), ("Adam", "2.4"), ("AdamW", "2.4"), ("Adagrad", "2.4"))},
    "adam-decoupled-weight-decay": Feature("torch.optim.Adam(..., decoupled_weight_decay=...)", "2.7",
                                           _adam_decoupled),
}


@functools.cache
def missing(name: str, device: str = "cpu") -> str | None:
    """Why feature ``name`` (a key of :data:`FEATURES`) is unusable on
    ``device`` with this torch, or None when it works. Only a torch older
    than the feature's release gets a reason: on a newer one a failing
    probe is a bug for the check to report, not a skip. Raises KeyError for
    an unknown name."""
    import torch

    feature = FEATURES[name]
    if release_at_least(torch.__version__, feature.since):
        return None
    try:
        feature.probe(device)
    except (TypeError, AttributeError, NotImplementedError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return (f"needs {feature.what} (torch {feature.since}+), which torch {torch.__version__} lacks: "
                f"{first[:160]}")
    return None


def require(name: str, device: str = "cpu") -> None:
    """Skip the calling check, with the reason, when feature ``name`` is missing on ``device``."""
    reason = missing(name, device)
    if reason:
        pytest.skip(reason)


def require_api(name: str) -> None:
    """Skip the calling check, with the reason, when the public function
    ``name`` (a dotted path from ``torch``: ``"torch.cholesky"``) is not in
    this torch: a release that removed it (torch 2.14 removed the deprecated
    ``torch.cholesky``) has nothing to check there. The API coverage counts
    only the functions this torch has, so the skip leaves no hole in it."""
    import torch

    owner = torch
    for part in name.split(".")[1:]:
        owner = getattr(owner, part, None)
        if owner is None:
            pytest.skip(f"{name} is not in torch {torch.__version__} (removed from its public API): nothing to check")


def numpy_bridge_problem() -> str | None:
    """One line when this torch cannot exchange arrays with the installed
    NumPy (a torch built for NumPy 1 under NumPy 2), else None."""
    import numpy
    import torch

    try:
        torch.from_numpy(numpy.zeros(1))
    except RuntimeError as exc:
        return (f"torch {torch.__version__} cannot exchange arrays with NumPy {numpy.__version__} ({exc}): it was "
                f"built for NumPy 1; this suite needs NumPy >= 2 and so torch >= {OLDEST_SUPPORTED}")
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    problem = numpy_bridge_problem()
    if problem:
        raise pytest.UsageError(problem)
