"""Input checks and conversions for the segmenters (scikit-image conventions).

Images are handled internally as ``(C, *spatial)`` float64 arrays (channels first, ``C = 1``
for gray images and volumes) with a boolean map of the finite pixels.
"""

from __future__ import annotations

import warnings

import numpy as np
from skimage.util import img_as_float

__all__ = ["SegmentationWarning", "prepare_image", "check_init_mask", "check_budget"]


class SegmentationWarning(UserWarning):
    """A segmentation ran but its result needs attention (budget, degenerate input...)."""


def prepare_image(image: object, channel_axis: int | None, *,
                  min_spatial: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(channels, valid)``: the image as ``(C, *spatial)`` float64 and its finite map.

    Integer and boolean images are converted like :func:`skimage.util.img_as_float`
    (``uint8`` 255 and ``uint16`` 65535 become 1.0); floats are kept in their units.
    Non-finite pixels are allowed (reported by ``valid``); a complex, non-numeric or empty
    image, or an invalid ``channel_axis``, raises.
    """
    arr = np.asarray(image)
    if arr.dtype.kind == "c":
        raise TypeError(f"complex images are not supported (dtype {arr.dtype})")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"image must be a numeric array, got dtype {arr.dtype}")
    if arr.size == 0:
        raise ValueError(f"image is empty (shape {arr.shape})")
    if channel_axis is not None:
        if not isinstance(channel_axis, (int, np.integer)) or isinstance(channel_axis, bool):
            raise TypeError(f"channel_axis must be an int or None, got {channel_axis!r}")
        if not -arr.ndim <= channel_axis < arr.ndim:
            raise ValueError(f"channel_axis={channel_axis} is out of range for an image of "
                             f"shape {arr.shape}")
        if arr.ndim < 2:
            raise ValueError(f"an image with channel_axis needs a spatial axis besides the "
                             f"channels, got shape {arr.shape}")
        arr = np.moveaxis(arr, int(channel_axis), 0)
    else:
        if arr.ndim == 3 and arr.shape[-1] in (3, 4) and min(arr.shape[:2]) > 4:
            warnings.warn(f"image of shape {arr.shape} with channel_axis=None is segmented "
                          "as a 3-D volume; pass channel_axis=-1 for a colour image",
                          SegmentationWarning, stacklevel=3)
        arr = arr[np.newaxis]
    if arr.ndim - 1 > 3:
        raise ValueError(f"images with more than 3 spatial axes are not supported, got "
                         f"{arr.ndim - 1} (shape {np.shape(image)}); is channel_axis missing?")
    if min(arr.shape[1:]) < min_spatial:
        raise ValueError(f"every spatial axis needs at least {min_spatial} pixels, got "
                         f"spatial shape {arr.shape[1:]}")
    if arr.dtype.kind == "f":
        data = np.array(arr, dtype=np.float64, order="C", copy=True)
    else:
        data = np.ascontiguousarray(img_as_float(arr), dtype=np.float64)
    valid = np.isfinite(data).all(axis=0)
    return data, valid


def check_init_mask(init: object, spatial_shape: tuple[int, ...]) -> np.ndarray:
    """Validate a user's initial mask: boolean-like, spatial shape, both phases present."""
    mask = np.asarray(init)
    if mask.shape != tuple(spatial_shape):
        raise ValueError(f"init mask has shape {mask.shape}, the image's spatial shape is "
                         f"{tuple(spatial_shape)}")
    if mask.dtype.kind not in "biuf":
        raise TypeError(f"init mask must be boolean or numeric, got dtype {mask.dtype}")
    mask = mask.astype(bool) if mask.dtype.kind == "b" else mask > 0.5
    if mask.all() or not mask.any():
        raise ValueError("init mask must contain both phases (some True and some False "
                         "pixels)")
    return mask


def check_budget(tol: float, max_iter: int) -> tuple[float, int]:
    """Validate ``tol >= 0`` (0: run exactly ``max_iter`` iterations) and ``max_iter >= 1``."""
    try:
        tol = float(tol)
    except (TypeError, ValueError):
        raise TypeError(f"tol must be a number, got {tol!r}") from None
    if not (np.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be finite and >= 0, got {tol!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) \
            or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    return tol, int(max_iter)
