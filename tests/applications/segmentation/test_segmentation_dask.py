"""segment on dask arrays: fixed means and weight, fixed iteration count, lazy mask."""

import numpy as np
import pytest

from applications._dask import is_dask_array
from applications.segmentation import segment

da = pytest.importorskip("dask.array")


def disks(seed=0, size=160):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    clean = ((yy % 80 - 40) ** 2 + (xx % 64 - 32) ** 2 < 24 ** 2).astype(float)
    return clean, clean + 0.5 * rng.standard_normal(clean.shape)


def test_tiles_reproduce_the_whole_image():
    clean, noisy = disks()
    means = segment(noisy[::2, ::2], return_info=True).means
    whole = segment(noisy, weight=0.5, means=means, tol=0, max_iter=60)
    lazy = segment(da.from_array(noisy, chunks=40), weight=0.5, means=means, max_iter=60,
                   depth=32)
    assert is_dask_array(lazy) and lazy.dtype == bool and lazy.shape == noisy.shape
    tiled = lazy.compute()
    assert np.count_nonzero(tiled != whole) <= 2  # a tie at the threshold may flip
    assert (tiled == clean.astype(bool)).mean() > 0.97


def test_color_and_constant_tiles():
    clean, noisy = disks(1, 96)
    rgb = np.stack([noisy, 0.5 * noisy, 1 - noisy], axis=-1)
    means = np.array([[1.0, 0.5, 0.0], [0.0, 0.0, 1.0]])
    rgb[:32, :32] = means[1]  # a constant background tile
    whole = segment(rgb, weight=0.5, means=means, tol=0, max_iter=30, channel_axis=-1)
    tiled = segment(da.from_array(rgb, chunks=(32, 32, 1)), weight=0.5, means=means,
                    max_iter=30, channel_axis=-1).compute()
    assert tiled.shape == noisy.shape
    assert np.count_nonzero(tiled != whole) <= 2
    assert not tiled[:16, :16].any()


def test_global_quantities_are_required():
    _, noisy = disks(size=64)
    with pytest.raises(ValueError, match="needs weight= and means="):
        segment(da.from_array(noisy, chunks=32))
    with pytest.raises(ValueError, match="bias_degree"):
        segment(da.from_array(noisy, chunks=32), weight=0.5, means=[1.0, 0.0], bias_degree=1)
