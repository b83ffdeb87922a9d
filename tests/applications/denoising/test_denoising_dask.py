"""Denoising dask arrays: lazy out, tiles solve the whole image's problem, clear errors."""

import numpy as np
import pytest
from skimage import data

from applications._dask import DaskInputError, is_dask_array
from applications.denoising import denoise_huber, denoise_tikhonov, denoise_tv
from applications.denoising._dask import FIXED_ITERATIONS, huber_depth, tikhonov_depth, tv_depth

da = pytest.importorskip("dask.array")


def noisy_camera(size=192, dtype=np.float32, sigma=0.1, seed=0):
    clean = data.camera()[100:100 + size, 150:150 + size] / 255.0
    rng = np.random.default_rng(seed)
    return (clean + sigma * rng.standard_normal(clean.shape)).astype(dtype)


def test_tv_returns_a_lazy_array_of_the_same_layout():
    image = noisy_camera(64)
    x = da.from_array(image, chunks=32)
    out = denoise_tv(x, 0.1, max_iter=5)
    assert is_dask_array(out)
    assert out.chunks == x.chunks and out.dtype == np.float32


@pytest.mark.parametrize("method", ["fista", "chambolle"])
def test_tv_tiles_reproduce_the_whole_image_when_depth_covers_the_iterations(method):
    """One iteration is a stencil of radius one: depth >= max_iter gives the same iterate."""
    image = noisy_camera(96, np.float64)
    tiled = denoise_tv(da.from_array(image, chunks=32), 0.1, method=method, max_iter=12,
                       depth=12)
    whole = denoise_tv(image, 0.1, method=method, tol=FIXED_ITERATIONS, max_iter=12)
    np.testing.assert_allclose(tiled.compute(), whole, rtol=0, atol=1e-12)


def test_tv_default_depth_meets_the_benchmark_targets():
    """weight 0.1, 100 iterations per tile, default overlap (40 px): max <= 1e-3, mean <= 1e-5."""
    image = noisy_camera(192)
    tiled = denoise_tv(da.from_array(image, chunks=64), 0.1).compute()
    whole = denoise_tv(image, 0.1, tol=FIXED_ITERATIONS, max_iter=100)
    diff = np.abs(tiled - whole)
    assert diff.max() <= 1e-3 and diff.mean() <= 1e-5
    # per-tile stopping on a loose gap (what apply_parallel does) is far worse
    loose = denoise_tv(da.from_array(image, chunks=64), 0.1, tol=5e-2).compute()
    assert np.abs(loose - whole).mean() > 10 * diff.mean()


def test_tv_color_channels_chunked_separately():
    rng = np.random.default_rng(1)
    image = np.clip(data.astronaut()[:64, :64] / 255.0 + 0.1 * rng.standard_normal((64, 64, 3)),
                    0, 1)
    tiled = denoise_tv(da.from_array(image, chunks=(32, 32, 1)), 0.1, channel_axis=-1,
                       max_iter=10, depth=10)
    whole = denoise_tv(image, 0.1, channel_axis=-1, tol=FIXED_ITERATIONS, max_iter=10)
    np.testing.assert_allclose(tiled.compute(), whole, atol=1e-12)


@pytest.mark.parametrize("denoiser, kwargs", [
    (denoise_tikhonov, {"weight": 1.0}), (denoise_huber, {"weight": 0.1, "delta": 0.02}),
])
def test_variational_tiles_match_the_whole_image(denoiser, kwargs):
    image = noisy_camera(96, np.float64)
    tiled = denoiser(da.from_array(image, chunks=48), **kwargs).compute()
    whole = denoiser(image, tol=1e-6, max_iter=2000, **kwargs)
    diff = np.abs(tiled - whole)
    assert diff.max() <= 1e-3 and diff.mean() <= 1e-5


def test_depth_rules():
    assert tv_depth(0.1) == 40 and tv_depth(0.1, max_iter=25) == 25 and tv_depth(0.0) == 16
    assert tikhonov_depth(1.0) == 16 and tikhonov_depth(9.0) > tikhonov_depth(1.0)
    assert huber_depth(0.1, 0.01) >= max(tv_depth(0.1), tikhonov_depth(10.0))


def test_tv_on_a_distributed_cluster(active_client):
    image = noisy_camera(64, np.float64)
    tiled = denoise_tv(da.from_array(image, chunks=32), 0.1, max_iter=8, depth=8)
    whole = denoise_tv(image, 0.1, tol=FIXED_ITERATIONS, max_iter=8)
    np.testing.assert_allclose(tiled.compute(), whole, atol=1e-12)


@pytest.mark.parametrize("call, error, message", [
    (lambda x: denoise_tv((x * 255).astype(np.uint8), 0.1), DaskInputError, "dtype uint8"),
    (lambda x: denoise_tv(x.rechunk(8), 0.1), DaskInputError, "smaller than the overlap"),
    (lambda x: denoise_huber(x, 0.1, return_info=True), ValueError, "return_info"),
    (lambda x: denoise_tv(x, 0.1, progress=True), ValueError, "ProgressBar"),
    (lambda x: denoise_tv(x, 0.1, depth=-1), ValueError, "depth must be"),
    (lambda x: denoise_tv(x, -1.0), ValueError, "weight"),
])
def test_bad_input_is_named(call, error, message):
    x = da.from_array(noisy_camera(64), chunks=32)
    with pytest.raises(error, match=message):
        call(x)


def test_depth_with_numpy_input_is_a_type_error():
    with pytest.raises(TypeError, match="dask arrays only"):
        denoise_tikhonov(noisy_camera(16), depth=4)


def test_nan_tile_is_named_at_compute_time():
    image = noisy_camera(64)
    image[40, 40] = np.nan
    out = denoise_tv(da.from_array(image, chunks=32), 0.1, max_iter=5)
    with pytest.raises(RuntimeError, match=r"denoise_tv failed on tile \(1, 1\).*NaN"):
        out.compute()
