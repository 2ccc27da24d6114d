"""API coverage (torchconform/coverage.py): the families, the checked /
only called / untouched definition, the xdist path into the conformance
JSON, merging, and the page section."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from torchconform import coverage
from torchconform.oracle import assert_matches
from torchconform.report import build_conformance
from torchconform.resultsfile import write_json

pytest_plugins = ["pytester"]


def test_families_merge_methods_in_place_forms_and_aliases():
    assert coverage.family_of(torch.add) == coverage.family_of(torch.Tensor.add) == "torch.add"
    assert coverage.family_of(torch.Tensor.add_) == "torch.add"
    assert coverage.family_of(torch.Tensor.__iadd__) == coverage.family_of(torch.Tensor.__add__) == "torch.__add__"
    assert coverage.family_of(torch.Tensor.__rsub__) == "torch.__rsub__"
    assert coverage.family_of(torch.mm) == "torch.mm"  # torch.mm == torch.spmm as builtins
    assert coverage.family_of(torch.special.erf) == "torch.special.erf"
    assert coverage.family_of(torch.einsum) == "torch.einsum"  # torch.functional counts as torch
    api = coverage.api()
    assert list(api) == list(coverage.NAMESPACES)
    assert "torch.linalg.svd" in api["torch.linalg"] and "torch.fft.rfft2" in api["torch.fft"]
    assert not any(name.rpartition(".")[2].startswith("_") and not name.endswith("__") for names in api.values()
                   for name in names)


def test_a_compared_product_is_checked_and_harness_calls_are_only_called():
    with coverage.tracking() as tracker:
        x = torch.tensor([0.5, 1.0]).to(torch.float64)  # harness: feeds the value, never compared itself
        y = torch.special.erf(x)
        assert_matches(y, np.array([0.5204998778130465, 0.8427007929497149]), torch.float64)
        torch.fft.fft(x)  # called, its value never compared
    result = tracker.result(declared=[])
    assert "torch.special.erf" in result["checked"]
    assert "torch.to" in result["called"] and "torch.to" not in result["checked"]
    assert "torch.fft.fft" in result["called"] and "torch.fft.fft" not in result["checked"]


def test_lineage_counts_only_for_the_declared_op():
    a = torch.tensor([[2.0, 0.0], [0.0, 3.0]], dtype=torch.float64)
    with coverage.tracking() as tracker:
        u, s, vh = torch.linalg.svd(a)
        assert_matches(u * s @ vh, a.numpy(), torch.float64)  # a property check: produced by matmul, computed through svd
    assert "torch.linalg.svd" not in tracker.checked(declared=[])
    assert "torch.linalg.svd" in tracker.checked(declared=["linalg.svd"])
    assert "torch.matmul" in tracker.checked(declared=[])


def test_a_comparison_outside_the_oracle_checks_nothing():
    with coverage.tracking() as tracker:
        y = torch.special.erf(torch.zeros(2))
        np.testing.assert_array_equal(y.numpy(), np.zeros(2))
    assert tracker.checked(declared=["special.erf"]) == set()


def test_merge_is_a_union_and_summary_counts_each_state():
    universe = {"torch.fft": ["torch.fft.fft", "torch.fft.ifft", "torch.fft.rfft"]}
    one = coverage.field(["torch.fft.fft"], ["torch.fft.fft"], universe)
    two = coverage.field(["torch.fft.ifft"], [], universe)
    merged = coverage.merge(one, None, two)
    assert merged["checked"] == ["torch.fft.fft"] and merged["called"] == ["torch.fft.fft", "torch.fft.ifft"]
    rows = {r["namespace"]: r for r in coverage.summary(merged)}
    assert rows["torch.fft"]["counts"] == {"checked": 1, "called": 1, "untouched": 1}
    assert rows["torch.fft"]["lists"]["untouched"] == ["torch.fft.rfft"]
    assert rows["all"]["total"] == 3
    assert coverage.merge(None, None) is None and coverage.summary(None) is None


SAMPLE = """
    import numpy as np
    import pytest
    import torch
    from torchconform.oracle import assert_matches

    def test_checks_erf():
        assert_matches(torch.special.erf(torch.zeros(3)), np.zeros(3), torch.float32)

    def test_calls_fft_only():
        np.testing.assert_allclose(torch.fft.fft(torch.ones(2)).numpy(), [2, 0])

    @pytest.mark.checks("linalg.qr")
    def test_qr_property():
        q, r = torch.linalg.qr(torch.eye(2))
        assert_matches(q @ r, np.eye(2, dtype=np.float32), torch.float32)

    def test_fails_after_checking_expm1():
        assert_matches(torch.special.expm1(torch.zeros(1)), np.ones(1), torch.float32)
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["in-process", "xdist"])
def test_run_writes_the_coverage_field(pytester, workers):
    pytester.makepyfile(test_sample=SAMPLE)
    path = pytester.path / "conformance.json"
    result = pytester.runpytest("-p", "torchconform.pytest_plugin", "-p", "no:cacheprovider", "-p", "no:randomly",
                                "--conformance-json", str(path), *workers)
    result.assert_outcomes(passed=3, failed=1)
    field = json.loads(path.read_text())["coverage"]
    assert field["schema"] == coverage.SCHEMA
    checked, called = set(field["checked"]), set(field["called"])
    assert {"torch.special.erf", "torch.linalg.qr", "torch.matmul", "torch.special.expm1"} <= checked
    assert "torch.fft.fft" in called - checked
    assert set(field["api"]) == set(coverage.NAMESPACES)


def test_page_shows_the_counts_per_namespace(tmp_path):
    from tests.test_report import conformance_doc, parse, rows

    universe = {"torch.fft": ["torch.fft.fft", "torch.fft.ifft", "torch.fft.rfft"], "torch.special": ["torch.special.erf"]}
    doc = conformance_doc()
    doc["coverage"] = coverage.field(["torch.fft.fft", "torch.fft.ifft"], ["torch.fft.fft"], universe)
    write_json(tmp_path / "conformance.json", doc)
    build_conformance(tmp_path, catalogue=[])
    page = parse(tmp_path / "conformance.html")
    table = rows(page.find("table", id="coverage-table"))
    assert table[1] == ["torch.fft", "3", "1 (33%)", "1 (33%)", "1 (33%)"]
    assert table[2] == ["torch.special", "1", "0 (0%)", "0 (0%)", "1 (100%)"]
    assert table[3][:2] == ["all", "4"]
    assert "torch.fft.rfft" in page.find("details", id="coverage-torch.fft").text()
