r"""Two-phase segmentation: the convex relaxation of Chan-Vese, solved by the shared ROF solver.

For fixed phase intensities, Chan, Esedoglu and Nikolova's relaxation

.. math:: \min_{0 \le u \le 1} \; w \sum_i g_i |(\nabla u)_i| + \sum_i r_i u_i,
          \qquad r = \sum_c (f_c - m_{1c})^2 - (f_c - m_{2c})^2

has binary minimisers, and by the thresholding theorem of total variation they are the
sets ``{v > 0}`` of the solution ``v`` of one weighted ROF problem with data ``-r``:

.. math:: \min_v \; \tfrac12 \|v + r\|^2 + w \sum_i g_i |(\nabla v)_i|

(each level set ``{v > t}`` minimises ``w Per_g(E) + \int_E (r + t)``).  That problem is the
one :func:`applications.denoising.denoise_tv` solves; the same dual solver, with its
duality-gap certificate, solves it here.  The intensities are then refitted to the new
partition and the problem re-solved from the previous dual field (a warm start), until the
Chan-Vese energy stops decreasing.
"""

from __future__ import annotations

import time
import warnings
from typing import Literal

import numpy as np
from tqdm.auto import tqdm

from .._dask import dask_dispatch
from .._tv import Grid, Workspace, solve_fista
from ._image import SegmentationWarning, check_budget, check_init_mask, prepare_image
from ._model import (
    BIAS_MODELS,
    Model,
    border_map,
    chan_vese_energy,
    data_term,
    fit_model,
    polynomial_basis,
)
from ._result import SegmentResult
from ._statistics import noise_level, otsu_threshold

__all__ = ["segment", "default_weight", "edge_map", "energy"]

#: Primal-dual iterations per round when ``tol = 0`` (a fixed schedule).
FIXED_ROUND = 50
#: Default-weight rule ``w = WEIGHT_NOISE * sigma * |c1 - c2| + WEIGHT_FLOOR * |c1 - c2|^2``.
WEIGHT_NOISE = 1.5
WEIGHT_FLOOR = 0.02


def default_weight(image: np.ndarray, *, channel_axis: int | None = None) -> float:
    r"""The length weight :func:`segment` uses when none is given.

    .. math:: w = \kappa\, \hat\sigma\, \|c_1 - c_2\| + \rho\, \|c_1 - c_2\|^2

    with :math:`\hat\sigma` the noise level estimated from the finest wavelet band
    (Donoho's estimator, as :func:`applications.denoising.estimate_noise`), :math:`c_1, c_2`
    the phase means of the initial (Otsu) partition, :math:`\kappa = 1.5`,
    :math:`\rho = 0.02`.  Both terms scale
    like the data term (intensity squared), so the rule is invariant to the intensity
    scale; noise calls for a proportionally smoother boundary, and the floor keeps a clean
    image's boundary from following single-pixel artefacts.

    Parameters
    ----------
    image : ndarray
        As for :func:`segment`.
    channel_axis : int or None, optional
        Axis of the channels.

    Returns
    -------
    float
    """
    f, valid = prepare_image(image, channel_axis)
    f = _fill_invalid(f, valid)
    mask = initial_mask(f, valid, "auto")
    return _weight_rule(f, fit_model(f, mask, valid, basis=None))


def energy(image: np.ndarray, mask: np.ndarray, weight: float, *,
           channel_axis: int | None = None, edge_weight: float = 0.0) -> float:
    r"""The Chan-Vese energy of a mask, with the phase means that minimise it.

    .. math:: E(\Omega) = w \sum_i g_i |(\nabla 1_\Omega)_i|
              + \sum_{i \in \Omega} \|f_i - c_1\|^2 + \sum_{i \notin \Omega} \|f_i - c_2\|^2

    (forward differences, isotropic; :math:`g` as in :func:`segment`).  Any segmenter's
    output can be scored with it, at the same weight, to compare energies.

    Parameters
    ----------
    image : ndarray
        As for :func:`segment`.
    mask : ndarray of bool, the image's spatial shape
        Phase 1 (either polarity gives the same energy).
    weight : float
        :math:`w`.
    channel_axis : int or None, optional
    edge_weight : float, optional

    Returns
    -------
    float
    """
    f, valid = prepare_image(image, channel_axis)
    f = _fill_invalid(f, valid)
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != f.shape[1:]:
        raise ValueError(f"mask has shape {mask.shape}, the image's spatial shape is "
                         f"{f.shape[1:]}")
    g = edge_map(f, edge_weight) if edge_weight > 0 else None
    model = fit_model(f, mask, valid, basis=None)
    return chan_vese_energy(mask, f, valid, model, _non_negative(weight, "weight"), g)


def _weight_rule(f: np.ndarray, model: Model) -> float:
    contrast = float(np.linalg.norm(model.inside - model.outside))
    sigma = noise_level(f) * np.sqrt(f.shape[0])  # noise norm of the channel vector
    return WEIGHT_NOISE * sigma * contrast + WEIGHT_FLOOR * contrast ** 2


def edge_map(f: np.ndarray, edge_weight: float, sigma: float = 1.0) -> np.ndarray:
    r"""Edge-stopping function ``g = 1 / (1 + edge_weight * s / mean(s))``, with ``s`` the
    squared gradient magnitude of the Gaussian-smoothed image summed over channels
    (``f`` is ``(C, *spatial)``): near 1 in flat regions, small across strong edges."""
    from scipy import ndimage as ndi

    s = sum(ndi.gaussian_gradient_magnitude(ch, sigma) ** 2 for ch in f)
    mean = float(s.mean())
    if mean <= 0:
        return np.ones(f.shape[1:])
    return 1.0 / (1.0 + edge_weight * s / mean)


def initial_mask(f: np.ndarray, valid: np.ndarray, init: object) -> np.ndarray:
    """``"auto"``: Otsu's threshold of the first principal component of the pixel values
    (the intensity for gray images; the dominant colour direction otherwise)."""
    if isinstance(init, str):
        if init != "auto":
            raise ValueError(f"init must be 'auto' or a boolean mask, got {init!r}")
        if len(f) > 1:
            values = f.reshape(len(f), -1) if valid.all() else f[:, valid]
            mean = values.mean(axis=1)
            scatter = values @ values.T / values.shape[1] - np.outer(mean, mean)
            _, vecs = np.linalg.eigh(scatter)
            direction = vecs[:, -1] * np.sign(vecs[:, -1].sum() or 1.0)
        else:
            direction = np.ones(1)
        projection = np.tensordot(direction, f, axes=1)
        threshold = otsu_threshold(projection[valid])
        mask = projection > threshold
        if mask[valid].all() or not mask[valid].any():
            mask = projection >= threshold
        return mask
    return check_init_mask(init, f.shape[1:])


def _fill_invalid(f: np.ndarray, valid: np.ndarray) -> np.ndarray:
    if valid.all():
        return f
    f = f.copy()
    for ch in f:
        ch[~valid] = ch[valid].mean()
    return f


def object_is_phase_one(mask: np.ndarray, model: Model) -> bool:
    """The polarity rule: the object is the phase that covers less of the image border;
    when both cover it within 5 percentage points of one half, the phase of smaller area;
    when the areas are within 1% too, the brighter phase (mean over channels)."""
    border = border_map(mask.shape)
    on_border = float(mask[border].mean())
    if abs(on_border - 0.5) > 0.05:
        return on_border < 0.5
    area = float(mask.mean())
    if abs(area - 0.5) > 0.01:
        return area < 0.5
    return float(model.inside.mean()) >= float(model.outside.mean())


@dask_dispatch("applications.segmentation._dask:segment_dask")  # dask array in -> lazy out
def segment(image: np.ndarray, *, weight: float | None = None,
            channel_axis: int | None = None, edge_weight: float = 0.0,
            bias_degree: int = 0,
            bias_model: Literal["additive", "multiplicative"] = "additive",
            init: np.ndarray | str = "auto", means: np.ndarray | None = None,
            tol: float = 1e-3, max_iter: int = 2000, progress: bool = False,
            return_info: bool = False) -> np.ndarray | SegmentResult:
    r"""Two-phase segmentation by the convex relaxation of Chan-Vese, n-D, gray or colour.

    Minimises over partitions :math:`\Omega` and phase intensities

    .. math::

        E(\Omega, m_1, m_2) = w \sum_i g_i |(\nabla 1_\Omega)_i|
            + \sum_{i \in \Omega} \sum_c (f_{ci} - m_{1ci})^2
            + \sum_{i \notin \Omega} \sum_c (f_{ci} - m_{2ci})^2

    (forward differences, isotropic length; :math:`g = 1` unless ``edge_weight > 0``;
    :math:`m_j` constants, or a constant times/plus a polynomial bias field).  For fixed
    intensities the partition is a global minimiser, found by thresholding the solution of
    a weighted ROF problem (the convex relaxation of Chan, Esedoglu and Nikolova); the
    intensities are refitted and the problem re-solved until the energy settles.

    Parameters
    ----------
    image : ndarray, shape (M, N), (P, M, N) or either with a channel axis
        Image or volume.  Integer images are converted as
        :func:`skimage.util.img_as_float` does (``uint16`` 65535 -> 1.0).  NaN/inf pixels
        are ignored by the data term (a :class:`SegmentationWarning` says how many): the
        length term labels them from their neighbours.
    weight : float, optional
        :math:`w \ge 0`, the price of boundary length (area in 3-D) in squared-intensity
        units; larger gives smoother, fewer regions.  Default: :func:`default_weight`,
        from the estimated noise level and the contrast.
    channel_axis : int or None, optional
        Axis of the channels; all channels enter the data term (a colour difference
        segments even where the gray levels are equal).
    edge_weight : float, optional
        :math:`\beta \ge 0`: weight the length by ``g = 1 / (1 + beta |grad G * f|^2 /
        mean)`` (geodesic length), so boundaries snap to edges.  0 (default): plain length.
    bias_degree : int, optional
        Degree of a smooth polynomial bias field (0, default: piecewise-constant model).
    bias_model : {"additive", "multiplicative"}, optional
        ``f ~ b(x) + c_j`` (default: one joint linear least-squares fit) or ``f ~ b(x) c_j``
        (illumination, MRI bias; fitted by alternation, so it can stop in a local fit).
    init : "auto" or ndarray of bool, optional
        Initial partition (spatial shape): ``"auto"`` thresholds the first principal
        component of the pixel values with Otsu's method.
    means : array_like, shape (2,) or (2, C), optional
        Fixed intensities ``(object, background)`` per channel: one convex problem, solved
        to its global minimum (no refit, no polarity rule: the object is the phase of
        ``means[0]``).  For tiled processing with global intensities; not with
        ``bias_degree``.
    tol : float, optional
        Stop when the relative duality gap of the convex subproblem and the relative
        decrease of the energy in one round are both below ``tol``.  ``tol=0`` runs
        exactly ``max_iter`` primal-dual iterations (rounds of 50).
    max_iter : int, optional
        Budget of primal-dual iterations, all rounds together.  When it runs out first the
        result is returned with ``success=False`` and a :class:`SegmentationWarning`.
    progress : bool, optional
        Show a progress bar.
    return_info : bool, optional
        Return a :class:`SegmentResult` instead of the mask alone.

    Returns
    -------
    ndarray of bool or SegmentResult
        The object mask, the image's spatial shape.  **Polarity rule**: the object is the
        phase that covers less of the image border; if both cover about half of it (within
        5 points), the smaller phase; if they are also of equal area (within 1%), the
        brighter one.  The rule depends only on the partition (not on the initial mask or
        the solver path) and, but for that last tie, is unchanged by inverting the
        contrast.

    Warns
    -----
    SegmentationWarning
        Budget exhausted; non-finite pixels ignored; constant image (all-False mask); a
        single phase found (all True/False mask).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> yy, xx = np.mgrid[:64, :64]
    >>> disk = (yy - 32) ** 2 + (xx - 30) ** 2 < 15 ** 2
    >>> noisy = disk + 0.4 * rng.standard_normal(disk.shape)
    >>> mask = segment(noisy)
    >>> bool((mask == disk).mean() > 0.98)
    True
    """
    start = time.perf_counter()
    f, valid = prepare_image(image, channel_axis)
    tol, max_iter = check_budget(tol, max_iter)
    edge_weight = _non_negative(edge_weight, "edge_weight")
    if weight is not None:
        weight = _non_negative(weight, "weight")
    if isinstance(bias_degree, bool) or not isinstance(bias_degree, (int, np.integer)) \
            or not 0 <= bias_degree <= 4:
        raise ValueError(f"bias_degree must be an integer in 0..4, got {bias_degree!r}")
    if bias_model not in BIAS_MODELS:
        raise ValueError(f"bias_model must be one of {BIAS_MODELS}, got {bias_model!r}")
    if not valid.any():
        raise ValueError("image has no finite pixel")
    spatial = f.shape[1:]
    if not valid.all():
        warnings.warn(f"{int((~valid).sum())} NaN/inf pixel(s) ignored by the data term; "
                      "they are labelled from their neighbours", SegmentationWarning,
                      stacklevel=2)
        f = _fill_invalid(f, valid)
    if isinstance(init, str):
        if init != "auto":
            raise ValueError(f"init must be 'auto' or a boolean mask, got {init!r}")
    else:
        init = check_init_mask(init, spatial)
    if np.ptp(f[:, valid], axis=1).max() == 0:
        warnings.warn("image is constant: there is nothing to segment; returning an "
                      "all-False mask", SegmentationWarning, stacklevel=2)
        mask = np.zeros(spatial, bool)
        model = fit_model(f, mask, valid, basis=None)
        return _finish(mask, None, model, weight or 0.0, [0.0], 0, 0, np.nan, 0.0, True,
                       "constant image", start, return_info, swap=False)

    fixed = means is not None
    if fixed:
        fixed_means = np.asarray(means, dtype=np.float64)
        if fixed_means.size != 2 * f.shape[0] or not np.isfinite(fixed_means).all():
            raise ValueError(f"means must be finite, shape (2, {f.shape[0]}) (object, "
                             f"background per channel), got shape {np.shape(means)}")
        fixed_means = fixed_means.reshape(2, -1)
        if bias_degree > 0:
            raise ValueError("means (fixed intensities) cannot be combined with bias_degree")
    basis = polynomial_basis(spatial, int(bias_degree)) if bias_degree > 0 else None
    otsu = initial_mask(f, valid, "auto") if weight is None or isinstance(init, str) else None
    if weight is None:  # from the Otsu partition whatever the init: a property of the image
        weight = _weight_rule(f, Model(fixed_means[0], fixed_means[1]) if fixed
                              else fit_model(f, otsu, valid, basis=None))
    mask = otsu if isinstance(init, str) else init
    model = fit_model(f, mask, valid, basis=None)
    if fixed:
        model = Model(fixed_means[0], fixed_means[1])
    elif basis is not None:
        model = fit_model(f, mask, valid, basis=basis, kind=bias_model)
    g = edge_map(f, edge_weight) if edge_weight > 0 else None
    energies = [chan_vese_energy(mask, f, valid, model, weight, g)]

    grid = Grid(spatial, tuple(range(len(spatial))))
    tv_weight = (weight if g is None else (weight * g).astype(np.float32))
    bar = tqdm(total=max_iter, desc="segment", disable=not progress, leave=False)

    def tick(k: int, check: object) -> None:
        bar.update(1)
        if check is not None:
            bar.set_postfix(rel_gap=f"{check.rel_gap:.1e}", energy=f"{energies[-1]:.4g}",
                            refresh=False)

    ws, used, rounds, level = None, 0, 0, None
    gap = rel_gap = 0.0
    converged, degenerate, stalled = False, False, False
    previous_level = None
    settled = tol == 0
    try:
        while used < max_iter:
            r64 = data_term(f, valid, model)
            budget = (max_iter - used if tol > 0 or fixed
                      else min(FIXED_ROUND, max_iter - used))
            if weight == 0:  # no length term: the minimiser is the sign of r
                level, used, gap, rel_gap = -r64, used + 1, 0.0, 0.0
                bar.update(1)
            else:
                r = r64.astype(np.float32)
                if ws is None:
                    ws = Workspace(np.ascontiguousarray(-r), grid, tv_weight)
                else:
                    np.negative(r, out=ws.f)
                # Inexact alternation: while the partition still moves, a looser gap will
                # do; the last round is always solved to ``tol``.
                inner_tol = tol if settled or fixed else min(10 * tol, 1e-2)
                level, check = solve_fista(ws, inner_tol, budget, tick)
                used += check.nit
                gap, rel_gap = check.gap, check.rel_gap
            rounds += 1
            new_mask = level > 0
            if new_mask.all() or not new_mask.any():
                degenerate = True
                mask = new_mask
                break
            if fixed:
                mask, converged = new_mask, tol > 0 and rel_gap <= tol
                energies.append(chan_vese_energy(mask, f, valid, model, weight, g))
                break
            changed = int(np.count_nonzero(new_mask != mask))
            if not settled and changed <= 0.01 * mask.size:
                settled = True
                if tol > 0 and rel_gap > tol:  # re-solve this round to tol before judging
                    continue
            new_model = fit_model(f, new_mask, valid, basis=basis, kind=bias_model,
                                  previous=model)
            new_energy = chan_vese_energy(new_mask, f, valid, new_model, weight, g)
            if tol > 0 and new_energy > energies[-1] and previous_level is not None:
                # Isotropic discrete TV has no exact coarea formula: near convergence the
                # thresholded minimiser can be a hair worse.  Keep the better partition.
                level, stalled = previous_level, True
                break
            mask, model, previous_level = new_mask, new_model, level.copy()
            energies.append(new_energy)
            decrease = (energies[-2] - energies[-1]) / max(abs(energies[-1]), 1e-300)
            if tol > 0 and rel_gap <= tol and (changed == 0 or decrease <= tol * 1e-2):
                converged = True
                break
    finally:
        bar.close()
    level = np.array(level, dtype=np.float64)
    if degenerate:
        warnings.warn("the segmentation found a single phase (all pixels alike): the weight "
                      f"({weight:.3g}) may be too large for this contrast",
                      SegmentationWarning, stacklevel=2)
        success, message = True, "single phase"
    elif converged:
        success, message = True, "energy and duality gap below tol"
    elif stalled:
        success, message = True, "energy stopped decreasing"
    elif tol == 0 and (fixed or used >= max_iter):
        success, message = True, f"fixed iteration count (tol=0, max_iter={max_iter})"
    else:
        success, message = False, (f"iteration budget (max_iter={max_iter}) exhausted before "
                                   "the stopping rule was met")
        warnings.warn(f"segment: {message}; returning the current mask (relative gap "
                      f"{rel_gap:.1e})", SegmentationWarning, stacklevel=2)
    swap = not fixed and not object_is_phase_one(mask, model)
    return _finish(mask, level, model, weight, energies, used, rounds, gap, rel_gap, success,
                   message, start, return_info, swap=swap)


def _finish(mask, level, model, weight, energies, nit, rounds, gap, rel_gap, success,
            message, start, return_info, *, swap):
    if swap:
        mask = ~mask
        level = None if level is None else -level
        model = Model(model.outside, model.inside, model.bias, model.kind)
    if not return_info:
        return mask
    return SegmentResult(mask=mask, energy=np.asarray(energies, float),
                         means=np.stack([model.inside, model.outside]), bias=model.bias,
                         level=level, weight=float(weight), nit=int(nit), rounds=int(rounds),
                         gap=float(gap), rel_gap=float(rel_gap), success=bool(success),
                         message=message, time=time.perf_counter() - start)


def _non_negative(value: object, name: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {value!r}") from None
    if not (np.isfinite(out) and out >= 0):
        raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
    return out
