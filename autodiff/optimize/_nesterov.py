r"""Nesterov's accelerated gradient (FISTA form) with backtracking and adaptive restart.

Iteration, with :math:`L` a local Lipschitz estimate found by backtracking and ``P`` the box
projection (identity without bounds):

.. math::
    x_{k+1} = P(y_k - \nabla f(y_k) / L), \quad
    t_{k+1} = \tfrac12 (1 + \sqrt{1 + 4 t_k^2}), \quad
    y_{k+1} = x_{k+1} + \tfrac{t_k - 1}{t_{k+1}} (x_{k+1} - x_k)

Momentum is restarted (``t = 1``, ``y = x``) when the gradient-mapping test of O'Donoghue &
Candes fires, :math:`L (y_k - x_{k+1})^\top (x_{k+1} - x_k) > 0`, or when the energy rises.
With bounds every point is projected, which keeps the method sound (accelerated projected
gradient).  ``L`` is allowed to shrink by ``1/grow`` each iteration so the step adapts.
When the energy change is within rounding error the backtracking test switches to the
gradient form of the Lipschitz bound, :math:`\|\nabla f(x_{k+1}) - \nabla f(y_k)\| \le
L \|x_{k+1} - y_k\|`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

import numpy as np

from ._base import Method
from ._line_search import ROUNDING

__all__ = ["NesterovOptions", "NesterovState", "nesterov_init", "nesterov_update", "NESTEROV"]


@dataclasses.dataclass(frozen=True)
class NesterovOptions:
    """``step_size``: fixed step 1/L (no backtracking) if given; ``initial_step``: first
    trial step; ``grow``: factor on the step at each iteration; ``max_backtracks``;
    ``restart``: adaptive restart on/off."""

    step_size: float | None = None
    initial_step: float = 1.0
    grow: float = 1.25
    max_backtracks: int = 40
    restart: bool = True


class NesterovState(NamedTuple):
    x: np.ndarray
    fun: float
    jac: np.ndarray
    step_size: float
    failed: bool
    y: np.ndarray
    fun_y: float
    jac_y: np.ndarray
    t: float


def nesterov_init(objective, x0, opts: NesterovOptions, box) -> NesterovState:
    x = x0 if box is None else box.project(x0)
    f, g = objective.value_and_grad(x)
    step = opts.step_size if opts.step_size is not None else opts.initial_step / opts.grow
    return NesterovState(x, f, g, step, False, x, f, g, 1.0)


def nesterov_update(objective, state: NesterovState, opts: NesterovOptions,
                    box) -> NesterovState:
    y, f_y, g_y = state.y, state.fun_y, state.jac_y
    fixed = opts.step_size is not None
    step = opts.step_size if fixed else state.step_size * opts.grow
    for _ in range(1 if fixed else opts.max_backtracks):
        x_new = y - step * g_y
        if box is not None:
            x_new = box.project(x_new)
        f_new, g_new = objective.value_and_grad(x_new)
        if fixed:
            break
        diff = x_new - y
        if math.isfinite(f_new):
            if f_new <= f_y + float(g_y @ diff) + float(diff @ diff) / (2.0 * step):
                break
            # rounding regime: f cannot resolve the test; check the local Lipschitz
            # bound on the gradient instead, step * |g(x+) - g(y)| <= |x+ - y|
            dg = g_new - g_y
            if (abs(f_new - f_y) <= 1e3 * ROUNDING * abs(f_y)
                    and step * step * float(dg @ dg) <= float(diff @ diff)):
                break
        step *= 0.5
    else:
        return state._replace(failed=True)
    dx = x_new - state.x
    restart = opts.restart and (float((y - x_new) @ dx) > 0 or f_new > state.fun)
    if restart:
        t_new = 1.0
        y_new, f_y_new, g_y_new = x_new, f_new, g_new
    else:
        t_new = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * state.t * state.t))
        y_new = x_new + ((state.t - 1.0) / t_new) * dx
        if box is not None:
            y_new = box.project(y_new)
        if state.t == 1.0:
            f_y_new, g_y_new = f_new, g_new  # zero momentum: y_new is x_new
        else:
            f_y_new, g_y_new = objective.value_and_grad(y_new)
            if not (math.isfinite(f_y_new) and np.isfinite(g_y_new).all()):
                t_new, y_new, f_y_new, g_y_new = 1.0, x_new, f_new, g_new
    return NesterovState(x_new, f_new, g_new, step, False, y_new, f_y_new, g_y_new, t_new)


NESTEROV = Method(NesterovOptions, nesterov_init, nesterov_update, monotone=False,
                  default_maxiter=10000, supports_bounds=True)
