"""Input checks and conversions shared by the denoisers (scikit-image conventions)."""

from __future__ import annotations

import numpy as np
from skimage.util import img_as_float

__all__ = ["as_float_image", "spatial_axes", "check_weight"]


def as_float_image(image: object) -> np.ndarray:
    """Return ``image`` as a C-contiguous float32/float64 array (a new array, never a view).

    Integer and boolean images are converted like :func:`skimage.util.img_as_float`
    (``uint8`` 255 -> 1.0), float16 becomes float32, float32 and float64 are kept.

    Raises
    ------
    TypeError
        For complex, object or string data.
    ValueError
        For empty arrays and for NaN or infinite pixels.
    """
    arr = np.asarray(image)
    if arr.dtype.kind == "c":
        raise TypeError(f"complex images are not supported (dtype {arr.dtype})")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"image must be a numeric array, got dtype {arr.dtype}")
    if arr.size == 0:
        raise ValueError(f"image is empty (shape {arr.shape})")
    if arr.dtype.kind == "f":
        dtype = np.float32 if arr.dtype.itemsize <= 4 else np.float64
        out = np.array(arr, dtype=dtype, order="C", copy=True)
    else:
        out = np.ascontiguousarray(img_as_float(arr), dtype=np.float64)
        if out is arr or np.shares_memory(out, arr):
            out = out.copy()
    if not np.isfinite(out).all():
        bad = int(np.size(out) - np.count_nonzero(np.isfinite(out)))
        raise ValueError(f"image contains {bad} NaN or infinite pixel(s)")
    return out


def spatial_axes(ndim: int, channel_axis: int | None) -> tuple[tuple[int, ...], int | None]:
    """The spatial axes of an ``ndim``-dimensional image, and the normalised channel axis."""
    if channel_axis is None:
        if ndim < 1:
            raise ValueError("image must have at least one dimension")
        return tuple(range(ndim)), None
    if not isinstance(channel_axis, (int, np.integer)):
        raise TypeError(f"channel_axis must be an int or None, got {channel_axis!r}")
    if not -ndim <= channel_axis < ndim:
        raise ValueError(f"channel_axis={channel_axis} is out of range for an image with "
                         f"{ndim} dimension(s)")
    if ndim < 2:
        raise ValueError("a color image needs at least one spatial axis besides channel_axis")
    axis = int(channel_axis) % ndim
    return tuple(a for a in range(ndim) if a != axis), axis


def check_weight(weight: float) -> float:
    """Validate a regularisation weight (a finite number >= 0)."""
    try:
        value = float(weight)
    except (TypeError, ValueError):
        raise TypeError(f"weight must be a number, got {weight!r}") from None
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"weight must be finite and >= 0, got {weight!r}")
    return value
