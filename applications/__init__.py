"""Applications built on autodiff: energies and models minimized with ``autodiff.optimize``.

Names are imported on first use, so that ``python -m applications.<name> --help`` does not
load NumPy (Dask support is optional and imported only when a dask object is passed in).
"""

from typing import TYPE_CHECKING

from ._lazy import attach

__all__ = ["DaskInputError", "TileError", "map_image_solver", "store_npy", "store_zarr"]

__getattr__, __dir__ = attach(__name__, {"._dask": __all__})

if TYPE_CHECKING:  # for type checkers and linters; at run time __getattr__ imports these
    from ._dask import DaskInputError, TileError, map_image_solver, store_npy, store_zarr
