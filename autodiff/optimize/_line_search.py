"""Line searches: backtracking Armijo (optionally projected) and strong Wolfe.

Both evaluate value and gradient together at each trial (one reverse sweep) and hand back the
gradient at the accepted point, so the next iteration starts without another evaluation.  A
trial whose energy or slope is NaN/inf is treated as "too far" and the step shrinks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

__all__ = ["LineSearchResult", "backtracking", "strong_wolfe", "ROUNDING"]

#: Relative size of the rounding error assumed in energy values (approximate Wolfe test).
ROUNDING = 1e-12


class LineSearchResult(NamedTuple):
    """Accepted step ``step``, point ``x``, energy ``fun``, gradient ``jac``; ``success``."""

    step: float
    x: np.ndarray
    fun: float
    jac: np.ndarray
    success: bool


def _finite(f: float, g: np.ndarray) -> bool:
    return math.isfinite(f) and bool(np.isfinite(g).all())


def backtracking(value_and_grad: Callable, x: np.ndarray, f: float, g: np.ndarray,
                 direction: np.ndarray, step: float, *, c1: float = 1e-4,
                 shrink: float = 0.5, max_trials: int = 40,
                 project: Callable | None = None) -> LineSearchResult:
    r"""Backtrack from ``step`` until the Armijo condition holds.

    .. math:: f(x_t) \le f(x) + c_1\, g^\top (x_t - x), \qquad x_t = P(x + t\,d)

    where ``P`` is the projection (identity without bounds), or, when the change of ``f`` is
    below its rounding error, a smaller gradient norm.  Without projection the next
    trial comes from the minimizer of the quadratic interpolant, safeguarded to
    ``[0.1 t, shrink t]``.
    """
    slope = float(g @ direction)
    if not slope < 0:
        return LineSearchResult(0.0, x, f, g, False)
    for _ in range(max_trials):
        x_t = x + step * direction
        if project is not None:
            x_t = project(x_t)
            decrease = float(g @ (x_t - x))
            if decrease == 0.0:
                break
        else:
            decrease = step * slope
        f_t, g_t = value_and_grad(x_t)
        if _finite(f_t, g_t) and (
            f_t <= f + c1 * decrease
            # rounding regime: the energy cannot resolve the decrease, the gradient can
            or f_t <= f + ROUNDING * abs(f) and float(g_t @ g_t) < float(g @ g)
        ):
            return LineSearchResult(step, x_t, f_t, g_t, True)
        if not math.isfinite(f_t):
            step *= 0.1
        elif project is None:
            denom = 2.0 * (f_t - f - slope * step)
            trial = -slope * step * step / denom if denom > 0 else shrink * step
            step = min(max(trial, 0.1 * step), shrink * step)
        else:
            step *= shrink
    return LineSearchResult(0.0, x, f, g, False)


def _cubic_min(a: float, fa: float, da: float, b: float, fb: float, db: float) -> float:
    """Minimizer of the cubic matching values and slopes at a and b (nan if none)."""
    if a == b:
        return math.nan
    d1 = da + db - 3.0 * (fa - fb) / (a - b)
    disc = d1 * d1 - da * db
    if not disc >= 0:
        return math.nan
    d2 = math.copysign(math.sqrt(disc), b - a)
    denom = db - da + 2.0 * d2
    if denom == 0:
        return math.nan
    return b - (b - a) * (db + d2 - d1) / denom


def strong_wolfe(value_and_grad: Callable, x: np.ndarray, f0: float, g0: np.ndarray,
                 direction: np.ndarray, step: float, *, c1: float = 1e-4, c2: float = 0.9,
                 max_trials: int = 30, step_max: float = 1e20) -> LineSearchResult:
    r"""Find a step satisfying the strong Wolfe conditions (Nocedal & Wright, Alg. 3.5/3.6).

    .. math::
        f(x + t d) \le f(x) + c_1 t\, g^\top d, \qquad |\nabla f(x + t d)^\top d| \le c_2 |g^\top d|

    Bracketing extrapolates by cubic interpolation (clamped to ``[1.5 t, 4 t]``); ``zoom``
    uses safeguarded cubic interpolation.  If the trial budget runs out after some point with
    sufficient decrease was found, that point is returned (``success`` True): the energy went
    down, only the curvature condition is missing.

    Close to a minimizer the decrease :math:`c_1 t g^\top d` drowns in the rounding error of
    ``f``; a trial with :math:`f(x + t d) \le f(x) + 10^{-12} |f(x)|` that meets the curvature
    condition is then accepted (the approximate Wolfe conditions of Hager & Zhang), so
    tight gradient tolerances stay reachable.
    """
    d0 = float(g0 @ direction)
    if not d0 < 0:
        return LineSearchResult(0.0, x, f0, g0, False)
    armijo = c1 * d0
    curvature = -c2 * d0
    rounding = ROUNDING * abs(f0)

    def probe(t):
        """Evaluate the trial step t: point, energy, gradient, finiteness, slope."""
        x_t = x + t * direction
        f_t, g_t = value_and_grad(x_t)
        finite = _finite(f_t, g_t)
        return x_t, f_t, g_t, finite, float(g_t @ direction) if finite else math.nan

    # best point with sufficient decrease seen so far (the "lo" end)
    lo_t, lo_f, lo_d, lo_x, lo_g = 0.0, f0, d0, x, g0
    hi = None
    trials = 0
    t = step
    # bracketing phase
    while trials < max_trials:
        x_t, f_t, g_t, finite, d_t = probe(t)
        trials += 1
        if finite and f_t <= f0 + rounding and abs(d_t) <= curvature:
            return LineSearchResult(t, x_t, f_t, g_t, True)  # approximate Wolfe point
        if not finite or f_t > f0 + armijo * t or f_t >= lo_f and lo_t > 0:
            hi = (t, f_t, d_t) if finite else (t, math.inf, math.nan)
            break
        if abs(d_t) <= curvature:
            return LineSearchResult(t, x_t, f_t, g_t, True)
        if d_t >= 0:
            hi = (lo_t, lo_f, lo_d)
            lo_t, lo_f, lo_d, lo_x, lo_g = t, f_t, d_t, x_t, g_t
            break
        prev_t, prev_f, prev_d = lo_t, lo_f, lo_d
        lo_t, lo_f, lo_d, lo_x, lo_g = t, f_t, d_t, x_t, g_t
        if t >= step_max:
            return LineSearchResult(t, x_t, f_t, g_t, True)
        guess = _cubic_min(prev_t, prev_f, prev_d, t, f_t, d_t)
        if not (guess > t):
            guess = 4.0 * t
        t = min(max(guess, 1.5 * t), 4.0 * t, step_max)
    # zoom phase: lo has sufficient decrease, the minimizer lies between lo and hi
    while hi is not None and trials < max_trials:
        hi_t, hi_f, hi_d = hi
        width = abs(hi_t - lo_t)
        if width <= 1e-14 * max(abs(lo_t), abs(hi_t)):
            break
        t = math.nan
        if math.isfinite(hi_f) and math.isfinite(hi_d):
            t = _cubic_min(lo_t, lo_f, lo_d, hi_t, hi_f, hi_d)
        a, b = min(lo_t, hi_t), max(lo_t, hi_t)
        if not (a + 0.1 * width <= t <= b - 0.1 * width):
            t = 0.5 * (lo_t + hi_t)
        x_t, f_t, g_t, finite, d_t = probe(t)
        trials += 1
        if finite and f_t <= f0 + rounding and abs(d_t) <= curvature:
            return LineSearchResult(t, x_t, f_t, g_t, True)
        if not finite or f_t > f0 + armijo * t or f_t >= lo_f:
            hi = (t, f_t, d_t) if finite else (t, math.inf, math.nan)
            continue
        if abs(d_t) <= curvature:
            return LineSearchResult(t, x_t, f_t, g_t, True)
        if d_t * (hi_t - lo_t) >= 0:
            hi = (lo_t, lo_f, lo_d)
        lo_t, lo_f, lo_d, lo_x, lo_g = t, f_t, d_t, x_t, g_t
    if lo_t > 0 and lo_f < f0:
        return LineSearchResult(lo_t, lo_x, lo_f, lo_g, True)
    return LineSearchResult(0.0, x, f0, g0, False)
