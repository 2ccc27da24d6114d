"""Central finite differences in float64 NumPy: the derivative reference for
ops without a closed-form VJP in :mod:`.vjp`.

The function differentiated is the op's NumPy reference, evaluated in
float64 on the exact values the tensor holds (every float16/bfloat16/float32
value is a float64), so the step belongs to float64, whatever dtype torch
computed in: :func:`step` takes the evaluation dtype.

Each partial derivative is a Richardson-extrapolated central difference,
``(4 D(h/2) - D(h)) / 3`` with ``D(h) = (f(x+h) - f(x-h)) / 2h``: truncation
error ``O(h**4)`` and rounding error ``O(eps/h)``, balanced at
``h ~ eps**(1/5)`` (about 7e-4 for float64, relative to ``max(1, |x|)``),
which leaves about 1e-12 relative error on smooth functions, far inside the
``finite_difference`` tolerance (Richardson extrapolation of the central
difference: Press et al., Numerical Recipes, 3rd ed., section 5.7). Inputs must stay at least ``h`` away from
kinks and domain edges (the gradient strategies keep a margin of 0.05).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from torchconform.references.vjp import Grad


def step(x: np.ndarray, dtype=np.float64) -> np.ndarray:
    """The difference step (float64 array, shape of ``x``) at each value of
    ``x`` for a function evaluated in the NumPy float ``dtype``:
    ``eps(dtype) ** (1/5) * max(1, |x|)``."""
    return np.finfo(dtype).eps ** 0.2 * np.maximum(1.0, np.abs(x))


def _partials(f: Callable, arrays: list[np.ndarray], which: int, index: tuple) -> np.ndarray:
    """d f / d arrays[which][index], for every output element (float64)."""
    x = arrays[which]
    h = float(step(x[index]))

    def at(delta: float) -> np.ndarray:
        moved = x.copy()
        moved[index] += delta
        args = list(arrays)
        args[which] = moved
        return np.asarray(f(*args), dtype=np.float64)

    def central(k: float) -> np.ndarray:
        return (at(k) - at(-k)) / (2 * k)

    return (4 * central(h / 2) - central(h)) / 3


def vjp(f: Callable, arrays: Sequence[np.ndarray], g: np.ndarray) -> list[Grad]:
    """``g``-weighted gradients of ``f(*arrays)`` with respect to every input.

    ``f`` maps float64 arrays to an array broadcastable to ``g``'s shape;
    returns one :class:`~.vjp.Grad` per input, in that input's shape. One
    column of the Jacobian per input element (``2 * 2`` evaluations of ``f``
    each); the scale of each gradient element is ``sum |g| * |column|``.
    """
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    g = np.asarray(g, dtype=np.float64)
    grads = []
    for which, x in enumerate(arrays):
        value, scale = np.zeros(x.shape), np.zeros(x.shape)
        for index in np.ndindex(x.shape):
            column = np.broadcast_to(_partials(f, arrays, which, index), g.shape)
            value[index] = np.sum(g * column)
            scale[index] = np.sum(np.abs(g) * np.abs(column))
        grads.append(Grad(value, scale))
    return grads


def jvp(f: Callable, arrays: Sequence[np.ndarray], tangents: Sequence[np.ndarray]) -> np.ndarray:
    """Directional derivative of ``f`` at ``arrays`` along ``tangents`` (one
    tangent per input, same shapes), as a float64 array in ``f``'s output
    shape (Richardson-extrapolated central difference along the direction;
    zeros for an all-zero tangent)."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    tangents = [np.asarray(t, dtype=np.float64) for t in tangents]
    size = max(max((float(np.max(np.abs(a))) for a in arrays if a.size), default=1.0), 1.0)
    norm = max((float(np.max(np.abs(t))) for t in tangents if t.size), default=0.0)
    if norm == 0:
        return np.zeros_like(np.asarray(f(*arrays), dtype=np.float64))
    h = float(step(size)) / norm

    def central(k: float) -> np.ndarray:
        plus = f(*[a + k * t for a, t in zip(arrays, tangents)])
        minus = f(*[a - k * t for a, t in zip(arrays, tangents)])
        return (np.asarray(plus, dtype=np.float64) - np.asarray(minus, dtype=np.float64)) / (2 * k)

    return (4 * central(h / 2) - central(h)) / 3


# ------------------------------------------------------------ higher orders
#
# A derivative of order k of ``t -> F(x + t v)`` by a central stencil with
# step h has truncation error c h**2 + O(h**4), so one Richardson step
# ``(4 D(h/2) - D(h)) / 3`` leaves O(h**4); its rounding error is
# O(eps |F| / h**k). Nesting stencils (a gradient of a directional
# derivative) multiplies the 1/h factors, so the step of every level of a
# nested difference of total order K is ``eps ** (1 / (K + 4))`` relative
# to the size of the arguments: 7.4e-4 (K = 1), 2.4e-3 (K = 2), 5.8e-3
# (K = 3), which leaves about 1e-11, 1e-10 and 1e-8 of ``|F|`` (Press et
# al., Numerical Recipes, 3rd ed., sections 5.7 and 5.9).

_EPS = float(np.finfo(np.float64).eps)


def _stencil(at: Callable[[float], np.ndarray], order: int, k: float) -> np.ndarray:
    if order == 1:
        return (at(k) - at(-k)) / (2 * k)
    if order == 2:
        return (at(k) - 2 * at(0.0) + at(-k)) / k ** 2
    if order == 3:
        return (at(2 * k) - 2 * at(k) + 2 * at(-k) - at(-2 * k)) / (2 * k ** 3)
    raise ValueError(f"order={order!r}: central stencils are defined for orders 1 to 3")


def along(f: Callable, arrays: Sequence[np.ndarray], tangents: Sequence[np.ndarray], order: int,
          h: float) -> np.ndarray:
    """The ``order``-th derivative (1 to 3) of ``t -> f(*(a + t v))`` at 0,
    float64 in ``f``'s output shape, by a Richardson-extrapolated central
    stencil of step ``h`` (in units of ``t``). Raises ``ValueError`` for
    another order."""

    def at(t: float) -> np.ndarray:
        return np.asarray(f(*[a + t * v for a, v in zip(arrays, tangents)]), dtype=np.float64)

    return (4 * _stencil(at, order, h / 2) - _stencil(at, order, h)) / 3


def nested_step(arrays: Sequence[np.ndarray], total_order: int) -> float:
    """The step of each level of a nested difference of ``total_order``:
    ``eps ** (1 / (total_order + 4)) * max(1, max |arrays|)``."""
    size = max((float(np.max(np.abs(a))) for a in arrays if a.size), default=1.0)
    return _EPS ** (1.0 / (total_order + 4)) * max(1.0, size)


def _unit_steps(arrays: Sequence[np.ndarray]):
    # Every input element in turn: (input position, element index, unit tangents).
    for which, x in enumerate(arrays):
        for index in np.ndindex(x.shape):
            units = [np.zeros_like(a) for a in arrays]
            units[which][index] = 1.0
            yield which, index, units


def gradient(scalar: Callable[..., float], arrays: Sequence[np.ndarray], h: float) -> list[np.ndarray]:
    """The gradient of the real function ``scalar`` of float64 arrays, one
    array per input in its shape, each partial a Richardson central
    difference of step ``h``."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    out = [np.zeros(a.shape) for a in arrays]
    for which, index, units in _unit_steps(arrays):
        out[which][index] = float(along(scalar, arrays, units, 1, h))
    return out


def directional_gradient(f: Callable, arrays: Sequence[np.ndarray], g: np.ndarray,
                         tangents: Sequence[np.ndarray], order: int, *, shrink: float = 1.0) -> list[np.ndarray]:
    """The gradient of ``x -> D^order_v <g, f(x)>``: for ``order`` 0 the VJP
    ``J^T g``, for 1 the Hessian-vector product ``H v`` of ``<g, f>``, for 2
    the third-derivative contraction ``T[v, v, .]``; one float64 array per
    input, by nested central differences (steps from :func:`nested_step`,
    times ``shrink``: two results with different steps estimate the
    difference's own error). ``f`` maps float64 arrays to an array
    broadcastable to ``g``."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    tangents = [np.asarray(t, dtype=np.float64) for t in tangents]
    g = np.asarray(g, dtype=np.float64)
    h = nested_step(arrays, order + 1) * shrink
    norm = max((float(np.max(np.abs(t))) for t in tangents if t.size), default=0.0)

    def weighted(*a):
        return float(np.sum(g * np.asarray(f(*a), dtype=np.float64)))

    if order == 0:
        return gradient(weighted, arrays, h)
    if norm == 0:
        return [np.zeros(a.shape) for a in arrays]
    # Along the unit direction v / max|v|, scaled back by max|v| ** order:
    # a tiny tangent would otherwise ask for a step beyond the float range.
    unit = [t / norm for t in tangents]

    def scalar(*a):
        return float(along(weighted, a, unit, order, h))

    return [norm ** order * d for d in gradient(scalar, arrays, h)]
