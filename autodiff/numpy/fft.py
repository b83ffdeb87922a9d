"""Differentiable ``numpy.fft``: the transforms along one axis are the primitives
(``fft.fft`` with its inverse, ``fft.rfft``, ``fft.irfft``); the 2-D and n-D
transforms are their compositions, as in NumPy itself, and ``fftshift`` /
``ifftshift`` are rolls.  ``np.fft.fft(x)`` on a traced ``x`` dispatches here.

Adjoints, in the complex convention of :mod:`autodiff.numpy._complex` (the VJP of
a complex-linear map is its plain transpose, no conjugation):

* ``fft``/``ifft`` with any ``norm`` are symmetric matrices: the VJP of each is the
  same transform of ``g``, then cropped or zero-padded back to the input length
  (the transpose of the zero-padding or cropping that ``n`` applies).
* ``rfft`` keeps the first ``n//2 + 1`` rows of the DFT of a real input: its VJP is
  ``real(fft(g zero-padded to n))``.
* ``irfft`` reads the half spectrum ``X[:n//2 + 1]`` as Hermitian and ignores the
  imaginary parts of ``X[0]`` and (``n`` even) ``X[n/2]``: each other bin enters
  twice (``X_k`` and its mirror ``conj(X_k)``), so its VJP is ``w * ifft(g)[:n//2+1]``
  with Hermitian weights ``w = 2`` except ``w = 1`` at the DC bin and at the
  Nyquist bin of an even ``n``.

Forward rules apply the same transform to the tangents along ``axis + 1`` (the
tangents carry their batch axis first).  All rules are written with these
primitives, so second derivatives follow.
"""

from __future__ import annotations

import builtins

import numpy as np

from .._registry import declare, implements
from .._shapes import normalize_axis, shape_of
from .._tracer import Tracer, is_complex

__all__ = ["fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "rfft2", "irfft2", "fftn",
           "ifftn", "rfftn", "irfftn", "fftshift", "ifftshift", "fftfreq", "rfftfreq"]

fftfreq = np.fft.fftfreq
rfftfreq = np.fft.rfftfreq

_NORMS = ("backward", "ortho", "forward")
#: ifft(g, norm) of a real g is conj(fft(g, dual norm)): the same scale, other sign.
_DUAL = {"backward": "forward", "ortho": "ortho", "forward": "backward"}


def _fit(x, length: int, axis: int):
    """Crop or zero-pad ``x`` along ``axis`` to ``length`` (what ``n=`` does to an input)."""
    shape = shape_of(x)
    have = shape[axis]
    if have == length:
        return x
    if have > length:
        return x[(slice(None),) * axis + (slice(0, length),)]
    widths = [(0, 0)] * len(shape)
    widths[axis] = (0, length - have)
    return np.pad(x, widths)


# --- the primitives: one axis each ---------------------------------------------------
def _fft_impl(x, n, axis, norm, inverse):
    return (np.fft.ifft if inverse else np.fft.fft)(x, n=n, axis=axis, norm=norm)


def _fft_vjp(ans, x, n, axis, norm, inverse):
    length = shape_of(x)[axis]
    return lambda g: _fit(fft_p(g, n=n, axis=axis, norm=norm, inverse=inverse), length, axis)


fft_p = declare(
    _fft_impl, "fft.fft",
    vjps=[_fft_vjp],
    jvps=[lambda t, ans, x, n, axis, norm, inverse:
          fft_p(t, n=n, axis=axis + 1, norm=norm, inverse=inverse)],
)


def _rfft_impl(x, n, axis, norm):
    return np.fft.rfft(x, n=n, axis=axis, norm=norm)


def _rfft_vjp(ans, x, n, axis, norm):
    length = shape_of(x)[axis]

    def vjp(g):
        full = fft_p(_fit(g, n, axis), n=n, axis=axis, norm=norm, inverse=False)
        return _fit(np.real(full), length, axis)

    return vjp


rfft_p = declare(
    _rfft_impl, "fft.rfft",
    vjps=[_rfft_vjp],
    jvps=[lambda t, ans, x, n, axis, norm: rfft_p(t, n=n, axis=axis + 1, norm=norm)],
)


def _irfft_impl(x, n, axis, norm):
    return np.fft.irfft(x, n=n, axis=axis, norm=norm)


def hermitian_weights(n: int, ndim: int, axis: int) -> np.ndarray:
    """Weights of the half spectrum in ``irfft(X, n)``: 1 at DC (and at the Nyquist bin
    of an even ``n``), 2 for every bin that also stands for its mirror image."""
    w = np.full(n // 2 + 1, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    return np.reshape(w, (-1,) + (1,) * (ndim - axis - 1))


def _irfft_vjp(ans, x, n, axis, norm):
    shape = shape_of(x)
    length, complex_input = shape[axis], is_complex(x)
    weights = hermitian_weights(n, len(shape), axis)

    def vjp(g):
        # ifft(g, norm)[:n//2 + 1] for a real g, computed as a half-length rfft.
        half = np.conj(rfft_p(g, n=n, axis=axis, norm=_DUAL[norm])) * weights
        return _fit(half if complex_input else np.real(half), length, axis)

    return vjp


irfft_p = declare(
    _irfft_impl, "fft.irfft",
    vjps=[_irfft_vjp],
    jvps=[lambda t, ans, x, n, axis, norm: irfft_p(t, n=n, axis=axis + 1, norm=norm)],
)


# --- the NumPy-facing functions ---------------------------------------------------------
def _traced(a) -> bool:
    return isinstance(a, Tracer)


def _norm(norm) -> str:
    if norm is None:
        return "backward"
    if norm not in _NORMS:
        raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" or "forward".')
    return norm


def _one_axis(a, n, axis, norm, default_n):
    (axis,) = normalize_axis(axis, len(shape_of(a)))
    n = default_n(shape_of(a)[axis]) if n is None else int(n)
    if n < 1:
        raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
    return n, axis, _norm(norm)


def _no_out(out, name):
    if out is not None:
        raise TypeError(f"numpy.fft.{name}(..., out=...) writes in place, which is not "
                        "differentiable; use the returned array instead")


@implements(np.fft.fft)
def fft(a, n=None, axis=-1, norm=None, out=None):
    """One-dimensional discrete Fourier transform (``numpy.fft.fft``)."""
    _no_out(out, "fft")
    if not _traced(a):
        return np.fft.fft(a, n=n, axis=axis, norm=norm)
    n, axis, norm = _one_axis(a, n, axis, norm, lambda m: m)
    return fft_p(a, n=n, axis=axis, norm=norm, inverse=False)


@implements(np.fft.ifft)
def ifft(a, n=None, axis=-1, norm=None, out=None):
    """One-dimensional inverse discrete Fourier transform (``numpy.fft.ifft``)."""
    _no_out(out, "ifft")
    if not _traced(a):
        return np.fft.ifft(a, n=n, axis=axis, norm=norm)
    n, axis, norm = _one_axis(a, n, axis, norm, lambda m: m)
    return fft_p(a, n=n, axis=axis, norm=norm, inverse=True)


@implements(np.fft.rfft)
def rfft(a, n=None, axis=-1, norm=None, out=None):
    """Transform of a real input, half spectrum ``n//2 + 1`` (``numpy.fft.rfft``)."""
    _no_out(out, "rfft")
    if not _traced(a):
        return np.fft.rfft(a, n=n, axis=axis, norm=norm)
    if is_complex(a):
        raise TypeError("numpy.fft.rfft needs a real input (it would drop the imaginary part); "
                        "use numpy.fft.fft for complex inputs")
    n, axis, norm = _one_axis(a, n, axis, norm, lambda m: m)
    return rfft_p(a, n=n, axis=axis, norm=norm)


@implements(np.fft.irfft)
def irfft(a, n=None, axis=-1, norm=None, out=None):
    """Inverse of :func:`rfft`: a real signal of length ``n`` (``numpy.fft.irfft``)."""
    _no_out(out, "irfft")
    if not _traced(a):
        return np.fft.irfft(a, n=n, axis=axis, norm=norm)
    n, axis, norm = _one_axis(a, n, axis, norm, lambda m: 2 * (m - 1))
    return irfft_p(a, n=n, axis=axis, norm=norm)


def _nd_args(a, s, axes, last_from_half=False):
    """NumPy's defaults for ``s`` and ``axes`` of the n-D transforms."""
    shape = shape_of(a)
    if axes is None:
        axes = list(range(len(shape))) if s is None else list(range(-len(s), 0))
    axes = [normalize_axis(ax, len(shape))[0] for ax in axes]
    if s is None:
        s = [shape[ax] for ax in axes]
        if last_from_half and axes:
            s[-1] = 2 * (shape[axes[-1]] - 1)
    s = [int(m) for m in s]
    if len(s) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    return s, axes


def _c2c_nd(a, s, axes, norm, inverse):
    out = a
    for m, ax in builtins.reversed(list(zip(s, axes))):
        out = (ifft if inverse else fft)(out, n=m, axis=ax, norm=norm)
    return out


@implements(np.fft.fftn)
def fftn(a, s=None, axes=None, norm=None, out=None):
    """N-dimensional discrete Fourier transform (``numpy.fft.fftn``)."""
    _no_out(out, "fftn")
    if not _traced(a):
        return np.fft.fftn(a, s=s, axes=axes, norm=norm)
    s, axes = _nd_args(a, s, axes)
    return _c2c_nd(a, s, axes, norm, inverse=False)


@implements(np.fft.ifftn)
def ifftn(a, s=None, axes=None, norm=None, out=None):
    """N-dimensional inverse discrete Fourier transform (``numpy.fft.ifftn``)."""
    _no_out(out, "ifftn")
    if not _traced(a):
        return np.fft.ifftn(a, s=s, axes=axes, norm=norm)
    s, axes = _nd_args(a, s, axes)
    return _c2c_nd(a, s, axes, norm, inverse=True)


@implements(np.fft.fft2)
def fft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """Two-dimensional discrete Fourier transform (``numpy.fft.fft2``)."""
    return fftn(a, s=s, axes=axes, norm=norm, out=out)


@implements(np.fft.ifft2)
def ifft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """Two-dimensional inverse discrete Fourier transform (``numpy.fft.ifft2``)."""
    return ifftn(a, s=s, axes=axes, norm=norm, out=out)


@implements(np.fft.rfftn)
def rfftn(a, s=None, axes=None, norm=None, out=None):
    """N-dimensional transform of a real input (``numpy.fft.rfftn``): ``rfft`` along the
    last axis, then ``fft`` along the others."""
    _no_out(out, "rfftn")
    if not _traced(a):
        return np.fft.rfftn(a, s=s, axes=axes, norm=norm)
    s, axes = _nd_args(a, s, axes)
    out = rfft(a, n=s[-1], axis=axes[-1], norm=norm)
    return _c2c_nd(out, s[:-1], axes[:-1], norm, inverse=False)


@implements(np.fft.irfftn)
def irfftn(a, s=None, axes=None, norm=None, out=None):
    """Inverse of :func:`rfftn` (``numpy.fft.irfftn``): ``ifft`` along all but the last
    axis, then ``irfft`` along it."""
    _no_out(out, "irfftn")
    if not _traced(a):
        return np.fft.irfftn(a, s=s, axes=axes, norm=norm)
    s, axes = _nd_args(a, s, axes, last_from_half=True)
    out = _c2c_nd(a, s[:-1], axes[:-1], norm, inverse=True)
    return irfft(out, n=s[-1], axis=axes[-1], norm=norm)


@implements(np.fft.rfft2)
def rfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """Two-dimensional transform of a real input (``numpy.fft.rfft2``)."""
    return rfftn(a, s=s, axes=axes, norm=norm, out=out)


@implements(np.fft.irfft2)
def irfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """Inverse of :func:`rfft2` (``numpy.fft.irfft2``)."""
    return irfftn(a, s=s, axes=axes, norm=norm, out=out)


def _shift(x, axes, sign):
    shape = shape_of(x)
    axes = tuple(range(len(shape))) if axes is None else normalize_axis(axes, len(shape))
    if not axes:
        return x
    return np.roll(x, tuple(sign * (shape[ax] // 2) for ax in axes), axis=axes)


@implements(np.fft.fftshift)
def fftshift(x, axes=None):
    """Move the zero-frequency bin to the centre (``numpy.fft.fftshift``): a roll."""
    if not _traced(x):
        return np.fft.fftshift(x, axes=axes)
    return _shift(x, axes, 1)


@implements(np.fft.ifftshift)
def ifftshift(x, axes=None):
    """Inverse of :func:`fftshift` (``numpy.fft.ifftshift``): a roll."""
    if not _traced(x):
        return np.fft.ifftshift(x, axes=axes)
    return _shift(x, axes, -1)
