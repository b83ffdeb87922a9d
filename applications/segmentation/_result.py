"""The record returned by the segmenters when ``return_info=True``."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["SegmentResult"]


@dataclass(frozen=True)
class SegmentResult:
    """Outcome of one segmentation run.

    Attributes
    ----------
    mask : ndarray of bool (two-phase) or int (multiphase), the image's spatial shape
        The segmentation: True on the object (see the polarity rule of
        :func:`~applications.segmentation.segment`), or the label of each pixel.
    energy : ndarray, shape (rounds + 1,)
        The Chan-Vese (Potts) energy after each update of the phase intensities, the initial
        partition first: non-increasing (a round that would raise it is discarded and ends
        the run, "energy stopped decreasing"), except with ``tol=0``, which runs the whole
        fixed schedule.
    means : ndarray, shape (n_phases, C)
        Intensity constants of each phase (object first for two phases), per channel.
    bias : ndarray, shape (C, *spatial), or None
        The fitted bias field (``bias_degree > 0``).
    level : ndarray or None
        The relaxed solution (two-phase: positive on the object; its zero level set is the
        boundary; multiphase: the soft assignment ``(n_phases, *spatial)``).
    weight : float
        The length weight used (given, or from the default rule).
    nit : int
        Primal-dual iterations, all rounds together.
    rounds : int
        Updates of the phase intensities (alternations).
    gap, rel_gap : float
        Duality gap of the last convex subproblem, absolute and relative to its energy.
    success : bool
        Whether the stopping rule was met (False when the budget ran out first).
    message : str
        Why the run stopped.
    time : float
        Wall-clock seconds.
    """

    mask: np.ndarray = field(repr=False)
    energy: np.ndarray = field(repr=False)
    means: np.ndarray
    bias: np.ndarray | None = field(repr=False)
    level: np.ndarray | None = field(repr=False)
    weight: float
    nit: int
    rounds: int
    gap: float
    rel_gap: float
    success: bool
    message: str
    time: float
