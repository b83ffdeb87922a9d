"""Differentiable ``scipy.stats`` distributions, in JAX's layout: ``norm.logpdf(x, loc,
scale)``, ``gamma.cdf(x, a, loc, scale)``, ``multivariate_normal.logpdf(x, mean, cov)``.

Every function is a composition of differentiable primitives, so derivatives in the
data and in every parameter (``loc``, ``scale``, shape parameters) come in both modes
and at any order, with the values of SciPy's (the cumulative functions of
``gamma``, ``chi2``, ``beta`` and ``t`` use the shape derivatives of the incomplete
gamma and beta functions).  ``poisson`` treats ``k`` as a constant (its pmf and cdf
are piecewise constant in ``k``) and is differentiable in ``mu``.

Outside the support the log-density is ``-inf`` with derivative 0.

SciPy's own objects (``scipy.stats.norm.logpdf(x)``) convert their arguments with
``np.asarray`` inside the ``rv_continuous`` machinery, before anything could
dispatch; on a traced value they raise an error that points here.

Examples
--------
>>> import numpy as np, autodiff as ad
>>> from autodiff.scipy.stats import norm
>>> float(ad.grad(lambda mu: norm.logpdf(1.0, loc=mu, scale=2.0))(0.0))
0.25
"""

from __future__ import annotations

import numpy as np

from .._registry import ALTERNATIVES
from .._shapes import ndim_of, shape_of
from .._tracer import base_value
from . import special as sc

__all__ = ["norm", "multivariate_normal", "t", "gamma", "beta", "dirichlet", "chi2",
           "poisson", "laplace", "logistic", "expon"]

_LOG_2PI = np.log(2.0 * np.pi)


class Distribution:
    """The functions of one distribution, as attributes (``norm.logpdf``, ...)."""

    def __init__(self, name: str, **functions):
        self.name = name
        for method, fun in functions.items():
            fun.__name__ = method
            fun.__qualname__ = f"{name}.{method}"
            fun.__module__ = __name__
            setattr(self, method, fun)
        self.methods = tuple(functions)

    def __repr__(self) -> str:
        return f"<autodiff.scipy.stats.{self.name}: {', '.join(self.methods)}>"


def _standardized(x, loc, scale):
    return (x - loc) / scale


def _with_density(logpdf):
    """``pdf = exp(logpdf)`` with the same signature."""
    return lambda *args, **kwargs: np.exp(logpdf(*args, **kwargs))


def _logs_of(cdf, sf):
    """``logcdf`` and ``logsf`` as logs of ``cdf`` and ``sf``."""
    def logcdf(*args, **kwargs):
        with np.errstate(divide="ignore"):
            return np.log(cdf(*args, **kwargs))

    def logsf(*args, **kwargs):
        with np.errstate(divide="ignore"):
            return np.log(sf(*args, **kwargs))

    return logcdf, logsf


def _on_support(inside, z, value, outside, safe=1.0):
    """``value(z)`` where ``inside`` (a constant mask), ``outside`` elsewhere.

    ``value`` only sees ``z`` inside the support (``safe`` elsewhere), so no NaN or
    infinity is formed where the result is not used (its derivative would leak).
    """
    if np.all(inside):
        return value(z)
    return np.where(inside, value(np.where(inside, z, safe)), outside)


# --- norm -------------------------------------------------------------------------------
def _norm_logpdf(x, loc=0.0, scale=1.0):
    z = _standardized(x, loc, scale)
    return -0.5 * z * z - np.log(scale) - 0.5 * _LOG_2PI


norm = Distribution(
    "norm",
    logpdf=_norm_logpdf,
    pdf=_with_density(_norm_logpdf),
    cdf=lambda x, loc=0.0, scale=1.0: sc.ndtr(_standardized(x, loc, scale)),
    logcdf=lambda x, loc=0.0, scale=1.0: sc.log_ndtr(_standardized(x, loc, scale)),
    sf=lambda x, loc=0.0, scale=1.0: sc.ndtr(-_standardized(x, loc, scale)),
    logsf=lambda x, loc=0.0, scale=1.0: sc.log_ndtr(-_standardized(x, loc, scale)),
    ppf=lambda q, loc=0.0, scale=1.0: loc + scale * sc.ndtri(q),
)


# --- laplace ------------------------------------------------------------------------------
def _laplace_logpdf(x, loc=0.0, scale=1.0):
    return -np.abs(_standardized(x, loc, scale)) - np.log(2.0 * scale)


def _laplace_cdf_z(z):
    half_tail = 0.5 * np.exp(-np.abs(z))
    return np.where(z > 0, 1.0 - half_tail, half_tail)


def _laplace_logcdf_z(z):
    return np.where(z > 0, np.log1p(-0.5 * np.exp(-np.abs(z))), np.log(0.5) - np.abs(z))


laplace = Distribution(
    "laplace",
    logpdf=_laplace_logpdf,
    pdf=_with_density(_laplace_logpdf),
    cdf=lambda x, loc=0.0, scale=1.0: _laplace_cdf_z(_standardized(x, loc, scale)),
    logcdf=lambda x, loc=0.0, scale=1.0: _laplace_logcdf_z(_standardized(x, loc, scale)),
    sf=lambda x, loc=0.0, scale=1.0: _laplace_cdf_z(-_standardized(x, loc, scale)),
    logsf=lambda x, loc=0.0, scale=1.0: _laplace_logcdf_z(-_standardized(x, loc, scale)),
)


# --- logistic -----------------------------------------------------------------------------
def _logistic_logpdf(x, loc=0.0, scale=1.0):
    z = _standardized(x, loc, scale)
    # -z - 2 log(1 + exp(-z)), stable in both tails (logaddexp(0, u) = log(1 + e^u)).
    return -z - 2.0 * np.logaddexp(0.0, -z) - np.log(scale)


logistic = Distribution(
    "logistic",
    logpdf=_logistic_logpdf,
    pdf=_with_density(_logistic_logpdf),
    cdf=lambda x, loc=0.0, scale=1.0: sc.expit(_standardized(x, loc, scale)),
    logcdf=lambda x, loc=0.0, scale=1.0: sc.log_expit(_standardized(x, loc, scale)),
    sf=lambda x, loc=0.0, scale=1.0: sc.expit(-_standardized(x, loc, scale)),
    logsf=lambda x, loc=0.0, scale=1.0: sc.log_expit(-_standardized(x, loc, scale)),
)


# --- expon --------------------------------------------------------------------------------
def _expon_logpdf(x, loc=0.0, scale=1.0):
    z = _standardized(x, loc, scale)
    return _on_support(base_value(z) >= 0, z, lambda z: -z - np.log(scale), -np.inf)


def _expon_cdf(x, loc=0.0, scale=1.0):
    z = _standardized(x, loc, scale)
    return _on_support(base_value(z) >= 0, z, lambda z: -np.expm1(-z), 0.0)


def _expon_sf(x, loc=0.0, scale=1.0):
    z = _standardized(x, loc, scale)
    return _on_support(base_value(z) >= 0, z, lambda z: np.exp(-z), 1.0)


def _expon_logsf(x, loc=0.0, scale=1.0):
    z = _standardized(x, loc, scale)
    return _on_support(base_value(z) >= 0, z, lambda z: -z, 0.0)


expon = Distribution(
    "expon",
    logpdf=_expon_logpdf,
    pdf=_with_density(_expon_logpdf),
    cdf=_expon_cdf,
    logcdf=_logs_of(_expon_cdf, _expon_sf)[0],
    sf=_expon_sf,
    logsf=_expon_logsf,
)


# --- gamma and chi2 -----------------------------------------------------------------------
def _gamma_logpdf(x, a, loc=0.0, scale=1.0):
    z = _standardized(x, loc, scale)
    return _on_support(base_value(z) >= 0, z,
                       lambda z: sc.xlogy(a - 1.0, z) - z - sc.gammaln(a) - np.log(scale),
                       -np.inf)


def _gamma_cdf(x, a, loc=0.0, scale=1.0):
    z = _standardized(x, loc, scale)
    return _on_support(base_value(z) >= 0, z, lambda z: sc.gammainc(a, z), 0.0)


def _gamma_sf(x, a, loc=0.0, scale=1.0):
    z = _standardized(x, loc, scale)
    return _on_support(base_value(z) >= 0, z, lambda z: sc.gammaincc(a, z), 1.0)


gamma = Distribution(
    "gamma", logpdf=_gamma_logpdf, pdf=_with_density(_gamma_logpdf), cdf=_gamma_cdf,
    sf=_gamma_sf, **dict(zip(("logcdf", "logsf"), _logs_of(_gamma_cdf, _gamma_sf))),
)


# chi2(df) is gamma(df / 2) with scale 2.
def _chi2_logpdf(x, df, loc=0.0, scale=1.0):
    return _gamma_logpdf(x, 0.5 * df, loc, 2.0 * scale)


def _chi2_cdf(x, df, loc=0.0, scale=1.0):
    return _gamma_cdf(x, 0.5 * df, loc, 2.0 * scale)


def _chi2_sf(x, df, loc=0.0, scale=1.0):
    return _gamma_sf(x, 0.5 * df, loc, 2.0 * scale)


chi2 = Distribution(
    "chi2", logpdf=_chi2_logpdf, pdf=_with_density(_chi2_logpdf), cdf=_chi2_cdf,
    sf=_chi2_sf, **dict(zip(("logcdf", "logsf"), _logs_of(_chi2_cdf, _chi2_sf))),
)


# --- beta ---------------------------------------------------------------------------------
def _in_unit_interval(z):
    z = base_value(z)
    return (z >= 0) & (z <= 1)


def _beta_logpdf(x, a, b, loc=0.0, scale=1.0):
    z = _standardized(x, loc, scale)
    return _on_support(
        _in_unit_interval(z), z,
        lambda z: sc.xlogy(a - 1.0, z) + sc.xlog1py(b - 1.0, -z) - sc.betaln(a, b)
        - np.log(scale), -np.inf, safe=0.5)


def _beta_cdf(x, a, b, loc=0.0, scale=1.0):
    z = _standardized(x, loc, scale)
    return _on_support(_in_unit_interval(z), z, lambda z: sc.betainc(a, b, z),
                       np.where(base_value(z) > 1, 1.0, 0.0), safe=0.5)


def _beta_sf(x, a, b, loc=0.0, scale=1.0):
    z = _standardized(x, loc, scale)
    return _on_support(_in_unit_interval(z), z, lambda z: sc.betaincc(a, b, z),
                       np.where(base_value(z) > 1, 0.0, 1.0), safe=0.5)


beta = Distribution(
    "beta", logpdf=_beta_logpdf, pdf=_with_density(_beta_logpdf), cdf=_beta_cdf,
    sf=_beta_sf, **dict(zip(("logcdf", "logsf"), _logs_of(_beta_cdf, _beta_sf))),
)


# --- Student's t --------------------------------------------------------------------------
def _t_logpdf(x, df, loc=0.0, scale=1.0):
    z = _standardized(x, loc, scale)
    return (sc.gammaln(0.5 * (df + 1.0)) - sc.gammaln(0.5 * df)
            - 0.5 * np.log(df * np.pi) - np.log(scale)
            - 0.5 * (df + 1.0) * np.log1p(z * z / df))


def _t_cdf(x, df, loc=0.0, scale=1.0):
    return sc.stdtr(df, _standardized(x, loc, scale))


def _t_sf(x, df, loc=0.0, scale=1.0):
    return sc.stdtr(df, -_standardized(x, loc, scale))


t = Distribution(
    "t", logpdf=_t_logpdf, pdf=_with_density(_t_logpdf), cdf=_t_cdf, sf=_t_sf,
    **dict(zip(("logcdf", "logsf"), _logs_of(_t_cdf, _t_sf))),
)


# --- poisson ------------------------------------------------------------------------------
def _poisson_logpmf(k, mu, loc=0):
    k = np.asarray(base_value(k)) - base_value(loc)  # k is discrete: a constant
    valid = (k >= 0) & (k == np.floor(k))
    k_safe = np.where(valid, k, 0.0)
    logpmf = sc.xlogy(k_safe, mu) - sc.gammaln(k_safe + 1.0) - mu
    return np.where(valid, logpmf, -np.inf) if not np.all(valid) else logpmf


def _poisson_cdf(k, mu, loc=0):
    k = np.floor(np.asarray(base_value(k)) - base_value(loc))
    valid = k >= 0
    cdf = sc.gammaincc(np.where(valid, k, 0.0) + 1.0, mu)
    return np.where(valid, cdf, 0.0) if not np.all(valid) else cdf


def _poisson_sf(k, mu, loc=0):
    k = np.floor(np.asarray(base_value(k)) - base_value(loc))
    valid = k >= 0
    sf = sc.gammainc(np.where(valid, k, 0.0) + 1.0, mu)
    return np.where(valid, sf, 1.0) if not np.all(valid) else sf


poisson = Distribution(
    "poisson", logpmf=_poisson_logpmf, pmf=_with_density(_poisson_logpmf), cdf=_poisson_cdf,
    sf=_poisson_sf, **dict(zip(("logcdf", "logsf"), _logs_of(_poisson_cdf, _poisson_sf))),
)


# --- dirichlet ----------------------------------------------------------------------------
def _dirichlet_logpdf(x, alpha):
    """``x`` has the K components on its first axis, shape (K,) or (K, N) (SciPy's layout)."""
    if ndim_of(alpha) != 1:
        raise ValueError("Parameter vector 'a' must be one dimensional")
    k = shape_of(alpha)[0]
    if shape_of(x)[0] not in (k, k - 1):
        raise ValueError("Vector 'x' must have either the same number of entries as, or "
                         "one entry fewer than, parameter vector 'a'")
    if shape_of(x)[0] == k - 1:  # SciPy completes the last component
        x = np.concatenate([x, 1.0 - np.sum(x, axis=0, keepdims=True)], axis=0)
    if not np.allclose(np.sum(base_value(x), axis=0), 1.0):
        raise ValueError("The input vector 'x' must lie within the normal simplex.")
    a = np.reshape(alpha, (k,) + (1,) * (ndim_of(x) - 1))
    log_b = np.sum(sc.gammaln(alpha)) - sc.gammaln(np.sum(alpha))
    return np.sum(sc.xlogy(a - 1.0, x), axis=0) - log_b


dirichlet = Distribution("dirichlet", logpdf=_dirichlet_logpdf,
                         pdf=_with_density(_dirichlet_logpdf))


# --- multivariate_normal ------------------------------------------------------------------
def _covariance_matrix(cov, dim):
    if ndim_of(cov) == 0:
        return cov * np.eye(dim)
    if ndim_of(cov) == 1:
        return np.diag(cov)
    return cov


def _mvn_logpdf(x, mean=None, cov=1.0, allow_singular=False):
    """Log-density at ``x`` of shape (..., d) (or (n,) when d == 1), as SciPy's.

    ``cov`` is a matrix, a vector (diagonal) or a scalar (times the identity); it
    must be positive definite (its Cholesky factor is used).
    """
    if allow_singular:
        raise NotImplementedError(
            "autodiff.scipy.stats.multivariate_normal: allow_singular=True is not supported")
    if mean is not None:
        dim = shape_of(mean)[0] if ndim_of(mean) else 1
    elif ndim_of(cov) >= 1:
        dim = shape_of(cov)[0]
    else:
        dim = 1
    mean = np.zeros(dim) if mean is None else np.reshape(mean, (dim,))
    c = _covariance_matrix(cov, dim)
    if ndim_of(x) == 0:
        x = np.reshape(x, (1,))
    if ndim_of(x) == 1:
        x = np.reshape(x, (-1, 1) if dim == 1 else (1, dim))
    lead = shape_of(x)[:-1]
    diff = np.reshape(x - mean, (-1, dim))
    chol = np.linalg.cholesky(c)
    white = np.linalg.solve(chol, diff.T)  # (d, n): L^{-1} (x - mean)
    log_det = 2.0 * np.sum(np.log(np.diagonal(chol)))
    out = -0.5 * (dim * _LOG_2PI + log_det + np.sum(white * white, axis=0))
    out = np.reshape(out, lead)
    return np.squeeze(out) if ndim_of(out) and 1 in shape_of(out) else out


multivariate_normal = Distribution("multivariate_normal", logpdf=_mvn_logpdf,
                                   pdf=_with_density(_mvn_logpdf))

for _method in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "logpmf", "pmf", "ppf"):
    ALTERNATIVES[f"scipy.stats.{_method}"] = (
        f"autodiff.scipy.stats.<distribution>.{_method} (e.g. autodiff.scipy.stats."
        f"{'poisson' if 'pmf' in _method else 'norm'}.{_method}; the distribution's "
        "parameters are arguments there)")
del _method
