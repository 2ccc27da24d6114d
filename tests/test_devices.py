"""Device selection: ``--device`` parsing, its defaults, and what a user sees
for a choice this machine cannot honour (one line, non-zero exit, no
traceback), plus the same for an unknown Hypothesis profile."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from torchconform import devices

pytestmark = pytest.mark.area("devices")

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def no_cuda(monkeypatch):
    monkeypatch.setattr(devices, "cuda_available", lambda: False)


@pytest.fixture
def one_gpu(monkeypatch):
    monkeypatch.setattr(devices, "cuda_available", lambda: True)
    monkeypatch.setattr(devices.torch.cuda, "device_count", lambda: 1)


def test_default_is_cpu_plus_cuda_when_available(no_cuda, monkeypatch):
    assert devices.parse_devices(None) == ["cpu"]
    monkeypatch.setattr(devices, "cuda_available", lambda: True)
    assert devices.parse_devices([]) == ["cpu", "cuda"]


def test_values_are_normalised_split_on_commas_and_deduplicated(one_gpu):
    assert devices.parse_devices([" CPU ", "cuda:0,cpu", "cuda:0"]) == ["cpu", "cuda:0"]


@pytest.mark.parametrize("text", ["tpu9", "gpu", "cpu:0", "cuda:x", "cuda:", ""])
def test_unknown_device_strings_are_refused(text, one_gpu):
    with pytest.raises(devices.DeviceError, match=f"unknown device {text!r}: use 'cpu', 'cuda' or 'cuda:N'"):
        devices.parse_device(text)


def test_cuda_without_a_gpu_is_refused_with_the_reason(no_cuda):
    with pytest.raises(devices.DeviceError, match="--device cuda requested but CUDA not available"):
        devices.parse_devices(["cuda"])


def test_a_gpu_index_beyond_the_machine_is_refused(one_gpu):
    assert devices.parse_device("cuda:0") == "cuda:0"
    with pytest.raises(devices.DeviceError, match="only 1 CUDA device"):
        devices.parse_device("cuda:1")


def test_cuda_is_reported_as_skipped_with_a_reason_when_absent(no_cuda):
    assert devices.device_params(["cpu"]) == [("cpu", None), ("cuda", devices.NO_CUDA_REASON)]


def test_a_present_gpu_is_not_skipped(one_gpu):
    assert devices.device_params(["cpu", "cuda"]) == [("cpu", None), ("cuda", None)]


def _pytest(tmp_path, *args):
    """Run pytest with the plugin on a one-test file that uses the device fixture."""
    (tmp_path / "test_one.py").write_text("def test_one(device):\n    pass\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "torchconform.pytest_plugin", "-p", "no:cacheprovider", "-rs", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize("args, message", [
    pytest.param(["--device", "tpu9"], "ERROR: unknown device 'tpu9': use 'cpu', 'cuda' or 'cuda:N'", id="tpu9"),
    pytest.param(["--hypothesis-profile", "nosuch"],
                 "ERROR: unknown Hypothesis profile 'nosuch': choose one of ci, dev, thorough", id="profile"),
])
def test_bad_choice_stops_the_run_with_one_line(tmp_path, args, message):
    run = _pytest(tmp_path, *args)
    assert run.returncode == 4, run.stdout + run.stderr
    assert [line for line in (run.stdout + run.stderr).splitlines() if line.strip()] == [message]


@pytest.mark.skipif(devices.cuda_available(), reason="this machine has CUDA")
def test_cuda_on_a_machine_without_one_stops_the_run_with_one_line(tmp_path):
    run = _pytest(tmp_path, "--device", "cuda")
    lines = [line for line in (run.stdout + run.stderr).splitlines() if line.strip()]
    assert run.returncode == 4 and len(lines) == 1, run.stdout + run.stderr
    assert lines[0].startswith("ERROR: --device cuda requested but CUDA not available")


@pytest.mark.skipif(devices.cuda_available(), reason="this machine has CUDA")
def test_default_run_shows_cuda_skipped_with_the_reason(tmp_path):
    run = _pytest(tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"SKIPPED [1] test_one.py: {devices.NO_CUDA_REASON}" in run.stdout
    assert "1 passed, 1 skipped" in run.stdout
