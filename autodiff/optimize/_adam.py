r"""Adam (Kingma & Ba) for stochastic or noisy objectives.

.. math::
    m_k = \beta_1 m_{k-1} + (1-\beta_1) g_k, \quad v_k = \beta_2 v_{k-1} + (1-\beta_2) g_k^2,
    \quad x_{k+1} = P\Big(x_k - \eta_k \frac{m_k / (1-\beta_1^k)}
    {\sqrt{v_k / (1-\beta_2^k)} + \epsilon}\Big)

``learning_rate`` is a number or a callable ``k -> eta_k`` of the iteration (0-based), e.g. a
decay schedule.  With bounds the step is projected onto the box.  One evaluation per
iteration; no line search (the objective may be noisy), so the ``ftol`` test is not applied.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ._base import Method

__all__ = ["AdamOptions", "AdamState", "adam_init", "adam_update", "ADAM"]


@dataclasses.dataclass(frozen=True)
class AdamOptions:
    """``learning_rate`` (float or callable of the iteration), ``beta1``, ``beta2``, ``eps``."""

    learning_rate: float | Callable[[int], float] = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8


class AdamState(NamedTuple):
    x: np.ndarray
    fun: float
    jac: np.ndarray
    step_size: float
    failed: bool
    m: np.ndarray
    v: np.ndarray
    k: int


def adam_init(objective, x0, opts: AdamOptions, box) -> AdamState:
    x = x0 if box is None else box.project(x0)
    f, g = objective.value_and_grad(x)
    zeros = np.zeros_like(x)
    return AdamState(x, f, g, 0.0, False, zeros, zeros, 0)


def adam_update(objective, state: AdamState, opts: AdamOptions, box) -> AdamState:
    k = state.k + 1
    g = state.jac
    lr = opts.learning_rate(state.k) if callable(opts.learning_rate) else opts.learning_rate
    m = opts.beta1 * state.m + (1.0 - opts.beta1) * g
    v = opts.beta2 * state.v + (1.0 - opts.beta2) * (g * g)
    m_hat = m / (1.0 - opts.beta1 ** k)
    v_hat = v / (1.0 - opts.beta2 ** k)
    x = state.x - float(lr) * m_hat / (np.sqrt(v_hat) + opts.eps)
    if box is not None:
        x = box.project(x)
    f, g_new = objective.value_and_grad(x)
    return AdamState(x, f, g_new, float(lr), False, m, v, k)


ADAM = Method(AdamOptions, adam_init, adam_update, monotone=False, default_maxiter=1000,
              supports_bounds=True)
