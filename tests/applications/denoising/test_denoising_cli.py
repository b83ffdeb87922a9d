"""python -m applications.denoising: outputs, metrics, and one-line errors."""

import subprocess
import sys

import numpy as np
import pytest
from skimage import io

from applications.denoising import psnr
from applications.denoising.__main__ import main


@pytest.fixture(autouse=True)
def agg_backend(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")


def test_sample_run_writes_outputs_and_improves_psnr(tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["--out", str(out), "--sigma", "0.1", "--no-progress"]) == 0
    text = capsys.readouterr().out
    for name in ("camera_denoised.png", "camera_denoised.npy", "camera_figure.png",
                 "camera_noisy.png"):
        assert (out / name).is_file(), name
    u = np.load(out / "camera_denoised.npy")
    assert u.shape == (512, 512) and u.dtype == np.float32
    png = io.imread(out / "camera_denoised.png")
    assert png.dtype == np.uint8 and png.shape == (512, 512)
    assert np.abs(png / 255.0 - np.clip(u, 0, 1)).max() <= 0.5 / 255 + 1e-6
    lines = {line.split()[0]: line for line in text.splitlines() if "PSNR" in line}
    noisy_psnr = float(lines["noisy"].split()[2])
    denoised_psnr = float(lines["denoised"].split()[2])
    assert noisy_psnr == pytest.approx(20.0, abs=0.1)
    assert denoised_psnr > 28.5
    assert "energy=" in text and "relative gap=" in text


def test_color_image_with_reference(tmp_path, capsys):
    rng = np.random.default_rng(0)
    y, x = np.indices((48, 40))
    clean = np.stack([(x > 20) * 0.8, (y > 24) * 0.6, np.full(x.shape, 0.3)], -1)
    noisy = np.clip(clean + 0.1 * rng.standard_normal(clean.shape), 0, 1)
    io.imsave(tmp_path / "noisy.png", (noisy * 255).round().astype(np.uint8))
    io.imsave(tmp_path / "clean.png", (clean * 255).round().astype(np.uint8))
    code = main([str(tmp_path / "noisy.png"), "--reference", str(tmp_path / "clean.png"),
                 "--out", str(tmp_path / "out"), "--no-progress"])
    assert code == 0
    u = np.load(tmp_path / "out" / "noisy_denoised.npy")
    assert u.shape == clean.shape
    assert psnr(clean, u) > psnr(clean, noisy) + 3
    assert "estimated sigma" in capsys.readouterr().out


def test_refuses_to_overwrite_input(tmp_path, capsys):
    img = tmp_path / "x.png"
    io.imsave(img, np.full((16, 16), 128, np.uint8), check_contrast=False)
    before = img.read_bytes()
    assert main([str(img), "--out", str(img)]) == 2
    err = capsys.readouterr().err
    assert "overwrite" in err and len(err.strip().splitlines()) == 1
    assert img.read_bytes() == before


@pytest.mark.parametrize("content, match", [
    (None, "no such file"),
    (b"not an image", "cannot read"),
    ("nan", "NaN"),
    ("volume", "shape"),
    ("tiny", "2x2"),
])
def test_bad_inputs_fail_with_one_line(tmp_path, capsys, content, match):
    path = tmp_path / ("in.npy" if isinstance(content, str) else "in.png")
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content == "nan":
        a = np.random.default_rng(0).random((8, 8))
        a[2, 3] = np.nan
        np.save(path, a)
    elif content == "volume":
        np.save(path, np.zeros((4, 5, 6)))
    elif content == "tiny":
        np.save(path, np.zeros((1, 5)))
    assert main([str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert match in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_bad_options_fail_cleanly(tmp_path, capsys):
    assert main(["--weight", "-1", "--out", str(tmp_path)]) == 2
    assert main(["--method", "adam", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--weight" in err and "not a TV method" in err


def test_module_entry_point_help():
    proc = subprocess.run([sys.executable, "-m", "applications.denoising", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "--weight" in proc.stdout and "--out" in proc.stdout
