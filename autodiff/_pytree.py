"""Pytrees: nested tuples, lists and dicts whose leaves are arrays or scalars."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

__all__ = ["TreeDef", "tree_flatten", "tree_unflatten", "tree_map", "ravel_pytree"]


class TreeDef(NamedTuple):
    """Structure of a pytree: node kind, dict keys (sorted) and child structures."""

    kind: type | None  # None for a leaf
    keys: tuple = ()
    children: tuple = ()


_LEAF = TreeDef(None)


def tree_flatten(tree: Any) -> tuple[list, TreeDef]:
    """Return the leaves of ``tree`` in a fixed order and its structure.

    Dict entries are visited in sorted key order, as in JAX.
    """
    leaves: list = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree, leaves) -> TreeDef:
    if isinstance(tree, (tuple, list)) and not hasattr(tree, "_fields"):
        return TreeDef(type(tree), (), tuple(_flatten(c, leaves) for c in tree))
    if isinstance(tree, tuple):  # namedtuple
        return TreeDef(type(tree), (), tuple(_flatten(c, leaves) for c in tree))
    if isinstance(tree, dict):
        keys = tuple(sorted(tree))
        return TreeDef(type(tree), keys, tuple(_flatten(tree[k], leaves) for k in keys))
    if tree is None:
        return TreeDef(type(None))
    leaves.append(tree)
    return _LEAF


def tree_unflatten(treedef: TreeDef, leaves) -> Any:
    """Rebuild a pytree of structure ``treedef`` from ``leaves``."""
    it = iter(leaves)
    out = _unflatten(treedef, it)
    return out


def _unflatten(td: TreeDef, it):
    if td.kind is None:
        return next(it)
    if td.kind is type(None):
        return None
    children = [_unflatten(c, it) for c in td.children]
    if td.keys:
        return td.kind(zip(td.keys, children))
    if issubclass(td.kind, dict):
        return td.kind()
    if hasattr(td.kind, "_fields"):
        return td.kind(*children)
    return td.kind(children)


def tree_map(f, tree: Any, *rest: Any) -> Any:
    """Apply ``f`` leafwise to ``tree`` (and trees of the same structure in ``rest``)."""
    leaves, td = tree_flatten(tree)
    others = [tree_flatten(r)[0] for r in rest]
    return tree_unflatten(td, [f(*xs) for xs in zip(leaves, *others)])


def ravel_pytree(tree: Any) -> tuple[np.ndarray, Any]:
    """Flatten a pytree of arrays into one 1-D array and return a function undoing it."""
    leaves, td = tree_flatten(tree)
    arrays = [np.asarray(x) for x in leaves]
    shapes = [a.shape for a in arrays]
    sizes = [a.size for a in arrays]
    dtypes = [a.dtype for a in arrays]
    dtype = np.result_type(*dtypes) if arrays else np.float64
    flat = np.concatenate([a.ravel() for a in arrays]).astype(dtype) if arrays else np.zeros(0)
    splits = np.cumsum(sizes)[:-1]

    def unravel(vec):
        parts = np.split(vec, splits) if len(sizes) > 1 else [vec]
        return tree_unflatten(
            td, [p.reshape(s) for p, s, dt in zip(parts, shapes, dtypes)]
        )

    return flat, unravel
