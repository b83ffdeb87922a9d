"""Differences, interpolation, polynomials and 1-D convolution, composed from
differentiable primitives: gradient, cross, interp, polyval, convolve, correlate, sinc."""

from __future__ import annotations

import numpy as np

from .._registry import implements
from .._shapes import ndim_of, normalize_axis, shape_of
from .._tracer import Tracer, base_value
from ._indexing import scatter_add
from ._shape import concatenate, moveaxis, ravel, reshape, stack


@implements(np.gradient)
def gradient(f, *varargs, axis=None, edge_order=1):
    """Second-order central differences inside, one-sided differences at the edges.

    Spacing may be a scalar per axis (uniform grids); coordinate arrays are not
    supported on traced input.
    """
    nd = ndim_of(f)
    axes = tuple(range(nd)) if axis is None else normalize_axis(axis, nd)
    if len(varargs) == 0:
        spacing = [1.0] * len(axes)
    elif len(varargs) == 1 and np.ndim(base_value(varargs[0])) == 0:
        spacing = [float(base_value(varargs[0]))] * len(axes)
    elif len(varargs) == len(axes) and all(np.ndim(base_value(v)) == 0 for v in varargs):
        spacing = [float(base_value(v)) for v in varargs]
    else:
        raise NotImplementedError("gradient with coordinate arrays is not supported on traced "
                                  "input; pass scalar spacings")
    if edge_order not in (1, 2):
        raise ValueError("'edge_order' greater than 2 not supported")
    out = []
    for ax, h in zip(axes, spacing):
        g = moveaxis(f, ax, 0)
        n = shape_of(g)[0]
        if n < edge_order + 1:
            raise ValueError("Shape of array too small to calculate a numerical gradient, at "
                             "least (edge_order + 1) elements are required.")
        interior = (g[2:] - g[:-2]) / (2.0 * h)
        if edge_order == 1:
            first = (g[1:2] - g[0:1]) / h
            last = (g[n - 1:n] - g[n - 2:n - 1]) / h
        else:
            first = (-1.5 * g[0:1] + 2.0 * g[1:2] - 0.5 * g[2:3]) / h
            last = (0.5 * g[n - 3:n - 2] - 2.0 * g[n - 2:n - 1] + 1.5 * g[n - 1:n]) / h
        out.append(moveaxis(concatenate([first, interior, last], axis=0), 0, ax))
    return out[0] if len(out) == 1 else tuple(out)


@implements(np.cross)
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors (or the z-component for 2-vectors)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a = moveaxis(a, axisa, -1)
    b = moveaxis(b, axisb, -1)
    na, nb = shape_of(a)[-1], shape_of(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product (dimension must be 2 or 3)")
    a0, a1 = a[..., 0], a[..., 1]
    b0, b1 = b[..., 0], b[..., 1]
    if na == 2 and nb == 2:
        return a0 * b1 - a1 * b0
    a2 = a[..., 2] if na == 3 else 0.0 * a0
    b2 = b[..., 2] if nb == 3 else 0.0 * b0
    c = stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)
    return moveaxis(c, -1, axisc)


@implements(np.interp)
def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation, differentiable in ``x`` and ``fp`` (``xp`` constant).

    At a knot the derivative in ``x`` is the slope of the interval to its right.
    """
    if period is not None:
        raise NotImplementedError("interp(period=...) is not supported on traced input")
    xp_values = np.asarray(base_value(xp), dtype=float)
    if ndim_of(xp) != 1 or ndim_of(fp) != 1 or shape_of(fp)[0] != xp_values.shape[0]:
        raise ValueError("fp and xp are not of the same length")
    n = xp_values.shape[0]
    xv = base_value(x)  # a staged value (autodiff._stage) stays symbolic
    xv = xv if isinstance(xv, Tracer) else np.asarray(xv, dtype=float)
    hi = np.clip(np.searchsorted(xp_values, xv, side="right"), 1, n - 1)
    lo = hi - 1
    t = (x - xp_values[lo]) / (xp_values[hi] - xp_values[lo])
    inside = fp[lo] + (fp[hi] - fp[lo]) * t
    below = fp[0] if left is None else left
    above = fp[n - 1] if right is None else right
    return np.where(xv < xp_values[0], below, np.where(xv > xp_values[n - 1], above, inside))


@implements(np.polyval)
def polyval(p, x):
    """Horner's scheme; differentiable in the coefficients and in ``x``."""
    if ndim_of(p) != 1:
        raise NotImplementedError("polyval with a poly1d or multi-dimensional coefficients")
    out = 0.0 * x + p[0] if shape_of(p)[0] else 0.0 * x
    for i in range(1, shape_of(p)[0]):
        out = out * x + p[i]
    return out


def _full_convolution(a, v):
    """``sum_m a[m] v[n - m]`` for every n, as a scatter-add of the outer product."""
    na, nv = shape_of(a)[0], shape_of(v)[0]
    products = ravel(reshape(a, (na, 1)) * reshape(v, (1, nv)))
    target = np.add.outer(np.arange(na), np.arange(nv)).ravel()
    return scatter_add(products, shape=(na + nv - 1,), index=(target,))


def _mode_slice(full, na, nv, mode):
    n_long, n_short = max(na, nv), min(na, nv)
    if mode == "full":
        return full
    if mode == "same":
        start = (n_short - 1) // 2
        return full[start:start + n_long]
    if mode == "valid":
        return full[n_short - 1:n_long]
    raise ValueError(f"mode must be 'full', 'same' or 'valid', got {mode!r}")


@implements(np.convolve)
def convolve(a, v, mode="full"):
    """1-D discrete convolution, differentiable in both operands."""
    a, v = ravel(a), ravel(v)
    na, nv = shape_of(a)[0], shape_of(v)[0]
    if na == 0 or nv == 0:
        raise ValueError("convolve: inputs cannot be empty")
    return _mode_slice(_full_convolution(a, v), na, nv, mode)


@implements(np.correlate)
def correlate(a, v, mode="valid"):
    """1-D cross-correlation ``c[k] = sum_n a[n + k] v[n]`` (real inputs)."""
    a, v = ravel(a), ravel(v)
    na, nv = shape_of(a)[0], shape_of(v)[0]
    full = _full_convolution(a, v[::-1])
    out = _mode_slice(full, na, nv, mode)
    return out if na >= nv or mode == "same" else out[::-1] if mode == "valid" else out


_SINC_SERIES = 1e-3  # |x| below this: the Taylor series (exact to rounding, smooth at 0)


@implements(np.sinc)
def sinc(x):
    """``sin(pi x) / (pi x)``, with its Taylor series near 0 so every derivative is exact."""
    small = np.abs(base_value(x)) < _SINC_SERIES
    y = np.pi * np.where(small, 1.0, x)
    z = np.pi * np.where(small, x, 0.0)
    z2 = z * z
    series = 1.0 - z2 / 6.0 + z2 * z2 / 120.0
    return np.where(small, series, np.sin(y) / y)
