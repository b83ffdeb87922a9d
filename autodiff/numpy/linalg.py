"""Differentiable ``numpy.linalg``: solve, inv, det, slogdet, cholesky and norm.

``solve``, ``inv``, ``det``, ``slogdet`` and ``cholesky`` take a single square
matrix (stacks of matrices are not supported yet and raise).  ``norm`` supports
vector orders (``None``, 1, 2, inf, -inf, p) and the Frobenius matrix norm.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._registry import declare, implements
from .._shapes import axis_tuple, batch_size, shape_of
from .._tracer import Tracer, base_value, is_complex
from ._reductions import norm2

__all__ = ["solve", "inv", "det", "slogdet", "cholesky", "norm"]


def _square_matrix(a, name: str) -> None:
    shape = shape_of(a)
    if len(shape) != 2 or shape[0] != shape[1]:
        raise NotImplementedError(
            f"autodiff.numpy.linalg.{name} differentiates a single square matrix; got shape "
            f"{shape} (stacks of matrices are not supported)"
        )


def _as_column(x):
    return np.reshape(x, shape_of(x) + (1,)) if len(shape_of(x)) == 1 else x


# --- solve: x = A^{-1} b ------------------------------------------------------------
def _solve_vjp_a(ans, a, b):
    def vjp(g):
        gb = np.linalg.solve(np.transpose(a), g)
        return -np.matmul(_as_column(gb), np.transpose(_as_column(ans)))

    return vjp


def _solve_batched(a, rhs, b_ndim):
    """Solve A y = rhs for a batch of right-hand sides with the batch axis first."""
    k = batch_size(rhs)
    if b_ndim == 1:  # rhs (k, n): solve all k at once as columns
        return np.transpose(np.linalg.solve(a, np.transpose(rhs)))
    n, p = shape_of(rhs)[1:]
    cols = np.reshape(np.transpose(rhs, (1, 0, 2)), (n, k * p))
    return np.transpose(np.reshape(np.linalg.solve(a, cols), (n, k, p)), (1, 0, 2))


def _solve_jvp_a(t, ans, a, b):
    b_nd = len(shape_of(b))
    ta_x = np.matmul(t, ans) if b_nd == 2 else np.matmul(t, np.reshape(ans, (-1,)))
    return -_solve_batched(a, ta_x, b_nd)


solve_p = declare(
    np.linalg.solve, "linalg.solve",
    vjps=[_solve_vjp_a, lambda ans, a, b: lambda g: np.linalg.solve(np.transpose(a), g)],
    jvps=[_solve_jvp_a, lambda t, ans, a, b: _solve_batched(a, t, len(shape_of(b)))],
)


@implements(np.linalg.solve)
def solve(a, b):
    """Solve ``a @ x = b`` for x; differentiable in both ``a`` and ``b``."""
    _square_matrix(a, "solve")
    if len(shape_of(b)) not in (1, 2):
        raise NotImplementedError("autodiff.numpy.linalg.solve needs b of shape (n,) or (n, k)")
    return solve_p(a, b)


# --- inverse and determinants --------------------------------------------------------
inv_p = declare(
    np.linalg.inv, "linalg.inv",
    vjps=[lambda ans, a: lambda g: -np.matmul(np.matmul(np.transpose(ans), g),
                                              np.transpose(ans))],
    jvps=[lambda t, ans, a: -np.matmul(np.matmul(ans, t), ans)],
)


@implements(np.linalg.inv)
def inv(a):
    """Inverse of a square matrix."""
    _square_matrix(a, "inv")
    return inv_p(a)


def _trace_of_inv_times(a, t):
    # tr(A^{-1} T) for each of the k tangents T, without forming A^{-1} T.
    return np.sum(np.transpose(np.linalg.inv(a)) * t, axis=(-2, -1))


def _cofactor(ans, a):
    """The cofactor matrix ``d det(A) / dA = adj(A)^T``, also where A is singular.

    ``det(A) A^{-T}`` where A is well conditioned; otherwise from the SVD
    ``A = U S V^T``: ``adj(A)^T = det(U) det(V) U diag(prod_{j != i} s_j) V^T``.
    """
    values = base_value(a)
    if np.linalg.cond(values) < 1e12:
        return ans * np.transpose(np.linalg.inv(a))
    if isinstance(a, Tracer):
        raise NotImplementedError(
            "the second derivative of det at a (nearly) singular matrix is not supported")
    u, s, vt = np.linalg.svd(values)
    others = np.array([np.prod(np.delete(s, i)) for i in range(len(s))])
    sign = np.linalg.det(u) * np.linalg.det(vt)
    # A = U S Vh: adj(A)^T = det(U) det(Vh) conj(U) diag(others) conj(Vh)
    return sign * (np.conj(u) * others) @ np.conj(vt)


det_p = declare(
    np.linalg.det, "linalg.det",
    vjps=[lambda ans, a: lambda g: g * _cofactor(ans, a)],
    jvps=[lambda t, ans, a: np.sum(_cofactor(ans, a) * t, axis=(-2, -1))],
)


@implements(np.linalg.det)
def det(a):
    """Determinant of a square matrix."""
    _square_matrix(a, "det")
    return det_p(a)


def _logabsdet_impl(a):
    return np.linalg.slogdet(a)[1]


def _logabsdet_jvp(t, ans, a):
    # log|det A| = Re log det A: the real part of the holomorphic derivative.
    out = _trace_of_inv_times(a, t)
    return np.real(out) if is_complex(a) else out


logabsdet_p = declare(
    _logabsdet_impl, "linalg.slogdet",
    vjps=[lambda ans, a: lambda g: g * np.transpose(np.linalg.inv(a))],
    jvps=[_logabsdet_jvp],
)


class SlogdetResult(NamedTuple):
    sign: np.ndarray
    logabsdet: object


@implements(np.linalg.slogdet)
def slogdet(a) -> SlogdetResult:
    """Sign (a constant) and differentiable log-absolute-determinant."""
    _square_matrix(a, "slogdet")
    sign = np.linalg.slogdet(base_value(a))[0]
    if is_complex(a) and sign != 0:
        # the phase det/|det| of a complex matrix moves with it: differentiate it
        d = det_p(a)
        sign = d / np.abs(d)
    return SlogdetResult(sign, logabsdet_p(a))


# --- Cholesky: A = L L^T ---------------------------------------------------------------
def _phi(x):
    """Lower triangle with the diagonal halved."""
    n = shape_of(x)[-1]
    return x * (np.tril(np.ones((n, n)), -1) + 0.5 * np.eye(n))


def _cholesky_vjp(ans, a):
    def vjp(g):
        # Abar = L^{-T} phi(L^T Lbar) L^{-1}, symmetrized.
        p = _phi(np.matmul(np.transpose(ans), g))
        left = np.linalg.solve(np.transpose(ans), p)
        s = np.transpose(np.linalg.solve(np.transpose(ans), np.transpose(left)))
        return 0.5 * (s + np.transpose(s))

    return vjp


def _cholesky_jvp(t, ans, a):
    l_inv = np.linalg.inv(ans)
    return np.matmul(ans, _phi(np.matmul(np.matmul(l_inv, t), np.transpose(l_inv))))


cholesky_p = declare(
    np.linalg.cholesky, "linalg.cholesky", vjps=[_cholesky_vjp], jvps=[_cholesky_jvp]
)


@implements(np.linalg.cholesky)
def cholesky(a):
    """Lower Cholesky factor of a symmetric positive-definite matrix."""
    _square_matrix(a, "cholesky")
    if is_complex(a):
        raise NotImplementedError(
            "autodiff.numpy.linalg.cholesky differentiates real symmetric matrices only; "
            "the Hermitian (complex) case has no derivative rule yet")
    return cholesky_p(a)


# --- norms ---------------------------------------------------------------------------
@implements(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims=False):
    """Vector p-norms and the Frobenius norm, like :func:`numpy.linalg.norm`.

    The derivative of the 2-norm at zero is taken as 0.
    """
    ndim = len(shape_of(x))
    ax = axis_tuple(axis, ndim)
    matrix = (ax is None and ndim == 2 and ord is not None) or (ax is not None and len(ax) == 2)
    if matrix:
        if ord not in (None, "fro"):
            raise NotImplementedError(
                f"autodiff.numpy.linalg.norm: matrix norm ord={ord!r} has no derivative rule; "
                "supported: None and 'fro'")
        return norm2(x, axis=ax, keepdims=keepdims)
    if ord is None or ord == 2:
        return norm2(x, axis=ax, keepdims=keepdims)
    if ord == 1:
        return np.sum(np.abs(x), axis=ax, keepdims=keepdims)
    if ord == np.inf:
        return np.max(np.abs(x), axis=ax, keepdims=keepdims)
    if ord == -np.inf:
        return np.min(np.abs(x), axis=ax, keepdims=keepdims)
    if ord == 0:  # the number of nonzero entries: piecewise constant
        return np.sum(base_value(x) != 0, axis=ax, keepdims=keepdims).astype(float)
    if isinstance(ord, str):
        raise ValueError(f"invalid norm order {ord!r} for vectors")
    return np.sum(np.abs(x) ** ord, axis=ax, keepdims=keepdims) ** (1.0 / ord)
