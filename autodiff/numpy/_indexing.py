"""Indexing: ``x[index]`` and its adjoint (a scatter-add), and the NumPy functions
built on them (take, take_along_axis, sort, diagonal, diag, trace, tril, triu).

Batched tangents keep their batch axis first; rules with advanced indices move it
last instead, so NumPy's placement of advanced-index dimensions can never move it.
The VJP of ``x[index]`` returns a lazy :class:`~autodiff._reverse.IndexedCotangent`
that the backward sweep adds into a slice of the adjoint in place.
"""

from __future__ import annotations

import builtins

import numpy as np

from .._registry import declare, implements
from .._reverse import IndexedCotangent
from .._shapes import batch_size, ndim_of, normalize_axis, shape_of
from .._tracer import Tracer, base_value
from ._reductions import sum
from ._shape import moveaxis, ravel


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


def _getitem_vjp(ans, x, index):
    shape = shape_of(x)
    return lambda g: IndexedCotangent(
        g, index, lambda: scatter_add(g, shape=shape, index=index))


def _getitem_jvp(t, ans, x, index):
    if is_view_index(index):  # the batch axis stays in front
        return getitem(t, index=(slice(None),) + index)
    return _batch_first(getitem(_batch_last(t), index=index))


def _scatter_add_jvp(t, ans, g, shape, index):
    if is_view_index(index):
        return scatter_add(t, shape=(batch_size(t),) + tuple(shape), index=(slice(None),) + index)
    return _batch_first(
        scatter_add(_batch_last(t), shape=tuple(shape) + (batch_size(t),), index=index))


getitem = declare(_getitem_impl, "getitem", vjps=[_getitem_vjp], jvps=[_getitem_jvp])
scatter_add = declare(
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
    if builtins.any(i is Ellipsis for i in out):
        consumed = builtins.sum(
            i.ndim if isinstance(i, np.ndarray) and i.dtype == bool else 1
            for i in out if i is not None and i is not Ellipsis
        )
        at = next(n for n, i in enumerate(out) if i is Ellipsis)
        out[at:at + 1] = [slice(None)] * (ndim - consumed)
    return tuple(out)


@implements(methods=("__getitem__",))
def getitem_(x, index):
    return getitem(x, index=normalize_index(index, ndim_of(x)))


@implements(np.take, methods=("take",))
def take(a, indices, axis=None, out=None, mode="raise"):
    if out is not None:
        raise TypeError("take(..., out=...) writes in place, which is not differentiable")
    if axis is None:
        a, axis = ravel(a), 0
    (axis,) = normalize_axis(axis, ndim_of(a))
    indices = np.asarray(base_value(indices))
    n = shape_of(a)[axis]
    if mode == "wrap":
        indices = np.mod(indices, n)
    elif mode == "clip":
        indices = np.clip(indices, 0, n - 1)
    return a[(slice(None),) * axis + (indices,)]


@implements(np.take_along_axis)
def take_along_axis(arr, indices, axis):
    if axis is None:
        return take(arr, np.ravel(indices))
    nd = ndim_of(arr)
    (axis,) = normalize_axis(axis, nd)
    index = [np.reshape(np.arange(n), [-1 if j == i else 1 for j in range(nd)])
             for i, n in enumerate(np.shape(indices))]
    indices = base_value(indices)
    # A staged value (autodiff._stage) stays symbolic; a traced one would be an error.
    index[axis] = indices if isinstance(indices, Tracer) else np.asarray(indices)
    return arr[tuple(index)]


@implements(np.sort)
def sort(a, axis=-1, kind=None, order=None):
    """Sorted copy; the derivative follows the sorting permutation."""
    if axis is None:
        a, axis = ravel(a), 0
    return take_along_axis(a, np.argsort(base_value(a), axis=axis, kind=kind), axis)


@implements(np.diagonal, methods=("diagonal",))
def diagonal(a, offset=0, axis1=0, axis2=1):
    a = moveaxis(a, (axis1, axis2), (-2, -1))
    n, m = shape_of(a)[-2:]
    rows = np.arange(builtins.max(0, -offset), builtins.min(n, m - offset))
    return a[..., rows, rows + offset]


@implements(np.diag)
def diag(v, k=0):
    """Diagonal of a matrix, or a matrix with ``v`` on its k-th diagonal."""
    if ndim_of(v) == 2:
        return diagonal(v, k)
    if ndim_of(v) != 1:
        raise ValueError("diag: input must be 1-D or 2-D")
    n = shape_of(v)[0] + builtins.abs(k)
    rows = np.arange(shape_of(v)[0]) + builtins.max(0, -k)
    return scatter_add(v, shape=(n, n), index=(rows, rows + k))


@implements(np.trace, methods=("trace",))
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    if out is not None:
        raise TypeError("trace(..., out=...) writes in place, which is not differentiable")
    return sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


@implements(np.tril)
def tril(m, k=0):
    n, p = shape_of(m)[-2:]
    return m * np.tri(n, p, k, dtype=bool)


@implements(np.triu)
def triu(m, k=0):
    n, p = shape_of(m)[-2:]
    return m * ~np.tri(n, p, k - 1, dtype=bool)


def index_update(x, index, values):
    """Functional ``x[index] = values``: a new array, differentiable in both.

    Examples
    --------
    >>> import numpy as np, autodiff.numpy as anp
    >>> anp.index_update(np.zeros(3), 1, 5.0)
    array([0., 5., 0.])
    """
    index = normalize_index(index, ndim_of(x))
    mask = np.zeros(shape_of(x), dtype=bool)
    mask[index] = True
    placed = _scatter(values, shape_of(x), index)
    return np.where(mask, placed, x)


def index_add(x, index, values):
    """Functional ``np.add.at(x, index, values)``: a new array, differentiable."""
    index = normalize_index(index, ndim_of(x))
    return x + _scatter(values, shape_of(x), index)


def _scatter(values, shape, index):
    target_shape = np.empty(shape, dtype=bool)[index].shape
    values = np.broadcast_to(values, target_shape) if shape_of(values) != target_shape \
        else values
    return scatter_add(values, shape=tuple(shape), index=index)

