"""Differentiable ``scipy.linalg``: solve_triangular, cho_factor/cho_solve,
lu_factor/lu_solve/lu, expm/expm_frechet, sqrtm, solve_sylvester, solve_banded,
block_diag, toeplitz/circulant/hankel, and SciPy's versions of cholesky, solve,
det, inv, eigh/eigvalsh (also generalized), svd/svdvals, qr, pinv, norm and lstsq.

SciPy's functions are written in Python and cannot dispatch to traced arrays;
calling one on a traced value raises an error that points here
(``autodiff.scipy.linalg.X``).

Conventions
-----------
* ``solve_triangular`` reads one triangle of ``a`` (and not its diagonal with
  ``unit_diagonal=True``), as SciPy does; the derivative in ``a`` lives on that part.
* ``cho_factor`` returns the factor with zeros in the other triangle (SciPy leaves
  arbitrary values there; ``cho_solve`` never reads them).  ``lu_factor`` returns
  ``(lu, piv)`` like SciPy; ``piv`` is a constant (the pivoting is locally fixed).
* Matrix functions (expm, sqrtm): see :mod:`._linalg_matfuncs`.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sl

from .._registry import declare, implements
from .._shapes import ndim_of, shape_of
from .._tracer import base_value, set_rules
from ..numpy import linalg as _nla
from ..numpy._linalg_basic import lower_symmetric, mT
from ._linalg_matfuncs import expm, expm_frechet, solve_sylvester, sqrtm
from ._linalg_structured import block_diag, circulant, hankel, solve_banded, toeplitz

__all__ = ["solve_triangular", "cho_factor", "cho_solve", "lu_factor", "lu_solve", "lu",
           "expm", "expm_frechet", "sqrtm", "solve_sylvester", "solve_banded", "block_diag",
           "cholesky", "solve", "det", "inv", "eigh", "eigvalsh", "svd", "svdvals", "qr",
           "pinv", "norm", "lstsq", "toeplitz", "circulant", "hankel"]


# Public here, so SciPy's "no rule" error points to autodiff.scipy.linalg.<name>.
for _function in (expm, expm_frechet, sqrtm, solve_sylvester, solve_banded, block_diag,
                  toeplitz, circulant, hankel):
    _function.__module__ = __name__
    implements(alternative=f"scipy.linalg.{_function.__name__}")(_function)
del _function


def _single_square(a, name: str) -> None:
    shape = shape_of(a)
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(f"autodiff.scipy.linalg.{name} expects a square matrix, got shape "
                         f"{shape}")


def _columns(rhs, core_ndim: int):
    """Move a leading batch of right-hand sides into columns: ``(k, n[, p]) -> (n, k*p)``."""
    moved = np.moveaxis(rhs, 1, 0)
    return np.reshape(moved, (shape_of(moved)[0], -1)), shape_of(moved)


def _uncolumns(x, moved_shape):
    return np.moveaxis(np.reshape(x, moved_shape), 0, 1)


# --- triangular solve: op(T) x = b -------------------------------------------------------
def _triangle(a, lower, unit_diagonal):
    """The part of ``a`` a triangular solve reads (unit diagonal: strictly one side)."""
    k = -1 if unit_diagonal else 0
    return np.tril(a, k) if lower else np.triu(a, -k)


def _tri_impl(a, b, trans=0, lower=False, unit_diagonal=False):
    return sl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


def _tri_many(a, rhs, **options):
    """Triangular solves for a batch of right-hand sides (batch axis first)."""
    columns, moved_shape = _columns(rhs, ndim_of(rhs) - 1)
    return _uncolumns(solve_triangular_p(a, columns, **options), moved_shape)


def _flip(trans):
    return 0 if trans else 1


def _tri_jvp_a(t, ans, a, b, trans=0, lower=False, unit_diagonal=False):
    dm = _triangle(t, lower, unit_diagonal)
    if trans:
        dm = mT(dm)
    return -_tri_many(a, np.matmul(dm, ans), trans=trans, lower=lower,
                      unit_diagonal=unit_diagonal)


def _tri_jvp_b(t, ans, a, b, trans=0, lower=False, unit_diagonal=False):
    return _tri_many(a, t, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


def _tri_vjp(which, ans, args, kwargs):
    a, b = args
    trans, lower = kwargs.get("trans", 0), kwargs.get("lower", False)
    unit = kwargs.get("unit_diagonal", False)

    def vjp(g):
        gb = solve_triangular_p(a, g, trans=_flip(trans), lower=lower, unit_diagonal=unit)
        out = []
        for i in which:
            if i == 1:
                out.append(gb)
                continue
            x2, g2 = (ans, gb) if ndim_of(ans) == 2 else (ans[:, None], gb[:, None])
            gm = -np.matmul(g2, mT(x2))
            out.append(_triangle(mT(gm) if trans else gm, lower, unit))
        return tuple(out)

    return vjp


solve_triangular_p = declare(_tri_impl, "scipy.linalg.solve_triangular",
                             jvps=[_tri_jvp_a, _tri_jvp_b])
set_rules(solve_triangular_p, vjp=_tri_vjp)


def _trans_code(trans) -> int:
    codes = {0: 0, 1: 1, 2: 1, "N": 0, "T": 1, "C": 1}
    if trans not in codes:
        raise ValueError(f"invalid trans {trans!r}")
    return codes[trans]


@implements(alternative="scipy.linalg.solve_triangular")
def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    """Solve ``op(a) x = b`` with ``a`` triangular; differentiable in ``a`` and ``b``.

    Parameters
    ----------
    a : array_like, shape (n, n)
        Only the ``lower`` (or upper) triangle is read.
    b : array_like, shape (n,) or (n, p)
    trans : {0, 1, 2, 'N', 'T', 'C'}
        Solve ``a x = b`` (0) or ``a^T x = b`` (1, 2; real input).
    """
    _single_square(a, "solve_triangular")
    if ndim_of(b) not in (1, 2):
        raise ValueError("autodiff.scipy.linalg.solve_triangular expects b of shape (n,) or "
                         "(n, p)")
    return solve_triangular_p(a, b, trans=_trans_code(trans), lower=bool(lower),
                              unit_diagonal=bool(unit_diagonal))


# --- Cholesky ----------------------------------------------------------------------------
@implements(alternative="scipy.linalg.cholesky")
def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """Cholesky factor (upper by default, as in SciPy), reading that triangle of ``a``."""
    return _nla.cholesky(a, upper=not lower)


@implements(alternative="scipy.linalg.cho_factor")
def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """``(c, lower)`` with ``c`` the Cholesky factor and zeros in its other triangle."""
    return cholesky(a, lower=lower), bool(lower)


@implements(alternative="scipy.linalg.cho_solve")
def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """Solve ``A x = b`` given ``cho_factor(A)``; differentiable in the factor and ``b``."""
    c, lower = c_and_lower
    if lower:  # A = L L^T
        y = solve_triangular(c, b, lower=True)
        return solve_triangular(c, y, trans=1, lower=True)
    y = solve_triangular(c, b, trans=1, lower=False)  # A = U^T U
    return solve_triangular(c, y, lower=False)


# --- LU with partial pivoting: A = P L U ---------------------------------------------------
def _permutation(piv) -> np.ndarray:
    """Row order ``perm`` with ``A[perm] = L U`` from LAPACK's row interchanges."""
    perm = np.arange(len(piv))
    for i, p in enumerate(piv):
        perm[i], perm[p] = perm[p], perm[i]
    return perm


def _lu_impl(a):
    return sl.lu_factor(a)[0]


def _lu_factors(lu):
    n = shape_of(lu)[-1]
    return np.tril(lu, -1) + np.eye(n), np.triu(lu)


def _lu_jvp(t, ans, a):
    perm = _permutation(sl.lu_factor(base_value(a))[1])
    low, up = _lu_factors(ans)
    x = np.linalg.solve(low, t[..., perm, :])
    x = mT(np.linalg.solve(mT(up), mT(x)))  # L^{-1} P^T dA U^{-1}
    return np.matmul(low, np.tril(x, -1)) + np.matmul(np.triu(x), up)


def _lu_vjp(ans, a):
    perm = _permutation(sl.lu_factor(base_value(a))[1])
    inverse = np.argsort(perm)
    low, up = _lu_factors(ans)

    def vjp(g):
        y = np.tril(np.matmul(mT(low), np.tril(g, -1)), -1) + np.triu(np.matmul(np.triu(g),
                                                                             mT(up)))
        z = np.linalg.solve(mT(low), y)
        z = mT(np.linalg.solve(up, mT(z)))  # L^{-T} Y U^{-T}
        return z[inverse]

    return vjp


lu_p = declare(_lu_impl, "scipy.linalg.lu_factor", vjps=[_lu_vjp], jvps=[_lu_jvp])


@implements(alternative="scipy.linalg.lu_factor")
def lu_factor(a, overwrite_a=False, check_finite=True):
    """``(lu, piv)`` as SciPy returns them; ``lu`` is differentiable, ``piv`` constant."""
    _single_square(a, "lu_factor")
    return lu_p(a), sl.lu_factor(base_value(a))[1]


@implements(alternative="scipy.linalg.lu_solve")
def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """Solve ``A x = b`` (or ``A^T x = b``) given ``lu_factor(A)``."""
    lu, piv = lu_and_piv
    perm = _permutation(np.asarray(piv))
    if _trans_code(trans) == 0:  # L U x = P^T b
        y = solve_triangular(lu, b[perm], lower=True, unit_diagonal=True)
        return solve_triangular(lu, y, lower=False)
    z = solve_triangular(lu, b, trans=1, lower=False)  # U^T L^T P^T x = b
    w = solve_triangular(lu, z, trans=1, lower=True, unit_diagonal=True)
    return w[np.argsort(perm)]


@implements(alternative="scipy.linalg.solve")
def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
          assume_a=None, transposed=False):
    """Solve ``a x = b`` (``assume_a`` is ignored: the general solver is used)."""
    return _nla.solve(mT(a) if transposed else a, b)


@implements(alternative="scipy.linalg.det")
def det(a, overwrite_a=False, check_finite=True):
    """Determinant of each square matrix of the stack."""
    return _nla.det(a)


@implements(alternative="scipy.linalg.inv")
def inv(a, overwrite_a=False, check_finite=True, **kwargs):
    """Inverse of each square matrix of the stack."""
    return _nla.inv(a)


# --- SciPy's versions of the decompositions (thin wrappers over autodiff.numpy.linalg) ------
@implements(alternative="scipy.linalg.eigh")
def eigh(a, b=None, *, lower=True, eigvals_only=False, subset_by_index=None, **kwargs):
    """Symmetric (generalized, with ``b``) eigenproblem ``a v = w b v``.

    With ``b``, ``b = L L^T`` reduces it to the standard problem for
    ``L^{-1} a L^{-T}``; eigenvectors are ``b``-orthonormal as in SciPy (their signs
    may differ).  ``subset_by_index`` slices the ascending eigenvalues.
    """
    for option in ("subset_by_value", "driver"):
        if kwargs.get(option) is not None:
            raise NotImplementedError(f"autodiff.scipy.linalg.eigh: {option} is not supported")
    if kwargs.get("type", 1) != 1:
        raise NotImplementedError("autodiff.scipy.linalg.eigh: only type=1 is supported")
    uplo = "L" if lower else "U"
    if b is None:
        w, v = _nla.eigh(a, UPLO=uplo)
    else:
        chol = _nla.cholesky(b, upper=not lower)
        factor = chol if lower else mT(chol)  # b = F F^T with F lower triangular
        half = solve_triangular(factor, lower_symmetric(a, lower), lower=True)
        reduced = mT(solve_triangular(factor, mT(half), lower=True))
        w, u = _nla.eigh(reduced)
        v = solve_triangular(factor, u, trans=1, lower=True)
    if subset_by_index is not None:
        lo, hi = (int(i) for i in subset_by_index)
        w, v = w[..., lo:hi + 1], v[..., lo:hi + 1]
    return w if eigvals_only else (w, v)


@implements(alternative="scipy.linalg.eigvalsh")
def eigvalsh(a, b=None, *, lower=True, **kwargs):
    """Eigenvalues of the symmetric (generalized) eigenproblem."""
    return eigh(a, b, lower=lower, eigvals_only=True, **kwargs)


@implements(alternative="scipy.linalg.svd")
def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True,
        lapack_driver="gesdd"):
    """Singular value decomposition (see :func:`autodiff.numpy.linalg.svd`)."""
    out = _nla.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    return tuple(out) if compute_uv else out


@implements(alternative="scipy.linalg.svdvals")
def svdvals(a, overwrite_a=False, check_finite=True):
    return _nla.svdvals(a)


@implements(alternative="scipy.linalg.qr")
def qr(a, overwrite_a=False, lwork=None, mode="full", pivoting=False, check_finite=True):
    """QR decomposition, modes ``'full'``, ``'economic'`` and ``'r'`` (no pivoting)."""
    if pivoting or mode not in ("full", "economic", "r"):
        raise NotImplementedError("autodiff.scipy.linalg.qr: only modes 'full', 'economic' "
                                  "and 'r' without pivoting are differentiable")
    if mode == "r":
        return (_nla.qr(a, mode="complete")[1],)
    return tuple(_nla.qr(a, mode="complete" if mode == "full" else "reduced"))


@implements(alternative="scipy.linalg.lu")
def lu(a, permute_l=False, overwrite_a=False, check_finite=True, p_indices=False):
    """``(P, L, U)`` with ``A = P L U`` for a square matrix (``P`` is constant)."""
    packed, piv = lu_factor(a)
    n = shape_of(packed)[-1]
    low, up = np.tril(packed, -1) + np.eye(n), np.triu(packed)
    perm = _permutation(piv)
    if p_indices:  # A = L[p] U
        p = np.argsort(perm)
        return (low[p], up) if permute_l else (p, low, up)
    p = np.zeros((n, n))
    p[perm, np.arange(n)] = 1.0
    return (np.matmul(p, low), up) if permute_l else (p, low, up)


@implements(alternative="scipy.linalg.pinv")
def pinv(a, *, atol=None, rtol=None, return_rank=False, check_finite=True):
    """Pseudo-inverse (``rtol`` relative cutoff; ``atol`` is not supported)."""
    if atol is not None:
        raise NotImplementedError("autodiff.scipy.linalg.pinv: atol is not supported; "
                                  "use rtol")
    out = _nla.pinv(a) if rtol is None else _nla.pinv(a, rcond=rtol)
    if return_rank:
        return out, int(np.linalg.matrix_rank(base_value(out)))
    return out


@implements(alternative="scipy.linalg.norm")
def norm(a, ord=None, axis=None, keepdims=False, check_finite=True):
    return _nla.norm(a, ord=ord, axis=axis, keepdims=keepdims)


@implements(alternative="scipy.linalg.lstsq")
def lstsq(a, b, cond=None, overwrite_a=False, overwrite_b=False, check_finite=True,
          lapack_driver=None):
    """``(x, residues, rank, s)`` as SciPy returns them."""
    x, residues, rank, s = _nla.lstsq(a, b, rcond=cond)
    return x, residues, rank, s
