"""Two-phase segmentation of dask arrays: ``segment``'s dask path, tile by tile.

With fixed phase intensities (``means=``) and a fixed ``weight``, Chan-Vese's convex
relaxation is one weighted ROF problem over the whole image, solved by FISTA on the dual,
whose iteration is a one-pixel stencil: with ``tol=0`` every tile runs exactly ``max_iter``
iterations (the global stopping rule), and a tile extended by ``depth >= max_iter`` pixels
reproduces the whole image's result; a smaller depth agrees up to the decay of TV's
influence.  The tiles go through :func:`applications._dask.map_image_solver`
(``boundary="none"`` at the outer edge).  Global quantities cannot come from a tile, so
``means`` and ``weight`` are required: take them from ``segment(..., return_info=True)``
on a downsampled copy of the image (``result.means``, ``result.weight``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._dask import import_dask_array, map_image_solver
from ._image import SegmentationWarning

__all__ = ["segment_dask", "segment_depth"]


def segment_depth(max_iter: int) -> int:
    """Default overlap: ``min(max_iter, 48)`` pixels (see :func:`segment_dask`).

    Examples
    --------
    >>> segment_depth(200), segment_depth(30)
    (48, 30)
    """
    return min(int(max_iter), 48)


def _segment_tile(tile: np.ndarray, *, means: np.ndarray, channel_axis: int | None = None,
                  **kwargs: Any) -> np.ndarray:
    """``segment`` of one tile with fixed means, repeated along the channel axis so that the
    tile keeps its shape (the caller keeps one channel)."""
    mask = _segment_mask(tile, means=means, channel_axis=channel_axis, **kwargs)
    if channel_axis is None:
        return mask
    axis = channel_axis % tile.ndim
    return np.repeat(np.expand_dims(mask, axis), tile.shape[axis], axis=axis)


def _segment_mask(tile: np.ndarray, *, means: np.ndarray, channel_axis: int | None,
                  **kwargs: Any) -> np.ndarray:
    """The mask of one tile; a tile may hold one phase only."""
    from ._two_phase import segment

    f = np.asarray(tile, dtype=np.float64)
    channels = f[np.newaxis] if channel_axis is None else np.moveaxis(f, channel_axis, 0)
    if np.ptp(channels.reshape(channels.shape[0], -1), axis=1).max() == 0:
        # A constant tile: TV is zero, the phase is the nearer mean (segment would give an
        # all-False mask, its rule for a constant image).
        m = np.asarray(means, dtype=np.float64).reshape(2, -1)
        value = channels.reshape(channels.shape[0], -1)[:, 0]
        inside = np.sum((value - m[0]) ** 2) < np.sum((value - m[1]) ** 2)
        return np.full(channels.shape[1:], inside)
    with warnings.catch_warnings():
        # a tile of one phase is normal (a tile of background), not a degenerate image
        warnings.filterwarnings("ignore", message="the segmentation found a single phase",
                                category=SegmentationWarning)
        return segment(tile, means=means, channel_axis=channel_axis, **kwargs)


def segment_dask(image: Any, *, weight: float | None = None, channel_axis: int | None = None,
                 edge_weight: float = 0.0, bias_degree: int = 0, bias_model: str = "additive",
                 init: Any = "auto", means: Any = None, tol: float = 0.0,
                 max_iter: int = 200, depth: int | None = None, progress: bool = False,
                 return_info: bool = False) -> Any:
    """Two-phase segmentation of a dask array: a lazy boolean dask array (the object mask).

    Parameters
    ----------
    image : dask.array.Array, shape (M, N[, ...][, C])
        Float image with known chunks, each at least ``depth`` pixels along every spatial
        axis with more than one chunk; the channel axis in one chunk.
    weight : float
        Required: the length price (global; e.g. ``segment(small).weight``).
    means : array_like, shape (2,) or (2, C)
        Required: fixed intensities (object, background) per channel.
    channel_axis, edge_weight
        As in :func:`segment`.
    tol : float, optional
        0 (default): every tile runs exactly ``max_iter`` FISTA iterations (the global
        stopping rule).  A positive value stops each tile on its own duality gap (tiles
        then no longer match the whole image exactly).
    max_iter : int, optional
        Iterations per tile (default 200).
    depth : int, optional
        Overlap in pixels (default :func:`segment_depth`).
    bias_degree, bias_model, init, progress, return_info
        Not available for dask input (a bias field and the initial partition are global;
        there is no per-image result object); only their defaults are accepted.

    Returns
    -------
    dask.array.Array of bool
        Lazy mask, the image's spatial shape and chunks.
    """
    import_dask_array()
    if weight is None or means is None:
        raise ValueError("segment on a dask array needs weight= and means= (global "
                         "quantities a tile cannot estimate): take them from "
                         "segment(downsampled, return_info=True)")
    if bias_degree != 0:
        raise ValueError("bias_degree is not available for dask input (a global bias field)")
    if bias_model != "additive" or not (isinstance(init, str) and init == "auto"):
        raise ValueError("bias_model and init are not available for dask input")
    if progress or return_info:
        raise ValueError("progress and return_info are not available for dask input; use "
                         "dask.diagnostics.ProgressBar() or the distributed dashboard")
    if channel_axis is not None:
        axis = channel_axis % image.ndim
        if len(image.chunks[axis]) > 1:
            image = image.rechunk({axis: -1})
    if depth is None:
        depth = segment_depth(max_iter)
    mask = map_image_solver(_segment_tile, image, depth, channel_axis=channel_axis,
                            dtype=bool, weight=weight, edge_weight=edge_weight,
                            means=np.asarray(means, dtype=np.float64), tol=tol,
                            max_iter=max_iter)
    if channel_axis is not None:  # the mask has no channel axis: keep the first "channel"
        index = [slice(None)] * image.ndim
        index[channel_axis % image.ndim] = 0
        return mask[tuple(index)]
    return mask
