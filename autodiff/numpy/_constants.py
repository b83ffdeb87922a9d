"""Functions whose results carry no derivative (indices, predicates, shapes), array
creation that follows traced values, and :func:`stop_gradient`."""

from __future__ import annotations

import builtins

import numpy as np

from .._registry import implements, implements_constant
from .._tracer import Tracer, base_value
from ._shape import astype, stack

implements_constant(
    *(f for f in (
        np.argmax, np.argmin, np.argsort, np.nonzero, np.count_nonzero, np.all, np.any,
        np.isclose, np.allclose, np.array_equal, np.shape, np.ndim, np.size, np.zeros_like,
        np.ones_like, np.empty_like, np.full_like, np.searchsorted, np.digitize, np.unique,
        np.iscomplexobj, np.isrealobj, np.result_type, np.round, getattr(np, "around", None),
        np.argwhere, np.flatnonzero, np.histogram, np.array_equiv, np.may_share_memory,
        np.shares_memory, np.can_cast, np.min_scalar_type, np.iscomplex, np.isreal,
    ) if f is not None))


def _constant_method(function):
    # The NumPy function rather than the ndarray method: the base value may be a
    # staged value (autodiff._stage), which dispatches NumPy functions.
    return lambda self, *args, **kwargs: function(base_value(self), *args, **kwargs)


for _name in ("argmax", "argmin", "argsort", "nonzero", "all", "any"):
    implements(methods=(_name,))(_constant_method(getattr(np, _name)))
del _name


def stop_gradient(x):
    """Return ``x`` as a constant: no derivative flows through it, at any order.

    Examples
    --------
    >>> import numpy as np, autodiff as ad
    >>> float(ad.grad(lambda x: x * ad.stop_gradient(x))(3.0))
    3.0
    """
    return base_value(x)


def _contains_tracer(obj) -> bool:
    if isinstance(obj, Tracer):
        return True
    if isinstance(obj, (list, tuple)):
        return builtins.any(_contains_tracer(o) for o in obj)
    return False


def array(obj, dtype=None, copy=True, **kwargs):
    """Like ``np.array``, but a traced value (or a list of them) stays traced."""
    if isinstance(obj, Tracer):
        return obj if dtype is None else astype(obj, dtype)
    if isinstance(obj, (list, tuple)) and _contains_tracer(obj):
        return stack([array(o) for o in obj])
    return np.array(obj, dtype=dtype, copy=copy, **kwargs)


def asarray(a, dtype=None, **kwargs):
    """Like ``np.asarray``, but a traced value (or a list of them) stays traced."""
    if isinstance(a, Tracer) or (isinstance(a, (list, tuple)) and _contains_tracer(a)):
        return array(a, dtype=dtype)
    return np.asarray(a, dtype=dtype, **kwargs)
