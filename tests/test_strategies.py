"""The strategies reach the cases conformance tests rely on (0-d, 0-size,
special values, every layout), keep the NumPy twin equal to the tensor bit
for bit, respect their bounds, and refuse bad arguments with a clear error."""

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from torchconform import dtypes, gradcheck, strategies

pytestmark = pytest.mark.area("strategies")

#: A search budget, not a property run: the default profile's 40 examples would
#: make "reaches" flaky for rarer cases.
SEARCH = settings(max_examples=3000, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))


def reaches(strategy, condition):
    """Hypothesis finds a drawn value meeting ``condition`` (else NoSuchExample fails the test)."""
    return find(strategy, condition, settings=SEARCH)


def _values(dtype, layouts=strategies.LAYOUTS):
    return strategies.tensors(dtype, layouts=layouts)


@pytest.mark.parametrize("what, condition", [
    ("0-d", lambda s: s == ()),
    ("a 0-size dim", lambda s: 0 in s),
    ("4 dims", lambda s: len(s) == 4),
])
def test_shapes_reach(what, condition):
    reaches(strategies.shapes(), condition)


def test_broadcastable_shapes_reach_a_broadcast_of_size_one_against_more():
    reaches(strategies.broadcastable_shapes(2), lambda b: any(
        len(a) == len(c) and any(i == 1 < j for i, j in zip(a, c)) for a, c in [b.input_shapes]))


@given(strategies.broadcastable_shapes(3))
def test_broadcastable_shapes_broadcast_to_their_result(drawn):
    assert np.broadcast_shapes(*drawn.input_shapes) == drawn.result_shape


_SPECIAL = {
    "nan": lambda a: np.isnan(a).any(),
    "+inf": lambda a: np.isposinf(a).any(),
    "-inf": lambda a: np.isneginf(a).any(),
    "-0.0": lambda a: ((a == 0) & np.signbit(a)).any(),
    "subnormal": lambda a: ((a != 0) & (np.abs(a) < np.finfo(a.dtype).tiny)).any(),
}


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64], ids=dtypes.name)
@pytest.mark.parametrize("value", sorted(_SPECIAL))
def test_float_tensors_reach_special_values(dtype, value):
    reaches(_values(dtype), lambda d: d.array.size and _SPECIAL[value](d.array))


def test_bfloat16_reaches_its_own_subnormals_and_extremes():
    info = torch.finfo(torch.bfloat16)
    reaches(_values(torch.bfloat16), lambda d: ((d.array != 0) & (np.abs(d.array) < info.tiny)).any())
    reaches(_values(torch.bfloat16), lambda d: (np.abs(d.array) == info.max).any())


@pytest.mark.parametrize("what, condition", [
    ("non-contiguous", lambda t: t.numel() > 1 and not t.is_contiguous()),
    ("stride 0", lambda t: t.numel() > 1 and 0 in t.stride()),
    ("a storage offset", lambda t: t.storage_offset() > 0),
])
def test_tensors_reach_layout(what, condition):
    reaches(_values(torch.float32), lambda d: condition(d.tensor))


def test_2d_tensors_reach_transposed():
    two_d = strategies.tensors(torch.float32, shape=strategies.shapes(min_dims=2, max_dims=2, min_side=2))
    reaches(two_d, lambda d: d.tensor.stride()[0] == 1 and d.tensor.stride()[1] > 1)


def test_4d_tensors_reach_channels_last():
    four_d = strategies.tensors(torch.float32, shape=strategies.shapes(min_dims=4, min_side=2, max_side=3))
    reaches(four_d, lambda d: d.tensor.is_contiguous(memory_format=torch.channels_last)
            and not d.tensor.is_contiguous())


@pytest.mark.parametrize("kind", ["bool", "int", "float", "complex"])
def test_dtypes_for_reaches_every_supported_dtype_of_a_kind(kind):
    wanted = {d for d in dtypes.supported_dtypes("cpu") if strategies.kind_of(d) == kind}
    for dtype in wanted:
        reaches(strategies.dtypes_for("cpu", kinds=(kind,)), lambda d, dtype=dtype: d == dtype)


def _same_bits(tensor: torch.Tensor, array: np.ndarray) -> bool:
    """Bit for bit (so -0.0 is not 0.0), except NaN payloads, which torch does not promise to keep."""
    got = dtypes.tensor_to_numpy(tensor).reshape(-1)
    want = array.astype(got.dtype).reshape(-1)
    if got.dtype.kind == "c":
        got, want = got.view(got.real.dtype), want.view(got.real.dtype)
    if got.dtype.kind != "f":
        return tensor.shape == array.shape and np.array_equal(got, want)
    nan = np.isnan(got)
    return (tensor.shape == array.shape and np.array_equal(nan, np.isnan(want))
            and np.array_equal(got[~nan].view(np.uint8), want[~nan].view(np.uint8)))


@given(st.data())
def test_the_numpy_twin_holds_exactly_the_tensor_values(data):
    dtype = data.draw(strategies.dtypes_for("cpu"), label="dtype")
    drawn = data.draw(strategies.tensors(dtype), label="drawn")
    assert drawn.tensor.dtype == dtype
    assert _same_bits(drawn.tensor, drawn.array), drawn


@given(strategies.tensors(torch.bfloat16))
def test_bfloat16_values_are_exact_bfloat16s(drawn):
    assert np.array_equal(dtypes.round_to_dtype(drawn.array, torch.bfloat16), drawn.array, equal_nan=True)


@given(strategies.tensors(torch.float32, layouts=["expanded"], shape=strategies.shapes(min_dims=1)))
def test_an_expanded_tensor_is_constant_along_its_stride_0_dim(drawn):
    assert drawn.tensor.numel() <= 1 or drawn.tensor.shape[0] <= 1 or drawn.tensor.stride()[0] == 0
    assert _same_bits(drawn.tensor, drawn.array)


@pytest.mark.parametrize("dtype, domain", [
    (torch.float16, (-2.5, 3.0)), (torch.bfloat16, (-0.25, 0.125)), (torch.float64, (-1e-300, 1e-300)),
    (torch.int8, (-3.5, 1000)), (torch.complex64, (-1, 1)),
    (torch.float32, (0.1, 0.2)),
], ids=lambda v: dtypes.name(v) if isinstance(v, torch.dtype) else str(v))
@given(data=st.data())
def test_elements_stay_in_their_domain(dtype, domain, data):
    value = data.draw(strategies.elements(dtype, domain=domain))
    for part in (value.real, value.imag) if isinstance(value, complex) else (value,):
        assert domain[0] <= part <= domain[1]


def test_a_bound_float32_cannot_hold_moves_inwards():
    low, high = strategies._representable_inward(-0.2, 0.1, 32)
    assert -0.2 <= low and high <= 0.1, (low, high)


@given(strategies.tensors(torch.int8, nonzero=True))
def test_nonzero_leaves_out_zero(drawn):
    assert np.all(drawn.array != 0)


@given(strategies.elements(torch.float32, specials=False))
def test_no_specials_means_finite_and_normal(value):
    assert math.isfinite(value) and (value == 0 or abs(value) >= torch.finfo(torch.float32).tiny)


@pytest.mark.parametrize("make, message", [
    (lambda: strategies.shapes(min_dims=-1), "min_dims=-1: expected a non-negative int"),
    (lambda: strategies.shapes(min_dims=3, max_dims=2), "need 0 <= min_dims <= max_dims"),
    (lambda: strategies.elements(torch.float32, domain=(1.0, -1.0)), "lower bound must not exceed the upper"),
    (lambda: strategies.dtypes_for("cpu", kinds=("quaternion",)), "no dtype of kinds"),
    (lambda: strategies.tensors(torch.float32, layouts=["diagonal"]), "unknown layout 'diagonal'"),
    (lambda: strategies.shapes(min_side=3, max_side=2), "need min_side <= max_side"),
    (lambda: strategies.shapes(max_side=-1), "max_side=-1"),
    (lambda: strategies.shapes(max_dims=2.5), "max_dims=2.5"),
    (lambda: strategies.broadcastable_shapes(0), "num_shapes=0"),
    (lambda: strategies.broadcastable_shapes(2, min_dims=3, max_dims=1), "need 0 <= min_dims <= max_dims"),
    (lambda: strategies.elements("float32"), "dtype='float32': expected a torch.dtype"),
    (lambda: strategies.elements(torch.float32, domain=(0, "1")), "domain=\\(0, '1'\\)"),
    (lambda: strategies.tensors(np.float32), "expected a torch.dtype"),
    (lambda: strategies.tensors(torch.float32, domain=(2.0, 1.0)), "lower bound must not exceed"),
    (lambda: strategies.tensors(torch.float32, shape=(2, -1)), "shape=\\(2, -1\\)"),
    (lambda: strategies.tensors(torch.float32, layouts="contiguous"), "layouts='contiguous'"),
    (lambda: strategies.dtypes_for("cpu", kinds="float"), "kinds='float'"),
    (lambda: gradcheck.smooth_tensors(torch.int64, (2,), "cpu"), "expected a floating-point torch.dtype"),
    (lambda: gradcheck.smooth_tensors(torch.float32, (2,), "cpu", unique=True, layouts=["expanded"]), "layouts=\\[\\]"),
], ids=["negative-dims", "inverted-dims", "inverted-domain", "unknown-kind", "unknown-layout", "inverted-sides",
        "negative-side", "float-dims", "no-shapes", "inverted-broadcast-dims", "dtype-name", "domain-not-numbers",
        "numpy-dtype", "tensors-inverted-domain", "negative-side-in-shape", "layouts-a-string", "kinds-a-string",
        "smooth-integer-dtype", "smooth-no-layout-left"])
def test_bad_arguments_are_refused_clearly_before_any_draw(make, message):
    # No .example(): the error comes when the strategy is built, as in hypothesis.extra.numpy.
    with pytest.raises(InvalidArgument, match=message):
        make()


@pytest.mark.parametrize("requested, shape, recorded", [
    ("transposed", (3,), "contiguous"), ("transposed", (2, 3), "transposed"), ("sliced", (), "contiguous"),
    ("sliced", (2,), "sliced"), ("expanded", (), "contiguous"), ("expanded", (2, 2), "expanded"),
    ("channels_last", (2, 3), "contiguous"), ("channels_last", (1, 2, 2, 2), "channels_last"),
])
def test_drawn_records_the_layout_really_applied(requested, shape, recorded):
    for strategy in (strategies.tensors(torch.float32, shape=shape, layouts=[requested]),
                     gradcheck.smooth_tensors(torch.float32, shape, "cpu", layouts=[requested])):
        drawn = find(strategy, lambda d: True, settings=SEARCH)
        assert drawn.layout == recorded, (requested, shape, drawn)


@given(strategies.tensors(torch.float32))
def test_a_tensor_recorded_as_contiguous_is_contiguous(drawn):
    assert drawn.layout != "contiguous" or drawn.tensor.is_contiguous(), drawn
