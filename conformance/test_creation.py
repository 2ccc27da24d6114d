"""Tensor creation against NumPy: dtype inference of ``torch.tensor`` and
``full``, ``zeros``/``ones``/``full``/``empty`` and their ``_like`` forms
(with dtype override), ``arange``, ``linspace``, ``logspace`` (with
``base``), ``eye`` (n x m); and random creation: shape, dtype, range and
distribution of ``rand``/``randn``/``randint``/``randperm``/``bernoulli``/
``normal`` and the ``_like`` forms, and ``manual_seed`` reproducibility.

Distribution tests
------------------
The random creators and samplers (``Tensor.normal_``, ``exponential_``,
``torch.poisson``, ``multinomial``, ...) are checked against scipy.stats
distributions by :func:`torchconform.distribution.assert_distribution`: a
seeded goodness-of-fit test at a fixed significance level; its module docstring gives
the false-alarm rate of a correct sampler on another random stream.
"""

import contextlib
import math

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from scipy import stats

from torchconform import compat, dtypes, record
from torchconform.distribution import N, SEED, assert_distribution, generator
from torchconform.dtypes import tensor_to_numpy
from torchconform.oracle import assert_device_matches_cpu, assert_matches
from torchconform.strategies import dtypes_for, elements, shapes, tensors

pytestmark = pytest.mark.area("creation")

FLOAT_DEVIATION = "python-float-data-gives-default-dtype"


def inferred_dtype(numpy_dtype) -> torch.dtype:
    """NumPy's inferred dtype for Python data, as torch's counterpart. Python
    floats and complexes make float64/complex128 in NumPy and the default
    dtype (float32/complex64) in torch, by design: that is the known
    deviation ``python-float-data-gives-default-dtype``, recorded when met."""
    np_to_torch = {np.dtype(dtypes.to_numpy(d)): d for d in dtypes.ALL_DTYPES if d != torch.bfloat16}
    dtype = np_to_torch[np.dtype(numpy_dtype)]
    if dtype in (torch.float64, torch.complex128):
        record.note("deviation", FLOAT_DEVIATION)
        return torch.get_default_dtype() if dtype == torch.float64 else torch.complex64
    return dtype


def python_scalars(kinds):
    """Python values of the given kinds ("bool", "int", "float", "complex"):
    ints within int64 (beyond it NumPy makes object arrays), finite floats
    within float32's range (beyond it the default-dtype deviation decides:
    ``full`` refuses the value, ``tensor`` makes inf), nan and inf."""
    f32_max = float(np.finfo(np.float32).max)
    by_kind = {
        "bool": st.booleans(),
        "int": st.integers(-2**63, 2**63 - 1),
        "float": st.floats(-f32_max, f32_max) | st.sampled_from([math.nan, math.inf, -math.inf]),
        "complex": st.complex_numbers(allow_nan=False, allow_infinity=False, max_magnitude=1e30),
    }
    return st.one_of(*(by_kind[k] for k in kinds))


@st.composite
def nested_python_data(draw):
    """A nested list (or a bare scalar) of Python values of 1-3 kinds."""
    kinds = draw(st.lists(st.sampled_from(["bool", "int", "float", "complex"]), min_size=1, max_size=3,
                          unique=True), label="kinds")
    shape = draw(shapes(max_dims=3), label="shape")
    flat = draw(st.lists(python_scalars(kinds), min_size=math.prod(shape), max_size=math.prod(shape)))
    return np.array(flat, dtype=object).reshape(shape).tolist()


# -- dtype inference -----------------------------------------------------------------------------

@pytest.mark.capability("dtype")
@given(data=nested_python_data())
def test_tensor_infers_dtype_and_values_like_numpy(device, data):
    expected = np.array(data)
    t = torch.tensor(data, device=device)
    assert t.dtype == inferred_dtype(expected.dtype), f"torch.tensor({data!r}).dtype is {t.dtype}"
    want = inferred_dtype(expected.dtype)
    assert_matches(t, expected.astype(dtypes.reference_dtype(want)), want, what=f"torch.tensor({data!r})")


@pytest.mark.capability("dtype")
@given(value=python_scalars(["bool", "int", "float", "complex"]), shape=shapes(max_dims=2))
def test_full_infers_dtype_from_fill_value_like_numpy(device, value, shape):
    expected = np.full(shape, value)
    t = torch.full(shape, value, device=device)
    assert t.dtype == inferred_dtype(expected.dtype), f"torch.full(.., {value!r}).dtype is {t.dtype}"
    want = inferred_dtype(expected.dtype)
    assert_matches(t, expected.astype(dtypes.reference_dtype(want)), want, what=f"full({shape}, {value!r})")


def test_tensor_of_python_floats_is_float64_like_numpy(device):
    """Known deviation ``python-float-data-gives-default-dtype``: NumPy makes
    float64 from Python floats; torch makes ``torch.get_default_dtype()``
    (float32 unless changed), by design, for tensor(), full(), arange() and
    an empty list alike."""
    assert torch.tensor([1.5, 2.0], device=device).dtype == torch.float64


# -- filled creation -----------------------------------------------------------------------------

FILLED = {
    "zeros": (lambda shape, dtype, device, value: torch.zeros(shape, dtype=dtype, device=device),
              lambda shape, carrier, value: np.zeros(shape, carrier)),
    "ones": (lambda shape, dtype, device, value: torch.ones(shape, dtype=dtype, device=device),
             lambda shape, carrier, value: np.ones(shape, carrier)),
    "full": (lambda shape, dtype, device, value: torch.full(shape, value, dtype=dtype, device=device),
             lambda shape, carrier, value: np.full(shape, value, carrier)),
}
LIKE = {
    "zeros": lambda src, dtype, value: torch.zeros_like(src, dtype=dtype),
    "ones": lambda src, dtype, value: torch.ones_like(src, dtype=dtype),
    "full": lambda src, dtype, value: torch.full_like(src, value, dtype=dtype),
}


@pytest.mark.capability("forward")
@pytest.mark.parametrize("kind", FILLED)
@given(data=st.data())
def test_filled_creation_matches_numpy(kind, device, data):
    make, reference = FILLED[kind]
    dtype = data.draw(dtypes_for(device), label="dtype")
    shape = data.draw(shapes(), label="shape")
    value = data.draw(elements(dtype), label="value")
    t = make(shape, dtype, device, value)
    assert t.device.type == torch.device(device).type
    assert_matches(t, reference(shape, dtypes.reference_dtype(dtype), value), dtype, what=f"{kind}({shape}, dtype={dtype})")


@pytest.mark.capability("forward")
@given(data=st.data())
def test_empty_has_shape_dtype_and_device(device, data):
    dtype = data.draw(dtypes_for(device), label="dtype")
    shape = data.draw(shapes(), label="shape")
    t = torch.empty(shape, dtype=dtype, device=device)
    assert (tuple(t.shape), t.dtype, t.device.type) == (shape, dtype, torch.device(device).type)
    assert t.is_contiguous()


@pytest.mark.capability("forward")
@pytest.mark.parametrize("kind", [*LIKE, "empty"])
@given(data=st.data())
def test_like_forms_keep_shape_and_override_dtype(kind, device, data):
    src_dtype = data.draw(dtypes_for(device), label="source dtype")
    src = data.draw(tensors(src_dtype, device=device), label="source")
    override = data.draw(st.none() | dtypes_for(device), label="dtype override")
    dtype = override or src_dtype
    if kind == "empty":
        t = torch.empty_like(src.tensor, dtype=override)
    else:
        value = data.draw(elements(dtype), label="value")
        t = LIKE[kind](src.tensor, override, value)
        _, reference = FILLED[kind]
        assert_matches(t, reference(src.array.shape, dtypes.reference_dtype(dtype), value), dtype, what=f"{kind}_like")
    assert (tuple(t.shape), t.dtype, t.device) == (src.array.shape, dtype, src.tensor.device)


@pytest.mark.capability("layout")
def test_like_forms_keep_a_dense_layout_like_numpy(device):
    # preserve_format (torch) and order="K" (NumPy) both keep a transposed layout.
    t = torch.empty(3, 4, device=device).t()
    assert torch.empty_like(t).stride() == tuple(s // 8 for s in np.empty_like(np.empty((3, 4)).T).strides)


# -- ranges and eye ------------------------------------------------------------------------------

@pytest.mark.capability("forward")
@given(start=st.integers(-20, 20), length=st.integers(-20, 20), step=st.integers(1, 7))
def test_arange_of_ints_matches_numpy(device, start, length, step):
    # The step's sign follows the direction: see the deviation example below.
    step, end = (step if length >= 0 else -step), start + length
    t = torch.arange(start, end, step, device=device)
    assert_matches(t, np.arange(start, end, step), torch.int64, what=f"arange({start}, {end}, {step})")


def test_arange_against_its_step_is_empty_like_numpy(device):
    """Known deviation ``arange-step-against-direction-raises``: NumPy returns
    an empty array when the step points away from ``end``
    (``arange(0, -1, 1)``); torch raises RuntimeError ("upper bound and lower
    bound inconsistent with step sign"), by design."""
    assert_matches(torch.arange(0, -1, 1, device=device), np.arange(0, -1, 1), torch.int64, what="arange(0, -1, 1)")


@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=dtypes.name)
@given(start=st.floats(-50, 50), length=st.floats(-50, 50), step=st.floats(0.125, 8))
def test_arange_of_floats_matches_numpy(dtype, device, start, length, step):
    step = math.copysign(step, length)
    end = start + length
    t = torch.arange(start, end, step, dtype=dtype, device=device)
    expected = np.arange(start, end, step)
    # start + i*step: the error is relative to its terms, not to the result.
    scale = abs(start) + np.abs(step * np.arange(expected.size))
    assert_matches(t, expected, dtype, op="linspace", scale=scale, what=f"arange({start}, {end}, {step})")


LINSPACE_DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64]


@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", LINSPACE_DTYPES, ids=dtypes.name)
@given(start=st.floats(-1000, 1000), end=st.floats(-1000, 1000), steps=st.integers(0, 40))
def test_linspace_matches_numpy(dtype, device, start, end, steps):
    t = torch.linspace(start, end, steps, dtype=dtype, device=device)
    expected = np.linspace(start, end, steps)
    if steps > 1 and end == 0 and math.copysign(1, end) < 0 and start > 0:
        # Known deviation linspace-end-loses-negative-zero (see its example test).
        record.note("deviation", "linspace-end-loses-negative-zero")
        expected[-1] = 0.0
    scale = np.full(steps, max(abs(start), abs(end)))
    assert_matches(t, expected, dtype, op="linspace", scale=scale, what=f"linspace({start}, {end}, {steps})")
    if t.device.type != "cpu":
        # With the same scale as above: near zero, devices differ by ULPs of the ends, not of the value.
        on_cpu = tensor_to_numpy(torch.linspace(start, end, steps, dtype=dtype)).astype(np.float64)
        assert_matches(t, on_cpu, dtype, op="linspace", scale=scale, what=f"linspace on {t.device} vs cpu")


@pytest.mark.capability("forward")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=dtypes.name)
@given(start=st.floats(-5, 5), end=st.floats(-5, 5), steps=st.integers(0, 30),
       base=st.sampled_from([2.0, math.e, 10.0]) | st.floats(0.5, 10))
def test_logspace_with_base_matches_numpy(dtype, device, start, end, steps, base):
    t = torch.logspace(start, end, steps, base=base, dtype=dtype, device=device)
    expected = np.logspace(start, end, steps, base=base)
    assert_matches(t, expected, dtype, op="logspace", what=f"logspace({start}, {end}, {steps}, base={base})")
    assert_device_matches_cpu(t, torch.logspace(start, end, steps, base=base, dtype=dtype), op="logspace")


@pytest.mark.capability("forward")
@given(data=st.data(), n=st.integers(0, 6), m=st.none() | st.integers(0, 6))
def test_eye_matches_numpy_eye(device, data, n, m):
    dtype = data.draw(dtypes_for(device), label="dtype")
    t = torch.eye(n, dtype=dtype, device=device) if m is None else torch.eye(n, m, dtype=dtype, device=device)
    assert_matches(t, np.eye(n, m, dtype=dtypes.reference_dtype(dtype)), dtype, what=f"eye({n}, {m})")


# -- random creation: shape, dtype, range -------------------------------------------------------

FLOATS = ["float16", "bfloat16", "float32", "float64"]
COMPLEX = ["complex64", "complex128"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]


def in_unit_interval(a):
    parts = (a.real, a.imag) if np.iscomplexobj(a) else (a,)
    return all(np.all((p >= 0) & (p < 1)) for p in parts)


def integral_in(low, high):
    return lambda a: bool(np.all((a >= low) & (a < high) & (a == np.floor(a))))


def finite(a):
    return bool(np.all(np.isfinite(a)))


#: name -> (call(shape, dtype, device, generator), dtypes it supports, range predicate on the NumPy result)
RANDOM = {
    "rand": (lambda s, d, dev, g: torch.rand(s, dtype=d, device=dev, generator=g), FLOATS + COMPLEX,
             in_unit_interval),
    "rand_like": (lambda s, d, dev, g: torch.rand_like(torch.empty(s, device=dev), dtype=d, generator=g),
                  FLOATS + COMPLEX, in_unit_interval),
    "randn": (lambda s, d, dev, g: torch.randn(s, dtype=d, device=dev, generator=g), FLOATS + COMPLEX, finite),
    "randn_like": (lambda s, d, dev, g: torch.randn_like(torch.empty(s, device=dev), dtype=d, generator=g),
                   FLOATS + COMPLEX, finite),
    "randint": (lambda s, d, dev, g: torch.randint(2, 9, s, dtype=d, device=dev, generator=g), INTS + FLOATS,
                integral_in(2, 9)),
    "randint_like": (lambda s, d, dev, g: torch.randint_like(torch.empty(s, device=dev), 2, 9, dtype=d,
                                                             generator=g), INTS + FLOATS, integral_in(2, 9)),
    "normal": (lambda s, d, dev, g: torch.normal(2.0, 3.0, s, dtype=d, device=dev, generator=g), FLOATS + COMPLEX,
               finite),
    "bernoulli": (lambda s, d, dev, g: torch.bernoulli(torch.full(s, 0.5, dtype=d, device=dev), generator=g),
                  FLOATS, lambda a: bool(np.all((a == 0) | (a == 1)))),
}


def require_api(name, device):
    """Skip, with the reason, where this torch lacks the API the ``name`` call uses
    (the *_like creators' ``generator=`` is new in torch 2.5)."""
    if f"{name}-generator" in compat.FEATURES:
        compat.require(f"{name}-generator", device)


def supported(names, device):
    return [dtypes.from_name(n) for n in names if dtypes.from_name(n) in dtypes.supported_dtypes(device)]


@pytest.mark.capability("random")
@pytest.mark.parametrize("name", RANDOM)
@given(data=st.data())
def test_random_creation_has_shape_dtype_and_range(name, device, data):
    require_api(name, device)
    call, names, in_range = RANDOM[name]
    shape = data.draw(shapes(max_dims=3), label="shape")
    dtype = data.draw(st.sampled_from(supported(names, device)), label="dtype")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    t = call(shape, dtype, device, generator(device, seed))
    assert (tuple(t.shape), t.dtype, t.device.type) == (shape, dtype, torch.device(device).type)
    values = tensor_to_numpy(t)
    assert in_range(values), f"{name} gave values out of range: {values!r}"


@pytest.mark.capability("random")
@given(data=st.data(), n=st.integers(0, 100))
def test_randperm_is_a_permutation(device, data, n):
    dtype = data.draw(st.sampled_from(supported(INTS[1:] + FLOATS, device)), label="dtype")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    t = torch.randperm(n, dtype=dtype, device=device, generator=generator(device, seed))
    assert t.dtype == dtype
    assert_matches(torch.sort(t).values, np.arange(n), dtype, what=f"sorted(randperm({n}))")


@pytest.mark.capability("random")
@given(data=st.data())
def test_bernoulli_follows_certain_probabilities(device, data):
    # p = 0 and p = 1 leave no room for chance: the draw must equal p.
    p = data.draw(tensors(torch.float32, device=device, domain=(0.0, 1.0)), label="p").tensor
    certain = (p == 0) | (p == 1)
    t = torch.bernoulli(p, generator=generator(device))
    # A draw is a count, 0 or 1: p = -0.0 gives +0 (adding 0.0 turns -0.0 into +0.0).
    assert_matches(t[certain], tensor_to_numpy(p[certain]) + 0.0, torch.float32, what="bernoulli where p is 0 or 1")


# -- random creation: distributions (see the module docstring for the false-alarm rate) ---------

@pytest.mark.capability("distribution")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=dtypes.name)
@pytest.mark.parametrize("form", ["rand", "rand_like"])
def test_rand_is_uniform_on_the_unit_interval(form, dtype, device):
    require_api(form, device)
    assert_distribution(RANDOM[form][0]((N,), dtype, device, generator(device)), stats.uniform(), what=form)


@pytest.mark.capability("distribution")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=dtypes.name)
@pytest.mark.parametrize("form", ["randn", "randn_like"])
def test_randn_is_standard_normal(form, dtype, device):
    require_api(form, device)
    assert_distribution(RANDOM[form][0]((N,), dtype, device, generator(device)), stats.norm(), what=form)


@pytest.mark.capability("distribution")
def test_normal_with_scalars_has_the_requested_mean_and_std(device):
    x = torch.normal(2.0, 3.0, (N,), device=device, generator=generator(device))
    assert_distribution(x, stats.norm(2.0, 3.0), what="normal(2, 3)")


@pytest.mark.capability("distribution")
def test_normal_with_tensors_uses_each_mean_and_std(device):
    mean = torch.linspace(-5, 5, N, device=device)
    std = torch.linspace(0.5, 4, N, device=device)
    m, s = tensor_to_numpy(mean).astype(np.float64), tensor_to_numpy(std).astype(np.float64)
    assert_distribution(torch.normal(mean, std, generator=generator(device)), stats.norm(),
                        transform=lambda x: (x - m) / s, what="normal(mean tensor, std tensor), standardised")


@pytest.mark.capability("distribution")
@pytest.mark.parametrize("form", ["randint", "randint_like"])
def test_randint_is_uniform_over_its_range(form, device):
    require_api(form, device)
    x = RANDOM[form][0]((N,), torch.int64, device, generator(device))
    assert_distribution(x, stats.randint(2, 9), what=f"{form}(2, 9)")


@pytest.mark.capability("distribution")
def test_randperm_puts_each_element_first_equally_often(device):
    g = generator(device)
    firsts = torch.stack([torch.randperm(6, device=device, generator=g)[0] for _ in range(N // 4)])
    assert_distribution(firsts, stats.randint(0, 6), what="randperm(6)[0]")


@pytest.mark.capability("distribution")
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_bernoulli_frequency_matches_p(p, device):
    x = torch.bernoulli(torch.full((N,), p, device=device), generator=generator(device))
    assert_distribution(x, stats.bernoulli(p), what=f"bernoulli({p})")


def _fresh(dtype, device):
    return torch.empty(N, dtype=dtype, device=device)


_FOUR_WEIGHTS = np.array([1.0, 2.0, 3.0, 4.0])

#: Samplers and the scipy.stats distribution each documents (torch.Tensor.* and torch.* docs).
SAMPLERS = {
    "Tensor.normal_": (lambda d, dev, g: _fresh(d, dev).normal_(2.0, 3.0, generator=g), stats.norm(2.0, 3.0)),
    "Tensor.uniform_": (lambda d, dev, g: _fresh(d, dev).uniform_(-1.0, 3.0, generator=g), stats.uniform(-1.0, 4.0)),
    "Tensor.cauchy_": (lambda d, dev, g: _fresh(d, dev).cauchy_(1.0, 2.0, generator=g), stats.cauchy(1.0, 2.0)),
    "Tensor.exponential_": (lambda d, dev, g: _fresh(d, dev).exponential_(1.5, generator=g),
                            stats.expon(scale=1 / 1.5)),
    # log_normal_(mean, std): exp of N(mean, std), scipy's lognorm(s=std, scale=exp(mean)).
    "Tensor.log_normal_": (lambda d, dev, g: _fresh(d, dev).log_normal_(0.5, 0.75, generator=g),
                           stats.lognorm(0.75, scale=math.exp(0.5))),
    # geometric_(p): trials up to and including the first success, support 1, 2, ... (scipy's geom).
    "Tensor.geometric_": (lambda d, dev, g: _fresh(d, dev).geometric_(0.3, generator=g), stats.geom(0.3)),
    "Tensor.random_": (lambda d, dev, g: _fresh(d, dev).random_(2, 9, generator=g), stats.randint(2, 9)),
    "binomial": (lambda d, dev, g: torch.binomial(torch.full((N,), 10.0, dtype=d, device=dev),
                                                  torch.full((N,), 0.3, dtype=d, device=dev), generator=g),
                 stats.binom(10, 0.3)),
    "poisson": (lambda d, dev, g: torch.poisson(torch.full((N,), 3.5, dtype=d, device=dev), generator=g),
                stats.poisson(3.5)),
    "multinomial": (lambda d, dev, g: torch.multinomial(torch.tensor(_FOUR_WEIGHTS, dtype=d, device=dev), N,
                                                        replacement=True, generator=g),
                    stats.rv_discrete(values=(np.arange(4), _FOUR_WEIGHTS / _FOUR_WEIGHTS.sum()))()),
}


@pytest.mark.capability("distribution")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=dtypes.name)
@pytest.mark.parametrize("op", list(SAMPLERS))
def test_sampler_follows_its_distribution(op, dtype, device):
    sample, dist = SAMPLERS[op]
    assert_distribution(sample(dtype, device, generator(device)), dist, what=f"{op} on {dtypes.name(dtype)}")


# -- reproducibility -----------------------------------------------------------------------------

@contextlib.contextmanager
def isolated_global_rng(device):
    """Leave the global generators as they were (other tests draw from them)."""
    kind = torch.device(device).type
    with torch.random.fork_rng(devices=[] if kind == "cpu" else [torch.device(device).index or 0],
                               device_type=kind):
        yield


@pytest.mark.capability("random")
@pytest.mark.parametrize("name", [*RANDOM, "randperm"])
def test_manual_seed_reproduces_the_draw(name, device):
    require_api(name, device)
    def draw():
        if name == "randperm":
            return torch.randperm(50, device=device)
        return RANDOM[name][0]((50,), torch.float32, device, None)

    with isolated_global_rng(device):
        torch.manual_seed(SEED)
        first = draw()
        torch.manual_seed(SEED)
        again = draw()
        torch.manual_seed(SEED + 1)
        other = draw()
    assert torch.equal(first, again), f"{name}: the same seed gave different draws"
    assert not torch.equal(first, other), f"{name}: different seeds gave the same 50 draws"


@pytest.mark.capability("random")
def test_generator_objects_are_independent_of_the_global_seed(device):
    with isolated_global_rng(device):
        a = torch.rand(20, device=device, generator=generator(device))
        torch.manual_seed(0)
        b = torch.rand(20, device=device, generator=generator(device))
    assert torch.equal(a, b), "a seeded Generator must not depend on the global seed"
