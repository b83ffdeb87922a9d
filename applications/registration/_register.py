"""Intensity-based image registration driven by automatic differentiation."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.ndimage as ndi
import scipy.optimize

import autodiff as ad
from autodiff.optimize import least_squares, minimize
from autodiff.scipy import ndimage as adi

from . import _metrics
from ._pyramid import auto_levels, gaussian_pyramid, upsample_flow
from ._transforms import (
    TransformModel,
    coordinates,
    get_model,
    homogeneous_matrix,
    identity_grid,
    params_from_matrix,
)

__all__ = ["RegistrationResult", "IterationInfo", "register", "warp"]

_PARAMETRIC_METHODS = ("lm", "gauss-newton")
_DENSE_METHODS = ("lbfgs", "L-BFGS-B")
_MI_SAMPLES = 1 << 15  # pixels sampled per level for mutual information


@dataclass(frozen=True)
class IterationInfo:
    """What a ``callback`` receives after every iteration.

    Attributes
    ----------
    level : int
        Pyramid level (0 is full resolution).
    iteration : int
        Iteration number within the level, from 1.
    cost : float
        Objective value (half squared residual norm, plus the regulariser for
        ``displacement``).
    params : ndarray or None
        Current parameters (parametric transforms).
    """

    level: int
    iteration: int
    cost: float
    params: np.ndarray | None = None


@dataclass
class RegistrationResult:
    """Result of :func:`register`.

    Attributes
    ----------
    flow : ndarray, shape (ndim, *fixed.shape)
        Displacement of every fixed pixel, scikit-image optical-flow convention:
        ``fixed ~ map_coordinates(moving, grid + flow)``; ``flow[0]`` is along rows.
    matrix : ndarray, shape (ndim + 1, ndim + 1) or None
        Homogeneous matrix of a parametric transform, mapping fixed (row, col)
        coordinates to moving ones: ``[y, 1] = matrix @ [x, 1]``.
    params : ndarray or None
        Transform parameters (see :mod:`applications.registration._transforms`).
    warped : ndarray
        ``moving`` resampled on the fixed grid (cubic spline, zero outside).
    metric : float
        Final metric on the overlap: mean squared difference (``ssd``) or
        correlation coefficient (``ncc``) or mutual information in nats (``mi``).
    metric_name : str
    transform : str
    history : list of dict
        One entry per pyramid level, coarse to fine: ``level``, ``shape``,
        ``iterations``, ``cost``, ``seconds``, ``message``.
    success : bool
        False if a callback stopped the run.
    message : str
    """

    flow: np.ndarray
    matrix: np.ndarray | None
    params: np.ndarray | None
    warped: np.ndarray
    metric: float
    metric_name: str
    transform: str
    history: list = field(default_factory=list)
    success: bool = True
    message: str = ""


class _Stopped(Exception):
    """A callback raised StopIteration."""


# ------------------------------------------------------------------------------------
# input checks
# ------------------------------------------------------------------------------------


def _as_image(image, name: str) -> np.ndarray:
    arr = np.asarray(image)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.integer):
        from skimage.util import img_as_float

        arr = img_as_float(arr)
    arr = arr.astype(np.float64, copy=True)
    if arr.ndim not in (2, 3):
        raise ValueError(f"{name} must be a 2-D or 3-D array, got shape {arr.shape}")
    if min(arr.shape) < 8:
        raise ValueError(f"{name} is too small to register: shape {arr.shape} (need >= 8 per axis)")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _per_level(value, levels: int, name: str) -> list[int]:
    """Expand an int or a coarse-to-fine list into one value per level (coarse first)."""
    if np.ndim(value) == 0:
        return [int(value)] * levels
    values = [int(v) for v in value]
    if len(values) != levels:
        raise ValueError(f"{name} has {len(values)} entries for {levels} pyramid levels")
    return values


# ------------------------------------------------------------------------------------
# parametric transforms: Levenberg-Marquardt on a tall forward-mode Jacobian
# ------------------------------------------------------------------------------------


def _inside(coords: np.ndarray, shape: tuple) -> np.ndarray:
    mask = np.ones(coords.shape[1:], dtype=bool)
    for d, n in enumerate(shape):
        mask &= (coords[d] >= 0) & (coords[d] <= n - 1)
    return mask


class _LevelProblem:
    """Residuals of one pyramid level as a function of the transform parameters."""

    def __init__(self, model: TransformModel, metric: str, fixed: np.ndarray,
                 moving: np.ndarray, center: np.ndarray, scale: float, order: int):
        self.model, self.metric, self.fixed = model, metric, fixed
        self.center, self.scale, self.order = center, scale, order
        self.grid = identity_grid(fixed.shape)
        self.moving_shape = moving.shape
        self.moving_range = (float(moving.min()), float(moving.max()))
        if metric == "mi" and fixed.size > _MI_SAMPLES:
            # a fixed random subset of pixels (as in Mattes MI): bounded memory on the tape
            pick = np.random.default_rng(0).choice(fixed.size, _MI_SAMPLES, replace=False)
            self.grid = self.grid.reshape(fixed.ndim, -1)[:, np.sort(pick)]
            self.fixed = fixed.ravel()[np.sort(pick)]
        # spline coefficients of the moving image: constant during the level
        self.coeff = ndi.spline_filter(moving, order=3, mode="mirror") if order == 3 else moving
        self.mask = np.ones(fixed.shape, dtype=bool)

    def coords(self, p):
        return coordinates(self.model, p, self.grid, self.center, self.scale)

    def update_mask(self, p: np.ndarray) -> float:
        self.mask = _inside(self.coords(p), self.moving_shape)
        return float(self.mask.mean())

    def negative_mi(self, p):
        warped = adi.map_coordinates(self.coeff, self.coords(p), order=self.order,
                                     mode="mirror", prefilter=False)
        return -_metrics.mutual_information(warped, self.fixed, self.mask, self.moving_range)

    def residuals(self, p):
        warped = adi.map_coordinates(self.coeff, self.coords(p), order=self.order,
                                     mode="mirror", prefilter=False)
        return np.ravel(_metrics.residuals(self.metric, warped, self.fixed, self.mask))


def _least_squares_level(problem: _LevelProblem, p0: np.ndarray, *, max_iter: int, tol: float,
                         method: str, level: int, callback, bar) -> tuple[np.ndarray, int, float,
                                                                            str]:
    """Levenberg-Marquardt or Gauss-Newton (``autodiff.optimize.least_squares``).

    The Jacobian (pixels x parameters, tall) comes from forward mode. The overlap
    mask is frozen during a solver run, so that the solver minimises one function;
    it is then refreshed and the run repeated while the mask still changes (at most
    three rounds; usually one).
    """
    p = np.array(p0, dtype=float)
    if problem.update_mask(p) < 0.05:
        raise ValueError("the images do not overlap under the initial transform; "
                         "try initial='phase' or fewer pyramid levels")
    total, cost, message = 0, float("nan"), ""
    state = {"stopped": False, "p": p, "cost": cost}

    def on_iteration(info):
        state["p"], state["cost"] = np.array(info.x, dtype=float), float(info.cost)
        bar.update(1)
        if callback is not None:
            try:
                callback(IterationInfo(level=level, iteration=total + int(info.nit),
                                       cost=state["cost"], params=state["p"].copy()))
            except StopIteration:
                state["stopped"] = True
                raise

    for _ in range(3):
        if total >= max_iter:
            break
        # stop when no parameter moves a corner by more than ``tol`` level pixels:
        # the parameter scale is the level's half-diagonal for the linear part
        res = least_squares(problem.residuals, p, method=method, maxiter=max_iter - total,
                            xtol=tol / max(problem.fixed.shape) / 4.0, ftol=1e-12,
                            gtol=1e-14, callback=on_iteration)
        total += int(res.nit)
        p, cost, message = np.array(res.x, dtype=float), float(res.cost), str(res.message)
        if state["stopped"]:
            raise _Stopped((p, total, cost))
        previous = problem.mask
        if problem.update_mask(p) < 0.05:
            raise ValueError("the transform moved the images out of overlap; the registration "
                             "diverged (try another initial transform or metric)")
        if np.array_equal(previous, problem.mask):
            break
    return p, total, cost, message


def _mutual_information_level(problem: _LevelProblem, p0: np.ndarray, *, max_iter: int,
                              tol: float, level: int, callback, bar, radius: float):
    """Maximise Parzen-window MI with L-BFGS (reverse-mode gradient), scaled parameters."""
    p0 = np.array(p0, dtype=float)
    scales = problem.model.scales(len(problem.center), radius)
    if problem.update_mask(p0) < 0.05:
        raise ValueError("the images do not overlap under the initial transform; "
                         "try initial='phase' or fewer pyramid levels")
    state = {"stopped": False, "nit": 0}

    def on_iteration(info):
        state["nit"] += 1
        bar.update(1)
        if callback is not None:
            try:
                callback(IterationInfo(level=level, iteration=state["nit"], cost=float(info.fun),
                                       params=p0 + np.asarray(info.x) * scales))
            except StopIteration:
                state["stopped"] = True
                raise

    res = minimize(lambda q: problem.negative_mi(p0 + q * scales), np.zeros(p0.size),
                   method="lbfgs", maxiter=max_iter, tol=1e-9,
                   options={"ftol": 1e-12, "xtol": tol / 4.0}, callback=on_iteration)
    p = p0 + np.asarray(res.x) * scales
    if state["stopped"]:
        raise _Stopped((p, state["nit"], float(res.fun)))
    return p, int(res.nit), float(res.fun), str(res.message)


# ------------------------------------------------------------------------------------
# dense displacement field: L-BFGS on reverse-mode gradients
# ------------------------------------------------------------------------------------


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


def _displacement_level(fixed, moving, u0, *, metric: str, alpha: float, max_iter: int,
                        order: int, method: str, level: int, callback, bar, regularizer: str):
    coeff = ndi.spline_filter(moving, order=3, mode="mirror") if order == 3 else moving
    grid = identity_grid(fixed.shape)
    mask = _inside(grid + u0, moving.shape)
    shape = u0.shape
    scale = float(fixed.size)  # data term in sum-of-squares units

    def field(flat_v):
        return u0 + np.reshape(flat_v, shape)

    def energy(flat_v):
        u = field(flat_v)
        warped = adi.map_coordinates(coeff, grid + u, order=order, mode="mirror",
                                     prefilter=False)
        r = _metrics.residuals(metric, warped, fixed, mask)
        return 0.5 * scale * np.sum(r * r) + 0.5 * alpha * REGULARIZERS[regularizer](u)

    fun = ad.value_and_grad(energy)
    counter = {"it": 0}

    def on_iteration(xk, cost=float("nan")):
        counter["it"] += 1
        bar.update(1)
        if callback is not None:
            try:
                callback(IterationInfo(level=level, iteration=counter["it"], cost=float(cost),
                                       params=None))
            except StopIteration:
                raise _Stopped((np.asarray(field(xk)), counter["it"], float(cost))) from None

    def scipy_callback(intermediate_result):
        on_iteration(intermediate_result.x, intermediate_result.fun)

    if method == "lbfgs":
        res = minimize(energy, np.zeros(u0.size), method="lbfgs", maxiter=max_iter, tol=1e-10,
                       callback=lambda info: on_iteration(info.x, info.fun),
                       options={"ftol": 1e-13})
    else:
        res = scipy.optimize.minimize(fun, np.zeros(u0.size), jac=True, method="L-BFGS-B",
                                      callback=scipy_callback,
                                      options={"maxiter": max_iter, "ftol": 1e-15,
                                               "gtol": 1e-10, "maxcor": 20})
    return np.asarray(field(res.x)), counter["it"], float(res.fun), str(res.message)


# ------------------------------------------------------------------------------------
# public API
# ------------------------------------------------------------------------------------


def _initial_translation(fixed, moving, initial) -> np.ndarray:
    if isinstance(initial, str) and initial == "phase":
        from skimage.registration import phase_cross_correlation

        # zero-mean images: the peak's sign then follows the contrast (the peak is
        # found on |cross-correlation|), so inverted contrast is handled too
        shift = phase_cross_correlation(fixed - fixed.mean(), moving - moving.mean(),
                                        upsample_factor=1, normalization=None)[0]
        return -np.asarray(shift, dtype=float)
    return np.zeros(fixed.ndim)


def register(fixed, moving, *, transform: str = "affine", metric: str = "ssd",
             levels: int | None = None, initial=None, method: str | None = None,
             max_iter: int | Sequence[int] | None = None, alpha: float = 5e-4,
             regularizer: str = "diffusion", order: int = 3, smooth: float | None = None,
             tol: float = 1e-3, callback: Callable[[IterationInfo], None] | None = None,
             progress: bool = False) -> RegistrationResult:
    r"""Register ``moving`` onto ``fixed`` by minimising an intensity metric.

    Finds the transform :math:`T` minimising

    .. math:: E(T) = \tfrac12 \sum_x m(x)\, \rho\big(M(T(x)), F(x)\big)
              \; \Big[+\; \tfrac{\alpha}{2} \textstyle\sum_{d,k} (\partial_k u_d)^2\Big]

    with :math:`F` the fixed and :math:`M` the moving image (cubic B-spline
    interpolation), :math:`m` the overlap mask and :math:`\rho` the squared
    difference (``ssd``) or z-scored difference (``ncc``, so that the data term is
    :math:`1 - \mathrm{NCC}`, times the number of pixels for ``displacement``).
    The bracketed regulariser (diffusion energy, forward differences; or with
    ``regularizer='curvature'`` the squared second differences, whose null space
    is the affine fields) is used for the dense ``displacement`` field
    :math:`T(x) = x + u(x)`.

    Parametric transforms are solved by Levenberg-Marquardt on the residuals, with
    their tall Jacobian (pixels x parameters) from forward-mode AD (``ad.jacfwd``)
    through :func:`autodiff.optimize.least_squares`, started from phase
    correlation. The displacement field is solved by L-BFGS with reverse-mode
    gradients, started from an affine registration. Both run coarse to fine on a
    Gaussian pyramid.

    Parameters
    ----------
    fixed, moving : ndarray, shape (M, N) or (P, M, N)
        Grey-level images of equal shape (integers are scaled to [0, 1]).
    transform : {'translation', 'rigid', 'similarity', 'affine', 'displacement'}
        Transform model (rigid and similarity are 2-D only).
    metric : {'ssd', 'ncc', 'mi'}
        Sum of squared differences, normalised cross-correlation (robust to
        brightness and contrast changes), or Parzen-window mutual information
        (parametric transforms only; robust to any monotone or non-monotone
        intensity mapping; maximised with L-BFGS on a fixed sample of at most 32768
        pixels per level).
    levels : int, optional
        Pyramid levels (default: coarsest side about 24-48 pixels).
    initial : {'phase', 'identity', 'affine'} or ndarray or RegistrationResult, optional
        Start: phase-correlation translation (default for parametric transforms),
        identity, an affine registration (default for ``displacement``), a
        homogeneous matrix, or a previous result (its matrix, or its flow for
        ``displacement``).
    method : {'lm', 'gauss-newton'} or {'lbfgs', 'L-BFGS-B'}, optional
        Solver: Levenberg-Marquardt (default) or Gauss-Newton for parametric
        transforms; ``autodiff.optimize`` L-BFGS (default) or SciPy's L-BFGS-B for
        ``displacement``.
    max_iter : int or sequence of int, optional
        Iterations per level (a sequence lists them coarse to fine). Defaults:
        30 per level (parametric); 200 per coarse level, 100 on level 1 and 60 at
        full resolution (displacement).
    alpha : float, optional
        Weight of the smoothness regulariser (``displacement``).
    regularizer : {'diffusion', 'curvature'}, optional
        Smoothness energy of the displacement field.
    order : {1, 3}, optional
        Interpolation order of the moving image during the optimisation.
    smooth : float, optional
        Gaussian pre-smoothing (sigma, pixels) of both images before the pyramid is
        built (default 1.0, or 1.5 for ``displacement``). It removes most of the
        bias that sub-pixel spline interpolation of sharp, noisy images puts on the
        metric (0 turns it off).
    tol : float, optional
        Parametric: stop a level when a step moves no corner more than ``tol``
        pixels.
    callback : callable, optional
        ``callback(IterationInfo)`` after every iteration; raising
        ``StopIteration`` ends the run (the result so far is returned with
        ``success=False``).
    progress : bool, optional
        Show a progress bar.

    Returns
    -------
    RegistrationResult

    Examples
    --------
    >>> import numpy as np, scipy.ndimage as ndi
    >>> from skimage import data
    >>> fixed = data.camera()[::4, ::4] / 255.0
    >>> moving = ndi.shift(fixed, (2.5, -1.75), order=3, mode="nearest")
    >>> res = register(fixed, moving, transform="translation")
    >>> np.round(res.params, 2)
    array([ 2.5 , -1.75])
    """
    fixed = _as_image(fixed, "fixed")
    moving = _as_image(moving, "moving")
    if fixed.shape != moving.shape:
        raise ValueError(f"fixed and moving must have the same shape, got {fixed.shape} and "
                         f"{moving.shape}")
    if metric not in _metrics.METRICS and metric not in _metrics.SCALAR_METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose one of "
                         f"{sorted(_metrics.METRICS) + list(_metrics.SCALAR_METRICS)}")
    if metric in _metrics.SCALAR_METRICS and transform == "displacement":
        raise ValueError(f"metric {metric!r} is available for parametric transforms only; "
                         "use 'ssd' or 'ncc' for 'displacement'")
    if order not in (1, 3):
        raise ValueError(f"order must be 1 or 3, got {order}")
    if regularizer not in REGULARIZERS:
        raise ValueError(f"unknown regularizer {regularizer!r}; choose one of "
                         f"{sorted(REGULARIZERS)}")
    dense = transform == "displacement"
    model = None if dense else get_model(transform)
    if model is not None:
        model.check_ndim(fixed.ndim)
    methods = _DENSE_METHODS if dense else _PARAMETRIC_METHODS
    method = method or methods[0]
    if method not in methods:
        raise ValueError(f"method {method!r} does not apply to transform {transform!r}; "
                         f"choose one of {list(methods)}")
    n_levels = auto_levels(fixed.shape) if levels is None else int(levels)
    if n_levels < 1:
        raise ValueError(f"levels must be >= 1, got {levels}")
    coarsest = min(-(-n // 2 ** (n_levels - 1)) for n in fixed.shape)
    if coarsest < 4:
        raise ValueError(f"levels={n_levels} is too many for shape {fixed.shape}: the coarsest "
                         f"level would be {coarsest} pixels wide (at most "
                         f"{auto_levels(fixed.shape, min_size=4, max_levels=32)} levels)")
    if max_iter is None:
        # dense: many cheap iterations on coarse levels, few on the expensive fine ones
        iters = ([{0: 60, 1: 100}.get(level, 200) for level in range(n_levels - 1, -1, -1)]
                 if dense else [30] * n_levels)
    else:
        iters = _per_level(max_iter, n_levels, "max_iter")
    if smooth is None:
        smooth = 1.5 if dense else 1.0

    center = (np.asarray(fixed.shape, dtype=float) - 1.0) / 2.0
    if smooth < 0:
        raise ValueError(f"smooth must be >= 0, got {smooth}")
    fixed_pyr = gaussian_pyramid(ndi.gaussian_filter(fixed, smooth) if smooth else fixed,
                                 n_levels)
    moving_pyr = gaussian_pyramid(ndi.gaussian_filter(moving, smooth) if smooth else moving,
                                  n_levels)

    # starting point
    flow = p = None
    if initial is None:
        initial = "affine" if dense else "phase"
    if isinstance(initial, str) and initial == "affine":
        if not dense:
            initial = "phase" if transform != "affine" else initial
        else:
            initial = register(fixed, moving, transform="affine", metric=metric, levels=levels,
                               initial="phase", order=order, tol=tol)
    if isinstance(initial, RegistrationResult):
        if dense:
            flow_full = initial.flow
        elif initial.matrix is not None:
            p = params_from_matrix(model, initial.matrix, center)
        else:
            raise ValueError("a displacement result cannot initialise a parametric transform")
    elif isinstance(initial, np.ndarray):
        if initial.shape != (fixed.ndim + 1,) * 2:
            raise ValueError(f"initial matrix must have shape {(fixed.ndim + 1,) * 2}, "
                             f"got {initial.shape}")
        if dense:
            affine = get_model("affine")
            grid = identity_grid(fixed.shape)
            flow_full = coordinates(affine, params_from_matrix(affine, initial, center), grid,
                                    center, 1.0) - grid
        else:
            p = params_from_matrix(model, initial, center)
    elif isinstance(initial, str) and initial in ("phase", "identity"):
        t = _initial_translation(fixed, moving, initial)
        if dense:
            flow_full = np.broadcast_to(t.reshape((-1,) + (1,) * fixed.ndim),
                                        (fixed.ndim,) + fixed.shape)
        else:
            p = model.with_translation(model.identity(fixed.ndim), t)
    else:
        raise ValueError(f"initial must be 'phase', 'identity', 'affine', a matrix or a "
                         f"RegistrationResult, got {initial!r}")
    if dense:
        if flow_full.shape != (fixed.ndim,) + fixed.shape:
            raise ValueError(f"initial flow has shape {flow_full.shape}, expected "
                             f"{(fixed.ndim,) + fixed.shape}")
        step = 2 ** (n_levels - 1)
        flow = np.stack([f[(slice(None, None, step),) * fixed.ndim] for f in flow_full]) / step

    from tqdm.auto import tqdm

    bar = tqdm(total=int(sum(iters)), disable=not progress, desc=f"register {transform}",
               leave=False)
    history: list[dict] = []
    success, message = True, "converged on every level"
    try:
        for level in range(n_levels - 1, -1, -1):
            start = time.perf_counter()
            f_l, m_l = fixed_pyr[level], moving_pyr[level]
            n_iter = iters[n_levels - 1 - level]
            try:
                if dense:
                    if flow.shape[1:] != f_l.shape:
                        flow = upsample_flow(flow, f_l.shape)
                    flow, it, cost, msg = _displacement_level(
                        f_l, m_l, flow, metric=metric, alpha=alpha, regularizer=regularizer,
                        max_iter=n_iter, order=order,
                        method=method, level=level, callback=callback, bar=bar)
                else:
                    problem = _LevelProblem(model, metric, f_l, m_l, center, 2.0 ** level, order)
                    if metric == "mi":
                        p, it, cost, msg = _mutual_information_level(
                            problem, p, max_iter=n_iter, tol=tol, level=level,
                            callback=callback, bar=bar, radius=max(fixed.shape) / 2.0)
                    else:
                        p, it, cost, msg = _least_squares_level(
                            problem, p, max_iter=n_iter, tol=tol, method=method, level=level,
                            callback=callback, bar=bar)
            except _Stopped as stop:
                value, it, cost = stop.args[0]
                if dense:
                    flow = value
                else:
                    p = value
                history.append({"level": level, "shape": f_l.shape, "iterations": it,
                                "cost": cost, "seconds": time.perf_counter() - start,
                                "message": "stopped by callback"})
                success, message = False, f"stopped by callback on level {level}"
                if dense and level > 0:
                    for finer in range(level - 1, -1, -1):
                        flow = upsample_flow(flow, fixed_pyr[finer].shape)
                break
            history.append({"level": level, "shape": f_l.shape, "iterations": it, "cost": cost,
                            "seconds": time.perf_counter() - start, "message": msg})
    finally:
        bar.close()

    grid = identity_grid(fixed.shape)
    if dense:
        matrix = params = None
        coords = grid + flow
    else:
        matrix = homogeneous_matrix(model, p, center)
        params = p
        coords = coordinates(model, p, grid, center, 1.0)
        flow = coords - grid
    warped = ndi.map_coordinates(moving, coords, order=3, mode="constant", cval=0.0)
    mask = _inside(coords, moving.shape)
    value = _metrics.metric_value(metric, warped, fixed, mask,
                                  moving_range=(float(moving.min()), float(moving.max())))
    return RegistrationResult(flow=flow, matrix=matrix, params=params, warped=warped,
                              metric=value, metric_name=metric, transform=transform,
                              history=history, success=success, message=message)


def warp(image, result: RegistrationResult, *, order: int = 1, cval: float = 0.0) -> np.ndarray:
    """Resample ``image`` (moving-image geometry) on the fixed grid of ``result``.

    Parameters
    ----------
    image : ndarray, shape ``result.flow.shape[1:]`` (+ optional trailing channels)
        Image or label map in the geometry of the moving image.
    result : RegistrationResult
    order : int, optional
        Spline order; 0 (nearest neighbour) keeps label values and dtype.
    cval : float, optional
        Value outside the moving image.

    Returns
    -------
    ndarray, same shape and (for ``order=0``) same dtype as ``image``
    """
    image = np.asarray(image)
    spatial = result.flow.shape[1:]
    if image.shape[:len(spatial)] != spatial:
        raise ValueError(f"image shape {image.shape} does not match the registered grid {spatial}")
    if not 0 <= order <= 5:
        raise ValueError(f"order must be between 0 and 5, got {order}")
    coords = identity_grid(spatial) + result.flow
    if image.ndim == len(spatial):
        return ndi.map_coordinates(image, coords, order=order, mode="constant", cval=cval)
    channels = image.reshape(spatial + (-1,))
    out = np.stack([ndi.map_coordinates(channels[..., c], coords, order=order, mode="constant",
                                        cval=cval) for c in range(channels.shape[-1])], axis=-1)
    return out.reshape(image.shape)
