"""Intensity-based image registration: the ``register`` front door and ``warp``.

``register`` checks the shared options and calls :func:`register_parametric`
(translation to affine) or :func:`register_dense` (``transform='displacement'``);
both run on the one coarse-to-fine driver of :mod:`._driver`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import scipy.ndimage as ndi

from ._dense import REGULARIZERS, register_dense
from ._parametric import MAX_SAMPLES, check_max_samples, register_parametric
from ._result import IterationInfo, RegistrationResult
from ._transforms import identity_grid

__all__ = ["register", "warp"]


def register(fixed, moving, *, transform: str = "affine", metric: str = "ssd",
             levels: int | None = None, max_size: int | None = None, initial=None,
             method: str | None = None, max_iter: int | Sequence[int] | None = None,
             alpha: float = 5e-4, regularizer: str = "diffusion", order: int = 3,
             smooth: float | None = None, tol: float = 1e-2, rtol: float | None = None,
             max_samples: int | None = MAX_SAMPLES,
             callback: Callable[[IterationInfo], None] | None = None,
             level_callback: Callable[[dict], None] | None = None,
             progress: bool = False, warn: bool = True) -> RegistrationResult:
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

    This front door calls :func:`register_parametric` (Levenberg-Marquardt on the
    residuals, normal equations, tall Jacobian from forward-mode AD ``ad.jacfwd``,
    started from phase correlation) or, for ``transform='displacement'``,
    :func:`register_dense` (Gauss-Newton warping with conjugate-gradient solves for
    ``ssd``, L-BFGS with reverse-mode gradients for ``ncc``, started from an affine
    registration solved on the coarse levels). Both run on one
    coarse-to-fine driver over a Gaussian pyramid; the interpolation and its
    coordinate gradient are compiled (:mod:`._interp`).

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
    max_size : int, optional
        Longest side of the finest level that is solved (memory and time bound for
        large images): finer levels are skipped and the estimate is carried to full
        resolution. Default: every level is solved.
    initial : {'phase', 'identity', 'affine'} or ndarray or RegistrationResult, optional
        Start: phase-correlation translation (default for parametric transforms),
        identity, an affine registration (default for ``displacement``), a
        homogeneous matrix, or a previous result (its matrix, or its flow for
        ``displacement``).
    method : {'lm', 'gauss-newton'} or {'gauss-newton', 'lbfgs', 'L-BFGS-B'}, optional
        Solver: Levenberg-Marquardt (default) or Gauss-Newton for parametric
        transforms; for ``displacement`` Gauss-Newton warping (default for ``ssd``),
        ``autodiff.optimize`` L-BFGS (default for ``ncc``) or SciPy's L-BFGS-B.
    max_iter : int or sequence of int, optional
        Iterations per solved level (a sequence lists them coarse to fine).
        Defaults: 30 per level (parametric); displacement, see
        :func:`register_dense`.
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
        pixels of that level (``10 * tol`` on coarser levels).
    rtol : float, optional
        Stop a level when an iteration lowers the cost by less than ``rtol``
        relatively (default 1e-6 parametric, at least 1e-3 on coarse levels;
        displacement: 1e-2 times the level's share of the pixels, see
        :func:`register_dense`).
    max_samples : int or None, optional
        Parametric transforms: most pixels (voxels) per level on which the metric
        and its derivatives are evaluated; a larger level is sampled on a regular
        subgrid, every ``s``-th pixel per axis (see :func:`register_parametric`).
        The default, ``2**20``, leaves 2-D images up to 1024x1024 whole and
        evaluates the finest level of a 128^3 volume on 64^3 voxels; None uses
        every pixel. The dense ``displacement`` field uses every pixel.
    callback : callable, optional
        ``callback(IterationInfo)`` after every iteration; raising
        ``StopIteration`` ends the run (the result so far is returned with
        ``success=False``).
    level_callback : callable, optional
        ``level_callback(entry)`` with each level's history entry as soon as the
        level ends (the command line prints one line per level with it).
    progress : bool, optional
        Show a progress bar counting pyramid levels.
    warn : bool, optional
        Emit a :class:`ConvergenceWarning` when a level ends on its iteration budget.

    Returns
    -------
    RegistrationResult
        ``success`` is False, and ``message`` names the levels, when a level ended
        on its iteration budget; also when a callback stopped the run.

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
    check_max_samples(max_samples)  # also for the dense field, which does not sample
    dense = transform == "displacement"
    common = {"metric": metric, "levels": levels, "max_size": max_size, "initial": initial,
              "max_iter": max_iter, "order": order, "tol": tol, "callback": callback,
              "level_callback": level_callback, "progress": progress, "warn": warn}
    if smooth is not None:
        common["smooth"] = smooth
    if rtol is not None:
        common["rtol"] = rtol
    if method is not None:
        common["method"] = method
    if dense:
        return register_dense(fixed, moving, alpha=alpha, regularizer=regularizer, **common)
    if regularizer not in REGULARIZERS:
        raise ValueError(f"unknown regularizer {regularizer!r}; choose one of "
                         f"{sorted(REGULARIZERS)}")
    return register_parametric(fixed, moving, transform=transform, max_samples=max_samples,
                               **common)


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
