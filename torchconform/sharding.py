"""``pytest conformance --shard=I/N``: run one of N disjoint parts of the suite.

A case's shard is a stable hash of its node id (SHA-256, not Python's salted
``hash``), so it depends on nothing else: not on the order of collection, not
on which other tests exist, not on the machine, the torch build or the
Python process. N CI jobs or N hosts each run ``--shard=I/N`` for I = 1..N
and ``python -m torchconform.report merge`` rebuilds the whole run from
their ``conformance.json`` files; every case lands in exactly one shard.

Why not pytest-split: it balances shards by recorded durations and assigns
cases by their position in the collected list, so a case moves to another
shard when a test is added or a durations file changes; a merge must know
that two shards never ran the same case, which a hash of the id guarantees.

The shard is recorded in the results (``run.shard = {"index": I, "count":
N}``) so a merge can refuse two copies of one shard. Under pytest-xdist each
worker deselects the same cases (the hash is the same everywhere), so
``--shard`` and ``-n``/``--tx`` combine.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import pytest

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, nodeid: str) -> bool:
        """Whether the case ``nodeid`` belongs to this shard."""
        return shard_of(nodeid, self.count) == self.index

    def as_dict(self) -> dict[str, int]:
        """``{"index": I, "count": N}``, the ``run.shard`` of a conformance JSON."""
        return {"index": self.index, "count": self.count}


def shard_of(nodeid: str, count: int) -> int:
    """The 1-based shard of ``count`` that the case ``nodeid`` falls in."""
    digest = hashlib.sha256(nodeid.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def parse_shard(text: str) -> Shard:
    """``"I/N"`` as a :class:`Shard`; ``ValueError`` with a one-line reason otherwise."""
    match = _SPEC.match(text)
    if not match:
        raise ValueError(f"--shard={text!r}: expected I/N, e.g. --shard=1/4")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise ValueError(f"--shard={text}: I must be between 1 and N (N >= 1)")
    return Shard(index, count)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("torchconform").addoption(
        "--shard", default=None, metavar="I/N",
        help="run only shard I of N (1-based), chosen by a stable hash of each test id; "
             "merge the N result files with `python -m torchconform.report merge`",
    )


def pytest_configure(config: pytest.Config) -> None:
    text = config.getoption("shard", None)
    try:
        config._torchconform_shard = parse_shard(text) if text else None
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def current(config: pytest.Config) -> Shard | None:
    """The shard this run was asked for, or None for a whole run."""
    return getattr(config, "_torchconform_shard", None)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # trylast: other plugins (known deviations) see the whole collection first,
    # so what they report does not depend on the shard.
    shard = current(config)
    if shard is None or shard.count == 1:
        return
    kept, dropped = [], []
    for item in items:
        (kept if shard.holds(item.nodeid) else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_report_header(config: pytest.Config) -> list[str]:
    shard = current(config)
    return [f"torchconform: shard {shard} (cases chosen by a hash of their id)"] if shard else []
