"""Deterministic sample pairs with a known transform, made from ``skimage.data.camera``.

The project's own data: generated at run time from the scikit-image sample (which
ships with scikit-image), nothing downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.ndimage as ndi

from ._transforms import get_model, homogeneous_matrix, identity_grid

__all__ = ["SamplePair", "sample_pair", "end_point_error", "smooth_field"]


@dataclass(frozen=True)
class SamplePair:
    """A fixed/moving pair and the true flow (``fixed ~ moving(grid + flow)``)."""

    fixed: np.ndarray
    moving: np.ndarray
    flow: np.ndarray
    matrix: np.ndarray | None
    description: str


def _camera(size: int) -> np.ndarray:
    from skimage import data
    from skimage.transform import resize

    image = data.camera().astype(np.float64) / 255.0
    if size != image.shape[0]:
        image = resize(image, (size, size), order=3, anti_aliasing=True, mode="reflect")
    return image


def smooth_field(shape: tuple, amplitude: float, *, seed: int = 0, sigma: float = 0.12
                 ) -> np.ndarray:
    """Smooth random displacement field, shape ``(2,) + shape``, max norm ``amplitude``."""
    rng = np.random.default_rng(seed)
    field = np.stack([ndi.gaussian_filter(rng.standard_normal(shape), sigma * min(shape),
                                          mode="wrap") for _ in range(2)])
    return field * (amplitude / np.max(np.sqrt(np.sum(field**2, axis=0))))


def _resample(image: np.ndarray, coords: np.ndarray) -> np.ndarray:
    return ndi.map_coordinates(image, coords, order=3, mode="mirror")


def sample_pair(kind: str = "affine", *, size: int = 256, noise: float = 0.01, seed: int = 0
                ) -> SamplePair:
    """Camera image and a copy moved by a known transform.

    The moving image is built so that ``fixed(x) = moving(x + flow(x))``: for a
    parametric transform with matrix ``M`` (fixed -> moving coordinates),
    ``moving(y) = fixed(M^{-1} y)``; for ``displacement`` the inverse of the smooth
    field is computed by fixed-point iteration.

    Parameters
    ----------
    kind : {'translation', 'rigid', 'similarity', 'affine', 'displacement'}
        Known transform.
    size : int, optional
        Side of the square images (camera resized).
    noise : float, optional
        Standard deviation of Gaussian noise added to both images.
    seed : int, optional
        Seed of the noise and of the random field.

    Returns
    -------
    SamplePair
    """
    base = _camera(size)
    shape = base.shape
    grid = identity_grid(shape)
    center = (np.asarray(shape, dtype=float) - 1.0) / 2.0
    s = size / 256.0
    params = {
        "translation": np.array([13.4 * s, -7.7 * s]),
        "rigid": np.array([np.deg2rad(7.0), 9.3 * s, -5.6 * s]),
        "similarity": np.array([1.06, np.deg2rad(-6.0), -8.2 * s, 11.1 * s]),
        "affine": np.array([1.04, 0.06, -0.08, 0.97, 10.6 * s, -8.3 * s]),
    }
    matrix = None
    if kind == "displacement":
        flow = smooth_field(shape, 6.0 * s, seed=seed)
        # moving(y) = fixed(y - v(y)) with v solving v(y) = flow(y - v(y))
        v = flow.copy()
        for _ in range(30):
            v = np.stack([ndi.map_coordinates(f, grid - v, order=3, mode="nearest") for f in flow])
        moving = _resample(base, grid - v)
        description = f"camera {size}x{size}, smooth field up to {6.0 * s:.1f} px"
    elif kind in params:
        model = get_model(kind)
        matrix = homogeneous_matrix(model, params[kind], center)
        inverse = np.linalg.inv(matrix)
        pts = np.concatenate([grid.reshape(2, -1), np.ones((1, grid[0].size))])
        moving = _resample(base, (inverse @ pts)[:2].reshape(grid.shape))
        flow = (matrix @ pts)[:2].reshape(grid.shape) - grid
        description = f"camera {size}x{size}, {kind} {np.round(params[kind], 3).tolist()}"
    else:
        raise ValueError(f"unknown sample kind {kind!r}")
    rng = np.random.default_rng(seed + 1)
    fixed = base + noise * rng.standard_normal(shape)
    moving = moving + noise * rng.standard_normal(shape)
    return SamplePair(fixed, moving, flow, matrix, description)


def end_point_error(flow: np.ndarray, true_flow: np.ndarray, *, margin: int = 0) -> float:
    """Mean Euclidean distance between two flows (ignoring ``margin`` border pixels)."""
    err = np.sqrt(np.sum((flow - true_flow) ** 2, axis=0))
    if margin:
        err = err[(slice(margin, -margin),) * err.ndim]
    return float(err.mean())
