"""AD derivatives inside ``scipy.optimize``: minimize and least_squares.

1. ``autodiff.optimize.minimize`` forwards SciPy's method names with ``jac``/``hessp``/
   ``hess`` filled in from AD (value and gradient from one cached reverse sweep).
2. ``autodiff.optimize.least_squares`` fits a model with SciPy's ``trf`` and with the own
   Levenberg-Marquardt, Jacobian from forward mode (tall: many residuals, few parameters).
3. The bare transforms plug into SciPy directly.

Run: ``python examples/scipy_bridge.py``
"""

import numpy as np
import scipy.optimize

import autodiff as ad
from autodiff.optimize import least_squares, minimize


def himmelblau(p):
    """Himmelblau's function of a dict of parameters (pytrees are fine)."""
    x, y = p["x"], p["y"]
    return (x ** 2 + y - 11.0) ** 2 + (x + y ** 2 - 7.0) ** 2


def main() -> None:
    print("minimize, SciPy methods with AD derivatives")
    for method in ["BFGS", "L-BFGS-B", "Newton-CG", "trust-ncg", "trust-exact"]:
        res = minimize(himmelblau, {"x": 1.0, "y": 1.0}, method, tol=1e-10)
        print(f"  {method:<13} x={float(res.x['x']):+.6f} y={float(res.x['y']):+.6f} "
              f"f={res.fun:.2e} nit={res.nit}")

    rng = np.random.default_rng(0)
    t = np.linspace(0.0, 4.0, 500)
    truth = np.array([2.0, 0.9, 3.0, 0.3])

    def model(p):
        return p[0] * np.exp(-p[1] * t) * np.cos(p[2] * t + p[3])

    data = model(truth) + 0.02 * rng.standard_normal(t.size)

    def residuals(p):
        return model(p) - data

    print("least_squares (500 residuals, 4 parameters: forward-mode Jacobian)")
    p0 = np.array([1.5, 0.5, 2.8, 0.0])
    for method in ["lm", "gauss-newton", "trf", "dogbox"]:
        res = least_squares(residuals, p0, method)
        print(f"  {method:<13} p={np.array2string(res.x, precision=4)} cost={res.cost:.5f} "
              f"nfev={res.nfev}")

    print("bare transforms in scipy.optimize")
    rosen = lambda x: np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
    res = scipy.optimize.minimize(ad.value_and_grad(rosen), np.zeros(6), jac=True,
                                  method="L-BFGS-B")
    print(f"  minimize(ad.value_and_grad(f), jac=True): f={res.fun:.2e} nit={res.nit}")
    res = scipy.optimize.least_squares(residuals, p0, jac=ad.jacfwd(residuals))
    print(f"  least_squares(jac=ad.jacfwd(r)): p={np.array2string(res.x, precision=4)}")


if __name__ == "__main__":
    main()
