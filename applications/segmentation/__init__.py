"""Image segmentation by energy minimisation: convex Chan-Vese (two-phase and multiphase),
n-D and multichannel, with edge weighting and bias fields, and active contours (snakes).

``segment`` solves the convex relaxation of Chan-Vese with the TV solver shared with
:mod:`applications.denoising`; ``segment_multiphase`` labels ``n_phases`` phases by the
same relaxation; ``snake`` fits an active contour with L-BFGS and AD gradients.
``python -m applications.segmentation --help`` runs the CLI.

The names are imported on first use (PEP 562), so that the command line's ``--help`` does
not pay for NumPy, SciPy and the AD core.
"""

from __future__ import annotations

from .._lazy import attach

_EXPORTS = {
    "segment": "._two_phase", "default_weight": "._two_phase", "energy": "._two_phase",
    "segment_multiphase": "._multiphase",
    "snake": "._snake",
    "SegmentResult": "._result", "SnakeResult": "._snake",
    "SegmentationWarning": "._image",
}

__all__ = list(_EXPORTS)


__getattr__, __dir__ = attach(__name__, {
    module: [name for name, home in _EXPORTS.items() if home == module]
    for module in dict.fromkeys(_EXPORTS.values())})
