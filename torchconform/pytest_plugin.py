"""The pytest plugin every torchconform run loads (``-p torchconform.pytest_plugin``).

It owns the run-wide choices: which devices (``--device``), which Hypothesis
profile, and which tests are known deviations. Users get one clear line and a
non-zero exit for a bad choice, never a traceback.
"""

from __future__ import annotations

import os

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
    except (ValueError, OSError) as exc:
        raise pytest.UsageError(f"cannot read known deviations: {exc}") from None


def pytest_report_header(config: pytest.Config) -> list[str]:
    cuda = f"cuda {torch.version.cuda}" if torch.version.cuda else "no cuda build"
    return [
        f"torchconform: torch {torch.__version__} ({cuda}), devices {', '.join(config._torchconform_devices)}, "
        f"hypothesis profile {settings._current_profile if settings else '(Hypothesis not installed)'}",
    ]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "device" not in metafunc.fixturenames:
        return
    params = [
        pytest.param(dev, id=dev, marks=[pytest.mark.skip(reason=reason)] if reason else [])
        for dev, reason in devices.device_params(metafunc.config._torchconform_devices)
    ]
    metafunc.parametrize("device", params)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    known = config._torchconform_deviations
    used = set()
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        for dev in known:
            if dev.matches(item.nodeid, params):
                item.add_marker(pytest.mark.xfail(strict=True, reason=dev.label))
                item.user_properties.append(("deviation", dev.id))
                used.add(dev.id)
                break
    config._torchconform_unused_deviations = [
        d.id for d in known if d.id not in used and any(i.nodeid.startswith(d.test.split("::")[0]) for i in items)
    ]


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    unused = getattr(config, "_torchconform_unused_deviations", [])
    if unused:
        terminalreporter.write_line(
            f"torchconform: known deviation(s) matching no collected test: {', '.join(unused)}", yellow=True
        )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    record.set_current_item(item)


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
            item.user_properties.append((coverage.PROPERTY, tracker.result(coverage.declared(item))))
