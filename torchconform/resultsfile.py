"""The result files: their format, an atomic writer, and readers that give
one clear error (:class:`ReportError`) for a missing, corrupt or foreign file.

It sits below both its writer (the pytest plugin :mod:`torchconform.results`)
and its reader (:mod:`torchconform.report`), so neither imports the other, and
it needs only the standard library, so the plugin writes without loading the
page builder's dependencies.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

#: The ``schema`` field of a conformance result; bumped when the format changes.
SCHEMA = "torchconform.conformance/1"
#: The outcomes a conformance record may have. "resolved": a known deviation's
#: example passed on a torch it is not expected on (not the calibrated release):
#: that torch fixed it, and the run does not fail.
OUTCOMES = ("passed", "failed", "error", "xfailed", "xpassed", "resolved", "skipped")


def jsonable(value: Any) -> Any:
    """``value`` with NumPy scalars/arrays made plain and non-finite floats
    spelled as strings ("inf", "-inf", "nan"), so the file is strict JSON."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so readers see the old file or the whole new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would hide the pages from other users
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` as strict, indented JSON (see :func:`jsonable`),
    atomically. Raises ``OSError`` if the file cannot be written."""
    atomic_write_text(path, json.dumps(jsonable(data), indent=1, allow_nan=False) + "\n")


class ReportError(Exception):
    """A problem with the inputs of the report; its message is one line for the user."""


def read_json(path: Path, what: str) -> Any:
    """The JSON document at ``path``; ``what`` names it in errors.

    Raises :class:`ReportError` (one line) if it is missing, unreadable or not JSON."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"{path}: no {what} found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: cannot read {what}: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}: corrupt {what}: not valid JSON ({exc.msg} at line {exc.lineno})") from None


def load_conformance(path: Path) -> dict[str, Any]:
    """A conformance result written by :mod:`torchconform.results`, checked for shape
    (``schema`` equal to :data:`SCHEMA`, a ``records`` list of objects with a
    ``nodeid`` and an outcome in :data:`OUTCOMES`, ``environment`` and ``run``
    objects). Raises :class:`ReportError` naming the first problem."""
    doc = read_json(path, "conformance results")
    schema = doc.get("schema") if isinstance(doc, dict) else None
    if not isinstance(schema, str) or not schema.startswith("torchconform.conformance/"):
        raise ReportError(f"{path}: not a torchconform conformance result (expected \"schema\": \"{SCHEMA}\")")
    if schema != SCHEMA:
        raise ReportError(f"{path}: conformance result format {schema!r} is not the supported {SCHEMA!r}")
    records = doc.get("records")
    if not isinstance(records, list):
        raise ReportError(f"{path}: corrupt conformance result: \"records\" is not a list")
    for i, record in enumerate(records):
        if not isinstance(record, dict) or not isinstance(record.get("nodeid"), str) \
                or record.get("outcome") not in OUTCOMES:
            raise ReportError(f"{path}: corrupt conformance result: record #{i + 1} lacks a nodeid or a known outcome")
    for key in ("environment", "run"):
        if not isinstance(doc.get(key), dict):
            raise ReportError(f"{path}: corrupt conformance result: \"{key}\" is missing")
    if not isinstance(doc.get("deviations", []), list):
        raise ReportError(f"{path}: corrupt conformance result: \"deviations\" is not a list")
    return doc


def load_bench(path: Path, what: str = "benchmark results") -> dict[str, Any]:
    """A pytest-benchmark JSON file (``--benchmark-json``), checked for shape:
    each benchmark has a name and numeric median/min/max stats (seconds).
    Raises :class:`ReportError` naming the first problem."""
    doc = read_json(path, what)
    benchmarks = doc.get("benchmarks") if isinstance(doc, dict) else None
    if not isinstance(benchmarks, list):
        raise ReportError(f"{path}: not a pytest-benchmark JSON file (no \"benchmarks\" list)")
    for i, bench in enumerate(benchmarks):
        stats = bench.get("stats") if isinstance(bench, dict) else None
        if not isinstance(bench, dict) or not isinstance(bench.get("name"), str) or not isinstance(stats, dict) \
                or not all(isinstance(stats.get(k), (int, float)) for k in ("median", "min", "max")):
            raise ReportError(f"{path}: corrupt {what}: benchmark #{i + 1} lacks a name or median/min/max stats")
        if not isinstance(bench.get("extra_info", {}), dict):
            raise ReportError(f"{path}: corrupt {what}: benchmark #{i + 1} has a non-object extra_info")
    return doc


def as_float(value: Any) -> float | None:
    """A number from JSON, where non-finite values are spelled "inf"/"nan"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None
