"""Rule-table cases for the ``scipy.special`` primitives (collected by test_rules.py).

Order parameters (``v``, ``n``) and shape parameters (``a``, ``b``) are constants of
the case; the traced operand is ``x``.  Inputs stay inside each function's domain
and away from its singularities.
"""

from __future__ import annotations

import numpy as np
import scipy.special as sc

import autodiff.scipy.special as asp

_rng = np.random.default_rng(20250101)


def uniform(lo, hi, *shape):
    return _rng.uniform(lo, hi, shape)


def normal(*shape):
    return _rng.standard_normal(shape)


POSITIVE = uniform(0.5, 3.0, 4)
ORDERS = np.array([[0.5], [1.0], [2.5]])  # broadcast against x of shape (4,)

CASES = {
    # --- gamma family -----------------------------------------------------------------
    "gamma": (sc.gamma, (uniform(0.5, 4.0, 3, 2),)),
    "gamma[negative non-integer]": (sc.gamma, (np.array([-0.5, -1.5, -2.3]),)),
    "beta": (sc.beta, (uniform(0.5, 3.0, 3, 1), uniform(0.5, 3.0, 4))),
    "betaln": (sc.betaln, (uniform(0.5, 3.0, 3, 1), uniform(0.5, 3.0, 4))),
    "betaln[asp]": (lambda a: asp.betaln(a, 2.0), (POSITIVE,)),
    "gammaln[multigammaln]": (lambda a: asp.multigammaln(a, 3), (uniform(1.5, 4.0, 4),)),
    "gammainc": (lambda x: sc.gammainc(2.5, x), (POSITIVE,)),
    # In the shape a: both sides of the series / tail-integral switch at x = a + 1.
    "gammainc[a and x]": (sc.gammainc, (np.array([0.3, 2.5, 7.0, 1.5]),
                                        np.array([0.8, 1.2, 12.0, 4.0]))),
    "gammaincc[a and x]": (sc.gammaincc, (np.array([0.3, 2.5, 7.0, 1.5]),
                                          np.array([0.8, 1.2, 12.0, 4.0]))),
    "gammainc_shape_derivative": (
        lambda a, x: asp.gammainc_shape_derivative(a, x, m=1),
        (np.array([0.5, 3.0, 2.0]), np.array([1.0, 2.0, 6.0]))),
    "gammainc[a broadcast]": (lambda x: sc.gammainc(ORDERS + 0.5, x), (POSITIVE,)),
    "gammaincc": (lambda x: sc.gammaincc(1.5, x), (POSITIVE,)),
    "betainc": (lambda x: sc.betainc(2.0, 3.5, x), (uniform(0.1, 0.9, 4),)),
    # In the shapes: x on both sides of the mean a / (a + b) (the symmetry switch).
    "betainc[a, b and x]": (sc.betainc, (np.array([0.5, 2.0, 3.0]), np.array([1.5, 0.7, 3.0]),
                                         np.array([0.2, 0.9, 0.6]))),
    "betaincc[a, b and x]": (sc.betaincc, (np.array([0.5, 2.0]), np.array([1.5, 0.7]),
                                           np.array([0.2, 0.9]))),
    "betainc_shape_derivative": (
        lambda a, b, x: asp.betainc_shape_derivative(a, b, x, i=1, j=0),
        (np.array([0.8, 2.0]), np.array([1.5, 3.0]), np.array([0.3, 0.6]))),
    "betainc_shape_derivative[j=1]": (
        lambda a, b, x: asp.betainc_shape_derivative(a, b, x, i=0, j=1),
        (np.array([0.8, 2.0]), np.array([1.5, 3.0]), np.array([0.3, 0.6]))),
    "betaincc": (lambda x: sc.betaincc(1.5, 0.7, x), (uniform(0.1, 0.9, 4),)),
    "stdtr": (lambda t: sc.stdtr(3.5, t), (normal(4),)),
    "stdtr[df broadcast]": (lambda t: sc.stdtr(ORDERS + 1.0, t), (normal(4),)),
    "stdtr[df and t]": (sc.stdtr, (np.array([1.5, 4.0, 9.0]), np.array([-1.2, 0.4, 2.5]))),
    # --- error function and normal distribution ---------------------------------------
    "erfinv": (sc.erfinv, (uniform(-0.9, 0.9, 4),)),
    "erfcinv": (sc.erfcinv, (uniform(0.1, 1.9, 4),)),
    "ndtr": (sc.ndtr, (normal(3, 4),)),
    "log_ndtr": (sc.log_ndtr, (np.array([-8.0, -2.0, 0.3, 4.0]),)),
    "ndtri": (sc.ndtri, (uniform(0.05, 0.95, 4),)),
    "log_expit": (sc.log_expit, (normal(4),)),
    "erfcx": (sc.erfcx, (normal(4),)),
    # --- exponential integrals, SciPy's elementary ufuncs ---------------------------------
    "exp1": (sc.exp1, (POSITIVE,)),
    "expi": (sc.expi, (POSITIVE,)),
    "expn": (lambda x: sc.expn(np.array([[0], [1], [3]]), x), (POSITIVE,)),
    "special.expm1": (sc.expm1, (normal(4),)),
    "special.log1p": (sc.log1p, (uniform(-0.5, 2.0, 4),)),
    "cosm1": (sc.cosm1, (normal(4),)),
    # --- x log y and entropies ---------------------------------------------------------
    "xlogy": (sc.xlogy, (normal(3, 1), uniform(0.5, 2.0, 4))),
    "xlog1py": (sc.xlog1py, (normal(3, 1), uniform(-0.5, 2.0, 4))),
    "entr": (sc.entr, (uniform(0.2, 2.0, 4),)),
    "rel_entr": (sc.rel_entr, (uniform(0.2, 2.0, 3, 1), uniform(0.2, 2.0, 4))),
    # --- Bessel functions (constant orders) --------------------------------------------
    "iv": (lambda x: sc.iv(1.5, x), (POSITIVE,)),
    "iv[orders broadcast]": (lambda x: sc.iv(ORDERS, x), (POSITIVE,)),
    "iv[integer order, negative x]": (lambda x: sc.iv(2, x), (-POSITIVE,)),
    "ive": (lambda x: sc.ive(0.5, x), (POSITIVE,)),
    "ive[negative x]": (lambda x: sc.ive(1.0, x), (-POSITIVE,)),
    "jv": (lambda x: sc.jv(2.5, x), (POSITIVE,)),
    "jv[jn]": (lambda x: sc.jn(3, x), (normal(4),)),
    "yv": (lambda x: sc.yv(0.7, x), (POSITIVE,)),
    "yn": (lambda x: sc.yn(2, x), (POSITIVE,)),
    "kv": (lambda x: sc.kv(ORDERS, x), (POSITIVE,)),
    "kve": (lambda x: sc.kve(1.5, x), (POSITIVE,)),
    "i0": (sc.i0, (normal(4),)),
    "i1": (sc.i1, (normal(4),)),
    "i0e": (sc.i0e, (np.array([-2.0, -0.5, 0.4, 3.0]),)),
    "i1e": (sc.i1e, (np.array([-2.0, -0.5, 0.4, 3.0]),)),
    "j0": (sc.j0, (normal(4),)),
    "j1": (sc.j1, (normal(4),)),
    "y0": (sc.y0, (POSITIVE,)),
    "y1": (sc.y1, (POSITIVE,)),
    "k0": (sc.k0, (POSITIVE,)),
    "k1": (sc.k1, (POSITIVE,)),
    "k0e": (sc.k0e, (POSITIVE,)),
    "k1e": (sc.k1e, (POSITIVE,)),
}
