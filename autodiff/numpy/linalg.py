"""Differentiable ``numpy.linalg``.

Every function takes stacks of matrices ``(..., m, n)`` as NumPy does, and is
differentiable in forward and reverse mode to any order:

* ``solve``, ``inv``, ``det``, ``slogdet``, ``cholesky``, ``pinv``, ``lstsq``,
  ``matrix_power``, ``multi_dot`` (:mod:`._linalg_basic`);
* ``svd`` (``full_matrices``, ``compute_uv``), ``eigh``, ``eigvalsh``, ``eig`` and
  ``eigvals`` (real or complex matrices and spectra), ``qr`` (modes ``reduced``,
  ``complete``, ``r``) (:mod:`._linalg_decompositions`, whose docstring gives the behaviour at
  repeated singular values and eigenvalues: an error when the derivative asked
  for needs the undefined rotation of the vectors);
* ``norm``, ``vector_norm``, ``matrix_norm`` (every ``ord``, ``axis``,
  ``keepdims``) and ``cond`` (:mod:`._linalg_norms`);
* NumPy 2's array-API functions: ``svdvals``, ``trace``, ``diagonal``, ``outer``,
  ``tensordot``, ``matmul``, ``matrix_transpose``, ``vecdot``, ``cross``, and
  ``matrix_rank`` (a constant).

Not differentiable yet: ``tensorsolve``, ``tensorinv``; ``qr(mode='raw')``.

Conventions at non-differentiable points
----------------------------------------
* 2-norm and Frobenius norm at zero: derivative 0 (a subgradient); p-norms with
  ``p >= 1`` likewise; ``p < 1`` at a zero entry raises (no finite subgradient).
* Matrix 2-norm / -2-norm at a tie of the extreme singular value: the adjoint is
  split equally among the tied values (like ``max``); ``'nuc'`` at a
  rank-deficient matrix: the subgradient ``U V^T`` of the SVD LAPACK returned.
* Matrix 1/inf norms: ``abs'(0) = 0`` and ties of the maximum split the adjoint.
* ``full_matrices=True`` with ``m != n``: the extra columns of ``U`` (or ``V``)
  span the orthogonal complement; they move only as much as they must to stay
  orthogonal (``dU_perp = -U dU^T U_perp``, no rotation within the complement).
  Their derivative is exact for quantities that do not depend on the basis chosen
  for the complement (for example ``U_perp @ U_perp.T``).
* ``eig``/``eigvals`` follow LAPACK's order and return complex eigenvalues and
  eigenvectors where the spectrum is complex (real ones for a real matrix with a
  real spectrum, as NumPy does), differentiable in the convention of
  :mod:`autodiff.numpy._complex`.  Eigenvectors have unit 2-norm and their entry of
  largest modulus is real (LAPACK's phase); the derivative keeps both (the gauge),
  so it matches finite differences of NumPy's vectors wherever that entry does not
  change.  Quantities that do not depend on the phase (``abs(v)``, the projectors
  ``v_j conj(v_j)^T``, functions of the eigenvalues) are exact in any convention.
"""

from __future__ import annotations

import functools
import operator
from typing import NamedTuple

import numpy as np

from .._registry import HANDLED_FUNCTIONS, implements, implements_constant
from .._shapes import ndim_of, shape_of
from .._tracer import Tracer, base_value, is_complex
from ._linalg_basic import cholesky_p, det_p, inv_p, logabsdet_p, mT, pinv_p, solve_p
from ._linalg_decompositions import (
    complement_p,
    eig_p,
    eigh_p,
    eigvalsh_p,
    qr_p,
    svd_p,
    svdvals_p,
    unpack_svd,
)
from ._linalg_norms import cond, matrix_norm, norm, vector_norm

__all__ = ["solve", "inv", "det", "slogdet", "cholesky", "pinv", "lstsq", "matrix_power",
           "multi_dot", "svd", "svdvals", "eigh", "eigvalsh", "eig", "eigvals", "qr", "norm",
           "vector_norm", "matrix_norm", "cond", "matrix_rank", "trace", "diagonal", "outer",
           "tensordot", "matmul", "matrix_transpose", "vecdot", "cross", "LinAlgError"]

LinAlgError = np.linalg.LinAlgError


def _traced(*xs) -> bool:
    return any(isinstance(x, Tracer) for x in xs)


def _real_only(a, name: str) -> None:
    """Refuse complex input where the rule is not holomorphic and was derived for real
    matrices (Hermitian factorizations, singular values, norms): never a wrong value."""
    if is_complex(a):
        raise TypeError(f"autodiff.numpy.linalg.{name} of a complex matrix is not supported "
                        "(its derivative rule is written for real matrices); use real and "
                        "imaginary parts, or a holomorphic function such as solve or inv")


def _matrices(a, name: str, square: bool = True) -> None:
    shape = shape_of(a)
    if len(shape) < 2:
        raise LinAlgError(f"{len(shape)}-dimensional array given to numpy.linalg.{name}. "
                          "Array must be at least two-dimensional")
    if square and shape[-1] != shape[-2]:
        raise LinAlgError(f"numpy.linalg.{name}: last 2 dimensions of the array must be "
                          f"square, got shape {shape}")


# --- solve, inverse, determinants --------------------------------------------------------
@implements(np.linalg.solve)
def solve(a, b):
    """Solve ``a @ x = b``, with NumPy 2's broadcasting: ``b`` is a vector only if 1-D."""
    _matrices(a, "solve")
    if ndim_of(b) == 1:
        return solve_p(a, np.expand_dims(b, -1))[..., 0]
    return solve_p(a, b)


@implements(np.linalg.inv)
def inv(a):
    """Inverse of each square matrix of the stack."""
    _matrices(a, "inv")
    return inv_p(a)


@implements(np.linalg.det)
def det(a):
    """Determinant of each square matrix of the stack."""
    _matrices(a, "det")
    return det_p(a)


class SlogdetResult(NamedTuple):
    sign: np.ndarray
    logabsdet: object


@implements(np.linalg.slogdet)
def slogdet(a) -> SlogdetResult:
    """Sign and differentiable log-absolute-determinant; the sign of a real matrix is a
    constant, the phase ``det / |det|`` of a complex one moves with it."""
    _matrices(a, "slogdet")
    sign = np.linalg.slogdet(base_value(a))[0]
    if is_complex(a) and np.all(sign != 0):
        d = det_p(a)
        sign = d / np.abs(d)
    return SlogdetResult(sign, logabsdet_p(a))


@implements(np.linalg.cholesky)
def cholesky(a, /, *, upper=False):
    """Cholesky factor; reads only the lower (``upper=True``: upper) triangle of ``a``."""
    _real_only(a, 'cholesky')
    _matrices(a, "cholesky")
    if upper:
        return mT(cholesky_p(mT(a)))
    return cholesky_p(a)


@implements(np.linalg.pinv)
def pinv(a, rcond=None, hermitian=False, **kwargs):
    """Moore-Penrose pseudo-inverse, differentiable where the rank is locally constant."""
    _real_only(a, 'pinv')
    _matrices(a, "pinv", square=False)
    options = dict(kwargs)
    if rcond is not None:
        options["rcond"] = rcond
    if hermitian:
        options["hermitian"] = True
    return pinv_p(a, **options)


class LstsqResult(NamedTuple):
    x: object
    residuals: object
    rank: int
    s: object


@implements(np.linalg.lstsq)
def lstsq(a, b, rcond=None):
    """Least-squares solution ``x = pinv(a) b`` with NumPy's outputs.

    ``x`` is the minimum-norm solution (differentiable where the rank of ``a`` is
    locally constant); ``residuals`` are the squared residual norms (empty when
    ``a`` is rank deficient or ``m <= n``, as in NumPy); ``rank`` is a constant.
    """
    _real_only(a, 'lstsq')
    _matrices(a, "lstsq", square=False)
    if ndim_of(a) != 2 or ndim_of(b) not in (1, 2):
        raise LinAlgError("numpy.linalg.lstsq: a must be 2-D and b 1-D or 2-D")
    m, n = shape_of(a)
    cutoff = np.finfo(np.float64).eps * max(m, n) if rcond is None else rcond
    x = np.matmul(pinv_p(a, rcond=cutoff), b)
    _, _, rank, _ = np.linalg.lstsq(base_value(a), base_value(b), rcond=cutoff)
    s = svdvals_p(a)
    if rank < n or m <= n:
        residuals = np.zeros((0,))
    else:
        r = b - np.matmul(a, x)
        residuals = np.sum(r * r, axis=0)
        if ndim_of(b) == 1:
            residuals = np.reshape(residuals, (1,))
    return LstsqResult(x, residuals, int(rank), s)


@implements(np.linalg.matrix_power)
def matrix_power(a, n):
    """``a`` to the integer power ``n`` by repeated squaring (``inv`` first if n < 0)."""
    _matrices(a, "matrix_power")
    n = operator.index(n)
    if n == 0:
        size = shape_of(a)[-1]
        return np.broadcast_to(np.eye(size), shape_of(a)).copy()
    if n < 0:
        a, n = inv(a), -n
    result = None
    while n:
        if n & 1:
            result = a if result is None else np.matmul(result, a)
        n >>= 1
        if n:
            a = np.matmul(a, a)
    return result


@implements(np.linalg.multi_dot)
def multi_dot(arrays, *, out=None):
    """Product of a chain of matrices (first and last may be 1-D), left to right."""
    if out is not None:
        raise TypeError("multi_dot(..., out=...) writes in place, which is not differentiable")
    arrays = list(arrays)
    if len(arrays) < 2:
        raise ValueError("Expecting at least two arrays.")
    return functools.reduce(np.matmul, arrays)


# --- decompositions -----------------------------------------------------------------------
class SVDResult(NamedTuple):
    U: object
    S: object
    Vh: object


@implements(np.linalg.svd)
def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """Singular value decomposition of each matrix of the stack.

    ``hermitian=True`` computes the general SVD (the same singular values; the
    vectors may differ from NumPy's ``hermitian`` path in sign).  See the module
    docstring of :mod:`._linalg_decompositions` for repeated singular values.
    """
    _real_only(a, 'svd')
    _matrices(a, "svd", square=False)
    if not compute_uv:
        return svdvals_p(a)
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    full = bool(full_matrices) and m != n
    u, s, v = unpack_svd(svd_p(a, full_matrices=full), m)
    if full:
        u_full, _, vt_full = np.linalg.svd(base_value(a), full_matrices=True)
        if m > k:
            u = np.concatenate([u, complement_p(u, u_full[..., :, k:])], axis=-1)
        if n > k:
            v = np.concatenate([v, complement_p(v, mT(vt_full)[..., :, k:])], axis=-1)
    return SVDResult(u, s, mT(v))


class EighResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


@implements(np.linalg.eigh)
def eigh(a, UPLO="L"):
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices.

    Like NumPy, only the ``UPLO`` triangle is read; the derivative is that of this
    function (for symmetric paths, the usual symmetric-matrix derivative).
    """
    _real_only(a, 'eigh')
    _matrices(a, "eigh")
    uplo = _uplo(UPLO)
    packed = eigh_p(a, UPLO=uplo)
    return EighResult(packed[..., 0, :], packed[..., 1:, :])


@implements(np.linalg.eigvalsh)
def eigvalsh(a, UPLO="L"):
    """Eigenvalues (ascending) of symmetric matrices (the ``UPLO`` triangle is read)."""
    _real_only(a, 'eigvalsh')
    _matrices(a, "eigvalsh")
    return eigvalsh_p(a, UPLO=_uplo(UPLO))


def _uplo(uplo: str) -> str:
    uplo = str(uplo).upper()
    if uplo not in ("L", "U"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    return uplo


class EigResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


@implements(np.linalg.eig)
def eig(a):
    """Eigenvalues and unit eigenvectors of real or complex matrices (LAPACK's order).

    Complex eigenvalues and eigenvectors are differentiable in the convention of
    :mod:`autodiff.numpy._complex`.  Eigenvectors have unit 2-norm and, as LAPACK
    returns them, their entry of largest modulus is real; the derivative keeps that
    phase fixed (see :mod:`._linalg_decompositions`).
    """
    _matrices(a, "eig")
    if not _traced(a):
        return np.linalg.eig(a)
    packed = eig_p(a)
    return EigResult(packed[..., 0, :], packed[..., 1:, :])


@implements(np.linalg.eigvals)
def eigvals(a):
    """Eigenvalues of real or complex matrices (LAPACK's order), complex where needed."""
    _matrices(a, "eigvals")
    if not _traced(a):
        return np.linalg.eigvals(a)
    return eig_p(a)[..., 0, :]


class QRResult(NamedTuple):
    Q: object
    R: object


@implements(np.linalg.qr)
def qr(a, mode="reduced"):
    """QR decomposition (modes ``'reduced'``, ``'complete'``, ``'r'``).

    Differentiable where ``a`` has full column rank (of its leading square block
    when ``m < n``).  For ``m < n``, ``R = [R1, Q^T A2]`` with ``A1 = Q R1``.
    """
    _real_only(a, 'qr')
    _matrices(a, "qr", square=False)
    if mode not in ("reduced", "complete", "r"):
        raise NotImplementedError(f"autodiff.numpy.linalg.qr: mode={mode!r} is not "
                                  "differentiable; use 'reduced', 'complete' or 'r'")
    m, n = shape_of(a)[-2:]
    if m < n:
        packed = qr_p(a[..., :, :m])
        q, r1 = packed[..., :m, :], packed[..., m:, :]
        r = np.concatenate([r1, np.matmul(mT(q), a[..., :, m:])], axis=-1)
    else:
        complete = mode == "complete" and m > n
        packed = qr_p(a, complete=complete)
        q, r = packed[..., :m, :], packed[..., m:, :]
        if complete:
            basis = np.linalg.qr(base_value(a), mode="complete")[0][..., :, n:]
            q = np.concatenate([q, complement_p(q, basis)], axis=-1)
            r = np.concatenate([r, np.zeros(shape_of(r)[:-2] + (m - n, n))], axis=-2)
    if mode == "r":
        return r
    return QRResult(q, r)




# --- the array-API functions of numpy.linalg (NumPy 2) ----------------------------------------
@implements(np.linalg.svdvals)
def svdvals(x, /):
    """Singular values of each matrix of the stack (descending)."""
    _real_only(x, 'svdvals')
    _matrices(x, "svdvals", square=False)
    return svdvals_p(x)


implements_constant(np.linalg.matrix_rank)
matrix_rank = HANDLED_FUNCTIONS[np.linalg.matrix_rank]  # a piecewise constant: no derivative


@implements(np.linalg.trace)
def trace(x, /, *, offset=0, dtype=None):
    """Sum of the ``offset`` diagonal of each matrix of the stack."""
    return np.trace(x, offset=offset, axis1=-2, axis2=-1, dtype=dtype)


@implements(np.linalg.diagonal)
def diagonal(x, /, *, offset=0):
    """The ``offset`` diagonal of each matrix of the stack."""
    return np.diagonal(x, offset=offset, axis1=-2, axis2=-1)


@implements(np.linalg.outer)
def outer(x1, x2, /):
    """Outer product of two vectors."""
    if ndim_of(x1) != 1 or ndim_of(x2) != 1:
        raise ValueError("numpy.linalg.outer: Input arrays must be one-dimensional")
    return np.outer(x1, x2)


@implements(np.linalg.tensordot)
def tensordot(x1, x2, /, *, axes=2):
    return np.tensordot(x1, x2, axes=axes)


@implements(np.linalg.matmul)
def matmul(x1, x2, /):
    return np.matmul(x1, x2)


@implements(np.linalg.matrix_transpose)
def matrix_transpose(x, /):
    return mT(x)


@implements(np.linalg.vecdot)
def vecdot(x1, x2, /, *, axis=-1):
    """Dot product of vectors along ``axis`` (broadcasting the other axes)."""
    return np.sum(x1 * x2, axis=axis)


@implements(np.linalg.cross)
def cross(x1, x2, /, *, axis=-1):
    """Cross product of 3-vectors along ``axis``, from its components."""
    a = np.moveaxis(x1, axis, -1)
    b = np.moveaxis(x2, axis, -1)
    if np.shape(base_value(a))[-1] != 3 or np.shape(base_value(b))[-1] != 3:
        raise ValueError("numpy.linalg.cross: both inputs must be 3-vectors along axis")
    c = np.stack([a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1],
                  a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2],
                  a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]], axis=-1)
    return np.moveaxis(c, -1, axis)
