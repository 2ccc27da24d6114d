"""The results plugin: one faithful JSON record per test case, under plain
pytest and pytest-xdist, written atomically and marked partial when the run
was cut short or narrowed; and the environment block it carries."""

from __future__ import annotations

import json
import os
import runpy
import textwrap
from pathlib import Path

import pytest
import torch

import torchconform
from torchconform import deviations, environment, results
from torchconform.report import build_conformance
from torchconform.resultsfile import SCHEMA, jsonable, write_json
from torchconform.results import parse_failure, parse_hypothesis_statistics

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.area("report")

#: A small conformance module exercising every outcome the records distinguish.
SAMPLE = textwrap.dedent('''
    import numpy as np
    import pytest
    import torch
    from hypothesis import Phase, given, settings, strategies as st

    from torchconform import dtypes, repro
    from torchconform.oracle import assert_matches
    from torchconform.tolerances import tolerance


    class Op:
        def __init__(self, name, torch_expr, numpy_expr):
            self.name, self.torch_expr, self.numpy_expr = name, torch_expr, numpy_expr

        def __repr__(self):
            return self.name


    # "sub" pairs torch.sub with the reference of add: a check that must fail.
    OPS = [Op("add", "torch.add(x, y)", "x + y"), Op("sub", "torch.sub(x, y)", "x + y")]


    @pytest.mark.area("math")
    @pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
    @pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=dtypes.name)
    @settings(max_examples=10, phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink])
    @given(v=st.floats(-4, 4, width=32))
    def test_binary_matches_numpy(op, dtype, device, v):
        x = torch.tensor([v, 1.0], dtype=dtype, device=device)
        y = torch.tensor([2.0, 3.0], dtype=dtype, device=device)
        script = repro.script(op.torch_expr, op.numpy_expr, {"x": x, "y": y}, dtype=dtype,
                              tolerance=tolerance(dtype))
        a, b = dtypes.tensor_to_numpy(x).astype(np.float64), dtypes.tensor_to_numpy(y).astype(np.float64)
        assert_matches(eval(op.torch_expr), eval(op.numpy_expr, {"x": a, "y": b}), dtype, repro=script)


    @pytest.mark.area("autograd")
    @pytest.mark.capability("grad")
    def test_known_difference(device):
        assert False, "torch differs here by design"


    @pytest.mark.seed_claim("blitz-full-int64")
    def test_full_gives_int64():
        assert torch.full((3, 3), 8).dtype == torch.int64


    def test_needs_a_bigger_machine():
        pytest.skip("needs 1 TB of memory")


    @pytest.mark.xfail(reason="an ordinary expected failure", strict=True)
    def test_plain_xfail():
        assert 1 == 2
''')

DEVIATION = deviations.Deviation(id="demo-by-design", test="*::test_known_difference*", reason="by design")


@pytest.fixture
def sample(pytester, monkeypatch):
    """Runs SAMPLE with the results plugin (in-process) and returns (outcome, JSON)."""
    monkeypatch.setattr(deviations, "load", lambda: [DEVIATION])
    pytester.makepyfile(test_sample=SAMPLE)

    def run(*args: str):
        path = pytester.path / "reports" / "conformance.json"
        result = pytester.runpytest("-p", "torchconform.pytest_plugin", "-p", "no:randomly", "-p", "no:cacheprovider",
                                    "--conformance-json", str(path), *args)
        return result, (json.loads(path.read_text()) if path.exists() else None)

    return run


def _by_id(doc: dict) -> dict[str, dict]:
    return {r["nodeid"]: r for r in doc["records"]}


def test_records_describe_every_case(sample):
    result, doc = sample()
    assert doc["schema"] == SCHEMA
    records = _by_id(doc)
    add = records["test_sample.py::test_binary_matches_numpy[cpu-float32-add]"]
    assert {k: add[k] for k in ("area", "op", "capability", "dtype", "device", "outcome")} == {
        "area": "math", "op": "add", "capability": "forward", "dtype": "float32", "device": "cpu",
        "outcome": "passed"}
    assert add["tolerance"] and add["max_ulp"] == 0.0
    assert add["hypothesis"]["examples"] > 0 and add["hypothesis"]["stopped_because"]
    cuda = records["test_sample.py::test_binary_matches_numpy[cuda-float32-add]"]
    assert cuda["outcome"] == "skipped" and "CUDA not available" in cuda["reason"]
    known = records["test_sample.py::test_known_difference[cpu]"]
    assert (known["area"], known["op"], known["capability"], known["device"]) == \
           ("autograd", "known_difference", "grad", "cpu")
    assert (known["outcome"], known["deviation"]) == ("xfailed", "demo-by-design")
    assert "torch differs here by design" in known["message"]
    claim = records["test_sample.py::test_full_gives_int64"]
    assert (claim["claim"], claim["outcome"], claim["area"], claim["dtype"], claim["device"]) == \
           ("blitz-full-int64", "passed", "sample", "various", "n/a")
    assert records["test_sample.py::test_needs_a_bigger_machine"]["reason"] == "needs 1 TB of memory"
    assert records["test_sample.py::test_plain_xfail"]["reason"] == "an ordinary expected failure"
    outcomes = result.parseoutcomes()
    assert doc["totals"] == {"passed": outcomes["passed"], "failed": outcomes["failed"],
                             "skipped": outcomes["skipped"], "xfailed": outcomes["xfailed"]}
    assert len(doc["records"]) == sum(outcomes[k] for k in ("passed", "failed", "skipped", "xfailed"))
    assert doc["run"]["partial"] is False and doc["run"]["exitstatus"] == 1
    assert doc["deviations"] == [{"id": "demo-by-design", "test": "*::test_known_difference*", "reason": "by design",
                                  "dtype": None, "device": None, "link": None, "op": None,
                                  "observed_on": []}]
    assert doc["environment"]["torch"]["version"]
    timing = doc["timing"]
    assert timing["workers"] == 1 and 0 < sum(r["duration"] for r in doc["records"]) <= timing["wall_seconds"]
    math = [r for r in doc["records"] if r["area"] == "math"]
    assert timing["areas"]["math"]["cases"] == len(math) == 8  # add and sub, 2 dtypes, 2 devices
    assert timing["areas"]["math"]["seconds"] == pytest.approx(sum(r["duration"] for r in math), abs=1e-3)
    assert 0 < add["call_duration"] <= add["duration"]
    assert timing["areas"]["math"]["call_seconds"] == pytest.approx(sum(r["call_duration"] for r in math), abs=1e-3)


def test_failure_record_has_the_shrunk_example_values_tolerance_and_a_working_repro(sample, tmp_path, capsys):
    _, doc = sample("-k", "sub and float32 and cpu")
    failure = _by_id(doc)["test_sample.py::test_binary_matches_numpy[cpu-float32-sub]"]
    assert failure["outcome"] == "failed"
    assert failure["falsifying_examples"] == ["test_binary_matches_numpy(\n    op=sub,\n    dtype=torch.float32,\n"
                                              "    device='cpu',\n    v=0.0,\n)"]
    assert failure["message"].startswith("AssertionError: result [float32, forward, rtol=")
    assert "--- standalone repro script ---" not in failure["message"]
    assert failure["observed"] == "[-2. -2.]" and failure["expected"] == "[2. 4.]"
    assert failure["tolerance"].startswith("rtol=9.54e-07")
    script = tmp_path / "repro.py"
    script.write_text(failure["repro"])
    assert runpy.run_path(str(script), run_name="repro")["main"]() == 1
    assert "MISMATCH: 2 of 2 element(s)" in capsys.readouterr().out


@pytest.mark.parametrize("args, reason", [
    (("-k", "add"), "selected with -k 'add'"),
    (("-x",), "stopped early"),
    (("test_sample.py::test_full_gives_int64",), "selected by test id"),
], ids=["keyword", "exitfirst", "node-id"])
def test_narrowed_run_is_marked_partial(sample, args, reason):
    _, doc = sample(*args)
    assert doc["run"]["partial"] is True
    assert any(r.startswith(reason) for r in doc["run"]["partial_reasons"]), doc["run"]["partial_reasons"]


def test_interrupted_run_is_written_and_marked_partial(pytester):
    pytester.makepyfile(test_stop="""
        def test_before():
            pass

        def test_interrupt():
            raise KeyboardInterrupt

        def test_after():
            pass
    """)
    path = pytester.path / "conformance.json"
    result = pytester.runpytest("-p", "torchconform.pytest_plugin", "-p", "no:randomly",
                                "--conformance-json", str(path), no_reraise_ctrlc=True)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    doc = json.loads(path.read_text())
    assert doc["run"]["partial"] is True and "interrupted" in doc["run"]["partial_reasons"]
    assert [r["outcome"] for r in doc["records"]] == ["passed", "error"]


EXAMPLES = textwrap.dedent("""
    def test_example_torch_fixed():
        pass

    def test_example_that_still_differs():
        assert False, "torch still differs"
""")


@pytest.mark.parametrize("calibrated, observed_on, outcome, status", [
    ("this", ("this",), "failed", pytest.ExitCode.TESTS_FAILED),        # the calibrated release: a stale example
    ("0.0.1", ("0.0.1",), "resolved", pytest.ExitCode.OK),              # another torch: it fixed the deviation
    ("0.0.1", ("0.0.1", "this"), "failed", pytest.ExitCode.TESTS_FAILED),  # seen on this release: still expected
], ids=["calibrated", "other-torch", "observed-on-this-torch"])
def test_a_deviation_that_no_longer_shows_fails_only_where_it_is_expected(pytester, monkeypatch, calibrated,
                                                                         observed_on, outcome, status):
    this = deviations.release_of(torch.__version__)
    observed_on = tuple(this if v == "this" else v for v in observed_on)
    monkeypatch.setattr(deviations, "load", lambda: [
        deviations.Deviation(id="fixed-upstream", test="*::test_example_torch_fixed", reason="r", observed_on=observed_on),
        deviations.Deviation(id="still-there", test="*::test_example_that_still_differs", reason="s",
                             observed_on=observed_on)])
    monkeypatch.setattr(deviations, "calibrated_release", lambda: this if calibrated == "this" else calibrated)
    pytester.makepyfile(test_examples=EXAMPLES)
    path = pytester.path / "conformance.json"
    result = pytester.runpytest("-p", "torchconform.pytest_plugin", "-p", "no:randomly", "-p", "no:cacheprovider",
                                "--conformance-json", str(path))
    assert result.ret == status
    doc = json.loads(path.read_text())
    records = _by_id(doc)
    fixed = records["test_examples.py::test_example_torch_fixed"]
    assert (fixed["outcome"], fixed["deviation"]) == (outcome, "fixed-upstream")
    assert records["test_examples.py::test_example_that_still_differs"]["outcome"] == "xfailed"
    assert doc["run"]["calibrated_torch"] == (this if calibrated == "this" else calibrated)
    if outcome == "resolved":
        result.stdout.fnmatch_lines(["*known deviation(s) resolved on this torch*: fixed-upstream",
                                     "*1 xfailed, 1 resolved*"])
    else:
        result.stdout.fnmatch_lines(["*[[]XPASS(strict)[]] known deviation fixed-upstream: r*",
                                     "*known deviation(s) no longer showing on torch*: fixed-upstream"])


def test_no_option_writes_nothing_and_adds_no_properties(pytester):
    pytester.makepyfile(test_plain="""
        def test_plain(record_property, request):
            assert request.node.user_properties == []
    """)
    result = pytester.runpytest("-p", "torchconform.pytest_plugin")
    result.assert_outcomes(passed=1)
    assert not list(pytester.path.rglob("*.json"))


def test_records_survive_xdist_workers(pytester, monkeypatch):
    pytester.makepyfile(test_sample=SAMPLE)
    path = pytester.path / "conformance.json"
    root = str(Path(torchconform.__file__).parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    # One worker is enough: every report crosses the xdist wire, and each more
    # worker only adds seconds of start-up. The worker is a separate process,
    # so no known deviation is patched in there: test_known_difference fails.
    result = pytester.runpytest("-p", "torchconform.pytest_plugin", "-p", "no:randomly", "-n", "1",
                                "--conformance-json", str(path), "-k", "not sub")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    records = _by_id(json.loads(path.read_text()))
    assert len(records) == 9
    add = records["test_sample.py::test_binary_matches_numpy[cpu-float64-add]"]
    assert (add["area"], add["op"], add["dtype"], add["outcome"]) == ("math", "add", "float64", "passed")
    assert add["hypothesis"]["examples"] > 0 and add["max_ulp"] == 0.0
    assert records["test_sample.py::test_full_gives_int64"]["claim"] == "blitz-full-int64"
    known = records["test_sample.py::test_known_difference[cpu]"]
    assert (known["outcome"], known["capability"]) == ("failed", "grad")
    assert known["message"].startswith("AssertionError: torch differs here by design")
    timing = json.loads(path.read_text())["timing"]
    assert timing["workers"] == 1 and timing["areas"]["math"]["cases"] == 4  # "-k not sub": add's cases


CRASHING = textwrap.dedent('''
    import os
    import signal

    from torchconform import results


    def test_torch_kills_the_worker():
        results.leave_case_note(lambda: "OpCase(div_trunc: x=[-2**63], y=[-1])\\n"
                                        + results.REPRO_MARKER + "\\nprint('the repro')")
        os.kill(os.getpid(), signal.SIGFPE)


    def test_the_run_goes_on():
        # Runs in the worker xdist starts in place of the crashed one.
        assert os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw")
''')


def test_a_crashed_worker_is_one_failed_case_with_its_input_and_repro(pytester, monkeypatch):
    pytester.makepyfile(test_crash=CRASHING)
    path = pytester.path / "conformance.json"
    root = str(Path(torchconform.__file__).parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    monkeypatch.delenv(results.CASE_NOTES_ENV, raising=False)
    result = pytester.runpytest("-p", "torchconform.pytest_plugin", "-p", "no:randomly", "-n", "1",
                                "--conformance-json", str(path))
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    records = _by_id(json.loads(path.read_text()))
    crashed = records["test_crash.py::test_torch_kills_the_worker"]
    assert (crashed["outcome"], crashed.get("crashed")) == ("failed", True)
    assert crashed["message"].startswith("crashed: ") and "crashed while running" in crashed["message"]
    assert "OpCase(div_trunc: x=[-2**63], y=[-1])" in crashed["traceback"]
    assert crashed["repro"] == "print('the repro')"
    assert records["test_crash.py::test_the_run_goes_on"]["outcome"] == "passed"


def test_a_real_run_becomes_a_page(sample):
    _, doc = sample("-k", "float32 or full")
    reports = Path(doc["run"]["args"][doc["run"]["args"].index("--conformance-json") + 1]).parent
    written = {p.name for p in build_conformance(reports)}
    assert written == {"conformance.html", "claims.html", "index.html"}
    html = (reports / "conformance.html").read_text()
    assert 'data-status="fail" title="float32: failed"><a href="#case-1">' in html
    assert "test_sample.py::test_binary_matches_numpy[cpu-float32-sub]" in html


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "conformance.json"
    write_json(path, {"old": True})

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_json(path, {"new": True})
    assert json.loads(path.read_text()) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["conformance.json"]


def test_json_is_strict_with_non_finite_numbers_spelled_out():
    import numpy as np

    assert jsonable({"max_ulp": float("inf"), "v": np.float32(0.5), "a": np.arange(2), "t": (1, None)}) == \
           {"max_ulp": "inf", "v": 0.5, "a": [0, 1], "t": [1, None]}


EXCEPTION_GROUP = """\
[gw0] linux -- Python 3.11.7 /usr/bin/python
  + Exception Group Traceback (most recent call last):
  |   File "/tmp/test_y.py", line 5, in test_two
  |     @given(st.integers(), st.integers())
  | ExceptionGroup: Hypothesis found 2 distinct failures. (2 sub-exceptions)
  +-+---------------- 1 ----------------
    | Traceback (most recent call last):
    |   File "/tmp/test_y.py", line 8, in test_two
    |     raise ValueError("big")
    | ValueError: big
    | Falsifying example: test_two(
    |     x=6,
    |     y=0,  # or any other generated value
    | )
    | You can reproduce this example by temporarily adding @reproduce_failure('6.1', b'AEE=') as a decorator
    +---------------- 2 ----------------
    | Traceback (most recent call last):
    |   File "/tmp/test_y.py", line 9, in test_two
    |     assert y < 3
    | AssertionError: y too big
    | Falsifying example: test_two(x=0, y=3)
    +------------------------------------
"""


def test_failure_text_of_an_exception_group_is_split_into_message_and_examples():
    parsed = parse_failure(EXCEPTION_GROUP)
    assert parsed["message"] == ("ExceptionGroup: Hypothesis found 2 distinct failures. (2 sub-exceptions)\n"
                                 "ValueError: big\nAssertionError: y too big")
    assert parsed["falsifying_examples"] == [
        "test_two(\n    x=6,\n    y=0,  # or any other generated value\n)", "test_two(x=0, y=3)"]
    assert parsed["reproduce_failure"] == ["@reproduce_failure('6.1', b'AEE=')"]


def test_values_drawn_in_the_test_belong_to_the_falsifying_example():
    parsed = parse_failure("E   AssertionError: bad\nE   Falsifying example: test_x(\nE       data=data(...),\n"
                           "E   )\nE   Draw 1 (case): Case(x=1,\nE       y=2)\nE   Draw 2: 5\nE   Explanation:\n"
                           "E       These lines were always and only run by failing examples:\n")
    assert parsed["falsifying_examples"] == ["test_x(\n    data=data(...),\n)\nDraw 1 (case): Case(x=1,\n    y=2)\n"
                                             "Draw 2: 5"]
    assert parsed["message"].startswith("AssertionError: bad\nExplanation:")


@pytest.mark.parametrize("where, message", [
    ("a-directory", "is a directory, not a file"),
    ("a-file/conformance.json", "cannot create its directory"),
], ids=["directory", "parent-is-a-file"])
def test_unwritable_json_path_is_a_usage_error(pytester, where, message):
    (pytester.path / "a-directory").mkdir()
    (pytester.path / "a-file").write_text("")
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    result = pytester.runpytest("-p", "torchconform.pytest_plugin", "--conformance-json", str(pytester.path / where))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: --conformance-json *{message}*"])


def test_hypothesis_statistics_become_numbers():
    stats = parse_hypothesis_statistics(
        "t.py::test_x:\n\n  - during generate phase (0.10 seconds):\n"
        "    - Typical runtimes: ~ 0-43 ms, of which ~ 0-2 ms in data generation\n"
        "    - 5 passing examples, 5 failing examples, 1 invalid examples\n\n"
        "  - during shrink phase (0.08 seconds):\n"
        "    - 10 passing examples, 4 failing examples, 0 invalid examples\n\n"
        "  - Stopped because nothing left to do\n")
    assert (stats["examples"], stats["failing"], stats["invalid"]) == (24, 9, 1)
    assert stats["phases"]["generate"] == {"seconds": 0.1, "passing": 5, "failing": 5, "invalid": 1}
    assert stats["stopped_because"] == "nothing left to do"


def test_environment_names_torch_numpy_python_cpu_blas_and_date():
    env = environment.collect()
    json.dumps(env)
    assert env["torch"]["version"] and "PyTorch built with" in env["torch"]["config"]
    assert env["numpy"] and env["python"]["version"] and env["date"]
    assert env["cpu"]["logical_cores"] >= 1 and env["cpu"]["model"]
    assert "OPENBLAS_CORETYPE" in env["variables"]
    assert isinstance(env["blas"], list) and any(pool.get("user_api") == "blas" for pool in env["blas"])
    assert env["torch"]["cuda"]["available"] == (len(env["torch"]["cuda"]["devices"]) > 0)
    rows = dict(environment.rows(env))
    assert rows["torch.version"] == env["torch"]["version"]
    assert "torch " in environment.summary(env)
