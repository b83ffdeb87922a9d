"""Command line: ``python -m applications.registration [FIXED MOVING] [options]``.

Without images, registers a sample pair made from ``skimage.data.camera`` with a
known transform and reports the end-point error against it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from io import BytesIO
from pathlib import Path

import numpy as np

from ._register import register
from ._sample import end_point_error, sample_pair

TRANSFORMS = ("translation", "rigid", "similarity", "affine", "displacement")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m applications.registration",
        description="Register MOVING onto FIXED (or a bundled camera pair with a known "
                    "transform) and write a figure and a metrics summary.")
    p.add_argument("images", nargs="*", metavar="FIXED MOVING",
                   help="two grey-level images of equal shape (default: sample pair)")
    p.add_argument("--transform", choices=TRANSFORMS, default="affine")
    p.add_argument("--metric", choices=("ssd", "ncc", "mi"), default="ssd",
                   help="ssd, ncc (brightness/contrast invariant) or mi (parametric only)")
    p.add_argument("--levels", type=int, default=None, help="pyramid levels (default: auto)")
    p.add_argument("--max-iter", type=int, default=None, help="iterations per level")
    p.add_argument("--alpha", type=float, default=None,
                   help="smoothness weight (displacement; default: the library's)")
    p.add_argument("--size", type=int, default=256, help="side of the sample images")
    p.add_argument("--out", type=Path, default=Path("results/registration"),
                   help="output folder (created)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar (default: when stderr is a terminal)")
    return p


def _read(path: str) -> np.ndarray:
    from skimage import io
    from skimage.util import img_as_float

    try:
        # read the bytes ourselves: the image readers leave files open when they fail
        with open(path, "rb") as fh:
            payload = BytesIO(fh.read())
        image = io.imread(payload)
    except Exception as exc:  # any reader failure becomes one clear line
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise OSError(f"cannot read image {path!r}: {reason}") from None
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] in (3, 4):
        from skimage.color import rgb2gray

        image = rgb2gray(image[..., :3])
    if not np.issubdtype(image.dtype, np.number):
        raise OSError(f"cannot read image {path!r}: not a numeric image")
    return img_as_float(image) if np.issubdtype(image.dtype, np.integer) else image.astype(float)


def _checkerboard(a: np.ndarray, b: np.ndarray, tiles: int = 8) -> np.ndarray:
    rows = (np.arange(a.shape[0]) * tiles // a.shape[0])[:, None]
    cols = (np.arange(a.shape[1]) * tiles // a.shape[1])[None, :]
    return np.where((rows + cols) % 2 == 0, a, b)


def _figure(path: Path, fixed, moving, result) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dense = result.transform == "displacement"
    ncols = 4 if dense else 3
    fig, axes = plt.subplots(1, ncols, figsize=(4 * ncols, 4.3))
    lo, hi = np.percentile(fixed, [1, 99])
    panels = [("fixed", fixed), ("checkerboard before", _checkerboard(fixed, moving)),
              ("checkerboard after", _checkerboard(fixed, result.warped))]
    for ax, (title, img) in zip(axes, panels):
        ax.imshow(img, cmap="gray", vmin=lo, vmax=hi)
        ax.set_title(title)
        ax.axis("off")
    if dense:
        ax = axes[3]
        step = max(1, fixed.shape[0] // 24)
        r, c = np.mgrid[0:fixed.shape[0]:step, 0:fixed.shape[1]:step]
        ax.imshow(np.hypot(*result.flow), cmap="magma")
        ax.quiver(c, r, result.flow[1][::step, ::step], -result.flow[0][::step, ::step],
                  color="cyan", angles="xy")
        ax.set_title("flow (magnitude, arrows)")
        ax.axis("off")
    fig.suptitle(f"{result.transform} / {result.metric_name}: metric {result.metric:.4g}")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        truth = None
        if len(args.images) == 2:
            fixed, moving = _read(args.images[0]), _read(args.images[1])
            if fixed.shape != moving.shape:
                raise ValueError(f"images have different shapes {fixed.shape} and "
                                 f"{moving.shape}")
            label = f"{args.images[0]} <- {args.images[1]}"
        elif not args.images:
            pair = sample_pair(args.transform, size=args.size)
            fixed, moving, truth = pair.fixed, pair.moving, pair.flow
            label = f"sample: {pair.description}"
        else:
            raise ValueError("give two images (FIXED MOVING) or none for the sample pair")
        for name, img in (("fixed", fixed), ("moving", moving)):
            if not np.all(np.isfinite(img)):
                raise ValueError(f"{name} image contains NaN or infinite values")
        args.out.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        options = {} if args.alpha is None else {"alpha": args.alpha}
        result = register(fixed, moving, transform=args.transform, metric=args.metric,
                          levels=args.levels, max_iter=args.max_iter, **options,
                          progress=sys.stderr.isatty() if args.progress is None
                          else args.progress)
        seconds = time.perf_counter() - start
    except (ValueError, TypeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    summary = {"input": label, "transform": args.transform, "metric": args.metric,
               "metric_value": result.metric, "seconds": round(seconds, 3),
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
    print(label)
    print(f"{args.transform} / {args.metric}: metric {result.metric:.5g} in {seconds:.2f} s")
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
