"""Shape primitives (reshape, transpose, broadcast_to, concatenate, pad, roll, cast)
and the NumPy shape functions composed from them (moveaxis, stack, split, tile, ...).

Tangents keep their batch axis first, so each forward rule shifts axes by one.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from .._registry import declare, implements, register_primitive
from .._shapes import (
    align_rank,
    batch_size,
    ndim_of,
    normalize_axis,
    shape_of,
    unbroadcast,
)
from .._tracer import Primitive, Tracer, base_value, set_rules


def _is_traced(*xs) -> bool:
    return builtins.any(isinstance(x, Tracer) for x in xs)


def _reshape_impl(x, shape):
    return np.reshape(x, shape)


reshape_ = declare(
    _reshape_impl, "reshape",
    vjps=[lambda ans, x, shape: _reshaped_to(shape_of(x))],
    jvps=[lambda t, ans, x, shape: np.reshape(t, (batch_size(t),) + shape_of(ans))],
)


def _reshaped_to(shape):
    return lambda g: np.reshape(g, shape)


def _transpose_impl(x, axes):
    return np.transpose(x, axes)


transpose_ = declare(
    _transpose_impl, "transpose",
    vjps=[lambda ans, x, axes: lambda g: np.transpose(g, tuple(np.argsort(axes)))],
    jvps=[lambda t, ans, x, axes: np.transpose(t, (0,) + tuple(a + 1 for a in axes))],
)


def _broadcast_to_impl(x, shape):
    return np.broadcast_to(x, shape)


def _summed_to(shape):
    return lambda g: unbroadcast(g, shape)


broadcast_to_ = declare(
    _broadcast_to_impl, "broadcast_to",
    vjps=[lambda ans, x, shape: _summed_to(shape_of(x))],
    jvps=[lambda t, ans, x, shape: np.broadcast_to(
        align_rank(t, ndim_of(x), len(shape)), (batch_size(t),) + tuple(shape))],
)


def _concatenate_impl(*arrays, axis):
    return np.concatenate(arrays, axis=axis)


def _concatenate_vjp(which, ans, arrays, kwargs):
    axis = kwargs["axis"]
    bounds = np.cumsum([0] + [shape_of(a)[axis] for a in arrays]).tolist()
    head = (slice(None),) * axis
    pieces = [head + (slice(bounds[i], bounds[i + 1]),) for i in which]
    return lambda g: tuple(g[index] for index in pieces)


def _concatenate_jvp(tangents, ans, arrays, kwargs):
    k = next(batch_size(t) for t in tangents if t is not None)
    dtype = np.result_type(base_value(ans))
    parts = [np.zeros((k,) + shape_of(a), dtype=dtype) if t is None else t
             for t, a in zip(tangents, arrays)]
    return np.concatenate(parts, axis=kwargs["axis"] + 1)


concatenate_ = register_primitive(set_rules(
    Primitive(_concatenate_impl, "concatenate"), vjp=_concatenate_vjp, jvp=_concatenate_jvp))


def _pad_constant_impl(x, pad_width, value=0.0):
    return np.pad(x, pad_width, mode="constant", constant_values=value)


def _unpad(g, pad_width):
    shape = shape_of(g)
    return g[tuple(slice(lo, n - hi) for (lo, hi), n in zip(pad_width, shape))]


pad_constant = declare(
    _pad_constant_impl, "pad",
    vjps=[lambda ans, x, pad_width, value=0.0: lambda g: _unpad(g, pad_width)],
    jvps=[lambda t, ans, x, pad_width, value=0.0:
          pad_constant(t, pad_width=((0, 0),) + tuple(pad_width), value=0.0)],
)


def _roll_impl(x, shift, axis):
    return np.roll(x, shift, axis=axis)


roll_ = declare(
    _roll_impl, "roll",
    vjps=[lambda ans, x, shift, axis: lambda g: np.roll(g, tuple(-s for s in shift), axis=axis)],
    jvps=[lambda t, ans, x, shift, axis: np.roll(t, shift, axis=tuple(a + 1 for a in axis))],
)


def _cast_impl(x, dtype):
    return x.astype(dtype) if hasattr(x, "astype") else np.asarray(x, dtype=dtype)


cast = declare(
    _cast_impl, "astype",
    vjps=[lambda ans, x, dtype: _cast_back(np.result_type(base_value(x)))],
    jvps=[lambda t, ans, x, dtype: cast(t, dtype=dtype)],
)


def _cast_back(dtype):
    return lambda g: cast(g, dtype=dtype)


# --- the NumPy-facing functions ---------------------------------------------------------
@implements(np.reshape)
def reshape(a, shape=None, order="C", **kwargs):
    shape = kwargs.pop("newshape", shape)
    if order != "C":
        raise NotImplementedError("reshape supports order='C' only")
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if not _is_traced(a):
        return np.reshape(a, shape)
    if -1 in shape:
        known = math.prod(n for n in shape if n != -1)
        shape = tuple(math.prod(shape_of(a)) // known if n == -1 else n for n in shape)
    if math.prod(shape) != math.prod(shape_of(a)):
        raise ValueError(f"cannot reshape array of shape {shape_of(a)} into shape {shape}")
    if shape == shape_of(a):
        return a
    return reshape_(a, shape=shape)


@implements(methods=("reshape",))
def _reshape_method(self, *shape, **kwargs):
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        shape = shape[0]
    return reshape(self, shape, **kwargs)


@implements(np.ravel, methods=("ravel", "flatten"))
def ravel(a, order="C"):
    return reshape(a, (-1,), order=order)


@implements(np.transpose)
def transpose(a, axes=None):
    nd = ndim_of(a)
    axes = tuple(range(nd))[::-1] if axes is None else normalize_axis(axes, nd)
    if len(axes) != nd:
        raise ValueError("axes don't match array")
    if axes == tuple(range(nd)):
        return a
    return transpose_(a, axes=axes)


@implements(methods=("transpose",))
def _transpose_method(self, *axes):
    if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
        axes = axes[0]
    return transpose(self, axes or None)


Tracer.T = property(lambda self: transpose(self))
Tracer.mT = property(lambda self: swapaxes(self, -1, -2))


@implements(np.moveaxis)
def moveaxis(a, source, destination):
    nd = ndim_of(a)
    source = normalize_axis(source, nd)
    destination = normalize_axis(destination, nd)
    if len(source) != len(destination):
        raise ValueError("`source` and `destination` arguments must have the same number "
                         "of elements")
    order = [n for n in range(nd) if n not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return transpose(a, order)


@implements(np.swapaxes, methods=("swapaxes",))
def swapaxes(a, axis1, axis2):
    nd = ndim_of(a)
    (axis1,), (axis2,) = normalize_axis(axis1, nd), normalize_axis(axis2, nd)
    order = list(range(nd))
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return transpose(a, order)


@implements(np.expand_dims)
def expand_dims(a, axis):
    shape = list(shape_of(a))
    axes = normalize_axis(axis, len(shape) + (len(axis) if isinstance(axis, (tuple, list))
                                              else 1))
    for ax in sorted(axes):
        shape.insert(ax, 1)
    return reshape(a, tuple(shape))


@implements(np.squeeze, methods=("squeeze",))
def squeeze(a, axis=None):
    shape = shape_of(a)
    if axis is None:
        return reshape(a, tuple(n for n in shape if n != 1))
    axes = normalize_axis(axis, len(shape))
    for ax in axes:
        if shape[ax] != 1:
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return reshape(a, tuple(n for i, n in enumerate(shape) if i not in axes))


@implements(np.broadcast_to)
def broadcast_to(array, shape, subok=False):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if shape_of(array) == shape:
        return array
    np.broadcast_shapes(shape_of(array), shape)  # NumPy's error for incompatible shapes
    return broadcast_to_(array, shape=shape)


@implements(np.broadcast_arrays)
def broadcast_arrays(*args, subok=False):
    shape = np.broadcast_shapes(*(shape_of(a) for a in args))
    return [broadcast_to(a, shape) for a in args]


@implements(np.atleast_1d)
def atleast_1d(*arys):
    out = [a if ndim_of(a) >= 1 else reshape(a, (1,)) for a in arys]
    return out[0] if len(out) == 1 else out


@implements(np.atleast_2d)
def atleast_2d(*arys):
    out = [a if ndim_of(a) >= 2 else reshape(a, (1,) * (2 - ndim_of(a)) + shape_of(a))
           for a in arys]
    return out[0] if len(out) == 1 else out


@implements(np.concatenate)
def concatenate(arrays, axis=0, out=None, **kwargs):
    if out is not None:
        raise TypeError("concatenate(..., out=...) writes in place, which is not "
                        "differentiable")
    arrays = list(arrays)
    if axis is None:
        arrays, axis = [ravel(a) for a in arrays], 0
    if not _is_traced(*arrays):
        return np.concatenate(arrays, axis=axis)
    (axis,) = normalize_axis(axis, ndim_of(arrays[0]))
    return concatenate_(*arrays, axis=axis)


@implements(np.stack)
def stack(arrays, axis=0, out=None, **kwargs):
    arrays = list(arrays)
    (axis,) = normalize_axis(axis, ndim_of(arrays[0]) + 1)
    return concatenate([expand_dims(a, axis) for a in arrays], axis=axis, out=out)


@implements(np.hstack)
def hstack(tup, **kwargs):
    arrs = [atleast_1d(a) for a in tup]
    return concatenate(arrs, axis=0 if ndim_of(arrs[0]) == 1 else 1)


@implements(np.vstack)
def vstack(tup, **kwargs):
    return concatenate([atleast_2d(a) for a in tup], axis=0)


@implements(np.column_stack)
def column_stack(tup):
    return concatenate([reshape(a, (-1, 1)) if ndim_of(a) < 2 else a for a in tup], axis=1)


@implements(np.array_split)
def array_split(ary, indices_or_sections, axis=0):
    (axis,) = normalize_axis(axis, ndim_of(ary))
    n = shape_of(ary)[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        each, extra = divmod(n, sections)
        sizes = [each + 1] * extra + [each] * (sections - extra)
        bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [n]
    head = (slice(None),) * axis
    return [ary[head + (slice(lo, hi),)] for lo, hi in zip(bounds[:-1], bounds[1:])]


@implements(np.split)
def split(ary, indices_or_sections, axis=0):
    if isinstance(indices_or_sections, (int, np.integer)):
        if shape_of(ary)[axis] % indices_or_sections:
            raise ValueError("array split does not result in an equal division")
    return array_split(ary, indices_or_sections, axis)


@implements(np.roll)
def roll(a, shift, axis=None):
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), shape_of(a))
    shifts = tuple(shift) if isinstance(shift, (tuple, list)) else (shift,)
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    shifts, axes = np.broadcast_arrays(np.asarray(shifts), np.asarray(axes))
    nd = ndim_of(a)
    return roll_(a, shift=tuple(int(s) for s in shifts),
                 axis=tuple(normalize_axis(int(x), nd)[0] for x in axes))


@implements(np.flip)
def flip(m, axis=None):
    nd = ndim_of(m)
    axes = range(nd) if axis is None else normalize_axis(axis, nd)
    return m[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(nd))]


@implements(np.fliplr)
def fliplr(m):
    return flip(m, 1)


@implements(np.flipud)
def flipud(m):
    return flip(m, 0)


@implements(methods=("astype",))
def astype(x, dtype, copy=True):
    dtype = np.dtype(dtype)
    if dtype.kind not in "fc":  # casting to integers/bools is piecewise constant
        return np.asarray(base_value(x)).astype(dtype)
    if not _is_traced(x):
        return np.asarray(x).astype(dtype)
    return x if np.result_type(base_value(x)) == dtype and not copy else cast(x, dtype=dtype)


@implements(np.copy, methods=("copy",))
def copy(a, order="K", subok=False):
    return a if _is_traced(a) else np.copy(a, order=order)


# Complex values never reach a tracer (they are refused), so these are identities.
@implements(np.real)
def real(val):
    return val


@implements(np.conj, np.conjugate, methods=("conj", "conjugate"))
def conj(x):
    return x


Tracer.real = property(lambda self: self)

