"""Small shared helpers for writing rules: axes, batch axes and reduced shapes."""

from __future__ import annotations

import numpy as np

from .._tracer import Primitive, base_value, shape_of


def make_primitive(fun, name: str | None = None, *, elementwise: bool = False,
                   vjps=(), jvps=()) -> Primitive:
    """Create a primitive and attach its rules in one declaration."""
    prim = Primitive(fun, name=name, elementwise=elementwise)
    for i, maker in enumerate(vjps):
        if maker is not None:
            prim.vjps[i] = maker
    for i, rule in enumerate(jvps):
        if rule is not None:
            prim.jvps[i] = rule
    return prim


def normalize_axis(axis, ndim: int) -> tuple[int, ...] | None:
    """Return ``axis`` as a sorted tuple of non-negative ints (``None`` stays ``None``)."""
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        return tuple(sorted(int(a) % ndim if ndim else 0 for a in axis))
    return (int(axis) % ndim if ndim else 0,)


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


def float_dtype(x) -> np.dtype:
    """The floating dtype of ``x`` (float64 for integers and Python scalars)."""
    dt = np.result_type(base_value(x))
    return dt if dt.kind in "fc" else np.dtype(np.float64)


def batch_size(t) -> int:
    return shape_of(t)[0]
