"""``nox -s conformance`` end to end: its exit status is the verdict. A failing
case fails the session (after the pages are written); a known deviation
resolved on a torch other than the calibrated release does not.

Each test runs the real noxfile with ``--no-venv`` on a copy of the project's
pytest configuration, its package and a two-test ``conformance/`` directory, so it costs
one pytest start-up and one report build, and needs no network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.area("report")

ROOT = Path(__file__).parents[1]

TINY = textwrap.dedent("""
    def test_conforms():
        pass

    def test_differs():
        assert False, "torch differs from NumPy here"
""")

# Loaded by pytest before the plugin configures itself: the example of a
# deviation that "test_conforms" resolves, seen only on a release that is not
# the torch under test and calibrated on it.
RESOLVED_ON_THIS_TORCH = textwrap.dedent("""
    from torchconform import deviations

    deviations.load = lambda: [deviations.Deviation(
        id="fixed-upstream", test="conformance/test_tiny.py::test_conforms", reason="torch used to differ",
        observed_on=("0.0.1",))]
    deviations.calibrated_release = lambda: "0.0.1"
""")


def run_conformance_session(project: Path, *pytest_args: str, conftest: str = "") -> subprocess.CompletedProcess:
    shutil.copy(ROOT / "noxfile.py", project)
    shutil.copy(ROOT / "pyproject.toml", project)  # the suite's pytest options: plugin, strict xfail
    (project / "torchconform").symlink_to(ROOT / "torchconform", target_is_directory=True)
    (project / "conformance").mkdir()
    (project / "conformance" / "test_tiny.py").write_text(TINY)
    shipped = ROOT / "conformance" / "conftest.py"  # whatever the real suite sets up there, if anything
    conftest = (shipped.read_text() if shipped.exists() else "") + conftest
    if conftest:
        (project / "conformance" / "conftest.py").write_text(conftest)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           # --no-venv runs the "python" on PATH: make it this interpreter.
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "nox", "-f", str(project / "noxfile.py"), "-s", "conformance", "--no-venv",
         "--", "-n", "0", "-p", "no:cacheprovider", *pytest_args],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )


def test_a_failing_case_fails_the_session_after_the_pages_are_written(tmp_path):
    run = run_conformance_session(tmp_path, "-k", "differs")
    log = run.stdout + run.stderr
    assert run.returncode != 0, log
    assert "conformance failures: see reports/conformance.html" in log
    page = (tmp_path / "reports" / "conformance.html").read_text()
    assert "conformance/test_tiny.py::test_differs" in page and "torch differs from NumPy here" in page
    assert (tmp_path / "reports" / "index.html").is_file()


def test_a_deviation_resolved_on_this_torch_passes_the_session_and_is_shown(tmp_path):
    run = run_conformance_session(tmp_path, "-k", "conforms", conftest=RESOLVED_ON_THIS_TORCH)
    log = run.stdout + run.stderr
    assert run.returncode == 0, log
    assert "known deviation(s) resolved on this torch" in log
    index = (tmp_path / "reports" / "index.html").read_text()
    assert 'id="resolved-on-this-torch"' in index and "fixed-upstream" in index
