"""Differentiable pieces of :mod:`scipy.ndimage`.

Functions
---------
map_coordinates
    Spline interpolation at arbitrary points, differentiable in the image and the
    coordinates.
zoom
    Resampling by a zoom factor, differentiable in the image.
spline_filter
    B-spline prefilter (interpolation coefficients).
correlate, convolve, correlate1d
    Correlation and convolution with a boundary mode, differentiable in the image
    and the kernel.
gaussian_filter
    Gaussian filter (or Gaussian derivative), differentiable in the image.

Every function computes its value with SciPy (same results, same boundary
conventions); its derivative rules are exact linear maps written with a handful of
private primitives that are themselves differentiable:

* ``_pad`` / ``_pad_adjoint`` (``_ndimage_boundary``): extension of an array by a
  boundary mode, and its adjoint, which folds the padded border back onto the
  pixels it copied;
* ``_correlate_valid`` (``_ndimage_filters``): 'valid' correlation, bilinear in
  image and kernel;
* ``_interp`` / ``_interp_grad`` / ``_interp_adjoint`` (``_ndimage_bspline``):
  B-spline interpolation at arbitrary points (with a derivative order per axis),
  its coordinate gradient, and its adjoint, a scatter-add of the weights done with
  :func:`numpy.bincount`;
* ``_spline_filter`` / ``_spline_filter_adjoint`` (``_ndimage_prefilter``): the
  B-spline prefilter and its transpose (dense 1-D matrices, cached per length and
  mode).

``map_coordinates`` and ``zoom`` live in ``_ndimage_interpolation``.

A filter with a boundary mode is ``correlate_valid(pad(x, mode), w)``; its reverse
rule is the true adjoint ``pad_adjoint(correlate_valid(pad0(g), flip(w)))``, so a
dot-product test ``<A x, y> = <x, A^T y>`` holds to rounding for every mode.

Because the private primitives close under differentiation (the derivative of an
interpolation with respect to the coordinates is an interpolation with a higher
derivative order of the B-spline), every function here is differentiable to any
order in both arguments, except that B-spline derivatives beyond the spline order
are zero (piecewise polynomials) and mode boundaries are kinks.

Tangents in forward mode carry a leading batch axis; the private kernels therefore
accept extra leading axes on their image-like operand and treat only the trailing
``ndim`` axes as spatial.

Examples
--------
>>> import numpy as np
>>> from autodiff.scipy import ndimage
>>> ndimage.correlate(np.arange(5.0), np.array([1.0, 2.0, 3.0]), mode="nearest")
array([ 3.,  8., 14., 20., 23.])
"""

from .._registry import ALTERNATIVES
from ._ndimage_filters import convolve, correlate, correlate1d, gaussian_filter
from ._ndimage_interpolation import map_coordinates, zoom
from ._ndimage_prefilter import spline_filter

__all__ = [
    "map_coordinates",
    "spline_filter",
    "correlate",
    "convolve",
    "correlate1d",
    "gaussian_filter",
    "zoom",
]

for _name in __all__:
    ALTERNATIVES[f"scipy.ndimage.{_name}"] = f"autodiff.scipy.ndimage.{_name}"
del _name
