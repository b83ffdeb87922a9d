"""Primitives of ``numpy.linalg`` built on one factorization: solve, inv, det,
slogdet, cholesky and pinv, each on stacks of matrices ``(..., m, n)``.

Rules are written with NumPy functions on the last two axes (``matmul``,
``swapaxes``, ``tril``), so they run again under forward mode (second order) and
broadcast over stack dimensions.  Forward tangents carry a leading batch axis ``k``;
a tangent is aligned to the rank of the output before it meets a broadcast operand,
so that ``k`` can never pair up with a stack dimension.

Conventions
-----------
* ``cholesky`` (and ``eigh`` in :mod:`._linalg_decompositions`) read one triangle
  of their input, as NumPy does; their derivatives are those of NumPy's function:
  a perturbation of the unread triangle has no effect.  Along symmetric paths
  (``A = B + B.T``, ``X.T @ X``) this equals the symmetric-matrix derivative.
* ``det`` at a singular matrix uses the cofactor matrix (exact first derivative);
  its second derivative there raises.
* ``pinv`` differentiates along matrices of the same rank (Golub and Pereyra's
  formula); in directions that change the rank the pseudo-inverse is discontinuous.
"""

from __future__ import annotations

import numpy as np

from .._registry import declare
from .._shapes import align_rank, ndim_of, shape_of, unbroadcast
from .._tracer import Tracer, base_value, set_rules

__all__ = ["mT", "solve_p", "inv_p", "det_p", "logabsdet_p", "cholesky_p", "pinv_p",
           "lower_symmetric", "lower_adjoint"]


def mT(x):
    """Transpose of the last two axes (a stack of matrices)."""
    return np.swapaxes(x, -1, -2)


def _expand2(x):
    """A stack of scalars ``(...)`` as ``(..., 1, 1)`` (also for Python floats)."""
    return np.expand_dims(x, (-2, -1))


def solve_many(a, rhs):
    """Solve ``a @ x = rhs`` for ``rhs`` of shape ``(..., n, p)``, broadcasting.

    For a single matrix ``a`` and many right-hand sides (a batch of tangents), the
    right-hand sides become columns of one system: one factorization, not ``k``.
    """
    rhs_shape = shape_of(rhs)
    if ndim_of(a) == 2 and len(rhs_shape) > 2:
        moved = np.moveaxis(rhs, -2, 0)
        columns = np.reshape(moved, (rhs_shape[-2], -1))
        x = np.linalg.solve(a, columns)
        return np.moveaxis(np.reshape(x, shape_of(moved)), 0, -2)
    return np.linalg.solve(a, rhs)


# --- solve: X = A^{-1} B, B of shape (..., n, p) ---------------------------------------
def _solve_vjp(which, ans, args, kwargs):
    a, b = args

    def vjp(g):
        gb = np.linalg.solve(mT(a), g)
        out = []
        for i in which:
            if i == 0:
                out.append(unbroadcast(-np.matmul(gb, mT(ans)), shape_of(a)))
            else:
                out.append(unbroadcast(gb, shape_of(b)))
        return tuple(out)

    return vjp


def _solve_jvp_a(t, ans, a, b):
    t = align_rank(t, ndim_of(a), ndim_of(ans))
    return -solve_many(a, np.matmul(t, ans))


def _solve_jvp_b(t, ans, a, b):
    return solve_many(a, align_rank(t, ndim_of(b), ndim_of(ans)))


solve_p = declare(np.linalg.solve, "linalg.solve", jvps=[_solve_jvp_a, _solve_jvp_b])
set_rules(solve_p, vjp=_solve_vjp)


# --- inverse ----------------------------------------------------------------------------
inv_p = declare(
    np.linalg.inv, "linalg.inv",
    vjps=[lambda ans, a: lambda g: -np.matmul(np.matmul(mT(ans), g), mT(ans))],
    jvps=[lambda t, ans, a: -np.matmul(np.matmul(ans, t), ans)],
)


# --- determinants -----------------------------------------------------------------------
def _cofactor(ans, a):
    """The cofactor matrix ``d det(A) / dA = adj(A)^T``, also where A is singular.

    ``det(A) A^{-T}`` where every matrix of the stack is well conditioned; otherwise
    from the SVD ``A = U S V^T``: ``adj(A)^T = det(U) det(V) U diag(prod_{j != i} s_j) V^T``.
    """
    values = base_value(a)
    if np.all(np.linalg.cond(values) < 1e12):
        return _expand2(ans) * mT(np.linalg.inv(a))
    if isinstance(a, Tracer):
        raise NotImplementedError(
            "the second derivative of det at a (nearly) singular matrix is not supported")
    u, s, vt = np.linalg.svd(values)
    n = s.shape[-1]
    others = np.prod(np.where(np.eye(n, dtype=bool), 1.0, s[..., None, :]), axis=-1)
    sign = np.linalg.det(u) * np.linalg.det(vt)
    return sign[..., None, None] * np.matmul(u * others[..., None, :], vt)


det_p = declare(
    np.linalg.det, "linalg.det",
    vjps=[lambda ans, a: lambda g: _expand2(g) * _cofactor(ans, a)],
    jvps=[lambda t, ans, a: np.sum(_cofactor(ans, a) * t, axis=(-2, -1))],
)


def _logabsdet_impl(a):
    return np.linalg.slogdet(a)[1]


logabsdet_p = declare(
    _logabsdet_impl, "linalg.slogdet",
    vjps=[lambda ans, a: lambda g: _expand2(g) * mT(np.linalg.inv(a))],
    jvps=[lambda t, ans, a: np.sum(mT(np.linalg.inv(a)) * t, axis=(-2, -1))],
)


# --- one triangle of a symmetric input ------------------------------------------------
def lower_symmetric(t, lower: bool = True):
    """The symmetric matrix a function reading only one triangle of ``t`` sees."""
    if lower:
        return np.tril(t) + mT(np.tril(t, -1))
    return np.triu(t) + mT(np.triu(t, 1))


def lower_adjoint(s, lower: bool = True):
    """Adjoint of :func:`lower_symmetric`: the cotangent of the triangle that is read."""
    if lower:
        return np.tril(s) + np.tril(mT(s), -1)
    return np.triu(s) + np.triu(mT(s), 1)


# --- Cholesky: A = L L^T (NumPy reads the lower triangle of A) --------------------------
def _phi(x):
    """Lower triangle with the diagonal halved."""
    n = shape_of(x)[-1]
    return x * (np.tri(n, n, -1) + 0.5 * np.eye(n))


def _cholesky_vjp(ans, a):
    def vjp(g):
        # S = L^{-T} phi(L^T Lbar) L^{-1}, symmetrized, then mapped to the lower triangle.
        p = _phi(np.matmul(mT(ans), g))
        left = np.linalg.solve(mT(ans), p)
        s = mT(np.linalg.solve(mT(ans), mT(left)))
        return lower_adjoint(0.5 * (s + mT(s)))

    return vjp


def _cholesky_jvp(t, ans, a):
    l_inv = np.linalg.inv(ans)
    inner = np.matmul(np.matmul(l_inv, lower_symmetric(t)), mT(l_inv))
    return np.matmul(ans, _phi(inner))


cholesky_p = declare(np.linalg.cholesky, "linalg.cholesky",
                     vjps=[_cholesky_vjp], jvps=[_cholesky_jvp])


# --- pseudo-inverse: X = A^+ --------------------------------------------------------------
def _pinv_impl(a, **options):
    return np.linalg.pinv(a, **options)


def _projectors(ans, a):
    """``I - A A^+`` (m x m) and ``I - A^+ A`` (n x n)."""
    m, n = shape_of(a)[-2:]
    return np.eye(m) - np.matmul(a, ans), np.eye(n) - np.matmul(ans, a)


def _pinv_vjp(ans, a, **options):
    def vjp(g):
        # Abar = -X^T G X^T + (I - A X) G^T X X^T + X^T X G^T (I - X A)
        p_m, p_n = _projectors(ans, a)
        gt = mT(g)
        return (-np.matmul(np.matmul(mT(ans), g), mT(ans))
                + np.matmul(np.matmul(p_m, gt), np.matmul(ans, mT(ans)))
                + np.matmul(np.matmul(mT(ans), ans), np.matmul(gt, p_n)))

    return vjp


def _pinv_jvp(t, ans, a, **options):
    # dX = -X dA X + X X^T dA^T (I - A X) + (I - X A) dA^T X^T X
    p_m, p_n = _projectors(ans, a)
    tt = mT(t)
    return (-np.matmul(np.matmul(ans, t), ans)
            + np.matmul(np.matmul(ans, mT(ans)), np.matmul(tt, p_m))
            + np.matmul(np.matmul(p_n, tt), np.matmul(mT(ans), ans)))


pinv_p = declare(_pinv_impl, "linalg.pinv", vjps=[_pinv_vjp], jvps=[_pinv_jvp])
