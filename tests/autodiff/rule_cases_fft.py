"""Rule cases of ``numpy.fft`` (collected by ``test_rules.py``): every transform with
``n`` (zero-padding and cropping), ``axis``/``axes``, ``s`` and each ``norm``, on real
and complex inputs, checked in both modes at second order."""

from __future__ import annotations

import numpy as np

_rng = np.random.default_rng(20261202)


def normal(*shape):
    return _rng.standard_normal(shape)


def cnormal(*shape):
    return _rng.standard_normal(shape) + 1j * _rng.standard_normal(shape)


CASES = {
    # --- complex-to-complex, one axis ---------------------------------------------------
    "fft.fft": (np.fft.fft, (cnormal(6),)),
    "fft.fft[real input]": (np.fft.fft, (normal(5),)),
    "fft.fft[n pads, axis=0]": (lambda z: np.fft.fft(z, n=7, axis=0), (cnormal(4, 3),)),
    "fft.fft[n crops, ortho]": (lambda z: np.fft.fft(z, n=3, norm="ortho"), (cnormal(2, 5),)),
    "fft.fft[forward norm]": (lambda z: np.fft.fft(z, norm="forward"), (cnormal(3, 4),)),
    "fft.fft[ifft]": (np.fft.ifft, (cnormal(2, 6),)),
    "fft.fft[ifft n, axis=-2, ortho]": (lambda z: np.fft.ifft(z, n=5, axis=-2, norm="ortho"),
                                        (cnormal(3, 4),)),
    "fft.fft[ifft real input, forward]": (lambda x: np.fft.ifft(x, norm="forward"),
                                          (normal(5),)),
    # --- n-D complex transforms: compositions ---------------------------------------------
    "fft.fft[fft2]": (np.fft.fft2, (cnormal(3, 4),)),
    "fft.fft[fft2 s, ortho]": (lambda z: np.fft.fft2(z, s=(4, 2), norm="ortho"),
                               (cnormal(2, 3, 3),)),
    "fft.fft[ifft2]": (np.fft.ifft2, (cnormal(2, 3, 4),)),
    "fft.fft[fftn]": (np.fft.fftn, (cnormal(2, 3, 2),)),
    "fft.fft[fftn axes]": (lambda x: np.fft.fftn(x, axes=(0, 2)), (normal(2, 3, 4),)),
    "fft.fft[ifftn s, forward]": (lambda z: np.fft.ifftn(z, s=(3, 5), axes=(0, 1),
                                                         norm="forward"), (cnormal(4, 4),)),
    # --- real-to-half-spectrum --------------------------------------------------------
    "fft.rfft": (np.fft.rfft, (normal(6),)),
    "fft.rfft[odd length]": (np.fft.rfft, (normal(2, 7),)),
    "fft.rfft[n pads, axis=0, ortho]": (lambda x: np.fft.rfft(x, n=9, axis=0, norm="ortho"),
                                        (normal(5, 2),)),
    "fft.rfft[n crops, forward]": (lambda x: np.fft.rfft(x, n=4, norm="forward"),
                                   (normal(3, 7),)),
    "fft.rfft[rfft2]": (np.fft.rfft2, (normal(3, 4),)),
    "fft.rfft[rfftn s]": (lambda x: np.fft.rfftn(x, s=(4, 5), axes=(0, 1)), (normal(3, 6),)),
    "fft.rfft[rfftn axes, ortho]": (lambda x: np.fft.rfftn(x, axes=(2, 0), norm="ortho"),
                                    (normal(4, 2, 3),)),
    # --- half-spectrum-to-real: Hermitian weights --------------------------------------
    "fft.irfft": (np.fft.irfft, (cnormal(5),)),
    "fft.irfft[odd n]": (lambda z: np.fft.irfft(z, n=9), (cnormal(3, 5),)),
    "fft.irfft[n crops, axis=0]": (lambda z: np.fft.irfft(z, n=4, axis=0), (cnormal(6, 2),)),
    "fft.irfft[n pads, ortho]": (lambda z: np.fft.irfft(z, n=12, norm="ortho"), (cnormal(4),)),
    "fft.irfft[forward norm]": (lambda z: np.fft.irfft(z, n=7, norm="forward"),
                                (cnormal(2, 4),)),
    "fft.irfft[real input]": (np.fft.irfft, (normal(4),)),
    "fft.irfft[round trip]": (lambda x: np.fft.irfft(np.fft.rfft(x) ** 2, n=x.shape[-1]),
                              (normal(2, 5),)),
    "fft.irfft[irfft2]": (np.fft.irfft2, (cnormal(3, 4),)),
    "fft.irfft[irfftn s, axes]": (lambda z: np.fft.irfftn(z, s=(3, 6), axes=(0, 2)),
                                  (cnormal(4, 2, 4),)),
    # --- shifts --------------------------------------------------------------------------
    "roll[fftshift]": (np.fft.fftshift, (cnormal(3, 4),)),
    "roll[fftshift axes]": (lambda x: np.fft.fftshift(x, axes=1), (normal(3, 5),)),
    "roll[ifftshift]": (lambda z: np.fft.ifftshift(np.fft.fft(z)), (cnormal(5),)),
}
