"""The ``timing`` field of a conformance JSON: where a run's time goes, per
area. Like :mod:`torchconform.coveragefield` it needs only the standard
library, so both the results plugin and the page builder use it.

Layout (``torchconform.timing/1``)::

    {"schema": "torchconform.timing/1",
     "wall_seconds": 512.3,   # the run's elapsed time on the controller (None when unknown)
     "workers": 2,            # pytest-xdist workers (1 without xdist)
     "runs": 1,               # how many runs' times are summed here (see merge)
     "areas": {"nn": {"cases": 812, "seconds": 301.2, "call_seconds": 280.0}, ...}}

An area is what a record's ``area`` says: the ``pytest.mark.area`` marker,
else the module name without ``test_``. ``seconds`` sums every phase of the
area's cases (setup, call, teardown: module fixtures count where they run),
``call_seconds`` the test bodies alone. Under xdist the cases' times add up
over workers, so they may exceed the wall time.

Merging (:func:`merge`) adds the runs' times: shards and machines are
disjoint parts of the work, and the time each spent is time spent, even on a
case that two machines both ran and the merged records keep once.
"""

from __future__ import annotations

from typing import Any, Iterable

SCHEMA = "torchconform.timing/1"


def _area_totals(records: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    areas: dict[str, dict[str, Any]] = {}
    for r in records:
        totals = areas.setdefault(str(r.get("area") or "other"), {"cases": 0, "seconds": 0.0, "call_seconds": 0.0})
        totals["cases"] += 1
        totals["seconds"] += float(r.get("duration") or 0.0)
        totals["call_seconds"] += float(r.get("call_duration") or 0.0)
    return areas


def _rounded(areas: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {a: {"cases": t["cases"], "seconds": round(t["seconds"], 3), "call_seconds": round(t["call_seconds"], 3)}
            for a, t in sorted(areas.items())}


def field(records: Iterable[dict[str, Any]], wall_seconds: float | None, workers: int | None = 1) -> dict[str, Any]:
    """The ``timing`` field of one run from its records (each with ``area``,
    ``duration`` and ``call_duration`` in seconds), its wall time in seconds
    and its number of xdist workers (None: not known)."""
    return {
        "schema": SCHEMA,
        "wall_seconds": None if wall_seconds is None else round(wall_seconds, 3),
        "workers": workers,
        "runs": 1,
        "areas": _rounded(_area_totals(records)),
    }


def of(doc: dict[str, Any]) -> dict[str, Any]:
    """A conformance result's timing: its field, or for a file written before
    the field existed, the per-area totals of its records (without a wall time)."""
    timing = doc.get("timing")
    if isinstance(timing, dict) and timing.get("schema") == SCHEMA and isinstance(timing.get("areas"), dict):
        return timing
    return field(doc.get("records") or [], None, None)


def merge(*docs: dict[str, Any]) -> dict[str, Any]:
    """The timing of several runs merged into one: per area, cases and
    seconds added; the wall times added (None if a run lacks one); ``runs``
    the number of runs summed."""
    timings = [of(doc) for doc in docs]
    areas: dict[str, dict[str, Any]] = {}
    for timing in timings:
        for area, t in timing["areas"].items():
            totals = areas.setdefault(area, {"cases": 0, "seconds": 0.0, "call_seconds": 0.0})
            for key in totals:
                totals[key] += t.get(key) or 0
    walls = [t.get("wall_seconds") for t in timings]
    workers = {t.get("workers") for t in timings}
    return {
        "schema": SCHEMA,
        "wall_seconds": None if any(w is None for w in walls) else round(sum(walls), 3),
        "workers": workers.pop() if len(workers) == 1 else None,
        "runs": sum(int(t.get("runs") or 1) for t in timings),
        "areas": _rounded(areas),
    }


def rows(timing: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The page's rows: one per area, most time first, with its share (%) of
    all cases' time; a last row sums the areas. Empty without timing."""
    if not timing or not timing.get("areas"):
        return []
    total = sum(t["seconds"] for t in timing["areas"].values())
    out = [{"area": a, **t, "share": 100.0 * t["seconds"] / total if total else 0.0}
           for a, t in sorted(timing["areas"].items(), key=lambda kv: (-kv[1]["seconds"], kv[0]))]
    out.append({"area": "all", "cases": sum(r["cases"] for r in out), "seconds": total,
                "call_seconds": sum(r["call_seconds"] for r in out), "share": 100.0 if total else 0.0})
    return out
