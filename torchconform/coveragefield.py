"""The ``coverage`` field of a conformance JSON, without torch: its layout,
how runs merge, and the per-namespace counts the page shows. Like
:mod:`torchconform.resultsfile` it sits below its writer
(:mod:`torchconform.coverage`, through the results plugin) and its reader
(:mod:`torchconform.report`), and needs only the standard library.

Layout (``torchconform.coverage/1``)::

    {"schema": "torchconform.coverage/1",
     "api": {"torch": [...], "torch.nn.functional": [...], ...},  # every family, by namespace
     "called": [...],    # families some test called (checked ones included)
     "checked": [...]}   # families some test checked against a reference

The sets, not counts, are stored, so results of several runs (or xdist
workers) merge by set union (:func:`merge`). What the states mean is defined
in :mod:`torchconform.coverage`, which measures them.
"""

from __future__ import annotations

from typing import Any, Iterable

SCHEMA = "torchconform.coverage/1"
STATES = ("checked", "called", "untouched")


def field(called: Iterable[str], checked: Iterable[str], universe: dict[str, list[str]]) -> dict[str, Any]:
    """The ``coverage`` field of a conformance JSON: the API universe (family
    names by namespace) and the called/checked sets (a checked family is
    called too)."""
    checked = set(checked)
    return {
        "schema": SCHEMA,
        "api": universe,
        "called": sorted(set(called) | checked),
        "checked": sorted(checked),
    }


def merge(*fields: dict[str, Any] | None) -> dict[str, Any] | None:
    """Several runs' coverage fields as one: each set is the union (a run
    missing the field contributes nothing); None when none has one."""
    present = [f for f in fields if f]
    if not present:
        return None
    universe: dict[str, set[str]] = {}
    for f in present:
        for ns, names in f.get("api", {}).items():
            universe.setdefault(ns, set()).update(names)
    return field(
        set().union(*(f.get("called", ()) for f in present)),
        set().union(*(f.get("checked", ()) for f in present)),
        {ns: sorted(names) for ns, names in universe.items()},
    )


def summary(coverage: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    """Per namespace: total, and the families checked, only called and
    untouched (counts, percentages and the sorted lists); a last row sums
    all namespaces. None when the run recorded no coverage."""
    if not coverage:
        return None
    checked, called = set(coverage.get("checked", ())), set(coverage.get("called", ()))
    rows = []
    for ns, names in coverage.get("api", {}).items():
        lists = {
            "checked": [n for n in names if n in checked],
            "called": [n for n in names if n in called and n not in checked],
            "untouched": [n for n in names if n not in called and n not in checked],
        }
        rows.append(_row(ns, len(names), lists))
    total = sum(r["total"] for r in rows)
    rows.append(_row("all", total, {s: [n for r in rows for n in r["lists"][s]] for s in STATES}))
    return rows


def _row(namespace: str, total: int, lists: dict[str, list[str]]) -> dict[str, Any]:
    counts = {s: len(lists[s]) for s in STATES}
    percent = {s: (100.0 * counts[s] / total if total else 0.0) for s in STATES}
    return {"namespace": namespace, "total": total, "counts": counts, "percent": percent, "lists": lists}
