"""Reductions: sum, prod, max/min, cumsum, logsumexp and the 2-norm, with the
NumPy-facing functions (mean, var, std) composed from them.

Each primitive takes ``axis`` (a sorted tuple of non-negative ints, or ``None``) and
``keepdims`` as keyword options.  Ties in ``max``/``min`` split the adjoint equally
among the maximizers.  ``std`` has derivative 0 where the spread is zero (a constant
input, or a single element): the documented subgradient at the kink of ``sqrt``.
"""

from __future__ import annotations

import math

import numpy as np

from .._registry import declare, implements
from .._shapes import axis_tuple, batch_axes, expand_reduced, ndim_of, shape_of
from .._tracer import Tracer, base_value, is_complex


def _no_out(out, name):
    if out is not None:
        raise TypeError(
            f"{name}(..., out=...) writes in place, which is not differentiable; use the "
            "returned array instead")


def _refuse_options(name, kwargs):
    given = sorted(k for k, v in kwargs.items() if v is not None)
    if given:
        raise NotImplementedError(
            f"{name}(..., {', '.join(f'{k}=' for k in given)}) is not supported on traced arrays")


def _sum_impl(x, axis=None, keepdims=False):
    return np.sum(x, axis=axis, keepdims=keepdims)


def _sum_vjp(ans, x, axis=None, keepdims=False):
    shape = shape_of(x)
    return lambda g: expand_reduced(g, shape, axis, keepdims)


sum_ = declare(
    _sum_impl, "sum",
    vjps=[_sum_vjp],
    jvps=[lambda t, ans, x, axis=None, keepdims=False:
          np.sum(t, axis=batch_axes(axis, ndim_of(x)), keepdims=keepdims)],
)


def _prod_impl(x, axis=None, keepdims=False):
    return np.prod(x, axis=axis, keepdims=keepdims)


def _prod_of_others(x, axis):
    """prod_{j != i} x_j along ``axis``, exact also where entries are zero."""
    zero = x == 0
    if isinstance(x, Tracer) and np.any(zero):
        return _prod_of_others_masked(x, axis)
    safe = np.where(zero, 1.0, x)
    nonzero_prod = np.prod(safe, axis=axis, keepdims=True)
    zeros = np.sum(zero, axis=axis, keepdims=True)
    return np.where(zero, nonzero_prod * (zeros == 1), nonzero_prod / safe * (zeros == 0))


def _prod_of_others_masked(x, axis):
    """The same product, formed with an n x n mask so that its own derivatives
    (products over two excluded entries) are exact at zeros.  Used only when a
    higher-order derivative meets a zero entry."""
    shape = shape_of(x)
    nd = len(shape)
    axes = tuple(range(nd)) if axis is None else axis
    rest = [i for i in range(nd) if i not in axes]
    n = math.prod(shape[i] for i in axes)
    moved = np.reshape(np.transpose(x, rest + list(axes)),
                       tuple(shape[i] for i in rest) + (n,))
    expanded = np.broadcast_to(np.expand_dims(moved, -2), shape_of(moved)[:-1] + (n, n))
    others = np.prod(np.where(np.eye(n, dtype=bool), 1.0, expanded), axis=-1)
    others = np.reshape(others, tuple(shape[i] for i in rest) + tuple(shape[i] for i in axes))
    return np.transpose(others, tuple(np.argsort(rest + list(axes))))


prod_ = declare(
    _prod_impl, "prod",
    vjps=[lambda ans, x, axis=None, keepdims=False:
          lambda g: expand_reduced(g, shape_of(x), axis, keepdims) * _prod_of_others(x, axis)],
    jvps=[lambda t, ans, x, axis=None, keepdims=False:
          np.sum(t * _prod_of_others(x, axis), axis=batch_axes(axis, ndim_of(x)),
                 keepdims=keepdims)],
)


def _extremum(np_reduce, name):
    def impl(x, axis=None, keepdims=False):
        return np_reduce(x, axis=axis, keepdims=keepdims)

    def weights(ans, x, axis, keepdims):
        # 1/count on every maximizer: ties split the derivative equally.
        hit = x == expand_reduced(ans, shape_of(x), axis, keepdims)
        return hit / np.sum(hit, axis=axis, keepdims=True)

    def vjp(ans, x, axis=None, keepdims=False):
        return lambda g: expand_reduced(g, shape_of(x), axis, keepdims) * weights(
            ans, x, axis, keepdims)

    def jvp(t, ans, x, axis=None, keepdims=False):
        return np.sum(t * weights(ans, x, axis, keepdims),
                      axis=batch_axes(axis, ndim_of(x)), keepdims=keepdims)

    return declare(impl, name, vjps=[vjp], jvps=[jvp])


amax = _extremum(np.max, "max")
amin = _extremum(np.min, "min")


def _cumsum_impl(x, axis):
    return np.cumsum(x, axis=axis)


def _reverse_cumsum(g, axis):
    flip = (slice(None),) * axis + (slice(None, None, -1),)
    return np.cumsum(g[flip], axis=axis)[flip]


cumsum_ = declare(
    _cumsum_impl, "cumsum",
    vjps=[lambda ans, x, axis: lambda g: _reverse_cumsum(g, axis)],
    jvps=[lambda t, ans, x, axis: np.cumsum(t, axis=axis + 1)],
)


def _logsumexp_impl(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.reshape(out, np.shape(np.sum(x, axis=axis)))


def _softmax_weights(ans, x, axis, keepdims):
    return np.exp(x - expand_reduced(ans, shape_of(x), axis, keepdims, broadcast=False))


logsumexp_ = declare(
    _logsumexp_impl, "logsumexp",
    vjps=[lambda ans, x, axis=None, keepdims=False:
          lambda g: expand_reduced(g, shape_of(x), axis, keepdims, broadcast=False)
          * _softmax_weights(ans, x, axis, keepdims)],
    jvps=[lambda t, ans, x, axis=None, keepdims=False:
          np.sum(t * _softmax_weights(ans, x, axis, keepdims),
                 axis=batch_axes(axis, ndim_of(x)), keepdims=keepdims)],
)


def _norm2_impl(x, axis=None, keepdims=False):
    if x.dtype.kind == "c":
        return np.sqrt(np.sum(np.real(x * np.conj(x)), axis=axis, keepdims=keepdims))
    return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))


def _unit(ans, x, axis, keepdims):
    # x / ||x||, with the convention d||x|| = 0 at x = 0 (every entry is zero there);
    # conj(x) / ||x|| for complex x (the cotangent convention of autodiff.numpy._complex).
    r = expand_reduced(ans, shape_of(x), axis, keepdims, broadcast=False)
    return (np.conj(x) if is_complex(x) else x) / np.where(r == 0, 1.0, r)


def _norm2_jvp(t, ans, x, axis=None, keepdims=False):
    out = np.sum(t * _unit(ans, x, axis, keepdims), axis=batch_axes(axis, ndim_of(x)),
                 keepdims=keepdims)
    return np.real(out) if is_complex(x) else out


norm2 = declare(
    _norm2_impl, "norm",
    vjps=[lambda ans, x, axis=None, keepdims=False:
          lambda g: expand_reduced(g, shape_of(x), axis, keepdims, broadcast=False)
          * _unit(ans, x, axis, keepdims)],
    jvps=[_norm2_jvp],
)


# --- the NumPy-facing functions ---------------------------------------------------------
def as_array(a):
    """``a`` itself, or a (traced) array stacked from a list/tuple of traced values."""
    if isinstance(a, (list, tuple)):
        parts = [as_array(p) for p in a]
        if any(isinstance(p, Tracer) for p in parts):
            return np.stack(parts)
        return np.asarray(parts)
    return a


def takes_sequences(*functions) -> None:
    """Mark functions that stack a list or tuple of traced values themselves
    (with :func:`as_array`): the error for ``np.f(list_of_tracers)`` suggests them."""
    for f in functions:
        f.takes_sequences = True


def _reduce(prim, a, axis, keepdims, dtype=None):
    a = as_array(a)
    out = prim(a, axis=axis_tuple(axis, ndim_of(a)), keepdims=bool(keepdims))
    return out if dtype is None else out.astype(dtype)


@implements(np.sum, methods=("sum",))
@implements(np.add, ufunc_methods=("reduce",))
def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    _no_out(out, "sum")
    a = as_array(a)
    if where is not None:
        a = np.where(base_value(where), a, 0.0)
    total = _reduce(sum_, a, axis, keepdims, dtype)
    return total if initial is None else total + initial


@implements(np.prod, methods=("prod",))
@implements(np.multiply, ufunc_methods=("reduce",))
def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    _no_out(out, "prod")
    a = as_array(a)
    if where is not None:
        a = np.where(base_value(where), a, 1.0)
    total = _reduce(prod_, a, axis, keepdims, dtype)
    return total if initial is None else total * initial


@implements(np.max, np.amax, methods=("max",))
@implements(np.maximum, ufunc_methods=("reduce",))
def max(a, axis=None, out=None, keepdims=False, **kwargs):
    _no_out(out, "max")
    _refuse_options("max", kwargs)
    return _reduce(amax, a, axis, keepdims)


@implements(np.min, np.amin, methods=("min",))
@implements(np.minimum, ufunc_methods=("reduce",))
def min(a, axis=None, out=None, keepdims=False, **kwargs):
    _no_out(out, "min")
    _refuse_options("min", kwargs)
    return _reduce(amin, a, axis, keepdims)


def _count(shape, axis) -> int:
    ax = axis_tuple(axis, len(shape))
    return math.prod(shape) if ax is None else math.prod(shape[i] for i in ax)


@implements(np.mean, methods=("mean",))
def mean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
    _no_out(out, "mean")
    a = as_array(a)
    if where is not None:
        mask = np.broadcast_to(base_value(where), shape_of(a))
        count = np.sum(mask, axis=axis_tuple(axis, ndim_of(a)), keepdims=keepdims)
        return sum(a, axis=axis, dtype=dtype, keepdims=keepdims, where=mask) / count
    return sum(a, axis=axis, dtype=dtype, keepdims=keepdims) / _count(shape_of(a), axis)


@implements(np.var, methods=("var",))
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    _no_out(out, "var")
    a = as_array(a)
    _refuse_options("var", kwargs)
    centered = a - mean(a, axis=axis, keepdims=True)
    n = _count(shape_of(a), axis) - ddof
    # |a - mean|^2: real also for complex a, as NumPy's var
    squared = (np.real(centered * np.conj(centered)) if is_complex(a)
               else centered * centered)
    return sum(squared, axis=axis, dtype=dtype, keepdims=keepdims) / n


@implements(np.std, methods=("std",))
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    v = var(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims, **kwargs)
    spread = base_value(v) > 0
    # sqrt has no derivative at 0: use the subgradient 0 there (a constant input).
    return np.where(spread, np.sqrt(np.where(spread, v, 1.0)), 0.0)


@implements(np.cumsum, methods=("cumsum",))
@implements(np.add, ufunc_methods=("accumulate",))
def cumsum(a, axis=None, dtype=None, out=None):
    _no_out(out, "cumsum")
    if axis is None:
        a, axis = np.reshape(a, (-1,)), 0
    out = cumsum_(a, axis=axis_tuple(axis, ndim_of(a))[0])
    return out if dtype is None else out.astype(dtype)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """``log(sum(b * exp(a)))`` along ``axis``, computed stably (SciPy's signature).

    Parameters
    ----------
    a : array_like
        Exponents.
    axis : int or tuple of int, optional
        Axes reduced; all by default.
    b : array_like, optional
        Weights broadcastable against ``a``; may be negative.  A zero weight drops
        its term (even where ``a`` is infinite), as in SciPy; the derivative with
        respect to a zero weight is the usual ``exp(a) / sum`` (0 where ``a`` is not
        finite or that ratio overflows).
    keepdims : bool
        Keep the reduced axes with length 1.
    return_sign : bool
        Also return the sign of the sum; the value is then ``log|sum|``.  Without
        it a negative sum gives NaN, as in SciPy.

    Returns
    -------
    out : array or scalar
        The log-sum-exp; with ``return_sign`` the pair ``(out, sign)``, where the sign
        is a constant (its derivative is zero almost everywhere).
    """
    if b is None and not return_sign:
        return _reduce(logsumexp_, a, axis, keepdims)
    a = as_array(a)
    a_values = values = base_value(a)  # (a staged value under ad.stage: never converted)
    if b is not None:
        b = as_array(b)
        if not isinstance(b, Tracer):
            b = np.asarray(b)
        zero = base_value(b) == 0
        values = np.where(zero, -np.inf, a_values)  # SciPy: b = 0 drops the term
    axis = axis_tuple(axis, ndim_of(values))
    # The shift is a constant: the result does not depend on it, so its derivative is 0.
    shift = np.max(values, axis=axis, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    if b is None:
        terms = np.exp(a - shift)
    else:
        # A zero weight keeps its derivative exp(a - shift) / sum with respect to b,
        # except where a is not finite or exp(a - shift) overflows: there the term is
        # dropped outright (derivative 0), so that its value is 0 and never NaN.
        dtype = getattr(a_values, "dtype", np.dtype(float))
        limit = np.log(np.finfo(dtype if dtype.kind in "fc" else np.float64).max)
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf, nan: not finite
            finite = a_values - shift <= limit
        dropped = zero & ~finite
        terms = b * np.exp(np.where(dropped, -np.inf, a) - shift)
    total = np.sum(terms, axis=axis, keepdims=True)
    sign = np.sign(base_value(total))
    with np.errstate(divide="ignore"):  # a zero sum: log 0 = -inf
        out = np.log(np.abs(total)) + shift
    if not return_sign:
        out = np.where(sign < 0, np.nan, out)
    if not keepdims:
        out, sign = np.squeeze(out, axis=axis), np.squeeze(sign, axis=axis)
    return (out, sign) if return_sign else out


takes_sequences(sum, prod, max, min, mean, var, std, logsumexp)
