"""The public NumPy-compatible functions.

Each function normalizes NumPy's calling conventions (axis, keepdims, lists of
arrays, Python scalars) and calls a primitive, or composes primitives when the
function is a composition (``mean = sum / n``, ``diff`` by slicing, ``dot`` by
``matmul``...): composed functions need no rules of their own.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from .._tracer import Tracer, base_value, ndim_of, shape_of
from . import _elementwise as ew
from ._helpers import normalize_axis
from ._products import einsum_p, matmul, parse_einsum
from ._reductions import amax, amin, sum_
from ._reductions import cumsum as cumsum_p
from ._reductions import logsumexp as logsumexp_p
from ._reductions import prod as prod_p
from ._shape import (
    broadcast_to as broadcast_to_p,
)
from ._shape import (
    cast,
    getitem,
    normalize_index,
    pad_constant,
)
from ._shape import (
    concatenate as concatenate_p,
)
from ._shape import (
    reshape as reshape_p,
)
from ._shape import (
    roll as roll_p,
)
from ._shape import (
    transpose as transpose_p,
)


def _no_out(out, name):
    if out is not None:
        raise TypeError(
            f"{name}(..., out=...) writes in place, which is not differentiable; use the "
            "returned array instead")


def _is_traced(*xs) -> bool:
    return builtins.any(isinstance(x, Tracer) for x in xs)


# --- elementwise -------------------------------------------------------------------
def where(condition, x=None, y=None):
    """``np.where``; the one-argument form returns (constant) indices."""
    if x is None and y is None:
        return np.nonzero(base_value(condition))
    return ew.where3(base_value(condition), x, y)


def clip(a, a_min=None, a_max=None, out=None, **kwargs):
    """Clip ``a`` to ``[a_min, a_max]``; the derivative passes where ``a_min <= a <= a_max``."""
    _no_out(out, "clip")
    a_min = kwargs.pop("min", a_min)
    a_max = kwargs.pop("max", a_max)
    lo = -np.inf if a_min is None else a_min
    hi = np.inf if a_max is None else a_max
    return ew.clip3(a, lo, hi)


# --- reductions --------------------------------------------------------------------
def _reduce(prim, a, axis, keepdims, dtype=None):
    out = prim(a, axis=normalize_axis(axis, ndim_of(a)), keepdims=bool(keepdims))
    return out if dtype is None else astype(out, dtype)


def _refuse_options(name, kwargs, allowed=()):
    given = sorted(k for k, v in kwargs.items() if v is not None and k not in allowed)
    if given:
        raise NotImplementedError(
            f"{name}(..., {', '.join(f'{k}=' for k in given)}) is not supported on traced arrays")


def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    _no_out(out, "sum")
    if where is not None:
        a = ew.where3(base_value(where), a, 0.0)
    total = _reduce(sum_, a, axis, keepdims, dtype)
    return total if initial is None else total + initial


def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    _no_out(out, "prod")
    if where is not None:
        a = ew.where3(base_value(where), a, 1.0)
    total = _reduce(prod_p, a, axis, keepdims, dtype)
    return total if initial is None else total * initial


def max(a, axis=None, out=None, keepdims=False, **kwargs):
    _no_out(out, "max")
    _refuse_options("max", kwargs)
    return _reduce(amax, a, axis, keepdims)


def min(a, axis=None, out=None, keepdims=False, **kwargs):
    _no_out(out, "min")
    _refuse_options("min", kwargs)
    return _reduce(amin, a, axis, keepdims)


def _count(shape, axis) -> int:
    ax = normalize_axis(axis, len(shape))
    return math.prod(shape) if ax is None else math.prod(shape[i] for i in ax)


def mean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
    _no_out(out, "mean")
    if where is not None:
        mask = np.broadcast_to(base_value(where), shape_of(a))
        count = np.sum(mask, axis=normalize_axis(axis, ndim_of(a)), keepdims=keepdims)
        return sum(a, axis=axis, dtype=dtype, keepdims=keepdims, where=mask) / count
    return sum(a, axis=axis, dtype=dtype, keepdims=keepdims) / _count(shape_of(a), axis)


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    _no_out(out, "var")
    _refuse_options("var", kwargs)
    centered = a - mean(a, axis=axis, keepdims=True)
    n = _count(shape_of(a), axis) - ddof
    return sum(centered * centered, axis=axis, dtype=dtype, keepdims=keepdims) / n


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    return ew.sqrt(var(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims,
                       **kwargs))


def cumsum(a, axis=None, dtype=None, out=None):
    _no_out(out, "cumsum")
    if axis is None:
        a, axis = ravel(a), 0
    out = cumsum_p(a, axis=normalize_axis(axis, ndim_of(a))[0])
    return out if dtype is None else astype(out, dtype)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """``log(sum(b * exp(a)))`` along ``axis``, computed stably (SciPy's signature)."""
    if return_sign:
        raise NotImplementedError("logsumexp(return_sign=True) is not differentiable here")
    if b is not None:
        with np.errstate(divide="ignore"):  # b = 0 drops a term: log 0 = -inf
            a = a + ew.log(b)
    return _reduce(logsumexp_p, a, axis, keepdims)


def diff(a, n=1, axis=-1, prepend=None, append=None):
    """Differences ``a[1:] - a[:-1]`` along ``axis``, ``n`` times."""
    axis = normalize_axis(axis, ndim_of(a))[0]
    if prepend is not None or append is not None:
        parts = [p for p in (prepend, a, append) if p is not None]
        parts = [p if ndim_of(p) else broadcast_to(p, _with(shape_of(a), axis, 1)) for p in parts]
        a = concatenate(parts, axis=axis)
    head = (slice(None),) * axis
    for _ in range(n):
        a = a[head + (slice(1, None),)] - a[head + (slice(None, -1),)]
    return a


def _with(shape, axis, n):
    return shape[:axis] + (n,) + shape[axis + 1:]


# --- shape ---------------------------------------------------------------------------
def reshape(a, shape=None, order="C", **kwargs):
    shape = kwargs.pop("newshape", shape)
    if order != "C":
        raise NotImplementedError("reshape supports order='C' only")
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if not _is_traced(a):
        return np.reshape(a, shape)
    if -1 in shape:
        known = math.prod(n for n in shape if n != -1)
        size = math.prod(shape_of(a))
        shape = tuple(size // known if n == -1 else n for n in shape)
    if shape == shape_of(a):
        return a
    return reshape_p(a, shape=shape)


def ravel(a, order="C"):
    return reshape(a, (-1,), order=order)


def transpose(a, axes=None):
    nd = ndim_of(a)
    axes = tuple(range(nd))[::-1] if axes is None else tuple(int(x) % nd for x in axes)
    if axes == tuple(range(nd)):
        return a
    return transpose_p(a, axes=axes)


def moveaxis(a, source, destination):
    nd = ndim_of(a)
    source = normalize_axis(source, nd) if isinstance(source, (tuple, list)) else (source % nd,)
    if not isinstance(destination, (tuple, list)):
        destination = (destination,)
    destination = [d % nd for d in destination]
    src = [s % nd for s in (source if isinstance(source, tuple) else (source,))]
    order = [n for n in range(nd) if n not in src]
    for dest, s in sorted(zip(destination, src)):
        order.insert(dest, s)
    return transpose(a, order)


def swapaxes(a, axis1, axis2):
    order = list(range(ndim_of(a)))
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return transpose(a, order)


def expand_dims(a, axis):
    shape = list(shape_of(a))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    out_nd = len(shape) + len(axes)
    for ax in sorted(x % out_nd for x in axes):
        shape.insert(ax, 1)
    return reshape(a, tuple(shape))


def squeeze(a, axis=None):
    shape = shape_of(a)
    if axis is None:
        return reshape(a, tuple(n for n in shape if n != 1))
    axes = normalize_axis(axis, len(shape))
    for ax in axes:
        if shape[ax] != 1:
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return reshape(a, tuple(n for i, n in enumerate(shape) if i not in axes))


def broadcast_to(array, shape, subok=False):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if shape_of(array) == shape:
        return array
    return broadcast_to_p(array, shape=shape)


def broadcast_arrays(*args, subok=False):
    shape = np.broadcast_shapes(*(shape_of(a) for a in args))
    return [broadcast_to(a, shape) for a in args]


def atleast_1d(*arys):
    out = [a if ndim_of(a) >= 1 else reshape(a, (1,)) for a in arys]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys):
    out = [a if ndim_of(a) >= 2 else reshape(a, (1,) * (2 - ndim_of(a)) + shape_of(a))
           for a in arys]
    return out[0] if len(out) == 1 else out


def concatenate(arrays, axis=0, out=None, **kwargs):
    _no_out(out, "concatenate")
    arrays = list(arrays)
    if axis is None:
        arrays, axis = [ravel(a) for a in arrays], 0
    if not _is_traced(*arrays):
        return np.concatenate(arrays, axis=axis)
    axis = int(axis) % ndim_of(arrays[0])
    return concatenate_p(*arrays, axis=axis)


def stack(arrays, axis=0, out=None, **kwargs):
    arrays = list(arrays)
    nd = ndim_of(arrays[0]) + 1
    return concatenate([expand_dims(a, axis % nd) for a in arrays], axis=axis % nd, out=out)


def hstack(tup, **kwargs):
    arrs = atleast_1d(*tup) if len(tup) > 1 else [atleast_1d(tup[0])]
    return concatenate(arrs, axis=0 if ndim_of(arrs[0]) == 1 else 1)


def vstack(tup, **kwargs):
    arrs = atleast_2d(*tup) if len(tup) > 1 else [atleast_2d(tup[0])]
    return concatenate(arrs, axis=0)


def column_stack(tup):
    return concatenate([reshape(a, (-1, 1)) if ndim_of(a) < 2 else a for a in tup], axis=1)


def array_split(ary, indices_or_sections, axis=0):
    n = shape_of(ary)[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        each, extra = divmod(n, sections)
        sizes = [each + 1] * extra + [each] * (sections - extra)
        bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [n]
    head = (slice(None),) * (axis % ndim_of(ary))
    return [ary[head + (slice(lo, hi),)] for lo, hi in zip(bounds[:-1], bounds[1:])]


def split(ary, indices_or_sections, axis=0):
    if isinstance(indices_or_sections, (int, np.integer)):
        if shape_of(ary)[axis] % indices_or_sections:
            raise ValueError("array split does not result in an equal division")
    return array_split(ary, indices_or_sections, axis)


def _gather(a, index_map):
    """Pick ``a.ravel()[index_map]``: any linear re-indexing (pad modes, tile, repeat)."""
    return getitem(ravel(a), index=(index_map,))


def _positions(a):
    return np.arange(math.prod(shape_of(a))).reshape(shape_of(a))


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


# Modes whose padded values are copies of input entries, so padding is a gather.
_INDEX_MAP_PAD_MODES = ("edge", "reflect", "symmetric", "wrap")


def tile(A, reps):
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    nd = builtins.max(len(reps), ndim_of(A))
    A = reshape(A, (1,) * (nd - ndim_of(A)) + shape_of(A))
    return _gather(A, np.tile(_positions(A), reps))


def repeat(a, repeats, axis=None):
    if axis is None:
        a, axis = ravel(a), 0
    return _gather(a, np.repeat(_positions(a), repeats, axis=axis))


def roll(a, shift, axis=None):
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), shape_of(a))
    shifts = tuple(shift) if isinstance(shift, (tuple, list)) else (shift,)
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    shifts, axes = np.broadcast_arrays(np.asarray(shifts), np.asarray(axes))
    nd = ndim_of(a)
    return roll_p(a, shift=tuple(int(s) for s in shifts),
                  axis=tuple(int(x) % nd for x in axes))


def flip(m, axis=None):
    nd = ndim_of(m)
    axes = range(nd) if axis is None else normalize_axis(axis, nd)
    return m[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(nd))]


def fliplr(m):
    return flip(m, 1)


def flipud(m):
    return flip(m, 0)


def take(a, indices, axis=None, out=None, mode="raise"):
    _no_out(out, "take")
    if axis is None:
        a, axis = ravel(a), 0
    axis = axis % ndim_of(a)
    indices = np.asarray(base_value(indices))
    n = shape_of(a)[axis]
    if mode == "wrap":
        indices = np.mod(indices, n)
    elif mode == "clip":
        indices = np.clip(indices, 0, n - 1)
    return a[(slice(None),) * axis + (indices,)]


def take_along_axis(arr, indices, axis):
    if axis is None:
        return take(arr, np.ravel(indices))
    nd = ndim_of(arr)
    axis %= nd
    index = [np.reshape(np.arange(n), [-1 if j == i else 1 for j in range(nd)])
             for i, n in enumerate(np.shape(indices))]
    index[axis] = np.asarray(indices)
    return arr[tuple(index)]


def sort(a, axis=-1, kind=None, order=None):
    """Sorted copy; the derivative follows the sorting permutation."""
    if axis is None:
        a, axis = ravel(a), 0
    return take_along_axis(a, np.argsort(base_value(a), axis=axis, kind=kind), axis)


def diagonal(a, offset=0, axis1=0, axis2=1):
    a = moveaxis(a, (axis1, axis2), (-2, -1))
    n, m = shape_of(a)[-2:]
    rows = np.arange(builtins.max(0, -offset), builtins.min(n, m - offset))
    return a[..., rows, rows + offset] if len(shape_of(a)) > 2 else a[rows, rows + offset]


def diag(v, k=0):
    """Diagonal of a matrix, or a matrix with ``v`` on its k-th diagonal."""
    if ndim_of(v) == 2:
        return diagonal(v, k)
    if ndim_of(v) != 1:
        raise ValueError("diag: input must be 1-D or 2-D")
    from ._shape import scatter_add

    n = shape_of(v)[0] + builtins.abs(k)
    rows = np.arange(shape_of(v)[0]) + builtins.max(0, -k)
    return scatter_add(v, shape=(n, n), index=(rows, rows + k))


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    _no_out(out, "trace")
    return sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


def tril(m, k=0):
    n, p = shape_of(m)[-2:]
    return m * np.tri(n, p, k, dtype=bool)


def triu(m, k=0):
    n, p = shape_of(m)[-2:]
    return m * ~np.tri(n, p, k - 1, dtype=bool)


def astype(x, dtype, copy=True):
    dtype = np.dtype(dtype)
    if dtype.kind not in "fc":  # casting to integers/bools is piecewise constant
        return np.asarray(base_value(x)).astype(dtype)
    if not _is_traced(x):
        return np.asarray(x).astype(dtype)
    return x if np.result_type(base_value(x)) == dtype and not copy else cast(x, dtype=dtype)


def copy(a, order="K", subok=False):
    return a if _is_traced(a) else np.copy(a, order=order)


def real(val):
    return val


def conj(x):
    return x


# --- products ----------------------------------------------------------------------
def dot(a, b, out=None):
    _no_out(out, "dot")
    if ndim_of(a) == 0 or ndim_of(b) == 0:
        return a * b
    if ndim_of(b) <= 2:
        return matmul_(a, b)
    return tensordot(a, b, axes=([-1], [-2]))


def vdot(a, b):
    return sum(ravel(a) * ravel(b))


def inner(a, b):
    if ndim_of(a) == 0 or ndim_of(b) == 0:
        return a * b
    return tensordot(a, b, axes=([-1], [-1]))


def outer(a, b, out=None):
    _no_out(out, "outer")
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


def tensordot(a, b, axes=2):
    na, nb = ndim_of(a), ndim_of(b)
    if isinstance(axes, (int, np.integer)):
        axes_a, axes_b = list(range(na - axes, na)), list(range(axes))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
    axes_a = [x % na for x in axes_a]
    axes_b = [x % nb for x in axes_b]
    free_a = [i for i in range(na) if i not in axes_a]
    free_b = [i for i in range(nb) if i not in axes_b]
    sa, sb = shape_of(a), shape_of(b)
    m = math.prod(sa[i] for i in free_a)
    k = math.prod(sa[i] for i in axes_a)
    p = math.prod(sb[i] for i in free_b)
    a2 = reshape(transpose(a, free_a + axes_a), (m, k))
    b2 = reshape(transpose(b, axes_b + free_b), (k, p))
    return reshape(matmul_(a2, b2), tuple(sa[i] for i in free_a) + tuple(sb[i] for i in free_b))


def matmul_(a, b, out=None, **kwargs):
    _no_out(out, "matmul")
    from ..scipy.sparse import is_sparse, sparse_matmul, sparse_rmatmul

    if is_sparse(a):
        return sparse_matmul(a, b)
    if is_sparse(b):
        return sparse_rmatmul(a, b)
    return matmul(a, b)


def einsum(subscripts, *operands, **kwargs):
    """``np.einsum`` with explicit subscripts (no repeated index inside one operand)."""
    if not _is_traced(*operands):
        return np.einsum(subscripts, *operands, **kwargs)
    spec = parse_einsum(subscripts, [shape_of(o) for o in operands])
    return einsum_p(*operands, spec=spec)


# --- array creation that follows traced values ------------------------------------------
def array(obj, dtype=None, copy=True, **kwargs):
    """Like ``np.array``, but a traced value (or a list of them) stays traced."""
    if isinstance(obj, Tracer):
        return obj if dtype is None else astype(obj, dtype)
    if isinstance(obj, (list, tuple)) and _contains_tracer(obj):
        return stack([array(o) for o in obj])
    return np.array(obj, dtype=dtype, copy=copy, **kwargs)


def asarray(a, dtype=None, **kwargs):
    if isinstance(a, Tracer) or (isinstance(a, (list, tuple)) and _contains_tracer(a)):
        return array(a, dtype=dtype)
    return np.asarray(a, dtype=dtype, **kwargs)


def _contains_tracer(obj) -> bool:
    if isinstance(obj, Tracer):
        return True
    if isinstance(obj, (list, tuple)):
        return builtins.any(_contains_tracer(o) for o in obj)
    return False


def stop_gradient(x):
    """Return ``x`` as a constant: no derivative flows through it, at any order."""
    return base_value(x)


def index_update(x, index, values):
    """Functional ``x[index] = values``: a new array, differentiable in both."""
    index = normalize_index(index, ndim_of(x))
    mask = np.zeros(shape_of(x), dtype=bool)
    mask[index] = True
    placed = _scatter(values, shape_of(x), index)
    return where(mask, placed, x)


def index_add(x, index, values):
    """Functional ``np.add.at(x, index, values)``: a new array, differentiable."""
    index = normalize_index(index, ndim_of(x))
    return x + _scatter(values, shape_of(x), index)


def _scatter(values, shape, index):
    from ._shape import scatter_add

    target_shape = np.empty(shape, dtype=bool)[index].shape
    values = broadcast_to(values, target_shape)
    return scatter_add(values, shape=tuple(shape), index=index)


def getitem_(x, index):
    return getitem(x, index=normalize_index(index, ndim_of(x)))
