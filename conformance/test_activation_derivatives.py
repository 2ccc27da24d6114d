"""Activations and stable-formula functions in their tails and on their
kinks, at every derivative order (issue 14, items 4 and 5).

For each function the value and its first three derivatives are compared
with the stable closed forms of ``torchconform.references.activations``
(themselves checked against mpmath in tests/), at inputs that reach
``|x| = 1e3`` in float32 and float64 and land exactly on kinks, by every
route autograd offers:

* reverse mode: ``autograd.grad(..., create_graph=True)`` nested to order 3;
* forward mode: ``torch.func.jvp`` nested to order 3;
* forward-over-reverse: ``torch.func.jvp`` of ``torch.func.grad`` (orders 2 and 3),
  which must agree with reverse-over-reverse through the same reference;
* ``torch.func.vmap`` of nested ``torch.func.grad`` over the elements (a batch
  equal to a loop of scalar derivatives).

Elementwise functions get a tangent ``v`` and a cotangent ``w`` per element,
so the routes give ``w v**(k-1) f^(k)`` (reverse) and ``v**k f^(k)``
(forward) elementwise. Along a dimension (softmax, log_softmax, logsumexp)
they are directional derivatives (see the reference's docstrings).

The error allowed is relative to the true derivative (the gradient policy),
not to the terms of a cancelling formula: where torch computes a derivative
from a saturated output (``y (1 - y)`` for sigmoid at x = 40 is 0, the true
value 4.2e-18) the elements are a known deviation, left out of the property
test with the deviation noted, and shown by an example that fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
import torch
import torch.func as tf
import torch.nn.functional as F
from hypothesis import given, strategies as st
from scipy import special

from torchconform import dtypes, oracle, record, repro
from torchconform.references import activations as act
from torchconform.tolerances import tolerance

pytestmark = [pytest.mark.area("autograd"), pytest.mark.capability("gradgrad")]

DTYPES = [torch.float32, torch.float64]
ORDERS = (1, 2, 3)


@dataclass(frozen=True)
class Deviation:
    """A known deviation at some derivative orders (0: the value), on the
    elements ``where(x, params, dtype, kind)`` selects."""

    id: str
    orders: tuple[int, ...]
    where: Callable[..., np.ndarray]


def saturated(small: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """Elements where torch's formula takes 1 minus a saturated output:
    ``1 - y`` carries an absolute error of about eps, a relative error of
    eps / ``small`` on the true ``small = 1 - y``; select those where 8 times
    that exceeds the tolerance of the comparison."""
    def where(x, params, dtype, kind):
        cutoff = 8 * torch.finfo(dtype).eps / tolerance(dtype, kind=kind).rtol
        with np.errstate(over="ignore", under="ignore"):
            return small(x, **params) < cutoff
    return where


def at_kinks_where(condition: Callable[[dict], bool], points: Callable[[dict], tuple[float, ...]]):
    """The kink ``points`` themselves, for parameters where ``condition`` holds."""
    def where(x, params, dtype, kind):
        if not condition(params):
            return np.zeros(x.shape, bool)
        return np.isin(x, points(params))
    return where


@dataclass(frozen=True)
class Elementwise:
    torch_fn: Callable[..., torch.Tensor]
    reference: Callable[..., tuple[list[np.ndarray], list[np.ndarray]]]
    params: st.SearchStrategy = st.just({})
    kinks: Callable[[dict], tuple[float, ...]] = lambda params: ()
    deviations: tuple[Deviation, ...] = ()
    #: derivatives beyond this order raise in torch (a known deviation, named)
    max_order: tuple[int, str | None] = (3, None)
    #: a factor the function is computed from (the sigmoid in x sigmoid(x)):
    #: where it is below the dtype's smallest normal it has lost its precision
    #: to underflow, which the policy forgives (see tolerances: atol), so those
    #: elements are left out
    factor: Callable[[np.ndarray], np.ndarray] | None = None
    #: the orders computed from ``factor`` (the others keep every element)
    factor_orders: tuple[int, ...] = (0, *ORDERS)


def _sigmoid_minus(x, **_):
    return special.expit(-x)


def _softplus_minus(x, beta=1.0, threshold=20.0):
    z = beta * x
    return np.where(z > threshold, 1.0, special.expit(-z))  # the linear part is exact


def _sigmoid_product(x):
    # the derivatives of the sigmoid family are multiples of sigmoid(x) sigmoid(-x), about the
    # smaller factor: subnormal beyond |x| = 708.4 in float64
    return act.logistic(-np.abs(x))


def _sech2(x):
    return 4 * act.logistic(2 * x) * act.logistic(-2 * x)


def _gelu_tanh_h(x):
    return 2 * np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)


SIGMOID_FROM_OUTPUT = "sigmoid-derivative-from-saturated-output"
TANH_FROM_OUTPUT = "tanh-derivative-from-saturated-output"
GELU_CDF = "gelu-cdf-cancels-in-the-left-tail"
ELU_KINK = "elu-kink-gradient-not-minimum-norm"
HARDSIGMOID_ORDER = "hardsigmoid-no-second-derivative"
HARDSIGMOID_SLOPE = "hardsigmoid-float64-slope-in-float32"
BCE_SMALL_LOSS = "bce-with-logits-small-loss-cancels"


def _bce_loss_term(x, target, pos_weight):
    # the size of the loss where the target is 0 or 1: sigmoid(x) or sigmoid(-x) (else no cancellation)
    return np.where(target == 0, special.expit(x), np.where(target == 1, special.expit(-x), 1.0))


def _hardsigmoid_slope_rounded(x, params, dtype, kind):
    # the slope 1/6 between the kinks, rounded to float32 in a float64 backward
    return (dtype == torch.float64) & (x > -3) & (x < 3)

ELEMENTWISE: dict[str, Elementwise] = {
    "sigmoid": Elementwise(torch.sigmoid, act.sigmoid,
                           deviations=(Deviation(SIGMOID_FROM_OUTPUT, ORDERS, saturated(_sigmoid_minus)),),
                           factor=_sigmoid_product, factor_orders=ORDERS),
    "logsigmoid": Elementwise(F.logsigmoid, act.logsigmoid,
                              deviations=(Deviation(SIGMOID_FROM_OUTPUT, (2, 3), saturated(_sigmoid_minus)),),
                              factor=_sigmoid_product, factor_orders=(2, 3)),
    "softplus": Elementwise(
        F.softplus, act.softplus,
        st.fixed_dictionaries({"beta": st.sampled_from([1.0, 2.0, 0.5]), "threshold": st.sampled_from([20.0, 5.0])}),
        kinks=lambda p: (p["threshold"] / p["beta"],),
        deviations=(Deviation(SIGMOID_FROM_OUTPUT, (2, 3), saturated(_softplus_minus)),)),
    "tanh": Elementwise(torch.tanh, act.tanh, deviations=(Deviation(TANH_FROM_OUTPUT, ORDERS, saturated(_sech2)),),
                        factor=_sech2, factor_orders=ORDERS),  # multiples of sech(x)**2, subnormal beyond 354
    "silu": Elementwise(F.silu, act.silu,
                        deviations=(Deviation(SIGMOID_FROM_OUTPUT, (2, 3), saturated(_sigmoid_minus)),),
                        factor=special.expit),
    "mish": Elementwise(F.mish, act.mish,
                        deviations=(Deviation(TANH_FROM_OUTPUT, (2, 3),
                                              saturated(lambda x: _sech2(act.softplus(x)[0][0]))),),
                        factor=special.expit),
    "gelu": Elementwise(F.gelu, act.gelu,
                        deviations=(Deviation(GELU_CDF, (0, 1), saturated(lambda x: special.ndtr(x))),),
                        factor=special.ndtr),
    "gelu_tanh": Elementwise(
        lambda t: F.gelu(t, approximate="tanh"), lambda x: act.gelu(x, "tanh"),
        deviations=(Deviation(GELU_CDF, (0, 1, 2, 3), saturated(lambda x: special.expit(_gelu_tanh_h(x)))),
                    Deviation(TANH_FROM_OUTPUT, ORDERS, saturated(lambda x: _sech2(_gelu_tanh_h(x) / 2)))),
        factor=lambda x: special.expit(_gelu_tanh_h(x))),
    "elu": Elementwise(F.elu, act.elu, st.fixed_dictionaries({"alpha": st.sampled_from([1.0, 0.5, 2.0])}),
                       kinks=lambda p: (0.0,),
                       deviations=(Deviation(ELU_KINK, (1,), at_kinks_where(lambda p: p["alpha"] > 1,
                                                                             lambda p: (0.0,))),)),
    "selu": Elementwise(F.selu, act.selu, kinks=lambda p: (0.0,),
                        deviations=(Deviation(ELU_KINK, (1,), at_kinks_where(lambda p: True, lambda p: (0.0,))),)),
    "celu": Elementwise(F.celu, act.celu, st.fixed_dictionaries({"alpha": st.sampled_from([1.0, 0.5, 2.0])}),
                        kinks=lambda p: (0.0,)),
    "hardswish": Elementwise(F.hardswish, act.hardswish, kinks=lambda p: (-3.0, 3.0)),
    "hardsigmoid": Elementwise(F.hardsigmoid, act.hardsigmoid, kinks=lambda p: (-3.0, 3.0),
                               deviations=(Deviation(HARDSIGMOID_SLOPE, (1,), _hardsigmoid_slope_rounded),),
                               max_order=(1, HARDSIGMOID_ORDER)),
    "hardtanh": Elementwise(
        F.hardtanh, act.hardtanh,
        st.sampled_from([(-1.0, 1.0), (-2.0, 0.5), (0.0, 6.0)]).map(lambda b: {"min_val": b[0], "max_val": b[1]}),
        kinks=lambda p: (p["min_val"], p["max_val"])),
    "relu": Elementwise(F.relu, act.relu, kinks=lambda p: (0.0,)),
    # the unreduced loss as a function of the logit, for a target y and pos_weight
    "binary_cross_entropy_with_logits": Elementwise(
        lambda t, target, pos_weight: F.binary_cross_entropy_with_logits(
            t, torch.full_like(t, target), pos_weight=torch.tensor(pos_weight, dtype=t.dtype), reduction="none"),
        lambda x, target, pos_weight: act.bce_with_logits(x, np.full_like(x, target), pos_weight),
        st.fixed_dictionaries({"target": st.sampled_from([0.0, 1.0, 0.25]), "pos_weight": st.sampled_from([1.0, 3.0])}),
        deviations=(Deviation(BCE_SMALL_LOSS, (0, 1), saturated(_bce_loss_term)),
                    Deviation(SIGMOID_FROM_OUTPUT, (2, 3), saturated(_sigmoid_minus))),
        factor=_sigmoid_product, factor_orders=ORDERS),
    "relu6": Elementwise(F.relu6, act.relu6, kinks=lambda p: (0.0, 6.0)),
    "softshrink": Elementwise(F.softshrink, act.softshrink,
                              st.fixed_dictionaries({"lambd": st.sampled_from([0.5, 2.0])}),
                              kinks=lambda p: (-p["lambd"], p["lambd"])),
    "hardshrink": Elementwise(F.hardshrink, act.hardshrink,
                              st.fixed_dictionaries({"lambd": st.sampled_from([0.5, 2.0])}),
                              kinks=lambda p: (-p["lambd"], p["lambd"])),
    "threshold": Elementwise(F.threshold, act.threshold,
                             st.fixed_dictionaries({"threshold": st.sampled_from([0.0, 1.0]),
                                                    "value": st.sampled_from([0.0, -2.0])}),
                             kinks=lambda p: (p["threshold"],)),
    "leaky_relu": Elementwise(F.leaky_relu, act.leaky_relu,
                              st.fixed_dictionaries({"negative_slope": st.sampled_from([0.01, 0.2])}),
                              kinks=lambda p: (0.0,)),
}

#: Tails: magnitudes where stable formulas matter in float32 (about 9 to 90)
#: and float64 (about 18 to 710), up to 1e3.
TAILS = [10.0, 20.0, 37.5, 40.0, 88.0, 100.0, 710.0, 1000.0]


@st.composite
def tail_arrays(draw, dtype, kinks):
    """Up to 6 values: bulk values in [-5, 5], tails up to |x| = 1e3 (drawn
    and the fixed landmarks), and the function's kinks exactly."""
    width = 32 if dtype == torch.float32 else 64
    value = st.one_of(
        st.floats(-5, 5, width=width),
        st.floats(-1e3, 1e3, width=width),
        st.sampled_from(TAILS).flatmap(lambda m: st.sampled_from([m, -m])),
        *([st.sampled_from(list(kinks))] if kinks else []))
    values = draw(st.lists(value, min_size=1, max_size=6), label="x")
    return np.array(values, dtype=dtypes.to_numpy(dtype))


WEIGHTS = st.sampled_from([1.0, -0.5, 2.0, 1.5])


def reverse_derivatives(fn, x, v, w, order=3):
    """``r_1 = grad(w . f)``, ``r_k = grad(r_{k-1} . v)`` by autograd.grad with create_graph."""
    leaf = x.detach().requires_grad_()
    out, current = [], (w * fn(leaf)).sum()
    for k in range(1, order + 1):
        if current.requires_grad:
            (grad,) = torch.autograd.grad(current, leaf, create_graph=k < order, materialize_grads=True)
        else:  # the previous derivative is a constant (piecewise-linear functions)
            grad = torch.zeros_like(leaf)
        out.append(grad)
        current = (grad * v).sum()
    return out


def forward_derivatives(fn, x, v, order=3):
    """``D_v^k f`` by ``torch.func.jvp`` nested k times."""
    out, current = [], fn
    for _ in range(order):
        current = (lambda g: lambda y: tf.jvp(g, (y,), (v,))[1])(current)
        out.append(current(x))
    return out


def forward_over_reverse(fn, x, v, w, order=3):
    """``D_v^(k-1) r_1`` by ``torch.func.jvp`` over ``torch.func.grad`` (k = 2, 3)."""
    current = tf.grad(lambda y: (w * fn(y)).sum())
    out = []
    for _ in range(order - 1):
        current = (lambda g: lambda y: tf.jvp(g, (y,), (v,))[1])(current)
        out.append(current(x))
    return out


def vmapped_derivatives(fn, x, order=3):
    """``f^(k)`` of each element by ``torch.func.vmap`` of ``torch.func.grad``
    nested k times on the 0-d function: a batch equal to a loop."""
    out, current = [], fn
    for _ in range(order):
        current = tf.grad(current)
        out.append(tf.vmap(current)(x))
    return out


def _compare(got, want, scale, defined, dtype, kind, what):
    # selected in torch, so the compared tensor keeps the function in its lineage (API coverage)
    got = got.detach()[torch.as_tensor(defined, device=got.device)]
    oracle.assert_matches(got, np.asarray(want, dtype=np.float64)[defined], dtype, kind=kind,
                          scale=np.asarray(scale, dtype=np.float64)[defined], what=what)


#: The torch.nn.functional name a row checks, where it differs from the row's name.
_CHECKS = {"gelu_tanh": "gelu", "sigmoid": "torch.sigmoid", "tanh": "torch.tanh", "softmax": "torch.softmax",
           "log_softmax": "torch.log_softmax", "logsumexp": "torch.logsumexp"}


def _rows(table):
    """The rows of ``table`` as parameters declaring the function each checks."""
    return [pytest.param(name, marks=pytest.mark.checks(_CHECKS.get(name, "nn.functional." + name)))
            for name in table]


@pytest.mark.derivatives("reverse", "forward", "second", "third")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@pytest.mark.parametrize("name", _rows(ELEMENTWISE))
@given(data=st.data())
def test_elementwise_derivatives_in_tails_and_on_kinks(name, dtype, device, data):
    spec = ELEMENTWISE[name]
    params = data.draw(spec.params, label="params")
    a = data.draw(tail_arrays(dtype, spec.kinks(params)), label="x")
    v = np.array(data.draw(st.lists(WEIGHTS, min_size=a.size, max_size=a.size), label="v"))
    w = np.array(data.draw(st.lists(WEIGHTS, min_size=a.size, max_size=a.size), label="w"))
    x, tv, tw = (torch.tensor(t, dtype=dtype, device=device) for t in (a, v, w))
    order, limit = spec.max_order
    if limit:
        record.note("deviation", limit)

    def fn(t):
        return spec.torch_fn(t, **params)

    exact = a.astype(np.float64)
    values, scales = spec.reference(exact, **params)
    kept = {k: ~np.isnan(values[k]) for k in range(4)}
    if spec.factor is not None:
        normal = spec.factor(exact) >= torch.finfo(dtype).tiny
        kept = {k: mask & normal if k in spec.factor_orders else mask for k, mask in kept.items()}
    for deviation in spec.deviations:
        for k in deviation.orders:
            skip = deviation.where(exact, params, dtype, "forward" if k == 0 else "gradient")
            kept[k] &= ~skip
            if skip.any():
                record.note("deviation", deviation.id)
    text = f"{name}({params})"
    _compare(fn(x), values[0], scales[0], kept[0], dtype, "forward", f"value of {text}")
    # each route is run only when the previous ones agreed, so a failure names the first that did not
    routes = {
        "reverse (autograd.grad, create_graph)": (lambda: reverse_derivatives(fn, x, tv, tw, order), w, v),
        "forward (nested torch.func.jvp)": (lambda: forward_derivatives(fn, x, tv, order), v, v),
        "forward-over-reverse (jvp of grad)": (lambda: [None] + forward_over_reverse(fn, x, tv, tw, order), w, v),
        "vmap of nested torch.func.grad": (lambda: vmapped_derivatives(fn, x, order), np.ones_like(w), np.ones_like(v)),
    }
    for route, (run, first, rest) in routes.items():
        for k, got in zip(ORDERS, run()):
            if got is None:
                continue
            weight = first * rest ** (k - 1)
            _compare(got, weight * values[k], np.abs(weight) * scales[k], kept[k], dtype, "gradient",
                     f"derivative {k} of {text} by {route}")


# ----------------------------------------------------------------- known deviations, one example each
#: (deviation, torch function source, x, dtype, order, NumPy closed form of the derivative at x)
_FN = "torch.nn.functional."
EXAMPLES = [
    # the case: float64 logsigmoid'' at 40 is 0.0, the true value -sigmoid(40) sigmoid(-40)
    (SIGMOID_FROM_OUTPUT, _FN + "logsigmoid", 40.0, torch.float64, 2, "-1 / (1 + np.exp(-x)) / (1 + np.exp(x))"),
    (SIGMOID_FROM_OUTPUT, "torch.sigmoid", 40.0, torch.float64, 1, "1 / (1 + np.exp(-x)) / (1 + np.exp(x))"),
    (SIGMOID_FROM_OUTPUT, "torch.sigmoid", 20.0, torch.float32, 1, "1 / (1 + np.exp(-x)) / (1 + np.exp(x))"),
    (SIGMOID_FROM_OUTPUT, _FN + "silu", 40.0, torch.float64, 2,
     "(2 + x * np.tanh(-x / 2)) / (1 + np.exp(-x)) / (1 + np.exp(x))"),
    (SIGMOID_FROM_OUTPUT, _FN + "softplus", 19.5, torch.float64, 2, "1 / (1 + np.exp(-x)) / (1 + np.exp(x))"),
    (SIGMOID_FROM_OUTPUT, "lambda t: " + _FN + "binary_cross_entropy_with_logits(t, torch.zeros_like(t))", 40.0,
     torch.float64, 2, "1 / (1 + np.exp(-x)) / (1 + np.exp(x))"),
    (BCE_SMALL_LOSS, "lambda t: " + _FN + "binary_cross_entropy_with_logits(t, torch.zeros_like(t))", -40.0,
     torch.float64, 0, "np.log1p(np.exp(x))"),
    (BCE_SMALL_LOSS, "lambda t: " + _FN + "binary_cross_entropy_with_logits(t, torch.ones_like(t))", 40.0,
     torch.float64, 1, "-1 / (1 + np.exp(x))"),
    (TANH_FROM_OUTPUT, "torch.tanh", -20.0, torch.float64, 1, "1 / np.cosh(x) ** 2"),
    (TANH_FROM_OUTPUT, "torch.tanh", 10.0, torch.float32, 1, "1 / np.cosh(x) ** 2"),
    (TANH_FROM_OUTPUT, _FN + "mish", 20.0, torch.float64, 2, None),
    (GELU_CDF, _FN + "gelu", -10.0, torch.float64, 0, "x * np.vectorize(__import__('math').erfc)(-x / np.sqrt(2)) / 2"),
    (GELU_CDF, _FN + "gelu", -10.0, torch.float64, 1,
     "np.vectorize(__import__('math').erfc)(-x / np.sqrt(2)) / 2 + x * np.exp(-x * x / 2) / np.sqrt(2 * np.pi)"),
    (GELU_CDF, "lambda t: " + _FN + "gelu(t, approximate='tanh')", -10.0, torch.float64, 0, None),
    (ELU_KINK, "lambda t: " + _FN + "elu(t, alpha=2.0)", 0.0, torch.float64, 1, "1.0 + 0 * x"),
    (ELU_KINK, _FN + "selu", 0.0, torch.float64, 1, "1.0507009873554805 + 0 * x"),
    (HARDSIGMOID_SLOPE, _FN + "hardsigmoid", 0.0, torch.float64, 1, "1 / 6 + 0 * x"),
    (HARDSIGMOID_ORDER, _FN + "hardsigmoid", 0.5, torch.float64, 2, "0 * x"),
]
_REFERENCES = {
    _FN + "logsigmoid": act.logsigmoid, "torch.sigmoid": act.sigmoid, _FN + "silu": act.silu,
    _FN + "softplus": act.softplus, "torch.tanh": act.tanh, _FN + "mish": act.mish, _FN + "gelu": act.gelu,
    "lambda t: " + _FN + "gelu(t, approximate='tanh')": lambda x: act.gelu(x, "tanh"),
    "lambda t: " + _FN + "elu(t, alpha=2.0)": lambda x: act.elu(x, 2.0), _FN + "selu": act.selu,
    _FN + "hardsigmoid": act.hardsigmoid,
    "lambda t: " + _FN + "binary_cross_entropy_with_logits(t, torch.zeros_like(t))":
        lambda x: act.bce_with_logits(x, np.zeros_like(x)),
    "lambda t: " + _FN + "binary_cross_entropy_with_logits(t, torch.ones_like(t))":
        lambda x: act.bce_with_logits(x, np.ones_like(x)),
}


_NAMES = {"lambda t: " + _FN + "gelu(t, approximate='tanh')": "gelu_tanh",
          "lambda t: " + _FN + "elu(t, alpha=2.0)": "elu_alpha2",
          "lambda t: " + _FN + "binary_cross_entropy_with_logits(t, torch.zeros_like(t))": "bce_with_logits_y0",
          "lambda t: " + _FN + "binary_cross_entropy_with_logits(t, torch.ones_like(t))": "bce_with_logits_y1"}


def _example(deviation):
    def name(source):
        return _NAMES.get(source, source.split(".")[-1])

    return [pytest.param(*e[1:], id=f"{name(e[1])}-order{e[4]}-x{e[2]:g}-{dtypes.name(e[3])}",
                         marks=pytest.mark.derivatives(*_BY_NESTED_GRAD[e[4]]))
            for e in EXAMPLES if e[0] == deviation]


#: The derivative order (coverage) an example's order is, by nested autograd.grad: none for the value.
_BY_NESTED_GRAD = {0: (), 1: ("reverse",), 2: ("second",), 3: ("third",)}


def _nested_grad(source: str, order: int) -> str:
    """Source of the ``order``-th derivative of ``source`` at ``x`` by
    ``autograd.grad(..., create_graph=True)`` nested ``order`` times (the route
    of the issue's logsigmoid example), or its value for order 0."""
    if order == 0:
        return f"({source})(x)"
    body = "f(leaf)"
    for _ in range(order):
        body = f"torch.autograd.grad({body}, leaf, create_graph=True)[0]"
    return f"(lambda f, leaf: {body})({source}, x.detach().requires_grad_())"


def _check_example(source, x, dtype, order, numpy_expr, device):
    """The derivative of ``source`` at the 0-d ``x`` against the stable
    reference; the failure carries a standalone script."""
    xt = torch.tensor(x, dtype=dtype, device=device)
    torch_expr = _nested_grad(source, order)
    got = eval(torch_expr, {"torch": torch, "x": xt})  # noqa: S307 - sources are the literals above
    expected = _REFERENCES[source](np.array(x, dtype=np.float64))[0][order]
    kind = "forward" if order == 0 else "gradient"
    script = (repro.script(torch_expr, numpy_expr, {"x": xt}, dtype=dtype, tolerance=tolerance(dtype, kind=kind),
                           kind=kind, what=f"derivative {order} of {source} at {x}") if numpy_expr else None)
    oracle.assert_matches(got.detach(), np.asarray(expected), dtype, kind=kind,
                          what=f"derivative {order} of {source} at x={x}", repro=script)


@pytest.mark.parametrize("source, x, dtype, order, numpy_expr", _example(SIGMOID_FROM_OUTPUT))
def test_derivative_through_a_saturated_sigmoid(source, x, dtype, order, numpy_expr, device):
    _check_example(source, x, dtype, order, numpy_expr, device)


@pytest.mark.parametrize("source, x, dtype, order, numpy_expr", _example(TANH_FROM_OUTPUT))
def test_derivative_through_a_saturated_tanh(source, x, dtype, order, numpy_expr, device):
    _check_example(source, x, dtype, order, numpy_expr, device)


@pytest.mark.parametrize("source, x, dtype, order, numpy_expr", _example(GELU_CDF))
def test_gelu_in_the_left_tail(source, x, dtype, order, numpy_expr, device):
    _check_example(source, x, dtype, order, numpy_expr, device)


@pytest.mark.parametrize("source, x, dtype, order, numpy_expr", _example(ELU_KINK))
def test_elu_kink_gradient_is_minimum_norm(source, x, dtype, order, numpy_expr, device):
    _check_example(source, x, dtype, order, numpy_expr, device)


@pytest.mark.parametrize("source, x, dtype, order, numpy_expr", _example(HARDSIGMOID_SLOPE))
def test_hardsigmoid_float64_slope(source, x, dtype, order, numpy_expr, device):
    _check_example(source, x, dtype, order, numpy_expr, device)


@pytest.mark.parametrize("source, x, dtype, order, numpy_expr", _example(HARDSIGMOID_ORDER))
def test_hardsigmoid_second_derivative(source, x, dtype, order, numpy_expr, device):
    _check_example(source, x, dtype, order, numpy_expr, device)


# ----------------------------------------------------------------- along a dimension and losses


ALONG = {
    "softmax": (lambda t, dim: torch.softmax(t, dim), act.softmax_derivatives),
    "log_softmax": (lambda t, dim: torch.log_softmax(t, dim), act.log_softmax_derivatives),
    "logsumexp": (lambda t, dim: torch.logsumexp(t, dim, keepdim=True), act.logsumexp_derivatives),
}


@pytest.mark.derivatives("reverse", "forward", "second", "third")
@pytest.mark.parametrize("dtype", DTYPES, ids=dtypes.name)
@pytest.mark.parametrize("name", _rows(ALONG))
@given(data=st.data())
def test_softmax_family_directional_derivatives(name, dtype, device, data):
    # rows spread over up to 2e3: p nearly one-hot, the regime the max-shift exists for
    torch_fn, reference = ALONG[name]
    rows = data.draw(st.integers(1, 3), label="rows")
    cols = [data.draw(tail_arrays(dtype, ()), label="row") for _ in range(rows)]
    n = min(len(c) for c in cols)
    a = np.stack([c[:n] for c in cols])
    dim = data.draw(st.sampled_from([0, 1]), label="dim")
    v = np.array(data.draw(st.lists(WEIGHTS, min_size=a.size, max_size=a.size), label="v")).reshape(a.shape)
    out_shape = (1, n) if (name == "logsumexp" and dim == 0) else (rows, 1) if name == "logsumexp" else a.shape
    w = np.array(data.draw(st.lists(WEIGHTS, min_size=int(np.prod(out_shape)), max_size=int(np.prod(out_shape))),
                           label="w")).reshape(out_shape)
    x, tv, tw = (torch.tensor(t, dtype=dtype, device=device) for t in (a, v, w))

    def fn(t):
        return torch_fn(t, dim)

    forward, reverse, forward_scales, reverse_scales = reference(a.astype(np.float64), v, w, axis=dim)
    everywhere = np.ones(a.shape, bool)
    text = f"{name}(dim={dim})"
    for k, got in zip(ORDERS, forward_derivatives(fn, x, tv)):
        _compare(got, forward[k - 1], forward_scales[k - 1], np.ones(got.shape, bool), dtype, "gradient",
                 f"D_v^{k} {text} by nested torch.func.jvp")
    for k, got in zip(ORDERS, reverse_derivatives(fn, x, tv, tw)):
        _compare(got, reverse[k - 1], reverse_scales[k - 1], everywhere, dtype, "gradient",
                 f"r_{k} of {text} by autograd.grad (create_graph)")
    for k, got in zip(ORDERS[1:], forward_over_reverse(fn, x, tv, tw)):
        _compare(got, reverse[k - 1], reverse_scales[k - 1], everywhere, dtype, "gradient",
                 f"r_{k} of {text} by jvp of grad")


@pytest.mark.parametrize("source, x, dtype, order, numpy_expr", _example(BCE_SMALL_LOSS))
def test_bce_with_logits_keeps_a_small_loss(source, x, dtype, order, numpy_expr, device):
    _check_example(source, x, dtype, order, numpy_expr, device)
