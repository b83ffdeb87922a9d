"""Shape bookkeeping shared by the interpreters and the rules (the leaf of the core).

Nothing here knows about tracers beyond their ``shape`` attribute, so every other
module may import it.  Batched tangents carry a leading batch axis of size ``k``.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "shape_of", "ndim_of", "normalize_axis", "axis_tuple", "batch_axes", "kept_shape",
    "expand_reduced", "unbroadcast", "align_rank", "batch_size", "size_of",
]

_PY_SCALARS = (float, int, bool, complex)


def shape_of(x) -> tuple[int, ...]:
    """Shape of an array, scalar or tracer, without NumPy's dispatch on the hot path."""
    if type(x) in _PY_SCALARS:
        return ()
    try:
        return x.shape
    except AttributeError:
        return np.shape(x)


def ndim_of(x) -> int:
    return len(shape_of(x))


def size_of(x) -> int:
    return math.prod(shape_of(x))


def normalize_axis(axis, ndim: int) -> tuple[int, ...] | None:
    """``axis`` as a tuple of non-negative ints in the caller's order (``None`` stays).

    Raises :class:`numpy.exceptions.AxisError` for an axis outside ``[-ndim, ndim)``,
    as NumPy does; nothing wraps around silently.
    """
    if axis is None:
        return None
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < ndim and not (ndim == 0 and a in (0, -1)):
            raise np.exceptions.AxisError(a, ndim)
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {axis!r}")
    return tuple(out)


def axis_tuple(axis, ndim: int) -> tuple[int, ...] | None:
    """Sorted normalized axes, the canonical form of a reduction's ``axis`` option."""
    axes = normalize_axis(axis, ndim)
    return None if axes is None else tuple(sorted(axes))


def batch_axes(axis: tuple[int, ...] | None, ndim: int) -> tuple[int, ...]:
    """Axes of a batched tangent (leading batch axis) matching ``axis`` of the primal."""
    if axis is None:
        return tuple(range(1, ndim + 1))
    return tuple(a + 1 for a in axis)


def kept_shape(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> tuple[int, ...]:
    """Shape of a reduction over ``axis`` with ``keepdims=True``."""
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else n for i, n in enumerate(shape))


def expand_reduced(g, shape, axis, keepdims: bool, broadcast: bool = True):
    """Undo a reduction's shape change so ``g`` broadcasts against its input."""
    if not keepdims:
        g = np.reshape(g, kept_shape(shape, axis))
    return np.broadcast_to(g, shape) if broadcast else g


def unbroadcast(c, shape: tuple[int, ...]):
    """Sum ``c`` over the axes along which an operand of ``shape`` was broadcast."""
    c_shape = shape_of(c)
    if c_shape == shape:
        return c
    extra = len(c_shape) - len(shape)
    if extra < 0 or any(n != 1 and m != n for n, m in zip(shape, c_shape[extra:])):
        return np.broadcast_to(c, shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and c_shape[i + extra] != 1
    )
    if axes:
        c = np.sum(c, axis=axes, keepdims=True)
    return np.reshape(c, shape) if shape_of(c) != shape else c


def align_rank(t, arg_ndim: int, out_ndim: int):
    """Insert unit axes after the batch axis so tangent ``t`` broadcasts like its operand.

    Without this, the tangent of a lower-rank operand would broadcast its batch axis
    against an output dimension (silently wrong when k equals that dimension).
    """
    extra = out_ndim - arg_ndim
    if extra <= 0:
        return t
    shape = shape_of(t)
    return np.reshape(t, shape[:1] + (1,) * extra + shape[1:])


def batch_size(t) -> int:
    """Number of tangents stacked on the leading axis of ``t``."""
    return shape_of(t)[0]
