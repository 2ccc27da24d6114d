"""Proof that the torch.fft, torch.special and torch.linalg checks can fail:
each patches one function the way a real defect would (a small relative
error, a wrong order, a broken factor) and runs the real Hypothesis test,
which must raise AssertionError naming what it compared."""

import pytest
import torch

from torchconform.results import mentions_falsifying_example

import conformance.test_fft as fft
import conformance.test_linalg as linalg
import conformance.test_special as special
from tests.test_tensor_areas_can_fail import derandomized_profile, failure_of, wrap  # noqa: F401  (fixture)


def _named(table, name):
    return next(entry for entry in table if entry.name == name)


def test_fft_check_catches_a_small_relative_error(monkeypatch):
    wrap(monkeypatch, torch.fft, "rfft", lambda original, *a, **kw: original(*a, **kw) * (1 + 1e-3))
    message = failure_of(fft.test_transform_matches_reference, device="cpu", op=_named(fft.TRANSFORMS, "rfft"))
    assert "torch.fft.rfft(x" in message and mentions_falsifying_example(message)


def test_fft_check_catches_an_ignored_norm(monkeypatch):
    wrap(monkeypatch, torch.fft, "ifft2", lambda original, x, **kw: original(x, **{**kw, "norm": None}))
    message = failure_of(fft.test_transform_matches_reference, device="cpu", op=_named(fft.TRANSFORMS, "ifft2"))
    assert "torch.fft.ifft2(x" in message


def test_special_check_catches_a_small_relative_error(monkeypatch):
    wrap(monkeypatch, torch.special, "erfcx", lambda original, x, **kw: original(x, **kw) * (1 + 1e-4))
    message = failure_of(special.test_special_function_matches_scipy, device="cpu",
                         op=_named(special.SPECIALS, "erfcx"))
    assert "torch.special.erfcx(x" in message and mentions_falsifying_example(message)


def test_special_check_catches_an_off_by_one_degree(monkeypatch):
    wrap(monkeypatch, torch.special, "legendre_polynomial_p", lambda original, x, n, **kw: original(x, n + 1, **kw))
    message = failure_of(special.test_special_function_matches_scipy, device="cpu",
                         op=_named(special.SPECIALS, "legendre_polynomial_p"))
    assert "legendre_polynomial_p" in message


@pytest.mark.parametrize("name, wrong, words", [
    ("solve", lambda original, a, b, **kw: original(a, b, **kw) * (1 + 1e-3), "linalg.solve"),
    ("svdvals", lambda original, a, **kw: original(a, **kw).flip(-1), "svdvals"),
    ("qr", lambda original, a, **kw: type(original(a, **kw))((-original(a, **kw)[0], original(a, **kw)[1])), "Q R = A"),
    ("eigh", lambda original, a, **kw: (original(a, **kw)[0], original(a, **kw)[1].mT), "A V = V diag(w)"),
])
def test_linalg_check_catches_a_broken_factor(monkeypatch, name, wrong, words):
    wrap(monkeypatch, torch.linalg, name, wrong)
    message = failure_of(linalg.test_linalg_matches_reference, device="cpu", op=f"linalg.{name}")
    assert words in message
