"""Hypothesis strategies for linear algebra: matrices with a known condition number.

A drawn matrix is built in NumPy as ``U diag(s) V^H`` from Haar-random
unitary factors (``scipy.stats.unitary_group``/``ortho_group``, seeded by a
drawn integer) and singular values spaced geometrically from 1 down to
``1/cond``, then rounded to the tested dtype. The reference sees the
rounded values and the condition number reported is recomputed from them
(:func:`numpy.linalg.cond`), so tolerances derived from it are honest.
Shrinking goes towards small sizes, condition number 1 and seed 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from hypothesis import strategies as st
from scipy.stats import ortho_group, unitary_group

from torchconform import dtypes

#: Matrix kinds :func:`matrices` draws.
KINDS = ("general", "hermitian", "spd", "lower", "upper", "indefinite")


@dataclass
class DrawnMatrix:
    """A (batch of) matrices on a device, their values in float64/complex128,
    and the largest 2-norm condition number over the batch (1 for empty)."""

    tensor: torch.Tensor
    array: np.ndarray
    cond: float

    def __repr__(self) -> str:
        return (f"DrawnMatrix(dtype={dtypes.name(self.tensor.dtype)}, shape={tuple(self.tensor.shape)}, "
                f"cond={self.cond:.3g}, values={self.array.tolist()!r})")


def _unitary(n: int, rng: np.random.Generator, complex_: bool) -> np.ndarray:
    if n == 0:
        return np.zeros((0, 0))
    if n == 1:
        return np.ones((1, 1))
    group = unitary_group if complex_ else ortho_group
    return group.rvs(n, random_state=rng)


def _one(m: int, n: int, cond: float, kind: str, rng: np.random.Generator, complex_: bool, rank: int | None):
    k = min(m, n)
    s = np.geomspace(1.0, 1.0 / cond, k) if k else np.zeros(0)
    if rank is not None:
        s[rank:] = 0.0
    if kind in ("hermitian", "spd", "indefinite"):
        q = _unitary(n, rng, complex_)
        signs = rng.choice([-1.0, 1.0], size=n) if kind != "spd" else np.ones(n)
        return (q * (s * signs)) @ q.conj().T
    u, v = _unitary(m, rng, complex_)[:, :k], _unitary(n, rng, complex_)[:, :k]
    a = (u * s) @ v.conj().T
    if kind in ("lower", "upper"):
        # A triangular matrix with a controlled diagonal: unit off-diagonal scale,
        # diagonal magnitudes from s, so cond stays near the requested value.
        tri = np.tril(a, -1) if kind == "lower" else np.triu(a, 1)
        a = tri / max(n, 1) + np.diag(s * rng.choice([-1.0, 1.0], size=k))
    return a


@st.composite
def matrices(draw, dtype: torch.dtype, *, device: str = "cpu", batch: tuple[int, ...] | None = None,
             rows: int | None = None, cols: int | None = None, kind: str = "general", max_cond: float = 100.0,
             max_side: int = 4, rank: int | None = None) -> DrawnMatrix:
    """A batch of ``rows x cols`` matrices of ``dtype`` (sizes drawn in
    ``0..max_side`` when not given; square unless ``cols`` differs) with
    2-norm condition number about ``cond`` drawn in ``[1, max_cond]``.

    ``kind``: "general", "hermitian" (indefinite, Hermitian), "spd"
    (Hermitian positive definite), "indefinite" (alias of "hermitian" with
    signs drawn), "lower"/"upper" triangular. ``rank`` zeroes all but the
    first ``rank`` singular values. ``batch`` defaults to 0-2 drawn batch
    dims of size 0-2. The tensor may be column-major (a transposed layout).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown matrix kind {kind!r}; expected one of {KINDS}")
    if batch is None:
        batch = tuple(draw(st.lists(st.integers(0, 2), max_size=2), label="batch"))
    m = rows if rows is not None else draw(st.integers(0, max_side), label="rows")
    n = cols if cols is not None else m
    cond = draw(st.floats(1.0, max_cond), label="cond")
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    complex_ = dtypes.is_complex(dtype)
    count = int(np.prod(batch))
    mats = [_one(m, n, cond, kind, rng, complex_, rank) for _ in range(count)]
    values = np.array(mats).reshape(batch + (m, n)) if count else np.zeros(batch + (m, n))
    values = dtypes.round_to_dtype(values.astype(dtypes.reference_dtype(dtype)), dtype)
    exact = values.astype(dtypes.reference_dtype(dtype))
    if kind in ("hermitian", "spd", "indefinite"):
        exact = (exact + np.swapaxes(exact, -1, -2).conj()) / 2  # rounding may break the symmetry by an ULP
        values = dtypes.round_to_dtype(exact, dtype)
        exact = values.astype(exact.dtype)
    tensor = torch.from_numpy(np.ascontiguousarray(values)).to(device=device, dtype=dtype)
    if draw(st.booleans(), label="column-major"):
        tensor = tensor.mT.contiguous().mT
    with np.errstate(all="ignore"):
        conds = np.linalg.cond(exact.reshape((-1, m, n))) if exact.size and rank is None else np.ones(1)
    return DrawnMatrix(tensor, exact, float(np.max(conds)) if conds.size else 1.0)
