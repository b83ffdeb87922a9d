"""NumPy's protocols on tracers: operators, methods, ``__array_ufunc__`` and
``__array_function__`` route unmodified NumPy code to the differentiable functions."""

from __future__ import annotations

import numpy as np
import scipy.special

from .._tracer import Tracer, base_value
from ..scipy import special as ad_special
from ..scipy.sparse import is_sparse, sparse_matmul, sparse_rmatmul
from . import _elementwise as ew
from . import _functions as fn
from . import linalg as ad_linalg


class UnsupportedFunctionError(TypeError):
    """A NumPy/SciPy function with no derivative rule was applied to a traced value."""


def _unsupported(name: str) -> UnsupportedFunctionError:
    return UnsupportedFunctionError(
        f"{name} has no derivative rule in autodiff, so it cannot be applied to a traced value. "
        "Wrap your own implementation with @ad.primitive and give it rules with ad.defvjp and "
        "ad.defjvp (see the extension API in the README), or apply it to ad.stop_gradient(x) "
        "if it should be treated as a constant."
    )


UFUNCS = {**ew.UFUNC_PRIMITIVES, **ad_special.UFUNC_PRIMITIVES}
_REDUCERS = {np.add: fn.sum, np.multiply: fn.prod, np.maximum: fn.max, np.minimum: fn.min}


def _nondiff(fun):
    """Apply ``fun`` to the values underneath every tracer: a constant result."""
    def call(*args, **kwargs):
        return fun(*(base_value(a) for a in args), **{k: base_value(v) for k, v in kwargs.items()})

    return call


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    if kwargs.get("out") is not None:
        raise TypeError(
            f"numpy.{ufunc.__name__}(..., out=...) (or an in-place operator on an ndarray) would "
            "write a traced value into an array in place, which is not differentiable; use the "
            "returned array instead")
    kwargs.pop("out", None)
    if method == "reduce" and ufunc in _REDUCERS:
        return _REDUCERS[ufunc](*inputs, **kwargs)
    if method == "accumulate" and ufunc is np.add:
        return fn.cumsum(*inputs, **kwargs)
    if method != "__call__":
        raise _unsupported(f"numpy.{ufunc.__name__}.{method}")
    if ufunc in ew.NONDIFF_UFUNCS:
        return _nondiff(ufunc)(*inputs, **kwargs)
    prim = UFUNCS.get(ufunc)
    if prim is None:
        numpy_owned = getattr(np, ufunc.__name__, None) is ufunc
        raise _unsupported(f"{'numpy' if numpy_owned else 'scipy.special'}.{ufunc.__name__}")
    if kwargs:
        dtype = kwargs.pop("dtype", None)
        if kwargs:
            raise TypeError(f"numpy.{ufunc.__name__}: options {sorted(kwargs)} are not supported "
                            "on traced values")
        out = prim(*inputs)
        return out if dtype is None else fn.astype(out, dtype)
    return prim(*inputs)


def _matmul_ufunc(a, b, **kwargs):
    return fn.matmul_(a, b)


UFUNCS[np.matmul] = _matmul_ufunc
UFUNCS[np.conjugate] = lambda x, **kwargs: x  # real arrays only

FUNCTIONS = {
    np.sum: fn.sum, np.prod: fn.prod, np.max: fn.max, np.amax: fn.max, np.min: fn.min,
    np.amin: fn.min, np.mean: fn.mean, np.var: fn.var, np.std: fn.std, np.cumsum: fn.cumsum,
    np.diff: fn.diff, np.where: fn.where, np.clip: fn.clip, np.reshape: fn.reshape,
    np.ravel: fn.ravel, np.transpose: fn.transpose, np.moveaxis: fn.moveaxis,
    np.swapaxes: fn.swapaxes, np.expand_dims: fn.expand_dims, np.squeeze: fn.squeeze,
    np.broadcast_to: fn.broadcast_to, np.broadcast_arrays: fn.broadcast_arrays,
    np.atleast_1d: fn.atleast_1d, np.atleast_2d: fn.atleast_2d,
    np.concatenate: fn.concatenate, np.stack: fn.stack, np.hstack: fn.hstack,
    np.vstack: fn.vstack, np.column_stack: fn.column_stack, np.split: fn.split,
    np.array_split: fn.array_split, np.pad: fn.pad, np.tile: fn.tile, np.repeat: fn.repeat,
    np.roll: fn.roll, np.flip: fn.flip, np.fliplr: fn.fliplr, np.flipud: fn.flipud,
    np.take: fn.take, np.take_along_axis: fn.take_along_axis, np.sort: fn.sort,
    np.diagonal: fn.diagonal, np.diag: fn.diag, np.trace: fn.trace,
    np.tril: fn.tril, np.triu: fn.triu,
    np.copy: fn.copy, np.real: fn.real, np.conj: fn.conj, np.conjugate: fn.conj,
    np.dot: fn.dot, np.vdot: fn.vdot, np.inner: fn.inner, np.outer: fn.outer,
    np.tensordot: fn.tensordot, np.matmul: fn.matmul_, np.einsum: fn.einsum,
    np.linalg.solve: ad_linalg.solve, np.linalg.inv: ad_linalg.inv, np.linalg.det: ad_linalg.det,
    np.linalg.slogdet: ad_linalg.slogdet, np.linalg.cholesky: ad_linalg.cholesky,
    np.linalg.norm: ad_linalg.norm,
    scipy.special.logsumexp: fn.logsumexp, scipy.special.softmax: ad_special.softmax,
    scipy.special.log_softmax: ad_special.log_softmax,
}

NONDIFF_FUNCTIONS = [
    np.argmax, np.argmin, np.argsort, np.nonzero, np.count_nonzero, np.all, np.any,
    np.isclose, np.allclose, np.array_equal, np.shape, np.ndim, np.size, np.zeros_like,
    np.ones_like, np.empty_like, np.full_like, np.searchsorted, np.digitize, np.unique,
    np.iscomplexobj, np.isrealobj, np.result_type, np.sign, np.floor, np.ceil, np.round,
    np.around, np.argwhere, np.flatnonzero, np.isfinite, np.isnan, np.isinf, np.histogram,
    np.array_equiv, np.may_share_memory, np.shares_memory, np.can_cast, np.min_scalar_type,
]
FUNCTIONS.update({f: _nondiff(f) for f in NONDIFF_FUNCTIONS})


def _array_function(self, func, types, args, kwargs):
    impl = FUNCTIONS.get(func)
    if impl is None:
        raise _unsupported(f"{func.__module__}.{func.__name__}")
    return impl(*args, **kwargs)


# --- operators and methods ----------------------------------------------------------
_DENSE = {float, int, np.float64, np.float32, np.ndarray}


def _binary(prim):
    def op(self, other):
        _no_sparse(other, prim)
        return prim(self, other)

    def rop(self, other):
        _no_sparse(other, prim)
        return prim(other, self)

    return op, rop


def _no_sparse(other, prim):
    if type(other) not in _DENSE and is_sparse(other):
        raise TypeError(
            f"{prim.name} of a scipy.sparse matrix and a traced array is not differentiable "
            "here; for the matrix product write X @ w (the only sparse operation supported)")


def _matmul(self, other):
    if is_sparse(other):
        return sparse_rmatmul(self, other)
    return fn.matmul_(self, other)


def _rmatmul(self, other):
    if is_sparse(other):
        return sparse_matmul(other, self)
    return fn.matmul_(other, self)


def _reshape_method(self, *shape, **kwargs):
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        shape = shape[0]
    return fn.reshape(self, shape, **kwargs)


def _transpose_method(self, *axes):
    if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
        axes = axes[0]
    return fn.transpose(self, axes or None)


def _comparison(ufunc):
    return lambda self, other: ufunc(base_value(self), base_value(other))


def install() -> None:
    """Give :class:`Tracer` the ndarray interface."""
    T = Tracer
    T.__array_ufunc__ = _array_ufunc
    T.__array_function__ = _array_function
    T.__add__, T.__radd__ = _binary(ew.add)
    T.__sub__, T.__rsub__ = _binary(ew.subtract)
    T.__mul__, T.__rmul__ = _binary(ew.multiply)
    T.__truediv__, T.__rtruediv__ = _binary(ew.true_divide)
    T.__pow__, T.__rpow__ = _binary(ew.power)
    T.__mod__, T.__rmod__ = _binary(ew.remainder)
    T.__floordiv__ = lambda self, other: np.floor_divide(base_value(self), base_value(other))
    T.__rfloordiv__ = lambda self, other: np.floor_divide(base_value(other), base_value(self))
    T.__matmul__, T.__rmatmul__ = _matmul, _rmatmul
    T.__neg__ = lambda self: ew.negative(self)
    T.__pos__ = lambda self: self
    T.__abs__ = lambda self: ew.absolute(self)
    T.__lt__ = _comparison(np.less)
    T.__le__ = _comparison(np.less_equal)
    T.__gt__ = _comparison(np.greater)
    T.__ge__ = _comparison(np.greater_equal)
    T.__eq__ = _comparison(np.equal)
    T.__ne__ = _comparison(np.not_equal)
    T.__hash__ = lambda self: id(self)
    T.__getitem__ = fn.getitem_
    T.T = property(lambda self: fn.transpose(self))
    T.mT = property(lambda self: fn.swapaxes(self, -1, -2))
    T.real = property(lambda self: self)
    T.sum = fn.sum
    T.prod = fn.prod
    T.mean = fn.mean
    T.var = fn.var
    T.std = fn.std
    T.max = fn.max
    T.min = fn.min
    T.cumsum = fn.cumsum
    T.clip = fn.clip
    T.reshape = _reshape_method
    T.transpose = _transpose_method
    T.ravel = fn.ravel
    T.flatten = fn.ravel
    T.squeeze = fn.squeeze
    T.swapaxes = fn.swapaxes
    T.repeat = fn.repeat
    T.take = fn.take
    T.dot = fn.dot
    T.astype = fn.astype
    T.copy = lambda self, order="C": self
    T.conj = fn.conj
    T.conjugate = fn.conj
    T.diagonal = fn.diagonal
    T.trace = fn.trace
    for name in ("argmax", "argmin", "argsort", "nonzero", "all", "any"):
        setattr(T, name, _nondiff(getattr(np.ndarray, name)))
