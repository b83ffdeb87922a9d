"""segment: properties of the convex Chan-Vese solver, comparison with scikit-image, errors."""

import warnings

import numpy as np
import pytest
from skimage.segmentation import chan_vese

from applications.segmentation import SegmentationWarning, SegmentResult, energy, segment
from applications.segmentation._sample import blobs, noisy_case, star


def dice(a, b):
    return 2 * np.count_nonzero(a & b) / (a.sum() + b.sum())


@pytest.fixture(scope="module")
def star_case():
    return noisy_case("star", star((96, 96)), 0.2, seed=1)


def test_noisy_star_is_found(star_case):
    res = segment(star_case.image, return_info=True)
    assert isinstance(res, SegmentResult)
    assert res.mask.dtype == bool and res.mask.shape == star_case.truth.shape
    assert dice(res.mask, star_case.truth) > 0.97
    assert res.success and res.message in ("energy and duality gap below tol",
                                           "energy stopped decreasing")
    assert res.rel_gap <= 1e-3
    # the object's mean comes first: bright star (0.7) on a dark background (0.3)
    np.testing.assert_allclose(res.means[:, 0], [0.7, 0.3], atol=0.03)


def test_energy_decreases_over_rounds(star_case):
    image = star_case.image + 0.15 * np.linspace(0, 1, 96)[None, :]  # means must move
    res = segment(image, tol=1e-5, max_iter=5000, return_info=True)
    assert res.rounds >= 2
    steps = np.diff(res.energy)
    assert np.all(steps <= 1e-6 * res.energy[0]), steps


def test_gap_shrinks_with_tol(star_case):
    loose = segment(star_case.image, tol=1e-2, return_info=True)
    tight = segment(star_case.image, tol=1e-5, max_iter=10000, return_info=True)
    assert tight.rel_gap <= 1e-5 < loose.rel_gap or tight.rel_gap < loose.rel_gap
    assert tight.nit > loose.nit


def test_same_weight_energy_not_above_chan_vese(star_case):
    """At chan_vese's mu on its normalised image, our partition has no higher energy."""
    g = star_case.image - star_case.image.min()
    g /= g.max()
    ours = segment(g, weight=0.25, tol=1e-4, max_iter=5000)
    theirs = chan_vese(g, mu=0.25)
    assert energy(g, ours, 0.25) <= energy(g, theirs, 0.25)
    assert dice(ours, star_case.truth) >= max(dice(theirs, star_case.truth),
                                              dice(~theirs, star_case.truth)) - 0.01


def test_polarity_stable_under_contrast_inversion(star_case):
    a = segment(star_case.image)
    b = segment(1.0 - star_case.image)
    np.testing.assert_array_equal(a, b)
    assert dice(a, star_case.truth) > 0.97  # the star, not the background, in both


def test_polarity_does_not_depend_on_init(star_case):
    rng = np.random.default_rng(3)
    init = rng.random(star_case.truth.shape) > 0.5
    a = segment(star_case.image)
    b = segment(star_case.image, init=init, tol=1e-4, max_iter=5000)
    assert dice(a, b) > 0.99


def test_volume():
    truth = blobs((32, 32, 32), seed=2, size=0.2)
    case = noisy_case("vol", truth, 0.15, seed=4)
    mask = segment(case.image)
    assert mask.shape == truth.shape
    assert max(dice(mask, truth), dice(~mask, truth)) > 0.9


def test_isoluminant_colour_uses_all_channels():
    truth = star((64, 64))
    rng = np.random.default_rng(5)
    image = np.where(truth[..., None], [0.7, 0.38, 0.5], [0.3, 0.5, 0.5])
    image = image + 0.1 * rng.standard_normal(image.shape)
    mask = segment(image, channel_axis=-1)
    assert dice(mask, truth) > 0.97
    first = segment(np.moveaxis(image, -1, 0), channel_axis=0)
    np.testing.assert_array_equal(first, mask)


def test_edge_weight_and_bias_field():
    truth = star((80, 80))
    ramp = np.linspace(0.5, 1.5, 80)[None, :]
    image = np.where(truth, 0.6, 0.35) * ramp
    image = image + 0.03 * np.random.default_rng(6).standard_normal(truth.shape)
    plain = segment(image)
    biased = segment(image, bias_degree=1, return_info=True)
    assert dice(biased.mask, truth) > 0.97 > dice(plain, truth)
    assert biased.bias.shape == (1, 80, 80)
    edges = segment(image, bias_degree=1, edge_weight=5.0)
    assert dice(edges, truth) > 0.97


def test_integer_images_are_scaled_like_img_as_float(star_case):
    u8 = np.round(np.clip(star_case.image, 0, 1) * 255).astype(np.uint8)
    u16 = u8.astype(np.uint16) * 257
    a, b = segment(u8, return_info=True), segment(u16, return_info=True)
    np.testing.assert_array_equal(a.mask, b.mask)
    assert a.weight == pytest.approx(b.weight, rel=1e-6)
    assert a.means.max() <= 1.0


def test_nan_pixels_are_filled_from_neighbours(star_case):
    image = star_case.image.copy()
    image[40:44, 40:44] = np.nan
    image[0, 0] = np.inf
    with pytest.warns(SegmentationWarning, match="17 NaN/inf"):
        mask = segment(image)
    assert mask[40:44, 40:44].all()  # inside the star
    assert dice(mask, star_case.truth) > 0.97


def test_constant_image_warns_and_returns_empty():
    with pytest.warns(SegmentationWarning, match="constant"):
        res = segment(np.full((20, 20), 0.4), return_info=True)
    assert not res.mask.any()


def test_huge_weight_warns_single_phase(star_case):
    with pytest.warns(SegmentationWarning, match="single phase"):
        segment(star_case.image, weight=1e4)


def test_budget_exhausted_warns_and_reports(star_case):
    with pytest.warns(SegmentationWarning, match="budget"):
        res = segment(star_case.image, tol=1e-9, max_iter=30, return_info=True)
    assert not res.success and res.nit == 30


def test_tol_zero_runs_exactly_max_iter(star_case):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = segment(star_case.image, tol=0, max_iter=120, return_info=True)
    assert res.nit == 120 and res.rounds == 3 and res.success


def test_weight_zero_is_thresholding(star_case):
    res = segment(star_case.image, weight=0.0, return_info=True)
    c1, c2 = res.means[:, 0]
    nearer = np.abs(star_case.image - c1) < np.abs(star_case.image - c2)
    clear = np.abs(star_case.image - (c1 + c2) / 2) > 1e-9  # no rounding ties
    # a 2-means fixed point, up to the last round's change (stopped by the energy rule)
    assert np.count_nonzero(res.mask[clear] != nearer[clear]) <= 2
    assert res.nit == res.rounds  # no primal-dual iterations: a threshold per round


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(channel_axis=2), ValueError, "channel_axis"),
    (dict(channel_axis=1.5), TypeError, "channel_axis"),
    (dict(weight=-1), ValueError, "weight"),
    (dict(edge_weight=np.nan), ValueError, "edge_weight"),
    (dict(bias_degree=7), ValueError, "bias_degree"),
    (dict(bias_model="exp"), ValueError, "bias_model"),
    (dict(tol=-1), ValueError, "tol"),
    (dict(max_iter=0), ValueError, "max_iter"),
    (dict(init=np.ones((5, 5), bool)), ValueError, "shape"),
    (dict(init=np.ones((24, 24), bool)), ValueError, "both phases"),
    (dict(init="random"), ValueError, "init"),
])
def test_errors(kwargs, error, match):
    image = np.random.default_rng(0).random((24, 24))
    with pytest.raises(error, match=match):
        segment(image, **kwargs)


@pytest.mark.parametrize("image, error, match", [
    (np.full((4, 4), np.nan), ValueError, "no finite"),
    (np.ones((4, 4), complex), TypeError, "complex"),
    (np.ones((0, 4)), ValueError, "empty"),
    (np.ones((2, 2, 2, 2, 2)), ValueError, "spatial axes"),
])
def test_bad_images(image, error, match):
    with pytest.raises(error, match=match):
        segment(image)


def test_rgb_without_channel_axis_warns():
    image = np.random.default_rng(0).random((32, 32, 3))
    with pytest.warns(SegmentationWarning, match="channel_axis=-1"):
        segment(image, weight=0.01)


def test_fixed_means_solve_one_convex_problem(star_case):
    """Given intensities: the global minimiser for them, object = phase of means[0]."""
    res = segment(star_case.image, means=[0.3, 0.7], weight=0.1, tol=1e-5, max_iter=5000,
                  return_info=True)
    assert res.success and res.rounds == 1 and res.rel_gap <= 1e-5
    assert dice(~res.mask, star_case.truth) > 0.97  # the background was named first
    np.testing.assert_allclose(res.means[:, 0], [0.3, 0.7])
    # the same problem on a tile: same labels inside the tile, away from its cut edges
    tile = segment(star_case.image[:60], means=[0.3, 0.7], weight=0.1, tol=0, max_iter=400)
    assert (tile[:50] == res.mask[:50]).mean() > 0.995
    with pytest.raises(ValueError, match="means"):
        segment(star_case.image, means=[0.3, 0.7, 0.1])


def test_edge_weight_keeps_a_slot_that_plain_length_closes():
    """At a large weight plain length fills a thin slot; geodesic length keeps it open."""
    truth = np.zeros((80, 80), bool)
    truth[20:60, 15:65] = True
    truth[35:45, 15:40] = False
    image = np.where(truth, 0.7, 0.3) + 0.1 * np.random.default_rng(0).standard_normal(
        truth.shape)
    plain = segment(image, weight=1.0)
    geodesic = segment(image, weight=1.0, edge_weight=5.0)
    assert dice(geodesic, truth) > 0.99 and dice(plain, truth) < 0.95


def test_progress_bar_on_stderr(star_case, capsys):
    quiet = segment(star_case.image)
    assert capsys.readouterr().err == ""
    shown = segment(star_case.image, progress=True)
    assert "segment" in capsys.readouterr().err
    np.testing.assert_array_equal(quiet, shown)


@pytest.mark.parametrize("max_iter", [60, 175])
def test_tol_zero_never_ends_early(star_case, max_iter):
    res = segment(star_case.image, tol=0, max_iter=max_iter, return_info=True)
    assert res.nit == max_iter and res.message.startswith("fixed iteration count")
