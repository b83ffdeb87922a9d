"""Applications built on autodiff: energies and models minimized with ``autodiff.optimize``.

The Dask helpers below (an optional dependency) are imported on first use (PEP 562), so
that importing a subpackage or running a command line's ``--help`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

_DASK_EXPORTS = ("DaskInputError", "TileError", "map_image_solver", "store_npy", "store_zarr")

__all__ = list(_DASK_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _DASK_EXPORTS:
        value = getattr(importlib.import_module("._dask", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
