"""The compiled B-spline value and coordinate-gradient kernel of registration."""

import numpy as np
import pytest
import scipy.ndimage as ndi

import autodiff as ad
from applications.registration._interp import SplineImage, sample, sample_gradient
from autodiff.scipy import ndimage as adi


def _image(shape, seed=0):
    return ndi.gaussian_filter(np.random.default_rng(seed).random(shape), 1.5)


def _points(shape, n, seed=1, margin=0.0):
    rng = np.random.default_rng(seed)
    return np.stack([rng.uniform(margin, s - 1 - margin, n) for s in shape])


@pytest.mark.parametrize("order", [1, 3])
@pytest.mark.parametrize("shape", [(12, 15), (9, 10, 11)])
def test_values_and_gradient_match_scipy_and_the_core(order, shape):
    image = _image(shape)
    spline = SplineImage(image, order)
    pts = _points(shape, 40)
    coeff = ndi.spline_filter(image, order=3, mode="mirror") if order == 3 else image
    expected = ndi.map_coordinates(coeff, pts, order=order, mode="mirror", prefilter=False)
    assert np.allclose(spline.values(pts), expected, atol=1e-12)
    core = ad.grad(lambda c: np.sum(adi.map_coordinates(coeff, c, order=order, mode="mirror",
                                                        prefilter=False)))(pts)
    assert np.allclose(spline.gradient(pts), core, atol=1e-10)


@pytest.mark.parametrize("order", [1, 3])
def test_check_grads_forward_and_reverse(order):
    shape = (10, 12)
    spline = SplineImage(_image(shape), order)
    # away from the knots (order 1 is not differentiable there)
    pts = _points(shape, 7, margin=0.5)
    pts = np.floor(pts) + np.clip(pts - np.floor(pts), 0.1, 0.9)
    weights = np.random.default_rng(2).standard_normal(7)
    ad.check_grads(lambda c: np.sum(weights * sample(c, image=spline)), (pts,),
                   modes=("fwd", "rev"), order=2 if order == 3 else 1)


def test_check_grads_three_d_jacobian():
    shape = (8, 9, 10)
    spline = SplineImage(_image(shape), 3)
    pts = _points(shape, 5, margin=0.5)
    ad.check_grads(lambda c: sample(c, image=spline), (pts,), modes=("fwd", "rev"), order=1)
    ad.check_grads(lambda c: sample_gradient(c, image=spline), (pts,), modes=("fwd", "rev"),
                   order=1)


def test_coordinates_clamp_axis_by_axis():
    shape = (10, 10)
    spline = SplineImage(_image(shape), 3)
    outside = np.array([[-2.0, 4.3, 12.5], [3.2, -0.5, 4.6]])
    clamped = np.array([[0.0, 4.3, 9.0], [3.2, 0.0, 4.6]])
    assert np.allclose(spline.values(outside), spline.values(clamped))
    grad = spline.gradient(outside)
    assert grad[0, 0] == 0.0 and grad[1, 1] == 0.0 and grad[0, 2] == 0.0
    assert grad[1, 0] != 0.0 and grad[0, 1] != 0.0 and grad[1, 2] != 0.0
    ad.check_grads(lambda c: sample(c, image=spline), (outside,), modes=("fwd", "rev"),
                   order=2)


def test_jacfwd_of_affine_coordinates_uses_the_kernel():
    shape = (16, 18)
    spline = SplineImage(_image(shape), 3)
    grid = np.stack(np.meshgrid(np.arange(2.0, 14.0), np.arange(2.0, 16.0), indexing="ij"))

    def warped(p):
        coords = np.stack([p[0] * grid[0] + p[1] * grid[1] + p[4],
                           p[2] * grid[0] + p[3] * grid[1] + p[5]])
        return np.ravel(sample(coords, image=spline))

    p = np.array([0.98, 0.02, -0.01, 1.01, 0.3, -0.2])
    jac = ad.jacfwd(warped)(p)
    assert jac.shape == (grid[0].size, 6)
    assert np.allclose(jac, ad.jacrev(warped)(p), atol=1e-10)
    assert np.allclose(jac, ad.numerical.jacobian(warped, p), atol=1e-6)


def test_bad_order_and_rank():
    with pytest.raises(ValueError, match="order must be 1 or 3"):
        SplineImage(np.zeros((8, 8)), order=2)
    with pytest.raises(ValueError, match="2-D or larger"):
        SplineImage(np.zeros(8))


@pytest.mark.parametrize("order", [1, 3])
@pytest.mark.parametrize("shape", [(20, 23), (9, 11, 10)])
@pytest.mark.parametrize("step", [1, 3])
def test_shifted_grid_sampling_is_the_pointwise_one(order, shape, step):
    from applications.registration._transforms import identity_grid

    rng = np.random.default_rng(4)
    spline = SplineImage(rng.random(shape), order)
    # every step-th pixel per axis (23 is no multiple of 3: a shorter last interval)
    grid = identity_grid(shape)[(slice(None),) + (slice(None, None, step),) * len(shape)]
    # fractional, integer and large shifts: points leave the image on both sides
    for shift in [rng.uniform(-3.0, 3.0, len(shape)), np.array([2.0] + [-1.5] * (len(shape) - 1)),
                  np.zeros(len(shape))]:
        coords = grid + shift.reshape((-1,) + (1,) * len(shape))
        values = spline.shifted(shift, step=step)
        assert values.shape == coords.shape[1:]
        assert np.allclose(values, spline.values(coords), rtol=0, atol=1e-12)
        gradient = spline.gradient(coords)
        for d in range(len(shape)):
            assert np.allclose(spline.shifted(shift, derivative=d, step=step), gradient[d],
                               rtol=0, atol=1e-12)
