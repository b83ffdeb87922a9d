"""Reverse mode: a tape (the Wengert list) and the backward sweep over it.

Each primitive applied to a reverse tracer appends one record
``(primitive, args, kwargs, ans, parents)`` to its trace's tape, in execution
order.  The backward sweep walks the tape from the output to the inputs and
accumulates adjoints with ``+``: no graph search, no topological sort.
"""

from __future__ import annotations

import numpy as np

from . import _debug
from ._tracer import Primitive, Tracer, missing_rule, shape_of

__all__ = ["ReverseTrace", "ReverseTracer", "unbroadcast"]


class ReverseTrace:
    """One reverse-mode transform invocation and its tape.

    A tape record is ``(primitive, parents, vjp_fns, operand_shapes, kwargs, values)``:
    the VJP makers run as the primitive is recorded, so a record keeps only what
    its linear maps need (as autograd's closures do), not every intermediate.
    ``values = (args, ans)`` is kept only for :func:`autodiff.trace` (``keep_values``)
    and in NaN-debug mode.
    """

    __slots__ = ("level", "tape", "keep_values")

    def __init__(self, level: int, keep_values: bool = False):
        self.level = level
        self.tape: list[tuple | None] = []
        self.keep_values = keep_values

    def new_input(self, value) -> ReverseTracer:
        self.tape.append((None, (), (), (), None, ((), value)))
        return ReverseTracer(self, value, len(self.tape) - 1)

    def process(self, prim: Primitive, args: tuple, kwargs: dict) -> ReverseTracer:
        primals = []
        parents = []
        for i, a in enumerate(args):
            if isinstance(a, ReverseTracer) and a._trace is self:
                primals.append(a.primal)
                parents.append((i, a.index))
            else:
                primals.append(a)
        ans = prim(*primals, **kwargs)
        debug = _debug.enabled
        if debug:
            _debug.check(prim, "evaluation", (ans,), primals)
        vjp_fns = []
        for argnum, _ in parents:
            maker = prim.vjps.get(argnum)
            vjp_fns.append(None if maker is None else maker(ans, *primals, **kwargs))
        shapes = ()
        if prim.elementwise:  # operand shapes, to sum cotangents back where broadcast
            out_shape = shape_of(ans)
            shapes = tuple(shape_of(primals[i]) for i, _ in parents)
            if all(s == out_shape for s in shapes):
                shapes = ()
        values = (primals, ans) if self.keep_values or debug else None
        self.tape.append((prim, parents, vjp_fns, shapes, kwargs, values))
        return ReverseTracer(self, ans, len(self.tape) - 1)

    def backward(self, output: ReverseTracer, cotangent, inputs: list[ReverseTracer],
                 consume: bool = False) -> list:
        """Sweep the tape backwards from ``output`` seeded with ``cotangent``.

        Returns the adjoint of each of ``inputs`` (``None`` where the output does
        not depend on it).  With ``consume=True`` each record is released once
        swept (for one-shot gradients), which lowers peak memory.
        """
        tape = self.tape
        adjoints: list = [None] * (output.index + 1)
        # Adjoints this sweep allocated itself may be updated in place; others may be
        # shared (an identity rule hands the same array to several parents).
        owned = [False] * (output.index + 1)
        adjoints[output.index] = cotangent
        for index in range(output.index, -1, -1):
            g = adjoints[index]
            if g is None:
                continue
            prim, parents, vjp_fns, shapes, kwargs, values = tape[index]
            if prim is None:  # an input: keep its adjoint
                continue
            adjoints[index] = None
            if consume:
                tape[index] = None
            for j, (argnum, parent) in enumerate(parents):
                previous = adjoints[parent]
                if (previous is not None and prim.accumulate is not None
                        and type(previous) is np.ndarray and type(g) is np.ndarray):
                    # x[index] adjoint: add g into the slice, not a full zero array.
                    if not owned[parent]:
                        previous = previous.copy()
                    adjoints[parent] = prim.accumulate(previous, g, **kwargs)
                    owned[parent] = True
                    continue
                vjp_fn = vjp_fns[j]
                if vjp_fn is None:
                    raise missing_rule(prim, argnum, "reverse")
                contribution = vjp_fn(g)
                if shapes:
                    contribution = unbroadcast(contribution, shapes[j])
                if _debug.enabled and values is not None:
                    args, ans = values
                    _debug.check(prim, "backward (vjp)", (contribution,), [g, ans, *args])
                if previous is None:
                    adjoints[parent] = contribution
                elif (owned[parent] and type(previous) is np.ndarray
                      and type(contribution) is np.ndarray
                      and previous.shape == contribution.shape
                      and previous.dtype == np.result_type(previous, contribution)):
                    np.add(previous, contribution, out=previous)
                else:
                    adjoints[parent] = previous + contribution
                    owned[parent] = True
        return [adjoints[x.index] if x.index <= output.index else None for x in inputs]


def unbroadcast(c, shape: tuple[int, ...]):
    """Sum ``c`` over the axes along which an operand of ``shape`` was broadcast."""
    c_shape = shape_of(c)
    if c_shape == shape:
        return c
    extra = len(c_shape) - len(shape)
    if extra < 0 or any(n != 1 and m != n for n, m in zip(shape, c_shape[extra:])):
        return np.broadcast_to(c, shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and c_shape[i + extra] != 1
    )
    if axes:
        c = np.sum(c, axis=axes, keepdims=True)
    return c.reshape(shape) if shape_of(c) != shape else c


class ReverseTracer(Tracer):
    """A value recorded on a reverse trace's tape at position ``index``."""

    __slots__ = ("_trace", "primal", "index")

    def __init__(self, trace: ReverseTrace, primal, index: int):
        self._trace = trace
        self.primal = primal
        self.index = index
