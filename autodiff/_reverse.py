"""Reverse mode: a tape (the Wengert list) and the backward sweep over it.

Each primitive applied to a reverse tracer appends one :class:`Record` to its
trace's tape, in execution order.  The backward sweep walks the tape from the
output to the inputs: for each record it applies the record's VJP to the adjoint of
its value and adds the resulting cotangents into the adjoints of its parents with
:func:`add_cotangent`.  No graph search, no topological sort.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from . import _debug
from ._tracer import (
    BOTH,
    FIRST,
    NO_KWARGS,
    REAL_TYPES,
    SCALAR_OPERANDS,
    SCALAR_TYPES,
    SECOND,
    STAGING_OBSERVERS,
    Primitive,
    RecordedTracer,
    Tracer,
    apply_binary,
    bind,
    evaluate,
    is_complex,
    missing_rule,
    real_cotangents,
    unwrap,
)

__all__ = ["ReverseTrace", "ReverseTracer", "Record", "IndexedCotangent", "add_cotangent"]


class Record(NamedTuple):
    """One tape entry: ``value = prim(*args)`` and how to send its adjoint back.

    ``parents`` are the tape indices of the traced operands, ``vjp`` maps the
    adjoint of the value to one cotangent per parent.  ``values = (args, primals,
    kwargs, ans)`` (``args`` as passed, with tracers) is kept only when the trace
    observes (``ad.trace``) or debugs NaNs.

    In scalar code (float64 operands and value, the loops of scalar programs) the
    linear map is a product with the partial derivatives, and ``vjp`` is the tuple
    of those numbers instead of a function: ``(d,)`` or ``(d1, d2)`` for an
    arithmetic operator, ``(derivative, ans, x)`` for a unary primitive, whose one
    partial ``derivative(ans, x)`` is computed when the sweep reaches it.  Making
    and calling a VJP closure cost more than the arithmetic of a scalar operation.
    """

    prim: Primitive | None
    parents: tuple
    vjp: Callable | None
    values: tuple | None


# Records are made once per primitive: skip NamedTuple's Python-level __new__.
_new_record = tuple.__new__


class IndexedCotangent:
    """The cotangent ``zeros(shape)`` with ``values`` added at ``index``, kept lazy.

    The VJP of ``x[index]`` returns one of these; :func:`add_cotangent` adds it into
    an adjoint slice in place instead of building a mostly-zero array.
    ``materialize()`` builds the full array with the differentiable scatter.
    """

    __slots__ = ("values", "index", "materialize")

    def __init__(self, values, index, materialize: Callable):
        self.values = values
        self.index = index
        self.materialize = materialize

    def add_into(self, adjoint: np.ndarray, basic: bool) -> np.ndarray:
        if basic:
            adjoint[self.index] += self.values
        else:
            np.add.at(adjoint, self.index, self.values)
        return adjoint


def dense(c):
    """A cotangent as an array (materializing a lazy indexed one)."""
    return c.materialize() if type(c) is IndexedCotangent else c


def scalar_cotangents(g, partials: tuple) -> tuple:
    """The cotangents ``g * d`` of a scalar record's partial derivatives (see
    :class:`Record`)."""
    if len(partials) == 3:  # (derivative, ans, x) of a unary primitive
        derivative, ans, x = partials
        return (g * derivative(ans, x),)
    if len(partials) == 1:
        return (g * partials[0],)
    return (g * partials[0], g * partials[1])


def add_cotangent(adjoints: list, owned: list, parent: int, c) -> None:
    """Add cotangent ``c`` into ``adjoints[parent]``.

    The only place that sums adjoints.  An adjoint this sweep allocated itself
    (``owned``) is updated in place; an indexed cotangent is added into a slice of
    it.  Anything else (another record's array, a tracer at higher order) is added
    out of place, so no caller's array is ever written.
    """
    previous = adjoints[parent]
    if previous is None:
        adjoints[parent] = c
        return
    if type(previous) in SCALAR_TYPES and type(c) in SCALAR_TYPES:  # scalar code: a plain sum
        adjoints[parent] = previous + c
        return
    if type(previous) is IndexedCotangent:
        adjoints[parent] = previous = dense(previous)  # a fresh array
        owned[parent] = type(previous) is np.ndarray
    if (type(c) is IndexedCotangent and type(previous) is np.ndarray
            and not isinstance(c.values, Tracer)):
        if not owned[parent] or previous.dtype != np.result_type(previous, c.values):
            previous = previous.astype(np.result_type(previous, c.values), copy=True)
        adjoints[parent] = c.add_into(previous, _is_basic(c.index))
        owned[parent] = True
        return
    c = dense(c)
    if (owned[parent] and type(previous) is np.ndarray and type(c) is np.ndarray
            and previous.shape == c.shape and previous.dtype == np.result_type(previous, c)):
        np.add(previous, c, out=previous)
        return
    total = previous + c
    adjoints[parent] = total
    owned[parent] = type(total) is np.ndarray


def _is_basic(index: tuple) -> bool:
    """True when ``index`` has no integer arrays (so no element is picked twice)."""
    for i in index:
        if isinstance(i, np.ndarray) and i.dtype != bool:
            return False
    return True


class ReverseTrace:
    """One reverse-mode transform invocation and its tape.

    The VJP of each primitive is made as it is recorded, so a record keeps only
    what its linear map needs (as autograd's closures do), not every intermediate.
    """

    __slots__ = ("level", "tape", "observe")

    def __init__(self, level: int, keep_values: bool = False):
        self.level = level
        self.tape: list[Record | None] = []
        #: keep each record's values (for ad.trace, or to name NaNs in debug mode)
        self.observe = keep_values or _debug.enabled or "reverse" in STAGING_OBSERVERS

    def new_input(self, value) -> ReverseTracer:
        self.tape.append(Record(None, (), None, ((), (), {}, value)))
        return ReverseTracer(self, value, len(self.tape) - 1)

    def operator(self, prim: Primitive, a, b) -> ReverseTracer:
        """``a <op> b`` for a Python operator: each operand is this trace's tracer or a
        constant (the scalar arithmetic of loops is recorded here, in one step)."""
        x = a.primal if isinstance(a, Tracer) else a
        y = b.primal if isinstance(b, Tracer) else b
        if ((type(x) is np.float64 or type(y) is np.float64) and type(x) in SCALAR_OPERANDS
                and type(y) in SCALAR_OPERANDS and prim.partials is not None
                and not self.observe):
            ans = prim.scalar(x, y)
            if x is a:  # a constant
                which, parents = SECOND, (b.index,)
            elif y is b:
                which, parents = FIRST, (a.index,)
            else:
                which, parents = BOTH, (a.index, b.index)
            tape = self.tape
            tape.append(_new_record(Record, (prim, parents, prim.partials[which](x, y), None)))
            return ReverseTracer(self, ans, len(tape) - 1)
        return self.process(prim, (a, b), NO_KWARGS)

    def process(self, prim: Primitive, args, kwargs: dict) -> ReverseTracer:
        n_args = len(args)
        tape = self.tape
        if n_args == 1:  # the common unary case, unrolled (bind routed it here)
            p = args[0].primal
            parents = (args[0].index,)
            if (type(p) is np.float64 and prim.derivative is not None and not kwargs
                    and not self.observe):
                ans = prim.fun(p)
                tape.append(_new_record(Record, (prim, parents, (prim.derivative, ans, p), None)))
                return ReverseTracer(self, ans, len(tape) - 1)
            primals, which = [p], FIRST
            ans = bind(prim, primals, kwargs) if isinstance(p, Tracer) else prim.fun(p, **kwargs)
        elif n_args == 2:  # binary operators
            a, b = args
            primals, which, ans = apply_binary(self, prim, a, b, kwargs)
            parents = ((a.index,) if which is FIRST else (b.index,) if which is SECOND
                       else (a.index, b.index))
            if type(ans) is np.float64 and prim.partials is not None and not self.observe:
                tape.append(_new_record(Record, (prim, parents, prim.partials[which](*primals),
                                                 None)))
                return ReverseTracer(self, ans, len(tape) - 1)
        else:
            primals, which, lower = unwrap(self, args)
            parents = tuple([args[i].index for i in which])
            ans = evaluate(prim, primals, kwargs, lower)
        if self.observe:
            if _debug.enabled:
                _debug.check(prim, "evaluation", (ans,), primals)
            values = (args, primals, kwargs, ans)
        else:
            values = None
        if prim.vjp is None:
            raise missing_rule(prim, which[0], "reverse")
        vjp = prim.vjp(which, ans, primals, kwargs)
        if type(ans) not in REAL_TYPES and is_complex(ans):
            vjp = real_cotangents(vjp, which, primals)
        tape.append(_new_record(Record, (prim, parents, vjp, values)))
        return ReverseTracer(self, ans, len(tape) - 1)

    def backward(self, seeds: list[tuple[int, object]], inputs: list[int],
                 consume: bool = False, observer: Callable | None = None) -> list:
        """Sweep the tape backwards from the records in ``seeds`` (index, cotangent).

        Returns the adjoint of each record in ``inputs`` (``None`` where the outputs
        do not depend on it).  With ``consume=True`` each record is released once
        swept (one-shot gradients), which lowers peak memory.  ``observer(index,
        record, g, cotangents)`` sees every step (``ad.trace``).
        """
        tape = self.tape
        if observer is None:
            observer = STAGING_OBSERVERS.get("reverse")
        last = seeds[0][0] if len(seeds) == 1 else max(index for index, _ in seeds)
        adjoints: list = [None] * (last + 1)
        owned = [False] * (last + 1)
        for index, cotangent in seeds:
            add_cotangent(adjoints, owned, index, cotangent)
        for index in range(last, -1, -1):
            g = adjoints[index]
            if g is None:
                continue
            record = tape[index]
            prim, parents, vjp, values = record
            if prim is None:  # an input
                continue
            adjoints[index] = None
            if consume:
                tape[index] = None
            if type(g) is IndexedCotangent:
                g = g.materialize()
            cotangents = scalar_cotangents(g, vjp) if type(vjp) is tuple else vjp(g)
            if values is not None and _debug.enabled:
                _debug.check(prim, "backward (vjp)", [dense(c) for c in cotangents],
                             [g, values[3], *values[1]])
            if observer is not None:
                observer(index, record, g, cotangents)
            for parent, c in zip(parents, cotangents):
                previous = adjoints[parent]
                if previous is None:  # the first contribution: nothing to add
                    adjoints[parent] = c
                elif type(previous) is type(c) is np.float64:  # scalar code: a plain sum
                    adjoints[parent] = previous + c
                else:
                    add_cotangent(adjoints, owned, parent, c)
        return [dense(adjoints[i]) if i <= last else None for i in inputs]


class ReverseTracer(RecordedTracer):
    """A value recorded on a reverse trace's tape at position ``index``."""

    __slots__ = ()
