"""Bessel functions of ``scipy.special``, differentiable in ``x``.

The orders are constants.  Every derivative is written with Bessel functions of
neighbouring orders (the recurrences below), so higher derivatives follow.  The
exponentially scaled functions ``i0e``, ``i1e``, ``ive`` contain ``exp(-|x|)``:
at ``x = 0`` the derivative of that factor is taken as 0 (``sign(0) = 0``).
"""

from __future__ import annotations

import numpy as np
import scipy.special as sc

from ..numpy._elementwise import unary
from ._special_common import in_last_argument

__all__ = ["iv", "ive", "jv", "jn", "yv", "yn", "kv", "kve", "i0", "i1", "i0e", "i1e",
           "j0", "j1", "y0", "y1", "k0", "k1", "k0e", "k1e"]

_ORDER = ("order v",)

# Recurrences: I_v' = (I_{v-1} + I_{v+1}) / 2,  J_v' = (J_{v-1} - J_{v+1}) / 2,
# Y_v' = (Y_{v-1} - Y_{v+1}) / 2,  K_v' = -(K_{v-1} + K_{v+1}) / 2.
iv = in_last_argument(sc.iv, lambda ans, v, x: 0.5 * (iv(v - 1.0, x) + iv(v + 1.0, x)), _ORDER)
# ive = iv exp(-|x|)
ive = in_last_argument(
    sc.ive, lambda ans, v, x: 0.5 * (ive(v - 1.0, x) + ive(v + 1.0, x)) - np.sign(x) * ans,
    _ORDER)
jv = in_last_argument(sc.jv, lambda ans, v, x: 0.5 * (jv(v - 1.0, x) - jv(v + 1.0, x)), _ORDER)
jn = jv  # scipy.special.jn is scipy.special.jv
yv = in_last_argument(sc.yv, lambda ans, v, x: 0.5 * (yv(v - 1.0, x) - yv(v + 1.0, x)), _ORDER)
yn = in_last_argument(sc.yn, lambda ans, n, x: 0.5 * (yn(n - 1, x) - yn(n + 1, x)),
                      ("order n",))
kv = in_last_argument(sc.kv, lambda ans, v, x: -0.5 * (kv(v - 1.0, x) + kv(v + 1.0, x)), _ORDER)
# kve = kv exp(x)
kve = in_last_argument(
    sc.kve, lambda ans, v, x: ans - 0.5 * (kve(v - 1.0, x) + kve(v + 1.0, x)), _ORDER)

i0 = unary(sc.i0, lambda ans, x: i1(x))
i1 = unary(sc.i1, lambda ans, x: 0.5 * (i0(x) + iv(2.0, x)))
i0e = unary(sc.i0e, lambda ans, x: i1e(x) - np.sign(x) * ans, uses="ans x")
i1e = unary(sc.i1e, lambda ans, x: 0.5 * (i0e(x) + ive(2.0, x)) - np.sign(x) * ans,
            uses="ans x")
j0 = unary(sc.j0, lambda ans, x: -j1(x))
j1 = unary(sc.j1, lambda ans, x: 0.5 * (j0(x) - jv(2.0, x)))
y0 = unary(sc.y0, lambda ans, x: -y1(x))
y1 = unary(sc.y1, lambda ans, x: 0.5 * (y0(x) - yn(2, x)))
k0 = unary(sc.k0, lambda ans, x: -k1(x))
k1 = unary(sc.k1, lambda ans, x: -0.5 * (k0(x) + kv(2.0, x)))
k0e = unary(sc.k0e, lambda ans, x: ans - k1e(x), uses="ans x")
k1e = unary(sc.k1e, lambda ans, x: ans - 0.5 * (k0e(x) + kve(2.0, x)), uses="ans x")
