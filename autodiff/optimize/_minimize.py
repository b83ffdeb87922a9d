"""``minimize``: one entry point for the own solvers and SciPy's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scipy.optimize import OptimizeResult

from ._adam import ADAM
from ._base import LoopOptions, Method, Objective, run, split_options, status_fields
from ._gd import GD
from ._lbfgs import LBFGS
from ._nesterov import NESTEROV
from ._newton_cg import NEWTON_CG
from ._problem import FlatProblem, make_box
from ._scipy_bridge import minimize_with_scipy

__all__ = ["minimize", "METHODS"]

#: The own solvers, by name.  Any other name goes to ``scipy.optimize.minimize``.
METHODS: dict[str, Method] = {
    "gd": GD,
    "nesterov": NESTEROV,
    "adam": ADAM,
    "lbfgs": LBFGS,
    "newton-cg": NEWTON_CG,
}

_NEEDS_HVP = {"newton-cg"}


def minimize(fun: Callable[..., Any], x0: Any, method: str | Callable = "lbfgs", *,
             args: tuple = (), jac: Callable | bool | None = None,
             hessp: Callable | None = None, bounds: Any = None, tol: float | None = None,
             maxiter: int | None = None, callback: Callable | None = None,
             progress: bool = False, options: dict | None = None,
             stage: bool = False) -> OptimizeResult:
    r"""Minimize a scalar energy of (a pytree of) arrays, with derivatives from AD.

    .. math:: x^\star = \operatorname{arg\,min}_{\ell \le x \le u} f(x, \text{args})

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``, written with NumPy; ``x`` has the structure of ``x0``.
    x0 : array_like or pytree of array_like
        Starting point: an array or nested tuples/lists/dicts of arrays.  Never modified.
        Integer input is promoted to float64; float32 stays float32.
    method : str or callable, optional
        Own solvers: ``"gd"`` (Armijo backtracking, or ``options={"step_size": h}``),
        ``"nesterov"`` (accelerated, adaptive restart), ``"adam"`` (noisy objectives,
        ``options={"learning_rate": lr_or_schedule}``), ``"lbfgs"`` (strong Wolfe, default),
        ``"newton-cg"`` (truncated Newton with AD Hessian-vector products).  Any other name
        (``"L-BFGS-B"``, ``"BFGS"``, ``"trust-ncg"``, ``"trust-exact"``, ``"Newton-CG"``, ...)
        or a callable is forwarded to :func:`scipy.optimize.minimize` with ``jac``,
        ``hessp`` or ``hess`` from AD as that method accepts.
    args : tuple, optional
        Extra arguments of ``fun`` (not differentiated).
    jac : callable or True, optional
        Hand-written gradient ``jac(x, *args)`` (same structure as ``x``), or True when
        ``fun`` returns ``(value, grad)``.  Default: reverse-mode AD.
    hessp : callable, optional
        Hand-written ``hessp(x, v, *args) = H(x) v``.  Default: forward-over-reverse AD.
    bounds : (lower, upper) or scipy.optimize.Bounds, optional
        Box constraints; each side a scalar, an array like ``x0``, a pytree like ``x0``, or
        None (SciPy's list of ``(min, max)`` tuples is accepted too).  Own methods: ``gd``,
        ``nesterov`` and ``adam`` take projected steps (a start outside the box is projected);
        ``lbfgs`` and ``newton-cg`` refuse bounds (use ``"L-BFGS-B"``).
    tol : float, optional
        Sets ``gtol``, the max-norm of the (projected) gradient at which own methods stop
        (default 1e-5); forwarded as ``tol`` to SciPy.
    maxiter : int, optional
        Iteration budget (default per method: gd/nesterov 10000, lbfgs/adam 1000,
        newton-cg 500).
    callback : callable, optional
        ``callback(intermediate_result)`` with an ``OptimizeResult`` (``x, fun, jac, nit``)
        after every iteration, whatever the parameter is called (SciPy passes the bare
        ``x`` unless it is named ``intermediate_result``); ``x`` and ``jac`` have the
        structure of ``x0``.  Raising ``StopIteration`` ends the run (status 99,
        ``success=False``, as in SciPy).
    progress : bool, optional
        Show a tqdm bar with the energy and the gradient norm.
    options : dict, optional
        Loop options ``gtol``, ``ftol`` (default 2.2e-9, relative energy decrease; monotone
        methods), ``xtol`` (default 0: off), ``maxfev``, ``divergence`` and the method's
        hyperparameters (e.g. ``memory`` for lbfgs, ``cg_maxiter`` for newton-cg).  For
        SciPy methods, passed to SciPy as is.
    stage : bool, optional
        Run the energy, its gradient and Hessian-vector products as generated
        straight-line NumPy code (:func:`autodiff.stage`): ``fun`` is traced once and
        later calls skip the tracers, which pays off when ``fun`` applies many small
        operations.  ``fun`` must be free of side effects; Python branches on the
        values of ``x`` are guarded (a new branch re-stages).

    Returns
    -------
    OptimizeResult
        ``x`` (structure of ``x0``), ``fun``, ``jac``, ``nit``, ``nfev`` (value-and-gradient
        evaluations), ``njev``, ``nhev``, ``success``, ``status``, ``message``,
        ``stop_reason`` and ``history``: a dict of arrays ``energy``, ``grad_norm`` (max-norm
        of the projected gradient) and ``step_size`` (the accepted line-search step, the
        learning rate for adam; ``max|dx|`` for SciPy methods), entry 0 being the starting
        point.  On
        failure (NaN/inf, failed line search, divergence, exhausted budget) ``success`` is
        False, the message names the cause and ``x`` is the last finite iterate.

    Examples
    --------
    >>> import numpy as np
    >>> from autodiff.optimize import minimize
    >>> res = minimize(lambda x: np.sum((x - 3.0) ** 2), np.zeros(4), method="lbfgs")
    >>> bool(res.success), np.allclose(res.x, 3.0)
    (True, True)
    """
    problem = FlatProblem(fun, x0, args, jac=jac, hessp=hessp, stage=stage)
    spec = METHODS.get(method) if isinstance(method, str) else None
    if spec is None:
        return minimize_with_scipy(problem, method, bounds=bounds, tol=tol, maxiter=maxiter,
                                   callback=callback, progress=progress, options=options)
    box = make_box(bounds, problem.treedef, problem.x0.size)
    if box is not None and not spec.supports_bounds:
        raise ValueError(
            f"method {method!r} does not take bounds (a projected quasi-Newton step is not "
            "a sound method); use method='L-BFGS-B' (SciPy) or a projected method "
            "('gd', 'nesterov', 'adam')"
        )
    defaults = LoopOptions() if tol is None else LoopOptions(gtol=float(tol))
    loop, hyper = split_options(options, spec.options, method, defaults)
    if maxiter is None:
        maxiter = spec.default_maxiter
    if maxiter < 0:
        raise ValueError(f"maxiter must be >= 0, got {maxiter}")
    hvp = problem.hvp if method in _NEEDS_HVP else None
    objective = Objective(problem.value_and_grad, hvp, loop.maxfev)

    def report(state: Any, nit: int) -> OptimizeResult:
        return OptimizeResult(x=problem.to_tree(state.x), fun=state.fun,
                              jac=problem.to_tree(state.jac), nit=nit)

    outcome = run(spec, objective, problem.x0, hyper, loop, maxiter=maxiter, box=box,
                  callback=callback, progress=progress, report=report, desc=method)
    state = outcome.state
    result = OptimizeResult(
        x=problem.to_tree(state.x), fun=state.fun, jac=problem.to_tree(state.jac),
        nit=outcome.nit, nfev=objective.nfev, njev=objective.nfev, nhev=objective.nhev,
        history=outcome.history, method=method, **status_fields(outcome.status),
    )
    return result
