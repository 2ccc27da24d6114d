"""Can-fail tests of the random-sampler goodness-of-fit checks, the ``*_copy``
table and the legacy linear algebra: torch patched the way a real bug would
be, the real conformance test run, and its failure message read."""

import numpy as np
import torch
from scipy import stats

from conformance import test_creation as creation_tests
from conformance import test_linalg as linalg_tests
from conformance import test_views as views_tests
from tests.can_fail import failure_of, wrap
from torchconform.distribution import goodness_of_fit


def test_an_exponential_sampler_at_half_its_rate_is_caught(monkeypatch):
    # Not an involution (1 / rate would be): under the coverage tracker's TorchFunctionMode the
    # patched method is looked up by name again, so the wrong rate is applied twice.
    wrap(monkeypatch, torch.Tensor, "exponential_", lambda original, self, lambd=1.0, **kw: original(self, lambd / 2, **kw))
    message = failure_of(creation_tests.test_sampler_follows_its_distribution, op="Tensor.exponential_",
                         dtype=torch.float64, device="cpu")
    assert "goodness-of-fit p-value" in message and "expon" in message


def test_a_poisson_sampler_with_a_shifted_rate_is_caught(monkeypatch):
    wrap(monkeypatch, torch, "poisson", lambda original, rates, **kw: original(rates + 0.2, **kw))
    message = failure_of(creation_tests.test_sampler_follows_its_distribution, op="poisson", dtype=torch.float32,
                         device="cpu")
    assert "poisson" in message


def test_a_sample_outside_the_support_fails_whatever_the_counts():
    values = stats.randint(2, 9).rvs(size=4000, random_state=0).astype(np.float64)
    assert goodness_of_fit(values, stats.randint(2, 9)) > 1e-3
    values[0] = 9.0
    assert goodness_of_fit(values, stats.randint(2, 9)) == 0.0


def test_a_copy_op_that_returns_a_view_is_caught(monkeypatch):
    monkeypatch.setattr(torch, "permute_copy", torch.permute)
    row = next(p for p in views_tests.VIEW_COPIES if p.id == "permute_copy")
    message = failure_of(views_tests.test_copying_ops_do_not_alias_their_input, *(), **dict(
        zip(["torch_fn", "numpy_fn", "base", "writable", "dtype"], row.values)), device="cpu")
    assert "copy after a write into its input" in message


def test_a_legacy_det_with_the_wrong_sign_is_caught(monkeypatch):
    wrap(monkeypatch, torch, "det", lambda original, a: -original(a))
    message = failure_of(linalg_tests.test_legacy_linalg_matches_reference, device="cpu", op="torch.det")
    assert "torch.det" in message
