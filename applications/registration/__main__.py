"""Command line: ``python -m applications.registration [FIXED MOVING] [options]``.

Without images, registers a sample pair made from ``skimage.data.camera`` with a
known transform and reports the end-point error against it.  Also installed as
``autodiff-register``.  Follows the shared CLI rules (:mod:`applications._cli`): NumPy,
scikit-image and the solver are imported after the arguments are parsed and the output
paths checked; existing outputs are kept unless ``--overwrite``.
"""

from __future__ import annotations

import argparse
import sys
import time
from io import BytesIO
from pathlib import Path

from .._cli import CliError, HelpFormatter, add_overwrite, check_outputs, program_name, run_main

OUTPUTS = ("registration.png", "metrics.json", "result.npz")
TRANSFORMS = ("translation", "rigid", "similarity", "affine", "displacement")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=program_name("applications.registration"), formatter_class=HelpFormatter,
        description="Register MOVING onto FIXED (or a bundled camera pair with a known "
                    "transform) and write a figure and a metrics summary.")
    p.add_argument("images", nargs="*", metavar="FIXED MOVING",
                   help="two grey-level images of equal shape (default: sample pair)")
    p.add_argument("--transform", choices=TRANSFORMS, default="affine",
                   help="transform model")
    p.add_argument("--metric", choices=("ssd", "ncc", "mi"), default="ssd",
                   help="ssd, ncc (brightness/contrast invariant) or mi (parametric only)")
    p.add_argument("--levels", type=int, default=None, help="pyramid levels (default: auto)")
    p.add_argument("--max-iter", type=int, default=None, help="iterations per level")
    p.add_argument("--alpha", type=float, default=None,
                   help="smoothness weight (displacement; default: the library's)")
    p.add_argument("--size", type=int, default=256, help="side of the sample images")
    p.add_argument("--out", type=Path, default=Path("results/registration"),
                   help=f"output folder (created), receives {', '.join(OUTPUTS)}")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar (default: when stderr is a terminal)")
    add_overwrite(p)
    return p


def _read(path: str):
    import numpy as np
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


def _checkerboard(a, b, tiles: int = 8):
    import numpy as np

    rows = (np.arange(a.shape[0]) * tiles // a.shape[0])[:, None]
    cols = (np.arange(a.shape[1]) * tiles // a.shape[1])[None, :]
    return np.where((rows + cols) % 2 == 0, a, b)


def _figure(path: Path, fixed, moving, result) -> None:
    import numpy as np

    from .._plot import difference_panel, flow_panel, image_panel, panel_grid

    fig, axes = panel_grid(fixed.shape, 6, width=3.2)
    lo, hi = np.percentile(fixed, [1, 99])
    scale = (hi - lo) or 1.0
    for ax, (title, img) in zip(axes, [("fixed", fixed), ("moving", moving)]):
        image_panel(ax, (img - lo) / scale, title)
    before, after = fixed - moving, fixed - result.warped
    limit = float(np.percentile(np.abs(before), 99.5)) or None
    difference_panel(fig, axes[2], before, "fixed - moving (before)", limit=limit)
    difference_panel(fig, axes[3], after, "fixed - warped (after)", limit=limit)
    image_panel(axes[4], (_checkerboard(fixed, result.warped) - lo) / scale,
                "checkerboard after")
    flow_panel(fig, axes[5], result.flow, "displacement (px)")
    fig.suptitle(f"{result.transform} / {result.metric_name}: metric {result.metric:.4g}",
                 fontsize=10)
    fig.savefig(path, dpi=80)
    import matplotlib.pyplot as plt
    plt.close(fig)


def _run(args: argparse.Namespace) -> None:
    if len(args.images) not in (0, 2):
        raise CliError("give two images (FIXED MOVING) or none for the sample pair")
    outputs = [args.out / name for name in OUTPUTS]
    check_outputs(outputs, args.images, overwrite=args.overwrite)

    import json

    import numpy as np

    from ._register import register
    from ._sample import end_point_error, sample_pair

    truth = None
    if len(args.images) == 2:
        fixed, moving = _read(args.images[0]), _read(args.images[1])
        if fixed.shape != moving.shape:
            raise ValueError(f"images have different shapes {fixed.shape} and "
                             f"{moving.shape}")
        label = f"{args.images[0]} <- {args.images[1]}"
    else:
        pair = sample_pair(args.transform, size=args.size)
        fixed, moving, truth = pair.fixed, pair.moving, pair.flow
        label = f"sample: {pair.description}"
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
    print(f"wrote {', '.join(str(p) for p in outputs)}")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input, 1 internal)."""
    args = _parser().parse_args(argv)
    return run_main(lambda: _run(args))


if __name__ == "__main__":
    sys.exit(main())
