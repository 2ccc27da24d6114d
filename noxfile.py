"""Sessions: conformance (the main job), tests (the project's own tests + the
conformance suite under the ci profile, then a smoke run of every other
session from its own fresh virtualenv), bench, report, compare (several
torch builds side by side).

Which torch is tested:
  * default: ``torch`` from the package registry for ``conformance`` and
    ``bench``; the project's own ``tests`` pin the release the known
    deviations are calibrated on (``calibrated`` in
    torchconform/deviations.toml, 2.13.0), so CI judges our code and not a
    new torch (run ``TORCH_SPEC=torch nox -s tests`` to try the latest);
  * ``TORCH_SPEC=...`` overrides it (``torch==2.12.0``, a wheel path, ...);
  * ``nox -s conformance --no-venv`` installs nothing and tests the torch of
    the current environment (a vendor or source build).

``nox -s conformance`` fails when any case fails or errors, after writing
the pages.
"""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from pathlib import Path

import nox
import nox.command

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["conformance"]

REPORTS = "reports"


#: pytest's exit status when tests ran and some failed (the pages are still worth building).
TESTS_FAILED = 1


def _calibrated_release() -> str:
    # One place for the release: the known deviations' file, which the
    # pytest plugin reads too (torchconform.deviations.calibrated_release).
    with open(Path(__file__).parent / "torchconform" / "deviations.toml", "rb") as f:
        return tomllib.load(f)["calibrated"]


CALIBRATED_TORCH = f"torch=={_calibrated_release()}"

#: What the tests session's smoke runs select (pytest -k): a step, a claim, a
#: peak and a sweep point of the bench, so each part of the page is built;
#: one small conformance module.
BENCH_SMOKE = "lenet and (infer_step or multicore or threads1) or gemm_peak"
CONFORMANCE_SMOKE = "test_known_deviations"


def _install(session: nox.Session, extras: str, default_torch: str = "torch") -> None:
    """Install torch and the suite into the session's venv; with --no-venv
    install nothing, so the environment's own torch is what gets tested."""
    if session.venv_backend == "none":
        session.log("--no-venv: testing the torch already installed in this environment")
        return
    session.install(*os.environ.get("TORCH_SPEC", default_torch).split())
    session.install("-e", f".[{extras}]")


def _build_report(session: nox.Session, only: str, *extra: str) -> None:
    # --only: a run rebuilds its own page (and the index) even when the other
    # run's JSON is missing or stale.
    session.run("python", "-m", "torchconform.report", "--reports", REPORTS, "--only", only, *extra)


def _baseline(posargs: list[str]) -> list[str]:
    """The ``--baseline FILE`` among pytest's arguments, for the page to compare with the same file."""
    for i, arg in enumerate(posargs):
        if arg == "--baseline" and i + 1 < len(posargs):
            return ["--baseline", posargs[i + 1]]
        if arg.startswith("--baseline="):
            return ["--baseline", arg.split("=", 1)[1]]
    return []


@nox.session
def conformance(session: nox.Session) -> None:
    """Check torch against NumPy on every device; write reports/conformance.{json,html}.
    Fails when any case fails or errors, after writing the pages."""
    _install(session, "conformance,report")
    try:
        session.run("python", "-m", "pytest", "conformance", "-n", "auto",
                    f"--conformance-json={REPORTS}/conformance.json", *session.posargs)
    except nox.command.CommandFailed as failed:
        if failed.return_code != TESTS_FAILED:  # a usage error or a crash: no results to show
            raise
        _build_report(session, "conformance")
        session.error(f"conformance failures: see {REPORTS}/conformance.html")
    _build_report(session, "conformance")


@nox.session
def tests(session: nox.Session) -> None:
    """The suite's own tests, the conformance suite under the ci profile, then
    smoke runs of the other sessions (see below)."""
    _install(session, "test", default_torch=CALIBRATED_TORCH)
    # The ci profile is derandomized: the suite's own tests (the can-fail ones
    # run real conformance tests) give the same verdict on every run, so CI
    # cannot turn red or green by the luck of a seed.
    session.run("python", "-m", "pytest", "tests", "-n", "auto", "--hypothesis-profile=ci", *session.posargs)
    session.run("python", "-m", "pytest", "conformance", "-n", "auto", "--hypothesis-profile=ci",
                f"--conformance-json={REPORTS}/conformance.json")
    # Every other README session as a user runs it, each from its own fresh
    # virtualenv with only its own extras, so a missing install step fails CI.
    # Small on purpose (a few minutes, mostly installs): the bench on a
    # handful of benchmarks, the conformance session on one module, then the
    # report from the JSON they wrote. They get this session's torch.
    os.environ.setdefault("TORCH_SPEC", CALIBRATED_TORCH)
    session.notify("bench", posargs=["--quick", "-k", BENCH_SMOKE])
    session.notify("conformance", posargs=["-k", CONFORMANCE_SMOKE, "--hypothesis-profile=ci"])
    session.notify("report")


@nox.session
def bench(session: nox.Session) -> None:
    """Time the tutorial networks; write reports/bench.{json,html}. ``-- --quick`` for a short run."""
    _install(session, "bench,report")
    session.run("python", "-m", "pytest", "benchmarks", f"--benchmark-json={REPORTS}/bench.json",
                *session.posargs)
    _build_report(session, "bench", *_baseline(session.posargs))


@nox.session
def report(session: nox.Session) -> None:
    """Rebuild the HTML pages from the JSON results already under reports/."""
    if session.venv_backend != "none":
        session.install("-e", ".[report]")
    session.run("python", "-m", "torchconform.report", "--reports", REPORTS, *session.posargs)


#: What ``nox -s compare`` compares by default: the calibrated release and the
#: newest release the package registry serves.
DEFAULT_COMPARE_SPECS = f"{CALIBRATED_TORCH} torch"
COMPARE_DIR = Path(REPORTS) / "compare"


def _existing_python(spec: str) -> str | None:
    """The interpreter of an already-installed environment named by ``spec``
    (a virtual environment's directory or a Python executable), else None."""
    path = Path(spec).expanduser()
    if path.is_dir() and (path / "bin" / "python").exists():
        return str((path / "bin" / "python").absolute())
    if path.is_file() and os.access(path, os.X_OK) and path.name.startswith("python"):
        return str(path.absolute())
    return None


def _spec_slug(spec: str) -> str:
    name = Path(spec).name if ("/" in spec or spec.endswith(".whl")) else spec
    return re.sub(r"[^A-Za-z0-9.]+", "-", name).strip("-") or "torch"


def _compare_env(session: nox.Session, spec: str, extras: str) -> str:
    """A Python whose environment has ``spec`` (a pip requirement or a wheel)
    and the suite's dependencies; reused while the spec and extras are the same.
    A spec that does not install ends the session with one line."""
    env = Path(".nox") / "compare-envs" / _spec_slug(spec)
    python = (env / "bin" / "python").absolute()
    stamp, wanted = env / "torchconform-spec.txt", f"{spec} [{extras}]"
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        session.log(f"reusing {env} for {spec}")
        return str(python)
    session.run("python", "-m", "venv", "--clear", str(env), silent=True)
    log = env / "install.log"
    session.log(f"installing {spec} into {env} (log: {log})")
    with log.open("w") as out:
        # pip directly, not session.install: a spec that does not install must
        # end in one line naming it, not in pages of resolver output.
        done = subprocess.run([str(python), "-m", "pip", "install", *spec.split(), "-e", f".[{extras}]"],
                              stdout=out, stderr=subprocess.STDOUT)
    if done.returncode:
        errors = [line for line in log.read_text().splitlines() if line.startswith("ERROR")]
        session.error(f"torch spec {spec!r} did not install: {errors[0] if errors else 'pip failed'} (log: {log})")
    stamp.write_text(wanted)
    return str(python)


@nox.session
def compare(session: nox.Session) -> None:
    """Run the conformance suite (``-- --bench``: and the quick benchmarks) on
    several torch builds, each in its own environment, and write one page
    comparing them: reports/compare.html.

    ``TORCH_SPECS`` lists the builds, the first being the base: pip
    requirements or wheel paths (``"torch==2.12.0 torch==2.13.0
    /path/to/vendor.whl"``), or already-installed environments (a venv
    directory or a python executable; they need the conformance extra).
    Default: the calibrated release and the newest the registry serves. Other
    arguments go to pytest; the ci profile (derandomised: every build draws
    the same examples) unless one is given. Failing cases do not fail the
    session: showing them is its purpose.
    """
    args = list(session.posargs)
    bench = "--bench" in args
    args = [a for a in args if a != "--bench"]
    if not any(a.startswith("--hypothesis-profile") for a in args):
        args.insert(0, "--hypothesis-profile=ci")
    specs = os.environ.get("TORCH_SPECS", DEFAULT_COMPARE_SPECS).split()
    if len(specs) < 2:
        session.error(f"TORCH_SPECS={' '.join(specs)!r}: name two or more torch builds to compare")
    if session.venv_backend != "none":
        session.install("-e", ".[report]")
    extras = "conformance,bench" if bench else "conformance"
    runs = []
    for i, spec in enumerate(specs, 1):
        python = _existing_python(spec) or _compare_env(session, spec, extras)
        out = COMPARE_DIR / f"{i}-{_spec_slug(spec)}"
        env = {"PYTHONPATH": str(Path.cwd())}  # this checkout's suite, whichever environment runs it
        session.log(f"conformance on {spec}")
        session.run(python, "-m", "pytest", "conformance", "-n", "auto", "-p", "no:cacheprovider",
                    f"--conformance-json={out}/conformance.json", *args,
                    external=True, env=env, success_codes=[0, 1])
        if bench:
            session.run(python, "-m", "pytest", "benchmarks", "--quick", "-p", "no:cacheprovider",
                        f"--benchmark-json={out}/bench.json", external=True, env=env)
        session.run("python", "-m", "torchconform.report", "--reports", str(out), "--only", "conformance")
        runs.append(str(out))
    session.run("python", "-m", "torchconform.report", "compare", *runs, "--out", f"{REPORTS}/compare.html")
