"""Primitives for the decompositions of ``numpy.linalg``: svd, eigh, eig and qr.

A primitive returns one array, so each decomposition returns its factors *packed*
along the row axis and the public wrapper (:mod:`autodiff.numpy.linalg`) slices
them apart (the slices are differentiable ``getitem``\\ s):

=================  ===================  =========================================
primitive          packed value         rows
=================  ===================  =========================================
``linalg.svd``     ``(..., m+1+n, K)``  ``U`` (m), ``s`` (1), ``V = Vh^T`` (n)
``linalg.eigh``    ``(..., 1+n, n)``    ``w`` (1), ``V`` (n)
``linalg.eig``     ``(..., 1+n, n)``    ``w`` (1), ``V`` (n)  (real spectra only)
``linalg.qr``      ``(..., m+n, n)``    ``Q`` (m), ``R`` (n)   (m >= n)
=================  ===================  =========================================

with ``K = min(m, n)``.  One LAPACK call per decomposition; the rules get every
factor they need from the packed answer, so they are differentiable again.
``linalg.svdvals`` and ``linalg.eigvalsh`` are the cheaper value-only variants.

Degenerate points
-----------------
Singular vectors (eigenvectors) are not differentiable where singular values
(eigenvalues) repeat: any rotation within the repeated group is an equally valid
output.  Values closer than ``1000 eps K max|value|`` count as repeated, and the
rotation within a repeated group is given zero derivative (the divided difference
``1 / (s_j - s_i)`` is replaced by 0).  With this convention the derivatives are
exact for functions of the values that are symmetric within each group (sums,
norms, log-determinants, ``s`` alone) and for projectors onto whole groups
(``U_g U_g^T``); functions that weight the vectors of one group by different
values of a split group (a reconstruction ``U S V^T`` or a matrix function
``V f(w) V^T`` evaluated *exactly* at a repeated value) miss the in-group term;
use the dedicated functions (``inv``, ``pinv``, ``expm``, ``sqrtm``) there.  The
derivative of the values themselves at a tie is ``diag(U^T dA V)`` for the vectors
LAPACK returned: like ``max`` at a tie, an element of the generalized gradient.
Zero singular values of a non-square matrix give ``S^{-1}`` the pseudo-inverse
convention (0).  Nothing here produces NaN from a finite input.
"""

from __future__ import annotations

import numpy as np

from .._registry import declare
from .._shapes import shape_of
from .._tracer import base_value
from ._linalg_basic import lower_adjoint, lower_symmetric, mT

__all__ = ["svd_p", "svdvals_p", "eigh_p", "eigvalsh_p", "eig_p", "qr_p", "complement_p",
           "GAP_RTOL", "unpack_svd"]

#: Relative gap (times the matrix size) below which two float64 values count as
#: repeated; scaled by the machine epsilon for other precisions.
GAP_RTOL = 1e3 * np.finfo(np.float64).eps


def _diag(x):
    return np.diagonal(x, axis1=-2, axis2=-1)


def _diag_embed(v):
    """``(..., n) -> (..., n, n)`` with ``v`` on the diagonal."""
    n = shape_of(v)[-1]
    return np.expand_dims(v, -2) * np.eye(n)


def _gap_masks(values):
    """``(repeated, tol)``: pairs ``(i, j)`` whose values count as equal (diagonal too)."""
    v = np.asarray(base_value(values))
    k = v.shape[-1]
    eps = np.finfo(v.dtype if v.dtype.kind == "f" else np.float64).eps
    tol = GAP_RTOL * (eps / np.finfo(np.float64).eps) * max(k, 1)
    tol = np.maximum(tol * np.max(np.abs(v), axis=-1, keepdims=True), np.finfo(v.dtype).tiny)
    repeated = np.abs(v[..., None, :] - v[..., :, None]) <= tol[..., None]
    return repeated, tol


def _inverse_gaps(values):
    """``F_ij = 1 / (v_j - v_i)``, 0 on the diagonal and within repeated groups."""
    repeated, _ = _gap_masks(values)
    gaps = np.expand_dims(values, -2) - np.expand_dims(values, -1)
    return np.where(repeated, 0.0, 1.0 / np.where(repeated, 1.0, gaps))


# --- SVD: A = U diag(s) V^T, packed (..., m+1+n, K) ------------------------------------
def _svd_impl(a, full_matrices=False):
    u, s, vt = np.linalg.svd(a, full_matrices=full_matrices)
    k = s.shape[-1]
    return np.concatenate([u[..., :, :k], s[..., None, :], mT(vt[..., :k, :])], axis=-2)


def unpack_svd(packed, m: int):
    """``(U, s, V)`` from the packed SVD of an ``m``-row matrix."""
    return packed[..., :m, :], packed[..., m, :], packed[..., m + 1:, :]


def _svd_coefficients(s):
    """``D_ij = 1/(s_j - s_i)``, ``E_ij = 1/(s_j + s_i)`` and ``1/s``, with the
    degenerate-point conventions (0 where undefined)."""
    repeated, tol = _gap_masks(s)
    sb = base_value(s)
    both_zero = (sb[..., None, :] + sb[..., :, None]) <= tol[..., None]
    zero = sb <= tol
    diff = np.expand_dims(s, -2) - np.expand_dims(s, -1)
    total = np.expand_dims(s, -2) + np.expand_dims(s, -1)
    d = np.where(repeated, 0.0, 1.0 / np.where(repeated, 1.0, diff))
    e = np.where(both_zero, 0.0, 1.0 / np.where(both_zero, 1.0, total))
    inv_s = np.where(zero, 0.0, 1.0 / np.where(zero, 1.0, s))
    return d, e, inv_s


def _svd_jvp(t, ans, a, full_matrices=False):
    m, n = shape_of(a)[-2:]
    u, s, v = unpack_svd(ans, m)
    k = shape_of(s)[-1]
    p = np.matmul(np.matmul(mT(u), t), v)
    d, e, inv_s = _svd_coefficients(s)
    psym, panti = p + mT(p), p - mT(p)
    du = np.matmul(u, 0.5 * (d * psym + e * panti))
    dv = np.matmul(v, 0.5 * (d * psym - e * panti))
    if m > k:  # (I - U U^T) dA V S^{-1}
        du = du + (np.matmul(t, v) - np.matmul(u, p)) * np.expand_dims(inv_s, -2)
    if n > k:  # (I - V V^T) dA^T U S^{-1}
        du_t = np.matmul(mT(t), u) - np.matmul(v, mT(p))
        dv = dv + du_t * np.expand_dims(inv_s, -2)
    return np.concatenate([du, np.expand_dims(_diag(p), -2), dv], axis=-2)


def _svd_vjp(ans, a, full_matrices=False):
    m, n = shape_of(a)[-2:]
    u, s, v = unpack_svd(ans, m)
    k = shape_of(s)[-1]
    d, e, inv_s = _svd_coefficients(s)

    def vjp(g):
        gu, gs, gv = unpack_svd(g, m)
        j = np.matmul(mT(u), gu)
        kk = np.matmul(mT(v), gv)
        ja, ka = j - mT(j), kk - mT(kk)
        pbar = _diag_embed(gs) + 0.5 * ((d + e) * ja + (d - e) * ka)
        abar = np.matmul(np.matmul(u, pbar), mT(v))
        if m > k:  # (I - U U^T) Ubar S^{-1} V^T
            abar = abar + np.matmul((gu - np.matmul(u, j)) * np.expand_dims(inv_s, -2), mT(v))
        if n > k:  # U S^{-1} Vbar^T (I - V V^T)
            abar = abar + np.matmul(u, mT((gv - np.matmul(v, kk)) * np.expand_dims(inv_s, -2)))
        return abar

    return vjp


svd_p = declare(_svd_impl, "linalg.svd", vjps=[_svd_vjp], jvps=[_svd_jvp])


def _svdvals_impl(a):
    return np.linalg.svd(a, compute_uv=False)


def _svdvals_jvp(t, ans, a):
    u, _, vt = np.linalg.svd(a, full_matrices=False)
    return np.sum(u * np.matmul(t, mT(vt)), axis=-2)


def _svdvals_vjp(ans, a):
    u, _, vt = np.linalg.svd(a, full_matrices=False)
    return lambda g: np.matmul(u * np.expand_dims(g, -2), vt)


svdvals_p = declare(_svdvals_impl, "linalg.svdvals", vjps=[_svdvals_vjp], jvps=[_svdvals_jvp])


# --- orthonormal complement (the extra columns of full U, V and Q) ------------------------
def _complement_impl(q, basis):
    return basis


# Convention: the complement Q_perp of the columns of Q moves only as much as it must to
# stay orthogonal to Q (no rotation within the complement): dQ_perp = -Q dQ^T Q_perp.
complement_p = declare(
    _complement_impl, "linalg.complement",
    vjps=[lambda ans, q, basis: lambda g: -np.matmul(np.matmul(ans, mT(g)), q)],
    jvps=[lambda t, ans, q, basis: -np.matmul(q, np.matmul(mT(t), ans))],
)


# --- symmetric eigendecomposition: A = V diag(w) V^T, packed (..., 1+n, n) ------------
def _eigh_impl(a, UPLO="L"):
    w, v = np.linalg.eigh(a, UPLO=UPLO)
    return np.concatenate([w[..., None, :], v], axis=-2)


def _eigh_jvp(t, ans, a, UPLO="L"):
    w, v = ans[..., 0, :], ans[..., 1:, :]
    p = np.matmul(np.matmul(mT(v), lower_symmetric(t, UPLO == "L")), v)
    dv = np.matmul(v, _inverse_gaps(w) * p)
    return np.concatenate([np.expand_dims(_diag(p), -2), dv], axis=-2)


def _eigh_vjp(ans, a, UPLO="L"):
    w, v = ans[..., 0, :], ans[..., 1:, :]
    f = _inverse_gaps(w)

    def vjp(g):
        inner = _diag_embed(g[..., 0, :]) + f * np.matmul(mT(v), g[..., 1:, :])
        return lower_adjoint(np.matmul(np.matmul(v, inner), mT(v)), UPLO == "L")

    return vjp


eigh_p = declare(_eigh_impl, "linalg.eigh", vjps=[_eigh_vjp], jvps=[_eigh_jvp])


def _eigvalsh_jvp(t, ans, a, UPLO="L"):
    _, v = np.linalg.eigh(a, UPLO=UPLO)
    return np.sum(v * np.matmul(lower_symmetric(t, UPLO == "L"), v), axis=-2)


def _eigvalsh_vjp(ans, a, UPLO="L"):
    _, v = np.linalg.eigh(a, UPLO=UPLO)
    return lambda g: lower_adjoint(np.matmul(v * np.expand_dims(g, -2), mT(v)), UPLO == "L")


eigvalsh_p = declare(np.linalg.eigvalsh, "linalg.eigvalsh",
                     vjps=[_eigvalsh_vjp], jvps=[_eigvalsh_jvp])


# --- general eigendecomposition with a real spectrum: A V = V diag(w) -------------------
def _eig_impl(a):
    w, v = np.linalg.eig(a)
    if np.iscomplexobj(w):
        raise NotImplementedError(
            "numpy.linalg.eig/eigvals of a matrix with complex eigenvalues: autodiff "
            "differentiates real spectra only (complex outputs are not supported by the "
            "derivative rules yet); for symmetric matrices use numpy.linalg.eigh")
    return np.concatenate([w[..., None, :], v], axis=-2)


def _eigenvector_inverse(v):
    if np.any(np.linalg.cond(base_value(v)) > 1e12):
        raise np.linalg.LinAlgError(
            "numpy.linalg.eig: the eigenvector matrix is singular (a defective matrix): "
            "its eigenvalues and eigenvectors are not differentiable here")
    return np.linalg.inv(v)


def _eig_jvp(t, ans, a):
    w, v = ans[..., 0, :], ans[..., 1:, :]
    p = np.matmul(np.matmul(_eigenvector_inverse(v), t), v)
    dv = np.matmul(v, _inverse_gaps(w) * p)
    # LAPACK normalizes each eigenvector to unit length: keep d|v_j| = 0.
    dv = dv - v * np.sum(v * dv, axis=-2, keepdims=True)
    return np.concatenate([np.expand_dims(_diag(p), -2), dv], axis=-2)


def _eig_vjp(ans, a):
    w, v = ans[..., 0, :], ans[..., 1:, :]
    f = _inverse_gaps(w)
    v_inv = _eigenvector_inverse(v)

    def vjp(g):
        b = np.matmul(mT(v), g[..., 1:, :])
        normalized = b - np.matmul(mT(v), v) * np.expand_dims(_diag(b), -2)
        inner = _diag_embed(g[..., 0, :]) + f * normalized
        return np.matmul(np.matmul(mT(v_inv), inner), mT(v))

    return vjp


eig_p = declare(_eig_impl, "linalg.eig", vjps=[_eig_vjp], jvps=[_eig_jvp])


# --- QR of a tall matrix (m >= n): A = Q R, packed (..., m+n, n) -------------------------
def _qr_impl(a, complete=False):
    q, r = np.linalg.qr(a, mode="complete" if complete else "reduced")
    n = a.shape[-1]
    return np.concatenate([q[..., :, :n], r[..., :n, :]], axis=-2)


def _right_solve(x, r):
    """``x R^{-1}`` for upper-triangular ``r``."""
    return mT(np.linalg.solve(mT(r), mT(x)))


def _qr_jvp(t, ans, a, complete=False):
    m = shape_of(a)[-2]
    q, r = ans[..., :m, :], ans[..., m:, :]
    x = _right_solve(t, r)
    c = np.matmul(mT(q), x)
    lower = np.tril(c, -1)
    omega = lower - mT(lower)  # Q^T dQ, antisymmetric
    dq = np.matmul(q, omega) + x - np.matmul(q, c)
    dr = np.matmul(c - omega, r)
    return np.concatenate([dq, dr], axis=-2)


def _qr_vjp(ans, a, complete=False):
    m = shape_of(a)[-2]
    q, r = ans[..., :m, :], ans[..., m:, :]

    def vjp(g):
        gq, gr = g[..., :m, :], g[..., m:, :]
        mm = np.matmul(gr, mT(r)) - np.matmul(mT(q), gq)
        n_mat = np.triu(mm) + np.tril(mT(mm), -1)
        xbar = gq + np.matmul(q, n_mat)
        return mT(np.linalg.solve(r, mT(xbar)))

    return vjp


qr_p = declare(_qr_impl, "linalg.qr", vjps=[_qr_vjp], jvps=[_qr_jvp])

