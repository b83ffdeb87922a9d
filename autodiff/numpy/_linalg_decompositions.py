"""Primitives for the decompositions of ``numpy.linalg``: svd, eigh, eig and qr.

A primitive returns one array, so each decomposition returns its factors *packed*
along the row axis and the public wrapper (:mod:`autodiff.numpy.linalg`) slices
them apart (the slices are differentiable ``getitem``\\ s):

=================  ===================  =========================================
primitive          packed value         rows
=================  ===================  =========================================
``linalg.svd``     ``(..., m+1+n, K)``  ``U`` (m), ``s`` (1), ``V = Vh^T`` (n)
``linalg.eigh``    ``(..., 1+n, n)``    ``w`` (1), ``V`` (n)
``linalg.eig``     ``(..., 1+n, n)``    ``w`` (1), ``V`` (n)  (complex for a complex spectrum)
``linalg.qr``      ``(..., m+n, n)``    ``Q`` (m), ``R`` (n)   (m >= n)
=================  ===================  =========================================

with ``K = min(m, n)``.  One LAPACK call per decomposition; the rules get every
factor they need from the packed answer, so they are differentiable again.
``linalg.svdvals`` and ``linalg.eigvalsh`` are the cheaper value-only variants.

Degenerate points
-----------------
Singular vectors (eigenvectors) are not differentiable where singular values
(eigenvalues) repeat, or at zero singular values of a non-square matrix: any
rotation within the repeated group is an equally valid output.  Values closer than
``1000 eps K max|value|`` count as repeated.  There the rules raise
:class:`numpy.linalg.LinAlgError` as soon as a tangent (forward mode) or a cotangent
(reverse mode) has weight on the undefined rotation; derivatives that do not
involve it are still computed: tangents that keep the group tied (the rotation
part of ``U^T dA V``), and functions of the values alone (``svd(a)[1]`` in reverse
mode, ``svd(a, compute_uv=False)``, ``eigvalsh`` and the norms, in both modes).
The derivative of the values at a tie is ``diag(U^T dA V)`` (``v_i^T dA v_i``) for
the vectors LAPACK returned: like ``max`` at a tie, an element of the generalized
gradient, exact for functions symmetric within the group (sums, norms, log-dets).
Second derivatives of the values at a tie need the vectors' derivative and raise.
An error is preferred to a convention here because no finite value makes smooth
compositions (``U S V^T``, ``V f(w) V^T``) correct at an exact tie.  Nothing here
produces NaN from a finite input.

General eigenvectors (``eig``)
------------------------------
With ``A = V diag(w) V^{-1}`` and ``P = V^{-1} dA V``: ``dw = diag(P)`` and
``dV = V (F * P) + V diag(c)``, ``F_ij = 1/(w_j - w_i)``.  The free ``c`` (each
column's scale and, for complex vectors, phase) is fixed by NumPy's (LAPACK's)
normalization: unit 2-norm, ``Re(v_j^H dv_j) = 0``, and, for complex vectors, the
entry ``k`` of largest modulus kept real, ``Im(dv_kj / v_kj) = 0``.  The VJP is the
transpose of this map under the pairing ``Re(sum(g * dv))``.  Real matrices with a
real spectrum keep real vectors (only the norm condition applies).  Defective
matrices (a singular ``V``) raise ``LinAlgError``; repeated eigenvalues follow the
rules above.
"""

from __future__ import annotations

import numpy as np

from .._registry import declare
from .._shapes import shape_of
from .._tracer import base_value, is_complex
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


def _off_diagonal(mask):
    n = mask.shape[-1]
    return mask & ~np.eye(n, dtype=bool)


#: Entries of a tangent or cotangent below this fraction of its largest entry count as 0.
_ZERO_RTOL = 1e-8


#: The value-only function to suggest where a decomposition's vectors are undefined.
_VALUES_ONLY = {"svd": "svd(a, compute_uv=False)", "eig": "eigvals"}


def _refuse_if_moves(x, undefined, reference, name: str, vectors: str, hint: str) -> None:
    """Raise where a tangent/cotangent ``x`` has weight on an undefined coefficient.

    ``undefined`` marks the entries whose derivative does not exist (pairs of tied
    values, columns of zero singular values); ``reference`` sets the scale of zero.
    """
    x = np.abs(np.asarray(base_value(x)))
    scale = np.max(np.abs(np.asarray(base_value(reference))), initial=0.0)
    if np.any((x > _ZERO_RTOL * scale) & undefined):
        raise np.linalg.LinAlgError(
            f"numpy.linalg.{name}: the {vectors} are not differentiable here: the input has "
            f"repeated {hint} (or zero singular values of a non-square matrix), so any "
            f"rotation of the corresponding {vectors} is an equally valid output, and the "
            f"derivative asked for depends on it. For functions of the values alone use "
            f"{_VALUES_ONLY.get(name, 'eigvalsh')} (or norm); "
            "otherwise avoid exactly repeated values (perturb the input).")


# --- SVD: A = U diag(s) V^T, packed (..., m+1+n, K) ------------------------------------
def _svd_impl(a, full_matrices=False):
    u, s, vt = np.linalg.svd(a, full_matrices=full_matrices)
    k = s.shape[-1]
    return np.concatenate([u[..., :, :k], s[..., None, :], mT(vt[..., :k, :])], axis=-2)


def unpack_svd(packed, m: int):
    """``(U, s, V)`` from the packed SVD of an ``m``-row matrix."""
    return packed[..., :m, :], packed[..., m, :], packed[..., m + 1:, :]


def _svd_coefficients(s):
    """``D_ij = 1/(s_j - s_i)``, ``E_ij = 1/(s_j + s_i)``, ``1/s`` and the masks where
    they are undefined (tied pairs, pairs of zeros, zero values), set to 0 there."""
    repeated, tol = _gap_masks(s)
    sb = np.asarray(base_value(s))
    both_zero = (sb[..., None, :] + sb[..., :, None]) <= tol[..., None]
    zero = sb <= tol
    diff = np.expand_dims(s, -2) - np.expand_dims(s, -1)
    total = np.expand_dims(s, -2) + np.expand_dims(s, -1)
    d = np.where(repeated, 0.0, 1.0 / np.where(repeated, 1.0, diff))
    e = np.where(both_zero, 0.0, 1.0 / np.where(both_zero, 1.0, total))
    inv_s = np.where(zero, 0.0, 1.0 / np.where(zero, 1.0, s))
    undefined = _off_diagonal(repeated | both_zero)
    return d, e, inv_s, undefined, both_zero, zero[..., None, :]


_SVD_WORDS = dict(name="svd", vectors="singular vectors", hint="singular values")


def _svd_jvp(t, ans, a, full_matrices=False):
    m, n = shape_of(a)[-2:]
    u, s, v = unpack_svd(ans, m)
    k = shape_of(s)[-1]
    p = np.matmul(np.matmul(mT(u), t), v)
    d, e, inv_s, undefined, both_zero, zero = _svd_coefficients(s)
    psym, panti = p + mT(p), p - mT(p)
    _refuse_if_moves(psym, undefined, t, **_SVD_WORDS)
    _refuse_if_moves(panti, _off_diagonal(both_zero), t, **_SVD_WORDS)
    du = np.matmul(u, 0.5 * (d * psym + e * panti))
    dv = np.matmul(v, 0.5 * (d * psym - e * panti))
    if m > k:  # (I - U U^T) dA V S^{-1}
        outside = np.matmul(t, v) - np.matmul(u, p)
        _refuse_if_moves(outside, zero, t, **_SVD_WORDS)
        du = du + outside * np.expand_dims(inv_s, -2)
    if n > k:  # (I - V V^T) dA^T U S^{-1}
        outside = np.matmul(mT(t), u) - np.matmul(v, mT(p))
        _refuse_if_moves(outside, zero, t, **_SVD_WORDS)
        dv = dv + outside * np.expand_dims(inv_s, -2)
    return np.concatenate([du, np.expand_dims(_diag(p), -2), dv], axis=-2)


def _svd_vjp(ans, a, full_matrices=False):
    m, n = shape_of(a)[-2:]
    u, s, v = unpack_svd(ans, m)
    k = shape_of(s)[-1]
    d, e, inv_s, undefined, _, zero = _svd_coefficients(s)

    def vjp(g):
        gu, gs, gv = unpack_svd(g, m)
        j = np.matmul(mT(u), gu)
        kk = np.matmul(mT(v), gv)
        _refuse_if_moves(j, undefined, g, **_SVD_WORDS)
        _refuse_if_moves(kk, undefined, g, **_SVD_WORDS)
        ja, ka = j - mT(j), kk - mT(kk)
        pbar = _diag_embed(gs) + 0.5 * ((d + e) * ja + (d - e) * ka)
        abar = np.matmul(np.matmul(u, pbar), mT(v))
        if m > k:  # (I - U U^T) Ubar S^{-1} V^T
            outside = gu - np.matmul(u, j)
            _refuse_if_moves(outside, zero, g, **_SVD_WORDS)
            abar = abar + np.matmul(outside * np.expand_dims(inv_s, -2), mT(v))
        if n > k:  # U S^{-1} Vbar^T (I - V V^T)
            outside = gv - np.matmul(v, kk)
            _refuse_if_moves(outside, zero, g, **_SVD_WORDS)
            abar = abar + np.matmul(u, mT(outside * np.expand_dims(inv_s, -2)))
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


_EIGH_WORDS = dict(name="eigh", vectors="eigenvectors", hint="eigenvalues")


def _tied(values):
    return _off_diagonal(_gap_masks(values)[0])


def _eigh_jvp(t, ans, a, UPLO="L"):
    w, v = ans[..., 0, :], ans[..., 1:, :]
    p = np.matmul(np.matmul(mT(v), lower_symmetric(t, UPLO == "L")), v)
    _refuse_if_moves(p, _tied(w), t, **_EIGH_WORDS)
    dv = np.matmul(v, _inverse_gaps(w) * p)
    return np.concatenate([np.expand_dims(_diag(p), -2), dv], axis=-2)


def _eigh_vjp(ans, a, UPLO="L"):
    w, v = ans[..., 0, :], ans[..., 1:, :]
    f, tied = _inverse_gaps(w), _tied(w)

    def vjp(g):
        j = np.matmul(mT(v), g[..., 1:, :])
        _refuse_if_moves(j, tied, g, **_EIGH_WORDS)
        inner = _diag_embed(g[..., 0, :]) + f * j
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


# --- general eigendecomposition: A V = V diag(w), packed (..., 1+n, n) -------------------
def _eig_impl(a):
    w, v = np.linalg.eig(a)
    if np.iscomplexobj(w) and not np.iscomplexobj(a) and not np.any(w.imag) \
            and not np.any(v.imag):
        w, v = w.real, v.real  # NumPy >= 2.5 returns a complex type for a real spectrum
    return np.concatenate([w[..., None, :], v], axis=-2)


_EIG_WORDS = dict(name="eig", vectors="eigenvectors", hint="eigenvalues")


def _eigenvector_inverse(v):
    if np.any(np.linalg.cond(base_value(v)) > 1e12):
        raise np.linalg.LinAlgError(
            "numpy.linalg.eig: the eigenvector matrix is singular (a defective matrix): "
            "its eigenvalues and eigenvectors are not differentiable here")
    return np.linalg.inv(v)


def _largest_entries(v):
    """Boolean ``(..., n, n)``: the entry of largest modulus of each column of ``v``.

    LAPACK scales each complex eigenvector to unit 2-norm with this entry real; the
    rules below keep its phase fixed (the gauge).
    """
    modulus = np.abs(np.asarray(base_value(v)))
    k = np.argmax(modulus, axis=-2)[..., None, :]
    return np.arange(modulus.shape[-2])[:, None] == k


def _eig_jvp(t, ans, a):
    w, v = ans[..., 0, :], ans[..., 1:, :]
    p = np.matmul(np.matmul(_eigenvector_inverse(v), t), v)
    _refuse_if_moves(p, _tied(w), t, **_EIG_WORDS)
    dv = np.matmul(v, _inverse_gaps(w) * p)
    if is_complex(ans):
        # dv_j += c_j v_j with c_j fixing the gauge: Re(v_j^H dv_j) = 0 keeps |v_j| = 1
        # and Im(dv_kj / v_kj) = 0 keeps the phase of the largest entry k.
        largest = _largest_entries(v)
        v_k = np.sum(np.where(largest, v, 0.0), axis=-2, keepdims=True)
        dv_k = np.sum(np.where(largest, dv, 0.0), axis=-2, keepdims=True)
        c = -np.real(np.sum(np.conj(v) * dv, axis=-2, keepdims=True)) \
            - 1j * np.imag(dv_k / v_k)
        dv = dv + v * c
    else:
        # LAPACK normalizes each eigenvector to unit length: keep d|v_j| = 0.
        dv = dv - v * np.sum(v * dv, axis=-2, keepdims=True)
    return np.concatenate([np.expand_dims(_diag(p), -2), dv], axis=-2)


def _eig_vjp(ans, a):
    w, v = ans[..., 0, :], ans[..., 1:, :]
    f, tied = _inverse_gaps(w), _tied(w)
    v_inv = _eigenvector_inverse(v)
    complex_spectrum = is_complex(ans)
    if complex_spectrum:
        largest = _largest_entries(v)
        v_k = np.sum(np.where(largest, v, 0.0), axis=-2, keepdims=True)

    def vjp(g):
        gv = g[..., 1:, :]
        if complex_spectrum:
            # The transpose of the gauge term of _eig_jvp (pairing Re(sum(g * dv))).
            s = np.sum(gv * v, axis=-2, keepdims=True)
            gv = gv - np.conj(v) * np.real(s) + np.where(largest, -1j * np.imag(s) / v_k, 0.0)
            normalized = np.matmul(mT(v), gv)
        else:
            b = np.matmul(mT(v), gv)
            normalized = b - np.matmul(mT(v), v) * np.expand_dims(_diag(b), -2)
        _refuse_if_moves(normalized, tied, g, **_EIG_WORDS)
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

