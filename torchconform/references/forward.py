"""NumPy forward references too long for one expression in the op table.

Pure NumPy, no torch: a repro script inlines these with ``inspect.getsource``.
Each takes and returns float64 arrays of any shape. Special functions come
from SciPy (``scipy.special``, Cephes/Boost implementations), never from
hand-written series; where SciPy's value at an infinity disagrees with the
limit C99 Annex F prescribes, the limit is written out.
"""

import itertools
import math

import numpy as np
import scipy.special


def sigmoid(x):
    """The logistic function ``1 / (1 + exp(-x))``, elementwise, same shape as
    ``x``; for ``x < 0`` the algebraically equal ``exp(x) / (1 + exp(x))``."""
    # Two branches so neither exp overflows into a wrong 0/inf ratio.
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))


def logsumexp(x, dim, keepdim):
    """``log(sum(exp(x), axis=dim))`` with the maximum shifted out first, so no
    exp overflows (Blanchard, Higham and Higham, "Accurately computing the
    log-sum-exp and softmax functions", IMA J. Numer. Anal. 41, 2021). ``dim``
    is an int; the reduced axis is kept with size 1 when ``keepdim``."""
    m = np.max(x, axis=dim, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=dim, keepdims=True)) + m
    return out if keepdim else np.squeeze(out, axis=dim)


def relu(x):
    """``max(x, 0)`` elementwise, same shape and dtype as ``x``; NaN stays NaN."""
    # NaN propagates, as in IEEE max with a NaN operand.
    return np.where(np.isnan(x), x, np.maximum(x, 0))


def _lgamma(v):
    try:
        return math.lgamma(v)
    except (ValueError, OverflowError):  # a pole (C99 F.9.5.4: +inf), or beyond the largest float
        return math.inf


def lgamma(x):
    """``log|Gamma(x)|`` elementwise, from Python's ``math.lgamma`` (C99
    ``lgamma``): +inf at the poles and at both infinities. Not
    ``scipy.special.gammaln``, which returns inf for subnormal inputs (where
    the value is -log(x), about 744) and -inf at -inf."""
    return np.vectorize(_lgamma, otypes=[np.float64])(x)


def i0(x):
    """The modified Bessel function of the first kind of order 0,
    ``scipy.special.i0``, with its limit +inf at both infinities (the series
    sum((x/2)**(2k) / (k!)**2) grows without bound; Cephes returns nan there)."""
    return np.where(np.isinf(x), np.inf, scipy.special.i0(x))


def logit(x, eps):
    """``log(p / (1 - p))`` with ``p = clip(x, eps, 1 - eps)`` (``eps=None``:
    no clipping), as torch.logit documents; the log-odds via ``scipy.special.logit``."""
    p = x if eps is None else np.clip(x, eps, 1 - eps)
    return scipy.special.logit(p)


def heaviside(x, y):
    """The step function of ``numpy.heaviside``: 0 where ``x < 0``, ``y``
    where ``x == 0``, 1 where ``x > 0``, nan where ``x`` is nan; in the
    inputs' own dtype (``numpy.heaviside`` computes integers in float64,
    which rounds an int64 ``y`` beyond 2**53)."""
    dtype = np.result_type(x, y)
    out = np.where(x == 0, y, (x > 0).astype(dtype)).astype(dtype)
    return np.where(np.isnan(x), x, out) if dtype.kind == "f" else out


def round_decimals(x, decimals):
    """``x`` rounded half to even at ``decimals`` decimal places: ``round(x * 10**d) / 10**d``
    (``x / 10**-d`` for negative ``d``), the formula torch.round documents;
    NaN and infinities pass through."""
    if decimals >= 0:
        return np.round(x * 10.0 ** decimals) / 10.0 ** decimals
    return np.round(x / 10.0 ** -decimals) * 10.0 ** -decimals


def cumulative_extreme_indices(x, dim, largest):
    """Indices of torch.cummax (``largest``) or cummin along int ``dim``: at
    each position, the last index whose value equals the running extreme so
    far, and, once a NaN is met, the index of the first NaN (torch documents
    NaN as the extreme; the index convention is torch's, checked here)."""
    moved = np.moveaxis(np.asarray(x), dim, -1)
    out = np.zeros(moved.shape, dtype=np.int64)
    for idx in np.ndindex(moved.shape[:-1]):
        best, where = None, 0
        for j, v in enumerate(moved[idx]):
            if best is None or _isnan(v) or (not _isnan(best) and (v >= best if largest else v <= best)):
                best, where = v, j
            out[idx + (j,)] = where
    return np.moveaxis(out, -1, dim)


def _isnan(v):
    return bool(np.isnan(v)) if np.issubdtype(np.asarray(v).dtype, np.inexact) else False


def stable_sort_indices(x, dim, descending):
    """Indices that sort ``x`` along ``dim`` stably (ties keep their input
    order), NaN as the largest value (first when ``descending``), as
    torch.sort(stable=True) documents; from NumPy's stable argsort."""
    x = np.asarray(x)
    if not descending:
        return np.argsort(x, axis=dim, kind="stable")
    n = x.shape[dim]
    # Sort the reversed array ascending, read it backwards: descending order
    # with ties in input order.
    backwards = np.argsort(np.flip(x, axis=dim), axis=dim, kind="stable")
    return n - 1 - np.flip(backwards, axis=dim)


def sort_values(x, dim, descending):
    """``x`` sorted along ``dim`` (NaN as the largest value), as torch.sort."""
    return np.take_along_axis(np.asarray(x), stable_sort_indices(x, dim, descending), axis=dim)


def mode_values(x, dim):
    """The most frequent value of each slice along ``dim`` (the smallest one
    when several are equally frequent), as torch.mode documents."""
    moved = np.moveaxis(np.asarray(x), dim, -1)
    out = np.empty(moved.shape[:-1], dtype=moved.dtype)
    for idx in np.ndindex(moved.shape[:-1]):
        values, counts = np.unique(moved[idx], return_counts=True)
        out[idx] = values[np.argmax(counts)]
    return out


def unique_consecutive(x, return_counts):
    """The flattened ``x`` with runs of equal values collapsed (and the run
    lengths when ``return_counts``), as torch.unique_consecutive without dim."""
    flat = np.asarray(x).ravel()
    if flat.size == 0:
        return np.zeros(0, np.int64) if return_counts else flat
    starts = np.concatenate([[True], flat[1:] != flat[:-1]])
    positions = np.flatnonzero(starts)
    return np.diff(np.append(positions, flat.size)) if return_counts else flat[positions]


def lower_median(x, dim):
    """The lower median along ``dim`` (None: of all elements): the element of
    rank (n - 1) // 2, NaN for a slice holding a NaN, as torch.median documents."""
    x = np.asarray(x)
    if dim is None:
        x, dim = x.ravel(), 0
    ranked = np.take(np.sort(x, axis=dim), (x.shape[dim] - 1) // 2, axis=dim)
    if x.dtype.kind != "f":
        return ranked
    return np.where(np.any(np.isnan(x), axis=dim), np.nan, ranked)


def vector_norm(x, p):
    """The p-norm of all elements of ``x`` (``p`` in 1, 2, 3, inf, -inf) by
    ``numpy.linalg.norm`` of ``x`` divided by its largest magnitude, times
    that magnitude: the scaling keeps squares of tiny or huge values from
    underflowing or overflowing (LAPACK's dnrm2 does the same)."""
    flat = np.abs(np.asarray(x).ravel())
    biggest = np.max(flat)
    if not np.isfinite(biggest) or biggest == 0:
        return np.linalg.norm(flat, ord=p)
    return biggest * np.linalg.norm(flat / biggest, ord=p)


def diag_embed(x):
    """A batch of diagonal matrices whose diagonals are the last dim of ``x``
    (shape ``x.shape + x.shape[-1:]``), zeros elsewhere, as torch.diag_embed."""
    x = np.asarray(x)
    n = x.shape[-1]
    out = np.zeros(x.shape + (n,), dtype=x.dtype)
    out[..., np.arange(n), np.arange(n)] = x
    return out


def scatter_reduce(x, dim, index, src, reduce, include_self):
    """torch.scatter_reduce's documented semantics, element by element: for
    each position ``i`` of ``index`` (an int array shaped like a leading
    block of ``src``), ``out[i with i[dim] = index[i]]`` gathers ``src[i]``;
    each output element is the ``reduce`` ("sum", "prod", "mean", "amax",
    "amin") of its gathered values, and of its own value when
    ``include_self``; an element that gathers nothing keeps its value.
    ``mean`` of integers floors, as torch divides integers with floor."""
    x = np.asarray(x)
    gathered = {}
    for i in np.ndindex(index.shape):
        target = i[:dim] + (int(index[i]),) + i[dim + 1:]
        gathered.setdefault(target, []).append(src[i])
    out = x.copy()
    combine = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}[reduce]
    for target, values in gathered.items():
        values = ([x[target]] if include_self else []) + values
        exact = x.dtype.kind in "fc" or reduce != "mean"  # integer sums and products wrap, as in torch
        value = combine(np.array(values, dtype=x.dtype if exact else np.float64))
        if x.dtype.kind not in "fc" and reduce == "mean":
            value = np.floor(value)
        out[target] = value
    return out


def index_reduce(x, dim, index, source, reduce, include_self):
    """torch.index_reduce: slice ``i`` of ``source`` along ``dim`` reduced
    ("prod", "mean", "amax", "amin") into slice ``index[i]`` of ``x``, which is
    :func:`scatter_reduce` with the 1-d ``index`` spread over ``source``'s other dims."""
    shape = [1] * source.ndim
    shape[dim] = -1
    spread = np.broadcast_to(np.asarray(index).reshape(shape), source.shape)
    return scatter_reduce(x, dim, spread, source, reduce, include_self)


def masked_scatter(x, mask, src):
    """``x`` with the positions where ``mask`` is true (in row-major order)
    filled from the leading elements of ``src``, as torch.masked_scatter."""
    out = np.array(np.broadcast_to(x, np.broadcast_shapes(np.shape(x), np.shape(mask))))
    mask = np.broadcast_to(mask, out.shape)
    out[mask] = np.asarray(src).ravel()[:int(np.count_nonzero(mask))]
    return out


def index_add(x, dim, index, source):
    """``x`` plus ``source`` slices added at ``index`` along ``dim``, repeated
    indices accumulating (``numpy.add.at``), as torch.index_add / index_put(accumulate=True)."""
    out = np.array(x, copy=True)
    np.add.at(np.moveaxis(out, dim, 0), index, np.moveaxis(source, dim, 0))
    return out


def index_copy(x, dim, index, source):
    """``x`` with the slices at (distinct) ``index`` along ``dim`` replaced by ``source``'s."""
    out = np.array(x, copy=True)
    np.moveaxis(out, dim, 0)[index] = np.moveaxis(source, dim, 0)
    return out


def index_fill(x, dim, index, value):
    """``x`` with the slices at ``index`` along ``dim`` set to ``value``."""
    out = np.array(x, copy=True)
    np.moveaxis(out, dim, 0)[index] = value
    return out


def combinations(x, r, with_replacement):
    """The r-element combinations of the 1-d ``x`` in lexicographic order of
    positions, one per row (shape ``(count, r)``), as torch.combinations."""
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = [list(c) for c in pick(np.asarray(x).tolist(), r)]
    return np.array(rows, dtype=np.asarray(x).dtype).reshape(len(rows), r)


def softmax(x, dim):
    """``exp(x) / sum(exp(x))`` along ``dim``, with the maximum shifted out first."""
    shifted = np.exp(x - np.max(x, axis=dim, keepdims=True))
    return shifted / np.sum(shifted, axis=dim, keepdims=True)


def log_softmax(x, dim):
    """``x - logsumexp(x)`` along ``dim`` (see :func:`logsumexp`)."""
    return x - logsumexp(x, dim, True)


def pairwise_distances(a, p):
    """The p-norm distance between every pair of rows of the 2-d ``a`` (shape ``(n, n)``)."""
    return np.linalg.norm(a[:, None, :] - a[None, :, :], ord=p, axis=-1) if a.shape[1] else np.zeros((len(a),) * 2)


def make_complex(real, imag):
    """The complex array with these real and imaginary parts (broadcast),
    each part kept as is: ``real + 1j * imag`` would turn an infinite part into nan."""
    real, imag = np.broadcast_arrays(real, imag)
    out = np.empty(real.shape, dtype=np.complex128)
    out.real, out.imag = real, imag
    return out


def put(x, index, source):
    """``x`` with its row-major elements at (distinct) ``index`` replaced by ``source``."""
    out = np.array(x, copy=True).reshape(-1)
    out[index] = source
    return out.reshape(np.shape(x))


def fill_diagonal(a, value):
    """A copy of the 2-d ``a`` with its main diagonal set to ``value`` (``numpy.fill_diagonal``, no wrap)."""
    out = np.array(a, copy=True)
    np.fill_diagonal(out, value)
    return out


def trunc_divide(x, y):
    """Quotient rounded towards zero: exact for integers (``x / y`` in
    float64 loses digits beyond 2**53), ``trunc(x / y)`` for floats."""
    if x.dtype.kind in "biu" and np.asarray(y).dtype.kind in "biu":
        floor = x // y
        return np.where((floor < 0) & (floor * y != x), floor + 1, floor)
    return np.trunc(x / y)


def _spread(x, dim, correction, keepdim):
    """Per slice: the sum of squared deviations from the mean (two-pass), the
    sum of squares, and the divisor ``max(n - correction, 1)``."""
    deviations = x - np.mean(x, axis=dim, keepdims=True)
    squares = np.sum(np.square(deviations), axis=dim, keepdims=keepdim)
    total = np.sum(np.square(x), axis=dim, keepdims=keepdim)
    count = x.size if dim is None else x.shape[dim]
    return squares, total, max(count - correction, 1)


def variance_error_scale(x, dim, correction, keepdim, eps):
    """Size of the rounding error of a variance computed in a dtype with
    machine epsilon ``eps`` by a stable algorithm (two-pass or Welford):
    first order ``sqrt(S * sum(x**2)) / (n - correction)``, the variance times
    its condition number ``sqrt(sum(x**2) / S)`` (Chan, Golub and LeVeque,
    "Algorithms for computing the sample variance", 1983), plus the rounded
    mean's second-order term ``eps * sum(x**2) / (n - correction)``, which is
    what is left for a constant slice (S = 0)."""
    squares, total, divisor = _spread(x, dim, correction, keepdim)
    # the roots apart: squares * total underflows for tiny data (1e-176 * 1e-162)
    return (np.sqrt(squares) * np.sqrt(total) + eps * total) / divisor


def std_error_scale(x, dim, correction, keepdim, eps):
    """The variance's error scale carried through the square root: an error
    ``e`` in the variance moves the root by at most ``e / (std + sqrt(e))``,
    so a constant slice's std must be 0 within a few ULPs of its value."""
    squares, _, divisor = _spread(x, dim, correction, keepdim)
    scale = variance_error_scale(x, dim, correction, keepdim, eps)
    return scale / (np.sqrt(squares / divisor) + np.sqrt(eps * scale))


def _shifted(x, dim):
    """``x`` less the first element of its slice: the same variance, and a
    constant slice becomes exact zeros (a rounded mean would leave a tiny
    positive spread, and S / 0 would be inf where it is 0 / 0 = nan)."""
    if x.size == 0:
        return x
    first = x.reshape(-1)[0] if dim is None else np.take(x, [0], axis=dim)
    return x - first


def variance(x, dim, correction, keepdim):
    """Two-pass variance in float64 of the shifted data (see :func:`_shifted`)."""
    return np.var(_shifted(x, dim), axis=dim, ddof=correction, keepdims=keepdim)


def standard_deviation(x, dim, correction, keepdim):
    """sqrt of :func:`variance` (same arguments, shapes and float64 result)."""
    return np.sqrt(variance(x, dim, correction, keepdim))


def renorm(x, p, dim, maxnorm):
    """torch.renorm's definition (its docs): every sub-tensor ``x`` takes at index ``i`` of ``dim``
    whose p-norm exceeds ``maxnorm`` is scaled to p-norm ``maxnorm``, the others are kept. The
    scale is ``maxnorm / (norm + 1e-7)``, the 1e-7 guard of ATen's renorm kernel (the docs leave
    it out). ``x``: float64 array of at least 2 dims; same shape out."""
    axes = tuple(a for a in range(x.ndim) if a != dim % x.ndim)
    norm = np.sum(np.abs(x) ** p, axis=axes, keepdims=True) ** (1.0 / p)
    return x * np.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)


def sum_to_size(x, size):
    """``x`` summed, keeping dims, over its leading dims beyond ``len(size)``
    and the dims where ``size`` is 1: the gradient of broadcasting ``size``
    to ``x.shape`` (torch ``Tensor.sum_to_size`` docs; NumPy broadcasting rules)."""
    lead = x.ndim - len(size)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(size) if n == 1)
    return np.sum(x, axis=axes, keepdims=True).reshape(size)
