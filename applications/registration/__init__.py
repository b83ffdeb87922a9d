"""Intensity-based image registration: parametric (translation to affine) and dense.

Library entry points: :func:`register` (front door), :func:`register_parametric`
and :func:`register_dense` (one per problem, over one coarse-to-fine driver) and
:func:`warp`; the command line is ``python -m applications.registration --help``.

Names are imported on first use (PEP 562), so that the command line's ``--help``
does not pay for importing NumPy, SciPy and the AD core.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import attach

__all__ = ["ConvergenceWarning", "IterationInfo", "RegistrationResult", "register",
           "register_parametric", "register_dense", "warp", "sample_pair"]

__getattr__, __dir__ = attach(__name__, {
    "._result": ["ConvergenceWarning", "IterationInfo", "RegistrationResult"],
    "._register": ["register", "warp"], "._parametric": ["register_parametric"],
    "._dense": ["register_dense"], "._sample": ["sample_pair"],
})

if TYPE_CHECKING:  # pragma: no cover
    from ._dense import register_dense
    from ._parametric import register_parametric
    from ._register import register, warp
    from ._result import ConvergenceWarning, IterationInfo, RegistrationResult
    from ._sample import sample_pair

