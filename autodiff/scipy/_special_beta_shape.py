"""Derivatives of the regularized incomplete beta function in its shapes ``a``, ``b``.

``D_ij(a, b, x) = d^(i+j) I_x(a, b) / da^i db^j`` (``i + j >= 1``) is a primitive:
its derivatives in ``a`` and ``b`` raise ``i`` or ``j``, and in ``x`` it is the
same mixed derivative of the beta density, so derivatives of any order follow.

Evaluation: the density is ``exp(E)``, ``E = (a-1) log t + (b-1) log(1-t) - log B(a, b)``,
so ``D_ij = int_0^x exp(E) P_ij dt`` where ``P_ij`` comes from the derivatives of
``E`` by Leibniz's rule (a two-variable Bell polynomial).  With ``t = x w^(1/a)``
the endpoint singularity ``t^(a-1)`` disappears and the remaining ``log w`` terms
are integrated by the tanh-sinh rule.  Above the mean ``a / (a + b)`` the
symmetry ``I_x(a, b) = 1 - I_(1-x)(b, a)`` keeps the integral the small side.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special as sc

from .._registry import declare

__all__ = ["betainc_shape_derivative"]


def _psi(n: int, z):
    """polygamma(n, z), written with the traceable primitives."""
    from ._special_gamma import digamma, polygamma

    return digamma(z) if n == 0 else polygamma(n, z)


def _exponent_derivatives(a, b, log_t, log_1mt):
    """``e(k, l) = d^(k+l) E / da^k db^l`` for ``k + l >= 1`` (memoized)."""
    cache = {}

    def e(k, l):
        if (k, l) not in cache:
            value = _psi(k + l - 1, a + b)
            if l == 0:
                value = value - _psi(k - 1, a)
            if k == 0:
                value = value - _psi(l - 1, b)
            if (k, l) == (1, 0):
                value = value + log_t
            elif (k, l) == (0, 1):
                value = value + log_1mt
            cache[k, l] = value
        return cache[k, l]

    return e


def _polynomial(i: int, j: int, e):
    """``P_ij`` with ``d^(i+j) exp(E) / da^i db^j = exp(E) P_ij``, by Leibniz's rule."""
    table = {(0, 0): 1.0}

    def p(i, j):
        if (i, j) not in table:
            if i > 0:
                table[i, j] = sum(math.comb(i - 1, k) * math.comb(j, l) * e(k + 1, l)
                                  * p(i - 1 - k, j - l)
                                  for k in range(i) for l in range(j + 1))
            else:
                table[i, j] = sum(math.comb(j - 1, l) * e(0, l + 1) * p(0, j - 1 - l)
                                  for l in range(j))
        return table[i, j]

    return p(i, j)


# tanh-sinh nodes on [0, 1]: w = expit(pi sinh u), with log w and log(1 - w) exact.
_U = np.linspace(-4.0, 4.0, 257)
_LOG_W = sc.log_expit(np.pi * np.sinh(_U))
_LOG_WEIGHTS = (np.log(np.pi * np.cosh(_U) * (_U[1] - _U[0])) + _LOG_W
                + sc.log_expit(-np.pi * np.sinh(_U)))


def _lower_integral(a, b, x, i, j):
    """``D_ij`` by quadrature for ``0 < x <= a / (a + b)`` (plain 1-D arrays)."""
    a_, b_, x_ = a[:, None], b[:, None], x[:, None]
    log_t = np.log(x_) + _LOG_W / a_  # t = x w^(1/a)
    log_1mt = np.log1p(-np.exp(log_t))
    # t^(a-1) dt = x^a / a dw: what is left of the density is (1 - t)^(b-1) / B(a, b)
    log_prefactor = a * np.log(x) - np.log(a) - sc.betaln(a, b)
    with np.errstate(under="ignore"):
        weights = np.exp(_LOG_WEIGHTS + (b_ - 1.0) * log_1mt + log_prefactor[:, None])
    poly = _polynomial(i, j, _exponent_derivatives(a_, b_, log_t, log_1mt))
    return np.sum(weights * poly, axis=-1)


def _shape_derivative_impl(a, b, x, i=1, j=0):
    dtype = np.result_type(np.asarray(a), np.asarray(b), np.asarray(x))
    dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
    a, b, x = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, x)))
    out = np.full(a.shape, np.nan)
    valid = (a > 0) & (b > 0)
    out[valid & ((x == 0) | (x == 1))] = 0.0  # I_0 = 0 and I_1 = 1 for every a, b
    inside = valid & (x > 0) & (x < 1)
    lower = inside & (x <= a / (a + b))
    upper = inside & ~lower
    if np.any(lower):
        out[lower] = _lower_integral(a[lower], b[lower], x[lower], i, j)
    if np.any(upper):  # I_x(a, b) = 1 - I_(1-x)(b, a): the roles of i and j swap
        out[upper] = -_lower_integral(b[upper], a[upper], 1.0 - x[upper], j, i)
    out = out.astype(dtype, copy=False)
    return out[()] if out.ndim == 0 else out


def beta_density_shape_derivative(a, b, x, i, j):
    """``d^(i+j)/da^i db^j`` of ``x^(a-1) (1-x)^(b-1) / B(a, b)`` (traceable)."""
    from ._special_entropy import xlog1py, xlogy
    from ._special_gamma import betaln

    density = np.exp(xlogy(a - 1.0, x) + xlog1py(b - 1.0, -x) - betaln(a, b))
    if i == j == 0:
        return density
    return density * _polynomial(i, j, _exponent_derivatives(a, b, np.log(x), np.log1p(-x)))


betainc_shape_derivative = declare(
    _shape_derivative_impl, "betainc_shape_derivative", elementwise=True,
    vjps=[lambda ans, a, b, x, i=1, j=0:
          lambda g: g * betainc_shape_derivative(a, b, x, i=i + 1, j=j),
          lambda ans, a, b, x, i=1, j=0:
          lambda g: g * betainc_shape_derivative(a, b, x, i=i, j=j + 1),
          lambda ans, a, b, x, i=1, j=0:
          lambda g: g * beta_density_shape_derivative(a, b, x, i, j)],
    jvps=[lambda t, ans, a, b, x, i=1, j=0: t * betainc_shape_derivative(a, b, x, i=i + 1, j=j),
          lambda t, ans, a, b, x, i=1, j=0: t * betainc_shape_derivative(a, b, x, i=i, j=j + 1),
          lambda t, ans, a, b, x, i=1, j=0: t * beta_density_shape_derivative(a, b, x, i, j)],
)
