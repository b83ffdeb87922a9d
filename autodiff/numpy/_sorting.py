"""Order statistics and NaN-ignoring reductions, composed from differentiable primitives.

Sorting-based functions (``sort``, ``partition``, ``median``, ``percentile``,
``quantile``) differentiate through the permutation NumPy's stable ``argsort`` picks:
at ties the derivative goes to the entry sorted into the tied position (the first
occurrence for the lower one), a valid subgradient.  Quantiles interpolate between the
two neighbouring order statistics as NumPy's default ``method="linear"`` does.

NaN-ignoring reductions (``nansum``, ``nanmean``, ...) give NaN entries derivative 0.
"""

from __future__ import annotations

import numpy as np

from .._registry import implements
from .._shapes import axis_tuple, ndim_of, shape_of
from .._tracer import base_value
from ._indexing import take_along_axis
from ._reductions import as_array, max, min, prod, sum, takes_sequences
from ._shape import moveaxis, ravel, reshape


@implements(np.partition)
def partition(a, kth, axis=-1, kind="introselect", order=None):
    """``np.partition``; the derivative follows the permutation of ``np.argpartition``."""
    if axis is None:
        a, axis = ravel(a), 0
    return take_along_axis(a, np.argpartition(base_value(a), kth, axis=axis), axis)


def _sorted_along(a, axis):
    """``(sorted values with the reduced axes last and flattened, kept shape)``."""
    nd = ndim_of(a)
    axes = tuple(range(nd)) if axis is None else axis_tuple(axis, nd)
    rest = [i for i in range(nd) if i not in axes]
    moved = moveaxis(a, list(axes), list(range(nd - len(axes), nd))) if axes else a
    shape = shape_of(moved)
    flat = reshape(moved, shape[:len(rest)] + (-1,))
    order = np.argsort(base_value(flat), axis=-1, kind="stable")
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape_of(a)))
    return take_along_axis(flat, order, -1), kept


_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def _quantile(a, q, axis, keepdims, method, name):
    a = as_array(a)
    if method not in _METHODS:
        raise NotImplementedError(f"{name}(method={method!r}) is not supported on traced "
                                  f"arrays; supported: {', '.join(_METHODS)}")
    q = np.asarray(base_value(q), dtype=float)
    if np.any((q < 0) | (q > 1)):
        raise ValueError(f"{name}: quantiles must be in the range [0, 1]")
    values, kept = _sorted_along(a, axis)
    n = shape_of(values)[-1]
    position = q * (n - 1)
    lo = np.floor(position).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    frac = position - lo
    if method == "lower":
        hi, frac = lo, np.zeros_like(frac)
    elif method == "higher":
        lo, frac = np.ceil(position).astype(int), np.zeros_like(frac)
    elif method == "nearest":  # NumPy rounds half to even
        lo, frac = np.around(position).astype(int), np.zeros_like(frac)
    elif method == "midpoint":
        frac = np.where(hi > lo, 0.5, 0.0)
    low = values[..., lo.ravel()]
    high = values[..., hi.ravel()]
    out = low + (high - low) * frac.ravel()  # rest + (number of quantiles,)
    out = moveaxis(out, -1, 0)  # NumPy puts the quantiles first
    return reshape(out, q.shape + (kept if keepdims else shape_of(values)[:-1]))


@implements(np.quantile)
def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
              keepdims=False, **kwargs):
    if out is not None:
        raise TypeError("quantile(..., out=...) writes in place, which is not differentiable")
    return _quantile(a, q, axis, keepdims, method, "quantile")


@implements(np.percentile)
def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, **kwargs):
    if out is not None:
        raise TypeError("percentile(..., out=...) writes in place, which is not differentiable")
    return _quantile(a, np.asarray(base_value(q)) / 100.0, axis, keepdims, method, "percentile")


@implements(np.median)
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """Median; with an even count, the mean of the two middle order statistics."""
    if out is not None:
        raise TypeError("median(..., out=...) writes in place, which is not differentiable")
    return _quantile(a, 0.5, axis, keepdims, "linear", "median")


@implements(np.ptp)
def ptp(a, axis=None, out=None, keepdims=False):
    a = as_array(a)
    return max(a, axis=axis, keepdims=keepdims) - min(a, axis=axis, keepdims=keepdims)


# --- NaN-ignoring reductions ------------------------------------------------------------
def _nan_mask(a):
    return np.isnan(base_value(a))


@implements(np.nansum)
def nansum(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    a = as_array(a)
    return sum(np.where(_nan_mask(a), 0.0, a), axis=axis, dtype=dtype, out=out,
               keepdims=keepdims)


@implements(np.nanprod)
def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    a = as_array(a)
    return prod(np.where(_nan_mask(a), 1.0, a), axis=axis, dtype=dtype, out=out,
                keepdims=keepdims)


def _count(a, axis, keepdims):
    return np.sum(~_nan_mask(a), axis=axis_tuple(axis, ndim_of(a)), keepdims=keepdims)


@implements(np.nanmean)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    a = as_array(a)
    return nansum(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims) / _count(
        a, axis, keepdims)


@implements(np.nanvar)
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    a = as_array(a)
    centered = np.where(_nan_mask(a), 0.0, a - nanmean(a, axis=axis, keepdims=True))
    return sum(centered * centered, axis=axis, keepdims=keepdims) / (
        _count(a, axis, keepdims) - ddof)


@implements(np.nanstd)
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    a = as_array(a)
    v = nanvar(a, axis=axis, ddof=ddof, keepdims=keepdims)
    spread = base_value(v) > 0
    return np.where(spread, np.sqrt(np.where(spread, v, 1.0)), 0.0)


@implements(np.nanmax)
def nanmax(a, axis=None, out=None, keepdims=False, **kwargs):
    a = as_array(a)
    return max(np.where(_nan_mask(a), -np.inf, a), axis=axis, out=out, keepdims=keepdims)


@implements(np.nanmin)
def nanmin(a, axis=None, out=None, keepdims=False, **kwargs):
    a = as_array(a)
    return min(np.where(_nan_mask(a), np.inf, a), axis=axis, out=out, keepdims=keepdims)


@implements(np.nancumsum)
def nancumsum(a, axis=None, dtype=None, out=None):
    a = as_array(a)
    return np.cumsum(np.where(_nan_mask(a), 0.0, a), axis=axis, dtype=dtype)


def _without_nans(a, axis):
    if axis is None:
        a = ravel(a)
        keep = ~_nan_mask(a)
        return a[keep], 0
    if np.any(_nan_mask(a)):
        raise NotImplementedError("nanmedian/nanquantile with an axis on an array that holds "
                                  "NaNs is not supported on traced arrays; use axis=None")
    return a, axis


@implements(np.nanmedian)
def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    a = as_array(a)
    b, ax = _without_nans(a, axis)
    return median(b, axis=ax, keepdims=keepdims and axis is not None)


@implements(np.nanquantile)
def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False, **kwargs):
    a = as_array(a)
    b, ax = _without_nans(a, axis)
    return _quantile(b, q, ax, keepdims and axis is not None, method, "nanquantile")


@implements(np.nanpercentile)
def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=False, **kwargs):
    a = as_array(a)
    return nanquantile(a, np.asarray(base_value(q)) / 100.0, axis=axis, method=method,
                       keepdims=keepdims)


takes_sequences(quantile, percentile, median, ptp, nansum, nanprod, nanmean, nanvar, nanstd,
                nanmax, nanmin, nanmedian, nanquantile, nanpercentile)
