"""``Staged.save``: a generated function as a module that needs only NumPy/SciPy.

Callees with an import path outside autodiff are imported; autodiff's own
implementation functions (``_sum_impl``, ...) are copied in by source, together
with the helpers and closure values they use; arrays go to an ``.npz`` file next
to the module (small ones and scalars are written inline).  A callee that has
neither an import path nor copyable source (a closure, a lambda, a local
function) cannot be saved: :class:`~autodiff._stage.StagingError` names it.
"""

from __future__ import annotations

import builtins
import inspect
import math
import symtable
import textwrap
import types
from pathlib import Path

import numpy as np

from ._stage_codegen import Generated, import_path

__all__ = ["save_module"]

_INLINE_SIZE = 16


def _staging_error(message: str):
    from ._stage import StagingError

    return StagingError(message)


def _literal(value) -> str | None:
    """Python source that rebuilds ``value`` exactly, or None."""
    t = type(value)
    if t in (bool, int, str, type(None)):
        return repr(value)
    if t is float:
        return repr(value) if math.isfinite(value) else f"float({str(value)!r})"
    if isinstance(value, np.dtype) and not value.fields:
        return f"np.dtype({value.str!r})"
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        inner = _literal(value.item())
        return f"np.{value.dtype.name}({inner})"
    if t is np.ndarray and value.size <= _INLINE_SIZE and value.dtype.kind in "biuf":
        items = ", ".join(_literal(v) for v in value.ravel().tolist())
        return f"np.array([{items}], dtype={value.dtype.str!r}).reshape({value.shape!r})"
    if t is dict and all(type(k) in (str, int) for k in value):
        parts = [_literal(v) for v in value.values()]
        if any(p is None for p in parts):
            return None
        return "{" + ", ".join(f"{k!r}: {p}" for k, p in zip(value, parts)) + "}"
    if t in (tuple, list, frozenset, set):
        parts = [_literal(v) for v in value]
        if any(p is None for p in parts):
            return None
        inner = ", ".join(parts) + ("," if t is tuple and len(parts) == 1 else "")
        if t in (frozenset, set):
            return f"{t.__name__}([{inner}])"
        return f"({inner})" if t is tuple else f"[{inner}]"
    return None


class _Inliner:
    """Copies autodiff functions (and what they reference) into the module."""

    def __init__(self, reserved):
        self.blocks: list[str] = []
        self.done: dict[int, str] = {}
        self.reserved = set(reserved)

    def function(self, fn, alias: str) -> str:
        if id(fn) in self.done:
            return self.done[id(fn)]
        self.done[id(fn)] = alias
        try:
            source = textwrap.dedent(inspect.getsource(fn))
        except (OSError, TypeError):
            source = ""
        while source.startswith("@"):  # the function itself, not what decorates it
            source = source.split("\n", 1)[1] if "\n" in source else ""
        if not source.startswith("def ") or getattr(fn, "__name__", "") == "<lambda>":
            raise _staging_error(
                f"cannot save: {fn!r} has no import path and no copyable source (a lambda "
                "or a callable object); the in-memory staged function still works")
        bindings = []
        free = set(fn.__code__.co_freevars)
        for name in sorted(_global_names(source) - free):
            if name in fn.__globals__:
                bindings.append((name, fn.__globals__[name]))
            elif not hasattr(builtins, name):
                raise _staging_error(f"cannot save {fn.__qualname__}: unknown name {name!r}")
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
            bindings.append((name, cell.cell_contents))
        lines = [f"def _make{alias}():"]
        for name, value in bindings:
            expr = self.value(value, fn)
            if expr != name:
                lines.append(f"    {name} = {expr}")
        lines += textwrap.indent(source, "    ").splitlines()
        lines.append(f"    return {fn.__name__}")
        lines.append(f"{alias} = _make{alias}()")
        self.blocks.append("\n".join(lines))
        return alias

    def value(self, value, owner) -> str:
        if isinstance(value, types.ModuleType):
            name = value.__name__
            if name.startswith("autodiff"):
                raise _staging_error(f"cannot save {owner.__qualname__}: it uses the module "
                                     f"{name}")
            return "np" if name == "numpy" else f"__import__({name!r}, fromlist=['_'])"
        literal = _literal(value)
        if literal is not None:
            return literal
        path = import_path(value)
        if path is not None and not path[0].startswith("autodiff"):
            module, qualname = path
            head = "np" if module == "numpy" else f"__import__({module!r}, fromlist=['_'])"
            return f"{head}.{qualname}"
        wrapped = getattr(value, "__wrapped__", None)
        if hasattr(value, "cache_parameters") and isinstance(wrapped, types.FunctionType):
            options = value.cache_parameters()  # functools.lru_cache / cache
            inner = self.value(wrapped, owner)
            return (f"__import__('functools').lru_cache(maxsize={options['maxsize']!r}, "
                    f"typed={options['typed']!r})({inner})")
        if isinstance(value, types.FunctionType) and value.__module__.startswith("autodiff"):
            base = "_copied_" + value.__name__.lstrip("_")  # never the name it is bound to
            alias, k = base, 1
            while alias in self.done.values() or alias in self.reserved:
                k += 1
                alias = f"{base}_{k}"
            return self.function(value, alias)
        raise _staging_error(f"cannot save {owner.__qualname__}: it uses {value!r}, which "
                             "has no import path")


def _global_names(source: str) -> set[str]:
    """Names the functions of ``source`` read as globals (from the source, not bytecode)."""
    names: set[str] = set()

    def walk(table) -> None:
        if table.get_type() == "function":
            names.update(table.get_globals())
        for child in table.get_children():
            walk(child)

    walk(symtable.symtable(source, "<copied>", "exec"))
    return names


def save_module(generated: Generated, path: Path) -> Path:
    """Write ``generated`` as the module ``path`` (plus ``path.npz`` for arrays)."""
    path = Path(path)
    inliner = _Inliner(generated.namespace)
    for name, (fn, label) in generated.opaque.items():
        module = getattr(fn, "__module__", "") or ""
        if not module.startswith("autodiff") or not isinstance(fn, types.FunctionType):
            raise _staging_error(
                f"cannot save: primitive {label!r} calls {fn!r}, which cannot be referenced "
                "by name from a saved module (a closure, lambda or local function). Define "
                "it at the top level of an importable module, or keep using the in-memory "
                "staged function.")
        inliner.function(fn, name)
    header = [f'"""Generated by autodiff.stage: {generated.name}. Needs only NumPy/SciPy.',
              "", "Raises GuardFailed when the inputs take a branch, or have a shape, that",
              'was not staged (the in-memory staged function would re-stage)."""', "",
              "import numpy as np"]
    header += [f"import {m}" for m in generated.imports if m != "numpy"]
    header += ["", "", "class GuardFailed(Exception):",
               '    """The inputs take a path that was not staged."""', ""]
    stored = {}
    for name, value in generated.constants.items():
        literal = _literal(value)
        if literal is not None:
            header.append(f"{name} = {literal}")
        elif type(value) is np.ndarray and value.dtype.kind in "biufc":
            stored[name] = value
        else:
            raise _staging_error(f"cannot save the constant {name} = {value!r} (not an array)")
    if stored:
        data = path.with_suffix(".npz")
        np.savez(data, **stored)
        header.append(f"with np.load(__file__[:-3] + '.npz') as _data:  # {data.name}")
        header += [f"    {name} = _data[{name!r}]" for name in stored]
    text = "\n".join(header) + "\n\n\n" + "\n\n\n".join(inliner.blocks + [generated.source])
    path.write_text(text.rstrip("\n") + "\n")
    return path
