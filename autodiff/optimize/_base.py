"""The shared solver loop, the counted objective, box projection and the status table.

Every solver is a pair of pure functions over an immutable ``NamedTuple`` state::

    init(objective, x0, opts, box) -> state
    update(objective, state, opts, box) -> state

and :func:`run` drives any of them: it tests the tolerances, records the history, calls the
user's callback, shows a progress bar, guards against NaN/inf and divergence, and says why it
stopped.  A state has at least the fields ``x`` (flat vector), ``fun`` (the energy as a Python
float), ``jac`` (flat gradient), ``step_size`` and ``failed`` (True when the line search could
not find an acceptable step).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from scipy.optimize import OptimizeResult

from ._progress import progress_bar

__all__ = ["STATUS", "Status", "Objective", "Box", "Method", "LoopOptions", "run",
           "split_options", "BudgetExhausted"]


class Status:
    """Status codes shared by :func:`minimize` and :func:`least_squares` (see ``STATUS``)."""

    GTOL = 0
    FTOL = 1
    XTOL = 2
    MAXITER = 3
    MAXFEV = 4
    LINE_SEARCH = 5
    NONFINITE = 6
    DIVERGED = 7
    BAD_START = 8
    CALLBACK = 99


#: code -> (stop reason, success, message).  The one table of outcomes.
STATUS: dict[int, tuple[str, bool, str]] = {
    Status.GTOL: ("gtol", True,
                  "Converged: the (projected) gradient max-norm is below gtol."),
    Status.FTOL: ("ftol", True,
                  "Converged: the relative reduction of the energy is below ftol."),
    Status.XTOL: ("xtol", True,
                  "Converged: the step max-norm is below xtol * (xtol + max|x|)."),
    Status.MAXITER: ("maxiter", False,
                     "Maximum number of iterations reached before convergence."),
    Status.MAXFEV: ("maxfev", False,
                    "Maximum number of function evaluations reached before convergence."),
    Status.LINE_SEARCH: ("line_search", False,
                         "Line search failed: no step along the search direction (or, for "
                         "Levenberg-Marquardt, no damping) decreased the energy enough; the "
                         "last accepted iterate is returned."),
    Status.NONFINITE: ("nonfinite", False,
                       "NaN or inf in the energy or the gradient; the last finite iterate is "
                       "returned."),
    Status.DIVERGED: ("diverged", False,
                      "Diverged: the energy grew beyond the divergence threshold (try a "
                      "smaller step size or learning rate); the last iterate before is "
                      "returned."),
    Status.BAD_START: ("bad_start", False,
                       "The energy or the gradient is NaN or inf at the starting point."),
    Status.CALLBACK: ("callback", False, "`callback` raised `StopIteration`."),
}


class BudgetExhausted(Exception):
    """Raised by :class:`Objective` when ``maxfev`` evaluations have been spent."""


class Objective:
    """Counted oracle over flat vectors: ``value_and_grad(x) -> (float, ndarray)`` and ``hvp``.

    The counters are the only mutable part of a run; solver states stay immutable.
    """

    __slots__ = ("_value_and_grad", "_hvp", "nfev", "nhev", "maxfev")

    def __init__(self, value_and_grad: Callable, hvp: Callable | None = None,
                 maxfev: int | None = None) -> None:
        self._value_and_grad = value_and_grad
        self._hvp = hvp
        self.nfev = 0
        self.nhev = 0
        self.maxfev = maxfev

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        if self.maxfev is not None and self.nfev >= self.maxfev:
            raise BudgetExhausted
        self.nfev += 1
        return self._value_and_grad(x)

    def hvp(self, x: np.ndarray, v: np.ndarray) -> np.ndarray:
        if self._hvp is None:
            raise ValueError("this method needs Hessian-vector products but none is available")
        self.nhev += 1
        return self._hvp(x, v)


class Box(NamedTuple):
    """Box constraints ``lower <= x <= upper`` on the flat vector (entries may be +-inf)."""

    lower: np.ndarray
    upper: np.ndarray

    def project(self, x: np.ndarray) -> np.ndarray:
        return np.clip(x, self.lower, self.upper)


def projected_grad_norm(x: np.ndarray, g: np.ndarray, box: Box | None) -> float:
    """Max-norm of ``g`` or, with a box, of the projected gradient ``x - P(x - g)``."""
    if g.size == 0:
        return 0.0
    if box is None:
        return float(np.max(np.abs(g)))
    return float(np.max(np.abs(x - box.project(x - g))))


class Method(NamedTuple):
    """A solver: hyperparameter dataclass, ``init``/``update`` functions and loop hints."""

    options: type
    init: Callable
    update: Callable
    monotone: bool          # accepted steps never increase the energy: the ftol test applies
    default_maxiter: int
    supports_bounds: bool


@dataclasses.dataclass(frozen=True)
class LoopOptions:
    """Tolerances of the shared loop.

    ``gtol``: stop when the max-norm of the (projected) gradient is <= gtol.
    ``ftol``: stop when ``0 <= f_old - f_new <= ftol * max(|f_old|, |f_new|, 1)`` (monotone
    methods only).  ``xtol``: stop when ``max|dx| <= xtol * (xtol + max|x|)`` (0 disables).
    ``maxfev``: budget of value-and-gradient evaluations (None: unlimited).
    ``divergence``: stop when ``f > f0 + divergence * (1 + |f0|)``.
    ``ftol_floor``: the ftol test compares with ``max(|f_old|, |f_new|, ftol_floor)``
    (1 as in L-BFGS-B; 0 makes the test purely relative, as in SciPy's least_squares).
    """

    gtol: float = 1e-5
    ftol: float = 2.2e-9
    xtol: float = 0.0
    maxfev: int | None = None
    divergence: float = 1e10
    ftol_floor: float = 1.0


def split_options(options: dict | None, method_options: type, method: str,
                  loop_defaults: LoopOptions) -> tuple[LoopOptions, Any]:
    """Split a user ``options`` dict into loop tolerances and method hyperparameters."""
    options = dict(options or {})
    loop_names = {f.name for f in dataclasses.fields(LoopOptions)}
    method_names = {f.name for f in dataclasses.fields(method_options)}
    unknown = set(options) - loop_names - method_names
    if unknown:
        raise TypeError(
            f"unknown option(s) {sorted(unknown)} for method {method!r}; valid options are "
            f"{sorted(loop_names | method_names)}"
        )
    loop = dataclasses.replace(loop_defaults, **{k: v for k, v in options.items()
                                                 if k in loop_names})
    hyper = method_options(**{k: v for k, v in options.items() if k in method_names})
    return loop, hyper


def _finite_state(state: Any) -> bool:
    return (math.isfinite(state.fun) and bool(np.isfinite(state.jac).all())
            and bool(np.isfinite(state.x).all()))


class RunOutcome(NamedTuple):
    state: Any
    status: int
    nit: int
    history: dict


def run(method: Method, objective: Objective, x0: np.ndarray, hyper: Any, loop: LoopOptions,
        *, maxiter: int, box: Box | None = None, callback: Callable | None = None,
        progress: bool = False, report: Callable[[Any, int], OptimizeResult] | None = None,
        desc: str = "") -> RunOutcome:
    """Drive ``method`` from ``x0`` until a stopping rule fires.

    ``report(state, nit)`` builds the ``OptimizeResult`` handed to ``callback``.
    """
    history: dict[str, list] = {"energy": [], "grad_norm": [], "step_size": []}
    try:
        state = method.init(objective, x0, hyper, box)
    except BudgetExhausted:
        raise ValueError("maxfev must allow at least one evaluation") from None
    if not _finite_state(state):
        return RunOutcome(state, Status.BAD_START, 0, {k: np.zeros(0) for k in history})
    f0 = state.fun
    gnorm = projected_grad_norm(state.x, state.jac, box)
    history["energy"].append(f0)
    history["grad_norm"].append(gnorm)
    history["step_size"].append(0.0)
    bar = None
    if progress:
        bar = progress_bar(maxiter, desc or "minimize")
    status = Status.GTOL if gnorm <= loop.gtol else None
    nit = 0
    limit = f0 + loop.divergence * (1.0 + abs(f0))
    try:
        while status is None:
            if nit >= maxiter:
                status = Status.MAXITER
                break
            try:
                new = method.update(objective, state, hyper, box)
            except BudgetExhausted:
                status = Status.MAXFEV
                break
            if new.failed:
                status = Status.LINE_SEARCH
                break
            if not _finite_state(new):
                status = Status.NONFINITE
                break
            if new.fun > limit:
                status = Status.DIVERGED
                break
            nit += 1
            old, state = state, new
            gnorm = projected_grad_norm(state.x, state.jac, box)
            history["energy"].append(state.fun)
            history["grad_norm"].append(gnorm)
            history["step_size"].append(float(state.step_size))
            if bar is not None:
                bar.update(1)
                bar.set_postfix(f=f"{state.fun:.6g}", g=f"{gnorm:.2e}", refresh=False)
            if gnorm <= loop.gtol:
                status = Status.GTOL
            elif method.monotone and loop.ftol > 0 and (
                0.0 <= old.fun - state.fun
                <= loop.ftol * max(abs(old.fun), abs(state.fun), loop.ftol_floor)
            ):
                status = Status.FTOL
            elif loop.xtol > 0 and state.x.size and (
                np.max(np.abs(state.x - old.x))
                <= loop.xtol * (loop.xtol + np.max(np.abs(state.x)))
            ):
                status = Status.XTOL
            if callback is not None:
                try:
                    callback(report(state, nit) if report is not None else OptimizeResult(
                        x=state.x.copy(), fun=state.fun, jac=state.jac.copy(), nit=nit))
                except StopIteration:
                    status = Status.CALLBACK
    finally:
        if bar is not None:
            bar.close()
    return RunOutcome(state, status, nit, {k: np.asarray(v, dtype=float)
                                           for k, v in history.items()})


def status_fields(status: int) -> dict:
    """``success``, ``status``, ``message`` and ``stop_reason`` entries for a result."""
    reason, success, message = STATUS[status]
    return {"success": success, "status": status, "message": message, "stop_reason": reason}
