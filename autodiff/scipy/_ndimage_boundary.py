"""Boundary modes of :mod:`autodiff.scipy.ndimage`: index extension, padding, its adjoint.

SciPy's mode names map to five index-extension rules (``reflect``, ``mirror``,
``nearest``, ``wrap``, ``constant``).  ``_pad`` extends the trailing axes of an
array by a rule; ``_pad_adjoint`` is its exact transpose, which folds the padded
border back onto the pixels it copied.  Both are primitives, each the other's
derivative, so every filter built on them is differentiable to any order.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import _tracer as ad
from .._registry import library_primitive

# ------------------------------------------------------------------------------------
# boundary modes
# ------------------------------------------------------------------------------------

# Modes of the filters (correlate, gaussian_filter) mapped to index-extension rules.
_FILTER_MODES = {
    "reflect": "reflect",
    "grid-mirror": "reflect",
    "mirror": "mirror",
    "nearest": "nearest",
    "wrap": "wrap",
    "grid-wrap": "wrap",
    "constant": "constant",
    "grid-constant": "constant",
}
# Modes of the interpolation: rule for the spline coefficients outside the grid.
# scipy's 'constant' mirrors the coefficients inside and returns cval for points
# outside [0, n - 1]; 'grid-constant' treats every node outside as cval.
_INTERP_MODES = {
    "reflect": "reflect",
    "grid-mirror": "reflect",
    "mirror": "mirror",
    "nearest": "nearest",
    "grid-wrap": "wrap",
    "constant": "mirror",
    "grid-constant": "constant",
}


def _extend_index(i: np.ndarray, n: int, rule: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Map integer indices (any range) into ``[0, n)`` by a boundary rule.

    Returns the mapped indices and, for ``'constant'``, the mask of indices that
    were inside (outside ones read the constant).
    """
    if rule == "nearest":
        return np.clip(i, 0, n - 1), None
    if rule == "wrap":
        return np.mod(i, n), None
    if rule == "reflect":  # half-sample symmetric: d c b a | a b c d | d c b a
        j = np.mod(i, 2 * n)
        return np.where(j >= n, 2 * n - 1 - j, j), None
    if rule == "mirror":  # whole-sample symmetric: d c b | a b c d | c b a
        if n == 1:
            return np.zeros_like(i), None
        j = np.mod(i, 2 * n - 2)
        return np.where(j >= n, 2 * n - 2 - j, j), None
    if rule == "constant":
        inside = (i >= 0) & (i < n)
        return np.clip(i, 0, n - 1), inside
    raise ValueError(f"unknown boundary rule {rule!r}")


def _check_mode(mode: str, table: dict, what: str) -> str:
    if mode not in table:
        raise ValueError(f"{what}: mode must be one of {sorted(table)}, got {mode!r}")
    return table[mode]


# ------------------------------------------------------------------------------------
# padding and its adjoint
# ------------------------------------------------------------------------------------


def _pad_indices(n: int, before: int, after: int, rule: str):
    return _extend_index(np.arange(-before, n + after), n, rule)


@library_primitive
def _pad(x, *, widths: tuple, rule: str, cval: float = 0.0):
    """Extend the trailing ``len(widths)`` axes of ``x`` by a boundary rule."""
    out = np.asarray(x)
    lead = out.ndim - len(widths)
    for a, (before, after) in enumerate(widths):
        if before == 0 and after == 0:
            continue
        axis = lead + a
        idx, inside = _pad_indices(out.shape[axis], before, after, rule)
        out = np.take(out, idx, axis=axis)
        if inside is not None:
            shape = [1] * out.ndim
            shape[axis] = idx.size
            out = np.where(inside.reshape(shape), out, cval)
    return out


@functools.lru_cache(maxsize=64)
def _fold_matrix(n: int, before: int, after: int, rule: str):
    import scipy.sparse

    idx, inside = _pad_indices(n, before, after, rule)
    cols = np.arange(idx.size)
    if inside is not None:
        idx, cols = idx[inside], cols[inside]
    return scipy.sparse.csr_matrix((np.ones(idx.size), (idx, cols)), shape=(n, n + before + after))


@library_primitive
def _pad_adjoint(g, *, widths: tuple, rule: str, shape: tuple):
    """Adjoint of :func:`_pad`: fold the border back onto the pixels it copied."""
    out = np.asarray(g, dtype=np.result_type(g, np.float64))
    lead = out.ndim - len(widths)
    for a, (before, after) in enumerate(widths):
        if before == 0 and after == 0:
            continue
        axis = lead + a
        fold = _fold_matrix(shape[a], before, after, rule)
        moved = np.moveaxis(out, axis, 0)
        folded = fold @ moved.reshape(moved.shape[0], -1)
        out = np.moveaxis(folded.reshape((shape[a],) + moved.shape[1:]), 0, axis)
    return out


ad.defvjp(_pad, lambda ans, x, **kw: lambda g: _pad_adjoint(
    g, widths=kw["widths"], rule=kw["rule"], shape=tuple(x.shape[x.ndim - len(kw["widths"]):])))
ad.defjvp(_pad, lambda t, ans, x, **kw: _pad(t, widths=kw["widths"], rule=kw["rule"], cval=0.0))
ad.defvjp(_pad_adjoint, lambda ans, g, **kw: lambda h: _pad(
    h, widths=kw["widths"], rule=kw["rule"], cval=0.0))
ad.defjvp(_pad_adjoint, lambda t, ans, g, **kw: _pad_adjoint(t, **kw))
