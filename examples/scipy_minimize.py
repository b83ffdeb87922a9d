"""Minimize with ``scipy.optimize.minimize``, derivatives from ``autodiff``: no glue code.

``ad.value_and_grad(f)`` returns ``(value, grad)`` from one reverse sweep (SciPy's
``jac=True`` convention) and ``ad.hvp(f)`` returns ``h(x, v) = H(x) v`` in SciPy's ``hessp``
order, computed forward-over-reverse without forming the Hessian.

Run: ``python examples/scipy_minimize.py``
"""

import time

import numpy as np
from scipy.optimize import minimize

import autodiff as ad


def rosenbrock(x):
    """Extended Rosenbrock function, written with plain NumPy."""
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def main() -> None:
    x0 = np.tile([-1.2, 1.0], 10)  # 20 variables
    print(f"{'method':<12} {'nit':>5} {'nfev':>5} {'f(x*)':>11} {'max|x*-1|':>10} {'time':>8}")
    for method, kwargs in [
        ("L-BFGS-B", dict(jac=True)),
        ("BFGS", dict(jac=True)),
        ("trust-ncg", dict(jac=True, hessp=ad.hvp(rosenbrock))),
        ("Newton-CG", dict(jac=True, hessp=ad.hvp(rosenbrock))),
    ]:
        start = time.perf_counter()
        res = minimize(ad.value_and_grad(rosenbrock), x0, method=method, tol=1e-10,
                       **kwargs)
        elapsed = time.perf_counter() - start
        print(f"{method:<12} {res.nit:>5} {res.nfev:>5} {res.fun:>11.3e} "
              f"{np.max(np.abs(res.x - 1.0)):>10.2e} {elapsed:>7.3f}s")


if __name__ == "__main__":
    main()
