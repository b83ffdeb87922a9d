"""autodiff.scipy.signal: values equal SciPy's in every mode and shape combination,
derivatives in both operands match finite differences, the reverse rule is the
adjoint of the forward one, and SciPy's own functions point here."""

import numpy as np
import pytest
import scipy.signal

import autodiff as ad
from autodiff.scipy import signal

SHAPES = [((7,), (3,)), ((3,), (7,)), ((4, 5), (2, 3)), ((2, 3), (4, 5)), ((4, 3), (2, 3)),
          ((3, 2, 4), (2, 2, 2))]
FUNCTIONS = ["convolve", "correlate", "fftconvolve"]


@pytest.fixture
def rng():
    return np.random.default_rng(5)


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_values_equal_scipy(rng, shapes, mode, name):
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    np.testing.assert_allclose(getattr(signal, name)(a, b, mode=mode),
                               getattr(scipy.signal, name)(a, b, mode=mode), atol=1e-12)


@pytest.mark.parametrize("shapes", SHAPES[1:4], ids=str)
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_derivatives_in_both_operands(rng, shapes, mode):
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    ad.check_grads(lambda a, b: signal.correlate(a, b, mode=mode), (a, b), order=2)


@pytest.mark.parametrize("shapes, axes", [
    (((3, 7), (3, 4)), 1), (((3, 7), (1, 4)), (1,)), (((1, 7), (3, 4)), -1),
    (((2, 5, 6), (1, 3, 2)), (2, 1)), (((2, 5), (2, 7)), 1)], ids=str)
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_fftconvolve_along_some_axes(rng, shapes, axes, mode):
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    f = lambda a, b: signal.fftconvolve(a, b, mode=mode, axes=axes)  # noqa: E731
    np.testing.assert_allclose(f(a, b), scipy.signal.fftconvolve(a, b, mode=mode, axes=axes),
                               atol=1e-12)
    ad.check_grads(f, (a, b), order=2)


def test_reverse_rule_is_the_adjoint_of_the_forward_rule(rng):
    a, b = rng.standard_normal((5, 4)), rng.standard_normal((3, 2))
    da, db = rng.standard_normal(a.shape), rng.standard_normal(b.shape)
    f = lambda a, b: signal.convolve(a, b, mode="same")  # noqa: E731
    out, tangent = ad.jvp(f, (a, b), (da, db))
    g = rng.standard_normal(out.shape)
    _, vjp_fn = ad.vjp(f, a, b)
    ga, gb = vjp_fn(g)
    np.testing.assert_allclose(np.sum(g * tangent), np.sum(ga * da) + np.sum(gb * db))


def test_kernel_gradient_by_jacobian_shapes(rng):
    x, k = rng.standard_normal(9), rng.standard_normal(4)
    jac = ad.jacfwd(lambda k: signal.fftconvolve(x, k, mode="valid"))(k)
    assert jac.shape == (6, 4)
    np.testing.assert_allclose(jac, ad.jacrev(lambda k: signal.convolve(x, k, mode="valid"))(k))


def test_bad_input_is_refused_as_scipy_does(rng):
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 4))
    with pytest.raises(ValueError, match="at least as large"):
        ad.grad(lambda a: np.sum(signal.convolve(a, b, mode="valid")))(a)
    with pytest.raises(ValueError, match="mode"):
        signal.convolve(a, a, mode="circular")
    with pytest.raises(ValueError, match="dimensionality"):
        signal.convolve(a, np.ones(3))
    with pytest.raises(ValueError, match="incompatible shapes"):
        signal.fftconvolve(a, np.ones((2, 3)), axes=1)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_scipys_own_functions_point_here(name):
    kernel = np.array([1.0, -1.0])
    with pytest.raises(TypeError, match=rf"autodiff\.scipy\.signal\.{name}"):
        ad.grad(lambda x: np.sum(getattr(scipy.signal, name)(x, kernel)))(np.ones(4))
