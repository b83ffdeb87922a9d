"""Applications built on autodiff: energies and models minimized with ``autodiff.optimize``."""

# Dask support (optional dependency, imported only when a dask object is passed in).
from ._dask import DaskInputError, TileError, map_image_solver, store_npy, store_zarr

__all__ = ["DaskInputError", "TileError", "map_image_solver", "store_npy", "store_zarr"]
