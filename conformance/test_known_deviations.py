"""One deterministic example per known deviation (torchconform/deviations.toml).

Each asserts what NumPy computes; deviations.toml turns each into a strict
xfail, so the day torch changes, the run reports XPASS and names the
deviation to retire. The op table leaves the same inputs out of its
property tests, naming the deviation in the report.
"""

import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from torchconform.oracle import assert_matches

pytestmark = [pytest.mark.area("deviations")]


def test_sign_of_nan_is_nan(device):
    x = torch.tensor([float("nan")], device=device)
    assert_matches(torch.sign(x), np.sign(np.array([np.nan])), torch.float32, what="sign(nan)")


def test_fmod_by_a_subnormal_is_exact(device):
    x, y = torch.ones(4, 2, dtype=torch.float64, device=device), torch.tensor(5e-324, dtype=torch.float64)
    assert_matches(torch.fmod(x, y.to(device)), np.fmod(np.ones((4, 2)), 5e-324), torch.float64, what="fmod(1, 5e-324)")


def test_remainder_by_a_subnormal_is_exact(device):
    x, y = torch.ones(4, 2, dtype=torch.float64, device=device), torch.tensor(5e-324, dtype=torch.float64)
    assert_matches(torch.remainder(x, y.to(device)), np.remainder(np.ones((4, 2)), 5e-324), torch.float64,
                   what="remainder(1, 5e-324)")


def test_complex_division_by_a_subnormal(device):
    x = torch.zeros(1, dtype=torch.complex64, device=device)
    y = torch.full((1,), 1e-45j, dtype=torch.complex64, device=device)
    ref_y = np.complex128(np.complex64(1e-45j))
    assert_matches(x / y, np.zeros(1, np.complex128) / ref_y, torch.complex64, what="0 / 1e-45j")


def test_complex_division_of_an_infinite_part(device):
    x, y = complex(math.inf, 5.871561743532032e16), complex(1e-10, 3.4028234663852886e38)
    quotient = torch.tensor([x], device=device) / torch.tensor([y], device=device)
    expected = np.array([x], np.complex64).astype(np.complex128) / np.array([y], np.complex64).astype(np.complex128)
    assert_matches(torch.view_as_real(quotient), np.stack([expected.real, expected.imag], -1), torch.float32,
                   what="(inf+5.9e16j) / (1e-10+3.4e38j)")


def test_complex_division_by_a_huge_divisor(device):
    x, y = 65j, complex(5.874413209229434e34, 3.4028234663852886e38)
    quotient = torch.tensor([x], device=device) / torch.tensor([y], device=device)
    expected = np.array([x], np.complex64).astype(np.complex128) / np.array([y], np.complex64).astype(np.complex128)
    assert_matches(torch.view_as_real(quotient), np.stack([expected.real, expected.imag], -1), torch.float32,
                   what="65j / (5.9e34+3.4e38j)")


def test_erf_of_tiny_bfloat16(device):
    value = 2.0 ** -24
    x = torch.tensor([value], dtype=torch.bfloat16, device=device)
    assert_matches(torch.erf(x), np.array([2 / np.sqrt(np.pi) * value]), torch.bfloat16, what="erf(2**-24) in bfloat16")


def test_complex_product_with_an_infinite_part(device):
    x, y = complex(-5.206593003055281e16, math.inf), complex(-1.7976931348623157e308, 5e-324)
    product = torch.tensor([x], device=device) * torch.tensor([y], device=device)
    expected = np.array([x]) * np.array([y])
    assert_matches(torch.view_as_real(product), np.stack([expected.real, expected.imag], -1), torch.float32, what="complex product")


def test_trunc_division_truncates_the_exact_quotient(device):
    # 32 elements: the vectorised kernel (the scalar one divides in float32 and is right here).
    x = torch.full((32,), 186.875, dtype=torch.float16, device=device)
    y = torch.full((32,), 0.99951171875, dtype=torch.float16, device=device)
    assert_matches(torch.div(x, y, rounding_mode="trunc"), np.trunc(np.full(32, 186.875) / 0.99951171875), torch.float16,
                   what="trunc(186.875 / 0.99951171875) in float16")


def test_addcdiv_of_subnormals_is_exact(device):
    tiny = float(np.float32(1e-45))
    x, y, z = (torch.tensor([v], device=device) for v in (0.0, tiny, -tiny))
    assert_matches(torch.addcdiv(x, y, z, value=-0.5), np.array([0.5]), torch.float32, what="addcdiv(0, 1e-45, -1e-45, value=-0.5)")


def test_complex_sum_with_an_infinite_part_is_componentwise(device):
    x = torch.zeros(1, dtype=torch.complex64, device=device)
    y = torch.tensor([complex(math.inf, 1.0)], dtype=torch.complex64, device=device)
    assert_matches(torch.view_as_real(x + y), np.array([[math.inf, 1.0]]), torch.float32, what="0 + (inf+1j)")


REMAINDER_ZERO_SIGN = '''\
import numpy as np, torch
x, y = torch.tensor([-1.0, 1.0, -2.0]), torch.tensor([1.0, -1.0, 1.0])
print("torch:", torch.remainder(x, y).tolist(), "numpy:", np.remainder(x.numpy(), y.numpy()).tolist())
'''


def test_remainder_zero_has_the_sign_of_the_divisor(device):
    x = torch.tensor([-1.0, 1.0, -2.0], device=device)
    y = torch.tensor([1.0, -1.0, 1.0], device=device)
    assert_matches(torch.remainder(x, y), np.remainder([-1.0, 1.0, -2.0], [1.0, -1.0, 1.0]), torch.float32,
                   what="remainder(-1., 1.) and friends", repro=REMAINDER_ZERO_SIGN)


COMPLEX_NEG_ZERO = '''\
import numpy as np, torch
x = torch.zeros(40, dtype=torch.complex64)
print("torch:", torch.neg(x)[0].item(), "numpy:", -x.numpy()[0])
'''


def test_complex_neg_flips_the_sign_of_zero_parts(device):
    # 40 elements: the vectorised kernel (one element takes the scalar path, which is right).
    x = torch.zeros(40, dtype=torch.complex64, device=device)
    assert_matches(torch.neg(x), -np.zeros(40, np.complex128), torch.complex64, what="neg(0+0j)",
                   repro=COMPLEX_NEG_ZERO)


INT_MIN_TRUNC = '''\
import torch
x = torch.tensor([-2**63])
print(torch.div(x, -1, rounding_mode="trunc"))  # SIGFPE: the process dies here
'''


def test_trunc_division_of_int_min_by_minus_one_wraps(device):
    """Run in a subprocess: on torch 2.13 the call kills the process."""
    script = INT_MIN_TRUNC.replace("torch.tensor([-2**63])", f"torch.tensor([-2**63], device={device!r})")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, (
        f"torch.div(tensor([-2**63]), -1, rounding_mode='trunc') killed the process (exit status "
        f"{run.returncode}); NumPy wraps to -2**63\n--- standalone repro script ---\n{INT_MIN_TRUNC}")
    assert "-9223372036854775808" in run.stdout, run.stdout


LINSPACE_END = '''\
import numpy as np, torch
print("torch:", torch.linspace(1.0, -0.0, 3).tolist(), "numpy:", np.linspace(1.0, -0.0, 3).tolist())
'''


def test_linspace_ends_exactly_at_a_negative_zero_end(device):
    assert_matches(torch.linspace(1.0, -0.0, 3, device=device), np.linspace(1.0, -0.0, 3), torch.float32,
                   what="linspace(1, -0.0, 3)", repro=LINSPACE_END)


PROD_OVERFLOW = '''\
import torch
x = torch.tensor([2.0] * 255 + [0.0], dtype=torch.float16)
print("torch:", torch.prod(x).item(), "exact: 0.0")
'''


def test_product_with_a_zero_is_zero(device):
    x = torch.tensor([2.0] * 255 + [0.0], dtype=torch.float16, device=device)
    assert_matches(torch.prod(x), np.array(0.0), torch.float16, what="prod(255 x 2.0, 0.0) in float16",
                   repro=PROD_OVERFLOW)


def test_angle_of_negative_zero_is_pi(device):
    assert_matches(torch.angle(torch.tensor([-0.0], dtype=torch.float64, device=device)), np.angle(np.array([-0.0])),
                   torch.float64, what="angle(-0.0)")


def test_lgamma_just_below_overflow_is_finite(device):
    x = 2.556348163871691e305
    assert_matches(torch.lgamma(torch.tensor([x], dtype=torch.float64, device=device)), np.array([math.lgamma(x)]),
                   torch.float64, what="lgamma(2.556e305)")


def test_bfloat16_nan_keeps_a_clear_sign_bit(device):
    x = torch.tensor([math.nan], device=device).to(torch.bfloat16)
    assert_matches(torch.signbit(x), np.signbit(np.array([np.nan])), torch.bool, what="signbit(nan) in bfloat16")


def test_round_with_decimals_rounds_the_exact_scaled_value(device):
    x = torch.tensor([512.823486328125], dtype=torch.float32, device=device)
    assert_matches(torch.round(x, decimals=3), np.round(np.array([512.823486328125]) * 1000) / 1000,
                   torch.float32, what="round(512.823486328125, decimals=3) in float32")


def test_logit_clamps_below_one(device):
    x = torch.tensor([1.0], dtype=torch.bfloat16, device=device)
    assert_matches(torch.logit(x, eps=1e-3), np.array([math.log(0.999 / 0.001)]), torch.bfloat16,
                   what="logit(1.0, eps=1e-3) in bfloat16")


def test_sgn_of_a_tiny_complex_is_a_unit(device):
    x = torch.tensor([1e-45j], dtype=torch.complex64, device=device)
    assert_matches(torch.view_as_real(torch.sgn(x)), np.array([[0.0, 1.0]]), torch.float32, what="sgn(1e-45j) in complex64")


def test_ldexp_scales_without_forming_the_power(device):
    x = torch.tensor([0.5, 0.0, 60000.0], dtype=torch.float16, device=device)
    y = torch.tensor([16.0, 16.0, -30.0], dtype=torch.float16, device=device)
    assert_matches(torch.ldexp(x, y), np.ldexp(np.array([0.5, 0.0, 60000.0]), [16, 16, -30]), torch.float16,
                   what="ldexp in float16 with float16 exponents")


def test_float64_to_float16_rounds_once(device):
    x = torch.tensor([21879.999406146555], dtype=torch.float64, device=device)
    # read back in float32 (exact for float16 values), so one float16 ULP is not within a float16 tolerance
    assert_matches(x.half().float(), np.array([21879.999406146555]).astype(np.float16).astype(np.float64),
                   torch.float32, what="float64 21879.999406146555 to float16, read back as float32")


def test_vector_norm_of_tiny_values_is_not_zero(device):
    x = torch.tensor([1.5e-37, 1.5e-37], dtype=torch.float32, device=device)
    assert_matches(torch.linalg.vector_norm(x), np.array(1.5e-37 * math.sqrt(2)), torch.float32,
                   what="2-norm of [1.5e-37, 1.5e-37] in float32")


def test_heaviside_of_nan_is_nan(device):
    x, values = torch.tensor([math.nan], device=device), torch.tensor([0.5], device=device)
    assert_matches(torch.heaviside(x, values), np.heaviside(np.array([np.nan]), 0.5), torch.float32, what="heaviside(nan, 0.5)")


def test_median_along_an_expanded_dim_is_the_median(device):
    # The wrong value comes from uninitialised memory: over a few hundred calls some always show it.
    medians = [torch.median(torch.zeros(1, dtype=torch.uint8, device=device).expand(n), dim=0).values
               for n in range(2, 40) for _ in range(5)]
    assert_matches(torch.stack(medians), np.zeros(len(medians), np.uint8), torch.uint8, what="median(zeros(1).expand(n), dim=0)")


def test_searchsorted_orders_nan_last(device):
    sorted_sequence = torch.tensor([math.nan], dtype=torch.float64, device=device)
    got = torch.searchsorted(sorted_sequence, torch.tensor([0.0], dtype=torch.float64, device=device))
    assert_matches(got, np.searchsorted(np.array([np.nan]), np.array([0.0])), torch.int64, what="searchsorted([nan], 0.0)")


def test_histc_bins_a_value_just_below_an_edge_below_it(device):
    x = torch.tensor([-1e-288], dtype=torch.float64, device=device)
    expected = np.histogram(np.array([-1e-288]), bins=4, range=(-4, 4))[0].astype(np.float64)
    assert_matches(torch.histc(x, bins=4, min=-4, max=4), expected, torch.float64, what="histc(-1e-288, 4, -4, 4)")


def test_python_scalar_divided_by_a_subnormal_tensor(device):
    x = torch.tensor([1e-39, 1e-39], dtype=torch.float32, device=device)
    expected = np.array([1e-30, 0.0]) / np.float64(np.float32(1e-39))
    assert_matches(torch.stack([1e-30 / x[0], 0.0 / x[1]]), expected, torch.float32, what="1e-30 / 1e-39 and 0.0 / 1e-39 in float32")

def test_fft_of_an_empty_batch(device):
    x = torch.ones(2, 0, dtype=torch.complex64, device=device)
    assert_matches(torch.fft.fft(x, dim=0), np.fft.fft(np.ones((2, 0), np.complex128), axis=0),
                   torch.complex64, what="fft(ones(2, 0), dim=0)")


def test_ihfftn_out_over_one_dim(device):
    x = torch.arange(6.0, dtype=torch.float64, device=device).reshape(2, 3)
    out = torch.empty(0, dtype=torch.complex128, device=device)
    torch.fft.ihfftn(x, dim=[1], out=out)
    assert_matches(out, np.fft.ihfft(np.arange(6.0).reshape(2, 3), axis=1), torch.complex128, what="ihfftn(x, dim=[1], out=out)")


@pytest.mark.parametrize("name", ["fftshift", "ifftshift"])
def test_fftshift_over_no_dims(device, name):
    x = torch.arange(3.0, dtype=torch.float64, device=device)
    assert_matches(getattr(torch.fft, name)(x, dim=()), getattr(np.fft, name)(np.arange(3.0), axes=()),
                   torch.float64, what=f"{name}(x, dim=())")


def test_bessel_float64_is_float64_accurate(device):
    x = torch.tensor([5.0, 5.429289, 12.0], dtype=torch.float64, device=device)
    import scipy.special as sc
    assert_matches(torch.special.bessel_y1(x), sc.y1(np.array([5.0, 5.429289, 12.0])), torch.float64, what="bessel_y1(x) in float64")


def test_trigamma_float64_is_float64_accurate(device):
    x = torch.tensor([1.0, 1.13], dtype=torch.float64, device=device)
    import scipy.special as sc
    assert_matches(torch.polygamma(1, x), sc.polygamma(1, np.array([1.0, 1.13])), torch.float64,
                   op="special", what="polygamma(1, x) in float64")


def test_igamma_float64_near_the_diagonal(device):
    a = torch.tensor([20.5, 21.0], dtype=torch.float64, device=device)
    import scipy.special as sc
    assert_matches(torch.igamma(a, a), sc.gammainc(np.array([20.5, 21.0]), np.array([20.5, 21.0])), torch.float64,
                   op="special", scale=np.ones(2), what="igamma(a, a) in float64")


def test_airy_ai_float64_for_negative_x(device):
    x = torch.tensor([-3.0, -2.5, -6.0], dtype=torch.float64, device=device)
    import scipy.special as sc
    assert_matches(torch.special.airy_ai(x), sc.airy(np.array([-3.0, -2.5, -6.0]))[0], torch.float64,
                   op="special_function", what="airy_ai(x) in float64")


def test_ndtr_lower_tail_float32(device):
    x = torch.tensor([-4.0, -6.0], dtype=torch.float32, device=device)
    import scipy.special as sc
    assert_matches(torch.special.ndtr(x), sc.ndtr(np.array([-4.0, -6.0])), torch.float32, op="special_function",
                   what="ndtr([-4, -6]) in float32")


def test_log1p_of_a_subnormal_complex(device):
    z = torch.tensor([1e-45 + 1e-45j], dtype=torch.complex64, device=device)
    assert_matches(torch.log1p(z), np.log1p(np.array([1e-45 + 1e-45j], np.complex64).astype(np.complex128)), torch.complex64,
                   what="log1p(1e-45+1e-45j)")


def test_vander_with_one_column(device):
    x = torch.tensor([1.0, 2.0], dtype=torch.float64, device=device)
    assert_matches(torch.linalg.vander(x, N=1), np.vander(np.array([1.0, 2.0]), 1, increasing=True),
                   torch.float64, what="vander(x, N=1)")


def test_vecdot_broadcasts_two_vectors(device):
    x, y = torch.ones(3, dtype=torch.float64, device=device), torch.ones(1, dtype=torch.float64, device=device)
    assert_matches(torch.linalg.vecdot(x, y), np.sum(np.ones(3) * np.ones(1), axis=-1), torch.float64,
                   what="vecdot(ones(3), ones(1))")


def test_shifted_chebyshev_w_just_below_one(device):
    import scipy.special as sc
    x = np.float32(1) - np.float32(2.0 ** -24)  # 0.99999994, the float32 just below 1
    got = torch.special.shifted_chebyshev_polynomial_w(torch.tensor([x], device=device), 5)
    # W*_n(x) = W_n(2x - 1) = P_n^(1/2,-1/2)(2x - 1) * 4**n / binom(2n, n) (Mason & Handscomb, sec. 1.2.3)
    expected = sc.eval_jacobi(5, 0.5, -0.5, 2 * np.float64(x) - 1) * 4.0 ** 5 / sc.binom(10, 5)
    assert_matches(got, np.array([expected]), torch.float32, op="special_function", scale=np.array([11.0 * 5]),
                   what="shifted_chebyshev_polynomial_w(0.99999994, 5)")


def test_sinc_of_a_subnormal_complex(device):
    z = torch.tensor([1e-45j], dtype=torch.complex64, device=device)
    assert_matches(torch.special.sinc(z), np.sinc(np.array([1e-45j], np.complex64).astype(np.complex128)), torch.complex64,
                   what="sinc(1e-45j)")


@pytest.mark.capability("layout")
def test_kron_accepts_a_size_one_dim_with_any_stride(device):
    x = torch.arange(2.0, device=device).reshape(1, 2).t()                   # (2, 1), strides (1, 2)
    y = torch.arange(8.0, device=device).as_strided((2, 1), (3, 2), 1)       # (2, 1), strides (3, 2)
    expected = np.kron(x.cpu().numpy().astype(np.float64), y.cpu().numpy().astype(np.float64))
    assert_matches(torch.kron(x, y), expected, torch.float32, what="kron of size-1 dims with foreign strides")


def test_gcd_with_int_min_is_positive(device):
    x, y = torch.tensor([5, 6], device=device), torch.tensor([-2**63, -2**63], device=device)
    assert_matches(torch.gcd(x, y), np.gcd(np.array([5, 6]), np.array([-2**63, -2**63])), torch.int64,
                   what="gcd([5, 6], -2**63)")


def test_lcm_that_overflows_wraps_as_numpy(device):
    x, y = torch.tensor([-2**62], device=device), torch.tensor([3], device=device)
    assert_matches(torch.lcm(x, y), np.lcm(np.array([-2**62]), np.array([3])), torch.int64, what="lcm(-2**62, 3)")


LCM_INT_MIN = '''\
import torch
print(torch.lcm(torch.tensor([-2**63]), torch.tensor([5])).tolist())  # SIGFPE: the process dies here
'''


def test_lcm_of_int_min_and_an_odd_number(device):
    """Run in a subprocess: on torch 2.13 the call kills the process."""
    script = LCM_INT_MIN.replace("torch.tensor([-2**63])", f"torch.tensor([-2**63], device={device!r})")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, (
        f"torch.lcm(tensor([-2**63]), tensor([5])) killed the process (exit status {run.returncode}); "
        f"NumPy gives -2**63\n--- standalone repro script ---\n{LCM_INT_MIN}")
    assert run.stdout.strip() == str(np.lcm(np.array([-2**63]), np.array([5])).tolist()), run.stdout


def test_isin_with_transposed_test_elements(device):
    test_elements = torch.arange(6.0, device=device).reshape(2, 3).t()
    assert_matches(torch.isin(torch.tensor(1.0, device=device), test_elements),
                   np.isin(1.0, np.arange(6.0).reshape(2, 3).T), torch.bool, what="isin(1.0, arange(6).reshape(2, 3).t())")


def test_gradient_of_a_uint8_tensor(device):
    x = torch.tensor([0, 3, 1], dtype=torch.uint8, device=device)
    (result,) = torch.gradient(x)
    assert_matches(result, np.gradient(np.array([0, 3, 1], np.uint8)), torch.float32, what="gradient(uint8 [0, 3, 1])")


def test_gradient_of_integers_does_not_wrap(device):
    x = torch.tensor([100, -100, 100], dtype=torch.int8, device=device)
    (result,) = torch.gradient(x)
    assert_matches(result, np.gradient(np.array([100, -100, 100], np.int8)), torch.float32,
                   what="gradient(int8 [100, -100, 100])")


@pytest.mark.capability("indexing")
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["float16", "bfloat16"])
def test_index_reduce_prod_on_half_precision(device, dtype):
    x = torch.full((2, 1), 2.0, dtype=dtype, device=device)
    source = torch.full((2, 1), 3.0, dtype=dtype, device=device)
    result = x.index_reduce(0, torch.tensor([0, 0], device=device), source, "prod")
    assert_matches(result, np.array([[18.0], [2.0]]), dtype, what="index_reduce(prod) on half precision")


def test_fractional_max_pool3d_last_window_may_end_at_the_input_end(device):
    # input 3, kernel 2, output 2: windows start at 0 and 1 (the last at in - k); sample 0 gives the same starts in 3-d
    x = torch.arange(27.0, dtype=torch.float64, device=device).reshape(1, 1, 3, 3, 3)
    samples = torch.zeros(1, 1, 3, dtype=torch.float64, device=device)
    got = torch.nn.functional.fractional_max_pool3d(x, 2, output_size=2, _random_samples=samples)
    plane = np.arange(27.0).reshape(3, 3, 3)
    expected = np.array([[[plane[t:t + 2, h:h + 2, w:w + 2].max() for w in (0, 1)] for h in (0, 1)] for t in (0, 1)])
    assert_matches(got, expected[None, None], torch.float64, what="fractional_max_pool3d(3x3x3, 2, output_size=2)")


def test_pow_mixed_second_derivative_at_zero_exponent(device):
    """d2/dx dy of x**y is x**(y-1) * (1 + y log x): 1 at (1, 0)."""
    x = torch.tensor(1.0, dtype=torch.float64, device=device, requires_grad=True)
    y = torch.tensor(0.0, dtype=torch.float64, device=device, requires_grad=True)
    (dx,) = torch.autograd.grad(torch.pow(x, y), x, create_graph=True)
    (dxy,) = torch.autograd.grad(dx, y)
    assert_matches(dxy, np.array(1.0), torch.float64, kind="gradient", what="d2/dx dy of x**y at (1, 0)")
