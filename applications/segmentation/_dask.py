"""``segment`` on dask arrays: global intensities and weight, then one convex problem
solved tile by tile.

For fixed phase intensities the two-phase Chan-Vese relaxation is one convex (weighted
ROF) problem, so tiles that share the intensities, the weight and a fixed iteration count
solve the same problem as the whole image up to the decay of influence across the overlap.
The intensities and the weight are taken from an in-memory ``segment`` of a central crop
of at most ``SAMPLE_SIZE`` pixels per side (the only part computed eagerly); the object is
the phase of the crop's object intensities (its polarity rule).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._dask import DaskInputError, import_dask_array, map_image_solver

#: Side of the central crop that fixes the intensities and the weight.
SAMPLE_SIZE = 512
#: Primal-dual iterations per tile (a global rule: every tile stops alike).
TILE_ITERATIONS = 400


def segment_depth(weight: float, contrast: float, max_iter: int = TILE_ITERATIONS) -> int:
    """Overlap for segmentation tiles: the TV rule for the ROF weight ``w / contrast^2``.

    The subproblem is ROF with data of the scale ``contrast^2`` (a difference of squared
    distances), so its length scale is ``weight / contrast^2``; the overlap is
    ``min(max_iter, max(16, 100 * weight / contrast^2))`` rounded up to 8 pixels
    (only the sign of the relaxed solution matters: a quarter of denoising's rule).

    Examples
    --------
    >>> segment_depth(0.05, 1.0), segment_depth(0.2, 0.5)
    (16, 80)
    """
    scale = weight / max(contrast * contrast, 1e-12)
    depth = min(max_iter, max(16, math.ceil(100 * scale)))
    return int(8 * math.ceil(depth / 8))


def segment_dask(image: Any, *, weight: float | None = None, channel_axis: int | None = None,
                 edge_weight: float = 0.0, bias_degree: int = 0, bias_model: str = "additive",
                 init: Any = "auto", means: Any = None, tol: float = 0.0,
                 max_iter: int = TILE_ITERATIONS, progress: bool = False,
                 return_info: bool = False, depth: int | None = None) -> Any:
    """Lazy boolean mask of a dask image (see :func:`applications.segmentation.segment`).

    Extra keyword ``depth`` overrides the overlap (:func:`segment_depth`).  ``tol`` must
    be 0 (tiles run exactly ``max_iter`` iterations: a stopping rule per tile would let
    tiles solve different problems).
    """
    from ._two_phase import segment

    da = import_dask_array()
    if not np.issubdtype(image.dtype, np.floating):
        raise DaskInputError(f"segment: the dask image has dtype {image.dtype}; convert it to "
                             "floats in [0, 1] first (e.g. image.astype(np.float32) / 255)")
    if tol != 0:
        raise ValueError("segment on a dask array runs a fixed iteration count per tile: "
                         "pass tol=0 (the default for dask input) and set max_iter")
    if bias_degree:
        raise NotImplementedError("segment on a dask array does not fit a bias field "
                                  "(bias_degree > 0); segment in memory")
    if return_info:
        raise NotImplementedError("return_info=True is not available for dask input "
                                  "(the result is a lazy mask)")
    if not isinstance(init, str):
        raise NotImplementedError("an initial mask is not available for dask input")
    if means is None or weight is None:
        crop = tuple(slice(max(0, (n - SAMPLE_SIZE) // 2), max(0, (n - SAMPLE_SIZE) // 2)
                           + SAMPLE_SIZE) if axis != _channel(channel_axis, image.ndim)
                     else slice(None) for axis, n in enumerate(image.shape))
        sample = np.asarray(image[crop].compute())
        info = segment(sample, weight=weight, channel_axis=channel_axis,
                       edge_weight=edge_weight, return_info=True)
        means = info.means if means is None else means
        weight = info.weight if weight is None else weight
    means = np.asarray(means, dtype=float)
    contrast = float(np.linalg.norm(np.atleast_2d(means)[0] - np.atleast_2d(means)[1]))
    if depth is None:
        depth = segment_depth(weight, contrast, max_iter)
    mask = map_image_solver(_segment_tile, image, depth, channel_axis=channel_axis,
                            dtype=bool, weight=weight, means=means, edge_weight=edge_weight,
                            tol=0.0, max_iter=max_iter)
    if channel_axis is not None:  # the solver returns the spatial mask only
        mask = da.take(mask, 0, axis=_channel(channel_axis, image.ndim)).astype(bool)
    return mask


def _segment_tile(tile: np.ndarray, channel_axis: int | None = None, **kwargs: Any
                  ) -> np.ndarray:
    """The mask of one tile, repeated along the channel axis (tiles keep their shape)."""
    import warnings

    from ._two_phase import segment

    with warnings.catch_warnings():  # tol=0: a fixed count, not an exhausted budget
        warnings.simplefilter("ignore")
        mask = segment(tile, channel_axis=channel_axis, **kwargs)
    if channel_axis is None:
        return mask
    return np.broadcast_to(np.expand_dims(mask, channel_axis % tile.ndim), tile.shape).copy()


def _channel(channel_axis: int | None, ndim: int) -> int | None:
    return None if channel_axis is None else channel_axis % ndim
