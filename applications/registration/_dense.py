r"""Dense displacement-field registration: Gauss-Newton warping, or L-BFGS with AD gradients.

Each level minimises

.. math:: E(u) = \tfrac{N}{2} \sum_x r\big(M(x + u(x)), F(x)\big)^2
          + \tfrac{\alpha}{2} R(u)

over the displacement field :math:`u` (one vector per pixel), with :math:`r` the
metric's residual and :math:`R` the diffusion or curvature energy.  With ``ssd`` the
default solver is Gauss-Newton: the warped image is linearised around the current
field with the compiled spline value and gradient of :mod:`._interp`, and the
regularised normal equations (a sparse, symmetric positive definite system) are
solved by a few preconditioned conjugate-gradient sweeps; a few such warps per level
reach the energy L-BFGS reaches in hundreds of iterations.  L-BFGS (``ncc``, or on
request) takes its gradient from one reverse sweep whose interpolation part is the
same compiled coordinate-gradient kernel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import scipy.optimize

import autodiff as ad
from autodiff.optimize import minimize

from . import _metrics
from ._driver import LevelOutcome, Stopped, coarse_to_fine, inside, per_level, prepare
from ._interp import SplineImage, sample
from ._pyramid import upsample_flow
from ._result import IterationInfo, RegistrationResult
from ._transforms import coordinates, get_model, identity_grid, params_from_matrix

__all__ = ["register_dense", "DENSE_METHODS", "REGULARIZERS"]

DENSE_METHODS = ("gauss-newton", "lbfgs", "L-BFGS-B")
_CG_ITERATIONS = 30  # conjugate-gradient sweeps per Gauss-Newton iteration (inexact Newton)
_CG_RTOL = 0.05  # relative residual at which a CG solve stops early
_START_FACTOR = 2.0  # a Gauss-Newton step starts at this times the last accepted fraction
_HALVINGS = 8  # step halvings before a Gauss-Newton direction is declared useless
_GN_TOL = 1e-3  # pixels: a Gauss-Newton step that moves no pixel more is converged
# affine initialisation of the dense field: solved on coarse levels only (the field
# refines it), so that no fine-level budget goes to a parametric fit that has stopped
# improving
_AFFINE_INIT_MAX_SIZE = 256
_WINDOW = 5  # iterations over which the relative energy decrease is measured


def _diffusion(u):
    """Sum of squared forward differences of every component (Neumann boundary)."""
    total = 0.0
    for axis in range(1, u.ndim):
        d = np.diff(u, axis=axis)
        total = total + np.sum(d * d)
    return total


def _curvature(u):
    """Sum of squared second differences (bending energy, pure second derivatives)."""
    total = 0.0
    for axis in range(1, u.ndim):
        d = np.diff(u, n=2, axis=axis)
        total = total + np.sum(d * d)
    return total


REGULARIZERS = {"diffusion": _diffusion, "curvature": _curvature}
_DIFF_ORDER = {"diffusion": 1, "curvature": 2}  # np.diff order of each regulariser


class _Smoothness:
    r"""The regulariser as a linear operator: :math:`L u = \sum_k D_k^T D_k u` per component.

    ``D_k`` is ``np.diff`` of order 1 (diffusion) or 2 (curvature) along axis ``k``,
    so that :math:`\nabla \tfrac12 R(u) = L u` for the energies above.
    """

    def __init__(self, shape: tuple, regularizer: str):
        from math import comb

        self.order = n = _DIFF_ORDER[regularizer]
        self.coefficients = [(-1) ** (n - j) * comb(n, j) for j in range(n + 1)]
        # diagonal of L (a preconditioner): column sums of the squared 1-D difference
        # matrices (the squared stencil summed over the rows that reach a pixel), one
        # per axis, broadcast on the grid
        squares = np.square(np.asarray(self.coefficients, dtype=float))
        diag = np.zeros(shape)
        for axis, size in enumerate(shape):
            column = np.convolve(np.ones(max(size - n, 0)), squares)[:size]
            diag += column.reshape((-1,) + (1,) * (len(shape) - axis - 1))
        self.diagonal = diag

    def energy(self, u: np.ndarray) -> float:
        return float(sum(np.sum(np.diff(u, n=self.order, axis=axis) ** 2)
                         for axis in range(1, u.ndim)))

    def apply(self, u: np.ndarray) -> np.ndarray:
        """``L u`` for a field ``u`` of shape ``(d,) + shape``."""
        out = np.zeros_like(u)
        n = self.order
        for axis in range(1, u.ndim):
            d = np.diff(u, n=n, axis=axis)
            m = d.shape[axis]
            for j, c in enumerate(self.coefficients):
                index = [slice(None)] * u.ndim
                index[axis] = slice(j, j + m)
                out[tuple(index)] += c * d
        return out


def _displacement_level(fixed, moving, u0, *, metric: str, alpha: float, max_iter: int,
                        order: int, method: str, level: int, callback, regularizer: str,
                        rtol: float, full_size: int):
    spline = SplineImage(moving, order)
    grid = identity_grid(fixed.shape)
    mask = inside(grid + u0, moving.shape)
    shape = u0.shape
    scale = float(fixed.size)  # data term in sum-of-squares units
    smoothness = REGULARIZERS[regularizer]

    def field(flat_v):
        return u0 + np.reshape(flat_v, shape)

    def energy(flat_v):
        u = field(flat_v)
        warped = sample(grid + u, image=spline)
        r = _metrics.residuals(metric, warped, fixed, mask)
        return 0.5 * scale * np.sum(r * r) + 0.5 * alpha * smoothness(u)

    costs: list[float] = []
    # cost-aware test: an iteration here costs (level pixels / full pixels) of a
    # full-resolution one, so coarse levels are solved tighter than fine ones
    level_rtol = rtol * fixed.size / full_size
    state = {"window_stop": False}

    def on_iteration(xk, cost=float("nan")):
        costs.append(float(cost))
        if callback is not None:
            try:
                callback(IterationInfo(level=level, iteration=len(costs), cost=float(cost),
                                       params=None))
            except StopIteration:
                raise Stopped((np.asarray(field(xk)), len(costs), float(cost))) from None
        if len(costs) > _WINDOW and costs[-_WINDOW - 1] - costs[-1] < level_rtol * abs(
                costs[-_WINDOW - 1]):
            state["window_stop"] = (f"energy fell by < {level_rtol:.2g} (relative) over the "
                                    f"last {_WINDOW} iterations")
            raise StopIteration

    if max_iter <= 0:
        return u0, LevelOutcome(0, float(energy(np.zeros(u0.size))), "budget",
                                "no iterations allowed")
    if method == "lbfgs":
        res = minimize(energy, np.zeros(u0.size), method="lbfgs", maxiter=max_iter, tol=1e-10,
                       callback=lambda info: on_iteration(info.x, info.fun),
                       options={"ftol": 1e-12, "ftol_floor": 0.0})
        budget = res.stop_reason == "maxiter"
    else:
        def scipy_callback(intermediate_result):
            on_iteration(intermediate_result.x, intermediate_result.fun)

        res = scipy.optimize.minimize(ad.value_and_grad(energy), np.zeros(u0.size), jac=True,
                                      method="L-BFGS-B", callback=scipy_callback,
                                      options={"maxiter": max_iter, "ftol": 1e-12,
                                               "gtol": 1e-10, "maxcor": 20})
        budget = res.status == 1
    if state["window_stop"]:
        reason, message = "converged", state["window_stop"]
    elif budget:
        reason, message = "budget", str(res.message)
    else:
        reason, message = ("converged" if res.success else "stalled"), str(res.message)
    return np.asarray(field(res.x)), LevelOutcome(len(costs), float(res.fun), reason, message)


def _conjugate_gradient(apply, b: np.ndarray, precondition, *, max_iter: int,
                        rtol: float) -> np.ndarray:
    """Preconditioned conjugate gradients for ``apply(x) = b`` from ``x = 0``."""
    x = np.zeros_like(b)
    r = b.copy()
    z = precondition(r)
    p = z.copy()
    rz = float(np.vdot(r, z))
    stop = (rtol * rtol) * float(np.vdot(b, b))
    for _ in range(max_iter):
        if rz <= 0.0:
            break  # zero right-hand side (or residual): nothing left to solve
        q = apply(p)
        curvature = float(np.vdot(p, q))
        if curvature <= 0.0:
            break  # a direction the (semi-definite) operator does not see
        step = rz / curvature
        x += step * p
        r -= step * q
        if float(np.vdot(r, r)) <= stop:
            break
        z = precondition(r)
        rz_new = float(np.vdot(r, z))
        p *= rz_new / rz
        p += z
        rz = rz_new
    return x


def _gauss_newton_level(fixed, moving, u0, *, alpha: float, max_iter: int, order: int,
                        level: int, callback, regularizer: str, rtol: float,
                        full_size: int):
    r"""Gauss-Newton on the warped image (the classic "warping" scheme of optical flow).

    Around the current field the warped image is linearised,
    :math:`M(x + u + \delta) \approx w + g^T \delta` with the compiled spline value
    ``w`` and gradient ``g``, and the regularised normal equations

    .. math:: (\kappa\, m\, g g^T + \alpha L)\, \delta
              = -\kappa\, m\, (w - F)\, g - \alpha L u

    are solved by conjugate gradients, preconditioned by the per-pixel block
    (Sherman-Morrison on :math:`\alpha\, \mathrm{diag}(L) + \kappa m g g^T`).
    The step is halved until the energy decreases.  One iteration costs one
    spline value and gradient evaluation plus the (cheap, local) CG sweeps.
    """
    spline = SplineImage(moving, order)
    grid = identity_grid(fixed.shape)
    mask = inside(grid + u0, moving.shape)
    # data term 0.5 * N * sum(r^2), r = sqrt(m / count) (w - f): per-pixel weight m N / count
    weight = mask * (fixed.size / max(float(np.sum(mask)), 1.0))
    smooth = _Smoothness(fixed.shape, regularizer)
    level_rtol = rtol * fixed.size / full_size

    def energy(u, warped):
        r = warped - fixed
        return 0.5 * float(np.sum(weight * r * r)) + 0.5 * alpha * smooth.energy(u)

    u = np.array(u0, dtype=float)
    warped = spline.values(grid + u)
    cost = energy(u, warped)
    if max_iter <= 0:
        return u, LevelOutcome(0, cost, "budget", "no iterations allowed")
    reason, message, it = "budget", "iteration budget spent", 0
    diag_reg = alpha * smooth.diagonal + 1e-12
    last_step = 1.0
    while it < max_iter:
        it += 1
        g = spline.gradient(grid + u)
        wg = weight * g  # (d,) + shape
        b = -(wg * (warped - fixed) + alpha * smooth.apply(u))
        denominator = diag_reg + np.sum(wg * g, axis=0)

        def apply(v):
            return wg * np.sum(g * v, axis=0) + alpha * smooth.apply(v)

        def precondition(v):
            # (c I + a a^T)^-1 v = (v - a (a . v) / (c + a . a)) / c, a^T a = m k |g|^2
            return (v - wg * (np.sum(g * v, axis=0) / denominator)) / diag_reg

        delta = _conjugate_gradient(apply, b, precondition, max_iter=_CG_ITERATIONS,
                                    rtol=_CG_RTOL)
        # start from twice the last accepted step: where the linearisation holds only
        # for part of the Gauss-Newton step, the halvings are not paid again every time
        step = min(1.0, _START_FACTOR * last_step)
        for _ in range(_HALVINGS):
            trial = u + step * delta
            warped_trial = spline.values(grid + trial)
            cost_trial = energy(trial, warped_trial)
            if cost_trial < cost:
                break
            step *= 0.5
        else:
            reason, message = "converged", "no step along the Gauss-Newton direction " \
                "lowers the energy (at a minimum)"
            it -= 1
            break
        last_step = step
        relative = (cost - cost_trial) / max(abs(cost), 1e-300)
        moved = step * float(np.max(np.sqrt(np.sum(delta * delta, axis=0))))
        u, warped, cost = trial, warped_trial, cost_trial
        if callback is not None:
            try:
                callback(IterationInfo(level=level, iteration=it, cost=cost, params=None))
            except StopIteration:
                raise Stopped((u, it, cost)) from None
        if relative < level_rtol:
            reason, message = "converged", (f"energy fell by < {level_rtol:.2g} (relative) "
                                            "in the last iteration")
            break
        if moved < _GN_TOL:
            reason, message = "converged", f"the last step moved no pixel more than {_GN_TOL} px"
            break
    return u, LevelOutcome(it, cost, reason, message)


def _default_iterations(n_solved: int, method: str) -> list[int]:
    """Many cheap iterations on coarse levels, fewer on the expensive fine ones."""
    budget = {0: 30, 1: 50} if method == "gauss-newton" else {0: 60, 1: 100}
    coarse = 100 if method == "gauss-newton" else 300
    return [budget.get(k, coarse) for k in range(n_solved - 1, -1, -1)]


def _initial_flow(fixed, moving, initial, *, metric, levels, order, tol, max_size):
    from ._parametric import initial_translation, register_parametric

    ndim = fixed.ndim
    center = (np.asarray(fixed.shape, dtype=float) - 1.0) / 2.0
    if isinstance(initial, str) and initial == "affine":
        init_size = _AFFINE_INIT_MAX_SIZE if max_size is None else min(max_size,
                                                                        _AFFINE_INIT_MAX_SIZE)
        initial = register_parametric(fixed, moving, transform="affine",
                                      metric=metric, levels=levels, initial="phase",
                                      order=order, tol=tol, max_size=init_size, warn=False)
    if isinstance(initial, RegistrationResult):
        return initial.flow
    if isinstance(initial, np.ndarray):
        if initial.shape != (ndim + 1,) * 2:
            raise ValueError(f"initial matrix must have shape {(ndim + 1,) * 2}, "
                             f"got {initial.shape}")
        affine = get_model("affine")
        grid = identity_grid(fixed.shape)
        return coordinates(affine, params_from_matrix(affine, initial, center), grid, center,
                           1.0) - grid
    if isinstance(initial, str) and initial in ("phase", "identity"):
        t = initial_translation(fixed, moving, initial)
        return np.broadcast_to(t.reshape((-1,) + (1,) * ndim), (ndim,) + fixed.shape)
    raise ValueError(f"initial must be 'phase', 'identity', 'affine', a matrix or a "
                     f"RegistrationResult, got {initial!r}")


def register_dense(fixed, moving, *, metric: str = "ssd", alpha: float = 5e-4,
                   regularizer: str = "diffusion", levels: int | None = None,
                   max_size: int | None = None, initial=None, method: str | None = None,
                   max_iter: int | Sequence[int] | None = None, order: int = 3,
                   smooth: float = 1.5, tol: float = 1e-2, rtol: float = 1e-2,
                   callback: Callable[[IterationInfo], None] | None = None,
                   level_callback: Callable[[dict], None] | None = None,
                   progress: bool = False, warn: bool = True) -> RegistrationResult:
    r"""Register ``moving`` onto ``fixed`` with a dense displacement field.

    Minimises, coarse to fine on a Gaussian pyramid,

    .. math:: E(u) = \tfrac12 \sum_x m(x)\, \rho\big(M(x + u(x)), F(x)\big)
              + \tfrac{\alpha}{2} \sum_{d,k} (\partial_k u_d)^2

    (the data term counted in pixels: ``N`` times the mean), or with
    ``regularizer='curvature'`` the squared second differences.  Each level is
    solved by Gauss-Newton (``ssd``: linearised warps, the regularised normal
    equations by preconditioned conjugate gradients) or by L-BFGS with reverse-mode
    gradients (``ncc``), started from an affine registration solved on the coarse
    levels only.

    Parameters
    ----------
    fixed, moving : ndarray, shape (M, N) or (P, M, N)
        Grey-level images of equal shape (integers are scaled to [0, 1]).
    metric : {'ssd', 'ncc'}
        Squared differences or z-scored differences (brightness/contrast invariant).
    alpha : float, optional
        Weight of the smoothness regulariser.
    regularizer : {'diffusion', 'curvature'}, optional
        Smoothness energy of the field.
    levels : int, optional
        Pyramid levels (default: coarsest side about 24-48 pixels).
    max_size : int, optional
        Longest side of the finest level solved; the field of that level is
        upsampled to full resolution. Bounds time and memory (the tape holds a few
        arrays of the level's size). Default: solve every level.
    initial : {'affine', 'phase', 'identity'} or ndarray or RegistrationResult, optional
        An affine registration (default), a phase-correlation translation, zero, a
        homogeneous matrix or a previous result (its flow).
    method : {'gauss-newton', 'lbfgs', 'L-BFGS-B'}, optional
        Gauss-Newton warping (default for ``ssd``; ``ssd`` only), ``autodiff.optimize``
        L-BFGS (default for ``ncc``) or SciPy's L-BFGS-B.
    max_iter : int or sequence of int, optional
        Iterations per solved level (a sequence lists them coarse to fine). Default:
        Gauss-Newton 100 per coarse level, 50 on level 1, 30 at full resolution;
        L-BFGS 300, 100 and 60.
    order : {1, 3}, optional
        Interpolation order of the moving image during the optimisation.
    smooth : float, optional
        Gaussian pre-smoothing (sigma, pixels) of both images (0 turns it off).
    tol : float, optional
        Tolerance of the affine initialisation (corner motion, pixels).
    rtol : float, optional
        Stop a level when the energy fell by less than ``rtol * n_level / n_full``
        (relative) in the last Gauss-Newton iteration, or over the last 5 L-BFGS
        iterations, ``n`` being pixel counts: the test
        weighs an iteration's gain against its cost, so the cheap coarse levels
        (which set the large displacements) are solved tightly and the expensive
        full-resolution level stops as soon as it only polishes.
    callback, level_callback, progress, warn
        As in :func:`register_parametric`.

    Returns
    -------
    RegistrationResult
        ``matrix`` and ``params`` are None; ``flow`` is the field.

    Examples
    --------
    >>> import numpy as np, scipy.ndimage as ndi
    >>> rng = np.random.default_rng(0)
    >>> fixed = ndi.gaussian_filter(rng.random((48, 48)), 2.0)
    >>> moving = ndi.shift(fixed, (0.5, -0.5), order=3, mode="nearest")
    >>> res = register_dense(fixed, moving, max_iter=60, warn=False)
    >>> bool(np.abs(res.flow[:, 8:-8, 8:-8].mean(axis=(1, 2)) - [0.5, -0.5]).max() < 0.05)
    True
    """
    if metric in _metrics.SCALAR_METRICS:
        raise ValueError(f"metric {metric!r} is available for parametric transforms only; "
                         "use 'ssd' or 'ncc' for 'displacement'")
    if metric not in _metrics.METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose one of {sorted(_metrics.METRICS)}")
    if order not in (1, 3):
        raise ValueError(f"order must be 1 or 3, got {order}")
    if regularizer not in REGULARIZERS:
        raise ValueError(f"unknown regularizer {regularizer!r}; choose one of "
                         f"{sorted(REGULARIZERS)}")
    if method is None:
        method = "gauss-newton" if metric == "ssd" else "lbfgs"
    if method not in DENSE_METHODS:
        raise ValueError(f"method {method!r} does not apply to transform 'displacement'; "
                         f"choose one of {list(DENSE_METHODS)}")
    if method == "gauss-newton" and metric != "ssd":
        raise ValueError(f"method 'gauss-newton' needs metric 'ssd', got {metric!r}; use "
                         "'lbfgs' for 'ncc'")
    fixed, moving, pyramid = prepare(fixed, moving, levels=levels, max_size=max_size,
                                     smooth=smooth)
    n_solved = len(pyramid.solved)
    if max_iter is None:
        iters = _default_iterations(n_solved, method)
    else:
        iters = per_level(max_iter, n_solved, "max_iter")
    flow_full = _initial_flow(fixed, moving, "affine" if initial is None else initial,
                              metric=metric, levels=levels, order=order, tol=tol,
                              max_size=max_size)
    if flow_full.shape != (fixed.ndim,) + fixed.shape:
        raise ValueError(f"initial flow has shape {flow_full.shape}, expected "
                         f"{(fixed.ndim,) + fixed.shape}")
    step = 2 ** (pyramid.n_levels - 1)
    flow0 = np.stack([f[(slice(None, None, step),) * fixed.ndim] for f in flow_full]) / step

    def solve_level(level: int, flow: np.ndarray, n_iter: int):
        f_l, m_l = pyramid.fixed[level], pyramid.moving[level]
        if flow.shape[1:] != f_l.shape:
            flow = upsample_flow(flow, f_l.shape)
        if method == "gauss-newton":
            return _gauss_newton_level(f_l, m_l, flow, alpha=alpha, regularizer=regularizer,
                                       max_iter=n_iter, order=order, level=level,
                                       callback=callback, rtol=rtol,
                                       full_size=pyramid.fixed[0].size)
        return _displacement_level(f_l, m_l, flow, metric=metric, alpha=alpha,
                                   regularizer=regularizer, max_iter=n_iter, order=order,
                                   method=method, level=level, callback=callback, rtol=rtol,
                                   full_size=pyramid.fixed[0].size)

    def to_full_resolution(flow: np.ndarray, level: int) -> np.ndarray:
        for finer in range(level - 1, -1, -1):
            flow = upsample_flow(flow, pyramid.fixed[finer].shape)
        return flow

    flow, history, success, message = coarse_to_fine(
        pyramid, flow0, solve_level, iterations=iters, on_stop=to_full_resolution,
        description="register displacement", progress=progress,
        level_callback=level_callback, warn=warn)
    from ._parametric import final_result

    return final_result(fixed, moving, flow=flow, metric=metric, transform="displacement",
                        history=history, success=success, message=message)
