"""A constant ``scipy.sparse`` matrix times a traced dense array.

``X @ w`` (and ``w @ X``) with a constant sparse ``X`` is linear in ``w``: the
forward rule is ``X @ t`` for every tangent and the reverse rule is ``X.T @ g``.
The sparse matrix is never densified.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

from .._tracer import shape_of
from ..numpy._helpers import batch_size, make_primitive

__all__ = ["is_sparse", "sparse_matmul", "sparse_rmatmul"]


def is_sparse(x) -> bool:
    """True for SciPy sparse matrices and arrays."""
    return scipy.sparse.issparse(x)


def _product(x, w):
    out = x @ w
    return np.asarray(out)


def _batched_product(x, t):
    """``X @ t[i]`` for each tangent ``t[i]``, as one sparse product."""
    k = batch_size(t)
    n = shape_of(t)[1]
    rest = shape_of(t)[2:]
    cols = np.reshape(np.moveaxis(t, 0, -1), (n, -1))  # (n, rest... * k)
    out = _matmul_p(x, cols)
    return np.moveaxis(np.reshape(out, (shape_of(out)[0],) + rest + (k,)), -1, 0)


_matmul_p = make_primitive(
    _product, "sparse_matmul",
    vjps=[None, lambda ans, x, w: lambda g: _matmul_p(x.T, g)],
    jvps=[None, lambda t, ans, x, w: _batched_product(x, t)],
)


def sparse_matmul(x, w):
    """``x @ w`` for a constant sparse ``x`` of shape (m, n) and ``w`` of shape (n,) or (n, p)."""
    if len(shape_of(w)) not in (1, 2):
        raise ValueError(
            f"sparse @ dense needs a 1-D or 2-D dense operand, got shape {shape_of(w)}")
    return _matmul_p(x, w)


def sparse_rmatmul(w, x):
    """``w @ x`` for a constant sparse ``x``: computed as ``(x.T @ w.T).T``."""
    return np.transpose(sparse_matmul(x.T, np.transpose(w)))
