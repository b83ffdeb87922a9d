"""``map_coordinates`` and ``zoom`` of :mod:`autodiff.scipy.ndimage`.

Values come from SciPy; the derivative rules are written with the B-spline kernel
(``_interp`` and its adjoint) and the prefilter (``_spline_filter`` and its
transpose), including SciPy's 12-pixel pre-padding for ``'nearest'`` and
``'grid-constant'``.
"""

from __future__ import annotations

import numpy as np
import scipy.ndimage as ndi

from .. import _tracer as ad
from .._registry import library_primitive
from ._ndimage_boundary import _INTERP_MODES, _check_mode, _pad_adjoint
from ._ndimage_bspline import _interp, _interp_adjoint, _interp_jvp_coords, _interp_vjp_coords
from ._ndimage_prefilter import _NPAD, _PREPAD, _prefilter, _spline_filter_adjoint

# ------------------------------------------------------------------------------------
# map_coordinates
# ------------------------------------------------------------------------------------


def _check_interp(order: int, mode: str, what: str):
    if order not in (0, 1, 3):
        raise ValueError(f"{what}: order must be 0, 1 or 3, got {order}")
    if mode == "wrap":
        raise ValueError(f"{what}: mode 'wrap' (SciPy's legacy periodic extension) is not "
                         "supported; use 'grid-wrap'")
    _check_mode(mode, _INTERP_MODES, what)


@library_primitive
def map_coordinates(input, coordinates, *, order: int = 3, mode: str = "constant",
                    cval: float = 0.0, prefilter: bool = True):
    r"""Interpolate ``input`` at ``coordinates``, differentiable in both.

    .. math:: y_p = \sum_{i} c_i \prod_{d} \beta^{n}(x_{d,p} - i_d)

    with :math:`\beta^n` the B-spline of order ``n`` and :math:`c` the spline
    coefficients of ``input`` (``input`` itself for ``order <= 1`` or
    ``prefilter=False``). Values equal :func:`scipy.ndimage.map_coordinates`.

    The derivative with respect to ``input`` is the scatter-add of the weights
    (through the transposed prefilter for ``order=3``); with respect to the
    coordinates it is the gradient of the interpolant at the points (derivatives
    of the B-spline weights).

    Parameters
    ----------
    input : ndarray, shape (n_1, ..., n_d)
        Floating-point array (or spline coefficients with ``prefilter=False``).
    coordinates : ndarray, shape (d, ...)
        Points at which to interpolate, in index units.
    order : {0, 1, 3}, optional
        Spline order (order 0 is piecewise constant: zero coordinate derivative).
    mode : {'constant', 'grid-constant', 'nearest', 'reflect', 'mirror', 'grid-wrap'}
        Boundary handling, as in SciPy.
    cval : float, optional
        Value outside for the constant modes (not differentiable).
    prefilter : bool, optional
        Compute spline coefficients of ``input`` first (order 3).

    Returns
    -------
    ndarray, shape ``coordinates.shape[1:]``

    Examples
    --------
    >>> import numpy as np
    >>> image = np.arange(12.0).reshape(3, 4)
    >>> map_coordinates(image, np.array([[0.5, 2.0], [0.5, 1.0]]), order=1)
    array([2.5, 9. ])
    """
    x = np.asarray(input)
    c = np.asarray(coordinates)
    if c.ndim < 1 or c.shape[0] != x.ndim:
        raise ValueError(f"coordinates must have shape ({x.ndim}, ...) for a {x.ndim}-D input, "
                         f"got {c.shape}")
    _check_interp(order, mode, "map_coordinates")
    return ndi.map_coordinates(x, c, order=order, mode=mode, cval=cval, prefilter=prefilter)


def _coefficients(x, order, mode, cval, prefilter, nd):
    if prefilter:
        return _prefilter(x, order, mode, cval, nd)
    return x, 0


def _mapc_vjp_input(ans, input, coordinates, *, order=3, mode="constant", cval=0.0,
                    prefilter=True):
    nd = input.ndim
    shape = tuple(input.shape)

    def vjp(g):
        if prefilter and order > 1:
            offset = _NPAD if mode in _PREPAD else 0
            cshape = tuple(n + 2 * offset for n in shape)
            h = _interp_adjoint(g, coordinates + offset, shape=cshape, order=order, mode=mode,
                                deriv=(0,) * nd)
            h = _spline_filter_adjoint(h, order=order, mode=mode, ndim=nd)
            if offset:
                h = _pad_adjoint(h, widths=((offset, offset),) * nd, rule=_PREPAD[mode],
                                 shape=shape)
            return h
        return _interp_adjoint(g, coordinates, shape=shape, order=order, mode=mode,
                               deriv=(0,) * nd)

    return vjp


def _mapc_vjp_coords(ans, input, coordinates, *, order=3, mode="constant", cval=0.0,
                     prefilter=True):
    nd = input.ndim
    coeff, offset = _coefficients(input, order, mode, cval, prefilter, nd)
    return _interp_vjp_coords(None, coeff, coordinates + offset, order=order, mode=mode,
                              cval=cval, deriv=(0,) * nd)


def _mapc_jvp_input(t, ans, input, coordinates, *, order=3, mode="constant", cval=0.0,
                    prefilter=True):
    nd = input.ndim
    coeff, offset = _coefficients(t, order, mode, 0.0, prefilter, nd)
    return _interp(coeff, coordinates + offset, order=order, mode=mode, cval=0.0,
                   deriv=(0,) * nd)


def _mapc_jvp_coords(t, ans, input, coordinates, *, order=3, mode="constant", cval=0.0,
                     prefilter=True):
    nd = input.ndim
    coeff, offset = _coefficients(input, order, mode, cval, prefilter, nd)
    return _interp_jvp_coords(t, None, coeff, coordinates + offset, order=order, mode=mode,
                              cval=cval, deriv=(0,) * nd)


ad.defvjp(map_coordinates, _mapc_vjp_input, _mapc_vjp_coords)
ad.defjvp(map_coordinates, _mapc_jvp_input, _mapc_jvp_coords)


# ------------------------------------------------------------------------------------
# zoom
# ------------------------------------------------------------------------------------


def _zoom_grid(in_shape: tuple, zoom, grid_mode: bool) -> np.ndarray:
    nd = len(in_shape)
    factors = np.broadcast_to(np.asarray(zoom, dtype=float), (nd,))
    out_shape = tuple(int(round(n * z)) for n, z in zip(in_shape, factors))
    axes = []
    for n, m in zip(in_shape, out_shape):
        if grid_mode:
            axes.append((np.arange(m) + 0.5) * (n / m) - 0.5)
        elif m > 1:
            axes.append(np.arange(m) * ((n - 1) / (m - 1)))
        else:
            axes.append(np.zeros(m))
    return np.stack(np.meshgrid(*axes, indexing="ij"))


@library_primitive
def zoom(input, zoom, *, order: int = 3, mode: str = "constant", cval: float = 0.0,
         prefilter: bool = True, grid_mode: bool = False):
    """Zoom an array by spline interpolation, differentiable in ``input``.

    Values equal :func:`scipy.ndimage.zoom`. The derivative rules interpolate
    the tangent on the output grid (forward) and scatter-add the cotangent through
    the transposed interpolation and prefilter (reverse).

    Parameters
    ----------
    input : ndarray
        Floating-point array.
    zoom : float or sequence of float
        Zoom factor per axis (not differentiable).
    order : {0, 1, 3}, optional
        Spline order.
    mode : str, optional
        Boundary mode, as in :func:`map_coordinates`.
    cval : float, optional
        Value outside for the constant modes.
    prefilter : bool, optional
        Spline-prefilter ``input`` (order 3).
    grid_mode : bool, optional
        Zoom pixel extents rather than pixel centres, as in SciPy.

    Returns
    -------
    ndarray, shape ``round(input.shape * zoom)``
    """
    _check_interp(order, mode, "zoom")
    return ndi.zoom(np.asarray(input), zoom, order=order, mode=mode, cval=cval,
                    prefilter=prefilter, grid_mode=grid_mode)


def _zoom_vjp(ans, input, zoom_, *, order=3, mode="constant", cval=0.0, prefilter=True,
              grid_mode=False):
    grid = _zoom_grid(tuple(input.shape), zoom_, grid_mode)
    return _mapc_vjp_input(ans, input, grid, order=order, mode=mode, cval=cval,
                           prefilter=prefilter)


def _zoom_jvp(t, ans, input, zoom_, *, order=3, mode="constant", cval=0.0, prefilter=True,
              grid_mode=False):
    grid = _zoom_grid(tuple(input.shape), zoom_, grid_mode)
    return _mapc_jvp_input(t, ans, input, grid, order=order, mode=mode, cval=cval,
                           prefilter=prefilter)


ad.defvjp(zoom, _zoom_vjp)
ad.defjvp(zoom, _zoom_jvp)
