"""``ad.trace``: the Wengert list of one evaluation, printed like lecture slides.

The evaluation trace lists one row per primitive (``v_1 = ln v_-1 = 0.693``);
``.forward(seed)`` adds the tangent of every row (the dotted column) and
``.reverse()`` the adjoints in reverse order (the barred column).  Both columns
are read off the real interpreters: the forward one observes a
:class:`~autodiff._forward.ForwardTrace` evaluation, the reverse one observes the
backward sweep over the recorded tape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ._forward import ForwardTrace, ForwardTracer
from ._pytree import tree_flatten, tree_unflatten
from ._reverse import ReverseTrace, ReverseTracer, dense
from ._tracer import new_level

__all__ = ["trace", "Trace", "TraceTable"]

# name -> (value formula, tangent formula, per-argument adjoint formulas).
# {0}, {1}: operand names; {d0}, {d1}: their tangents; {g}: the adjoint flowing back.
_FORMULAS = {
    "log": ("ln {0}", "{d0} / {0}", ("{g} / {0}",)),
    "exp": ("exp {0}", "{d0} × exp {0}", ("{g} × exp {0}",)),
    "sin": ("sin {0}", "{d0} × cos {0}", ("{g} × cos {0}",)),
    "cos": ("cos {0}", "-{d0} × sin {0}", ("-{g} × sin {0}",)),
    "sqrt": ("√{0}", "{d0} / (2 √{0})", ("{g} / (2 √{0})",)),
    "negative": ("-{0}", "-{d0}", ("-{g}",)),
    "add": ("{0} + {1}", "{d0} + {d1}", ("{g}", "{g}")),
    "subtract": ("{0} - {1}", "{d0} - {d1}", ("{g}", "-{g}")),
    "multiply": ("{0} × {1}", "{d0} × {1} + {d1} × {0}", ("{g} × {1}", "{g} × {0}")),
    "divide": ("{0} / {1}", "({d0} - {d1} × {0} / {1}) / {1}",
               ("{g} / {1}", "-{g} × {0} / {1}²")),
    "power": ("{0} ^ {1}", "{d0} × {1} × {0} ^ ({1} - 1)", ("{g} × {1} × {0} ^ ({1} - 1)",
                                                        "{g} × {0} ^ {1} × ln {0}")),
}


def _fmt(v) -> str:
    v = np.asarray(v)
    if v.dtype.kind == "c":
        if v.ndim == 0 or v.size == 1:
            z = complex(v.reshape(()))
            return f"{_fmt(z.real)}{'-' if z.imag < 0 else '+'}{_fmt(abs(z.imag))}j"
        return f"complex array{v.shape} (max |.| {np.abs(v).max():.3g})"
    if v.ndim == 0 or v.size == 1:
        s = f"{float(v.reshape(())):.3f}".rstrip("0").rstrip(".")
        return "0" if s in ("-0", "") else s
    return f"array{v.shape} (min {v.min():.3g}, max {v.max():.3g})"


def _inexact(x) -> np.ndarray:
    """``x`` as a float array, or a complex one when it is complex."""
    x = np.asarray(x)
    return x.astype(complex if x.dtype.kind == "c" else float)


@dataclass
class TraceTable:
    """Rows ``(lhs, formula, value)`` of one column of a trace; print it."""

    title: str
    rows: list[tuple[str, str, str]]

    def __str__(self) -> str:
        w1 = max((len(r[0]) for r in self.rows), default=0)
        w2 = max((len(r[1]) for r in self.rows), default=0)
        lines = [self.title, "-" * len(self.title)]
        for lhs, formula, value in self.rows:
            lines.append(f"{lhs:<{w1}} = {formula:<{w2}} = {value}")
        return "\n".join(lines)

    __repr__ = __str__


class Trace:
    """The recorded evaluation of ``f``; see :func:`trace`."""

    def __init__(self, f: Callable, args: Sequence):
        self._f = f
        leaves, self._treedef = tree_flatten(tuple(args))
        self._values = [_inexact(x)[()] for x in leaves]
        self._tape = ReverseTrace(new_level(), keep_values=True)
        self.inputs = [self._tape.new_input(v) for v in self._values]
        out = f(*tree_unflatten(self._treedef, self.inputs))
        if not (isinstance(out, ReverseTracer) and out._trace is self._tape):
            raise ValueError("trace: the output does not depend on the inputs")
        self.output = out
        n = len(self.inputs)
        self.names = {index: f"v_{index - n + 1}" for index in range(len(self._tape.tape))}

    def _operands(self, args, name_of) -> list[str]:
        return [name_of(a) or _fmt(a) for a in args]

    def _formula(self, prim, column: int, ops, **names) -> str | None:
        templates = _FORMULAS.get(prim.name)
        if templates is None:
            return None
        template = templates[column]
        return template.format(*ops, **names) if isinstance(template, str) else template

    def _tape_name(self, a) -> str | None:
        if isinstance(a, ReverseTracer) and a._trace is self._tape:
            return self.names[a.index]
        return None

    def evaluation(self) -> TraceTable:
        """The forward evaluation trace (primal values)."""
        rows = [(self.names[x.index], f"x_{i + 1}", _fmt(x.primal))
                for i, x in enumerate(self.inputs)]
        for index in range(len(self.inputs), self.output.index + 1):
            record = self._tape.tape[index]
            args, _, _, ans = record.values
            ops = self._operands(args, self._tape_name)
            formula = self._formula(record.prim, 0, ops) or f"{record.prim.name}({', '.join(ops)})"
            rows.append((self.names[index], formula, _fmt(ans)))
        rows.append(("y", self.names[self.output.index], _fmt(self.output.primal)))
        return TraceTable("Forward evaluation trace", rows)

    def forward(self, seed: Sequence[float]) -> TraceTable:
        """The forward derivative trace for input tangents ``seed`` (one per input)."""
        seed = list(seed)
        if len(seed) != len(self.inputs):
            raise ValueError(f"forward: need one seed per input ({len(self.inputs)})")
        trace = ForwardTrace(new_level())
        names: dict[int, str] = {}
        alive = []  # keep observed tracers alive so their ids stay unique
        wrapped = []
        rows = []
        for i, (x, value, s) in enumerate(zip(self.inputs, self._values, seed)):
            t = ForwardTracer(trace, value, _inexact(s).reshape(
                (1,) + np.shape(value)))
            names[id(t)] = self.names[x.index]
            wrapped.append(t)
            rows.append((f"{self.names[x.index]}'", f"x_{i + 1}'", _fmt(s)))
        alive.extend(wrapped)
        counter = iter(range(len(self.inputs), len(self._tape.tape)))

        def name_of(a):
            return names.get(id(a)) if isinstance(a, ForwardTracer) and a._trace is trace \
                else None

        def observe(prim, primals, kwargs, ans, tangents, tangent, args, out):
            name = self.names[next(counter)]
            names[id(out)] = name
            alive.append(out)
            ops = self._operands(args, name_of)
            dots = [f"{name_of(a)}'" if name_of(a) else "0" for a in args]
            formula = self._formula(prim, 1, ops, **{f"d{j}": d for j, d in enumerate(dots)})
            rows.append((name + "'", formula or f"d{prim.name}({', '.join(dots)})",
                         _fmt(tangent[0])))

        trace.observer = observe
        out = self._f(*tree_unflatten(self._treedef, wrapped))
        out_name = names.get(id(out), "0")
        rows.append(("y'", out_name + "'", _fmt(out.tangent[0]) if name_of(out) else "0"))
        return TraceTable("Forward derivative trace (tangents, written v')", rows)

    def reverse(self, seed: float = 1.0) -> TraceTable:
        """The reverse adjoint trace, from ``y_bar = seed`` back to the inputs."""
        out_name = self.names[self.output.index] + "_bar"
        rows = [(out_name, "y_bar", _fmt(seed))]
        totals: dict[int, object] = {}

        def observe(index, record, g, cotangents):
            args, _, _, _ = record.values
            ops = self._operands(args, self._tape_name)
            gname = self.names[index] + "_bar"
            traced = [j for j, a in enumerate(args) if self._tape_name(a)]
            templates = (_FORMULAS.get(record.prim.name) or (None, None, ()))[2]
            for argnum, parent, c in zip(traced, record.parents, cotangents):
                term = (templates[argnum].format(*ops, g=gname) if argnum < len(templates)
                        else f"{gname} · ∂{record.prim.name}/∂{ops[argnum]}")
                pname = self.names[parent] + "_bar"
                c = dense(c)
                if parent in totals:
                    totals[parent] = totals[parent] + c
                    term = f"{pname} + {term}"
                else:
                    totals[parent] = c
                rows.append((pname, term, _fmt(totals[parent])))

        seed_value = _inexact(seed).reshape(np.shape(self.output.primal))
        adjoints = self._tape.backward([(self.output.index, seed_value)],
                                       [x.index for x in self.inputs], observer=observe)
        for i, (x, a) in enumerate(zip(self.inputs, adjoints)):
            rows.append((f"x_{i + 1}_bar", self.names[x.index] + "_bar",
                         _fmt(0.0 if a is None else a)))
        return TraceTable("Reverse adjoint trace", rows)

    def __str__(self) -> str:
        return str(self.evaluation())

    __repr__ = __str__


def trace(f: Callable, *args) -> Trace:
    """Record one evaluation of ``f(*args)`` as a Wengert list.

    Examples
    --------
    >>> import numpy as np, autodiff as ad
    >>> t = ad.trace(lambda x1, x2: np.log(x1) + x1 * x2 - np.sin(x2), 2.0, 5.0)
    >>> print(t)                                        # doctest: +NORMALIZE_WHITESPACE
    Forward evaluation trace
    ------------------------
    v_-1 = x_1               = 2
    v_0  = x_2               = 5
    v_1  = ln v_-1           = 0.693
    v_2  = v_-1 × v_0        = 10
    v_3  = v_1 + v_2         = 10.693
    v_4  = sin v_0           = -0.959
    v_5  = v_3 - v_4         = 11.652
    y    = v_5               = 11.652
    """
    return Trace(f, args)
