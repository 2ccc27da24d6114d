"""The tolerance policy: exact integers, the per-dtype figures the module
documents, op factors that carry reasons, loud errors for unknown names, and
the ULP error measurement on cases worked out by hand."""

import numpy as np
import pytest
import torch

from torchconform import dtypes
from torchconform.oracle import assert_matches
from torchconform.tolerances import OP_FACTORS, tolerance, ulp_error

pytestmark = pytest.mark.area("policy")

EPS16, EPS_BF16, EPS32 = 2.0 ** -10, 2.0 ** -7, 2.0 ** -23


@pytest.mark.parametrize("dtype", dtypes.EXACT_DTYPES, ids=dtypes.name)
@pytest.mark.parametrize("kind", ["forward", "gradient", "finite_difference"])
def test_integers_and_bool_are_exact(dtype, kind):
    assert tolerance(dtype, kind=kind).exact
    assert tolerance(dtype, op="sum").exact, "an op factor must not loosen an exact dtype"


@pytest.mark.parametrize("dtype, rtol", [
    (torch.float16, 2 * EPS16), (torch.bfloat16, 2 * EPS_BF16), (torch.float32, 8 * EPS32),
    (torch.float64, 1e-10), (torch.complex64, 8 * EPS32), (torch.complex128, 1e-10),
], ids=lambda v: dtypes.name(v) if isinstance(v, torch.dtype) else "")
def test_forward_tolerance_is_the_documented_multiple_of_eps(dtype, rtol):
    tol = tolerance(dtype)
    real = {torch.complex64: torch.float32, torch.complex128: torch.float64}.get(dtype, dtype)
    assert tol.rtol == pytest.approx(rtol)
    assert tol.atol == torch.finfo(real).tiny, "atol only forgives the subnormal range"


def test_gradients_get_more_room_than_forward_values():
    for dtype in dtypes.FLOAT_DTYPES:
        assert tolerance(dtype, kind="gradient").rtol > tolerance(dtype).rtol


def test_finite_differences_have_an_absolute_floor_for_truncation_error():
    tol = tolerance(torch.float64, kind="finite_difference")
    assert tol.rtol == pytest.approx(1e-6) and tol.atol == pytest.approx(1e-6)


@pytest.mark.parametrize("name", sorted(OP_FACTORS))
def test_every_op_factor_loosens_by_a_stated_reason(name):
    factor = OP_FACTORS[name]
    assert factor.factor >= 1, "a factor below 1 would tighten the policy silently"
    assert len(factor.reason.split()) >= 4, f"op factor {name!r} needs a written reason"
    assert tolerance(torch.float32, op=name).rtol == pytest.approx(factor.factor * tolerance(torch.float32).rtol)


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown tolerance kind 'backward'"):
        tolerance(torch.float32, kind="backward")


def test_unknown_op_factor_is_refused_with_the_way_to_add_one():
    with pytest.raises(ValueError, match="'softmax' is not in the policy; add it to OP_FACTORS with a reason"):
        tolerance(torch.float32, op="softmax")


@pytest.mark.parametrize("actual, expected, dtype, ulps", [
    pytest.param(np.float32(1) + np.float32(EPS32), 1.0, torch.float32, 1, id="next-float32-above-1"),
    pytest.param(1.0 - 2 ** -24, 1.0, torch.float32, 0.5, id="half-ulp-below-1-measured-at-1"),
    pytest.param(1.0 + 2 * EPS_BF16, 1.0, torch.bfloat16, 2, id="two-bfloat16-ulps"),
    pytest.param(1024.0 + 3, 1024.0, torch.float16, 3, id="float16-ulp-is-1-at-1024"),
    pytest.param(2.0 ** -149, 0.0, torch.float32, 1, id="smallest-subnormal-from-zero"),
    pytest.param(np.nan, np.nan, torch.float32, 0, id="nan-meets-nan"),
    pytest.param(np.inf, np.inf, torch.float64, 0, id="same-infinity"),
    pytest.param(-np.inf, np.inf, torch.float64, np.inf, id="opposite-infinity"),
    pytest.param(np.nan, 1.0, torch.float64, np.inf, id="nan-for-a-number"),
    pytest.param(7, 5, torch.int32, 2, id="exact-dtypes-give-the-difference"),
])
def test_ulp_error_of_known_cases(actual, expected, dtype, ulps):
    assert ulp_error(np.array([actual]), np.array([expected]), dtype) == pytest.approx(ulps)


def test_ulp_error_of_nothing_is_zero():
    assert ulp_error(np.zeros(0), np.zeros(0), torch.float32) == 0


def test_oracle_applies_the_policy_at_its_edge():
    one = torch.ones(1)
    assert_matches(one + 8 * EPS32 * 0.99, np.ones(1), torch.float32)
    with pytest.raises(AssertionError, match=r"\[float32, forward, rtol=9.54e-07, atol="):
        assert_matches(one + 8 * EPS32 * 2, np.ones(1), torch.float32)
    with pytest.raises(AssertionError, match="int64, forward, exact"):
        assert_matches(torch.tensor([3]), np.array([4]), torch.int64)


def test_terms_beyond_the_range_are_not_compared_but_terms_inside_are():
    """max + max - max: NaN or inf from torch is not judged when the sum of
    |terms| overflows float32; the same NaN with terms in range fails."""
    huge = float(np.finfo(np.float32).max)
    got = torch.tensor([float("nan"), float("inf"), 2.0])
    assert_matches(got, np.array([huge, huge, 2.0]), torch.float32, op="sum", scale=np.array([3 * huge, 3 * huge, 2.0]))
    with pytest.raises(AssertionError, match="NaN where the reference has none"):
        assert_matches(got, np.array([1.0, huge, 2.0]), torch.float32, op="sum", scale=np.array([1.0, 3 * huge, 2.0]))
    with pytest.raises(AssertionError, match="an error beyond"):
        assert_matches(torch.tensor([1.0, 3.0]), np.array([huge, 2.0]), torch.float32, op="sum",
                       scale=np.array([3 * huge, 2.0]))
