"""``ad.trace``: the Wengert list of one evaluation, printed like lecture slides.

The evaluation trace lists one row per primitive (``v_1 = ln v_-1 = 0.693``);
``.forward(seed)`` adds the tangent of every row (the dotted column) and
``.reverse()`` the adjoints in reverse order (the barred column), both computed
with the same derivative rules that the transforms use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ._pytree import tree_flatten, tree_unflatten
from ._reverse import ReverseTrace, ReverseTracer, unbroadcast
from ._tracer import new_level, shape_of

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
    if v.ndim == 0 or v.size == 1:
        s = f"{float(v.reshape(())):.3f}".rstrip("0").rstrip(".")
        return "0" if s in ("-0", "") else s
    return f"array{v.shape} (min {v.min():.3g}, max {v.max():.3g})"


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
        leaves, td = tree_flatten(tuple(args))
        self._trace = ReverseTrace(new_level(), keep_values=True)
        self.inputs = [self._trace.new_input(np.asarray(x, dtype=float)[()]) for x in leaves]
        out = f(*tree_unflatten(td, self.inputs))
        if not (isinstance(out, ReverseTracer) and out._trace is self._trace):
            raise ValueError("trace: the output does not depend on the inputs")
        self.output = out
        n = len(self.inputs)
        self.names = {x.index: f"v_{i - n + 1}" for i, x in enumerate(self.inputs)}
        for index in range(n, len(self._trace.tape)):
            self.names[index] = f"v_{index - n + 1}"
        self._parents = {}

    # -- helpers -------------------------------------------------------------------------
    def _operand(self, node_args, parents, prefix=""):
        names = [_fmt(a) for a in node_args]
        for argnum, parent in parents:
            names[argnum] = prefix + self.names[parent]
        return names

    def _records(self):
        n = len(self.inputs)
        records = []
        for i in range(n, self.output.index + 1):
            prim, parents, _, _, kwargs, (args, ans) = self._trace.tape[i]
            records.append((i, (prim, args, kwargs, ans, parents)))
        return records

    def evaluation(self) -> TraceTable:
        """The forward evaluation trace (primal values)."""
        rows = [(f"{self.names[x.index]}", f"x_{i + 1}", _fmt(x.primal))
                for i, x in enumerate(self.inputs)]
        for index, (prim, args, kwargs, ans, parents) in self._records():
            ops = self._operand(args, parents)
            template = _FORMULAS.get(prim.name, (None,))[0]
            formula = template.format(*ops) if template else f"{prim.name}({', '.join(ops)})"
            rows.append((self.names[index], formula, _fmt(ans)))
        rows.append(("y", self.names[self.output.index], _fmt(self.output.primal)))
        return TraceTable("Forward evaluation trace", rows)

    def forward(self, seed: Sequence[float]) -> TraceTable:
        """The forward derivative trace for input tangents ``seed`` (one per input)."""
        seed = list(seed)
        if len(seed) != len(self.inputs):
            raise ValueError(f"forward: need one seed per input ({len(self.inputs)})")
        dots = {}
        rows = []
        for i, (x, s) in enumerate(zip(self.inputs, seed)):
            dots[x.index] = np.asarray(s, dtype=float)
            rows.append((f"{self.names[x.index]}'", f"x_{i + 1}'", _fmt(s)))
        for index, (prim, args, kwargs, ans, parents) in self._records():
            total = 0.0
            for argnum, parent in parents:
                t = np.asarray(dots[parent])[None]
                term = prim.jvps[argnum](t, ans, *args, **kwargs)[0]
                total = total + term
            dots[index] = total
            ops = self._operand(args, parents)
            dnames = ["0"] * len(args)
            for argnum, parent in parents:
                dnames[argnum] = self.names[parent] + "'"
            template = _FORMULAS.get(prim.name, (None, None))[1]
            formula = (template.format(*ops, **{f"d{j}": d for j, d in enumerate(dnames)})
                       if template else f"d{prim.name}({', '.join(dnames)})")
            rows.append((self.names[index] + "'", formula, _fmt(total)))
        rows.append(("y'", self.names[self.output.index] + "'", _fmt(dots[self.output.index])))
        return TraceTable("Forward derivative trace (tangents, written v')", rows)

    def reverse(self, seed: float = 1.0) -> TraceTable:
        """The reverse adjoint trace, from ``y_bar = seed`` back to the inputs."""
        bar = {self.output.index: np.asarray(seed, dtype=float)}
        out_name = self.names[self.output.index] + "_bar"
        rows = [(out_name, "y_bar", _fmt(seed))]
        for index, (prim, args, kwargs, ans, parents) in reversed(self._records()):
            if index not in bar:
                continue
            g = bar[index]
            ops = self._operand(args, parents)
            templates = _FORMULAS.get(prim.name, (None, None, ()))[2]
            for argnum, parent in parents:
                c = unbroadcast(prim.vjps[argnum](ans, *args, **kwargs)(g), shape_of(args[argnum]))
                gname = self.names[index] + "_bar"
                term = (templates[argnum].format(*ops, g=gname) if argnum < len(templates)
                        else f"{gname} · ∂{prim.name}/∂{ops[argnum]}")
                pname = self.names[parent] + "_bar"
                if parent in bar:
                    bar[parent] = bar[parent] + c
                    term = f"{pname} + {term}"
                else:
                    bar[parent] = c
                rows.append((pname, term, _fmt(bar[parent])))
        for i, x in enumerate(self.inputs):
            rows.append((f"x_{i + 1}_bar", self.names[x.index] + "_bar",
                         _fmt(bar.get(x.index, 0.0))))
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
