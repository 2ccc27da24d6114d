"""The HTML pages, read back with a real HTML parser: their numbers and
outcomes are those of the JSON they were built from, every link resolves,
nothing loads from outside the page, and bad inputs give one clear line.

The last tests render each page in headless Chromium to a screenshot. They
need Debian's ``chromium`` package (``apt-get install chromium``) and are
skipped, saying so, where it is not installed.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import warnings
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

import torchconform
from torchconform.report import ReportError, build_all, build_bench, build_conformance
from torchconform.report.__main__ import main
from torchconform.resultsfile import SCHEMA, write_json

pytestmark = pytest.mark.area("report")


# -- a small DOM from html.parser ------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent, self.children = tag, attrs, parent, []

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        return [n for n in self.iter() if (tag is None or n.tag == tag)
                and (cls is None or cls in (n.attrs.get("class") or "").split())
                and all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def find(self, *args, **kwargs) -> Node:
        found = self.find_all(*args, **kwargs)
        assert found, f"no element {args} {kwargs}"
        return found[0]

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def cells(self) -> list[str]:
        return [" ".join(c.text().split()) for c in self.children if isinstance(c, Node) and c.tag in ("td", "th")]


class Page(HTMLParser):
    """Parses a whole page; ``errors`` lists end tags that close nothing open."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("#document", {}, None)
        self.errors: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is None:
            self.errors.append(f"</{tag}> closes nothing")
            return
        if node is not self.current:
            self.errors.append(f"</{tag}> closes <{self.current.tag}> too")
        self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(path: Path) -> Node:
    page = Page(path.read_text(encoding="utf-8"))
    assert page.errors == [], page.errors
    return page.root


def rows(table: Node) -> list[list[str]]:
    return [tr.cells() for tr in table.find_all("tr")]


# -- synthetic results ---------------------------------------------------------------------------------

def _record(nodeid, area, op, capability, dtype, device, outcome, **extra):
    return {"nodeid": nodeid, "area": area, "op": op, "test": nodeid.split("::")[-1].split("[")[0],
            "capability": capability, "dtype": dtype, "device": device, "outcome": outcome, "reason": None,
            "message": None, "duration": 0.25, "claim": None, "params": {}, **extra}


NO_CUDA = "CUDA not available: torch.cuda.is_available() is False on this machine"
REPRO = '"""Standalone repro"""\nimport torch\nprint("x < y & z")\n'


def conformance_doc() -> dict:
    m = "conformance/test_math.py::test_binary_matches_numpy"
    g = "conformance/test_autograd.py::test_grad_matches_numpy"
    records = [
        _record(f"{m}[cpu-float32-add]", "math", "add", "forward", "float32", "cpu", "passed", max_ulp=0.5,
                tolerance="rtol=9.54e-07, atol=4.7e-38", hypothesis={"examples": 40, "failing": 0}),
        _record(f"{m}[cpu-float64-add]", "math", "add", "forward", "float64", "cpu", "passed", max_ulp=0.0),
        _record(f"{m}[cuda-float32-add]", "math", "add", "forward", "float32", "cuda", "skipped", reason=NO_CUDA),
        _record(f"{m}[cpu-float32-sub]", "math", "sub", "forward", "float32", "cpu", "failed", max_ulp="inf",
                tolerance="rtol=9.54e-07, atol=4.7e-38", message="AssertionError: result [float32, forward]",
                falsifying_examples=["test_binary_matches_numpy(\n    op=sub,\n    v=0.0,\n)"],
                observed="[-2. -2.]", expected="[2. 4.]", repro=REPRO, traceback="Traceback ...",
                reproduce_failure=["@reproduce_failure('6.1', b'AA==')"]),
        _record(f"{m}[cpu-float64-sub]", "math", "sub", "forward", "float64", "cpu", "passed", max_ulp=1.0),
        _record(f"{m}[cuda-float32-sub]", "math", "sub", "forward", "float32", "cuda", "skipped", reason=NO_CUDA),
        _record(f"{g}[cpu-float64-mul]", "autograd", "mul", "grad", "float64", "cpu", "xfailed",
                reason="known deviation mul-by-design: rounding differs", deviation="mul-by-design", max_ulp=40.0),
        _record(f"{g}[cpu-float64-div]", "autograd", "div", "inplace", "float64", "cpu", "xpassed",
                reason="an ordinary xfail"),
        _record("conformance/test_nn.py::test_linear[cpu]", "nn", "linear", "forward", "various", "cpu", "error",
                message="fixture 'weights' not found"),
        _record("conformance/test_seeds.py::test_full_gives_int64", "seeds", "full_gives_int64", "forward",
                "various", "n/a", "passed", claim="blitz-full-int64"),
        _record("conformance/test_seeds.py::test_zero_grad_leaves_none", "seeds", "zero_grad_leaves_none",
                "forward", "various", "n/a", "passed", claim="blitz-zero-grad"),
        _record("conformance/test_seeds.py::test_probabilities", "seeds", "probabilities", "forward", "various",
                "n/a", "failed", claim="blitz-logits", message="AssertionError: rows sum to 3.2"),
    ]
    return {
        "schema": SCHEMA,
        "environment": {"date": "2026-01-01T00:00:00+00:00", "torch": {"version": "2.13.0+cpu", "cuda": {
            "build": None, "available": False, "devices": []}, "config": "PyTorch built with:\n  - GCC"},
            "numpy": "2.4.0", "python": {"version": "3.11.7"}, "cpu": {"model": "Test CPU", "usable_cores": 2},
            "blas": [{"user_api": "blas", "internal_api": "openblas"}], "variables": {"OPENBLAS_CORETYPE": None}},
        "run": {"started": "2026-01-01T00:00:00+00:00", "finished": "2026-01-01T00:02:05+00:00", "partial": False,
                "partial_reasons": [], "exitstatus": 1, "args": ["conformance", "-n", "auto"],
                "hypothesis_profile": "dev", "devices": ["cpu"], "unused_deviations": ["never-used"]},
        "deviations": [
            {"id": "mul-by-design", "test": "*test_grad_matches_numpy*mul*", "reason": "rounding differs",
             "dtype": None, "device": None, "link": "https://example.org/issue/1", "op": None,
             "observed_on": ["2.13.0"]},
            {"id": "never-used", "test": "*nothing*", "reason": "stale entry", "dtype": "float16", "device": None,
             "link": None, "op": None, "observed_on": ["2.13.0"]},
        ],
        "totals": {},
        "records": records,
    }


CATALOGUE = [
    {"id": "blitz-full-int64", "seed": "blitz.txt", "section": "Tensors", "quote": "torch.full((3, 3), 8)",
     "value": "tensor([[8., 8., 8.], ...])", "check": "test_full_gives_int64",
     "verdict_note": "torch.full infers int64 from an int fill value since 1.7; the seed prints floats"},
    {"id": "blitz-zero-grad", "seed": "blitz.txt", "section": "Neural networks", "quote": "net.zero_grad()",
     "value": "zeros", "check": "test_zero_grad_leaves_none", "verdict_note": ""},
    {"id": "blitz-logits", "seed": "blitz.txt", "section": "Training a classifier", "quote": "outputs",
     "value": "probabilities", "check": "test_probabilities", "verdict_note": ""},
    {"id": "d2l-never-run", "seed": "d2l.txt", "section": "MLP", "quote": "net(X)", "value": "",
     "check": "test_mlp", "verdict_note": ""},
]


def _bench(name, median, **info):
    return {"group": None, "name": name, "fullname": f"benchmarks/test_networks_bench.py::{name}", "params": {},
            "param": None, "extra_info": info, "options": {},
            "stats": {"min": 0.9 * median, "max": 1.6 * median, "mean": 1.05 * median, "stddev": 0.1 * median,
                      "rounds": 25, "median": median, "iqr": 0.08 * median, "q1": 0.97 * median,
                      "q3": 1.05 * median, "outliers": "1;2", "ops": 1 / median, "total": 25 * median,
                      "iterations": 1, "data": [median * (0.96 + 0.08 * (i * 7 % 25) / 24) for i in range(25)]}}


def bench_doc(speed: float = 1.0) -> dict:
    """Two networks on three CPU targets (no CUDA), a batch and a thread sweep,
    GEMM and copy ceilings, a performance-claim verdict and one unclassified benchmark."""
    benches = []
    for net, flops in (("twolayer", 4.0e5), ("lenet", 1.3e6)):
        for step, factor in (("train", 3.0), ("infer", 1.0)):
            for target, gain in (("numpy", 1.0), ("cpu-1thread", 4.0), ("cpu-allthreads", 6.0)):
                median = 64 * flops * factor / 1e9 / gain / speed
                benches.append(_bench(f"test_{step}_step[{net}-{target}]", median, network=net, step=step,
                                      target=target, batch=64, flops=64 * flops * factor,
                                      samples_per_s=64 / median, gflops=64 * flops * factor / median / 1e9))
    for x in (1, 8, 64, 512):
        for target in ("cpu-1thread", "cpu-allthreads"):
            median = (1e-4 + x * 1e-6 / (2 if target == "cpu-allthreads" else 1)) / speed
            benches.append(_bench(f"test_batch_sweep[twolayer-{target}-{x}]", median, network="twolayer",
                                  step="train", target=target, batch=x, sweep="batch", x=x))
    for threads in (1, 2):
        benches.append(_bench(f"test_thread_sweep[lenet-{threads}]", 0.01 / threads ** 0.5 / speed,
                              network="lenet", step="train", target="cpu", batch=64, sweep="threads", x=threads))
    benches.append(_bench("test_gemm_peak[cpu-allthreads]", 0.05, ceiling="gemm", target="cpu-allthreads",
                          gflops=80.0))
    benches.append(_bench("test_gemm_peak[cpu-1thread]", 0.1, ceiling="gemm", target="cpu-1thread", gflops=40.0))
    benches.append(_bench("test_copy_bandwidth[cpu-allthreads]", 0.02, ceiling="bandwidth",
                          target="cpu-allthreads", gbytes_per_s=12.0))
    benches.append(_bench("test_claim_multicore[lenet]", 0.01, claim="multicore-no-faster", verdict="does not hold",
                          seed="blitz.txt", quote="multi-core is no faster", detail="all threads are 1.5x faster"))
    benches.append(_bench("test_import_time", 0.003))
    return {"machine_info": {"node": "vm", "system": "Linux", "release": "6.1", "python_version": "3.11.7",
                             "cpu": {"brand_raw": "Test CPU", "count": 2, "flags": ["avx2"] * 50}},
            "commit_info": {}, "benchmarks": benches, "datetime": "2026-01-01T01:00:00", "version": "5.2.3"}


@pytest.fixture
def reports(tmp_path) -> Path:
    write_json(tmp_path / "conformance.json", conformance_doc())
    write_json(tmp_path / "bench.json", bench_doc())
    return tmp_path


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """Every page built once from the synthetic results; tests only read it."""
    path = tmp_path_factory.mktemp("site")
    write_json(path / "conformance.json", conformance_doc())
    write_json(path / "bench.json", bench_doc())
    build_all(path, catalogue=CATALOGUE)
    return path


def _records() -> list[dict]:
    return conformance_doc()["records"]


# -- conformance.html --------------------------------------------------------------------------------------

def test_totals_match_the_json(site):
    page = parse(site / "conformance.html")
    totals = Counter(r["outcome"] for r in _records())
    shown = {li.attrs["data-outcome"]: int(li.find("span", cls="n").text())
             for li in page.find("ul", cls="counts").find_all("li")}
    assert shown == {o: totals.get(o, 0) for o in shown} and sum(shown.values()) == len(_records())
    table = rows(page.find("table", id="per-device"))
    header, body = table[0], {r[0]: r[1:] for r in table[1:]}
    for device in ("cpu", "cuda", "n/a"):
        got = dict(zip(header[1:], map(int, body[device])))
        assert got == {o: sum(1 for r in _records() if r["device"] == device and r["outcome"] == o)
                       for o in header[1:]}


def test_time_per_area_from_the_records_of_a_file_without_the_field(site):
    page = parse(site / "conformance.html")
    table = {r[0]: r[1:] for r in rows(page.find("table", id="timing-table"))[1:]}
    for area, n in Counter(r["area"] for r in _records()).items():
        assert table[area][:2] == [str(n), f"{0.25 * n:.1f}"]  # each synthetic record took 0.25 s
    assert table["all"][:2] == [str(len(_records())), f"{0.25 * len(_records()):.1f}"]
    assert "Wall time: not recorded" in page.find("p", id="wall-time").text()


def test_time_per_area_shows_the_largest_first_with_its_share_and_the_wall_time(tmp_path):
    doc = conformance_doc()
    doc["timing"] = {"schema": "torchconform.timing/1", "wall_seconds": 90.25, "workers": 2, "runs": 3, "areas": {
        "math": {"cases": 6, "seconds": 10.0, "call_seconds": 8.5},
        "nn": {"cases": 1, "seconds": 30.0, "call_seconds": 2.0}}}
    write_json(tmp_path / "conformance.json", doc)
    build_conformance(tmp_path, catalogue=[])
    page = parse(tmp_path / "conformance.html")
    assert rows(page.find("table", id="timing-table"))[1:] == [
        ["nn", "1", "30.0", "2.0", "75%"], ["math", "6", "10.0", "8.5", "25%"], ["all", "7", "40.0", "10.5", "100%"]]
    assert " ".join(page.find("p", id="wall-time").text().split()) == \
        "Wall time: 90.2 s, summed over 3 merged runs on 2 worker(s)."


def _worst(outcomes: list[str]) -> str:
    order = ["fail", "xpass", "deviation", "pass", "skip"]
    kind = {"failed": "fail", "error": "fail", "xpassed": "xpass", "xfailed": "deviation", "passed": "pass",
            "skipped": "skip"}
    return min((kind[o] for o in outcomes), key=order.index)


def test_matrix_cells_show_the_worst_outcome_of_their_cases(site):
    page = parse(site / "conformance.html")
    table = page.find("table", id="matrix-table")
    header = table.find_all("tr")[:2]
    capabilities = [cap.text() for cap in header[0].find_all("th")[1:] for _ in range(int(cap.attrs["colspan"]))]
    columns = list(zip(capabilities, [device.text() for device in header[1].find_all("th")]))
    expected = {}
    for r in _records():
        expected.setdefault((r["op"], r["capability"], r["device"]), []).append(r["outcome"])
    seen = 0
    for tr in table.find_all("tr")[2:]:
        cells = tr.find_all("td")
        if not cells:
            continue
        op = tr.find("th").text()
        for (cap, dev), td in zip(columns, cells):
            outcomes = expected.get((op, cap, dev))
            if outcomes is None:
                assert "empty" in td.attrs["class"]
                continue
            seen += 1
            assert td.attrs["data-status"] == _worst(outcomes), (op, cap, dev)
            assert td.text().split()[-1].split("/")[-1] == str(len(outcomes))
    assert seen == len(expected)


def test_every_failure_shows_example_values_tolerance_and_repro(site):
    page = parse(site / "conformance.html")
    failing = [r for r in _records() if r["outcome"] in ("failed", "error", "xpassed")]
    articles = page.find_all("article", cls="case")
    assert [a.find("h3").text() for a in articles] == [r["nodeid"] for r in failing]
    sub = articles[0]
    assert sub.find("pre", cls="example").text() == failing[0]["falsifying_examples"][0]
    assert sub.find("pre", cls="observed").text() == "[-2. -2.]"
    assert sub.find("pre", cls="expected").text() == "[2. 4.]"
    assert sub.find("pre", cls="repro").text() == REPRO  # escaped in HTML, intact once parsed
    assert "rtol=9.54e-07" in sub.text() and "inf ULP" in sub.text()
    # each matrix link to a failure lands on its article
    links = {a.attrs["href"] for a in page.find("table", id="matrix-table").find_all("a")}
    assert {f"#{a.attrs['id']}" for a in articles if a.find("h3").text().startswith("conformance/test_math")} <= links


def test_known_deviations_are_listed_with_reasons_and_status(site):
    table = rows(parse(site / "conformance.html").find("table", id="deviations-table"))
    assert table[1][0] == "mul-by-design" and table[1][3] == "2.13.0" and "rounding differs" in table[1][4]
    assert table[1][5:] == ["1", "holds"]
    assert table[2][0] == "never-used" and table[2][2] == "float16" and table[2][6] == "matches no collected test"


def test_error_table_shows_the_largest_ulp_per_op_and_dtype(site):
    page = parse(site / "conformance.html")
    table = rows(page.find("table", id="ulp-table"))
    dtypes = table[0][1:]
    shown = {(r[0], d): v for r in table[1:] for d, v in zip(dtypes, r[1:]) if v}
    worst: dict = {}
    for r in _records():
        if "max_ulp" in r:
            key = (f"{r['area']}: {r['op']}", r["dtype"])
            worst[key] = max(worst.get(key, 0.0), float(r["max_ulp"]))
    assert shown == {k: ("inf" if math.isinf(v) else f"{v:.3g}") for k, v in worst.items()}
    assert page.find("figure").find("svg")


def test_an_error_near_the_largest_float_is_still_drawn(tmp_path):
    doc = conformance_doc()
    doc["records"][0]["max_ulp"] = 5.07e307  # a sum that overflowed: 4 x this is inf
    write_json(tmp_path / "conformance.json", doc)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow inside matplotlib's axis is a broken chart too
        build_conformance(tmp_path, catalogue=[])
    assert parse(tmp_path / "conformance.html").find("figure").find("svg")


def test_skips_are_grouped_by_reason(site):
    table = rows(parse(site / "conformance.html").find("table", id="skips-table"))
    assert table[1:] == [[NO_CUDA, "2"]]


def test_partial_run_shows_a_banner(reports):
    doc = conformance_doc()
    doc["run"].update(partial=True, partial_reasons=["selected with -k 'add'"])
    write_json(reports / "conformance.json", doc)
    build_conformance(reports)
    banner = parse(reports / "conformance.html").find("p", id="partial")
    assert "selected with -k 'add'" in banner.text()
    assert "Partial run" in parse(reports / "index.html").find("section", id="conformance-summary").text()


# -- bench.html ---------------------------------------------------------------------------------------------------

def _seconds(text: str) -> float:
    value, unit = text.split()
    return float(value) * {"s": 1, "ms": 1e-3, "µs": 1e-6, "ns": 1e-9}[unit]


def test_bench_tables_match_the_json(site):
    page = parse(site / "bench.html")
    doc = bench_doc()
    by_name = {b["name"]: b for b in doc["benchmarks"]}
    shown = page.find_all("tr", cls=None)
    step_rows = [tr for tr in shown if "data-name" in tr.attrs]
    assert len(step_rows) == 12
    for tr in step_rows:
        bench = by_name[tr.attrs["data-name"]]
        assert math.isclose(_seconds(tr.find("td", cls="median").text()), bench["stats"]["median"], rel_tol=5e-3)
        assert math.isclose(float(tr.find("td", cls="throughput").text().replace(",", "")),
                            bench["extra_info"]["samples_per_s"], rel_tol=5e-3)
    for net in ("twolayer", "lenet"):
        section = page.find("section", id=f"net-{net}")
        assert section.find("svg") and "Not measured in this run: cuda" in section.text()


def test_speedup_table_divides_throughputs(site):
    table = rows(parse(site / "bench.html").find("table", id="speedup-table"))
    columns = table[0]
    lenet_train = dict(zip(columns, next(r for r in table if r[:2] == ["lenet", "train"])))
    assert lenet_train["cpu-allthreads vs cpu-1thread"] == "1.50×"
    assert lenet_train["cpu-1thread vs numpy"] == "4.00×"
    assert lenet_train["cuda vs cpu-allthreads"] == "not measured"


def test_sweeps_and_ceilings_are_drawn(site):
    page = parse(site / "bench.html")
    sweeps = page.find_all("section", cls="sweep")
    assert [s.attrs["id"] for s in sweeps] == ["sweep-batch-twolayer", "sweep-threads-lenet"]
    batch = rows(sweeps[0].find("table"))
    assert batch[0] == ["batch", "1", "8", "64", "512"]
    assert all(s.find("svg") for s in sweeps)
    ceilings = rows(page.find("table", id="ceiling-table"))
    assert [r[:3] for r in ceilings[1:]] == [["large float32 GEMM", "cpu-allthreads", "80 GFLOP/s"],
                                            ["large float32 GEMM", "cpu-1thread", "40 GFLOP/s"],
                                            ["large copy", "cpu-allthreads", "12 GB/s"]]
    assert len([f for f in page.find_all("figure") if "GEMM peak" in f.text()]) == 2
    claims = rows(page.find("table", id="perf-claims"))
    assert claims[1][:4] == ["multicore-no-faster", "does not hold", "blitz.txt", "multi-core is no faster"]
    assert rows(page.find("table", id="others-table"))[1][0] == "test_import_time"


def test_reference_run_is_the_default_baseline(reports):
    write_json(reports / "reference" / "bench.json", bench_doc(speed=1.5))  # the reference was faster
    build_bench(reports)
    page = parse(reports / "bench.html")
    heading = page.find("h2", id="baseline").text()
    assert "reference run" in heading
    table = rows(page.find("table", id="baseline-table"))
    assert len(table) - 1 == len(bench_doc()["benchmarks"])
    flagged = {r[0] for r in table[1:] if r[-1] == "slower"}
    # bench_doc scales the step and sweep times only: ceilings and the others did not move
    assert "test_train_step[lenet-numpy]" in flagged and "test_gemm_peak[cpu-1thread]" not in flagged
    assert next(r for r in table if r[0] == "test_gemm_peak[cpu-1thread]")[-1] == "unchanged"
    ratio, interval, _ = next(r for r in table if r[0] == "test_train_step[lenet-numpy]")[3:6]
    low, high = map(float, interval.strip("[]").split(", "))
    assert ratio == "1.50×" and 1 < low <= 1.5 <= high


def test_busy_run_is_flagged_and_its_claims_and_comparisons_withdrawn(reports):
    busy = ["machine busy: other processes used 2.0 of 2 cores, leaving 0.0 for 2 thread(s)"]
    doc = bench_doc()
    for b in doc["benchmarks"]:
        b["extra_info"].update(machine_state={"others_cores_before": 2.0, "others_cores_during": 1.9},
                               unreliable=busy, machine_busy=True)
        if b["extra_info"].get("claim"):
            b["extra_info"]["verdict"] = "not measured: machine busy"
    write_json(reports / "bench.json", doc)
    write_json(reports / "reference" / "bench.json", bench_doc(speed=1.5))
    build_bench(reports)
    page = parse(reports / "bench.html")
    assert page.find("dd", id="reliability").text() == "unreliable: machine busy"
    note = " ".join(page.find("p", id="unreliable-note").text().split())
    assert note.startswith(f"{len(doc['benchmarks'])} of {len(doc['benchmarks'])} benchmarks are unreliable")
    verdicts = {r[-1].split(":")[0] for r in rows(page.find("table", id="baseline-table"))[1:]}
    assert verdicts == {"inconclusive"}
    assert rows(page.find("table", id="perf-claims"))[1][1] == "not measured: machine busy"
    assert rows(page.find("table", id="speedup-table"))[1][2].endswith("× (unreliable)")
    index = parse(reports / "index.html")
    assert "Figures: unreliable: machine busy" in index.find("p", id="bench-reliability").text()
    assert "multicore-no-faster not measured: machine busy" in index.find("p", id="bench-claims").text()


def test_baseline_option_overrides_the_reference(reports, tmp_path_factory):
    write_json(reports / "reference" / "bench.json", bench_doc(speed=1.25))
    other = tmp_path_factory.mktemp("other") / "old.json"
    write_json(other, bench_doc(speed=0.5))
    build_bench(reports, baseline=other)
    heading = parse(reports / "bench.html").find("h2", id="baseline").text()
    assert f"baseline {other}" in heading


def test_bench_page_builds_from_unclassified_benchmarks(tmp_path):
    write_json(tmp_path / "bench.json", {"benchmarks": [_bench("test_something", 0.01)]})
    build_bench(tmp_path)
    page = parse(tmp_path / "bench.html")
    assert "No step benchmarks" in page.find("main").text()
    assert rows(page.find("table", id="others-table"))[1][:2] == ["test_something", "10 ms"]


def test_variant_targets_and_batchless_sweeps(tmp_path):
    doc = {"benchmarks": [
        _bench("test_train_step[lenet-numpy]", 0.02, network="lenet", step="train", target="numpy", batch=4),
        _bench("test_train_step[lenet-numpy-float64]", 0.04, network="lenet", step="train", target="numpy-float64",
               batch=4),
        _bench("test_train_step[lenet-compile-cpu]", 0.01, network="lenet", step="train", target="compile-cpu",
               batch=4),
        *[_bench(f"test_width_sweep[{w}]", 1e-3 * w, network="cifar", target="cpu-1thread", sweep="conv_width", x=w)
          for w in (6, 12, 24)],
    ]}
    write_json(tmp_path / "bench.json", doc)
    build_bench(tmp_path)
    page = parse(tmp_path / "bench.html")
    speedups = rows(page.find("table", id="speedup-table"))
    assert dict(zip(speedups[0], speedups[1]))["numpy-float64 vs numpy"] == "0.50×"
    assert dict(zip(speedups[0], speedups[1]))["compile-cpu vs cpu-allthreads"] == "not measured"
    sweep = page.find("section", id="sweep-conv_width-cifar")
    assert "values (steps/s)" in sweep.text()
    assert rows(sweep.find("table"))[1] == ["cpu-1thread", "167", "83.3", "41.7"]


# -- claims.html and index.html ---------------------------------------------------------------------------------

def test_claims_page_gives_each_claim_its_verdict(site):
    page = parse(site / "claims.html")
    cells = {tr.attrs["data-claim"]: tr.find("td", cls="verdict") for tr in page.find_all("tr")
             if "data-claim" in tr.attrs}
    assert {k: td.attrs["data-verdict"] for k, td in cells.items()} == {
        "blitz-full-int64": "differs", "blitz-zero-grad": "holds", "blitz-logits": "fails", "d2l-never-run": "not run"}
    verdicts = {k: td.text() for k, td in cells.items()}
    assert "since 1.7" in verdicts["blitz-full-int64"] and "rows sum to 3.2" in verdicts["blitz-logits"]
    outdated = [r[2] for r in rows(page.find("table", id="outdated-table"))[1:]]
    assert outdated == ["torch.full((3, 3), 8)", "outputs"]


def test_claims_page_without_catalogue_lists_ids(reports):
    build_conformance(reports, catalogue=[])
    page = parse(reports / "claims.html")
    assert {tr.attrs["data-claim"] for tr in page.find_all("tr") if "data-claim" in tr.attrs} == {
        "blitz-full-int64", "blitz-zero-grad", "blitz-logits"}


def test_index_summarises_both_runs(site):
    page = parse(site / "index.html")
    conf = page.find("section", id="conformance-summary")
    counts = {li.attrs["data-outcome"]: int(li.find("span", cls="n").text()) for li in conf.find_all("li")}
    assert counts == {o: sum(1 for r in _records() if r["outcome"] == o) for o in counts}
    assert conf.find("strong", cls="problems").text() == "4"  # 2 failed, 1 error, 1 xpassed
    bench = page.find("section", id="bench-summary").text()
    count = len(bench_doc()["benchmarks"])
    assert f"{count} benchmarks of 2 network(s) on numpy, cpu-1thread, cpu-allthreads" in bench
    words = " ".join(conf.text().split())
    assert "on cpu (cuda skipped)" in words and "of the 10 cases that ran" in words
    train = rows(page.find("table", id="train-throughput"))
    assert train[0][1:] == ["numpy", "cpu-1thread", "cpu-allthreads"]
    assert train[1] == ["lenet", "256", "1,026", "1,538"]
    assert page.find("section", id="claims-summary")


# -- the calibrated release against the torch under test -----------------------------------------------------

SUB32 = "conformance/test_math.py::test_binary_matches_numpy[cpu-float32-sub]"
MUL = "conformance/test_autograd.py::test_grad_matches_numpy[cpu-float64-mul]"


def newer_torch_doc() -> dict:
    """The synthetic run on torch 2.14.1, where mul-by-design's example passes."""
    doc = conformance_doc()
    doc["environment"]["torch"]["version"] = "2.14.1+cpu"
    doc["run"]["calibrated_torch"] = "2.13.0"
    for r in doc["records"]:
        if r["nodeid"] == MUL:
            r.update(outcome="resolved", max_ulp=0.0)
    return doc


def reference_doc() -> dict:
    """The reference run on 2.13.0: float32 sub passed there; the claim failed there too."""
    doc = conformance_doc()
    for r in doc["records"]:
        if r["nodeid"] == SUB32:
            r.update(outcome="passed", message=None, max_ulp=0.0)
    doc["records"] = [r for r in doc["records"] if "test_nn.py" not in r["nodeid"]]  # a case new since then
    return doc


@pytest.fixture(scope="module")
def newer(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("newer")
    write_json(path / "conformance.json", newer_torch_doc())
    write_json(path / "reference" / "conformance.json", reference_doc())
    build_conformance(path, catalogue=CATALOGUE)
    return path


def test_a_failure_that_passed_in_the_reference_run_is_changed_since_that_release(newer):
    page = parse(newer / "conformance.html")
    table = rows(page.find("table", id="changed-table"))
    assert table[0][1:3] == ["reference run (torch 2.13.0)", "this run (torch 2.14.1)"]
    assert [r[:3] for r in table[1:]] == [[SUB32, "passed", "failed"]]
    labelled = {a.find("h3").text() for a in page.find_all("article", cls="case") if a.find_all("span", cls="changed")}
    # The claim failed in the reference run too, and the nn case is new: neither is labelled.
    assert labelled == {SUB32}
    article = next(a for a in page.find_all("article", cls="case") if a.find("h3").text() == SUB32)
    assert article.find("span", cls="changed").text() == "changed since 2.13.0"
    assert "passed on torch 2.13.0+cpu; failed on torch 2.14.1" in " ".join(article.text().split())
    line = " ".join(parse(newer / "index.html").find("p", id="changed-since").text().split())
    assert line.startswith("1 failing case(s) changed since 2.13.0")


def test_a_resolved_deviation_has_its_own_count_colour_and_line_not_a_failure(newer):
    index = parse(newer / "index.html")
    conf = index.find("section", id="conformance-summary")
    counts = {li.attrs["data-outcome"]: (int(li.find("span", cls="n").text()), li.attrs["class"])
              for li in conf.find("ul", cls="counts").find_all("li")}
    assert counts["resolved"] == (1, "resolved") and counts["xfailed"][0] == 0
    assert conf.find("strong", cls="problems").text() == "4"  # unchanged: resolved is good news
    line = " ".join(index.find("p", id="resolved-on-this-torch").text().split())
    assert line == "1 known deviation(s) resolved on this torch: mul-by-design."
    page = parse(newer / "conformance.html")
    assert rows(page.find("table", id="resolved-table"))[1][:2] == ["mul-by-design", MUL]
    assert MUL not in {a.find("h3").text() for a in page.find_all("article", cls="case")}
    deviation = rows(page.find("table", id="deviations-table"))[1]
    assert deviation[0] == "mul-by-design" and deviation[-1] == "resolved on this torch: 1 case(s) pass"
    cell = page.find("table", id="matrix-table").find("td", title="float64: resolved")
    assert cell.attrs["data-status"] == "resolved" and cell.text().startswith("↑")


def test_without_a_reference_run_nothing_is_labelled(site):
    page = parse(site / "conformance.html")
    assert not page.find_all("table", id="changed-table") and not page.find_all("span", cls="changed")
    assert not parse(site / "index.html").find_all("p", id="changed-since")
    assert "No known deviation was resolved on this torch." in page.text()


def test_corrupt_reference_conformance_run_gives_one_line(reports, capsys):
    (reports / "reference").mkdir()
    (reports / "reference" / "conformance.json").write_text("{")
    assert main(["--reports", str(reports), "--only", "conformance"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "reference run:" in err and "corrupt conformance results" in err


# -- the whole site ----------------------------------------------------------------------------------------------

def test_pages_are_self_contained_and_every_link_resolves(site):
    for name in ("index.html", "conformance.html", "bench.html", "claims.html"):
        page = parse(site / name)
        assert not page.find_all("script") and not page.find_all("link") and not page.find_all("img"), name
        assert not [n for n in page.iter() if any(str(v).startswith(("http:", "https:", "//"))
                                                   for k, v in n.attrs.items() if k in ("src", "data"))]
        ids = {n.attrs["id"] for n in page.iter() if "id" in n.attrs}
        for a in page.find_all("a"):
            href = a.attrs["href"]
            if href.startswith("#"):
                assert href[1:] in ids, (name, href)
            elif not href.startswith("https://example.org"):  # the deviation's own link
                assert (site / href).is_file(), (name, href)
    assert not [p for p in site.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_only_the_pages_with_results_are_built_and_linked(tmp_path):
    write_json(tmp_path / "bench.json", bench_doc())
    written = {p.name for p in build_all(tmp_path)}
    assert written == {"bench.html", "index.html"}
    nav = [a.attrs["href"] for a in parse(tmp_path / "index.html").find("nav").find_all("a")]
    assert nav == ["index.html", "bench.html"]
    assert "No conformance results yet" in parse(tmp_path / "index.html").text()


def test_end_of_run_build_notes_a_bad_file_of_the_other_run(reports):
    (reports / "bench.json").write_text("{")
    written = {p.name for p in build_conformance(reports, catalogue=[])}
    assert written == {"conformance.html", "claims.html", "index.html"}
    banner = parse(reports / "index.html").find("p", cls="bad").text()
    assert "bench.json: corrupt benchmark results" in banner


# -- bad inputs: one line, non-zero exit ------------------------------------------------------------------------

def _foreign(path: Path) -> None:
    path.write_text(json.dumps(bench_doc()))


def _old_schema(path: Path) -> None:
    doc = conformance_doc()
    doc["schema"] = "torchconform.conformance/0"
    path.write_text(json.dumps(doc))


def _bad_record(path: Path) -> None:
    doc = conformance_doc()
    doc["records"][3]["outcome"] = "exploded"
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize("breakage, message", [
    (lambda p: p.unlink(), "no results in"),
    (lambda p: p.write_text('{"schema": "torchconform.conformance/1", "records": [{'), "corrupt conformance results"),
    (lambda p: p.write_bytes(b"\xff\xfe\x00"), "cannot read conformance results"),
    (_foreign, "not a torchconform conformance result"),
    (_old_schema, "is not the supported"),
    (_bad_record, "record #4 lacks a nodeid or a known outcome"),
    (lambda p: p.write_text("[]"), "not a torchconform conformance result"),
], ids=["missing", "truncated", "not-utf8", "foreign", "old-schema", "bad-record", "a-list"])
def test_bad_conformance_json_gives_one_line(tmp_path, capsys, breakage, message):
    path = tmp_path / "conformance.json"
    write_json(path, conformance_doc())
    breakage(path)
    assert main(["--reports", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and err.startswith("python -m torchconform.report: error: ")


@pytest.mark.parametrize("args, breakage, message", [
    ([], lambda p: p.write_text('{"benchmarks": [{"name": "x"}]}'), "benchmark #1 lacks a name or median"),
    ([], lambda p: p.write_text(json.dumps(conformance_doc())), "not a pytest-benchmark JSON file"),
    (["--baseline", "missing.json"], None, "missing.json: no baseline found"),
    (["--only", "conformance"], None, "conformance.json: no conformance results found"),
], ids=["bench-without-stats", "bench-foreign", "baseline-missing", "only-missing-part"])
def test_bad_bench_inputs_give_one_line(tmp_path, capsys, monkeypatch, args, breakage, message):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "bench.json"
    write_json(path, bench_doc())
    if breakage:
        breakage(path)
    assert main(["--reports", str(tmp_path), *args]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_corrupt_reference_run_is_reported(reports, capsys):
    (reports / "reference").mkdir()
    (reports / "reference" / "bench.json").write_text("{")
    assert main(["--reports", str(reports)]) == 1
    assert "corrupt reference run" in capsys.readouterr().err


def test_unwritable_reports_directory_gives_one_line(reports, capsys, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", refuse)
    assert main(["--reports", str(reports)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "conformance.html: Permission denied" in err


def test_bad_command_line_gives_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--only", "everything"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid choice: 'everything'" in err


def test_cli_needs_neither_pytest_nor_torch(tmp_path):
    # `nox -s report` installs only the report extra: the page builder must not import the test stack.
    # (blocked at import, as if not installed: a None in sys.modules would
    # trip SciPy's check for torch arrays, which a real absence does not)
    code = ("import sys\n"
            "class Absent:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.partition('.')[0] in ('pytest', 'torch', 'hypothesis'):\n"
            "            raise ModuleNotFoundError(name)\n"
            "sys.meta_path.insert(0, Absent())\n"
            "from torchconform.report.__main__ import main; sys.exit(main(sys.argv[1:]))")
    env = {**os.environ, "PYTHONPATH": str(Path(torchconform.__file__).parents[1])}
    empty = subprocess.run([sys.executable, "-c", code, "--reports", str(tmp_path)], capture_output=True, text=True,
                           env=env, timeout=120)
    assert empty.returncode == 1 and empty.stdout == ""
    assert empty.stderr == (f"python -m torchconform.report: error: no results in {tmp_path}/: run `nox -s "
                            "conformance` or `nox -s bench` first (looked for conformance.json and bench.json)\n")
    write_json(tmp_path / "conformance.json", conformance_doc())
    write_json(tmp_path / "bench.json", bench_doc())
    full = subprocess.run([sys.executable, "-c", code, "--reports", str(tmp_path)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert full.returncode == 0, full.stderr
    assert [line.split()[1] for line in full.stdout.splitlines()] == [
        str(tmp_path / n) for n in ("conformance.html", "claims.html", "bench.html", "index.html")]


def test_report_error_is_exported():
    assert issubclass(ReportError, Exception)
    with pytest.raises(ReportError):
        build_all(Path("/nonexistent/reports"))


def test_inputs_are_not_modified(reports):
    before = (reports / "conformance.json").read_text()
    build_all(reports, catalogue=CATALOGUE)
    assert (reports / "conformance.json").read_text() == before
    assert (reports / "index.html").stat().st_mode & 0o044  # readable by others: pages are for sharing


# -- as a person sees it: headless Chromium --------------------------------------------------------------------

CHROMIUM = shutil.which("chromium")
PAGES = ("index.html", "conformance.html", "bench.html", "claims.html")


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed: `apt-get install chromium` "
                                             "(Debian) to check that the pages render")
@pytest.mark.parametrize("name", PAGES)
def test_page_renders_in_headless_chromium(site, tmp_path, name):
    from PIL import Image  # matplotlib's own dependency

    shot = tmp_path / f"{name}.png"
    browser = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--hide-scrollbars", "--window-size=1280,2400", "--enable-logging=stderr", "--v=0",
         f"--screenshot={shot}", (site / name).as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert browser.returncode == 0, browser.stderr[-2000:]
    assert [line for line in browser.stderr.splitlines() if ":CONSOLE" in line] == []
    with Image.open(shot) as image:
        assert image.size == (1280, 2400)
        grey = image.convert("L")
        # a rendered page has text, tables and (on most pages) charts: many shades, and ink in its top half
        assert len(grey.getcolors(maxcolors=65536) or range(65536)) > 20
        assert grey.crop((0, 0, 1280, 1200)).getextrema()[0] < 100
