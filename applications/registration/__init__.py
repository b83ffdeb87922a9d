"""Intensity-based image registration: parametric (translation to affine) and dense.

Library entry points are :func:`register` and :func:`warp`; the command line is
``python -m applications.registration --help``.

Names are imported on first use (so that the command line's ``--help`` is instant).
"""

from typing import TYPE_CHECKING

from .._lazy import attach

__all__ = ["IterationInfo", "RegistrationResult", "register", "warp", "sample_pair"]

__getattr__, __dir__ = attach(__name__, {
    "._register": ["IterationInfo", "RegistrationResult", "register", "warp"],
    "._sample": ["sample_pair"],
})

if TYPE_CHECKING:  # for type checkers and linters; at run time __getattr__ imports these
    from ._register import IterationInfo, RegistrationResult, register, warp
    from ._sample import sample_pair
