"""Intensity-based image registration: parametric (translation to affine) and dense.

Library entry points: :func:`register` (front door), :func:`register_parametric`
and :func:`register_dense` (one per problem, over one coarse-to-fine driver) and
:func:`warp`; the command line is ``python -m applications.registration --help``.
"""

from ._dense import register_dense
from ._parametric import register_parametric
from ._register import register, warp
from ._result import ConvergenceWarning, IterationInfo, RegistrationResult
from ._sample import sample_pair

__all__ = ["ConvergenceWarning", "IterationInfo", "RegistrationResult", "register",
           "register_parametric", "register_dense", "warp", "sample_pair"]
