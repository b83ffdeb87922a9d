"""denoise / denoise_huber / denoise_tikhonov: AD-minimised energies checked against exact
solutions and against the TV solver."""

import numpy as np
import pytest
from scipy.fft import dctn, idctn

from applications.denoising import (
    denoise,
    denoise_huber,
    denoise_tikhonov,
    denoise_tv,
    forward_differences,
    huber_tv,
    tv_energy,
)


def noisy_image(shape=(24, 20), seed=0, sigma=0.1):
    rng = np.random.default_rng(seed)
    y, x = np.indices(shape[:2])
    clean = ((x > shape[1] // 3) ^ (y > shape[0] // 2)).astype(float)
    if len(shape) == 3:
        clean = np.stack([clean * (c + 1) / shape[2] for c in range(shape[2])], axis=-1)
    return clean, clean + sigma * rng.standard_normal(shape)


def tikhonov_exact(f, weight):
    """(I + w grad^T grad) u = f with Neumann differences: diagonal in the DCT-II basis."""
    eig = sum(np.reshape(2 - 2 * np.cos(np.pi * np.arange(n) / n),
                         [-1 if a == i else 1 for a in range(f.ndim)])
              for i, n in enumerate(f.shape))
    return idctn(dctn(f, norm="ortho") / (1 + weight * eig), norm="ortho")


@pytest.mark.parametrize("method", ["lbfgs", "newton-cg"])
def test_tikhonov_matches_closed_form(method):
    _, f = noisy_image()
    res = denoise_tikhonov(f, 2.0, method=method, tol=1e-10, return_info=True)
    exact = tikhonov_exact(f, 2.0)
    np.testing.assert_allclose(res.image, exact, rtol=0, atol=1e-7)
    assert res.grad_norm <= 1e-6
    assert res.image.dtype == np.float64


def test_tikhonov_color_is_per_channel_and_float32_kept():
    _, f = noisy_image((16, 12, 3), seed=1)
    f32 = f.astype(np.float32)
    out = denoise_tikhonov(f32, 1.5, channel_axis=-1, tol=1e-4)
    assert out.dtype == np.float32 and out.shape == f.shape
    exact = np.stack([tikhonov_exact(f[..., c], 1.5) for c in range(3)], axis=-1)
    np.testing.assert_allclose(out, exact, rtol=0, atol=1e-3)


def test_forward_differences_match_numpy_and_boundary():
    u = np.random.default_rng(2).standard_normal((5, 4, 3))
    d0, d2 = forward_differences(u, (0, 2))
    np.testing.assert_array_equal(d0[:-1], np.diff(u, axis=0))
    np.testing.assert_array_equal(d0[-1], 0.0)
    np.testing.assert_array_equal(d2[..., :-1], np.diff(u, axis=2))
    np.testing.assert_array_equal(d2[..., -1], 0.0)


def test_huber_formula_and_limits():
    u = np.array([[0.0, 0.005, 0.5], [0.0, 0.0, 0.0]])
    # gradient norms: row 0 along axis 1: 0.005, 0.495, 0; along axis 0: 0, 0.005, 0.5
    axes = (0, 1)
    g = np.sqrt(sum(d ** 2 for d in forward_differences(u, axes)))
    delta = 0.01
    expected = np.where(g <= delta, g ** 2 / (2 * delta), g - delta / 2).sum()
    assert huber_tv(u, axes, delta) == pytest.approx(expected, rel=1e-14)


def test_huber_tends_to_tv_and_has_no_nan_gradient_on_flat_regions():
    _, f = noisy_image(seed=3)
    f[:5, :5] = 0.3  # flat patch: zero gradients, where sqrt would have an infinite slope
    tv = denoise_tv(f, 0.1, tol=1e-9, max_iter=20000, return_info=True)
    res = denoise_huber(f, 0.1, delta=1e-3, tol=1e-7, return_info=True)
    assert np.isfinite(res.image).all()
    e = tv_energy(res.image, f, 0.1)
    assert tv.energy <= e <= tv.energy * (1 + 2e-3)
    smooth = denoise_huber(f, 0.1, delta=0.2, tol=1e-7)
    # a large delta is a quadratic penalty: farther from the TV solution
    assert np.abs(smooth - tv.image).mean() > np.abs(res.image - tv.image).mean()


def test_denoise_custom_regularizer_exact_solution():
    """R(u) = 1/2 ||u - c||^2 gives u = (f + w c) / (1 + w)."""
    _, f = noisy_image(seed=4)
    c = np.full_like(f, 0.25)
    res = denoise(f, lambda u: 0.5 * np.sum((u - c) ** 2), 3.0, tol=1e-10, return_info=True)
    np.testing.assert_allclose(res.image, (f + 3.0 * c) / 4.0, rtol=0, atol=1e-9)
    assert res.success and res.energy >= 0


def test_denoise_nonconvex_regularizer_reaches_stationary_point():
    """Perona-Malik-type log penalty, written once in NumPy; gradient from AD."""
    _, f = noisy_image(seed=5)

    def lorentzian(u):
        return sum(np.sum(np.log1p(d * d / 0.01)) for d in forward_differences(u, (0, 1)))

    res = denoise(f, lorentzian, 0.02, tol=1e-8, return_info=True)
    before = 0.5 * 0.0 + 0.02 * lorentzian(f)
    assert res.energy < before
    # stationarity checked by central finite differences of the energy at a few pixels
    energy = lambda u: 0.5 * np.sum((u - f) ** 2) + 0.02 * lorentzian(u)
    h = 1e-6
    for idx in [(0, 0), (7, 3), (12, 8), (23, 19)]:
        e = np.zeros_like(f)
        e[idx] = h
        slope = (energy(res.image + e) - energy(res.image - e)) / (2 * h)
        assert abs(slope) < 1e-5


def test_denoise_bounds_respected():
    _, f = noisy_image(seed=6, sigma=0.3)
    out = denoise(f, lambda u: 0.5 * sum(np.sum(d * d) for d in forward_differences(u, (0, 1))),
                  0.5, bounds=(0.0, 1.0))
    assert out.min() >= 0.0 and out.max() <= 1.0
    free = denoise_tikhonov(f, 0.5, tol=1e-8)
    assert free.min() < 0.0 or free.max() > 1.0  # the bounds were active


def test_denoise_errors():
    f = np.ones((4, 4))
    with pytest.raises(TypeError, match="callable"):
        denoise(f, 3.0, 0.1)
    with pytest.raises(ValueError, match="scalar"):
        denoise(f, lambda u: u * 2, 0.1)
    with pytest.raises(ValueError, match="NaN"):
        denoise(np.full((3, 3), np.nan), lambda u: np.sum(u), 0.1)
    with pytest.raises(ValueError, match="delta"):
        denoise_huber(f, 0.1, delta=0.0)
    with pytest.raises(ValueError, match="weight"):
        denoise_tikhonov(f, -2.0)


def test_denoise_warns_when_it_ends_short():
    # A non-smooth regulariser with a tiny budget: the result is returned, never silently.
    noisy = np.random.default_rng(0).random((16, 16))
    l1 = lambda u: np.sum(np.abs(np.diff(u, axis=0)))  # noqa: E731
    with pytest.warns(UserWarning, match="did not converge.*max_iter"):
        res = denoise(noisy, l1, 0.1, max_iter=3, return_info=True)
    assert not res.success and res.image.shape == noisy.shape


@pytest.mark.parametrize("scale", [255.0, 65535.0])
def test_float_image_far_outside_unit_range_warns(scale):
    noisy = scale * np.random.default_rng(0).random((16, 16))
    with pytest.warns(UserWarning, match=r"expected in \[0, 1\]"):
        denoise_tikhonov(noisy, 0.1)


def test_integer_image_using_a_sliver_of_its_dtype_warns():
    img = (np.random.default_rng(0).random((16, 16)) * 255).astype(np.int64)
    with pytest.warns(UserWarning, match="rescaled by their dtype"):
        denoise_tikhonov(img, 0.1)
