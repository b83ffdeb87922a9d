"""The command line: 3-D volumes, .npy, dimension checks, no overwriting, level lines."""

import json
import subprocess
import sys
import time

import numpy as np
import pytest
import scipy.ndimage as ndi

from applications.registration.__main__ import main


@pytest.fixture(scope="module")
def volume_pair():
    rng = np.random.default_rng(0)
    vol = ndi.gaussian_filter(rng.standard_normal((24, 28, 26)), 2.0)
    vol = (vol - vol.min()) / np.ptp(vol)
    return vol, ndi.shift(vol, (1.0, -0.5, 0.75), order=3, mode="nearest")


def test_multipage_tiff_volume_is_registered_in_3d(tmp_path, capsys, volume_pair):
    import tifffile

    fixed, moving = volume_pair
    a, b = tmp_path / "fixed.tif", tmp_path / "moving.tif"
    tifffile.imwrite(a, fixed.astype(np.float32))
    tifffile.imwrite(b, moving.astype(np.float32))
    out = tmp_path / "out"
    assert main([str(a), str(b), "--transform", "translation", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    summary = json.loads((out / "metrics.json").read_text())
    assert len(summary["matrix"]) == 4  # a 4x4 homogeneous matrix: registered in 3-D
    assert np.allclose(np.array(summary["matrix"])[:3, 3], [1.0, -0.5, 0.75], atol=0.05)
    lines = [line for line in text.splitlines() if line.startswith("level ")]
    assert len(lines) == len(summary["levels"]) >= 1
    assert "iterations" in lines[0] and "cost" in lines[0]
    assert np.load(out / "result.npz")["flow"].shape == (3, 24, 28, 26)


def test_npy_inputs_are_read_by_path(tmp_path, capsys, volume_pair):
    fixed, moving = volume_pair
    a, b = tmp_path / "fixed.npy", tmp_path / "moving.npy"
    np.save(a, fixed[:, :, 5])
    np.save(b, moving[:, :, 5])
    assert main([str(a), str(b), "--transform", "translation", "--out",
                 str(tmp_path / "o")]) == 0
    bad = tmp_path / "bad.npy"
    bad.write_text("not numpy")
    assert main([str(a), str(bad), "--out", str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: cannot read image") and "BytesIO" not in err
    assert "\n" not in err


def test_dimensions_are_checked(tmp_path, capsys):
    a, b = tmp_path / "a.npy", tmp_path / "b.npy"
    np.save(a, np.zeros((4, 8, 8, 8)))
    np.save(b, np.zeros((4, 8, 8, 8)))
    assert main([str(a), str(b), "--out", str(tmp_path / "o")]) == 2
    assert "expected a 2-D image or a 3-D volume" in capsys.readouterr().err
    np.save(b, np.zeros((8, 8, 8)))
    np.save(a, np.zeros((8, 8)))
    assert main([str(a), str(b), "--out", str(tmp_path / "o")]) == 2
    assert "different shapes" in capsys.readouterr().err


def test_existing_outputs_and_inputs_are_not_overwritten(tmp_path, capsys):
    out = tmp_path / "reg"
    args = ["--transform", "translation", "--size", "64", "--out", str(out)]
    assert main(args) == 0
    before = (out / "metrics.json").read_text()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "exists" in err and "--overwrite" in err
    assert (out / "metrics.json").read_text() == before
    assert main(args + ["--overwrite"]) == 0
    # an input that sits where an output would go is never overwritten
    from skimage import io

    pair_dir = tmp_path / "pair"
    pair_dir.mkdir()
    fixed = pair_dir / "registration.png"
    image = (np.random.default_rng(0).random((32, 32)) * 255).astype(np.uint8)
    io.imsave(fixed, image, check_contrast=False)
    moving = tmp_path / "moving.png"
    io.imsave(moving, image, check_contrast=False)
    data = fixed.read_bytes()
    assert main([str(fixed), str(moving), "--out", str(pair_dir), "--overwrite"]) == 2
    assert "refusing to overwrite input" in capsys.readouterr().err
    assert fixed.read_bytes() == data


def test_help_is_fast_and_imports_nothing_heavy():
    code = ("import sys, time; t = time.perf_counter(); sys.argv = ['x', '--help']\n"
            "import runpy\n"
            "try:\n    runpy.run_module('applications.registration', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            "print('HEAVY' if 'scipy' in sys.modules or 'autodiff' in sys.modules else 'LIGHT')")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.strip().endswith("LIGHT"), out.stdout + out.stderr
    assert "--overwrite" in out.stdout and "--max-size" in out.stdout
    assert "--max-samples" in out.stdout
    assert time.perf_counter() - start < 20


def test_max_samples_option(tmp_path, capsys, volume_pair, level_problems):
    fixed, moving = volume_pair  # 24 x 28 x 26 = 17472 voxels
    a, b = tmp_path / "fixed.npy", tmp_path / "moving.npy"
    np.save(a, fixed)
    np.save(b, moving)
    args = [str(a), str(b), "--transform", "translation", "--levels", "1"]
    assert main(args + ["--max-samples", "4000", "--out", str(tmp_path / "o1")]) == 0
    assert [problem.fixed.shape for _, problem in level_problems] == [(12, 14, 13)]
    summary = json.loads((tmp_path / "o1" / "metrics.json").read_text())
    assert np.allclose(np.array(summary["matrix"])[:3, 3], [1.0, -0.5, 0.75], atol=0.05)
    level_problems.clear()
    assert main(args + ["--max-samples", "0", "--out", str(tmp_path / "o2")]) == 0  # every voxel
    assert [problem.fixed.shape for _, problem in level_problems] == [(24, 28, 26)]
    capsys.readouterr()
    for bad in ("-1", "many"):
        with pytest.raises(SystemExit) as stop:
            main(args + ["--max-samples", bad, "--out", str(tmp_path / "o3")])
        assert stop.value.code == 2
        assert "--max-samples: expected a non-negative integer" in capsys.readouterr().err
