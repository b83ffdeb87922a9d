r"""The piecewise-constant (or bias-modulated) image model of Chan-Vese, and its energy.

For a partition into phase 1 (``mask``) and phase 2, each channel ``f_c`` is modelled by
``m_{1c}`` inside and ``m_{2c}`` outside.  Without a bias field these are the phase means;
with one of degree ``d`` they are ``b_c(x) c_{jc}`` (multiplicative) or ``b_c(x) + c_{jc}``
(additive), ``b_c`` a polynomial of total degree ``d`` in the normalised coordinates, fitted
by linear least squares (alternating with the constants for the multiplicative model).

The Chan-Vese energy of a mask, with edge map ``g`` (1 without edges):

.. math::

    E(\Omega) = w \sum_i g_i |(\nabla 1_\Omega)_i|
        + \sum_{i \in \Omega} \sum_c (f_{ci} - m_{1ci})^2
        + \sum_{i \notin \Omega} \sum_c (f_{ci} - m_{2ci})^2
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

from .._tv import Grid

__all__ = ["Model", "fit_model", "data_term", "chan_vese_energy", "polynomial_basis",
           "border_map", "BIAS_MODELS"]

BIAS_MODELS = ("multiplicative", "additive")
#: Pixels used to fit a bias field (a regular subsample beyond this).
_FIT_SAMPLES = 1 << 16


@dataclass(frozen=True)
class Model:
    """The fitted intensities: constants per phase and channel, and the bias field."""

    inside: np.ndarray   # (C,) constants of phase 1
    outside: np.ndarray  # (C,) constants of phase 2
    bias: np.ndarray | None = None  # (C, *spatial) or None
    kind: str = "multiplicative"

    def phase_images(self, ndim: int) -> tuple[np.ndarray, np.ndarray]:
        """``(m1, m2)``, broadcastable against ``(C, *spatial)`` with ``ndim`` spatial axes."""
        shape = self.inside.shape + (1,) * ndim
        c1, c2 = self.inside.reshape(shape), self.outside.reshape(shape)
        if self.bias is None:
            return c1, c2
        if self.kind == "multiplicative":
            return self.bias * c1, self.bias * c2
        return self.bias + c1, self.bias + c2


def polynomial_basis(shape: tuple[int, ...], degree: int) -> np.ndarray:
    """Monomials of total degree <= ``degree`` in coordinates scaled to [-1, 1]:
    shape ``(P, *shape)``, the constant first."""
    axes = [np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(1) for n in shape]
    grids = np.meshgrid(*axes, indexing="ij")
    powers = [p for p in product(range(degree + 1), repeat=len(shape)) if sum(p) <= degree]
    powers.sort(key=lambda p: (sum(p), tuple(-x for x in p)))
    basis = np.empty((len(powers),) + tuple(shape))
    for k, p in enumerate(powers):
        term = np.ones(shape)
        for g, e in zip(grids, p):
            if e:
                term = term * g ** e
        basis[k] = term
    return basis


def _sample(valid: np.ndarray) -> np.ndarray:
    flat = np.flatnonzero(valid.ravel())
    stride = max(1, len(flat) // _FIT_SAMPLES)
    return flat[::stride]


def fit_model(f: np.ndarray, mask: np.ndarray, valid: np.ndarray, *, basis: np.ndarray | None,
              kind: str = "multiplicative", previous: Model | None = None) -> Model:
    """Least-squares intensities for the partition ``mask`` (phase 1) / ``~mask`` (phase 2)."""
    channels = f.shape[0]
    inside, outside = mask & valid, ~mask & valid
    if basis is None:
        flat = f.reshape(channels, -1)
        n_in, n_out = np.count_nonzero(inside), np.count_nonzero(outside)
        total = flat @ valid.ravel().astype(np.float64)
        sum_in = flat @ inside.ravel().astype(np.float64)
        c1 = sum_in / n_in if n_in else np.zeros(channels)
        c2 = (total - sum_in) / n_out if n_out else np.zeros(channels)
        return Model(c1, c2)
    idx = _sample(valid)
    phi = basis.reshape(len(basis), -1)[:, idx].T  # (n, P)
    lab = mask.ravel()[idx]
    c1, c2 = np.zeros(channels), np.zeros(channels)
    coef = np.zeros((channels, len(basis)))
    for c in range(channels):
        y = f[c].ravel()[idx]
        if kind == "additive":
            design = np.column_stack([phi[:, 1:], lab, ~lab]).astype(np.float64)
            sol = np.linalg.lstsq(design, y, rcond=None)[0]
            coef[c, 1:] = sol[:-2]
            c1[c], c2[c] = sol[-2], sol[-1]
            continue
        a = (previous_coef(previous, c, basis) if previous is not None
             else np.eye(len(basis))[0])
        for _ in range(3):
            b = phi @ a
            b2 = b * b
            c1[c] = (y * b)[lab].sum() / max(b2[lab].sum(), 1e-300)
            c2[c] = (y * b)[~lab].sum() / max(b2[~lab].sum(), 1e-300)
            design = phi * np.where(lab, c1[c], c2[c])[:, None]
            a = np.linalg.lstsq(design, y, rcond=None)[0]
        scale = (phi @ a).mean()
        if abs(scale) < 1e-12:  # degenerate: fall back to no bias in this channel
            a = np.eye(len(basis))[0]
            scale = 1.0
        coef[c] = a / scale
        b = phi @ coef[c]
        b2 = b * b
        c1[c] = (y * b)[lab].sum() / max(b2[lab].sum(), 1e-300)
        c2[c] = (y * b)[~lab].sum() / max(b2[~lab].sum(), 1e-300)
    bias = np.tensordot(coef, basis, axes=1)
    return Model(c1, c2, bias, kind)


def previous_coef(model: Model, channel: int, basis: np.ndarray) -> np.ndarray:
    """Polynomial coefficients of a previous bias field (projection on the basis)."""
    phi = basis.reshape(len(basis), -1).T
    idx = _sample(np.ones(basis.shape[1:], bool))
    return np.linalg.lstsq(phi[idx], model.bias[channel].ravel()[idx], rcond=None)[0]


def data_term(f: np.ndarray, valid: np.ndarray, model: Model) -> np.ndarray:
    r"""Region competition ``r = sum_c (f - m_1)^2 - (f - m_2)^2`` (0 at invalid pixels):
    negative where phase 1 fits better."""
    if model.bias is None:  # linear in f: sum_c (c2 - c1) (2 f - c1 - c2)
        diff = model.outside - model.inside
        r = 2.0 * np.tensordot(diff, f, axes=1)
        r -= float(diff @ (model.inside + model.outside))
        r[~valid] = 0.0
        return r
    m1, m2 = model.phase_images(f.ndim - 1)
    r = ((f - m1) ** 2 - (f - m2) ** 2).sum(axis=0)
    r[~valid] = 0.0
    return r


def chan_vese_energy(mask: np.ndarray, f: np.ndarray, valid: np.ndarray, model: Model,
                     weight: float, edge_map: np.ndarray | None = None) -> float:
    """The Chan-Vese energy of ``mask`` (module docstring), float64."""
    if model.bias is None:  # closed form: sum |f - c|^2 = sum |f|^2 - 2 c.S + n |c|^2
        flat = f.reshape(f.shape[0], -1)
        inside = (mask & valid).ravel().astype(f.dtype)
        total = flat @ valid.ravel().astype(f.dtype)
        s_in = flat @ inside
        n_in = float(inside.sum())
        n_out = float(np.count_nonzero(valid)) - n_in
        square = float(np.vdot(flat, flat)) if valid.all() else float(
            (flat[:, valid.ravel()] ** 2).sum())
        c1, c2 = model.inside, model.outside
        data = (square - 2 * float(c1 @ s_in) + n_in * float(c1 @ c1)
                - 2 * float(c2 @ (total - s_in)) + n_out * float(c2 @ c2))
        return data + weight * perimeter(mask, edge_map)
    m1, m2 = model.phase_images(f.ndim - 1)
    fit2 = ((f - m2) ** 2).sum(axis=0)
    fit2[~valid] = 0.0
    # sum over phase 2 of fit2 + sum over phase 1 of fit1 = sum fit2 + sum over phase 1 of r
    data = float(fit2.sum()) + float(data_term(f, valid, model).ravel()
                                     @ mask.ravel().astype(np.float64))
    return data + weight * perimeter(mask, edge_map)


def perimeter(mask: np.ndarray, edge_map: np.ndarray | None = None) -> float:
    """Isotropic forward-difference TV of the indicator of ``mask`` (weighted by the edge
    map when given): the discrete length (area in 3-D) of its boundary."""
    grid = Grid(mask.shape, tuple(range(mask.ndim)))
    g = grid.gradient(np.ascontiguousarray(mask, dtype=np.float64),
                      grid.zeros_field(np.float64))
    density = np.sqrt((g * g).sum(axis=0))
    if edge_map is not None:
        density *= edge_map
    return float(density.sum())


def border_map(shape: tuple[int, ...]) -> np.ndarray:
    """Boolean map of the pixels on the faces of the image box."""
    border = np.zeros(shape, bool)
    for axis in range(len(shape)):
        index = [slice(None)] * len(shape)
        index[axis] = 0
        border[tuple(index)] = True
        index[axis] = -1
        border[tuple(index)] = True
    return border
