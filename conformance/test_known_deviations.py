"""One deterministic example per known deviation (torchconform/deviations.toml).

Each asserts what NumPy computes; deviations.toml turns each into a strict
xfail, so the day torch changes, the run reports XPASS and names the
deviation to retire. The op table leaves the same inputs out of its
property tests, naming the deviation in the report.
"""

import numpy as np
import pytest
import torch

from torchconform.oracle import assert_matches

pytestmark = [pytest.mark.area("deviations")]


def test_sign_of_nan_is_nan(device):
    x = torch.tensor([float("nan")], device=device)
    assert_matches(torch.sign(x), np.sign(np.array([np.nan])), what="sign(nan)")


def test_fmod_by_a_subnormal_is_exact(device):
    x, y = torch.ones(4, 2, dtype=torch.float64, device=device), torch.tensor(5e-324, dtype=torch.float64)
    assert_matches(torch.fmod(x, y.to(device)), np.fmod(np.ones((4, 2)), 5e-324), what="fmod(1, 5e-324)")


def test_remainder_by_a_subnormal_is_exact(device):
    x, y = torch.ones(4, 2, dtype=torch.float64, device=device), torch.tensor(5e-324, dtype=torch.float64)
    assert_matches(torch.remainder(x, y.to(device)), np.remainder(np.ones((4, 2)), 5e-324),
                   what="remainder(1, 5e-324)")


def test_complex_division_by_a_subnormal(device):
    x = torch.zeros(1, dtype=torch.complex64, device=device)
    y = torch.full((1,), 1e-45j, dtype=torch.complex64, device=device)
    ref_y = np.complex128(np.complex64(1e-45j))
    assert_matches(x / y, np.zeros(1, np.complex128) / ref_y, what="0 / 1e-45j")


def test_erf_of_tiny_bfloat16(device):
    value = 2.0 ** -24
    x = torch.tensor([value], dtype=torch.bfloat16, device=device)
    assert_matches(torch.erf(x), np.array([2 / np.sqrt(np.pi) * value]), what="erf(2**-24) in bfloat16")
