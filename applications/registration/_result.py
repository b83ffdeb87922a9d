"""Result types of the registration functions and the warning for unconverged levels."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["ConvergenceWarning", "IterationInfo", "RegistrationResult"]


class ConvergenceWarning(UserWarning):
    """A pyramid level stopped on its iteration budget before its tolerances were met."""


@dataclass(frozen=True)
class IterationInfo:
    """What a ``callback`` receives after every iteration.

    Attributes
    ----------
    level : int
        Pyramid level (0 is full resolution).
    iteration : int
        Iteration number within the level, from 1.
    cost : float
        Objective value (half squared residual norm, plus the regulariser for
        ``displacement``).
    params : ndarray or None
        Current parameters (parametric transforms).
    """

    level: int
    iteration: int
    cost: float
    params: np.ndarray | None = None


@dataclass
class RegistrationResult:
    """Result of :func:`register`, :func:`register_parametric` and :func:`register_dense`.

    Attributes
    ----------
    flow : ndarray, shape (ndim, *fixed.shape)
        Displacement of every fixed pixel, scikit-image optical-flow convention:
        ``fixed ~ map_coordinates(moving, grid + flow)``; ``flow[0]`` is along rows.
    matrix : ndarray, shape (ndim + 1, ndim + 1) or None
        Homogeneous matrix of a parametric transform, mapping fixed (row, col)
        coordinates to moving ones: ``[y, 1] = matrix @ [x, 1]``.
    params : ndarray or None
        Transform parameters (see :mod:`applications.registration._transforms`).
    warped : ndarray
        ``moving`` resampled on the fixed grid (cubic spline, zero outside).
    metric : float
        Final metric on the overlap: mean squared difference (``ssd``) or
        correlation coefficient (``ncc``) or mutual information in nats (``mi``).
    metric_name : str
    transform : str
    history : list of dict
        One entry per solved pyramid level, coarse to fine: ``level``, ``shape``,
        ``iterations``, ``cost``, ``seconds``, ``stop_reason`` (``'converged'``,
        ``'budget'``, ``'callback'`` or ``'stalled'``) and ``message``.
    success : bool
        False if a callback stopped the run or any level ended on its iteration
        budget (``message`` then names those levels).
    message : str
    """

    flow: np.ndarray
    matrix: np.ndarray | None
    params: np.ndarray | None
    warped: np.ndarray
    metric: float
    metric_name: str
    transform: str
    history: list = field(default_factory=list)
    success: bool = True
    message: str = ""
