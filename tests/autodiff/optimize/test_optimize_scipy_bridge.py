"""Methods forwarded to scipy.optimize.minimize: derivatives filled in, one sweep per point."""

import numpy as np
import pytest
import scipy.optimize
from scipy.optimize import rosen, rosen_der, rosen_hess_prod

from autodiff.optimize import minimize
from autodiff.optimize._scipy_bridge import ValueGradCache

X0 = np.array([-1.2, 1.0, -1.2, 1.0])


@pytest.mark.parametrize("method", ["L-BFGS-B", "BFGS", "CG", "Newton-CG", "trust-ncg",
                                    "trust-krylov", "TNC", "SLSQP"])
def test_forwarded_methods_reach_the_minimum(method):
    res = minimize(rosen, X0, method, jac=rosen_der, hessp=rosen_hess_prod,
                   tol=1e-10, maxiter=5000)
    assert res.success, res.message
    np.testing.assert_allclose(res.x, np.ones(4), atol=1e-4)
    assert np.isfinite(res.fun) and res.history["energy"][0] == rosen(X0)
    assert len(res.history["energy"]) == len(res.history["grad_norm"]) >= 2


def test_gradient_free_method_gets_no_jac():
    # Nelder-Mead would warn "does not use gradient information" if jac were passed;
    # warnings are errors in the test suite
    res = minimize(lambda x: float(np.sum((x - 2.0) ** 2)), np.zeros(2), "Nelder-Mead",
                   jac=lambda x: 2 * (x - 2.0), tol=1e-10)
    assert res.success
    np.testing.assert_allclose(res.x, [2.0, 2.0], atol=1e-4)


def test_cache_one_sweep_per_point():
    calls = []

    def value_and_grad(x):
        calls.append(x.copy())
        return float(rosen(x)), rosen_der(x)

    cache = ValueGradCache(value_and_grad)
    res = scipy.optimize.minimize(cache.fun, X0, jac=cache.jac, method="L-BFGS-B")
    assert res.success
    assert cache.sweeps == len(calls)
    # every distinct point evaluated once although SciPy asks for fun and jac separately
    assert len({c.tobytes() for c in calls}) == len(calls)


def test_bounds_forwarded_to_lbfgsb_and_pytree_result():
    def fun(p):
        return float(np.sum((p["a"] - 3.0) ** 2) + (p["b"] + 1.0) ** 2)

    def jac(p):
        return {"a": 2 * (p["a"] - 3.0), "b": 2 * (p["b"] + 1.0)}

    res = minimize(fun, {"a": np.zeros(2), "b": 0.0}, "L-BFGS-B", jac=jac,
                   bounds=({"a": np.array([-1.0, -1.0]), "b": -0.5}, 1.0))
    assert res.success
    np.testing.assert_allclose(res.x["a"], [1.0, 1.0], atol=1e-8)
    np.testing.assert_allclose(res.x["b"], -0.5, atol=1e-8)


def test_callback_and_stopiteration_through_scipy():
    seen = []

    def callback(intermediate_result):
        seen.append(intermediate_result.fun)
        if len(seen) == 4:
            raise StopIteration

    res = minimize(rosen, X0, "BFGS", jac=rosen_der, callback=callback)
    assert len(seen) == 4 and not res.success and res.status == 99
    assert res.stop_reason == "callback"


def test_unknown_and_bounds_errors():
    with pytest.raises(ValueError, match="unknown method"):
        minimize(rosen, X0, "not-a-method", jac=rosen_der)
    with pytest.raises(ValueError, match="does not take bounds"):
        minimize(rosen, X0, "BFGS", jac=rosen_der, bounds=(0, 1))
