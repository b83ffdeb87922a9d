"""Parametric registration recovers known transforms (Levenberg-Marquardt on ad.jacfwd)."""

import numpy as np
import pytest

from applications.registration import ConvergenceWarning, IterationInfo, register
from applications.registration._sample import end_point_error, sample_pair
from applications.registration._transforms import get_model, homogeneous_matrix, params_from_matrix

SIZE = 96


@pytest.mark.parametrize("kind", ["translation", "rigid", "similarity", "affine"])
def test_recovers_known_transform(kind):
    pair = sample_pair(kind, size=SIZE, noise=0.005)
    res = register(pair.fixed, pair.moving, transform=kind)
    assert res.success
    assert end_point_error(res.flow, pair.flow) < 0.03
    assert np.allclose(res.matrix[:2, :2], pair.matrix[:2, :2], atol=1e-3)
    assert np.array_equal(res.matrix[2], [0.0, 0.0, 1.0])
    # the flow follows the documented convention: fixed ~ moving(grid + flow)
    grid = np.stack(np.mgrid[0:SIZE, 0:SIZE]).astype(float)
    pts = np.concatenate([grid.reshape(2, -1), np.ones((1, SIZE * SIZE))])
    assert np.allclose((res.matrix @ pts)[:2].reshape(grid.shape) - grid, res.flow)
    # the warped image matches the fixed one inside the overlap
    inner = (slice(16, -16),) * 2
    assert np.sqrt(np.mean((res.warped[inner] - pair.fixed[inner]) ** 2)) < 0.02


def test_translation_error_is_tight():
    pair = sample_pair("translation", size=SIZE, noise=0.0)
    res = register(pair.fixed, pair.moving, transform="translation")
    assert np.allclose(res.params, pair.flow[:, 0, 0], atol=2e-3)


def test_ncc_is_robust_to_brightness_and_contrast():
    pair = sample_pair("rigid", size=SIZE, noise=0.005)
    moving = 0.6 * pair.moving + 0.25
    ssd = register(pair.fixed, moving, transform="rigid", metric="ssd")
    ncc = register(pair.fixed, moving, transform="rigid", metric="ncc")
    assert end_point_error(ncc.flow, pair.flow) < 0.05
    assert end_point_error(ncc.flow, pair.flow) < end_point_error(ssd.flow, pair.flow)
    assert ncc.metric > 0.99


def test_gauss_newton_and_order_one_also_converge():
    pair = sample_pair("similarity", size=SIZE, noise=0.005)
    res = register(pair.fixed, pair.moving, transform="similarity", method="gauss-newton")
    assert end_point_error(res.flow, pair.flow) < 0.05
    res1 = register(pair.fixed, pair.moving, transform="similarity", order=1)
    assert end_point_error(res1.flow, pair.flow) < 0.15


def test_large_translation_uses_phase_correlation_and_pyramid():
    pair = sample_pair("translation", size=128, noise=0.005)
    assert np.abs(pair.flow).max() > 5
    res = register(pair.fixed, pair.moving, transform="affine", initial="identity",
                   levels=4)
    assert end_point_error(res.flow, pair.flow) < 0.05
    assert [h["level"] for h in res.history] == [3, 2, 1, 0]


def test_params_round_trip_through_matrix():
    center = np.array([40.0, 30.5])
    for kind, p in [("rigid", [0.3, 2.0, -1.0]), ("similarity", [1.2, -0.4, 3.0, 0.5]),
                    ("affine", [1.1, 0.2, -0.1, 0.9, 4.0, 5.0]), ("translation", [1.5, 2.5])]:
        model = get_model(kind)
        m = homogeneous_matrix(model, np.array(p), center)
        assert np.allclose(params_from_matrix(model, m, center), p)


def test_callback_and_stop_iteration():
    pair = sample_pair("affine", size=64, noise=0.005)
    seen = []

    def callback(info):
        assert isinstance(info, IterationInfo)
        seen.append((info.level, info.iteration, info.cost))
        if len(seen) == 3:
            raise StopIteration

    res = register(pair.fixed, pair.moving, transform="affine", callback=callback)
    assert len(seen) == 3 and not res.success and "callback" in res.message
    assert res.flow.shape == (2, 64, 64)


def test_max_iter_per_level():
    pair = sample_pair("affine", size=64, noise=0.005)
    with pytest.warns(ConvergenceWarning, match="levels 1, 0"):
        res = register(pair.fixed, pair.moving, transform="affine", levels=2, max_iter=[1, 2])
    assert [h["iterations"] for h in res.history] == [1, 2]
    assert not res.success and "budget" in res.message
    with pytest.raises(ValueError, match="max_iter has 3 entries for 2 pyramid levels"):
        register(pair.fixed, pair.moving, levels=2, max_iter=[1, 2, 3])


def test_three_d_affine():
    rng = np.random.default_rng(0)
    import scipy.ndimage as ndi

    vol = ndi.gaussian_filter(rng.standard_normal((24, 28, 26)), 2.0)
    shift = np.array([1.3, -0.8, 0.6])
    moving = ndi.shift(vol, shift, order=3, mode="nearest")
    res = register(vol, moving, transform="affine", levels=1, initial="identity")
    assert res.matrix.shape == (4, 4)
    assert np.allclose(res.matrix[:3, 3], shift, atol=0.02)
    assert np.allclose(res.matrix[:3, :3], np.eye(3), atol=5e-3)


def test_mutual_information_handles_inverted_contrast():
    pair = sample_pair("rigid", size=SIZE, noise=0.005)
    inverted = 1.0 - pair.moving  # NCC and SSD both fail on this; MI is invariant to it
    res = register(pair.fixed, inverted, transform="rigid", metric="mi")
    assert end_point_error(res.flow, pair.flow) < 0.05
    assert res.metric_name == "mi" and res.metric > 0.5
    ncc = register(pair.fixed, inverted, transform="rigid", metric="ncc", warn=False)
    assert end_point_error(ncc.flow, pair.flow) > 1.0


def test_mutual_information_is_exactly_differentiable():
    import autodiff as ad
    from applications.registration._metrics import mutual_information

    rng = np.random.default_rng(0)
    fixed = rng.random((6, 5))
    mask = np.ones((6, 5), dtype=bool)
    ad.check_grads(lambda w: mutual_information(w, fixed, mask, (0.0, 1.0), bins=8),
                   (rng.random((6, 5)),), modes=("fwd", "rev"), order=1)


@pytest.mark.parametrize(("kind", "p", "shape"), [
    ("affine", [1.02, 0.03, -0.02, 0.98, 0.4, -0.3], (20, 24)),
    ("rigid", [0.05, 0.3, -0.2], (20, 24)),
    ("similarity", [1.03, 0.05, 0.3, -0.2], (20, 24)),
    ("affine", list(np.eye(3).ravel() + 0.01) + [0.2, 0.1, -0.3], (10, 12, 11)),
    ("translation", [0.4, -0.3], (20, 24)),  # the separable path (SplineImage.shifted)
    ("translation", [0.4, -0.3, 0.7], (10, 12, 11)),
])
@pytest.mark.parametrize("stride", [1, 2])
def test_warped_image_primitive_has_exact_derivatives(kind, p, shape, stride):
    import scipy.ndimage as ndi

    import autodiff as ad
    from applications.registration._parametric import _LevelProblem, _warped

    image = ndi.gaussian_filter(np.random.default_rng(0).random(shape), 1.5)
    center = (np.asarray(shape, dtype=float) - 1.0) / 2.0
    problem = _LevelProblem(get_model(kind), "ssd", image, image, center, 2.0, 3, stride)
    ad.check_grads(lambda q: _warped(q, problem=problem), (np.array(p),),
                   modes=("fwd", "rev"), order=1)


@pytest.mark.parametrize(("kind", "p", "shape"), [
    ("affine", [1.02, 0.03, -0.02, 0.98, 0.4, -0.3], (30, 34)),
    ("rigid", [0.05, 0.3, -0.2], (30, 34)),
    ("translation", [0.3, -0.2], (30, 34)),
    ("affine", list(np.eye(3).ravel() + 0.01) + [0.2, 0.1, -0.3], (10, 12, 11)),
])
@pytest.mark.parametrize("stride", [1, 2])
def test_chunked_ssd_jacobian_is_the_forward_mode_one(kind, p, shape, stride, monkeypatch):
    import scipy.ndimage as ndi

    import autodiff as ad
    from applications.registration import _parametric
    from applications.registration._parametric import _LevelProblem

    rng = np.random.default_rng(0)
    fixed, moving = (ndi.gaussian_filter(rng.random(shape), 1.5) for _ in range(2))
    center = (np.asarray(shape, dtype=float) - 1.0) / 2.0
    problem = _LevelProblem(get_model(kind), "ssd", fixed, moving, center, 2.0, 3, stride)
    p = np.array(p)
    problem.update_mask(p)
    assert not problem.mask.all()  # some pixels leave the overlap: the weights matter
    monkeypatch.setattr(_parametric, "_CHUNK", 97)  # several chunks, a ragged last one
    jt, gram = problem.ssd_jacobian(p)
    jac = np.asarray(ad.jacfwd(problem.residuals)(p)).reshape(problem.fixed.size, -1)
    assert np.allclose(jt.dense().T, jac, rtol=1e-12, atol=1e-15)
    assert np.allclose(gram, jac.T @ jac, rtol=1e-10, atol=1e-18)
    r = rng.standard_normal(problem.fixed.size)
    assert np.allclose(jt @ r, jac.T @ r, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize(("kind", "ndim"), [("affine", 2), ("rigid", 2), ("similarity", 2),
                                            ("translation", 2), ("affine", 3)])
@pytest.mark.parametrize("stride", [1, 3])
def test_broadcast_grid_coordinates_match_the_differentiable_ones(kind, ndim, stride):
    from applications.registration._parametric import _LevelProblem
    from applications.registration._transforms import coordinates, identity_grid

    rng = np.random.default_rng(0)
    shape = (17, 19, 13)[:ndim]
    center = (np.array([60.0, 70.0, 50.0])[:ndim] - 1.0) / 2.0
    model = get_model(kind)
    p = model.identity(ndim) + 0.1 * rng.standard_normal(model.identity(ndim).size)
    fixed = rng.random(shape)
    problem = _LevelProblem(model, "ssd", fixed, rng.random(shape), center, 4.0, 3, stride)
    # every stride-th pixel per axis, at its own position in the level
    every = (slice(None, None, stride),) * ndim
    assert np.array_equal(problem.fixed, fixed[every])
    expected = coordinates(model, p, identity_grid(shape)[(slice(None),) + every], center, 4.0)
    assert np.allclose(problem.coords(p), expected, rtol=0, atol=1e-12)
    assert np.allclose(problem.coords_at(p), expected, rtol=0, atol=1e-12)
    assert np.allclose(problem._slab_coords(p, 1, 4), expected[:, 1:4], rtol=0, atol=1e-12)


def _affine_volume(shape=(40, 40, 40)):
    """A smooth random volume, its affine image and the true flow (fixed -> moving)."""
    import scipy.ndimage as ndi

    vol = ndi.gaussian_filter(np.random.default_rng(0).standard_normal(shape), 2.0)
    center = (np.asarray(shape, dtype=float) - 1.0) / 2.0
    a = np.array([[1.02, 0.01, 0.0], [-0.01, 0.99, 0.01], [0.0, 0.01, 1.0]])
    matrix = homogeneous_matrix(get_model("affine"),
                                np.concatenate([a.ravel(), [0.7, -1.2, 0.4]]), center)
    moving = ndi.affine_transform(vol, np.linalg.inv(matrix), order=3, mode="nearest")
    grid = np.stack(np.meshgrid(*[np.arange(n, dtype=float) for n in shape], indexing="ij"))
    flow = np.einsum("de,e...->d...", matrix[:3, :3], grid) - grid
    return vol, moving, flow + matrix[:3, 3].reshape(3, 1, 1, 1)


@pytest.mark.parametrize(("shape", "max_samples", "stride"), [
    ((128, 128, 128), 2**20, 2), ((512, 512), 2**20, 1), ((1024, 1024), 2**20, 1),
    ((1025, 1024), 2**20, 2), ((40, 40, 40), 8000, 2), ((40, 40, 40), 7999, 3),
    ((41, 40), 420, 2), ((500, 741), None, 1),
])
def test_sample_stride_is_the_smallest_that_fits(shape, max_samples, stride):
    from applications.registration._parametric import sample_stride

    assert sample_stride(shape, max_samples) == stride


def test_large_levels_are_sampled_on_a_regular_grid(level_problems):
    fixed, moving, truth = _affine_volume()
    res = register(fixed, moving, transform="affine", levels=2, max_samples=8000)
    # level 1 (20^3 = 8000 voxels) is used whole, level 0 (40^3) on every 2nd voxel per
    # axis, at the voxels' own positions; the moving image keeps its resolution
    assert [problem.stride for _, problem in level_problems] == [1, 2]
    image, sampled = level_problems[-1]
    assert image.shape == (40, 40, 40) and sampled.fixed.shape == (20, 20, 20)
    assert np.array_equal(sampled.fixed, image[::2, ::2, ::2])
    assert np.array_equal(sampled.positions[2], np.arange(0.0, 40.0, 2.0))
    assert sampled.spline.shape == (40, 40, 40)
    # the result is full resolution and sub-voxel accurate, like the one on every voxel
    assert res.success and res.flow.shape == (3, 40, 40, 40) and res.warped.shape == fixed.shape
    level_problems.clear()
    every = register(fixed, moving, transform="affine", levels=2, max_samples=None)
    assert [problem.fixed.shape for _, problem in level_problems] == [(20,) * 3, (40,) * 3]
    assert end_point_error(every.flow, truth, margin=4) < 0.01
    assert end_point_error(res.flow, truth, margin=4) < 0.02


def test_max_samples_bound_is_inclusive_and_none_uses_every_pixel():
    import scipy.ndimage as ndi

    vol = ndi.gaussian_filter(np.random.default_rng(0).standard_normal((24, 28, 26)), 2.0)
    moving = ndi.shift(vol, (1.3, -0.8, 0.6), order=3, mode="nearest")
    runs = {n: register(vol, moving, transform="affine", levels=1, initial="identity",
                        max_samples=n) for n in (None, vol.size, vol.size - 1)}
    assert np.array_equal(runs[None].flow, runs[vol.size].flow)
    assert not np.array_equal(runs[None].flow, runs[vol.size - 1].flow)  # sampled
    assert np.allclose(runs[vol.size - 1].matrix[:3, 3], [1.3, -0.8, 0.6], atol=0.05)
    # 2-D images up to 1024x1024 are never sampled by default: bit-identical results
    pair = sample_pair("affine", size=64, noise=0.005)
    default = register(pair.fixed, pair.moving, transform="affine")
    assert np.array_equal(default.flow, register(pair.fixed, pair.moving, transform="affine",
                                                 max_samples=None).flow)


@pytest.mark.parametrize("bad", [0, -5, 2.5, "all"])
def test_max_samples_must_be_a_positive_integer(bad):
    pair = sample_pair("translation", size=32)
    with pytest.raises(ValueError, match="max_samples must be a positive integer or None"):
        register(pair.fixed, pair.moving, transform="translation", max_samples=bad)
    with pytest.raises(ValueError, match="max_samples must be a positive integer or None"):
        register(pair.fixed, pair.moving, transform="displacement", max_samples=bad)
