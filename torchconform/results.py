"""pytest plugin writing one JSON record per test case, for the HTML reports.

``pytest --conformance-json reports/conformance.json`` writes::

    {"schema": "torchconform.conformance/1",
     "environment": {...},           # torchconform.environment.collect()
     "run": {"started", "finished", "partial", "partial_reasons", "exitstatus", "calibrated_torch", ...},
     "deviations": [...],            # the known deviations the run applied
     "totals": {"passed": n, ...},
     "records": [{"nodeid", "area", "op", "capability", "dtype", "device", "outcome",
                  "duration", "call_duration", ...}, ...],    # seconds: all phases, the call alone
     "coverage": {...},             # torchconform.coverage.field(): API families called and checked
     "timing": {...}}               # torchconform.timingfield.field(): cases and seconds per area, wall time

It works under pytest-xdist: what a worker knows about a test (its markers and
parameters) travels in ``user_properties``, the one channel xdist ships back,
and the controller alone assembles the records and writes the file. The write
is atomic (a temporary file in the same directory, then ``os.replace``), so an
interrupted run leaves the previous file or a complete new one, marked
``"partial": true`` when the run stopped early or was narrowed.
"""

from __future__ import annotations

import datetime
import os
import re
import tempfile
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from torchconform import coverage, sharding, timingfield
from torchconform.resultsfile import SCHEMA, write_json

#: The user_properties key carrying a case's markers and parameters from the worker.
META_KEY = "torchconform"
#: Facts tests attach with torchconform.record.note() that the records keep.
NOTED = ("max_ulp", "tolerance", "repro", "observed", "expected", "deviation")
DEFAULT_CAPABILITY = "forward"
NO_DEVICE = "n/a"
REPRO_MARKER = "--- standalone repro script ---"
_MAX_TEXT = 20_000
#: Environment variable naming the folder where each worker leaves a note of
#: the case it is about to hand to torch (see :func:`leave_case_note`).
CASE_NOTES_ENV = "TORCHCONFORM_CASE_NOTES"
_CRASH = re.compile(r"worker '?(\w+)'? crashed while running")


def _case_note_path(worker: str) -> Path | None:
    folder = os.environ.get(CASE_NOTES_ENV)
    return Path(folder) / f"{worker}.txt" if folder else None


def leave_case_note(describe) -> None:
    """Before torch runs a drawn case: write ``describe()`` (the inputs and a
    repro script) where the controller finds it if torch kills this worker
    (SIGFPE, segfault). Does nothing outside a ``--conformance-json`` run."""
    path = _case_note_path(os.environ.get("PYTEST_XDIST_WORKER", "main"))
    if path is not None:
        path.write_text(describe(), encoding="utf-8")


def crash_note(text: str) -> str:
    """The last case note of the worker a crash report names ("" if none)."""
    match = _CRASH.search(text)
    path = _case_note_path(match.group(1)) if match else None
    try:
        return path.read_text(encoding="utf-8") if path is not None else ""
    except OSError:
        return ""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("torchconform").addoption(
        "--conformance-json", default=None, metavar="PATH",
        help="write one JSON record per test case to PATH (for python -m torchconform.report)",
    )


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("conformance_json", None)
    if path and not hasattr(config, "workerinput"):
        config.pluginmanager.register(Recorder(config, _writable(Path(path))), "torchconform-results")
        # xdist workers start after this and inherit the variable.
        os.environ.setdefault(CASE_NOTES_ENV, tempfile.mkdtemp(prefix="torchconform-cases-"))


def _writable(path: Path) -> Path:
    """``path`` if a file can be written there, else a usage error (before any test runs)."""
    if path.is_dir():
        raise pytest.UsageError(f"--conformance-json {path}: is a directory, not a file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise pytest.UsageError(f"--conformance-json {path}: cannot create its directory ({exc.strerror})") from None
    if not os.access(path.parent, os.W_OK):
        raise pytest.UsageError(f"--conformance-json {path}: directory {path.parent} is not writable")
    return path


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    # Runs where the test runs (an xdist worker or the only process), before
    # any phase, so even a case skipped at setup carries its metadata.
    if item.config.getoption("conformance_json", None):
        item.user_properties.append((META_KEY, case_meta(item)))


def _label(value: Any) -> str:
    """A parameter as the report shows it: dtypes by short name, objects by their ``name``."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return str(value)
    text = str(value)
    if text.startswith("torch.") and type(value).__name__ == "dtype":
        return text.removeprefix("torch.")
    name = getattr(value, "name", None)
    if isinstance(name, str):
        return name
    return text if len(text) <= 60 else text[:57] + "..."


def _marker_arg(item: pytest.Item, name: str) -> str | None:
    mark = item.get_closest_marker(name)
    return str(mark.args[0]) if mark is not None and mark.args else None


def case_meta(item: pytest.Item) -> dict[str, Any]:
    """Area, op, capability, dtype, device, claim and parameters of a test case,
    as plain strings (they cross the xdist wire)."""
    params = {k: _label(v) for k, v in getattr(getattr(item, "callspec", None), "params", {}).items()}
    test = getattr(item, "originalname", None) or item.name
    module = Path(str(getattr(item, "path", item.nodeid.split("::")[0]))).stem
    return {
        "area": _marker_arg(item, "area") or module.removeprefix("test_"),
        "op": params.get("op") or test.removeprefix("test_"),
        "test": test,
        "capability": _marker_arg(item, "capability") or DEFAULT_CAPABILITY,
        "dtype": params.get("dtype", "various"),
        "device": params.get("device", NO_DEVICE),
        "claim": _marker_arg(item, "seed_claim"),
        "params": params,
    }


def _meta_from_nodeid(nodeid: str) -> dict[str, Any]:
    """What the node id alone says, for a case whose worker sent no metadata
    (it crashed before the test started)."""
    path, _, name = nodeid.partition("::")
    test = name.split("::")[-1].split("[")[0]
    return {
        "area": Path(path).stem.removeprefix("test_"), "op": test.removeprefix("test_"), "test": test,
        "capability": DEFAULT_CAPABILITY, "dtype": "various", "device": NO_DEVICE, "claim": None, "params": {},
    }


def parse_hypothesis_statistics(text: str) -> dict[str, Any]:
    """Hypothesis' statistics text (what ``--hypothesis-show-statistics``
    prints) as numbers: examples per phase and why generation stopped."""
    phases = {}
    for match in re.finditer(r"during (\w+) phase \(([\d.]+) seconds\):(.*?)(?=- during|- Stopped|\Z)", text, re.S):
        # Wording differs across Hypothesis releases: "3 passing examples, 0 failing
        # examples, 1 invalid examples" and "3 passing, 0 failing, and 1 invalid test cases".
        counts = re.search(r"(\d+) passing(?: examples)?, (\d+) failing(?: examples)?,? (?:and )?(\d+) invalid",
                           match.group(3))
        if counts:
            passing, failing, invalid = (int(c) for c in counts.groups())
            phases[match.group(1)] = {
                "seconds": float(match.group(2)), "passing": passing, "failing": failing, "invalid": invalid,
            }
    stopped = re.search(r"Stopped because (.+)", text)
    return {
        "examples": sum(p["passing"] + p["failing"] for p in phases.values()),
        "failing": sum(p["failing"] for p in phases.values()),
        "invalid": sum(p["invalid"] for p in phases.values()),
        "phases": phases,
        "stopped_because": stopped.group(1).strip() if stopped else None,
    }


# Hypothesis before 6.16x says "Falsifying example:", later releases
# "Failing test case:"; both introduce the shrunk call.
_FALSIFYING = re.compile(r"^(?P<prefix>.*?)(?:Falsifying (?:explicit )?example|Failing test case): ")


def mentions_falsifying_example(text: str) -> bool:
    """Whether a failure text carries Hypothesis' shrunk example (either wording)."""
    return any(_FALSIFYING.match(line) for line in text.splitlines())
_DRAW = re.compile(r"^Draw \d+(?: \([^)]*\))?: ")


def _falsifying_blocks(lines: list[str]) -> list[tuple[int, int, str]]:
    """(first line, end line, example) of each "Falsifying example:" call in a
    failure text, whatever prefix the traceback style puts before each line
    (``E       `` for plain failures, ``    | `` inside exception groups)."""
    blocks = []
    i = 0
    while i < len(lines):
        match = _FALSIFYING.match(lines[i])
        if not match:
            i += 1
            continue
        prefix = match.group("prefix")
        body = [lines[i][match.end():]]
        end = i + 1
        if not body[0].endswith(")"):
            while end < len(lines) and lines[end].startswith(prefix.rstrip()):
                line = lines[end][len(prefix):] if lines[end].startswith(prefix) else ""
                body.append(line)
                end += 1
                if line == ")":
                    break
        # Values drawn inside the test (st.data()) follow as "Draw 1 (label): ..."
        while end < len(lines) and _DRAW.match(lines[end][len(prefix):]):
            body.append(lines[end][len(prefix):])
            end += 1
            while end < len(lines) and lines[end][len(prefix):].startswith((" ", "\t")):
                body.append(lines[end][len(prefix):])
                end += 1
        blocks.append((i, end, "\n".join(body)))
        i = end
    return blocks


_XDIST_HEADER = re.compile(r"^\[gw\d+\] ")
_GROUP_RULE = re.compile(r"^\s*\+([-+\s\d]*|\s*Exception Group Traceback.*)$")


def _exception_lines(text: str) -> list[str]:
    """The exception and its notes, without traceback frames: the ``E   ``
    lines of pytest's style, or, for exception groups and native tracebacks,
    every line outside a ``File ...`` frame (with the ``|`` margins removed)."""
    lines = [line for line in text.splitlines() if not _XDIST_HEADER.match(line)]
    marked = [line for line in lines if line == "E" or line.startswith("E ")]
    if marked:
        width = min((len(line) - len(line[1:].lstrip(" ")) for line in marked if line != "E"), default=1)
        return [line[width:] for line in marked]
    out, in_frame = [], False
    for raw in lines:
        if _GROUP_RULE.match(raw):
            continue
        line = re.sub(r"^\s*\| ?", "", raw)
        if line.startswith(("Traceback (most recent call last)", "Exception Group Traceback")):
            in_frame = False
        elif line.startswith("  File "):
            in_frame = True
        elif not (in_frame and line.startswith("    ")):
            in_frame = False
            out.append(line)
    return out


def parse_failure(text: str) -> dict[str, Any]:
    """Split a failure's text into the message, Hypothesis' falsifying examples
    and its ``@reproduce_failure`` decorators."""
    lines = _exception_lines(text)
    blocks = _falsifying_blocks(lines)
    kept = [line for i, line in enumerate(lines) if not any(a <= i < b for a, b, _ in blocks)]
    message = "\n".join(line for line in kept if "@reproduce_failure(" not in line).strip()
    message = message.split(REPRO_MARKER)[0].rstrip()
    return {
        "message": _clip(message),
        "falsifying_examples": [example for _, _, example in blocks],
        "reproduce_failure": re.findall(r"@reproduce_failure\([^)]*\)", text),
    }


def _clip(text: str, limit: int = _MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit // 2] + "\n[... clipped ...]\n" + text[-limit // 2:]


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, (tuple, list)) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return report.longreprtext


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


class Recorder:
    """Collects the phases of each test case on the controller into one record."""

    def __init__(self, config: pytest.Config, path: Path) -> None:
        self.config = config
        self.path = path
        self.started = _now()
        self.clock = time.monotonic()
        self.environment: dict[str, Any] = {}
        self.open: dict[str, dict[str, Any]] = {}
        self.records: list[dict[str, Any]] = []
        self.write_error = ""
        self.coverage = coverage.Accumulator()

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        from torchconform import environment

        self.started = _now()
        self.clock = time.monotonic()
        self.environment = environment.collect()

    def _case(self, report: pytest.TestReport) -> dict[str, Any]:
        case = self.open.get(report.nodeid)
        if case is None:
            case = self.open[report.nodeid] = {
                "nodeid": report.nodeid, "outcome": None, "reason": None, "message": None, "duration": 0.0,
                "call_duration": 0.0,
            }
            case.update(_meta_from_nodeid(report.nodeid))
        props = dict(report.user_properties)
        case.update(props.get(META_KEY) or {})
        self.coverage.add(props.get(coverage.PROPERTY))
        for key in NOTED:
            if key in props:
                case[key] = props[key]
        return case

    def _failure(self, case: dict[str, Any], report: pytest.TestReport) -> None:
        text = report.longreprtext
        case.update(parse_failure(text))
        case["traceback"] = _clip(text)

    def _crashed(self, case: dict[str, Any], report: pytest.TestReport) -> None:
        """A worker died in this case (pytest-xdist reports it and starts a
        new worker): one failed case named "crashed", with the input and the
        repro script the worker left before calling torch."""
        text = report.longreprtext
        note = crash_note(text)
        case["outcome"] = "failed"
        case["crashed"] = True
        case["message"] = f"crashed: {text.strip().splitlines()[-1] if text.strip() else 'the worker died'}"
        case["traceback"] = _clip(text + (f"\n--- last case handed to torch ---\n{note}" if note else ""))
        if REPRO_MARKER in note:
            case["repro"] = _clip(note.split(REPRO_MARKER, 1)[1].lstrip("\n"))
        self._close(report.nodeid)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        case = self._case(report)
        if report.when not in ("setup", "call", "teardown") and report.failed and _CRASH.search(report.longreprtext):
            self._crashed(case, report)
            return
        case["duration"] += report.duration
        if report.when == "call":
            case["call_duration"] = report.duration
        wasxfail = getattr(report, "wasxfail", None)
        if report.when in ("setup", "call"):
            if report.skipped:
                case["outcome"] = "xfailed" if wasxfail is not None else "skipped"
                case["reason"] = wasxfail if wasxfail is not None else _skip_reason(report)
                if wasxfail is not None and report.when == "call":
                    self._failure(case, report)
            elif report.failed:
                case["outcome"] = "error" if report.when == "setup" else "failed"
                self._failure(case, report)
            elif report.when == "call":
                # A known deviation's XPASS gets here only where it is not strict
                # (off the calibrated release): that torch resolved it.
                case["outcome"] = "passed" if wasxfail is None else "resolved" if case.get("deviation") else "xpassed"
                case["reason"] = wasxfail
        elif report.failed and case["outcome"] not in ("failed", "error"):
            case["outcome"] = "error"
            self._failure(case, report)
            case["message"] = f"error in teardown: {case['message']}"
        stats = report.__dict__.get("_hypothesis_stats")
        if stats:
            case["hypothesis"] = parse_hypothesis_statistics(stats)
        if report.when == "teardown":
            self._close(report.nodeid)

    def _close(self, nodeid: str) -> None:
        case = self.open.pop(nodeid)
        if case["outcome"] is None:  # a worker crashed or the run stopped mid-case
            case["outcome"] = "error"
            case["message"] = case["message"] or "the test did not finish (interrupted or crashed)"
        case["duration"] = round(case["duration"], 6)
        case["call_duration"] = round(case["call_duration"], 6)
        self.records.append(case)

    def partial_reasons(self, session: pytest.Session, exitstatus: int) -> list[str]:
        """Why this run is not the whole suite; empty for a complete run."""
        opt = self.config.option
        reasons = []
        if exitstatus == pytest.ExitCode.INTERRUPTED:
            reasons.append("interrupted")
        elif exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            reasons.append(f"pytest exit status {int(exitstatus)}")
        if session.shouldfail or session.shouldstop:
            reasons.append(f"stopped early: {session.shouldfail or session.shouldstop}")
        if getattr(opt, "keyword", ""):
            reasons.append(f"selected with -k {opt.keyword!r}")
        if getattr(opt, "markexpr", ""):
            reasons.append(f"selected with -m {opt.markexpr!r}")
        if getattr(opt, "lf", False):
            reasons.append("only last failures (--lf)")
        if any("::" in str(arg) for arg in self.config.args):
            reasons.append("selected by test id")
        if self.open:
            reasons.append(f"{len(self.open)} case(s) did not finish")
        shard = sharding.current(self.config)
        if shard is not None and shard.count > 1:
            reasons.append(f"shard {shard}")
        return reasons

    def document(self, session: pytest.Session, exitstatus: int) -> dict[str, Any]:
        """The whole results file (see the module docstring) for a run that
        ended with ``exitstatus``: environment, run facts, deviations, totals,
        records and API coverage."""
        from hypothesis import settings

        reasons = self.partial_reasons(session, exitstatus)
        for nodeid in list(self.open):
            self._close(nodeid)
        known = getattr(self.config, "_torchconform_deviations", None) or []
        return {
            "schema": SCHEMA,
            "environment": self.environment,
            "run": {
                "started": self.started,
                "finished": _now(),
                "partial": bool(reasons),
                "partial_reasons": reasons,
                "exitstatus": int(exitstatus),
                "args": [str(a) for a in self.config.invocation_params.args],
                "hypothesis_profile": getattr(settings, "_current_profile", None),
                "devices": getattr(self.config, "_torchconform_devices", None),
                "unused_deviations": getattr(self.config, "_torchconform_unused_deviations", []),
                "calibrated_torch": getattr(self.config, "_torchconform_calibrated", None),
                "shard": shard.as_dict() if (shard := sharding.current(self.config)) else None,
            },
            "deviations": [asdict(d) for d in known],
            "totals": dict(Counter(r["outcome"] for r in self.records)),
            "records": sorted(self.records, key=lambda r: r["nodeid"]),
            "coverage": self.coverage.field(),
            "timing": timingfield.field(self.records, time.monotonic() - self.clock, self.workers()),
        }

    def workers(self) -> int:
        """The pytest-xdist workers of this run (1 without xdist)."""
        count = getattr(self.config.option, "numprocesses", None)
        dist = getattr(self.config.option, "dist", "no")
        return int(count) if isinstance(count, int) and count > 0 and dist != "no" else 1

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        try:
            write_json(self.path, self.document(session, exitstatus))
        except OSError as exc:
            self.write_error = f"{exc.strerror or exc}"

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.write_error:
            terminalreporter.write_line(f"torchconform: could not write {self.path}: {self.write_error}", red=True)
        else:
            terminalreporter.write_line(f"torchconform: {len(self.records)} case record(s) written to {self.path}")
