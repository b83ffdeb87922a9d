r"""Denoising of dask arrays: tiles that solve the whole image's problem.

``denoise_tv``, ``denoise_huber`` and ``denoise_tikhonov`` send a ``dask.array.Array`` here
(dask-image's convention: a lazy dask array comes back).  Each tile is solved in memory by
the same function, through :func:`applications._dask.map_image_solver`: an overlap of
``depth`` pixels on inner edges, ``boundary="none"`` at the outer edge (so the border
condition there is the whole image's), and a stopping rule that does not depend on the
tile, so that tiles and the whole image solve the same problem.

Stopping rules
--------------
TV (``"fista"``, ``"chambolle"``)
    A fixed number of iterations, ``max_iter`` (default 100), in every tile.  One iteration
    of either dual method is a stencil of radius one pixel, so after ``k`` iterations a
    pixel depends only on the data within ``k`` pixels: with ``depth >= max_iter`` a tile
    reproduces the whole image's iterate exactly (up to rounding), and with a smaller depth
    up to the decay of TV's influence.  The whole-image equivalent is
    ``denoise_tv(image, weight, tol=FIXED_ITERATIONS, max_iter=max_iter)``.
Huber, Tikhonov (and TV by ``"lbfgs"``/``"newton-cg"``)
    A pointwise rule: each tile is minimised until the max-norm of its energy gradient is
    below ``tol``.  The energy is 1-strongly convex (the data term), so a tile's result
    is within ``tol`` per pixel (roughly) of its exact minimiser whatever the tile; the
    whole image stopped by the same test agrees up to that and the decay of influence.

Overlap (``depth``) from the weight
-----------------------------------
The influence of a pixel decays with distance at a rate set by the regulariser; these
rules keep the tile-vs-whole difference below about ``1e-3`` (max) for images in [0, 1]
(measured on natural images with Gaussian noise, see ``benchmarks/bench_scale.py``):

- TV: ``min(max_iter, max(16, 400 * weight))`` pixels (40 at ``weight=0.1``);
- Tikhonov: the Green's function of :math:`I + w \nabla^T\nabla` decays as
  :math:`e^{-r / \sqrt{w}}`: ``max(4, 10 * sqrt(weight))`` (10 at ``weight=1``);
- Huber: the larger of the TV rule and the Tikhonov rule for the quadratic zone's
  weight ``weight / delta``.

All rounded up to a multiple of 8.  Pass ``depth=`` to override.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._dask import import_dask_array, map_image_solver
from ._image import check_weight, spatial_axes
from ._tv import TV_METHODS, denoise_tv
from ._variational import denoise_huber, denoise_tikhonov

__all__ = [
    "FIXED_ITERATIONS", "denoise_tv_dask", "denoise_huber_dask", "denoise_tikhonov_dask",
    "tv_depth", "tikhonov_depth", "huber_depth",
]

#: ``tol`` that makes ``denoise_tv`` run exactly ``max_iter`` iterations (a fixed schedule:
#: no gap checks before the last, so no data-dependent step change either).
FIXED_ITERATIONS = 0.0

_DUAL_METHODS = ("fista", "chambolle")


def _round_up(pixels: float, multiple: int = 8) -> int:
    return int(multiple * math.ceil(pixels / multiple))


def tv_depth(weight: float, max_iter: int | None = None) -> int:
    """Overlap for TV tiles: ``min(max_iter, max(16, 400 * weight))``, rounded up to 8.

    Parameters
    ----------
    weight : float
        TV weight.
    max_iter : int, optional
        Fixed iteration count: influence travels one pixel per iteration, so more overlap
        than ``max_iter`` changes nothing.

    Returns
    -------
    int
        Pixels.

    Examples
    --------
    >>> tv_depth(0.1), tv_depth(0.02), tv_depth(0.1, max_iter=20)
    (40, 16, 20)
    """
    depth = _round_up(max(16.0, 400.0 * check_weight(weight)))
    return depth if max_iter is None else min(depth, int(max_iter))


def tikhonov_depth(weight: float) -> int:
    """Overlap for Tikhonov tiles: ``max(4, 10 * sqrt(weight))``, rounded up to 8.

    Examples
    --------
    >>> tikhonov_depth(1.0), tikhonov_depth(4.0)
    (16, 24)
    """
    return _round_up(max(4.0, 10.0 * math.sqrt(check_weight(weight))) + 2)


def huber_depth(weight: float, delta: float) -> int:
    """Overlap for Huber-TV tiles: the larger of the TV and Tikhonov(``weight / delta``) rules.

    Examples
    --------
    >>> huber_depth(0.1, 0.01)
    40
    """
    return max(tv_depth(weight), tikhonov_depth(check_weight(weight) / delta))


def _check_common(image: Any, progress: bool, return_info: bool, name: str) -> None:
    import_dask_array()
    if return_info:
        raise ValueError(f"{name}: return_info=True is not available for dask input (the "
                         "result is a lazy dask array); compute it and call tv_energy, or "
                         "pass a NumPy array")
    if progress:
        raise ValueError(f"{name}: progress=True is not available for dask input; use "
                         "dask.diagnostics.ProgressBar() or the distributed dashboard")


def _resolve_depth(depth: int | None, default: int) -> int:
    if depth is None:
        return default
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 0:
        raise ValueError(f"depth must be a non-negative int (pixels), got {depth!r}")
    return int(depth)


def denoise_tv_dask(image: Any, weight: float = 0.1, *, channel_axis: int | None = None,
                    eps: float = 1e-3, method: str = "fista", tol: float | None = None,
                    max_iter: int = 100, depth: int | None = None, progress: bool = False,
                    return_info: bool = False) -> Any:
    """TV denoising of a dask array, tile by tile; ``denoise_tv``'s dask path.

    Parameters
    ----------
    image : dask.array.Array, shape (M, N[, ...][, C])
        Float32 or float64 image with known chunks, each at least ``depth`` pixels along
        every spatial axis that has more than one chunk.
    weight, channel_axis, eps, method
        As in :func:`denoise_tv`.
    tol : float or None, optional
        None (default): every tile runs exactly ``max_iter`` iterations (the global
        stopping rule; methods ``"fista"``/``"chambolle"``).  A number: each tile stops on
        its own relative gap, faster, but tiles then no longer match the whole image.
        For ``"lbfgs"``/``"newton-cg"``, as in :func:`denoise_tv`.
    max_iter : int, optional
        Iterations per tile (default 100).
    depth : int, optional
        Overlap in pixels (default :func:`tv_depth`).
    progress, return_info : bool
        Must be False (use dask's own progress reporting).

    Returns
    -------
    dask.array.Array
        Lazy result, shape, chunks and dtype of ``image``.
    """
    _check_common(image, progress, return_info, "denoise_tv")
    w = check_weight(weight)
    spatial_axes(image.ndim, channel_axis)
    if method not in TV_METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {TV_METHODS}")
    if tol is None:
        tol = FIXED_ITERATIONS if method in _DUAL_METHODS else 5e-3
    depth = _resolve_depth(depth, tv_depth(w, max_iter if method in _DUAL_METHODS else None))
    return map_image_solver(denoise_tv, image, depth, channel_axis=channel_axis, weight=w,
                            eps=eps, method=method, tol=tol, max_iter=max_iter)


def _gradient_tol(image: Any, tol: float | None) -> float:
    """Default pointwise tolerance on the gradient: 1e-6 (float64), 5e-4 (float32, whose
    rounding stops line searches near 1e-4)."""
    if tol is not None:
        return tol
    return 1e-6 if np.dtype(image.dtype) == np.float64 else 5e-4


def denoise_huber_dask(image: Any, weight: float = 0.1, *, delta: float = 0.01,
                       channel_axis: int | None = None, method: str = "lbfgs",
                       bounds: tuple | None = None, tol: float | None = None,
                       max_iter: int | None = 2000, depth: int | None = None,
                       progress: bool = False, return_info: bool = False) -> Any:
    """Huber-TV denoising of a dask array, tile by tile; ``denoise_huber``'s dask path.

    Each tile is minimised until the max-norm of its energy gradient is below ``tol``
    (default 1e-6 for float64, 5e-4 for float32): a pointwise rule, the same for every
    tile and the whole image.  ``depth`` defaults to :func:`huber_depth`.  Other parameters
    as in :func:`denoise_huber`; returns a lazy dask array.
    """
    _check_common(image, progress, return_info, "denoise_huber")
    w = check_weight(weight)
    if not delta > 0:
        raise ValueError(f"delta must be > 0, got {delta!r}")
    spatial_axes(image.ndim, channel_axis)
    depth = _resolve_depth(depth, huber_depth(w, delta))
    return map_image_solver(denoise_huber, image, depth, channel_axis=channel_axis, weight=w,
                            delta=delta, method=method, bounds=bounds,
                            tol=_gradient_tol(image, tol), max_iter=max_iter)


def denoise_tikhonov_dask(image: Any, weight: float = 1.0, *, channel_axis: int | None = None,
                          method: str = "lbfgs", bounds: tuple | None = None,
                          tol: float | None = None, max_iter: int | None = 2000,
                          depth: int | None = None, progress: bool = False,
                          return_info: bool = False) -> Any:
    """Tikhonov smoothing of a dask array, tile by tile; ``denoise_tikhonov``'s dask path.

    Same stopping rule as :func:`denoise_huber_dask`; ``depth`` defaults to
    :func:`tikhonov_depth`.  Returns a lazy dask array.
    """
    _check_common(image, progress, return_info, "denoise_tikhonov")
    w = check_weight(weight)
    spatial_axes(image.ndim, channel_axis)
    depth = _resolve_depth(depth, tikhonov_depth(w))
    return map_image_solver(denoise_tikhonov, image, depth, channel_axis=channel_axis,
                            weight=w, method=method, bounds=bounds,
                            tol=_gradient_tol(image, tol), max_iter=max_iter)
