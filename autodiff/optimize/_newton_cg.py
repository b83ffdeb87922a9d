r"""Truncated Newton (Newton-CG): CG on :math:`H p = -g` with Hessian-vector products.

The Hessian is never formed: each CG iteration costs one ``hvp`` (forward-over-reverse AD).
CG stops at the forcing tolerance :math:`\|H p + g\| \le \min(1/2, \sqrt{\|g\|_1})\,\|g\|`
(superlinear convergence, Nocedal & Wright Alg. 7.1; the L1 norm in the forcing term as in
SciPy's Newton-CG), or on negative curvature, where the
last direction of descent is used (steepest descent if it happens at once).  The step is
then found by a strong-Wolfe line search starting at the unit step.  Bounds are refused.
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

import numpy as np

from ._base import Method
from ._line_search import strong_wolfe

__all__ = ["NewtonCGOptions", "NewtonCGState", "newton_cg_init", "newton_cg_update",
           "NEWTON_CG", "truncated_cg"]


@dataclasses.dataclass(frozen=True)
class NewtonCGOptions:
    """``cg_maxiter``: CG iterations per Newton step (default ``min(20 n, 500)``);
    ``c1``, ``c2``: Wolfe constants; ``max_line_search``."""

    cg_maxiter: int | None = None
    c1: float = 1e-4
    c2: float = 0.9
    max_line_search: int = 30


class NewtonCGState(NamedTuple):
    x: np.ndarray
    fun: float
    jac: np.ndarray
    step_size: float
    failed: bool
    cg_iterations: int


def truncated_cg(hvp, g: np.ndarray, tol: float,
                 maxiter: int) -> tuple[np.ndarray, int, bool]:
    """Approximately solve ``H p = -g`` by CG.

    Returns ``(p, iterations, steepest)``; ``steepest`` is True when negative curvature was
    met at once and ``p = -g`` is a steepest-descent fallback.
    """
    p = np.zeros_like(g)
    r = g.copy()               # residual H p + g
    d = -r
    rr = float(r @ r)
    for j in range(maxiter):
        hd = hvp(d)
        curvature = float(d @ hd)
        if not curvature > 1e-12 * float(d @ d) or not math.isfinite(curvature):
            return (-g.copy() if j == 0 else p), j + 1, j == 0
        alpha = rr / curvature
        p = p + alpha * d
        r = r + alpha * hd
        rr_new = float(r @ r)
        if math.sqrt(rr_new) <= tol:
            return p, j + 1, False
        d = -r + (rr_new / rr) * d
        rr = rr_new
    return p, maxiter, False


def newton_cg_init(objective, x0, opts: NewtonCGOptions, box) -> NewtonCGState:
    f, g = objective.value_and_grad(x0)
    return NewtonCGState(x0, f, g, 0.0, False, 0)


def newton_cg_update(objective, state: NewtonCGState, opts: NewtonCGOptions,
                     box) -> NewtonCGState:
    x, g = state.x, state.jac
    gnorm = float(np.linalg.norm(g))
    maxcg = opts.cg_maxiter or min(20 * g.size, 500)
    # forcing term eta = min(1/2, sqrt(|g|_1)) as in SciPy's Newton-CG (with the L1 norm it
    # relaxes sooner than with the L2 norm in many dimensions: fewer Hessian products)
    eta = min(0.5, math.sqrt(float(np.sum(np.abs(g)))))
    direction, iters, steepest = truncated_cg(lambda v: objective.hvp(x, v), g,
                                              eta * gnorm, maxcg)
    step0 = 1.0
    if steepest or not float(g @ direction) < 0:
        # steepest descent fallback (negative curvature at once): no natural step length
        direction = -g
        step0 = min(1.0, 1.0 / max(gnorm, 1e-300))
    ls = strong_wolfe(objective.value_and_grad, x, state.fun, g, direction, step0,
                      c1=opts.c1, c2=opts.c2, max_trials=opts.max_line_search)
    if not ls.success:
        return state._replace(failed=True)
    return NewtonCGState(ls.x, ls.fun, ls.jac, ls.step, False, state.cg_iterations + iters)
NEWTON_CG = Method(NewtonCGOptions, newton_cg_init, newton_cg_update, monotone=True,
                   default_maxiter=500, supports_bounds=False)
