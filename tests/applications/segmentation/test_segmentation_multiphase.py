"""segment_multiphase: recovery of generated phases, ordering, agreement with two phases."""

import numpy as np
import pytest

from applications.segmentation import SegmentationWarning, segment, segment_multiphase
from applications.segmentation._multiphase import project_simplex
from applications.segmentation._sample import blobs, star


@pytest.fixture(scope="module")
def three_phases():
    a = blobs((64, 64), 1, fraction=0.3, size=0.2)
    b = blobs((64, 64), 2, fraction=0.3, size=0.2) & ~a
    truth = a.astype(int) + 2 * b
    rng = np.random.default_rng(0)
    return truth, np.choose(truth, [0.2, 0.5, 0.8]) + 0.12 * rng.standard_normal(truth.shape)


def test_three_phases_recovered_and_ordered(three_phases):
    truth, image = three_phases
    res = segment_multiphase(image, 3, return_info=True)
    assert res.mask.shape == truth.shape and set(np.unique(res.mask)) == {0, 1, 2}
    assert (res.mask == truth).mean() > 0.97  # label 0 is the darkest phase
    assert np.all(np.diff(res.means[:, 0]) > 0)
    assert res.success and np.all(np.diff(res.energy) <= 1e-9 * res.energy[0])
    # contrast inversion reverses the order of the labels, not the partition
    inverted = segment_multiphase(1.0 - image, 3)
    assert ((2 - inverted) == res.mask).mean() > 0.99


def test_two_phases_agree_with_segment():
    truth = star((64, 64))
    image = np.where(truth, 0.7, 0.3) + 0.2 * np.random.default_rng(1).standard_normal(
        truth.shape)
    labels = segment_multiphase(image, 2, weight=0.1, tol=1e-4, max_iter=5000)
    mask = segment(image, weight=0.1, tol=1e-4, max_iter=5000)
    assert (labels.astype(bool) == mask).mean() > 0.995


def test_colour_and_budget(three_phases):
    truth, image = three_phases
    colour = np.stack([image, image[::-1, ::-1] * 0 + 0.5, 1 - image], axis=-1)
    labels = segment_multiphase(colour, 3, channel_axis=-1)
    # equal channel means for all phases: ordered by channel 0, which is the gray image
    assert (labels == truth).mean() > 0.97
    with pytest.warns(SegmentationWarning, match="budget"):
        res = segment_multiphase(image, 3, tol=1e-9, max_iter=20, return_info=True)
    assert not res.success and res.nit == 20


def test_simplex_projection():
    v = np.random.default_rng(2).standard_normal((4, 50))
    p = project_simplex(v)
    np.testing.assert_allclose(p.sum(axis=0), 1.0, atol=1e-12)
    assert (p >= 0).all()
    # optimality: p = max(v - theta, 0) with one theta per column
    for j in range(50):
        support = p[:, j] > 0
        theta = v[support, j] - p[support, j]
        np.testing.assert_allclose(theta, theta[0], atol=1e-12)
        assert np.all(v[~support, j] <= theta[0] + 1e-12)


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_phases=1), "n_phases"),
    (dict(n_phases=3, init=np.zeros((5, 5), int)), "shape"),
    (dict(n_phases=3, init=np.full((16, 16), 3)), "0..2"),
    (dict(n_phases=3, weight=-1.0), "weight"),
])
def test_errors(kwargs, match):
    image = np.random.default_rng(0).random((16, 16))
    with pytest.raises(ValueError, match=match):
        segment_multiphase(image, **kwargs)
