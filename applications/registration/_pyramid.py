"""Gaussian pyramid with exact 2:1 subsampling.

Level ``l`` keeps every ``2**l``-th pixel of the image smoothed level by level, so a
pixel ``x_l`` of level ``l`` sits exactly at ``x_0 = 2**l * x_l`` on the full
grid: no half-pixel offsets to track between levels.
"""

from __future__ import annotations

import numpy as np
import scipy.ndimage as ndi

__all__ = ["auto_levels", "gaussian_pyramid", "upsample_flow"]


def auto_levels(shape: tuple, *, min_size: int = 24, max_levels: int = 6) -> int:
    """Number of levels so that the coarsest side is at least ``min_size`` pixels."""
    levels = 1
    size = min(shape)
    while levels < max_levels and (size + 1) // 2 >= min_size:
        size = (size + 1) // 2
        levels += 1
    return levels


def gaussian_pyramid(image: np.ndarray, levels: int, *, sigma: float = 1.0) -> list[np.ndarray]:
    """Images from fine (level 0, ``image`` itself) to coarse (``levels - 1``)."""
    out = [image]
    for _ in range(levels - 1):
        smooth = ndi.gaussian_filter(out[-1], sigma, mode="nearest")
        out.append(np.ascontiguousarray(smooth[(slice(None, None, 2),) * image.ndim]))
    return out


def upsample_flow(flow: np.ndarray, shape: tuple) -> np.ndarray:
    """Flow of a coarse level resampled on the next finer grid ``shape``, in its pixel units."""
    grid = np.stack(np.meshgrid(*[np.arange(n) / 2.0 for n in shape], indexing="ij"))
    return np.stack([2.0 * ndi.map_coordinates(f, grid, order=1, mode="nearest") for f in flow])
