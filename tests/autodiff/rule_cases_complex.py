"""Rule cases on complex inputs (collected by ``test_rules.py``): the complex-only
primitives and every rule family whose formula changes, or could go wrong, when
values are complex.  Checked with ``check_grads``, which perturbs complex inputs
along both real directions and pairs cotangents as ``Re sum(ct * v)``."""

from __future__ import annotations

import numpy as np

import autodiff.numpy as anp

_rng = np.random.default_rng(20261203)


def normal(*shape):
    return _rng.standard_normal(shape)


def cnormal(*shape):
    return _rng.standard_normal(shape) + 1j * _rng.standard_normal(shape)


def eig_phaseless(a):
    """Phase-invariant summary of eig: w, |v|^2 and the projectors v_j conj(v_j)^T."""
    w, v = np.linalg.eig(a)
    projectors = v[..., :, None, :] * np.conj(v)[..., None, :, :]
    return np.concatenate([np.ravel(w), np.ravel(np.abs(v) ** 2), np.ravel(projectors)])


def well_conditioned(n):
    return 3.0 * np.eye(n) + 0.4 * cnormal(n, n)


CASES = {
    # --- the complex-only primitives ---------------------------------------------------
    "real": (np.real, (cnormal(3, 2),)),
    "real[attribute]": (lambda z: z.real * z, (cnormal(4),)),
    "imag": (np.imag, (cnormal(3, 2),)),
    "imag[attribute]": (lambda z: z.imag ** 2, (cnormal(4),)),
    "conj": (np.conj, (cnormal(3, 2),)),
    "conj[method]": (lambda z: z.conj() * z, (cnormal(4),)),
    "conj[conjugate]": (np.conjugate, (cnormal(4),)),
    "conj[vdot]": (np.vdot, (cnormal(2, 3), cnormal(2, 3))),
    "angle": (np.angle, (cnormal(5),)),
    "angle[deg]": (lambda z: np.angle(z, deg=True), (cnormal(3),)),
    "absolute[complex]": (np.abs, (cnormal(3, 4),)),
    "absolute[complex squared]": (lambda z: abs(z) ** 2, (cnormal(4),)),
    # --- holomorphic elementwise rules ------------------------------------------------
    "exp[complex]": (np.exp, (cnormal(3, 2),)),
    "log[complex]": (np.log, (cnormal(4),)),
    "sqrt[complex]": (np.sqrt, (cnormal(4) + 2.0,)),
    "sin[complex]": (np.sin, (cnormal(4),)),
    "cos[complex]": (np.cos, (cnormal(4),)),
    "tan[complex]": (np.tan, (0.5 * cnormal(4),)),
    "tanh[complex]": (np.tanh, (0.5 * cnormal(4),)),
    "sinh[complex]": (np.sinh, (cnormal(4),)),
    "arctan[complex]": (np.arctan, (0.5 * cnormal(4),)),
    "arcsin[complex]": (np.arcsin, (0.5 * cnormal(4),)),
    "square[complex]": (np.square, (cnormal(4),)),
    "reciprocal[complex]": (np.reciprocal, (cnormal(4) + 2.0,)),
    "log1p[complex]": (np.log1p, (0.5 * cnormal(4),)),
    "expm1[complex]": (np.expm1, (cnormal(4),)),
    "negative[complex]": (lambda z: -z, (cnormal(3),)),
    # --- binary, with broadcasting and real/complex mixtures ----------------------------
    "multiply[complex]": (lambda z, w: z * w, (cnormal(3, 1), cnormal(4))),
    "multiply[real times complex]": (lambda x, z: x * z, (normal(3, 1), cnormal(4))),
    "multiply[x + 1j y]": (lambda x, y: np.exp(x + 1j * y), (normal(3), normal(3))),
    "add[real plus complex]": (lambda x, z: x + z, (normal(4), cnormal(2, 4))),
    "subtract[complex]": (lambda z, w: z - w, (cnormal(3, 1), cnormal(4))),
    "divide[complex]": (lambda z, w: z / w, (cnormal(3, 1), cnormal(4) + 3.0)),
    "divide[complex by real]": (lambda z, x: z / x, (cnormal(3), normal(3) + 3.0)),
    "power[complex]": (lambda z: z ** 3, (cnormal(4),)),
    "power[complex exponent]": (lambda z, w: z ** w, (cnormal(3) + 2.0, 0.5 * cnormal(3))),
    "power[real base, complex exponent]": (lambda x, w: x ** w,
                                           (np.array([0.5, 1.5, 2.0]), 0.5 * cnormal(3))),
    "where[complex]": (lambda x, z: np.where(np.array([True, False, True]), x, z),
                       (normal(3), cnormal(3))),
    # --- reductions ---------------------------------------------------------------------
    "sum[complex]": (lambda z: np.sum(z, axis=0), (cnormal(3, 4),)),
    "sum[mean complex]": (np.mean, (cnormal(3, 4),)),
    "sum[var complex]": (lambda z: np.var(z, axis=1), (cnormal(3, 4),)),
    "sum[std complex]": (np.std, (cnormal(5),)),
    "prod[complex]": (lambda z: np.prod(z, axis=1), (cnormal(3, 4),)),
    "cumsum[complex]": (lambda z: np.cumsum(z, axis=1), (cnormal(3, 4),)),
    "norm[complex]": (np.linalg.norm, (cnormal(5),)),
    "norm[complex fro, axis]": (lambda z: np.linalg.norm(z, axis=(0, 1)), (cnormal(3, 4, 2),)),
    "absolute[complex norm 1]": (lambda z: np.linalg.norm(z, ord=1), (cnormal(4),)),
    "logsumexp[complex-valued input to exp]": (lambda z: anp.logsumexp(np.real(z * z)),
                                               (cnormal(4),)),
    # --- products and linear algebra --------------------------------------------------
    "matmul[complex]": (lambda a, b: a @ b, (cnormal(3, 4), cnormal(4, 2))),
    "matmul[real matrix, complex vector]": (lambda a, z: a @ z, (normal(3, 4), cnormal(4))),
    "einsum[complex]": (lambda a, b: np.einsum("ij,jk->ik", a, b), (cnormal(2, 3), cnormal(3, 2))),
    "linalg.solve[complex]": (np.linalg.solve, (well_conditioned(3), cnormal(3))),
    "linalg.inv[complex]": (np.linalg.inv, (well_conditioned(3),)),
    "linalg.det[complex]": (np.linalg.det, (well_conditioned(3),)),
    "linalg.slogdet[complex]": (lambda a: np.linalg.slogdet(a)[1], (well_conditioned(3),)),
    "linalg.det[slogdet sign, complex]": (lambda a: np.linalg.slogdet(a)[0],
                                          (well_conditioned(3),)),
    "linalg.eig[complex input]": (eig_phaseless, (well_conditioned(3),)),
    "linalg.eig[complex input, eigvals, stacked]": (
        np.linalg.eigvals, (np.stack([well_conditioned(3), well_conditioned(3)]),)),
    "linalg.eig[complex input, real losses]": (
        lambda a: np.stack([np.sum(np.abs(np.linalg.eigvals(a)) ** 2),
                            np.imag(np.linalg.eigvals(a)).max()]), (well_conditioned(4),)),
    # --- shape and indexing ------------------------------------------------------------
    "getitem[complex]": (lambda z: z[np.array([0, 2, 0]), 1:], (cnormal(3, 4),)),
    "reshape[complex]": (lambda z: z.reshape(4, 3), (cnormal(3, 4),)),
    "transpose[complex]": (lambda z: z.T, (cnormal(3, 4),)),
    "concatenate[real and complex]": (lambda x, z: np.concatenate([x, z]), (normal(3), cnormal(2))),
    "pad[complex]": (lambda z: np.pad(z, 1), (cnormal(2, 3),)),
    "roll[complex]": (lambda z: np.roll(z, 2), (cnormal(5),)),
    "astype[real to complex]": (lambda x: x.astype(np.complex128) * (1 + 2j), (normal(4),)),
}
CASES["divide[sign complex]"] = (np.sign, (cnormal(4),))
