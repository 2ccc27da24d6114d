"""Shards (``--shard=I/N``) and merging results of shards and machines
(``python -m torchconform.report merge``): the shards partition the suite,
their merge gives back the unsharded run, and bad inputs are refused with
one line before anything is written."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

import torchconform
from torchconform.report import merge
from torchconform.report.__main__ import main
from torchconform.resultsfile import SCHEMA, ReportError, write_json
from torchconform.sharding import Shard, parse_shard, shard_of

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.area("report")

#: Cases of every outcome, cheap enough to run four times in one test.
SAMPLE = textwrap.dedent('''
    import pytest
    import torch
    from hypothesis import given, settings, strategies as st


    @pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int32])
    @pytest.mark.parametrize("k", range(6))
    @settings(max_examples=5, derandomize=True, database=None)
    @given(v=st.integers(-5, 5))
    def test_neg_twice_is_identity(dtype, k, device, v):
        x = torch.tensor([v, k], dtype=dtype, device=device)
        assert torch.equal(torch.neg(torch.neg(x)), x)
        assert not (dtype == torch.int32 and k == 3), "a failure the merge must keep"


    @pytest.mark.parametrize("k", range(4))
    def test_skipped(k):
        pytest.skip("not on this machine")
''')


def _ids(doc: dict) -> dict[str, str]:
    return {r["nodeid"]: r["outcome"] for r in doc["records"]}


@pytest.fixture
def run_sample(pytester):
    pytester.makepyfile(test_sample=SAMPLE)

    def run(name: str, *args: str) -> tuple[pytest.RunResult, Path]:
        path = pytester.path / f"{name}.json"
        result = pytester.runpytest("-p", "torchconform.pytest_plugin", "-p", "no:randomly", "-p", "no:cacheprovider",
                                    "--conformance-json", str(path), *args)
        return result, path

    return run


def test_shards_partition_any_set_of_ids_evenly():
    ids = [f"conformance/test_math.py::test_unary[cpu-float32-op{i}]" for i in range(3000)]
    for count in (1, 2, 3, 7):
        shards = [[n for n in ids if Shard(i, count).holds(n)] for i in range(1, count + 1)]
        assert sorted(sum(shards, [])) == sorted(ids)
        assert min(map(len, shards)) > 0.85 * len(ids) / count
    # A case's shard is a function of its id alone, whatever else is collected.
    assert shard_of(ids[5], 4) == shard_of(ids[5], 4) and all(1 <= shard_of(n, 4) <= 4 for n in ids)


@pytest.mark.parametrize("text, message", [
    ("2", "expected I/N"), ("0/3", "between 1 and N"), ("4/3", "between 1 and N"), ("a/b", "expected I/N"),
])
def test_a_bad_shard_is_one_line(text, message):
    with pytest.raises(ValueError, match=message):
        parse_shard(text)


def test_a_bad_shard_option_is_a_usage_error(run_sample):
    result, path = run_sample("whole", "--shard=3/2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--shard=3/2: I must be between 1 and N" in result.stderr.str()
    assert not path.exists()


def test_two_shards_merged_give_the_unsharded_outcomes(run_sample, tmp_path):
    whole_result, whole = run_sample("whole")
    assert whole_result.ret == pytest.ExitCode.TESTS_FAILED
    first_result, first = run_sample("first", "--shard=1/2")
    _, second = run_sample("second", "--shard=2/2")
    docs = [json.loads(p.read_text()) for p in (whole, first, second)]
    assert docs[1]["run"]["shard"] == {"index": 1, "count": 2} and "shard 1/2" in docs[1]["run"]["partial_reasons"]
    assert docs[0]["run"]["shard"] is None and not docs[0]["run"]["partial"]
    assert "shard 1/2" in first_result.stdout.str()
    parts = [set(_ids(d)) for d in docs[1:]]
    assert parts[0] and parts[1] and not parts[0] & parts[1]

    merged = merge.merge([first, second])
    assert _ids(merged) == _ids(docs[0]) and len(merged["records"]) == 40
    assert {r["outcome"] for r in merged["records"]} == {"passed", "failed", "skipped"}
    assert merged["totals"] == docs[0]["totals"]
    assert merged["coverage"]["called"] and merged["coverage"] == docs[0]["coverage"]
    assert merged["run"]["partial"] is False and merged["run"]["exitstatus"] == 1
    assert [p["part"] for p in merged["run"]["merged_from"]] == ["shard 1/2", "shard 2/2"]
    timing = merged["timing"]
    assert timing["runs"] == 2 and timing["areas"]["sample"]["cases"] == 40
    assert timing["wall_seconds"] == pytest.approx(sum(d["timing"]["wall_seconds"] for d in docs[1:]), abs=0.01)
    assert timing["areas"]["sample"]["seconds"] == pytest.approx(
        sum(d["timing"]["areas"]["sample"]["seconds"] for d in docs[1:]), abs=0.01)


def test_merged_page_names_its_parts(run_sample, tmp_path, capsys):
    _, first = run_sample("first", "--shard=1/2")
    out = tmp_path / "site" / "conformance.json"
    assert main(["merge", str(first), str(first.with_name("nothing.json")), "--out", str(out)]) == 1
    assert "nothing.json: no conformance results found" in capsys.readouterr().err
    _, second = run_sample("second", "--shard=2/2")
    assert main(["merge", str(first), str(second), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out}: 40 cases from 2 runs" in printed and "conformance.html" in printed
    html = (out.parent / "conformance.html").read_text()
    assert 'id="merged-from"' in html and "shard 2/2" in html and "Partial run" not in html


def test_shards_over_xdist_gateways_with_one_device_per_worker(pytester, monkeypatch):
    # The multi-GPU recipe: one popen gateway per GPU, each told which device
    # it sees. On a CPU-only machine the same gateways still run the cases.
    pytester.makepyfile(test_workers='''
        import os
        import pytest

        @pytest.mark.parametrize("k", range(8))
        def test_each_worker_sees_its_own_device(k):
            worker = os.environ["PYTEST_XDIST_WORKER"]
            assert os.environ["CUDA_VISIBLE_DEVICES"] == worker.removeprefix("gw")
    ''')
    root = str(Path(torchconform.__file__).parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    path = pytester.path / "shard.json"
    result = pytester.runpytest_subprocess(
        "-p", "torchconform.pytest_plugin", "-p", "no:randomly", "--dist", "load",
        "--tx", "popen//env:CUDA_VISIBLE_DEVICES=0", "--tx", "popen//env:CUDA_VISIBLE_DEVICES=1",
        "--shard=2/3", "--conformance-json", str(path))
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    doc = json.loads(path.read_text())
    # Both workers deselected the same cases: the controller got exactly shard 2's, all passed.
    expected = {f"test_workers.py::test_each_worker_sees_its_own_device[{k}]" for k in range(8)}
    assert _ids(doc) == {n: "passed" for n in expected if shard_of(n, 3) == 2}
    assert doc["run"]["shard"] == {"index": 2, "count": 3}


def _doc(records: dict[str, str], devices=("cpu",), shard=None, torch="2.13.0+cpu", profile="ci", **extra) -> dict:
    return {
        "schema": SCHEMA,
        "environment": {"torch": {"version": torch, "cuda": {"build": None, "devices": []}}},
        "run": {"started": "2026-01-01T00:00:00+00:00", "finished": "2026-01-01T00:01:00+00:00",
                "partial": shard is not None, "partial_reasons": [f"shard {shard[0]}/{shard[1]}"] if shard else [],
                "exitstatus": 0, "args": [], "hypothesis_profile": profile, "devices": list(devices),
                "unused_deviations": [], "shard": {"index": shard[0], "count": shard[1]} if shard else None},
        "deviations": [],
        "totals": {},
        "records": [{"nodeid": n, "outcome": o, "area": "math", "op": n.split("-")[-1], "capability": "forward",
                     "dtype": "float32", "device": n.split("[")[1].split("-")[0]} for n, o in records.items()],
        **extra,
    }


def _write(tmp_path: Path, name: str, doc: dict) -> Path:
    path = tmp_path / name
    write_json(path, doc)
    return path


def test_machines_merge_into_device_columns_side_by_side(tmp_path):
    laptop = _write(tmp_path, "laptop.json", _doc({
        "t.py::test_op[cpu-sin]": "passed", "t.py::test_op[cuda-sin]": "skipped", "t.py::test_op[cpu-cos]": "passed",
    }))
    gpu_box = _write(tmp_path, "gpu.json", _doc({
        "t.py::test_op[cpu-sin]": "failed", "t.py::test_op[cuda-sin]": "passed", "t.py::test_op[cpu-cos]": "passed",
    }, devices=("cpu", "cuda"), torch="2.13.0+cu128"))
    merged = merge.merge([laptop, gpu_box])
    by_id = {r["nodeid"]: r for r in merged["records"]}
    assert by_id["t.py::test_op[cuda-sin]"]["outcome"] == "passed"  # the box that ran it, not the skip
    assert by_id["t.py::test_op[cpu-sin]"]["outcome"] == "failed"  # the worse of two machines...
    assert [r["outcome"] for r in by_id["t.py::test_op[cpu-sin]"]["per_run"]] == ["passed", "failed"]  # ...both shown
    assert "per_run" not in by_id["t.py::test_op[cpu-cos]"]
    assert merged["run"]["devices"] == ["cpu", "cuda"] and merged["run"]["exitstatus"] == 1


def _coverage(called: list[str], checked: list[str], api=None) -> dict:
    api = api or {"torch": ["add", "cos", "neg", "sin"], "torch.linalg": ["norm"]}
    return {"schema": "torchconform.coverage/1", "api": api, "called": called, "checked": checked}


def test_coverage_of_shards_merges_by_union(tmp_path):
    first = _write(tmp_path, "s1.json", _doc({"t.py::test_op[cpu-sin]": "passed"}, shard=(1, 3),
                                             coverage=_coverage(["add", "sin"], ["sin"])))
    second = _write(tmp_path, "s2.json", _doc({"t.py::test_op[cpu-cos]": "passed"}, shard=(2, 3),
                                              coverage=_coverage(["add", "cos", "norm"], ["add", "cos"],
                                                                 api={"torch": ["add", "cos"], "torch.fft": ["fft"]})))
    third = _write(tmp_path, "s3.json", _doc({"t.py::test_op[cpu-neg]": "passed"}, shard=(3, 3)))  # none recorded
    merged = merge.merge([first, second, third])["coverage"]
    assert merged["called"] == ["add", "cos", "norm", "sin"]
    assert merged["checked"] == ["add", "cos", "sin"]
    assert merged["derivatives"] == {"reverse": [], "forward": [], "second": [], "third": []}  # /1 files have none
    assert merged["api"] == {"torch": ["add", "cos", "neg", "sin"], "torch.linalg": ["norm"], "torch.fft": ["fft"]}
    assert merge.merge([third, _write(tmp_path, "s1-bare.json", _doc({}, shard=(1, 3)))])["coverage"] is None


def test_derivative_orders_merge_by_union_and_a_first_layout_file_adds_none(tmp_path):
    newer = {**_coverage(["sin", "cos"], ["sin", "cos"], api={"torch": ["cos", "sin"]}),
             "schema": "torchconform.coverage/2",
             "derivatives": {"reverse": ["sin"], "forward": [], "second": ["cos"], "third": []}}
    also = {**newer, "derivatives": {"reverse": ["cos"], "third": ["cos"]}}
    first = _write(tmp_path, "s1.json", _doc({"t.py::test_op[cpu-sin]": "passed"}, shard=(1, 3), coverage=newer))
    second = _write(tmp_path, "s2.json", _doc({"t.py::test_op[cpu-cos]": "passed"}, shard=(2, 3), coverage=also))
    third = _write(tmp_path, "s3.json", _doc({"t.py::test_op[cpu-neg]": "passed"}, shard=(3, 3),
                                             coverage=_coverage(["neg"], ["neg"])))  # the /1 layout
    merged = merge.merge([first, second, third])["coverage"]
    assert merged["schema"] == "torchconform.coverage/2" and merged["checked"] == ["cos", "neg", "sin"]
    assert merged["derivatives"] == {"reverse": ["cos", "sin"], "forward": [], "second": ["cos"], "third": ["cos"]}


def test_time_per_area_adds_up_and_files_without_the_field_count_their_records(tmp_path):
    def timing(seconds: float, wall: float) -> dict:
        return {"schema": "torchconform.timing/1", "wall_seconds": wall, "workers": 2, "runs": 1,
                "areas": {"math": {"cases": 1, "seconds": seconds, "call_seconds": seconds / 2}}}

    first = _write(tmp_path, "s1.json", _doc({"t.py::test_op[cpu-sin]": "passed"}, shard=(1, 3),
                                             timing=timing(3.0, 10.0)))
    second = _write(tmp_path, "s2.json", _doc({"t.py::test_op[cpu-cos]": "passed"}, shard=(2, 3),
                                              timing=timing(5.0, 20.0)))
    merged = merge.merge([first, second])["timing"]
    assert merged["areas"] == {"math": {"cases": 2, "seconds": 8.0, "call_seconds": 4.0}}
    assert (merged["wall_seconds"], merged["workers"], merged["runs"]) == (30.0, 2, 2)
    older = _doc({"t.py::test_op[cpu-neg]": "passed"}, shard=(3, 3))  # written before the timing field
    older["records"][0]["duration"] = 1.5
    merged = merge.merge([first, second, _write(tmp_path, "s3.json", older)])["timing"]
    assert merged["areas"]["math"]["cases"] == 3 and merged["areas"]["math"]["seconds"] == 9.5
    assert merged["wall_seconds"] is None  # one part's wall time is unknown


def test_missing_shards_make_a_partial_merge(tmp_path):
    parts = [_write(tmp_path, f"s{i}.json", _doc({f"t.py::test_op[cpu-op{i}]": "passed"}, shard=(i, 3)))
             for i in (1, 3)]
    merged = merge.merge(parts)
    assert merged["run"]["partial"] and merged["run"]["partial_reasons"] == ["shard(s) 2/3 on cpu not merged"]


@pytest.mark.parametrize("second, message", [
    (_doc({"t.py::test_op[cpu-b]": "passed"}, shard=(1, 2)), "are both shard 1/2 of a run on cpu"),
    (_doc({"t.py::test_op[cpu-b]": "passed"}, shard=(2, 3)), "shards of 2 and of 3 parts on cpu overlap"),
    (_doc({"t.py::test_op[cpu-b]": "passed"}), "is a whole run and"),
    (_doc({"t.py::test_op[cpu-b]": "passed"}, shard=(2, 2), torch="2.14.1"), "torch 2.13.0 and"),
    (_doc({"t.py::test_op[cpu-b]": "passed"}, shard=(2, 2), profile="dev"), "Hypothesis profile 'ci' and"),
    ({**_doc({}, shard=(2, 2)), "schema": "torchconform.conformance/0"}, "is not the supported"),
    ({"benchmarks": []}, "not a torchconform conformance result"),
    ({**_doc({}), "run": {**_doc({})["run"], "shard": {"index": 3, "count": 2}}}, "\"run.shard\" is not"),
    (_doc({}, shard=(2, 2), coverage={**_coverage([], []), "schema": "torchconform.coverage/0"}),
     "coverage format 'torchconform.coverage/0' is not one of the supported"),
    (_doc({}, shard=(2, 2), coverage={"schema": "torchconform.coverage/1", "called": []}),
     "\"coverage\" lacks its api, called or checked"),
    (_doc({}, shard=(2, 2), coverage={**_coverage([], []), "derivatives": {"fourth": []}}),
     "\"coverage.derivatives\" is not lists by order"),
], ids=["same-shard", "different-splits", "whole-and-shard", "other-release", "other-profile", "old-schema",
        "foreign", "bad-shard", "old-coverage", "corrupt-coverage", "corrupt-derivatives"])
def test_bad_merges_are_refused_with_one_line_and_nothing_written(tmp_path, capsys, second, message):
    first = _write(tmp_path, "first.json", _doc({"t.py::test_op[cpu-a]": "passed"}, shard=(1, 2)))
    other = _write(tmp_path, "second.json", second)
    out = tmp_path / "conformance.json"
    out.write_text("previous merge\n")
    with pytest.raises(ReportError, match=message):
        merge.merge([first, other])
    assert main(["merge", str(first), str(other), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message.split(" ")[0] in err
    assert out.read_text() == "previous merge\n"


def test_corrupt_input_and_self_overwrite_are_refused(tmp_path, capsys):
    good = _write(tmp_path, "good.json", _doc({"t.py::test_op[cpu-a]": "passed"}, shard=(1, 2)))
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text('{"schema": "torchconform.conformance/1", "records": [')
    assert main(["merge", str(good), str(corrupt), "--out", str(tmp_path / "m.json")]) == 1
    assert "corrupt.json: corrupt conformance results: not valid JSON" in capsys.readouterr().err
    assert main(["merge", str(good), str(good), "--out", str(tmp_path / "m.json")]) == 1
    assert "is given twice" in capsys.readouterr().err
    assert main(["merge", str(good), str(corrupt), "--out", str(good)]) == 1
    assert "is one of the inputs" in capsys.readouterr().err
    assert main(["merge", str(good)]) == 1
    assert "two or more" in capsys.readouterr().err
    assert not (tmp_path / "m.json").exists()
