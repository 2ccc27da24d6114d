"""What the conformance page shows, computed from ``conformance.json``."""

from __future__ import annotations

import datetime
import re
from collections import Counter, defaultdict
from typing import Any

from torchconform import environment, timingfield
from torchconform import coveragefield as coverage
from torchconform.deviations import release_of
from torchconform.report import charts
from torchconform.resultsfile import OUTCOMES, as_float

#: Capabilities in the order a reader expects; others follow alphabetically.
CAPABILITY_ORDER = ("forward", "grad", "gradgrad", "grad_outputs", "inplace", "out", "layout")
DTYPE_ORDER = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64",
               "complex64", "complex128")

#: Cell statuses, worst first: a cell shows the worst of its cases.
STATUSES = {
    "fail": ("✗", "fails"),
    "xpass": ("!", "passes unexpectedly"),
    "resolved": ("↑", "resolved on this torch"),
    "deviation": ("≈", "known deviation"),
    "pass": ("✓", "conforms"),
    "skip": ("–", "skipped"),
}


def status(record: dict[str, Any]) -> str:
    """The page's status of a result record: "fail" (failed or error),
    "xpass", "deviation" (xfailed), "pass" or "skip"."""
    outcome = record["outcome"]
    if outcome in ("failed", "error"):
        return "fail"
    return {"xpassed": "xpass", "resolved": "resolved", "xfailed": "deviation", "passed": "pass"}.get(outcome, "skip")


def slug(*parts: str) -> str:
    """``parts`` joined by "--" with every run of other than ``[a-zA-Z0-9_.-]``
    replaced by "-": a stable HTML id or file name."""
    return re.sub(r"[^a-zA-Z0-9_.-]+", "-", "--".join(str(p) for p in parts)).strip("-")


def _ordered(values: set[str], order: tuple[str, ...]) -> list[str]:
    return [v for v in order if v in values] + sorted(values - set(order))


def _device_key(device: str) -> tuple[int, str]:
    return ({"cpu": 0, "n/a": 9}.get(device, 1 if device.startswith("cuda") else 5), device)


def format_ulp(value: Any) -> str:
    """A largest ULP error for the table (three significant digits, "inf"); "" if not a number."""
    number = as_float(value)
    if number is None:
        return ""
    if number == float("inf"):
        return "inf"
    return f"{number:.3g}"


def _duration(run: dict[str, Any]) -> str:
    try:
        start = datetime.datetime.fromisoformat(run["started"])
        end = datetime.datetime.fromisoformat(run["finished"])
    except (KeyError, TypeError, ValueError):
        return ""
    seconds = int((end - start).total_seconds())
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def _matrix(records: list[dict[str, Any]], anchors: dict[str, str]) -> dict[str, Any]:
    caps = _ordered({r["capability"] for r in records}, CAPABILITY_ORDER)
    devices = sorted({r["device"] for r in records}, key=_device_key)
    columns = [(c, d) for c in caps for d in devices if any(r["capability"] == c and r["device"] == d for r in records)]
    cells: dict[tuple[str, str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        cells[(r["area"], r["op"], r["capability"], r["device"])].append(r)
    areas = []
    for area in sorted({r["area"] for r in records}):
        rows = []
        for op in sorted({r["op"] for r in records if r["area"] == area}):
            row = []
            for cap, dev in columns:
                cases = cells.get((area, op, cap, dev), [])
                if not cases:
                    row.append(None)
                    continue
                worst = min((status(r) for r in cases), key=list(STATUSES).index)
                counts = Counter(status(r) for r in cases)
                bad = [r for r in cases if status(r) in ("fail", "xpass")]
                row.append({
                    "status": worst,
                    "symbol": STATUSES[worst][0],
                    "text": f"{counts[worst]}/{len(cases)}" if len(counts) > 1 else str(len(cases)),
                    "title": "; ".join(f"{r['dtype']}: {r['outcome']}" for r in cases),
                    "href": f"#{anchors[bad[0]['nodeid']]}" if bad else f"#{slug('op', area, op)}",
                })
            rows.append({"op": op, "anchor": slug("op", area, op), "cells": row})
        areas.append({"area": area, "rows": rows})
    groups = [(c, sum(1 for cc, _ in columns if cc == c)) for c in caps if any(cc == c for cc, _ in columns)]
    return {"columns": columns, "groups": groups, "areas": areas}


def _ulp_table(records: list[dict[str, Any]]) -> dict[str, Any]:
    worst: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for r in records:
        value = as_float(r.get("max_ulp"))
        if value is None or r["outcome"] == "skipped":
            continue
        key = (r["area"], r["op"])
        worst[key][r["dtype"]] = max(value, worst[key].get(r["dtype"], 0.0))
    if not worst:
        return {"rows": [], "dtypes": [], "chart": None}
    dtypes = _ordered({d for per in worst.values() for d in per}, DTYPE_ORDER)
    keys = sorted(worst)
    rows = [{"area": a, "op": o, "values": [format_ulp(worst[(a, o)].get(d)) for d in dtypes],
             "levels": [_ulp_level(worst[(a, o)].get(d)) for d in dtypes]} for a, o in keys]
    inexact = [k for k in keys if any(v > 0 for v in worst[k].values())]  # bit-exact ops say nothing on a chart
    chart = charts.dots(
        "ulp", "Ops with a nonzero error: largest error per dtype", [f"{a}: {o}" for a, o in inexact],
        {d: [worst[k].get(d) or None for k in inexact] for d in dtypes},
        "error in ULPs of the dtype (symlog scale; ▶ at the right edge: inf, or beyond 1e200)",
    ) if inexact else None
    return {"rows": rows, "dtypes": dtypes, "chart": chart, "exact": len(keys) - len(inexact)}


def _ulp_level(value: float | None) -> str:
    if value is None:
        return ""
    if value <= 1:
        return "ulp-low"
    if value <= 16:
        return "ulp-mid"
    return "ulp-high"


def _timing(doc: dict[str, Any]) -> dict[str, Any]:
    timing = timingfield.of(doc)
    return {"rows": timingfield.rows(timing), "wall_seconds": timing.get("wall_seconds"),
            "workers": timing.get("workers"), "runs": timing.get("runs") or 1}


def _deviations(doc: dict[str, Any], records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    unused = set(doc["run"].get("unused_deviations") or [])
    out = []
    for dev in doc.get("deviations", []):
        cases = [r for r in records if r.get("deviation") == dev.get("id")]
        holds = sum(1 for r in cases if r["outcome"] == "xfailed")
        fixed = sum(1 for r in cases if r["outcome"] in ("xpassed", "failed"))
        resolved = sum(1 for r in cases if r["outcome"] == "resolved")
        out.append({**dev, "holds": holds, "fixed": fixed, "resolved": resolved, "unused": dev.get("id") in unused,
                    "observed_on": dev.get("observed_on") or [], "anchor": slug("deviation", dev.get("id", ""))})
    return out


def torch_release(doc: dict[str, Any]) -> str:
    """The torch release a result file was run on ("2.13.0" for 2.13.0+cpu)."""
    return release_of((doc["environment"].get("torch") or {}).get("version") or "?")


def changed_since(records: list[dict[str, Any]], reference: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The reference record of each case that fails or errors now but passed
    in the reference run (a likely regression of the torch under test), by node id."""
    if reference is None:
        return {}
    before = {r["nodeid"]: r for r in reference["records"]}
    return {r["nodeid"]: before[r["nodeid"]] for r in records
            if status(r) == "fail" and before.get(r["nodeid"], {}).get("outcome") == "passed"}


def _comparison(reference: dict[str, Any] | None, changed: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    if reference is None:
        return None
    return {"release": torch_release(reference), "torch": (reference["environment"].get("torch") or {}).get("version"),
            "finished": reference["run"].get("finished", ""), "count": len(changed),
            "label": f"changed since {torch_release(reference)}"}


#: Facts a record may lack (a passing case has no message); pages see them as None.
OPTIONAL = ("reason", "message", "tolerance", "max_ulp", "repro", "observed", "expected", "deviation", "claim",
            "falsifying_examples", "reproduce_failure", "traceback", "hypothesis")


def _case_view(r: dict[str, Any], anchor: str | None, before: dict[str, Any] | None = None) -> dict[str, Any]:
    hyp = r.get("hypothesis") or {}
    return {
        **dict.fromkeys(OPTIONAL),
        **r,
        "status": status(r),
        "anchor": anchor,
        "case": r["nodeid"].split("::")[-1],
        "ulp": format_ulp(r.get("max_ulp")),
        "examples": hyp.get("examples"),
        "first_line": (r.get("reason") or r.get("message") or "").strip().split("\n")[0][:200],
        "before": before,
    }


def build(doc: dict[str, Any], reference: dict[str, Any] | None = None) -> dict[str, Any]:
    """The conformance page's context: run, totals, matrix, failures (those
    that passed in the ``reference`` run labelled "changed since" its torch),
    deviations and those resolved on this torch, errors per op and dtype,
    skips and every case by op."""
    records = doc["records"]
    for r in records:  # records from older or hand-made files may lack fields
        r.setdefault("area", "other")
        r.setdefault("op", r["nodeid"].split("::")[-1].split("[")[0])
        r.setdefault("capability", "forward")
        r.setdefault("dtype", "various")
        r.setdefault("device", "n/a")
    problems = [r for r in records if status(r) in ("fail", "xpass")]
    anchors = {r["nodeid"]: f"case-{i + 1}" for i, r in enumerate(problems)}
    changed = changed_since(records, reference)
    totals = Counter(r["outcome"] for r in records)
    devices = sorted({r["device"] for r in records}, key=_device_key)
    per_device = [{"device": d, "counts": [sum(1 for r in records if r["device"] == d and r["outcome"] == o)
                                           for o in OUTCOMES]} for d in devices]
    skips = Counter((r.get("reason") or "no reason given") for r in records if r["outcome"] == "skipped")
    by_op: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        by_op[(r["area"], r["op"])].append(_case_view(r, anchors.get(r["nodeid"])))
    ops = [{
        "area": a, "op": o, "anchor": slug("op", a, o), "cases": cases,
        "summary": ", ".join(f"{n} {k}" for k, n in Counter(c["outcome"] for c in cases).most_common()),
    } for (a, o), cases in sorted(by_op.items())]
    env = doc["environment"]
    return {
        "run": {"calibrated_torch": None, **doc["run"], "duration": _duration(doc["run"])},
        "environment": {"summary": environment.summary(env), "rows": environment.rows(env)},
        "outcomes": OUTCOMES,
        "totals": [(o, totals.get(o, 0)) for o in OUTCOMES],
        "total": len(records),
        "per_device": per_device,
        "statuses": STATUSES,
        "matrix": _matrix(records, anchors),
        "failures": [_case_view(r, anchors[r["nodeid"]], changed.get(r["nodeid"])) for r in problems],
        "torch_release": torch_release(doc),
        "reference": _comparison(reference, changed),
        "changed": [_case_view(r, anchors[r["nodeid"]], changed[r["nodeid"]]) for r in problems
                    if r["nodeid"] in changed],
        "resolved": [_case_view(r, None) for r in records if r["outcome"] == "resolved"],
        "deviations": _deviations(doc, records),
        "ulp": _ulp_table(records),
        "skips": skips.most_common(),
        "ops": ops,
        "claims": sum(1 for r in records if r.get("claim")),
        "coverage": coverage.summary(doc.get("coverage")),
        "derivative_orders": coverage.ORDERS,
        "timing": _timing(doc),
    }


def summary(doc: dict[str, Any], reference: dict[str, Any] | None = None) -> dict[str, Any]:
    """The few numbers the index shows."""
    records = doc["records"]
    changed = changed_since(records, reference)
    totals = Counter(r["outcome"] for r in records)
    ran = sum(totals[o] for o in OUTCOMES if o != "skipped")
    devices = {r.get("device", "n/a") for r in records} - {"n/a"}
    used = {r.get("device") for r in records if r["outcome"] != "skipped"}
    return {
        "total": len(records),
        "ran": ran,
        "totals": [(o, totals.get(o, 0)) for o in OUTCOMES],
        "problems": totals["failed"] + totals["error"] + totals["xpassed"],
        "conforming": f"{100 * (totals['passed'] + totals['xfailed'] + totals['resolved']) / ran:.1f}%"
                      if ran else "n/a",
        "reference": _comparison(reference, changed),
        "resolved": sorted({r.get("deviation") or r["nodeid"] for r in records if r["outcome"] == "resolved"}),
        "partial": doc["run"].get("partial", False),
        "partial_reasons": doc["run"].get("partial_reasons", []),
        "finished": doc["run"].get("finished", ""),
        "torch": (doc["environment"].get("torch") or {}).get("version", "?"),
        "devices": sorted(devices & used, key=_device_key),
        "skipped_devices": sorted(devices - used, key=_device_key),
    }
