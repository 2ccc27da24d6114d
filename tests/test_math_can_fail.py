"""Proof that the op-table checks (math and reductions) can fail: a torch op
is patched to be subtly wrong, the conformance test is run, and it must fail
with a message naming the op and Hypothesis' shrunk example."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from torchconform.results import mentions_falsifying_example

from tests.can_fail import failure_of, wrap

import conformance.test_math as math_tests
import conformance.test_reductions as reduction_tests
from torchconform.ops import TABLE

pytestmark = pytest.mark.area("math")

REPO = Path(__file__).resolve().parents[1]


def test_a_relative_error_of_1e_3_in_exp_is_caught_and_shrunk(monkeypatch):
    wrap(monkeypatch, torch, "exp", lambda exp, x, **kw: exp(x, **kw) * (1 + 1e-3))
    message = failure_of(math_tests.test_op_matches_numpy, op=TABLE["exp"], dtype=torch.float32, device="cpu")
    assert "exp: torch.exp(x) [float32, forward" in message and mentions_falsifying_example(message)
    # Shrunk to the plainest case: one contiguous element (exp(0) = 1 already shows it).
    assert "Drawn(contiguous, dtype=float32, shape=()" in message, message
    assert "--- standalone repro script ---" in message


def test_add_ignoring_alpha_is_caught_with_the_alpha_that_shows_it(monkeypatch):
    wrap(monkeypatch, torch, "add", lambda add, x, y, alpha=1, **kw: add(x, y, **kw))
    message = failure_of(math_tests.test_op_matches_numpy, op=TABLE["add_alpha"], dtype=torch.int64, device="cpu")
    assert "add_alpha: torch.add(x, y, alpha=alpha) [int64, forward, exact]" in message
    assert "params={'alpha': 2}" in message, message


def test_an_in_place_add_ignoring_alpha_is_caught(monkeypatch):
    wrap(monkeypatch, torch.Tensor, "add_", lambda add_, self, other, alpha=1: add_(self, other))
    message = failure_of(math_tests.test_inplace_matches_numpy_and_keeps_storage, op=TABLE["add_alpha"],
                         dtype=torch.float64, device="cpu")
    assert "add_alpha in-place: x.add_(y, alpha=alpha)" in message and mentions_falsifying_example(message)


def test_an_out_form_writing_a_copy_is_caught(monkeypatch):
    wrap(monkeypatch, torch, "sqrt", lambda sqrt, x, out=None: sqrt(x) if out is None else out.copy_(sqrt(x)) * 1)
    message = failure_of(math_tests.test_out_matches_numpy_and_returns_out, op=TABLE["sqrt"],
                         dtype=torch.float32, device="cpu")
    assert "torch.sqrt(x, out=out) must return out" in message


def test_a_sum_that_does_not_widen_integers_is_caught(monkeypatch):
    wrap(monkeypatch, torch, "sum", lambda sum_, x, *a, **kw: sum_(x, *a, dtype=x.dtype, **kw))
    message = failure_of(reduction_tests.test_integer_sum_accumulates_in_int64_without_overflow,
                         dtype=torch.uint8, device="cpu")
    assert "sum of uint8 must accumulate in int64" in message and mentions_falsifying_example(message)


def test_a_var_that_ignores_the_correction_is_caught(monkeypatch):
    wrap(monkeypatch, torch, "var", lambda var, x, dim=None, correction=1, keepdim=False:
         var(x, dim=dim, correction=1, keepdim=keepdim))
    message = failure_of(reduction_tests.test_correction_matches_numpy_ddof_up_to_no_degrees_of_freedom,
                         op=TABLE["var"], dtype=torch.float64, device="cpu")
    assert "var: torch.var(x, dim=dim, correction=correction, keepdim=keepdim) [float64" in message


def test_max_returning_the_last_index_on_ties_is_caught(monkeypatch):
    def last_index(max_, x, dim, keepdim=False):
        flipped = max_(x.flip(dim), dim, keepdim)
        return torch.return_types.max((flipped.values, x.shape[dim] - 1 - flipped.indices))

    wrap(monkeypatch, torch, "max", last_index)
    message = failure_of(reduction_tests.test_ties_give_the_first_index, op=TABLE["max_indices"],
                         dtype=torch.int64, device="cpu")
    assert "max_indices: torch.max(x, dim=dim, keepdim=keepdim).indices [int64, forward, exact]" in message


def test_a_pytest_run_reports_the_failure_with_its_shrunk_example(tmp_path):
    # A plugin that breaks torch.exp before the conformance test runs: the run as a user sees it.
    (tmp_path / "break_exp.py").write_text(textwrap.dedent("""
        import torch
        _exp = torch.exp
        torch.exp = lambda x, **kw: _exp(x, **kw) * (1 + 1e-3)
    """))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)])}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "break_exp", "-p", "no:cacheprovider", "--hypothesis-profile=ci",
         "conformance/test_math.py::test_op_matches_numpy[cpu-exp-float64]", "-q"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed" in run.stdout and mentions_falsifying_example(run.stdout)
    assert "Drawn(contiguous, dtype=float64, shape=()" in run.stdout
