"""The differentiable NumPy namespace.

``import autodiff.numpy as anp`` gives the same surface as NumPy for the functions
that have derivative rules, plus NumPy's non-differentiable constructors and
predicates (``zeros``, ``arange``, ``isfinite``, ...).  Plain ``np.*`` calls on
traced arrays dispatch to the same functions, so unmodified NumPy code is
differentiable too.  The namespace is built from the registry
(:mod:`autodiff._registry`): every NumPy name whose function has a registered
implementation maps to it.
"""

import numpy as _np

from .. import _registry
from .._registry import UnsupportedFunctionError
from . import (
    _arrays,
    _calculus,
    _constants,
    _elementwise,
    _indexing,
    _products,
    _reductions,
    _shape,
    _sorting,
    linalg,
)
from ._arrays import c_, r_
from ._constants import array, asarray, stop_gradient
from ._indexing import index_add, index_update
from ._reductions import logsumexp


def _build_namespace() -> dict:
    names = {}
    for name in dir(_np):
        obj = getattr(_np, name)
        try:
            impl = _registry.HANDLED_FUNCTIONS.get(obj) or _registry.HANDLED_UFUNCS.get(obj)
        except TypeError:  # unhashable module attribute
            continue
        if impl is not None:
            names[name] = impl
    return names


globals().update(_build_namespace())

# Non-differentiable constructors, constants and types: NumPy's own.
_PASSTHROUGH = (
    "zeros ones empty full arange linspace logspace geomspace eye identity tri meshgrid "
    "indices ogrid mgrid ix_ float16 float32 float64 complex64 complex128 int8 int16 int32 "
    "int64 uint8 bool_ ndarray dtype newaxis pi e inf nan euler_gamma finfo iinfo errstate "
    "random"
).split()
for _name in _PASSTHROUGH:
    globals()[_name] = getattr(_np, _name)
del _name

__all__ = sorted(
    name for name in dir()
    if not name.startswith("_") and name not in ("annotations",)
)
