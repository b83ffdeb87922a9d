"""python -m applications.segmentation: outputs, 3-D input, refusals, one-line errors."""

import subprocess
import sys

import numpy as np
import pytest
from skimage import io

from applications.segmentation.__main__ import CliError, check_outputs, main


@pytest.fixture(autouse=True)
def agg_backend(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")


def test_sample_run_writes_mask_and_figure(tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["--out", str(out), "--no-progress"]) == 0
    text = capsys.readouterr().out
    mask = np.load(out / "horse_mask.npy")
    assert mask.dtype == bool and mask.shape == (256, 256)
    png = io.imread(out / "horse_mask.png")
    np.testing.assert_array_equal(png > 127, mask)
    assert (out / "horse_figure.png").stat().st_size > 10_000
    dice = float(text.split("Dice against the true silhouette:")[1].split()[0])
    assert dice > 0.97


def test_refuses_to_overwrite_outputs_and_input(tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["--out", str(out), "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "exists" in err and "--overwrite" in err
    assert main(["--out", str(out), "--no-progress", "--overwrite"]) == 0
    # an input is never replaced, even with --overwrite (output names derive from it, and
    # the check refuses any collision)
    victim = tmp_path / "x.npy"
    np.save(victim, np.random.default_rng(0).random((20, 20)))
    before = victim.read_bytes()
    assert main([str(victim), "--out", str(tmp_path), "--overwrite", "--no-progress"]) == 0
    assert victim.read_bytes() == before
    capsys.readouterr()
    with pytest.raises(CliError, match="overwrite the input"):
        check_outputs({"npy": victim}, [str(victim)], overwrite=True)


def test_volume_and_colour_inputs(tmp_path, capsys):
    rng = np.random.default_rng(1)
    vol = np.zeros((20, 24, 24))
    vol[5:15, 6:18, 6:18] = 1
    np.save(tmp_path / "vol.npy", vol + 0.2 * rng.standard_normal(vol.shape))
    assert main([str(tmp_path / "vol.npy"), "--out", str(tmp_path / "o"),
                 "--no-progress"]) == 0
    mask = np.load(tmp_path / "o" / "vol_mask.npy")
    assert mask.shape == vol.shape and (mask == vol.astype(bool)).mean() > 0.98
    assert not (tmp_path / "o" / "vol_mask.png").exists()
    rgb = np.zeros((40, 40, 3), np.uint8)
    rgb[10:30, 10:30] = (200, 40, 40)
    rgb[rgb.sum(axis=-1) == 0] = (40, 120, 40)
    io.imsave(tmp_path / "rgb.png", rgb, check_contrast=False)
    assert main([str(tmp_path / "rgb.png"), "--out", str(tmp_path / "o"),
                 "--phases", "3", "--no-progress"]) == 0
    assert "channels on axis -1" in capsys.readouterr().out


@pytest.mark.parametrize("args, match", [
    (["missing.png"], "no such file"),
    (["--weight", "-1"], "--weight"),
    (["--phases", "1"], "--phases"),
    (["--channel-axis", "x"], "--channel-axis"),
])
def test_one_line_errors(tmp_path, capsys, args, match):
    assert main(args + ["--out", str(tmp_path / "o"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and match in err


def test_bad_file_and_bad_channel_axis(tmp_path, capsys):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    assert main([str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "cannot read" in capsys.readouterr().err
    np.save(tmp_path / "a.npy", np.random.default_rng(0).random((10, 10)))
    assert main([str(tmp_path / "a.npy"), "--channel-axis", "5",
                 "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "channel_axis" in err and err.count("\n") == 1


def test_help_is_fast_and_light():
    code = ("import sys, runpy; sys.argv = ['x', '--help']\n"
            "try:\n    runpy.run_module('applications.segmentation', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            "heavy = [m for m in ('numpy', 'scipy', 'autodiff', 'skimage') if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60).stdout
    assert "usage:" in out and "HEAVY []" in out
