"""Own solvers against SciPy on convex quadratics, Rosenbrock and a logistic loss.

The solver logic is tested here with hand-written gradients (``jac=``), so a failure points at
the solvers, not at AD; ``test_optimize_ad.py`` checks the AD wiring.
"""

import numpy as np
import pytest
import scipy.optimize
from scipy.optimize import rosen, rosen_der, rosen_hess_prod
from scipy.special import expit

from autodiff.optimize import METHODS, STATUS, Status, minimize

OWN = sorted(METHODS)


def quadratic(n=8, cond=30.0, seed=0):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    A = Q @ np.diag(np.geomspace(1.0, cond, n)) @ Q.T
    b = rng.standard_normal(n)

    def f(x):
        return 0.5 * x @ A @ x - b @ x

    return f, (lambda x: A @ x - b), (lambda x, v: A @ v), np.linalg.solve(A, b)


def logistic(m=200, n=5, lam=1e-2, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n))
    y = np.sign(X @ rng.standard_normal(n) + 0.5 * rng.standard_normal(m))

    def f(w):
        return np.mean(np.logaddexp(0.0, -y * (X @ w))) + 0.5 * lam * w @ w

    def g(w):
        return -X.T @ (y * expit(-y * (X @ w))) / m + lam * w

    def hvp(w, v):
        p = expit(X @ w)
        return X.T @ (p * (1 - p) * (X @ v)) / m + lam * v

    return f, g, hvp


# per-method settings that reach 1e-6 (first-order methods need more iterations)
SETTINGS = {
    "gd": dict(options={"gtol": 1e-9, "ftol": 0}, maxiter=20000),
    "nesterov": dict(options={"gtol": 1e-9}, maxiter=20000),
    "adam": dict(options={"gtol": 1e-9, "learning_rate": lambda k: 0.05 / (1 + k / 200)},
                 maxiter=4000),
    "lbfgs": dict(options={"gtol": 1e-9, "ftol": 0}),
    "newton-cg": dict(options={"gtol": 1e-9, "ftol": 0}),
}
ACCURACY = {"adam": 1e-3}


@pytest.mark.parametrize("method", OWN)
def test_convex_quadratic_matches_scipy(method):
    f, g, hvp, x_star = quadratic()
    x0 = np.zeros(8)
    ref = scipy.optimize.minimize(f, x0, jac=g, method="L-BFGS-B",
                                  options={"gtol": 1e-12, "ftol": 0})
    res = minimize(f, x0, method, jac=g, hessp=hvp, **SETTINGS[method])
    tol = ACCURACY.get(method, 1e-6)
    np.testing.assert_allclose(res.x, x_star, atol=tol)
    np.testing.assert_allclose(res.x, ref.x, atol=tol)
    assert res.fun <= ref.fun + tol
    if method != "adam":
        assert res.success and res.status in (Status.GTOL, Status.FTOL)
    assert res.nfev >= res.nit and np.array_equal(x0, np.zeros(8))


@pytest.mark.parametrize("method", OWN)
def test_logistic_loss_matches_scipy(method):
    f, g, hvp = logistic()
    w0 = np.zeros(5)
    ref = scipy.optimize.minimize(f, w0, jac=g, method="L-BFGS-B",
                                  options={"gtol": 1e-12, "ftol": 0})
    res = minimize(f, w0, method, jac=g, hessp=hvp, **SETTINGS[method])
    tol = ACCURACY.get(method, 1e-6)
    np.testing.assert_allclose(res.x, ref.x, atol=tol)
    assert res.fun <= ref.fun + tol ** 2


@pytest.mark.parametrize("method", OWN)
def test_rosenbrock_small(method):
    x0 = np.array([-1.2, 1.0, -1.2, 1.0])
    second_order = method in ("lbfgs", "newton-cg")
    options = {"gtol": 1e-9 if second_order else 1e-5, "ftol": 0}
    if method == "adam":
        options = {"gtol": 1e-5, "learning_rate": 0.05}
    res = minimize(rosen, x0, method, jac=rosen_der, hessp=rosen_hess_prod, maxiter=20000,
                   options=options)
    assert res.success
    tol = 1e-6 if second_order else 1e-3
    np.testing.assert_allclose(res.x, np.ones(4), atol=tol)


@pytest.mark.parametrize("method", ["lbfgs", "newton-cg"])
def test_rosenbrock_50d_iterations_within_twice_scipy(method):
    x0 = np.tile([-1.2, 1.0], 25)
    opts = {"gtol": 1e-8, "ftol": 0}
    ref = scipy.optimize.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B", options=opts)
    res = minimize(rosen, x0, method, jac=rosen_der, hessp=rosen_hess_prod, options=opts)
    assert res.success
    assert np.max(np.abs(res.x - 1.0)) <= 1e-6
    assert res.nit <= 2 * ref.nit


def test_history_and_result_fields():
    f, g, _, _ = quadratic()
    res = minimize(f, np.zeros(8), "lbfgs", jac=g)
    for key in ("x", "fun", "jac", "nit", "nfev", "success", "status", "message"):
        assert key in res
    h = res.history
    assert len(h["energy"]) == len(h["grad_norm"]) == len(h["step_size"]) == res.nit + 1
    assert np.all(np.diff(h["energy"]) <= 0)
    assert h["energy"][-1] == res.fun and h["grad_norm"][-1] == np.max(np.abs(res.jac))
    assert res.status in (Status.GTOL, Status.FTOL)
    assert res.message == STATUS[res.status][2]


def test_callback_receives_results_and_stopiteration_stops():
    f, g, _, _ = quadratic()
    seen = []

    def callback(intermediate_result):
        seen.append((intermediate_result.nit, intermediate_result.fun))
        assert intermediate_result.x.shape == (8,) and intermediate_result.jac.shape == (8,)
        if intermediate_result.nit == 3:
            raise StopIteration

    res = minimize(f, np.zeros(8), "gd", jac=g, callback=callback)
    assert [k for k, _ in seen] == [1, 2, 3]
    assert res.nit == 3 and not res.success and res.status == 99
    assert "StopIteration" in res.message and res.fun == seen[-1][1]


def test_nan_energy_returns_last_finite_iterate():
    # the energy becomes NaN after a few iterations of a fixed-step method
    def fun(x):
        return float(np.sum(x ** 2)) if x[0] > 0.5 else np.nan

    res = minimize(fun, np.array([4.0]), "gd", jac=lambda x: 2 * x,
                   options={"step_size": 0.2})
    assert not res.success and res.status == Status.NONFINITE
    assert np.isfinite(res.fun) and np.all(np.isfinite(res.x)) and res.x[0] > 0.5
    assert "NaN" in res.message


def test_nan_at_start_is_reported():
    res = minimize(lambda x: np.nan, np.ones(2), "lbfgs", jac=lambda x: np.zeros(2))
    assert not res.success and res.status == Status.BAD_START and "starting" in res.message


def test_divergence_is_reported():
    res = minimize(lambda x: float(x @ x), np.ones(3), "gd", jac=lambda x: 2 * x,
                   options={"step_size": 1.5})
    assert not res.success and res.status == Status.DIVERGED
    assert np.all(np.isfinite(res.x))


def test_unbounded_below_ends_without_success():
    res = minimize(lambda x: -float(x @ x), np.ones(2), "lbfgs", jac=lambda x: -2 * x)
    assert not res.success
    assert res.status in (Status.NONFINITE, Status.DIVERGED, Status.LINE_SEARCH)
    assert np.all(np.isfinite(res.x))


def test_line_search_failure_is_reported():
    # gradient inconsistent with the energy: no step decreases f along -g
    res = minimize(lambda x: float(x @ x), np.ones(2), "lbfgs", jac=lambda x: -2 * x)
    assert not res.success and res.status == Status.LINE_SEARCH and "Line search" in res.message


def test_maxiter_and_maxfev_budgets():
    x0 = np.array([-1.2, 1.0])
    res = minimize(rosen, x0, "lbfgs", jac=rosen_der, maxiter=3)
    assert res.nit == 3 and not res.success and res.status == Status.MAXITER
    res = minimize(rosen, x0, "lbfgs", jac=rosen_der, options={"maxfev": 5})
    assert res.nfev <= 5 and not res.success and res.status == Status.MAXFEV


@pytest.mark.parametrize("method", ["gd", "nesterov", "adam"])
def test_bounds_projected_methods_match_lbfgsb(method):
    f, g, _, _ = quadratic(n=6, cond=10.0, seed=3)
    lower, upper = -0.1, 0.2
    ref = scipy.optimize.minimize(f, np.zeros(6), jac=g, method="L-BFGS-B",
                                  bounds=[(lower, upper)] * 6,
                                  options={"gtol": 1e-12, "ftol": 0})
    res = minimize(f, np.zeros(6), method, jac=g, bounds=(lower, upper), **SETTINGS[method])
    assert np.all(res.x >= lower) and np.all(res.x <= upper)
    np.testing.assert_allclose(res.x, ref.x, atol=ACCURACY.get(method, 1e-6))


def test_bounds_forms_agree():
    f, g, _, _ = quadratic(n=3, cond=5.0, seed=4)
    lower, upper = np.array([-0.1, -0.2, 0.0]), np.array([0.1, 0.3, 0.05])
    forms = [(lower, upper), scipy.optimize.Bounds(lower, upper),
             [(lo, hi) for lo, hi in zip(lower, upper)]]
    results = [minimize(f, np.zeros(3), "gd", jac=g, bounds=b, options={"gtol": 1e-10}).x
               for b in forms]
    np.testing.assert_allclose(results[1], results[0], atol=1e-10)
    np.testing.assert_allclose(results[2], results[0], atol=1e-10)
    assert np.all(results[0] >= lower) and np.all(results[0] <= upper)
    # None means unbounded on that side
    res = minimize(f, np.zeros(3), "gd", jac=g, bounds=(None, 0.0))
    assert np.all(res.x <= 0.0)


@pytest.mark.parametrize("method", ["lbfgs", "newton-cg"])
def test_bounds_refused_by_quasi_newton(method):
    with pytest.raises(ValueError, match="L-BFGS-B"):
        minimize(rosen, np.zeros(2), method, jac=rosen_der, bounds=(0, 1))


def test_bad_bounds_and_options_are_clear_errors():
    with pytest.raises(ValueError, match="lower bound exceeds"):
        minimize(rosen, np.zeros(2), "gd", jac=rosen_der, bounds=(1, 0))
    with pytest.raises(TypeError, match="unknown option"):
        minimize(rosen, np.zeros(2), "lbfgs", jac=rosen_der, options={"memroy": 3})
    with pytest.raises(ValueError, match="unknown method"):
        minimize(rosen, np.zeros(2), "lbgfs", jac=rosen_der)
    with pytest.raises(ValueError, match="scalar"):
        minimize(lambda x: x, np.zeros(2), "lbfgs", jac=lambda x: x)


def test_pytree_parameters_and_jac_true():
    target = {"a": np.arange(3.0), "b": (np.ones((2, 2)), 2.0)}

    def fun(p):
        da = p["a"] - target["a"]
        db = p["b"][0] - target["b"][0]
        dc = p["b"][1] - target["b"][1]
        value = np.sum(da ** 2) + np.sum(db ** 2) + dc ** 2
        return value, {"a": 2 * da, "b": (2 * db, 2 * dc)}

    x0 = {"a": np.zeros(3), "b": (np.zeros((2, 2)), 0.0)}
    res = minimize(fun, x0, "lbfgs", jac=True)
    assert res.success and set(res.x) == {"a", "b"}
    np.testing.assert_allclose(res.x["a"], target["a"], atol=1e-6)
    np.testing.assert_allclose(res.x["b"][0], target["b"][0], atol=1e-6)
    np.testing.assert_allclose(res.x["b"][1], 2.0, atol=1e-6)
    assert res.jac["b"][0].shape == (2, 2)
    assert np.all(x0["a"] == 0)


def test_float32_stays_float32():
    f, g, _, _ = quadratic()
    res = minimize(lambda x: f(x.astype(np.float64)), np.zeros(8, dtype=np.float32), "lbfgs",
                   jac=lambda x: g(x.astype(np.float64)).astype(np.float32),
                   options={"gtol": 1e-3})
    assert res.x.dtype == np.float32 and res.jac.dtype == np.float32 and res.success


def test_adam_on_noisy_objective():
    rng = np.random.default_rng(0)
    target = np.array([1.0, -2.0, 3.0])

    def noisy(x):
        value = float(np.sum((x - target) ** 2))
        return value, 2 * (x - target) + 0.1 * rng.standard_normal(3)

    res = minimize(noisy, np.zeros(3), "adam", jac=True, maxiter=3000,
                   options={"learning_rate": lambda k: 0.1 / np.sqrt(1 + k)})
    np.testing.assert_allclose(res.x, target, atol=0.05)
    assert res.status == Status.MAXITER and res.nit == 3000


def test_progress_bar_runs(capsys):
    f, g, _, _ = quadratic()
    res = minimize(f, np.zeros(8), "lbfgs", jac=g, progress=True)
    assert res.success
