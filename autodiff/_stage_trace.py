"""The staging trace: records primitives and NumPy calls on staged values.

:class:`StagingTracer` values sit below every transform (they are their own
``primal``, so :func:`~autodiff._tracer.base_value` stops at them).  Primitives
reaching them are evaluated on concrete values and recorded as operations of a
program; plain NumPy calls on them (comparisons, masks, ``argmax``) are recorded
too; reading them in Python control flow records guards.  The trace also observes
the forward and reverse interpreters to name the nodes like the slides.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import numpy as np

from ._shapes import shape_of
from ._stage_codegen import Guard, Op, Ref
from ._tracer import Tracer, base_value, operator_as_primitive

__all__ = ["StagingTrace", "StagingTracer", "StagingError", "DYNAMIC", "template"]

#: Inputs of these types are staged (become parameters of the generated code);
#: every other leaf (ints, strings, None, ...) is baked in and keys the cache.
DYNAMIC = (np.ndarray, np.generic, float)
#: NumPy functions whose result depends only on shapes and dtypes (fixed per program).
_STATIC = frozenset((np.shape, np.ndim, np.size, np.result_type, np.iscomplexobj,
                     np.isrealobj, np.can_cast, np.min_scalar_type, np.may_share_memory,
                     np.shares_memory))
#: NumPy functions whose result shape depends on the data: guarded.
_DATA_SHAPED = frozenset((np.nonzero, np.flatnonzero, np.argwhere, np.unique, np.extract,
                          np.compress))


class StagingError(TypeError):
    """The function does something that generated code cannot reproduce."""


def _refuse(what: str):
    raise StagingError(
        f"{what} of a staged value cannot be staged: its value would be frozen into the "
        "generated code. Keep it an array (use NumPy functions on it), or call the "
        "function without ad.stage.")


class StagingTracer(Tracer):
    """A value of the function being staged: its concrete ``value`` and its node.

    It is its own ``primal`` (so :func:`~autodiff._tracer.base_value` stops here)
    and records the NumPy calls made on it.
    """

    __slots__ = ("_trace", "primal", "value", "node")

    def __init__(self, trace: StagingTrace, value, node: int):
        self._trace = trace
        self.primal = self
        self.value = value
        self.node = node

    @property
    def shape(self) -> tuple[int, ...]:
        return shape_of(self.value)

    @property
    def dtype(self) -> np.dtype:
        return np.result_type(self.value)

    def __repr__(self) -> str:
        return f"StagingTracer(node={self.node}, value={self.value!r})"

    def __bool__(self) -> bool:
        return self._trace.guard(self, "bool", bool(self.value))

    def __index__(self) -> int:
        return self._trace.guard(self, "int", operator.index(self.value))

    __int__ = __index__

    def __float__(self):
        _refuse("float()")

    def __complex__(self):
        _refuse("complex()")

    def item(self, *args):
        _refuse(".item()")

    def tolist(self):
        _refuse(".tolist()")

    def __array__(self, dtype=None, copy=None):
        value = np.asarray(self.value)
        if value.dtype.kind not in "biu":
            _refuse("Converting to a NumPy array (np.asarray, np.array, or a function that "
                    "does)")
        # Integers (indices, permutations): the program is specialized to this value.
        self._trace.guard(self, "value", value.copy())
        return value if dtype is None else value.astype(dtype)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if _has_outer_tracer(inputs, kwargs):
            return Tracer.__array_ufunc__(self, ufunc, method, *inputs, **kwargs)
        if kwargs.get("out") is not None:
            _refuse(f"numpy.{ufunc.__name__}(..., out=...) (writing in place)")
        kwargs.pop("out", None)
        fn = ufunc if method == "__call__" else getattr(ufunc, method)
        return self._trace.record(fn, inputs, kwargs, ufunc.__name__)

    def __array_function__(self, func, types, args, kwargs):
        if func in _STATIC:
            return func(*_concrete(args), **_concrete(kwargs))
        if _has_outer_tracer(args, kwargs):
            return Tracer.__array_function__(self, func, types, args, kwargs)
        out = self._trace.record(func, args, kwargs, func.__name__)
        if func in _DATA_SHAPED:
            for t in out if isinstance(out, tuple) else (out,):
                self._trace.guard(t, "shape", t.shape)
        return out


def _bitwise(ufunc, reflected: bool = False):
    if reflected:
        return lambda self, other: ufunc(other, self)
    return lambda self, other: ufunc(self, other)


for _name, _ufunc in (("and", np.bitwise_and), ("or", np.bitwise_or),
                      ("xor", np.bitwise_xor), ("lshift", np.left_shift),
                      ("rshift", np.right_shift)):
    setattr(StagingTracer, f"__{_name}__", _bitwise(_ufunc))
    setattr(StagingTracer, f"__r{_name}__", _bitwise(_ufunc, reflected=True))
StagingTracer.__invert__ = lambda self: np.invert(self)
del _name, _ufunc


def _has_staged_mask(index) -> bool:
    items = index if type(index) is tuple else (index,)
    return any(type(i) is StagingTracer and np.result_type(i.value) == np.bool_
               for i in items)


def _has_outer_tracer(args, kwargs) -> bool:
    """True when a tracer of a transform (not a staged value) is among the arguments."""
    for a in (*args, *kwargs.values()):
        if isinstance(a, Tracer) and type(a) is not StagingTracer:
            return True
        if isinstance(a, (tuple, list)) and _has_outer_tracer(a, {}):
            return True
    return False


def _concrete(x):
    """``x`` with staged values replaced by their concrete values."""
    t = type(x)
    if t is StagingTracer:
        return x.value
    if t is tuple or t is list:
        return t(_concrete(v) for v in x)
    if t is dict:
        return {k: _concrete(v) for k, v in x.items()}
    if t is slice:
        return slice(_concrete(x.start), _concrete(x.stop), _concrete(x.step))
    return x


def template(x):
    """``x`` with staged values replaced by :class:`Ref` to their nodes."""
    t = type(x)
    if t is StagingTracer:
        return Ref(x.node)
    if t is tuple or t is list:
        return t(template(v) for v in x)
    if t is dict:
        return {k: template(v) for k, v in x.items()}
    if t is slice:
        return slice(template(x.start), template(x.stop), template(x.step))
    if isinstance(x, Tracer):
        raise StagingError(f"a traced value of another transform reached staging: {x!r}")
    return x


def _weak_scalars(args):
    """Float64 scalar constants written as Python floats (readable, no constant table).

    Only where every staged operand is float64 already: the result dtype is then the
    same either way (a Python float would not promote float32 operands).
    """
    if not any(type(a) is np.float64 for a in args):
        return args
    if all(np.result_type(a.value) == np.float64 for a in args if type(a) is StagingTracer):
        return tuple(float(a) if type(a) is np.float64 else a for a in args)
    return args


def _times_one(one, x, ans):
    """``x`` when ``x * one`` is exactly ``x`` (the seed 1 of a gradient), else None."""
    if (type(x) is StagingTracer and type(one) in (float, np.float64) and one == 1.0
            and type(ans) is type(x.value) and np.result_type(ans) == np.result_type(x.value)
            and shape_of(ans) == shape_of(x.value)):
        return x
    return None


def _slide_name(i: int) -> str:
    return f"v_{i}" if i >= 0 else f"v_m{-i}"


class StagingTrace:
    """Records one evaluation as a program of operations and guards.

    Also observes the interpreters (through ``STAGING_OBSERVERS``) to name the
    nodes: tape values ``v_i``, adjoints ``v_i_bar``, tangents ``v_i_dot``.
    """

    def __init__(self, level: int):
        self.level = level
        self.program: list = []
        self.n_nodes = 0
        self.inputs: list[int] = []
        self.as_float64: list[int] = []
        self.input_values: list = []
        #: node -> (type, shape, dtype) of array values (for in-place arithmetic)
        self.meta: dict[int, tuple] = {}
        #: node -> (priority, kind, data), the name hints of the observers
        self.hints: dict[int, tuple] = {}
        self._tapes: dict[int, int] = {}
        self._forward_counts: dict[int, int] = {}

    def _new_node(self) -> int:
        self.n_nodes += 1
        return self.n_nodes - 1

    def new_input(self, value) -> StagingTracer:
        node = self._new_node()
        self.inputs.append(node)
        self.input_values.append(value)
        if type(value) is float:  # as the transforms do: a float64 scalar
            self.as_float64.append(node)
            value = np.float64(value)
        return StagingTracer(self, value, node)

    # --- recording ----------------------------------------------------------------
    def process(self, prim, args, kwargs: dict):
        """A primitive applied to staged values (routed here by ``bind``)."""
        ans = prim.fun(*_concrete(args), **_concrete(kwargs))
        out = self._emit(prim.fun, args, kwargs, ans, prim.name)
        if prim.name == "getitem" and _has_staged_mask(kwargs.get("index")):
            self.guard(out, "shape", out.shape)  # x[mask]: the shape depends on the data
        return out

    operator = operator_as_primitive  # a <op> b (see autodiff._tracer)

    def record(self, fn: Callable, args, kwargs: dict, label: str):
        """A plain NumPy call on staged values (no derivative flows through it)."""
        return self._emit(fn, args, kwargs, fn(*_concrete(args), **_concrete(kwargs)), label)

    def _emit(self, fn, args, kwargs, ans, label: str):
        if type(fn) is np.ufunc:
            args = _weak_scalars(args)
        if fn is np.multiply and len(args) == 2 and not kwargs:
            same = _times_one(args[0], args[1], ans)
            if same is None:
                same = _times_one(args[1], args[0], ans)
            if same is not None:  # (never `or`: that would read a staged value)
                return same
        if isinstance(ans, (tuple, list)):
            outs = tuple(self._new_node() for _ in ans)
            items = [StagingTracer(self, a, n) for a, n in zip(ans, outs)]
            wrapped = type(ans)(*items) if hasattr(ans, "_fields") else type(ans)(items)
        elif ans is None:
            outs, wrapped = None, None
        else:
            outs = self._new_node()
            wrapped = StagingTracer(self, ans, outs)
            if type(ans) is np.ndarray:
                self.meta[outs] = (np.ndarray, ans.shape, ans.dtype)
        self.program.append(Op(outs, fn, template(tuple(args)), template(dict(kwargs)),
                               label))
        return wrapped

    def guard(self, t: StagingTracer, kind: str, outcome):
        """Record that the program depends on ``kind`` of ``t`` being ``outcome``."""
        self.program.append(Guard(kind, t.node, outcome))
        return outcome

    def signature(self) -> list[Guard]:
        """Guards on the shapes and dtypes of the array inputs (the program's signature)."""
        guards = []
        for node, value in zip(self.inputs, self.input_values):
            if type(value) is np.ndarray:
                guards.append(Guard("shape", node, value.shape))
                guards.append(Guard("dtype", node, value.dtype))
        return guards

    # --- observing the interpreters (names only) --------------------------------------
    def _hint(self, value, priority: int, kind: str, data) -> None:
        v = base_value(value)
        if type(v) is StagingTracer and v._trace is self:
            old = self.hints.get(v.node)
            if old is None or old[0] < priority:
                self.hints[v.node] = (priority, kind, data)

    def observe_forward(self, prim, primals, kwargs, ans, tangents, tangent, args, out):
        a = base_value(ans)
        if type(a) is StagingTracer:
            # Evaluation order numbers the values when no tape names them (jvp alone).
            count = self._forward_counts[id(out._trace)] = \
                self._forward_counts.get(id(out._trace), 0) + 1
            self._hint(a, 1, "v", count)
            self._hint(tangent, 2, "dot", a.node)
            for p, t in zip(primals, tangents):
                if t is not None:
                    self._hint(t, 1, "dot", base_value(p).node
                               if type(base_value(p)) is StagingTracer else None)

    def observe_reverse(self, index, record, g, cotangents):
        if record.values is None:  # a tape recorded before staging began: no names
            return
        args, _, _, ans = record.values
        tape = next((a._trace for a in args if isinstance(a, Tracer) and
                     getattr(a._trace, "tape", None) is not None and hasattr(a, "index")),
                    None)
        if tape is None:
            return
        first = self._tapes.get(id(tape))
        if first is None:
            first = sum(1 for r in tape.tape if r is not None and r.prim is None)
            self._tapes[id(tape)] = first
            for i in range(first):
                self._hint(tape.tape[i].values[3], 3, "v", i - first + 1)
        number = index - first + 1
        self._hint(ans, 3, "v", number)
        self._hint(g, 2, "bar", number)
        for parent, c in zip(record.parents, cotangents):
            self._hint(c, 1, "part", (parent - first + 1, number))

    def names(self) -> dict[int, str]:
        """A unique Python name for every node."""
        names: dict[int, str] = {}
        taken: set[str] = set()

        def base(node: int, depth: int = 0) -> str | None:
            hint = self.hints.get(node)
            if hint is None or depth > 4:
                return None
            _, kind, data = hint
            if kind == "v":
                return _slide_name(data)
            if kind == "bar":
                return _slide_name(data) + "_bar"
            if kind == "part":
                return f"{_slide_name(data[0])}_bar_from_{data[1]}".replace("from_-", "from_m")
            inner = None if data is None else base(data, depth + 1)
            if inner is None and data in self.inputs:
                inner = f"x_{self.inputs.index(data) + 1}"
            return None if inner is None else inner + "_dot"

        for op in self.program:  # a sum of parts of one adjoint is that adjoint
            if type(op) is Op and op.label == "add" and op.outs not in self.hints:
                parts = {self.hints.get(a.node, (0, None, None))[1:] for a in op.args
                         if type(a) is Ref}
                adjoints = {data[0] if kind == "part" else data for kind, data in parts
                            if kind in ("part", "bar")}
                if len(parts) == 2 and len(adjoints) == 1:
                    self.hints[op.outs] = (2, "bar", adjoints.pop())
        for node in range(self.n_nodes):
            name = base(node)
            if name is None:
                name = f"x_{self.inputs.index(node) + 1}" if node in self.inputs else f"t_{node}"
            unique, k = name, 1
            while unique in taken:
                k += 1
                unique = f"{name}_{k}"
            taken.add(unique)
            names[node] = unique
        return names
