"""NumPy functions composed from primitives (order statistics, NaN reductions, array
manipulation, differences, polynomials, 1-D convolution, einsum forms): values equal
NumPy's and derivatives match finite differences in both modes at second order."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.numpy as anp

rng = np.random.default_rng(7)


def distinct(*shape):
    n = int(np.prod(shape))
    return rng.permutation(np.linspace(-2.0, 2.0, n) + 0.01 * rng.uniform(size=n)).reshape(shape)


V = distinct(7)
M = distinct(4, 5)
T = distinct(2, 3, 4)
S = rng.standard_normal((3, 3))
W = rng.uniform(0.5, 1.5, size=(4, 5))
NANS = np.where(rng.uniform(size=(4, 5)) < 0.25, np.nan, M)
NANS[0, 0] = 1.0

CASES = {
    "partition": (lambda a: np.partition(a, 3), (V,)),
    "partition[axis 0]": (lambda a: np.partition(a, 1, axis=0), (M,)),
    "median": (np.median, (V,)),
    "median[even, axis]": (lambda a: np.median(a, axis=0), (M,)),
    "median[keepdims]": (lambda a: np.median(a, axis=(0, 2), keepdims=True), (T,)),
    "percentile": (lambda a: np.percentile(a, [10.0, 55.0], axis=1), (M,)),
    "quantile": (lambda a: np.quantile(a, 0.3), (V,)),
    "quantile[midpoint]": (lambda a: np.quantile(a, 0.3, method="midpoint"), (V,)),
    "quantile[lower]": (lambda a: np.quantile(a, [0.3, 0.9], axis=-1, method="lower"), (M,)),
    "ptp": (lambda a: np.ptp(a, axis=1), (M,)),
    "nansum": (lambda a: np.nansum(a * 1.0, axis=0), (NANS,)),
    "nanmean": (np.nanmean, (NANS,)),
    "nanvar": (lambda a: np.nanvar(a, axis=1), (NANS,)),
    "nanstd": (np.nanstd, (NANS,)),
    "nanmax": (lambda a: np.nanmax(a, axis=0), (NANS,)),
    "nanmin": (np.nanmin, (NANS,)),
    "nanprod": (lambda a: np.nanprod(a, axis=1), (NANS,)),
    "nancumsum": (lambda a: np.nancumsum(a, axis=1), (NANS,)),
    "nanmedian": (np.nanmedian, (NANS,)),
    "nanpercentile": (lambda a: np.nanpercentile(a, 40.0), (NANS,)),
    "append": (lambda a: np.append(a, a[:2]), (M,)),
    "append[axis]": (lambda a: np.append(a, a[:1], axis=0), (M,)),
    "rot90": (np.rot90, (M,)),
    "rot90[k=2]": (lambda a: np.rot90(a, 2), (M,)),
    "rot90[k=3, axes]": (lambda a: np.rot90(a, 3, axes=(2, 0)), (T,)),
    "atleast_3d": (lambda a: np.atleast_3d(a) * 2.0, (M,)),
    "dstack": (lambda a: np.dstack([a, a * a]), (M,)),
    "hsplit": (lambda a: np.hsplit(a, [2])[1], (M,)),
    "vsplit": (lambda a: np.vsplit(a, 2)[0], (M,)),
    "dsplit": (lambda a: np.dsplit(a, 2)[1], (T,)),
    "select": (lambda a: np.select([a > 1, a < -1], [a * a, -a], default=a), (M,)),
    "piecewise": (lambda a: np.piecewise(a, [a < 0], [lambda x: x * x, lambda x: np.sin(x)]),
                  (V,)),
    "kron": (np.kron, (S, M[:2, :3])),
    "kron[1-D and 2-D]": (np.kron, (V[:3], S)),
    "cumprod": (lambda a: np.cumprod(a, axis=1), (M,)),
    "cumprod[zero entry]": (np.cumprod, (np.array([1.5, 0.0, 2.0, -1.0]),)),
    "average": (lambda a, w: np.average(a, axis=1, weights=w), (M, W)),
    "average[1-D weights]": (lambda a, w: np.average(a, axis=1, weights=w), (M, W[0])),
    "gradient": (np.gradient, (V,)),
    "gradient[2-D, spacing]": (lambda a: np.gradient(a, 0.5)[1], (M,)),
    "gradient[edge_order 2]": (lambda a: np.gradient(a, edge_order=2, axis=0), (M,)),
    "cross": (np.cross, (distinct(4, 3), distinct(4, 3))),
    "interp": (lambda x, fp: np.interp(x, np.arange(5.0), fp),
               (np.array([-0.5, 0.3, 2.7, 4.5]), distinct(5))),
    "polyval": (np.polyval, (distinct(4), V)),
    "convolve": (np.convolve, (V, distinct(3))),
    "convolve[same]": (lambda a, v: np.convolve(a, v, mode="same"), (V, distinct(4))),
    "convolve[valid]": (lambda a, v: np.convolve(a, v, mode="valid"), (distinct(3), V)),
    "correlate": (np.correlate, (V, distinct(3))),
    "correlate[full]": (lambda a, v: np.correlate(a, v, mode="full"), (V, distinct(3))),
    "sinc": (np.sinc, (np.array([-1.3, -1e-4, 0.0, 2e-4, 0.4, 3.0]),)),
    "einsum[trace]": (lambda a: np.einsum("ii", a), (S,)),
    "einsum[diagonal]": (lambda a: np.einsum("ii->i", a), (S,)),
    "einsum[sublist]": (lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]), (S, M[:3])),
    "norm[keepdims]": (lambda a: np.linalg.norm(a, axis=1, keepdims=True), (M,)),
    "r_": (lambda a: anp.r_[a, a[:2] * 2.0], (V,)),
    "c_": (lambda a: anp.c_[a, a * a], (V,)),
}


@pytest.mark.parametrize("key", sorted(CASES))
def test_value_and_derivatives(key):
    f, args = CASES[key]
    out, _ = ad.jvp(f, args, tuple(np.zeros_like(a) for a in args))
    reference = f(*args) if key not in ("r_", "c_") else {
        "r_": lambda a: np.r_[a, a[:2] * 2.0], "c_": lambda a: np.c_[a, a * a]}[key](*args)
    np.testing.assert_allclose(out, reference, rtol=1e-12, atol=1e-12)
    ad.check_grads(f, args, modes=("fwd", "rev"), order=2)


def test_median_at_ties_follows_the_stable_sort():
    x = np.array([1.0, 2.0, 2.0, 5.0])
    np.testing.assert_allclose(ad.grad(np.median)(x), [0.0, 0.5, 0.5, 0.0])
    y = np.array([3.0, 1.0, 3.0])
    np.testing.assert_allclose(ad.grad(np.median)(y), [1.0, 0.0, 0.0])


def test_nan_entries_get_derivative_zero():
    g = ad.grad(np.nanmean)(NANS)
    assert np.all(g[np.isnan(NANS)] == 0.0)
    np.testing.assert_allclose(g[~np.isnan(NANS)], 1.0 / np.sum(~np.isnan(NANS)))


def test_sinc_second_derivative_at_zero():
    assert abs(ad.hessian(np.sinc)(0.0) + np.pi ** 2 / 3) < 1e-9


def test_reductions_of_a_list_of_traced_values():
    assert ad.grad(lambda x: anp.mean([x, 2 * x, x ** 2]))(1.5) == pytest.approx(2.0)
    assert ad.grad(lambda x: anp.sum((x, x * x)))(3.0) == pytest.approx(7.0)
    assert ad.grad(lambda x: anp.var([x, 2 * x]))(1.5) == pytest.approx(0.75)


def test_plain_numpy_on_a_list_of_tracers_and_scalar_conversion_are_clear_errors():
    with pytest.raises(TypeError, match="drop its derivative"):
        ad.grad(lambda x: np.mean([x, 2 * x]))(1.5)
    with pytest.raises(TypeError, match="drop its derivative"):
        ad.grad(lambda x: np.float64(x) * 2.0)(1.5)


def test_unsupported_options_are_refused_clearly():
    with pytest.raises(NotImplementedError, match="method"):
        ad.grad(lambda a: np.quantile(a, 0.5, method="weibull"))(V)
    with pytest.raises(NotImplementedError, match="coordinate"):
        ad.grad(lambda a: np.sum(np.gradient(a, np.arange(7.0) ** 2)))(V)
