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


def test_derivative_orders_go_to_declared_called_families_of_a_test_that_compared():
    x = torch.tensor([0.5, 1.0], dtype=torch.float64, requires_grad=True)
    with coverage.tracking() as tracker:
        (grad,) = torch.autograd.grad(torch.sin(x).sum(), x)
        torch.cos(x)  # called, not declared
        assert_matches(grad, np.cos([0.5, 1.0]), torch.float64, kind="gradient")
    assert tracker.derivatives(["sin", "tan"], ["reverse", "second"]) == {"reverse": {"torch.sin"},
                                                                         "second": {"torch.sin"}}
    assert tracker.result(["sin"], ["reverse"])["derivatives"] == {"reverse": ["torch.sin"]}
    with coverage.tracking() as converted:
        (grad,) = torch.autograd.grad(torch.sin(x).sum(), x)
        assert_matches(grad.numpy(), np.cos([0.5, 1.0]), torch.float64, kind="gradient")  # compared as NumPy
    assert converted.checked(["sin"]) == set() and converted.derivatives(["sin"], ["reverse"]) == {
        "reverse": {"torch.sin"}}
    with coverage.tracking() as silent:
        torch.autograd.grad(torch.sin(x).sum(), x)  # no comparison through the oracle
    assert silent.derivatives(["sin"], ["reverse"]) == {"reverse": set()}


def test_an_unknown_derivative_order_is_refused():
    with pytest.raises(ValueError, match="unknown derivative order"):
        coverage.field([], [], {}, {"fourth": ["torch.sin"]})


def test_a_first_layout_field_reads_as_no_derivatives_and_counts_per_order():
    universe = {"torch": ["torch.cos", "torch.sin", "torch.tan"]}
    old = {"schema": "torchconform.coverage/1", "api": universe, "called": ["torch.cos", "torch.sin"],
           "checked": ["torch.sin"]}
    new = coverage.field(["torch.cos"], ["torch.cos"], universe, {"reverse": ["torch.cos"], "third": ["torch.cos"]})
    assert coverage.summary(old)[0]["orders"] == dict.fromkeys(coverage.ORDERS, 0)
    merged = coverage.merge(old, new)
    assert merged["schema"] == "torchconform.coverage/2"
    assert merged["derivatives"] == {"reverse": ["torch.cos"], "forward": [], "second": [], "third": ["torch.cos"]}
    torch_row, all_row = coverage.summary(merged)
    assert torch_row["orders"] == all_row["orders"] == {"reverse": 1, "forward": 0, "second": 0, "third": 1}
    assert [(f["family"], f["state"], f["orders"]["third"]) for f in torch_row["families"]] == [
        ("torch.cos", "checked", True), ("torch.sin", "checked", False), ("torch.tan", "untouched", False)]


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

    @pytest.mark.derivatives("reverse", "second")
    @pytest.mark.parametrize("op", ["special.erf"])
    def test_erf_gradient(op):
        x = torch.zeros(2, dtype=torch.float64, requires_grad=True)
        (g,) = torch.autograd.grad(torch.special.erf(x).sum(), x)
        assert_matches(g, np.full(2, 2 / np.pi ** 0.5), torch.float64, kind="gradient")
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["in-process", "xdist"])
def test_run_writes_the_coverage_field(pytester, workers):
    pytester.makepyfile(test_sample=SAMPLE)
    path = pytester.path / "conformance.json"
    result = pytester.runpytest("-p", "torchconform.pytest_plugin", "-p", "no:cacheprovider", "-p", "no:randomly",
                                "--conformance-json", str(path), *workers)
    result.assert_outcomes(passed=4, failed=1)
    doc = json.loads(path.read_text())
    assert doc["timing"]["workers"] == (2 if workers else 1)
    field = doc["coverage"]
    assert field["derivatives"] == {"reverse": ["torch.special.erf"], "forward": [],
                                    "second": ["torch.special.erf"], "third": []}
    assert field["schema"] == coverage.SCHEMA
    checked, called = set(field["checked"]), set(field["called"])
    assert {"torch.special.erf", "torch.linalg.qr", "torch.matmul", "torch.special.expm1"} <= checked
    assert "torch.fft.fft" in called - checked
    assert set(field["api"]) == set(coverage.NAMESPACES)


def test_an_unknown_derivative_order_is_one_line_and_a_usage_error(pytester):
    pytester.makepyfile(test_typo="""
        import pytest

        @pytest.mark.derivatives("reverse", "jvp")
        def test_typo():
            pass
    """)
    result = pytester.runpytest("-p", "torchconform.pytest_plugin", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: test_typo.py::test_typo: unknown derivative order(s) jvp in *"])


def test_page_shows_the_counts_per_namespace(tmp_path):
    from tests.test_report import conformance_doc, parse, rows

    universe = {"torch.fft": ["torch.fft.fft", "torch.fft.ifft", "torch.fft.rfft"], "torch.special": ["torch.special.erf"]}
    doc = conformance_doc()
    doc["coverage"] = coverage.field(["torch.fft.fft", "torch.fft.ifft"], ["torch.fft.fft"], universe)
    write_json(tmp_path / "conformance.json", doc)
    build_conformance(tmp_path, catalogue=[])
    page = parse(tmp_path / "conformance.html")
    table = rows(page.find("table", id="coverage-table"))
    assert table[2] == ["torch.fft", "3", "1 (33%)", "1 (33%)", "1 (33%)", "0", "0", "0", "0"]
    assert table[3] == ["torch.special", "1", "0 (0%)", "0 (0%)", "1 (100%)", "0", "0", "0", "0"]
    assert table[4][:2] == ["all", "4"]
    assert "torch.fft.rfft" in page.find("details", id="coverage-torch.fft").text()


def test_page_shows_the_derivative_orders_per_namespace_and_family(tmp_path):
    from tests.test_report import conformance_doc, parse, rows

    universe = {"torch": ["torch.cos", "torch.sin", "torch.tan"], "torch.fft": ["torch.fft.fft"]}
    doc = conformance_doc()
    doc["coverage"] = coverage.field(["torch.sin", "torch.cos", "torch.tan"], ["torch.sin", "torch.cos"], universe,
                                     {"reverse": ["torch.sin", "torch.cos"], "forward": ["torch.sin"],
                                      "second": ["torch.sin", "torch.tan"], "third": ["torch.sin"]})
    write_json(tmp_path / "conformance.json", doc)
    build_conformance(tmp_path, catalogue=[])
    page = parse(tmp_path / "conformance.html")
    table = rows(page.find("table", id="coverage-table"))
    assert table[1] == ["reverse", "forward", "second", "third"]
    assert table[2][5:] == ["2", "1", "2", "1"] and table[3][5:] == ["0", "0", "0", "0"]
    families = rows(page.find("table", id="families-torch"))
    assert families == [["family", "state", "reverse", "forward", "second", "third"],
                        ["torch.cos", "checked", "✓", "–", "–", "–"],
                        ["torch.sin", "checked", "✓", "✓", "✓", "✓"],
                        ["torch.tan", "called", "–", "–", "✓", "–"]]
    assert page.find("details", id="coverage-families-torch.fft") is not None
