"""A constant ``scipy.sparse`` matrix times a traced dense array.

``X @ w``, ``X.T @ w``, ``X.dot(w)``, ``w @ X`` and ``np.dot(X, w)`` with a constant
sparse ``X`` are linear in ``w``: the forward rule is ``X @ t`` for every tangent
and the reverse rule is ``X.T @ g``.  The sparse matrix is never densified.

SciPy's ``X @ w`` converts ``w`` with ``np.asarray`` before Python could ask the
tracer, so this module wraps SciPy's sparse ``__matmul__`` once, at import, with a
type check that hands traced operands to the differentiable product and leaves
every other call to SciPy unchanged.  Every other sparse operation on a tracer
raises a ``TypeError`` that names the supported products.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.sparse

from .._registry import SPARSE_PRODUCTS, declare
from .._shapes import batch_size, shape_of
from .._tracer import Tracer

__all__ = ["is_sparse", "sparse_matmul", "sparse_rmatmul"]


def is_sparse(x) -> bool:
    """True for SciPy sparse matrices and arrays."""
    return scipy.sparse.issparse(x)


def _product(x, w):
    return np.asarray(x @ w)


def _batched_product(x, t):
    """``X @ t[i]`` for each tangent ``t[i]``, as one sparse product."""
    k = batch_size(t)
    n = shape_of(t)[1]
    rest = shape_of(t)[2:]
    cols = np.reshape(np.moveaxis(t, 0, -1), (n, -1))  # (n, rest... * k)
    out = _matmul_p(x, cols)
    return np.moveaxis(np.reshape(out, (shape_of(out)[0],) + rest + (k,)), -1, 0)


_matmul_p = declare(
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


SPARSE_PRODUCTS["matmul"] = sparse_matmul
SPARSE_PRODUCTS["rmatmul"] = sparse_rmatmul


def _hand_tracers_to_autodiff(cls) -> None:
    original = cls.__matmul__
    if getattr(original, "_autodiff_hook", False):
        return

    @functools.wraps(original)
    def __matmul__(self, other):
        if isinstance(other, Tracer):
            return sparse_matmul(self, other)
        return original(self, other)

    __matmul__._autodiff_hook = True
    cls.__matmul__ = __matmul__


_hand_tracers_to_autodiff(next(c for c in scipy.sparse.csr_array.__mro__
                               if "__matmul__" in vars(c)))
