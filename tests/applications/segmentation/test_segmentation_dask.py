"""segment on dask arrays: a lazy mask equal to the whole image's, clear errors."""

import numpy as np
import pytest

from applications._dask import DaskInputError
from applications.segmentation import segment
from applications.segmentation._dask import segment_depth

da = pytest.importorskip("dask.array")


def disks(shape=(200, 240), seed=0, noise=0.35):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    truth = ((yy - 100) ** 2 + (xx - 110) ** 2 < 60 ** 2) | ((yy - 30) ** 2 + (xx - 200) ** 2
                                                             < 20 ** 2)
    return truth, (truth + noise * rng.standard_normal(shape)).astype(np.float32)


def test_tiled_mask_is_lazy_and_matches_the_whole_image():
    truth, image = disks()
    whole = segment(image, return_info=True)
    lazy = segment(da.from_array(image, chunks=(100, 120)), weight=whole.weight,
                   means=whole.means)
    assert isinstance(lazy, da.Array) and lazy.dtype == bool
    mask = lazy.compute()
    assert (mask == whole.mask).mean() > 0.999
    assert 2 * (mask & truth).sum() / (mask.sum() + truth.sum()) > 0.98


def test_default_intensities_and_colour_come_from_a_central_crop():
    truth, image = disks(seed=1)
    rgb = np.stack([image, image, 1.0 - image], axis=-1)
    mask = segment(da.from_array(rgb, chunks=(100, 120, 3)), channel_axis=-1).compute()
    assert mask.shape == truth.shape
    assert 2 * (mask & truth).sum() / (mask.sum() + truth.sum()) > 0.98


@pytest.mark.parametrize("image, kwargs, error, match", [
    (lambda: da.zeros((64, 64), dtype=np.uint8, chunks=32), {}, DaskInputError, "dtype"),
    (lambda: da.zeros((64, 64), chunks=32), {"tol": 1e-3}, ValueError, "tol=0"),
    (lambda: da.zeros((64, 64), chunks=32), {"bias_degree": 1}, NotImplementedError, "bias"),
])
def test_bad_dask_input_is_named(image, kwargs, error, match):
    with pytest.raises(error, match=match):
        segment(image(), **kwargs)


def test_depth_rule():
    assert segment_depth(0.05, 1.0) == 16 and segment_depth(0.2, 0.5) == 80
    assert segment_depth(10.0, 1.0, max_iter=100) == 104  # capped by the iterations
