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
def test_warped_image_primitive_has_exact_derivatives(kind, p, shape):
    import scipy.ndimage as ndi

    import autodiff as ad
    from applications.registration._parametric import _LevelProblem, _warped

    image = ndi.gaussian_filter(np.random.default_rng(0).random(shape), 1.5)
    center = (np.asarray(shape, dtype=float) - 1.0) / 2.0
    problem = _LevelProblem(get_model(kind), "ssd", image, image, center, 2.0, 3)
    ad.check_grads(lambda q: _warped(q, problem=problem), (np.array(p),),
                   modes=("fwd", "rev"), order=1)


@pytest.mark.parametrize(("kind", "p", "shape"), [
    ("affine", [1.02, 0.03, -0.02, 0.98, 0.4, -0.3], (30, 34)),
    ("rigid", [0.05, 0.3, -0.2], (30, 34)),
    ("translation", [0.3, -0.2], (30, 34)),
    ("affine", list(np.eye(3).ravel() + 0.01) + [0.2, 0.1, -0.3], (10, 12, 11)),
])
def test_chunked_ssd_jacobian_is_the_forward_mode_one(kind, p, shape, monkeypatch):
    import scipy.ndimage as ndi

    import autodiff as ad
    from applications.registration import _parametric
    from applications.registration._parametric import _LevelProblem

    rng = np.random.default_rng(0)
    fixed, moving = (ndi.gaussian_filter(rng.random(shape), 1.5) for _ in range(2))
    center = (np.asarray(shape, dtype=float) - 1.0) / 2.0
    problem = _LevelProblem(get_model(kind), "ssd", fixed, moving, center, 2.0, 3)
    p = np.array(p)
    problem.update_mask(p)
    assert not problem.mask.all()  # some pixels leave the overlap: the weights matter
    monkeypatch.setattr(_parametric, "_CHUNK", 97)  # several chunks, a ragged last one
    jt, gram = problem.ssd_jacobian(p)
    jac = np.asarray(ad.jacfwd(problem.residuals)(p)).reshape(fixed.size, -1)
    assert np.allclose(jt.dense().T, jac, rtol=1e-12, atol=1e-15)
    assert np.allclose(gram, jac.T @ jac, rtol=1e-10, atol=1e-18)
    r = rng.standard_normal(fixed.size)
    assert np.allclose(jt @ r, jac.T @ r, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize(("kind", "ndim"), [("affine", 2), ("rigid", 2), ("similarity", 2),
                                            ("translation", 2), ("affine", 3)])
def test_broadcast_grid_coordinates_match_the_differentiable_ones(kind, ndim):
    from applications.registration._parametric import _LevelProblem

    rng = np.random.default_rng(0)
    shape = (17, 19, 13)[:ndim]
    center = (np.array([60.0, 70.0, 50.0])[:ndim] - 1.0) / 2.0
    model = get_model(kind)
    p = model.identity(ndim) + 0.1 * rng.standard_normal(model.identity(ndim).size)
    problem = _LevelProblem(model, "ssd", rng.random(shape), rng.random(shape), center, 4.0, 3)
    assert np.allclose(problem.coords_at(p), problem.coords(p), rtol=0, atol=1e-12)
    assert np.allclose(problem._slab_coords(p, 3, 7), problem.coords(p)[:, 3:7], rtol=0,
                       atol=1e-12)
