r"""Active contours (snakes) minimised by L-BFGS with AD gradients.

A contour of ``n`` points :math:`x_i` (row, column) has the energy

.. math::

    E(x) = \alpha \sum_i \|x_{i+1} - x_i\|^2 + \beta \sum_i \|x_{i+1} - 2 x_i + x_{i-1}\|^2
           - \sum_i \left( w_\text{line}\, \tilde I(x_i) + w_\text{edge}\, \tilde e(x_i) \right)

(elasticity, rigidity, image potential), with :math:`\tilde I` the Gaussian-smoothed image
and :math:`\tilde e` its gradient magnitude, both scaled to [0, 1] and sampled between pixels
by cubic B-spline interpolation (:func:`autodiff.scipy.ndimage.map_coordinates`,
differentiable in the coordinates).  The points are parametrised as
:math:`x = (s - 1)\,\sigma(z)` (logistic :math:`\sigma`, ``s`` the image size), so every
iterate lies inside the image; :func:`autodiff.optimize.minimize` (``"lbfgs"``) gets the
gradient in :math:`z` by reverse-mode AD.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.special

from ._image import SegmentationWarning, check_budget, prepare_image

__all__ = ["snake", "SnakeResult", "resample_contour"]

_EDGE = 1e-6  # keep logits finite for points on the border


@dataclass(frozen=True)
class SnakeResult:
    """Outcome of :func:`snake`.

    Attributes
    ----------
    points : ndarray, shape (n, 2)
        Final contour (row, column), inside the image.
    energy : ndarray
        Energy after each L-BFGS iteration (all restarts together), the start first.
    nit : int
        L-BFGS iterations.
    restarts : int
        Resamplings (each restarts L-BFGS).
    success : bool
        Whether the relative energy change fell below ``tol``.
    message : str
        Why it stopped.
    time : float
        Wall-clock seconds.
    """

    points: np.ndarray = field(repr=False)
    energy: np.ndarray = field(repr=False)
    nit: int
    restarts: int
    success: bool
    message: str
    time: float


def resample_contour(points: np.ndarray, n: int | None = None, *,
                     closed: bool = True) -> np.ndarray:
    """``n`` points equally spaced in arc length along the polygon ``points`` (n, 2)."""
    pts = np.asarray(points, dtype=np.float64)
    n = len(pts) if n is None else int(n)
    path = np.vstack([pts, pts[:1]]) if closed else pts
    seg = np.hypot(*np.diff(path, axis=0).T)
    arc = np.concatenate([[0.0], np.cumsum(seg)])
    if arc[-1] == 0:
        return pts.copy()
    targets = np.linspace(0.0, arc[-1], n, endpoint=not closed)
    return np.column_stack([np.interp(targets, arc, path[:, k]) for k in range(2)])


def _potential(gray: np.ndarray, sigma: float, w_line: float, w_edge: float) -> np.ndarray:
    from scipy import ndimage as ndi

    smooth = ndi.gaussian_filter(gray, sigma) if sigma > 0 else gray
    edge = np.hypot(*np.gradient(smooth))
    potential = np.zeros_like(smooth)
    for weight, term in ((w_line, smooth), (w_edge, edge)):
        if weight:
            span = term.max() - term.min()
            potential -= weight * ((term - term.min()) / span if span > 0 else 0 * term)
    return ndi.spline_filter(potential, order=3, mode="mirror")


def snake(image: np.ndarray, init: np.ndarray, *, alpha: float = 0.01, beta: float = 0.1,
          w_line: float = 0.0, w_edge: float = 1.0, sigma: float = 2.0, closed: bool = True,
          resample_every: int | None = 50, channel_axis: int | None = None,
          tol: float = 1e-5, max_iter: int = 1000,
          return_info: bool = False) -> np.ndarray | SnakeResult:
    r"""Fit an active contour to a 2-D image.

    Minimises the energy of the module docstring over the point positions.

    Parameters
    ----------
    image : ndarray, shape (M, N) or (M, N, C) with ``channel_axis``
        Image (colour channels are averaged).  Integer images are scaled as
        :func:`skimage.util.img_as_float` does.
    init : ndarray, shape (n, 2)
        Initial contour, (row, column) per point, n >= 3; points outside the image are
        moved onto its border.
    alpha, beta : float, optional
        Elasticity (length) and rigidity (curvature) weights, >= 0.
    w_line, w_edge : float, optional
        Attraction to bright regions (negative: dark) and to edges.
    sigma : float, optional
        Gaussian smoothing of the image before the potential is formed (pixels).
    closed : bool, optional
        Closed contour (periodic) or open (free ends).
    resample_every : int or None, optional
        Every so many iterations, redistribute the points evenly along the contour and
        restart L-BFGS (keeps the points from bunching); None: never.
    channel_axis : int or None, optional
        Axis of the colour channels.
    tol : float, optional
        Stop when the relative energy change of an iteration falls below ``tol``.
    max_iter : int, optional
        Iteration budget; when it runs out first the contour is returned with
        ``success=False`` and a :class:`SegmentationWarning`.
    return_info : bool, optional
        Return a :class:`SnakeResult` instead of the points.

    Returns
    -------
    ndarray, shape (n, 2), or SnakeResult

    Examples
    --------
    >>> import numpy as np
    >>> yy, xx = np.mgrid[:80, :80]
    >>> disk = ((yy - 40) ** 2 + (xx - 40) ** 2 < 20 ** 2).astype(float)
    >>> t = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    >>> init = np.column_stack([40 + 30 * np.sin(t), 40 + 30 * np.cos(t)])
    >>> pts = snake(disk, init, alpha=0.01, beta=0.1)
    >>> radius = np.hypot(pts[:, 0] - 40, pts[:, 1] - 40)
    >>> bool(abs(radius.mean() - 20) < 2)
    True
    """
    from autodiff.optimize import minimize
    from autodiff.scipy.ndimage import map_coordinates

    start = time.perf_counter()
    f, valid = prepare_image(image, channel_axis, min_spatial=2)
    if f.ndim != 3:
        raise ValueError(f"snake needs a 2-D image, got spatial shape {f.shape[1:]}")
    if not valid.all():
        raise ValueError(f"image contains {int((~valid).sum())} NaN or infinite pixel(s)")
    tol, max_iter = check_budget(tol, max_iter)
    for name, value in (("alpha", alpha), ("beta", beta), ("sigma", sigma)):
        if not (np.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
    pts = np.asarray(init, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 3:
        raise ValueError(f"init must have shape (n, 2) with n >= 3 (row, column), got "
                         f"{np.shape(init)}")
    if not np.isfinite(pts).all():
        raise ValueError("init contains NaN or infinite coordinates")
    if resample_every is not None and resample_every < 1:
        raise ValueError(f"resample_every must be >= 1 or None, got {resample_every!r}")
    gray = f.mean(axis=0)
    if np.ptp(gray) == 0:
        warnings.warn("image is constant: only the internal energy moves the contour",
                      SegmentationWarning, stacklevel=2)
    coef = _potential(gray, sigma, w_line, w_edge)
    extent = np.array(gray.shape, dtype=np.float64) - 1.0
    scale = extent.reshape(2, 1)

    def energy(z: np.ndarray) -> float:
        x = scale * scipy.special.expit(z)  # (2, n), inside the image
        nxt = np.roll(x, -1, axis=1) if closed else x[:, 1:]
        cur = x if closed else x[:, :-1]
        d1 = nxt - cur
        e = alpha * np.sum(d1 * d1)
        if closed:
            d2 = np.roll(x, -1, axis=1) - 2 * x + np.roll(x, 1, axis=1)
        else:
            d2 = x[:, 2:] - 2 * x[:, 1:-1] + x[:, :-2]
        e = e + beta * np.sum(d2 * d2)
        return e + np.sum(map_coordinates(coef, x, order=3, mode="mirror", prefilter=False))

    def to_logits(points: np.ndarray) -> np.ndarray:
        unit = np.clip(points.T / scale, _EDGE, 1 - _EDGE)
        return scipy.special.logit(unit)

    history: list[float] = []
    nit, restarts = 0, 0
    success, message = False, ""
    z = to_logits(pts)
    while nit < max_iter:
        chunk = max_iter - nit if resample_every is None else min(resample_every,
                                                                  max_iter - nit)
        res = minimize(energy, z, method="lbfgs", maxiter=chunk, stage=True,
                       options={"ftol": tol, "gtol": 0.0} if tol > 0 else {"gtol": 0.0,
                                                                            "ftol": 0.0})
        start_energy = float(res.history["energy"][0])
        history.extend(res.history["energy"][0 if not history else 1:].tolist())
        nit += int(res.nit)
        z = res.x
        change = abs(start_energy - float(res.fun)) / max(abs(float(res.fun)), 1e-300)
        finished = res.nit < chunk  # stopped on its own (ftol, or a failed line search)
        if finished and (res.success or change <= tol):
            success, message = True, "relative energy change below tol"
            break
        if finished and not res.success:
            message = f"L-BFGS stopped: {res.message}"
            break
        if resample_every is not None and nit < max_iter:
            points = (scale * scipy.special.expit(z)).T
            z = to_logits(resample_contour(points, closed=closed))
            restarts += 1
            if change <= tol:
                success, message = True, "relative energy change below tol"
                break
    if not message:
        message = f"iteration budget (max_iter={max_iter}) exhausted"
    if not success:
        warnings.warn(f"snake: {message}; returning the current contour", SegmentationWarning,
                      stacklevel=2)
    points = (scale * scipy.special.expit(z)).T
    if not return_info:
        return points
    return SnakeResult(points=points, energy=np.asarray(history), nit=nit, restarts=restarts,
                       success=success, message=message, time=time.perf_counter() - start)
