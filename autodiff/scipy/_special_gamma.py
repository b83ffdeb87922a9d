"""The gamma family of ``scipy.special``: gamma, gammaln, digamma, polygamma, beta,
betaln, multigammaln and the regularized incomplete gamma and beta functions.

The incomplete gamma and beta functions and ``stdtr`` are differentiable in ``x``
and in their shape parameters (:mod:`._special_gamma_shape`,
:mod:`._special_beta_shape`).
"""

from __future__ import annotations

import numpy as np
import scipy.special as sc

from .._registry import ALTERNATIVES, declare, implements
from .._tracer import base_value
from ..numpy._elementwise import binary, unary
from ._special_beta_shape import betainc_shape_derivative
from ._special_entropy import xlog1py, xlogy
from ._special_gamma_shape import gammainc_shape_derivative

__all__ = ["gamma", "gammaln", "digamma", "psi", "polygamma", "beta", "betaln",
           "multigammaln", "gammainc", "gammaincc", "betainc", "betaincc", "stdtr"]


def _polygamma_impl(x, n):
    return sc.polygamma(n, x)


# d/dx polygamma(n, x) = polygamma(n + 1, x): one primitive serves every order.
_polygamma_p = declare(
    _polygamma_impl, "polygamma", elementwise=True,
    vjps=[lambda ans, x, n: lambda g: g * _polygamma_p(x, n=n + 1)],
    jvps=[lambda t, ans, x, n: t * _polygamma_p(x, n=n + 1)],
)


def polygamma(n, x):
    """The n-th derivative of the digamma function (``n`` is a constant integer)."""
    return _polygamma_p(x, n=int(n))


digamma = unary(sc.digamma, lambda ans, x: _polygamma_p(x, n=1))
psi = digamma
implements(sc.psi)(digamma)
gammaln = unary(sc.gammaln, lambda ans, x: digamma(x))
gamma = unary(sc.gamma, lambda ans, x: ans * digamma(x), uses="ans x")

# beta(a, b) = gamma(a) gamma(b) / gamma(a + b)
beta = binary(
    sc.beta,
    [lambda ans, a, b: lambda g: g * ans * (digamma(a) - digamma(a + b)),
     lambda ans, a, b: lambda g: g * ans * (digamma(b) - digamma(a + b))],
    [lambda t, ans, a, b: t * (ans * (digamma(a) - digamma(a + b))),
     lambda t, ans, a, b: t * (ans * (digamma(b) - digamma(a + b)))],
)
betaln = binary(
    sc.betaln,
    [lambda ans, a, b: lambda g: g * (digamma(a) - digamma(a + b)),
     lambda ans, a, b: lambda g: g * (digamma(b) - digamma(a + b))],
    [lambda t, ans, a, b: t * (digamma(a) - digamma(a + b)),
     lambda t, ans, a, b: t * (digamma(b) - digamma(a + b))],
)


def _gamma_density(a, x):
    """``x**(a-1) exp(-x) / gamma(a)``: d/dx of the regularized lower incomplete gamma."""
    return np.exp(xlogy(a - 1.0, x) - x - gammaln(a))


# In the shape a: d/da P = D_1(a, x) and d/da Q = -D_1(a, x) (see _special_gamma_shape).
gammainc = binary(
    sc.gammainc,
    [lambda ans, a, x: lambda g: g * gammainc_shape_derivative(a, x, m=1),
     lambda ans, a, x: lambda g: g * _gamma_density(a, x)],
    [lambda t, ans, a, x: t * gammainc_shape_derivative(a, x, m=1),
     lambda t, ans, a, x: t * _gamma_density(a, x)],
)
gammaincc = binary(
    sc.gammaincc,
    [lambda ans, a, x: lambda g: -g * gammainc_shape_derivative(a, x, m=1),
     lambda ans, a, x: lambda g: -g * _gamma_density(a, x)],
    [lambda t, ans, a, x: -t * gammainc_shape_derivative(a, x, m=1),
     lambda t, ans, a, x: -t * _gamma_density(a, x)],
)


def _beta_density(a, b, x):
    """``x**(a-1) (1-x)**(b-1) / B(a, b)``: d/dx of the regularized incomplete beta."""
    return np.exp(xlogy(a - 1.0, x) + xlog1py(b - 1.0, -x) - betaln(a, b))


# In the shapes: d/da I = D_10, d/db I = D_01 (see _special_beta_shape).
def _betainc_vjps(sign):
    return [lambda ans, a, b, x: lambda g: sign * g * betainc_shape_derivative(a, b, x, i=1, j=0),
            lambda ans, a, b, x: lambda g: sign * g * betainc_shape_derivative(a, b, x, i=0, j=1),
            lambda ans, a, b, x: lambda g: sign * g * _beta_density(a, b, x)]


def _betainc_jvps(sign):
    return [lambda t, ans, a, b, x: sign * t * betainc_shape_derivative(a, b, x, i=1, j=0),
            lambda t, ans, a, b, x: sign * t * betainc_shape_derivative(a, b, x, i=0, j=1),
            lambda t, ans, a, b, x: sign * t * _beta_density(a, b, x)]


betainc = declare(sc.betainc, "betainc", elementwise=True,
                  vjps=_betainc_vjps(1.0), jvps=_betainc_jvps(1.0))
betaincc = declare(sc.betaincc, "betaincc", elementwise=True,
                   vjps=_betainc_vjps(-1.0), jvps=_betainc_jvps(-1.0))
implements(sc.betainc)(betainc)
implements(sc.betaincc)(betaincc)


def _t_density(df, t):
    """Density of Student's t with ``df`` degrees of freedom: d/dt of ``stdtr``."""
    return np.exp(gammaln(0.5 * (df + 1.0)) - gammaln(0.5 * df) - 0.5 * np.log(df * np.pi)
                  - 0.5 * (df + 1.0) * np.log1p(t * t / df))


def _stdtr_df_derivative(df, t):
    """d/d(df) of stdtr(df, t) = 1/2 + sign(t) (1 - I_z(df/2, 1/2)) / 2, z = df / (df + t^2)."""
    at_zero = t == 0  # stdtr(df, 0) = 1/2 for every df
    t = np.where(at_zero, 1.0, t)
    z = df / (df + t * t)
    dz = t * t / ((df + t * t) * (df + t * t))
    d_incomplete = (0.5 * betainc_shape_derivative(0.5 * df, 0.5, z, i=1, j=0)
                    + _beta_density(0.5 * df, 0.5, z) * dz)
    return np.where(at_zero, 0.0, -0.5 * np.sign(t) * d_incomplete)


stdtr = binary(
    sc.stdtr,
    [lambda ans, df, t: lambda g: g * _stdtr_df_derivative(df, t),
     lambda ans, df, t: lambda g: g * _t_density(df, t)],
    [lambda tan, ans, df, t: tan * _stdtr_df_derivative(df, t),
     lambda tan, ans, df, t: tan * _t_density(df, t)],
)


def multigammaln(a, d: int):
    """Log of the multivariate gamma function of dimension ``d`` (SciPy's signature).

    .. math:: \\log\\Gamma_d(a) = \\frac{d(d-1)}{4}\\log\\pi + \\sum_{j=1}^{d}
              \\log\\Gamma\\left(a - \\frac{j-1}{2}\\right)
    """
    d = int(d)
    if d < 1:
        raise ValueError("multigammaln: the dimension d must be a positive integer")
    if np.any(base_value(a) <= 0.5 * (d - 1)):
        raise ValueError(f"multigammaln: condition a > (d - 1) / 2 = {0.5 * (d - 1)} not met")
    total = 0.25 * d * (d - 1) * np.log(np.pi)
    for j in range(d):
        total = total + gammaln(a - 0.5 * j)
    return total


for _name in ("multigammaln", "polygamma"):
    ALTERNATIVES[f"scipy.special.{_name}"] = f"autodiff.scipy.special.{_name}"
del _name
