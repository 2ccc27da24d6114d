"""Scans and order statistics of the op table (``conformance/test_order_statistics.py``):
cumulative ops, sorting, selection, quantiles, uniqueness, binning and
counting, each against NumPy along a drawn dim.

Values that sort are compared exactly (a sort only moves values); indices
are compared where torch documents them (stable sorts, cumulative extremes).
"""

from __future__ import annotations

from hypothesis import strategies as st

from torchconform.ops.record import ALL, FLOAT, REAL, Deviates, Op

_SMALL = (-1e4, 1e4)
_FLOAT_ONLY = ("float32", "float64")


def _dim(shapes, dtype):
    nd = len(shapes[0])
    return st.fixed_dictionaries({"dim": st.integers(-nd, nd - 1)})


def _sort(shapes, dtype):
    return _dim(shapes, dtype).flatmap(lambda d: st.just(d) | st.fixed_dictionaries(
        {"dim": st.just(d["dim"]), "descending": st.booleans()})).map(lambda d: {"descending": False} | d)


@st.composite
def _k(draw, shapes, dtype):
    """A dim and a k in [1, size along it] (topk/kthvalue need k >= 1 elements)."""
    nd = len(shapes[0])
    dim = draw(st.integers(-nd, nd - 1))
    return {"dim": dim, "k": draw(st.integers(1, shapes[0][dim]))}


def _topk(shapes, dtype):
    return _k(shapes, dtype).flatmap(lambda d: st.fixed_dictionaries(
        {**{k: st.just(v) for k, v in d.items()}, "largest": st.booleans()}))


def _quantile(shapes, dtype):
    return _dim(shapes, dtype).flatmap(lambda d: st.fixed_dictionaries({
        "dim": st.just(d["dim"]), "q": st.sampled_from([0.0, 0.25, 0.5, 0.9, 1.0]),
        "interpolation": st.sampled_from(["linear", "lower", "higher", "midpoint", "nearest"]),
        "keepdim": st.booleans()}))


def _diff(shapes, dtype):
    return _dim(shapes, dtype).flatmap(lambda d: st.fixed_dictionaries(
        {"dim": st.just(d["dim"]), "n": st.integers(0, 3)}))


def _trapezoid(shapes, dtype):
    return _dim(shapes, dtype).flatmap(lambda d: st.fixed_dictionaries(
        {"dim": st.just(d["dim"]), "dx": st.sampled_from([1.0, 0.5, 2.0])}))


def _norm(shapes, dtype):
    return st.fixed_dictionaries({"p": st.sampled_from([1, 2, 3, float("inf"), float("-inf")])})


def _bins(shapes, dtype):
    return st.fixed_dictionaries({"bins": st.sampled_from([1, 4, 8]), "lo": st.sampled_from([-4, 0]),
                                  "hi": st.sampled_from([4, 8])})


def _right(shapes, dtype):
    return st.fixed_dictionaries({"right": st.booleans()})


def _correction(shapes, dtype):
    return st.fixed_dictionaries({"correction": st.integers(0, 1)})


# Every result element may move when the sorted sequence holds a NaN.
_NAN_IN_SEARCH = "np.any(np.isnan(x)) | np.isnan(y)"
# A value whose exact bin position (x - lo) * bins / (hi - lo) lies within a few roundings of an edge.
_NEAR_AN_EDGE = ("np.any(np.abs((x - lo) * bins / (hi - lo) - np.round((x - lo) * bins / (hi - lo)))"
                 " <= 4 * eps * bins)")
_ACCUMULATE = "np.int64 if x.dtype.kind in 'biu' else None"

ORDER = [
    Op("cumsum", "torch.cumsum(x, dim=dim)", f"np.cumsum(x, axis=dim, dtype={_ACCUMULATE})", kinds=ALL,
       params=_dim, min_dims=1, out_dtype="accumulate", factor="sum", scale="np.cumsum(np.abs(x), axis=dim)",
       inplace="x.cumsum_(dim=dim)", out="torch.cumsum(x, dim=dim, out=out)"),
    Op("cumprod", "torch.cumprod(x, dim=dim)", f"np.cumprod(x, axis=dim, dtype={_ACCUMULATE})",
       kinds=("int", "float", "complex"), domain=(-4, 4), params=_dim, min_dims=1, out_dtype="accumulate",
       factor="prod", scale="np.cumprod(np.abs(x), axis=dim)", out="torch.cumprod(x, dim=dim, out=out)"),
    Op("cummax_values", "torch.cummax(x, dim=dim).values", "np.maximum.accumulate(x, axis=dim)", kinds=REAL, params=_dim, min_dims=1),
    Op("cummax_indices", "torch.cummax(x, dim=dim).indices", "ref.cumulative_extreme_indices(x, dim, True)",
       kinds=REAL, params=_dim, min_dims=1, out_dtype="long", returns_index=True),
    Op("cummin_values", "torch.cummin(x, dim=dim).values", "np.minimum.accumulate(x, axis=dim)", kinds=REAL,
       params=_dim, min_dims=1),
    Op("cummin_indices", "torch.cummin(x, dim=dim).indices", "ref.cumulative_extreme_indices(x, dim, False)",
       kinds=REAL, params=_dim, min_dims=1, out_dtype="long", returns_index=True),
    Op("logcumsumexp", "torch.logcumsumexp(x, dim=dim)", "np.logaddexp.accumulate(x, axis=dim)", kinds=FLOAT,
       domain=(-80, 80), specials=False, params=_dim, min_dims=1, factor="sum",
       scale="np.maximum.accumulate(np.abs(x), axis=dim)"),
    Op("sort_values", "torch.sort(x, dim=dim, descending=descending, stable=True).values",
       "ref.sort_values(x, dim, descending)", kinds=REAL, params=_sort, min_dims=1),
    Op("sort_stable_indices", "torch.sort(x, dim=dim, descending=descending, stable=True).indices",
       "ref.stable_sort_indices(x, dim, descending)", kinds=REAL, params=_sort, min_dims=1, out_dtype="long",
       returns_index=True),
    Op("argsort_stable", "torch.argsort(x, dim=dim, descending=descending, stable=True)",
       "ref.stable_sort_indices(x, dim, descending)", kinds=("bool", "int", "float"), params=_sort, min_dims=1,
       out_dtype="long", returns_index=True),
    Op("msort", "torch.msort(x)", "ref.sort_values(x, 0, False)", kinds=REAL, min_dims=1),
    Op("topk_values", "torch.topk(x, k, dim=dim, largest=largest).values",
       "np.take(ref.sort_values(x, dim, largest), np.arange(k), axis=dim)", kinds=REAL, params=_topk,
       min_dims=1, nonempty=True),
    Op("kthvalue", "torch.kthvalue(x, k, dim=dim).values", "np.take(ref.sort_values(x, dim, False), k - 1, axis=dim)",
       kinds=REAL, params=_k, min_dims=1, nonempty=True),
    Op("median", "torch.median(x)", "ref.lower_median(x, None)", kinds=REAL,
       nonempty=True),
    Op("median_dim", "torch.median(x, dim=dim).values",
       "ref.lower_median(x, dim)", kinds=REAL, params=_dim,
       min_dims=1, nonempty=True),
    Op("nanmedian", "torch.nanmedian(x)",
       "np.sort(x[~np.isnan(x)])[(np.count_nonzero(~np.isnan(x)) - 1) // 2] if np.any(~np.isnan(x)) else np.nan",
       nonempty=True),
    Op("quantile", "torch.quantile(x, q, dim=dim, keepdim=keepdim, interpolation=interpolation)",
       "np.quantile(x, q, axis=dim, keepdims=keepdim, method=interpolation)", params=_quantile, min_dims=1,
       nonempty=True, dtypes=_FLOAT_ONLY, domain=_SMALL, scale="np.max(np.abs(x), axis=dim, keepdims=keepdim)"),
    Op("nanquantile", "torch.nanquantile(x, q, dim=dim, keepdim=keepdim, interpolation=interpolation)",
       "np.nanquantile(x, q, axis=dim, keepdims=keepdim, method=interpolation)", params=_quantile, min_dims=1,
       nonempty=True, dtypes=_FLOAT_ONLY, domain=_SMALL,
       scale="np.nanmax(np.abs(x), axis=dim, keepdims=keepdim)"),
    Op("mode", "torch.mode(x, dim=dim).values", "ref.mode_values(x, dim)", kinds=("bool", "int", "float"),
       specials=False, params=_dim, min_dims=1, nonempty=True),
    Op("unique", "torch.unique(x)", "np.unique(x, equal_nan=False)", kinds=("bool", "int", "float"),
       specials=False),
    Op("unique_inverse", "torch.unique(x, return_inverse=True)[1]",
       "np.unique(x, return_inverse=True, equal_nan=False)[1].reshape(x.shape)", kinds=("bool", "int", "float"),
       specials=False, out_dtype="long"),
    Op("unique_counts", "torch.unique(x, return_counts=True)[1]",
       "np.unique(x, return_counts=True, equal_nan=False)[1]", kinds=("bool", "int", "float"), specials=False,
       out_dtype="long"),
    # Torch refuses more than one zero-sized dim here (a documented error message, no deviation of values).
    Op("unique_dim", "torch.unique(x, dim=dim)", "np.unique(x, axis=dim)", kinds=("bool", "int", "float"),
       specials=False, params=_dim, min_dims=1, nonempty=True),
    Op("unique_consecutive", "torch.unique_consecutive(x)", "ref.unique_consecutive(x, False)",
       kinds=("bool", "int", "float"), specials=False),
    Op("unique_consecutive_counts", "torch.unique_consecutive(x, return_counts=True)[1]",
       "ref.unique_consecutive(x, True)", kinds=("bool", "int", "float"), specials=False, out_dtype="long"),
    Op("searchsorted", "torch.searchsorted(torch.sort(x.flatten()).values, y, right=right)",
       "np.searchsorted(np.sort(x.ravel()), y, side='right' if right else 'left')", arity=2, kinds=REAL,
       params=_right, out_dtype="long", deviation=Deviates("searchsorted-nan", _NAN_IN_SEARCH)),
    Op("bucketize", "torch.bucketize(y, torch.sort(x.flatten()).values, right=right)",
       "np.searchsorted(np.sort(x.ravel()), y, side='right' if right else 'left')", arity=2, kinds=REAL,
       params=_right, out_dtype="long", deviation=Deviates("searchsorted-nan", _NAN_IN_SEARCH)),
    Op("histc", "torch.histc(x, bins=bins, min=lo, max=hi)",
       "np.histogram(x, bins=bins, range=(lo, hi))[0].astype(np.float64)", dtypes=_FLOAT_ONLY, specials=False,
       domain=(-10, 10), params=_bins, deviation=Deviates("histc-bins-by-the-rounded-position", _NEAR_AN_EDGE)),
    Op("histogram", "torch.histogram(x, bins=bins, range=(lo, hi)).hist",
       "np.histogram(x, bins=bins, range=(lo, hi))[0].astype(np.float64)", dtypes=_FLOAT_ONLY, specials=False,
       domain=(-10, 10), params=_bins),
    # Pairs (x_i, y_i) of the broadcast inputs binned on a 2-d grid.
    Op("histogramdd", "torch.histogramdd(torch.stack(torch.broadcast_tensors(x, y), -1).reshape(-1, 2), bins=bins,"
       " range=[lo, hi, lo, hi]).hist",
       "np.histogramdd(np.stack(np.broadcast_arrays(x, y), -1).reshape(-1, 2), bins=bins, range=[(lo, hi), (lo, hi)])[0]",
       arity=2, dtypes=_FLOAT_ONLY, specials=False, domain=(-10, 10), params=_bins),
    Op("bincount", "torch.bincount(torch.remainder(x.flatten(), 16))", "np.bincount(np.remainder(x.ravel(), 16))",
       kinds=("int",),
       out_dtype="long"),
    Op("count_nonzero", "torch.count_nonzero(x, dim=dim)", "np.count_nonzero(x, axis=dim)", kinds=ALL,
       params=_dim, min_dims=1, out_dtype="long"),
    Op("nansum", "torch.nansum(x, dim=dim)", f"np.nansum(x, axis=dim, dtype={_ACCUMULATE})", kinds=REAL,
       params=_dim, min_dims=1, out_dtype="accumulate", factor="sum",
       scale="np.nansum(np.abs(x), axis=dim)"),
    Op("nanmean", "torch.nanmean(x, dim=dim)", "np.nanmean(x, axis=dim)", params=_dim, min_dims=1,
       factor="mean", domain=_SMALL, scale="np.nanmean(np.abs(x), axis=dim)"),
    Op("norm", "torch.norm(x, p=p)", "ref.vector_norm(x, p)", params=_norm, factor="sum",
       domain=_SMALL, specials=False, nonempty=True,
       deviation=Deviates("vector-norm-powers-leave-the-range",
                          "np.isfinite(p) & (p > 1) & np.any(x != 0) & (np.sum(np.abs(x[x != 0]) ** p) < tiny)")),
    Op("diff", "torch.diff(x, n=n, dim=dim)", "np.diff(x, n=n, axis=dim)", kinds=("int", "float", "complex"),
       params=_diff, min_dims=1, domain=_SMALL, scale="2 ** n * np.max(np.abs(x), initial=0)"),
    Op("trapezoid", "torch.trapezoid(x, dx=dx, dim=dim)", "np.trapezoid(x, dx=dx, axis=dim)", params=_trapezoid,
       min_dims=1, domain=_SMALL, factor="sum", scale="dx * np.sum(np.abs(x), axis=dim)"),
    Op("cumulative_trapezoid", "torch.cumulative_trapezoid(x, dx=dx, dim=dim)",
       "scipy.integrate.cumulative_trapezoid(x, dx=dx, axis=dim)", params=_trapezoid, min_dims=1, nonempty=True,
       domain=_SMALL, factor="sum", scale="dx * np.sum(np.abs(x), axis=dim, keepdims=True)"),
    Op("cov", "torch.cov(x.flatten(1), correction=correction)",
       "np.cov(x.reshape(x.shape[0], -1), ddof=correction)", params=_correction, min_dims=2, nonempty=True,
       domain=(-10, 10), specials=False, factor="var",
       scale="np.max(np.abs(x)) ** 2"),
    Op("trapz", "torch.trapz(x, dx=dx, dim=dim)", "np.trapezoid(x, dx=dx, axis=dim)", params=_trapezoid,
       min_dims=1, domain=_SMALL, factor="sum", scale="dx * np.sum(np.abs(x), axis=dim)"),
    Op("softmax", "torch.softmax(x, dim)", "ref.softmax(x, dim)", params=_dim, min_dims=1, nonempty=True,
       domain=(-80, 80),
       specials=False, factor="sum"),
    Op("log_softmax", "torch.log_softmax(x, dim)", "ref.log_softmax(x, dim)", params=_dim, min_dims=1, nonempty=True,
       domain=(-80, 80), specials=False, factor="sum", scale="np.max(np.abs(x), axis=dim, keepdims=True)"),
    Op("cdist", "torch.cdist(x.flatten(1), x.flatten(1), p=p)", "ref.pairwise_distances(x.reshape(x.shape[0], -1), p)",
       min_dims=2, nonempty=True, dtypes=_FLOAT_ONLY, domain=(-100, 100), specials=False, factor="sum",
       scale="np.max(np.abs(x), initial=0) * x[0].size",
       params=lambda shapes, dtype: st.fixed_dictionaries({"p": st.sampled_from([1.0, 2.0, float("inf")])})),
    Op("dist", "torch.dist(x, y, p)", "ref.vector_norm(x - y, p) if np.size(x - y) else 0.0", arity=2,
       domain=_SMALL, specials=False, factor="sum", scale="ref.vector_norm(np.abs(x) + np.abs(y), p)"
       " if np.size(x - y) else 0.0",
       params=lambda shapes, dtype: st.fixed_dictionaries({"p": st.sampled_from([1, 2, 3])})),
    Op("aminmax_min", "torch.aminmax(x, dim=dim).min", "np.min(x, axis=dim)", kinds=REAL, params=_dim, min_dims=1,
       nonempty=True),
    Op("aminmax_max", "torch.aminmax(x, dim=dim).max", "np.max(x, axis=dim)", kinds=REAL, params=_dim, min_dims=1,
       nonempty=True),
]
