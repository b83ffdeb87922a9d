"""``python -m applications.denoising BIG.npy --chunks 1000``: stream a large image to disk.

The input (a ``.npy`` file, memory-mapped, or a zarr store) is read tile by tile, denoised
through dask (:mod:`._dask`) and written block by block to ``<stem>_denoised.npy`` (or
``.zarr`` for a zarr input) under a temporary name renamed on success, so neither the
image nor the result is ever held in memory and a failure leaves no complete-looking file.
No PNG or figure is written in this mode (they would need the whole image).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from .._dask import DaskInputError, import_dask_array, store_npy, store_zarr
from ._metrics import default_weight, estimate_noise

__all__ = ["parse_chunks", "run_chunked"]

#: The largest central crop used to estimate the noise level of a chunked input.
NOISE_CROP = 1024


def parse_chunks(text: str) -> tuple[int, ...]:
    """``"1000"`` or ``"1000,800"`` -> chunk sizes in pixels (all >= 2)."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"--chunks must be an int or a comma-separated list of ints, got "
                         f"{text!r}") from None
    if not sizes or min(sizes) < 2:
        raise ValueError(f"--chunks sizes must be >= 2 pixels, got {text!r}")
    return sizes


def _open(path: str, error: type[Exception]) -> tuple[Any, str]:
    da = import_dask_array()
    p = Path(path)
    if p.suffix.lower() == ".zarr" or (p.is_dir() and ((p / "zarr.json").exists()
                                                        or (p / ".zarray").exists())):
        try:
            return da.from_zarr(str(p)), ".zarr"
        except Exception as exc:
            raise error(f"cannot read {path!r} as a zarr array: {exc}") from None
    if p.suffix.lower() != ".npy":
        raise error(f"--chunks streams .npy files and zarr stores; {path!r} is neither "
                    "(convert it, or drop --chunks to read it whole)")
    if not p.is_file():
        raise error(f"cannot read {path!r}: no such file")
    try:
        data = np.load(p, mmap_mode="r", allow_pickle=False)
    except Exception as exc:
        raise error(f"cannot read {path!r} as a .npy array: {exc}") from None
    return da.from_array(data, chunks="auto"), ".npy"


def _to_float(block: np.ndarray, dtype: Any) -> np.ndarray:
    from skimage.util import img_as_float

    if block.dtype.kind == "f":
        return block.astype(dtype, copy=False)
    return img_as_float(block).astype(dtype, copy=False)


def run_chunked(args: argparse.Namespace, error: type[Exception]) -> None:
    """The ``--chunks`` path of the CLI; ``error`` is the CLI's one-line error type."""
    from . import denoise_huber, denoise_tikhonov, denoise_tv

    if args.image is None:
        raise error("--chunks needs an IMAGE: a .npy file or a zarr store")
    try:
        sizes = parse_chunks(args.chunks)
    except ValueError as exc:
        raise error(str(exc)) from None
    image, suffix = _open(args.image, error)
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[-1] in (3, 4))):
        raise error(f"{args.image!r} has shape {image.shape}: expected (M, N) or (M, N, 3|4)")
    if image.dtype.kind not in "biuf":
        raise error(f"{args.image!r} has dtype {image.dtype}: expected numbers")
    channel_axis = -1 if image.ndim == 3 else None
    spatial = sizes * 2 if len(sizes) == 1 else sizes
    if len(spatial) != 2:
        raise error(f"--chunks takes one or two sizes for a 2-D image, got {args.chunks!r}")
    image = image.rechunk(spatial + ((-1,) if channel_axis is not None else ()))
    dtype = np.float64 if args.float64 else np.float32
    image = image.map_blocks(_to_float, dtype, dtype=dtype)

    stem = Path(args.image.rstrip("/")).stem
    out = Path(args.out)
    target = out if out.suffix.lower() in (".npy", ".zarr") else out / f"{stem}_denoised{suffix}"
    if target.resolve() == Path(args.image).resolve():
        raise error(f"output {str(target)!r} would overwrite the input; choose another --out")
    if args.weight is not None:
        weight = args.weight
    else:
        if args.sigma is not None:
            sigma = args.sigma
        else:  # a central crop: the estimate needs no more, the whole image would not fit
            crop = tuple(slice(max(0, (s - NOISE_CROP) // 2), (s + NOISE_CROP) // 2)
                         for s in image.shape[:2])
            sigma = estimate_noise(np.asarray(image[crop].compute()), channel_axis=channel_axis)
        weight = default_weight(sigma, args.regularizer)
    common: dict[str, Any] = {"channel_axis": channel_axis}
    if args.max_iter is not None:
        common["max_iter"] = args.max_iter
    if args.tol is not None:
        common["tol"] = args.tol
    try:
        if args.regularizer == "tv":
            result = denoise_tv(image, weight, method=args.method or "fista", **common)
        elif args.regularizer == "huber":
            result = denoise_huber(image, weight, delta=args.delta,
                                   method=args.method or "lbfgs", **common)
        else:
            result = denoise_tikhonov(image, weight, method=args.method or "lbfgs", **common)
    except DaskInputError as exc:
        raise error(str(exc)) from None
    print(f"input: {args.image} {image.shape} in chunks of {spatial}, {args.regularizer} "
          f"weight={weight:.4g}, {int(np.prod(result.numblocks))} tiles")
    start = time.perf_counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    store = store_zarr if suffix == ".zarr" else store_npy
    try:
        store(result, target, overwrite=True)
    except RuntimeError as exc:
        raise error(str(exc)) from None
    print(f"{args.regularizer}: {time.perf_counter() - start:.2f} s, streamed to disk")
    print(f"  wrote {target}")
