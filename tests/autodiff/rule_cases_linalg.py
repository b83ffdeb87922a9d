"""Rule-table cases for numpy.linalg and scipy.linalg (collected by test_rules.py).

Stacked inputs ``(..., n, n)`` and broadcasting between operands are covered for
every primitive that takes them.  Decompositions are checked through quantities
that do not depend on LAPACK's sign choices (squared entries, ``u_i v_i^T``
products, projectors), since finite differences see whichever signs LAPACK picks.
"""

from __future__ import annotations

import numpy as np

import autodiff.scipy.linalg as asl

_rng = np.random.default_rng(20251202)


def normal(*shape):
    return _rng.standard_normal(shape)


def well_conditioned(*shape):
    """Nonsymmetric matrices (a stack when ``shape`` has more than 2 axes) near 3 I."""
    n = shape[-1]
    return 3.0 * np.eye(n) + 0.3 * normal(*shape)


def spd(*shape):
    """Symmetric positive-definite matrices with well-separated eigenvalues."""
    n = shape[-1]
    x = normal(*shape)
    return np.swapaxes(x, -1, -2) @ x + np.diag(np.arange(1.0, n + 1.0))


def real_spectrum(n):
    """A nonsymmetric matrix with distinct real eigenvalues 1, 2, ..., n."""
    q = well_conditioned(n, n)
    return q @ np.diag(np.arange(1.0, n + 1.0)) @ np.linalg.inv(q)


def complex_spectrum(n):
    """A real nonsymmetric matrix with distinct complex eigenvalues (conjugate pairs
    1 +- 2i, 3 +- 0.5i, ... and a real 2.5 when ``n`` is odd)."""
    blocks = np.zeros((n, n))
    for i, (re, im) in zip(range(0, n - 1, 2), [(1.0, 2.0), (3.0, 0.5), (-1.0, 1.0)]):
        blocks[i:i + 2, i:i + 2] = [[re, im], [-im, re]]
    if n % 2:
        blocks[-1, -1] = 2.5
    q = well_conditioned(n, n)
    return q @ blocks @ np.linalg.inv(q)


def eig_phaseless(a):
    """Phase-invariant summary of eig: w, |v|^2 and the projectors v_j conj(v_j)^T."""
    w, v = np.linalg.eig(a)
    projectors = v[..., :, None, :] * np.conj(v)[..., None, :, :]  # (..., i, k, j)
    return np.concatenate([np.ravel(w), np.ravel(np.abs(v) ** 2), np.ravel(projectors)])


def svd_signless(a, full_matrices=False):
    """Sign-invariant summary of an SVD: s, u_i v_i^T and squared entries."""
    u, s, vt = np.linalg.svd(a, full_matrices=full_matrices)
    k = s.shape[-1]
    return np.concatenate([
        np.ravel(s), np.ravel(u[..., :, :k] @ vt[..., :k, :]), np.ravel(u ** 2),
        np.ravel(vt ** 2)])


def eigh_signless(a, UPLO="L"):
    w, v = np.linalg.eigh(a, UPLO=UPLO)
    return np.concatenate([np.ravel(w), np.ravel(v ** 2), np.ravel(v[..., :, :1] * v)])


def qr_signless(a, mode="reduced"):
    q, r = np.linalg.qr(a, mode=mode)
    return np.concatenate([np.ravel(q * r[..., :1, :1]), np.ravel(r * r[..., :1, :1])])


def complement_projector(u):
    """``U_perp U_perp^T`` from the trailing columns of a square ``u``."""
    k = u.shape[-1] - 1
    return u[..., :, k:] @ np.swapaxes(u[..., :, k:], -1, -2)


UPPER = np.triu(normal(4, 4)) + 3.0 * np.eye(4)
LOWER = np.tril(normal(4, 4)) + 3.0 * np.eye(4)

CASES = {
    # --- numpy.linalg: stacked inputs and broadcasting ------------------------------------
    "linalg.solve[stacked a, vector b]": (np.linalg.solve, (well_conditioned(2, 3, 3),
                                                            normal(3))),
    "linalg.solve[stacked a and b]": (np.linalg.solve, (well_conditioned(2, 3, 3),
                                                        normal(2, 3, 2))),
    "linalg.solve[b broadcast over a stack]": (np.linalg.solve, (well_conditioned(3, 3),
                                                                 normal(2, 3, 3))),
    "linalg.solve[a broadcast (1, 3, 3) vs (2, 3, 1)]": (
        np.linalg.solve, (well_conditioned(1, 3, 3), normal(2, 3, 1))),
    "linalg.inv[stacked]": (np.linalg.inv, (well_conditioned(2, 2, 3, 3),)),
    "linalg.det[stacked]": (np.linalg.det, (well_conditioned(3, 3, 3),)),
    "linalg.slogdet[stacked]": (lambda a: np.linalg.slogdet(a)[1],
                                (well_conditioned(2, 3, 3) * np.array([1.0, -1.0, 1.0]),)),
    "linalg.cholesky[stacked]": (np.linalg.cholesky, (spd(2, 3, 3),)),
    "linalg.cholesky[reads the lower triangle]": (np.linalg.cholesky,
                                                  (spd(3, 3) + np.triu(normal(3, 3), 1),)),
    "linalg.cholesky[upper]": (lambda a: np.linalg.cholesky(a, upper=True), (spd(3, 3),)),
    "linalg.pinv": (np.linalg.pinv, (normal(4, 3),)),
    "linalg.pinv[wide]": (np.linalg.pinv, (normal(2, 4),)),
    "linalg.pinv[stacked]": (np.linalg.pinv, (normal(2, 3, 2),)),
    "linalg.pinv[rank deficient, fixed rank]": (
        lambda x: np.linalg.pinv(x @ np.array([[1.0, 0.5, -1.0], [0.2, 1.0, 0.3]])),
        (normal(4, 2),)),
    # --- decompositions ---------------------------------------------------------------------
    "linalg.svd": (svd_signless, (normal(4, 3),)),
    "linalg.svd[wide]": (svd_signless, (normal(2, 4),)),
    "linalg.svd[square]": (svd_signless, (normal(3, 3),)),
    "linalg.svd[stacked]": (svd_signless, (normal(2, 3, 2),)),
    "linalg.svd[full_matrices square]": (lambda a: svd_signless(a, True), (normal(3, 3),)),
    "linalg.svdvals": (lambda a: np.linalg.svd(a, compute_uv=False), (normal(4, 3),)),
    "linalg.svdvals[stacked]": (lambda a: np.linalg.svd(a, compute_uv=False),
                                (normal(2, 2, 3),)),
    "linalg.svdvals[norm 2]": (lambda a: np.linalg.norm(a, 2), (normal(3, 4),)),
    "linalg.svdvals[norm -2]": (lambda a: np.linalg.norm(a, -2), (normal(3, 4),)),
    "linalg.svdvals[norm nuc, axis]": (
        lambda a: np.linalg.norm(a, "nuc", axis=(2, 0), keepdims=True), (normal(3, 2, 4),)),
    "linalg.complement[svd, full U]": (
        lambda a: complement_projector(np.linalg.svd(a)[0]), (normal(4, 3),)),
    "linalg.complement[svd, full V]": (
        lambda a: complement_projector(np.swapaxes(np.linalg.svd(a)[2], -1, -2)),
        (normal(2, 2, 3),)),
    "linalg.complement[qr complete]": (
        lambda a: complement_projector(np.linalg.qr(a, mode="complete")[0]),
        (normal(4, 3),)),
    "linalg.eigh": (eigh_signless, (spd(3, 3),)),
    "linalg.eigh[UPLO=U, stacked]": (lambda a: eigh_signless(a, "U"), (spd(2, 3, 3),)),
    "linalg.eigh[reads the lower triangle]": (eigh_signless,
                                              (spd(3, 3) + np.triu(normal(3, 3), 1),)),
    "linalg.eigvalsh": (np.linalg.eigvalsh, (spd(4, 4),)),
    "linalg.eigvalsh[UPLO=U, stacked]": (lambda a: np.linalg.eigvalsh(a, UPLO="U"),
                                         (spd(2, 3, 3) + np.tril(normal(3, 3), -1),)),
    "linalg.eig": (lambda a: np.concatenate([np.linalg.eig(a)[0],
                                             np.ravel(np.linalg.eig(a)[1] ** 2)]),
                   (real_spectrum(3),)),
    "linalg.eig[eigvals]": (np.linalg.eigvals, (real_spectrum(4),)),
    "linalg.eig[stacked]": (lambda a: np.linalg.eig(a)[1] ** 2,
                            (np.stack([real_spectrum(3), real_spectrum(3)]),)),
    "linalg.eig[complex spectrum]": (eig_phaseless, (complex_spectrum(4),)),
    "linalg.eig[complex spectrum, odd size, stacked]": (
        eig_phaseless, (np.stack([complex_spectrum(3), complex_spectrum(3)]),)),
    "linalg.eig[complex spectrum, eigvals]": (np.linalg.eigvals, (complex_spectrum(4),)),
    "linalg.eig[complex spectrum, real losses]": (
        lambda a: np.stack([np.sum(np.abs(np.linalg.eigvals(a)) ** 2),
                            np.real(np.linalg.eigvals(a)).sum(),
                            np.imag(np.linalg.eigvals(a)).max()]), (complex_spectrum(5),)),
    "linalg.qr": (qr_signless, (normal(4, 3),)),
    "linalg.qr[square, stacked]": (qr_signless, (normal(2, 3, 3),)),
    "linalg.qr[wide]": (qr_signless, (normal(2, 4),)),
    "linalg.qr[mode r]": (lambda a: np.linalg.qr(a, mode="r") ** 2, (normal(4, 2),)),
    # --- scipy.linalg -------------------------------------------------------------------
    "scipy.linalg.solve_triangular": (asl.solve_triangular, (UPPER, normal(4))),
    "scipy.linalg.solve_triangular[lower, matrix rhs]": (
        lambda a, b: asl.solve_triangular(a, b, lower=True), (LOWER, normal(4, 2))),
    "scipy.linalg.solve_triangular[trans, unit diagonal]": (
        lambda a, b: asl.solve_triangular(a, b, trans="T", unit_diagonal=True),
        (UPPER + normal(4, 4), normal(4, 3))),
    "scipy.linalg.solve_triangular[cho_solve]": (
        lambda a, b: asl.cho_solve(asl.cho_factor(a), b), (spd(3, 3), normal(3))),
    "scipy.linalg.lu_factor": (lambda a: asl.lu_factor(a)[0], (normal(4, 4),)),
    "scipy.linalg.lu_factor[lu_solve]": (lambda a, b: asl.lu_solve(asl.lu_factor(a), b),
                                         (normal(3, 3), normal(3, 2))),
    "scipy.linalg.lu_factor[lu_solve trans]": (
        lambda a, b: asl.lu_solve(asl.lu_factor(a), b, trans=1), (normal(3, 3), normal(3))),
    "scipy.linalg.expm": (asl.expm, (0.5 * normal(3, 3),)),
    "scipy.linalg.expm[stacked]": (asl.expm, (0.5 * normal(2, 2, 2),)),
    "scipy.linalg.sqrtm": (asl.sqrtm, (spd(3, 3),)),
    "scipy.linalg.sqrtm[nonsymmetric]": (asl.sqrtm, (well_conditioned(3, 3),)),
    "scipy.linalg.solve_sylvester": (asl.solve_sylvester,
                                     (spd(3, 3), well_conditioned(3, 3), normal(3, 3))),
}

