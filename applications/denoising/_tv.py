r"""Total-variation (ROF) denoising with a certified stopping rule.

The primal problem, with scikit-image's discretisation (forward differences, zero at the
last index of each spatial axis, isotropic norm, channels independent):

.. math:: \min_u P(u) = \tfrac12 \|u - f\|^2 + w \sum_i |(\nabla u)_i|

Its dual, over fields ``q`` with ``|q_i| <= w`` at every pixel, with ``u(q) = f + div q``:

.. math:: \max_{|q_i| \le w} D(q) = \tfrac12 \|f\|^2 - \tfrac12 \|f + \operatorname{div} q\|^2

Every dual-feasible ``q`` certifies ``P(u(q)) - P^\star \le P(u(q)) - D(q) =
\sum_i \left(w |(\nabla u)_i| - q_i \cdot (\nabla u)_i\right)``, a sum of non-negative
terms that is cheap and accurate to evaluate.  The solvers stop when this gap falls below
``tol * P(u(q))``.

The dual solvers live in :mod:`applications._tv` (shared with segmentation).
``"fista"`` (default) is the accelerated projected gradient on the dual (Beck and Teboulle's
FGP) with Chambolle-Dossal momentum and a step 1.25 times the classical one (guarded);
``"chambolle"`` is Chambolle's semi-implicit projection iteration (the one scikit-image
runs), here with the same stopping rule.
``"lbfgs"`` and ``"newton-cg"`` minimise a smoothed energy with AD derivatives (see
:mod:`._variational`).
"""

from __future__ import annotations

import time

import numpy as np
from tqdm.auto import tqdm

from .._dask import dask_dispatch
from .._tv import _dual
from .._tv._dual import DUAL_SOLVERS as _DUAL_SOLVERS
from .._tv._dual import Check as _Check
from .._tv._dual import Workspace as _Workspace
from .._tv._grid import Grid
from ._image import as_float_image, check_weight, spatial_axes
from ._result import DenoiseResult

__all__ = ["denoise_tv", "tv_energy", "TV_METHODS"]


def tv_energy(image: np.ndarray, reference: np.ndarray, weight: float, *,
              channel_axis: int | None = None) -> float:
    r"""Evaluate the ROF energy :math:`\tfrac12\|u - f\|^2 + w\,TV(u)` in float64.

    Parameters
    ----------
    image : ndarray
        The candidate :math:`u`.
    reference : ndarray, same shape
        The noisy data :math:`f`.
    weight : float
        :math:`w`.
    channel_axis : int or None, optional
        Axis of the channels (no differences along it).

    Returns
    -------
    float
        The energy, summed over channels.
    """
    u = np.asarray(image, dtype=np.float64)
    f = np.asarray(reference, dtype=np.float64)
    if u.shape != f.shape:
        raise ValueError(f"image and reference shapes differ: {u.shape} vs {f.shape}")
    axes, _ = spatial_axes(u.ndim, channel_axis)
    grid = Grid(u.shape, axes)
    g = grid.zeros_field(np.float64)
    grid.gradient(np.ascontiguousarray(u), g)
    tv = float(np.sqrt(np.sum(g * g, axis=0)).sum())
    return 0.5 * float(np.sum((u - f) ** 2)) + weight * tv


#: FISTA step in units of ``1/L`` used by ``denoise_tv`` (see :mod:`applications._tv`);
#: read at each call, so it can be changed for experiments.
GREEDY_STEP = _dual.GREEDY_STEP

#: Every method ``denoise_tv`` accepts (the AD ones minimise a smoothed energy).
TV_METHODS = ("fista", "chambolle", "lbfgs", "newton-cg")


@dask_dispatch("applications.denoising._dask:denoise_tv_dask")  # dask array in -> lazy out
def denoise_tv(image: np.ndarray, weight: float = 0.1, *, channel_axis: int | None = None,
               eps: float = 1e-3, method: str = "fista", tol: float = 5e-3,
               max_iter: int = 500, progress: bool = False,
               return_info: bool = False) -> np.ndarray | DenoiseResult:
    r"""Total-variation denoising (Rudin-Osher-Fatemi), n-D, gray or color.

    Solves

    .. math::

        \min_u \; \tfrac12 \sum_i (u_i - f_i)^2
                 + w \sum_i \sqrt{\textstyle\sum_{a} (u_{i + e_a} - u_i)^2}

    with forward differences along every spatial axis ``a`` set to zero at the last index:
    the same energy as :func:`skimage.restoration.denoise_tv_chambolle` with the same
    ``weight``, so results and energies are directly comparable.  Color channels are
    denoised independently (one problem per channel, solved together).

    Parameters
    ----------
    image : ndarray, shape (M, N[, ...][, C])
        Noisy image, any number of dimensions.  Integer images are converted with
        :func:`skimage.util.img_as_float`; float32 stays float32 (and is about twice as
        fast), float64 stays float64.  Never modified.
    weight : float, optional
        :math:`w \ge 0`: larger means smoother.  Noise of standard deviation ``sigma``
        calls for roughly ``weight = 1.65 * sigma ** 1.33`` on natural images
        (:func:`default_weight`).
    channel_axis : int or None, optional
        Axis of the color channels; None for a gray (or volumetric) image.  Each channel
        is a separate problem, stopped by its own gap.
    eps : float, optional
        Smoothing of the TV norm, :math:`\sqrt{|\nabla u|^2 + \epsilon^2}`, for the AD
        methods only (``"lbfgs"``, ``"newton-cg"``).
    method : {"fista", "chambolle", "lbfgs", "newton-cg"}, optional
        ``"fista"``: accelerated projected gradient on the dual (default, fastest).
        ``"chambolle"``: Chambolle's projection iteration.  ``"lbfgs"``/``"newton-cg"``:
        :func:`autodiff.optimize.minimize` on the smoothed energy with AD derivatives.
    tol : float, optional
        Stop when the duality gap is below ``tol`` times the energy: the returned energy
        is then certified to be within a factor ``1 + tol`` of the optimum.  For float32
        images, values below about ``1e-5`` are not reachable (rounding).  ``tol=0`` runs
        exactly ``max_iter`` iterations (a fixed schedule, reported as a success).
    max_iter : int, optional
        Iteration budget.
    progress : bool, optional
        Show a progress bar with the relative gap.
    return_info : bool, optional
        Return a :class:`DenoiseResult` (image, energy, gap, iterations, time) instead of
        the image alone.

    Returns
    -------
    ndarray or DenoiseResult
        The denoised image (float32 or float64, shape of ``image``), or the result object.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> clean = np.zeros((64, 64)); clean[16:48, 16:48] = 1.0
    >>> noisy = clean + 0.2 * rng.standard_normal(clean.shape)
    >>> res = denoise_tv(noisy, weight=0.2, return_info=True)
    >>> bool(np.abs(res.image - clean).mean() < np.abs(noisy - clean).mean())
    True
    >>> bool(res.rel_gap <= 5e-3)
    True
    """
    f = as_float_image(image)
    w = check_weight(weight)
    spatial_axes(f.ndim, channel_axis)  # validates channel_axis
    if method not in TV_METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {TV_METHODS}")
    if not (isinstance(max_iter, (int, np.integer)) and max_iter >= 1):
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    if not tol >= 0:
        raise ValueError(f"tol must be >= 0, got {tol!r}")
    if method not in _DUAL_SOLVERS:
        from ._variational import smoothed_tv_denoise
        return smoothed_tv_denoise(f, w, channel_axis=channel_axis, eps=eps, method=method,
                                   tol=tol, max_iter=max_iter, progress=progress,
                                   return_info=return_info)
    start = time.perf_counter()
    # Channels are independent problems; solving them one at a time keeps the working set
    # (five fields and images of one channel) in cache, several times faster than jointly.
    if channel_axis is None:
        channels, layout = f[np.newaxis], None
    else:
        layout = spatial_axes(f.ndim, channel_axis)[1]
        channels = np.ascontiguousarray(np.moveaxis(f, layout, 0))
    out = np.empty_like(channels)
    bar = tqdm(total=max_iter * len(channels), desc=f"denoise_tv ({method})",
               disable=not progress or w == 0.0, leave=False)

    def tick(k: int, check: _Check | None) -> None:
        bar.update(1)
        if check is not None:
            bar.set_postfix(rel_gap=f"{check.rel_gap:.1e}", refresh=False)

    checks = []
    try:
        for c, channel in enumerate(channels):
            ws = _Workspace(channel, Grid(channel.shape, tuple(range(channel.ndim))), w)
            if w == 0.0:
                check, u = ws.check(ws.q, 0)
            else:
                u, check = _DUAL_SOLVERS[method](ws, tol, max_iter, tick,
                                                 step_factor=GREEDY_STEP)
                bar.update(max_iter * (c + 1) - bar.n)
            out[c] = u
            checks.append(check)
    finally:
        bar.close()
    u = out[0] if layout is None else np.ascontiguousarray(np.moveaxis(out, 0, layout))
    energy = sum(ch.energy for ch in checks)
    check = _Check(max(ch.nit for ch in checks), energy, sum(ch.gap for ch in checks))
    solved = all(ch.rel_gap <= tol for ch in checks)
    if not return_info:
        return u
    success = solved or tol == 0
    message = ("fixed iteration count (tol=0)" if tol == 0
               else "relative duality gap below tol" if success
               else "iteration budget exhausted before the gap reached tol")
    return DenoiseResult(image=u, energy=check.energy, nit=check.nit,
                         time=time.perf_counter() - start, success=success, message=message,
                         method=method, gap=check.gap, rel_gap=check.rel_gap)
