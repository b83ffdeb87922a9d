"""autodiff.scipy.stats: values equal SciPy's, derivatives in the data and in every
parameter match finite differences (both modes, second order), and a mixture model
written the way people write it (logsumexp + stats) is differentiated end to end."""

import numpy as np
import pytest
import scipy.special
import scipy.stats

import autodiff as ad
from autodiff.scipy import special as asp
from autodiff.scipy import stats as ast

# name -> (shape parameters, loc, scale, points inside the support, points outside)
CONTINUOUS = {
    "norm": ((), 0.3, 1.7, [-2.0, 0.1, 0.9, 3.5], []),
    "laplace": ((), 0.3, 1.7, [-2.0, 0.1, 0.9, 3.5], []),
    "logistic": ((), 0.3, 1.7, [-30.0, 0.1, 0.9, 35.0], []),
    "t": ((3.5,), 0.3, 1.7, [-2.0, 0.1, 0.9, 3.5], []),
    "expon": ((), -0.1, 1.7, [0.2, 0.9, 3.5], [-0.5]),
    "gamma": ((2.5,), -0.1, 1.7, [0.2, 0.9, 3.5], [-0.5]),
    "chi2": ((3.5,), -0.1, 1.7, [0.2, 0.9, 3.5], [-0.5]),
    "beta": ((2.5, 1.5), -0.1, 1.2, [0.2, 0.5, 0.9], [-0.5, 1.3]),
}
METHODS = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
@pytest.mark.parametrize("method", METHODS)
def test_values_equal_scipy(name, method):
    shape, loc, scale, inside, outside = CONTINUOUS[name]
    x = np.array(inside + outside)
    ours = getattr(getattr(ast, name), method)(x, *shape, loc=loc, scale=scale)
    theirs = getattr(getattr(scipy.stats, name), method)(x, *shape, loc=loc, scale=scale)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
@pytest.mark.parametrize("method", METHODS)
def test_derivatives_in_data_and_parameters(name, method):
    shape, loc, scale, inside, _ = CONTINUOUS[name]
    fun = getattr(getattr(ast, name), method)
    x = np.array(inside)
    f = lambda x, loc, scale, *shape: fun(x, *shape, loc=loc, scale=scale)  # noqa: E731
    ad.check_grads(f, (x, loc, scale) + shape, order=2)


@pytest.mark.parametrize("name", ["expon", "gamma", "chi2", "beta"])
def test_outside_the_support_the_derivative_is_zero(name):
    shape, loc, scale, _, outside = CONTINUOUS[name]
    x = np.array(outside)
    for method in ("logpdf", "cdf", "sf"):
        fun = getattr(getattr(ast, name), method)
        g = ad.grad(lambda x: np.sum(fun(x, *shape, loc=loc, scale=scale)))(x)
        np.testing.assert_array_equal(g, 0.0)


def test_poisson_values_and_derivative_in_mu():
    k = np.array([-1.0, 0.0, 1.0, 3.0, 2.5, 7.0])
    for method in ("logpmf", "pmf", "cdf", "logcdf", "sf", "logsf"):
        np.testing.assert_allclose(getattr(ast.poisson, method)(k, 2.3),
                                   getattr(scipy.stats.poisson, method)(k, 2.3), rtol=1e-10)
        ad.check_grads(lambda mu: getattr(ast.poisson, method)(k[1:4], mu), (2.3,), order=2)
    # d/dmu log pmf = k / mu - 1
    np.testing.assert_allclose(ad.jacfwd(lambda mu: ast.poisson.logpmf(k[1:4], mu))(2.3),
                               k[1:4] / 2.3 - 1.0)


def test_dirichlet():
    x = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]).T  # components on the first axis
    alpha = np.array([1.5, 2.0, 3.0])
    np.testing.assert_allclose(ast.dirichlet.logpdf(x, alpha),
                               scipy.stats.dirichlet.logpdf(x, alpha))
    np.testing.assert_allclose(ast.dirichlet.pdf(x[:, 0], alpha),
                               scipy.stats.dirichlet.pdf(x[:, 0], alpha))
    np.testing.assert_allclose(ast.dirichlet.logpdf(x[:2], alpha),
                               scipy.stats.dirichlet.logpdf(x[:2], alpha))
    ad.check_grads(ast.dirichlet.logpdf, (x, alpha), order=2)
    with pytest.raises(ValueError, match="simplex"):
        ast.dirichlet.logpdf(np.array([0.5, 0.6, 0.1]), alpha)


@pytest.mark.parametrize("x_shape", [(3,), (4, 3), (2, 4, 3)])
def test_multivariate_normal(x_shape):
    rng = np.random.default_rng(3)
    a, mean = rng.standard_normal((3, 3)), rng.standard_normal(3)
    cov = a @ a.T + 3.0 * np.eye(3)
    x = rng.standard_normal(x_shape)
    for c in (cov, np.array([1.0, 2.0, 3.0]), 2.0):
        np.testing.assert_allclose(ast.multivariate_normal.logpdf(x, mean, c),
                                   scipy.stats.multivariate_normal.logpdf(x, mean, c))
    np.testing.assert_allclose(ast.multivariate_normal.pdf(x, mean, cov),
                               scipy.stats.multivariate_normal.pdf(x, mean, cov))
    # Derivatives in a symmetric parametrization of the covariance (cholesky reads one
    # triangle, so unsymmetric perturbations of cov itself are not meaningful).
    ad.check_grads(lambda x, m, a: ast.multivariate_normal.logpdf(x, m, a @ a.T + 3 * np.eye(3)),
                   (x, mean, a), order=2)


def test_multivariate_normal_one_dimensional_points():
    x = np.array([0.1, 0.5, -1.0])  # three points of dimension 1 (SciPy's reading)
    np.testing.assert_allclose(ast.multivariate_normal.logpdf(x, 0.2, 2.0),
                               scipy.stats.multivariate_normal.logpdf(x, 0.2, 2.0))


@pytest.mark.parametrize("call", [
    lambda x: scipy.stats.norm.logpdf(x),
    lambda x: scipy.stats.norm(0.0, 2.0).cdf(x),
    lambda x: scipy.stats.gamma.logpdf(1.0, x),
    lambda x: scipy.stats.multivariate_normal.logpdf(x),
])
def test_scipys_own_objects_point_to_autodiff_scipy_stats(call):
    with pytest.raises(TypeError, match=r"autodiff\.scipy\.stats\.<distribution>"):
        ad.grad(lambda x: np.sum(call(x)))(np.array([0.5, 1.5]))


# --- a mixture model, as people write it ----------------------------------------------
def mixture_negative_log_posterior(theta, y, norm, gamma, dirichlet, logsumexp, softmax):
    """Negative log posterior of a 1-D Gaussian mixture (weights by logits, log-scales).

    Written once and evaluated with SciPy's functions (values) or autodiff's (derivatives).
    """
    k = theta.shape[0] // 3
    logits, means, log_scales = theta[:k], theta[k:2 * k], theta[2 * k:]
    log_weights = logits - logsumexp(logits)
    scales = np.exp(log_scales)
    component = norm.logpdf(y[:, None], loc=means, scale=scales) + log_weights
    log_likelihood = np.sum(logsumexp(component, axis=1))
    log_prior = (dirichlet.logpdf(softmax(logits), np.full(k, 2.0))
                 + np.sum(gamma.logpdf(scales, 2.0, scale=0.5)))
    return -(log_likelihood + log_prior)


@pytest.fixture
def mixture():
    rng = np.random.default_rng(11)
    y = np.concatenate([rng.normal(-2.0, 0.5, 30), rng.normal(1.0, 1.0, 50)])
    theta = np.array([0.2, -0.1, -1.5, 0.8, -0.4, 0.1])
    with_scipy = lambda t: mixture_negative_log_posterior(  # noqa: E731
        t, y, scipy.stats.norm, scipy.stats.gamma, scipy.stats.dirichlet,
        scipy.special.logsumexp, scipy.special.softmax)
    with_autodiff = lambda t: mixture_negative_log_posterior(  # noqa: E731
        t, y, ast.norm, ast.gamma, ast.dirichlet, asp.logsumexp, asp.softmax)
    return with_scipy, with_autodiff, theta


def test_mixture_value_gradient_jvp_hvp(mixture):
    with_scipy, f, theta = mixture
    v = np.array([0.3, -0.2, 0.5, 0.1, 0.7, -0.4])
    np.testing.assert_allclose(f(theta), with_scipy(theta), rtol=1e-12)
    value, grad = ad.value_and_grad(f)(theta)
    np.testing.assert_allclose(value, with_scipy(theta), rtol=1e-12)
    np.testing.assert_allclose(grad, ad.numerical.gradient(with_scipy, theta), rtol=1e-6,
                               atol=1e-6)
    _, tangent = ad.jvp(f, (theta,), (v,))
    np.testing.assert_allclose(tangent, ad.numerical.central_difference(with_scipy, theta, v),
                               rtol=1e-6)
    hv = ad.hvp(f)(theta, v)
    np.testing.assert_allclose(hv, ad.numerical.central_difference(ad.grad(f), theta, v),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ad.hessian(f)(theta) @ v, hv, rtol=1e-10, atol=1e-10)
