"""The one registry of differentiable functions, filled beside each implementation.

NumPy's NEP 18 pattern: a rule family declares ``@implements(np.sum, methods=("sum",))``
on the wrapper that normalizes NumPy's calling convention, and this module routes
``np.sum(tracer)``, ``tracer.sum()`` and ``autodiff.numpy.sum`` there.
``__array_function__`` and ``__array_ufunc__`` are dictionary lookups; the rule-table
test enumerates :data:`PRIMITIVES`; the README's coverage table is generated from
:data:`HANDLED_FUNCTIONS` and :data:`HANDLED_UFUNCS`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np

from ._tracer import NO_KWARGS, Primitive, Tracer, base_value, bind

__all__ = [
    "HANDLED_FUNCTIONS", "HANDLED_UFUNCS", "UFUNC_METHODS", "METHODS", "PRIMITIVES",
    "ALTERNATIVES", "SPARSE_PRODUCTS", "implements", "implements_constant", "declare",
    "library_primitive", "UnsupportedFunctionError", "function_name",
]

#: NumPy/SciPy function -> differentiable implementation (``__array_function__``).
HANDLED_FUNCTIONS: dict[Callable, Callable] = {}
#: ufunc -> differentiable implementation of ``ufunc(...)`` (``__array_ufunc__``).
HANDLED_UFUNCS: dict[np.ufunc, Callable] = {}
#: ``(ufunc, method)`` -> implementation, for ``np.add.reduce`` and friends.
UFUNC_METHODS: dict[tuple[np.ufunc, str], Callable] = {}
#: ndarray method or operator name -> implementation installed on :class:`Tracer`.
METHODS: dict[str, Callable] = {}
#: Every primitive of the library by name (the rule table).
PRIMITIVES: dict[str, Primitive] = {}
#: "scipy.special.f" -> "autodiff.scipy.special.f" for functions that cannot dispatch.
ALTERNATIVES: dict[str, str] = {}
#: "matmul"/"rmatmul" -> product of a constant scipy.sparse matrix with a traced array,
#: filled by :mod:`autodiff.scipy.sparse` (the NumPy layer does not import SciPy's).
SPARSE_PRODUCTS: dict[str, Callable] = {}


class UnsupportedFunctionError(TypeError):
    """A NumPy/SciPy function with no derivative rule was applied to a traced value."""


def function_name(f) -> str:
    """``numpy.linalg.eigvals``-style name of a NumPy/SciPy callable."""
    name = getattr(f, "__name__", repr(f))
    if isinstance(f, np.ufunc):
        return f"numpy.{name}" if getattr(np, name, None) is f else f"scipy.special.{name}"
    module = getattr(f, "__module__", None) or ""
    module = module.replace("numpy._core", "numpy").replace("numpy.core", "numpy")
    module = module.replace("numpy.linalg._linalg", "numpy.linalg")
    if module.startswith("numpy") and getattr(np, name, None) is f:
        module = "numpy"
    return f"{module}.{name}" if module else name


def implements(*functions: Callable, methods: tuple[str, ...] = (),
               ufunc_methods: tuple[str, ...] = (), alternative: str | None = None):
    """Register the decorated function as the differentiable version of ``functions``.

    Parameters
    ----------
    *functions : callable
        NumPy functions and ufuncs (and SciPy ufuncs) it implements.
    methods : tuple of str
        ndarray methods or operators (``"sum"``, ``"__add__"``) it provides on tracers.
    ufunc_methods : tuple of str
        For a ufunc, the ufunc methods it implements instead of ``__call__``
        (``"reduce"`` for ``np.add.reduce``).
    alternative : str, optional
        Dotted name of a function that cannot dispatch to autodiff (a SciPy
        function written in Python); its "no rule" error points users here.
    """
    def register(impl: Callable) -> Callable:
        for f in functions:
            if isinstance(f, np.ufunc):
                if ufunc_methods:
                    for m in ufunc_methods:
                        UFUNC_METHODS[(f, m)] = impl
                else:
                    HANDLED_UFUNCS[f] = impl
            else:
                HANDLED_FUNCTIONS[f] = impl
        for name in methods:
            METHODS[name] = impl
            setattr(Tracer, name, impl)
        if alternative is not None:
            ALTERNATIVES[alternative] = f"{impl.__module__}.{impl.__name__}"
        return impl

    return register


def implements_constant(*functions: Callable, methods: tuple[str, ...] = ()) -> None:
    """Register functions whose result carries no derivative (predicates, indices, ...)."""
    for f in functions:
        implements(f, methods=methods if f is functions[0] else ())(_constant(f))


def _constant(f: Callable) -> Callable:
    def on_values(*args, **kwargs):
        return f(*(base_value(a) for a in args), **{k: base_value(v) for k, v in kwargs.items()})

    on_values.__name__ = getattr(f, "__name__", "constant")
    on_values.__module__ = __name__
    return on_values


def declare(fun: Callable, name: str | None = None, *, elementwise: bool = False,
            vjps=(), jvps=()) -> Primitive:
    """Create a library primitive, attach its per-argument rules and register it."""
    from ._tracer import defjvp, defvjp

    prim = Primitive(fun, name=name, elementwise=elementwise)
    if vjps:
        defvjp(prim, *vjps)
    if jvps:
        defjvp(prim, *jvps)
    return register_primitive(prim)


def library_primitive(fun: Callable) -> Primitive:
    """Decorator: a registered library primitive (rules attached with defvjp/defjvp)."""
    return register_primitive(Primitive(fun))


def register_primitive(prim: Primitive) -> Primitive:
    if prim.name in PRIMITIVES and PRIMITIVES[prim.name] is not prim:
        raise ValueError(f"two library primitives are both named {prim.name!r}")
    PRIMITIVES[prim.name] = prim
    return prim


# --- the protocols -----------------------------------------------------------------------
def _unsupported(name: str) -> UnsupportedFunctionError:
    hint = ALTERNATIVES.get(name)
    if hint:
        return UnsupportedFunctionError(
            f"{name} cannot be applied to a traced value (it does not dispatch to autodiff); "
            f"use {hint} instead")
    return UnsupportedFunctionError(
        f"{name} has no derivative rule in autodiff, so it cannot be applied to a traced value. "
        "Wrap your own implementation with @ad.primitive and give it rules with ad.defvjp and "
        "ad.defjvp (see the extension API in the README), or apply it to ad.stop_gradient(x) "
        "if it should be treated as a constant."
    )


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    if not kwargs and method == "__call__":  # the hot path: np.sin(x), x + y
        impl = HANDLED_UFUNCS.get(ufunc)
        if type(impl) is Primitive:
            if len(inputs) == 1:  # the tracer is self: no level to compare
                return self._trace.process(impl, inputs, NO_KWARGS)
            return bind(impl, inputs, NO_KWARGS)
        if impl is not None:
            return impl(*inputs)
    if kwargs.get("out") is not None:
        raise TypeError(
            f"numpy.{ufunc.__name__}(..., out=...) (or an in-place operator on an ndarray) would "
            "write a traced value into an array in place, which is not differentiable; use the "
            "returned array instead")
    kwargs.pop("out", None)
    if method == "__call__":
        impl = HANDLED_UFUNCS.get(ufunc)
    else:
        impl = UFUNC_METHODS.get((ufunc, method))
    if impl is None:
        name = function_name(ufunc)
        raise _unsupported(name if method == "__call__" else f"{name}.{method}")
    if kwargs and method == "__call__":
        dtype = kwargs.pop("dtype", None)
        if kwargs:
            raise TypeError(f"{function_name(ufunc)}: options {sorted(kwargs)} are not "
                            "supported on traced values")
        out = impl(*inputs)
        return out if dtype is None else METHODS["astype"](out, dtype)
    return impl(*inputs, **kwargs)


def _array_function(self, func, types, args, kwargs):
    impl = HANDLED_FUNCTIONS.get(func)
    if impl is None:
        raise _unsupported(function_name(func))
    return impl(*args, **kwargs)


# --- conversions that would silently drop the derivative ------------------------------------
def _refuse(what: str, hint: str = ""):
    raise TypeError(
        f"{what} of a traced value would drop its derivative. Keep the value as an array "
        "inside the differentiated function (use autodiff.numpy or NumPy functions on it); "
        "to use it as a constant, call ad.stop_gradient(x) first." + hint
    )


def _array(self, dtype=None, copy=None):
    sequence = _sequence_hint(self)
    if sequence:
        raise TypeError(sequence)
    _refuse("Converting to a NumPy array (np.asarray, np.array, a NumPy scalar type such as "
            "np.float64(x), or an ndarray method such as X.dot(w) called with the traced "
            "value as its argument)",
            _caller_hint() + " For products with a constant array write X @ w or np.dot(X, w).")


_LIBRARIES = ("numpy", "scipy", "sklearn", "skimage")
#: autodiff modules whose frames sit between a library's own (SciPy hooks): see through them.
_TRANSPARENT = ("autodiff.scipy._special_hooks",)


def _in_library(frame) -> bool:
    name = frame.f_globals.get("__name__", "")
    return name.split(".")[0] in _LIBRARIES or name in _TRANSPARENT


def _holds(value, tracer, depth: int = 4) -> bool:
    """Whether a (nested) list or tuple holds ``tracer`` itself."""
    if depth == 0 or not isinstance(value, (list, tuple)) or len(value) > 100_000:
        return False
    return any(v is tracer or _holds(v, tracer, depth - 1) for v in value)


def _sequence_hint(tracer) -> str:
    """The error for a NumPy/SciPy function given a list or tuple holding traced values.

    NumPy dispatches ``__array_function__`` on the argument itself: a list has no
    such method, so ``np.mean([x0, x1])`` runs NumPy's own code, which converts the
    list (and with it each traced value) to an array.  Nothing that autodiff controls
    is called before that conversion, so such a call cannot be differentiated; the
    error names the fix.  Frames are read for the wording only.
    """
    frame, outermost = sys._getframe(2), None
    while frame is not None and _in_library(frame):
        if frame.f_globals.get("__name__", "") not in _TRANSPARENT:
            outermost = frame
        frame = frame.f_back
    if outermost is None:
        return ""
    # Only the named parameters of the function the user called (never *args tuples,
    # which libraries build themselves).
    code, values = outermost.f_code, outermost.f_locals
    if not any(_holds(values.get(p), tracer) for p in code.co_varnames[:code.co_argcount]):
        return ""
    module, _, name = _frame_function(outermost).rpartition(".")
    if module.startswith("numpy.") and getattr(np, name, None) is not None:
        module = "numpy"  # numpy.lib.average is np.average
    full = f"{module}.{name}"
    ours = _taking_sequences(full)
    return (f"{full} was given a list or tuple that holds traced values. NumPy dispatches on "
            "the argument itself, and a list cannot dispatch, so NumPy converts the list (and "
            "each traced value in it) to an array, which would drop its derivative. Stack the "
            f"values into one traced array first: {full}(np.stack(values), ...)"
            + (f", or call {ours}(values, ...), which accepts lists." if ours else "."))


def _taking_sequences(full: str) -> str | None:
    """Dotted name of autodiff's version of ``full`` if it stacks lists of tracers itself."""
    module, _, name = full.rpartition(".")
    if module == "numpy":
        ours, impl = f"autodiff.numpy.{name}", HANDLED_FUNCTIONS.get(getattr(np, name, None))
    else:
        ours = ALTERNATIVES.get(full, "")
        where, _, attribute = ours.rpartition(".")
        impl = getattr(sys.modules.get(where), attribute, None)
    return ours if getattr(impl, "takes_sequences", False) else None


def _frame_function(frame) -> str:
    """``scipy.linalg.solve_triangular``-style name of a frame's function; a decorator's
    ``wrapper`` frame (SciPy's batching decorator) is named after the function it wraps."""
    wrapped = frame.f_locals.get("f") if frame.f_code.co_name == "wrapper" else None
    name = getattr(wrapped, "__name__", None) or frame.f_code.co_name
    module = getattr(wrapped, "__module__", None) or frame.f_globals["__name__"]
    return f"{module.split('._')[0]}.{name}"


def _caller_hint() -> str:
    """Name the library function that converted a tracer (wording only, never behaviour)."""
    # 0: here, 1: _array or _setitem, 2: who converted (or assigned)
    frame, caller, full = sys._getframe(2), None, ""
    while frame is not None and _in_library(frame):
        # Stop at the innermost function that has an alternative.
        if full not in ALTERNATIVES and frame.f_globals.get("__name__", "") not in _TRANSPARENT:
            caller, full = frame, _frame_function(frame)
        frame = frame.f_back
    if caller is None:
        return ""
    if caller.f_globals["__name__"].startswith("scipy.sparse"):
        return (f" It was called by the scipy.sparse method {caller.f_code.co_name}: with a "
                "constant sparse X only the products X @ w, X.T @ w, X.dot(w), w @ X and "
                "np.dot(X, w) are differentiable.")
    alternative = ALTERNATIVES.get(full)
    return f" It was called from {full}" + (f": use {alternative} instead." if alternative
                                           else ".")


def _setitem(self, key, value):
    raise TypeError(
        "in-place assignment x[...] = v on a traced array is not differentiable; build a new "
        "array instead, e.g. np.where(mask, v, x), np.concatenate([...]), np.pad(...) or "
        "autodiff.numpy.index_update(x, index, v)." + _caller_hint()
    )


def _conversion(what: str):
    def refuse(self, *args):
        _refuse(what)

    return refuse


Tracer.__array_ufunc__ = _array_ufunc
Tracer.__array_function__ = _array_function
Tracer.__array__ = _array
Tracer.__setitem__ = _setitem
for _method, _what in (("__float__", "float()"), ("__int__", "int()"),
                       ("__complex__", "complex()"), ("__index__", "using as an index"),
                       ("item", ".item()"), ("tolist", ".tolist()")):
    setattr(Tracer, _method, _conversion(_what))
del _method, _what
