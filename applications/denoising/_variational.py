r"""Variational denoising with any regulariser written in NumPy, minimised with AD.

.. math:: \min_u \; \tfrac12 \|u - f\|^2 + w\, R(u)

The energy is written once as ordinary NumPy code; :func:`autodiff.optimize.minimize`
gets its gradient (and Hessian-vector products for ``"newton-cg"``) by automatic
differentiation.  Huber-TV, Tikhonov and the smoothed TV used by ``denoise_tv(method=
"lbfgs")`` are such regularisers, built from :func:`forward_differences`.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence

import numpy as np

from autodiff.optimize import METHODS, minimize

from .._dask import dask_dispatch
from .._tv import Grid
from ._image import as_float_image, check_weight, spatial_axes
from ._result import DenoiseResult

__all__ = [
    "denoise", "denoise_huber", "denoise_tikhonov", "forward_differences",
    "huber_tv", "tikhonov", "smoothed_tv", "smoothed_tv_denoise",
]


# --- regularisers, written with plain NumPy (traced by autodiff) ---------------------------

def forward_differences(u: np.ndarray, axes: Sequence[int]) -> list[np.ndarray]:
    """Forward differences of ``u`` along ``axes``, zero at the last index (Neumann).

    Parameters
    ----------
    u : ndarray
        Image (may be a traced array inside an AD transform).
    axes : sequence of int
        Spatial axes.

    Returns
    -------
    list of ndarray
        One array of ``u``'s shape per axis.
    """
    out = []
    for axis in axes:
        widths = [(0, 0)] * u.ndim
        widths[axis] = (0, 1)
        out.append(np.pad(np.diff(u, axis=axis), widths))
    return out


def _squared_gradient_norm(u: np.ndarray, axes: Sequence[int]) -> np.ndarray:
    diffs = forward_differences(u, axes)
    total = diffs[0] * diffs[0]
    for d in diffs[1:]:
        total = total + d * d
    return total


def tikhonov(u: np.ndarray, axes: Sequence[int]) -> np.ndarray:
    r""":math:`\tfrac12 \sum_i |(\nabla u)_i|^2` (quadratic smoothing)."""
    return 0.5 * np.sum(_squared_gradient_norm(u, axes))


def huber_tv(u: np.ndarray, axes: Sequence[int], delta: float) -> np.ndarray:
    r"""Huber-TV :math:`\sum_i h_\delta(|(\nabla u)_i|)`.

    :math:`h_\delta(s) = s^2 / (2\delta)` for :math:`s \le \delta`, :math:`s - \delta/2`
    above: quadratic on small gradients (no staircasing), linear on edges.
    """
    t = _squared_gradient_norm(u, axes)
    # sqrt only sees values >= delta^2, so the unused branch has no infinite derivative.
    linear = np.sqrt(np.maximum(t, delta * delta)) - 0.5 * delta
    return np.sum(np.where(t <= delta * delta, t / (2.0 * delta), linear))


def smoothed_tv(u: np.ndarray, axes: Sequence[int], eps: float) -> np.ndarray:
    r"""Smoothed TV :math:`\sum_i \sqrt{|(\nabla u)_i|^2 + \epsilon^2}`."""
    return np.sum(np.sqrt(_squared_gradient_norm(u, axes) + eps * eps))


# --- the general solver --------------------------------------------------------------------

def denoise(image: np.ndarray, regularizer: Callable[[np.ndarray], float],
            weight: float = 0.1, *, method: str = "lbfgs", bounds: tuple | None = None,
            tol: float | None = None, max_iter: int | None = None,
            progress: bool = False, options: dict | None = None,
            return_info: bool = False) -> np.ndarray | DenoiseResult:
    r"""Denoise by minimising a data term plus ANY NumPy-written regulariser.

    .. math:: \min_u \; \tfrac12 \sum_i (u_i - f_i)^2 + w\, R(u)

    The gradient of :math:`R` comes from reverse-mode automatic differentiation, so
    ``regularizer`` is an ordinary function written with ``numpy`` (``np.diff``,
    ``np.sqrt``, slicing, ``np.where``...; no in-place assignment, no ``float()`` of the
    argument).

    Parameters
    ----------
    image : ndarray
        Noisy image :math:`f`, any shape.  Integer images are converted with
        :func:`skimage.util.img_as_float`; float32 stays float32.  Never modified.
    regularizer : callable
        ``regularizer(u) -> scalar`` for ``u`` of the image's shape.  It sees the whole
        image (channels included): a color regulariser decides itself how to couple them.
    weight : float, optional
        :math:`w \ge 0`.
    method : str, optional
        Any method of :func:`autodiff.optimize.minimize`: ``"lbfgs"`` (default),
        ``"newton-cg"`` (Hessian-vector products by forward-over-reverse AD),
        ``"nesterov"``, ``"gd"``, ``"adam"``, or a SciPy name such as ``"L-BFGS-B"``.
    bounds : (low, high), optional
        Box constraint on the pixels, e.g. ``(0, 1)``.  With the default ``"lbfgs"``,
        bounds switch to SciPy's ``"L-BFGS-B"`` (the own L-BFGS takes no bounds).
    tol : float, optional
        Gradient tolerance passed to the solver (max-norm of the energy's gradient).  When
        given, the solver's relative-decrease test (``ftol``) is switched off unless
        ``options`` sets it, so that the gradient test decides.
    max_iter : int, optional
        Iteration budget (solver default if None).
    progress : bool, optional
        Show the solver's progress bar.
    options : dict, optional
        Solver options passed to :func:`autodiff.optimize.minimize`.
    return_info : bool, optional
        Return a :class:`DenoiseResult` instead of the image.

    Returns
    -------
    ndarray or DenoiseResult
        The minimiser (float32/float64, shape of ``image``), or the result object.

    Warns
    -----
    UserWarning
        When the solver stops before its tolerance is met (budget spent, failed line
        search...): the last iterate is returned, with ``success=False`` in the result.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> noisy = np.linspace(0, 1, 50) + 0.1 * rng.standard_normal(50)
    >>> smooth = lambda u: np.sum(np.log1p(np.diff(u) ** 2 / 0.01))   # Perona-Malik-like
    >>> u = denoise(noisy, smooth, weight=0.01)
    >>> u.shape, u.dtype
    ((50,), dtype('float64'))
    """
    f = as_float_image(image)
    w = check_weight(weight)
    if not callable(regularizer):
        raise TypeError(f"regularizer must be a callable u -> scalar, got {regularizer!r}")
    probe = np.asarray(regularizer(f.copy()))
    if probe.ndim != 0:
        raise ValueError(f"regularizer must return a scalar, got an array of shape "
                         f"{probe.shape}")
    if not np.isfinite(probe):
        raise ValueError("regularizer is not finite at the noisy image")
    if bounds is not None and method == "lbfgs":
        method = "L-BFGS-B"

    def energy(u: np.ndarray) -> np.ndarray:
        r = u - f
        return 0.5 * np.sum(r * r) + w * regularizer(u)

    if tol is not None and method in METHODS:
        options = {"ftol": 0.0, **(options or {})}
    start = time.perf_counter()
    res = minimize(energy, f, method=method, bounds=bounds, tol=tol, maxiter=max_iter,
                   progress=progress, options=options)
    u = np.asarray(res.x, dtype=f.dtype).reshape(f.shape)
    if not res.success:  # never end short silently (the image alone carries no flag)
        reason = str(res.message).rstrip(".")
        warnings.warn(f"denoise did not converge ({method}): {reason} after {res.nit} "
                      "iterations; the returned image is the last iterate (success=False "
                      "with return_info=True).  Non-smooth regularisers (abs, max, plain "
                      "TV) slow gradient solvers: smooth them (huber_tv, smoothed_tv), or "
                      "raise max_iter / tol", UserWarning, stacklevel=2)
    if not return_info:
        return u
    jac = getattr(res, "jac", None)
    grad_norm = float(np.max(np.abs(jac))) if jac is not None else None
    return DenoiseResult(image=u, energy=float(res.fun), nit=int(res.nit),
                         time=time.perf_counter() - start, success=bool(res.success),
                         message=str(res.message), method=str(method), grad_norm=grad_norm)


@dask_dispatch("applications.denoising._dask:denoise_huber_dask")  # dask array in -> lazy out
def denoise_huber(image: np.ndarray, weight: float = 0.1, *, delta: float = 0.01,
                  channel_axis: int | None = None, method: str = "lbfgs",
                  bounds: tuple | None = None, tol: float | None = None,
                  max_iter: int | None = None, progress: bool = False,
                  return_info: bool = False) -> np.ndarray | DenoiseResult:
    r"""Huber-TV denoising: TV on edges, quadratic on small gradients (no staircasing).

    .. math::

        \min_u \; \tfrac12 \|u - f\|^2 + w \sum_i h_\delta(|(\nabla u)_i|), \qquad
        h_\delta(s) = \begin{cases} s^2 / (2\delta) & s \le \delta \\
                                    s - \delta / 2 & s > \delta \end{cases}

    with the forward differences of :func:`denoise_tv`; as :math:`\delta \to 0` this is
    the TV energy.  Minimised by :func:`denoise` (AD gradient).

    Parameters
    ----------
    image : ndarray
        Noisy image (gray, n-D, or color with ``channel_axis``).
    weight : float, optional
        :math:`w \ge 0`, same scale as ``denoise_tv``'s weight.
    delta : float, optional
        Huber threshold :math:`\delta > 0`, in intensity units per pixel.
    channel_axis : int or None, optional
        Axis of the color channels (no differences along it: channels independent).
    method, bounds, tol, max_iter, progress, return_info
        As in :func:`denoise`.

    Returns
    -------
    ndarray or DenoiseResult
        The denoised image, or the result object.
    """
    if not delta > 0:
        raise ValueError(f"delta must be > 0, got {delta!r}")
    axes, _ = spatial_axes(np.ndim(image), channel_axis)
    return denoise(image, lambda u: huber_tv(u, axes, float(delta)), weight, method=method,
                   bounds=bounds, tol=tol, max_iter=max_iter, progress=progress,
                   return_info=return_info)


@dask_dispatch("applications.denoising._dask:denoise_tikhonov_dask")  # dask array in -> lazy out
def denoise_tikhonov(image: np.ndarray, weight: float = 1.0, *,
                     channel_axis: int | None = None, method: str = "lbfgs",
                     bounds: tuple | None = None, tol: float | None = None,
                     max_iter: int | None = None, progress: bool = False,
                     return_info: bool = False) -> np.ndarray | DenoiseResult:
    r"""Quadratic (Tikhonov / H1) smoothing.

    .. math:: \min_u \; \tfrac12 \|u - f\|^2 + \tfrac{w}{2} \sum_i |(\nabla u)_i|^2

    The minimiser solves :math:`(I + w \nabla^T \nabla) u = f`; here it is found by
    :func:`denoise` with an AD gradient, like any other regulariser.

    Parameters
    ----------
    image : ndarray
        Noisy image (gray, n-D, or color with ``channel_axis``).
    weight : float, optional
        :math:`w \ge 0`; the smoothing length is about :math:`\sqrt{w}` pixels.
    channel_axis : int or None, optional
        Axis of the color channels.
    method, bounds, tol, max_iter, progress, return_info
        As in :func:`denoise`.

    Returns
    -------
    ndarray or DenoiseResult
        The denoised image, or the result object.
    """
    axes, _ = spatial_axes(np.ndim(image), channel_axis)
    return denoise(image, lambda u: tikhonov(u, axes), weight, method=method, bounds=bounds,
                   tol=tol, max_iter=max_iter, progress=progress, return_info=return_info)


# --- TV through AD (denoise_tv(method="lbfgs" | "newton-cg")) ------------------------------

def _tv_gap(u: np.ndarray, f: np.ndarray, weight: float, axes: tuple[int, ...],
            eps: float) -> tuple[float, float]:
    """Exact TV energy of ``u`` and the duality gap certified by the dual point
    ``q = w grad u / sqrt(|grad u|^2 + eps^2)`` (feasible: ``|q| < w``), in float64."""
    u64 = np.ascontiguousarray(u, dtype=np.float64)
    f64 = np.asarray(f, dtype=np.float64)
    grid = Grid(u64.shape, axes)
    g = grid.gradient(u64, grid.zeros_field(np.float64))
    norm = np.sqrt(np.sum(g * g, axis=0))
    primal = 0.5 * float(np.sum((u64 - f64) ** 2)) + weight * float(norm.sum())
    q = g * (weight / np.sqrt(norm * norm + eps * eps))
    dual_image = f64 + grid.divergence(q, np.empty_like(u64))
    dual = 0.5 * (float(np.vdot(f64, f64)) - float(np.vdot(dual_image, dual_image)))
    return primal, max(primal - dual, 0.0)


def smoothed_tv_denoise(f: np.ndarray, weight: float, *, channel_axis: int | None,
                        eps: float, method: str, tol: float, max_iter: int,
                        progress: bool, return_info: bool) -> np.ndarray | DenoiseResult:
    """``denoise_tv`` through AD: minimise the eps-smoothed energy, report the exact one."""
    if not eps > 0:
        raise ValueError(f"eps must be > 0 for method={method!r}, got {eps!r}")
    axes, _ = spatial_axes(f.ndim, channel_axis)
    start = time.perf_counter()
    res = denoise(f, lambda u: smoothed_tv(u, axes, float(eps)), weight, method=method,
                  max_iter=max_iter, progress=progress, return_info=True,
                  options={"gtol": 1e-6 if f.dtype == np.float64 else 1e-4})
    if not return_info:
        return res.image
    energy, gap = _tv_gap(res.image, f, weight, axes, float(eps))
    rel_gap = gap / energy if energy > 0 else 0.0
    return DenoiseResult(image=res.image, energy=energy, nit=res.nit,
                         time=time.perf_counter() - start, success=rel_gap <= tol,
                         message=f"{res.message} (smoothed energy, eps={eps:g})",
                         method=method, gap=gap, rel_gap=rel_gap, grad_norm=res.grad_norm)
