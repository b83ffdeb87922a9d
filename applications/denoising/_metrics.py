"""Image-quality metrics, noise estimation and the default weight rule."""

from __future__ import annotations

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

__all__ = ["psnr", "ssim", "estimate_noise", "default_weight", "WEIGHT_RULES"]

#: ``weight = scale * sigma ** power`` per regulariser: least-squares fits (in logs) of the
#: PSNR-best weight on the camera image (512x512, Gaussian noise).  TV: sigma 0.01-0.2,
#: weights swept in steps of 0.025 sigma; the best weight grows faster than sigma (0.37
#: sigma at 0.01, 0.62 sigma at 0.05, 0.80 sigma at 0.10, 0.95 sigma at 0.20).  Huber-TV
#: with a small delta uses TV's.  Tikhonov: sigma 0.02-0.2, 61 weights from 0.01 to 10.
WEIGHT_RULES = {"tv": (1.65, 1.33), "huber": (1.65, 1.33), "tikhonov": (37.4, 1.55)}


def psnr(reference: np.ndarray, image: np.ndarray, *, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB (:func:`skimage.metrics.peak_signal_noise_ratio`).

    Parameters
    ----------
    reference, image : ndarray, same shape
        Clean and test images, floats in ``[0, data_range]``.
    data_range : float, optional
        Intensity range (1.0 for float images).
    """
    return float(peak_signal_noise_ratio(np.asarray(reference, dtype=np.float64),
                                         np.asarray(image, dtype=np.float64),
                                         data_range=data_range))


def ssim(reference: np.ndarray, image: np.ndarray, *, data_range: float = 1.0,
         channel_axis: int | None = None) -> float:
    """Mean structural similarity (:func:`skimage.metrics.structural_similarity`).

    Parameters
    ----------
    reference, image : ndarray, same shape
        Clean and test images.
    data_range : float, optional
        Intensity range (1.0 for float images).
    channel_axis : int or None, optional
        Axis of the color channels.
    """
    return float(structural_similarity(np.asarray(reference, dtype=np.float64),
                                       np.asarray(image, dtype=np.float64),
                                       data_range=data_range, channel_axis=channel_axis))


def estimate_noise(image: np.ndarray, *, channel_axis: int | None = None) -> float:
    r"""Standard deviation of additive white Gaussian noise, from the finest wavelet band.

    Donoho's robust estimator, as :func:`skimage.restoration.estimate_sigma` (which needs
    PyWavelets, not a dependency here): the orthonormal Haar coefficients that are
    high-pass along every spatial axis are almost pure noise on natural images, and
    :math:`\hat\sigma = \operatorname{median}|c| / 0.6745`.  Channels are averaged.

    Parameters
    ----------
    image : ndarray
        Noisy image, each spatial axis at least 2 pixels long.
    channel_axis : int or None, optional
        Axis of the color channels.

    Returns
    -------
    float
        The estimated noise level, in the image's intensity units.
    """
    arr = np.asarray(image, dtype=np.float64)
    if channel_axis is not None:
        arr = np.moveaxis(arr, channel_axis, -1)
        return float(np.mean([estimate_noise(arr[..., c]) for c in range(arr.shape[-1])]))
    if min(arr.shape) < 2:
        raise ValueError(f"noise estimation needs >= 2 pixels along every axis, got "
                         f"shape {arr.shape}")
    band = arr
    for axis in range(arr.ndim):
        n = 2 * (band.shape[axis] // 2)
        even = np.take(band, np.arange(0, n, 2), axis=axis)
        odd = np.take(band, np.arange(1, n, 2), axis=axis)
        band = (odd - even) / np.sqrt(2.0)
    return float(np.median(np.abs(band)) / 0.6744897501960817)


def default_weight(sigma: float, regularizer: str = "tv") -> float:
    """Weight for Gaussian noise of level ``sigma`` on an image in [0, 1].

    TV: ``1.65 * sigma ** 1.33`` (0.031 at sigma 0.05, 0.078 at 0.10); see
    ``WEIGHT_RULES`` for the others.

    Parameters
    ----------
    sigma : float
        Noise standard deviation (intensity units, images in [0, 1]).
    regularizer : {"tv", "huber", "tikhonov"}, optional
        Which energy the weight is for.

    Returns
    -------
    float
        The weight for :func:`denoise_tv` (or ``denoise_huber`` / ``denoise_tikhonov``).
    """
    if regularizer not in WEIGHT_RULES:
        raise ValueError(f"no weight rule for {regularizer!r}; known: {list(WEIGHT_RULES)}")
    if not np.isfinite(sigma) or sigma < 0:
        raise ValueError(f"noise level must be finite and >= 0, got {sigma!r}")
    scale, power = WEIGHT_RULES[regularizer]
    return scale * float(sigma) ** power
