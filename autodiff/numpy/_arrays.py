"""More array manipulation, composed from the shape and indexing primitives: pad, tile,
repeat, diff, append, rot90, atleast_3d, dstack, the split family, select, piecewise,
kron, cumprod, average and the ``r_`` / ``c_`` index tricks."""

from __future__ import annotations

import builtins
import math

import numpy as np

from .._registry import implements
from .._shapes import ndim_of, normalize_axis, shape_of
from .._tracer import Tracer, base_value
from ._reductions import as_array, prod, sum, takes_sequences
from ._shape import (
    array_split,
    atleast_1d,
    broadcast_to,
    concatenate,
    flip,
    pad_constant,
    ravel,
    reshape,
    transpose,
)


@implements(np.append)
def append(arr, values, axis=None):
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], axis=0)
    return concatenate([arr, values], axis=axis)


@implements(np.rot90)
def rot90(m, k=1, axes=(0, 1)):
    nd = ndim_of(m)
    axes = normalize_axis(axes, nd)
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2")
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, axes[0]), axes[1])
    order = list(range(nd))
    order[axes[0]], order[axes[1]] = order[axes[1]], order[axes[0]]
    if k == 1:
        return transpose(flip(m, axes[1]), order)
    return flip(transpose(m, order), axes[1])


@implements(np.atleast_3d)
def atleast_3d(*arys):
    out = []
    for a in arys:
        shape = shape_of(a)
        if len(shape) == 0:
            a = reshape(a, (1, 1, 1))
        elif len(shape) == 1:
            a = reshape(a, (1,) + shape + (1,))
        elif len(shape) == 2:
            a = reshape(a, shape + (1,))
        out.append(a)
    return out[0] if len(out) == 1 else out


@implements(np.dstack)
def dstack(tup):
    return concatenate([atleast_3d(a) for a in tup], axis=2)


@implements(np.hsplit)
def hsplit(ary, indices_or_sections):
    return _split(ary, indices_or_sections, 1 if ndim_of(ary) > 1 else 0)


@implements(np.vsplit)
def vsplit(ary, indices_or_sections):
    return _split(ary, indices_or_sections, 0)


@implements(np.dsplit)
def dsplit(ary, indices_or_sections):
    return _split(ary, indices_or_sections, 2)


def _split(ary, indices_or_sections, axis):
    if isinstance(indices_or_sections, (int, np.integer)) and \
            shape_of(ary)[axis] % indices_or_sections:
        raise ValueError("array split does not result in an equal division")
    return array_split(ary, indices_or_sections, axis)


@implements(np.select)
def select(condlist, choicelist, default=0):
    """The first choice whose condition holds; the derivative follows the choice made."""
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    out = default
    for condition, choice in reversed(list(zip(condlist, choicelist))):
        out = np.where(base_value(condition), choice, out)
    return out


@implements(np.piecewise)
def piecewise(x, condlist, funclist, *args, **kw):
    """Piecewise functions: every piece is evaluated on all of ``x``, then selected."""
    conditions = [np.asarray(base_value(c), dtype=bool) for c in (
        condlist if isinstance(condlist, (list, tuple)) else [condlist])]
    if len(funclist) == len(conditions) + 1:  # the "otherwise" piece
        conditions.append(~np.any(conditions, axis=0))
    if len(funclist) != len(conditions):
        raise ValueError(f"with {len(conditions)} condition(s), either {len(conditions)} or "
                         f"{len(conditions) + 1} functions are expected")
    out = np.zeros(shape_of(x))
    for condition, piece in zip(conditions, funclist):
        value = piece(x, *args, **kw) if callable(piece) else piece
        out = np.where(condition, value, out)
    return out


@implements(np.kron)
def kron(a, b):
    """Kronecker product: an outer product with interleaved axes, then merged."""
    nd = builtins.max(ndim_of(a), ndim_of(b))
    sa = (1,) * (nd - ndim_of(a)) + shape_of(a)
    sb = (1,) * (nd - ndim_of(b)) + shape_of(b)
    a2 = reshape(a, tuple(n for m in sa for n in (m, 1)))
    b2 = reshape(b, tuple(n for m in sb for n in (1, m)))
    return reshape(a2 * b2, tuple(m * n for m, n in zip(sa, sb)))


@implements(np.cumprod, methods=("cumprod",))
@implements(np.multiply, ufunc_methods=("accumulate",))
def cumprod(a, axis=None, dtype=None, out=None):
    """Cumulative product, as products over a triangular mask.

    Exact at zero entries to every order (it is ``np.prod`` of masked copies); memory
    grows with the square of the axis length.
    """
    if out is not None:
        raise TypeError("cumprod(..., out=...) writes in place, which is not differentiable")
    if axis is None:
        a, axis = ravel(a), 0
    (axis,) = normalize_axis(axis, ndim_of(a))
    a = np.moveaxis(a, axis, -1)
    n = shape_of(a)[-1]
    lower = np.tri(n, dtype=bool)  # lower[k, i]: i <= k
    expanded = np.expand_dims(a, -2)  # (..., 1, n)
    out = prod(np.where(lower, expanded, 1.0), axis=-1)  # (..., n)
    out = np.moveaxis(out, -1, axis)
    return out if dtype is None else out.astype(dtype)


@implements(np.average)
def average(a, axis=None, weights=None, returned=False, keepdims=False):
    a = as_array(a)
    weights = None if weights is None else as_array(weights)
    if weights is None:
        total = np.mean(a, axis=axis, keepdims=keepdims)
        count = math.prod(shape_of(a)) / builtins.max(1, math.prod(shape_of(total)))
        return (total, np.full(shape_of(total), count)) if returned else total
    if shape_of(weights) != shape_of(a):
        if axis is None or ndim_of(weights) != 1:
            raise TypeError("Axis must be specified when shapes of a and weights differ.")
        (ax,) = normalize_axis(axis, ndim_of(a))
        weights = reshape(weights, tuple(-1 if i == ax else 1 for i in range(ndim_of(a))))
        weights = np.broadcast_to(weights, shape_of(a))
    scale = sum(weights, axis=axis, keepdims=keepdims)
    total = sum(a * weights, axis=axis, keepdims=keepdims) / scale
    return (total, scale) if returned else total


takes_sequences(average)


class _IndexTrick:
    """``r_[a, b, ...]`` / ``c_[...]``: concatenation by indexing, keeping tracers."""

    def __init__(self, numpy_trick, stack_columns: bool):
        self._numpy = numpy_trick
        self._columns = stack_columns

    def __getitem__(self, key):
        items = key if isinstance(key, tuple) else (key,)
        if not builtins.any(isinstance(i, Tracer) for i in items):
            return self._numpy[key]
        if builtins.any(isinstance(i, (slice, str)) for i in items):
            raise NotImplementedError("r_/c_ with slices or string directives are not "
                                      "supported on traced arrays; use np.concatenate")
        if self._columns:
            parts = [a if ndim_of(a) >= 2 else reshape(atleast_1d(a), (-1, 1)) for a in items]
            return concatenate(parts, axis=1)
        return concatenate([atleast_1d(a) for a in items], axis=0)


r_ = _IndexTrick(np.r_, stack_columns=False)
c_ = _IndexTrick(np.c_, stack_columns=True)


def _gather(a, index_map):
    """Pick ``a.ravel()[index_map]``: any linear re-indexing (pad modes, tile, repeat)."""
    return ravel(a)[index_map]


def _positions(a):
    return np.arange(math.prod(shape_of(a))).reshape(shape_of(a))


# Modes whose padded values are copies of input entries, so padding is a gather.
_INDEX_MAP_PAD_MODES = ("edge", "reflect", "symmetric", "wrap")


@implements(np.pad)
def pad(array, pad_width, mode="constant", **kwargs):
    """``np.pad``; constant mode pads directly, other modes gather from the input."""
    nd = ndim_of(array)
    pw = np.broadcast_to(np.asarray(pad_width, dtype=int), (nd, 2))
    pw = tuple((int(lo), int(hi)) for lo, hi in pw)
    if mode == "constant":
        value = kwargs.get("constant_values", 0)
        if np.ndim(value) != 0:
            raise NotImplementedError("pad(constant_values=...) with per-axis values")
        return pad_constant(array, pad_width=pw, value=float(base_value(value)))
    if mode not in _INDEX_MAP_PAD_MODES or kwargs.get("reflect_type", "even") != "even":
        raise NotImplementedError(
            f"np.pad(mode={mode!r}) on a traced array is not supported; supported modes: "
            f"'constant', {', '.join(repr(m) for m in _INDEX_MAP_PAD_MODES)} (reflect_type='even')")
    return _gather(array, np.pad(_positions(array), pw, mode=mode, **kwargs))


@implements(np.tile)
def tile(A, reps):
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    nd = builtins.max(len(reps), ndim_of(A))
    A = reshape(A, (1,) * (nd - ndim_of(A)) + shape_of(A))
    return _gather(A, np.tile(_positions(A), reps))


@implements(np.repeat, methods=("repeat",))
def repeat(a, repeats, axis=None):
    if axis is None:
        a, axis = ravel(a), 0
    return _gather(a, np.repeat(_positions(a), repeats, axis=axis))


@implements(np.diff)
def diff(a, n=1, axis=-1, prepend=None, append=None):
    """Differences ``a[1:] - a[:-1]`` along ``axis``, ``n`` times."""
    (axis,) = normalize_axis(axis, ndim_of(a))
    if prepend is not None or append is not None:
        edge = shape_of(a)[:axis] + (1,) + shape_of(a)[axis + 1:]
        parts = [p for p in (prepend, a, append) if p is not None]
        parts = [p if ndim_of(p) else broadcast_to(p, edge) for p in parts]
        a = concatenate(parts, axis=axis)
    head = (slice(None),) * axis
    for _ in range(n):
        a = a[head + (slice(1, None),)] - a[head + (slice(None, -1),)]
    return a
