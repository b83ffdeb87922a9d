"""warp, input validation and the command line of applications.registration."""

import json

import numpy as np
import pytest
import scipy.ndimage as ndi

from applications.registration import register, sample_pair, warp
from applications.registration.__main__ import main


@pytest.fixture(scope="module")
def translated():
    pair = sample_pair("translation", size=64, noise=0.0)
    return pair, register(pair.fixed, pair.moving, transform="translation")


def test_warp_order_zero_keeps_labels(translated):
    pair, res = translated
    labels = (pair.moving > 0.5).astype(np.uint8) * 3 + (pair.moving > 0.2).astype(np.uint8)
    out = warp(labels, res, order=0)
    assert out.dtype == labels.dtype and out.shape == labels.shape
    assert set(np.unique(out)) <= set(np.unique(labels)) | {0}
    # labels follow the transform: same as nearest-neighbour warping with the true flow
    grid = np.stack(np.mgrid[0:64, 0:64]).astype(float)
    expected = ndi.map_coordinates(labels, grid + pair.flow, order=0)
    assert np.mean(out == expected) > 0.99


def test_warp_matches_result_and_channels(translated):
    pair, res = translated
    assert np.allclose(warp(pair.moving, res, order=3), res.warped)
    rgb = np.stack([pair.moving, 2 * pair.moving, 3 * pair.moving], axis=-1)
    out = warp(rgb, res)
    assert out.shape == rgb.shape
    assert np.allclose(out[..., 2], 3 * out[..., 0])
    with pytest.raises(ValueError, match="does not match the registered grid"):
        warp(np.zeros((10, 10)), res)


@pytest.mark.filterwarnings("ignore::applications.registration.ConvergenceWarning")
def test_inputs_are_not_modified(translated):
    pair, _ = translated
    fixed, moving = pair.fixed.copy(), pair.moving.copy()
    register(fixed, moving, transform="translation", max_iter=2)
    assert np.array_equal(fixed, pair.fixed) and np.array_equal(moving, pair.moving)


def test_integer_images_are_scaled():
    pair = sample_pair("translation", size=64, noise=0.0)
    res = register((pair.fixed * 255).clip(0, 255).astype(np.uint8),
                   (pair.moving * 255).clip(0, 255).astype(np.uint8), transform="translation")
    assert np.allclose(res.params, pair.flow[:, 0, 0], atol=0.05)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"moving": np.zeros((64, 60))}, "same shape"),
    ({"moving": np.full((64, 64), np.nan)}, "NaN"),
    ({"transform": "projective"}, "unknown transform"),
    ({"metric": "mattes"}, "unknown metric"),
    ({"metric": "mi", "transform": "displacement"}, "parametric transforms only"),
    ({"method": "lbfgs"}, "does not apply"),
    ({"initial": "random"}, "initial must be"),
    ({"initial": np.eye(4)}, "initial matrix must have shape"),
    ({"levels": 0}, "levels must be"),
    ({"levels": 6}, "too many for shape"),
    ({"fixed": np.zeros((4, 64)), "moving": np.zeros((4, 64))}, "too small"),
    ({"regularizer": "tv"}, "unknown regularizer"),
])
def test_clear_errors(kwargs, match):
    args = {"fixed": np.random.default_rng(0).random((64, 64)),
            "moving": np.random.default_rng(1).random((64, 64))}
    fixed, moving = kwargs.pop("fixed", args["fixed"]), kwargs.pop("moving", args["moving"])
    with pytest.raises(ValueError, match=match):
        register(fixed, moving, **kwargs)


def test_rigid_refuses_3d():
    vol = np.random.default_rng(0).random((16, 16, 16))
    with pytest.raises(ValueError, match="2-D images only"):
        register(vol, vol, transform="rigid")


def test_cli_sample_run_writes_outputs(tmp_path, capsys):
    out = tmp_path / "reg"
    assert main(["--transform", "translation", "--size", "64", "--out", str(out)]) == 0
    summary = json.loads((out / "metrics.json").read_text())
    assert summary["end_point_error_px"] < 0.05
    assert (out / "registration.png").stat().st_size > 0
    assert "end-point error" in capsys.readouterr().out


def test_cli_errors(tmp_path, capsys):
    from skimage import io

    a, b = tmp_path / "a.png", tmp_path / "b.png"
    io.imsave(a, np.zeros((32, 32), dtype=np.uint8), check_contrast=False)
    io.imsave(b, np.zeros((32, 40), dtype=np.uint8), check_contrast=False)
    assert main([str(a), str(b), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "different shapes" in err and "\n" not in err
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    assert main([str(a), str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "cannot read image" in capsys.readouterr().err
    assert main([str(a), "--out", str(tmp_path / "o")]) == 2
    assert not (tmp_path / "o" / "metrics.json").exists()


def test_cli_nan_and_help(tmp_path, capsys):
    from skimage import io

    image = np.ones((32, 32), dtype=np.float32)
    image[3, 3] = np.nan
    path = tmp_path / "nan.tif"
    io.imsave(path, image)
    assert main([str(path), str(path), "--out", str(tmp_path / "o")]) == 2
    assert "NaN" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "--transform" in capsys.readouterr().out


def test_cli_keeps_existing_outputs_unless_overwrite(tmp_path, capsys):
    out = tmp_path / "reg"
    out.mkdir()
    (out / "metrics.json").write_text("{}")
    args = ["--transform", "translation", "--size", "48", "--out", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "exists" in err and "--overwrite" in err and len(err.splitlines()) == 1
    assert (out / "metrics.json").read_text() == "{}"
    assert main([*args, "--overwrite"]) == 0
    assert json.loads((out / "metrics.json").read_text())["transform"] == "translation"
