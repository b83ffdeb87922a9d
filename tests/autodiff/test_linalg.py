"""numpy.linalg and scipy.linalg: values, composed functions, conventions at
degenerate points, and linear algebra "as people write it" (a Gaussian-process
marginal likelihood, a Kalman filter, a PCA reconstruction loss).

The derivative rules themselves are checked by the rule table
(``rule_cases_linalg.py``); this module checks what the rule table cannot: values
of every option against NumPy/SciPy, the batched-tangent trap, conventions where
derivatives do not exist, and whole programs against finite differences.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import scipy.stats

import autodiff as ad
import autodiff.numpy as anp
import autodiff.scipy.linalg as asl

rng = np.random.default_rng(7)


def normal(*shape):
    return rng.standard_normal(shape)


def spd(n):
    x = normal(n, n)
    return x.T @ x + np.diag(np.arange(1.0, n + 1.0))


def traced_value(f, *args):
    """``f(*args)`` evaluated on traced inputs (reverse mode)."""
    out, _ = ad.vjp(f, *args)
    return out


def assert_tree_allclose(a, b, **kw):
    if isinstance(a, tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_tree_allclose(x, y, **kw)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, **kw)


A43, A24, SQ, S3 = normal(4, 3), normal(2, 4), normal(3, 3), spd(3)
STACK = normal(2, 3, 3) + 3 * np.eye(3)
VALUES = {
    "svd full tall": (np.linalg.svd, A43),
    "svd full wide": (np.linalg.svd, A24),
    "svd reduced": (lambda a: np.linalg.svd(a, full_matrices=False), A43),
    "svd values": (lambda a: np.linalg.svd(a, compute_uv=False), A24),
    "svd stacked": (np.linalg.svd, STACK),
    "qr": (np.linalg.qr, A43),
    "qr complete": (lambda a: np.linalg.qr(a, mode="complete"), A43),
    "qr wide": (np.linalg.qr, A24),
    "qr r": (lambda a: np.linalg.qr(a, mode="r"), A43),
    "eigh": (np.linalg.eigh, S3),
    "eigh U": (lambda a: np.linalg.eigh(a, UPLO="U"), S3 + np.tril(SQ, -1)),
    "eigvalsh": (np.linalg.eigvalsh, S3),
    "eig": (lambda a: np.linalg.eig(a), S3 + 0.1 * np.triu(SQ)),
    "eigvals": (np.linalg.eigvals, S3 + 0.1 * np.triu(SQ)),
    "cholesky upper": (lambda a: np.linalg.cholesky(a, upper=True), S3),
    "pinv": (np.linalg.pinv, A43),
    "pinv rcond": (lambda a: np.linalg.pinv(a, rcond=0.5), A43),
    "lstsq": (lambda a: np.linalg.lstsq(a, A43[:, 0] + 1.0), A43),
    "lstsq matrix rhs": (lambda a: np.linalg.lstsq(a, np.ones((4, 2))), A43),
    "lstsq underdetermined": (lambda a: np.linalg.lstsq(a, np.ones(2)), A24),
    "matrix_power 0": (lambda a: np.linalg.matrix_power(a, 0), STACK),
    "matrix_power 5": (lambda a: np.linalg.matrix_power(a, 5), SQ),
    "matrix_power -2": (lambda a: np.linalg.matrix_power(a, -2), STACK),
    "multi_dot": (lambda a: np.linalg.multi_dot([A43[:, 0], A43, a, SQ[0]]), SQ),
    "slogdet stacked": (np.linalg.slogdet, STACK),
    "scipy det": (asl.det, STACK),
    "scipy inv": (asl.inv, SQ),
    "scipy solve transposed": (lambda a: asl.solve(a, np.ones(3), transposed=True), SQ),
    "scipy cholesky": (asl.cholesky, S3),
    "scipy lu_factor": (asl.lu_factor, SQ),
    "scipy block_diag": (lambda a: asl.block_diag(a, A24, A43[0], 2.0), SQ),
    "scipy solve_banded": (lambda ab: asl.solve_banded((1, 2), ab, np.arange(5.0)),
                           normal(4, 5) + np.array([[0], [4.0], [0], [0]])),
}
SCIPY_REFERENCE = {
    "scipy det": lambda a: scipy.linalg.det(a),
    "scipy inv": scipy.linalg.inv,
    "scipy solve transposed": lambda a: scipy.linalg.solve(a, np.ones(3), transposed=True),
    "scipy cholesky": scipy.linalg.cholesky,
    "scipy lu_factor": scipy.linalg.lu_factor,
    "scipy block_diag": lambda a: scipy.linalg.block_diag(a, A24, A43[0], 2.0),
    "scipy solve_banded": lambda ab: scipy.linalg.solve_banded((1, 2), ab, np.arange(5.0)),
}


@pytest.mark.parametrize("key", sorted(VALUES))
def test_traced_values_equal_numpy_and_scipy(key):
    f, a = VALUES[key]
    expected = SCIPY_REFERENCE.get(key, f)(a)
    got = traced_value(f, a)
    assert_tree_allclose(tuple(got) if isinstance(got, tuple) else got,
                         tuple(expected) if isinstance(expected, tuple) else expected)


NORMS = [(ord, axis, keepdims) for ord in (None, 0, 1, -1, 2, -2, np.inf, -np.inf, 3, 0.5)
         for axis, keepdims in ((None, False), (1, True), (-1, False))] + \
        [(ord, axis, keepdims) for ord in (None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf)
         for axis, keepdims in (((0, 1), False), ((2, 0), True), ((-1, 1), False))]


@pytest.mark.parametrize("ord, axis, keepdims", NORMS)
def test_norm_every_order(ord, axis, keepdims):
    x = normal(3, 4) if axis is None or isinstance(axis, int) else normal(3, 4, 2)

    def f(x):
        return np.linalg.norm(x if axis is not None or ord is None else x[0], ord=ord,
                              axis=axis, keepdims=keepdims)

    np.testing.assert_allclose(traced_value(f, x), f(x), rtol=1e-12)
    if ord != 0:
        ad.check_grads(f, (x,), order=2 if ord not in (1, -1, np.inf, -np.inf) else 1)


def test_norm_matrix_default_and_errors():
    x = normal(3, 4)
    assert ad.grad(np.linalg.norm)(x) == pytest.approx(x / np.linalg.norm(x))
    with pytest.raises(ValueError, match="Invalid norm order"):
        ad.grad(lambda x: np.linalg.norm(x, "nuc", axis=0))(x)
    with pytest.raises(ValueError, match="Improper number of dimensions"):
        ad.grad(lambda x: np.linalg.norm(x, 2))(normal(2, 2, 2))


COMPOSED = {
    "lstsq x and residuals": (lambda a, b: np.concatenate([np.linalg.lstsq(a, b)[0],
                                                           np.linalg.lstsq(a, b)[1]]),
                              (normal(5, 3), normal(5))),
    "lstsq min-norm": (lambda a, b: np.linalg.lstsq(a, b)[0], (normal(2, 4), normal(2, 3))),
    "matrix_power": (lambda a: np.linalg.matrix_power(a, 3), (normal(2, 3, 3),)),
    "matrix_power negative": (lambda a: np.linalg.matrix_power(a, -2), (STACK,)),
    "multi_dot": (lambda a, b: np.linalg.multi_dot([a, b, b.T, a[0]]),
                  (normal(3, 4), normal(4, 2))),
    "cho_solve lower": (lambda a, b: asl.cho_solve(asl.cho_factor(a, lower=True), b),
                        (spd(3), normal(3, 2))),
    "solve_banded": (lambda ab, b: asl.solve_banded((1, 1), ab, b),
                     (normal(3, 4) + np.array([[0.0], [4.0], [0.0]]), normal(4, 2))),
    "block_diag": (lambda a, b: asl.block_diag(a, b, b[0]), (normal(2, 2), normal(3, 1))),
    "scipy solve/det/inv/cholesky": (
        lambda a: asl.solve(a, np.ones(3)) + asl.det(a) + asl.inv(a)[0]
        + asl.cholesky(a @ a.T)[0], (normal(3, 3) + 3 * np.eye(3),)),
}


@pytest.mark.parametrize("key", sorted(COMPOSED))
def test_composed_functions(key):
    f, args = COMPOSED[key]
    ad.check_grads(f, args, order=2)


V43, W43 = normal(4, 3), normal(4, 3)
ARRAY_API = {
    "svdvals": (np.linalg.svdvals, (STACK,)),
    "cond": (np.linalg.cond, (STACK,)),
    "cond -2": (lambda x: np.linalg.cond(x, -2), (STACK,)),
    "cond fro": (lambda x: np.linalg.cond(x, "fro"), (STACK,)),
    "cond 1": (lambda x: np.linalg.cond(x, 1), (STACK,)),
    "trace": (lambda x: np.linalg.trace(x, offset=1), (STACK,)),
    "diagonal": (np.linalg.diagonal, (STACK,)),
    "outer": (lambda a, b: np.linalg.outer(a[0], b[1]), (V43, W43)),
    "tensordot": (lambda a, b: np.linalg.tensordot(a, b, axes=([0], [0])), (V43, W43)),
    "matmul": (lambda a, b: np.linalg.matmul(a, b.T), (V43, W43)),
    "matrix_transpose": (np.linalg.matrix_transpose, (STACK,)),
    "vecdot": (np.linalg.vecdot, (V43, W43)),
    "cross": (np.linalg.cross, (V43, W43)),
    "cross axis 0": (lambda a, b: np.linalg.cross(a.T, b.T, axis=0), (V43, W43)),
    "vector_norm": (np.linalg.vector_norm, (STACK,)),
    "vector_norm axes": (lambda x: np.linalg.vector_norm(x, axis=(0, 2), keepdims=True, ord=3),
                         (STACK,)),
    "matrix_norm": (np.linalg.matrix_norm, (STACK,)),
    "matrix_norm nuc": (lambda x: np.linalg.matrix_norm(x, ord="nuc", keepdims=True),
                        (STACK,)),
    "matrix_rank is a constant": (lambda x: np.linalg.matrix_rank(x[0]) * x, (STACK,)),
}


@pytest.mark.parametrize("key", sorted(ARRAY_API))
def test_array_api_functions_of_numpy_linalg(key):
    f, args = ARRAY_API[key]
    np.testing.assert_allclose(traced_value(f, *args), f(*args), rtol=1e-12)
    ad.check_grads(f, args, order=2)


A44, B44 = normal(4, 4), normal(4, 4)
S44, T44 = A44 @ A44.T + np.eye(4), B44 @ B44.T + np.eye(4)
C4, R3 = normal(4), normal(3)
SCIPY_WRAPPERS = {  # name: (autodiff version, SciPy's, args); sign-free outputs
    "eigh": (lambda a: asl.eigh(a)[1] ** 2, lambda a: scipy.linalg.eigh(a)[1] ** 2, (S44,)),
    "eigh upper": (lambda a: asl.eigh(a, lower=False)[0],
                   lambda a: scipy.linalg.eigh(a, lower=False)[0], (S44 + np.tril(A44, -1),)),
    "eigh generalized": (lambda a, b: asl.eigh(a, b)[1] ** 2,
                         lambda a, b: scipy.linalg.eigh(a, b)[1] ** 2, (S44, T44)),
    "eigh generalized upper": (
        lambda a, b: asl.eigh(a, b, lower=False)[1] ** 2,
        lambda a, b: scipy.linalg.eigh(a, b, lower=False)[1] ** 2,
        (S44 + np.tril(A44, -1), T44 + np.tril(B44, -1))),
    "eigvalsh subset": (lambda a, b: asl.eigvalsh(a, b, subset_by_index=[1, 2]),
                        lambda a, b: scipy.linalg.eigvalsh(a, b, subset_by_index=[1, 2]),
                        (S44, T44)),
    "svd": (lambda a: asl.svd(a[:3])[1], lambda a: scipy.linalg.svd(a[:3])[1], (A44,)),
    "svdvals": (asl.svdvals, scipy.linalg.svdvals, (A44,)),
    "qr full": (lambda a: asl.qr(a[:, :3])[1] ** 2,
                lambda a: scipy.linalg.qr(a[:, :3])[1] ** 2, (A44,)),
    "qr economic": (lambda a: asl.qr(a[:, :3], mode="economic")[0] ** 2,
                    lambda a: scipy.linalg.qr(a[:, :3], mode="economic")[0] ** 2, (A44,)),
    "qr r": (lambda a: asl.qr(a[:, :3], mode="r")[0] ** 2,
             lambda a: scipy.linalg.qr(a[:, :3], mode="r")[0] ** 2, (A44,)),
    "lu": (lambda a: np.concatenate(asl.lu(a)),
           lambda a: np.concatenate(scipy.linalg.lu(a)), (A44,)),
    "lu permute_l": (lambda a: np.concatenate(asl.lu(a, permute_l=True)),
                     lambda a: np.concatenate(scipy.linalg.lu(a, permute_l=True)), (A44,)),
    "lu p_indices": (lambda a: asl.lu(a, p_indices=True)[1],
                     lambda a: scipy.linalg.lu(a, p_indices=True)[1], (A44,)),
    "pinv": (lambda a: asl.pinv(a[:3]), lambda a: scipy.linalg.pinv(a[:3]), (A44,)),
    "norm": (lambda a: asl.norm(a, 2), lambda a: scipy.linalg.norm(a, 2), (A44,)),
    "lstsq": (lambda a, b: asl.lstsq(a[:, :2], b)[0],
              lambda a, b: scipy.linalg.lstsq(a[:, :2], b)[0], (A44, C4)),
    "expm_frechet": (lambda a, e: np.concatenate(asl.expm_frechet(0.3 * a, e)),
                     lambda a, e: np.concatenate(scipy.linalg.expm_frechet(0.3 * a, e)),
                     (A44, B44)),
    "toeplitz": (asl.toeplitz, scipy.linalg.toeplitz, (C4, R3)),
    "toeplitz symmetric": (asl.toeplitz, scipy.linalg.toeplitz, (C4,)),
    "circulant": (asl.circulant, scipy.linalg.circulant, (C4,)),
    "hankel": (asl.hankel, scipy.linalg.hankel, (C4, R3)),
    "hankel zeros": (asl.hankel, scipy.linalg.hankel, (C4,)),
}


@pytest.mark.parametrize("key", sorted(SCIPY_WRAPPERS))
def test_scipy_linalg_wrappers(key):
    f, reference, args = SCIPY_WRAPPERS[key]
    np.testing.assert_allclose(traced_value(f, *args), reference(*args), rtol=1e-9,
                               atol=1e-12)
    ad.check_grads(f, args, order=2)


# --- batched tangents: k equal to a stack or matrix dimension -------------------------------
def _stack_of(x, n=3):
    """``n`` matrices ``(n, n, n)`` that depend on ``x`` (size n): jacfwd has k = n."""
    base = spd(n)
    return base + x[:, None, None] * normal(n, n, n) * 0.1


BATCH_TRAP = {
    "inv": lambda x: np.linalg.inv(_stack_of(x)),
    "solve, b has the stack": lambda x: np.linalg.solve(spd(3), x[:, None, None] * normal(3, 3, 2)),
    "det": lambda x: np.linalg.det(_stack_of(x)),
    "slogdet": lambda x: np.linalg.slogdet(_stack_of(x))[1],
    "cholesky": lambda x: np.linalg.cholesky(_stack_of(x) + np.swapaxes(_stack_of(x), 1, 2)),
    "eigh": lambda x: np.linalg.eigh(_stack_of(x))[0],
    "eigvalsh": lambda x: np.linalg.eigvalsh(_stack_of(x)),
    "svd": lambda x: np.linalg.svd(_stack_of(x))[1],
    "svd vectors": lambda x: np.linalg.svd(_stack_of(x))[0] ** 2,
    "qr": lambda x: np.linalg.qr(_stack_of(x))[1] ** 2,
    "pinv": lambda x: np.linalg.pinv(_stack_of(x)),
    "expm": lambda x: asl.expm(0.1 * _stack_of(x)),
    "norm nuc": lambda x: np.linalg.norm(_stack_of(x), "nuc", axis=(1, 2)),
}


@pytest.mark.parametrize("key", sorted(BATCH_TRAP))
def test_forward_batch_equals_reverse_when_k_is_a_dimension(key):
    x = normal(3)
    state = rng.bit_generator.state
    fwd = ad.jacfwd(BATCH_TRAP[key])(x)
    rng.bit_generator.state = state  # the same random matrices for both sweeps
    rev = ad.jacrev(BATCH_TRAP[key])(x)
    np.testing.assert_allclose(fwd, rev, rtol=1e-9, atol=1e-12)


# --- degenerate points ---------------------------------------------------------------------
def test_svd_at_repeated_singular_values():
    q = np.linalg.qr(normal(3, 3))[0]
    a = 2.0 * q  # every singular value is 2
    # Functions of the singular values alone: exact (nuclear norm: U V^T = q).
    np.testing.assert_allclose(ad.grad(lambda a: np.linalg.norm(a, "nuc"))(a), q, atol=1e-12)
    np.testing.assert_allclose(ad.grad(lambda a: np.sum(np.linalg.svd(a)[1]))(a), q,
                               atol=1e-12)
    np.testing.assert_allclose(ad.jacfwd(lambda a: np.sum(np.linalg.svdvals(a)))(a), q,
                               atol=1e-12)
    # Tangents that keep the values tied: the polar factor U V^T moves exactly.
    w = normal(3, 3)
    w = (w - w.T) @ q  # a rotation of a
    _, tangent = ad.jvp(lambda a: (lambda u, s, vt: u @ vt)(*np.linalg.svd(a)), (a,), (w,))
    np.testing.assert_allclose(tangent, w / 2.0, atol=1e-12)
    # Anything that needs the undefined rotation of the vectors: an error, both modes.
    with pytest.raises(np.linalg.LinAlgError, match="singular vectors are not differentiable"):
        ad.jacfwd(lambda a: np.linalg.svd(a)[0])(a)
    with pytest.raises(np.linalg.LinAlgError, match=r"svd\(a, compute_uv=False\)"):
        ad.grad(lambda a: np.sum(np.linalg.svd(a)[0][:, 0]))(a)
    with pytest.raises(np.linalg.LinAlgError, match="repeated singular values"):
        ad.hessian(lambda a: np.linalg.norm(a, "nuc"))(a)


def test_eigh_at_repeated_eigenvalues():
    v = np.linalg.qr(normal(3, 3))[0]
    a = v @ np.diag([1.0, 1.0, 3.0]) @ v.T
    # Symmetric functions of the tied eigenvalues: exact (on the lower triangle, which
    # is what eigvalsh reads); each tied eigenvalue gets v_i v_i^T (LAPACK's vectors).
    p = v[:, :2] @ v[:, :2].T
    expected = np.tril(p) + np.tril(p, -1)
    np.testing.assert_allclose(ad.grad(lambda a: np.sum(np.linalg.eigvalsh(a)[:2]))(a),
                               expected, atol=1e-12)
    np.testing.assert_allclose(ad.grad(lambda a: np.sum(np.linalg.eigh(a)[0][:2]))(a),
                               expected, atol=1e-12)
    jac = ad.jacfwd(np.linalg.eigvalsh)(a)
    _, vectors = np.linalg.eigh(a)
    for i in range(3):
        vv = np.outer(vectors[:, i], vectors[:, i])
        np.testing.assert_allclose(jac[i], np.tril(vv) + np.tril(vv, -1), atol=1e-12)
    # Eigenvectors (and the second derivative of the values) need the undefined
    # rotation within the eigenspace: an error instead of a wrong number.
    with pytest.raises(np.linalg.LinAlgError, match="eigenvectors are not differentiable"):
        ad.grad(lambda a: (np.linalg.eigh(a)[1][:, 0] @ np.array([1.0, 2.0, 3.0])) ** 2)(a)
    with pytest.raises(np.linalg.LinAlgError, match="eigvalsh"):
        ad.jacfwd(lambda a: np.linalg.eigh(a)[1])(a)
    with pytest.raises(np.linalg.LinAlgError, match="repeated eigenvalues"):
        ad.hessian(lambda a: np.sum(np.linalg.eigvalsh(a) ** 2))(a)
    # Away from the tie (a distinct eigenvalue's vector) the derivative exists.
    ad.check_grads(lambda a: np.linalg.eigh(a)[1][:, 2] ** 2, (a,), modes=("rev",), order=1)


def test_zero_matrix_and_zero_vector_give_subgradients_not_nan():
    z = np.zeros((3, 2))
    for ord in (None, "fro", "nuc", 2, -2, 1, np.inf):
        g = ad.grad(lambda a: np.linalg.norm(a, ord))(z)
        assert np.all(np.isfinite(g)), ord
    for ord in (None, 1, 2, 3, 1.5, np.inf):
        g = ad.grad(lambda x: np.linalg.norm(x, ord))(np.zeros(3))
        np.testing.assert_array_equal(g, 0.0)
    with pytest.raises(np.linalg.LinAlgError, match="not differentiable"):
        ad.jacfwd(lambda a: np.linalg.svd(a)[0])(z)
    with pytest.raises(ValueError, match="zero entry"):
        ad.grad(lambda x: np.linalg.norm(x, 0.5))(np.array([1.0, 0.0]))


def test_matrix_two_norm_tie_splits_the_adjoint():
    a = np.diag([2.0, 2.0, 1.0])
    np.testing.assert_allclose(ad.grad(lambda a: np.linalg.norm(a, 2))(a),
                               np.diag([0.5, 0.5, 0.0]), atol=1e-12)


def test_pinv_of_a_rank_deficient_matrix_follows_the_fixed_rank_derivative():
    u, v = normal(4, 2), normal(2, 3)
    du, dv = normal(4, 2), normal(2, 3)
    f = lambda t: np.linalg.pinv((u + t * du) @ (v + t * dv))  # noqa: E731
    _, tangent = ad.jvp(f, (0.0,), (1.0,))
    np.testing.assert_allclose(tangent, (f(1e-6) - f(-1e-6)) / 2e-6, atol=1e-6)


def test_eig_of_a_rotation_matches_the_closed_form():
    # eig([[p, q], [r, s]]) = (p + s +- sqrt((p - s)^2 + 4 q r)) / 2; at p = s = 0,
    # q = -1, r = 1: +-i, and d Im(w+) = (dr - dq) / 2, d Re(w) = (dp + ds) / 2.
    rotation = np.array([[0.0, -1.0], [1.0, 0.0]])
    assert np.iscomplexobj(anp.linalg.eigvals(rotation))  # untraced: NumPy's own result
    g = ad.grad(lambda a: np.imag(np.linalg.eigvals(a)).max())(rotation)
    np.testing.assert_allclose(g, [[0.0, -0.5], [0.5, 0.0]], atol=1e-14)
    g = ad.grad(lambda a: np.real(np.linalg.eigvals(a)).sum())(rotation)
    np.testing.assert_allclose(g, np.eye(2), atol=1e-14)
    _, tangent = ad.jvp(np.linalg.eigvals, (rotation,), (np.array([[0.0, 0.0], [1.0, 0.0]]),))
    np.testing.assert_allclose(np.imag(tangent), [0.5, -0.5], atol=1e-14)


def _complex_spectrum(complex_input):
    """A 4 x 4 matrix with complex eigenvalues: near-antisymmetric (real), or complex."""
    b = normal(4, 4)
    if complex_input:
        return b + 1j * normal(4, 4)
    return b - b.T + 0.3 * normal(4, 4)


@pytest.mark.parametrize("complex_input", [False, True])
def test_eig_with_complex_eigenvalues_against_finite_differences(complex_input):
    a = _complex_spectrum(complex_input)
    assert np.iscomplexobj(np.linalg.eigvals(a))
    for loss in (lambda a: np.sum(np.abs(np.linalg.eigvals(a)) ** 2),
                 lambda a: np.real(np.linalg.eigvals(a)).sum(),
                 lambda a: np.imag(np.linalg.eigvals(a)).max(),
                 lambda a: np.sum(np.abs(np.linalg.eig(a)[1]) ** 3),  # |v|: phase-free
                 lambda a: np.abs(np.linalg.eig(a)[1][:, 0] @ np.conj(np.linalg.eig(a)[1][:, 1]))):
        ad.check_grads(loss, (a,), order=2)
    # The eigenvalues are holomorphic in the entries: d w / d a_ij by complex steps.
    if complex_input:
        jac = ad.jacfwd(np.linalg.eigvals, holomorphic=True)(a)
        np.testing.assert_allclose(ad.jacrev(np.linalg.eigvals, holomorphic=True)(a), jac,
                                   atol=1e-12)
        h = 1e-6
        for i, j in ((0, 1), (2, 3), (3, 3)):
            step = np.zeros((4, 4))
            step[i, j] = h
            for direction in (1.0, 1j):
                fd = (np.linalg.eigvals(a + direction * step)
                      - np.linalg.eigvals(a - direction * step)) / (2 * h * direction)
                np.testing.assert_allclose(jac[:, i, j], fd, atol=1e-7)


@pytest.mark.parametrize("complex_input", [False, True])
def test_eig_vector_tangents_keep_the_documented_gauge(complex_input):
    # Unit 2-norm (Re v^H dv = 0) and the phase of the largest entry fixed (LAPACK
    # returns that entry real): Im(dv_kj / v_kj) = 0.
    a = _complex_spectrum(complex_input)
    w, v = np.linalg.eig(a)
    direction = normal(4, 4) + (1j * normal(4, 4) if complex_input else 0.0)
    _, dv = ad.jvp(lambda a: np.linalg.eig(a)[1], (a,), (direction,))
    assert np.iscomplexobj(v) and np.any(np.abs(np.imag(w)) > 1e-3)
    np.testing.assert_allclose(np.real(np.sum(np.conj(v) * dv, axis=0)), 0.0, atol=1e-12)
    k = np.argmax(np.abs(v), axis=0)
    columns = np.arange(4)
    np.testing.assert_array_equal(np.imag(v[k, columns]), 0.0)
    np.testing.assert_allclose(np.imag(dv[k, columns] / v[k, columns]), 0.0, atol=1e-12)
    # Reverse mode is the transpose of that same map (pairing Re sum(g * dv)), on the raw
    # gauge-dependent vectors too.
    g = normal(4, 4) + 1j * normal(4, 4)
    _, vjp_fn = ad.vjp(lambda a: np.linalg.eig(a)[1], a)
    (ga,) = vjp_fn(g)
    np.testing.assert_allclose(np.real(np.sum(g * dv)), np.real(np.sum(ga * direction)),
                               rtol=1e-10)


def test_eig_at_repeated_complex_eigenvalues_is_an_error_or_a_value_never_nan():
    a = np.diag([1.0 + 1.0j, 1.0 + 1.0j, 2.0])
    g = ad.grad(lambda a: np.real(np.linalg.eigvals(a)).sum())(a)
    np.testing.assert_allclose(g, np.eye(3), atol=1e-14)
    with pytest.raises(np.linalg.LinAlgError, match="repeated eigenvalues"):
        ad.jvp(lambda a: np.abs(np.linalg.eig(a)[1]), (a,), (normal(3, 3) + 0j,))
    with pytest.raises(np.linalg.LinAlgError, match="use eigvals"):
        ad.jacrev(lambda a: np.abs(np.linalg.eig(a)[1][:, 0] @ np.ones(3)))(a)


def test_eig_refuses_defective_matrices():
    with pytest.raises(np.linalg.LinAlgError, match="defective"):
        ad.grad(lambda a: np.sum(np.linalg.eig(a)[1]))(np.array([[1.0, 1.0], [0.0, 1.0]]))


def test_det_at_a_singular_stack_uses_the_cofactor():
    a = np.stack([np.diag([1.0, 2.0, 0.0]), np.eye(3)])
    g = ad.grad(lambda a: np.sum(np.linalg.det(a)))(a)
    np.testing.assert_allclose(g, np.stack([np.diag([0.0, 0.0, 2.0]), np.eye(3)]), atol=1e-12)


def test_scipy_functions_point_to_autodiff_scipy_linalg():
    for name, f in (("expm", scipy.linalg.expm),
                    ("solve_triangular", lambda a: scipy.linalg.solve_triangular(a, a[0])),
                    ("lu_factor", lambda a: scipy.linalg.lu_factor(a)[0]),
                    ("cho_factor", lambda a: scipy.linalg.cho_factor(a)[0])):
        with pytest.raises(TypeError, match=f"autodiff.scipy.linalg.{name}"):
            ad.grad(lambda a: np.sum(f(a)))(spd(3))


# --- code as people write it -------------------------------------------------------------
def check_program(f, x, atol=1e-6):
    """Value, gradient, a JVP and an HVP of ``f`` at ``x`` against finite differences."""
    h = 1e-6
    v = normal(*x.shape)
    value, grad = ad.value_and_grad(f)(x)
    assert value == pytest.approx(f(x), rel=1e-12)
    numeric_grad = ad.numerical.gradient(f, x)
    np.testing.assert_allclose(grad, numeric_grad, rtol=1e-5, atol=atol)
    _, directional = ad.jvp(f, (x,), (v,))
    assert directional == pytest.approx((f(x + h * v) - f(x - h * v)) / (2 * h), rel=1e-5,
                                        abs=atol)
    g = ad.grad(f)
    np.testing.assert_allclose(ad.hvp(f)(x, v), (g(x + h * v) - g(x - h * v)) / (2 * h),
                               rtol=1e-4, atol=10 * atol)


def gp_negative_log_marginal_likelihood(log_params, inputs, targets):
    """Squared-exponential kernel GP, written with cholesky and solve_triangular."""
    lengthscale, variance, noise = np.exp(log_params)
    sq = np.sum((inputs[:, None, :] - inputs[None, :, :]) ** 2, axis=-1)
    k = variance * np.exp(-0.5 * sq / lengthscale ** 2) + noise * np.eye(len(targets))
    chol = np.linalg.cholesky(k)
    z = asl.solve_triangular(chol, targets, lower=True)
    alpha = asl.solve_triangular(chol, z, lower=True, trans="T")
    return (0.5 * targets @ alpha + np.sum(np.log(np.diag(chol)))
            + 0.5 * len(targets) * np.log(2 * np.pi))


def test_gaussian_process_marginal_likelihood():
    inputs = rng.uniform(-2, 2, (12, 2))
    targets = np.sin(inputs[:, 0]) + 0.1 * normal(12)
    f = lambda p: gp_negative_log_marginal_likelihood(p, inputs, targets)  # noqa: E731
    params = np.log(np.array([0.8, 1.3, 0.1]))
    k = 1.3 * np.exp(-0.5 * np.sum((inputs[:, None] - inputs[None]) ** 2, -1) / 0.64) \
        + 0.1 * np.eye(12)
    reference = -scipy.stats.multivariate_normal(np.zeros(12), k).logpdf(targets)
    assert f(params) == pytest.approx(reference, rel=1e-10)
    check_program(f, params)
    # The gradient in the inputs as well (a stacked-free but larger program).
    check_program(lambda x: gp_negative_log_marginal_likelihood(params, x, targets), inputs)


def kalman_negative_log_likelihood(params, observations):
    """Independent 2-D random-walk-with-velocity filters, one per series, run together
    with stacked (series, 2, 2) solves and slogdets."""
    log_q, log_r, damping = params
    series, steps, _ = observations.shape
    transition = np.array([[1.0, 1.0], [0.0, 1.0]]) * np.array([[1.0, 1.0], [1.0, 0.0]]) \
        + np.array([[0.0, 0.0], [0.0, 1.0]]) * damping
    process = np.exp(log_q) * np.eye(2)
    noise = np.exp(log_r) * np.eye(2)
    mean = np.zeros((series, 2))
    cov = np.broadcast_to(np.eye(2), (series, 2, 2))
    total = 0.0
    for t in range(steps):
        mean = mean @ transition.T
        cov = transition @ cov @ transition.T + process
        innovation = observations[:, t] - mean
        s = cov + noise
        weighted = np.linalg.solve(s, innovation[..., None])  # stacked (series, 2, 1)
        total = total + 0.5 * np.sum(innovation[..., None] * weighted)
        total = total + 0.5 * np.sum(np.linalg.slogdet(s)[1])
        gain = np.swapaxes(np.linalg.solve(s, cov), -1, -2)  # cov S^{-1} (both symmetric)
        mean = mean + np.squeeze(gain @ innovation[..., None], -1)
        cov = cov - gain @ cov
    return total


def test_kalman_filter_with_stacked_solves():
    observations = np.cumsum(normal(3, 6, 2), axis=1)
    params = np.array([-1.0, -0.5, 0.9])
    check_program(lambda p: kalman_negative_log_likelihood(p, observations), params)


def pca_reconstruction_loss(data, k=2):
    centered = data - np.mean(data, axis=0)
    _, _, vt = np.linalg.svd(centered)  # the default full_matrices=True, as people write it
    basis = vt[:k]
    reconstruction = centered @ basis.T @ basis
    return np.sum((centered - reconstruction) ** 2)


def test_pca_reconstruction_loss():
    data = normal(8, 4) * np.array([3.0, 2.0, 1.0, 0.5])
    assert pca_reconstruction_loss(data) == pytest.approx(
        np.sum(np.linalg.svd(data - data.mean(0), compute_uv=False)[2:] ** 2))
    check_program(pca_reconstruction_loss, data)
