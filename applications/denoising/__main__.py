"""Command line: ``python -m applications.denoising [IMAGE] [--weight W] [--out DIR] ...``.

Without IMAGE, denoises scikit-image's bundled ``camera`` picture with synthetic Gaussian
noise (seeded) and compares with the clean original.  Writes ``<name>_denoised.png``,
``<name>_denoised.npy`` (exact floats) and ``<name>_figure.png`` (side by side) into the
``--out`` folder (or, when ``--out`` names a ``.png`` file, that file and its siblings),
refusing to overwrite the input, and prints PSNR/SSIM (when a clean reference is known),
time and energy.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from ._image import as_float_image
from ._metrics import default_weight, estimate_noise, psnr, ssim
from ._tv import TV_METHODS, denoise_tv
from ._variational import denoise_huber, denoise_tikhonov

REGULARIZERS = ("tv", "huber", "tikhonov")


class CliError(Exception):
    """A problem with the user's input, reported as one line without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m applications.denoising",
        description="Total-variation (or Huber-TV / Tikhonov) denoising of a 2-D gray or "
                    "color image.  Without IMAGE: the camera sample with synthetic noise.")
    parser.add_argument("image", nargs="?", help="input image (PNG, JPEG, TIFF...) or .npy "
                        "array of floats in [0, 1]; default: skimage.data.camera() + noise")
    parser.add_argument("--reference", help="clean image to compute PSNR/SSIM against")
    parser.add_argument("--weight", type=float, help="regularisation weight (default: from "
                        "the noise level; tv: 1.65 * sigma ** 1.33)")
    parser.add_argument("--sigma", type=float, help="noise level: of the synthetic noise for "
                        "the sample (default 0.1); for an input image, used instead of the "
                        "estimate to pick the weight")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic noise")
    parser.add_argument("--regularizer", choices=REGULARIZERS, default="tv")
    parser.add_argument("--method", default=None, help=f"solver; tv: one of {TV_METHODS} "
                        "(default fista); huber/tikhonov: an autodiff.optimize method "
                        "(default lbfgs)")
    parser.add_argument("--delta", type=float, default=0.01, help="Huber threshold")
    parser.add_argument("--tol", type=float, default=None, help="tv: relative duality gap "
                        "(default 5e-3); others: gradient tolerance")
    parser.add_argument("--max-iter", type=int, default=None)
    parser.add_argument("--chunks", help="tile size, e.g. 1000 or 1000,800: stream a large "
                        ".npy/zarr IMAGE through dask to <stem>_denoised.npy/.zarr (needs dask)")
    parser.add_argument("--float64", action="store_true",
                        help="compute in float64 (default float32)")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress bar (default: when stderr is a terminal)")
    parser.add_argument("--out", default="results/denoising", help="output folder, or the "
                        "path of the denoised PNG (the .npy and figure go next to it); "
                        "never the input")
    return parser


def read_image(path: str) -> np.ndarray:
    """Read a 2-D gray or (M, N, 3|4) color image as floats in [0, 1]."""
    if not os.path.isfile(path):
        raise CliError(f"cannot read {path!r}: no such file")
    reason = None
    # imageio probes its plugins on an unknown file; some warn while doing so and a failed
    # probe can leave a file to the garbage collector.  A failure is reported as one line;
    # the probes' chatter is silenced and their leftovers are collected here, quietly.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if path.lower().endswith(".npy"):
                data = np.load(path, allow_pickle=False)
            else:
                from skimage import io
                data = io.imread(path)
        except Exception as exc:  # any decoder failure is the user's file, not our bug
            text = str(exc).strip()
            reason = text.splitlines()[0] if text else type(exc).__name__
        if reason is not None:
            gc.collect()
    if reason is not None:
        raise CliError(f"cannot read {path!r} as an image: {reason}")
    data = np.asarray(data)
    if data.ndim == 3 and data.shape[-1] == 1:
        data = data[..., 0]
    if not (data.ndim == 2 or (data.ndim == 3 and data.shape[-1] in (3, 4))):
        raise CliError(f"{path!r} has shape {data.shape}: expected a 2-D gray image (M, N) "
                       "or a color image (M, N, 3) / (M, N, 4)")
    if min(data.shape[:2]) < 2:
        raise CliError(f"{path!r} has shape {data.shape}: need at least 2x2 pixels")
    try:
        return as_float_image(data)
    except (TypeError, ValueError) as exc:
        raise CliError(f"{path!r}: {exc}") from None


def sample(sigma: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The camera picture in [0, 1] and a noisy copy (Gaussian, seeded)."""
    from skimage import data
    clean = as_float_image(data.camera())
    rng = np.random.default_rng(seed)
    return clean, clean + sigma * rng.standard_normal(clean.shape)


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".npy")


def output_paths(out: str, stem: str) -> dict[str, Path]:
    """Output files: inside the folder ``out``, or next to ``out`` when it names a file."""
    out_path = Path(out)
    if out_path.suffix.lower() in IMAGE_SUFFIXES:
        out_dir, base = out_path.parent, out_path.with_suffix("").name
        return {"png": out_path.with_suffix(".png"), "npy": out_path.with_suffix(".npy"),
                "figure": out_dir / f"{base}_figure.png",
                "noisy": out_dir / f"{base}_noisy.png"}
    out_dir = out_path
    return {"png": out_dir / f"{stem}_denoised.png", "npy": out_dir / f"{stem}_denoised.npy",
            "figure": out_dir / f"{stem}_figure.png", "noisy": out_dir / f"{stem}_noisy.png"}


def refuse_overwrite(paths: dict[str, Path], inputs: list[str]) -> None:
    for source in inputs:
        src = Path(source).resolve()
        for path in paths.values():
            if path.resolve() == src:
                raise CliError(f"output {str(path)!r} would overwrite the input "
                               f"{source!r}; choose another --out folder")


def to_uint8(image: np.ndarray) -> np.ndarray:
    return np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)


def save_figure(path: Path, panels: list[tuple[str, np.ndarray]]) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 5.4))
    for ax, (title, img) in zip(np.atleast_1d(axes), panels):
        ax.imshow(np.clip(img, 0, 1), cmap="gray" if img.ndim == 2 else None, vmin=0,
                  vmax=1, interpolation="nearest")
        ax.set_title(title)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def run(args: argparse.Namespace) -> None:
    if args.chunks is not None:  # large images: tiles through dask, streamed to disk
        from ._dask_cli import run_chunked
        return run_chunked(args, CliError)
    for name in ("weight", "sigma", "tol", "delta"):
        value = getattr(args, name)
        if value is not None and not (np.isfinite(value) and value >= 0):
            raise CliError(f"--{name} must be a finite number >= 0, got {value}")
    if args.max_iter is not None and args.max_iter < 1:
        raise CliError(f"--max-iter must be >= 1, got {args.max_iter}")
    if args.regularizer == "tv" and args.method not in (None, *TV_METHODS):
        raise CliError(f"--method {args.method!r} is not a TV method; choose one of "
                       f"{', '.join(TV_METHODS)}")
    clean = None
    if args.image is None:
        sigma = 0.1 if args.sigma is None else args.sigma
        clean, noisy = sample(sigma, args.seed)
        stem, inputs = "camera", []
        print(f"sample: skimage.data.camera() {clean.shape}, Gaussian noise sigma={sigma:g} "
              f"(seed {args.seed})")
    else:
        noisy = read_image(args.image)
        stem, inputs = Path(args.image).stem, [args.image]
        if args.reference is not None:
            clean = read_image(args.reference)
            inputs.append(args.reference)
            if clean.shape != noisy.shape:
                raise CliError(f"--reference has shape {clean.shape}, the image "
                               f"{noisy.shape}")
        channel_axis = -1 if noisy.ndim == 3 else None
        sigma = args.sigma if args.sigma is not None else estimate_noise(
            noisy, channel_axis=channel_axis)
        print(f"input: {args.image} {noisy.shape}, noise level "
              f"{'given' if args.sigma is not None else 'estimated'} sigma={sigma:.4f}")
    channel_axis = -1 if noisy.ndim == 3 else None
    paths = output_paths(args.out, stem)
    refuse_overwrite(paths, inputs)
    weight = (args.weight if args.weight is not None
              else default_weight(sigma, args.regularizer))
    work = noisy if args.float64 else noisy.astype(np.float32)
    progress = sys.stderr.isatty() if args.progress is None else args.progress

    common = dict(channel_axis=channel_axis, progress=progress, return_info=True)
    if args.max_iter is not None:
        common["max_iter"] = args.max_iter
    if args.tol is not None:
        common["tol"] = args.tol
    if args.regularizer == "tv":
        result = denoise_tv(work, weight, method=args.method or "fista", **common)
    elif args.regularizer == "huber":
        result = denoise_huber(work, weight, delta=args.delta, method=args.method or "lbfgs",
                               **common)
    else:
        result = denoise_tikhonov(work, weight, method=args.method or "lbfgs", **common)
    denoised = result.image

    paths["png"].parent.mkdir(parents=True, exist_ok=True)
    from skimage import io
    io.imsave(paths["png"], to_uint8(denoised), check_contrast=False)
    np.save(paths["npy"], denoised)
    panels = [("noisy", noisy), (f"denoised ({args.regularizer}, w={weight:.3g})", denoised)]
    if clean is not None:
        panels.insert(0, ("clean", clean))
        metrics = {name: (psnr(clean, img), ssim(clean, img, channel_axis=channel_axis))
                   for name, img in (("noisy", noisy), ("denoised", denoised))}
        for i, (name, img) in enumerate(panels[1:], start=1):
            key = "noisy" if i == 1 else "denoised"
            panels[i] = (f"{name}: PSNR {metrics[key][0]:.2f} dB", img)
    if args.image is None:
        io.imsave(paths["noisy"], to_uint8(noisy), check_contrast=False)
    save_figure(paths["figure"], panels)

    print(f"{args.regularizer} ({result.method}): weight={weight:.4g}, {result.nit} "
          f"iterations, {result.time:.3f} s, energy={result.energy:.6g}"
          + (f", relative gap={result.rel_gap:.2e}" if result.rel_gap is not None else "")
          + ("" if result.success else f" [not converged: {result.message}]"))
    if clean is not None:
        for key in ("noisy", "denoised"):
            print(f"  {key:9s} PSNR {metrics[key][0]:6.2f} dB   SSIM {metrics[key][1]:.4f}")
    else:
        print("  (no --reference: PSNR/SSIM need the clean image)")
    for key in ("png", "npy", "figure") + (("noisy",) if args.image is None else ()):
        print(f"  wrote {paths[key]}")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input)."""
    args = build_parser().parse_args(argv)
    start = time.perf_counter()
    try:
        run(args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError, TypeError, MemoryError) as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    print(f"total {time.perf_counter() - start:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
