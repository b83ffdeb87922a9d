"""Input checks and conversions shared by the denoisers (scikit-image conventions)."""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["as_float_image", "spatial_axes", "check_weight", "check_float_range",
           "FLOAT_RANGE"]

#: Float images are expected in [0, 1] (weights and noise levels are in those units); a
#: noisy image goes a little outside, so only data whose bulk lies beyond this is flagged.
FLOAT_RANGE = (-1.0, 2.0)


def as_float_image(image: object) -> np.ndarray:
    """Return ``image`` as a C-contiguous float32/float64 array (a new array, never a view).

    Integer and boolean images are converted like :func:`skimage.util.img_as_float`
    (``uint8`` 255 -> 1.0, ``uint16`` 65535 -> 1.0), float16 becomes float32, float32 and
    float64 are kept.

    Warns (``UserWarning``) when float data lie far outside [0, 1] (for example [0, 255]:
    a weight meant for [0, 1] then does almost nothing and the result, shown as an image,
    is white), and when an integer image uses so little of its dtype's range that the
    rescaled image is almost black (values 0..255 stored as ``int64``).

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
        from skimage.util import img_as_float  # imported here: keeps the CLI's --help fast

        _check_integer_range(arr)
        out = np.ascontiguousarray(img_as_float(arr), dtype=np.float64)
        if out is arr or np.shares_memory(out, arr):
            out = out.copy()
    if not np.isfinite(out).all():
        bad = int(np.size(out) - np.count_nonzero(np.isfinite(out)))
        raise ValueError(f"image contains {bad} NaN or infinite pixel(s)")
    if arr.dtype.kind == "f":
        problem = check_float_range(out)
        if problem:
            warnings.warn(problem, UserWarning, stacklevel=3)
    return out


def check_float_range(image: np.ndarray) -> str | None:
    """Why a float image is not on the [0, 1] scale, or None when it is.

    The 0.5 and 99.5 percentiles must lie in :data:`FLOAT_RANGE`: noise may push pixels a
    little outside [0, 1], data on a [0, 255] or [0, 65535] scale cannot hide.
    """
    values = np.asarray(image)
    if values.size == 0:
        return None
    low, high = np.percentile(values, [0.5, 99.5])
    if FLOAT_RANGE[0] <= low and high <= FLOAT_RANGE[1]:
        return None
    lo, hi = float(np.min(values)), float(np.max(values))
    hint = (f" (divide by {255 if hi <= 255 else 65535}?)" if 2 < hi <= 65535 and lo >= -1
            else "")
    return (f"float image values span [{lo:.4g}, {hi:.4g}], but float images are expected "
            f"in [0, 1]{hint}: weights and noise levels are on that scale, so a weight "
            "meant for [0, 1] barely changes the image")


def _check_integer_range(arr: np.ndarray) -> None:
    if arr.dtype.kind not in "iu" or arr.dtype.itemsize == 1:
        return
    top = int(np.max(arr))
    if 0 < top <= 255:
        scale = np.iinfo(arr.dtype).max
        warnings.warn(f"{arr.dtype} image with values at most {top}: integer images are "
                      f"rescaled by their dtype's range (divided by {scale}), so this one "
                      "becomes almost black and noise-free; convert it to uint8, or to "
                      "floats in [0, 1]", UserWarning, stacklevel=4)


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
