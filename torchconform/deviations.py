"""Known deviations: places where torch differs from NumPy *by design*.

They live in ``deviations.toml`` next to this module, one table each:

    [[deviation]]
    id = "short-kebab-id"
    test = "conformance/test_x.py::test_y[*]"   # pattern on the nodeid: only * is special
    dtype = "float16"                          # optional: narrow to a dtype param
    device = "cuda"                            # optional: narrow to a device param
    reason = "why torch differs, and why that is intended"
    link = "https://..."                       # optional: upstream issue or docs

Each applies as a *strict* xfail: when torch changes and the test passes, the
run fails with XPASS(strict) and says which deviation is now obsolete.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources

REQUIRED = ("id", "test", "reason")
OPTIONAL = ("dtype", "device", "link", "op")


def _glob_to_regex(pattern: str) -> str:
    # Node ids are full of [ ] which fnmatch would read as character classes.
    return ".*".join(re.escape(part) for part in pattern.split("*"))


@dataclass(frozen=True)
class Deviation:
    id: str
    test: str
    reason: str
    dtype: str | None = None
    device: str | None = None
    link: str | None = None
    op: str | None = None

    def matches(self, nodeid: str, params: dict) -> bool:
        if not re.fullmatch(_glob_to_regex(self.test), nodeid):
            return False
        for key in ("dtype", "device"):
            wanted = getattr(self, key)
            if wanted is not None and str(params.get(key, "")).removeprefix("torch.") != wanted:
                return False
        return True

    @property
    def label(self) -> str:
        return f"known deviation {self.id}: {self.reason}"


def parse(text: str, source: str = "deviations.toml") -> list[Deviation]:
    data = tomllib.loads(text)
    out, seen = [], set()
    for i, entry in enumerate(data.get("deviation", [])):
        missing = [k for k in REQUIRED if not entry.get(k)]
        unknown = set(entry) - set(REQUIRED) - set(OPTIONAL)
        if missing or unknown:
            raise ValueError(f"{source}: deviation #{i + 1} has missing {missing} / unknown {sorted(unknown)} keys")
        if entry["id"] in seen:
            raise ValueError(f"{source}: duplicate deviation id {entry['id']!r}")
        seen.add(entry["id"])
        out.append(Deviation(**entry))
    return out


def load() -> list[Deviation]:
    text = resources.files("torchconform").joinpath("deviations.toml").read_text(encoding="utf-8")
    return parse(text)
