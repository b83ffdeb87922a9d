"""Differentiable ``scipy.special``: expit, logit, erf, erfc, gammaln, digamma,
polygamma, logsumexp, softmax and log_softmax.

The ufuncs also work when called as ``scipy.special.expit(x)`` on traced values;
SciPy's Python functions (``logsumexp``, ``softmax``, ``log_softmax``) cannot
dispatch, and their error points here.
"""

from __future__ import annotations

import numpy as np
import scipy.special as sc

from .._registry import ALTERNATIVES, declare, implements
from ..numpy._elementwise import unary
from ..numpy._reductions import logsumexp

__all__ = ["expit", "logit", "erf", "erfc", "gammaln", "digamma", "polygamma",
           "logsumexp", "softmax", "log_softmax"]

expit = unary(sc.expit, lambda ans, x: ans * (1.0 - ans), uses="ans")
logit = unary(sc.logit, lambda ans, x: 1.0 / (x * (1.0 - x)))
erf = unary(sc.erf, lambda ans, x: (2.0 / np.sqrt(np.pi)) * np.exp(-x * x))
erfc = unary(sc.erfc, lambda ans, x: (-2.0 / np.sqrt(np.pi)) * np.exp(-x * x))


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
implements(sc.psi)(digamma)
gammaln = unary(sc.gammaln, lambda ans, x: digamma(x))


def log_softmax(x, axis=None):
    """``x - logsumexp(x)`` along ``axis``."""
    return x - logsumexp(x, axis=axis, keepdims=True)


def softmax(x, axis=None):
    """``exp(log_softmax(x))`` along ``axis``."""
    return np.exp(log_softmax(x, axis=axis))


for _name in ("logsumexp", "softmax", "log_softmax", "polygamma"):
    ALTERNATIVES[f"scipy.special.{_name}"] = f"autodiff.scipy.special.{_name}"
del _name
