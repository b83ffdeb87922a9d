"""Forward mode: tracers carrying a primal value and a batch of tangents.

A forward tracer holds ``primal`` and ``tangent`` with ``tangent.shape == (k,) +
primal.shape``: k directions are pushed through one evaluation at once, which is how
``jacfwd`` and ``hessian`` get all their columns in a single sweep.
"""

from __future__ import annotations

import numpy as np

from . import _debug
from ._tracer import Primitive, Tracer, missing_rule, ndim_of, shape_of

__all__ = ["ForwardTrace", "ForwardTracer"]


class ForwardTrace:
    """One forward-mode transform invocation."""

    __slots__ = ("level",)

    def __init__(self, level: int):
        self.level = level

    def process(self, prim: Primitive, args: tuple, kwargs: dict) -> ForwardTracer:
        primals = [a.primal if isinstance(a, ForwardTracer) and a._trace is self else a
                   for a in args]
        ans = prim(*primals, **kwargs)
        tangents = [
            a.tangent if isinstance(a, ForwardTracer) and a._trace is self else None for a in args
        ]
        if prim.jvp_joint is not None:
            tangent = prim.jvp_joint(tangents, ans, *primals, **kwargs)
        else:
            tangent = None
            out_ndim = ndim_of(ans) if prim.elementwise else 0
            for i, t in enumerate(tangents):
                if t is None:
                    continue
                rule = prim.jvps.get(i)
                if rule is None:
                    raise missing_rule(prim, i, "forward")
                if prim.elementwise:
                    t = align_rank(t, ndim_of(primals[i]), out_ndim)
                contribution = rule(t, ans, *primals, **kwargs)
                if tangent is None:
                    tangent = contribution
                elif (type(tangent) is np.ndarray and type(contribution) is np.ndarray
                      and tangent.base is None and tangent.flags.writeable
                      and tangent.shape == contribution.shape
                      and tangent.dtype == np.result_type(tangent, contribution)
                      and not any(tangent is u for u in tangents)):
                    # The first contribution is a fresh array made by its rule (not an
                    # input tangent handed through): add the next one into it in place.
                    np.add(tangent, contribution, out=tangent)
                else:
                    tangent = tangent + contribution
            if prim.elementwise:
                full = (shape_of(tangent)[0],) + shape_of(ans)
                if shape_of(tangent) != full:
                    tangent = np.broadcast_to(tangent, full)
        if _debug.enabled:
            _debug.check(prim, "forward (jvp)", (ans, tangent), primals + tangents)
        return ForwardTracer(self, ans, tangent)


def align_rank(t, arg_ndim: int, out_ndim: int):
    """Insert unit axes after the batch axis so ``t`` broadcasts like its operand.

    Without this, a tangent of a lower-rank operand would broadcast its batch axis
    against an output dimension (silently wrong when k equals that dimension).
    """
    extra = out_ndim - arg_ndim
    if extra <= 0:
        return t
    shape = shape_of(t)
    return t.reshape(shape[:1] + (1,) * extra + shape[1:])


class ForwardTracer(Tracer):
    """A primal value with ``k`` tangents stacked on a leading axis."""

    __slots__ = ("_trace", "primal", "tangent")

    def __init__(self, trace: ForwardTrace, primal, tangent):
        self._trace = trace
        self.primal = primal
        self.tangent = tangent
