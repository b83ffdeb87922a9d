"""Dask support shared by the applications: lazy import, input checks, tiled solves, storage.

Dask is an optional dependency (``pip install autodiff[dask]``).  Nothing here imports it
at module import: :func:`is_dask_array` only looks at modules that are already loaded (an
object cannot be a dask array unless dask was imported), and the other functions import
dask when called.

The image convention is dask-image's: a ``dask.array.Array`` in gives a lazy
``dask.array.Array`` out, computed tile by tile with :func:`dask.array.map_overlap`,
``boundary="none"`` at the outer edge (the image's own border condition applies there,
exactly as for the whole image) and an overlap ``depth`` on the inner edges, which is
trimmed from each tile's result.
"""

from __future__ import annotations

import functools
import importlib
import math
import os
import shutil
import sys
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "DaskInputError", "TileError", "check_image", "dask_dispatch", "dask_method",
    "import_dask_array", "is_dask_array", "is_dask_bag", "is_document_chunks",
    "map_image_solver", "spatial_depth", "store_npy", "store_zarr",
]

_INSTALL_HINT = "dask is not installed: pip install 'autodiff[dask]' (or dask[array,distributed])"


class DaskInputError(ValueError):
    """A dask array that cannot be processed as asked (chunks, dtype, shape)."""


class TileError(RuntimeError):
    """A tile (chunk) of a dask computation failed; the message names the tile."""


def is_dask_array(x: object) -> bool:
    """True when ``x`` is a ``dask.array.Array``; never imports dask."""
    module = sys.modules.get("dask.array")
    return module is not None and isinstance(x, module.Array)


def is_dask_bag(x: object) -> bool:
    """True when ``x`` is a ``dask.bag.Bag``; never imports dask."""
    module = sys.modules.get("dask.bag")
    return module is not None and isinstance(x, module.Bag)


def import_dask_array() -> Any:
    """Import and return ``dask.array``, with an install hint when dask is missing."""
    try:
        return importlib.import_module("dask.array")
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(_INSTALL_HINT) from exc


def dask_dispatch(target: str, dask_only: Sequence[str] = ("depth",)) -> Callable:
    """Decorate an in-memory function so that a dask array as first argument goes to ``target``.

    Parameters
    ----------
    target : str
        ``"package.module:function"`` implementing the dask path; imported on first use,
        so neither dask nor the dask module is imported for in-memory calls.
    dask_only : sequence of str
        Keywords that only the dask path accepts (e.g. ``depth``); passing them with an
        in-memory array is a ``TypeError`` that says so.

    Returns
    -------
    callable
        The decorator.  The wrapped function keeps its name, docstring and signature.
    """
    module_name, _, name = target.partition(":")

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def dispatch(image: Any, *args: Any, **kwargs: Any) -> Any:
            if is_dask_array(image):
                implementation = getattr(importlib.import_module(module_name), name)
                return implementation(image, *args, **kwargs)
            extra = sorted(set(kwargs) & set(dask_only))
            if extra:
                raise TypeError(f"{func.__name__}() got {', '.join(extra)}=, which applies "
                                "to dask arrays only (the overlap between tiles)")
            return func(image, *args, **kwargs)

        return dispatch

    return decorate


def dask_method(target: str, predicate: Callable[[Any], bool] | None = None) -> Callable:
    """Decorate a method so that a dask argument (after ``self``) goes to ``target``.

    Parameters
    ----------
    target : str
        ``"package.module:function"`` called as ``function(self, data, *args, **kwargs)``;
        imported on first use.
    predicate : callable, optional
        Which inputs take the dask path (default :func:`is_dask_array`).

    Returns
    -------
    callable
        The decorator.
    """
    module_name, _, name = target.partition(":")
    test = is_dask_array if predicate is None else predicate

    def decorate(method: Callable) -> Callable:
        @functools.wraps(method)
        def dispatch(self: Any, data: Any, *args: Any, **kwargs: Any) -> Any:
            if test(data):
                implementation = getattr(importlib.import_module(module_name), name)
                return implementation(self, data, *args, **kwargs)
            return method(self, data, *args, **kwargs)

        return dispatch

    return decorate


def is_document_chunks(documents: object) -> bool:
    """True for a ``dask.bag.Bag`` or a non-empty list/tuple of ``os.PathLike`` files.

    Plain strings stay documents (a list of ``str`` is a list of texts, as always).
    """
    if is_dask_bag(documents):
        return True
    return (isinstance(documents, (list, tuple)) and len(documents) > 0
            and all(isinstance(d, os.PathLike) for d in documents))


# -- images ----------------------------------------------------------------------------------


def check_image(image: Any, depth: dict[int, int], *, name: str = "image") -> None:
    """Check a dask image before a tiled solve; raise :class:`DaskInputError` naming the issue.

    Parameters
    ----------
    image : dask.array.Array
        The image.
    depth : dict of int to int
        Overlap per axis.
    name : str
        How the image is called in messages.

    Raises
    ------
    DaskInputError
        For a non-float dtype, unknown (NaN) chunk sizes, an empty image, or a chunk
        smaller than the overlap along an axis that has more than one chunk.
    """
    dtype = np.dtype(image.dtype)
    if dtype.kind != "f":
        raise DaskInputError(
            f"{name} is a dask array of dtype {dtype}; tiled solvers need float32 or float64 "
            f"tiles: convert first, e.g. {name}.astype('float32') / 255 for uint8 data")
    if any(math.isnan(c) for chunks in image.chunks for c in chunks):
        raise DaskInputError(
            f"{name} has unknown chunk sizes (NaN) {image.chunks}; the overlap needs known "
            f"tiles: call {name}.compute_chunk_sizes() or rechunk to a known shape first")
    if image.size == 0:
        raise DaskInputError(f"{name} is empty (shape {image.shape})")
    for axis, d in depth.items():
        chunks = image.chunks[axis]
        if len(chunks) > 1 and min(chunks) < d:
            raise DaskInputError(
                f"{name} has a chunk of {min(chunks)} pixels along axis {axis}, smaller than "
                f"the overlap depth {d}: rechunk to at least {d} pixels per chunk (e.g. "
                f"{name}.rechunk({max(d, 256)})) or pass a smaller depth=")


def _tile_function(func: Callable, kwargs: dict) -> Callable:
    """``func(tile, **kwargs)`` with any failure re-raised as a :class:`TileError` naming it."""

    def solve_tile(tile: np.ndarray, block_info: dict | None = None) -> np.ndarray:
        try:
            return func(tile, **kwargs)
        except Exception as exc:
            where = "?"
            if block_info and 0 in block_info:
                where = str(tuple(block_info[0]["chunk-location"]))
            raise TileError(f"{getattr(func, '__name__', 'solver')} failed on tile "
                            f"{where} (shape {tile.shape}): {type(exc).__name__}: "
                            f"{exc}") from exc

    return solve_tile


def spatial_depth(ndim: int, depth: int, channel_axis: int | None) -> dict[int, int]:
    """``{axis: depth}`` for the spatial axes, 0 along the channel axis."""
    if channel_axis is None:
        return {a: depth for a in range(ndim)}
    channel = channel_axis % ndim
    return {a: (0 if a == channel else depth) for a in range(ndim)}


def _merge_small_last_chunks(image: Any, depth: dict[int, int]) -> Any:
    """Merge a last chunk thinner than the overlap into its neighbour (an image size that
    is not a multiple of the chunk size); thin chunks elsewhere are left to the check."""
    if any(math.isnan(c) for chunks in image.chunks for c in chunks):
        return image
    new_chunks = []
    for axis, chunks in enumerate(image.chunks):
        d = depth.get(axis, 0)
        if len(chunks) > 1 and chunks[-1] < d:
            chunks = chunks[:-2] + (chunks[-2] + chunks[-1],)
        new_chunks.append(chunks)
    new_chunks = tuple(new_chunks)
    return image if new_chunks == image.chunks else image.rechunk(new_chunks)


def map_image_solver(func: Callable[..., np.ndarray], image: Any, depth: int | dict, *,
                     channel_axis: int | None = None, dtype: Any = None,
                     **kwargs: Any) -> Any:
    """Apply an in-memory image solver tile by tile, lazily, with an overlap.

    ``func(tile, **kwargs)`` (with ``channel_axis=`` too when it is not None) must return
    an array of the tile's shape.  Each tile is
    extended by ``depth`` pixels of its neighbours on inner edges (none at the image's
    outer edge: ``boundary="none"``, so the solver's own border condition applies there as
    for the whole image), solved, and trimmed back.  A solver whose influence decays within
    ``depth`` pixels, stopped by a rule that does not depend on the tile (a fixed
    iteration count, or a pointwise tolerance), gives the whole image's result up to that
    decay.  This is the hook for ``denoise_*`` and ``segment``.

    Parameters
    ----------
    func : callable
        ``func(tile, **kwargs) -> ndarray`` of the tile's shape.
    image : dask.array.Array, shape (M, N[, ...][, C])
        Float image.  A last chunk thinner than ``depth`` along an axis is merged into
        its neighbour; any other chunk must be at least ``depth`` pixels.
    depth : int or dict
        Overlap in pixels along every spatial axis (0 along ``channel_axis``), or a dict
        ``{axis: depth}``.
    channel_axis : int or None, optional
        Axis of the channels: no overlap along it, and passed on to ``func``.
    dtype : dtype, optional
        Output dtype (default: the image's).
    **kwargs
        Passed to ``func``.

    Returns
    -------
    dask.array.Array
        Lazy result, same shape and chunks as ``image``.

    Raises
    ------
    DaskInputError
        See :func:`check_image`.
    TileError
        At compute time, when ``func`` fails on a tile (the message names the tile).

    Examples
    --------
    >>> import dask.array as da, numpy as np
    >>> x = da.ones((8, 8), chunks=4)
    >>> map_image_solver(lambda t, scale: t * scale, x, 2, scale=2.0).sum().compute()
    np.float64(128.0)
    """
    if isinstance(depth, dict):
        per_axis = {int(a) % image.ndim: int(d) for a, d in depth.items()}
    else:
        if not (isinstance(depth, (int, np.integer)) and depth >= 0):
            raise ValueError(f"depth must be a non-negative int, got {depth!r}")
        per_axis = spatial_depth(image.ndim, int(depth), channel_axis)
    image = _merge_small_last_chunks(image, per_axis)
    check_image(image, per_axis)
    if channel_axis is not None:
        kwargs = {"channel_axis": channel_axis, **kwargs}
    # A single tile along an axis needs no overlap (dask would otherwise want depth <= size).
    per_axis = {a: (d if len(image.chunks[a]) > 1 else 0) for a, d in per_axis.items()}
    out_dtype = np.dtype(image.dtype if dtype is None else dtype)
    return image.map_overlap(_tile_function(func, kwargs), depth=per_axis, boundary="none",
                             trim=True, dtype=out_dtype,
                             meta=np.empty((0,) * image.ndim, out_dtype))


# -- storage ---------------------------------------------------------------------------------


def _temporary_sibling(path: Path) -> Path:
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")


def _write_region(block: np.ndarray, path: str, block_info: dict | None = None) -> np.ndarray:
    """Write one block into the ``.npy`` file at ``path`` (opened by the worker itself)."""
    location = block_info[0]["array-location"]
    target = np.load(path, mmap_mode="r+")
    target[tuple(slice(start, stop) for start, stop in location)] = block
    target.flush()
    del target
    return np.ones((1,) * block.ndim, dtype=bool)


def store_npy(array: Any, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Compute a dask array block by block into a ``.npy`` file, never holding it in memory.

    Blocks are written into a memory map of a temporary file next to ``path`` by the
    workers themselves (threads, processes or a ``dask.distributed`` cluster sharing the
    file system); the file is renamed to ``path`` only when every block succeeded, so a
    failure never leaves a complete-looking output.

    Parameters
    ----------
    array : dask.array.Array
        The (lazy) result.
    path : str or path-like
        Destination ``.npy`` file (read it back with ``np.load(path, mmap_mode="r")``).
    overwrite : bool, optional
        Replace an existing file (only after success).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    FileExistsError
        When ``path`` exists and ``overwrite`` is False.
    RuntimeError
        When computing a block failed (the cause is chained; nothing is left at ``path``).
    """
    da = import_dask_array()
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    if any(math.isnan(c) for chunks in array.chunks for c in chunks):
        raise DaskInputError(f"cannot store an array with unknown chunk sizes {array.chunks}")
    tmp = _temporary_sibling(path)
    target = np.lib.format.open_memmap(tmp, mode="w+", dtype=array.dtype, shape=array.shape)
    del target  # header written, data allocated sparsely; workers open their own maps
    try:
        done = da.map_blocks(_write_region, array, str(tmp), dtype=bool,
                             chunks=tuple((1,) * len(c) for c in array.chunks))
        n_written = int(done.sum().compute())
        if n_written != math.prod(len(c) for c in array.chunks):
            raise RuntimeError(f"only {n_written} blocks were written")
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise RuntimeError(f"computing the array for {path} failed ({type(exc).__name__}: "
                           f"{exc}); nothing was written to {path}") from exc
    os.replace(tmp, path)
    return path


def store_zarr(array: Any, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Compute a dask array into a zarr store (a folder), renamed into place on success.

    Requires the optional ``zarr`` package.  Same guarantees as :func:`store_npy`.

    Parameters
    ----------
    array : dask.array.Array
        The (lazy) result.
    path : str or path-like
        Destination folder (``*.zarr``).
    overwrite : bool, optional
        Replace an existing store (only after success).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    da = import_dask_array()
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    tmp = _temporary_sibling(path)
    try:
        da.to_zarr(array, str(tmp), overwrite=True)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise RuntimeError(f"computing the array for {path} failed ({type(exc).__name__}: "
                           f"{exc}); nothing was written to {path}") from exc
    if path.exists():
        old = _temporary_sibling(path)
        os.replace(path, old)
        os.replace(tmp, path)
        shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink()
    else:
        os.replace(tmp, path)
    return path
