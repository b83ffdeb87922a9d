r"""Transform models: parameters -> sampling coordinates in the moving image.

Convention (all transforms): a point ``x`` of the fixed grid, in (row, col[, ...])
index units, is sent to the point ``y`` of the moving image

.. math:: y = c + A(p)\,(x - c) + t(p)

where ``c`` is the centre of the full-resolution fixed grid, ``(n - 1) / 2`` per
axis.  The homogeneous matrix of a result maps fixed to moving coordinates:
``[y, 1] = M @ [x, 1]``, with ``M = [[A, c + t - A c], [0, 1]]``.

Parameter vectors (full-resolution pixel units, angles in radians):

=============  ==============================  =========================================
transform      parameters                      linear part ``A``
=============  ==============================  =========================================
translation    ``(t_0, ..., t_{d-1})``         identity
rigid (2-D)    ``(angle, t_0, t_1)``           ``[[cos a, -sin a], [sin a, cos a]]``
similarity     ``(scale, angle, t_0, t_1)``    ``scale * R(angle)``
affine         ``(A.ravel(), t)``              any ``d x d`` matrix
=============  ==============================  =========================================

On pyramid level ``l`` (images subsampled by ``s = 2**l`` with ``x_0 = s x_l``)
the same parameters give ``y_l = c/s + A (x_l - c/s) + t/s``: one parameter
vector serves every level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["TransformModel", "MODELS", "get_model", "coordinates", "homogeneous_matrix",
           "params_from_matrix", "identity_grid"]


@dataclass(frozen=True)
class TransformModel:
    """A parametric transform family: its name and parameter layout."""

    name: str

    def n_params(self, ndim: int) -> int:
        return {"translation": ndim, "rigid": 3, "similarity": 4,
                "affine": ndim * ndim + ndim}[self.name]

    def check_ndim(self, ndim: int) -> None:
        if self.name in ("rigid", "similarity") and ndim != 2:
            raise ValueError(f"transform {self.name!r} is implemented for 2-D images only; "
                             f"got {ndim}-D (use 'translation' or 'affine')")

    def identity(self, ndim: int) -> np.ndarray:
        if self.name == "translation":
            return np.zeros(ndim)
        if self.name == "rigid":
            return np.zeros(3)
        if self.name == "similarity":
            return np.array([1.0, 0.0, 0.0, 0.0])
        return np.concatenate([np.eye(ndim).ravel(), np.zeros(ndim)])

    def split(self, p, ndim: int):
        """Linear part entries ``A[d][e]`` (nested lists, possibly traced) and translation."""
        if self.name == "translation":
            a = [[1.0 if d == e else 0.0 for e in range(ndim)] for d in range(ndim)]
            return a, [p[d] for d in range(ndim)]
        if self.name in ("rigid", "similarity"):
            scale = p[0] if self.name == "similarity" else 1.0
            angle = p[1] if self.name == "similarity" else p[0]
            cos, sin = scale * np.cos(angle), scale * np.sin(angle)
            return [[cos, -sin], [sin, cos]], [p[-2], p[-1]]
        a = [[p[d * ndim + e] for e in range(ndim)] for d in range(ndim)]
        return a, [p[ndim * ndim + d] for d in range(ndim)]

    def scales(self, ndim: int, radius: float) -> np.ndarray:
        """Parameter changes that move a point at distance ``radius`` by about one pixel."""
        n = self.n_params(ndim)
        out = np.full(n, 1.0 / radius)
        out[n - ndim:] = 1.0
        return out

    def with_translation(self, p: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Copy of ``p`` whose translation part is ``t``."""
        q = np.array(p, dtype=float)
        q[len(q) - len(t):] = t
        return q


MODELS = {name: TransformModel(name) for name in ("translation", "rigid", "similarity", "affine")}


def get_model(name: str) -> TransformModel:
    if name not in MODELS:
        raise ValueError(f"unknown transform {name!r}; choose one of "
                         f"{sorted(MODELS) + ['displacement']}")
    return MODELS[name]


def identity_grid(shape: tuple) -> np.ndarray:
    """Index coordinates of every pixel, shape ``(ndim,) + shape``."""
    return np.stack(np.meshgrid(*[np.arange(n, dtype=float) for n in shape], indexing="ij"))


def coordinates(model: TransformModel, p, grid: np.ndarray, center: np.ndarray, scale: float):
    """Moving-image sampling coordinates of ``grid`` on a level subsampled by ``scale``.

    Written with NumPy operations on ``p`` so that it is differentiable.
    """
    ndim = grid.shape[0]
    a, t = model.split(p, ndim)
    c = np.asarray(center, dtype=float) / scale
    centred = [grid[e] - c[e] for e in range(ndim)]
    rows = []
    for d in range(ndim):
        acc = c[d] + t[d] / scale
        for e in range(ndim):
            entry = a[d][e]
            if isinstance(entry, float):
                if entry != 0.0:
                    acc = acc + entry * centred[e]
            else:
                acc = acc + entry * centred[e]
        rows.append(acc)
    return np.stack(rows)


def homogeneous_matrix(model: TransformModel, p: np.ndarray, center: np.ndarray) -> np.ndarray:
    """Full-resolution homogeneous matrix ``M`` with ``[y, 1] = M @ [x, 1]``."""
    ndim = len(center)
    a, t = model.split(np.asarray(p, dtype=float), ndim)
    a = np.array(a, dtype=float)
    m = np.eye(ndim + 1)
    m[:ndim, :ndim] = a
    m[:ndim, ndim] = center + np.asarray(t, dtype=float) - a @ center
    return m


def params_from_matrix(model: TransformModel, matrix: np.ndarray, center: np.ndarray) -> np.ndarray:
    """Parameters of ``model`` closest to a homogeneous matrix (exact when it belongs)."""
    ndim = len(center)
    a = matrix[:ndim, :ndim]
    t = matrix[:ndim, ndim] - center + a @ center
    if model.name == "translation":
        return t.copy()
    if model.name in ("rigid", "similarity"):
        angle = np.arctan2(a[1, 0] - a[0, 1], a[0, 0] + a[1, 1])
        if model.name == "rigid":
            return np.array([angle, t[0], t[1]])
        scale = np.sqrt(abs(np.linalg.det(a)))
        return np.array([scale, angle, t[0], t[1]])
    return np.concatenate([a.ravel(), t])
