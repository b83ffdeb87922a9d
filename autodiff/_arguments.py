"""Validation and bookkeeping of the arguments and results of the transforms."""

from __future__ import annotations

import numpy as np

from ._shapes import shape_of
from ._tracer import Tracer, base_value

#: Largest Jacobian/Hessian (in bytes) that jacfwd/jacrev/hessian will build.
MAX_DENSE_BYTES = 2 * 1024**3


def as_float_leaf(x, where: str):
    """Validate a differentiated leaf: floating (real or complex) arrays and scalars."""
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
    if isinstance(x, complex) and not isinstance(x, np.complexfloating):
        return np.complex128(x)
    arr = x if isinstance(x, (np.ndarray, np.generic)) else np.asarray(x)
    if not np.issubdtype(arr.dtype, np.inexact):
        raise TypeError(f"{where}: input of type {type(x).__name__} (dtype {arr.dtype}) "
                        "cannot be differentiated")
    return arr


def check_holomorphic_inputs(leaves, where: str, holomorphic: bool) -> None:
    """JAX's rule: ``holomorphic=True`` needs complex inputs; without it, transforms that
    build a complex-linear derivative (jacfwd, hessian) refuse complex inputs."""
    for x in leaves:
        complex_input = dtype_of(x).kind == "c"
        if holomorphic and not complex_input:
            raise TypeError(
                f"{where}(holomorphic=True) needs complex inputs, got dtype "
                f"{dtype_of(x)}; pass x.astype(complex)")
        if not holomorphic and complex_input and where in ("jacfwd", "hessian"):
            raise TypeError(
                f"{where} of a function of complex inputs: pass holomorphic=True if the "
                "function is holomorphic (complex-differentiable); otherwise differentiate "
                "the real and imaginary parts as two real inputs, or use ad.jvp / ad.vjp / "
                "ad.grad, which accept complex inputs")


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
    if (isinstance(value, _NUMPY_VALUES) and isinstance(like, _NUMPY_VALUES)
            and value.dtype == like.dtype):
        return value
    dtype = dtype_of(like)
    if dtype.kind not in "fc" or dtype_of(value) == dtype:
        return value
    if dtype.kind != "c" and dtype_of(value).kind == "c":
        value = np.real(value)  # a real input's cotangent or tangent is real
        if dtype_of(value) == dtype:
            return value
    if isinstance(value, Tracer):
        return value.astype(dtype)
    return np.asarray(value).astype(dtype)


_NUMPY_VALUES = (np.ndarray, np.generic)


def dtype_of(x) -> np.dtype:
    """The dtype of an array, scalar or tracer (read directly from NumPy values)."""
    if isinstance(x, _NUMPY_VALUES):
        return x.dtype
    return np.result_type(base_value(x))


def float_dtype_of(x) -> np.dtype:
    """The dtype of ``x`` if it is floating (real or complex), float64 otherwise."""
    dtype = dtype_of(x)
    return dtype if dtype.kind in "fc" else np.dtype(np.float64)


def zeros_like(x):
    v = base_value(x)
    return np.zeros(np.shape(v), dtype=float_dtype_of(v))


def check_dense_size(n_out: int, n_in: int, itemsize: int, what: str, hint: str) -> None:
    size = n_out * n_in * itemsize
    if size > MAX_DENSE_BYTES:
        raise MemoryError(
            f"{what} would have {n_out} x {n_in} entries ({size / 2**30:.1f} GiB); {hint}")


def check_real_output(value, where: str, holomorphic: bool = False) -> None:
    """Real outputs for grad/jacrev; complex ones only with ``holomorphic=True``."""
    dtype = dtype_of(value)
    if holomorphic:
        if dtype.kind != "c":
            raise TypeError(f"{where}(holomorphic=True) needs a complex output, got dtype "
                            f"{dtype}")
        return
    if dtype.kind == "c":
        raise TypeError(
            f"{where} requires a real output, but the function returned the complex dtype "
            f"{dtype}. If the function is holomorphic (complex-differentiable), pass "
            f"holomorphic=True; otherwise differentiate a real function of it, such as "
            "np.abs(f(z)) ** 2, or its real and imaginary parts separately")
    if dtype.kind != "f":
        raise TypeError(f"{where} requires a real floating-point output, got dtype {dtype}")


def same_shape(t, p, where: str) -> None:
    if shape_of(t) != shape_of(p):
        raise ValueError(f"{where}: tangent shape {shape_of(t)} does not match primal "
                         f"{shape_of(p)}")
