"""Differentiable ``scipy.signal`` convolutions: ``convolve``, ``correlate`` and
``fftconvolve`` (modes ``full``, ``same``, ``valid``; n-D), in both operands.

One primitive, the full convolution ``c = a * b``, carries the rules; the modes
crop its output.  The convolution is bilinear, so

* forward: ``dc = da * b + a * db`` (a batch of tangents is one more axis, convolved
  with a length-1 axis of the other operand);
* reverse: ``abar = correlate(cbar, b, 'valid')``, ``bbar = correlate(cbar, a, 'valid')``,

both written with the same primitive, so second derivatives follow.  With
``fftconvolve(..., axes=...)`` the other axes multiply elementwise (broadcasting),
and the reverse rule sums over the broadcast ones.  SciPy's own
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
from .._shapes import axis_tuple, ndim_of, shape_of, unbroadcast

__all__ = ["convolve", "correlate", "fftconvolve"]

_MODES = ("full", "same", "valid")


def _full_impl(a, b, method="auto", axes=None):
    if axes is not None:
        return scipy.signal.fftconvolve(a, b, mode="full", axes=axes)
    if method == "fft":
        return scipy.signal.fftconvolve(a, b, mode="full")
    return scipy.signal.convolve(a, b, mode="full", method=method)


def _valid_correlation(g, b, shape, method, axes):
    """``correlate(g, b, 'valid')`` along the convolved axes, summed to ``shape``.

    Along the other axes (``axes`` given) the operands multiply elementwise with
    broadcasting, so the cotangent is summed over the axes where ``shape`` has 1.
    """
    conv = range(ndim_of(g)) if axes is None else axes
    full = _full_p(g, np.flip(b, axis=None if axes is None else axes), method=method, axes=axes)
    bs = shape_of(b)
    index = [slice(None)] * ndim_of(g)
    for i in conv:
        index[i] = slice(bs[i] - 1, bs[i] - 1 + shape[i])
    return unbroadcast(full[tuple(index)], shape)


def _batched_axes(axes):
    return None if axes is None else tuple(i + 1 for i in axes)


_full_p = declare(
    _full_impl, "signal.convolve",
    vjps=[lambda ans, a, b, method="auto", axes=None:
          lambda g: _valid_correlation(g, b, shape_of(a), method, axes),
          lambda ans, a, b, method="auto", axes=None:
          lambda g: _valid_correlation(g, a, shape_of(b), method, axes)],
    # A batch of tangents is one more axis: convolved with a length-1 axis of the other
    # operand (all axes convolved) or multiplied along it (``axes`` given).
    jvps=[lambda t, ans, a, b, method="auto", axes=None:
          _full_p(t, np.expand_dims(b, 0), method=method, axes=_batched_axes(axes)),
          lambda t, ans, a, b, method="auto", axes=None:
          _full_p(np.expand_dims(a, 0), t, method=method, axes=_batched_axes(axes))],
)


def _crop(full, s1, s2, mode, axes=None):
    """The ``mode`` part of a full convolution of operands of shapes ``s1`` and ``s2``
    (along ``axes``; all axes by default)."""
    if mode == "full":
        return full
    axes = range(len(s1)) if axes is None else axes
    index = [slice(None)] * len(s1)
    if mode == "same":
        # Centred on the full output, the shape of in1: SciPy crops every axis, also
        # one that is not convolved (where a broadcast in2 made the output longer).
        for i, n in enumerate(shape_of(full)):
            start = (n - s1[i]) // 2
            index[i] = slice(start, start + s1[i])
    else:
        if not (all(s1[i] >= s2[i] for i in axes) or all(s2[i] >= s1[i] for i in axes)):
            raise ValueError("For 'valid' mode, one must be at least as large as the other "
                             "in every dimension")
        for i in axes:
            start = min(s1[i], s2[i]) - 1
            index[i] = slice(start, start + abs(s1[i] - s2[i]) + 1)
    return full[tuple(index)]


def _check(in1, in2, mode):
    if mode not in _MODES:
        raise ValueError("Acceptable mode flags are 'valid', 'same', or 'full'.")
    if ndim_of(in1) != ndim_of(in2):
        raise ValueError("in1 and in2 should have the same dimensionality")
    if 0 in shape_of(in1) or 0 in shape_of(in2):
        raise ValueError("convolve: empty inputs are not supported")


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
    """Convolution computed with FFTs (values as :func:`scipy.signal.fftconvolve`).

    ``axes`` selects the convolved axes; along the others the operands must have
    equal lengths or length 1 and are multiplied with broadcasting, as in SciPy.
    """
    _check(in1, in2, mode)
    if axes is None:
        return convolve(in1, in2, mode=mode, method="fft")
    nd = ndim_of(in1)
    axes = axis_tuple(axes, nd)
    s1, s2 = shape_of(in1), shape_of(in2)
    for i in range(nd):
        if i not in axes and s1[i] != s2[i] and 1 not in (s1[i], s2[i]):
            raise ValueError("incompatible shapes for in1 and in2: "
                             f"{s1} and {s2}")
    full = _full_p(in1, in2, method="fft", axes=axes)
    return _crop(full, s1, s2, mode, axes)


for _name in ("convolve", "correlate", "fftconvolve"):
    ALTERNATIVES[f"scipy.signal.{_name}"] = f"autodiff.scipy.signal.{_name}"
del _name
