"""Figure helpers shared by the applications (matplotlib is imported by the caller's
``figure`` call only, never at import time)."""

from __future__ import annotations

from typing import Any

__all__ = ["panel_grid", "image_panel", "difference_panel", "flow_panel"]


def panel_grid(shape: tuple[int, ...], ncols: int, *, extra: int = 0, width: float = 3.6,
               max_height: float = 6.0) -> tuple[Any, list]:
    """A headless figure with ``ncols`` image panels sized to the image's aspect ratio.

    Parameters
    ----------
    shape : tuple
        Image shape, ``(rows, cols, ...)``.
    ncols : int
        Image panels.
    extra : int
        Further (non-image) panels appended on the right, e.g. a convergence plot.
    width : float
        Width of one panel in inches; the height follows ``rows / cols`` (capped).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, cols = shape[0], shape[1]
    height = min(max_height, max(1.5, width * rows / cols))
    panel_width = width if width * rows / cols <= max_height else max_height * cols / rows
    total = ncols + extra
    fig, axes = plt.subplots(1, total, figsize=(panel_width * ncols + 4.2 * extra,
                                                height + 0.8), squeeze=False,
                             layout="constrained")
    return fig, list(axes[0])


def image_panel(ax: Any, image: Any, title: str) -> None:
    """An intensity image in [0, 1] (gray or RGB), no axes."""
    import numpy as np

    img = np.clip(image, 0.0, 1.0)
    ax.imshow(img, cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=1,
              interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.axis("off")


def difference_panel(fig: Any, ax: Any, difference: Any, title: str, *,
                     limit: float | None = None) -> None:
    """A signed difference in a diverging colour map centred on 0, with a colour bar.

    ``limit`` fixes the colour range (to compare panels); default: the 99.5 percentile of
    the absolute difference.
    """
    import numpy as np

    diff = np.asarray(difference, dtype=np.float64)
    if diff.ndim == 3:  # colour: the channel mean keeps the sign
        diff = diff.mean(axis=-1)
    if limit is None:
        limit = float(np.percentile(np.abs(diff), 99.5))
    limit = limit or 1.0
    im = ax.imshow(diff, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.axis("off")
    fig.colorbar(im, ax=ax, shrink=0.8)


def flow_panel(fig: Any, ax: Any, flow: Any, title: str = "displacement (px)") -> None:
    """A 2-D displacement field: magnitude with a colour bar in pixels, sparse arrows.

    ``flow`` has shape (2, M, N), rows then columns (scikit-image's optical-flow
    convention); arrows point along the displacement in image coordinates.
    """
    import numpy as np

    flow = np.asarray(flow, dtype=np.float64)
    rows, cols = flow.shape[1:]
    magnitude = np.hypot(flow[0], flow[1])
    im = ax.imshow(magnitude, cmap="magma", interpolation="nearest")
    step = max(1, max(rows, cols) // 20)
    r, c = np.mgrid[step // 2:rows:step, step // 2:cols:step]
    ax.quiver(c, r, flow[1][r, c], flow[0][r, c], color="cyan", angles="xy",
              scale_units="xy", scale=max(float(magnitude.max()) / step, 1e-12), width=0.004)
    ax.set_xlim(-0.5, cols - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)
    ax.set_title(title, fontsize=9)
    ax.axis("off")
    fig.colorbar(im, ax=ax, shrink=0.8, label="pixels")
