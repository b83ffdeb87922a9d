"""Rule-table cases for ``autodiff.scipy.signal`` (collected by test_rules.py)."""

from __future__ import annotations

import numpy as np

from autodiff.scipy import signal

_rng = np.random.default_rng(20250102)


def normal(*shape):
    return _rng.standard_normal(shape)


CASES = {
    "signal.convolve": (signal.convolve, (normal(5), normal(3))),
    "signal.convolve[same, 2-D]": (lambda a, b: signal.convolve(a, b, mode="same"),
                                   (normal(4, 5), normal(2, 3))),
    "signal.convolve[valid, swapped]": (lambda a, b: signal.convolve(a, b, mode="valid"),
                                        (normal(2, 3), normal(4, 5))),
    "signal.convolve[correlate, direct]": (
        lambda a, b: signal.correlate(a, b, mode="valid", method="direct"),
        (normal(6), normal(4))),
    "signal.convolve[fftconvolve, 3-D]": (
        lambda a, b: signal.fftconvolve(a, b, mode="same"), (normal(3, 2, 4), normal(2, 2, 2))),
    "signal.convolve[fftconvolve, axes, broadcast]": (
        lambda a, b: signal.fftconvolve(a, b, mode="valid", axes=1), (normal(3, 6), normal(1, 3))),
}
