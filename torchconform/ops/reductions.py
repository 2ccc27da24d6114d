"""Reduction rows of the op table (``conformance/test_reductions.py``).

A reduction's ``params`` draw its ``dim`` (negative ones too, or None for all
dims) and ``keepdim`` for the input shape.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from torchconform.ops.gradient import FINITE_DIFFERENCES as FD, Domain, Smooth
from torchconform.ops.pointwise import NO_INTERMEDIATE_OVERFLOW
from torchconform.ops.record import ALL, REAL, Deviates, Op
from torchconform.references import vjp


def dim_params(shapes, dtype=None, *, keepdim: bool = True, allow_none: bool = True) -> st.SearchStrategy:
    """Keyword dicts ``{"dim": int | None, "keepdim": bool}`` for a reduction of
    an input of shape ``shapes[0]``: a dim in ``[-ndim, ndim)`` (None, for all
    dims, when ``allow_none``; always None for a 0-d input), and keepdim
    unless ``keepdim=False``."""
    nd = len(shapes[0])
    dims = st.integers(-nd, nd - 1) if nd else st.just(None)
    if allow_none:
        dims = st.one_of(st.none(), dims)
    return st.fixed_dictionaries({"dim": dims, **({"keepdim": st.booleans()} if keepdim else {})})


def _required_dim(shapes, dtype):
    return dim_params(shapes, allow_none=False)


def _std_params(shapes, dtype):
    return st.fixed_dictionaries({"dim": dim_params(shapes, keepdim=False).map(lambda d: d["dim"]),
                                  "keepdim": st.booleans(), "correction": st.integers(0, 2)})


_DISTINCT = Smooth(distinct=True)
_DISTINCT_ALONG_A_DIM = Smooth(distinct=True, min_dims=1)

REDUCTIONS = [
    Op("sum", "torch.sum(x) if dim is None else torch.sum(x, dim=dim, keepdim=keepdim)",
       "np.sum(x, dtype=np.int64 if x.dtype.kind in 'biu' else None, axis=dim, keepdims=keepdim and dim is not None)",
       kinds=("bool", "int", "float", "complex"), params=dim_params, out_dtype="accumulate", factor="sum",
       scale="np.sum(np.abs(x), axis=dim, keepdims=keepdim and dim is not None)",
       grad=vjp.sum_, nan_propagating=True),
    Op("mean", "torch.mean(x) if dim is None else torch.mean(x, dim=dim, keepdim=keepdim)",
       "np.mean(x, axis=dim, keepdims=keepdim and dim is not None)", params=dim_params, factor="mean",
       domain=NO_INTERMEDIATE_OVERFLOW,
       scale="np.mean(np.abs(x), axis=dim, keepdims=keepdim and dim is not None)",
       grad=vjp.mean, nan_propagating=True),
    Op("prod", "torch.prod(x) if dim is None else torch.prod(x, dim=dim, keepdim=keepdim)",
       "np.prod(x, dtype=np.int64 if x.dtype.kind in 'biu' else None, axis=dim, keepdims=keepdim and dim is not None)",
       kinds=("int", "float"), domain=(-2, 2), params=dim_params, out_dtype="accumulate", factor="prod",
       grad=FD, smooth=Smooth((Domain((-2.0, 2.0)),)), nan_propagating=True,
       # A slice holding a zero whose other factors could carry a running product past the largest
       # finite value (no order can overflow when the product of max(|x|, 1) stays finite).
       deviation=Deviates("prod-running-overflow-before-zero",
                          "np.any(x == 0, axis=dim, keepdims=keepdim and dim is not None)"
                          " & (np.prod(np.maximum(np.abs(x), 1.0), axis=dim, keepdims=keepdim and dim is not None)"
                          " > huge)")),
    Op("amax", "torch.amax(x) if dim is None else torch.amax(x, dim=dim, keepdim=keepdim)",
       "np.max(x, axis=dim, keepdims=keepdim and dim is not None)", kinds=REAL, params=dim_params, nonempty=True,
       grad=vjp.amax, smooth=_DISTINCT, nan_propagating=True),
    Op("amin", "torch.amin(x) if dim is None else torch.amin(x, dim=dim, keepdim=keepdim)",
       "np.min(x, axis=dim, keepdims=keepdim and dim is not None)", kinds=REAL, params=dim_params, nonempty=True,
       grad=vjp.amin, smooth=_DISTINCT, nan_propagating=True),
    Op("max_values", "torch.max(x, dim=dim, keepdim=keepdim).values",
       "np.max(x, axis=dim, keepdims=keepdim)", kinds=REAL, params=_required_dim, nonempty=True, min_dims=1,
       grad=vjp.max_values, smooth=_DISTINCT_ALONG_A_DIM, nan_propagating=True),
    Op("max_indices", "torch.max(x, dim=dim, keepdim=keepdim).indices",
       "np.expand_dims(np.argmax(x, axis=dim), dim) if keepdim else np.argmax(x, axis=dim)", kinds=REAL,
       params=_required_dim, nonempty=True, min_dims=1, out_dtype="long", returns_index=True),
    Op("min_values", "torch.min(x, dim=dim, keepdim=keepdim).values",
       "np.min(x, axis=dim, keepdims=keepdim)", kinds=REAL, params=_required_dim, nonempty=True, min_dims=1,
       grad=vjp.min_values, smooth=_DISTINCT_ALONG_A_DIM, nan_propagating=True),
    Op("min_indices", "torch.min(x, dim=dim, keepdim=keepdim).indices",
       "np.expand_dims(np.argmin(x, axis=dim), dim) if keepdim else np.argmin(x, axis=dim)", kinds=REAL,
       params=_required_dim, nonempty=True, min_dims=1, out_dtype="long", returns_index=True),
    Op("argmax", "torch.argmax(x, dim=dim, keepdim=keepdim)",
       "np.argmax(x, axis=dim, keepdims=keepdim)", kinds=REAL,
       params=dim_params, nonempty=True, out_dtype="long", returns_index=True),
    Op("argmin", "torch.argmin(x, dim=dim, keepdim=keepdim)",
       "np.argmin(x, axis=dim, keepdims=keepdim)", kinds=REAL,
       params=dim_params, nonempty=True, out_dtype="long", returns_index=True),
    # Two-pass (mean first) in float64 on data shifted by its first element: the reference. var_mean and
    # std_mean (part 0) are the same rows through the other entry point.
    *[Op(name, f"torch.{name}(x, dim=dim, correction=correction, keepdim=keepdim){part}",
         "ref.variance(x, dim, correction, keepdim)", params=_std_params,
         specials=False, domain=(-1e3, 1e3), factor="var", clustered=True,
         scale="ref.variance_error_scale(x, dim, correction, keepdim, eps)",
         grad=FD, smooth=Smooth(min_side=2, valid=lambda out: bool(np.all(np.isfinite(out)))), nan_propagating=True)
      for name, part in (("var", ""), ("var_mean", "[0]"))],
    # Central differences need the spread well above their step.
    *[Op(name, f"torch.{name}(x, dim=dim, correction=correction, keepdim=keepdim){part}",
         "ref.standard_deviation(x, dim, correction, keepdim)", params=_std_params,
         specials=False, domain=(-1e3, 1e3), factor="std", clustered=True,
         scale="ref.std_error_scale(x, dim, correction, keepdim, eps)",
         grad=FD, smooth=Smooth(distinct=True, min_side=2,
                                valid=lambda out: bool(np.all(np.isfinite(out)) and np.all(out > 0.1))),
         nan_propagating=True)
      for name, part in (("std", ""), ("std_mean", "[0]"))],
    # var_mean and std_mean return (var or std, mean): the rows above check part 0, these part 1.
    *[Op(f"{name}_mean", f"torch.{name}(x, dim=dim, correction=correction, keepdim=keepdim)[1]",
         "np.mean(x, axis=dim, keepdims=keepdim)", params=_std_params, specials=False, domain=(-1e3, 1e3),
         factor="mean", scale="np.mean(np.abs(x), axis=dim, keepdims=keepdim)", nan_propagating=True)
      for name in ("var_mean", "std_mean")],
    Op("logsumexp", "torch.logsumexp(x, dim=dim, keepdim=keepdim)", "ref.logsumexp(x, dim, keepdim)",
       params=_required_dim, specials=False, domain=(-80, 80), nonempty=True, min_dims=1,
       factor="sum", scale="np.max(np.abs(x), axis=dim, keepdims=keepdim)",
       grad=FD, smooth=Smooth(min_dims=1), nan_propagating=True),
    Op("all", "torch.all(x)", "np.all(x)", kinds=ALL, out_dtype="logical"),
    Op("any", "torch.any(x)", "np.any(x)", kinds=ALL, out_dtype="logical"),
]
