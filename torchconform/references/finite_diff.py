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
