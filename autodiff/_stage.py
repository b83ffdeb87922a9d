"""``ad.stage``: trace a function once, then run generated straight-line NumPy code.

The seed's third way to implement AD (after a library of operators and operator
overloading): the function and its derivative sweeps become source code.

A *staging trace* sits below every transform (its tracers are the innermost
values).  Each primitive that reaches it, from the function itself and from the
derivative rules that ``grad``, ``jvp``, ``hvp`` ... apply, is evaluated on
concrete values and recorded; so are the non-differentiable NumPy calls made on
staged values (comparisons, ``argmax``, masks).  Reading a staged value in Python
control flow (``bool``, ``int``, an index) records a *guard*: the generated code
checks it and, when it fails, the function is staged again for the new path.
The recorded program becomes one Python function (:mod:`autodiff._stage_codegen`)
whose variables are named like the slides: ``v_1`` for the evaluation, ``v_1_bar``
for adjoints, ``v_1_dot`` for tangents.

What cannot be staged: Python side effects and randomness inside the function
(they happen once, at staging time; their results become constants);
conversions of staged values to Python floats or ndarrays (``float(x)``,
``np.asarray(x)``, ``x.item()``), which raise :class:`StagingError`; functions
whose output is not a pytree of arrays.  Python loops whose trip count depends on
the data re-stage once per trip count (up to ``max_programs`` per input signature).
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import _debug
from ._pytree import tree_flatten, tree_unflatten
from ._shapes import shape_of
from ._stage_codegen import GuardFailed, generate
from ._stage_trace import DYNAMIC as _DYNAMIC
from ._stage_trace import StagingError, StagingTrace, StagingTracer, template
from ._tracer import STAGING_OBSERVERS, Tracer, new_level

__all__ = ["stage", "Staged", "StagingError"]


class Program:
    """One generated function and the source it came from."""

    def __init__(self, generated, fn_name: str):
        self.generated = generated
        namespace = dict(generated.namespace)
        exec(compile(generated.source, f"<staged {fn_name}>", "exec"), namespace)
        self.run = namespace[fn_name]


class Staged:
    """A function that runs as generated code (see :func:`stage`)."""

    def __init__(self, fn: Callable, max_programs: int = 8, max_signatures: int = 32):
        self.fn = fn
        self.max_programs = max_programs
        self.max_signatures = max_signatures
        self._cache: OrderedDict = OrderedDict()
        self._latest: Program | None = None
        self._hot: dict = {}
        name = getattr(fn, "__name__", "staged")
        self._name = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
        if not self._name.isidentifier():
            self._name = "staged"
        functools.update_wrapper(self, fn, updated=())

    def __call__(self, *args, **kwargs):
        if not kwargs and not _debug.enabled:  # the hot path: the last program run for
            # these argument types (debug mode runs the interpreters, which check NaNs)
            run = self._hot.get(tuple(map(type, args)))
            if run is not None:
                try:
                    return run(*args)
                except GuardFailed:  # another shape, or another path
                    pass
        return self._call(args, kwargs)

    def _call(self, args, kwargs):
        if _debug.enabled:
            return self.fn(*args, **kwargs)
        if not kwargs and all(type(a) in _FAST_LEAVES for a in args):
            leaves, treedef, static = args, None, ()
            key = tuple([(a.shape, a.dtype) if type(a) is np.ndarray else type(a)
                         for a in args])
        else:
            flat, treedef = tree_flatten((args, kwargs))
            if any(isinstance(x, Tracer) for x in flat):
                return self.fn(*args, **kwargs)  # inside a transform: not staged
            leaves = [x for x in flat if isinstance(x, _DYNAMIC)]
            static = tuple((i, x) for i, x in enumerate(flat) if not isinstance(x, _DYNAMIC))
            key = (treedef, static, tuple((shape_of(x), np.result_type(x), type(x))
                                          for x in leaves))
            try:
                hash(key)
            except TypeError:
                return self.fn(*args, **kwargs)
        programs = self._cache.get(key)
        out = _NOTHING
        if programs is not None:
            for i, program in enumerate(programs):
                try:
                    out = program.run(*leaves)
                except GuardFailed:
                    continue
                if i:
                    programs.insert(0, programs.pop(i))
                break
        if out is _NOTHING:
            program = self._stage(args, kwargs, treedef, static)
            programs = self._cache.setdefault(key, [])
            programs.insert(0, program)
            del programs[self.max_programs:]
            self._cache.move_to_end(key)
            while len(self._cache) > self.max_signatures:
                self._cache.popitem(last=False)
                self._hot.clear()
            out = program.run(*leaves)
        self._latest = program
        if treedef is None:
            self._hot[tuple(map(type, args))] = program.run
        return out

    def _stage(self, args, kwargs, treedef, static) -> Program:
        trace = StagingTrace(new_level())
        if treedef is None:
            staged_args, staged_kwargs = [trace.new_input(a) for a in args], {}
        else:
            flat, _ = tree_flatten((args, kwargs))
            fixed = dict(static)
            flat = [fixed[i] if i in fixed else trace.new_input(x) for i, x in enumerate(flat)]
            staged_args, staged_kwargs = tree_unflatten(treedef, flat)
        saved = dict(STAGING_OBSERVERS)
        STAGING_OBSERVERS.update(forward=trace.observe_forward, reverse=trace.observe_reverse)
        try:
            out = self.fn(*staged_args, **staged_kwargs)
        finally:
            STAGING_OBSERVERS.clear()
            STAGING_OBSERVERS.update(saved)
        out_leaves, out_td = tree_flatten(out)
        for leaf in out_leaves:
            if isinstance(leaf, Tracer) and not (type(leaf) is StagingTracer
                                                 and leaf._trace is trace):
                raise StagingError(f"the staged function returned a traced value {leaf!r}")
            if callable(leaf) and not isinstance(leaf, Tracer):
                raise StagingError("a staged function must return arrays (or pytrees of "
                                   f"arrays), not {leaf!r}; stage a function that calls it")
        outputs = tree_unflatten(out_td, [template(x) for x in out_leaves])
        generated = generate(trace.program, trace.inputs, outputs, trace.names(), self._name,
                             tuple(trace.as_float64), trace.signature(), trace.meta)
        return Program(generated, self._name)

    @property
    def source(self) -> str:
        """Source of the most recently run generated function (stage by calling first)."""
        if self._latest is None:
            raise ValueError("nothing staged yet: call the staged function once first")
        return self._latest.generated.source

    @property
    def name(self) -> str:
        """Name of the generated function (and of the function in a saved module)."""
        return self._name

    @property
    def n_programs(self) -> int:
        """How many programs are cached (one per input signature and path taken)."""
        return sum(len(p) for p in self._cache.values())

    def save(self, path) -> Path:
        """Write the most recently run generated function as a module (NumPy/SciPy only)."""
        from ._stage_save import save_module

        if self._latest is None:
            raise ValueError("nothing staged yet: call the staged function once first")
        return save_module(self._latest.generated, Path(path))


_FAST_LEAVES = frozenset((np.ndarray, float, np.float64, np.float32))
_NOTHING = object()


def stage(fn: Callable | None = None, *, max_programs: int = 8) -> Staged:
    """Stage ``fn``: trace it once per input signature and run generated NumPy code.

    Parameters
    ----------
    fn : callable
        Usually a transform, ``ad.value_and_grad(f)``, ``ad.hvp(f)``, ``ad.jacfwd(f)``
        ... (any function of arrays returning a pytree of arrays).  ``@ad.stage``
        and ``@ad.stage(max_programs=...)`` work as decorators.
    max_programs : int, optional
        Programs kept per input signature (one per path through Python control
        flow that depends on the data); the least recently used goes first.

    Returns
    -------
    Staged
        Callable like ``fn``.  ``.source`` is the generated code, ``.save(path)``
        writes it as a module that needs only NumPy/SciPy.

    Examples
    --------
    >>> import numpy as np, autodiff as ad
    >>> def f(x1, x2):
    ...     return np.log(x1) + x1 * x2 - np.sin(x2)
    >>> fast = ad.stage(ad.grad(f, argnums=(0, 1)))
    >>> [float(g) for g in fast(2.0, 5.0)]
    [5.5, 1.7163378145367738]
    >>> print(fast.source.splitlines()[0])
    def f(v_m1, v_0):
    """
    if fn is None:  # @ad.stage(max_programs=...)
        return functools.partial(stage, max_programs=max_programs)
    return Staged(fn, max_programs=max_programs)
