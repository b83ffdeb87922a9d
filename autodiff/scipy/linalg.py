"""Differentiable ``scipy.linalg``: solve_triangular, cho_factor/cho_solve,
lu_factor/lu_solve, expm, sqrtm, solve_sylvester, solve_banded, block_diag,
cholesky, solve, det and inv.

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
* ``expm``: the derivative is the Frechet derivative, from the block-triangular
  identity ``expm([[A, E], [0, A]]) = [[expm(A), L(A, E)], [0, expm(A)]]``.
* ``sqrtm``: real square roots only; ``dX`` solves ``X dX + dX X = dA``.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sl

from .._registry import declare, implements
from .._shapes import ndim_of, shape_of
from .._tracer import base_value, set_rules
from ..numpy import linalg as _nla
from ..numpy._linalg_basic import mT

__all__ = ["solve_triangular", "cho_factor", "cho_solve", "lu_factor", "lu_solve", "expm",
           "sqrtm", "solve_sylvester", "solve_banded", "block_diag", "cholesky", "solve",
           "det", "inv"]


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


# --- matrix exponential: the Frechet derivative from a block-triangular expm --------------
def _frechet_expm(a, e):
    """``L(A, E)`` for a stack of directions ``e`` (``a`` broadcasts against it)."""
    n = shape_of(a)[-1]
    a = np.broadcast_to(a, shape_of(e))
    zeros = np.zeros(shape_of(e))
    block = np.concatenate([np.concatenate([a, e], axis=-1),
                            np.concatenate([zeros, a], axis=-1)], axis=-2)
    return expm_p(block)[..., :n, n:]


expm_p = declare(
    sl.expm, "scipy.linalg.expm",
    vjps=[lambda ans, a: lambda g: _frechet_expm(mT(a), g)],
    jvps=[lambda t, ans, a: _frechet_expm(a, t)],
)


@implements(alternative="scipy.linalg.expm")
def expm(A):
    """Matrix exponential of each square matrix of the stack ``(..., n, n)``."""
    return expm_p(A)


# --- Sylvester equations and the matrix square root ----------------------------------------
def _sylvester_impl(a, b, c):
    return sl.solve_sylvester(a, b, c)


def _sylvester_many(a, b, c):
    """Solve ``a z + z b = c`` for a leading batch of right-hand sides ``c``."""
    shape = shape_of(c)
    return sylvester_p(np.broadcast_to(a, shape), np.broadcast_to(b, shape), c)


def _sylvester_vjp(which, ans, args, kwargs):
    a, b, c = args

    def vjp(g):
        gc = sylvester_p(mT(a), mT(b), g)
        by_arg = {0: lambda: -np.matmul(gc, mT(ans)), 1: lambda: -np.matmul(mT(ans), gc),
                  2: lambda: gc}
        return tuple(by_arg[i]() for i in which)

    return vjp


sylvester_p = declare(
    _sylvester_impl, "scipy.linalg.solve_sylvester",
    jvps=[lambda t, ans, a, b, c: _sylvester_many(a, b, -np.matmul(t, ans)),
          lambda t, ans, a, b, c: _sylvester_many(a, b, -np.matmul(ans, t)),
          lambda t, ans, a, b, c: _sylvester_many(a, b, t)],
)
set_rules(sylvester_p, vjp=_sylvester_vjp)


@implements(alternative="scipy.linalg.solve_sylvester")
def solve_sylvester(a, b, q):
    """Solve ``a x + x b = q``; differentiable in all three."""
    return sylvester_p(a, b, q)


def _sqrtm_impl(a):
    x = sl.sqrtm(a)
    if np.iscomplexobj(x):
        raise NotImplementedError(
            "scipy.linalg.sqrtm of this matrix is complex (it has negative eigenvalues); "
            "autodiff differentiates real square roots only")
    return x


sqrtm_p = declare(
    _sqrtm_impl, "scipy.linalg.sqrtm",
    vjps=[lambda ans, a: lambda g: sylvester_p(mT(ans), mT(ans), g)],
    jvps=[lambda t, ans, a: _sylvester_many(ans, ans, t)],
)


@implements(alternative="scipy.linalg.sqrtm")
def sqrtm(A, **kwargs):
    """Principal square root of a matrix whose square root is real."""
    _single_square(A, "sqrtm")
    return sqrtm_p(A)


# --- banded systems and block-diagonal assembly (composed) --------------------------------
@implements(alternative="scipy.linalg.solve_banded")
def solve_banded(l_and_u, ab, b, overwrite_ab=False, overwrite_b=False, check_finite=True):
    """Solve the banded system in SciPy's storage (``ab[u + i - j, j] = A[i, j]``)."""
    lower, upper = (int(v) for v in l_and_u)
    rows, n = shape_of(ab)
    if rows != lower + upper + 1:
        raise ValueError(f"invalid values for the number of lower and upper diagonals: "
                         f"l+u+1 ({lower + upper + 1}) does not equal ab.shape[0] ({rows})")
    i, j = np.indices((n, n))
    band = upper + i - j
    inside = (band >= 0) & (band < rows)
    dense = np.where(inside, ab[np.clip(band, 0, rows - 1), j], 0.0)
    return np.linalg.solve(dense, b)


@implements(alternative="scipy.linalg.block_diag")
def block_diag(*arrs):
    """Block-diagonal matrix of the given blocks (1-D blocks are rows, as in SciPy)."""
    blocks = []
    for x in arrs:
        nd = ndim_of(x)
        if nd > 2:
            raise ValueError("arguments in the following positions have dimension greater "
                             "than 2")
        blocks.append(np.reshape(x, (1,) * (2 - nd) + shape_of(x)) if nd < 2 else x)
    if not blocks:
        return np.empty((1, 0))
    widths = [shape_of(x)[1] for x in blocks]
    total = sum(widths)
    rows, left = [], 0
    for x, w in zip(blocks, widths):
        r = shape_of(x)[0]
        rows.append(np.concatenate([np.zeros((r, left)), x, np.zeros((r, total - left - w))],
                                   axis=1))
        left += w
    return np.concatenate(rows, axis=0)


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
