"""Correlation, convolution and Gaussian filters of :mod:`autodiff.scipy.ndimage`.

A filter with a boundary mode is ``correlate_valid(pad(x, mode), w)``; its reverse
rule is the true adjoint ``pad_adjoint(correlate_valid(pad0(g), flip(w)))``, so a
dot-product test ``<A x, y> = <x, A^T y>`` holds to rounding for every mode.
``_correlate_valid`` is bilinear in image and kernel and accepts extra leading
(tangent batch) axes on the image.
"""

from __future__ import annotations

import numpy as np
import scipy.ndimage as ndi
import scipy.signal

from .. import _tracer as ad
from .._registry import library_primitive
from ._ndimage_boundary import _FILTER_MODES, _check_mode, _pad, _pad_adjoint

# ------------------------------------------------------------------------------------
# 'valid' correlation (bilinear in image and kernel)
# ------------------------------------------------------------------------------------


def _flip(w):
    return w[(slice(None, None, -1),) * w.ndim]


@library_primitive
def _correlate_valid(a, w):
    """``out[i] = sum_j w[j] a[..., i + j]`` over the trailing ``w.ndim`` axes of ``a``."""
    a = np.asarray(a)
    w = np.asarray(w)
    lead = a.ndim - w.ndim
    wfull = w.reshape((1,) * lead + w.shape)
    if w.size <= 64:
        # direct correlation in C; keep the part that never touched the boundary
        full = ndi.correlate(a.astype(np.result_type(a, w, np.float32), copy=False), wfull,
                             mode="constant")
        centre = tuple(slice(None) for _ in range(lead)) + tuple(
            slice(k // 2, k // 2 + m - k + 1) for m, k in zip(a.shape[lead:], w.shape))
        return full[centre]
    return scipy.signal.correlate(a, wfull, mode="valid")


def _correlate_valid_vjp_a(ans, a, w):
    widths = tuple((k - 1, k - 1) for k in w.shape)
    return lambda g: _correlate_valid(_pad(g, widths=widths, rule="constant"), _flip(w))


def _correlate_valid_vjp_w(ans, a, w):
    # d out[i] / d w[j] = a[i + j]: correlate a with g over every axis (a 'valid'
    # correlation over leading batch axes of equal length sums over them)
    return lambda g: np.reshape(_correlate_valid(a, g), w.shape)


def _correlate_valid_jvp_w(t, ans, a, w):
    return np.stack([_correlate_valid(a, t[i]) for i in range(t.shape[0])])


ad.defvjp(_correlate_valid, _correlate_valid_vjp_a, _correlate_valid_vjp_w)
ad.defjvp(_correlate_valid, lambda t, ans, a, w: _correlate_valid(t, w), _correlate_valid_jvp_w)


def _correlate_adjoint(g, w, *, widths, rule, shape):
    """Adjoint of ``x -> correlate_valid(pad(x), w)`` applied to ``g``."""
    full = _correlate_valid(_pad(g, widths=tuple((k - 1, k - 1) for k in w.shape),
                                 rule="constant"), _flip(w))
    return _pad_adjoint(full, widths=widths, rule=rule, shape=shape)


def _filter_widths(w_shape, origins) -> tuple:
    widths = []
    for k, o in zip(w_shape, origins):
        left = k // 2 + o
        if not 0 <= left <= k - 1:
            raise ValueError(f"origin {o} is out of range for a kernel of length {k}")
        widths.append((left, k - 1 - left))
    return tuple(widths)


def _origins(origin, nd) -> tuple:
    o = np.broadcast_to(np.asarray(origin, dtype=int), (nd,))
    return tuple(int(v) for v in o)


# ------------------------------------------------------------------------------------
# correlate / convolve
# ------------------------------------------------------------------------------------


@library_primitive
def correlate(input, weights, *, mode: str = "reflect", cval: float = 0.0, origin=0):
    r"""Multidimensional correlation, differentiable in ``input`` and ``weights``.

    .. math:: y_i = \sum_j w_j \, \tilde x_{i + j - c}

    where :math:`\tilde x` is ``input`` extended by ``mode`` and :math:`c` the
    kernel centre (``len // 2 + origin`` per axis), as in
    :func:`scipy.ndimage.correlate`.

    Parameters
    ----------
    input : ndarray
        Floating-point array.
    weights : ndarray, same number of dimensions as ``input``
        Kernel.
    mode : {'reflect', 'constant', 'nearest', 'mirror', 'wrap'}, optional
        Boundary extension (SciPy's names, ``grid-*`` aliases accepted).
    cval : float, optional
        Value outside the array for ``mode='constant'``.
    origin : int or sequence of int, optional
        Kernel placement, as in SciPy.

    Returns
    -------
    ndarray, same shape as ``input``

    Examples
    --------
    >>> import numpy as np
    >>> correlate(np.arange(5.0), np.array([1.0, 2.0, 3.0]), mode="nearest")
    array([ 3.,  8., 14., 20., 23.])
    """
    x = np.asarray(input)
    w = np.asarray(weights)
    if w.ndim != x.ndim:
        raise ValueError(f"weights must have {x.ndim} dimensions like input, got shape {w.shape}")
    _check_mode(mode, _FILTER_MODES, "correlate")
    return ndi.correlate(x, w, mode=mode, cval=cval, origin=origin)


def _correlate_parts(weights, shape, mode, origin):
    rule = _FILTER_MODES[mode]
    widths = _filter_widths(weights.shape, _origins(origin, len(weights.shape)))
    return rule, widths


def _correlate_vjp_input(ans, input, weights, *, mode="reflect", cval=0.0, origin=0):
    rule, widths = _correlate_parts(weights, input.shape, mode, origin)
    return lambda g: _correlate_adjoint(g, weights, widths=widths, rule=rule,
                                        shape=tuple(input.shape))


def _correlate_vjp_weights(ans, input, weights, *, mode="reflect", cval=0.0, origin=0):
    rule, widths = _correlate_parts(weights, input.shape, mode, origin)
    padded = _pad(input, widths=widths, rule=rule, cval=cval)
    return lambda g: _correlate_valid(padded, g)


def _correlate_jvp_input(t, ans, input, weights, *, mode="reflect", cval=0.0, origin=0):
    rule, widths = _correlate_parts(weights, input.shape, mode, origin)
    return _correlate_valid(_pad(t, widths=widths, rule=rule, cval=0.0), weights)


def _correlate_jvp_weights(t, ans, input, weights, *, mode="reflect", cval=0.0, origin=0):
    rule, widths = _correlate_parts(weights, input.shape, mode, origin)
    padded = _pad(input, widths=widths, rule=rule, cval=cval)
    return np.stack([_correlate_valid(padded, t[i]) for i in range(t.shape[0])])


ad.defvjp(correlate, _correlate_vjp_input, _correlate_vjp_weights)
ad.defjvp(correlate, _correlate_jvp_input, _correlate_jvp_weights)


def convolve(input, weights, *, mode: str = "reflect", cval: float = 0.0, origin=0):
    r"""Multidimensional convolution, differentiable in ``input`` and ``weights``.

    Same conventions as :func:`scipy.ndimage.convolve`; computed as
    :func:`correlate` with the flipped kernel (and SciPy's origin shift for
    even-length kernels), so it shares its exact derivative rules.

    Parameters
    ----------
    input : ndarray
        Floating-point array.
    weights : ndarray, same number of dimensions as ``input``
        Kernel.
    mode : {'reflect', 'constant', 'nearest', 'mirror', 'wrap'}, optional
        Boundary extension.
    cval : float, optional
        Value outside the array for ``mode='constant'``.
    origin : int or sequence of int, optional
        Kernel placement, as in SciPy.

    Returns
    -------
    ndarray, same shape as ``input``
    """
    nd = len(np.shape(weights)) if not hasattr(weights, "ndim") else weights.ndim
    origins = []
    for k, o in zip(weights.shape, _origins(origin, nd)):
        o = -o
        if k % 2 == 0:
            o -= 1
        origins.append(o)
    return correlate(input, _flip(weights), mode=mode, cval=cval, origin=tuple(origins))


def correlate1d(input, weights, *, axis: int = -1, mode: str = "reflect", cval: float = 0.0,
                origin: int = 0):
    """One-dimensional correlation along ``axis`` (see :func:`correlate`).

    Parameters
    ----------
    input : ndarray
        Floating-point array.
    weights : ndarray, shape (K,)
        Kernel.
    axis : int, optional
        Axis to filter along.
    mode, cval, origin
        As in :func:`correlate`.

    Returns
    -------
    ndarray, same shape as ``input``
    """
    nd = input.ndim
    axis = axis % nd
    shape = [1] * nd
    shape[axis] = weights.shape[0]
    origins = [0] * nd
    origins[axis] = origin
    return correlate(input, np.reshape(weights, shape), mode=mode, cval=cval,
                     origin=tuple(origins))


# ------------------------------------------------------------------------------------
# gaussian_filter
# ------------------------------------------------------------------------------------


def _gaussian_kernel(sigma: float, order: int, radius: int) -> np.ndarray:
    """Sampled Gaussian (normalised to unit sum) times the polynomial of its derivative.

    ``d^m/dx^m exp(-x^2 / 2 s^2) = q_m(x) exp(-x^2 / 2 s^2)`` with
    ``q_{m+1} = q_m' - x q_m / s^2``, ``q_0 = 1``.
    """
    x = np.arange(-radius, radius + 1, dtype=float)
    phi = np.exp(-0.5 * (x / sigma) ** 2)
    phi /= phi.sum()
    q = np.polynomial.Polynomial([1.0])
    for _ in range(order):
        q = q.deriv() - np.polynomial.Polynomial([0.0, 1.0 / sigma**2]) * q
    return q(x) * phi


def _gaussian_passes(nd, sigma, order, truncate, radius):
    sig = np.broadcast_to(np.asarray(sigma, dtype=float), (nd,))
    orders = np.broadcast_to(np.asarray(order, dtype=int), (nd,))
    radii = np.broadcast_to(np.asarray(-1 if radius is None else radius, dtype=int), (nd,))
    passes = []
    for a in range(nd):
        if sig[a] <= 1e-15:
            continue
        r = int(truncate * float(sig[a]) + 0.5) if radii[a] < 0 else int(radii[a])
        # scipy correlates with the reversed kernel
        passes.append((a, _gaussian_kernel(float(sig[a]), int(orders[a]), r)[::-1].copy()))
    return passes


def _gaussian_adjoint(g, passes, rule, shape):
    nd = len(shape)
    for a, k in reversed(passes):
        w = k.reshape(tuple(k.size if b == a else 1 for b in range(nd)))
        widths = tuple((k.size // 2, k.size - 1 - k.size // 2) if b == a else (0, 0)
                       for b in range(nd))
        g = _correlate_adjoint(g, w, widths=widths, rule=rule, shape=shape)
    return g


@library_primitive
def gaussian_filter(input, sigma, *, order=0, mode: str = "reflect", cval: float = 0.0,
                    truncate: float = 4.0, radius=None):
    r"""Gaussian filter (or Gaussian derivative), differentiable in ``input``.

    .. math:: y = G_{\sigma_{d}} * \dots * G_{\sigma_1} * x

    one 1-D correlation per axis, exactly as :func:`scipy.ndimage.gaussian_filter`.

    Parameters
    ----------
    input : ndarray
        Floating-point array.
    sigma : float or sequence of float
        Standard deviation per axis (not differentiable).
    order : int or sequence of int, optional
        Derivative order of the Gaussian per axis.
    mode : {'reflect', 'constant', 'nearest', 'mirror', 'wrap'}, optional
        Boundary extension.
    cval : float, optional
        Value outside the array for ``mode='constant'``.
    truncate : float, optional
        Kernel radius in standard deviations.
    radius : int or sequence of int, optional
        Explicit kernel radius (overrides ``truncate``).

    Returns
    -------
    ndarray, same shape as ``input``
    """
    _check_mode(mode, _FILTER_MODES, "gaussian_filter")
    return ndi.gaussian_filter(np.asarray(input), sigma, order=order, mode=mode, cval=cval,
                               truncate=truncate, radius=radius)


def _gaussian_vjp(ans, input, sigma, *, order=0, mode="reflect", cval=0.0, truncate=4.0,
                  radius=None):
    passes = _gaussian_passes(input.ndim, sigma, order, truncate, radius)
    return lambda g: _gaussian_adjoint(g, passes, _FILTER_MODES[mode], tuple(input.shape))


def _gaussian_apply(x, passes, rule, nd):
    for a, k in passes:
        w = k.reshape(tuple(k.size if b == a else 1 for b in range(nd)))
        widths = tuple((k.size // 2, k.size - 1 - k.size // 2) if b == a else (0, 0)
                       for b in range(nd))
        x = _correlate_valid(_pad(x, widths=widths, rule=rule, cval=0.0), w)
    return x


def _gaussian_jvp(t, ans, input, sigma, *, order=0, mode="reflect", cval=0.0, truncate=4.0,
                  radius=None):
    passes = _gaussian_passes(input.ndim, sigma, order, truncate, radius)
    return _gaussian_apply(t, passes, _FILTER_MODES[mode], input.ndim)


ad.defvjp(gaussian_filter, _gaussian_vjp)
ad.defjvp(gaussian_filter, _gaussian_jvp)
