"""Tracers, trace levels, primitives and their rules.

Every transform (``grad``, ``jvp``, ...) opens a *trace* with a fresh level number.
Arguments of the function being differentiated are wrapped in tracers belonging to
that trace.  When a primitive is applied, it looks for the tracer with the highest
level among its arguments, unwraps only that level, evaluates itself on the
unwrapped values (which may still be tracers of outer transforms) and hands the
result to the trace, which attaches a tangent (forward mode) or records a tape
entry (reverse mode).  Keeping levels apart is what makes nested derivatives
correct: a tracer of an outer transform is a constant to an inner one.

A trace has a ``level``, ``process(prim, args, kwargs)``, which applies any
primitive, and ``operator(prim, a, b)`` for the Python arithmetic operators, whose
operands are that trace's tracers or constants (reverse mode records the scalar
arithmetic of loops there in one step).

A primitive carries one rule per mode, each for all of its operands at once:

* ``prim.vjp(which, ans, args, kwargs) -> (g -> tuple of cotangents)`` for the
  positional arguments listed in ``which``;
* ``prim.jvp(tangents, ans, args, kwargs) -> output tangent``, where ``tangents``
  has one entry per positional argument (``None`` for constants) with a leading
  batch axis.

:func:`defvjp` and :func:`defjvp` build these joint rules from one rule per
argument, as autograd's and JAX's per-argument rules do; primitives that make all
cotangents in one evaluation (concatenate, einsum, checkpoint) set them directly
with :func:`set_rules`.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable

import numpy as np

from . import _debug
from ._shapes import align_rank, shape_of, unbroadcast

__all__ = ["Primitive", "Tracer", "primitive", "defvjp", "defjvp", "set_rules", "new_level",
           "base_value", "evaluate", "push_tangent", "is_complex", "real_cotangents",
           "STAGING_OBSERVERS", "unwrap", "apply_binary", "FIRST", "SECOND", "BOTH",
           "SCALAR_TYPES", "SCALAR_OPERANDS", "operator_as_primitive"]

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
    name : str
        Name used in error messages, :func:`autodiff.trace` and the rule table.
    vjp, jvp : callable or None
        The joint reverse and forward rules (see the module docstring).
    elementwise : bool
        Operands broadcast against each other like a ufunc's.  The per-argument
        rules given to :func:`defvjp` / :func:`defjvp` are then wrapped: cotangents
        are summed back to each operand's shape and tangents are rank-aligned.
    scalar : callable or None
        The same function as a Python operator, used by :func:`apply_binary` on
        float64 scalars (a ufunc call on two scalars costs ten times the operator's).
    derivative : callable or None
        For a unary elementwise primitive, ``f'(x)`` as ``derivative(ans, x)``.
    partials : dict or None
        For a binary operator, ``partials[which](x, y)``: the partial derivatives of
        ``f(x, y)`` with respect to the traced operands (``which``), where they are
        exact products with the cotangent (``g * y`` for ``x * y``, not ``g / y``).
        The reverse tape stores these numbers in scalar code instead of a VJP.
    """

    def __init__(self, fun: Callable, name: str | None = None, elementwise: bool = False):
        self.fun = fun
        self.name = name or getattr(fun, "__name__", repr(fun))
        self.elementwise = elementwise
        self.scalar: Callable | None = None
        self.derivative: Callable | None = None
        self.partials: dict | None = None
        self.vjp: Callable | None = None
        self.jvp: Callable | None = None
        self.vjp_makers: dict[int, Callable] = {}
        self.jvp_rules: dict[int, Callable] = {}
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


def bind(prim: Primitive, args, kwargs: dict):
    """Route ``prim(*args, **kwargs)`` to the trace with the highest level."""
    top = None
    for a in args:
        if isinstance(a, Tracer):
            t = a._trace
            if top is None or t.level > top.level:
                top = t
    return top.process(prim, args, kwargs)


def unwrap(trace, args) -> tuple[list, list[int], bool]:
    """``(primals, which, lower)`` of a primitive's arguments as seen by ``trace``.

    ``primals`` are the values one level down (this trace's tracers unwrapped),
    ``which`` the positions of this trace's tracers, and ``lower`` whether a tracer of
    another (outer) trace remains among the values, so that evaluation is routed again.
    """
    primals = list(args)
    which = []
    lower = False
    for i, a in enumerate(args):
        if isinstance(a, Tracer):
            if a._trace is trace:
                primals[i] = p = a.primal
                which.append(i)
                if isinstance(p, Tracer):
                    lower = True
            else:
                lower = True
    return primals, which, lower


#: ``which`` of a binary primitive's traced operands (shared: compared by identity).
FIRST, SECOND, BOTH = (0,), (1,), (0, 1)

#: Shared empty keyword arguments for the hot paths (never mutated).
NO_KWARGS: dict = {}

#: Operand types for which a primitive's Python operator (``prim.scalar``) gives what
#: its ufunc gives, provided one operand is a float64 (so the result is one too).
SCALAR_OPERANDS = frozenset((np.float64, float, int))


def operator_as_primitive(trace, prim: Primitive, a, b):
    """``trace.operator`` of the traces that apply an operator as any other primitive."""
    return trace.process(prim, (a, b), NO_KWARGS)


def apply_binary(trace, prim: Primitive, a, b, kwargs: dict) -> tuple[list, tuple, object]:
    """``(primals, which, ans)`` of a two-argument primitive, as seen by ``trace``.

    :func:`unwrap` and :func:`evaluate` in one step for binary operators (the hot
    path): on two float64 scalars the primitive's Python operator stands in for its
    ufunc (a ufunc call on scalars costs ten times as much).
    """
    ours_a = isinstance(a, Tracer) and a._trace is trace
    ours_b = isinstance(b, Tracer) and b._trace is trace
    x = a.primal if ours_a else a
    y = b.primal if ours_b else b
    which = BOTH if ours_a and ours_b else FIRST if ours_a else SECOND
    primals = [x, y]
    if (prim.scalar is not None and type(x) in SCALAR_OPERANDS
            and type(y) in SCALAR_OPERANDS
            and (type(x) is np.float64 or type(y) is np.float64)):
        return primals, which, prim.scalar(x, y)
    if isinstance(x, Tracer) or isinstance(y, Tracer):
        return primals, which, bind(prim, primals, kwargs)
    return primals, which, prim.fun(x, y, **kwargs)


def evaluate(prim: Primitive, primals, kwargs: dict, lower: bool):
    """Evaluate ``prim`` on values unwrapped by one level.

    ``lower`` says whether a tracer of an outer transform remains among the values
    (then the call is routed again); otherwise NumPy is called directly.
    """
    return bind(prim, primals, kwargs) if lower else prim.fun(*primals, **kwargs)


REAL_TYPES = frozenset((float, np.float64, np.float32, np.float16, int, bool, np.bool_))


def is_complex(x) -> bool:
    """True for a complex array, scalar or tracer (a dtype look-up, no conversion)."""
    t = type(x)
    if t in REAL_TYPES:
        return False
    if t is np.ndarray:
        return x.dtype.kind == "c"
    if isinstance(x, Tracer):
        v = base_value(x)
        if isinstance(v, Tracer):  # a staged value is its own primal: read its dtype
            return v.dtype.kind == "c"
        return is_complex(v)
    return t is complex or isinstance(x, np.complexfloating)


def real_cotangents(vjp: Callable, which, primals) -> Callable:
    """Wrap a VJP so that the cotangents of real operands are real.

    Used where a primitive made a complex value from a real operand (``x * 1j``,
    ``fft(x)``, a cast): with the cotangent ``dL/du - i dL/dv`` of a complex
    value, a real operand's cotangent is the real part of what the linear rule
    gives (the imaginary part is the derivative along a direction the operand
    cannot move in).
    """
    real = [not is_complex(primals[i]) for i in which]
    if not any(real):
        return vjp

    def with_real_parts(g):
        return tuple(np.real(c) if r and c is not None and is_complex(c) else c
                     for c, r in zip(vjp(g), real))

    return with_real_parts


def push_tangent(prim: Primitive, tangents, ans, primals, kwargs: dict):
    """The output tangent of one primitive application (forward mode, any interpreter)."""
    if prim.jvp is None:
        argnum = next(i for i, t in enumerate(tangents) if t is not None)
        raise missing_rule(prim, argnum, "forward")
    tangent = prim.jvp(tangents, ans, primals, kwargs)
    if _debug.enabled:
        _debug.check(prim, "forward (jvp)", (ans, tangent), list(primals) + list(tangents))
    return tangent


def missing_rule(prim: Primitive, argnum: int, mode: str) -> NotImplementedError:
    kind = "defvjp" if mode == "reverse" else "defjvp"
    return NotImplementedError(
        f"primitive '{prim.name}' has no {mode}-mode rule for positional argument {argnum}; "
        f"add one with ad.{kind}({prim.name}, ...)"
    )


# --- declaring primitives and rules ----------------------------------------------------
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
    _check_primitive(prim, "defvjp")
    for i, maker in zip(range(len(makers)) if argnums is None else argnums, makers):
        if maker is not None:
            prim.vjp_makers[i] = maker
    prim.vjp = _joint_vjp(prim)
    prim.derivative = prim.partials = None  # scalar forms of the rule being replaced


def defjvp(prim: Primitive, *rules: Callable | None,
           argnums: tuple[int, ...] | None = None) -> None:
    """Attach forward-mode rules to ``prim``, one rule per positional argument.

    Each rule is called as ``rule(t, ans, *args, **kwargs)`` where ``t`` is the
    tangent of that argument with a leading batch axis, shape ``(k,) + arg.shape``;
    it returns the output tangent, shape ``(k,) + ans.shape``.  Elementwise
    formulas such as ``t * np.cos(x)`` satisfy this unchanged.
    """
    _check_primitive(prim, "defjvp")
    for i, rule in zip(range(len(rules)) if argnums is None else argnums, rules):
        if rule is not None:
            prim.jvp_rules[i] = rule
    prim.jvp = _joint_jvp(prim)


def set_rules(prim: Primitive, *, vjp: Callable | None = None,
              jvp: Callable | None = None) -> Primitive:
    """Give ``prim`` joint rules directly (for primitives with any number of operands)."""
    if vjp is not None:
        prim.vjp = vjp
        prim.derivative = prim.partials = None  # scalar forms of the rule being replaced
    if jvp is not None:
        prim.jvp = jvp
    return prim


def _check_primitive(prim, api: str) -> None:
    if not isinstance(prim, Primitive):
        raise TypeError(f"{api} expects a primitive made with ad.primitive, got {prim!r}")


def _joint_vjp(prim: Primitive) -> Callable:
    makers = prim.vjp_makers

    def maker_for(i):
        maker = makers.get(i)
        if maker is None:
            raise missing_rule(prim, i, "reverse")
        return maker

    def vjp(which, ans, args, kwargs):
        if len(which) == 1:
            fn = maker_for(which[0])(ans, *args, **kwargs)
            if prim.elementwise and type(ans) not in SCALAR_TYPES:
                fn = _summed_if_broadcast(fn, shape_of(args[which[0]]), shape_of(ans))
            return lambda g: (fn(g),)
        fns = [maker_for(i)(ans, *args, **kwargs) for i in which]
        if prim.elementwise and type(ans) not in SCALAR_TYPES:
            out_shape = shape_of(ans)
            fns = [_summed_if_broadcast(fn, shape_of(args[i]), out_shape)
                   for fn, i in zip(fns, which)]
        if len(fns) == 2:
            f0, f1 = fns
            return lambda g: (f0(g), f1(g))
        return lambda g: tuple([fn(g) for fn in fns])

    return vjp


#: Real float scalar types: a result of one of them means every operand was a scalar
#: too (nothing was broadcast).
SCALAR_TYPES = frozenset((float, np.float64, np.float32))


def _summed_if_broadcast(fn: Callable, shape: tuple, out_shape: tuple) -> Callable:
    return fn if shape == out_shape else _summed_to(fn, shape)


def _summed_to(fn: Callable, shape: tuple[int, ...]) -> Callable:
    return lambda g: unbroadcast(fn(g), shape)


def _joint_jvp(prim: Primitive) -> Callable:
    rules = prim.jvp_rules

    def jvp(tangents, ans, args, kwargs):
        aligned = prim.elementwise and type(ans) not in SCALAR_TYPES  # scalars: nothing to align
        if aligned:
            out_shape = shape_of(ans)
            broadcast = False  # some traced operand is smaller than the output
        total = None
        for i, t in enumerate(tangents):
            if t is None:
                continue
            rule = rules.get(i)
            if rule is None:
                raise missing_rule(prim, i, "forward")
            if aligned:
                shape = shape_of(args[i])
                if shape != out_shape:
                    broadcast = True
                    t = align_rank(t, len(shape), len(out_shape))
            term = rule(t, ans, *args, **kwargs)
            total = term if total is None else _add_tangents(total, term, tangents)
        if aligned and broadcast:
            full = shape_of(total)[:1] + out_shape
            if shape_of(total) != full:
                total = np.broadcast_to(total, full)
        return total

    return jvp


#: Below this many entries a fresh sum is cheaper than checking for an in-place add.
_IN_PLACE_SIZE = 4096


def _add_tangents(total, term, inputs):
    if (type(total) is np.ndarray and type(term) is np.ndarray
            and total.size >= _IN_PLACE_SIZE and total.base is None
            and total.flags.writeable and total.shape == term.shape
            and total.dtype == np.result_type(total, term)
            and not any(total is u for u in inputs)):
        # The first term is a fresh array made by its rule (not an input tangent
        # handed through): add the next one into it in place.
        return np.add(total, term, out=total)
    return total + term


def base_value(x):
    """Strip every level of tracing from ``x``.

    A value being staged (:mod:`autodiff._stage`) is its own primal: it stays
    symbolic, so that what is computed from it is recorded, not frozen.
    """
    while isinstance(x, Tracer):
        p = x.primal
        if p is x:
            return x
        x = p
    return x


#: Observers of the interpreters while ``ad.stage`` traces a function ("forward":
#: a :class:`~autodiff._forward.ForwardTrace` observer, "reverse": a backward-sweep
#: observer); they only name the variables of generated code.  Empty otherwise.
STAGING_OBSERVERS: dict = {}


class Tracer:
    """A value being traced by some transform; behaves like an ndarray.

    Subclasses define ``primal`` (the value one level down) and ``_trace``.
    Operators, methods, ``__array_ufunc__`` and ``__array_function__`` are installed
    by :mod:`autodiff._registry` from the table of differentiable functions.
    """

    __slots__ = ()
    __array_priority__ = 1000.0  # above ndarray, np.matrix and scipy.sparse

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

    def __hash__(self):
        return id(self)


class RecordedTracer(Tracer):
    """A value a trace recorded at position ``index`` of its list of records (the reverse
    tape, or the record of ``ad.linearize``)."""

    __slots__ = ("_trace", "primal", "index")

    def __init__(self, trace, primal, index: int):
        self._trace = trace
        self.primal = primal
        self.index = index
