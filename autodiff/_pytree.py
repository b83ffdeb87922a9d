"""Pytrees: nested tuples, lists and dicts whose leaves are arrays or scalars."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

__all__ = ["TreeDef", "tree_flatten", "tree_unflatten"]


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
    if type(tree) in _LEAF_TYPES:  # the common single array or number
        return [tree], _LEAF
    leaves: list = []
    return leaves, _flatten(tree, leaves)


_LEAF_TYPES = frozenset((np.ndarray, float, int, complex, np.float64, np.float32,
                         np.complex128))


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
    if treedef.kind is None:  # a single leaf
        return next(iter(leaves))
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
