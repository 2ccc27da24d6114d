"""What the benchmark page shows, computed from pytest-benchmark JSON.

The benchmarks describe themselves in ``extra_info``:

* a step timing: ``network``, ``step`` ("train"/"infer"), ``target`` (a name
  of :data:`torchconform.bench.targets.TARGETS`), ``batch``, ``flops``,
  ``samples_per_s``, ``gflops`` (optional ``bytes`` moved per step);
* a point of a sweep: the same plus ``sweep`` ("batch", "width", "threads", ...)
  and ``x``, its value on that axis;
* a measured peak: ``ceiling`` ("gemm" or "bandwidth"), ``target`` and
  ``gflops`` or ``gbytes_per_s``;
* how far to trust it: ``machine_state`` (see
  :mod:`torchconform.bench.machine_state`), and where it cannot be trusted
  ``unreliable`` (the reasons) and ``machine_busy``;
* a verdict on a tutorial's performance claim: ``claim``, ``verdict``, ``detail``
  (optional ``seed`` and ``quote``).

Whatever is missing is left out of the page, not guessed; anything else is
listed as it is.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from torchconform import environment
from torchconform.bench import compare  # one rule for the CLI and the page
from torchconform.bench.targets import CORE_TARGETS, SPEEDUP_PAIRS, TARGETS
from torchconform.report import charts
from torchconform.resultsfile import as_float

TARGET_ORDER = tuple(TARGETS)
STEP_ORDER = ("train", "infer")
#: Share of the measured peak from which a step counts as bound by it.
BOUND_SHARE = 0.5


def _order(values: set[str], order: tuple[str, ...]) -> list[str]:
    return [v for v in order if v in values] + sorted(values - set(order))


def _info(bench: dict[str, Any]) -> dict[str, Any]:
    return bench.get("extra_info") or {}


def throughput(bench: dict[str, Any]) -> float | None:
    """Samples per second: as recorded, else batch over the median step time."""
    info = _info(bench)
    value = as_float(info.get("samples_per_s"))
    if value:
        return value
    batch, median = as_float(info.get("batch")), bench["stats"]["median"]
    return batch / median if batch and median > 0 else None


def gflops(bench: dict[str, Any]) -> float | None:
    """Achieved GFLOP/s (1e9 FLOPs per second) of one pytest-benchmark entry:
    ``extra_info["gflops"]`` if recorded, else ``extra_info["flops"]`` per median
    second; ``None`` when neither is known."""
    info = _info(bench)
    value = as_float(info.get("gflops"))
    if value:
        return value
    flops, median = as_float(info.get("flops")), bench["stats"]["median"]
    return flops / median / 1e9 if flops and median > 0 else None


def format_time(seconds: float | None) -> str:
    """``seconds`` with three significant digits in s, ms, µs or ns; "" for ``None``."""
    if seconds is None:
        return ""
    for scale, unit in ((1, "s"), (1e-3, "ms"), (1e-6, "µs")):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def format_number(value: float | None) -> str:
    """``value`` with thousands separators from 1000 up, else three significant
    digits; "" for ``None``."""
    if value is None:
        return ""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _key(bench: dict[str, Any]) -> str:
    return bench.get("fullname") or bench["name"]


def _ceilings(benchmarks: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for b in benchmarks:
        info = _info(b)
        kind, target = info.get("ceiling"), str(info.get("target", "?"))
        value = as_float(info.get("gflops" if kind == "gemm" else "gbytes_per_s"))
        if kind and value:
            out[(kind, target)] = {"kind": kind, "target": target, "value": value, "name": b["name"],
                                   "unit": "GFLOP/s" if kind == "gemm" else "GB/s",
                                   "median": format_time(b["stats"]["median"])}
    return out


def _ceiling_for(ceilings: dict[tuple[str, str], dict[str, Any]], kind: str, target: str) -> dict | None:
    """The peak a target is measured against: its own, else that of the
    target a compiled variant runs on ("compile-cuda" -> "cuda")."""
    for candidate in (target, target.removeprefix("compile-"), "cuda" if "cuda" in target else "cpu-allthreads"):
        if (kind, candidate) in ceilings:
            return ceilings[(kind, candidate)]
    return None


def _bound(bench: dict[str, Any], achieved: float | None, ceilings: dict) -> tuple[str, str]:
    """(share of the GEMM peak, what limits the step) by a simple rule: near
    the compute peak it is compute-bound, near the copy bandwidth (when the
    step says how many bytes it moves) memory-bound, else per-call overhead."""
    target = str(_info(bench).get("target", ""))
    gemm = _ceiling_for(ceilings, "gemm", target)
    if not gemm or not achieved:
        return "", ""
    share = achieved / gemm["value"]
    moved = as_float(_info(bench).get("bytes"))
    bandwidth = _ceiling_for(ceilings, "bandwidth", target)
    if share >= BOUND_SHARE:
        verdict = "compute"
    elif moved and bandwidth and moved / bench["stats"]["median"] / 1e9 >= BOUND_SHARE * bandwidth["value"]:
        verdict = "memory"
    else:
        verdict = "overhead"
    return f"{100 * share:.1f}%", verdict


def _change(bench: dict[str, Any], base: dict[str, Any] | None) -> compare.Change | None:
    if base is None or bench["stats"]["median"] <= 0:
        return None
    return compare.judge(compare.Sample.from_json(bench), compare.Sample.from_json(base))


def _vs_baseline(change: compare.Change | None) -> str:
    """Throughput now over then (above 1: faster now), with its interval."""
    if change is None:
        return ""
    word = change.verdict.split(":")[0]
    if change.low is None:
        return f"{1 / change.ratio:.2f}× ({word})"
    return f"{1 / change.ratio:.2f}× [{1 / change.high:.2f}, {1 / change.low:.2f}] ({word})"


def _row(bench: dict[str, Any], ceilings: dict, baseline: dict[str, dict[str, Any]]) -> dict[str, Any]:
    info, stats = _info(bench), bench["stats"]
    achieved = gflops(bench)
    share, bound = _bound(bench, achieved, ceilings)
    return {
        "name": bench["name"],
        "network": info.get("network", ""),
        "step": info.get("step", ""),
        "target": info.get("target", ""),
        "batch": info.get("batch", ""),
        "median": format_time(stats["median"]),
        "iqr": format_time(as_float(stats.get("iqr"))),
        "min": format_time(stats["min"]),
        "max": format_time(stats["max"]),
        "rounds": stats.get("rounds", ""),
        "outliers": stats.get("outliers", ""),
        "samples_per_s": format_number(throughput(bench)),
        "gflops": format_number(achieved),
        "share": share,
        "bound": bound,
        "vs_baseline": _vs_baseline(_change(bench, baseline.get(_key(bench)))),
        "unreliable": "; ".join(info.get("unreliable") or ()),
    }


def _networks(main: list[dict[str, Any]], ceilings: dict, baseline: dict) -> list[dict[str, Any]]:
    out = []
    for net in sorted({str(_info(b)["network"]) for b in main}):
        benches = [b for b in main if str(_info(b)["network"]) == net]
        steps = _order({str(_info(b)["step"]) for b in benches}, STEP_ORDER)
        targets = _order({str(_info(b)["target"]) for b in benches}, TARGET_ORDER)
        value = {(str(_info(b)["step"]), str(_info(b)["target"])): throughput(b) for b in benches}
        series = {t: [value.get((s, t)) for s in steps] for t in targets}
        chart = None
        if any(v for vs in series.values() for v in vs):
            chart = charts.grouped_bars(f"net-{net}", f"{net}: throughput per step and target", steps, series,
                                        "samples/s (higher is better)")
        benches.sort(key=lambda b: (steps.index(str(_info(b)["step"])), targets.index(str(_info(b)["target"]))))
        out.append({
            "network": net,
            "chart": chart,
            "rows": [_row(b, ceilings, baseline) for b in benches],
            "missing": [t for t in CORE_TARGETS if t not in targets],
        })
    return out


def _base_target(target: str, present: set[str]) -> str:
    """What a target this version does not know is compared with (a file
    from another version): "compile-cuda" with "cuda", a name extending a
    known target's with that target, anything else with CPU on all threads."""
    if target.startswith("compile-") and target.removeprefix("compile-") in present:
        return target.removeprefix("compile-")
    prefixes = [t for t in CORE_TARGETS if target.startswith(t) and t in present]
    return max(prefixes, key=len) if prefixes else "cpu-allthreads"


def _speedups(main: list[dict[str, Any]]) -> dict[str, Any]:
    def key(b: dict[str, Any]) -> tuple[str, str, str]:
        return str(_info(b)["network"]), str(_info(b)["step"]), str(_info(b)["target"])

    value = {key(b): throughput(b) for b in main}
    unreliable = {key(b) for b in main if _info(b).get("unreliable")}
    targets = {t for _, _, t in value}
    # a core target's columns stay (as "not measured") when it did not run
    pairs = [p for p in SPEEDUP_PAIRS if p[0] in targets or TARGETS[p[0]].core]
    pairs += [(t, _base_target(t, targets)) for t in sorted(targets) if t not in TARGETS]
    rows = []
    def position(key: tuple[str, str]) -> tuple[str, int, str]:
        return key[0], STEP_ORDER.index(key[1]) if key[1] in STEP_ORDER else len(STEP_ORDER), key[1]

    for net, step in sorted({(n, s) for n, s, _ in value}, key=position):
        cells = []
        for fast, slow in pairs:
            a, b = value.get((net, step, fast)), value.get((net, step, slow))
            doubt = " (unreliable)" if {(net, step, fast), (net, step, slow)} & unreliable else ""
            cells.append(f"{a / b:.2f}×{doubt}" if a and b else "not measured")
        rows.append({"network": net, "step": step, "cells": cells})
    return {"columns": [f"{a} vs {b}" for a, b in pairs], "rows": rows}


def _sweeps(sweeps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One chart per (sweep, network), a curve per target and step. The y axis
    is samples/s; a sweep whose points do not all give a batch falls back to
    steps/s (1 / median), so a curve never mixes the two."""
    groups: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for b in sweeps:
        info = _info(b)
        if as_float(info.get("x")) is None:
            continue
        label = " ".join(str(info[k]) for k in ("target", "step") if info.get(k)) or b["name"]
        groups[(str(info["sweep"]), str(info.get("network", "")))][label].append(b)
    out = []
    for (sweep, net), series in sorted(groups.items()):
        per_sample = all(throughput(b) for benches in series.values() for b in benches)
        unit = "samples/s" if per_sample else "steps/s"
        points = {}
        for label, benches in sorted(series.items()):
            pts = sorted((as_float(_info(b)["x"]), throughput(b) if per_sample else 1 / b["stats"]["median"])
                         for b in benches)
            points[label] = (tuple(p[0] for p in pts), tuple(p[1] for p in pts))
        xs = sorted({x for pts in points.values() for x in pts[0]})
        out.append({
            "sweep": sweep,
            "network": net,
            "unit": unit,
            "chart": charts.lines(f"sweep-{sweep}-{net}", f"{net}: {unit} against {sweep}", points, sweep, unit,
                                  log_x=xs[0] > 0 and xs[-1] / xs[0] >= 16),
            "xs": [format_number(x) for x in xs],
            "rows": [{"label": label, "values": [format_number(dict(zip(*pts)).get(x)) for x in xs]}
                     for label, pts in points.items()],
        })
    return out


def _ceiling_charts(main: list[dict[str, Any]], ceilings: dict) -> list[str]:
    out = []
    for (kind, target), ceiling in sorted(ceilings.items()):
        if kind != "gemm":
            continue
        points = [(b, gflops(b)) for b in main
                  if _ceiling_for(ceilings, "gemm", str(_info(b)["target"])) is ceiling and gflops(b)]
        if points:
            out.append(charts.bars_against_ceiling(
                f"ceiling-{target}", f"GFLOP/s against the GEMM peak measured on {target}",
                [f"{_info(b)['network']} {_info(b)['step']} ({_info(b)['target']})" for b, _ in points],
                [value for _, value in points], ceiling["value"], f"GEMM peak {ceiling['value']:.3g} GFLOP/s",
                [charts.colour(str(_info(b)["target"])) for b, _ in points],
            ))
    return out


def machine(doc: dict[str, Any]) -> dict[str, Any]:
    """The environment of a benchmark run: torchconform's when the benchmarks
    added it to ``machine_info`` (under "torchconform" or "environment"),
    else pytest-benchmark's own description."""
    info = doc.get("machine_info") or {}
    env = info.get("torchconform") or info.get("environment")
    if isinstance(env, dict):
        extra = {k: v for k, v in info.items() if k.startswith("torchconform_")}  # e.g. the bench settings
        return {"summary": environment.summary(env), "rows": environment.rows(env) + environment.rows(extra)}
    cpu = info.get("cpu") or {}
    summary = (f"{cpu.get('brand_raw', info.get('processor', '?'))}, {cpu.get('count', '?')} cores; "
               f"Python {info.get('python_version', '?')} on {info.get('system', '?')} {info.get('release', '')}")
    flat = {k: v for k, v in info.items() if k != "cpu"}
    flat["cpu"] = {k: v for k, v in cpu.items() if k not in ("flags",)}
    return {"summary": summary, "rows": environment.rows(flat)}


def _comparison(doc: dict[str, Any], baseline: dict[str, Any], label: str) -> dict[str, Any]:
    base = {_key(b): b for b in baseline["benchmarks"]}
    rows = []
    for b in doc["benchmarks"]:
        change = _change(b, base.get(_key(b)))
        if change is None:
            continue
        rows.append({"name": b["name"], "now": format_time(b["stats"]["median"]),
                     "then": format_time(base[_key(b)]["stats"]["median"]),
                     "ratio": f"{change.ratio:.2f}×", "interval": change.interval,
                     "verdict": change.verdict, "flag": change.verdict.split(":")[0]})
    counts = {v: sum(1 for r in rows if r["flag"] == v) for v in ("slower", "faster", "unchanged", "inconclusive")}
    return {
        "label": label,
        "machine": machine(baseline)["summary"],
        "date": baseline.get("datetime", ""),
        "rows": rows,
        "counts": counts,
        "unmatched": len(doc["benchmarks"]) - len(rows),
        "threshold": f"{100 * compare.REGRESSION_THRESHOLD:.0f}%",
        "confidence": f"{100 * compare.CONFIDENCE:.0f}%",
    }


def reliability(doc: dict[str, Any]) -> dict[str, Any]:
    """Whether the run's figures can be trusted: counts of benchmarks marked
    unreliable (by reason) and the most other processes used, from each
    benchmark's ``extra_info`` (a file without them says nothing either way)."""
    infos = [_info(b) for b in doc["benchmarks"]]
    watched = [i for i in infos if i.get("machine_state")]
    flagged = [i for i in infos if i.get("unreliable")]
    busy = [i for i in flagged if i.get("machine_busy")]
    others = [as_float(i["machine_state"].get("others_cores_during")) or 0.0 for i in watched]
    if not watched:
        word = "not recorded"
    elif busy:
        word = "unreliable: machine busy"
    elif flagged:
        word = "partly unreliable: wide spread"
    else:
        word = "reliable"
    return {
        "word": word,
        "watched": len(watched),
        "unreliable": len(flagged),
        "busy": len(busy),
        "spread": len(flagged) - len(busy),
        "others_max": f"{max(others, default=0.0):.1f}",
        "examples": sorted({str(i["unreliable"][0]) for i in flagged})[:3],
    }


def build(doc: dict[str, Any], baseline: dict[str, Any] | None = None, baseline_label: str = "") -> dict[str, Any]:
    """The bench page's context, from a pytest-benchmark document and an optional baseline one."""
    benchmarks = doc["benchmarks"]
    ceilings = _ceilings(benchmarks)
    claims = [b for b in benchmarks if _info(b).get("claim")]
    sweeps = [b for b in benchmarks if _info(b).get("sweep") and b not in claims]
    main = [b for b in benchmarks if all(_info(b).get(k) for k in ("network", "step", "target"))
            and b not in sweeps and b not in claims and not _info(b).get("ceiling")]
    used = {id(b) for b in [*main, *sweeps, *claims]} | {id(b) for b in benchmarks if _info(b).get("ceiling")}
    base_index = {_key(b): b for b in baseline["benchmarks"]} if baseline else {}
    return {
        "date": doc.get("datetime", ""),
        "version": doc.get("version", ""),
        "count": len(benchmarks),
        "machine": machine(doc),
        "networks": _networks(main, ceilings, base_index),
        "speedups": _speedups(main),
        "sweeps": _sweeps(sweeps),
        "ceilings": list(ceilings.values()),
        "ceiling_charts": _ceiling_charts(main, ceilings),
        "claims": [{"claim": _info(b)["claim"], "name": b["name"], "seed": _info(b).get("seed", ""),
                    "quote": _info(b).get("quote", ""), "verdict": _info(b).get("verdict", ""),
                    "detail": _info(b).get("detail", "")} for b in claims],
        "others": [_row(b, ceilings, base_index) for b in benchmarks if id(b) not in used],
        "comparison": _comparison(doc, baseline, baseline_label) if baseline else None,
        "bound_share": f"{100 * BOUND_SHARE:.0f}%",
        "reliability": reliability(doc),
    }


def summary(doc: dict[str, Any]) -> dict[str, Any]:
    """The few facts the index shows."""
    main = [b for b in doc["benchmarks"] if all(_info(b).get(k) for k in ("network", "step", "target"))
            and not _info(b).get("sweep")]
    targets = _order({str(_info(b)["target"]) for b in main}, TARGET_ORDER)
    networks = sorted({str(_info(b)["network"]) for b in main})
    value = {(str(_info(b)["network"]), str(_info(b)["step"]), str(_info(b)["target"])): throughput(b) for b in main}
    return {
        "count": len(doc["benchmarks"]),
        "networks": networks,
        "targets": targets,
        "train": [(net, [format_number(value.get((net, "train", t))) for t in targets]) for net in networks],
        "date": doc.get("datetime", ""),
        "machine": machine(doc)["summary"],
        "reliability": reliability(doc),
        "claims": [(str(_info(b)["claim"]), str(_info(b).get("verdict", ""))) for b in doc["benchmarks"]
                   if _info(b).get("claim")],
    }
