"""Gradient descent with a backtracking Armijo line search (or a fixed step).

With box bounds each step is projected: ``x+ = P(x - t g)`` and the Armijo test uses the
projected displacement (projected gradient descent, sound for any box).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

from ._base import Method
from ._line_search import backtracking

__all__ = ["GDOptions", "GDState", "gd_init", "gd_update", "GD"]


@dataclasses.dataclass(frozen=True)
class GDOptions:
    """``step_size``: fixed step (no line search) if given; ``initial_step``: first trial
    step; ``grow``: factor applied to the last accepted step to start the next search;
    ``c1``: Armijo constant."""

    step_size: float | None = None
    initial_step: float = 1.0
    grow: float = 2.0
    c1: float = 1e-4


class GDState(NamedTuple):
    x: np.ndarray
    fun: float
    jac: np.ndarray
    step_size: float
    failed: bool = False


def gd_init(objective, x0, opts: GDOptions, box) -> GDState:
    x = x0 if box is None else box.project(x0)
    f, g = objective.value_and_grad(x)
    step = opts.step_size if opts.step_size is not None else opts.initial_step / opts.grow
    return GDState(x, f, g, step)


def gd_update(objective, state: GDState, opts: GDOptions, box) -> GDState:
    x, g = state.x, state.jac
    if opts.step_size is not None:
        x_new = x - opts.step_size * g
        if box is not None:
            x_new = box.project(x_new)
        f, g_new = objective.value_and_grad(x_new)
        return GDState(x_new, f, g_new, opts.step_size)
    ls = backtracking(objective.value_and_grad, x, state.fun, g, -g,
                      state.step_size * opts.grow, c1=opts.c1,
                      project=None if box is None else box.project)
    if not ls.success:
        return state._replace(failed=True)
    return GDState(ls.x, ls.fun, ls.jac, ls.step)


GD = Method(GDOptions, gd_init, gd_update, monotone=True, default_maxiter=10000,
            supports_bounds=True)
