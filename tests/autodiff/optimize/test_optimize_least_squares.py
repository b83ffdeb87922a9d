"""Gauss-Newton and Levenberg-Marquardt against scipy.optimize.least_squares."""

import numpy as np
import pytest
import scipy.optimize

from autodiff.optimize import Status, least_squares

T = np.linspace(0.0, 3.0, 60)
Y = 2.5 * np.exp(-1.3 * T) + 0.5 + 0.01 * np.random.default_rng(0).standard_normal(T.size)


def exp_residuals(p):
    return p[0] * np.exp(-p[1] * T) + p[2] - Y


def exp_jacobian(p):
    e = np.exp(-p[1] * T)
    return np.stack([e, -p[0] * T * e, np.ones_like(T)], axis=1)


def rosen_residuals(x):
    return np.concatenate([10.0 * (x[1:] - x[:-1] ** 2), 1.0 - x[:-1]])


def rosen_jacobian(x):
    n = x.size
    J = np.zeros((2 * (n - 1), n))
    i = np.arange(n - 1)
    J[i, i + 1] = 10.0
    J[i, i] = -20.0 * x[:-1]
    J[n - 1 + i, i] = -1.0
    return J


@pytest.mark.parametrize("method", ["lm", "gauss-newton", "trf", "dogbox"])
def test_curve_fit_matches_scipy(method):
    p0 = np.array([1.0, 0.5, 0.0])
    ref = scipy.optimize.least_squares(exp_residuals, p0, jac=exp_jacobian, xtol=1e-12,
                                       ftol=1e-12, gtol=1e-12)
    res = least_squares(exp_residuals, p0, method, jac=exp_jacobian)
    assert res.success, res.message
    np.testing.assert_allclose(res.x, ref.x, atol=1e-6)
    np.testing.assert_allclose(res.cost, 0.5 * np.sum(res.fun ** 2))
    assert res.cost <= ref.cost * (1 + 1e-9)
    assert res.jac.shape == (T.size, 3) and res.fun.shape == (T.size,)
    assert np.array_equal(p0, [1.0, 0.5, 0.0])


@pytest.mark.parametrize("method", ["lm", "gauss-newton"])
def test_rosenbrock_residuals(method):
    x0 = np.tile([-1.2, 1.0], 5)
    res = least_squares(rosen_residuals, x0, method, jac=rosen_jacobian)
    assert res.success
    np.testing.assert_allclose(res.x, np.ones(10), atol=1e-6)
    h = res.history
    assert len(h["energy"]) == res.nit + 1 and np.all(np.diff(h["energy"]) <= 0)


def test_result_fields_and_budget():
    res = least_squares(rosen_residuals, np.tile([-1.2, 1.0], 5), "lm", jac=rosen_jacobian,
                        maxiter=2)
    for key in ("x", "cost", "fun", "jac", "grad", "nit", "nfev", "njev", "success",
                "status", "message", "optimality"):
        assert key in res
    assert not res.success and res.status == Status.MAXITER and res.nit == 2
    res = least_squares(rosen_residuals, np.tile([-1.2, 1.0], 5), "lm", jac=rosen_jacobian,
                        max_nfev=3)
    assert not res.success and res.status == Status.MAXFEV and res.nfev <= 3


def test_callback_stops_least_squares():
    def callback(intermediate_result):
        assert intermediate_result.cost >= 0
        raise StopIteration

    res = least_squares(exp_residuals, np.array([1.0, 0.5, 0.0]), "lm", jac=exp_jacobian,
                        callback=callback)
    assert res.nit == 1 and res.status == 99 and not res.success


def test_errors():
    with pytest.raises(ValueError, match="unknown least-squares method"):
        least_squares(exp_residuals, np.ones(3), "levenberg", jac=exp_jacobian)
    with pytest.raises(ValueError, match="trf"):
        least_squares(exp_residuals, np.ones(3), "lm", jac=exp_jacobian, bounds=(0, 5))
    with pytest.raises(ValueError, match="jac_mode"):
        least_squares(exp_residuals, np.ones(3), "lm", jac=exp_jacobian, jac_mode="fast")


def test_trf_with_bounds():
    res = least_squares(exp_residuals, np.array([1.0, 0.5, 0.0]), "trf", jac=exp_jacobian,
                        bounds=([0.0, 0.0, 0.6], [10.0, 10.0, 10.0]))
    assert res.success and res.x[2] >= 0.6 - 1e-12
