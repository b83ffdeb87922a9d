r"""``least_squares``: Gauss-Newton and Levenberg-Marquardt with AD Jacobians.

Minimizes :math:`\tfrac12 \|r(x)\|^2` for residuals :math:`r : \mathbb{R}^n \to \mathbb{R}^m`.
The Jacobian comes from forward mode (``ad.jacfwd``) when it is tall (:math:`m \ge n`), from
reverse mode (``ad.jacrev``) otherwise, and is never formed when it would be too large
(``jac_mode="matrix-free"`` or :math:`m n >` ``max_jacobian_size``): the linear subproblems are
then solved by LSMR on a ``LinearOperator`` whose products are ``ad.jvp`` and ``ad.vjp``.
The solvers run in the shared loop of :mod:`autodiff.optimize._base`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import scipy.optimize
from scipy.optimize import OptimizeResult
from scipy.sparse.linalg import LinearOperator, lsmr

import autodiff as ad

from ._base import BudgetExhausted, LoopOptions, Method, run, split_options, status_fields
from ._flat import flatten, unflatten

__all__ = ["least_squares"]


class ResidualObjective:
    """Counted residual oracle on flat vectors: residuals, Jacobian, jvp and vjp."""

    def __init__(self, residuals: Callable, x0: Any, args: tuple, jac: Callable | None,
                 jac_mode: str, max_jacobian_size: float, maxfev: int | None) -> None:
        if not callable(residuals):
            raise TypeError(f"residuals must be callable, got {type(residuals).__name__}")
        if jac is not None and not callable(jac):
            raise TypeError("jac must be None (AD) or a callable jac(x, *args) -> (m, n)")
        if jac_mode not in ("auto", "fwd", "rev", "matrix-free"):
            raise ValueError(f"jac_mode must be 'auto', 'fwd', 'rev' or 'matrix-free', "
                             f"got {jac_mode!r}")
        self.residuals = residuals
        self.args = tuple(args)
        self.user_jac = jac
        self.x0, self.treedef = flatten(x0)
        self.dtype = self.x0.dtype
        self.nfev = 0
        self.njev = 0
        self.maxfev = maxfev
        r0 = self.residual(self.x0)
        self.nfev = 0  # the shape probe is reused by init; count it once there
        self.r0 = r0
        self.m, self.n = r0.size, self.x0.size
        if jac_mode == "auto":
            if jac is not None:
                jac_mode = "fwd" if self.m >= self.n else "rev"
            elif self.m * self.n > max_jacobian_size:
                jac_mode = "matrix-free"
            else:
                jac_mode = "fwd" if self.m >= self.n else "rev"
        if jac_mode == "matrix-free" and jac is not None:
            raise ValueError("jac_mode='matrix-free' uses AD products; do not pass jac")
        self.jac_mode = jac_mode

    def flat_residuals(self, z: Any) -> Any:
        out = self.residuals(unflatten(self.treedef, z), *self.args)
        return np.reshape(out, (-1,))

    def residual(self, z: np.ndarray) -> np.ndarray:
        if self.maxfev is not None and self.nfev >= self.maxfev:
            raise BudgetExhausted
        self.nfev += 1
        r = np.asarray(self.flat_residuals(z))
        if np.iscomplexobj(r):
            raise TypeError("residuals must be real")
        return r.astype(self.dtype, copy=False) if r.dtype != self.dtype else r

    def jacobian(self, z: np.ndarray) -> np.ndarray | LinearOperator:
        """Dense (m, n) Jacobian, or a LinearOperator in matrix-free mode."""
        self.njev += 1
        if self.jac_mode == "matrix-free":
            return self._operator(z)
        if self.user_jac is not None:
            J = np.asarray(self.user_jac(unflatten(self.treedef, z), *self.args))
        elif self.jac_mode == "fwd":
            J = np.asarray(ad.jacfwd(self.flat_residuals)(z))
        else:
            J = np.asarray(ad.jacrev(self.flat_residuals)(z))
        if J.shape != (self.m, self.n):
            J = J.reshape(self.m, self.n)
        return J

    def _operator(self, z: np.ndarray) -> LinearOperator:
        _, pullback = ad.vjp(self.flat_residuals, z)
        fn = self.flat_residuals
        dtype = self.dtype

        def matvec(v: np.ndarray) -> np.ndarray:
            v = np.ravel(v).astype(dtype, copy=False)
            return np.asarray(ad.jvp(fn, (z,), (v,))[1]).ravel()

        def rmatvec(u: np.ndarray) -> np.ndarray:
            u = np.ravel(u).astype(dtype, copy=False)
            return np.asarray(pullback(u)[0]).ravel()

        return LinearOperator((self.m, self.n), matvec=matvec, rmatvec=rmatvec, dtype=dtype)


@dataclasses.dataclass(frozen=True)
class GNOptions:
    """``c1``: Armijo constant of the backtracking on the cost; ``lsmr_tol``, ``lsmr_maxiter``
    for the matrix-free solves; ``rcond``: relative singular value cutoff."""

    c1: float = 1e-4
    lsmr_tol: float = 1e-10
    lsmr_maxiter: int | None = None
    rcond: float = 1e-12


@dataclasses.dataclass(frozen=True)
class LMOptions:
    """``initial_damping`` :math:`\\tau` (:math:`\\lambda_0 = \\tau \\max \\operatorname{diag}
    J^\\top J`); ``max_rejections`` per iteration; ``lsmr_tol``, ``lsmr_maxiter``."""

    initial_damping: float = 1e-3
    max_rejections: int = 40
    lsmr_tol: float = 1e-10
    lsmr_maxiter: int | None = None


class LSState(NamedTuple):
    x: np.ndarray
    fun: float            # cost 0.5 ||r||^2
    jac: np.ndarray       # gradient J^T r
    step_size: float
    failed: bool
    residual: np.ndarray
    jacobian: Any
    damping: float = 0.0
    nu: float = 2.0


def _cost(r: np.ndarray) -> float:
    return 0.5 * float(r @ r)


def _ls_init(objective: ResidualObjective, x0, opts, box) -> LSState:
    objective.nfev += 1
    r = objective.r0
    J = objective.jacobian(x0)
    g = J.T @ r if isinstance(J, np.ndarray) else J.rmatvec(r)
    damping = 0.0
    if isinstance(opts, LMOptions):
        if isinstance(J, np.ndarray):
            scale = float(np.max(np.sum(J * J, axis=0), initial=0.0))
        else:
            rn = float(r @ r)
            scale = float(g @ g) / rn if rn > 0 else 1.0
        damping = opts.initial_damping * max(scale, 1e-300)
    return LSState(x0, _cost(r), np.asarray(g, dtype=x0.dtype), 0.0, False, r, J, damping)


class _Factored(NamedTuple):
    """Thin SVD of a dense Jacobian and ``U^T r``: each damping costs O(n^2) after it."""

    s: np.ndarray
    Vt: np.ndarray
    Ur: np.ndarray


def _factor(J: Any, r: np.ndarray) -> Any:
    if isinstance(J, np.ndarray):
        U, s, Vt = np.linalg.svd(J, full_matrices=False)
        return _Factored(s, Vt, U.T @ r)
    return J


def _solve_damped(J: Any, r: np.ndarray, damping: float, opts: Any) -> np.ndarray:
    """argmin_p ||J p + r||^2 + damping ||p||^2 (damping 0: least-norm Gauss-Newton step).

    ``J`` is a :class:`_Factored` dense Jacobian or a LinearOperator (solved by LSMR).
    """
    if isinstance(J, _Factored):
        s, Vt, Ur = J
        if damping > 0:
            coef = s / (s * s + damping)
        else:
            cutoff = getattr(opts, "rcond", 1e-12) * (s[0] if s.size else 0.0)
            coef = np.where(s > cutoff, 1.0 / np.where(s > cutoff, s, 1.0), 0.0)
        return -(Vt.T @ (coef * Ur))
    maxiter = opts.lsmr_maxiter or 2 * max(J.shape[1], 10)
    out = lsmr(J, -r, damp=math.sqrt(damping), atol=opts.lsmr_tol, btol=opts.lsmr_tol,
               maxiter=maxiter)
    return out[0]


def _matvec(J: Any, p: np.ndarray) -> np.ndarray:
    return J @ p if isinstance(J, np.ndarray) else J.matvec(p)


def _accept(objective: ResidualObjective, x: np.ndarray, r: np.ndarray, step: float,
            damping: float = 0.0, nu: float = 2.0) -> LSState:
    J = objective.jacobian(x)
    g = J.T @ r if isinstance(J, np.ndarray) else J.rmatvec(r)
    return LSState(x, _cost(r), np.asarray(g, dtype=x.dtype), step, False, r, J, damping, nu)


def _gn_update(objective: ResidualObjective, state: LSState, opts: GNOptions,
               box) -> LSState:
    p = _solve_damped(_factor(state.jacobian, state.residual), state.residual, 0.0,
                      opts).astype(state.x.dtype)
    slope = float(state.jac @ p)
    if not slope < 0:
        return state._replace(failed=True)
    t = 1.0
    for _ in range(40):
        x_t = state.x + t * p
        r_t = objective.residual(x_t)
        c_t = _cost(r_t)
        if math.isfinite(c_t) and c_t <= state.fun + opts.c1 * t * slope:
            return _accept(objective, x_t, r_t, t * float(np.max(np.abs(p), initial=0.0)))
        t *= 0.5
    return state._replace(failed=True)


def _lm_update(objective: ResidualObjective, state: LSState, opts: LMOptions,
               box) -> LSState:
    damping, nu = state.damping, state.nu
    g, J, r = state.jac, state.jacobian, state.residual
    factored = _factor(J, r)
    for _ in range(opts.max_rejections):
        p = _solve_damped(factored, r, damping, opts).astype(state.x.dtype)
        Jp = _matvec(J, p)
        predicted = -float(g @ p) - 0.5 * float(Jp @ Jp)
        x_t = state.x + p
        r_t = objective.residual(x_t)
        c_t = _cost(r_t)
        actual = state.fun - c_t
        if math.isfinite(c_t) and predicted > 0 and actual > 0:
            rho = actual / predicted
            damping *= max(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3)
            return _accept(objective, x_t, r_t, float(np.max(np.abs(p), initial=0.0)),
                           damping, 2.0)
        if predicted <= 0 and math.isfinite(c_t) and actual == 0:
            break  # no predicted progress: at a stationary point up to rounding
        damping *= nu
        nu *= 2.0
    return state._replace(failed=True)


GAUSS_NEWTON = Method(GNOptions, _ls_init, _gn_update, monotone=True, default_maxiter=200,
                      supports_bounds=False)
LEVENBERG_MARQUARDT = Method(LMOptions, _ls_init, _lm_update, monotone=True,
                             default_maxiter=200, supports_bounds=False)

#: Own least-squares solvers by name; "trf" and "dogbox" go to SciPy.
LS_METHODS = {"gauss-newton": GAUSS_NEWTON, "lm": LEVENBERG_MARQUARDT}
_SCIPY_LS_METHODS = {"trf", "dogbox"}


def least_squares(residuals: Callable[..., Any], x0: Any, method: str = "lm", *,
                  args: tuple = (), jac: Callable | None = None, bounds: Any = None,
                  ftol: float = 1e-8, xtol: float = 1e-8, gtol: float = 1e-8,
                  maxiter: int | None = None, max_nfev: int | None = None,
                  jac_mode: str = "auto", max_jacobian_size: float = 2e7,
                  callback: Callable | None = None, progress: bool = False,
                  options: dict | None = None) -> OptimizeResult:
    r"""Solve a nonlinear least-squares problem with AD Jacobians.

    .. math:: x^\star = \operatorname{arg\,min}_x \tfrac12 \|r(x, \text{args})\|_2^2

    Parameters
    ----------
    residuals : callable
        ``residuals(x, *args) -> ndarray`` of any shape (m entries), written with NumPy.
    x0 : array_like or pytree of array_like
        Starting point (n entries in all).  Never modified.
    method : {"lm", "gauss-newton", "trf", "dogbox"}, optional
        ``"lm"``: Levenberg-Marquardt (own, Nielsen's damping update; default);
        ``"gauss-newton"``: Gauss-Newton with backtracking on the cost (own);
        ``"trf"``, ``"dogbox"``: :func:`scipy.optimize.least_squares` with ``jac`` from AD
        (the only ones that take ``bounds``).
    args : tuple, optional
        Extra arguments of ``residuals``.
    jac : callable, optional
        Hand-written Jacobian ``jac(x, *args)``, shape (m, n).  Default: AD.
    bounds : (lower, upper), optional
        Box constraints (SciPy methods only; a start outside the box is projected onto it).
    ftol, xtol, gtol : float, optional
        Stop when the relative cost reduction is <= ftol, when the step satisfies
        ``max|dx| <= xtol (xtol + max|x|)``, or when ``max|J^T r| <= gtol``.
    maxiter, max_nfev : int, optional
        Budgets of iterations (default 200) and residual evaluations.
    jac_mode : {"auto", "fwd", "rev", "matrix-free"}, optional
        ``"auto"``: forward mode when tall (m >= n), reverse otherwise, matrix-free
        (``ad.jvp``/``ad.vjp`` products with LSMR) when ``m * n > max_jacobian_size``.
    callback, progress
        As in :func:`autodiff.optimize.minimize`.
    options : dict, optional
        Method hyperparameters (``initial_damping``, ``lsmr_tol``, ...).

    Returns
    -------
    OptimizeResult
        ``x`` (structure of ``x0``), ``cost`` (0.5 ||r||^2), ``fun`` (residuals, 1-D),
        ``jac`` (dense (m, n) array, or a LinearOperator in matrix-free mode), ``grad``,
        ``optimality`` (max|grad|), ``nit``, ``nfev``, ``njev``, ``success``, ``status``,
        ``message``, ``stop_reason``, ``history``.

    Examples
    --------
    >>> import numpy as np
    >>> from autodiff.optimize import least_squares
    >>> t = np.linspace(0, 1, 20); y = 2.0 * np.exp(-1.5 * t)
    >>> res = least_squares(lambda p: p[0] * np.exp(-p[1] * t) - y, np.array([1.0, 1.0]))
    >>> np.allclose(res.x, [2.0, 1.5])
    True
    """
    if method in _SCIPY_LS_METHODS:
        return _least_squares_scipy(residuals, x0, method, args=args, jac=jac, bounds=bounds,
                                    ftol=ftol, xtol=xtol, gtol=gtol, max_nfev=max_nfev,
                                    jac_mode=jac_mode, max_jacobian_size=max_jacobian_size,
                                    callback=callback, options=options)
    spec = LS_METHODS.get(method)
    if spec is None:
        raise ValueError(f"unknown least-squares method {method!r}; choose from "
                         f"{sorted(LS_METHODS) + sorted(_SCIPY_LS_METHODS)}")
    if bounds is not None:
        raise ValueError(f"method {method!r} does not take bounds; use method='trf' "
                         "(SciPy, with AD Jacobians)")
    objective = ResidualObjective(residuals, x0, args, jac, jac_mode, max_jacobian_size,
                                  max_nfev)
    defaults = LoopOptions(gtol=gtol, ftol=ftol, xtol=xtol, maxfev=max_nfev, ftol_floor=0.0)
    loop, hyper = split_options(options, spec.options, method, defaults)
    if maxiter is None:
        maxiter = spec.default_maxiter

    def to_tree(flat: np.ndarray) -> Any:
        return unflatten(objective.treedef, flat.copy())

    def report(state: LSState, nit: int) -> OptimizeResult:
        return OptimizeResult(x=to_tree(state.x), fun=state.residual.copy(),
                              cost=state.fun, jac=state.jacobian, nit=nit)

    outcome = run(spec, objective, objective.x0, hyper, loop, maxiter=maxiter,
                  callback=callback, progress=progress, report=report, desc=method)
    state = outcome.state
    return OptimizeResult(
        x=to_tree(state.x), cost=state.fun, fun=state.residual.copy(), jac=state.jacobian,
        grad=state.jac.copy(), optimality=float(np.max(np.abs(state.jac), initial=0.0)),
        nit=outcome.nit, nfev=objective.nfev, njev=objective.njev, history=outcome.history,
        method=method, **status_fields(outcome.status),
    )


def _least_squares_scipy(residuals, x0, method, *, args, jac, bounds, ftol, xtol, gtol,
                         max_nfev, jac_mode, max_jacobian_size, callback,
                         options) -> OptimizeResult:
    objective = ResidualObjective(residuals, x0, args, jac, jac_mode, max_jacobian_size,
                                  None)
    kwargs = dict(options or {})
    x0 = objective.x0
    if objective.jac_mode == "matrix-free":
        kwargs.setdefault("tr_solver", "lsmr")
    if bounds is not None:
        from ._problem import make_box

        box = make_box(bounds, objective.treedef, objective.n)
        kwargs["bounds"] = (box.lower, box.upper)
        x0 = box.project(x0)  # SciPy refuses a start outside the box; start on its face
    if callback is not None:
        def record(intermediate_result: OptimizeResult) -> None:
            callback(OptimizeResult(x=unflatten(objective.treedef,
                                                np.array(intermediate_result.x)),
                                    fun=intermediate_result.get("fun"),
                                    cost=intermediate_result.get("cost"),
                                    nit=intermediate_result.get("nit")))
        kwargs["callback"] = record
    res = scipy.optimize.least_squares(objective.residual, x0,
                                       jac=objective.jacobian, method=method, ftol=ftol,
                                       xtol=xtol, gtol=gtol, max_nfev=max_nfev, **kwargs)
    res.x = unflatten(objective.treedef, np.asarray(res.x).copy())
    res.method = method
    res.stop_reason = "callback" if res.status == -2 else (
        "converged" if res.success else "scipy")
    if not np.isfinite(res.cost):
        res.success = False
    return res
