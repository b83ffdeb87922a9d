"""The coverage table: every NumPy/SciPy function autodiff differentiates, read from
the registry (never typed by hand).

``python -m autodiff.coverage`` prints the Markdown table that the README embeds
between the ``<!-- coverage:start -->`` and ``<!-- coverage:end -->`` markers;
``python -m autodiff.coverage --write README.md`` updates the file in place.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

from . import _registry
from ._registry import function_name

__all__ = ["covered_functions", "coverage_table"]

START, END = "<!-- coverage:start -->", "<!-- coverage:end -->"


def _load_all_families() -> None:
    import autodiff.scipy.ndimage  # noqa: F401  (imported lazily by autodiff.scipy)

    for optional in ("autodiff.numpy.fft", "autodiff.scipy.linalg", "autodiff.scipy.stats",
                     "autodiff.scipy.signal"):
        try:
            __import__(optional)
        except ImportError:
            pass


def _releases(releases) -> str:
    return ", ".join(f"{major}.{minor}" for major, minor in releases)


def _scipy_label(scipy_name: str, name: str) -> str:
    """``name`` when SciPy's own function takes tracers (hooks) on every verified SciPy
    release, ``name†`` on some, ``name*`` when one calls autodiff's.  Static: the table
    does not depend on the SciPy installed."""
    from .scipy._special_hooks import HOOKED_RELEASES, VERIFIED_SCIPY

    releases = HOOKED_RELEASES.get(scipy_name, ())
    if not releases:
        return f"{name}*"
    return name if tuple(releases) == tuple(VERIFIED_SCIPY) else f"{name}\N{DAGGER}"


def _hooks_note() -> str:
    from .scipy._special_hooks import HOOKED_RELEASES, VERIFIED_SCIPY

    names = [n.rpartition(".")[2] for n in HOOKED_RELEASES]
    partial = [f"`{n.rpartition('.')[2]}` on {_releases(r)} (on other releases call "
               f"`autodiff.{n}`)" for n, r in HOOKED_RELEASES.items()
               if tuple(r) != tuple(VERIFIED_SCIPY)]
    return (f"SciPy's own {', '.join(f'`{n}`' for n in names)} take traced values through "
            f"hooks on the SciPy releases whose source was checked ({_releases(VERIFIED_SCIPY)})"
            + (f"; names marked \N{DAGGER} only on some: {'; '.join(partial)}" if partial else "")
            + ".")


def covered_functions() -> dict[str, dict[str, list[str]]]:
    """``module -> {"differentiable": [...], "constant": [...]}`` from the registry."""
    _load_all_families()
    table: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    entries = list(_registry.HANDLED_FUNCTIONS.items()) + list(_registry.HANDLED_UFUNCS.items())
    for function, impl in entries:
        module, _, name = function_name(function).rpartition(".")
        kind = "constant" if getattr(impl, "__module__", "") == _registry.__name__ \
            else "differentiable"
        table[module][kind].append(name)
    for function, method in _registry.UFUNC_METHODS:
        module, _, name = function_name(function).rpartition(".")
        table[module]["differentiable"].append(f"{name}.{method}")
    for scipy_name in _registry.ALTERNATIVES:  # SciPy Python functions: call autodiff's
        module, _, name = scipy_name.rpartition(".")
        if module == "scipy.stats":  # keyed by method: list the distributions instead
            continue
        table[module]["differentiable"].append(_scipy_label(scipy_name, name))
    stats = sys.modules.get("autodiff.scipy.stats")
    if stats is not None:
        methods = sorted(k.rpartition(".")[2] for k in _registry.ALTERNATIVES
                         if k.startswith("scipy.stats."))
        table["scipy.stats"]["differentiable"] += [
            f"{d}*" for d in stats.__all__] + [f"({', '.join(methods)})"]
    return {m: {k: sorted(set(v)) for k, v in kinds.items()} for m, kinds in sorted(table.items())}


def coverage_table() -> str:
    """The Markdown coverage table (module, count, functions)."""
    rows = ["| module | differentiable | functions |", "|---|---|---|"]
    constants = []
    total = 0
    for module, kinds in covered_functions().items():
        names = kinds.get("differentiable", [])
        count = len([n for n in names if not n.startswith("(")])  # "(methods)" is a note
        total += count
        if names:
            rows.append(f"| `{module}` | {count} | {', '.join(names)} |")
        constants += [f"{module}.{n}" for n in kinds.get("constant", [])]
    lines = [f"{total} differentiable functions, ufuncs and ufunc methods are registered "
             f"(plus {len(constants)} that return constants, such as comparisons, "
             "`argmax` and `floor`). Names marked * are SciPy functions written in Python, "
             "which cannot dispatch to autodiff: call the function of the same name in "
             "`autodiff.scipy.<module>` (the error message says so). " + _hooks_note(),
             "", *rows]
    return "\n".join(lines)


def write_readme(path: Path) -> bool:
    """Replace the README's generated section; return whether it changed."""
    text = path.read_text()
    block = f"{START}\n{coverage_table()}\n{END}"
    new = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    if new != text:
        path.write_text(new)
    return new != text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, metavar="README",
                        help="update the generated section of this file in place")
    args = parser.parse_args(argv)
    if args.write:
        changed = write_readme(args.write)
        print(f"{args.write}: {'updated' if changed else 'already up to date'}")
    else:
        print(coverage_table())


if __name__ == "__main__":
    main()
