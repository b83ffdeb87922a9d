"""Forward to ``scipy.optimize.minimize`` with derivatives from AD.

The energy and the gradient come from one reverse sweep and are cached, so SciPy's calls
``fun(x)`` then ``jac(x)`` at the same point cost one sweep.  ``hessp`` (forward-over-reverse)
or a dense ``hess`` is filled in for the methods that accept it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.optimize
from scipy.optimize import Bounds, OptimizeResult

from ._base import projected_grad_norm
from ._problem import make_box
from ._progress import progress_bar

__all__ = ["ValueGradCache", "minimize_with_scipy"]

SCIPY_METHODS = {"nelder-mead", "powell", "cg", "bfgs", "newton-cg", "l-bfgs-b", "tnc",
                 "cobyla", "cobyqa", "slsqp", "trust-constr", "dogleg", "trust-ncg",
                 "trust-exact", "trust-krylov"}
_USES_JAC = {"cg", "bfgs", "newton-cg", "l-bfgs-b", "tnc", "slsqp", "dogleg", "trust-ncg",
             "trust-krylov", "trust-exact", "trust-constr"}
_USES_HESSP = {"newton-cg", "trust-ncg", "trust-krylov", "trust-constr"}
_NEEDS_HESS = {"dogleg", "trust-exact"}
_USES_BOUNDS = {"nelder-mead", "powell", "l-bfgs-b", "tnc", "slsqp", "trust-constr",
                "cobyla", "cobyqa"}


class ValueGradCache:
    """Memoize ``value_and_grad`` at the last point; ``sweeps`` counts real evaluations."""

    def __init__(self, value_and_grad: Callable) -> None:
        self._value_and_grad = value_and_grad
        self._x: np.ndarray | None = None
        self._value = 0.0
        self._grad: np.ndarray | None = None
        self.sweeps = 0

    def _at(self, x: np.ndarray) -> None:
        if self._x is None or self._x.shape != x.shape or not np.array_equal(self._x, x):
            self._value, self._grad = self._value_and_grad(np.asarray(x))
            self._x = np.array(x, copy=True)
            self.sweeps += 1

    def fun(self, x: np.ndarray, *_: Any) -> float:
        self._at(x)
        return self._value

    def jac(self, x: np.ndarray, *_: Any) -> np.ndarray:
        self._at(x)
        return self._grad.copy()

    def cached_grad(self, x: np.ndarray) -> np.ndarray | None:
        """The gradient at ``x`` if it is the cached point (no evaluation)."""
        if self._x is not None and self._x.shape == x.shape and np.array_equal(self._x, x):
            return self._grad
        return None


def minimize_with_scipy(problem, method: str | Callable, *, bounds: Any, tol: float | None,
                        maxiter: int | None, callback: Callable | None, progress: bool,
                        options: dict | None) -> OptimizeResult:
    """Run ``scipy.optimize.minimize`` on the flat problem and map the result back."""
    name = method.lower() if isinstance(method, str) else None
    if name is not None and name not in SCIPY_METHODS:
        raise ValueError(
            f"unknown method {method!r}; own methods: 'gd', 'nesterov', 'adam', 'lbfgs', "
            f"'newton-cg'; SciPy methods: {', '.join(sorted(SCIPY_METHODS))}"
        )
    cache = ValueGradCache(problem.value_and_grad)
    uses_jac = name is None or name in _USES_JAC
    kwargs: dict[str, Any] = {}
    if uses_jac:
        kwargs["fun"], kwargs["jac"] = cache.fun, cache.jac
    else:
        kwargs["fun"] = problem.value
    if name in _USES_HESSP:
        kwargs["hessp"] = problem.hvp
    elif name in _NEEDS_HESS:
        kwargs["hess"] = problem.hess
    if bounds is not None:
        if name is not None and name not in _USES_BOUNDS:
            raise ValueError(f"SciPy method {method!r} does not take bounds")
        box = make_box(bounds, problem.treedef, problem.x0.size)
        kwargs["bounds"] = Bounds(box.lower, box.upper)
    opts = dict(options or {})
    if maxiter is not None:
        opts["maxfun" if name == "tnc" else "maxiter"] = maxiter
    # entry 0 is the start, as for the own methods; with a gradient-based method SciPy's
    # first evaluation at x0 then hits the cache, so this costs nothing
    x0 = problem.x0.astype(np.float64) if uses_jac else problem.x0
    f0 = cache.fun(x0) if uses_jac else problem.value(x0)
    g0 = cache.cached_grad(x0)
    history: dict[str, list] = {
        "energy": [f0], "step_size": [0.0],
        "grad_norm": [projected_grad_norm(x0, g0, None) if g0 is not None else np.nan],
    }
    last_x: list[np.ndarray] = [problem.x0]
    last_finite: list = [None]  # (x, f) of the last iterate with a finite energy
    bar = None
    if progress:
        bar = progress_bar(maxiter, str(method))

    def record(intermediate_result: Any) -> None:
        res = intermediate_result
        if not isinstance(res, OptimizeResult):  # TNC/COBYLA pass the bare x
            res = OptimizeResult(x=np.asarray(res))
        x = np.asarray(res.x)
        value = res.get("fun")
        if value is None:
            value = problem.value(x)
        grad = cache.cached_grad(x)
        gnorm = projected_grad_norm(x, grad, None) if grad is not None else np.nan
        history["energy"].append(float(value))
        history["grad_norm"].append(gnorm)
        history["step_size"].append(float(np.max(np.abs(x - last_x[0]), initial=0.0)))
        last_x[0] = x.copy()
        if np.isfinite(value) and np.all(np.isfinite(x)):
            last_finite[0] = (x.copy(), float(value))
        if bar is not None:
            bar.update(1)
            bar.set_postfix(f=f"{float(value):.6g}", g=f"{gnorm:.2e}", refresh=False)
        if callback is not None:
            jac_tree = problem.to_tree(grad) if grad is not None else None
            callback(OptimizeResult(x=problem.to_tree(x), fun=float(value), jac=jac_tree,
                                    nit=len(history["energy"]) - 1))

    try:
        res = scipy.optimize.minimize(x0=problem.x0, method=method, tol=tol, callback=record,
                                      options=opts, **kwargs)
    finally:
        if bar is not None:
            bar.close()
    flat_x = np.asarray(res.x)
    if not (np.isfinite(res.fun) and np.all(np.isfinite(flat_x))):
        res.success = False
        res.message = f"NaN or inf energy from SciPy's {method}: {res.message}"
        if last_finite[0] is not None:  # never hand back a NaN as if it were an answer
            flat_x, res.fun = last_finite[0]
            res.message += " (the last finite iterate is returned)"
    res.x = problem.to_tree(flat_x)
    if "jac" in res and res.jac is not None and np.size(res.jac) == flat_x.size:
        res.jac = problem.to_tree(np.asarray(res.jac, dtype=problem.dtype))
    res.fun = float(res.fun)
    res.history = {k: np.asarray(v, dtype=float) for k, v in history.items()}
    res.stop_reason = "callback" if res.status == 99 else ("converged" if res.success
                                                           else "scipy")
    res.method = method
    return res

