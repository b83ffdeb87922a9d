"""B-spline prefilter of :mod:`autodiff.scipy.ndimage` and its transpose.

``_spline_filter`` computes interpolation coefficients with SciPy;
``_spline_filter_adjoint`` applies the transposed 1-D filter matrices (dense,
cached per length and mode).  Each is the other's derivative.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.ndimage as ndi

from .. import _tracer as ad
from .._registry import library_primitive
from ._ndimage_boundary import _pad

# ------------------------------------------------------------------------------------
# B-spline prefilter
# ------------------------------------------------------------------------------------

# spline_filter's own boundary rule for each interpolation mode (after SciPy's
# 12-pixel pre-padding for 'nearest' and 'grid-constant')
_PREPAD = {"nearest": "nearest", "grid-constant": "constant"}
_NPAD = 12


@functools.lru_cache(maxsize=32)
def _spline_matrix(n: int, order: int, mode: str) -> np.ndarray:
    """Dense matrix ``M`` with ``spline_filter1d(x) = M @ x`` for length ``n``."""
    return ndi.spline_filter1d(np.eye(n), order=order, axis=0, mode=mode)


@library_primitive
def _spline_filter(x, *, order: int, mode: str, ndim: int):
    out = np.asarray(x, dtype=np.float64)
    for axis in range(out.ndim - ndim, out.ndim):
        out = ndi.spline_filter1d(out, order=order, axis=axis, mode=mode)
    return out


@library_primitive
def _spline_filter_adjoint(g, *, order: int, mode: str, ndim: int):
    out = np.asarray(g, dtype=np.float64)
    for axis in range(out.ndim - ndim, out.ndim):
        m = _spline_matrix(out.shape[axis], order, mode)
        out = np.moveaxis(np.tensordot(m.T, np.moveaxis(out, axis, 0), axes=1), 0, axis)
    return out


ad.defvjp(_spline_filter, lambda ans, x, **kw: lambda g: _spline_filter_adjoint(g, **kw))
ad.defjvp(_spline_filter, lambda t, ans, x, **kw: _spline_filter(t, **kw))
ad.defvjp(_spline_filter_adjoint, lambda ans, g, **kw: lambda h: _spline_filter(h, **kw))
ad.defjvp(_spline_filter_adjoint, lambda t, ans, g, **kw: _spline_filter_adjoint(t, **kw))


def _prefilter(x, order: int, mode: str, cval: float, ndim: int):
    """Spline coefficients as SciPy computes them; returns (coefficients, offset)."""
    if order <= 1:
        return x, 0
    if mode in _PREPAD:
        widths = ((_NPAD, _NPAD),) * ndim
        x = _pad(x, widths=widths, rule=_PREPAD[mode], cval=cval)
        offset = _NPAD
    else:
        offset = 0
    return _spline_filter(x, order=order, mode=mode, ndim=ndim), offset


def spline_filter(input, order: int = 3, *, mode: str = "mirror"):
    """B-spline prefilter (interpolation coefficients), differentiable in ``input``.

    Same values as :func:`scipy.ndimage.spline_filter`; the reverse rule applies
    the transposed 1-D filter matrices.

    Parameters
    ----------
    input : ndarray
        Floating-point array.
    order : int, optional
        Spline order (2 to 5).
    mode : str, optional
        Boundary mode, as in SciPy.

    Returns
    -------
    ndarray of float64, same shape as ``input``
    """
    return _spline_filter(input, order=order, mode=mode, ndim=input.ndim)
