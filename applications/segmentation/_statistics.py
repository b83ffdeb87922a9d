"""Image statistics for the default initialisation and weight: Otsu's threshold and a
wavelet noise estimate (small NumPy versions, so that importing the segmenter stays light).
"""

from __future__ import annotations

import numpy as np

__all__ = ["otsu_threshold", "noise_level"]


def otsu_threshold(values: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold of a set of values: the histogram split (``bins`` bins) that
    maximises the between-class variance; pixels ``> threshold`` form the upper class."""
    values = np.asarray(values, dtype=np.float64).ravel()
    lo, hi = float(values.min()), float(values.max())
    if lo == hi:
        return lo
    counts, edges = np.histogram(values, bins=bins, range=(lo, hi))
    centres = 0.5 * (edges[:-1] + edges[1:])
    weight_low = np.cumsum(counts)
    weight_high = weight_low[-1] - weight_low
    sum_low = np.cumsum(counts * centres)
    mean_low = sum_low / np.maximum(weight_low, 1)
    mean_high = (sum_low[-1] - sum_low) / np.maximum(weight_high, 1)
    between = weight_low * weight_high * (mean_low - mean_high) ** 2
    return float(centres[int(np.argmax(between[:-1]))])


def noise_level(f: np.ndarray) -> float:
    r"""Standard deviation of white Gaussian noise, averaged over channels (``f`` is
    ``(C, *spatial)``): Donoho's :math:`\operatorname{median}|c| / 0.6745` of the Haar
    coefficients that are high-pass along every spatial axis of length >= 2."""
    estimates = []
    for channel in f:
        band = channel
        for axis in range(channel.ndim):
            n = 2 * (band.shape[axis] // 2)
            if n < 2:
                continue
            even = np.take(band, np.arange(0, n, 2), axis=axis)
            odd = np.take(band, np.arange(1, n, 2), axis=axis)
            band = (even - odd) / np.sqrt(2.0)
        estimates.append(float(np.median(np.abs(band))) / 0.6745)
    return float(np.mean(estimates))
