"""Shape primitives (reshape, transpose, broadcast_to, concatenate, pad, roll, cast)
and indexing (``x[index]`` and its adjoint, a scatter-add).

Batched tangents keep their batch axis first; indexing rules move it last instead,
so advanced-index placement rules can never move it.
"""

from __future__ import annotations

import numpy as np

from .._forward import align_rank
from .._reverse import unbroadcast
from .._tracer import VJPsForEveryOperand, base_value, shape_of
from ._helpers import batch_size, make_primitive


def _reshape_to(shape):
    return lambda g: np.reshape(g, shape)


def _reshape_impl(x, shape):
    return np.reshape(x, shape)


reshape = make_primitive(
    _reshape_impl, "reshape",
    vjps=[lambda ans, x, shape: _reshape_to(shape_of(x))],
    jvps=[lambda t, ans, x, shape: np.reshape(t, (batch_size(t),) + shape_of(ans))],
)


def _transpose_impl(x, axes):
    return np.transpose(x, axes)


transpose = make_primitive(
    _transpose_impl, "transpose",
    vjps=[lambda ans, x, axes: lambda g: np.transpose(g, tuple(np.argsort(axes)))],
    jvps=[lambda t, ans, x, axes: np.transpose(t, (0,) + tuple(a + 1 for a in axes))],
)


def _unbroadcast_to(shape):
    return lambda g: unbroadcast(g, shape)


def _broadcast_to_impl(x, shape):
    return np.broadcast_to(x, shape)


broadcast_to = make_primitive(
    _broadcast_to_impl, "broadcast_to",
    vjps=[lambda ans, x, shape: _unbroadcast_to(shape_of(x))],
    jvps=[lambda t, ans, x, shape: np.broadcast_to(
        align_rank(t, len(shape_of(x)), len(shape)), (batch_size(t),) + tuple(shape))],
)


def _concatenate_impl(*arrays, axis):
    return np.concatenate(arrays, axis=axis)


def _concatenate_vjp(i):
    def maker(ans, *arrays, axis):
        start = sum(shape_of(a)[axis] for a in arrays[:i])
        stop = start + shape_of(arrays[i])[axis]
        index = (slice(None),) * axis + (slice(start, stop),)
        return lambda g: g[index]

    return maker


def _concatenate_jvp(tangents, ans, *arrays, axis):
    k = next(batch_size(t) for t in tangents if t is not None)
    parts = [
        np.zeros((k,) + shape_of(a), dtype=np.result_type(base_value(ans))) if t is None else t
        for t, a in zip(tangents, arrays)
    ]
    return np.concatenate(parts, axis=axis + 1)


concatenate = make_primitive(_concatenate_impl, "concatenate")
concatenate.vjps = VJPsForEveryOperand(_concatenate_vjp)
concatenate.jvp_joint = _concatenate_jvp


def _pad_constant_impl(x, pad_width, value=0.0):
    return np.pad(x, pad_width, mode="constant", constant_values=value)


def _unpad(g, pad_width):
    shape = shape_of(g)
    return g[tuple(slice(lo, n - hi) for (lo, hi), n in zip(pad_width, shape))]


pad_constant = make_primitive(
    _pad_constant_impl, "pad",
    vjps=[lambda ans, x, pad_width, value=0.0: lambda g: _unpad(g, pad_width)],
    jvps=[lambda t, ans, x, pad_width, value=0.0:
          pad_constant(t, pad_width=((0, 0),) + tuple(pad_width), value=0.0)],
)


def _roll_impl(x, shift, axis):
    return np.roll(x, shift, axis=axis)


roll = make_primitive(
    _roll_impl, "roll",
    vjps=[lambda ans, x, shift, axis: lambda g: np.roll(g, tuple(-s for s in shift), axis=axis)],
    jvps=[lambda t, ans, x, shift, axis: np.roll(t, shift, axis=tuple(a + 1 for a in axis))],
)


def _cast_to(dtype):
    return lambda g: cast(g, dtype=dtype)


def _cast_impl(x, dtype):
    return x.astype(dtype) if hasattr(x, "astype") else np.asarray(x, dtype=dtype)


cast = make_primitive(
    _cast_impl, "astype",
    vjps=[lambda ans, x, dtype: _cast_to(np.result_type(base_value(x)))],
    jvps=[lambda t, ans, x, dtype: cast(t, dtype=dtype)],
)


# --- indexing --------------------------------------------------------------------
def is_basic_index(index: tuple) -> bool:
    """True when ``index`` has no integer arrays (so no element is picked twice)."""
    for i in index:
        if isinstance(i, np.ndarray) and i.dtype != bool:
            return False
    return True


def is_view_index(index: tuple) -> bool:
    """True for integers, slices and None only: indexing that never reorders axes."""
    return all(i is None or isinstance(i, (int, np.integer, slice)) for i in index)


def _getitem_impl(x, index):
    return x[index]


def _scatter_add_impl(g, shape, index):
    out = np.zeros(shape, dtype=np.result_type(g))
    if is_basic_index(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


def _batch_last(t):
    return np.moveaxis(t, 0, -1)


def _batch_first(t):
    return np.moveaxis(t, -1, 0)


def _scatter_into(shape, index):
    return lambda g: scatter_add(g, shape=shape, index=index)


def _getitem_jvp(t, ans, x, index):
    if is_view_index(index):  # the batch axis stays in front
        return getitem(t, index=(slice(None),) + index)
    return _batch_first(getitem(_batch_last(t), index=index))


def _scatter_add_jvp(t, ans, g, shape, index):
    if is_view_index(index):
        return scatter_add(t, shape=(batch_size(t),) + tuple(shape), index=(slice(None),) + index)
    return _batch_first(
        scatter_add(_batch_last(t), shape=tuple(shape) + (batch_size(t),), index=index))


getitem = make_primitive(
    _getitem_impl, "getitem",
    vjps=[lambda ans, x, index: _scatter_into(shape_of(x), index)],
    jvps=[_getitem_jvp],
)
scatter_add = make_primitive(
    _scatter_add_impl, "scatter_add",
    vjps=[lambda ans, g, shape, index: lambda h: getitem(h, index=index)],
    jvps=[_scatter_add_jvp],
)


def normalize_index(index, ndim: int) -> tuple:
    """Return ``index`` as a tuple without Ellipsis; lists become arrays.

    With the Ellipsis spelled out, trailing axes are implicit, so a batch axis kept
    last is never touched by the index.
    """
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    for i in index:
        i = base_value(i)
        if isinstance(i, list):
            i = np.asarray(i)
        if isinstance(i, np.ndarray) and i.dtype.kind == "f":
            raise IndexError("arrays used as indices must be of integer or boolean type")
        out.append(i)
    if any(i is Ellipsis for i in out):
        consumed = sum(
            i.ndim if isinstance(i, np.ndarray) and i.dtype == bool else 1
            for i in out if i is not None and i is not Ellipsis
        )
        at = next(n for n, i in enumerate(out) if i is Ellipsis)
        out[at:at + 1] = [slice(None)] * (ndim - consumed)
    return tuple(out)


def _accumulate_getitem(adjoint, g, index):
    if is_basic_index(index):
        adjoint[index] += g
    else:
        np.add.at(adjoint, index, g)
    return adjoint


getitem.accumulate = _accumulate_getitem
