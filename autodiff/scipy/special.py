"""Differentiable ``scipy.special``.

The SciPy ufuncs listed here (``gamma``, ``iv``, ``erfinv``, ``xlogy``, ...) are also
differentiable when called as ``scipy.special.f(x)`` on traced values: ufuncs
dispatch to autodiff through ``__array_ufunc__``.  SciPy's own ``logsumexp``
(with ``axis``, ``b``, ``keepdims``, ``return_sign``), ``softmax`` and
``log_softmax`` are differentiable on traced values too, however they were
imported: :mod:`._special_hooks` rebinds the names those functions look up in
their module at call time (``array_namespace`` first), behind a type check, so a
traced call is computed by :func:`logsumexp` here and plain calls keep SciPy's
path.  This holds on the SciPy releases whose source was checked (1.15 to 1.18),
except SciPy 1.15's ``log_softmax``, which writes into its shift in place and so
raises an error naming :func:`log_softmax` here; on a release not yet checked the
hooks are not installed and these calls raise the error naming the function here.
SciPy's other Python functions (``multigammaln``, ``polygamma``) convert their
input with ``np.asanyarray`` before anything could dispatch, so calling them on a
traced value raises an error that names the function here to use instead.

Orders (``v`` of ``iv``, ``n`` of ``polygamma``) are constants: a traced order is a
clear ``NotImplementedError``.  The shape parameters of ``gammainc``, ``gammaincc``,
``betainc``, ``betaincc`` and ``stdtr`` are differentiable (any order).

Examples
--------
>>> import numpy as np, scipy.special as sc, autodiff as ad
>>> float(ad.grad(lambda x: sc.iv(0.0, x))(1.0)) == float(sc.iv(1.0, 1.0))
True
"""

from __future__ import annotations

import numpy as np

from .._registry import ALTERNATIVES
from .._tracer import base_value
from ..numpy._reductions import logsumexp
from ._special_bessel import (
    i0,
    i0e,
    i1,
    i1e,
    iv,
    ive,
    j0,
    j1,
    jn,
    jv,
    k0,
    k0e,
    k1,
    k1e,
    kv,
    kve,
    y0,
    y1,
    yn,
    yv,
)
from ._special_beta_shape import betainc_shape_derivative
from ._special_entropy import entr, rel_entr, xlog1py, xlogy
from ._special_error import (
    cosm1,
    erf,
    erfc,
    erfcinv,
    erfcx,
    erfinv,
    exp1,
    expi,
    expit,
    expm1,
    expn,
    log1p,
    log_expit,
    log_ndtr,
    logit,
    ndtr,
    ndtri,
)
from ._special_gamma import (
    beta,
    betainc,
    betaincc,
    betaln,
    digamma,
    gamma,
    gammainc,
    gammaincc,
    gammaln,
    multigammaln,
    polygamma,
    psi,
    stdtr,
)
from ._special_gamma_shape import gammainc_shape_derivative
from ._special_hooks import install as _install_hooks

__all__ = [
    "gamma", "gammaln", "digamma", "psi", "polygamma", "beta", "betaln", "multigammaln",
    "gammainc", "gammaincc", "gammainc_shape_derivative", "betainc", "betaincc",
    "betainc_shape_derivative", "stdtr",
    "erf", "erfc", "erfcx", "erfinv", "erfcinv", "ndtr", "log_ndtr", "ndtri",
    "exp1", "expi", "expn", "expm1", "log1p", "cosm1",
    "expit", "logit", "log_expit",
    "xlogy", "xlog1py", "entr", "rel_entr",
    "iv", "ive", "jv", "jn", "yv", "yn", "kv", "kve",
    "i0", "i1", "i0e", "i1e", "j0", "j1", "y0", "y1", "k0", "k1", "k0e", "k1e",
    "logsumexp", "softmax", "log_softmax", "sinc",
]


def _shifted(x, axis):
    """``x - max(x)`` along ``axis``, the shift held constant.

    Both functions below are invariant to the shift, so treating it as a constant
    keeps their derivatives exact, and the values round as SciPy's do.
    """
    x_max = np.max(base_value(x), axis=axis, keepdims=True)
    return x - np.where(np.isfinite(x_max), x_max, 0.0)


def log_softmax(x, axis=None):
    """``x - logsumexp(x)`` along ``axis`` (SciPy's signature)."""
    shifted = _shifted(x, axis)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(x, axis=None):
    """``exp(x) / sum(exp(x))`` along ``axis`` (SciPy's signature)."""
    e = np.exp(_shifted(x, axis))
    return e / np.sum(e, axis=axis, keepdims=True)


# Below this |pi x| the Taylor polynomial of sin(u)/u is exact to rounding.
_SINC_SERIES_BELOW = 1e-3


def sinc(x):
    """The normalized sinc, ``sin(pi x) / (pi x)`` with ``sinc(0) = 1`` (as ``numpy.sinc``).

    Composed of differentiable operations, with a Taylor polynomial near 0 so that
    every derivative is exact there too (``sinc''(0) = -pi**2 / 3``).
    """
    u = np.pi * x
    small = np.abs(u) < _SINC_SERIES_BELOW
    safe = np.where(small, 1.0, u)
    u2 = u * u
    series = 1.0 - u2 / 6.0 * (1.0 - u2 / 20.0 * (1.0 - u2 / 42.0))
    return np.where(small, series, np.sin(safe) / safe)


for _name in ("logsumexp", "softmax", "log_softmax", "polygamma"):
    ALTERNATIVES[f"scipy.special.{_name}"] = f"autodiff.scipy.special.{_name}"
del _name

_install_hooks()
