"""Total-variation machinery shared by the applications (private).

One implementation of the finite-difference operators (:class:`Grid`), the dual projection,
the accelerated dual iteration and the duality-gap stopping rule serves
:func:`applications.denoising.denoise_tv` (ROF denoising) and
:func:`applications.segmentation.segment` (convex Chan-Vese by the thresholding theorem).
"""

from ._dual import DUAL_SOLVERS, GREEDY_STEP, Check, Workspace, solve_chambolle, solve_fista
from ._grid import Grid

__all__ = ["Grid", "Check", "Workspace", "solve_fista", "solve_chambolle", "DUAL_SOLVERS",
           "GREEDY_STEP"]
