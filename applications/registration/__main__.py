"""Command line: ``python -m applications.registration [FIXED MOVING] [options]``.

Without images, registers a sample pair made from ``skimage.data.camera`` with a
known transform and reports the end-point error against it.  Images may be 2-D
(any format scikit-image reads; colour is converted to grey) or 3-D volumes
(multi-page TIFF or ``.npy``).  Heavy imports happen inside :func:`main`, so
``--help`` answers at once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

TRANSFORMS = ("translation", "rigid", "similarity", "affine", "displacement")
OUTPUTS = ("registration.png", "metrics.json", "result.npz")


class _InputError(Exception):
    """A problem with the command line's inputs or outputs (reported on one line)."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m applications.registration",
        description="Register MOVING onto FIXED (or a bundled camera pair with a known "
                    "transform) and write a figure, a metrics summary and the result. "
                    "Prints one line per pyramid level as it is solved.")
    p.add_argument("images", nargs="*", metavar="FIXED MOVING",
                   help="two grey-level images of equal shape: 2-D images, or 3-D volumes "
                        "as multi-page TIFF or .npy (default: sample pair)")
    p.add_argument("--transform", choices=TRANSFORMS, default="affine")
    p.add_argument("--metric", choices=("ssd", "ncc", "mi"), default="ssd",
                   help="ssd, ncc (brightness/contrast invariant) or mi (parametric only)")
    p.add_argument("--levels", type=int, default=None, help="pyramid levels (default: auto)")
    p.add_argument("--max-iter", type=int, default=None, help="iterations per level")
    p.add_argument("--max-size", type=int, default=None,
                   help="longest side of the finest level solved: bounds time and memory "
                        "on large images (default: solve every level)")
    p.add_argument("--max-samples", type=_count, default=None, metavar="N",
                   help="parametric transforms: evaluate the metric on at most N pixels "
                        "(voxels) per level, a regular subgrid of larger levels (default: "
                        "the library's, 1048576; 0: every pixel)")
    p.add_argument("--alpha", type=float, default=None,
                   help="smoothness weight (displacement; default: the library's)")
    p.add_argument("--size", type=int, default=256, help="side of the sample images")
    p.add_argument("--out", type=Path, default=Path("results/registration"),
                   help="output folder (created)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace existing output files (inputs are never overwritten)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar over the levels (default: when stderr is a "
                        "terminal)")
    return p


def _count(text: str) -> int:
    """A non-negative integer option value."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return value


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    if "BytesIO" in line or "<_io." in line:
        line = "not an image format that can be read"
    return line


def _read(path: str):
    """Read a 2-D image or a 3-D volume as float64 (integers scaled to [0, 1])."""
    import numpy as np

    file = Path(path)
    if not file.is_file():
        raise _InputError(f"cannot read image {path!r}: no such file")
    suffix = file.suffix.lower()
    try:
        if suffix == ".npy":
            image = np.load(file, allow_pickle=False)
        elif suffix in (".tif", ".tiff"):
            import tifffile

            image = tifffile.imread(file)  # every page: a 3-D volume stays 3-D
        else:
            from io import BytesIO

            from skimage import io

            # read the bytes ourselves: the image readers leave files open when they fail
            with open(file, "rb") as fh:
                payload = BytesIO(fh.read())
            image = io.imread(payload)
    except Exception as exc:  # any reader failure becomes one clear line
        raise _InputError(f"cannot read image {path!r}: {_first_line(exc)}") from None
    image = np.asarray(image)
    if not np.issubdtype(image.dtype, np.number) or image.dtype == bool:
        raise _InputError(f"cannot read image {path!r}: not a numeric image "
                          f"(dtype {image.dtype})")
    if image.ndim in (3, 4) and image.shape[-1] in (3, 4) and suffix != ".npy":
        from skimage.color import rgb2gray

        image = rgb2gray(image[..., :3])
    if image.ndim not in (2, 3):
        raise _InputError(f"{path!r} has shape {image.shape}: expected a 2-D image or a 3-D "
                          "volume")
    if np.issubdtype(image.dtype, np.integer):
        from skimage.util import img_as_float

        return img_as_float(image)
    return image.astype(float)


def _check_outputs(out: Path, inputs: list[str], overwrite: bool) -> None:
    """Refuse to write over an input file, or over an existing output without --overwrite."""
    sources = {Path(p).resolve() for p in inputs}
    for name in OUTPUTS:
        target = (out / name).resolve()
        if target in sources:
            raise _InputError(f"refusing to overwrite input file {str(out / name)!r}; choose "
                              "another --out folder")
        if target.exists() and not overwrite:
            raise _InputError(f"{str(out / name)!r} exists; pass --overwrite to replace it or "
                              "choose another --out folder")


def _checkerboard(a, b, tiles: int = 8):
    import numpy as np

    rows = (np.arange(a.shape[0]) * tiles // a.shape[0])[:, None]
    cols = (np.arange(a.shape[1]) * tiles // a.shape[1])[None, :]
    return np.where((rows + cols) % 2 == 0, a, b)


def _figure(path: Path, fixed, moving, result) -> None:
    """Fixed and moving images, signed differences before/after with colour bars, the
    checkerboard after, and the displacement with a colour bar (middle slice in 3-D)."""
    import matplotlib.pyplot as plt
    import numpy as np

    from .._plot import difference_panel, flow_panel, image_panel, panel_grid

    flow, warped, title = result.flow, result.warped, ""
    if fixed.ndim == 3:  # the middle slice of a volume, in-plane flow components
        mid = fixed.shape[0] // 2
        fixed, moving, warped = fixed[mid], moving[mid], warped[mid]
        flow = flow[1:, mid]
        title = f" (slice {mid} of {result.flow.shape[1]})"
    fig, axes = panel_grid(fixed.shape, 6, width=3.2)
    lo, hi = np.percentile(fixed, [1, 99])
    scale = (hi - lo) or 1.0
    for ax, (name, img) in zip(axes, [("fixed", fixed), ("moving", moving)]):
        image_panel(ax, (img - lo) / scale, name)
    before, after = fixed - moving, fixed - warped
    limit = float(np.percentile(np.abs(before), 99.5)) or None
    difference_panel(fig, axes[2], before, "fixed - moving (before)", limit=limit)
    difference_panel(fig, axes[3], after, "fixed - warped (after)", limit=limit)
    image_panel(axes[4], (_checkerboard(fixed, warped) - lo) / scale, "checkerboard after")
    flow_panel(fig, axes[5], flow, "displacement (px)")
    fig.suptitle(f"{result.transform} / {result.metric_name}: metric {result.metric:.4g}"
                 f"{title}", fontsize=10)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    import json
    import time

    import numpy as np

    from ._driver import format_level
    from ._register import register
    from ._sample import end_point_error, sample_pair

    try:
        truth = None
        if len(args.images) == 2:
            _check_outputs(args.out, args.images, args.overwrite)
            fixed, moving = _read(args.images[0]), _read(args.images[1])
            if fixed.shape != moving.shape:
                raise ValueError(f"images have different shapes {fixed.shape} and "
                                 f"{moving.shape}")
            label = f"{args.images[0]} <- {args.images[1]}"
        elif not args.images:
            _check_outputs(args.out, [], args.overwrite)
            pair = sample_pair(args.transform, size=args.size)
            fixed, moving, truth = pair.fixed, pair.moving, pair.flow
            label = f"sample: {pair.description}"
        else:
            raise ValueError("give two images (FIXED MOVING) or none for the sample pair")
        for name, img in (("fixed", fixed), ("moving", moving)):
            if not np.all(np.isfinite(img)):
                raise ValueError(f"{name} image contains NaN or infinite values")
        print(label, flush=True)
        start = time.perf_counter()
        options = {} if args.alpha is None else {"alpha": args.alpha}
        if args.max_samples is not None:
            options["max_samples"] = args.max_samples or None  # 0: every pixel
        result = register(fixed, moving, transform=args.transform, metric=args.metric,
                          levels=args.levels, max_iter=args.max_iter, max_size=args.max_size,
                          **options, warn=False,
                          level_callback=lambda entry: print(format_level(entry), flush=True),
                          progress=sys.stderr.isatty() if args.progress is None
                          else args.progress)
        seconds = time.perf_counter() - start
        args.out.mkdir(parents=True, exist_ok=True)
    except (ValueError, TypeError, OSError, _InputError) as exc:
        print(f"error: {_first_line(exc)}", file=sys.stderr)
        return 2
    summary = {"input": label, "transform": args.transform, "metric": args.metric,
               "metric_value": result.metric, "seconds": round(seconds, 3),
               "success": result.success, "message": result.message,
               "levels": [{k: (list(v) if isinstance(v, tuple) else v) for k, v in h.items()}
                          for h in result.history]}
    if result.matrix is not None:
        summary["matrix"] = np.round(result.matrix, 6).tolist()
    if truth is not None:
        summary["end_point_error_px"] = end_point_error(result.flow, truth)
        summary["end_point_error_px_interior"] = end_point_error(result.flow, truth,
                                                                 margin=fixed.shape[0] // 16)
    _figure(args.out / "registration.png", fixed, moving, result)
    np.savez_compressed(args.out / "result.npz", flow=result.flow, warped=result.warped,
                        **({"matrix": result.matrix} if result.matrix is not None else {}))
    (args.out / "metrics.json").write_text(json.dumps(summary, indent=2, default=float))
    print(f"{args.transform} / {args.metric}: metric {result.metric:.5g} in {seconds:.2f} s")
    if not result.success:
        print(f"warning: {result.message}", file=sys.stderr)
    if truth is not None:
        print(f"mean end-point error vs. known transform: {summary['end_point_error_px']:.4f} px "
              f"(interior {summary['end_point_error_px_interior']:.4f} px)")
    if result.matrix is not None:
        print("matrix (fixed (row, col, 1) -> moving):")
        print(np.array2string(result.matrix, precision=5, suppress_small=True))
    print(f"wrote {args.out / 'registration.png'}, {args.out / 'metrics.json'}, "
          f"{args.out / 'result.npz'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
