r"""Multiphase segmentation: the simplex relaxation of the piecewise-constant Potts model.

For fixed phase intensities :math:`c_l`, the labelling problem is relaxed (Zach et al.;
Chambolle, Cremers and Pock) to soft assignments on the probability simplex:

.. math::

    \min_{u \in \Delta^L} \; \sum_l \sum_i r_{li} u_{li}
        + \frac{w}{2} \sum_l \sum_i g_i |(\nabla u_l)_i|,
    \qquad r_{li} = \|f_i - c_l\|^2

(the factor 1/2 counts each boundary once, as the two-phase energy does), solved by the
primal-dual iteration of Chambolle and Pock on the grid and dual projection shared with
:mod:`applications._tv`.  Its dual bound :math:`D(p) = \sum_i \min_l (r_l - \operatorname
{div} p_l)_i` certifies the stopping rule; labels are the largest assignment, the
intensities are refitted and the problem re-solved from the previous primal-dual pair.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from tqdm.auto import tqdm

from .._tv import Check, Grid
from ._image import SegmentationWarning, check_budget, prepare_image
from ._model import perimeter
from ._result import SegmentResult
from ._statistics import noise_level
from ._two_phase import FIXED_ROUND, WEIGHT_FLOOR, WEIGHT_NOISE, _fill_invalid, edge_map

__all__ = ["segment_multiphase", "project_simplex"]


def project_simplex(v: np.ndarray) -> np.ndarray:
    """Euclidean projection of every column ``v[:, i...]`` onto the probability simplex."""
    n = v.shape[0]
    s = -np.sort(-v, axis=0)
    css = np.cumsum(s, axis=0) - 1.0
    k = np.arange(1, n + 1, dtype=v.dtype).reshape((n,) + (1,) * (v.ndim - 1))
    positive = s - css / k > 0
    rho = n - 1 - np.argmax(positive[::-1], axis=0)
    theta = np.take_along_axis(css, rho[np.newaxis], axis=0)[0] / (rho + 1)
    return np.maximum(v - theta, 0.0)


def _initial_labels(f: np.ndarray, valid: np.ndarray, n_phases: int) -> np.ndarray:
    """1-D k-means (Lloyd, quantile start) on the first principal component."""
    values = f[:, valid]
    centred = values - values.mean(axis=1, keepdims=True)
    if len(f) > 1:
        _, vecs = np.linalg.eigh(centred @ centred.T)
        direction = vecs[:, -1] * np.sign(vecs[:, -1].sum() or 1.0)
    else:
        direction = np.ones(1)
    x = np.tensordot(direction, f, axes=1)
    centres = np.quantile(x[valid], (np.arange(n_phases) + 0.5) / n_phases)
    for _ in range(30):
        labels = np.abs(x[..., None] - centres).argmin(axis=-1)
        new = np.array([x[valid & (labels == l)].mean() if np.any(valid & (labels == l))
                        else centres[l] for l in range(n_phases)])
        if np.allclose(new, centres):
            break
        centres = new
    return labels


def _means(f: np.ndarray, valid: np.ndarray, labels: np.ndarray, previous: np.ndarray | None,
           n_phases: int) -> np.ndarray:
    out = np.empty((n_phases, f.shape[0]))
    for l in range(n_phases):
        sel = valid & (labels == l)
        out[l] = f[:, sel].mean(axis=1) if sel.any() else (
            previous[l] if previous is not None else f[:, valid].mean(axis=1))
    return out


def _data(f: np.ndarray, valid: np.ndarray, means: np.ndarray) -> np.ndarray:
    r = np.stack([((f - m.reshape((-1,) + (1,) * (f.ndim - 1))) ** 2).sum(axis=0)
                  for m in means])
    r[:, ~valid] = 0.0
    return r


def potts_energy(labels: np.ndarray, f: np.ndarray, valid: np.ndarray, means: np.ndarray,
                 weight: float, g: np.ndarray | None) -> float:
    """Data fit plus ``w/2`` times the summed (edge-weighted) boundary length of the phases."""
    r = _data(f, valid, means)
    data = float(np.take_along_axis(r, labels[np.newaxis], axis=0).sum())
    length = sum(perimeter(labels == l, g) for l in range(len(means)))
    return data + 0.5 * weight * length


def segment_multiphase(image: np.ndarray, n_phases: int, *, weight: float | None = None,
                       channel_axis: int | None = None, edge_weight: float = 0.0,
                       init: np.ndarray | str = "auto", tol: float = 1e-3,
                       max_iter: int = 3000, progress: bool = False,
                       return_info: bool = False) -> np.ndarray | SegmentResult:
    r"""Label an image or volume into ``n_phases`` piecewise-constant phases.

    Minimises the Potts (multiphase Chan-Vese) energy

    .. math::

        E(\ell, c) = \sum_i \|f_i - c_{\ell_i}\|^2
            + \frac{w}{2} \sum_l \sum_i g_i |(\nabla 1_{\ell = l})_i|

    by its convex relaxation on the simplex for fixed intensities (module docstring),
    alternating with the intensity update.  With ``n_phases=2`` the energy is the one of
    :func:`segment` (which solves that case exactly and faster).

    Parameters
    ----------
    image : ndarray, shape (M, N), (P, M, N) or either with a channel axis
        Converted and checked as in :func:`segment` (NaN/inf pixels are ignored by the data
        term, with a warning).
    n_phases : int
        Number of phases, >= 2.
    weight : float, optional
        :math:`w \ge 0`.  Default: the rule of :func:`default_weight`, with the smallest
        distance between two initial phase means as the contrast.
    channel_axis : int or None, optional
        Axis of the channels (all enter the data term).
    edge_weight : float, optional
        Edge-stopping weight of the length, as in :func:`segment`.
    init : "auto" or ndarray of int, optional
        Initial labels (spatial shape, values ``0 .. n_phases - 1``); ``"auto"``: k-means on
        the first principal component of the pixel values.
    tol : float, optional
        Stop when the relative primal-dual gap is below ``tol`` and the energy decreased by
        less than ``tol / 100`` (relative) in the last round; 0: run exactly ``max_iter``.
    max_iter : int, optional
        Budget of primal-dual iterations (all rounds); when it runs out first, the labels are
        returned with ``success=False`` and a :class:`SegmentationWarning`.
    progress, return_info : bool, optional
        Progress bar; return a :class:`SegmentResult` (``mask`` holds the labels).

    Returns
    -------
    ndarray of int or SegmentResult
        Labels ``0 .. n_phases - 1`` ordered by increasing mean intensity (averaged over
        channels, to 1e-6; ties by the mean of channel 0, then 1...): 0 is the darkest.

    Examples
    --------
    >>> import numpy as np
    >>> truth = np.repeat(np.arange(3), 20)[None, :].repeat(30, axis=0)
    >>> noisy = truth / 2 + 0.1 * np.random.default_rng(0).standard_normal(truth.shape)
    >>> labels = segment_multiphase(noisy, 3)
    >>> bool((labels == truth).mean() > 0.99)
    True
    """
    start = time.perf_counter()
    if isinstance(n_phases, bool) or not isinstance(n_phases, (int, np.integer)) \
            or n_phases < 2:
        raise ValueError(f"n_phases must be an integer >= 2, got {n_phases!r}")
    f, valid = prepare_image(image, channel_axis)
    tol, max_iter = check_budget(tol, max_iter)
    from ._two_phase import _non_negative
    edge_weight = _non_negative(edge_weight, "edge_weight")
    if weight is not None:
        weight = _non_negative(weight, "weight")
    if not valid.any():
        raise ValueError("image has no finite pixel")
    if not valid.all():
        warnings.warn(f"{int((~valid).sum())} NaN/inf pixel(s) ignored by the data term; "
                      "they are labelled from their neighbours", SegmentationWarning,
                      stacklevel=2)
        f = _fill_invalid(f, valid)
    spatial = f.shape[1:]
    if isinstance(init, str):
        if init != "auto":
            raise ValueError(f"init must be 'auto' or an array of labels, got {init!r}")
        labels = _initial_labels(f, valid, n_phases)
    else:
        labels = np.asarray(init)
        if labels.shape != spatial:
            raise ValueError(f"init labels have shape {labels.shape}, the image's spatial "
                             f"shape is {spatial}")
        if labels.dtype.kind not in "iub" or labels.min() < 0 or labels.max() >= n_phases:
            raise ValueError(f"init labels must be integers in 0..{n_phases - 1}")
        labels = labels.astype(np.intp)
    means = _means(f, valid, labels, None, n_phases)
    if weight is None:
        gaps = [np.linalg.norm(means[a] - means[b]) for a in range(n_phases)
                for b in range(a + 1, n_phases)]
        contrast = float(min(gaps))
        weight = (WEIGHT_NOISE * noise_level(f) * np.sqrt(f.shape[0]) * contrast
                  + WEIGHT_FLOOR * contrast ** 2)
    g = edge_map(f, edge_weight) if edge_weight > 0 else None
    energies = [potts_energy(labels, f, valid, means, weight, g)]

    grid = Grid(spatial, tuple(range(len(spatial))))
    dtype = np.float32
    bound = (0.5 * weight * (np.ones(spatial) if g is None else g)).astype(dtype)
    u = np.stack([labels == l for l in range(n_phases)]).astype(dtype)
    u_bar = u.copy()
    p = np.zeros((n_phases, grid.ndim) + spatial, dtype)
    field = grid.zeros_field(dtype)
    div = np.empty(spatial, dtype)
    scratch, scratch2 = np.empty(spatial, dtype), np.empty(spatial, dtype)
    step = 1.0 / np.sqrt(grid.lipschitz)  # tau = sigma, tau * sigma * ||grad||^2 <= 1

    def divergences(p: np.ndarray) -> np.ndarray:
        return np.stack([grid.divergence(p[l], div).copy() for l in range(n_phases)])

    def certificate(u, p, r, k) -> Check:
        length = 0.0
        for l in range(n_phases):
            grid.gradient(u[l], field)
            norm = grid.norm(field, scratch, scratch2)
            norm *= bound
            length += float(norm.sum(dtype=np.float64))
        primal = float((r * u).sum(dtype=np.float64)) + length
        dual = float((r - divergences(p)).min(axis=0).sum(dtype=np.float64))
        return Check(k, primal, max(primal - dual, 0.0))

    bar = tqdm(total=max_iter, desc="segment_multiphase", disable=not progress, leave=False)
    used, rounds, check = 0, 0, Check(0, energies[0], np.inf)
    converged = stalled = False
    try:
        while used < max_iter:
            r = _data(f, valid, means).astype(dtype)
            budget = max_iter - used if tol > 0 else min(FIXED_ROUND, max_iter - used)
            if weight == 0:
                u = (r == r.min(axis=0)).astype(dtype)
                used += 1
                check = Check(used, energies[-1], 0.0)
            else:
                for k in range(1, budget + 1):
                    for l in range(n_phases):  # dual ascent and projection, per phase
                        grid.gradient(u_bar[l], field)
                        field *= step
                        field += p[l]
                        norm = grid.norm(field, scratch, scratch2)
                        np.maximum(norm, bound, out=norm)
                        np.divide(bound, norm, out=norm)
                        np.multiply(field, norm, out=p[l])
                    u_new = project_simplex(u + step * (divergences(p) - r))
                    np.subtract(2 * u_new, u, out=u_bar)
                    u = u_new
                    bar.update(1)
                    if k % 20 == 0 or k == budget:
                        check = certificate(u, p, r, used + k)
                        bar.set_postfix(rel_gap=f"{check.rel_gap:.1e}", refresh=False)
                        if tol > 0 and check.rel_gap <= tol:
                            break
                used += k
            rounds += 1
            new_labels = u.argmax(axis=0)
            new_means = _means(f, valid, new_labels, means, n_phases)
            new_energy = potts_energy(new_labels, f, valid, new_means, weight, g)
            if tol > 0 and new_energy > energies[-1] and rounds > 1:  # relaxation rounding
                stalled = True
                break
            labels, means = new_labels, new_means
            energies.append(new_energy)
            decrease = (energies[-2] - energies[-1]) / max(abs(energies[-1]), 1e-300)
            if tol > 0 and check.rel_gap <= tol and decrease <= tol * 1e-2:
                converged = True
                break
    finally:
        bar.close()
    if converged:
        success, message = True, "energy and duality gap below tol"
    elif stalled:
        success, message = True, "energy stopped decreasing"
    elif tol == 0:
        success, message = True, f"fixed iteration count (tol=0, max_iter={max_iter})"
    else:
        success, message = False, (f"iteration budget (max_iter={max_iter}) exhausted before "
                                   "the stopping rule was met")
        warnings.warn(f"segment_multiphase: {message}; returning the current labels",
                      SegmentationWarning, stacklevel=2)
    # by mean over channels (to 1e-6), ties broken by channel 0, 1, ...
    keys = [means[:, c] for c in range(means.shape[1])][::-1]
    order = np.lexsort(keys + [np.round(means.mean(axis=1), 6)])
    rank = np.empty_like(order)
    rank[order] = np.arange(n_phases)
    labels = rank[labels]
    if len(np.unique(labels)) < n_phases:
        warnings.warn(f"only {len(np.unique(labels))} of {n_phases} phases are present in "
                      "the result (weight too large, or fewer phases in the image)",
                      SegmentationWarning, stacklevel=2)
    if not return_info:
        return labels
    return SegmentResult(mask=labels, energy=np.asarray(energies), means=means[order],
                         bias=None, level=u[order].astype(np.float64), weight=float(weight),
                         nit=int(used), rounds=int(rounds), gap=float(check.gap),
                         rel_gap=float(check.rel_gap), success=bool(success), message=message,
                         time=time.perf_counter() - start)
