"""Several conformance runs side by side: torch releases, vendor builds,
machines. What changed between the first run (the *base*, usually the
calibrated release) and each other one.

Input: a ``conformance.json`` per run (optionally a pytest-benchmark
``bench.json`` beside it). Output: the context of ``compare.html``:

* the runs: torch build (version, git commit, CUDA build), machine, devices,
  Hypothesis profile, dates and totals;
* cases whose outcome differs between runs, grouped by area and op, each
  with the failing side's message and standalone repro script, and the kind
  of change against the base (newly failing, now passing, deviation resolved,
  skipped, not collected);
* known deviations that hold in one run and not in another;
* the largest error in ULPs per (area, op, dtype) that grew or shrank;
* benchmark medians as ratios to the base with their interquartile spread;
  a benchmark is called faster or slower only when the two runs' [Q1, Q3]
  intervals do not overlap (pytest-benchmark's ``q1``/``q3``; ``min``/``max``
  when a file lacks them).

Errors are :class:`~torchconform.resultsfile.ReportError` with one line.
"""

from __future__ import annotations

import datetime
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torchconform
from torchconform import environment
from torchconform.report import charts
from torchconform.report.bench import format_time
from torchconform.report.conformance import DTYPE_ORDER, format_ulp, slug
from torchconform.report.pages import _environment
from torchconform.resultsfile import ReportError, as_float, atomic_write_text, load_bench, load_conformance

CONFORMANCE_JSON = "conformance.json"
BENCH_JSON = "bench.json"
FAILING = ("failed", "error")
#: How a case's outcome changed from the base run to another run.
CHANGES = {
    "newly-fails": "fails here, not in the base run",
    "now-passes": "passes here, failed in the base run",
    "deviation-resolved": "known deviation no longer shows",
    "deviation-new": "known deviation here, not in the base run",
    "skipped": "skipped here, ran in the base run",
    "now-runs": "runs here, skipped in the base run",
    "not-collected": "not collected in one of the runs",
    "other": "outcome changed",
}


@dataclass
class Run:
    """One run to compare: its result file, the benchmarks beside it, and a label."""

    path: Path
    doc: dict[str, Any]
    bench: dict[str, Any] | None = None
    label: str = ""
    page: str | None = None
    records: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def torch(self) -> dict[str, Any]:
        """The run's ``environment.torch`` (version, build, CUDA); empty when not recorded."""
        return self.doc["environment"].get("torch") or {}


def load_runs(paths: list[Path], labels: list[str] | None = None) -> list[Run]:
    """The runs at ``paths`` (each a ``conformance.json`` or a directory holding
    one, with ``bench.json`` beside it when present), in the given order.
    Raises ReportError for fewer than two runs, a path given twice or an
    unreadable, foreign or other-schema file (every run must be of the
    current schema, so all share it)."""
    if len(paths) < 2:
        raise ReportError("compare needs two or more conformance results")
    files = [Path(p) / CONFORMANCE_JSON if Path(p).is_dir() else Path(p) for p in paths]
    seen: set[Path] = set()
    runs = []
    for file in files:
        if file.resolve() in seen:
            raise ReportError(f"{file} is given twice")
        seen.add(file.resolve())
        bench_file = file.with_name(BENCH_JSON)
        doc = load_conformance(file)
        run = Run(file, doc, load_bench(bench_file) if bench_file.exists() else None)
        run.records = {r["nodeid"]: r for r in doc["records"]}
        runs.append(run)
    _label(runs, labels)
    return runs


def _label(runs: list[Run], labels: list[str] | None) -> None:
    if labels is not None and len(labels) != len(runs):
        raise ReportError(f"{len(labels)} label(s) for {len(runs)} runs")
    names = labels or [f"torch {run.torch.get('version', '?')}" for run in runs]
    counts = Counter(names)
    for i, (run, name) in enumerate(zip(runs, names)):
        run.label = name if counts[name] == 1 else f"{name} (run {i + 1})"


def _status(record: dict[str, Any] | None) -> str:
    if record is None:
        return "absent"
    return record["outcome"]


def change_kind(base: dict[str, Any] | None, other: dict[str, Any] | None) -> str | None:
    """How the outcome of one case moved from the base run to another run
    (a key of :data:`CHANGES`), or None when it did not."""
    a, b = _status(base), _status(other)
    if a == b:
        return None
    if "absent" in (a, b):
        return "not-collected"
    if b == "skipped":
        return "skipped"
    if a == "skipped":
        return "now-runs"
    if a == "xfailed" and (other or {}).get("deviation"):
        return "deviation-resolved"
    if b == "xfailed":
        return "deviation-new"
    if b in FAILING:
        return "newly-fails"
    if a in FAILING:
        return "now-passes"
    return "other"


def rerun_command(run: Run, nodeid: str) -> str:
    """The command that runs one case again as this run did (same profile, so
    the ci profile draws the same examples), from the suite's checkout."""
    profile = run.doc["run"].get("hypothesis_profile")
    return f"python -m pytest '{nodeid}'" + (f" --hypothesis-profile={profile}" if profile else "")


def _side(run: Run, record: dict[str, Any] | None) -> dict[str, Any]:
    if record is None:
        return {"run": run.label, "outcome": "absent", "css": "not-run", "line": "not collected", "repro": None,
                "message": None, "example": None, "rerun": None}
    text = (record.get("reason") or record.get("message") or "").strip()
    failing = record["outcome"] in FAILING
    examples = record.get("falsifying_examples") or []
    return {
        "run": run.label,
        "outcome": record["outcome"],
        "css": record["outcome"],
        # The check's header and, for a mismatch, its worst element: enough to see what differs.
        "line": " / ".join(line.strip() for line in text.split("\n")[:2] if line.strip())[:300],
        "message": record.get("message") if failing else None,
        "example": examples[0] if failing and examples else None,
        "repro": record.get("repro") if failing else None,
        "rerun": rerun_command(run, record["nodeid"]) if failing else None,
    }


def _meta(records: list[dict[str, Any] | None]) -> dict[str, str]:
    known = next(r for r in records if r is not None)
    return {k: str(known.get(k, "?")) for k in ("area", "op", "capability", "dtype", "device")}


def differences(runs: list[Run]) -> dict[str, Any]:
    """Cases whose outcome differs between the runs, grouped by area and op."""
    nodeids = sorted(set().union(*(run.records for run in runs)))
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    kinds: dict[str, Counter] = {run.label: Counter() for run in runs[1:]}
    for nodeid in nodeids:
        records = [run.records.get(nodeid) for run in runs]
        if len({_status(r) for r in records}) == 1:
            continue
        changes = []
        for run, record in zip(runs[1:], records[1:]):
            kind = change_kind(records[0], record)
            changes.append(kind)
            if kind:
                kinds[run.label][kind] += 1
        meta = _meta(records)
        groups[(meta["area"], meta["op"])].append({
            **meta,
            "nodeid": nodeid,
            "case": nodeid.split("::")[-1],
            "sides": [_side(run, record) for run, record in zip(runs, records)],
            "changes": [{"kind": k, "text": CHANGES[k]} if k else None for k in changes],
            "deviation": next((r.get("deviation") for r in records if r and r.get("deviation")), None),
        })
    order = list(CHANGES)
    ops = [{
        "area": area, "op": op, "anchor": slug("diff", area, op), "cases": cases,
        # Failures first: that is what a reader of a comparison looks for.
        "worst": min((order.index(c["kind"]) for case in cases for c in case["changes"] if c), default=len(order)),
    } for (area, op), cases in groups.items()]
    ops.sort(key=lambda o: (o["worst"], o["area"], o["op"]))
    return {
        "ops": ops,
        "count": sum(len(o["cases"]) for o in ops),
        "kinds": [{"run": label, "counts": [(k, CHANGES[k], counts[k]) for k in CHANGES if counts[k]]}
                  for label, counts in kinds.items()],
        "same": len(nodeids) - sum(len(o["cases"]) for o in ops),
    }


def _deviation_state(run: Run, dev_id: str) -> tuple[str, str]:
    """(state, words) of a known deviation in one run."""
    if dev_id not in {d.get("id") for d in run.doc.get("deviations", [])}:
        return "not-declared", "not declared"
    # A case marked with the deviation (a strict xfail) that does not fail as
    # expected reports failed or xpassed (or a "resolved" outcome); a passing
    # case that merely names the deviation was never marked.
    cases = [r for r in run.records.values()
             if r.get("deviation") == dev_id and r["outcome"] not in ("skipped", "passed")]
    gone = [r for r in cases if r["outcome"] != "xfailed"]
    if gone:
        return "resolved", f"resolved: {len(gone)} case(s) no longer show it"
    if cases:
        return "holds", f"holds ({len(cases)} case(s))"
    return "not-exercised", "not exercised"


def deviations(runs: list[Run]) -> dict[str, Any]:
    """Known deviations whose state (holds, resolved, not declared, not
    exercised) differs between the runs; and how many hold in all."""
    declared: dict[str, dict[str, Any]] = {}
    for run in runs:
        for dev in run.doc.get("deviations", []):
            declared.setdefault(dev.get("id"), dev)
    rows, steady = [], 0
    for dev_id, dev in sorted(declared.items()):
        states = [_deviation_state(run, dev_id) for run in runs]
        if len({s for s, _ in states}) == 1:
            steady += 1
            continue
        rows.append({"id": dev_id, "reason": dev.get("reason", ""), "link": dev.get("link"),
                     "states": [{"state": s, "text": t} for s, t in states]})
    return {"rows": rows, "steady": steady}


def _worst_ulps(run: Run) -> dict[tuple[str, str, str], float]:
    worst: dict[tuple[str, str, str], float] = {}
    for r in run.records.values():
        value = as_float(r.get("max_ulp"))
        if value is None or r["outcome"] == "skipped":
            continue
        key = (str(r.get("area", "other")), str(r.get("op", "?")), str(r.get("dtype", "various")))
        worst[key] = max(value, worst.get(key, 0.0))
    return worst


def _dtype_key(dtype: str) -> tuple[int, str]:
    return (DTYPE_ORDER.index(dtype) if dtype in DTYPE_ORDER else len(DTYPE_ORDER), dtype)


def ulp_changes(runs: list[Run]) -> dict[str, Any]:
    """The largest error (ULPs) per area, op and dtype where a run differs from the base."""
    worst = [_worst_ulps(run) for run in runs]
    keys = sorted(set().union(*worst), key=lambda k: (k[0], k[1], _dtype_key(k[2])))
    rows, same, partial = [], 0, 0
    for key in keys:
        values = [w.get(key) for w in worst]
        if None in values:
            partial += 1
            continue
        base = values[0]
        if len(set(values)) == 1:
            same += 1
            continue
        rows.append({"area": key[0], "op": key[1], "dtype": key[2], "values": [_ulp_text(v, values) for v in values],
                     "moves": [_ulp_move(base, value) for value in values[1:]]})
    chart = None
    if len(rows) >= 3:  # the table says more than a chart of one or two rows
        labels = [f"{r['area']}: {r['op']} {r['dtype']}" for r in rows]
        series = {run.label: [w.get((r["area"], r["op"], r["dtype"])) or None for r in rows]
                  for run, w in zip(runs, worst)}
        chart = charts.dots("ulp-changes", "Largest error where the runs differ", labels, series,
                            "error in ULPs of the dtype (symlog scale)")
    return {"rows": rows, "same": same, "partial": partial, "chart": chart}


def _ulp_move(base: float, value: float) -> dict[str, str]:
    """How an error moved from the base run's; the page colours growth like a slowdown."""
    if value == base:
        return {"css": "", "text": ""}
    if value > base:
        return {"css": "slower", "text": "grew" + (f" ×{_factor(value / base)}" if base else " (was exact)")}
    return {"css": "faster", "text": "shrank" + (f" ×{_factor(value / base)}" if value else " to exact")}


def _factor(ratio: float) -> str:
    """A ratio with enough digits to show it is not 1 (1.19e+06 vs 1.19e+06 is ×0.999998)."""
    digits = 3
    while f"{ratio:.{digits}g}" == "1" and digits < 9:
        digits += 1
    return f"{ratio:.{digits}g}"


def _ulp_text(value: float, row: list[float]) -> str:
    """``format_ulp``, with more digits when the row's values would otherwise print alike."""
    if len({format_ulp(v) for v in row}) > 1 or value == float("inf"):
        return format_ulp(value)
    return f"{value:.9g}"


def _spread(stats: dict[str, Any]) -> tuple[float, float]:
    low, high = as_float(stats.get("q1")), as_float(stats.get("q3"))
    if low is None or high is None:
        low, high = float(stats["min"]), float(stats["max"])
    return low, high


_VERDICT_ORDER = ("slower", "faster", "within spread")


def bench_changes(runs: list[Run]) -> dict[str, Any] | None:
    """Benchmark medians of each run as ratios to the base, with the ratio's
    range from the runs' [Q1, Q3] intervals; None when some run has no benchmarks."""
    if any(run.bench is None for run in runs):
        return None
    tables = [{b.get("fullname") or b["name"]: b for b in run.bench["benchmarks"]} for run in runs]
    rows = []
    for name in sorted(set(tables[0]).intersection(*tables[1:])):
        base = tables[0][name]["stats"]
        base_low, base_high = _spread(base)
        cells = []
        for table in tables[1:]:
            stats = table[name]["stats"]
            low, high = _spread(stats)
            ratio = stats["median"] / base["median"] if base["median"] > 0 else float("inf")
            if low > base_high:
                verdict, css = "slower", "slower"
            elif high < base_low:
                verdict, css = "faster", "faster"
            else:
                verdict, css = "within spread", ""
            cells.append({
                "ratio": f"{ratio:.3g}×",
                "range": f"{low / base_high:.3g}–{high / base_low:.3g}" if base_low > 0 else "",
                "verdict": verdict, "css": css,
            })
        rows.append({"name": name, "medians": [format_time(t[name]["stats"]["median"]) for t in tables],
                     "cells": cells})
    # Called changes first, slowdowns leading: what a reader of a comparison looks for.
    rows.sort(key=lambda r: (min(_VERDICT_ORDER.index(c["verdict"]) for c in r["cells"]), r["name"]))
    unmatched = sorted(set().union(*tables) - set(tables[0]).intersection(*tables[1:]))
    return {"rows": rows, "unmatched": unmatched,
            "called": Counter(c["verdict"] for r in rows for c in r["cells"])}


def _run_view(run: Run) -> dict[str, Any]:
    env, doc = run.doc["environment"], run.doc["run"]
    cuda = (run.torch.get("cuda") or {})
    cpu = env.get("cpu") or {}
    bench_machine = ((run.bench or {}).get("machine_info") or {}).get("cpu", {}) if run.bench else {}
    return {
        "label": run.label,
        "path": str(run.path),
        "page": run.page,
        "torch": run.torch.get("version", "?"),
        "git": (run.torch.get("git_version") or "")[:12],
        "cuda_build": cuda.get("build") or "none",
        "gpus": ", ".join(d.get("name", "?") for d in cuda.get("devices") or []) or "none",
        "numpy": env.get("numpy", "?"),
        "python": (env.get("python") or {}).get("version", "?"),
        "cpu": f"{cpu.get('model', '?')}, {cpu.get('usable_cores', '?')} usable cores",
        "platform": env.get("platform", "?"),
        "summary": environment.summary(env),
        "profile": doc.get("hypothesis_profile") or "not recorded",
        "devices": ", ".join(doc.get("devices") or []) or "not recorded",
        "started": doc.get("started", ""),
        "finished": doc.get("finished", ""),
        "partial": doc.get("partial_reasons") if doc.get("partial") else [],
        "totals": sorted(Counter(r["outcome"] for r in run.records.values()).items()),
        "cases": len(run.records),
        "bench": bool(run.bench),
        "bench_cpu": bench_machine.get("brand_raw") if isinstance(bench_machine, dict) else None,
    }


def notes(runs: list[Run]) -> list[str]:
    """What a reader must know before trusting the differences."""
    out = []
    profiles = {run.doc["run"].get("hypothesis_profile") for run in runs}
    if len(profiles) > 1:
        out.append("The runs used different Hypothesis profiles, so they drew different examples: an outcome or "
                   "error that differs may come from the examples rather than from torch.")
    elif profiles & {"dev", "thorough", None}:
        out.append("The runs used a randomised Hypothesis profile: each drew its own examples, so an error that "
                   "differs may come from the examples. The ci profile is derandomised and draws the same ones.")
    for run in runs:
        if run.doc["run"].get("partial"):
            out.append(f"{run.label} is a partial run ({'; '.join(run.doc['run'].get('partial_reasons') or [])}).")
    return out


def build(runs: list[Run]) -> dict[str, Any]:
    """The comparison page's context (see the module docstring)."""
    return {
        "runs": [_run_view(run) for run in runs],
        "base": runs[0].label,
        "others": [run.label for run in runs[1:]],
        "notes": notes(runs),
        "changes": CHANGES,
        "diff": differences(runs),
        "deviations": deviations(runs),
        "ulp": ulp_changes(runs),
        "bench": bench_changes(runs),
    }


def write_page(runs: list[Run], out: Path) -> Path:
    """Render ``compare.html`` for ``runs`` to ``out``; each run's own
    conformance page is linked when it sits beside its result file."""
    out = Path(out)
    for run in runs:
        page = run.path.with_name("conformance.html")
        if page.exists():  # a relative link keeps working when the reports folder moves
            run.page = Path(os.path.relpath(page.resolve(), out.parent.resolve())).as_posix()
    html = _environment().get_template("compare.html").render(
        page="compare.html", links=[("compare.html", "Comparison")],
        generated=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        version=torchconform.__version__, k=build(runs),
    )
    try:
        atomic_write_text(out, html)
    except OSError as exc:
        raise ReportError(f"cannot write {out}: {exc.strerror or exc}") from None
    return out
