"""Noise estimate, default weight rule and metrics."""

import numpy as np
import pytest
from skimage import data, img_as_float

from applications.denoising import default_weight, estimate_noise, psnr, ssim


@pytest.mark.parametrize("sigma", [0.05, 0.1, 0.2])
def test_estimate_noise_on_camera(sigma):
    # (at sigma 0.02 the camera's own texture biases the estimate up to ~0.025)
    clean = img_as_float(data.camera())
    rng = np.random.default_rng(0)
    noisy = clean + sigma * rng.standard_normal(clean.shape)
    assert estimate_noise(noisy) == pytest.approx(sigma, rel=0.1, abs=0.004)


def test_estimate_noise_color_and_pure_noise():
    rng = np.random.default_rng(1)
    noise = 0.07 * rng.standard_normal((128, 96, 3))
    assert estimate_noise(noise, channel_axis=-1) == pytest.approx(0.07, rel=0.05)
    assert estimate_noise(np.zeros((8, 8))) == 0.0
    with pytest.raises(ValueError, match="2 pixels"):
        estimate_noise(np.zeros((1, 8)))


def test_default_weight_rule():
    assert default_weight(0.1) == pytest.approx(0.078, abs=0.003)
    assert default_weight(0.05) == pytest.approx(0.031, abs=0.003)
    assert default_weight(0.0) == 0.0
    assert default_weight(0.2) / default_weight(0.1) > 2.0  # grows faster than sigma
    assert default_weight(0.1, "tikhonov") == pytest.approx(1.05, abs=0.1)
    with pytest.raises(ValueError):
        default_weight(float("nan"))
    with pytest.raises(ValueError, match="no weight rule"):
        default_weight(0.1, "wavelet")


def test_psnr_ssim_values():
    a = np.zeros((32, 32))
    b = a + 0.1
    assert psnr(a, b) == pytest.approx(20.0)
    assert ssim(a + 0.5, a + 0.5) == pytest.approx(1.0)
    assert ssim(np.zeros((16, 16, 3)) + 0.5, np.zeros((16, 16, 3)) + 0.5,
                channel_axis=-1) == pytest.approx(1.0)
