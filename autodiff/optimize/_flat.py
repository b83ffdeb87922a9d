"""Flat views of pytrees of arrays.

The solvers work on one flat vector; users hand in (and get back) nested tuples, lists and
dicts of arrays.  This module converts between the two without touching the AD core:
:func:`unflatten` uses only slicing and ``np.reshape``, so it is itself differentiable when
the flat vector is a traced array.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

__all__ = ["TreeDef", "flatten", "unflatten", "flatten_like"]


class TreeDef(NamedTuple):
    """Structure of a pytree: ``kind`` is ``"leaf"``, ``"tuple"``, ``"list"`` or ``"dict"``.

    For a leaf, ``meta`` is its shape and ``children`` is empty; for a dict, ``meta`` holds
    the keys; for a tuple, ``meta`` holds the tuple type (namedtuples are rebuilt as such).
    ``size`` is the number of scalars below this node.
    """

    kind: str
    meta: Any
    children: tuple
    size: int


def _structure(tree: Any) -> tuple[TreeDef, list]:
    leaves: list = []

    def walk(node: Any) -> TreeDef:
        if isinstance(node, dict):
            keys = tuple(node)
            kids = tuple(walk(node[k]) for k in keys)
            return TreeDef("dict", keys, kids, sum(k.size for k in kids))
        if isinstance(node, (tuple, list)):
            kids = tuple(walk(v) for v in node)
            kind = "list" if isinstance(node, list) else "tuple"
            meta = None if kind == "list" else type(node)
            return TreeDef(kind, meta, kids, sum(k.size for k in kids))
        arr = np.asarray(node)
        if arr.dtype == object or not (
            np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_
        ):
            raise TypeError(
                f"cannot optimize over a leaf of type {type(node).__name__} "
                f"(dtype {arr.dtype}); use arrays or nested tuples/lists/dicts of arrays"
            )
        if np.iscomplexobj(arr):
            raise TypeError("complex parameters are not supported; split real and imaginary parts")
        leaves.append(arr)
        return TreeDef("leaf", arr.shape, (), arr.size)

    treedef = walk(tree)
    return treedef, leaves


def _float_dtype(leaves: list) -> np.dtype:
    if not leaves:
        return np.dtype(np.float64)
    dtype = np.result_type(*[leaf.dtype for leaf in leaves])
    if not np.issubdtype(dtype, np.floating):
        return np.dtype(np.float64)
    return dtype


def flatten(tree: Any, dtype: Any = None) -> tuple[np.ndarray, TreeDef]:
    """Copy a pytree of arrays into one new 1-D floating vector.

    Parameters
    ----------
    tree : array_like or nested tuple/list/dict of array_like
        The parameters.  Integer and boolean leaves are promoted to float64.  A flat list or
        tuple of plain numbers (``[1.3, 0.7]``, SciPy's habit) is read as a 1-D array.
    dtype : dtype, optional
        Floating dtype of the flat vector; by default the common floating type of the leaves
        (float32 leaves stay float32).

    Returns
    -------
    flat : ndarray, shape (n,)
        A fresh copy; the input is never aliased.
    treedef : TreeDef
        What :func:`unflatten` needs to rebuild the structure.
    """
    if isinstance(tree, (list, tuple)) and not hasattr(tree, "_fields") and tree and all(
        isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in tree
    ):
        tree = np.asarray(tree)  # SciPy habit: a flat list of numbers means a 1-D array
    treedef, leaves = _structure(tree)
    dtype = _float_dtype(leaves) if dtype is None else np.dtype(dtype)
    if not leaves:
        return np.zeros(0, dtype=dtype), treedef
    flat = np.concatenate([np.ravel(leaf).astype(dtype, copy=False) for leaf in leaves])
    if len(leaves) == 1 and np.shares_memory(flat, leaves[0]):
        flat = flat.copy()
    return flat, treedef


def unflatten(treedef: TreeDef, flat: Any) -> Any:
    """Rebuild the pytree described by ``treedef`` from a flat vector (views where possible).

    Works on traced vectors too: only ``flat[a:b]`` and ``np.reshape`` are used.
    """
    if treedef.kind == "leaf":  # fast path: one array parameter, no slicing
        return flat if len(treedef.meta) == 1 else np.reshape(flat, treedef.meta)
    pos = 0

    def build(node: TreeDef) -> Any:
        nonlocal pos
        if node.kind == "leaf":
            piece = flat[pos:pos + node.size]
            pos += node.size
            return np.reshape(piece, node.meta)
        kids = [build(child) for child in node.children]
        if node.kind == "dict":
            return dict(zip(node.meta, kids))
        if node.kind == "list":
            return kids
        if node.meta is tuple:
            return tuple(kids)
        if hasattr(node.meta, "_fields"):  # namedtuple
            return node.meta(*kids)
        return node.meta(kids)

    return build(treedef)


def flatten_like(treedef: TreeDef, tree: Any, dtype: Any) -> np.ndarray:
    """Flatten ``tree`` (e.g. a gradient) and check it has the structure of ``treedef``."""
    if treedef.kind == "leaf":
        arr = np.asarray(tree)
        if arr.size != treedef.size:
            raise ValueError(
                f"gradient has {arr.size} entries but the parameters have {treedef.size}"
            )
        return np.ravel(arr).astype(dtype, copy=False)
    other, leaves = _structure(tree)
    if other.size != treedef.size or _strip(other) != _strip(treedef):
        raise ValueError("gradient does not have the same pytree structure as the parameters")
    if not leaves:
        return np.zeros(0, dtype=dtype)
    return np.concatenate([np.ravel(leaf).astype(dtype, copy=False) for leaf in leaves])


def _strip(node: TreeDef) -> Any:
    # structure without leaf shapes (a scalar leaf may come back as a 0-d array or a float)
    if node.kind == "leaf":
        return ("leaf", node.size)
    return (node.kind, node.meta if node.kind == "dict" else None,
            tuple(_strip(c) for c in node.children))

