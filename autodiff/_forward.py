"""Forward mode: tracers carrying a primal value and a batch of tangents.

A forward tracer holds ``primal`` and ``tangent`` with ``tangent.shape == (k,) +
primal.shape``: k directions are pushed through one evaluation at once, which is how
``jacfwd`` and ``hessian`` get all their columns in a single sweep.

:class:`LinearizeTrace` is the same interpreter split in two: it records the
primitives of one evaluation, and :meth:`LinearizeTrace.replay` later pushes
tangents through the recorded values with the same :func:`push_tangent`, without
evaluating the function again (``ad.linearize``).
"""

from __future__ import annotations

from collections.abc import Callable

from . import _debug
from ._tracer import (
    FIRST,
    SECOND,
    STAGING_OBSERVERS,
    Primitive,
    RecordedTracer,
    Tracer,
    apply_binary,
    bind,
    evaluate,
    operator_as_primitive,
    push_tangent,
    unwrap,
)

__all__ = ["ForwardTrace", "ForwardTracer", "LinearizeTrace", "LinearizeTracer"]


class ForwardTrace:
    """One forward-mode transform invocation.

    ``observer(prim, primals, kwargs, ans, tangents, tangent, args)``, when given, is
    called after every primitive (``ad.trace`` uses it to print the dotted column).
    """

    __slots__ = ("level", "observer")

    def __init__(self, level: int, observer: Callable | None = None):
        self.level = level
        self.observer = observer if observer is not None else STAGING_OBSERVERS.get("forward")

    def process(self, prim: Primitive, args, kwargs: dict) -> ForwardTracer:
        n_args = len(args)
        if n_args == 1:  # the common unary case, unrolled (bind routed it here)
            p = args[0].primal
            primals, tangents = [p], [args[0].tangent]
            ans = bind(prim, primals, kwargs) if isinstance(p, Tracer) else prim.fun(p, **kwargs)
        elif n_args == 2:  # binary operators
            a, b = args
            primals, which, ans = apply_binary(self, prim, a, b, kwargs)
            tangents = [a.tangent if which is not SECOND else None,
                        b.tangent if which is not FIRST else None]
        else:
            primals, which, lower = unwrap(self, args)
            tangents = [None] * len(primals)
            for i in which:
                tangents[i] = args[i].tangent
            ans = evaluate(prim, primals, kwargs, lower)
        if prim.jvp is None or _debug.enabled:
            tangent = push_tangent(prim, tangents, ans, primals, kwargs)
        else:
            tangent = prim.jvp(tangents, ans, primals, kwargs)
        out = ForwardTracer(self, ans, tangent)
        if self.observer is not None:
            self.observer(prim, primals, kwargs, ans, tangents, tangent, args, out)
        return out

    operator = operator_as_primitive  # a <op> b (see autodiff._tracer)


class ForwardTracer(Tracer):
    """A primal value with ``k`` tangents stacked on a leading axis."""

    __slots__ = ("_trace", "primal", "tangent")

    def __init__(self, trace: ForwardTrace, primal, tangent):
        self._trace = trace
        self.primal = primal
        self.tangent = tangent


class LinearizeTrace:
    """Records one evaluation so that tangents can be pushed through it later.

    Each record is ``(prim, parents, primals, kwargs, ans)`` with ``parents`` the
    ``(argnum, record index)`` pairs of the traced operands.
    """

    __slots__ = ("level", "records", "n_inputs", "_last_use")

    def __init__(self, level: int):
        self.level = level
        self.records: list[tuple] = []
        self.n_inputs = 0
        self._last_use: list[int] = []

    def new_input(self, value) -> LinearizeTracer:
        self.records.append((None, (), (), {}, value))
        self.n_inputs += 1
        return LinearizeTracer(self, value, len(self.records) - 1)

    def process(self, prim: Primitive, args, kwargs: dict) -> LinearizeTracer:
        primals, which, lower = unwrap(self, args)
        parents = [(i, args[i].index) for i in which]
        ans = evaluate(prim, primals, kwargs, lower)
        self.records.append((prim, tuple(parents), primals, kwargs, ans))
        return LinearizeTracer(self, ans, len(self.records) - 1)

    operator = operator_as_primitive  # a <op> b (see autodiff._tracer)

    def replay(self, input_tangents: list, outputs: list[int]) -> list:
        """Tangents of the records ``outputs`` for batched tangents of the inputs.

        Each tangent is released after its last use, so that the replay holds about as
        much memory as a forward sweep (and big tangents reuse freed memory).
        """
        last = max(outputs, default=-1)
        records, last_use = self.records, self._last_uses()
        keep = set(outputs)
        tangents: list = [None] * (last + 1)
        tangents[:len(input_tangents)] = input_tangents
        for index in range(self.n_inputs, last + 1):
            prim, parents, primals, kwargs, ans = records[index]
            if not parents:
                continue
            incoming = [None] * len(primals)
            for argnum, parent in parents:
                incoming[argnum] = tangents[parent]
            if any(t is not None for t in incoming):
                tangents[index] = push_tangent(prim, incoming, ans, primals, kwargs)
            for _, parent in parents:
                if last_use[parent] == index and parent not in keep:
                    tangents[parent] = None
        return [tangents[i] for i in outputs]

    def _last_uses(self) -> list[int]:
        """For each record, the index of the last record reading it (computed once: a
        linearized function's records do not change after it returns)."""
        if len(self._last_use) != len(self.records):
            last_use = list(range(len(self.records)))
            for index, (_, parents, _, _, _) in enumerate(self.records):
                for _, parent in parents:
                    last_use[parent] = index
            self._last_use = last_use
        return self._last_use


class LinearizeTracer(RecordedTracer):
    """A value recorded by a :class:`LinearizeTrace` at position ``index``."""

    __slots__ = ()
