"""Command line: ``python -m applications.segmentation [IMAGE] [--out DIR] [options]``.

Without IMAGE, segments a generated sample (the horse silhouette with Gaussian noise, seeded)
and scores it against the known truth.  Writes ``<name>_mask.npy`` (the boolean mask, or
the labels with ``--phases``), ``<name>_mask.png`` (2-D only) and ``<name>_figure.png``
(image, contour overlay, energy per round; the middle slice of a volume) into ``--out``.
Never writes over the input, nor over an existing file unless ``--overwrite``.  Errors are
one line on stderr, exit status 2.  Heavy modules are imported inside :func:`main`, so
``--help`` is fast.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .._cli import CliError, read_array

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".npy")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m applications.segmentation",
        description="Two-phase (convex Chan-Vese) or multiphase segmentation of a 2-D gray "
                    "or colour image or a 3-D volume.  Without IMAGE: a generated sample.")
    parser.add_argument("image", nargs="?", help="input: PNG/JPEG/TIFF (2-D, colour, or a "
                        "3-D TIFF stack) or .npy (2-D, 3-D, or (M, N, 3)); default: a noisy "
                        "horse silhouette")
    parser.add_argument("--out", default="results/segmentation", help="output folder")
    parser.add_argument("--weight", type=float, help="length weight (default: from the "
                        "noise level and the contrast)")
    parser.add_argument("--edge-weight", type=float, default=0.0,
                        help="geodesic length: snap boundaries to edges (e.g. 5)")
    parser.add_argument("--bias-degree", type=int, default=0,
                        help="degree of a polynomial bias field (0: none)")
    parser.add_argument("--phases", type=int, default=2,
                        help="number of phases (3 or more: multiphase labels)")
    parser.add_argument("--channel-axis", default="auto", help="'auto' (last axis of "
                        "length 3 or 4 of a 2-D image is colour), 'none', or an integer")
    parser.add_argument("--tol", type=float, default=None)
    parser.add_argument("--max-iter", type=int, default=None)
    parser.add_argument("--sigma", type=float, default=0.3,
                        help="noise level of the generated sample")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated sample")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace existing output files (never the input)")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress bar (default: when stderr is a terminal)")
    return parser


def read_image(path: str):
    """Read an image or volume as an array (values converted later, by the segmenter)."""
    data = read_array(path)
    if data.dtype.kind not in "biuf":
        raise CliError(f"{path!r}: unsupported data type {data.dtype}")
    return data


def channel_axis_of(data, option: str, path: str | None) -> int | None:
    if option == "none":
        return None
    if option != "auto":
        try:
            return int(option)
        except ValueError:
            raise CliError(f"--channel-axis must be 'auto', 'none' or an integer, got "
                           f"{option!r}") from None
    if data.ndim == 3 and data.shape[-1] in (3, 4) and min(data.shape[:2]) > 4:
        return -1
    return None


def output_paths(out: str, stem: str) -> dict[str, Path]:
    out_dir = Path(out)
    if out_dir.suffix.lower() in IMAGE_SUFFIXES:
        raise CliError(f"--out must be a folder, got {out!r}")
    return {"npy": out_dir / f"{stem}_mask.npy", "png": out_dir / f"{stem}_mask.png",
            "figure": out_dir / f"{stem}_figure.png"}


def check_outputs(paths: dict[str, Path], inputs: list[str], overwrite: bool) -> None:
    for source in inputs:
        src = Path(source).resolve()
        for path in paths.values():
            if path.resolve() == src:
                raise CliError(f"output {str(path)!r} would overwrite the input {source!r}; "
                               "choose another --out folder")
    if not overwrite:
        existing = [str(p) for p in paths.values() if p.exists()]
        if existing:
            raise CliError(f"{existing[0]} exists; pass --overwrite to replace it or choose "
                           "another --out folder")


def save_figure(path: Path, image, labels, energies, title: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    if labels.ndim == 3:  # a volume: the middle slice
        mid = labels.shape[0] // 2
        labels, image = labels[mid], image[mid]
    shown = np.clip(image, 0, 1) if image.dtype.kind == "f" else image
    gray = shown.ndim == 2
    fig, axes = plt.subplots(1, 3, figsize=(15, 5))
    axes[0].imshow(shown, cmap="gray" if gray else None, interpolation="nearest")
    axes[0].set_title("image")
    axes[1].imshow(shown, cmap="gray" if gray else None, interpolation="nearest")
    levels = np.arange(labels.max()) + 0.5 if labels.max() > 0 else [0.5]
    axes[1].contour(labels.astype(float), levels=levels, colors="r", linewidths=1.2)
    axes[1].set_title(title)
    for ax in axes[:2]:
        ax.axis("off")
    axes[2].plot(np.arange(len(energies)), energies, "o-")
    axes[2].set_xlabel("round (intensity update)")
    axes[2].set_ylabel("Chan-Vese energy")
    axes[2].set_title("energy")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def run(args: argparse.Namespace) -> None:
    import warnings

    import numpy as np

    from ._image import SegmentationWarning

    for name in ("weight", "edge_weight", "tol", "sigma"):
        value = getattr(args, name)
        if value is not None and not (np.isfinite(value) and value >= 0):
            raise CliError(f"--{name.replace('_', '-')} must be a finite number >= 0, got "
                           f"{value}")
    if args.max_iter is not None and args.max_iter < 1:
        raise CliError(f"--max-iter must be >= 1, got {args.max_iter}")
    if args.phases < 2:
        raise CliError(f"--phases must be >= 2, got {args.phases}")
    channel_option = channel_axis_of(np.zeros((1, 1)), args.channel_axis, None)  # validates
    del channel_option
    truth = None
    if args.image is None:
        from ._sample import horse, noisy_case
        case = noisy_case("horse", horse(256), args.sigma, args.seed)
        image, truth, channel_axis, stem, inputs = case.image, case.truth, None, "horse", []
        print(f"sample: horse silhouette {image.shape}, intensities 0.3/0.7, Gaussian noise "
              f"sigma={args.sigma:g} (seed {args.seed})")
    else:
        image = read_image(args.image)
        channel_axis = channel_axis_of(image, args.channel_axis, args.image)
        if channel_axis is not None and image.ndim == 3 and image.shape[channel_axis] == 4:
            image = np.take(image, [0, 1, 2], axis=channel_axis)  # drop alpha
        stem, inputs = Path(args.image).stem, [args.image]
        print(f"input: {args.image} {image.shape} {image.dtype}"
              + ("" if channel_axis is None else f", channels on axis {channel_axis}"))
    paths = output_paths(args.out, stem)
    check_outputs(paths, inputs, args.overwrite)
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    options = dict(weight=args.weight, channel_axis=channel_axis,
                   edge_weight=args.edge_weight, progress=progress, return_info=True)
    if args.tol is not None:
        options["tol"] = args.tol
    if args.max_iter is not None:
        options["max_iter"] = args.max_iter
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SegmentationWarning)
        try:
            if args.phases == 2:
                from ._two_phase import segment
                res = segment(image, bias_degree=args.bias_degree, **options)
                labels = res.mask.astype(np.uint8)
            else:
                from ._multiphase import segment_multiphase
                if args.bias_degree:
                    raise CliError("--bias-degree is for two phases only")
                res = segment_multiphase(image, args.phases, **options)
                labels = res.mask
        except ValueError as exc:
            raise CliError(str(exc)) from None
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)

    paths["npy"].parent.mkdir(parents=True, exist_ok=True)
    np.save(paths["npy"], res.mask)
    written = [paths["npy"]]
    spatial = labels.shape
    if len(spatial) == 2:
        from skimage import io
        scale = 255 // max(int(labels.max()), 1)
        io.imsave(paths["png"], (labels * scale).astype(np.uint8), check_contrast=False)
        written.append(paths["png"])
    shown = image if channel_axis is None else np.moveaxis(image, channel_axis, -1)
    if shown.dtype.kind != "f":
        from skimage.util import img_as_float
        shown = img_as_float(shown)
    title = (f"{args.phases} phases" if args.phases > 2 else "object boundary") + \
        f" (w={res.weight:.3g})"
    save_figure(paths["figure"], shown, labels, res.energy, title)
    written.append(paths["figure"])

    print(f"{'segment' if args.phases == 2 else 'segment_multiphase'}: weight={res.weight:.4g}, "
          f"{res.nit} iterations in {res.rounds} rounds, {res.time:.3f} s, "
          f"energy={res.energy[-1]:.6g}, relative gap={res.rel_gap:.1e}: {res.message}")
    if args.phases == 2:
        print(f"  object: {int(res.mask.sum())} of {res.mask.size} pixels; means "
              f"{np.round(res.means[0], 4).tolist()} (object) / "
              f"{np.round(res.means[1], 4).tolist()} (background)")
    if truth is not None and args.phases == 2:
        dice = 2 * np.count_nonzero(res.mask & truth) / (res.mask.sum() + truth.sum())
        print(f"  Dice against the true silhouette: {dice:.4f}")
    for path in written:
        print(f"  wrote {path}")


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
