"""Image segmentation by energy minimisation: convex Chan-Vese (two-phase and multiphase),
n-D and multichannel, with edge weighting and bias fields, and active contours (snakes).

``segment`` solves the convex relaxation of Chan-Vese with the TV solver shared with
:mod:`applications.denoising`; ``segment_multiphase`` labels ``n_phases`` phases;
``snake`` fits an active contour with L-BFGS and AD gradients.
``python -m applications.segmentation --help`` runs the CLI.
"""

from ._image import SegmentationWarning
from ._result import SegmentResult
from ._two_phase import default_weight, energy, segment

__all__ = ["segment", "default_weight", "SegmentResult", "SegmentationWarning",
           "energy"]
