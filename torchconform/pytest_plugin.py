"""The pytest plugin every torchconform run loads (``-p torchconform.pytest_plugin``).

It owns the run-wide choices: which devices (``--device``), which Hypothesis
profile, and which tests are known deviations. Users get one clear line and a
non-zero exit for a bad choice, never a traceback.
"""

from __future__ import annotations

import os
import random
import zlib

import numpy as np
import pytest
import torch

from torchconform import coverage, deviations, devices, record

try:
    from hypothesis import HealthCheck, settings
except ModuleNotFoundError:
    # The benchmarks (the `bench` extra) draw no examples and do not install
    # Hypothesis; they still need --device and the device fixture from here.
    settings = None

pytest_plugins = ["torchconform.compat", "torchconform.sharding", "torchconform.results", "torchconform.nncheck"]

PROFILES = ("ci", "dev", "thorough")
if settings is not None:
    # Registered at import, before Hypothesis' own plugin loads a profile.
    # "ci" replaces Hypothesis' built-in profile of that name on purpose: ours is
    # picked explicitly with --hypothesis-profile ci (Hypothesis auto-loads its
    # own when a CI variable is set).
    _COMMON = dict(deadline=None, print_blob=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    settings.register_profile("ci", derandomize=True, database=None, max_examples=15, **_COMMON)
    settings.register_profile("dev", max_examples=40, **_COMMON)
    settings.register_profile("thorough", max_examples=400, **_COMMON)
DEFAULT_PROFILE = "dev"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("torchconform")
    group.addoption(
        "--device", action="append", default=None, metavar="DEV",
        help="device to check: cpu, cuda or cuda:N (repeatable or comma-separated; "
             "default: cpu, plus cuda when available)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"derivatives(*orders): the derivative orders ({', '.join(coverage.ORDERS)}) a test compares with "
                   "a reference for the op families it declares (coverage, see torchconform/coverage.py)")
    try:
        config._torchconform_devices = devices.parse_devices(config.getoption("device"))
    except devices.DeviceError as exc:
        raise pytest.UsageError(str(exc)) from None
    profile = config.getoption("hypothesis_profile", None)
    if settings is not None and profile is None:
        settings.load_profile(DEFAULT_PROFILE)
    elif settings is not None and profile not in PROFILES and profile not in settings._profiles:
        raise pytest.UsageError(f"unknown Hypothesis profile {profile!r}: choose one of {', '.join(PROFILES)}")
    workers = getattr(config, "workerinput", {}).get("workercount")
    if workers:
        # Each xdist worker gets its share of the cores: torch's and the BLAS
        # thread pools of every worker fighting over the same cores made
        # small-op tests an order of magnitude slower.
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // int(workers)))
    try:
        config._torchconform_deviations = deviations.load()
        config._torchconform_calibrated = deviations.calibrated_release()
    except (ValueError, OSError) as exc:
        raise pytest.UsageError(f"cannot read known deviations: {exc}") from None
    config._torchconform_release = deviations.release_of(torch.__version__)


def pytest_report_header(config: pytest.Config) -> list[str]:
    cuda = f"cuda {torch.version.cuda}" if torch.version.cuda else "no cuda build"
    return [
        f"torchconform: torch {torch.__version__} ({cuda}), devices {', '.join(config._torchconform_devices)}, "
        f"hypothesis profile {settings._current_profile if settings else '(Hypothesis not installed)'}",
        _calibration_line(config),
    ]


def _calibration_line(config: pytest.Config) -> str:
    calibrated = config._torchconform_calibrated
    if config._torchconform_release == calibrated:
        return f"torchconform: the calibrated release {calibrated}: a known deviation that no longer shows fails"
    return (f"torchconform: not the calibrated release {calibrated}: a known deviation that no longer shows "
            "is reported as resolved on this torch, unless it was observed on this release")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "device" not in metafunc.fixturenames:
        return
    params = [
        pytest.param(dev, id=dev, marks=[pytest.mark.skip(reason=reason)] if reason else [])
        for dev, reason in devices.device_params(metafunc.config._torchconform_devices)
    ]
    metafunc.parametrize("device", params)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        try:
            coverage.derivative_orders(item)
        except ValueError as exc:
            raise pytest.UsageError(f"{item.nodeid}: {exc}") from None
    known = config._torchconform_deviations
    release, calibrated = config._torchconform_release, config._torchconform_calibrated
    used = set()
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        for dev in known:
            if dev.matches(item.nodeid, params):
                # Off the releases the deviation was seen on, a pass is an
                # XPASS that fails nothing: pytest_report_teststatus below
                # names it "resolved", and so do the results records.
                item.add_marker(pytest.mark.xfail(strict=dev.expected_on(release, calibrated), reason=dev.label))
                item.user_properties.append(("deviation", dev.id))
                used.add(dev.id)
                break
    config._torchconform_unused_deviations = [
        d.id for d in known if d.id not in used and any(i.nodeid.startswith(d.test.split("::")[0]) for i in items)
    ]


def deviation_of(report: pytest.TestReport) -> str | None:
    """The id of the known deviation a test report's case is marked with, if any."""
    return dict(report.user_properties).get("deviation")


def is_resolved(report: pytest.TestReport) -> bool:
    """Whether a report is a known deviation's example passing where the
    deviation is not expected (a non-strict XPASS): resolved on this torch."""
    return report.when == "call" and report.passed and hasattr(report, "wasxfail") \
        and deviation_of(report) is not None


@pytest.hookimpl(tryfirst=True)
def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config):
    if is_resolved(report):
        return "resolved", "R", ("RESOLVED", {"green": True})
    return None


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    unused = getattr(config, "_torchconform_unused_deviations", [])
    if unused:
        terminalreporter.write_line(
            f"torchconform: known deviation(s) matching no collected test: {', '.join(unused)}", yellow=True
        )
    stale = {deviation_of(report) for report in terminalreporter.stats.get("failed", [])
             if deviation_of(report) and str(report.longrepr).startswith("[XPASS(strict)]")}
    if stale:
        terminalreporter.write_line(
            f"torchconform: known deviation(s) no longer showing on torch {config._torchconform_release}, where they "
            f"are expected (a stale example, or fixed: update the entry): {', '.join(sorted(stale))}", red=True
        )
    # pytest_report_teststatus' category: the terminal files those reports under it.
    resolved = {deviation_of(report) for report in terminalreporter.stats.get("resolved", [])}
    if resolved:
        terminalreporter.write_line(
            f"torchconform: known deviation(s) resolved on this torch ({config._torchconform_release}; calibrated "
            f"on {config._torchconform_calibrated}), not failures: {', '.join(sorted(resolved))}", green=True
        )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    record.set_current_item(item)
    seed_global_generators(item.nodeid)


def seed_global_generators(nodeid: str) -> None:
    """Seed torch's, NumPy's and Python's global generators from the test's id.

    Tests in the tutorials' style call ``torch.rand`` without a generator;
    seeded per test, they draw the same numbers whichever tests ran before
    them, in whatever order, in whichever xdist worker, so a test's outcome
    does not depend on the subset run. (Inside ``@given`` examples Hypothesis
    seeds these generators itself, from its own seed.)"""
    seed = zlib.crc32(nodeid.encode())
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    record.set_current_item(None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    # Coverage is measured for runs that write a conformance JSON (see torchconform.coverage).
    if not item.config.getoption("conformance_json", None):
        return (yield)
    with coverage.tracking() as tracker:
        try:
            return (yield)
        finally:
            item.user_properties.append((coverage.PROPERTY, tracker.result(coverage.declared(item),
                                                                           coverage.derivative_orders(item))))
