"""The catalogue of tutorial claims: every printed value and statement of the
seed tutorials, the test that checks it, and whether it still holds on the
torch this suite targets.

The data lives in ``claims.toml`` next to this module::

    [seeds]
    "002" = { file = "002_ec6c5d2b5f244ec5.txt", title = "60分钟入门PyTorch ..." }

    [[claim]]
    id = "course-full-int-fill-dtype"        # unique, used by @pytest.mark.seed_claim(id)
    seed = "003"                             # a key of [seeds]
    section = "2.张量简介与创建"               # the seed's heading
    quote = "torch.full((3,3), 8)"           # the seed's expression or statement
    value = "tensor([[8., 8., 8.], ...])"    # what the seed prints or states
    check = "conformance/test_claims_tensors.py::test_full_with_int_fill_value_is_int64"
    status = "differs"                       # or "holds"
    explanation = "torch.full infers ..."    # required when status is "differs", empty otherwise
    since = "2.5"                            # optional: status holds from this torch release on,
                                             # the opposite before it
    before_explanation = "..."               # with since and status "holds": how older releases differ

``status`` is the verdict on the calibrated release; :meth:`Claim.on` gives
the verdict on another torch (the checks assert what the verdict there says).

:func:`load` validates it and returns :class:`Claim` objects; :func:`catalogue`
gives plain dicts for the report (its ``verdict_note`` is the explanation of a
claim that differs, empty for one that holds).
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

PATH = Path(__file__).with_name("claims.toml")
STATUSES = ("holds", "differs")
_REQUIRED = ("id", "seed", "section", "quote", "value", "check", "status")
_FIELDS = _REQUIRED + ("explanation", "since", "before_explanation")


def release_at_least(version: str, since: str) -> bool:
    """Whether torch ``version`` (``2.4.1+cu121``, ``2.5.0a0+git1234``) is
    release ``since`` or later; pre-releases and local builds count as their
    release, so a nightly of 2.5 has 2.5's behaviour."""
    return Version(version).release >= Version(since).release


class CatalogueError(ValueError):
    """The catalogue file is malformed; the message names the entry and the problem."""


@dataclass(frozen=True)
class Claim:
    """One catalogue entry (the fields of ``claims.toml``, see the module
    docstring), with its seed resolved to the seed's file name and title.
    Built by :func:`load`, which validates it; all fields are strings."""

    id: str
    seed: str          # the seed's file name, e.g. "003_b0491628bec07a89.txt"
    seed_title: str
    section: str
    quote: str
    value: str
    check: str         # pytest node id of the test, without parameters
    status: str        # "holds" or "differs"
    explanation: str = ""
    since: str = ""    # status holds from this torch release on; the opposite before ("": always)
    before_explanation: str = ""

    def on(self, torch_version: str) -> Claim:
        """This claim as it stands on ``torch_version``: itself from ``since``
        on, before it the opposite status (with ``before_explanation`` when
        older releases are the ones that differ)."""
        if not self.since or release_at_least(torch_version, self.since):
            return self
        if self.status == "differs":
            return dataclasses.replace(self, status="holds", explanation="")
        return dataclasses.replace(self, status="differs", explanation=self.before_explanation)

    @property
    def torch_range(self) -> str:
        """The torch releases where ``status`` holds, in words."""
        return f"torch >= {self.since} (the opposite before)" if self.since else "every supported torch"

    @property
    def verdict_note(self) -> str:
        """What the claims page shows as the difference; empty when the claim holds."""
        return self.explanation if self.status == "differs" else ""

    @property
    def test_file(self) -> str:
        """The file part of ``check``: ``"conformance/test_claims_tensors.py"``."""
        return self.check.split("::")[0]

    @property
    def test_name(self) -> str:
        """The test function part of ``check``: ``"test_full_with_int_fill_value_is_int64"``."""
        return self.check.split("::")[-1]


def load(path: Path = PATH) -> list[Claim]:
    """The claims, in catalogue order, validated (unique ids, known seeds and
    statuses, every field present, an explanation exactly where a claim differs,
    ``check`` a ``file.py::test_name`` node id)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError(f"cannot read {path}: {exc}") from None
    seeds = data.get("seeds", {})
    claims: list[Claim] = []
    seen: set[str] = set()
    for i, entry in enumerate(data.get("claim", [])):
        where = f"{Path(path).name} claim #{i + 1} ({entry.get('id', 'no id')})"
        unknown = set(entry) - set(_FIELDS)
        if unknown:
            raise CatalogueError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        missing = [k for k in _REQUIRED if not str(entry.get(k, "")).strip()]
        if missing:
            raise CatalogueError(f"{where}: missing {', '.join(missing)}")
        if entry["id"] in seen:
            raise CatalogueError(f"{where}: duplicate id")
        seen.add(entry["id"])
        if entry["seed"] not in seeds:
            raise CatalogueError(f"{where}: unknown seed {entry['seed']!r}; known: {', '.join(seeds)}")
        if entry["status"] not in STATUSES:
            raise CatalogueError(f"{where}: status must be one of {STATUSES}, got {entry['status']!r}")
        explanation = str(entry.get("explanation", "")).strip()
        if (entry["status"] == "differs") != bool(explanation):
            raise CatalogueError(f"{where}: an explanation is required exactly when status is 'differs'")
        since = str(entry.get("since", "")).strip()
        before = str(entry.get("before_explanation", "")).strip()
        if since:
            try:
                Version(since)
            except InvalidVersion:
                raise CatalogueError(f"{where}: since must be a torch release like '2.5', got {since!r}") from None
        if bool(before) != (bool(since) and entry["status"] == "holds"):
            raise CatalogueError(f"{where}: before_explanation is required exactly when a claim that holds "
                                 f"has a since")
        file, sep, name = entry["check"].partition("::")
        if not sep or not file.endswith(".py") or not name.startswith("test_") or "[" in name:
            raise CatalogueError(f"{where}: check must be 'path/test_file.py::test_name', got {entry['check']!r}")
        seed = seeds[entry["seed"]]
        claims.append(Claim(
            id=entry["id"], seed=seed["file"], seed_title=seed.get("title", ""), section=entry["section"],
            quote=entry["quote"], value=entry["value"], check=entry["check"], status=entry["status"],
            explanation=explanation, since=since, before_explanation=before,
        ))
    return claims


def catalogue() -> list[dict]:
    """The claims as dicts for the report: every :class:`Claim` field plus
    ``verdict_note`` and ``torch_range``."""
    return [{**dataclasses.asdict(c), "verdict_note": c.verdict_note, "torch_range": c.torch_range} for c in load()]


def by_id() -> dict[str, Claim]:
    """``{id: Claim}`` of :func:`load`; raises :class:`CatalogueError` as it does."""
    return {c.id: c for c in load()}
