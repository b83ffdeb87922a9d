r"""Limited-memory BFGS with a strong-Wolfe line search.

The search direction :math:`d = -H_k g_k` comes from the two-loop recursion over the last
``memory`` pairs :math:`s_i = x_{i+1} - x_i`, :math:`y_i = g_{i+1} - g_i`, with the initial
matrix :math:`H^0 = \gamma I`, :math:`\gamma = s^\top y / y^\top y` of the newest pair.  Pairs
with non-positive curvature are skipped, so :math:`H_k` stays positive definite.  The first
step is scaled to length one; afterwards the unit step is tried first and usually accepted,
and the gradient at the accepted Wolfe point is reused by the next iteration.

Bounds are refused (use ``method="L-BFGS-B"``, forwarded to SciPy, or a projected method):
naively projecting quasi-Newton steps does not converge in general.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

from ._base import Method
from ._line_search import strong_wolfe

__all__ = ["LBFGSOptions", "LBFGSState", "lbfgs_init", "lbfgs_update", "LBFGS",
           "two_loop"]


@dataclasses.dataclass(frozen=True)
class LBFGSOptions:
    """``memory``: number of (s, y) pairs kept; ``c1``, ``c2``: Wolfe constants;
    ``max_line_search``: trial budget of one line search."""

    memory: int = 10
    c1: float = 1e-4
    c2: float = 0.9
    max_line_search: int = 30


class LBFGSState(NamedTuple):
    x: np.ndarray
    fun: float
    jac: np.ndarray
    step_size: float
    failed: bool
    s: tuple
    y: tuple
    rho: tuple


def two_loop(g: np.ndarray, s: tuple, y: tuple, rho: tuple) -> np.ndarray:
    """Return :math:`H g` for the L-BFGS inverse Hessian approximation (two-loop recursion)."""
    q = g.copy()
    alphas = []
    for s_i, y_i, rho_i in zip(reversed(s), reversed(y), reversed(rho)):
        a = rho_i * float(s_i @ q)
        q -= a * y_i
        alphas.append(a)
    if s:
        q *= float(s[-1] @ y[-1]) / float(y[-1] @ y[-1])
    for s_i, y_i, rho_i, a in zip(s, y, rho, reversed(alphas)):
        b = rho_i * float(y_i @ q)
        q += (a - b) * s_i
    return q


def lbfgs_init(objective, x0, opts: LBFGSOptions, box) -> LBFGSState:
    f, g = objective.value_and_grad(x0)
    return LBFGSState(x0, f, g, 0.0, False, (), (), ())


def lbfgs_update(objective, state: LBFGSState, opts: LBFGSOptions, box) -> LBFGSState:
    x, g = state.x, state.jac
    s, y, rho = state.s, state.y, state.rho
    direction = -two_loop(g, s, y, rho)
    if not float(g @ direction) < 0:  # lost positive definiteness numerically: restart
        s, y, rho = (), (), ()
        direction = -g
    # first step (or after a reset) of unit length, as in L-BFGS-B; afterwards the unit step
    step0 = 1.0 if s else 1.0 / max(float(np.linalg.norm(direction)), 1e-300)
    ls = strong_wolfe(objective.value_and_grad, x, state.fun, g, direction, step0,
                      c1=opts.c1, c2=opts.c2, max_trials=opts.max_line_search)
    if not ls.success:
        if s:  # retry once along the steepest descent direction with a fresh memory
            return lbfgs_update(objective, state._replace(s=(), y=(), rho=()), opts, box)
        return state._replace(failed=True)
    s_new = ls.x - x
    y_new = ls.jac - g
    sy = float(s_new @ y_new)
    if sy > 1e-10 * float(y_new @ y_new):
        keep = opts.memory - 1
        s = s[len(s) - keep:] + (s_new,) if keep > 0 else (s_new,)
        y = y[len(y) - keep:] + (y_new,) if keep > 0 else (y_new,)
        rho = rho[len(rho) - keep:] + (1.0 / sy,) if keep > 0 else (1.0 / sy,)
    return LBFGSState(ls.x, ls.fun, ls.jac, ls.step, False, s, y, rho)


LBFGS = Method(LBFGSOptions, lbfgs_init, lbfgs_update, monotone=True, default_maxiter=1000,
               supports_bounds=False)
