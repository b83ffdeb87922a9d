"""Matrix functions of ``scipy.linalg``: expm, expm_frechet, sqrtm and the Sylvester
solve that sqrtm's derivative needs (re-exported, and registered as the alternatives to SciPy's, by
:mod:`autodiff.scipy.linalg`).

* ``expm``: the derivative is the Frechet derivative, from the block-triangular
  identity ``expm([[A, E], [0, A]]) = [[expm(A), L(A, E)], [0, expm(A)]]``; its
  adjoint is ``L(A^T, G)``.
* ``sqrtm``: real square roots only; ``dX`` solves ``X dX + dX X = dA``.
* ``solve_sylvester``: ``A dZ + dZ B = dC - dA Z - Z dB``; the adjoint solves the
  transposed equation.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sl

from .._registry import declare
from .._shapes import shape_of
from .._tracer import set_rules
from ..numpy._linalg_basic import mT

__all__ = ["expm", "expm_frechet", "sqrtm", "solve_sylvester"]


# --- matrix exponential: the Frechet derivative from a block-triangular expm --------------
def _frechet_expm(a, e):
    """``L(A, E)`` for a stack of directions ``e`` (``a`` broadcasts against it)."""
    n = shape_of(a)[-1]
    a = np.broadcast_to(a, shape_of(e))
    zeros = np.zeros(shape_of(e))
    block = np.concatenate([np.concatenate([a, e], axis=-1),
                            np.concatenate([zeros, a], axis=-1)], axis=-2)
    return expm_p(block)[..., :n, n:]


expm_p = declare(
    sl.expm, "scipy.linalg.expm",
    vjps=[lambda ans, a: lambda g: _frechet_expm(mT(a), g)],
    jvps=[lambda t, ans, a: _frechet_expm(a, t)],
)


def expm(A):
    """Matrix exponential of each square matrix of the stack ``(..., n, n)``."""
    return expm_p(A)


# --- Sylvester equations and the matrix square root ----------------------------------------
def _sylvester_impl(a, b, c):
    if np.ndim(a) == np.ndim(b) == np.ndim(c) == 2:
        return sl.solve_sylvester(a, b, c)
    # Stacks: one solve per matrix (SciPy before 1.16 takes single matrices only).
    batch = np.broadcast_shapes(np.shape(a)[:-2], np.shape(b)[:-2], np.shape(c)[:-2])
    a, b, c = (np.broadcast_to(m, batch + np.shape(m)[-2:]) for m in (a, b, c))
    out = np.empty(batch + c.shape[-2:], dtype=np.result_type(a, b, c, 1.0))
    for index in np.ndindex(*batch):
        out[index] = sl.solve_sylvester(a[index], b[index], c[index])
    return out


def _sylvester_many(a, b, c):
    """Solve ``a z + z b = c`` for a leading batch of right-hand sides ``c``."""
    shape = shape_of(c)
    return sylvester_p(np.broadcast_to(a, shape), np.broadcast_to(b, shape), c)


def _sylvester_vjp(which, ans, args, kwargs):
    a, b, c = args

    def vjp(g):
        gc = sylvester_p(mT(a), mT(b), g)
        by_arg = {0: lambda: -np.matmul(gc, mT(ans)), 1: lambda: -np.matmul(mT(ans), gc),
                  2: lambda: gc}
        return tuple(by_arg[i]() for i in which)

    return vjp


sylvester_p = declare(
    _sylvester_impl, "scipy.linalg.solve_sylvester",
    jvps=[lambda t, ans, a, b, c: _sylvester_many(a, b, -np.matmul(t, ans)),
          lambda t, ans, a, b, c: _sylvester_many(a, b, -np.matmul(ans, t)),
          lambda t, ans, a, b, c: _sylvester_many(a, b, t)],
)
set_rules(sylvester_p, vjp=_sylvester_vjp)


def solve_sylvester(a, b, q):
    """Solve ``a x + x b = q``; differentiable in all three."""
    return sylvester_p(a, b, q)


def _sqrtm_impl(a):
    x = sl.sqrtm(a)
    if np.iscomplexobj(x) and np.max(np.abs(x.imag), initial=0.0) <= 1e-10 * max(
            1.0, float(np.max(np.abs(x.real), initial=0.0))):
        x = x.real  # older SciPy returns a complex type for real roots (conjugate pairs)
    if np.iscomplexobj(x):
        raise NotImplementedError(
            "scipy.linalg.sqrtm of this matrix is complex (it has negative eigenvalues); "
            "autodiff differentiates real square roots only")
    return x


sqrtm_p = declare(
    _sqrtm_impl, "scipy.linalg.sqrtm",
    vjps=[lambda ans, a: lambda g: sylvester_p(mT(ans), mT(ans), g)],
    jvps=[lambda t, ans, a: _sylvester_many(ans, ans, t)],
)


def sqrtm(A, **kwargs):
    """Principal square root of a matrix whose square root is real."""
    shape = shape_of(A)
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(f"autodiff.scipy.linalg.sqrtm expects a square matrix, got {shape}")
    return sqrtm_p(A)



def expm_frechet(A, E, method=None, compute_expm=True, check_finite=True):
    """``(expm(A), L(A, E))``, the Frechet derivative of expm at A in direction E."""
    frechet = _frechet_expm(A, E)
    return (expm(A), frechet) if compute_expm else frechet
