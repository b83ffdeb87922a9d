"""Intensity-based image registration: parametric (translation to affine) and dense.

Library entry points are :func:`register` and :func:`warp`; the command line is
``python -m applications.registration --help``.
"""

from ._register import IterationInfo, RegistrationResult, register, warp
from ._sample import sample_pair

__all__ = ["IterationInfo", "RegistrationResult", "register", "warp", "sample_pair"]
