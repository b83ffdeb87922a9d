"""The denoising CLI's --chunks path: stream a .npy / zarr image through dask to disk."""

import numpy as np
import pytest

from applications.denoising import denoise_tv
from applications.denoising.__main__ import main
from applications.denoising._dask import FIXED_ITERATIONS

pytest.importorskip("dask.array")


@pytest.fixture
def big(tmp_path):
    rng = np.random.default_rng(0)
    image = (np.kron(rng.random((6, 5)), np.ones((16, 16))) + 0.1 * rng.standard_normal(
        (96, 80))).astype(np.float32)
    path = tmp_path / "big.npy"
    np.save(path, image)
    return path, image


def test_chunks_streams_a_npy_file(big, tmp_path, capsys):
    path, image = big
    out = tmp_path / "out"
    assert main([str(path), "--chunks", "40", "--weight", "0.1", "--max-iter", "10",
                 "--out", str(out)]) == 0
    result = np.load(out / "big_denoised.npy", mmap_mode="r")
    whole = denoise_tv(image, 0.1, tol=FIXED_ITERATIONS, max_iter=10)
    np.testing.assert_allclose(result, whole, atol=1e-6)
    assert sorted(p.name for p in out.iterdir()) == ["big_denoised.npy"]
    assert "wrote" in capsys.readouterr().out


def test_chunks_streams_a_zarr_store(big, tmp_path):
    pytest.importorskip("zarr")
    import dask.array as da

    path, image = big
    store = tmp_path / "big.zarr"
    da.from_array(image, chunks=32).to_zarr(str(store))
    out = tmp_path / "result.zarr"
    assert main([str(store), "--chunks", "48,40", "--regularizer", "tikhonov", "--weight",
                 "1", "--out", str(out)]) == 0
    assert da.from_zarr(str(out)).shape == image.shape


@pytest.mark.parametrize("argv, message", [
    (["--chunks", "40"], "needs an IMAGE"),
    (["{big}", "--chunks", "abc"], "comma-separated list of ints"),
    (["{big}", "--chunks", "4", "--weight", "0.1"], "smaller than the overlap"),
    (["{png}", "--chunks", "40"], "neither"),
])
def test_bad_chunked_input_is_one_line(big, tmp_path, capsys, argv, message):
    path, _ = big
    png = tmp_path / "x.png"
    png.write_bytes(b"")
    argv = [a.format(big=path, png=png) for a in argv] + ["--out", str(tmp_path / "o")]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_failure_leaves_no_output(tmp_path, capsys):
    image = np.ones((64, 64), dtype=np.float32)
    image[50, 50] = np.inf
    np.save(tmp_path / "bad.npy", image)
    out = tmp_path / "out"
    assert main([str(tmp_path / "bad.npy"), "--chunks", "32", "--weight", "0.1",
                 "--out", str(out)]) == 2
    assert "nothing was written" in capsys.readouterr().err
    assert not any(out.iterdir())
