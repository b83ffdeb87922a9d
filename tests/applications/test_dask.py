"""applications._dask: dispatch, tiled solves with a stand-in solver, checks, storage."""

import subprocess
import sys

import numpy as np
import pytest
from scipy import ndimage

from applications._dask import (
    DaskInputError,
    TileError,
    dask_dispatch,
    is_dask_array,
    map_image_solver,
    store_npy,
    store_zarr,
)

da = pytest.importorskip("dask.array")


def local_mean(tile, size=5, channel_axis=None):
    """A stand-in solver of radius ``size // 2``: the whole image's result is reproduced
    exactly with ``depth >= size // 2`` (nearest-value border at the outer edge)."""
    sizes = [size] * tile.ndim
    if channel_axis is not None:
        sizes[channel_axis] = 1
    return ndimage.uniform_filter(tile, size=sizes, mode="nearest")


def test_importing_the_applications_does_not_import_dask():
    code = ("import sys, applications.denoising, applications.text_classification; "
            "print('dask' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_is_dask_array():
    assert is_dask_array(da.zeros(3)) and not is_dask_array(np.zeros(3))
    assert not is_dask_array([1.0])


@pytest.mark.parametrize("shape, chunks, channel_axis", [
    ((60, 50), 16, None), ((30, 28, 3), (10, 7, 1), -1), ((20, 18, 16), 8, None),
])
def test_map_image_solver_reproduces_the_whole_image(shape, chunks, channel_axis):
    """This is the hook for segment(): any solver of finite radius, tiled with that depth."""
    image = np.random.default_rng(0).random(shape)
    tiled = map_image_solver(local_mean, da.from_array(image, chunks=chunks), 2,
                             channel_axis=channel_axis, size=5)
    assert is_dask_array(tiled) and tiled.chunks == da.from_array(image, chunks=chunks).chunks
    np.testing.assert_allclose(tiled.compute(), local_mean(image, 5, channel_axis),
                               rtol=0, atol=1e-12)


def test_map_image_solver_too_little_overlap_differs():
    image = np.random.default_rng(1).random((40, 40))
    tiled = map_image_solver(local_mean, da.from_array(image, chunks=10), 1, size=5)
    assert np.abs(tiled.compute() - local_mean(image)).max() > 1e-3


def test_thin_last_chunk_is_merged():
    image = np.random.default_rng(2).random((45, 40))
    x = da.from_array(image, chunks=(20, 20))  # last chunk along axis 0: 5 < depth 8
    out = map_image_solver(local_mean, x, 8, size=5)
    assert out.chunks[0] == (20, 25)
    np.testing.assert_allclose(out.compute(), local_mean(image), atol=1e-12)


@pytest.mark.parametrize("make, message", [
    (lambda: da.zeros((40, 40), dtype=np.uint8, chunks=20), "dtype uint8"),
    (lambda: da.zeros((40, 40), chunks=(4, 20)), "smaller than the overlap depth 8"),
    (lambda: da.zeros((40, 40), chunks=20)[da.zeros(40, chunks=20) == 0],
     "unknown chunk sizes"),  # boolean row selection: rows per chunk unknown (NaN)
])
def test_bad_images_are_named(make, message):
    x = make()
    with pytest.raises(DaskInputError, match=message):
        map_image_solver(local_mean, x, 8)


def test_failing_tile_is_named():
    def fails_on_negative(tile):
        if tile.min() < 0:
            raise ValueError("negative pixel")
        return tile

    image = np.ones((40, 40))
    image[35, 35] = -1.0
    out = map_image_solver(fails_on_negative, da.from_array(image, chunks=20), 4)
    with pytest.raises(TileError, match=r"tile \(1, 1\).*negative pixel"):
        out.compute()


def test_dask_dispatch():
    calls = []

    def dask_path(image, *args, **kwargs):
        calls.append(kwargs)
        return "dask"

    sys.modules[__name__].dask_path = dask_path

    @dask_dispatch(f"{__name__}:dask_path")
    def solve(image, weight=1.0):
        """Doc."""
        return "numpy"

    assert solve.__doc__ == "Doc." and solve(np.zeros(2)) == "numpy"
    assert solve(da.zeros(2), depth=3) == "dask" and calls == [{"depth": 3}]
    with pytest.raises(TypeError, match="depth=, which applies to dask arrays only"):
        solve(np.zeros(2), depth=3)


def test_store_npy_round_trip_and_refusal(tmp_path):
    image = np.arange(30 * 20, dtype=np.float32).reshape(30, 20)
    path = tmp_path / "out.npy"
    store_npy(da.from_array(image, chunks=7) * 2, path)
    np.testing.assert_array_equal(np.load(path, mmap_mode="r"), image * 2)
    with pytest.raises(FileExistsError):
        store_npy(da.from_array(image, chunks=7), path)
    store_npy(da.from_array(image, chunks=7), path, overwrite=True)
    np.testing.assert_array_equal(np.load(path), image)


def test_store_npy_failure_leaves_nothing(tmp_path):
    def boom(tile):
        raise MemoryError("worker ran out of memory")

    out = map_image_solver(boom, da.zeros((20, 20), chunks=10), 2)
    path = tmp_path / "out.npy"
    with pytest.raises(RuntimeError, match="nothing was written"):
        store_npy(out, path)
    assert list(tmp_path.iterdir()) == []


def test_store_npy_on_a_distributed_cluster(tmp_path, active_client):
    image = np.random.default_rng(3).random((40, 30))
    out = map_image_solver(local_mean, da.from_array(image, chunks=10), 2, size=5)
    store_npy(out, tmp_path / "out.npy")
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), local_mean(image), atol=1e-12)


def test_store_zarr_round_trip(tmp_path):
    pytest.importorskip("zarr")
    image = np.random.default_rng(4).random((30, 20)).astype(np.float32)
    path = store_zarr(da.from_array(image, chunks=10), tmp_path / "out.zarr")
    np.testing.assert_array_equal(da.from_zarr(str(path)).compute(), image)
    store_zarr(da.from_array(image + 1, chunks=10), path, overwrite=True)
    np.testing.assert_array_equal(da.from_zarr(str(path)).compute(), image + 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.zarr"]
