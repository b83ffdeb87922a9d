"""Structured matrices and banded solves of ``scipy.linalg``, composed from
differentiable indexing and concatenation: block_diag, toeplitz, circulant, hankel
and solve_banded (re-exported, and registered as the alternatives to SciPy's, by
:mod:`autodiff.scipy.linalg`)."""

from __future__ import annotations

import numpy as np

from .._shapes import ndim_of, shape_of

__all__ = ["solve_banded", "block_diag", "toeplitz", "circulant", "hankel"]


# --- banded systems and block-diagonal assembly (composed) --------------------------------
def solve_banded(l_and_u, ab, b, overwrite_ab=False, overwrite_b=False, check_finite=True):
    """Solve the banded system in SciPy's storage (``ab[u + i - j, j] = A[i, j]``)."""
    lower, upper = (int(v) for v in l_and_u)
    rows, n = shape_of(ab)
    if rows != lower + upper + 1:
        raise ValueError(f"invalid values for the number of lower and upper diagonals: "
                         f"l+u+1 ({lower + upper + 1}) does not equal ab.shape[0] ({rows})")
    i, j = np.indices((n, n))
    band = upper + i - j
    inside = (band >= 0) & (band < rows)
    dense = np.where(inside, ab[np.clip(band, 0, rows - 1), j], 0.0)
    return np.linalg.solve(dense, b)


def block_diag(*arrs):
    """Block-diagonal matrix of the given blocks (1-D blocks are rows, as in SciPy)."""
    blocks = []
    for x in arrs:
        nd = ndim_of(x)
        if nd > 2:
            raise ValueError("arguments in the following positions have dimension greater "
                             "than 2")
        blocks.append(np.reshape(x, (1,) * (2 - nd) + shape_of(x)) if nd < 2 else x)
    if not blocks:
        return np.empty((1, 0))
    widths = [shape_of(x)[1] for x in blocks]
    total = sum(widths)
    rows, left = [], 0
    for x, w in zip(blocks, widths):
        r = shape_of(x)[0]
        rows.append(np.concatenate([np.zeros((r, left)), x, np.zeros((r, total - left - w))],
                                   axis=1))
        left += w
    return np.concatenate(rows, axis=0)


# --- structured matrices ----------------------------------------------------------------
def _vector(x, name):
    if ndim_of(x) != 1:
        raise ValueError(f"autodiff.scipy.linalg.{name} expects 1-D input")
    return x


def toeplitz(c, r=None):
    """Toeplitz matrix with first column ``c`` and first row ``r`` (``r[0]`` ignored)."""
    c = _vector(c, "toeplitz")
    r = c if r is None else _vector(r, "toeplitz")
    m, n = shape_of(c)[0], shape_of(r)[0]
    values = np.concatenate([r[:0:-1], c])
    i, j = np.indices((m, n))
    return values[n - 1 + i - j]


def circulant(c):
    """Circulant matrix with first column ``c``."""
    n = shape_of(_vector(c, "circulant"))[0]
    i, j = np.indices((n, n))
    return c[(i - j) % n]


def hankel(c, r=None):
    """Hankel matrix with first column ``c`` and last row ``r`` (``r[0]`` ignored)."""
    c = _vector(c, "hankel")
    m = shape_of(c)[0]
    if r is None:
        r = np.zeros(m)
    n = shape_of(_vector(r, "hankel"))[0]
    values = np.concatenate([c, r[1:]])
    i, j = np.indices((m, n))
    return values[i + j]
