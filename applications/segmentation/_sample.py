"""Generated two-phase test images with ground truth (used by the CLI, tests and benchmark).

Everything is computed here from a seed: silhouettes (scikit-image's horse mask, or an
analytic star shape), binary blobs, blur, a multiplicative bias ramp, an isoluminant colour
pair and a 3-D blobs volume, each with Gaussian noise.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Case", "star", "horse", "blobs", "two_phase_cases", "noisy_case"]


class Case(NamedTuple):
    """A generated image, its true object mask and its channel axis."""

    name: str
    image: np.ndarray
    truth: np.ndarray
    channel_axis: int | None = None


def star(shape: tuple[int, int] = (128, 128), arms: int = 5, depth: float = 0.3) -> np.ndarray:
    """A star-shaped object in the middle of the frame (boolean)."""
    yy, xx = np.indices(shape, dtype=float)
    cy, cx = (shape[0] - 1) / 2, (shape[1] - 1) / 2
    angle = np.arctan2(yy - cy, xx - cx)
    radius = 0.33 * min(shape) * (1 + depth * np.cos(arms * angle))
    return np.hypot(yy - cy, xx - cx) < radius


def horse(size: int = 512) -> np.ndarray:
    """scikit-image's horse silhouette (object True), padded to a square and resized."""
    from skimage import data
    from skimage.transform import resize

    h = ~data.horse()
    side = max(h.shape) + 40
    canvas = np.zeros((side, side), bool)
    y0, x0 = (side - h.shape[0]) // 2, (side - h.shape[1]) // 2
    canvas[y0:y0 + h.shape[0], x0:x0 + h.shape[1]] = h
    return resize(canvas.astype(float), (size, size), order=1, anti_aliasing=False) > 0.5


def blobs(shape: tuple[int, ...], seed: int, fraction: float = 0.35,
          size: float = 0.1) -> np.ndarray:
    """Binary blobs (boolean), ``n``-D, from a seed."""
    from skimage.data import binary_blobs

    n = max(shape)
    out = binary_blobs(n, blob_size_fraction=size, n_dim=len(shape), volume_fraction=fraction,
                       rng=seed)
    return out[tuple(slice(0, s) for s in shape)]


def noisy_case(name: str, truth: np.ndarray, sigma: float, seed: int, *, low: float = 0.3,
               high: float = 0.7) -> Case:
    """``low``/``high`` intensities plus Gaussian noise of standard deviation ``sigma``."""
    rng = np.random.default_rng(seed)
    clean = np.where(truth, high, low)
    return Case(name, clean + sigma * rng.standard_normal(truth.shape), truth)


def two_phase_cases(size: int = 512, volume: int = 64, seed: int = 0) -> list[Case]:
    """The benchmark cases: silhouettes, blobs at three noise levels, blur, bias ramp,
    isoluminant colour (``size`` x ``size``) and a 3-D blobs volume (``volume`` ** 3)."""
    from scipy import ndimage as ndi

    rng = np.random.default_rng(seed)
    shape = horse(size)
    cases = [noisy_case("horse s=0.1", shape, 0.1, seed + 1),
             noisy_case("horse s=0.3", shape, 0.3, seed + 2)]
    b = blobs((size, size), seed + 3)
    for k, s in enumerate((0.25, 0.5, 1.0)):
        cases.append(noisy_case(f"blobs s={s:g}", b, s * 0.4, seed + 4 + k))
    st = star((size, size))
    blurred = ndi.gaussian_filter(np.where(st, 0.7, 0.3), size / 128)
    cases.append(Case("star blur", blurred + 0.1 * rng.standard_normal(st.shape), st))
    ramp = np.linspace(0.5, 1.5, size)[np.newaxis, :]
    biased = np.where(st, 0.6, 0.35) * ramp
    cases.append(Case("star bias ramp", biased + 0.05 * rng.standard_normal(st.shape), st))
    # Two colours of equal luminance (ITU-R 709 weights): invisible after rgb2gray.
    background = np.array([0.3, 0.5, 0.5])
    obj = np.array([0.7, 0.0, 0.5])
    lum = np.array([0.2125, 0.7154, 0.0721])
    obj[1] = (lum @ background - lum[0] * obj[0] - lum[2] * obj[2]) / lum[1]
    colour = np.where(shape[..., None], obj, background)
    colour = colour + 0.1 * rng.standard_normal(colour.shape)
    cases.append(Case("isoluminant colour", colour, shape, -1))
    vol = blobs((volume,) * 3, seed + 9, size=0.15)
    cases.append(noisy_case("3-D blobs", vol, 0.2, seed + 10))
    return cases
