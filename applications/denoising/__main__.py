"""Command line: ``python -m applications.denoising [IMAGE] [--weight W] [--out DIR] ...``.

Also installed as ``autodiff-denoise``.  Without IMAGE, denoises scikit-image's bundled
``camera`` picture with synthetic Gaussian noise (seeded) and compares with the clean
original.  Writes ``<name>_denoised.png``, ``<name>_denoised.npy`` (exact floats),
``<name>_figure.png`` and ``<name>_metrics.json`` into the ``--out`` folder; when ``--out``
names an image file (``.png``, ``.tif``, ``.jpg``, ``.bmp``, ``.npy``), that exact file is
written, with its siblings next to it.  Existing files are kept unless ``--overwrite``, an
input never is.  Integer images are rescaled by their dtype's range (as scikit-image's
``img_as_float``) and written back in 8 or 16 bits as they came; an alpha channel is passed
through untouched.

Only argparse is imported here at start-up: NumPy, scikit-image, matplotlib and
:mod:`autodiff` are imported by :func:`main` once the arguments are parsed.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from .._cli import CliError, HelpFormatter, add_overwrite, check_outputs, program_name, run_main

REGULARIZERS = ("tv", "huber", "tikhonov")
TV_METHODS = ("fista", "chambolle", "lbfgs", "newton-cg")
WRITABLE = (".png", ".tif", ".tiff", ".jpg", ".jpeg", ".bmp", ".npy")
#: Image formats this CLI does not write: ``--out x.gif`` is an error, not a folder.
NOT_WRITABLE = (".gif", ".webp", ".ppm", ".pgm", ".pbm", ".jp2", ".exr", ".ico", ".svg",
                ".pdf", ".eps", ".heic")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=program_name("applications.denoising"), formatter_class=HelpFormatter,
        description="Total-variation (or Huber-TV / Tikhonov) denoising of a 2-D gray or "
                    "color image.  Without IMAGE: the camera sample with synthetic noise.\n"
                    "Integer images are rescaled by their dtype (uint8 / 255, uint16 / "
                    "65535); float .npy data must be in [0, 1].")
    parser.add_argument("image", nargs="?", help="input image (PNG, JPEG, TIFF...) or .npy "
                        "array of floats in [0, 1]; default: skimage.data.camera() + noise")
    parser.add_argument("--reference", help="clean image to compute PSNR/SSIM against")
    parser.add_argument("--weight", type=float, help="regularisation weight (default: from "
                        "the noise level; tv: 1.65 * sigma ** 1.33)")
    parser.add_argument("--sigma", type=float, help="noise level in [0, 1] units: of the "
                        "synthetic noise for the sample (default 0.1); for an input image, "
                        "used instead of the estimate to pick the weight")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic noise")
    parser.add_argument("--regularizer", choices=REGULARIZERS, default="tv",
                        help="energy to minimise")
    parser.add_argument("--method", default=None, help=f"solver; tv: one of {TV_METHODS} "
                        "(default fista); huber/tikhonov: an autodiff.optimize method "
                        "(default lbfgs)")
    parser.add_argument("--delta", type=float, default=0.01, help="Huber threshold")
    parser.add_argument("--tol", type=float, default=None, help="tv: relative duality gap "
                        "(default 5e-3); others: gradient tolerance")
    parser.add_argument("--max-iter", type=int, default=None,
                        help="iteration budget (default: the solver's)")
    parser.add_argument("--chunks", help="tile size, e.g. 1000 or 1000,800: stream a large "
                        ".npy/zarr IMAGE through dask to <stem>_denoised.npy/.zarr (needs dask)")
    parser.add_argument("--float64", action="store_true",
                        help="compute in float64 (default float32)")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress bar (default: when stderr is a terminal)")
    parser.add_argument("--out", default="results/denoising", help="output folder, or the "
                        "path of the denoised image (.png .tif .jpg .bmp .npy; the other "
                        "files go next to it)")
    add_overwrite(parser)
    return parser


def output_paths(out: str, stem: str, *, sample: bool) -> dict[str, Path]:
    """Files to write: inside the folder ``out``, or ``out`` itself plus its siblings."""
    out_path = Path(out)
    suffix = out_path.suffix.lower()
    if suffix in NOT_WRITABLE:
        raise CliError(f"--out {out}: cannot write {suffix} images; use one of "
                       f"{' '.join(WRITABLE)} or a folder")
    if suffix in WRITABLE:
        base = out_path.with_suffix("")
        paths = {"image": out_path, "npy": base.with_suffix(".npy")}
        if suffix == ".npy":
            del paths["image"]
        folder, name = out_path.parent, base.name
    else:
        folder, name = out_path, f"{stem}_denoised"
        paths = {"image": folder / f"{name}.png", "npy": folder / f"{name}.npy"}
    base = name if suffix in WRITABLE else stem
    paths["figure"] = folder / f"{base}_figure.png"
    paths["metrics"] = folder / f"{base}_metrics.json"
    if sample:
        paths["noisy"] = folder / f"{base}_noisy.png"
    return paths


def _check_options(args: argparse.Namespace) -> None:
    for name in ("weight", "sigma", "tol", "delta"):
        value = getattr(args, name)
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise CliError(f"--{name} must be a finite number >= 0, got {value}")
    if args.max_iter is not None and args.max_iter < 1:
        raise CliError(f"--max-iter must be >= 1, got {args.max_iter}")
    if args.regularizer == "tv" and args.method not in (None, *TV_METHODS):
        raise CliError(f"--method {args.method!r} is not a TV method; choose one of "
                       f"{', '.join(TV_METHODS)}")


def run(args: argparse.Namespace) -> None:
    if args.chunks is not None:  # large images: tiles through dask, streamed to disk
        from ._dask_cli import run_chunked
        return run_chunked(args, CliError)
    _check_options(args)
    sample = args.image is None
    stem = "camera" if sample else Path(args.image).stem
    inputs = [p for p in (args.image, args.reference) if p is not None]
    paths = output_paths(args.out, stem, sample=sample)
    check_outputs(paths.values(), inputs, overwrite=args.overwrite)

    # Only now the heavy imports (the checks above must be instant).
    from ._run import denoise_file
    denoise_file(args, paths)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input, 1 internal)."""
    args = build_parser().parse_args(argv)
    return run_main(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
