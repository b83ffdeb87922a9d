"""The public entry points get their derivatives from AD: nothing written by hand."""

import numpy as np
import pytest
import scipy.optimize
from scipy.optimize import rosen

from autodiff.optimize import METHODS, least_squares, minimize


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def logistic_problem(m=120, n=4, seed=2):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n))
    y = np.sign(X @ rng.standard_normal(n) + 0.3 * rng.standard_normal(m))

    def loss(w, X, y):
        return np.mean(np.logaddexp(0.0, -y * (X @ w))) + 5e-3 * np.sum(w * w)

    return loss, (X, y)


@pytest.mark.parametrize("method", ["lbfgs", "newton-cg"])
def test_rosenbrock_with_ad_derivatives(method):
    x0 = np.tile([-1.2, 1.0], 5)
    res = minimize(rosenbrock, x0, method, options={"gtol": 1e-9, "ftol": 0})
    assert res.success
    np.testing.assert_allclose(res.x, np.ones(10), atol=1e-6)
    assert rosenbrock(x0) == rosen(x0)  # the function is plain NumPy
    if method == "newton-cg":
        assert res.nhev > 0


@pytest.mark.parametrize("method", sorted(METHODS))
def test_logistic_with_args_matches_scipy(method):
    loss, args = logistic_problem()
    ref = scipy.optimize.minimize(loss, np.zeros(4), args=args, method="L-BFGS-B",
                                  options={"gtol": 1e-12, "ftol": 0})
    options = {"gtol": 1e-8, "ftol": 0}
    if method == "adam":
        options = {"learning_rate": lambda k: 0.05 / (1 + k / 200)}
    res = minimize(loss, np.zeros(4), method, args=args, options=options, maxiter=4000)
    tol = 1e-3 if method == "adam" else 1e-5
    np.testing.assert_allclose(res.x, ref.x, atol=tol)


def test_pytree_parameters_with_ad():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.7

    def loss(p):
        return np.mean((X @ p["w"] + p["b"] - y) ** 2)

    res = minimize(loss, {"w": np.zeros(3), "b": np.zeros(1)}, "lbfgs",
                   options={"gtol": 1e-10})
    np.testing.assert_allclose(res.x["w"], [1.0, -2.0, 0.5], atol=1e-6)
    np.testing.assert_allclose(res.x["b"], [0.7], atol=1e-6)
    assert res.jac["w"].shape == (3,)


def test_float32_with_ad():
    res = minimize(lambda x: np.sum((x - 1.5) ** 2), np.zeros((2, 3), dtype=np.float32),
                   "lbfgs", options={"gtol": 1e-4})
    assert res.x.dtype == np.float32 and res.x.shape == (2, 3)
    np.testing.assert_allclose(res.x, 1.5, atol=1e-4)


@pytest.mark.parametrize("method", ["L-BFGS-B", "trust-ncg", "trust-exact", "Newton-CG",
                                    "dogleg"])
def test_scipy_methods_with_ad(method):
    x0 = np.array([-1.2, 1.0, -1.2, 1.0])
    fun = rosenbrock
    if method == "dogleg":  # dogleg needs a positive definite Hessian everywhere
        fun = lambda x: np.sum((x - 1.0) ** 2 + 0.1 * (x - 1.0) ** 4 + np.exp(x - 1.0))
        x0 = np.zeros(4)
    res = minimize(fun, x0, method, tol=1e-10)
    assert res.success, res.message
    expected = np.ones(4)
    if method == "dogleg":  # stationary point: 2u + 0.4u^3 + e^u = 0 with u = x - 1
        u = scipy.optimize.brentq(lambda u: 2 * u + 0.4 * u ** 3 + np.exp(u), -1.0, 0.0)
        expected = np.full(4, 1.0 + u)
    np.testing.assert_allclose(res.x, expected, atol=1e-4)


@pytest.mark.parametrize("jac_mode", ["auto", "fwd", "rev", "matrix-free"])
@pytest.mark.parametrize("method", ["lm", "gauss-newton"])
def test_least_squares_jacobian_modes(method, jac_mode):
    t = np.linspace(0.0, 2.0, 40)
    y = 1.5 * np.exp(-0.8 * t) + 0.2

    def residuals(p):
        return p[0] * np.exp(-p[1] * t) + p[2] - y

    res = least_squares(residuals, np.array([1.0, 0.5, 0.0]), method, jac_mode=jac_mode)
    assert res.success, res.message
    np.testing.assert_allclose(res.x, [1.5, 0.8, 0.2], atol=1e-6)
    if jac_mode != "matrix-free":
        assert res.jac.shape == (40, 3)


def test_least_squares_wide_uses_reverse_and_scipy_trf():
    # 2 residuals, 5 parameters: reverse mode is chosen
    def residuals(x):
        return np.stack([np.sum(x ** 2) - 1.0, np.sum(x) - 1.0])

    res = least_squares(residuals, np.full(5, 0.3), "lm")
    assert res.success and res.cost < 1e-16
    res = least_squares(residuals, np.full(5, 0.3), "trf")
    assert res.success and res.cost < 1e-14


def test_matrix_free_chosen_above_size_threshold():
    from scipy.sparse.linalg import LinearOperator

    t = np.linspace(0.0, 2.0, 40)
    y = 1.5 * np.exp(-0.8 * t) + 0.2

    def residuals(p):
        return p[0] * np.exp(-p[1] * t) + p[2] - y

    res = least_squares(residuals, np.array([1.0, 0.5, 0.0]), "lm", max_jacobian_size=100)
    assert isinstance(res.jac, LinearOperator) and res.success
    np.testing.assert_allclose(res.x, [1.5, 0.8, 0.2], atol=1e-6)


def test_scipy_bridge_one_sweep_per_point():
    calls = []

    def fun(x):
        calls.append(1)
        return rosenbrock(x)

    res = minimize(fun, np.array([-1.2, 1.0, 0.5]), "L-BFGS-B")
    assert res.success
    # SciPy asks for fun and jac separately; each distinct point costs one AD sweep
    assert len(calls) == res.nfev == res.njev


def test_nan_region_is_avoided_by_line_search():
    def fun(x):
        with np.errstate(invalid="ignore"):
            return np.sum(x - np.log(x))  # NaN for x < 0; minimum at x = 1

    res = minimize(fun, np.full(3, 5.0), "lbfgs", options={"gtol": 1e-9})
    assert res.success
    np.testing.assert_allclose(res.x, 1.0, atol=1e-8)


def test_least_squares_pytree_and_float32():
    t = np.linspace(0.0, 1.0, 30, dtype=np.float32)
    y = (2.0 * t + 0.5).astype(np.float32)

    def residuals(p):
        return p["slope"] * t + p["offset"] - y

    x0 = {"slope": np.float32(0.0), "offset": np.zeros(1, dtype=np.float32)}
    res = least_squares(residuals, x0, "gauss-newton", gtol=1e-5)
    assert res.success, res.message
    assert res.x["offset"].dtype == np.float32 and res.x["offset"].shape == (1,)
    np.testing.assert_allclose(float(res.x["slope"]), 2.0, atol=1e-4)
    np.testing.assert_allclose(res.x["offset"], [0.5], atol=1e-4)
