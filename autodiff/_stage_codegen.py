"""Python source from a staged program (the back end of :mod:`autodiff._stage`).

A staged program is a list of operations ``outs = callee(*args, **kwargs)`` over
numbered nodes, interleaved with guards, plus the input nodes and the output
pytree.  :func:`generate` dead-code-eliminates it and writes one straight-line
Python function: callees are referenced by import path where they have one
(``np.sin``, ``scipy.special.expit``), Python literals are inlined, and every other
constant (arrays, NumPy scalars, dtypes) becomes a module-level name bound once.
"""

from __future__ import annotations

import importlib
import math
from typing import NamedTuple

import numpy as np

__all__ = ["Ref", "Op", "Guard", "GuardFailed", "Generated", "generate", "import_path"]


class Ref(NamedTuple):
    """A reference to node ``node`` inside an operation's arguments."""

    node: int


class Op(NamedTuple):
    """``outs = callee(*args, **kwargs)``; ``outs`` is a node, a tuple of nodes or None."""

    outs: object
    callee: object
    args: tuple
    kwargs: dict
    label: str


class Guard(NamedTuple):
    """Generated code checks ``kind`` of ``node`` against ``expected`` (bool, int, shape)."""

    kind: str
    node: int
    expected: object


class GuardFailed(Exception):
    """A guard of generated code failed: the inputs take a path that was not staged."""


_PY_LITERALS = (bool, int, str, type(None))
_MODULE_ALIASES = {"numpy": "np"}


def import_path(obj) -> tuple[str, str] | None:
    """``(module, qualified name)`` under which ``obj`` can be imported again, or None."""
    if isinstance(obj, np.ufunc):
        name = obj.__name__
        if getattr(np, name, None) is obj:
            return "numpy", name
        import scipy.special
        return ("scipy.special", name) if getattr(scipy.special, name, None) is obj else None
    owner = getattr(obj, "__self__", None)
    if isinstance(owner, np.ufunc):  # np.add.reduce, np.add.at
        base = import_path(owner)
        return (base[0], f"{base[1]}.{obj.__name__}") if base else None
    name = getattr(obj, "__name__", None)
    if name is not None and getattr(np, name, None) is obj:
        return "numpy", name
    if name is not None and getattr(np.linalg, name, None) is obj:
        return "numpy.linalg", name
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not module or not qualname or "<" in qualname:
        return None
    try:
        found = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        return None
    return (module, qualname) if found is obj else None


#: Arithmetic written as operators (the same NumPy ufuncs, without the call overhead
#: of ``np.multiply(a, b)`` on scalars).
INFIX = {np.add: "+", np.subtract: "-", np.multiply: "*", np.true_divide: "/",
         np.power: "**", np.matmul: "@"}


class Generated(NamedTuple):
    """Source of one staged function and what it needs to run.

    ``namespace`` maps the module-level names used by ``source`` to objects;
    ``imports`` are the modules the source names (``numpy`` as ``np``);
    ``constants`` the names of constant objects; ``opaque`` the names bound to
    callables without an import path (``{name: (object, label)}``).
    """

    source: str
    name: str
    namespace: dict
    imports: tuple
    constants: dict
    opaque: dict


class _Writer:
    """Names nodes, constants and callees while the source is written."""

    def __init__(self, names: dict[int, str]):
        self.names = names
        self.namespace: dict = {}
        self.imports: set[str] = set()
        self.constants: dict[str, object] = {}
        self.opaque: dict[str, tuple] = {}
        self._by_id: dict[int, str] = {}

    def module_ref(self, path: tuple[str, str]) -> str:
        module, attr = path
        top = module.split(".")[0]
        alias = _MODULE_ALIASES.get(top, top)
        self.imports.add(module)
        self.namespace[alias] = importlib.import_module(top)
        importlib.import_module(module)
        return alias + module[len(top):] + "." + attr

    def callee(self, fn, label: str) -> str:
        key = id(fn)
        if key in self._by_id:
            return self._by_id[key]
        path = import_path(fn)
        if path is not None and not path[0].startswith("autodiff"):
            expr = self.module_ref(path)
        else:
            base = getattr(fn, "__name__", None) or label
            if base in ("impl", "fun", "f", "<lambda>"):
                base = f"{label}_{base}"
            base = "".join(c if c.isalnum() or c == "_" else "_" for c in base)
            expr = self._fresh("_" + base.lstrip("_"))
            self.namespace[expr] = fn
            self.opaque[expr] = (fn, label)
        self._by_id[key] = expr
        return expr

    def _fresh(self, base: str) -> str:
        name, k = base, 1
        while name in self.namespace:
            k += 1
            name = f"{base}_{k}"
        return name

    def constant(self, value) -> str:
        key = id(value)
        if key in self._by_id:
            return self._by_id[key]
        name = self._fresh(f"c_{len(self.constants)}")
        self.namespace[name] = value
        self.constants[name] = value
        self._by_id[key] = name
        return name

    def expr(self, x) -> str:
        t = type(x)
        if t is Ref:
            return self.names[x.node]
        if t is float:
            return repr(x) if math.isfinite(x) else self.constant(x)
        if t in _PY_LITERALS or x is Ellipsis:
            return repr(x)
        if t is tuple:
            inner = ", ".join(self.expr(v) for v in x)
            return f"({inner},)" if len(x) == 1 else f"({inner})"
        if t is list:
            return "[" + ", ".join(self.expr(v) for v in x) + "]"
        if t is slice:
            return f"slice({self.expr(x.start)}, {self.expr(x.stop)}, {self.expr(x.step)})"
        if t is dict and all(type(k) is str for k in x):
            return "{" + ", ".join(f"{k!r}: {self.expr(v)}" for k, v in x.items()) + "}"
        if isinstance(x, type) or callable(x) and not isinstance(x, np.ndarray):
            path = import_path(x)
            if path is not None and not path[0].startswith("autodiff"):
                return self.module_ref(path)
        return self.constant(x)

    def call(self, op: Op) -> str:
        target = _lowerings().get(op.callee)
        if target == "getitem" and len(op.args) == 1 and set(op.kwargs) == {"index"}:
            return f"{self.expr(op.args[0])}[{self.index(op.kwargs['index'])}]"
        if target is not None and target != "getitem":
            op = op._replace(callee=target)
        symbol = INFIX.get(op.callee) if type(op.callee) is np.ufunc else None
        if symbol and len(op.args) == 2 and not op.kwargs and all(
                type(a) in (Ref, float, int) or isinstance(a, (np.ndarray, np.generic))
                for a in op.args):
            a, b = (self.expr(a) for a in op.args)
            return f"{a} {symbol} {b}"
        if op.callee is np.negative and len(op.args) == 1 and not op.kwargs:
            return f"-{self.expr(op.args[0])}"
        parts = [self.expr(a) for a in op.args]
        parts += [f"{k}={self.expr(v)}" for k, v in op.kwargs.items()]
        return f"{self.callee(op.callee, op.label)}({', '.join(parts)})"


    def index(self, index) -> str:
        """An index tuple written as a subscript (``1:, None, v_3``)."""
        if type(index) is not tuple or not index:
            return self.expr(index)
        parts = []
        for i in index:
            if type(i) is slice:
                start, stop, step = ("" if v is None else self.expr(v)
                                     for v in (i.start, i.stop, i.step))
                parts.append(f"{start}:{stop}" + (f":{step}" if step else ""))
            else:
                parts.append("..." if i is Ellipsis else self.expr(i))
        return ", ".join(parts)


_LOWERED: dict = {}


def _lowerings() -> dict:
    """autodiff implementation functions -> the NumPy function they call (same signature)."""
    if not _LOWERED:
        from ._registry import PRIMITIVES

        for name, target in (("sum", np.sum), ("prod", np.prod), ("max", np.max),
                             ("min", np.min), ("cumsum", np.cumsum), ("where", np.where),
                             ("transpose", np.transpose), ("broadcast_to", np.broadcast_to),
                             ("roll", np.roll), ("getitem", "getitem")):
            prim = PRIMITIVES.get(name)
            if prim is not None:
                _LOWERED[prim.fun] = target
    return _LOWERED


def _refs(x, out: list) -> None:
    t = type(x)
    if t is Ref:
        out.append(x.node)
    elif t is tuple or t is list:
        for v in x:
            _refs(v, out)
    elif t is slice:
        _refs((x.start, x.stop, x.step), out)
    elif t is dict:
        for v in x.values():
            _refs(v, out)


def _outs(op: Op) -> tuple:
    return () if op.outs is None else op.outs if type(op.outs) is tuple else (op.outs,)


def live_program(program: list, outputs) -> list:
    """The operations and guards that the outputs and the guards depend on, in order."""
    roots: list = []
    _refs(outputs, roots)
    live = set(roots)
    kept = []
    for item in reversed(program):
        if type(item) is Guard:
            live.add(item.node)
            kept.append(item)
            continue
        if any(o in live for o in _outs(item)):
            deps: list = []
            _refs((item.args, item.kwargs), deps)
            live.update(deps)
            kept.append(item)
    kept.reverse()
    return kept


def _guard_line(g: Guard, name: str, writer: _Writer) -> str:
    if g.kind == "bool":
        test = f"not {name}" if g.expected else name
    elif g.kind == "int":
        test = f"{name} != {g.expected!r}"
    elif g.kind == "shape":
        test = f"{name}.shape != {g.expected!r}"
    elif g.kind == "dtype":
        test = f"{name}.dtype != {writer.constant(g.expected)}"
    else:  # the value of an integer array
        test = f"not np.array_equal({name}, {writer.constant(g.expected)})"
    return f"    if {test}:\n        raise GuardFailed({g.kind!r})"


def generate(program: list, inputs: list[int], outputs, names: dict[int, str],
             fn_name: str, as_float64: tuple = (), signature: tuple = (),
             meta: dict | None = None) -> Generated:
    """Write the staged function ``fn_name(*inputs) -> outputs`` as Python source.

    ``outputs`` is the output pytree with :class:`Ref` leaves (tuples, lists and
    dicts are written as literals); ``names`` names every node that appears; the
    inputs listed in ``as_float64`` (Python floats) are converted first.  ``meta``
    (node -> (type, shape, dtype) of its value while staging) lets arithmetic write
    into a dead temporary array instead of allocating (see :func:`_in_place`).
    """
    names = dict(names)
    writer = _Writer(names)
    writer.namespace["GuardFailed"] = GuardFailed
    writer.namespace["np"] = np
    seen: dict[str, tuple] = {}
    entries: list = []  # (op or guard, right-hand side)
    for item in live_program(program, outputs):
        if type(item) is Guard:
            entries.append((item, None))
            continue
        outs = _outs(item)
        rhs = writer.call(item)
        earlier = seen.get(rhs)
        if earlier is not None and len(earlier) == len(outs):
            for o, e in zip(outs, earlier):  # the same call on the same values: reuse
                names[o] = names[e]
            continue
        seen[rhs] = outs
        entries.append((item, rhs))
    in_place = _in_place(entries, names, outputs, inputs, meta or {})
    scattered = _scatters_added_in_place(entries, in_place, names, outputs, meta or {})
    body = [_guard_line(g, names[g.node], writer) for g in signature]
    body += [f"    {names[i]} = {writer.expr(np.float64)}({names[i]})" for i in as_float64]
    skipped = {j for j, _ in scattered.values()}
    for k, (item, rhs) in enumerate(entries):
        if type(item) is Guard:
            body.append(_guard_line(item, names[item.node], writer))
            continue
        if k in skipped:
            continue
        if k in scattered:  # a + scatter_add(v, index): v added into a's slice
            target, (_, scatter) = in_place[k], scattered[k]
            values, index = scatter.args[0], scatter.kwargs["index"]
            body.append(f"    {target}[{writer.index(index)}] += {writer.expr(values)}"
                        "  # in place: the scattered cotangent added into its slice")
            body.append(f"    {names[item.outs]} = {target}")
            continue
        outs = _outs(item)
        lhs = ", ".join(names[o] for o in outs) + ("," if len(outs) == 1 and
                                                  type(item.outs) is tuple else "")
        callee_name = rhs.split("(", 1)[0].rsplit(".", 1)[-1]
        comment = "" if callee_name == item.label or "(" not in rhs else f"  # {item.label}"
        if k in in_place:
            x, y = (writer.expr(a) for a in item.args)
            rhs = f"{writer.callee(item.callee, item.label)}({x}, {y}, out={in_place[k]})"
            comment = "  # in place: the operand is dead"
        body.append(f"    {lhs} = {rhs}{comment}")
    body.append(f"    return {_output_expr(outputs, writer)}")
    params = ", ".join(names[i] for i in inputs)
    source = f"def {fn_name}({params}):\n" + "\n".join(body) + "\n"
    return Generated(source, fn_name, writer.namespace, tuple(sorted(writer.imports)),
                     writer.constants, writer.opaque)


_IN_PLACE = {np.add: True, np.multiply: True, np.subtract: False, np.true_divide: False}


def _in_place(entries: list, names: dict, outputs, inputs, meta: dict) -> dict[int, str]:
    """Entries ``k -> name`` whose arithmetic may write into the array ``name``.

    The operand must be an array made by a ufunc (a fresh buffer, never a view), used
    only by ufuncs (so no view of it exists) and for the last time here, with the
    shape and dtype of the result; outputs and inputs are never written.
    """
    if not meta:
        return {}
    uses: dict[str, list] = {}
    fresh: set[str] = set()
    for k, (item, _) in enumerate(entries):
        refs: list = []
        _refs((item.args, item.kwargs) if type(item) is Op else Ref(item.node), refs)
        ufunc = type(item) is Op and type(item.callee) is np.ufunc
        for node in refs:
            uses.setdefault(names[node], []).append((k, ufunc))
        if ufunc and type(item.outs) is int and meta.get(item.outs, (None,))[0] is np.ndarray:
            fresh.add(names[item.outs])
    roots: list = []
    _refs(outputs, roots)
    pinned = {names[n] for n in roots} | {names[n] for n in inputs}
    chosen: dict[int, str] = {}
    for k, (item, _) in enumerate(entries):
        if (type(item) is not Op or item.callee not in _IN_PLACE or item.kwargs
                or len(item.args) != 2 or type(item.outs) is not int):
            continue
        candidates = item.args if _IN_PLACE[item.callee] else item.args[:1]
        for a in candidates:
            if type(a) is not Ref:
                continue
            name = names[a.node]
            if (name in fresh and name not in pinned and meta.get(a.node) == meta.get(item.outs)
                    and all(u for _, u in uses[name]) and uses[name][-1][0] == k
                    and sum(1 for j, _ in uses[name] if j == k) == 1):
                chosen[k] = name
                fresh.add(names[item.outs])
                break
    return chosen


def _scatters_added_in_place(entries: list, in_place: dict, names: dict, outputs,
                             meta: dict) -> dict[int, tuple[int, Op]]:
    """Sums ``a + scatter_add(v, shape, index)`` done in place into ``a`` -> (the scatter's
    entry, its op), when the scatter is used only there, has the sum's shape (nothing
    broadcasts) and ``index`` holds only ints, slices of constants and None:
    ``a[index] += v`` then adds the same values without the array of zeros (the
    interpreter's lazy indexed cotangent does the same)."""
    scatter_fun = _scatter_add_fun()
    if scatter_fun is None or not in_place:
        return {}
    made: dict[int, int] = {}
    uses: dict[int, int] = {}
    for k, (item, _) in enumerate(entries):
        refs: list = []
        _refs((item.args, item.kwargs) if type(item) is Op else Ref(item.node), refs)
        for node in refs:
            uses[node] = uses.get(node, 0) + 1
        if type(item) is Op and item.callee is scatter_fun and type(item.outs) is int:
            made[item.outs] = k
    roots: list = []
    _refs(outputs, roots)
    found = {}
    for k, target in in_place.items():
        item = entries[k][0]
        if item.callee is not np.add:
            continue
        for a in item.args:
            if type(a) is not Ref or names[a.node] == target or a.node not in made:
                continue
            scatter = entries[made[a.node]][0]
            index = scatter.kwargs.get("index")
            out_meta = meta.get(item.outs)
            if (uses.get(a.node) == 1 and a.node not in roots and type(index) is tuple
                    and all(_plain_index(i) for i in index) and out_meta is not None
                    and tuple(scatter.kwargs.get("shape", ())) == tuple(out_meta[1])):
                found[k] = (made[a.node], scatter)
    return found


def _plain_index(i) -> bool:
    if type(i) is slice:
        return all(v is None or type(v) is int for v in (i.start, i.stop, i.step))
    return i is None or i is Ellipsis or type(i) is int


def _scatter_add_fun():
    from ._registry import PRIMITIVES

    prim = PRIMITIVES.get("scatter_add")
    return None if prim is None else prim.fun


def _output_expr(outputs, writer: _Writer) -> str:
    t = type(outputs)
    if t is Ref:
        return writer.names[outputs.node]
    if t in (tuple, list):
        inner = ", ".join(_output_expr(o, writer) for o in outputs)
        if t is list:
            return f"[{inner}]"
        return f"({inner},)" if len(outputs) == 1 else f"({inner})"
    if t is dict:
        return "{" + ", ".join(f"{k!r}: {_output_expr(v, writer)}"
                               for k, v in outputs.items()) + "}"
    if isinstance(outputs, np.ndarray):
        return f"{writer.constant(outputs)}.copy()"  # callers may write into results
    return writer.expr(outputs)
