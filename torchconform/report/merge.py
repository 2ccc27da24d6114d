"""Merging conformance results: the shards of one run, or the runs of one
torch release on several machines (a CPU laptop and a GPU box), into one
``conformance.json`` whose page shows every device side by side.

What may be merged:

* every input is a readable result of the current schema, of the same torch
  release (the part before ``+``: ``2.13.0+cpu`` and ``2.13.0+cu128`` merge,
  ``2.13.0`` and ``2.14.1`` do not: that is a comparison, ``nox -s
  compare``) and the same Hypothesis profile;
* inputs run on the same devices are parts of one run: all shards ``I/N`` of
  one N, each index at most once (a whole run on the same devices as any
  other input overlaps it and is refused);
* inputs on different device sets (``--device cpu`` here, ``--device cuda``
  there) are machines; a case both ran keeps the worse outcome, and the
  record lists each run's outcome under ``"per_run"`` when they differ.

The API coverage fields (:mod:`torchconform.coveragefield`) merge by set
union, so two shards give the coverage of the unsharded run; the time per
area (:mod:`torchconform.timingfield`) adds up.

Missing shards are allowed and make the merged run partial, naming them.
Every refusal is a :class:`~torchconform.resultsfile.ReportError` with a
one-line message, raised before anything is written.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from torchconform import coveragefield, environment, timingfield
from torchconform.resultsfile import ReportError, load_conformance

#: Outcomes from worst to best, for the case two machines both ran.
_SEVERITY = ("error", "failed", "xpassed", "passed", "xfailed", "skipped")
_DEVICE_ORDER = ("cpu", "cuda")


def release(doc: dict[str, Any]) -> str:
    """The torch release of a result (``2.13.0`` for ``2.13.0+cpu``); "?" when not recorded."""
    version = ((doc.get("environment") or {}).get("torch") or {}).get("version") or "?"
    return str(version).split("+")[0]


def shard_label(run: dict[str, Any]) -> str:
    """What part of a run a result's ``run`` object holds: ``"shard 2/3"`` or ``"a whole run"``."""
    shard = run.get("shard")
    return f"shard {shard['index']}/{shard['count']}" if shard else "a whole run"


def _devices(doc: dict[str, Any]) -> tuple[str, ...]:
    return tuple(sorted(doc["run"].get("devices") or ["cpu"]))


def _check_shard(shard: Any, path: Path) -> dict[str, int] | None:
    if shard is None:
        return None
    if not (isinstance(shard, dict) and isinstance(shard.get("index"), int) and isinstance(shard.get("count"), int)
            and 1 <= shard["index"] <= shard["count"]):
        raise ReportError(f"{path}: corrupt conformance result: \"run.shard\" is not {{\"index\": I, \"count\": N}}")
    return shard if shard["count"] > 1 else None


def _check_compatible(runs: list[tuple[Path, dict[str, Any]]]) -> None:
    first_path, first = runs[0]
    for path, doc in runs[1:]:
        if release(doc) != release(first):
            raise ReportError(
                f"{first_path} ran torch {release(first)} and {path} torch {release(doc)}: a merge joins parts of "
                f"one release's run; set different releases side by side with `nox -s compare`")
        profile, first_profile = doc["run"].get("hypothesis_profile"), first["run"].get("hypothesis_profile")
        if profile != first_profile:
            raise ReportError(f"{first_path} ran the Hypothesis profile {first_profile!r} and {path} {profile!r}: "
                              f"merged cases must have drawn the same examples")


def _check_parts(runs: list[tuple[Path, dict[str, Any]]]) -> list[str]:
    """Refuses overlapping parts of a run; returns the missing shards as partial reasons."""
    groups: dict[tuple[str, ...], list[tuple[Path, dict[str, int] | None]]] = defaultdict(list)
    for path, doc in runs:
        groups[_devices(doc)].append((path, _check_shard(doc["run"].get("shard"), path)))
    missing = []
    for devices, parts in groups.items():
        where = ", ".join(devices)
        whole = [path for path, shard in parts if shard is None]
        shards: dict[tuple[int, int], Path] = {}
        for path, shard in parts:
            if shard is None:
                continue
            key = (shard["index"], shard["count"])
            if key in shards:
                raise ReportError(f"{shards[key]} and {path} are both shard {key[0]}/{key[1]} of a run on {where}: "
                                  f"merge each shard once")
            shards[key] = path
        if len(whole) > 1:
            raise ReportError(f"{whole[0]} and {whole[1]} are both whole runs on {where}: they hold the same cases "
                              f"(set two runs side by side with `nox -s compare`)")
        if whole and shards:
            (index, count), path = next(iter(shards.items()))
            raise ReportError(f"{whole[0]} is a whole run and {path} shard {index}/{count} on {where}: they overlap")
        counts = sorted({count for _, count in shards})
        if len(counts) > 1:
            raise ReportError(f"shards of {counts[0]} and of {counts[1]} parts on {where} overlap: "
                              f"merge the shards of one --shard=I/N split")
        if counts:
            absent = [f"{i}/{counts[0]}" for i in range(1, counts[0] + 1) if (i, counts[0]) not in shards]
            if absent:
                missing.append(f"shard(s) {', '.join(absent)} on {where} not merged")
    return missing


def _check_coverage(runs: list[tuple[Path, dict[str, Any]]]) -> None:
    for path, doc in runs:
        field = doc.get("coverage")
        if field is None:
            continue
        if not isinstance(field, dict) or field.get("schema") not in coveragefield.READABLE:
            found = field.get("schema") if isinstance(field, dict) else type(field).__name__
            raise ReportError(f"{path}: coverage format {found!r} is not one of the supported "
                              f"{', '.join(map(repr, coveragefield.READABLE))}")
        if not isinstance(field.get("api"), dict) \
                or not all(isinstance(field.get(k), list) for k in ("called", "checked")):
            raise ReportError(f"{path}: corrupt conformance result: \"coverage\" lacks its api, called or checked")
        derivatives = field.get("derivatives", {})
        if not isinstance(derivatives, dict) or not set(derivatives) <= set(coveragefield.ORDERS) \
                or not all(isinstance(v, list) for v in derivatives.values()):
            raise ReportError(f"{path}: corrupt conformance result: \"coverage.derivatives\" is not lists by order "
                              f"({', '.join(coveragefield.ORDERS)})")


def _severity(outcome: str) -> int:
    # An outcome this module does not know (a newer schema's) ranks with "passed".
    return _SEVERITY.index(outcome if outcome in _SEVERITY else "passed")


def _pick(records: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    """One record for a case several inputs hold: the worst outcome, with every run's listed when they differ."""
    source, chosen = min(records, key=lambda ir: _severity(ir[1]["outcome"]))
    record = {**chosen, "source": source}
    if len({r["outcome"] for _, r in records}) > 1:
        record["per_run"] = [{"source": i, "outcome": r["outcome"], "reason": r.get("reason") or r.get("message")}
                             for i, r in records]
    return record


def _device_key(device: str) -> tuple[int, str]:
    head = device.split(":")[0]
    return (_DEVICE_ORDER.index(head) if head in _DEVICE_ORDER else len(_DEVICE_ORDER), device)


def merge(paths: list[Path]) -> dict[str, Any]:
    """One conformance result from the results at ``paths`` (see the module
    docstring for what may be merged). Raises ReportError with one line."""
    if len(paths) < 2:
        raise ReportError("merge needs two or more conformance result files")
    resolved = [Path(p).resolve() for p in paths]
    for i, path in enumerate(resolved):
        if path in resolved[:i]:
            raise ReportError(f"{paths[i]} is given twice")
    runs = [(Path(p), load_conformance(Path(p))) for p in paths]
    _check_compatible(runs)
    _check_coverage(runs)
    missing = _check_parts(runs)

    by_case: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for i, (_, doc) in enumerate(runs):
        for record in doc["records"]:
            by_case[record["nodeid"]].append((i, record))
    records = [_pick(found) for _, found in sorted(by_case.items())]

    docs = [doc for _, doc in runs]
    reasons = []
    for doc in docs:
        for reason in doc["run"].get("partial_reasons") or []:
            if not reason.startswith("shard ") and reason not in reasons:
                reasons.append(reason)
    reasons += missing
    deviations, known = [], set()
    for doc in docs:
        for dev in doc.get("deviations", []):
            if dev.get("id") not in known:
                known.add(dev.get("id"))
                deviations.append(dev)
    unused = set.intersection(*(set(doc["run"].get("unused_deviations") or []) for doc in docs))
    totals = Counter(record["outcome"] for record in records)
    failed = totals["failed"] + totals["error"] > 0
    return {
        "schema": docs[0]["schema"],
        "environment": docs[0]["environment"],
        "run": {
            "started": min(str(d["run"].get("started", "")) for d in docs),
            "finished": max(str(d["run"].get("finished", "")) for d in docs),
            "partial": bool(reasons),
            "partial_reasons": reasons,
            "exitstatus": 1 if failed else max(int(d["run"].get("exitstatus") or 0) for d in docs),
            "args": ["merge", *(str(p) for p, _ in runs)],
            "hypothesis_profile": docs[0]["run"].get("hypothesis_profile"),
            "devices": sorted({dev for d in docs for dev in d["run"].get("devices") or []}, key=_device_key),
            "unused_deviations": sorted(unused),
            "shard": None,
            "merged_from": [{
                "path": str(path),
                "part": shard_label(doc["run"]),
                "devices": list(doc["run"].get("devices") or []),
                "summary": environment.summary(doc["environment"]),
                "started": doc["run"].get("started"),
                "finished": doc["run"].get("finished"),
                "cases": len(doc["records"]),
                "environment": doc["environment"],
            } for path, doc in runs],
        },
        "deviations": deviations,
        "totals": dict(totals),
        "records": records,
        "coverage": coveragefield.merge(*(doc.get("coverage") for doc in docs)),
        "timing": timingfield.merge(*docs),
    }
