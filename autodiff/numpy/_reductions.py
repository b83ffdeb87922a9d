"""Reductions: sum, prod, max/min, cumsum, logsumexp and the 2-norm.

Each primitive takes ``axis`` (a normalized tuple or ``None``) and ``keepdims`` as
keyword options.  Ties in ``max``/``min`` split the adjoint equally among the
maximizers.
"""

from __future__ import annotations

import math

import numpy as np

from .._tracer import Tracer, shape_of
from ._helpers import batch_axes, expand_reduced, make_primitive


def _sum_impl(x, axis=None, keepdims=False):
    return np.sum(x, axis=axis, keepdims=keepdims)


def _sum_vjp(ans, x, axis=None, keepdims=False):
    shape = shape_of(x)
    return lambda g: expand_reduced(g, shape, axis, keepdims)


sum_ = make_primitive(
    _sum_impl, "sum",
    vjps=[_sum_vjp],
    jvps=[lambda t, ans, x, axis=None, keepdims=False:
          np.sum(t, axis=batch_axes(axis, len(shape_of(x))), keepdims=keepdims)],
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


prod = make_primitive(
    _prod_impl, "prod",
    vjps=[lambda ans, x, axis=None, keepdims=False:
          lambda g: expand_reduced(g, shape_of(x), axis, keepdims) * _prod_of_others(x, axis)],
    jvps=[lambda t, ans, x, axis=None, keepdims=False:
          np.sum(t * _prod_of_others(x, axis), axis=batch_axes(axis, len(shape_of(x))),
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
                      axis=batch_axes(axis, len(shape_of(x))), keepdims=keepdims)

    return make_primitive(impl, name, vjps=[vjp], jvps=[jvp])


amax = _extremum(np.max, "max")
amin = _extremum(np.min, "min")


def _cumsum_impl(x, axis):
    return np.cumsum(x, axis=axis)


def _reverse_cumsum(g, axis):
    flip = (slice(None),) * axis + (slice(None, None, -1),)
    return np.cumsum(g[flip], axis=axis)[flip]


cumsum = make_primitive(
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


logsumexp = make_primitive(
    _logsumexp_impl, "logsumexp",
    vjps=[lambda ans, x, axis=None, keepdims=False:
          lambda g: expand_reduced(g, shape_of(x), axis, keepdims, broadcast=False)
          * _softmax_weights(ans, x, axis, keepdims)],
    jvps=[lambda t, ans, x, axis=None, keepdims=False:
          np.sum(t * _softmax_weights(ans, x, axis, keepdims),
                 axis=batch_axes(axis, len(shape_of(x))), keepdims=keepdims)],
)


def _norm2_impl(x, axis=None, keepdims=False):
    return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))


def _unit(ans, x, axis, keepdims):
    # x / ||x||, with the convention d||x|| = 0 at x = 0 (every entry is zero there).
    r = expand_reduced(ans, shape_of(x), axis, keepdims, broadcast=False)
    return x / np.where(r == 0, 1.0, r)


norm2 = make_primitive(
    _norm2_impl, "norm",
    vjps=[lambda ans, x, axis=None, keepdims=False:
          lambda g: expand_reduced(g, shape_of(x), axis, keepdims, broadcast=False)
          * _unit(ans, x, axis, keepdims)],
    jvps=[lambda t, ans, x, axis=None, keepdims=False:
          np.sum(t * _unit(ans, x, axis, keepdims), axis=batch_axes(axis, len(shape_of(x))),
                 keepdims=keepdims)],
)
