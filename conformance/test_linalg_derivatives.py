"""Every derivative order of the linear-algebra families (issue 14, item 4):
``torch.linalg`` and the matrix functions and products of the ``torch``
namespace, each a :class:`~torchconform.derivative_orders.Differentiable`
row checked in reverse mode, forward mode, second order (reverse-over-reverse
and forward-over-reverse), third order and under ``vmap`` against nested
central differences of its NumPy/SciPy twin, with respect to every input.

Structured inputs are built inside both twins from unconstrained ones, so
every draw is where the function is smooth (entries drawn in [-1, 1], or
[-1/2, 1/2] for the eigen and singular value rows; the 2-norm of an
``m x n`` matrix of entries at most ``c`` is at most ``c sqrt(m n)``):

* symmetric positive definite: ``X X^T + 3 I``;
* invertible, pivot-free: ``X + 4 I`` (smallest singular value at least
  ``4 - sqrt(m n)``, 0.54 for the 4 x 3 shape; each diagonal entry at least
  3 against off-diagonal ones of at most 1, so partial pivoting keeps the
  order);
* distinct real eigenvalues: ``X + diag(-4, 0, 4)`` (disjoint Gershgorin
  discs, each holding one real eigenvalue);
* distinct singular values: ``X + D`` for a tall ``D`` with singular values
  3 and 7 (Weyl's inequality keeps them apart).

Polynomials of degree 2 or less (products, contractions) are drawn in
[-0.05, 0.05]: their third derivatives vanish, and the difference quotient
of a vanishing derivative is rounding noise in proportion to the value.
Decompositions are compared through gauge-invariant functions only: sorted
eigenvalues, eigenvector and singular-vector projectors ``v v^H / v^H v``,
and QR with the signs of ``diag(R)`` moved into ``Q``. Kinks of norms (zero
entries, ties of the maximum) are kept away with ``Domain(avoid=...)`` and
``valid=``. Families torch cannot differentiate, or differentiates wrongly,
are known deviations with strict-xfail examples at the end of the module.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch
from hypothesis import given, strategies as st

from torchconform import compat
from torchconform.derivative_orders import ORDERS, Differentiable, budgeted, check, params
from torchconform.gradcheck import Domain
from torchconform.oracle import assert_matches
from torchconform.references import finite_diff

pytestmark = [pytest.mark.area("linalg"), pytest.mark.capability("grad"), pytest.mark.usefixtures("one_thread")]

N = 3
UNIT = Domain((-1.0, 1.0))
#: Inputs of the eigen and singular value rows: entries of magnitude 1/2 at most.
HALF = Domain((-0.5, 0.5))
NONZERO = Domain((-3.0, 3.0), avoid=(0.0,))
POSITIVE = Domain((0.5, 2.0))
# torch.linalg.cond with a norm other than the 2-norm has no reverse mode
# (known deviation linalg-cond-non-spectral-no-reverse-mode).
FORWARD_ONLY = ("forward",)
# Without forward mode, so without the second order either (it includes
# forward-over-reverse): known deviations legacy-factorizations-no-forward-mode,
# cholesky-inverse-forward-derivative.
NO_FORWARD = tuple(o for o in ORDERS if o not in ("forward", "second"))
NO_SECOND = tuple(o for o in ORDERS if o != "second")
# torch.cov with weights has no batching rule (known deviation cov-weights-no-vmap).
NO_VMAP = tuple(o for o in ORDERS if o != "vmap")
#: Singular values of the tall matrix the SVD rows add their input to.
SPREAD = np.array([[3.0, 0], [0, 7.0], [0, 0]])
#: Eigenvalue centres the eigen rows add their input to.
CENTRES = np.diag([-4.0, 0.0, 4.0])
#: A rotation the complex-eigenvalue rows add their 2x2 input (entries at
#: most 1/2) to: the discriminant stays below 1 - 4 * 2.5**2 < 0, so the
#: eigenvalues are a complex pair with imaginary parts of opposite sign.
ROTATION = np.array([[0.0, -3.0], [3.0, 0.0]])
#: A row negated in the invertible matrices: their determinants are negative
#: (those of X + 4 I are positive), so the sign of det takes part.
SIGNS = np.array([[1.0], [-1.0], [1.0]])


# -------------------------------------------------------- structured inputs


def _const(a: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(a, dtype=like.dtype, device=like.device)


def spd_t(x):
    return x @ x.mT + N * torch.eye(x.shape[-1], dtype=x.dtype, device=x.device)


def spd_n(x):
    return x @ np.swapaxes(x, -1, -2) + N * np.eye(x.shape[-1])


def invertible_t(x):
    return (x + 4 * torch.eye(x.shape[-1], dtype=x.dtype, device=x.device)) * _const(SIGNS, x)


def invertible_n(x):
    return (x + 4 * np.eye(x.shape[-1])) * SIGNS


def pivot_free_t(x):
    return x + 4 * torch.eye(x.shape[-2], x.shape[-1], dtype=x.dtype, device=x.device)


def pivot_free_n(x):
    return x + 4 * np.eye(x.shape[-2], x.shape[-1])


def real_spectrum_t(x):
    return x + _const(CENTRES, x)


def real_spectrum_n(x):
    return x + CENTRES


def symmetric_t(x):
    return (x + x.mT) / 2 + _const(CENTRES, x)


def symmetric_n(x):
    return (x + x.T) / 2 + CENTRES


def spread_t(x):
    return x + _const(SPREAD, x)


def spread_n(x):
    return x + SPREAD


def regular_for_det(a):
    """The smallest singular value at least 0.5 and gaps of 0.05 between
    them (room for the difference steps and the vmap shift): det's
    derivatives are wrong at singular matrices and its forward-over-reverse
    one at repeated singular values (known deviations
    det-derivatives-at-singular-matrices, det-forward-over-reverse-at-repeated-singular-values)."""
    s = np.linalg.svd(a, compute_uv=False)
    return bool(s[-1] >= 0.5 and np.all(-np.diff(s) > 0.05))


# ------------------------------------------------------ gauge-free results


def projectors_t(v):
    """``v_k v_k^H / (v_k^H v_k)`` of each column, stacked (real part)."""
    outer = v.mT.unsqueeze(-1) * v.mT.conj().unsqueeze(-2)
    norms = (v.conj() * v).sum(-2).real
    return (outer / norms[..., None, None]).real


def projectors_n(v):
    outer = v.T[:, :, None] * v.T.conj()[:, None, :]
    norms = (v.conj() * v).sum(0).real
    return (outer / norms[:, None, None]).real


def flat_t(*parts):
    return torch.cat([p.reshape(-1) for p in parts])


def flat_n(*parts):
    return np.concatenate([np.ravel(p) for p in parts])


def eig_t(a):
    values, vectors = torch.linalg.eig(real_spectrum_t(a))
    order = torch.argsort(values.real)
    return flat_t(values.real[order], projectors_t(vectors[:, order]))


def eig_n(a):
    values, vectors = np.linalg.eig(real_spectrum_n(a))
    order = np.argsort(values.real)
    return flat_n(values.real[order], projectors_n(vectors[:, order]))


def complex_pair_t(a):
    values, vectors = torch.linalg.eig(a + _const(ROTATION, a))
    order = torch.argsort(values.imag)
    return flat_t(torch.view_as_real(values[order]), torch.view_as_real(projectors_c_t(vectors[:, order])))


def complex_pair_n(a):
    values, vectors = np.linalg.eig(a + ROTATION)
    order = np.argsort(values.imag)
    p = projectors_c_n(vectors[:, order])
    return flat_n(np.stack([values[order].real, values[order].imag], -1), np.stack([p.real, p.imag], -1))


def by_imaginary_part(values, argsort):
    """Complex eigenvalues in the order of their imaginary parts (complex result)."""
    return values[argsort(values.imag)]


def projectors_c_t(v):
    """``v_k v_k^H / (v_k^H v_k)`` of each column, complex."""
    outer = v.mT.unsqueeze(-1) * v.mT.conj().unsqueeze(-2)
    return outer / (v.conj() * v).sum(-2)[..., None, None]


def projectors_c_n(v):
    outer = v.T[:, :, None] * v.T.conj()[:, None, :]
    return outer / (v.conj() * v).sum(0)[:, None, None]


def eigh_t(a):
    values, vectors = torch.linalg.eigh(symmetric_t(a), UPLO="U")
    return flat_t(values, projectors_t(vectors))


def eigh_n(a):
    values, vectors = np.linalg.eigh(symmetric_n(a), UPLO="U")
    return flat_n(values, projectors_n(vectors))


def sign_fixed_qr_t(q, r):
    signs = torch.sign(torch.diagonal(r, dim1=-2, dim2=-1))
    return flat_t(q * signs[..., None, :], signs[..., :, None] * r)


def sign_fixed_qr_n(a):
    q, r = np.linalg.qr(a)
    signs = np.sign(np.diagonal(r))
    return flat_n(q * signs, signs[:, None] * r)


def svd_t(u, s, vh):
    return flat_t(s, projectors_t(u), projectors_t(vh.mT))


def svd_n(a):
    u, s, vh = np.linalg.svd(spread_n(a), full_matrices=False)
    return flat_n(s, projectors_n(u), projectors_n(vh.T))


def householder_n(a, tau, *, full=False):
    """``H_1 ... H_k`` with ``H_i = I - tau_i v_i v_i^T``, ``v_i`` the i-th
    column below the diagonal with a unit on it (LAPACK's orgqr convention);
    the first ``n`` columns unless ``full``."""
    m, n = a.shape
    q = np.eye(m)
    for i in range(tau.shape[0]):
        v = np.concatenate([np.zeros(i), [1.0], a[i + 1:, i]])
        q = q @ (np.eye(m) - tau[i] * np.outer(v, v))
    return q if full else q[:, :n]


def regular_reflectors(a, tau, *_):
    """Every ``I - tau_i v_i v_i^T`` far from singular (``tau_i |v_i|^2``
    0.05 away from 1): torch's derivatives are nan where one is singular
    (known deviation householder-derivative-at-a-singular-reflector)."""
    norms = [1.0 + float(np.sum(a[i + 1:, i] ** 2)) for i in range(tau.shape[0])]
    return all(abs(t * n - 1.0) > 0.05 for t, n in zip(tau, norms))


def lu_n(a):
    _, lower, upper = scipy.linalg.lu(a)
    return flat_n(lower, upper)


def unpacked_t(lower, upper):
    # L less its unit diagonal, a constant whose rounding would only add noise to the difference quotients
    return flat_t(lower - torch.eye(lower.shape[-1], dtype=lower.dtype, device=lower.device), upper)


def unpacked_n(lu):
    return flat_n(np.tril(lu, -1), np.triu(lu))


def renorm_n(x, p, maxnorm):
    # torch.renorm divides by the norm plus 1e-7 (its documented formula's guard)
    norms = np.sum(np.abs(x) ** p, axis=1, keepdims=True) ** (1 / p)
    return x * np.where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)


def rows_away_from(maxnorm, p):
    def valid(x):
        norms = np.sum(np.abs(x) ** p, axis=1) ** (1 / p)
        return bool(np.all(np.abs(norms - maxnorm) > 0.2))
    return valid


def apart(*arrays):
    """Elementwise gaps above 0.1 between two inputs (|x - y| has a kink at 0)."""
    return bool(np.all(np.abs(arrays[0] - arrays[1]) > 0.1))


def distinct_max(axis, *, absolute=True):
    """The largest (absolute) entry along ``axis`` is unique by a gap of 0.2."""
    def valid(x):
        v = np.sort(np.abs(x) if absolute else x, axis=axis)
        top = np.take(v, [-1], axis=axis) - np.take(v, [-2], axis=axis)
        return bool(np.all(top > 0.2))
    return valid


def distinct_sums(axis):
    """The largest and smallest absolute sums along ``axis`` are unique by 0.2."""
    def valid(x):
        s = np.sort(np.sum(np.abs(x), axis=axis))
        return bool(s[-1] - s[-2] > 0.2 and s[1] - s[0] > 0.2)
    return valid


def spread_rows(x):
    return bool(np.all(np.std(x, axis=1) > 0.3))


# ---------------------------------------------------------------- the rows


#: Entries of the polynomial rows (products, contractions): their third
#: derivatives vanish, and a difference quotient of a vanishing derivative is
#: pure rounding noise, about 2e-6 of ``<g, f>``; entries of 0.05 at most keep
#: it below the policy's absolute tolerance.
SMALL = Domain((-0.05, 0.05))


def polynomial(*args, **kwargs) -> Differentiable:
    """A row of a polynomial of degree 2 or less, drawn in :data:`SMALL`."""
    return Differentiable(*args, domains=(SMALL,), **kwargs)


SQ = (N, N)
TALL = (4, 3)

LINALG = [
    Differentiable("torch.linalg.cholesky", lambda x: torch.linalg.cholesky(spd_t(x), upper=True),
                   lambda x: np.linalg.cholesky(spd_n(x)).T, (SQ,), (UNIT,)),
    Differentiable("torch.linalg.cholesky_ex", lambda x: torch.linalg.cholesky_ex(spd_t(x)).L,
                   lambda x: np.linalg.cholesky(spd_n(x)), (SQ,), (UNIT,)),
    Differentiable("torch.linalg.cond", lambda x: torch.linalg.cond(spread_t(x)),
                   lambda x: np.linalg.cond(spread_n(x)), (SPREAD.shape,), (HALF,)),
    Differentiable("torch.linalg.cond", lambda x: torch.linalg.cond(invertible_t(x), "fro"),
                   lambda x: np.linalg.cond(invertible_n(x), "fro"), (SQ,), (UNIT,), orders=FORWARD_ONLY, variant="p=fro"),
    polynomial("torch.linalg.cross", lambda a, b: torch.linalg.cross(a, b, dim=0),
                   lambda a, b: np.cross(a, b, axis=0), ((3, 2), (3, 2))),
    Differentiable("torch.linalg.det", torch.linalg.det, np.linalg.det, (SQ,), valid=regular_for_det),
    polynomial("torch.linalg.diagonal", lambda x: torch.linalg.diagonal(x, offset=1, dim1=0, dim2=2),
                   lambda x: np.diagonal(x, offset=1, axis1=0, axis2=2), ((2, 2, 3),)),
    Differentiable("torch.linalg.eig", eig_t, eig_n, (SQ,), (HALF,)),
    Differentiable("torch.linalg.eig", complex_pair_t, complex_pair_n, ((2, 2),), (HALF,),
                   variant="complex eigenvalues"),
    Differentiable("torch.linalg.eigh", eigh_t, eigh_n, (SQ,), (HALF,)),
    Differentiable("torch.linalg.eigvals", lambda x: torch.sort(torch.linalg.eigvals(real_spectrum_t(x)).real).values,
                   lambda x: np.sort(np.linalg.eigvals(real_spectrum_n(x)).real), (SQ,), (HALF,)),
    Differentiable("torch.linalg.eigvals",
                   lambda x: by_imaginary_part(torch.linalg.eigvals(x + _const(ROTATION, x)), torch.argsort),
                   lambda x: by_imaginary_part(np.linalg.eigvals(x + ROTATION), np.argsort), ((2, 2),), (HALF,),
                   variant="complex eigenvalues"),
    Differentiable("torch.linalg.eigvalsh", lambda x: torch.linalg.eigvalsh(symmetric_t(x), UPLO="U"),
                   lambda x: np.linalg.eigvalsh(symmetric_n(x), UPLO="U"), (SQ,), (HALF,)),
    Differentiable("torch.linalg.householder_product", torch.linalg.householder_product, householder_n,
                   ((4, 3), (2,)), (UNIT,), valid=regular_reflectors),
    Differentiable("torch.linalg.inv", lambda x: torch.linalg.inv(invertible_t(x)),
                   lambda x: np.linalg.inv(invertible_n(x)), (SQ,), (UNIT,)),
    Differentiable("torch.linalg.inv_ex", lambda x: torch.linalg.inv_ex(invertible_t(x)).inverse,
                   lambda x: np.linalg.inv(invertible_n(x)), (SQ,), (UNIT,)),
    Differentiable("torch.linalg.lstsq", lambda a, b: torch.linalg.lstsq(pivot_free_t(a), b).solution,
                   lambda a, b: np.linalg.lstsq(pivot_free_n(a), b, rcond=None)[0], (TALL, (4, 2)), (UNIT,)),
    Differentiable("torch.linalg.lu", lambda x: flat_t(*torch.linalg.lu(pivot_free_t(x))[1:]),
                   lambda x: lu_n(pivot_free_n(x)), (SQ,), (UNIT,)),
    Differentiable("torch.linalg.lu", lambda x: flat_t(*torch.linalg.lu(pivot_free_t(x))[1:]),
                   lambda x: lu_n(pivot_free_n(x)), (TALL,), (UNIT,), variant="tall"),
    Differentiable("torch.linalg.lu_factor", lambda x: torch.linalg.lu_factor(pivot_free_t(x)).LU,
                   lambda x: scipy.linalg.lu_factor(pivot_free_n(x))[0], (SQ,), (UNIT,)),
    Differentiable("torch.linalg.lu_factor_ex", lambda x: torch.linalg.lu_factor_ex(pivot_free_t(x)).LU,
                   lambda x: scipy.linalg.lu_factor(pivot_free_n(x))[0], (SQ,), (UNIT,)),
    Differentiable("torch.linalg.lu_solve",
                   lambda a, b: torch.linalg.lu_solve(*torch.linalg.lu_factor(pivot_free_t(a)), b, adjoint=True),
                   lambda a, b: np.linalg.solve(pivot_free_n(a).T, b), (SQ, (3, 2)), (UNIT,)),
    Differentiable("torch.linalg.lu_solve",
                   lambda a, b: torch.linalg.lu_solve(*torch.linalg.lu_factor(pivot_free_t(a)), b, left=False),
                   lambda a, b: np.linalg.solve(pivot_free_n(a).T, b.T).T, (SQ, (2, 3)), (UNIT,), variant="left=False"),
    polynomial("torch.linalg.matmul", torch.linalg.matmul, np.matmul, ((2, 1, 3), (2, 3, 2))),
    Differentiable("torch.linalg.matrix_exp", torch.linalg.matrix_exp, scipy.linalg.expm, (SQ,), (UNIT,)),
    Differentiable("torch.linalg.matrix_norm", lambda x: torch.linalg.matrix_norm(x, "fro"),
                   lambda x: np.linalg.norm(x, "fro"), (TALL,), (NONZERO,), variant="ord=fro"),
    Differentiable("torch.linalg.matrix_norm", lambda x: torch.linalg.matrix_norm(spread_t(x), "nuc"),
                   lambda x: np.linalg.norm(spread_n(x), "nuc"), (SPREAD.shape,), (HALF,), variant="ord=nuc"),
    Differentiable("torch.linalg.matrix_norm", lambda x: torch.linalg.matrix_norm(spread_t(x), 2),
                   lambda x: np.linalg.norm(spread_n(x), 2), (SPREAD.shape,), (HALF,), variant="ord=2"),
    Differentiable("torch.linalg.matrix_norm", lambda x: torch.linalg.matrix_norm(spread_t(x), -2),
                   lambda x: np.linalg.norm(spread_n(x), -2), (SPREAD.shape,), (HALF,), variant="ord=-2"),
    Differentiable("torch.linalg.matrix_norm", lambda x: torch.linalg.matrix_norm(x, 1),
                   lambda x: np.linalg.norm(x, 1), (TALL,), (NONZERO,), valid=distinct_sums(0), variant="ord=1"),
    Differentiable("torch.linalg.matrix_norm", lambda x: torch.linalg.matrix_norm(x, -float("inf")),
                   lambda x: np.linalg.norm(x, -np.inf), (TALL,), (NONZERO,), valid=distinct_sums(1),
                   variant="ord=-inf"),
    Differentiable("torch.linalg.matrix_power", lambda x: torch.linalg.matrix_power(x, 3),
                   lambda x: np.linalg.matrix_power(x, 3), (SQ,), (UNIT,)),
    Differentiable("torch.linalg.matrix_power", lambda x: torch.linalg.matrix_power(invertible_t(x), -2),
                   lambda x: np.linalg.matrix_power(invertible_n(x), -2), (SQ,), (UNIT,), variant="n=-2"),
    polynomial("torch.linalg.multi_dot", lambda a, b, c: torch.linalg.multi_dot([a, b, c]),
                   lambda a, b, c: np.linalg.multi_dot([a, b, c]), ((2, 3), (3, 3), (3, 2))),
    Differentiable("torch.linalg.norm", lambda x: torch.linalg.norm(x, 3, dim=1),
                   lambda x: np.linalg.norm(x, 3, axis=1), ((2, 3),), (NONZERO,)),
    Differentiable("torch.linalg.norm", lambda x: torch.linalg.norm(spread_t(x), "nuc"),
                   lambda x: np.linalg.norm(spread_n(x), "nuc"), (SPREAD.shape,), (HALF,), variant="ord=nuc"),
    Differentiable("torch.linalg.pinv", lambda x: torch.linalg.pinv(spread_t(x)),
                   lambda x: np.linalg.pinv(spread_n(x)), (SPREAD.shape,), (HALF,)),
    Differentiable("torch.linalg.pinv", lambda x: torch.linalg.pinv(spd_t(x), hermitian=True),
                   lambda x: np.linalg.pinv(spd_n(x), hermitian=True), (SQ,), (UNIT,), variant="hermitian=True"),
    Differentiable("torch.linalg.qr", lambda x: sign_fixed_qr_t(*torch.linalg.qr(pivot_free_t(x))),
                   lambda x: sign_fixed_qr_n(pivot_free_n(x)), (TALL,), (UNIT,)),
    Differentiable("torch.linalg.qr", lambda x: sign_fixed_qr_t(*torch.linalg.qr(pivot_free_t(x))),
                   lambda x: sign_fixed_qr_n(pivot_free_n(x)), ((3, 4),), (UNIT,), variant="wide"),
    Differentiable("torch.linalg.slogdet", lambda x: torch.linalg.slogdet(x).logabsdet,
                   lambda x: np.linalg.slogdet(x)[1], (SQ,), valid=regular_for_det),
    Differentiable("torch.linalg.solve", lambda a, b: torch.linalg.solve(invertible_t(a), b),
                   lambda a, b: np.linalg.solve(invertible_n(a), b), (SQ, (3, 2)), (UNIT,)),
    Differentiable("torch.linalg.solve", lambda a, b: torch.linalg.solve(invertible_t(a), b, left=False),
                   lambda a, b: np.linalg.solve(invertible_n(a).T, b.T).T, (SQ, (2, 3)), (UNIT,), variant="left=False"),
    Differentiable("torch.linalg.solve_ex", lambda a, b: torch.linalg.solve_ex(invertible_t(a), b).result,
                   lambda a, b: np.linalg.solve(invertible_n(a), b[:, None])[:, 0], (SQ, (3,)), (UNIT,)),
    # The full matrix goes in: the other triangle is ignored, so its gradient is zero.
    Differentiable("torch.linalg.solve_triangular",
                   lambda a, b: torch.linalg.solve_triangular(pivot_free_t(a), b, upper=True),
                   lambda a, b: scipy.linalg.solve_triangular(pivot_free_n(a), b, lower=False), (SQ, (3, 2)), (UNIT,)),
    Differentiable("torch.linalg.solve_triangular",
                   lambda a, b: torch.linalg.solve_triangular(a, b, upper=False, left=False, unitriangular=True),
                   lambda a, b: scipy.linalg.solve_triangular(a, b.T, lower=True, trans="T", unit_diagonal=True).T,
                   (SQ, (2, 3)), (UNIT,), variant="left=False,unitriangular"),
    Differentiable("torch.linalg.svd", lambda x: svd_t(*torch.linalg.svd(spread_t(x), full_matrices=False)),
                   svd_n, (SPREAD.shape,), (HALF,)),
    Differentiable("torch.linalg.svdvals", lambda x: torch.linalg.svdvals(spread_t(x)),
                   lambda x: np.linalg.svd(spread_n(x), compute_uv=False), (SPREAD.shape,), (HALF,)),
    Differentiable("torch.linalg.tensorinv", lambda x: torch.linalg.tensorinv(invertible_t(x).reshape(3, 1, 3), ind=1),
                   lambda x: np.linalg.tensorinv(invertible_n(x).reshape(3, 1, 3), ind=1), (SQ,), (UNIT,)),
    Differentiable("torch.linalg.tensorsolve",
                   lambda a, b: torch.linalg.tensorsolve(invertible_t(a).reshape(3, 1, 3), b),
                   lambda a, b: np.linalg.tensorsolve(invertible_n(a).reshape(3, 1, 3), b), (SQ, (3, 1)), (UNIT,)),
    polynomial("torch.linalg.vander", lambda x: torch.linalg.vander(x, N=4),
                   lambda x: np.vander(x, 4, increasing=True), ((3,),)),
    polynomial("torch.linalg.vecdot", lambda a, b: torch.linalg.vecdot(a, b, dim=0),
                   lambda a, b: np.sum(a * b, axis=0), ((3, 2), (3, 2))),
    Differentiable("torch.linalg.vector_norm", torch.linalg.vector_norm, np.linalg.norm, ((4,),), (NONZERO,),
                   variant="ord=2"),
    Differentiable("torch.linalg.vector_norm", lambda x: torch.linalg.vector_norm(x, 1, dim=1),
                   lambda x: np.linalg.norm(x, 1, axis=1), ((2, 3),), (NONZERO,), variant="ord=1"),
    Differentiable("torch.linalg.vector_norm", lambda x: torch.linalg.vector_norm(x, float("inf")),
                   lambda x: np.linalg.norm(x, np.inf), ((4,),), (NONZERO,), valid=distinct_max(0), variant="ord=inf"),
    Differentiable("torch.linalg.vector_norm", lambda x: torch.linalg.vector_norm(x, 3, dim=(0, 1)),
                   lambda x: np.sum(np.abs(x) ** 3) ** (1 / 3), ((2, 2),), (NONZERO,), variant="ord=3"),
]

TORCH = [
    Differentiable("torch.cholesky", lambda x: torch.cholesky(spd_t(x), upper=True),
                   lambda x: np.linalg.cholesky(spd_n(x)).T, (SQ,), (UNIT,), orders=NO_FORWARD),
    # Factors are made triangular in both twins: torch's derivatives with
    # respect to the triangle these ignore are not zero (known deviation
    # derivative-in-the-ignored-triangle); cholesky_inverse's forward
    # derivative is wrong (known deviation cholesky-inverse-forward-derivative).
    Differentiable("torch.cholesky_inverse", lambda x: torch.cholesky_inverse(torch.tril(pivot_free_t(x))),
                   lambda x: np.linalg.inv(np.tril(pivot_free_n(x)) @ np.tril(pivot_free_n(x)).T), (SQ,), (UNIT,),
                   orders=NO_FORWARD),
    Differentiable("torch.cholesky_solve",
                   lambda b, x: torch.cholesky_solve(b, torch.triu(pivot_free_t(x)), upper=True),
                   lambda b, x: np.linalg.solve(np.triu(pivot_free_n(x)).T @ np.triu(pivot_free_n(x)), b),
                   ((3, 2), SQ), (UNIT,)),
    Differentiable("torch.det", lambda x: torch.det(invertible_t(x)), lambda x: np.linalg.det(invertible_n(x)),
                   (SQ,), (UNIT,), valid=lambda x: regular_for_det(invertible_n(x))),
    Differentiable("torch.inverse", lambda x: torch.inverse(invertible_t(x)),
                   lambda x: np.linalg.inv(invertible_n(x)), (SQ,), (UNIT,)),
    Differentiable("torch.logdet", lambda x: torch.logdet(spd_t(x)), lambda x: np.linalg.slogdet(spd_n(x))[1],
                   (SQ,), (UNIT,)),
    Differentiable("torch.slogdet", lambda x: torch.slogdet(invertible_t(x)).logabsdet,
                   lambda x: np.linalg.slogdet(invertible_n(x))[1], (SQ,), (UNIT,)),
    Differentiable("torch.lu", lambda x: torch.lu(pivot_free_t(x))[0],
                   lambda x: scipy.linalg.lu_factor(pivot_free_n(x))[0], (SQ,), (UNIT,)),
    Differentiable("torch.lu_solve", lambda b, a: torch.lu_solve(b, *torch.linalg.lu_factor(pivot_free_t(a))),
                   lambda b, a: np.linalg.solve(pivot_free_n(a), b), ((3, 2), SQ), (UNIT,)),
    polynomial("torch.lu_unpack",
                   lambda x: unpacked_t(*torch.lu_unpack(x, torch.tensor([2, 2, 3], dtype=torch.int32,
                                                                         device=x.device))[1:]),
                   unpacked_n, (SQ,)),
    Differentiable("torch.matrix_exp", torch.matrix_exp, scipy.linalg.expm, (SQ,), (UNIT,)),
    polynomial("torch.matrix_power", lambda x: torch.matrix_power(x, 2),
                   lambda x: np.linalg.matrix_power(x, 2), (SQ,)),
    Differentiable("torch.nuclear_norm", lambda x: torch.nuclear_norm(spread_t(x)),
                   lambda x: np.linalg.norm(spread_n(x), "nuc"), (SPREAD.shape,), (HALF,)),
    Differentiable("torch.frobenius_norm", lambda x: torch.frobenius_norm(x, dim=(0, 2)),
                   lambda x: np.sqrt(np.sum(x**2, axis=(0, 2))), ((2, 2, 2),), (NONZERO,)),
    Differentiable("torch.orgqr", torch.orgqr, householder_n, ((4, 3), (3,)), (UNIT,), valid=regular_reflectors),
    Differentiable("torch.ormqr", lambda a, tau, c: torch.ormqr(a, tau, c, transpose=True),
                   lambda a, tau, c: householder_n(a, tau, full=True).T @ c, ((4, 2), (2,), (4, 2)), (UNIT,),
                   orders=NO_FORWARD, valid=regular_reflectors),
    Differentiable("torch.ormqr", lambda a, tau, c: torch.ormqr(a, tau, c, left=False),
                   lambda a, tau, c: c @ householder_n(a, tau, full=True), ((3, 2), (2,), (2, 3)), (UNIT,),
                   orders=NO_FORWARD, valid=regular_reflectors, variant="left=False"),
    Differentiable("torch.pinverse", lambda x: torch.pinverse(spread_t(x).mT),
                   lambda x: np.linalg.pinv(spread_n(x).T), (SPREAD.shape,), (HALF,)),
    Differentiable("torch.qr", lambda x: sign_fixed_qr_t(*torch.qr(pivot_free_t(x))),
                   lambda x: sign_fixed_qr_n(pivot_free_n(x)), (TALL,), (UNIT,)),
    Differentiable("torch.svd", lambda x: svd_t(*(lambda u, s, v: (u, s, v.mT))(*torch.svd(spread_t(x)))),
                   svd_n, (SPREAD.shape,), (HALF,)),
    Differentiable("torch.triangular_solve",
                   lambda b, a: torch.triangular_solve(b, torch.tril(pivot_free_t(a)), upper=False).solution,
                   lambda b, a: scipy.linalg.solve_triangular(pivot_free_n(a), b, lower=True),
                   ((3, 2), SQ), (UNIT,), orders=NO_SECOND),
    # Its forward derivative with transpose=True is wrong, and so is the
    # forward-over-reverse second derivative with either transpose: the
    # backward solves with the other one (known deviation
    # triangular-solve-transpose-forward-derivative).
    Differentiable("torch.triangular_solve",
                   lambda b, a: torch.triangular_solve(b, torch.tril(pivot_free_t(a)), upper=False,
                                                       transpose=True).solution,
                   lambda b, a: scipy.linalg.solve_triangular(pivot_free_n(a), b, lower=True, trans="T"),
                   ((3, 2), SQ), (UNIT,), orders=NO_FORWARD, variant="transpose=True"),
    polynomial("torch.addbmm", lambda m, a, b: torch.addbmm(m, a, b, beta=0.5, alpha=2.0),
                   lambda m, a, b: 0.5 * m + 2.0 * np.sum(a @ b, axis=0), ((2, 2), (2, 2, 2), (2, 2, 2))),
    polynomial("torch.addmm", lambda m, a, b: torch.addmm(m, a, b, beta=0.5, alpha=2.0),
                   lambda m, a, b: 0.5 * m + 2.0 * a @ b, ((2, 2), (2, 3), (3, 2))),
    polynomial("torch.addmv", lambda m, a, v: torch.addmv(m, a, v, beta=0.5, alpha=2.0),
                   lambda m, a, v: 0.5 * m + 2.0 * a @ v, ((2,), (2, 3), (3,))),
    polynomial("torch.addr", lambda m, a, b: torch.addr(m, a, b, beta=0.5, alpha=2.0),
                   lambda m, a, b: 0.5 * m + 2.0 * np.outer(a, b), ((2, 3), (2,), (3,))),
    polynomial("torch.baddbmm", lambda m, a, b: torch.baddbmm(m, a, b, beta=0.5, alpha=2.0),
                   lambda m, a, b: 0.5 * m + 2.0 * a @ b, ((2, 1, 2), (2, 1, 2), (2, 2, 2))),
    polynomial("torch.bmm", torch.bmm, np.matmul, ((2, 2, 3), (2, 3, 2))),
    polynomial("torch.chain_matmul", torch.chain_matmul, lambda a, b, c: a @ b @ c, ((2, 3), (3, 3), (3, 2))),
    polynomial("torch.mm", torch.mm, np.matmul, ((2, 3), (3, 2))),
    polynomial("torch.mv", torch.mv, np.matmul, ((2, 3), (3,))),
    polynomial("torch.dot", torch.dot, np.dot, ((4,), (4,))),
    polynomial("torch.vdot", torch.vdot, np.vdot, ((4,), (4,))),
    polynomial("torch.inner", torch.inner, np.inner, ((2, 3), (3,))),
    polynomial("torch.outer", torch.outer, np.outer, ((3,), (2,))),
    polynomial("torch.ger", torch.ger, np.outer, ((3,), (2,))),
    # kron refuses non-contiguous inputs (known deviation kron-non-contiguous-input-raises).
    polynomial("torch.kron", lambda a, b: torch.kron(a.contiguous(), b.contiguous()), np.kron, ((2, 2), (2, 3))),
    polynomial("torch.tensordot", lambda a, b: torch.tensordot(a, b, dims=([1, 0], [0, 1])),
                   lambda a, b: np.tensordot(a, b, axes=([1, 0], [0, 1])), ((2, 3, 2), (3, 2))),
    polynomial("torch.einsum", lambda a, b, c: torch.einsum("ij,jk,k->i", a, b, c),
                   lambda a, b, c: np.einsum("ij,jk,k->i", a, b, c), ((2, 3), (3, 2), (2,))),
    polynomial("torch.einsum", lambda a, b: torch.einsum("ii,ij->j", a, b),
                   lambda a, b: np.einsum("ii,ij->j", a, b), (SQ, (3, 2)), variant="repeated index"),
    polynomial("torch.trace", torch.trace, np.trace, ((3, 4),)),
    polynomial("torch.cross", lambda a, b: torch.cross(a, b, dim=1),
                   lambda a, b: np.cross(a, b, axis=1), ((2, 3), (2, 3))),
    Differentiable("torch.dist", lambda a, b: torch.dist(a, b, p=3), lambda a, b: np.sum(np.abs(a - b) ** 3) ** (1 / 3),
                   ((2, 2), (2, 2)), valid=apart),
    Differentiable("torch.norm", lambda x: torch.norm(x, p=3, dim=0), lambda x: np.linalg.norm(x, 3, axis=0),
                   ((2, 3),), (NONZERO,)),
    Differentiable("torch.norm", lambda x: torch.norm(x, p="fro"), lambda x: np.linalg.norm(x),
                   ((2, 3),), (NONZERO,), variant="p=fro"),
    # Nonzero rows: renorm's second derivative at a zero row is nan (known
    # deviation renorm-second-derivative-at-a-zero-row).
    Differentiable("torch.renorm", lambda x: torch.renorm(x, 2, 0, 1.5), lambda x: renorm_n(x, 2, 1.5),
                   ((3, 2),), (NONZERO,), valid=rows_away_from(1.5, 2)),
    Differentiable("torch.cov", lambda x: torch.cov(x, correction=0), lambda x: np.cov(x, ddof=0), ((2, 3),)),
    Differentiable("torch.cov", lambda x, w: torch.cov(x, aweights=w), lambda x, w: np.cov(x, aweights=w),
                   ((2, 3), (3,)), (Domain(), POSITIVE), orders=NO_VMAP, variant="aweights"),
    Differentiable("torch.corrcoef", torch.corrcoef, np.corrcoef, ((2, 3),), valid=spread_rows),
    polynomial("torch.matmul", torch.matmul, np.matmul, ((2, 3), (3,))),
]

ROWS = LINALG + TORCH


@pytest.mark.parametrize(("op", "order"), params(ROWS))
@budgeted
@given(data=st.data())
def test_linalg_derivatives_match_finite_differences(op, order, device, data):
    check(op, order, device, data)


# ------------------------------------------------- known-deviation examples
#
# Each asserts what NumPy's central differences give; deviations.toml makes
# them strict xfails on the releases they were observed on.


def _reverse_directional(f, arrays, g, v, order, device):
    """The gradient of ``D^order_v <g, f>`` at ``arrays`` by reverse mode
    ``order + 1`` times (float64 tensors on ``device``)."""
    leaves = [torch.tensor(a, dtype=torch.float64, device=device, requires_grad=True) for a in arrays]
    tangents = [torch.tensor(t, dtype=torch.float64, device=device) for t in v]
    grads = torch.autograd.grad(f(*leaves), leaves, torch.tensor(g, dtype=torch.float64, device=device),
                                create_graph=order > 0)
    for level in range(order):
        contracted = sum((gi * ti).sum() for gi, ti in zip(grads, tangents))
        grads = torch.autograd.grad(contracted, leaves, create_graph=level < order - 1)
    return grads


def _assert_directional(torch_grads, numpy_fn, arrays, g, v, order, what):
    want = finite_diff.directional_gradient(numpy_fn, arrays, np.asarray(g), v, order)
    for got, expected in zip(torch_grads, want):
        assert_matches(got, expected, torch.float64, kind="finite_difference",
                       scale=np.full(expected.shape, max(1.0, float(np.max(np.abs(expected))))), what=what)


SINGULAR = {
    "rank2": np.diag([1.0, 2.0, 0.0]),
    "rank2-full": np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]),
    "rank1": np.diag([1.0, 0.0, 0.0]),
    "zero": np.zeros((3, 3)),
}


@pytest.mark.parametrize(("order", "matrix"), [(0, "rank2"), (1, "zero"), (1, "rank1"), (2, "rank2-full")])
def test_det_derivatives_at_singular_matrices(order, matrix, device):
    """The derivatives of ``det`` (a polynomial) at exactly singular 3x3
    matrices: the gradient is the cofactor matrix, the higher ones follow."""
    a = SINGULAR[matrix]
    v = [np.array([[0.5, -1.0, 0.25], [1.5, 0.75, -0.5], [-1.25, 0.5, 1.0]])]
    got = _reverse_directional(torch.linalg.det, [a], 1.0, v, order, device)
    _assert_directional(got, np.linalg.det, [a], 1.0, v, order, f"order {order + 1} of det at {matrix}")


@pytest.mark.parametrize("p", ["fro", 1, float("inf")])
def test_cond_has_reverse_mode_for_every_norm(p, device):
    a = np.array([[4.0, 1.0, 0.5], [-1.0, 3.0, 1.0], [0.5, -0.5, 5.0]])
    got = _reverse_directional(lambda x: torch.linalg.cond(x, p), [a], 1.0, [], 0, device)
    _assert_directional(got, lambda x: np.linalg.cond(x, p), [a], 1.0, [], 0, f"gradient of cond(A, {p})")


def test_ldl_factor_and_solve_are_differentiable(device):
    a, b = 3 * np.eye(3) + np.ones((3, 3)), np.array([[1.0], [2.0], [-1.0]])

    def solve(x, y):
        factors, pivots = torch.linalg.ldl_factor(x)
        return torch.linalg.ldl_solve(factors, pivots, y)

    got = _reverse_directional(solve, [a, b], np.ones((3, 1)), [], 0, device)
    _assert_directional(got, np.linalg.solve, [a, b], np.ones((3, 1)), [], 0, "gradient of ldl_solve(ldl_factor(A), B)")


LEGACY_FORWARD = {
    "cholesky": (lambda x: torch.cholesky(spd_t(x)), lambda x: np.linalg.cholesky(spd_n(x)), ((3, 3),)),
    "ormqr": (torch.ormqr, lambda a, tau, c: householder_n(a, tau, full=True) @ c, ((3, 2), (2,), (3, 2))),
}


def _forward_matches(torch_fn, numpy_fn, arrays, tangents, device, what):
    _, jv = torch.func.jvp(torch_fn, tuple(torch.tensor(a, device=device) for a in arrays),
                           tuple(torch.tensor(t, device=device) for t in tangents))
    want = finite_diff.along(numpy_fn, arrays, tangents, 1, finite_diff.nested_step(arrays, 1))
    assert_matches(jv, want, torch.float64, kind="finite_difference",
                   scale=np.full(want.shape, max(1.0, float(np.max(np.abs(want))))), what=what)


@pytest.mark.parametrize("name", list(LEGACY_FORWARD))
def test_legacy_factorizations_have_forward_mode(name, device):
    compat.require_api(f"torch.{name}")
    torch_fn, numpy_fn, shapes = LEGACY_FORWARD[name]
    rng = np.random.default_rng(0)
    arrays = [rng.uniform(-1, 1, s) for s in shapes]
    tangents = [rng.uniform(-1, 1, s) for s in shapes]
    _forward_matches(torch_fn, numpy_fn, arrays, tangents, device, f"J v of torch.{name}")


LOWER = np.array([[2.0, 0.0, 0.0], [0.5, 3.0, 0.0], [-1.0, 0.25, 4.0]])


def _inverse_of_product(x):
    return np.linalg.inv(np.tril(x) @ np.tril(x).T)


def test_cholesky_inverse_forward_derivative(device):
    """Along a lower-triangular tangent (inside the triangle it reads)."""
    tangent = np.tril(np.ones((3, 3)))
    _forward_matches(torch.cholesky_inverse, _inverse_of_product, [LOWER], [tangent], device,
                     "J v of torch.cholesky_inverse")


def _solve_with(x):
    return torch.cholesky_solve(torch.eye(3, dtype=x.dtype, device=x.device), x)


@pytest.mark.parametrize("name", ["cholesky_inverse", "cholesky_solve"])
def test_cholesky_factor_gradient_ignores_the_other_triangle(name, device):
    """At a lower-triangular factor the value does not depend on the upper
    triangle (LAPACK's potri/potrs never read it): its gradient there is zero."""
    torch_fn = torch.cholesky_inverse if name == "cholesky_inverse" else _solve_with
    got = _reverse_directional(torch_fn, [LOWER], np.ones((3, 3)), [], 0, device)
    _assert_directional(got, _inverse_of_product, [LOWER], np.ones((3, 3)), [], 0, f"gradient of torch.{name}")


IGNORED_TANGENT = {
    "cholesky_solve": (_solve_with, _inverse_of_product, LOWER),
    "triangular_solve": (lambda a: torch.triangular_solve(torch.eye(3, dtype=a.dtype, device=a.device), a).solution,
                         lambda a: np.linalg.inv(np.triu(a)), LOWER.T.copy()),
}


@pytest.mark.parametrize("name", list(IGNORED_TANGENT))
def test_triangular_forward_derivative_ignores_the_other_triangle(name, device):
    """A tangent in the triangle the function never reads moves nothing."""
    torch_fn, numpy_fn, factor = IGNORED_TANGENT[name]
    tangent = np.triu(np.ones((3, 3)), 1) if factor[0, 1] == 0 else np.tril(np.ones((3, 3)), -1)
    _forward_matches(torch_fn, numpy_fn, [factor], [tangent], device, f"J v of torch.{name} along the ignored triangle")


@pytest.mark.parametrize("matrix", ["identity", "permutation"])
def test_det_forward_over_reverse_at_repeated_singular_values(matrix, device):
    """``jvp`` of ``vjp`` of det (the route torch.func.hessian takes) at an
    invertible matrix whose singular values are all equal."""
    a = np.eye(3) if matrix == "identity" else np.eye(3)[[1, 2, 0]]
    v = np.array([[0.5, -1.0, 0.25], [1.5, 0.75, -0.5], [-1.25, 0.5, 1.0]])
    one = torch.tensor(1.0, dtype=torch.float64, device=device)

    def cotangent_map(x):
        return torch.func.vjp(torch.linalg.det, x)[1](one)[0]

    _, hv = torch.func.jvp(cotangent_map, (torch.tensor(a, device=device),), (torch.tensor(v, device=device),))
    _assert_directional([hv], np.linalg.det, [a], 1.0, [v], 1, f"H v of det at the {matrix} by forward-over-reverse")


def test_renorm_second_derivative_at_a_zero_row(device):
    """A zero row is below ``maxnorm``: renorm leaves it as it is, a linear
    map there, so its second derivative is zero."""
    x = np.array([[0.0, 0.0], [1.0, -2.0], [0.5, 0.3]])
    v = [np.ones((3, 2))]
    got = _reverse_directional(lambda t: torch.renorm(t, 2, 0, 1.5), [x], np.ones((3, 2)), v, 1, device)
    _assert_directional(got, lambda t: renorm_n(t, 2, 1.5), [x], np.ones((3, 2)), v, 1, "H v of renorm at a zero row")


def test_cov_with_weights_under_vmap(device):
    x = torch.tensor([[[1.0, 2.0, 0.5], [0.0, -1.0, 1.0]], [[2.0, 0.0, 1.0], [1.0, 1.0, -1.0]]], device=device)
    w = torch.tensor([[1.0, 2.0, 0.5], [0.5, 1.0, 1.5]], device=device)
    got = torch.func.vmap(lambda a, b: torch.cov(a, aweights=b))(x.double(), w.double())
    want = np.stack([np.cov(a, aweights=b) for a, b in zip(x.cpu().numpy(), w.cpu().numpy())])
    assert_matches(got, want.astype(np.float64), torch.float64, what="vmap of cov with aweights")


@pytest.mark.parametrize("upper", [False, True])
def test_triangular_solve_transpose_forward_derivative(upper, device):
    """Along a tangent inside the triangle it reads."""
    factor = LOWER.T.copy() if upper else LOWER
    tangent = np.triu(np.ones((3, 3))) if upper else np.tril(np.ones((3, 3)))
    b = torch.tensor([[1.0, 2.0], [0.0, 1.0], [-1.0, 0.5]], dtype=torch.float64, device=device)
    _forward_matches(lambda a: torch.triangular_solve(b, a, upper=upper, transpose=True).solution,
                     lambda a: scipy.linalg.solve_triangular(a, b.cpu().numpy(), lower=not upper, trans="T"),
                     [factor], [tangent], device, f"J v of torch.triangular_solve(upper={upper}, transpose=True)")


def test_householder_derivative_at_a_singular_reflector(device):
    """``tau_0 |v_0|^2 = 0.9 * (1 + 1/9) = 1``: ``I - tau_0 v_0 v_0^T`` is
    singular, but the product of reflectors is a polynomial in ``(A, tau)``."""
    a = np.array([[0.5, 0.1], [1 / 3, -0.3], [0.0, 0.25]])
    tau = np.array([0.9, 0.3])
    got = _reverse_directional(torch.linalg.householder_product, [a, tau], np.ones((3, 2)), [], 0, device)
    _assert_directional(got, householder_n, [a, tau], np.ones((3, 2)), [], 0,
                        "gradient of householder_product at a singular reflector")
