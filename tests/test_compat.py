"""Older torch releases: a check whose API the torch under test lacks is
skipped with the reason (and only on a release older than the API), a torch
built for NumPy 1 stops the run with one line, and tutorial claims carry the
release from which their verdict holds."""

from __future__ import annotations

import pytest
import torch

import conformance.test_creation as creation
from torchconform import claims, compat
from torchconform.report import claims as claims_page

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.area("compat")


@pytest.fixture
def rand_like_without_generator(monkeypatch):
    """torch.rand_like as torch 2.4 has it: no ``generator`` keyword."""
    original = torch.rand_like

    def rand_like(*args, **kwargs):
        if "generator" in kwargs:
            raise TypeError("rand_like() got an unexpected keyword argument 'generator'")
        return original(*args, **kwargs)

    monkeypatch.setattr(torch, "rand_like", rand_like)
    compat.missing.cache_clear()
    yield
    compat.missing.cache_clear()


def test_a_missing_api_on_an_older_release_skips_the_real_check_with_the_reason(
        rand_like_without_generator, monkeypatch):
    monkeypatch.setattr(compat, "release_at_least", lambda version, since: False)
    with pytest.raises(pytest.skip.Exception, match=r"needs torch.rand_like\(..., generator=...\) \(torch 2.5\+\), "
                                                    r"which torch .* lacks: rand_like\(\) got an unexpected keyword"):
        creation.test_random_creation_has_shape_dtype_and_range(name="rand_like", device="cpu")


def test_the_same_breakage_on_a_release_that_has_the_api_fails_the_check(rand_like_without_generator):
    # torch 2.13 has generator= on rand_like: losing it is a bug to report, not a skip.
    with pytest.raises(TypeError, match="unexpected keyword argument 'generator'"):
        creation.test_random_creation_has_shape_dtype_and_range(name="rand_like", device="cpu")


def test_features_present_here_are_not_missing():
    compat.missing.cache_clear()
    assert {name: compat.missing(name) for name in compat.FEATURES} == dict.fromkeys(compat.FEATURES)


def test_a_torch_built_for_numpy_1_stops_the_run_with_one_line(pytester, monkeypatch):
    def from_numpy(array):
        raise RuntimeError("Numpy is not available")

    monkeypatch.setattr(torch, "from_numpy", from_numpy)
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    result = pytester.runpytest("-p", "torchconform.pytest_plugin")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.startswith("ERROR")]
    assert errors == [f"ERROR: torch {torch.__version__} cannot exchange arrays with NumPy "
                      f"{__import__('numpy').__version__} (Numpy is not available): it was built for NumPy 1; "
                      f"this suite needs NumPy >= 2 and so torch >= {compat.OLDEST_SUPPORTED}"]


@pytest.mark.parametrize("version, since, expected", [
    ("2.4.1+cu121", "2.5", False), ("2.5.0", "2.5", True), ("2.5.0a0+git1234", "2.5", True),
    ("2.13.0+cpu", "2.5", True), ("2.3.1", "2.4", False),
])
def test_release_at_least(version, since, expected):
    assert claims.release_at_least(version, since) is expected


def test_a_claim_with_a_since_has_the_opposite_verdict_before_it():
    claim = claims.by_id()["d2l-modules-dict-ordered"]
    assert (claim.status, claim.since) == ("differs", "2.5")
    assert claim.on("2.13.0").status == "differs" and claim.on("2.13.0").explanation
    before = claim.on("2.4.1+cu121")
    assert (before.status, before.explanation) == ("holds", "")
    entry = next(e for e in claims.catalogue() if e["id"] == claim.id)
    assert entry["torch_range"] == "torch >= 2.5 (the opposite before)"
    record = {"nodeid": "conformance/test_claims_nn.py::test_modules_is_an_insertion_ordered_dict[cpu]",
              "outcome": "passed", "claim": claim.id}
    verdicts = {version: next(c["verdict"] for c in claims_page.build([record], [entry], version)["seeds"][0][1])
                for version in ("2.4.1", "2.13.0")}
    assert verdicts == {"2.4.1": "holds", "2.13.0": "differs"}


def test_a_claim_that_holds_since_a_release_must_say_how_older_ones_differ(tmp_path):
    catalogue = tmp_path / "claims.toml"
    catalogue.write_text('''
[seeds]
"001" = { file = "001.txt", title = "t" }

[[claim]]
id = "new-behaviour"
seed = "001"
section = "s"
quote = "q"
value = "v"
check = "conformance/test_x.py::test_y"
status = "holds"
since = "2.5"
''')
    with pytest.raises(claims.CatalogueError, match="before_explanation is required"):
        claims.load(catalogue)
    catalogue.write_text(catalogue.read_text() + 'before_explanation = "older releases return an OrderedDict"\n')
    (claim,) = claims.load(catalogue)
    assert claim.on("2.4.1").status == "differs" and claim.on("2.4.1").explanation.startswith("older")
    catalogue.write_text(catalogue.read_text().replace('since = "2.5"', 'since = "two"'))
    with pytest.raises(claims.CatalogueError, match="since must be a torch release"):
        claims.load(catalogue)


def test_a_function_this_torch_removed_skips_its_derivative_rows(monkeypatch):
    """torch 2.14 removed torch.cholesky: its rows skip with the reason
    instead of failing with an AttributeError; a present function runs."""
    import conformance.test_linalg_derivatives as linalg_derivatives

    row = next(r for r in linalg_derivatives.ROWS if r.name == "torch.cholesky")
    monkeypatch.delattr(torch, "cholesky")
    with pytest.raises(pytest.skip.Exception, match=r"torch.cholesky is not in torch .* nothing to check"):
        linalg_derivatives.test_linalg_derivatives_match_finite_differences(op=row, order="reverse", device="cpu")
    compat.require_api("torch.linalg.cholesky")  # present: no skip
