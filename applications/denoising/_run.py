"""The denoising command line's work, once its arguments and output paths are checked.

Kept apart from ``__main__`` so that ``--help`` and the path checks import nothing heavy.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._cli import CliError, read_array
from ._image import as_float_image, check_float_range
from ._metrics import default_weight, estimate_noise, psnr, ssim
from ._tv import denoise_tv
from ._variational import denoise_huber, denoise_tikhonov

__all__ = ["denoise_file", "read_image", "Picture"]

#: An estimated noise level below this (half a grey level of 8 bits) counts as none.
NO_NOISE = 0.5 / 255


@dataclass
class Picture:
    """An image split for denoising: colour in [0, 1], alpha kept as read, storage dtype."""

    color: np.ndarray            # (M, N) or (M, N, 3), float
    alpha: np.ndarray | None     # (M, N), as read (never denoised)
    dtype: np.dtype              # what came in: uint8 / uint16 are written back as such
    note: str                    # how the values were interpreted, for the user


def read_image(path: str) -> Picture:
    """Read a gray, gray+alpha, RGB or RGBA image; colour as floats in [0, 1]."""
    data = read_array(path)
    if data.ndim == 3 and data.shape[-1] == 1:
        data = data[..., 0]
    if not (data.ndim == 2 or (data.ndim == 3 and data.shape[-1] in (2, 3, 4))):
        raise CliError(f"{path!r} has shape {data.shape}: expected a 2-D gray image (M, N) "
                       "or a color image (M, N, 3) / (M, N, 4)")
    if min(data.shape[:2]) < 2:
        raise CliError(f"{path!r} has shape {data.shape}: need at least 2x2 pixels")
    alpha = None
    if data.ndim == 3 and data.shape[-1] in (2, 4):
        data, alpha = data[..., :-1], data[..., -1].copy()
        if data.shape[-1] == 1:
            data = data[..., 0]
    if data.dtype.kind == "f":
        problem = check_float_range(data[np.isfinite(data)])
        if problem:
            raise CliError(f"{path!r}: {problem}; rescale it to [0, 1] first")
        note = f"{data.dtype} values used as they are (expected in [0, 1])"
    elif data.dtype.kind in "iu":
        top = np.iinfo(data.dtype).max
        note = (f"{data.dtype} values rescaled by the dtype's range (divided by {top}, as "
                "skimage.util.img_as_float does) to [0, 1]")
    else:
        note = f"{data.dtype} values converted to [0, 1]"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            color = as_float_image(data)
    except (TypeError, ValueError, UserWarning) as exc:
        raise CliError(f"{path!r}: {exc}") from None
    if alpha is not None:
        note += "; alpha channel passed through untouched"
    return Picture(color, alpha, data.dtype, note)


def sample(sigma: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The camera picture in [0, 1] and a noisy copy (Gaussian, seeded)."""
    from skimage import data
    clean = as_float_image(data.camera())
    rng = np.random.default_rng(seed)
    return clean, clean + sigma * rng.standard_normal(clean.shape)


def _storage(picture_dtype: np.dtype, path: Path) -> np.dtype:
    """uint16 stays uint16 (PNG and TIFF hold 16 bits); everything else is written 8-bit."""
    if picture_dtype == np.uint16 and path.suffix.lower() in (".png", ".tif", ".tiff"):
        return np.dtype(np.uint16)
    return np.dtype(np.uint8)


def _check_format(path: Path, picture: Picture) -> None:
    suffix = path.suffix.lower()
    if suffix in (".jpg", ".jpeg") and picture.alpha is not None:
        raise CliError(f"--out {path}: JPEG has no alpha channel; write .png or .tif")
    if suffix in (".jpg", ".jpeg", ".bmp") and picture.dtype == np.uint16:
        raise CliError(f"--out {path}: the input is 16-bit and {suffix} holds 8 bits; write "
                       ".png or .tif to keep 16 bits")


def _to_storage(image: np.ndarray, dtype: np.dtype) -> np.ndarray:
    top = np.iinfo(dtype).max
    return np.round(np.clip(image, 0.0, 1.0) * top).astype(dtype)


def _with_alpha(color: np.ndarray, alpha: np.ndarray | None, dtype: np.dtype) -> np.ndarray:
    if alpha is None:
        return color
    if alpha.dtype != dtype:  # alpha as read, brought to the storage dtype's scale
        alpha = _to_storage(as_float_image(alpha), dtype)
    return np.concatenate([color if color.ndim == 3 else color[..., None],
                           alpha[..., None]], axis=-1)


def _convergence(solve, budget: int) -> list[tuple[int, float, float | None]]:
    """Energy and relative gap after 1, 2, 4, ... iterations: one run per budget (the
    solvers are deterministic), at about twice the cost of the final run."""
    trace, k = [], 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the short runs end on their budget, by design
        while True:
            res = solve(max_iter=min(k, budget), progress=False)
            trace.append((res.nit, res.energy, res.rel_gap))
            if res.success or k >= budget:
                return trace
            k *= 2


def _figure(path: Path, panels, difference, trace, title: str) -> None:
    from .._plot import difference_panel, image_panel, panel_grid

    fig, axes = panel_grid(panels[0][1].shape, len(panels) + 1, extra=1 if trace else 0)
    for ax, (name, img) in zip(axes, panels):
        image_panel(ax, img, name)
    difference_panel(fig, axes[len(panels)], difference, "noisy - denoised (removed)")
    if trace:
        import matplotlib.ticker

        ax = axes[-1]
        its = [t[0] for t in trace]
        energy = np.array([t[1] for t in trace])
        ax.semilogx(its, energy, "o-", color="C0", label="energy")
        ax.set_xlabel("iterations")
        ax.set_ylabel("energy", color="C0")
        ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        if trace[0][2] is not None:
            gap = ax.twinx()
            gap.loglog(its, [t[2] for t in trace], "s--", color="C3")
            gap.set_ylabel("relative duality gap (certified)", color="C3")
        ax.set_title("convergence", fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=100)
    import matplotlib.pyplot as plt
    plt.close(fig)


def denoise_file(args: argparse.Namespace, paths: dict[str, Path]) -> None:
    """Read (or make) the image, denoise it, write ``paths``; prints a summary."""
    start = time.perf_counter()
    clean = None
    if args.image is None:
        sigma = 0.1 if args.sigma is None else args.sigma
        clean, noisy = sample(sigma, args.seed)
        picture = Picture(noisy, None, np.dtype(np.uint8), "")
        print(f"sample: skimage.data.camera() {clean.shape}, Gaussian noise sigma={sigma:g} "
              f"(seed {args.seed})")
    else:
        picture = read_image(args.image)
        noisy = picture.color
        if args.reference is not None:
            clean = read_image(args.reference).color
            if clean.shape != noisy.shape:
                raise CliError(f"--reference has shape {clean.shape}, the image "
                               f"{noisy.shape}")
        channel_axis = -1 if noisy.ndim == 3 else None
        estimated = args.sigma is None
        sigma = estimate_noise(noisy, channel_axis=channel_axis) if estimated else args.sigma
        print(f"input: {args.image} {noisy.shape}: {picture.note}")
        print(f"noise level {'estimated' if estimated else 'given'} sigma={sigma:.4f}")
        if estimated and sigma < NO_NOISE and args.weight is None:
            warnings.warn(f"the estimated noise level is ~0 (sigma={sigma:.2g}): the image "
                          "has no measurable pixel noise (flat or already smooth), so the "
                          "default weight changes almost nothing; pass --sigma S or "
                          "--weight W (e.g. --sigma 0.05)", UserWarning, stacklevel=1)
    if "image" in paths:
        _check_format(paths["image"], picture)
    channel_axis = -1 if noisy.ndim == 3 else None
    weight = (args.weight if args.weight is not None
              else default_weight(sigma, args.regularizer))
    work = noisy if args.float64 else noisy.astype(np.float32)
    progress = sys.stderr.isatty() if args.progress is None else args.progress

    common = dict(channel_axis=channel_axis, progress=progress, return_info=True)
    if args.tol is not None:
        common["tol"] = args.tol
    if args.regularizer == "tv":
        def solve(**options):
            return denoise_tv(work, weight, method=args.method or "fista",
                              **{**common, **options})
    elif args.regularizer == "huber":
        def solve(**options):
            return denoise_huber(work, weight, delta=args.delta,
                                 method=args.method or "lbfgs", **{**common, **options})
    else:
        def solve(**options):
            return denoise_tikhonov(work, weight, method=args.method or "lbfgs",
                                    **{**common, **options})
    result = solve(**({} if args.max_iter is None else {"max_iter": args.max_iter}))
    denoised = result.image
    if not result.success:
        warnings.warn(f"{args.regularizer} ({result.method}) stopped before converging: "
                      f"{result.message} after {result.nit} iterations; raise --max-iter or "
                      "--tol", UserWarning, stacklevel=1)

    paths_written = []
    if "image" in paths:
        dtype = _storage(picture.dtype, paths["image"])
        pixels = _with_alpha(_to_storage(denoised, dtype), picture.alpha, dtype)
        paths["image"].parent.mkdir(parents=True, exist_ok=True)
        from skimage import io
        io.imsave(paths["image"], pixels, check_contrast=False)
        paths_written.append(f"{paths['image']} ({dtype}"
                             f"{', alpha as read' if picture.alpha is not None else ''})")
    paths["npy"].parent.mkdir(parents=True, exist_ok=True)
    np.save(paths["npy"], denoised)
    paths_written.append(f"{paths['npy']} (float{denoised.dtype.itemsize * 8}, exact)")

    metrics = {}
    if clean is not None:
        metrics = {name: (psnr(clean, img), ssim(clean, img, channel_axis=channel_axis))
                   for name, img in (("noisy", noisy), ("denoised", denoised))}
    panels = [] if clean is None else [("clean", clean)]
    panels.append(("noisy" + (f": PSNR {metrics['noisy'][0]:.2f} dB" if metrics else ""),
                   noisy))
    panels.append((f"denoised ({args.regularizer}, w={weight:.3g})"
                   + (f": PSNR {metrics['denoised'][0]:.2f} dB" if metrics else ""),
                   denoised))
    trace = None
    if args.regularizer == "tv" and args.max_iter is None:
        trace = _convergence(solve, budget=max(result.nit, 1))
    if "noisy" in paths:
        from skimage import io
        io.imsave(paths["noisy"], _to_storage(noisy, np.dtype(np.uint8)),
                  check_contrast=False)
        paths_written.append(str(paths["noisy"]))
    _figure(paths["figure"], panels, noisy - denoised, trace,
            f"{args.regularizer} ({result.method}), weight {weight:.3g}, {result.nit} "
            f"iterations")
    paths_written.append(str(paths["figure"]))
    summary = {
        "input": args.image or "sample: skimage.data.camera() + noise",
        "regularizer": args.regularizer, "method": result.method, "weight": weight,
        "sigma": sigma, "iterations": result.nit, "seconds": round(result.time, 4),
        "energy": result.energy, "relative_gap": result.rel_gap,
        "success": result.success, "message": result.message,
        **{f"psnr_{k}": v[0] for k, v in metrics.items()},
        **{f"ssim_{k}": v[1] for k, v in metrics.items()},
    }
    paths["metrics"].write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    paths_written.append(str(paths["metrics"]))

    print(f"{args.regularizer} ({result.method}): weight={weight:.4g}, {result.nit} "
          f"iterations, {result.time:.3f} s, energy={result.energy:.6g}"
          + (f", relative gap={result.rel_gap:.2e}" if result.rel_gap is not None else "")
          + ("" if result.success else f" [not converged: {result.message}]"))
    if metrics:
        for key in ("noisy", "denoised"):
            print(f"  {key:9s} PSNR {metrics[key][0]:6.2f} dB   SSIM {metrics[key][1]:.4f}")
    else:
        print("  (no --reference: PSNR/SSIM need the clean image)")
    for line in paths_written:
        print(f"  wrote {line}")
    print(f"total {time.perf_counter() - start:.2f} s")
