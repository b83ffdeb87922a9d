"""snake: convergence to an edge, staying inside the image, resampling, errors."""

import numpy as np
import pytest

from applications.segmentation import SegmentationWarning, snake
from applications.segmentation._snake import resample_contour


def circle(cy, cx, r, n=60):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.column_stack([cy + r * np.sin(t), cx + r * np.cos(t)])


@pytest.fixture(scope="module")
def disk():
    yy, xx = np.mgrid[:80, :80]
    return ((yy - 40) ** 2 + (xx - 40) ** 2 < 20 ** 2).astype(float)


def test_contracts_onto_the_disk_edge(disk):
    res = snake(disk, circle(40, 40, 30), return_info=True)
    radius = np.hypot(res.points[:, 0] - 40, res.points[:, 1] - 40)
    assert abs(radius.mean() - 20) < 1.0 and radius.std() < 0.5
    assert res.success and res.energy[-1] < res.energy[0]
    assert np.all(np.diff(res.energy) <= 1e-9 * abs(res.energy[0]))


def test_stays_inside_the_image(disk):
    """A contour started across the border, pulled outward by a bright frame."""
    image = np.zeros((60, 60))
    image[:3] = image[-3:] = image[:, :3] = image[:, -3:] = 1.0
    pts = snake(image, circle(30, 30, 40), alpha=0.0, beta=0.0, w_line=1.0, w_edge=0.0,
                sigma=1.0, max_iter=300, tol=1e-6)
    assert np.all(pts >= 0) and np.all(pts <= 59)


def test_resampling_spreads_points():
    pts = np.array([[0, 0], [0, 1], [0, 2], [0, 10], [10, 10], [10, 0]], float)
    out = resample_contour(pts, 8)
    steps = np.hypot(*np.diff(np.vstack([out, out[:1]]), axis=0).T)
    np.testing.assert_allclose(steps, 40 / 8, rtol=1e-12)


def test_budget_warns(disk):
    with pytest.warns(SegmentationWarning, match="budget"):
        res = snake(disk, circle(40, 40, 30), max_iter=3, resample_every=None,
                    return_info=True)
    assert not res.success and res.nit == 3


@pytest.mark.parametrize("init, kwargs, match", [
    (np.zeros((2, 2)), {}, "shape"),
    (np.zeros((5, 3)), {}, "shape"),
    (np.full((5, 2), np.nan), {}, "NaN"),
    (None, dict(alpha=-1.0), "alpha"),
])
def test_errors(disk, init, kwargs, match):
    init = circle(40, 40, 30) if init is None else init
    with pytest.raises(ValueError, match=match):
        snake(disk, init, **kwargs)
