"""Hypothesis strategies for drawing tensors together with their NumPy twins.

Everything here draws *values first, in NumPy*, then builds the torch tensor
from them in the requested memory layout, so the reference always sees
exactly the values the tensor holds (bfloat16 values are rounded in NumPy
before the tensor is made).

Shrinking: shapes shrink towards fewer and shorter dimensions, elements
towards 0 (then small integers), layouts towards ``"contiguous"`` and dtypes
towards the first dtype listed. A failing case therefore ends at the
smallest, plainest tensor that still fails.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import hypothesis.extra.numpy as hnp
import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from torchconform import dtypes

#: Memory layouts a drawn tensor can have. "expanded" has a stride-0
#: dimension; "sliced" a storage offset and a step of 2; "channels_last"
#: applies to 4-d tensors only (others fall back to contiguous).
LAYOUTS = ("contiguous", "transposed", "sliced", "expanded", "channels_last")

MAX_SIDE = 5

#: Dtype kinds, as op-table rows and :func:`dtypes_for` name them.
KINDS = ("bool", "int", "float", "complex")


#: The most dimensions a drawn shape may have (Hypothesis' array limit).
MAX_DIMS = 32


def _check_domain(domain: tuple[float, float] | None) -> None:
    if domain is None:
        return
    if not (isinstance(domain, tuple) and len(domain) == 2
            and all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in domain)):
        raise InvalidArgument(f"domain={domain!r}: expected a (low, high) tuple of numbers or None")
    if not domain[0] <= domain[1]:
        raise InvalidArgument(f"domain={domain!r}: lower bound must not exceed the upper bound")


def _check_dtype(dtype) -> None:
    if not isinstance(dtype, torch.dtype):
        raise InvalidArgument(f"dtype={dtype!r}: expected a torch.dtype such as torch.float32")


def _check_dims_and_sides(min_dims, max_dims, min_side, max_side) -> None:
    for name, value in (("min_dims", min_dims), ("max_dims", max_dims), ("min_side", min_side),
                        ("max_side", max_side)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidArgument(f"{name}={value!r}: expected a non-negative int")
    if not min_dims <= max_dims <= MAX_DIMS:
        raise InvalidArgument(f"need 0 <= min_dims <= max_dims <= {MAX_DIMS}, got {min_dims}, {max_dims}")
    if min_side > max_side:
        raise InvalidArgument(f"need min_side <= max_side, got {min_side}, {max_side}")


def _is_shape(shape) -> bool:
    return (isinstance(shape, (tuple, list)) and
            all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0 for n in shape))


def _check_layouts(layouts: Sequence[str]) -> None:
    if isinstance(layouts, str) or not layouts:
        raise InvalidArgument(f"layouts={layouts!r}: expected a non-empty sequence of names from {LAYOUTS}")
    for layout in layouts:
        if layout not in LAYOUTS:
            raise InvalidArgument(f"unknown layout {layout!r}; expected one of {LAYOUTS}")


def shapes(*, min_dims: int = 0, max_dims: int = 4, min_side: int = 0, max_side: int = MAX_SIDE) -> st.SearchStrategy:
    """Tensor shapes (tuples of ints) with ``min_dims..max_dims`` dimensions of
    ``min_side..max_side`` elements each, including 0-d (``()``) and 0-size
    dimensions by default. Shrinks towards ``()``. Raises ``InvalidArgument``
    naming a negative or non-int argument, ``min_dims > max_dims`` or
    ``min_side > max_side``."""
    _check_dims_and_sides(min_dims, max_dims, min_side, max_side)
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_shapes(num_shapes: int = 2, *, min_dims: int = 0, max_dims: int = 4, min_side: int = 0,
                         max_side: int = MAX_SIDE) -> st.SearchStrategy:
    """Mutually broadcastable shape tuples: draws ``BroadcastableShapes(input_shapes,
    result_shape)`` (``num_shapes`` input shapes) so the test knows the
    expected result shape. Shrinks towards all shapes ``()``. Raises
    ``InvalidArgument`` as :func:`shapes` does, and for ``num_shapes < 1``."""
    if not isinstance(num_shapes, int) or isinstance(num_shapes, bool) or num_shapes < 1:
        raise InvalidArgument(f"num_shapes={num_shapes!r}: expected an int >= 1")
    _check_dims_and_sides(min_dims, max_dims, min_side, max_side)
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def special_floats(dtype: torch.dtype) -> list[float]:
    """The edge values every float check should meet, as Python floats
    representable in ``dtype`` (a float or complex dtype; for complex, of its
    parts): nan, +-inf, -0.0, 0.0, the smallest subnormal and normal (and a
    few normals above it), the largest finite, and values just around 1.
    Raises ``TypeError`` for a non-float dtype (``torch.finfo``)."""
    real = {torch.complex64: torch.float32, torch.complex128: torch.float64}.get(dtype, dtype)
    info = torch.finfo(real)
    return [
        math.nan, math.inf, -math.inf, -0.0, 0.0,
        info.tiny * info.eps, -info.tiny * info.eps,  # smallest subnormals
        info.tiny, -info.tiny, 4 * info.tiny, info.max, -info.max,  # 4 * tiny: normal, yet lost to a flush
        1.0 + info.eps, 1.0 - info.eps / 2, -1.0,
    ]


def _representable_inward(lo: float, hi: float, width: int) -> tuple[float, float]:
    """Domain bounds moved inwards to the nearest values a float of ``width``
    bits holds (Hypothesis requires bounds it can represent exactly)."""
    carrier = {16: np.float16, 32: np.float32, 64: np.float64}[width]
    with np.errstate(over="ignore"):
        a, b = carrier(lo), carrier(hi)
    # Compare as Python floats: NumPy 2 would compare a float32 with a Python
    # float in float32 and miss that the bound moved outwards.
    if float(a) < lo:
        a = np.nextafter(a, carrier(np.inf))
    if float(b) > hi:
        b = np.nextafter(b, carrier(-np.inf))
    return float(a), float(b)


def _in_domain(value: float, domain: tuple[float, float] | None) -> bool:
    return domain is None or (not math.isnan(value) and domain[0] <= value <= domain[1])


def elements(dtype: torch.dtype, *, domain: tuple[float, float] | None = None, specials: bool = True,
             ) -> st.SearchStrategy:
    """Scalar values of ``dtype`` (as Python numbers), within ``domain`` when
    given (bounds inclusive). With ``specials`` floats mix ordinary values
    with :func:`special_floats` (those inside the domain) and subnormals;
    without, they are finite normal numbers (and 0) only. Integers span the
    dtype's full range unless a domain narrows it, and with ``specials`` meet
    its extremes, -1, 0 and 1 often. Shrinks towards 0.
    Raises ``InvalidArgument`` for a ``dtype`` that is not a ``torch.dtype``
    or a malformed or inverted ``domain``."""
    _check_dtype(dtype)
    _check_domain(domain)
    if dtype == torch.bool:
        return st.booleans()
    if dtypes.is_exact(dtype):
        info = torch.iinfo(dtype)
        lo, hi = info.min, info.max
        if domain is not None:
            lo, hi = max(lo, math.ceil(domain[0])), min(hi, math.floor(domain[1]))
        # The values where integer ops wrap or trap: the dtype's extremes, -1 and 0.
        edges = sorted({v for v in (info.min, info.max, -1, 0, 1) if lo <= v <= hi} if specials else ())
        return st.one_of(st.integers(lo, hi), st.sampled_from(edges)) if edges else st.integers(lo, hi)
    if dtypes.is_complex(dtype):
        part = torch.float32 if dtype == torch.complex64 else torch.float64
        return st.builds(complex, elements(part, domain=domain, specials=specials),
                         elements(part, domain=domain, specials=specials))
    width = {torch.float16: 16, torch.bfloat16: 32, torch.float32: 32, torch.float64: 64}[dtype]
    info = torch.finfo(dtype)
    if specials and domain is None:
        ordinary = st.floats(width=width)
    else:
        lo, hi = (-info.max, info.max) if domain is None else (max(domain[0], -info.max), min(domain[1], info.max))
        lo, hi = _representable_inward(lo, hi, width)
        # Subnormals lie in (-tiny, tiny); Hypothesis refuses to be asked for
        # them when the range holds none.
        subnormals = specials and lo < info.tiny and hi > -info.tiny
        ordinary = st.floats(lo, hi, width=width, allow_subnormal=subnormals)
    extremes = [v for v in special_floats(dtype) if specials and _in_domain(v, domain)]
    return st.one_of(ordinary, st.sampled_from(extremes)) if extremes else ordinary


def dtypes_for(device: str, kinds: Sequence[str] = KINDS) -> st.SearchStrategy:
    """Dtypes (``torch.dtype``) supported on ``device`` (probed) of the given
    kinds (see :func:`kind_of`); shrinks towards the first in
    :data:`torchconform.dtypes.ALL_DTYPES` order. Raises ``InvalidArgument``
    for an unknown kind or when no dtype of the kinds is supported."""
    unknown = [kind for kind in kinds if kind not in KINDS]
    if isinstance(kinds, str) or unknown:
        raise InvalidArgument(f"kinds={kinds!r}: expected a sequence of {KINDS}; no dtype of kinds {unknown}")
    wanted = [d for d in dtypes.supported_dtypes(device) if kind_of(d) in kinds]
    if not wanted:
        raise InvalidArgument(f"no dtype of kinds {kinds} is supported on {device}")
    return st.sampled_from(wanted)


def kind_of(dtype: torch.dtype) -> str:
    """The kind of ``dtype``: "bool", "int" (signed or unsigned), "float" or "complex"."""
    if dtype == torch.bool:
        return "bool"
    if dtypes.is_exact(dtype):
        return "int"
    return "complex" if dtypes.is_complex(dtype) else "float"


@dataclass
class Drawn:
    """A drawn tensor and the NumPy array of the values it holds (bridge type).

    tensor: the torch tensor, of the drawn dtype, on the drawn device.
    array: its values in the NumPy carrier dtype (:func:`torchconform.dtypes.to_numpy`;
      bfloat16 values in float32), same shape.
    layout: the memory layout the tensor really has, one of :data:`LAYOUTS`
      (a layout that does not apply to the shape is recorded as "contiguous";
      see :func:`applied_layout`).
    """

    tensor: torch.Tensor
    array: np.ndarray
    layout: str

    def _repr_pretty_(self, printer, cycle) -> None:  # Hypothesis' falsifying-example printer
        printer.text(repr(self))

    def __repr__(self) -> str:
        t = self.tensor
        return (f"Drawn({self.layout}, dtype={dtypes.name(t.dtype)}, shape={tuple(t.shape)}, "
                f"stride={t.stride()}, offset={t.storage_offset()}, values={self.array.tolist()!r})")


def applied_layout(layout: str, ndim: int) -> str:
    """The layout a tensor of ``ndim`` dims really gets when ``layout`` is
    requested: "transposed" needs 2 dims, "sliced" and "expanded" 1,
    "channels_last" exactly 4; otherwise the tensor is "contiguous"."""
    needs = {"transposed": ndim >= 2, "sliced": ndim >= 1, "expanded": ndim >= 1, "channels_last": ndim == 4}
    return layout if needs.get(layout, False) else "contiguous"


def _with_layout(values: np.ndarray, dtype: torch.dtype, device: str, layout: str) -> torch.Tensor:
    """A tensor holding ``values`` in the requested layout (see :func:`applied_layout`)."""
    def make(a: np.ndarray) -> torch.Tensor:
        # np.array, not np.ascontiguousarray: the latter turns 0-d into 1-d.
        return torch.from_numpy(np.array(a, order="C", copy=True)).to(device=device, dtype=dtype)

    if layout == "transposed" and values.ndim >= 2:
        order = tuple(range(values.ndim))[::-1]
        return make(values.transpose(order)).permute(order)
    if layout == "sliced" and values.ndim >= 1:
        shape = values.shape[:-1] + (2 * values.shape[-1] + 1,)
        padded = np.zeros(shape, dtype=values.dtype)
        padded[..., 1::2] = values
        return make(padded)[..., 1::2]
    if layout == "expanded" and values.ndim >= 1:
        # Only the first row is real memory: callers pass values that are
        # constant along dim 0 (see tensors()).
        return make(values[:1]).expand(values.shape)
    if layout == "channels_last" and values.ndim == 4:
        return make(values).contiguous(memory_format=torch.channels_last)
    return make(values)


def _clustered_elements(draw, dtype: torch.dtype, domain: tuple[float, float] | None) -> st.SearchStrategy:
    """Elements ``offset * (1 + k * 2**-bits)`` for small integers ``k``: a
    large offset with a spread of a few units in one of its last places, the
    data on which a variance by ``E[x**2] - E[x]**2`` cancels to nothing."""
    offset = draw(elements(dtype, domain=domain, specials=False).filter(lambda v: v != 0), label="offset")
    mantissa = {torch.float16: 11, torch.bfloat16: 8, torch.float32: 24, torch.float64: 53}[dtype]
    step = 2.0 ** -draw(st.integers(1, mantissa - 1), label="spread_bits")
    lo, hi = domain if domain is not None else (-math.inf, math.inf)
    carrier = np.dtype(dtypes.to_numpy(dtype)).type

    def near(k: int) -> float:
        value = float(dtypes.round_to_dtype(np.array(offset * (1 + k * step)), dtype))
        return float(carrier(min(max(value, lo), hi)))

    return st.integers(-3, 3).map(near)


def tensors(dtype: torch.dtype, *, shape: tuple[int, ...] | st.SearchStrategy | None = None,
            device: str = "cpu", domain: tuple[float, float] | None = None, specials: bool = True,
            nonzero: bool = False, layouts: Sequence[str] = LAYOUTS, clustered: bool = False) -> st.SearchStrategy:
    """Draws a :class:`Drawn`: a tensor of ``dtype`` on ``device`` with its values as a NumPy array.

    ``shape`` is a fixed shape or a strategy (default :func:`shapes`);
    ``domain``/``specials`` are passed to :func:`elements` (``nonzero``
    leaves out 0, for divisors); ``clustered`` floats are, in about half the
    draws, an offset plus a small spread (see :func:`_clustered_elements`); ``layouts`` are
    the memory layouts to draw from (see :data:`LAYOUTS`). For
    ``"expanded"`` the values are drawn for one slice and repeated along
    dim 0 (stride 0), so the values are constrained, not the test.
    Raises ``InvalidArgument`` at once for a dtype that is not a
    ``torch.dtype``, an unknown layout, a bad shape or domain.
    """
    _check_dtype(dtype)
    _check_layouts(layouts)
    _check_domain(domain)
    if not (shape is None or isinstance(shape, st.SearchStrategy) or _is_shape(shape)):
        raise InvalidArgument(f"shape={shape!r}: expected a tuple of non-negative ints, a strategy or None")
    return _tensors(dtype, shape, device, domain, specials, nonzero, layouts, clustered)


@st.composite
def _tensors(draw, dtype, shape, device, domain, specials, nonzero, layouts, clustered) -> Drawn:
    if shape is None:
        shape = shapes()
    shp = draw(shape) if isinstance(shape, st.SearchStrategy) else tuple(shape)
    layout = draw(st.sampled_from(list(layouts)))
    carrier = np.dtype(dtypes.to_numpy(dtype))
    elems = elements(dtype, domain=domain, specials=specials)
    if clustered and dtype.is_floating_point and draw(st.booleans(), label="clustered"):
        elems = _clustered_elements(draw, dtype, domain)
    if nonzero:
        elems = elems.filter(lambda v: v != 0)
    if layout == "expanded" and len(shp) >= 1:
        row = draw(hnp.arrays(carrier, (1,) + shp[1:], elements=elems))
        values = np.broadcast_to(row, shp).copy()
    else:
        values = draw(hnp.arrays(carrier, shp, elements=elems))
    if dtype == torch.bfloat16:
        values = dtypes.round_to_dtype(values, dtype)
    return Drawn(_with_layout(values, dtype, device, layout), values, applied_layout(layout, values.ndim))
