"""The gamma family of ``scipy.special``: gamma, gammaln, digamma, polygamma, beta,
betaln, multigammaln and the regularized incomplete gamma and beta functions.

The incomplete gamma functions are differentiable in ``x`` and in the shape ``a``
(:mod:`._special_gamma_shape`); the incomplete beta function and ``stdtr`` only in
``x`` (a traced ``a``, ``b`` or ``df`` is a clear ``NotImplementedError``).
"""

from __future__ import annotations

import numpy as np
import scipy.special as sc

from .._registry import ALTERNATIVES, declare, implements
from .._tracer import base_value
from ..numpy._elementwise import binary, unary
from ._special_common import in_last_argument
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


_SHAPES = ("shape parameter a", "shape parameter b")
betainc = in_last_argument(sc.betainc, lambda ans, a, b, x: _beta_density(a, b, x), _SHAPES)
betaincc = in_last_argument(sc.betaincc, lambda ans, a, b, x: -_beta_density(a, b, x), _SHAPES)


def _t_density(df, t):
    """Density of Student's t with ``df`` degrees of freedom: d/dt of ``stdtr``."""
    return np.exp(gammaln(0.5 * (df + 1.0)) - gammaln(0.5 * df) - 0.5 * np.log(df * np.pi)
                  - 0.5 * (df + 1.0) * np.log1p(t * t / df))


stdtr = in_last_argument(sc.stdtr, lambda ans, df, t: _t_density(df, t),
                         ("degrees of freedom df",))


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


ALTERNATIVES["scipy.special.multigammaln"] = "autodiff.scipy.special.multigammaln"
