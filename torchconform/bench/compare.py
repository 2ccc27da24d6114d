"""Comparison of a run with a baseline run (``--baseline FILE``, and the
bench page against the reference run): per benchmark, the ratio of median
step times with its bootstrap interval, and a change called only when that
interval leaves 1 behind.

Benchmarks are matched by their full name
(``benchmarks/test_networks_bench.py::test_train_step[lenet-cpu-1thread]``).
A comparison is "inconclusive" instead of a verdict when either side was
marked unreliable (busy machine, wide spread: see :mod:`.machine_state`),
lacks its rounds, or has too few of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np
from scipy.stats import bootstrap

#: A change is called only when the median moved by more than this share
#: *and* the ratio's interval excludes 1. A shared 2-core machine moves 10-20%.
REGRESSION_THRESHOLD = 0.25
#: Confidence of the ratio's bootstrap interval.
CONFIDENCE = 0.95
#: Fewer rounds than this on either side: no interval worth the name.
MIN_ROUNDS = 5
RESAMPLES = 999
#: Each side's rounds are thinned to at most this many before resampling, so
#: a microsecond step with thousands of rounds costs no more than a slow one.
MAX_ROUNDS = 400


class BaselineError(ValueError):
    """A baseline that cannot be used; the message is one line for the user."""


@dataclass(frozen=True)
class Sample:
    """One benchmark's step times (seconds): the median, the rounds when the
    file kept them, and why the run marked it unreliable (empty: it did not)."""

    median: float
    rounds: tuple[float, ...] = ()
    unreliable: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, entry: dict[str, Any]) -> "Sample":
        """From one entry of a pytest-benchmark JSON file; raises KeyError,
        TypeError or ValueError when it lacks ``stats.median``."""
        stats = entry["stats"]
        info = entry.get("extra_info") or {}
        return cls(float(stats["median"]), tuple(float(x) for x in stats.get("data") or ()),
                   tuple(str(r) for r in info.get("unreliable") or ()))


def load_baseline(path: str | Path) -> dict[str, Sample]:
    """``{fullname: Sample}`` of a pytest-benchmark JSON file; raises
    :class:`BaselineError` (one line) when it is missing, unreadable or foreign."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"baseline {path}: no such file") from None
    except IsADirectoryError:
        raise BaselineError(f"baseline {path}: is a directory, not a pytest-benchmark JSON file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"baseline {path}: cannot read it ({exc})") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"baseline {path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    benchmarks = doc.get("benchmarks") if isinstance(doc, dict) else None
    if not isinstance(benchmarks, list):
        raise BaselineError(f"baseline {path}: not a pytest-benchmark JSON file (no 'benchmarks' list)")
    samples = {}
    for entry in benchmarks:
        try:
            samples[entry.get("fullname") or entry["name"]] = Sample.from_json(entry)
        except (AttributeError, KeyError, TypeError, ValueError):
            raise BaselineError(f"baseline {path}: a benchmark entry lacks a name or stats.median") from None
    return samples


@dataclass(frozen=True)
class Change:
    """now / then of the median step time (above 1: slower now), its
    interval (None when none could be drawn) and the verdict: "slower",
    "faster", "unchanged" or "inconclusive: <why>"."""

    ratio: float
    low: float | None
    high: float | None
    verdict: str

    @property
    def interval(self) -> str:
        """The ratio's interval for the terminal, ``"[0.93, 1.08]"`` (two
        decimals), or ``"no interval"`` when none was drawn."""
        return f"[{self.low:.2f}, {self.high:.2f}]" if self.low is not None else "no interval"


def _thin(rounds: tuple[float, ...]) -> np.ndarray:
    values = np.asarray(rounds, dtype=float)
    return values[:: -(-len(values) // MAX_ROUNDS)]


def ratio_interval(now: tuple[float, ...], then: tuple[float, ...]) -> tuple[float, float]:
    """Percentile-bootstrap interval (``CONFIDENCE``) of median(now) / median(then),
    each side resampled on its own; seeded, so a page rebuilds identically."""

    def ratio(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.median(a, axis=axis) / np.median(b, axis=axis)

    result = bootstrap((_thin(now), _thin(then)), ratio, vectorized=True, n_resamples=RESAMPLES,
                       confidence_level=CONFIDENCE, method="percentile", rng=np.random.default_rng(0))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def judge(now: Sample, then: Sample, threshold: float = REGRESSION_THRESHOLD) -> Change:
    """Whether ``now`` is slower or faster than ``then`` (see the module doc)."""
    ratio = now.median / then.median if then.median > 0 else float("inf")
    for side, sample in (("this run", now), ("the baseline", then)):
        if sample.unreliable:
            return Change(ratio, None, None, f"inconclusive: {side} is unreliable ({sample.unreliable[0]})")
        if len(sample.rounds) < MIN_ROUNDS:
            what = "kept no rounds" if not sample.rounds else f"has {len(sample.rounds)} rounds (< {MIN_ROUNDS})"
            return Change(ratio, None, None, f"inconclusive: {side} {what}")
    low, high = ratio_interval(now.rounds, then.rounds)
    if low > 1 and ratio > 1 + threshold:
        verdict = "slower"
    elif high < 1 and ratio < 1 / (1 + threshold):
        verdict = "faster"
    elif 1 / (1 + threshold) <= low and high <= 1 + threshold:
        verdict = "unchanged"
    else:
        verdict = "inconclusive: the interval is too wide to tell"
    return Change(ratio, low, high, verdict)


@dataclass(frozen=True)
class Row:
    """One benchmark in both runs: its full name, the median step time now
    and in the baseline (seconds) and the judged :class:`Change`."""

    name: str
    now: float
    then: float
    change: Change


def compare(current: Iterable[tuple[str, Sample]], baseline: dict[str, Sample],
            threshold: float = REGRESSION_THRESHOLD) -> tuple[list[Row], list[str]]:
    """(rows of benchmarks present in both, names of current ones the baseline lacks)."""
    rows, missing = [], []
    for name, sample in current:
        if name in baseline:
            rows.append(Row(name, sample.median, baseline[name].median, judge(sample, baseline[name], threshold)))
        else:
            missing.append(name)
    return rows, missing


def report_lines(rows: list[Row], missing: list[str], threshold: float = REGRESSION_THRESHOLD) -> list[str]:
    """The terminal lines: one per benchmark, then a summary."""
    lines = [f"{'now/baseline':>12}  {f'{CONFIDENCE:.0%} interval':>14}  {'now':>10}  {'baseline':>10}  benchmark"]
    for row in rows:
        c = row.change
        flag = {"slower": "REGRESSION", "faster": "faster"}.get(c.verdict, c.verdict)
        lines.append(f"{c.ratio:11.2f}x  {c.interval:>14}  {row.now * 1e3:8.3f}ms  {row.then * 1e3:8.3f}ms  "
                     f"{row.name}  <- {flag}")
    counts = {v: sum(1 for r in rows if r.change.verdict.split(":")[0] == v)
              for v in ("slower", "faster", "unchanged", "inconclusive")}
    lines.append(f"{len(rows)} compared: {counts['slower']} slower and {counts['faster']} faster than the baseline "
                 f"by more than {threshold:.0%} with the {CONFIDENCE:.0%} interval clear of 1, "
                 f"{counts['unchanged']} unchanged, {counts['inconclusive']} inconclusive"
                 + (f"; {len(missing)} not in the baseline" if missing else ""))
    return lines

