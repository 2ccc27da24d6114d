"""The "Tutorial claims" page: each statement of a seed tutorial, the check
that tests it and its verdict on the torch under test.

Verdicts come from the records of tests marked ``@pytest.mark.seed_claim(id)``;
the words around them (seed, section, quote, printed value, explanation of a
difference) come from an optional catalogue, a list of dicts with the keys
:data:`FIELDS`. By default the catalogue is read from ``torchconform.claims``
(a ``catalogue()`` function or a ``CATALOGUE`` list, of dicts or dataclasses);
without one, the page lists the claim ids and their tests only.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections import Counter, defaultdict
from typing import Any, Iterable, Mapping

from packaging.version import InvalidVersion

from torchconform.claims import release_at_least
from torchconform.resultsfile import ReportError

FIELDS = ("id", "seed", "section", "quote", "value", "check", "verdict_note")
VERDICTS = ("holds", "differs", "fails", "not checked", "not run")


def load_catalogue() -> list[dict[str, Any]] | None:
    """The catalogue from ``torchconform.claims``, or None when there is none."""
    try:
        module = importlib.import_module("torchconform.claims")
    except ModuleNotFoundError as exc:
        if exc.name in ("torchconform.claims", "torchconform"):
            return None
        raise ReportError(f"cannot load the claims catalogue: {exc}") from None
    source = getattr(module, "catalogue", None) or getattr(module, "CATALOGUE", None)
    if source is None:
        return None
    try:
        entries = source() if callable(source) else source
        return [_as_dict(entry) for entry in entries]
    except Exception as exc:  # another package's data: report it in one line
        raise ReportError(f"cannot read the claims catalogue: {type(exc).__name__}: {exc}") from None


def _as_dict(entry: Any) -> dict[str, Any]:
    if isinstance(entry, Mapping):
        return dict(entry)
    if dataclasses.is_dataclass(entry):
        return dataclasses.asdict(entry)
    return dict(vars(entry))


def _note_on(entry: Mapping[str, Any], torch_version: str | None) -> str:
    """The catalogue's note for the torch that ran: a claim with a ``since``
    has the opposite verdict on older releases (see torchconform.claims)."""
    note = entry.get("verdict_note") or ""
    since = entry.get("since")
    if not since or not torch_version:
        return note
    try:
        if release_at_least(torch_version, since):
            return note
    except InvalidVersion:  # an unparsable local version: keep the calibrated verdict
        return note
    return (entry.get("before_explanation") or "") if entry.get("status") == "holds" else ""


def verdict(records: list[dict[str, Any]], entry: Mapping[str, Any] | None,
            torch_version: str | None = None) -> tuple[str, str]:
    """(verdict, explanation) of one claim from its test records on ``torch_version``.

    A check of an out-of-date statement asserts today's behaviour and passes;
    the catalogue's ``verdict_note`` is what makes it "differs"."""
    note = _note_on(entry or {}, torch_version)
    if not records:
        return "not run", "no test of this claim ran in this run"
    failing = [r for r in records if r["outcome"] in ("failed", "error", "xpassed")]
    if failing:
        first = (failing[0].get("message") or failing[0]["outcome"]).strip().split("\n")[0]
        return "fails", f"the check fails on this torch: {first}"
    if all(r["outcome"] == "skipped" for r in records):
        return "not checked", records[0].get("reason") or "skipped"
    deviations = [r for r in records if r["outcome"] == "xfailed"]
    if note or deviations:
        return "differs", note or (deviations[0].get("reason") or "")
    return "holds", ""


def build(records: Iterable[dict[str, Any]], catalogue: list[dict[str, Any]] | None = None,
          torch_version: str | None = None) -> dict[str, Any]:
    """The claims page's context: claims grouped by seed, with verdicts on
    ``torch_version`` (the calibrated release's when None), and the list of
    statements that are out of date."""
    by_claim: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        if r.get("claim"):
            by_claim[str(r["claim"])].append(r)
    entries = {str(e.get("id")): e for e in catalogue or []}
    ids = [i for i in entries] + sorted(set(by_claim) - set(entries))
    seeds: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for claim_id in ids:
        entry = entries.get(claim_id) or {}
        cases = by_claim.get(claim_id, [])
        word, explanation = verdict(cases, entry, torch_version)
        seed = str(entry.get("seed") or "not in the catalogue")
        if entry.get("seed_title"):
            seed = f"{entry['seed_title']} ({seed})"
        seeds[seed].append({
            **{k: entry.get(k) or "" for k in FIELDS},
            "id": claim_id,
            "verdict": word,
            "torch_range": entry.get("torch_range") or "",
            "explanation": explanation,
            "tests": [{"nodeid": r["nodeid"], "outcome": r["outcome"], "device": r.get("device", "")} for r in cases],
        })
    claims = [c for cs in seeds.values() for c in cs]
    counts = Counter(c["verdict"] for c in claims)
    return {
        "seeds": sorted(seeds.items()),
        "outdated": [c for c in claims if c["verdict"] in ("differs", "fails")],
        "counts": [(v, counts.get(v, 0)) for v in VERDICTS if counts.get(v)],
        "total": len(claims),
        "catalogued": bool(catalogue),
    }
