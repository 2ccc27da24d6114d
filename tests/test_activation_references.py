"""The stable activation references (torchconform.references.activations)
against arbitrary-precision derivatives: ``mpmath.diff`` of each textbook
definition, evaluated with enough digits to resolve the tails (a derivative
of size exp(-2|x|) next to a value of size |x| needs about 0.9 |x| digits).
Every reference value must agree to 1e-12 relative (or both be below the
float64 range): the references are the oracle of the tail tests, so their
own accuracy is checked, not assumed."""

import mpmath as mp
import numpy as np
import pytest

from torchconform.references import activations as act

POINTS = [-1000.0, -100.0, -40.0, -20.0, -10.0, -3.5, -1.0, -0.3, 0.2, 1.0, 2.5, 10.0, 20.0, 40.0, 100.0,
          1000.0]


def _sig(x):
    return 1 / (1 + mp.exp(-x))


def _softplus(x):
    return mp.log(1 + mp.exp(x))


def _elu(alpha, scale):
    return lambda x: scale * (x if x > 0 else alpha * (mp.exp(x) - 1))


def _tails_of(scale):
    """Digits that resolve a derivative of size exp(-scale(x)) next to values of size |x|."""
    return lambda x: 0.45 * scale(x)


_EXP = _tails_of(lambda x: 2 * abs(x))
_GAUSS = _tails_of(lambda x: x * x / 2)
_GELU_TANH = _tails_of(lambda x: 3.2 * abs(x + 0.044715 * x**3))
#: Points whose tails would need more digits than this are left out (seconds per point).
MAX_DIGITS = 500


#: name -> (reference, textbook definition in mpmath, digits its tails need beyond 40)
DEFINITIONS = {
    "sigmoid": (act.sigmoid, _sig),
    "logsigmoid": (act.logsigmoid, lambda x: mp.log(_sig(x))),
    "softplus(beta=2)": (lambda x: act.softplus(x, beta=2.0, threshold=1e9), lambda x: _softplus(2 * x) / 2),
    "tanh": (act.tanh, mp.tanh),
    "silu": (act.silu, lambda x: x * _sig(x)),
    "mish": (act.mish, lambda x: x * mp.tanh(_softplus(x))),
    # (1 + erf(-a)) / 2 = erfc(a) / 2 and (1 + tanh(u)) / 2 = sigmoid(2u) are identities; the
    # right-hand sides keep mpmath from needing millions of digits in the far left tail
    "gelu": (act.gelu, lambda x: x * mp.erfc(-x / mp.sqrt(2)) / 2, _GAUSS),
    "gelu(tanh)": (lambda x: act.gelu(x, "tanh"),
                   lambda x: x * _sig(2 * mp.sqrt(2 / mp.pi) * (x + mp.mpf("0.044715") * x**3)), _GELU_TANH),
    "elu(alpha=0.5)": (lambda x: act.elu(x, 0.5), _elu(0.5, 1)),
    "selu": (act.selu, _elu(mp.mpf("1.6732632423543772848170429916717"), mp.mpf("1.0507009873554804934193349852946"))),
    "celu(alpha=2)": (lambda x: act.celu(x, 2.0), lambda x: x if x > 0 else 2 * (mp.exp(x / 2) - 1)),
    "hardswish": (act.hardswish, lambda x: x * min(max(x + 3, 0), 6) / 6),
    "bce_with_logits(y=1, pos_weight=3)": (lambda x: act.bce_with_logits(x, np.ones_like(x), 3.0),
                                           lambda x: -3 * mp.log(_sig(x))),
    "bce_with_logits(y=0)": (lambda x: act.bce_with_logits(x, np.zeros_like(x)), lambda x: -mp.log(1 - _sig(x))),
    "bce_with_logits(y=0.25)": (lambda x: act.bce_with_logits(x, np.full_like(x, 0.25)),
                                lambda x: -(mp.mpf(0.25) * mp.log(_sig(x)) + mp.mpf(0.75) * mp.log(1 - _sig(x)))),
}


@pytest.mark.parametrize("name", DEFINITIONS)
def test_reference_matches_arbitrary_precision(name):
    reference, definition, *digits = DEFINITIONS[name]
    digits = digits[0] if digits else _EXP
    points = [x for x in POINTS if digits(x) <= MAX_DIGITS]
    got = np.array(reference(np.array(points))[0])
    for i, x in enumerate(points):
        dps = 40 + int(digits(x))
        with mp.workdps(dps):
            want = [float(mp.diff(definition, mp.mpf(x), k)) for k in range(4)]
        # below the floor mpmath's own differences are noise (an exact 0 comes out as 1e-(dps - 10))
        floor = max(1e-300, 10.0 ** (15 - dps))
        for k in range(4):
            w, g = want[k], got[k][i]
            assert abs(g - w) <= 1e-12 * abs(w) + floor, f"{name}: derivative {k} at x={x}: {g!r}, mpmath {w!r}"


@pytest.mark.parametrize("reference", [act.logsumexp_derivatives, act.log_softmax_derivatives,
                                       act.softmax_derivatives])
def test_directional_references_match_arbitrary_precision(reference):
    # x with one entry far from the others: p is nearly one-hot, the regime where cumulants cancel
    x, v, w = np.array([3.0, -30.0, 0.5]), np.array([0.7, -1.2, 2.0]), np.array([1.5, -0.5, 0.25])
    name = reference.__name__.removesuffix("_derivatives")
    if name == "logsumexp":
        w = np.array([1.5])
    forward, backward, *_ = reference(x, v, w)

    def f(*xs):
        m = max(xs)
        lse = m + mp.log(sum(mp.exp(a - m) for a in xs))
        values = {"logsumexp": [lse], "log_softmax": [a - lse for a in xs], "softmax": [mp.exp(a - lse) for a in xs]}
        return values[name]

    with mp.workdps(50):
        def along(eps, k):
            return f(*[mp.mpf(a) + eps * mp.mpf(b) for a, b in zip(x, v)])[k]

        for order in range(1, 4):
            for k in range(len(forward[0].reshape(-1))):
                want = float(mp.diff(lambda e: along(e, k), 0, order))
                got = forward[order - 1].reshape(-1)[k]
                assert abs(got - want) <= 1e-12 * abs(want) + 1e-300, f"{name} D^{order} [{k}]: {got!r} vs {want!r}"

            # reverse: r_order . u is the mixed derivative w . D_v^(order-1) D_u f, for each unit u
            for j in range(len(x)):
                u = np.eye(len(x))[j]

                def mixed(e, d):
                    values = f(*[mp.mpf(a) + e * mp.mpf(b) + d * mp.mpf(c) for a, b, c in zip(x, v, u)])
                    return sum(mp.mpf(wk) * val for wk, val in zip(w, values))

                want = float(mp.diff(mixed, (0, 0), (order - 1, 1)))
                got = backward[order - 1][j]
                assert abs(got - want) <= 1e-12 * abs(want) + 1e-300, f"{name} r_{order} [{j}]: {got!r} vs {want!r}"
