"""Tests of autodiff.scipy.ndimage: values equal SciPy's, reverse rules are true
adjoints (dot-product test), and derivatives match finite differences in both modes."""

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff.scipy import _ndimage_boundary as boundary
from autodiff.scipy import _ndimage_bspline as bspline
from autodiff.scipy import _ndimage_filters as filters
from autodiff.scipy import _ndimage_interpolation as interpolation
from autodiff.scipy import _ndimage_prefilter as prefilter
from autodiff.scipy import ndimage as adi

FILTER_MODES = ["reflect", "mirror", "nearest", "wrap", "constant"]
INTERP_MODES = ["constant", "grid-constant", "nearest", "reflect", "mirror", "grid-wrap"]


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def dot_test(linear, x, y):
    """<A x, y> == <x, A^T y> with A^T from reverse mode."""
    out, vjp_fn = ad.vjp(linear, x)
    (back,) = vjp_fn(y)
    lhs, rhs = np.vdot(out, y), np.vdot(x, back)
    assert lhs == pytest.approx(rhs, rel=1e-11, abs=1e-11)


# ------------------------------------------------------------------------------------
# values equal SciPy's
# ------------------------------------------------------------------------------------


@pytest.mark.parametrize("order", [0, 1, 3])
@pytest.mark.parametrize("mode", INTERP_MODES)
def test_map_coordinates_values_match_scipy(rng, order, mode):
    x = rng.standard_normal((6, 7))
    c = rng.uniform(-2.5, 8.5, size=(2, 40))
    c[:, :3] = [[0.0, 5.0, 2.0], [0.0, 6.0, 3.5]]  # grid points and edges
    expected = ndi.map_coordinates(x, c, order=order, mode=mode, cval=0.7)
    assert np.allclose(adi.map_coordinates(x, c, order=order, mode=mode, cval=0.7), expected)
    # the private kernel behind the derivative rules computes the same values
    coeff, offset = prefilter._prefilter(x, order, mode, 0.7, 2)
    mine = bspline._interp(coeff, c + offset, order=order, mode=mode, cval=0.7, deriv=(0, 0))
    assert np.allclose(mine, expected, atol=1e-12)


@pytest.mark.parametrize("mode", FILTER_MODES)
@pytest.mark.parametrize("origin", [0, (1, -1)])
def test_correlate_kernel_matches_scipy(rng, mode, origin):
    x, w = rng.standard_normal((7, 9)), rng.standard_normal((3, 4))
    rule = boundary._FILTER_MODES[mode]
    widths = filters._filter_widths(w.shape, filters._origins(origin, 2))
    mine = filters._correlate_valid(boundary._pad(x, widths=widths, rule=rule, cval=0.4), w)
    assert np.allclose(mine, ndi.correlate(x, w, mode=mode, cval=0.4, origin=origin))
    assert np.allclose(adi.convolve(x, w, mode=mode, cval=0.4, origin=origin),
                       ndi.convolve(x, w, mode=mode, cval=0.4, origin=origin))


@pytest.mark.parametrize("mode", FILTER_MODES)
@pytest.mark.parametrize(("sigma", "order"), [(1.3, 0), ((0.8, 2.0), (1, 2))])
def test_gaussian_kernel_matches_scipy(rng, mode, sigma, order):
    x = rng.standard_normal((11, 8))
    passes = filters._gaussian_passes(2, sigma, order, 4.0, None)
    mine = filters._gaussian_apply(x, passes, boundary._FILTER_MODES[mode], 2)
    assert np.allclose(mine, ndi.gaussian_filter(x, sigma, order=order, mode=mode))


@pytest.mark.parametrize("order", [1, 3])
@pytest.mark.parametrize("mode", ["constant", "nearest", "reflect", "mirror"])
@pytest.mark.parametrize("grid_mode", [False, True])
def test_zoom_grid_matches_scipy(rng, order, mode, grid_mode):
    x = rng.standard_normal((7, 9))
    mode_ = "grid-constant" if (grid_mode and mode == "constant") else mode
    ref = ndi.zoom(x, (1.6, 0.45), order=order, mode=mode_, grid_mode=grid_mode)
    grid = interpolation._zoom_grid(x.shape, (1.6, 0.45), grid_mode)
    assert np.allclose(ndi.map_coordinates(x, grid, order=order, mode=mode_), ref)


# ------------------------------------------------------------------------------------
# reverse rules are true adjoints
# ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", FILTER_MODES)
def test_pad_adjoint_dot(rng, mode):
    x = rng.standard_normal((5, 4))
    widths = ((7, 2), (0, 3))  # wider than the array: repeated reflections
    rule = boundary._FILTER_MODES[mode]
    y = rng.standard_normal((14, 7))
    dot_test(lambda v: boundary._pad(v, widths=widths, rule=rule), x, y)


@pytest.mark.parametrize("mode", FILTER_MODES)
@pytest.mark.parametrize("origin", [0, (1, -1)])
def test_correlate_adjoint_dot(rng, mode, origin):
    x, w, y = rng.standard_normal((7, 9)), rng.standard_normal((3, 4)), rng.standard_normal((7, 9))
    dot_test(lambda v: adi.correlate(v, w, mode=mode, origin=origin), x, y)
    dot_test(lambda v: adi.convolve(v, w, mode=mode, origin=origin), x, y)
    # bilinear: also linear in the kernel
    dot_test(lambda k: adi.correlate(x, k, mode=mode, origin=origin), w, y)


@pytest.mark.parametrize("mode", FILTER_MODES)
def test_gaussian_adjoint_dot(rng, mode):
    x, y = rng.standard_normal((9, 6)), rng.standard_normal((9, 6))
    dot_test(lambda v: adi.gaussian_filter(v, (1.5, 0.9), order=(0, 1), mode=mode), x, y)


@pytest.mark.parametrize("order", [0, 1, 3])
@pytest.mark.parametrize("mode", INTERP_MODES)
def test_map_coordinates_image_adjoint_dot(rng, order, mode):
    x = rng.standard_normal((6, 7))
    c = rng.uniform(-2.0, 8.0, size=(2, 5, 4))
    y = rng.standard_normal((5, 4))
    dot_test(lambda v: adi.map_coordinates(v, c, order=order, mode=mode), x, y)


@pytest.mark.parametrize("mode", ["mirror", "reflect", "nearest", "grid-wrap"])
def test_spline_filter_and_zoom_adjoint_dot(rng, mode):
    x = rng.standard_normal((6, 8))
    dot_test(lambda v: adi.spline_filter(v, mode=mode), x, rng.standard_normal((6, 8)))
    dot_test(lambda v: adi.zoom(v, 1.5, order=3, mode=mode), x, rng.standard_normal((9, 12)))


def test_interp_scatter_adjoint_with_derivative_weights(rng):
    # the private scatter-add is the adjoint of interpolation for every derivative order
    c = rng.uniform(-2.0, 8.0, size=(2, 30))
    xb = rng.standard_normal((3, 6, 7))  # leading batch axis, as forward-mode tangents
    y = rng.standard_normal((3, 30))
    for deriv in [(0, 0), (1, 0), (2, 1)]:
        a = bspline._interp(xb, c, order=3, mode="reflect", cval=0.0, deriv=deriv)
        at = bspline._interp_adjoint(y, c, shape=(6, 7), order=3, mode="reflect", deriv=deriv)
        assert np.vdot(a, y) == pytest.approx(np.vdot(xb, at), rel=1e-12)


# ------------------------------------------------------------------------------------
# finite differences, both modes
# ------------------------------------------------------------------------------------


@pytest.mark.parametrize("order", [1, 3])
@pytest.mark.parametrize("mode", INTERP_MODES)
def test_map_coordinates_grads(rng, order, mode):
    x = rng.standard_normal((6, 7))
    # keep points off the integer lines where order-1 weights have kinks
    c = np.floor(rng.uniform(-1.0, 7.0, size=(2, 4, 3))) + rng.uniform(0.1, 0.9, (2, 4, 3))
    if mode == "constant":
        c = np.clip(c, 0.1, 4.9)
    ad.check_grads(lambda v, p: adi.map_coordinates(v, p, order=order, mode=mode, cval=0.3),
                   (x, c), modes=("fwd", "rev"), order=1)


def test_map_coordinates_grads_3d_and_second_order(rng):
    x = rng.standard_normal((4, 5, 6))
    c = rng.uniform(0.2, 3.8, size=(3, 7))
    f = lambda v, p: adi.map_coordinates(v, p, order=3, mode="mirror")
    ad.check_grads(f, (x, c), modes=("fwd", "rev"), order=1)
    # second order (forward-over-reverse through the private primitives)
    ad.check_grads(lambda p: f(x, p), (c,), modes=("fwd", "rev"), order=2)


def test_map_coordinates_coordinate_gradient_is_image_gradient(rng):
    # for a linear ramp the interpolant's gradient is the ramp's slope
    rows, cols = np.mgrid[0:8, 0:9].astype(float)
    image = 0.5 * rows - 0.25 * cols
    c = rng.uniform(1.0, 6.0, size=(2, 10))
    jac = ad.jacfwd(lambda p: adi.map_coordinates(image, p, order=1))(c)
    assert jac.shape == (10, 2, 10)
    per_point = jac[np.arange(10), :, np.arange(10)]  # d value_p / d coordinate_p
    assert np.allclose(per_point, [0.5, -0.25])
    assert np.count_nonzero(jac) == 20  # a point's value ignores other points
    # cubic splines reproduce the ramp away from the boundary (its effect decays as 0.27^d)
    rows, cols = np.mgrid[0:40, 0:40].astype(float)
    image = 0.5 * rows - 0.25 * cols
    c = rng.uniform(15.0, 25.0, size=(2, 10))
    g = ad.grad(lambda p: np.sum(adi.map_coordinates(image, p, order=3, mode="nearest")))(c)
    assert np.allclose(g[0], 0.5) and np.allclose(g[1], -0.25)


@pytest.mark.parametrize("mode", FILTER_MODES)
def test_filter_grads(rng, mode):
    x, w = rng.standard_normal((6, 7)), rng.standard_normal((3, 2))
    ad.check_grads(lambda v, k: adi.correlate(v, k, mode=mode, cval=0.2), (x, w),
                   modes=("fwd", "rev"), order=1)
    ad.check_grads(lambda v: adi.gaussian_filter(v, 1.1, mode=mode, cval=0.2), (x,),
                   modes=("fwd", "rev"), order=1)


@pytest.mark.parametrize("mode", FILTER_MODES)
def test_correlate1d_matches_scipy_and_grads(rng, mode):
    x, w = rng.standard_normal((6, 7)), rng.standard_normal(4)
    expected = ndi.correlate1d(x, w, axis=0, mode=mode, cval=0.2, origin=-1)
    f = lambda v, k: adi.correlate1d(v, k, axis=0, mode=mode, cval=0.2, origin=-1)
    assert np.allclose(f(x, w), expected)
    ad.check_grads(f, (x, w), modes=("fwd", "rev"), order=1)


def test_second_order_filters_and_zoom(rng):
    x, w = rng.standard_normal((6, 7)), rng.standard_normal((3, 3))
    ad.check_grads(lambda v, k: np.sum(adi.convolve(v, k, mode="mirror") ** 2), (x, w),
                   modes=("fwd", "rev"), order=2)
    ad.check_grads(lambda v: np.sum(adi.gaussian_filter(v, 0.8) ** 3), (x,),
                   modes=("fwd", "rev"), order=2)
    ad.check_grads(lambda v: adi.zoom(v, 0.7, order=3, mode="nearest"), (x,),
                   modes=("fwd", "rev"), order=1)


def test_jacfwd_equals_jacrev_with_batch_equal_to_a_dimension(rng):
    # k (number of tangents) equals a dimension size: the classic broadcasting trap
    x = rng.standard_normal((3, 3))
    c = rng.uniform(0.2, 1.8, size=(2, 3))
    f = lambda v: adi.map_coordinates(v, c, order=3, mode="reflect")
    assert np.allclose(ad.jacfwd(f)(x), ad.jacrev(f)(x))
    g = lambda p: adi.map_coordinates(x, p.reshape(2, 3), order=1, mode="nearest")
    p = c.ravel()
    assert np.allclose(ad.jacfwd(g)(p), ad.jacrev(g)(p))


# ------------------------------------------------------------------------------------
# errors
# ------------------------------------------------------------------------------------


def test_errors(rng):
    x = rng.standard_normal((5, 5))
    with pytest.raises(ValueError, match=r"coordinates must have shape \(2, ...\)"):
        adi.map_coordinates(x, np.zeros((3, 4)))
    with pytest.raises(ValueError, match="grid-wrap"):
        adi.map_coordinates(x, np.zeros((2, 4)), mode="wrap")
    with pytest.raises(ValueError, match="order must be 0, 1 or 3"):
        adi.map_coordinates(x, np.zeros((2, 4)), order=2)
    with pytest.raises(ValueError, match="mode must be one of"):
        adi.correlate(x, np.ones((3, 3)), mode="bogus")
    with pytest.raises(ValueError, match="weights must have 2 dimensions"):
        adi.correlate(x, np.ones(3))


@pytest.mark.parametrize("mode", ["grid-constant", "nearest", "reflect", "grid-wrap"])
def test_map_coordinates_second_order_in_both_arguments(rng, mode):
    x = rng.standard_normal((5, 6))
    c = rng.uniform(-0.8, 5.8, size=(2, 6))
    ad.check_grads(lambda v, p: np.sum(adi.map_coordinates(v, p, order=3, mode=mode) ** 2),
                   (x, c), modes=("fwd", "rev"), order=2)


# ------------------------------------------------------------------------------------
# property tests: any shape, any mode, any number of dimensions
# ------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=3),
       n_points=st.integers(1, 6), order=st.sampled_from([0, 1, 3]),
       mode=st.sampled_from(INTERP_MODES), seed=st.integers(0, 2**16))
def test_map_coordinates_adjoint_property(shape, n_points, order, mode, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    c = rng.uniform(-2.0, np.array(shape)[:, None] + 1.0, size=(len(shape), n_points))
    assert np.allclose(adi.map_coordinates(x, c, order=order, mode=mode),
                       ndi.map_coordinates(x, c, order=order, mode=mode))
    dot_test(lambda v: adi.map_coordinates(v, c, order=order, mode=mode), x,
             rng.standard_normal(n_points))


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 6), min_size=1, max_size=3),
       kernel=st.lists(st.integers(1, 4), min_size=3, max_size=3),
       mode=st.sampled_from(FILTER_MODES), seed=st.integers(0, 2**16))
def test_correlate_adjoint_property(shape, kernel, mode, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    w = rng.standard_normal(kernel[:len(shape)])
    assert np.allclose(adi.correlate(x, w, mode=mode), ndi.correlate(x, w, mode=mode))
    dot_test(lambda v: adi.correlate(v, w, mode=mode), x, rng.standard_normal(shape))
