"""Comparison of a run with a baseline run (``--baseline FILE``): per
benchmark, the ratio of median step times, and a flag where it moved by more
than the threshold. Benchmarks are matched by their full name
(``benchmarks/test_networks_bench.py::test_train_step[lenet-cpu-1thread]``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

#: A median that moved by more than this share is flagged (slower: regression).
#: Wider than a quiet machine needs: a shared 2-core machine moves 10-20%.
REGRESSION_THRESHOLD = 0.25


class BaselineError(ValueError):
    """A baseline that cannot be used; the message is one line for the user."""


def load_baseline(path: str | Path) -> dict[str, float]:
    """``{fullname: median seconds}`` of a pytest-benchmark JSON file."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"baseline {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"baseline {path}: cannot read it ({exc})") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"baseline {path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    benchmarks = doc.get("benchmarks") if isinstance(doc, dict) else None
    if not isinstance(benchmarks, list):
        raise BaselineError(f"baseline {path}: not a pytest-benchmark JSON file (no 'benchmarks' list)")
    medians = {}
    for entry in benchmarks:
        try:
            name, median = entry.get("fullname") or entry["name"], float(entry["stats"]["median"])
        except (AttributeError, KeyError, TypeError, ValueError):
            raise BaselineError(f"baseline {path}: a benchmark entry lacks a name or stats.median") from None
        medians[name] = median
    return medians


@dataclass(frozen=True)
class Row:
    name: str
    now: float
    then: float

    @property
    def ratio(self) -> float:
        """now / then: above 1 is slower than the baseline."""
        return self.now / self.then if self.then > 0 else float("inf")

    def flag(self, threshold: float = REGRESSION_THRESHOLD) -> str:
        if self.ratio > 1 + threshold:
            return "REGRESSION"
        if self.ratio < 1 / (1 + threshold):
            return "faster"
        return ""


def compare(current: Iterable[tuple[str, float]], baseline: dict[str, float]) -> tuple[list[Row], list[str]]:
    """(rows of benchmarks present in both, names of current ones the baseline lacks)."""
    rows, missing = [], []
    for name, median in current:
        if name in baseline:
            rows.append(Row(name, median, baseline[name]))
        else:
            missing.append(name)
    return rows, missing


def report_lines(rows: list[Row], missing: list[str], threshold: float = REGRESSION_THRESHOLD) -> list[str]:
    """The terminal lines: one per benchmark, then a summary."""
    lines = [f"{'now/baseline':>12}  {'now':>10}  {'baseline':>10}  benchmark"]
    for row in rows:
        flag = row.flag(threshold)
        lines.append(f"{row.ratio:11.2f}x  {row.now * 1e3:8.3f}ms  {row.then * 1e3:8.3f}ms  {row.name}"
                     + (f"  <- {flag}" if flag else ""))
    regressions = sum(1 for r in rows if r.flag(threshold) == "REGRESSION")
    lines.append(f"{len(rows)} compared, {regressions} slower than the baseline by more than {threshold:.0%}"
                 + (f", {len(missing)} not in the baseline" if missing else ""))
    return lines
