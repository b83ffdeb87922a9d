"""Validation and bookkeeping of the arguments and results of the transforms."""

from __future__ import annotations

import numpy as np

from ._shapes import shape_of
from ._tracer import Tracer, base_value

#: Largest Jacobian/Hessian (in bytes) that jacfwd/jacrev/hessian will build.
MAX_DENSE_BYTES = 2 * 1024**3


def as_float_leaf(x, where: str):
    """Validate a differentiated leaf: real floating arrays and scalars only."""
    if isinstance(x, Tracer):
        return x
    if isinstance(x, (bool, np.bool_)) or (isinstance(x, np.ndarray) and x.dtype == bool):
        raise TypeError(f"{where}: cannot differentiate with respect to a boolean input")
    if isinstance(x, (int, np.integer)) or (
            isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.integer)):
        kind = type(x).__name__ if not isinstance(x, np.ndarray) else f"{x.dtype} array"
        raise TypeError(
            f"{where}: input is an integer ({kind}); derivatives need floating-point inputs. "
            "Pass x.astype(float) or a float literal such as 2.0.")
    if isinstance(x, float) and not isinstance(x, np.floating):
        return np.float64(x)
    arr = x if isinstance(x, (np.ndarray, np.generic)) else np.asarray(x)
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(
            f"{where}: input has the complex dtype {arr.dtype}; complex inputs are not supported "
            "yet (the derivative rules are real). Pass the real and imaginary parts as two "
            "real arrays.")
    if not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(f"{where}: input of type {type(x).__name__} (dtype {arr.dtype}) "
                        "cannot be differentiated")
    return arr


def argnums_tuple(argnums, nargs: int, where: str) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for n in nums:
        if not -nargs <= n < nargs:
            raise ValueError(f"{where}: argnums={argnums} but the function got {nargs} arguments")
    return tuple(n % nargs for n in nums)


def cast_like(value, like):
    """Return ``value`` with the floating dtype of ``like`` (float32 in, float32 out).

    A traced ``value`` is cast with the differentiable ``astype``, so derivatives of
    derivatives keep the dtype too.
    """
    dtype = np.result_type(base_value(like))
    if not np.issubdtype(dtype, np.inexact) or np.result_type(base_value(value)) == dtype:
        return value
    if isinstance(value, Tracer):
        return value.astype(dtype)
    return np.asarray(value).astype(dtype)


def zeros_like(x):
    v = base_value(x)
    dtype = np.result_type(v)
    return np.zeros(np.shape(v), dtype=dtype if np.issubdtype(dtype, np.inexact) else float)


def check_dense_size(n_out: int, n_in: int, itemsize: int, what: str, hint: str) -> None:
    size = n_out * n_in * itemsize
    if size > MAX_DENSE_BYTES:
        raise MemoryError(
            f"{what} would have {n_out} x {n_in} entries ({size / 2**30:.1f} GiB); {hint}")


def check_real_output(value, where: str) -> None:
    dtype = np.result_type(base_value(value))
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"{where} requires a real floating-point output, got dtype {dtype}")


def same_shape(t, p, where: str) -> None:
    if shape_of(t) != shape_of(p):
        raise ValueError(f"{where}: tangent shape {shape_of(t)} does not match primal "
                         f"{shape_of(p)}")
