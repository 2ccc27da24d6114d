"""What a row of the op table says about its derivatives.

* :class:`Domain` and :class:`Smooth`: where the row is differentiable, so
  gradient checks draw inputs only there (away from kinks, poles and branch
  cuts);
* :data:`FINITE_DIFFERENCES`: the explicit choice of central differences
  (:mod:`torchconform.references.finite_diff`) as the gradient reference of
  a row without a closed-form VJP;
* :class:`Derivatives`: closed forms of the first, second and third
  derivative of a unary elementwise row, for the higher-order checks
  through ``create_graph=True``.

Closed-form VJPs themselves live in :mod:`torchconform.references.vjp`; a
row holds the one it is checked against in its ``grad`` field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from torchconform.references import vjp

#: How far inputs stay from a kink, a domain edge or each other (where a
#: relation between inputs is a kink): 20 to 70 times the finite-difference
#: step (see :func:`torchconform.references.finite_diff.step`).
MARGIN = 0.05

#: Smallest non-zero magnitude drawn for a differentiable input (see :meth:`Domain.allows`).
TINY = 1e-4


@dataclass(frozen=True)
class Domain:
    """Where one differentiable input is drawn.

    bounds: inclusive (low, high) of the drawn values (float64; low <= high).
    avoid: points (kinks, poles) every drawn value keeps :data:`MARGIN` away from.

    Raises ``ValueError`` when ``low > high``.
    """

    bounds: tuple[float, float] = (-3.0, 3.0)
    avoid: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if not self.bounds[0] <= self.bounds[1]:
            raise ValueError(f"Domain bounds={self.bounds!r}: the lower bound exceeds the upper bound")

    def allows(self, v: float) -> bool:
        """Whether the value ``v`` may be drawn: 0, or at least :data:`TINY` in
        magnitude, and more than :data:`MARGIN` from every avoided point."""
        # Values below TINY (subnormals, the smallest normals) make products
        # in backward formulas underflow: a question of forward precision,
        # which the op-table forward tests own, not of the derivative.
        return (v == 0 or abs(v) >= TINY) and all(abs(v - k) > MARGIN for k in self.avoid)


@dataclass(frozen=True)
class Smooth:
    """Where a row is differentiable, for its gradient checks.

    domains: one :class:`Domain` per input (the last one repeats for the
      remaining inputs).
    apart: pairs of input positions that must differ elementwise by more than
      :data:`MARGIN` (ties of ``maximum`` and ``clamp`` are kinks).
    distinct: no two values of an input equal (reductions picking an extreme).
    min_dims / min_side: smallest rank and dimension size drawn.
    valid: a predicate on the float64 NumPy forward result that a drawn case
      must meet (e.g. a positive standard deviation).
    full_first: id of a known deviation that keeps the first input at the
      broadcast result shape (the report notes the deviation on every case).
    """

    domains: tuple[Domain, ...] = (Domain(),)
    apart: tuple[tuple[int, int], ...] = ()
    distinct: bool = False
    min_dims: int = 0
    min_side: int = 0
    valid: Callable[[np.ndarray], bool] | None = None
    full_first: str | None = None

    def domain(self, i: int) -> Domain:
        """The :class:`Domain` of input ``i`` (0-based)."""
        return self.domains[min(i, len(self.domains) - 1)]

    @classmethod
    def within(cls, bounds: tuple[float, float] | None) -> Smooth:
        """The default: every input in [-3, 3], narrowed to ``bounds`` (a row's
        own forward domain) when given."""
        if bounds is None:
            return cls()
        lo, hi = Domain().bounds
        return cls((Domain((max(lo, bounds[0]), min(hi, bounds[1]))),))


class FiniteDifferences:
    """The gradient reference of a row without a closed-form VJP: central
    differences of its NumPy forward reference (compared under the looser
    ``finite_difference`` tolerance). Use the :data:`FINITE_DIFFERENCES`
    instance."""

    def __repr__(self) -> str:
        return "FINITE_DIFFERENCES"


FINITE_DIFFERENCES = FiniteDifferences()


@dataclass(frozen=True)
class Derivatives:
    """Closed forms of the derivatives of a unary elementwise row.

    forms: ``f'``, ``f''``, ``f'''``, ... as functions of the float64 input
      array (a scalar result is broadcast to the input's shape).
    scales: the same formulas with every term taken in absolute value, the
      size of the terms autograd rounds when it builds each derivative from
      products and sums; ``None`` means the absolute value of each form.

    Raises ``ValueError`` when ``scales`` is given with a length other than
    that of ``forms``.
    """

    forms: tuple[Callable[[np.ndarray], np.ndarray], ...]
    scales: tuple[Callable[[np.ndarray], np.ndarray], ...] | None = None

    def __post_init__(self) -> None:
        if not self.forms:
            raise ValueError("Derivatives needs at least one closed form")
        if self.scales is not None and len(self.scales) != len(self.forms):
            raise ValueError(f"Derivatives: {len(self.scales)} scales for {len(self.forms)} forms")

    def vjp(self) -> Callable:
        """The first-order VJP ``(g, x) -> [Grad]`` built from ``forms[0]``
        (and ``scales[0]``): for a row whose gradient reference is its first
        closed form."""
        return vjp.elementwise(self.forms[0], None if self.scales is None else self.scales[0])
