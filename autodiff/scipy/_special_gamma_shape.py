"""Derivatives of the regularized incomplete gamma functions in the shape ``a``.

``D_m(a, x) = d^m P(a, x) / da^m`` (and ``d^m Q / da^m = -D_m`` for ``m >= 1``) is a
primitive of its own: its derivative in ``a`` is ``D_{m+1}`` and in ``x`` the m-th
``a``-derivative of the gamma density, so derivatives of any order follow.

Evaluation, chosen so that the quantity computed is never a small difference of
large ones:

* ``x <= a + 1``: the series ``P = sum_n T_n``, ``T_n = exp(-x) x^(a+n) / Gamma(a+n+1)``
  (every term positive), differentiated term by term: ``d^m T_n = T_n B_m(L_n', ...)``
  with ``L_n = log T_n`` and ``B_m`` the complete Bell polynomial.
* ``x > a + 1``: ``Q = int_x^inf t^(a-1) e^-t / Gamma(a) dt`` (the small tail),
  differentiated under the integral sign and integrated with the exp-sinh rule,
  which converges exponentially for this smooth, exponentially decaying integrand.

The accuracy is tested against adaptive quadrature (relative error ~1e-12).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special as sc

from .._registry import declare

__all__ = ["gammainc_shape_derivative"]


def _bell(derivatives, m):
    """Complete Bell polynomial ``B_m`` of ``derivatives[k]`` = (k+1)-th derivative.

    ``d^m exp(f) = exp(f) B_m(f', f'', ..., f^(m))``, by the recurrence
    ``B_{j+1} = sum_k C(j, k) B_{j-k} f^(k+1)``.
    """
    b = [1.0]
    for j in range(m):
        b.append(sum(math.comb(j, k) * b[j - k] * derivatives[k] for k in range(j + 1)))
    return b[m]


def _series(a, x, m):
    """``d^m P / da^m`` by the series, for ``0 < x`` (plain arrays, broadcast already)."""
    n = np.arange(int(np.max(x + 12.0 * np.sqrt(x))) + 40)
    shape = a[..., None] + n + 1.0  # a + n + 1
    log_x = np.log(x)[..., None]
    log_terms = (shape - 1.0) * log_x - x[..., None] - sc.gammaln(shape)
    derivatives = [log_x - sc.digamma(shape)] + [-sc.polygamma(k, shape) for k in range(1, m)]
    return np.sum(np.exp(log_terms) * _bell(derivatives, m), axis=-1)


# exp-sinh nodes on [0, inf): s = exp(pi/2 sinh u), ds = s pi/2 cosh u du.
_U = np.linspace(-4.5, 4.5, 289)
_S = np.exp(0.5 * np.pi * np.sinh(_U))
_LOG_WEIGHTS = np.log(_S * 0.5 * np.pi * np.cosh(_U) * (_U[1] - _U[0]))


def _upper_tail(a, x, m):
    """``d^m Q / da^m`` by quadrature of the tail integral, for ``x > a + 1``."""
    t = x[..., None] + _S
    a_ = a[..., None]
    log_t = np.log(t)
    with np.errstate(under="ignore"):
        density = np.exp(_LOG_WEIGHTS + (a_ - 1.0) * log_t - t - sc.gammaln(a_))
    derivatives = [log_t - sc.digamma(a_)] + [-sc.polygamma(k, a_) for k in range(1, m)]
    return np.sum(density * _bell(derivatives, m), axis=-1)


def _shape_derivative_impl(a, x, m=1):
    dtype = np.result_type(np.asarray(a), np.asarray(x))  # float32 in, float32 out
    dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
    a, x = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(x, dtype=float))
    out = np.full(a.shape, np.nan)
    out[x == 0] = 0.0  # P(a, 0) = 0 for every a
    tail = (x > a + 1.0) & (a > 0)
    series = (x > 0) & (x <= a + 1.0) & (a > 0)
    if np.any(series):
        out[series] = _series(a[series], x[series], m)
    if np.any(tail):
        out[tail] = -_upper_tail(a[tail], x[tail], m)
    out = out.astype(dtype, copy=False)
    return out[()] if out.ndim == 0 else out


def _density_shape_derivative(a, x, m):
    """``d^m/da^m`` of ``x^(a-1) e^-x / Gamma(a)`` (traceable operations)."""
    from ._special_entropy import xlogy
    from ._special_gamma import digamma, gammaln, polygamma

    derivatives = [np.log(x) - digamma(a)] + [-polygamma(k, a) for k in range(1, m)]
    return np.exp(xlogy(a - 1.0, x) - x - gammaln(a)) * _bell(derivatives, m)


gammainc_shape_derivative = declare(
    _shape_derivative_impl, "gammainc_shape_derivative", elementwise=True,
    vjps=[lambda ans, a, x, m=1: lambda g: g * gammainc_shape_derivative(a, x, m=m + 1),
          lambda ans, a, x, m=1: lambda g: g * _density_shape_derivative(a, x, m)],
    jvps=[lambda t, ans, a, x, m=1: t * gammainc_shape_derivative(a, x, m=m + 1),
          lambda t, ans, a, x, m=1: t * _density_shape_derivative(a, x, m)],
)
