"""autodiff.scipy.special beyond the rule table: SciPy's Python functions on tracers,
constant parameters, conventions at special points, and the composite functions."""

import numpy as np
import pytest
import scipy.special as sc

import autodiff as ad
import autodiff.scipy.special as asp


@pytest.fixture
def rng():
    return np.random.default_rng(7)


# --- SciPy's Python functions that cannot dispatch: the error names the alternative ------
@pytest.mark.parametrize("call, alternative", [
    # A list holding traced values never reaches the hooks (see test_special_hooks.py).
    (lambda x: sc.logsumexp([x[0], x[1]]), "autodiff.scipy.special.logsumexp"),
    (lambda x: sc.multigammaln(x + 3.0, 2), "autodiff.scipy.special.multigammaln"),
    (lambda x: sc.polygamma(1, x), "autodiff.scipy.special.polygamma"),
])
def test_scipy_python_functions_point_to_the_alternative(call, alternative):
    x = np.array([0.1, 0.5, 2.0])
    with pytest.raises(TypeError, match=alternative.replace(".", r"\.")):
        ad.grad(lambda x: np.sum(call(x)))(x)
    with pytest.raises(TypeError, match=alternative.replace(".", r"\.")):
        ad.jvp(call, (x,), (np.ones(3),))


# --- logsumexp family ---------------------------------------------------------------------
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1), -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_matches_scipy(rng, axis, keepdims):
    a, b = rng.standard_normal((3, 4)), rng.uniform(0.5, 2.0, (3, 4))
    f = lambda a, b: asp.logsumexp(a, axis=axis, b=b, keepdims=keepdims)  # noqa: E731
    np.testing.assert_allclose(f(a, b), sc.logsumexp(a, axis=axis, b=b, keepdims=keepdims))
    ad.check_grads(f, (a, b), order=2)


def test_softmax_and_log_softmax_match_scipy(rng):
    x = rng.standard_normal((3, 4)) * 20.0  # large: the stable forms matter
    for axis in (None, 0, 1):
        np.testing.assert_allclose(asp.softmax(x, axis=axis), sc.softmax(x, axis=axis))
        np.testing.assert_allclose(asp.log_softmax(x, axis=axis), sc.log_softmax(x, axis=axis))
    np.testing.assert_allclose(ad.grad(lambda x: asp.softmax(x)[1])(np.zeros(4)),
                               [-1 / 16, 3 / 16, -1 / 16, -1 / 16])


# --- constant parameters ------------------------------------------------------------------
@pytest.mark.parametrize("call, parameter", [
    (lambda p: sc.iv(p, 1.3), "order v"),
    (lambda p: sc.kve(p, 1.3), "order v"),
])
def test_traced_parameter_is_a_clear_error(call, parameter):
    for differentiate in (ad.grad(call), lambda p: ad.jvp(call, (p,), (1.0,))):
        with pytest.raises(NotImplementedError, match=parameter):
            differentiate(2.5)


def test_gammainc_derivative_is_the_gamma_density():
    a, x = 2.5, np.array([0.3, 1.0, 4.0])
    density = x ** (a - 1) * np.exp(-x) / sc.gamma(a)
    np.testing.assert_allclose(ad.jacfwd(lambda x: sc.gammainc(a, x))(x), np.diag(density))
    np.testing.assert_allclose(ad.grad(lambda x: np.sum(sc.gammaincc(a, x)))(x), -density)


@pytest.mark.parametrize("a, x", [(0.05, 0.01), (0.05, 0.5), (0.3, 0.5), (2.5, 3.0),
                                  (2.5, 3.6), (7.0, 5.0), (30.0, 20.0), (30.0, 45.0)])
def test_gammainc_shape_derivative_against_quadrature(a, x):
    from scipy.integrate import quad

    def integrand(t, m):  # d^m/da^m of the gamma density, m = 1, 2
        d1, d2 = np.log(t) - sc.digamma(a), -sc.polygamma(1, a)
        return np.exp((a - 1) * np.log(t) - t - sc.gammaln(a)) * (d1 if m == 1 else d1 * d1 + d2)

    for m in (1, 2):
        if x <= a + 1:  # quad's reference: Richardson differences of SciPy where quad fails
            if a < 1:  # t**(a-1) is singular at 0
                h = 3e-3
                f = [sc.gammainc(a + i * h, x) for i in (-2, -1, 0, 1, 2)]
                expected = ((-f[4] + 8 * f[3] - 8 * f[1] + f[0]) / (12 * h) if m == 1 else
                            (-f[4] + 16 * f[3] - 30 * f[2] + 16 * f[1] - f[0]) / (12 * h * h))
                rtol = 1e-8
            else:
                expected, rtol = quad(integrand, 0, x, args=(m,), epsabs=0, epsrel=1e-11)[0], 1e-9
        else:
            expected = -quad(integrand, x, np.inf, args=(m,), epsabs=0, epsrel=1e-11)[0]
            rtol = 1e-10
        np.testing.assert_allclose(asp.gammainc_shape_derivative(a, x, m=m), expected, rtol=rtol)
    np.testing.assert_allclose(ad.grad(sc.gammaincc)(a, x),
                               -asp.gammainc_shape_derivative(a, x, m=1))


def _richardson(f, v, h=1e-3):
    return (-f(v + 2 * h) + 8 * f(v + h) - 8 * f(v - h) + f(v - 2 * h)) / (12 * h)


@pytest.mark.parametrize("a, b, x", [(0.05, 3.0, 0.3), (0.4, 0.3, 0.05), (2.5, 1.0, 0.8),
                                     (12.0, 40.0, 0.2), (80.0, 3.0, 0.97), (2.0, 2.0, 0.5)])
def test_betainc_shape_derivatives_against_differences(a, b, x):
    h = 1e-3 * min(a, b, 1.0)
    d_a = asp.betainc_shape_derivative(a, b, x, i=1, j=0)
    d_b = asp.betainc_shape_derivative(a, b, x, i=0, j=1)
    np.testing.assert_allclose(d_a, _richardson(lambda v: sc.betainc(v, b, x), a, h),
                               rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(d_b, _richardson(lambda v: sc.betainc(a, v, x), b, h),
                               rtol=1e-7, atol=1e-12)
    # the mixed second derivative is the derivative of the first (the primitive's rule)
    np.testing.assert_allclose(asp.betainc_shape_derivative(a, b, x, i=1, j=1),
                               _richardson(lambda v: asp.betainc_shape_derivative(
                                   a, v, x, i=1, j=0), b, h), rtol=1e-6, atol=1e-11)
    np.testing.assert_allclose(ad.grad(sc.betaincc, argnums=(0, 1))(a, b, x), (-d_a, -d_b))


def test_stdtr_derivative_in_the_degrees_of_freedom():
    t = np.array([-3.0, -0.4, 0.0, 0.7, 5.0])
    df = 3.5
    g = ad.jacfwd(lambda df: sc.stdtr(df, t))(df)
    np.testing.assert_allclose(g, _richardson(lambda v: sc.stdtr(v, t), df), rtol=1e-7,
                               atol=1e-12)
    assert g[2] == 0.0  # stdtr(df, 0) = 1/2 for every df


def test_bessel_recurrences_against_scipy():
    x = np.array([0.4, 1.7, 5.0])
    np.testing.assert_allclose(ad.grad(lambda x: np.sum(sc.i0(x)))(x), sc.i1(x))
    np.testing.assert_allclose(ad.grad(lambda x: np.sum(sc.j0(x)))(x), -sc.j1(x))
    np.testing.assert_allclose(ad.grad(lambda x: np.sum(sc.kv(0.0, x)))(x), -sc.kv(1.0, x))
    np.testing.assert_allclose(ad.grad(lambda x: np.sum(sc.jv(2.0, x)))(x), sc.jvp(2.0, x))
    np.testing.assert_allclose(ad.grad(lambda x: np.sum(sc.yv(1.5, x)))(x), sc.yvp(1.5, x))
    np.testing.assert_allclose(ad.grad(lambda x: np.sum(sc.kv(1.5, x)))(x), sc.kvp(1.5, x))
    np.testing.assert_allclose(ad.grad(lambda x: np.sum(sc.iv(1.5, x)))(x), sc.ivp(1.5, x))
    # the second derivative uses the recurrence twice
    np.testing.assert_allclose(ad.hessian(lambda x: sc.iv(1.5, x))(1.7), sc.ivp(1.5, 1.7, 2))
    np.testing.assert_allclose(ad.hessian(lambda x: sc.i1(x))(0.0), sc.ivp(1, 0.0, 2), atol=1e-15)


# --- conventions and special points -------------------------------------------------------
def test_xlogy_at_zero_has_finite_derivatives():
    gx, gy = ad.grad(sc.xlogy, argnums=(0, 1))(0.0, 2.0)
    assert (gx, gy) == (np.log(2.0), 0.0)
    gx, gy = ad.grad(sc.xlogy, argnums=(0, 1))(0.0, 0.0)
    assert (gx, gy) == (-np.inf, 0.0)  # d/dx x log y = log 0: the true value
    assert ad.grad(sc.xlog1py, argnums=1)(0.0, -1.0) == 0.0
    assert ad.grad(sc.rel_entr, argnums=1)(0.0, 1.5) == 0.0


def test_log_ndtr_derivative_in_the_far_left_tail():
    x = np.array([-40.0, -10.0, 5.0])
    g = ad.grad(lambda x: np.sum(sc.log_ndtr(x)))(x)
    assert np.all(np.isfinite(g))
    # phi / Phi: directly where Phi does not underflow, asymptotically (-x - 1/x) at -40
    np.testing.assert_allclose(g[1], np.exp(-50.0) / np.sqrt(2 * np.pi) / sc.ndtr(-10.0))
    np.testing.assert_allclose(g[0], 40.0 + 1.0 / 40.0, rtol=1e-6)
    ad.check_grads(sc.log_ndtr, (x,), order=2)


def test_sinc_values_and_derivatives_at_and_near_zero():
    x = np.array([-2.5, -1.0, -1e-4, 0.0, 3e-5, 0.5, 1.0])
    np.testing.assert_allclose(asp.sinc(x), np.sinc(x), rtol=1e-14, atol=1e-16)
    assert ad.grad(asp.sinc)(0.0) == 0.0
    np.testing.assert_allclose(ad.hessian(asp.sinc)(0.0), -np.pi ** 2 / 3)
    ad.check_grads(asp.sinc, (x[x != 0],), order=2)


def test_multigammaln_matches_scipy():
    a = np.array([2.0, 3.5, 7.0])
    np.testing.assert_allclose(asp.multigammaln(a, 3), sc.multigammaln(a, 3))
    ad.check_grads(lambda a: asp.multigammaln(a, 4), (a,), order=2)
    with pytest.raises(ValueError, match="d - 1"):
        asp.multigammaln(0.5, 3)


def test_float32_stays_float32():
    x = np.array([0.5, 1.5], dtype=np.float32)
    g = ad.grad(lambda x: np.sum(sc.gamma(x) + sc.i0e(x) + sc.ndtr(x)))(x)
    assert g.dtype == np.float32


def test_polygamma_order_is_constant():
    x = np.array([0.7, 2.0])
    np.testing.assert_allclose(ad.grad(lambda x: np.sum(asp.polygamma(2, x)))(x),
                               sc.polygamma(3, x))
