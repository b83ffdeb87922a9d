"""Tracers, trace levels and primitive dispatch.

Every transform (``grad``, ``jvp``, ...) opens a *trace* with a fresh level number.
Arguments of the function being differentiated are wrapped in tracers belonging to
that trace.  When a primitive is applied, it looks for the tracer with the highest
level among its arguments, unwraps only that level, evaluates itself on the
unwrapped values (which may still be tracers of outer transforms) and hands the
result to the trace, which attaches a tangent (forward mode) or records a tape
entry (reverse mode).  Keeping levels apart is what makes nested derivatives
correct: a tracer of an outer transform is a constant to an inner one.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable

import numpy as np

__all__ = ["Primitive", "Tracer", "primitive", "defvjp", "defjvp", "new_level"]

_levels = itertools.count(1)


def new_level() -> int:
    """Return a trace level higher than every level handed out before."""
    return next(_levels)


class Primitive:
    """A NumPy-level function with derivative rules attached.

    Calling a primitive with no tracer among its positional arguments calls the
    wrapped function directly (the fast path).  Otherwise the call is routed to
    the trace with the highest level.

    Attributes
    ----------
    fun : callable
        The function evaluated on plain values.
    vjps : dict
        ``argnum -> maker(ans, *args, **kwargs) -> (g -> cotangent of that arg)``.
    jvps : dict
        ``argnum -> rule(t, ans, *args, **kwargs)``; ``t`` has a leading batch axis.
    jvp_joint : callable or None
        Optional ``rule(tangents, ans, *args, **kwargs)`` receiving the list of
        tangents (``None`` for constants); used instead of ``jvps`` when given.
    elementwise : bool
        Operands broadcast against each other: tangents are rank-aligned before
        the JVP rule, and cotangents are summed back to each operand's shape.
    """

    def __init__(self, fun: Callable, name: str | None = None, elementwise: bool = False):
        self.fun = fun
        self.name = name or getattr(fun, "__name__", repr(fun))
        self.vjps: dict[int, Callable] = {}
        self.jvps: dict[int, Callable] = {}
        self.jvp_joint: Callable | None = None
        #: Optional ``accumulate(adjoint, g, **kwargs)`` adding this primitive's
        #: cotangent into an existing adjoint array in place (used for indexing).
        self.accumulate: Callable | None = None
        self.elementwise = elementwise
        functools.update_wrapper(self, fun, updated=())

    def __call__(self, *args, **kwargs):
        for a in args:
            if isinstance(a, Tracer):
                return bind(self, args, kwargs)
        return self.fun(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    def __get__(self, obj, objtype=None):
        # Behave like a function when stored as a class attribute.
        if obj is None:
            return self
        return functools.partial(self, obj)


def bind(prim: Primitive, args: tuple, kwargs: dict):
    """Route ``prim(*args, **kwargs)`` to the trace with the highest level."""
    top = None
    for a in args:
        if isinstance(a, Tracer):
            t = a._trace
            if top is None or t.level > top.level:
                top = t
    return top.process(prim, args, kwargs)


def primitive(fun: Callable | None = None, *, elementwise: bool = False) -> Primitive:
    """Declare ``fun`` as a primitive whose derivatives are given by rules.

    Parameters
    ----------
    fun : callable
        Function of arrays (positional arguments) and non-differentiable options
        (keyword arguments), evaluated with plain NumPy values.
    elementwise : bool, optional
        Set when the positional arguments broadcast against each other like a
        ufunc's; cotangents are then summed back to each argument's shape and
        tangents are rank-aligned with the output.

    Returns
    -------
    Primitive
        A callable that dispatches on tracers; attach rules with :func:`defvjp`
        and :func:`defjvp`.

    Examples
    --------
    >>> import numpy as np, scipy.special
    >>> import autodiff as ad
    >>> @ad.primitive
    ... def softplus(x):
    ...     return np.logaddexp(0.0, x)
    >>> ad.defvjp(softplus, lambda ans, x: lambda g: g * scipy.special.expit(x))
    >>> ad.defjvp(softplus, lambda t, ans, x: t * scipy.special.expit(x))
    >>> float(ad.grad(softplus)(0.0))
    0.5
    """
    if fun is None:
        return functools.partial(primitive, elementwise=elementwise)
    return Primitive(fun, elementwise=elementwise)


def defvjp(prim: Primitive, *makers: Callable | None,
           argnums: tuple[int, ...] | None = None) -> None:
    """Attach reverse-mode rules to ``prim``, one maker per positional argument.

    Each maker is called as ``maker(ans, *args, **kwargs)`` and returns the linear
    map ``g -> cotangent`` for its argument; ``None`` marks an argument as not
    differentiable.  Write the maps with NumPy functions: they then run under
    forward mode too, which is how Hessians are obtained.
    """
    _attach(prim, "defvjp", "vjps", makers, argnums)


def defjvp(prim: Primitive, *rules: Callable | None,
           argnums: tuple[int, ...] | None = None) -> None:
    """Attach forward-mode rules to ``prim``, one rule per positional argument.

    Each rule is called as ``rule(t, ans, *args, **kwargs)`` where ``t`` is the
    tangent of that argument with a leading batch axis, shape ``(k,) + arg.shape``;
    it returns the output tangent, shape ``(k,) + ans.shape``.  Elementwise
    formulas such as ``t * np.cos(x)`` satisfy this unchanged.
    """
    _attach(prim, "defjvp", "jvps", rules, argnums)


def _attach(prim, api: str, table_name: str, rules, argnums) -> None:
    if not isinstance(prim, Primitive):
        raise TypeError(f"{api} expects a primitive made with ad.primitive, got {prim!r}")
    table = getattr(prim, table_name)
    for i, rule in zip(range(len(rules)) if argnums is None else argnums, rules):
        if rule is not None:
            table[i] = rule


class VJPsForEveryOperand(dict):
    """The VJP table of a primitive with any number of operands (concatenate,
    einsum, checkpoint): ``maker_for(i)`` makes the maker of operand ``i``."""

    def __init__(self, maker_for: Callable[[int], Callable]):
        super().__init__()
        self.maker_for = maker_for

    def get(self, i, default=None):
        return self.maker_for(i)


def missing_rule(prim: Primitive, argnum: int, mode: str) -> NotImplementedError:
    kind = "defvjp" if mode == "reverse" else "defjvp"
    return NotImplementedError(
        f"primitive '{prim.name}' has no {mode}-mode rule for positional argument {argnum}; "
        f"add one with ad.{kind}({prim.name}, ...)"
    )


_SHAPED = (np.ndarray, np.generic)
_PY_SCALARS = (float, int, bool, complex)


def shape_of(x) -> tuple[int, ...]:
    # Hot path (called per primitive): avoid np.shape's dispatch for common types.
    if isinstance(x, _SHAPED) or isinstance(x, Tracer):
        return x.shape
    if type(x) in _PY_SCALARS:
        return ()
    return np.shape(x)


def ndim_of(x) -> int:
    if isinstance(x, _SHAPED) or isinstance(x, Tracer):
        return x.ndim
    if type(x) in _PY_SCALARS:
        return 0
    return np.ndim(x)


def base_value(x):
    """Strip every level of tracing from ``x``."""
    while isinstance(x, Tracer):
        x = x.primal
    return x


class Tracer:
    """A value being traced by some transform; behaves like an ndarray.

    Subclasses define ``primal`` (the value one level down) and ``_trace``.
    Operators, ``__array_ufunc__`` and ``__array_function__`` route NumPy calls to
    the differentiable primitives of :mod:`autodiff.numpy`.
    """

    __slots__ = ()
    __array_priority__ = 1000.0  # above ndarray, np.matrix and scipy.sparse

    # --- ndarray-like attributes -------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return shape_of(self.primal)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def dtype(self) -> np.dtype:
        return np.result_type(base_value(self))

    def __len__(self) -> int:
        shape = self.shape
        if not shape:
            raise TypeError("len() of unsized traced value")
        return shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        return bool(base_value(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(level={self._trace.level}, primal={base_value(self)!r})"

    # --- conversions that would silently drop the derivative ------------------------
    def _refuse(self, what: str, hint: str = ""):
        raise TypeError(
            f"{what} of a traced value would drop its derivative. Keep the value as an array "
            "inside the differentiated function (use autodiff.numpy or NumPy functions on it); "
            "to use it as a constant, call ad.stop_gradient(x) first." + hint
        )

    def __float__(self):
        self._refuse("float()")

    def __int__(self):
        self._refuse("int()")

    def __complex__(self):
        self._refuse("complex()")

    def __index__(self):
        self._refuse("using as an index")

    def item(self, *args):
        self._refuse(".item()")

    def tolist(self):
        self._refuse(".tolist()")

    def __array__(self, dtype=None, copy=None):
        if _called_by_scipy_sparse():
            # scipy.sparse's ``X @ w`` converts ``w`` with np.asanyarray and returns
            # NotImplemented for a 0-d object array, which hands the product to our
            # __rmatmul__ (the differentiable sparse product).
            out = np.empty((), dtype=object)
            out[()] = self
            return out
        self._refuse("np.asarray()/np.array()", _caller_hint())

    def __setitem__(self, key, value):
        raise TypeError(
            "in-place assignment x[...] = v on a traced array is not differentiable; build a new "
            "array instead, e.g. np.where(mask, v, x), np.concatenate([...]), np.pad(...) or "
            "autodiff.numpy.index_update(x, index, v)"
        )

    def __hash__(self):
        return id(self)


_LIBRARIES = ("numpy", "scipy", "sklearn", "skimage")


def _caller_hint() -> str:
    """Name the library function that tried to convert a tracer, with an alternative."""
    import sys

    # The outermost library frame is the function the user called (e.g.
    # scipy.special.logsumexp), not the helper deep inside it that converted.
    frame, caller = sys._getframe(2), None  # 0: here, 1: __array__, 2: who converted
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] in _LIBRARIES:
        caller, frame = frame, frame.f_back
    if caller is None:
        return ""
    frame, module = caller, caller.f_globals["__name__"]
    name = frame.f_code.co_name
    hint = f" It was called from {module}.{name}"
    if module.startswith("scipy.special"):
        from .scipy import special

        if hasattr(special, name):
            hint += f": use autodiff.scipy.special.{name} instead"
    return hint + "."


def _called_by_scipy_sparse() -> bool:
    import sys

    frame = sys._getframe(2)
    return frame is not None and frame.f_globals.get("__name__", "").startswith("scipy.sparse")
