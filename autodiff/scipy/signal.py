"""Differentiable ``scipy.signal`` convolutions: ``convolve``, ``correlate`` and
``fftconvolve`` (modes ``full``, ``same``, ``valid``; n-D), in both operands.

One primitive, the full convolution ``c = a * b``, carries the rules; the modes
crop its output.  The convolution is bilinear, so

* forward: ``dc = da * b + a * db`` (a batch of tangents is one more axis, convolved
  with a length-1 axis of the other operand);
* reverse: ``abar = correlate(cbar, b, 'valid')``, ``bbar = correlate(cbar, a, 'valid')``,

both written with the same primitive, so second derivatives follow.  SciPy's own
functions convert their inputs with ``np.asarray`` and cannot dispatch; on a traced
value they raise an error naming the function here.

Examples
--------
>>> import numpy as np, autodiff as ad
>>> from autodiff.scipy import signal
>>> kernel = np.array([1.0, -2.0, 1.0])
>>> ad.grad(lambda x: np.sum(signal.convolve(x, kernel, mode="valid") ** 2))(np.arange(4.0))
array([0., 0., 0., 0.])
"""

from __future__ import annotations

import numpy as np
import scipy.signal

from .._registry import ALTERNATIVES, declare
from .._shapes import ndim_of, shape_of

__all__ = ["convolve", "correlate", "fftconvolve"]

_MODES = ("full", "same", "valid")


def _full_impl(a, b, method="auto"):
    if method == "fft":
        return scipy.signal.fftconvolve(a, b, mode="full")
    return scipy.signal.convolve(a, b, mode="full", method=method)


def _valid_correlation(g, b, method):
    """``correlate(g, b, 'valid')`` for ``g`` at least as large as ``b`` on every axis."""
    full = _full_p(g, np.flip(b), method=method)
    gs, bs = shape_of(g), shape_of(b)
    return full[tuple(slice(m - 1, n) for n, m in zip(gs, bs))]


_full_p = declare(
    _full_impl, "signal.convolve",
    vjps=[lambda ans, a, b, method="auto": lambda g: _valid_correlation(g, b, method),
          lambda ans, a, b, method="auto": lambda g: _valid_correlation(g, a, method)],
    jvps=[lambda t, ans, a, b, method="auto": _full_p(t, np.expand_dims(b, 0), method=method),
          lambda t, ans, a, b, method="auto": _full_p(np.expand_dims(a, 0), t, method=method)],
)


def _crop(full, s1, s2, mode):
    """The ``mode`` part of a full convolution of operands of shapes ``s1`` and ``s2``."""
    if mode == "full":
        return full
    if mode == "same":  # centred on the full output, the shape of in1 (SciPy's convention)
        starts = [(n1 + n2 - 1 - n1) // 2 for n1, n2 in zip(s1, s2)]
        sizes = s1
    else:
        bigger = all(n1 >= n2 for n1, n2 in zip(s1, s2))
        if not bigger and not all(n2 >= n1 for n1, n2 in zip(s1, s2)):
            raise ValueError("For 'valid' mode, one must be at least as large as the other "
                             "in every dimension")
        starts = [min(n1, n2) - 1 for n1, n2 in zip(s1, s2)]
        sizes = [abs(n1 - n2) + 1 for n1, n2 in zip(s1, s2)]
    return full[tuple(slice(s, s + n) for s, n in zip(starts, sizes))]


def _check(in1, in2, mode):
    if mode not in _MODES:
        raise ValueError("Acceptable mode flags are 'valid', 'same', or 'full'.")
    if ndim_of(in1) != ndim_of(in2):
        raise ValueError("in1 and in2 should have the same dimensionality")
    if 0 in shape_of(in1) or 0 in shape_of(in2):
        raise ValueError("convolve: empty inputs are not supported on traced values")


def convolve(in1, in2, mode: str = "full", method: str = "auto"):
    """N-dimensional convolution of ``in1`` and ``in2`` (SciPy's signature and modes).

    Parameters
    ----------
    in1, in2 : ndarray, same number of dimensions
        Operands, both differentiable.
    mode : {'full', 'same', 'valid'}
        Output size as in :func:`scipy.signal.convolve`.
    method : {'auto', 'direct', 'fft'}
        How the values are computed (the derivatives are the same).
    """
    _check(in1, in2, mode)
    full = _full_p(in1, in2, method=method)
    return _crop(full, shape_of(in1), shape_of(in2), mode)


def correlate(in1, in2, mode: str = "full", method: str = "auto"):
    """N-dimensional cross-correlation: ``convolve(in1, in2 reversed on every axis)``."""
    _check(in1, in2, mode)
    return convolve(in1, np.flip(in2), mode=mode, method=method)


def fftconvolve(in1, in2, mode: str = "full", axes=None):
    """Convolution computed with FFTs (values as :func:`scipy.signal.fftconvolve`)."""
    if axes is not None and sorted(np.atleast_1d(axes) % max(ndim_of(in1), 1)) != list(
            range(ndim_of(in1))):
        raise NotImplementedError(
            "autodiff.scipy.signal.fftconvolve: axes= other than all axes is not supported")
    return convolve(in1, in2, mode=mode, method="fft")


for _name in ("convolve", "correlate", "fftconvolve"):
    ALTERNATIVES[f"scipy.signal.{_name}"] = f"autodiff.scipy.signal.{_name}"
del _name
