"""Lazy public namespaces (PEP 562): a package's names are imported on first access.

``python -m applications.<name> --help`` imports the package before its ``__main__``;
a package ``__init__`` that imported its submodules eagerly would load NumPy, SciPy,
scikit-image and :mod:`autodiff` just to print the help.  With :func:`attach`, the
package's ``__init__`` only declares where each public name lives.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

__all__ = ["attach"]


def attach(package: str, where: dict[str, list[str]]
           ) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    where : dict
        Submodule name (relative, e.g. ``"._tv"``) -> the public names it defines.
    """
    owner = {name: module for module, names in where.items() for name in names}
    public = sorted(owner)

    def __getattr__(name: str) -> object:
        module = owner.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)  # later accesses skip this hook
        return value

    def __dir__() -> list[str]:
        return sorted(set(public) | set(vars(sys.modules[package])))

    return __getattr__, __dir__
