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


# --- the shared CLI rules (issue 14) --------------------------------------------------------

def test_help_imports_nothing_heavy():
    code = ("import runpy, sys\n"
            "sys.argv = ['x', '--help']\n"
            "try:\n"
            "    runpy.run_module('applications.denoising', run_name='__main__')\n"
            "except SystemExit:\n"
            "    pass\n"
            "heavy = [m for m in ('numpy', 'skimage', 'matplotlib', 'autodiff', 'scipy')\n"
            "         if m in sys.modules]\n"
            "print('HEAVY', heavy)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert "HEAVY []" in proc.stdout, proc.stdout + proc.stderr
    assert "(default: tv)" in proc.stdout and "(default: results/denoising)" in proc.stdout


def test_cli_method_list_matches_library():
    from applications.denoising import TV_METHODS
    from applications.denoising.__main__ import TV_METHODS as CLI_TV_METHODS
    assert tuple(CLI_TV_METHODS) == tuple(TV_METHODS)


def _gray(tmp_path, name="in.png", dtype=np.uint8):
    rng = np.random.default_rng(1)
    top = np.iinfo(dtype).max
    img = np.clip(0.5 + 0.1 * rng.standard_normal((24, 20)), 0, 1)
    path = tmp_path / name
    io.imsave(path, (img * top).round().astype(dtype), check_contrast=False)
    return path


def test_existing_outputs_are_kept_unless_overwrite(tmp_path, capsys):
    src = _gray(tmp_path)
    out = tmp_path / "res"
    assert main([str(src), "--out", str(out), "--no-progress"]) == 0
    target = out / "in_denoised.png"
    stamp = target.stat().st_mtime_ns
    capsys.readouterr()
    assert main([str(src), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "already exists" in err and "--overwrite" in err and len(err.splitlines()) == 1
    assert target.stat().st_mtime_ns == stamp
    assert main([str(src), "--out", str(out), "--no-progress", "--overwrite"]) == 0
    # --overwrite never allows writing over the input
    assert main([str(src), "--out", str(src), "--overwrite"]) == 2


def test_output_path_problems_are_found_before_any_work(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["--out", str(blocker / "sub"), "--no-progress"]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert main(["--out", str(tmp_path / "x.gif")]) == 2
    assert "cannot write .gif" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".jpg", ".tif", ".png"])
def test_out_file_suffix_is_honoured(tmp_path, capsys, suffix):
    src = _gray(tmp_path)
    out = tmp_path / f"result{suffix}"
    assert main([str(src), "--out", str(out), "--no-progress"]) == 0
    assert out.is_file() and (tmp_path / "result.npy").is_file()
    assert not (tmp_path / "result.png").exists() or suffix == ".png"
    assert io.imread(out).shape == (24, 20)


def test_16_bit_in_16_bit_out_and_the_rescaling_is_said(tmp_path, capsys):
    src = _gray(tmp_path, "deep.png", np.uint16)
    assert main([str(src), "--out", str(tmp_path / "o"), "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "divided by 65535" in text
    out = io.imread(tmp_path / "o" / "deep_denoised.png")
    assert out.dtype == np.uint16
    assert main([str(src), "--out", str(tmp_path / "d.jpg")]) == 2
    assert "16-bit" in capsys.readouterr().err


def test_alpha_channel_passes_through_untouched(tmp_path, capsys):
    rng = np.random.default_rng(2)
    rgba = (rng.random((20, 24, 4)) * 255).astype(np.uint8)
    rgba[..., 3] = np.where(np.arange(24) < 12, 0, 255)[None, :]
    rgba[5, 5, 3] = 77
    path = tmp_path / "rgba.png"
    io.imsave(path, rgba, check_contrast=False)
    assert main([str(path), "--out", str(tmp_path / "o"), "--no-progress"]) == 0
    out = io.imread(tmp_path / "o" / "rgba_denoised.png")
    assert out.shape == rgba.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out[..., 3], rgba[..., 3])
    assert not np.array_equal(out[..., :3], rgba[..., :3])
    assert "alpha channel passed through" in capsys.readouterr().out


def test_float_data_on_the_255_scale_is_refused(tmp_path, capsys):
    path = tmp_path / "big.npy"
    np.save(path, np.random.default_rng(0).uniform(0, 255, (16, 16)))
    assert main([str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert "[0, 1]" in err and "255" in err and len(err.splitlines()) == 1


def test_zero_noise_estimate_warns_and_suggests_sigma(tmp_path, capsys):
    path = tmp_path / "flat.png"
    y, x = np.indices((32, 32))
    io.imsave(path, np.where(x > 16, 200, 40).astype(np.uint8), check_contrast=False)
    assert main([str(path), "--out", str(tmp_path / "o"), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "warning:" in err and "--sigma" in err and "--weight" in err
