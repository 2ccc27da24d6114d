"""The claims catalogue and its tests agree, and a claim test can fail.

Every catalogue entry names an existing test carrying its id; every test
marked ``seed_claim`` is in the catalogue; ids are unique; the loader rejects
malformed entries in one line; and a deliberately wrong torch (monkeypatched)
makes claim tests fail with a useful message.
"""

import ast
import importlib
from pathlib import Path

import pytest
import torch

from torchconform import claims

ROOT = Path(__file__).resolve().parents[1]


def marked_tests() -> dict[str, str]:
    """claim id -> node id, for every ``@<...>seed_claim("id")``-decorated test
    function under conformance/, read from the source (nothing imported)."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "conformance").glob("test_*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.FunctionDef):
                continue
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and _names_seed_claim(deco.func, path):
                    claim_id = deco.args[0].value
                    assert claim_id not in found, f"claim {claim_id} is marked on two tests"
                    found[claim_id] = f"conformance/{path.name}::{node.name}"
    return found


def _names_seed_claim(func: ast.expr, path: Path) -> bool:
    # pytest.mark.seed_claim(...) or a module alias of it (claim = pytest.mark.seed_claim)
    if isinstance(func, ast.Attribute):
        return func.attr == "seed_claim"
    if isinstance(func, ast.Name):
        return f"{func.id} = pytest.mark.seed_claim" in path.read_text(encoding="utf-8")
    return False


def claim_test(claim_id: str):
    claim = claims.by_id()[claim_id]
    module = importlib.import_module(claim.test_file.removesuffix(".py").replace("/", "."))
    return getattr(module, claim.test_name)


def test_catalogue_loads_with_unique_ids_and_both_statuses():
    loaded = claims.load()
    ids = [c.id for c in loaded]
    assert len(ids) == len(set(ids))
    assert {c.status for c in loaded} == {"holds", "differs"}
    assert len({c.seed for c in loaded}) == 5, "every seed tutorial has claims"


def test_every_catalogue_entry_names_a_test_marked_with_its_id():
    marked = marked_tests()
    for claim in claims.load():
        assert (ROOT / claim.test_file).is_file(), f"{claim.id}: no file {claim.test_file}"
        assert marked.get(claim.id) == claim.check, f"{claim.id}: {claim.check} is not marked seed_claim({claim.id!r})"


def test_every_marked_test_is_in_the_catalogue():
    known = claims.by_id()
    missing = sorted(i for i in marked_tests() if i not in known)
    assert not missing, f"tests marked seed_claim but not catalogued: {missing}"


def test_catalogue_dicts_have_what_the_claims_page_needs():
    from torchconform.report.claims import FIELDS

    for entry in claims.catalogue():
        assert set(FIELDS) <= set(entry)
        assert bool(entry["verdict_note"]) == (entry["status"] == "differs")


SEEDS = '[seeds]\n"1" = { file = "a.txt" }\n'


def entry(seed="1", status="holds") -> str:
    return (f'[[claim]]\nid = "x"\nseed = "{seed}"\nsection = "s"\nquote = "q"\nvalue = "v"\n'
            f'check = "c.py::test_c"\nstatus = "{status}"\n')


@pytest.mark.parametrize("text, message", [
    pytest.param(SEEDS + '[[claim]]\nid = "x"\nseed = "1"\n', "missing", id="missing-fields"),
    pytest.param(SEEDS + entry(status="differs"), "explanation", id="differs-unexplained"),
    pytest.param(SEEDS + entry() + entry(), "duplicate", id="duplicate-id"),
    pytest.param(SEEDS + entry(seed="9"), "unknown seed", id="unknown-seed"),
    pytest.param(SEEDS + entry(status="maybe"), "status", id="bad-status"),
    pytest.param(SEEDS + entry().replace("c.py::test_c", "c.py"), "check must be", id="bad-check"),
    pytest.param("[[claim]\n", "cannot read", id="bad-toml"),
])
def test_loader_rejects_a_malformed_catalogue_in_one_line(tmp_path, text, message):
    path = tmp_path / "claims.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(claims.CatalogueError, match=message) as info:
        claims.load(path)
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------- a wrong torch fails the claims


def test_full_claim_fails_when_full_returns_floats(monkeypatch):
    real_full = torch.full
    monkeypatch.setattr(torch, "full", lambda *a, **k: real_full(*a, **{**k, "dtype": torch.float32}))
    with pytest.raises(AssertionError, match="infers its dtype"):
        claim_test("course-full-int-fill-dtype")("cpu")


def test_hand_written_update_claim_fails_when_sgd_does_not_step(monkeypatch):
    monkeypatch.setattr(torch.optim.SGD, "step", lambda self, closure=None: None)
    with pytest.raises(AssertionError, match="SGD.step"):
        claim_test("blitz-sgd-data-sub")("cpu")


def test_gradient_claim_fails_with_a_wrong_backward(monkeypatch):
    real_pow = torch.Tensor.__pow__

    class DoubledGrad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(x)
            ctx.k = k
            return real_pow(x, k)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * g * ctx.k * real_pow(x, ctx.k - 1), None

    monkeypatch.setattr(torch.Tensor, "__pow__", lambda self, k: DoubledGrad.apply(self, k))
    with pytest.raises(AssertionError, match="gradient"):
        claim_test("blitz-q-gradient-external-grad")("cpu")


def test_optimizer_claim_fails_with_a_wrong_update_rule(monkeypatch):
    real_step = torch.optim.Adagrad.step

    def skewed(self, closure=None):
        for group in self.param_groups:
            group["lr"] = 2e-2  # twice the requested rate
        return real_step(self, closure)

    monkeypatch.setattr(torch.optim.Adagrad, "step", skewed)
    with pytest.raises(AssertionError, match="Adagrad after 4 steps"):
        claim_test("lpe-optimizers-update-rules")("Adagrad", {"lr": 1e-2}, "cpu")


def test_wrong_printed_values_fail_the_cat_claim(monkeypatch):
    real_cat = torch.cat
    monkeypatch.setattr(torch, "cat", lambda tensors, dim=0: real_cat(list(reversed(tensors)), dim=dim) * 1.001)
    with pytest.raises(AssertionError, match="worst element"):
        claim_test("course-cat-printed")("cpu")
