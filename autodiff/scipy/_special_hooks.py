"""SciPy's own ``logsumexp``, ``softmax`` and ``log_softmax`` on traced values.

These three are Python functions in ``scipy.special._logsumexp``; they convert
their input before Python could ask a tracer, so ``__array_function__`` never
sees the call.  Replacing ``scipy.special.logsumexp`` would miss a user's earlier
``from scipy.special import logsumexp`` (that name keeps SciPy's function object).
What every call of these functions does, however they were imported, is look up
names in *their module's* globals at call time.  This module rebinds a few of
those names, once, at import, each behind a type check, in the spirit of the
sparse ``__matmul__`` hook of :mod:`autodiff.scipy.sparse`.  Which names depends
on the release (:data:`LAYOUTS`):

``array_namespace(*arrays)`` (all releases)
    The first statement of ``logsumexp`` (and, from 1.16, of ``softmax`` and
    ``log_softmax``).  When an argument is a :class:`~autodiff.Tracer` it returns a
    :class:`TracedCall` (SciPy's NumPy namespace plus the traced arguments);
    otherwise SciPy's own function.
``xp_promote(..., xp=...)`` (1.16-1.18) / ``xp_broadcast_promote(..., xp=...)`` (1.15)
    ``logsumexp``'s second statement.  With a :class:`TracedCall` it promotes (and
    broadcasts) the *values* of the arguments, so that SciPy's shape and edge-case
    logic runs on plain arrays, as constants.
``_logsumexp(a, b, ..., xp=...)`` (all releases)
    The numerical core, called by ``logsumexp`` only.  With a :class:`TracedCall`
    it is computed by :func:`autodiff.numpy.logsumexp` on the traced arguments: the
    only place the derivative flows.  It returns what SciPy's core returns, ``(out,
    sign)`` with kept dimensions and NaN where the sum is negative unless the sign
    is asked for; 1.16-1.18 then keep our result wherever it is finite, 1.15
    uses it as it is.
``xpx`` (1.16-1.18; ``log_softmax`` only)
    ``xpx.at(x, mask).set(v)`` on a traced ``x`` becomes ``np.where(mask, v, x)``
    (SciPy zeroes an infinite shift in place, which a tracer cannot do).
``_asarray_validated(x, check_finite=False)`` (1.15)
    1.15's ``softmax`` and ``log_softmax`` start with this call, then use NumPy's
    ``amax``, ``exp``, ``sum`` and ``log``, which dispatch to autodiff on a tracer:
    a tracer is passed through as it is (any other call form keeps SciPy's
    function, which refuses a tracer).

With the tracer passed through, ``softmax`` (every release) and ``log_softmax``
(1.16-1.18) run SciPy's own few lines on it.  1.15's ``log_softmax`` zeroes the
infinite entries of its shift with ``x_max[~np.isfinite(x_max)] = 0``, an
in-place write that no name of the module can intercept: on a tracer of one or
more dimensions it raises the ``TypeError`` for in-place assignment, which names
``autodiff.scipy.special.log_softmax`` (:data:`HOOKED_RELEASES`).

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

__all__ = ["TracedCall", "install", "hooked_functions", "VERIFIED_SCIPY", "LAYOUTS",
           "HOOKED_RELEASES"]

#: For each SciPy (major, minor) release whose ``scipy/special/_logsumexp.py`` was read:
#: the module globals rebound there.  1.16 and 1.17 differ only in a ``_sign`` helper
#: that the hooks do not touch, 1.18 from 1.17 only in where ``xpx`` is imported from
#: (``scipy._external``); 1.15 promotes with ``xp_broadcast_promote`` and its
#: ``softmax``/``log_softmax`` validate with ``_asarray_validated`` and use NumPy.
LAYOUTS = {
    (1, 15): ("array_namespace", "xp_broadcast_promote", "_logsumexp", "_asarray_validated"),
    (1, 16): ("array_namespace", "xp_promote", "_logsumexp", "xpx"),
    (1, 17): ("array_namespace", "xp_promote", "_logsumexp", "xpx"),
    (1, 18): ("array_namespace", "xp_promote", "_logsumexp", "xpx"),
}
#: SciPy (major, minor) releases whose ``scipy/special/_logsumexp.py`` was checked.
VERIFIED_SCIPY = tuple(LAYOUTS)
#: The SciPy functions these hooks make differentiable when called directly, and on
#: which releases (1.15's ``log_softmax`` writes into its traced shift in place).
HOOKED_RELEASES = {
    "scipy.special.logsumexp": ((1, 15), (1, 16), (1, 17), (1, 18)),
    "scipy.special.softmax": ((1, 15), (1, 16), (1, 17), (1, 18)),
    "scipy.special.log_softmax": ((1, 16), (1, 17), (1, 18)),
}


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


def _hook_array_namespace(array_namespace, numpy_namespace):
    @functools.wraps(array_namespace)
    def hooked_array_namespace(*arrays):
        if _has_tracer(arrays):
            return TracedCall(arrays, numpy_namespace)
        return array_namespace(*arrays)

    return hooked_array_namespace


def _hook_promote(promote, numpy_namespace):
    """``xp_promote`` (1.16-1.18) or ``xp_broadcast_promote`` (1.15): on the values."""

    @functools.wraps(promote)
    def hooked_promote(*args, xp=None, **kwargs):
        if isinstance(xp, TracedCall):
            return promote(*(base_value(a) for a in args), xp=numpy_namespace, **kwargs)
        return promote(*args, xp=xp, **kwargs)

    return hooked_promote


def _hook_logsumexp(scipy_logsumexp, numpy_namespace):
    @functools.wraps(scipy_logsumexp)
    def hooked_logsumexp(a, b, *, axis, return_sign, xp):
        if isinstance(xp, TracedCall):
            return _logsumexp_of_traced(a, b, axis=axis, return_sign=return_sign, xp=xp)
        return scipy_logsumexp(a, b, axis=axis, return_sign=return_sign, xp=xp)

    return hooked_logsumexp


def _hook_asarray_validated(asarray_validated, numpy_namespace):
    """1.15's ``softmax``/``log_softmax`` call ``_asarray_validated(x, check_finite=False)``,
    which for an ndarray is ``np.asarray(x)``: a tracer is already an array."""

    @functools.wraps(asarray_validated)
    def hooked_asarray_validated(a, *args, **kwargs):
        if isinstance(a, Tracer) and not args and kwargs == {"check_finite": False}:
            return a
        return asarray_validated(a, *args, **kwargs)

    return hooked_asarray_validated


def _hook_xpx(xpx, numpy_namespace):
    return _ExtraNamespace(xpx)


_HOOKS = {
    "array_namespace": _hook_array_namespace,
    "xp_promote": _hook_promote,
    "xp_broadcast_promote": _hook_promote,
    "_logsumexp": _hook_logsumexp,
    "_asarray_validated": _hook_asarray_validated,
    "xpx": _hook_xpx,
}


def install(module=None) -> bool:
    """Rebind the hooked names of ``scipy.special._logsumexp`` (idempotent).

    Returns True when the hooks are in place, False when the release is not one of
    :data:`VERIFIED_SCIPY` or the module lacks one of the names of its layout (then
    nothing is changed).
    """
    if module is None:
        try:
            module = importlib.import_module("scipy.special._logsumexp")
        except ImportError:
            return False
    if getattr(module, "_autodiff_hooks", False):
        return True
    names = LAYOUTS.get(_scipy_release())
    if names is None or not all(hasattr(module, n) for n in names):
        return False
    # SciPy's own namespace for NumPy arrays (its module moved between releases)
    numpy_namespace = module.array_namespace(np.empty(0))
    hooked = {n: _HOOKS[n](getattr(module, n), numpy_namespace) for n in names}
    for name, value in hooked.items():
        setattr(module, name, value)
    module._autodiff_hooks = True
    return True


def hooked_functions() -> tuple[str, ...]:
    """Names of the SciPy functions that take traced values directly (hooks in place)."""
    module = importlib.import_module("scipy.special._logsumexp")
    if not getattr(module, "_autodiff_hooks", False):
        return ()
    release = _scipy_release()
    return tuple(name for name, releases in HOOKED_RELEASES.items() if release in releases)
