"""Intensity-based image registration: parametric (translation to affine) and dense.

Library entry points: :func:`register` (front door), :func:`register_parametric`
and :func:`register_dense` (one per problem, over one coarse-to-fine driver) and
:func:`warp`; the command line is ``python -m applications.registration --help``.

Names are imported on first use (PEP 562), so that the command line's ``--help``
does not pay for importing NumPy, SciPy and the AD core.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__all__ = ["ConvergenceWarning", "IterationInfo", "RegistrationResult", "register",
           "register_parametric", "register_dense", "warp", "sample_pair"]

_HOMES = {"ConvergenceWarning": "._result", "IterationInfo": "._result",
          "RegistrationResult": "._result", "register": "._register",
          "register_parametric": "._parametric", "register_dense": "._dense",
          "warp": "._register", "sample_pair": "._sample"}

if TYPE_CHECKING:  # pragma: no cover
    from ._dense import register_dense
    from ._parametric import register_parametric
    from ._register import register, warp
    from ._result import ConvergenceWarning, IterationInfo, RegistrationResult
    from ._sample import sample_pair


def __getattr__(name: str):
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
