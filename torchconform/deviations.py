"""Known deviations: places where torch differs from NumPy *by design*.

They live in ``deviations.toml`` next to this module, one table each:

    calibrated = "2.13.0"                      # the release the entries were checked on

    [[deviation]]
    id = "short-kebab-id"
    observed_on = ["2.13.0"]                   # torch releases the example was seen failing on
    test = "conformance/test_x.py::test_y[*]"   # pattern on the nodeid: only * is special
    dtype = "float16"                          # optional: narrow to a dtype param
    device = "cuda"                            # optional: narrow to a device param
    reason = "why torch differs, and why that is intended"
    link = "https://..."                       # optional: upstream issue or docs

Each applies as an xfail. On the calibrated release, and on any release the
entry lists in ``observed_on``, it is *strict*: when the example passes, the
run fails with XPASS(strict), so a stale example cannot hide. On any other
torch (a newer release, a vendor build) a passing example is reported as
*resolved on this torch*, not as a failure: that torch fixed it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources

REQUIRED = ("id", "observed_on", "test", "reason")
OPTIONAL = ("dtype", "device", "link", "op")
_RELEASE = re.compile(r"\d+\.\d+\.\d+\S*")


def _glob_to_regex(pattern: str) -> str:
    # Node ids are full of [ ] which fnmatch would read as character classes.
    return ".*".join(re.escape(part) for part in pattern.split("*"))


@dataclass(frozen=True)
class Deviation:
    """One known deviation of torch from NumPy (an entry of ``deviations.toml``).

    ``test`` is a pytest node id pattern (``*`` matches anything) naming the
    strict-xfail example(s) that show it; ``dtype``/``device`` narrow the
    match to those parameters; ``op`` names the op-table row it is about;
    ``observed_on`` the torch releases (``"2.13.0"``) it was seen on, where
    it stays strict; ``reason`` says why, ``link`` where upstream discusses it."""

    id: str
    test: str
    reason: str
    dtype: str | None = None
    device: str | None = None
    link: str | None = None
    op: str | None = None
    observed_on: tuple[str, ...] = ()

    def matches(self, nodeid: str, params: dict) -> bool:
        """Whether the test ``nodeid`` with parameters ``params`` (``dtype`` and
        ``device`` compared by name) is an example of this deviation."""
        if not re.fullmatch(_glob_to_regex(self.test), nodeid):
            return False
        for key in ("dtype", "device"):
            wanted = getattr(self, key)
            if wanted is not None and str(params.get(key, "")).removeprefix("torch.") != wanted:
                return False
        return True

    def expected_on(self, release: str, calibrated: str) -> bool:
        """Whether the deviation must still show on torch ``release`` (as
        :func:`release_of` gives it): on the calibrated release and on those
        it was observed on, a passing example is a failure of the run."""
        return release == calibrated or release in self.observed_on

    @property
    def label(self) -> str:
        """The one-line text pytest and the report show for the deviation."""
        return f"known deviation {self.id}: {self.reason}"


def parse(text: str, source: str = "deviations.toml") -> list[Deviation]:
    """The deviations of a TOML text (``[[deviation]]`` tables).

    Raises ``ValueError`` naming ``source`` for a missing or unknown key, a
    duplicate id, or an ``observed_on`` that is not a list of releases, and
    ``tomllib.TOMLDecodeError`` (a ``ValueError``) for text that is not TOML."""
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
        observed = entry["observed_on"]
        if not isinstance(observed, list) or not all(isinstance(v, str) and _RELEASE.fullmatch(v) for v in observed):
            raise ValueError(f"{source}: deviation {entry['id']!r}: observed_on must be a list of torch releases "
                             f"like [\"2.13.0\"], not {observed!r}")
        out.append(Deviation(**{**entry, "observed_on": tuple(observed)}))
    return out


def release_of(version: str) -> str:
    """The release a torch version string names: ``"2.13.0+cpu"`` gives
    ``"2.13.0"``; a pre-release or source build keeps its suffix
    (``"2.14.0a0"``), so it never counts as a release it precedes."""
    return str(version).split("+")[0]


def _shipped_text() -> str:
    return resources.files("torchconform").joinpath("deviations.toml").read_text(encoding="utf-8")


def load() -> list[Deviation]:
    """The deviations shipped with the package (``torchconform/deviations.toml``);
    raises as :func:`parse` does."""
    return parse(_shipped_text())


def calibrated_release() -> str:
    """The torch release the shipped deviations were checked on (their file's
    ``calibrated`` key; ``noxfile.py`` pins ``nox -s tests`` to it)."""
    release = tomllib.loads(_shipped_text()).get("calibrated")
    if not isinstance(release, str) or not _RELEASE.fullmatch(release):
        raise ValueError(f"deviations.toml: 'calibrated' must name a torch release like \"2.13.0\", not {release!r}")
    return release
