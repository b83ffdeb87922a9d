r"""Complex numbers: ``real``, ``imag``, ``conj``, ``angle`` (and ``abs`` in
:mod:`._elementwise`), and the convention every rule follows.

The convention is the one of autograd and JAX
-----------------------------------------------
A complex value ``z = x + iy`` is treated as the pair ``(x, y)``.  The cotangent
(adjoint) of ``z`` for a real output ``L`` is

.. math::  \bar z = \frac{\partial L}{\partial x} - i \frac{\partial L}{\partial y}
           = 2 \frac{\partial L}{\partial z},

twice the Wirtinger derivative, i.e. the *conjugate* of the conjugate-Wirtinger
gradient :math:`2\,\partial L / \partial \bar z = \partial L/\partial x + i\,\partial L/\partial y`
(PyTorch's convention is that conjugate).  Consequences:

* ``ad.grad(f)(z)`` of a real ``f`` returns ``df/dx - i df/dy``; for example
  ``ad.grad(lambda z: abs(z) ** 2)(3 + 4j) == 6 - 8j``, as in JAX and autograd.
  The direction of steepest *ascent* is its conjugate: a gradient step on a
  complex parameter is ``z -= lr * np.conj(g)``.
* A first-order change is ``dL = Re(sum(zbar * dz))``: the pairing is bilinear,
  so the VJP of a complex-linear map is its plain transpose (no conjugation): the
  VJP of ``A @ z`` is ``A.T @ g``, the VJP of ``np.fft.fft`` is ``np.fft.fft``.
* For a holomorphic ``w = f(z)``, the VJP is ``g * f'(z)`` and the JVP
  ``t * f'(z)``: the real rules of :mod:`._elementwise` hold unchanged.  Only
  non-holomorphic functions need their own rules: ``conj`` (VJP ``conj(g)``),
  ``real`` (``g``), ``imag`` (``-1j * g``), ``abs`` (``g * conj(z) / |z|``) and
  ``angle`` (``-1j * g * conj(z) / |z|**2``); ``sign(z) = z / |z|`` is composed.
* A real operand that meets a complex value (``x * 1j``, ``np.fft.fft(x)``) gets
  the real part of its cotangent (:func:`autodiff._tracer.real_cotangents`).
* ``ad.grad(f, holomorphic=True)(z)`` of a holomorphic ``f`` is ``f'(z)``; a
  complex output without that flag is an error.  ``jacfwd``, ``jacrev``,
  ``jacobian`` and ``hessian`` take the same flag, as in JAX.
* Forward mode: a complex input takes a complex tangent, ``jvp`` gives ``J t``.

Real inputs never meet any of this: ``real``/``conj`` of a real value return it
unchanged and ``imag`` returns zeros, without recording anything.
"""

from __future__ import annotations

import numpy as np

from .._registry import declare, implements
from .._tracer import Tracer, base_value, is_complex


def _angle_weight(z):
    """``conj(z) / |z|**2`` (0 at ``z = 0``)."""
    r2 = np.real(z * np.conj(z))
    return np.conj(z) / np.where(r2 == 0, 1.0, r2)


real_p = declare(np.real, "real",
                 vjps=[lambda ans, z: lambda g: g],
                 jvps=[lambda t, ans, z: real_p(t)])
imag_p = declare(np.imag, "imag",
                 vjps=[lambda ans, z: lambda g: g * -1j],
                 jvps=[lambda t, ans, z: imag_p(t)])
conj_p = declare(np.conjugate, "conj",
                 vjps=[lambda ans, z: lambda g: conj_p(g)],
                 jvps=[lambda t, ans, z: conj_p(t)])
angle_p = declare(np.angle, "angle",
                  vjps=[lambda ans, z: lambda g: g * -1j * _angle_weight(z)],
                  jvps=[lambda t, ans, z: imag_p(t * np.conj(z)) / _abs2(z)])


def _abs2(z):
    r2 = np.real(z * np.conj(z))
    return np.where(r2 == 0, 1.0, r2)


@implements(np.real)
def real(val):
    """Real part; the identity (nothing recorded) on real values."""
    return real_p(val) if is_complex(val) else val


@implements(np.imag)
def imag(val):
    """Imaginary part; a constant zero array on real values."""
    if is_complex(val):
        return imag_p(val)
    return np.zeros_like(base_value(val))


@implements(np.conj, np.conjugate, methods=("conj", "conjugate"))
def conj(x):
    """Complex conjugate; the identity on real values."""
    return conj_p(x) if is_complex(x) else x


@implements(np.angle)
def angle(z, deg=False):
    """Argument of ``z``; piecewise constant (0 or pi) on real values."""
    if not is_complex(z):
        return np.angle(base_value(z), deg=deg)
    out = angle_p(z)
    return out * (180.0 / np.pi) if deg else out


@implements(np.sign)
def sign(x):
    """``sign`` is piecewise constant on real values; on complex ones it is ``z / |z|``
    (0 at 0), which moves with ``z``."""
    if not is_complex(x):
        return np.sign(base_value(x))
    r = np.abs(x)
    return x / np.where(r == 0, 1.0, r)


Tracer.real = property(real)
Tracer.imag = property(imag)
