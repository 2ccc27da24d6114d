"""The comparison of runs (``python -m torchconform.report compare``) on small
synthetic result files: which cases changed and how, deviations resolved,
errors that grew or shrank, benchmark changes called only outside the
spread, the page itself, and one-line refusals of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from torchconform.report import compare
from torchconform.report.__main__ import main
from torchconform.resultsfile import SCHEMA, ReportError, write_json

pytestmark = pytest.mark.area("report")

CLAMP = "conformance/test_autograd_first_order.py::test_clamp_backward_broadcast_input[cpu]"
BF16 = "conformance/test_promotion.py::test_scalar_promotion[cpu-bfloat16-complex]"
SIN = "conformance/test_math.py::test_unary[cpu-float32-sin]"
SIN16 = "conformance/test_math.py::test_unary[cpu-float16-sin]"
SIN64 = "conformance/test_math.py::test_unary[cpu-float64-sin]"
CLAMP_GRAD = "conformance/test_autograd_first_order.py::test_op_gradient[cpu-clamp]"
DEVIATION = {"id": "clamp-backward-broadcast-input", "test": "*clamp_backward_broadcast_input*",
             "reason": "the clamp backward drops the broadcast", "link": "https://example.org/issue/1"}


def _record(nodeid: str, outcome: str, **extra) -> dict:
    area, op, dtype = ("math", "sin", nodeid.split("-")[1]) if "test_unary" in nodeid else \
        (("autograd", "clamp", "float64") if "clamp" in nodeid else ("promotion", "add", "bfloat16"))
    return {"nodeid": nodeid, "outcome": outcome, "area": area, "op": op, "capability": "forward",
            "dtype": dtype, "device": "cpu", **extra}


def _doc(version: str, records: list[dict], profile: str = "ci") -> dict:
    return {
        "schema": SCHEMA,
        "environment": {"torch": {"version": version, "git_version": "0123456789abcdef",
                                  "cuda": {"build": None, "devices": []}},
                        "numpy": "2.4.6", "python": {"version": "3.11.7"}, "platform": "Linux",
                        "cpu": {"model": "AMD EPYC", "usable_cores": 2}},
        "run": {"started": "2026-11-30T20:00:00+00:00", "finished": "2026-11-30T20:01:00+00:00", "partial": False,
                "partial_reasons": [], "exitstatus": 0, "args": [], "hypothesis_profile": profile,
                "devices": ["cpu"], "unused_deviations": [], "shard": None},
        "deviations": [DEVIATION],
        "totals": {},
        "records": records,
    }


def _bench(medians: dict[str, tuple[float, float, float]]) -> dict:
    return {"machine_info": {}, "benchmarks": [
        {"name": name, "fullname": f"benchmarks/test_b.py::{name}",
         "stats": {"median": m, "q1": q1, "q3": q3, "min": q1 / 2, "max": q3 * 2}}
        for name, (q1, m, q3) in medians.items()]}


@pytest.fixture
def two_runs(tmp_path) -> list[Path]:
    # CLAMP_GRAD names the deviation but was never marked with it: passing says nothing about it.
    old = _doc("2.13.0+cpu", [
        _record(CLAMP, "xfailed", deviation=DEVIATION["id"]),
        _record(CLAMP_GRAD, "passed", deviation=DEVIATION["id"]),
        _record(SIN64, "passed"),
        _record(BF16, "passed"),
        _record(SIN, "passed", max_ulp=1.0),
        _record(SIN16, "passed", max_ulp=0.0),
    ])
    new = _doc("2.14.1+cu130", [
        _record(CLAMP, "failed", deviation=DEVIATION["id"], message="[XPASS(strict)] known deviation"),
        _record(BF16, "failed", message="NotImplementedError: \"add_stub\" not implemented for 'BComplex32'",
                repro="import torch\ntorch.ones(2, dtype=torch.bfloat16) + 1.5j\n",
                falsifying_examples=["test_scalar_promotion(dtype=torch.bfloat16)"]),
        _record(SIN, "passed", max_ulp=0.5),
        _record(SIN16, "passed", max_ulp=2.0),
        _record(CLAMP_GRAD, "passed", deviation=DEVIATION["id"]),
        _record(SIN64, "passed", max_ulp=0.5),
    ])
    paths = []
    for name, doc, bench in (("old", old, {"step": (1.0, 1.1, 1.2), "noisy": (1.0, 1.5, 2.0)}),
                             ("new", new, {"step": (1.5, 1.6, 1.7), "noisy": (1.1, 1.3, 1.9)})):
        write_json(tmp_path / name / "conformance.json", doc)
        write_json(tmp_path / name / "bench.json", _bench(bench))
        paths.append(tmp_path / name)
    return paths


def test_outcome_changes_are_named_against_the_base(two_runs):
    k = compare.build(compare.load_runs(two_runs))
    assert k["diff"]["count"] == 2 and k["diff"]["same"] == 4
    cases = {c["nodeid"]: c for op in k["diff"]["ops"] for c in op["cases"]}
    assert cases[BF16]["changes"][0]["kind"] == "newly-fails"
    assert cases[CLAMP]["changes"][0]["kind"] == "deviation-resolved"
    assert k["diff"]["ops"][0]["op"] == "add"  # a new failure leads the page
    failing = cases[BF16]["sides"][1]
    assert "BComplex32" in failing["message"] and failing["repro"].startswith("import torch")
    assert cases[BF16]["sides"][0]["repro"] is None  # the passing side has nothing to reproduce
    assert failing["rerun"] == f"python -m pytest '{BF16}' --hypothesis-profile=ci"
    assert k["diff"]["kinds"] == [{"run": "torch 2.14.1+cu130", "counts": [
        ("newly-fails", compare.CHANGES["newly-fails"], 1),
        ("deviation-resolved", compare.CHANGES["deviation-resolved"], 1)]}]


@pytest.mark.parametrize("base, other, kind", [
    ("passed", "failed", "newly-fails"), ("xfailed", "error", "newly-fails"), ("failed", "passed", "now-passes"),
    ("passed", "skipped", "skipped"), ("skipped", "passed", "now-runs"), ("passed", "xfailed", "deviation-new"),
    ("passed", None, "not-collected"), ("passed", "passed", None), ("xpassed", "passed", "other"),
])
def test_change_kinds(base, other, kind):
    as_record = lambda o: None if o is None else {"outcome": o}  # noqa: E731
    assert compare.change_kind(as_record(base), as_record(other)) == kind


def test_resolved_deviation_and_ulp_moves(two_runs):
    k = compare.build(compare.load_runs(two_runs))
    (row,) = k["deviations"]["rows"]
    assert row["id"] == DEVIATION["id"] and [s["state"] for s in row["states"]] == ["holds", "resolved"]
    moves = {(r["op"], r["dtype"]): (r["values"], r["moves"][0]["text"]) for r in k["ulp"]["rows"]}
    assert moves == {("sin", "float32"): (["1", "0.5"], "shrank ×0.5"),
                     ("sin", "float16"): (["0", "2"], "grew (was exact)")}
    assert k["ulp"]["chart"] is None  # two rows: the table alone
    assert k["ulp"]["partial"] == 1  # sin float64 was measured by one run only: no move to call


def test_bench_change_is_called_only_when_the_intervals_separate(two_runs):
    k = compare.build(compare.load_runs(two_runs))
    cells = {row["name"].split("::")[1]: row["cells"][0] for row in k["bench"]["rows"]}
    assert cells["step"]["verdict"] == "slower" and cells["step"]["ratio"] == "1.45×"
    assert cells["step"]["range"] == f"{1.5 / 1.2:.3g}–{1.7 / 1.0:.3g}"
    # 1.5 -> 1.3 is a 13% faster median, but the interquartile intervals overlap.
    assert cells["noisy"]["verdict"] == "within spread"
    assert [row["name"].split("::")[1] for row in k["bench"]["rows"]] == ["step", "noisy"]  # called changes first
    assert k["bench"]["rows"][0]["medians"] == ["1.1 s", "1.6 s"]


def test_bench_is_left_out_when_a_run_has_none(two_runs):
    (two_runs[1] / "bench.json").unlink()
    assert compare.build(compare.load_runs(two_runs))["bench"] is None


def test_randomised_or_mixed_profiles_are_flagged(tmp_path):
    paths = []
    for name, profile in (("a", "ci"), ("b", "dev")):
        write_json(tmp_path / name / "conformance.json", _doc("2.13.0", [_record(SIN, "passed")], profile))
        paths.append(tmp_path / name / "conformance.json")
    k = compare.build(compare.load_runs(paths, ["vendor", "registry"]))
    assert "different Hypothesis profiles" in k["notes"][0]
    assert [r["label"] for r in k["runs"]] == ["vendor", "registry"]


def test_the_page_shows_builds_changes_and_repro(two_runs, tmp_path, capsys):
    out = tmp_path / "site" / "compare.html"
    (two_runs[0] / "conformance.html").write_text("<html></html>")
    assert main(["compare", *map(str, two_runs), "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    html = out.read_text()
    for text in ("torch 2.13.0+cpu vs torch 2.14.1+cu130", "<code>2.14.1+cu130</code>", "AMD EPYC, 2 usable cores",
                 "BComplex32", "torch.ones(2, dtype=torch.bfloat16) + 1.5j", "known deviation no longer shows",
                 "resolved: 1 case(s) no longer show it", "grew (was exact)", "slower", "within spread",
                 'href="../old/conformance.html"', f"python -m pytest &#39;{BF16}&#39; --hypothesis-profile=ci"):
        assert text in html, text


@pytest.mark.parametrize("make, message", [
    (lambda d: None, "no conformance results found"),
    (lambda d: (d / "conformance.json").write_text("{not json"), "not valid JSON"),
    (lambda d: write_json(d / "conformance.json", {"benchmarks": []}), "not a torchconform conformance result"),
    (lambda d: write_json(d / "conformance.json", {**_doc("2.14.1", []), "schema": "torchconform.conformance/9"}),
     "is not the supported"),
    (lambda d: (d / "bench.json").write_text("[]"), "not a pytest-benchmark JSON file"),
], ids=["missing", "corrupt", "foreign", "other-schema", "bad-bench"])
def test_bad_input_is_one_line_and_writes_nothing(two_runs, tmp_path, capsys, make, message):
    broken = tmp_path / "broken"
    broken.mkdir()
    if "bench" in message:
        write_json(broken / "conformance.json", _doc("2.14.1", []))
    make(broken)
    out = tmp_path / "compare.html"
    with pytest.raises(ReportError, match=message):
        compare.load_runs([two_runs[0], broken])
    assert main(["compare", str(two_runs[0]), str(broken), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert not out.exists()


def test_one_run_or_the_same_run_twice_is_refused(two_runs):
    with pytest.raises(ReportError, match="two or more"):
        compare.load_runs(two_runs[:1])
    with pytest.raises(ReportError, match="given twice"):
        compare.load_runs([two_runs[0], two_runs[0] / "conformance.json"])
    with pytest.raises(ReportError, match="1 label"):
        compare.load_runs(two_runs, ["only one"])


@pytest.mark.parametrize("ratio, text", [(0.5, "0.5"), (2.0, "2"), (1194298 / 1194300, "0.999998"), (1.0004, "1.0004")])
def test_a_small_move_prints_with_the_digits_that_show_it(ratio, text):
    assert compare._factor(ratio) == text


def test_three_or_more_error_changes_get_a_chart(tmp_path):
    ids = [f"conformance/test_math.py::test_unary[cpu-float{bits}-sin]" for bits in (16, 32, 64)]
    paths = []
    for name, ulp in (("a", 1.0), ("b", 3.0)):
        write_json(tmp_path / name / "conformance.json",
                   _doc("2.13.0", [_record(n, "passed", max_ulp=ulp) for n in ids]))
        paths.append(tmp_path / name)
    ulp = compare.build(compare.load_runs(paths, ["a", "b"]))["ulp"]
    assert len(ulp["rows"]) == 3 and ulp["chart"].startswith("<svg")
