"""denoise_tv: agreement with scikit-image's Chambolle at convergence, and properties."""

import numpy as np
import pytest
from skimage import data, img_as_float
from skimage.restoration import denoise_tv_chambolle

from applications.denoising import DenoiseResult, denoise_tv, psnr, tv_energy


def blocks(shape, seed=0, sigma=0.15):
    """Piecewise-constant test image plus Gaussian noise (float64)."""
    rng = np.random.default_rng(seed)
    clean = np.zeros(shape)
    idx = np.indices(shape)
    clean[tuple(slice(s // 4, 3 * s // 4) for s in shape)] = 1.0
    clean += 0.5 * (idx[0] > shape[0] // 2)
    return clean, clean + sigma * rng.standard_normal(shape)


@pytest.mark.parametrize("shape, channel_axis", [
    ((40, 36), None), ((12, 10, 9), None), ((64,), None), ((20, 18, 3), -1), ((3, 16, 14), 0),
])
def test_chambolle_method_reproduces_skimage_iterates(shape, channel_axis):
    """Same discretisation (differences, boundary, n-D, channels): identical iterates."""
    _, noisy = blocks(shape, seed=1)
    for k in (1, 7):
        ours = denoise_tv(noisy, 0.1, method="chambolle", tol=0, max_iter=k,
                          channel_axis=channel_axis)  # exactly k iterations
        # scikit-image's loop returns u(p) from before its k+1-th dual update
        theirs = denoise_tv_chambolle(noisy, weight=0.1, eps=0.0, max_num_iter=k + 1,
                                      channel_axis=channel_axis)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-13)


@pytest.mark.parametrize("shape, channel_axis, weight", [
    ((40, 36), None, 0.12), ((12, 10, 9), None, 0.1), ((16, 14, 3), -1, 0.1),
])
def test_fista_matches_converged_chambolle(shape, channel_axis, weight):
    _, noisy = blocks(shape, seed=2)
    ref = denoise_tv_chambolle(noisy, weight=weight, eps=0.0, max_num_iter=20000,
                               channel_axis=channel_axis)
    res = denoise_tv(noisy, weight, tol=1e-9, max_iter=20000, channel_axis=channel_axis,
                     return_info=True)
    assert res.success and res.rel_gap <= 1e-9
    e_ours = tv_energy(res.image, noisy, weight, channel_axis=channel_axis)
    e_ref = tv_energy(ref, noisy, weight, channel_axis=channel_axis)
    assert res.energy == pytest.approx(e_ours, rel=1e-12)
    # Chambolle's fixed-step iteration is slower: after 20000 steps it is still a few 1e-7
    # above the optimum, which the gap certifies ours to be within 1e-9 of.
    assert e_ours <= e_ref * (1 + 1e-12)
    assert e_ref - e_ours <= 1e-6 * e_ref
    # strong convexity: ||u_ref - u*||^2 <= 2 (P(u_ref) - P*) <= 2 (e_ref - e_ours + gap)
    bound = np.sqrt(2 * (e_ref - e_ours + res.gap)) + np.sqrt(2 * res.gap)
    assert np.linalg.norm(res.image - ref) <= bound
    np.testing.assert_allclose(res.image, ref, rtol=0, atol=5e-4)


def test_color_is_per_channel():
    _, noisy = blocks((20, 18, 3), seed=2)
    out = denoise_tv(noisy, 0.1, channel_axis=-1, tol=1e-8, max_iter=20000)
    each = np.stack([denoise_tv(noisy[..., c], 0.1, tol=1e-8, max_iter=20000)
                     for c in range(3)], axis=-1)
    np.testing.assert_allclose(out, each, rtol=0, atol=1e-13)
    first = denoise_tv(np.moveaxis(noisy, -1, 0), 0.1, channel_axis=0, tol=1e-8,
                       max_iter=20000)
    np.testing.assert_allclose(np.moveaxis(first, 0, -1), out, rtol=0, atol=1e-13)
    # without channel_axis the same array is a 3-D volume: a different problem
    assert np.abs(denoise_tv(noisy, 0.1, tol=1e-8, max_iter=20000) - out).max() > 1e-3


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_energy_and_tv_decrease_dtype_and_shape_kept(dtype):
    clean, noisy = blocks((50, 60), seed=4)
    noisy = noisy.astype(dtype)
    before = noisy.copy()
    res = denoise_tv(noisy, 0.15, return_info=True)
    assert isinstance(res, DenoiseResult)
    assert res.image.dtype == dtype and res.image.shape == noisy.shape
    np.testing.assert_array_equal(noisy, before)  # input untouched
    e_noisy = tv_energy(noisy, noisy, 0.15)
    assert res.energy < 0.5 * e_noisy
    assert tv_energy(res.image, noisy, 1.0) - 0.5 * np.sum((res.image - noisy) ** 2.0) < (
        0.3 * tv_energy(noisy, noisy, 1.0))
    assert np.mean(np.abs(res.image - clean)) < 0.5 * np.mean(np.abs(noisy - clean))
    assert res.nit >= 1 and res.time > 0 and res.method == "fista"


def test_gap_certifies_distance_to_optimum():
    _, noisy = blocks((48, 48), seed=5)
    best = denoise_tv(noisy, 0.1, tol=1e-10, max_iter=20000, return_info=True)
    for tol in (1e-1, 1e-2, 1e-3):
        res = denoise_tv(noisy, 0.1, tol=tol, return_info=True)
        assert res.success and res.rel_gap <= tol
        excess = res.energy - best.energy
        assert 0 <= excess <= res.gap * (1 + 1e-9)
        # strong convexity: ||u - u*||^2 <= 2 (P(u) - P*)
        assert np.sum((res.image - best.image) ** 2) <= 2 * (excess + best.gap) * (1 + 1e-6)


def test_budget_exhausted_is_reported():
    _, noisy = blocks((32, 32), seed=6)
    with pytest.warns(UserWarning, match="iteration budget"):
        res = denoise_tv(noisy, 0.3, tol=1e-12, max_iter=3, return_info=True)
    assert not res.success and res.nit == 3 and "budget" in res.message
    assert res.rel_gap > 1e-12


def test_integer_image_converted_like_img_as_float():
    img = data.camera()[::8, ::8]
    out = denoise_tv(img, 0.05, tol=1e-8, max_iter=5000)
    assert out.dtype == np.float64
    ref = denoise_tv(img_as_float(img), 0.05, tol=1e-8, max_iter=5000)
    np.testing.assert_allclose(out, ref, atol=1e-12)
    assert 0.0 <= out.min() and out.max() <= 1.0


def test_float16_becomes_float32_and_zero_weight_is_identity():
    _, noisy = blocks((16, 16))
    assert denoise_tv(noisy.astype(np.float16), 0.1).dtype == np.float32
    out = denoise_tv(noisy, 0.0)
    np.testing.assert_array_equal(out, noisy)
    assert out is not noisy


def test_psnr_at_least_chambolle_default_on_camera_crop():
    clean = img_as_float(data.camera())[128:384, 128:384]
    rng = np.random.default_rng(0)
    noisy = (clean + 0.1 * rng.standard_normal(clean.shape)).astype(np.float32)
    ours = psnr(clean, denoise_tv(noisy, 0.08))
    theirs = psnr(clean, denoise_tv_chambolle(noisy, weight=0.08))
    assert ours >= theirs - 0.05


def test_smoothed_ad_method_close_to_exact():
    _, noisy = blocks((24, 20), seed=7)
    exact = denoise_tv(noisy, 0.1, tol=1e-9, max_iter=20000, return_info=True)
    res = denoise_tv(noisy, 0.1, method="lbfgs", eps=1e-4, return_info=True)
    assert res.method == "lbfgs" and res.image.shape == noisy.shape
    assert res.energy == pytest.approx(tv_energy(res.image, noisy, 0.1), rel=1e-12)
    assert exact.energy <= res.energy <= exact.energy * (1 + 1e-3)
    assert res.energy - exact.energy <= res.gap * (1 + 1e-9)


@pytest.mark.parametrize("bad, error, match", [
    (dict(image=np.array([[1.0, np.nan], [0.0, 1.0]])), ValueError, "NaN"),
    (dict(image=np.ones((4, 4), complex)), TypeError, "complex"),
    (dict(image=np.ones((0, 4))), ValueError, "empty"),
    (dict(weight=-1.0), ValueError, "weight"),
    (dict(weight="a"), TypeError, "weight"),
    (dict(channel_axis=3), ValueError, "channel_axis"),
    (dict(method="newton"), ValueError, "unknown method"),
    (dict(max_iter=0), ValueError, "max_iter"),
    (dict(tol=-1.0), ValueError, "tol"),
])
def test_errors(bad, error, match):
    kwargs = dict(image=np.ones((4, 4)), weight=0.1)
    kwargs.update(bad)
    with pytest.raises(error, match=match):
        denoise_tv(kwargs.pop("image"), kwargs.pop("weight"), **kwargs)


def test_progress_bar_on_stderr(capsys):
    _, noisy = blocks((32, 32), seed=8)
    quiet = denoise_tv(noisy, 0.1)
    assert capsys.readouterr().err == ""
    shown = denoise_tv(noisy, 0.1, progress=True)
    assert "denoise_tv (fista)" in capsys.readouterr().err
    np.testing.assert_array_equal(quiet, shown)


@pytest.mark.parametrize("shape, channel_axis", [((1, 10), None), ((10, 1), None), ((3,), None),
                                                 ((5, 1, 3), -1)])
def test_degenerate_shapes(shape, channel_axis):
    x = np.random.default_rng(9).random(shape)
    ours = denoise_tv(x, 0.1, channel_axis=channel_axis, tol=1e-10, max_iter=10000)
    ref = denoise_tv_chambolle(x, weight=0.1, channel_axis=channel_axis, eps=0.0,
                               max_num_iter=10000)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-8)


def test_step_safeguard_recovers_from_a_diverging_step(monkeypatch):
    import applications.denoising._tv as tv_module

    _, noisy = blocks((48, 40), seed=10)
    ref = denoise_tv(noisy, 0.2, tol=1e-8, max_iter=20000, return_info=True)
    monkeypatch.setattr(tv_module, "GREEDY_STEP", 1.95)  # unstable with momentum
    res = denoise_tv(noisy, 0.2, tol=1e-4, max_iter=5000, return_info=True)
    assert res.success and res.rel_gap <= 1e-4
    assert ref.energy <= res.energy <= ref.energy * (1 + 1e-4)


def test_float32_reported_energy_and_gap_are_honest():
    clean = img_as_float(data.camera())[::2, ::2]
    rng = np.random.default_rng(11)
    noisy = (clean + 0.1 * rng.standard_normal(clean.shape)).astype(np.float32)
    best = denoise_tv(noisy.astype(np.float64), 0.08, tol=1e-7, max_iter=20000,
                      return_info=True).energy
    res = denoise_tv(noisy, 0.08, tol=1e-4, max_iter=2000, return_info=True)
    assert res.image.dtype == np.float32 and res.success
    exact = tv_energy(res.image, noisy, 0.08)
    assert res.energy == pytest.approx(exact, rel=1e-5)
    assert 0 <= exact - best <= res.gap + 1e-5 * best


def test_tol_zero_runs_exactly_max_iter():
    """tol=0: a fixed iteration count (what tiled front-ends need)."""
    _, noisy = blocks((32, 30), seed=12)
    res = denoise_tv(noisy, 0.1, tol=0.0, max_iter=37, return_info=True)
    assert res.nit == 37 and res.success and res.message.startswith("fixed iteration")
    longer = denoise_tv(noisy, 0.1, tol=0.0, max_iter=38, return_info=True)
    assert longer.nit == 38 and not np.array_equal(res.image, longer.image)
