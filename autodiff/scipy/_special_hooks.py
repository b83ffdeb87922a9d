"""SciPy's own ``logsumexp``, ``softmax`` and ``log_softmax`` on traced values.

These three are Python functions in ``scipy.special._logsumexp``; they convert
their input before Python could ask a tracer, so ``__array_function__`` never
sees the call.  Replacing ``scipy.special.logsumexp`` would miss a user's earlier
``from scipy.special import logsumexp`` (that name keeps SciPy's function object).
What every call of these functions does, however they were imported, is look up
names in *their module's* globals at call time.  This module rebinds four of
those names, once, at import, each behind a type check, in the spirit of the
sparse ``__matmul__`` hook of :mod:`autodiff.scipy.sparse`:

``array_namespace(*arrays)``
    The first statement of all three functions.  When an argument is a
    :class:`~autodiff.Tracer` it returns a :class:`TracedCall` (SciPy's NumPy
    namespace plus the traced arguments); otherwise SciPy's own function.
``xp_promote(..., xp=...)`` (``logsumexp`` only)
    With a :class:`TracedCall` it promotes the *values* of the arguments, so that
    SciPy's shape and edge-case logic runs on plain arrays, as constants.
``_logsumexp(a, b, ..., xp=...)`` (``logsumexp`` only)
    The numerical core.  With a :class:`TracedCall` it is computed by
    :func:`autodiff.numpy.logsumexp` on the traced arguments: the only place
    the derivative flows.  SciPy keeps our result wherever it is finite.
``xpx`` (``log_softmax`` only)
    ``xpx.at(x, mask).set(v)`` on a traced ``x`` becomes ``np.where(mask, v, x)``
    (SciPy zeroes an infinite shift in place, which a tracer cannot do).
``softmax`` and ``log_softmax`` run SciPy's own few lines on the tracer with the
namespace's NumPy functions, which dispatch to autodiff.

``ad.stage`` refuses ``logsumexp`` this way with a ``StagingError`` (SciPy's
wrapper computes on the values, which staging would freeze); stage
``autodiff.scipy.special.logsumexp`` instead.  ``softmax`` and ``log_softmax``
stage.

Calls without a tracer take SciPy's path unchanged (one ``isinstance`` per
argument), so their results are bit-identical to SciPy's.  Nothing depends on
the call stack or on bytecode.

The hooks are installed only for the SciPy releases whose ``_logsumexp.py`` was
read and found to follow the flow above (:data:`VERIFIED_SCIPY`): a release that
moved the core out of ``_logsumexp`` would otherwise compute on the stripped
values and drop the derivative silently.  With any other release (or a module
lacking one of the names) nothing is rebound, and calling these functions on a
tracer keeps raising the error that names ``autodiff.scipy.special.<name>``.
"""

from __future__ import annotations

import functools
import importlib
import types

import numpy as np

from .._shapes import shape_of
from .._tracer import Tracer, base_value, is_complex
from ..numpy._reductions import logsumexp as _ad_logsumexp

__all__ = ["TracedCall", "install", "hooked_functions", "VERIFIED_SCIPY"]

_HOOKED = ("array_namespace", "xp_promote", "_logsumexp", "xpx")
#: SciPy (major, minor) releases whose ``scipy/special/_logsumexp.py`` was checked.
VERIFIED_SCIPY = ((1, 17),)
#: The SciPy functions these hooks make differentiable when called directly.
_DISPATCHED = ("scipy.special.logsumexp", "scipy.special.softmax", "scipy.special.log_softmax")


class TracedCall:
    """The array namespace SciPy's ``_logsumexp`` module gets for traced arguments.

    Attribute look-ups fall through to SciPy's NumPy namespace (whose functions
    are NumPy's, so they dispatch to autodiff on tracers); ``traced`` holds the
    arguments SciPy passed to ``array_namespace``, in order.
    """

    __slots__ = ("traced", "_numpy")

    def __init__(self, traced: tuple, numpy_namespace) -> None:
        self.traced = traced
        self._numpy = numpy_namespace

    def __getattr__(self, name: str):
        return getattr(self._numpy, name)

    def asarray(self, x, *args, **kwargs):
        """A tracer as it is; anything else as SciPy's NumPy namespace converts it."""
        return x if isinstance(x, Tracer) else self._numpy.asarray(x, *args, **kwargs)


class _FunctionalAt:
    """``xpx.at(x, idx).set(v)`` for a traced ``x`` and a boolean mask ``idx``."""

    __slots__ = ("x", "idx")

    def __init__(self, x, idx) -> None:
        self.x, self.idx = x, idx

    def set(self, y, copy=None, xp=None):
        idx = self.idx
        if not (getattr(idx, "dtype", None) == np.bool_ and shape_of(idx) == shape_of(self.x)):
            raise TypeError("autodiff: SciPy updated a traced array at an index that is not a "
                            "boolean mask of its shape; use autodiff.scipy.special instead")
        return np.where(idx, y, self.x)


class _ExtraNamespace(types.ModuleType):
    """SciPy's ``array_api_extra`` with a functional ``at`` for traced arrays.

    A module whose namespace is a copy of the original's (plain attribute look-ups,
    no per-call ``__getattr__``), falling back to the original for anything added
    later.
    """

    def __init__(self, module) -> None:
        super().__init__(module.__name__, module.__doc__)
        self.__dict__.update(vars(module))
        original_at = module.at

        def at(x, idx=None, /):
            if isinstance(x, Tracer):
                return _FunctionalAt(x, idx)
            return original_at(x) if idx is None else original_at(x, idx)

        self.at = at
        self._module = module

    def __getattr__(self, name: str):
        return getattr(self.__dict__["_module"], name)


def _has_tracer(arrays) -> bool:
    for a in arrays:
        if isinstance(a, Tracer):
            return True
    return False


def _logsumexp_of_traced(a, b, *, axis, return_sign, xp: TracedCall):
    """SciPy's ``_logsumexp`` contract, ``(out, sign)`` with kept dimensions, computed
    by autodiff on the traced arguments (shaped like SciPy's promoted ``a``, ``b``)."""
    traced_a, traced_b = (tuple(xp.traced) + (None, None))[:2]
    if is_complex(traced_a) or is_complex(traced_b):
        raise NotImplementedError("scipy.special.logsumexp of complex traced values is not "
                                  "differentiable here")
    traced_a = np.broadcast_to(traced_a, np.shape(a)) if isinstance(traced_a, Tracer) else a
    if b is not None:
        traced_b = (np.broadcast_to(traced_b, np.shape(b)) if isinstance(traced_b, Tracer)
                    else b)
    out, sign = _ad_logsumexp(traced_a, axis=axis, b=None if b is None else traced_b,
                              keepdims=True, return_sign=True)
    if not return_sign:
        out = np.where(sign < 0, np.nan, out)
    return out, sign


def _scipy_release() -> tuple[int, int]:
    import scipy

    major, minor = scipy.__version__.split(".")[:2]
    return int(major), int(minor)


def install(module=None) -> bool:
    """Rebind the hooked names of ``scipy.special._logsumexp`` (idempotent).

    Returns True when the hooks are in place, False when the module does not have
    the layout they were written for (then nothing is changed).
    """
    if module is None:
        try:
            module = importlib.import_module("scipy.special._logsumexp")
        except ImportError:
            return False
    if getattr(module, "_autodiff_hooks", False):
        return True
    if _scipy_release() not in VERIFIED_SCIPY or not all(hasattr(module, n) for n in _HOOKED):
        return False
    array_namespace, xp_promote = module.array_namespace, module.xp_promote
    scipy_logsumexp, xpx = module._logsumexp, module.xpx
    numpy_namespace = importlib.import_module("scipy._lib.array_api_compat.numpy")

    @functools.wraps(array_namespace)
    def hooked_array_namespace(*arrays):
        if _has_tracer(arrays):
            return TracedCall(arrays, numpy_namespace)
        return array_namespace(*arrays)

    @functools.wraps(xp_promote)
    def hooked_xp_promote(*args, xp, **kwargs):
        if isinstance(xp, TracedCall):
            return xp_promote(*(base_value(a) for a in args), xp=numpy_namespace, **kwargs)
        return xp_promote(*args, xp=xp, **kwargs)

    @functools.wraps(scipy_logsumexp)
    def hooked_logsumexp(a, b, *, axis, return_sign, xp):
        if isinstance(xp, TracedCall):
            return _logsumexp_of_traced(a, b, axis=axis, return_sign=return_sign, xp=xp)
        return scipy_logsumexp(a, b, axis=axis, return_sign=return_sign, xp=xp)

    module.array_namespace = hooked_array_namespace
    module.xp_promote = hooked_xp_promote
    module._logsumexp = hooked_logsumexp
    module.xpx = _ExtraNamespace(xpx)
    module._autodiff_hooks = True
    return True


def hooked_functions() -> tuple[str, ...]:
    """Names of the SciPy functions that take traced values directly (hooks in place)."""
    module = importlib.import_module("scipy.special._logsumexp")
    return _DISPATCHED if getattr(module, "_autodiff_hooks", False) else ()
