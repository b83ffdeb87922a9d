"""``numpy.linalg.norm``, ``vector_norm``, ``matrix_norm`` and ``cond``.

Every ``ord`` of NumPy, with ``axis`` and ``keepdims``.  Matrix norms 2, -2 and
``'nuc'`` are reductions of the singular values (``linalg.svdvals``); 1, -1, inf and
-inf are max/min of absolute row or column sums.  The conventions at
non-differentiable points are listed in :mod:`autodiff.numpy.linalg`.
"""

from __future__ import annotations

import numpy as np

from .._registry import implements
from .._shapes import axis_tuple, ndim_of
from .._tracer import base_value, is_complex
from ._linalg_basic import inv_p
from ._linalg_decompositions import svdvals_p
from ._reductions import norm2

__all__ = ["norm", "vector_norm", "matrix_norm", "cond"]


@implements(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims=False):
    """Vector and matrix norms for every ``ord`` of :func:`numpy.linalg.norm`.

    The conventions at non-differentiable points are in the module docstring.
    """
    ndim = ndim_of(x)
    if axis is None and ord is None:
        return norm2(x, axis=None, keepdims=bool(keepdims))
    if axis is None:
        if ndim not in (1, 2):
            raise ValueError("Improper number of dimensions to norm.")
        axis = tuple(range(ndim))
    elif isinstance(axis, (tuple, list)):
        axis = tuple(axis)
    else:
        axis = (axis,)
    axis = tuple(a % ndim if -ndim <= a < ndim else a for a in map(int, axis))
    axis_tuple(axis, ndim)  # raises AxisError on an axis out of range
    if len(axis) == 1:
        return _vector_norm(x, ord, axis, bool(keepdims))
    if len(axis) == 2:
        return _matrix_norm(x, ord, axis, bool(keepdims))
    raise ValueError("Improper number of dimensions to norm.")


def _vector_norm(x, ord, axis, keepdims):
    if ord is None or ord == 2:
        return norm2(x, axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    if ord == np.inf:
        return np.max(np.abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return np.min(np.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:  # the number of nonzero entries: piecewise constant
        return np.sum(base_value(x) != 0, axis=axis, keepdims=keepdims).astype(float)
    if ord == 1:
        return np.sum(np.abs(x), axis=axis, keepdims=keepdims)
    ord = float(ord)
    magnitude = np.abs(x)
    if ord < 1:
        if np.any(base_value(x) == 0):
            raise ValueError(f"numpy.linalg.norm(ord={ord:g}) is not differentiable at a "
                             "vector with a zero entry")
        return np.sum(magnitude ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)
    # p >= 1: scale by the largest magnitude (a constant), so that x = 0 gives the
    # subgradient 0 instead of 0 * inf, and large entries do not overflow.
    scale = np.max(base_value(magnitude), axis=axis, keepdims=True)
    scale = np.where(scale == 0, 1.0, scale)
    total = np.sum((magnitude / scale) ** ord, axis=axis, keepdims=True)
    zero = base_value(total) == 0
    root = np.where(zero, 0.0, np.where(zero, 1.0, total) ** (1.0 / ord)) * scale
    return root if keepdims else np.squeeze(root, axis)


def _refuse_complex_spectral(x, what: str) -> None:
    if is_complex(x):
        raise TypeError(f"autodiff.numpy.linalg: {what} of a complex matrix is not supported "
                        "(its singular-value rule is written for real matrices)")


def _matrix_norm(x, ord, axis, keepdims):
    if ord in (2, -2, "nuc"):
        _refuse_complex_spectral(x, f"norm(ord={ord!r})")
    row, col = axis
    if row == col:
        raise ValueError("Duplicate axes given.")
    if ord is None or ord == "fro":
        out = norm2(x, axis=tuple(sorted(axis)), keepdims=keepdims)
        return out
    if ord in (2, -2, "nuc"):
        s = svdvals_p(np.moveaxis(x, (row, col), (-2, -1)))
        out = {2: np.max, -2: np.min}.get(ord, np.sum)(s, axis=-1)
    elif ord in (1, -1):
        sums = np.sum(np.abs(x), axis=row, keepdims=True)
        out = (np.max if ord == 1 else np.min)(sums, axis=col, keepdims=True)
        out = np.squeeze(out, (row, col))
    elif ord in (np.inf, -np.inf):
        sums = np.sum(np.abs(x), axis=col, keepdims=True)
        out = (np.max if ord == np.inf else np.min)(sums, axis=row, keepdims=True)
        out = np.squeeze(out, (row, col))
    else:
        raise ValueError("Invalid norm order for matrices.")
    if keepdims:
        out = np.expand_dims(out, tuple(sorted((row, col))))
    return out


@implements(np.linalg.vector_norm)
def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """Vector norm over ``axis`` (all axes, flattened, when ``None``)."""
    ndim = ndim_of(x)
    axes = tuple(range(ndim)) if axis is None else (
        tuple(axis) if isinstance(axis, (tuple, list)) else (axis,))
    axes = tuple(sorted(a % ndim for a in axes)) if ndim else ()
    axis_tuple(axes, ndim)
    if len(axes) == 1:
        return _vector_norm(x, ord, axes, bool(keepdims))
    rest = [i for i in range(ndim) if i not in axes]
    moved = np.transpose(x, rest + list(axes))
    flat = np.reshape(moved, tuple(np.shape(base_value(moved))[:len(rest)]) + (-1,))
    out = _vector_norm(flat, ord, (len(rest),), False)
    return np.expand_dims(out, axes) if keepdims else out


@implements(np.linalg.matrix_norm)
def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """Matrix norm over the last two axes."""
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


@implements(np.linalg.cond)
def cond(x, p=None):
    """Condition number ``norm(x, p) * norm(inv(x), p)`` (ratio of singular values
    for ``p`` in ``None``, 2, -2)."""
    if p in (None, 2, -2):
        _refuse_complex_spectral(x, "cond")
        s = svdvals_p(x)
        big, small = np.max(s, axis=-1), np.min(s, axis=-1)
        return big / small if p != -2 else small / big
    return (norm(x, ord=p, axis=(-2, -1)) * norm(inv_p(x), ord=p, axis=(-2, -1)))
