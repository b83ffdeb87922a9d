"""The coarse-to-fine driver shared by the parametric and the dense registrations.

Input checks and the pyramid are prepared once (:func:`prepare`); :func:`coarse_to_fine`
then calls one level solver per pyramid level, coarse first, passing the estimate
on.  The driver owns what is common to every problem: the per-level history, the
progress bar (one step per level), the per-level report line, the callback stop and
the honest verdict (``success=False`` and a :class:`ConvergenceWarning` naming the
levels that ended on their iteration budget).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.ndimage as ndi

from ._pyramid import auto_levels, gaussian_pyramid
from ._result import ConvergenceWarning

__all__ = ["Pyramid", "LevelOutcome", "Stopped", "as_image", "per_level", "prepare",
           "coarse_to_fine", "inside"]


class Stopped(Exception):
    """A callback raised StopIteration; ``args[0]`` is ``(estimate, iterations, cost)``."""


@dataclass(frozen=True)
class LevelOutcome:
    """What a level solver returns besides its estimate."""

    iterations: int
    cost: float
    stop_reason: str  # 'converged', 'stalled', 'budget'
    message: str


@dataclass(frozen=True)
class Pyramid:
    """Smoothed fixed and moving pyramids (level 0 = full resolution) and the levels to solve."""

    fixed: list
    moving: list
    n_levels: int
    finest: int  # finest level solved (> 0 when max_size skips fine levels)

    @property
    def solved(self) -> range:
        """Levels to solve, coarse to fine."""
        return range(self.n_levels - 1, self.finest - 1, -1)


def as_image(image, name: str) -> np.ndarray:
    """Float64 copy of a 2-D or 3-D numeric image (integers scaled to [0, 1])."""
    arr = np.asarray(image)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.integer):
        from skimage.util import img_as_float

        arr = img_as_float(arr)
    arr = arr.astype(np.float64, copy=True)
    if arr.ndim not in (2, 3):
        raise ValueError(f"{name} must be a 2-D or 3-D array, got shape {arr.shape}")
    if min(arr.shape) < 8:
        raise ValueError(f"{name} is too small to register: shape {arr.shape} (need >= 8 per axis)")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def per_level(value, levels: int, name: str) -> list[int]:
    """Expand an int or a coarse-to-fine list into one value per level (coarse first)."""
    if np.ndim(value) == 0:
        return [int(value)] * levels
    values = [int(v) for v in value]
    if len(values) != levels:
        raise ValueError(f"{name} has {len(values)} entries for {levels} pyramid levels")
    return values


def inside(coords: np.ndarray, shape: tuple) -> np.ndarray:
    """Points of ``coords`` (shape ``(ndim,) + points``) inside the image ``shape``."""
    mask = np.ones(coords.shape[1:], dtype=bool)
    for d, n in enumerate(shape):
        mask &= (coords[d] >= 0) & (coords[d] <= n - 1)
    return mask


def prepare(fixed, moving, *, levels: int | None, max_size: int | None,
            smooth: float) -> tuple[np.ndarray, np.ndarray, Pyramid]:
    """Check the images and build the smoothed pyramids.

    ``max_size`` bounds the longest side of the finest level that is solved: finer
    levels are skipped (their estimate is the coarser one carried over), which
    bounds time and memory on large images.
    """
    fixed = as_image(fixed, "fixed")
    moving = as_image(moving, "moving")
    if fixed.shape != moving.shape:
        raise ValueError(f"fixed and moving must have the same shape, got {fixed.shape} and "
                         f"{moving.shape}")
    finest = 0
    if max_size is not None:
        if int(max_size) < 8:
            raise ValueError(f"max_size must be >= 8 pixels, got {max_size}")
        while -(-max(fixed.shape) // 2 ** finest) > int(max_size):
            finest += 1
    n_levels = auto_levels(fixed.shape) if levels is None else int(levels)
    if levels is not None and n_levels < 1:
        raise ValueError(f"levels must be >= 1, got {levels}")
    n_levels = max(n_levels, finest + 1)
    coarsest = min(-(-n // 2 ** (n_levels - 1)) for n in fixed.shape)
    if coarsest < 4:
        raise ValueError(f"levels={n_levels} is too many for shape {fixed.shape}: the coarsest "
                         f"level would be {coarsest} pixels wide (at most "
                         f"{auto_levels(fixed.shape, min_size=4, max_levels=32)} levels)")
    if smooth < 0:
        raise ValueError(f"smooth must be >= 0, got {smooth}")
    pyr_f = gaussian_pyramid(ndi.gaussian_filter(fixed, smooth) if smooth else fixed, n_levels)
    pyr_m = gaussian_pyramid(ndi.gaussian_filter(moving, smooth) if smooth else moving, n_levels)
    return fixed, moving, Pyramid(pyr_f, pyr_m, n_levels, finest)


def _format_line(entry: dict) -> str:
    shape = "x".join(str(n) for n in entry["shape"])
    return (f"level {entry['level']} ({shape}): {entry['iterations']} iterations, "
            f"cost {entry['cost']:.6g}, {entry['seconds']:.2f} s, {entry['stop_reason']}: "
            f"{entry['message']}")


def coarse_to_fine(pyramid: Pyramid, estimate: Any,
                   solve_level: Callable[[int, Any, int], tuple[Any, LevelOutcome]],
                   *, iterations: Sequence[int], on_stop: Callable[[Any, int], Any],
                   description: str, progress: bool = False,
                   level_callback: Callable[[dict], None] | None = None,
                   warn: bool = True) -> tuple[Any, list, bool, str]:
    """Solve every level coarse to fine and judge the run.

    Parameters
    ----------
    pyramid : Pyramid
    estimate : object
        Starting estimate for the coarsest solved level.
    solve_level : callable
        ``solve_level(level, estimate, max_iter) -> (estimate, LevelOutcome)``; it
        raises :class:`Stopped` when the user's callback stops the run.
    iterations : sequence of int
        Iteration budget per solved level, coarse first.
    on_stop : callable
        ``on_stop(estimate, level)`` turns the estimate of an interrupted level into
        the final one (e.g. upsamples a flow to full resolution).
    description : str
        Progress-bar label.
    progress : bool, optional
        Show a progress bar counting levels.
    level_callback : callable, optional
        Called with each level's history entry as soon as the level ends.
    warn : bool, optional
        Emit a :class:`ConvergenceWarning` when a level ended on its budget.

    Returns
    -------
    estimate, history, success, message
    """
    from tqdm.auto import tqdm

    history: list[dict] = []
    success, message = True, "converged on every level"
    levels = list(pyramid.solved)
    bar = tqdm(total=len(levels), disable=not progress, desc=description, unit="level",
               leave=False)
    try:
        for level, max_iter in zip(levels, iterations):
            start = time.perf_counter()
            shape = tuple(pyramid.fixed[level].shape)
            try:
                estimate, outcome = solve_level(level, estimate, max_iter)
            except Stopped as stop:
                value, it, cost = stop.args[0]
                entry = {"level": level, "shape": shape, "iterations": it, "cost": cost,
                         "seconds": time.perf_counter() - start, "stop_reason": "callback",
                         "message": "stopped by callback"}
                history.append(entry)
                if level_callback is not None:
                    level_callback(entry)
                return on_stop(value, level), history, False, \
                    f"stopped by callback on level {level}"
            entry = {"level": level, "shape": shape, "iterations": outcome.iterations,
                     "cost": outcome.cost, "seconds": time.perf_counter() - start,
                     "stop_reason": outcome.stop_reason, "message": outcome.message}
            history.append(entry)
            bar.update(1)
            bar.set_postfix(level=level, it=outcome.iterations, cost=f"{outcome.cost:.4g}")
            if level_callback is not None:
                level_callback(entry)
    finally:
        bar.close()
    short = [h["level"] for h in history if h["stop_reason"] == "budget"]
    if short:
        success = False
        names = ", ".join(str(v) for v in short)
        message = (f"iteration budget reached on level{'s' if len(short) > 1 else ''} {names} "
                   f"(0 = full resolution) before the tolerances were met; raise max_iter "
                   "for those levels")
        if warn:
            warnings.warn(message, ConvergenceWarning, stacklevel=3)
    estimate = on_stop(estimate, pyramid.finest)
    return estimate, history, success, message


def format_level(entry: dict) -> str:
    """One line for a level's history entry (used by the command line)."""
    return _format_line(entry)
