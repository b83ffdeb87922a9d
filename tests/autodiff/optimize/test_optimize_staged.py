"""``minimize(..., stage=True)``: the same iterates as unstaged, on own and SciPy methods."""

from __future__ import annotations

import numpy as np
import pytest

from autodiff.optimize import minimize


def rosen(x, scale):
    return scale * np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


@pytest.mark.parametrize("method", ["lbfgs", "newton-cg", "L-BFGS-B", "trust-ncg",
                                    "trust-exact"])
def test_staged_minimize_matches_unstaged(method):
    x0 = np.linspace(-1.0, 0.5, 6)
    plain = minimize(rosen, x0, method=method, args=(1.0,))
    staged = minimize(rosen, x0, method=method, args=(1.0,), stage=True)
    assert staged.success == plain.success and staged.nit == plain.nit
    np.testing.assert_allclose(staged.x, plain.x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(staged.fun, plain.fun, rtol=1e-12, atol=1e-14)


def test_staged_minimize_with_a_branch_and_a_pytree():
    def energy(p):
        r = p["a"] - 2.0
        penalty = np.sum(r ** 2) if np.sum(r) > 0 else np.sum(np.abs(r) ** 3)
        return penalty + np.sum((p["b"] + 1.0) ** 2)

    x0 = {"a": np.zeros(3), "b": np.ones(2)}
    res = minimize(energy, x0, method="lbfgs", stage=True)
    assert res.success
    np.testing.assert_allclose(res.x["b"], -1.0, atol=1e-5)
    np.testing.assert_allclose(res.x["a"], 2.0, atol=2e-3)
