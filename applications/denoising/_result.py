"""The result object returned by the denoisers when ``return_info=True``."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["DenoiseResult"]


@dataclass(frozen=True)
class DenoiseResult:
    """Outcome of one denoising run.

    Attributes
    ----------
    image : ndarray
        The denoised image, same shape as the input, float32 or float64.
    energy : float
        Final value of the objective :math:`\\tfrac12\\|u - f\\|^2 + w\\,R(u)` (summed over
        channels).  For ``denoise_tv`` this is the exact (non-smoothed) TV energy.
    nit : int
        Iterations performed.
    time : float
        Wall-clock seconds spent in the solver.
    success : bool
        Whether the stopping criterion was met (False when the budget ran out).
    message : str
        Why the solver stopped.
    method : str
        The solver used.
    gap : float or None
        Duality gap :math:`P(u) - D(q) \\ge P(u) - P^\\star` certified by a dual point
        (``denoise_tv`` only; None otherwise).
    rel_gap : float or None
        ``gap / energy``: a certified bound on the relative distance to the optimal energy.
    grad_norm : float or None
        Max-norm of the energy's gradient at the result (AD solvers only).
    """

    image: np.ndarray = field(repr=False)
    energy: float
    nit: int
    time: float
    success: bool
    message: str
    method: str
    gap: float | None = None
    rel_gap: float | None = None
    grad_norm: float | None = None
