"""Error function, normal distribution and logistic functions of ``scipy.special``."""

from __future__ import annotations

import numpy as np
import scipy.special as sc

from ..numpy._elementwise import unary
from ._special_common import in_last_argument

__all__ = ["erf", "erfc", "erfcx", "erfinv", "erfcinv", "ndtr", "log_ndtr", "ndtri", "expit",
           "logit", "log_expit", "exp1", "expi", "expn", "expm1", "log1p", "cosm1"]

_TWO_OVER_SQRT_PI = 2.0 / np.sqrt(np.pi)
_SQRT_2PI = np.sqrt(2.0 * np.pi)

erf = unary(sc.erf, lambda ans, x: _TWO_OVER_SQRT_PI * np.exp(-x * x))
erfc = unary(sc.erfc, lambda ans, x: -_TWO_OVER_SQRT_PI * np.exp(-x * x))
# erfcx(x) = exp(x^2) erfc(x)
erfcx = unary(sc.erfcx, lambda ans, x: 2.0 * x * ans - _TWO_OVER_SQRT_PI, uses="ans x")
# Inverse functions: 1 / f'(ans).
erfinv = unary(sc.erfinv, lambda ans, x: np.exp(ans * ans) / _TWO_OVER_SQRT_PI, uses="ans")
erfcinv = unary(sc.erfcinv, lambda ans, x: -np.exp(ans * ans) / _TWO_OVER_SQRT_PI, uses="ans")
ndtr = unary(sc.ndtr, lambda ans, x: np.exp(-0.5 * x * x) / _SQRT_2PI)
# phi(x) / Phi(x), formed in logs so that it stays finite far in the left tail.
log_ndtr = unary(sc.log_ndtr, lambda ans, x: np.exp(-0.5 * x * x - ans) / _SQRT_2PI,
                 uses="ans x")
ndtri = unary(sc.ndtri, lambda ans, x: _SQRT_2PI * np.exp(0.5 * ans * ans), uses="ans")

expit = unary(sc.expit, lambda ans, x: ans * (1.0 - ans), uses="ans")
logit = unary(sc.logit, lambda ans, x: 1.0 / (x * (1.0 - x)))
log_expit = unary(sc.log_expit, lambda ans, x: expit(-x))

# --- exponential integrals and SciPy's own accurate elementary functions -------------
exp1 = unary(sc.exp1, lambda ans, x: -np.exp(-x) / x)
expi = unary(sc.expi, lambda ans, x: np.exp(x) / x)


def _expn_derivative(ans, n, x):
    # E_n' = -E_(n-1) for n >= 1; E_0(x) = exp(-x) / x.
    return np.where(n >= 1, -expn(np.maximum(n - 1, 0), x), -np.exp(-x) * (x + 1.0) / (x * x))


expn = in_last_argument(sc.expn, _expn_derivative, ("order n",))
# SciPy's expm1 and log1p are ufuncs of their own (not NumPy's).
expm1 = unary(sc.expm1, lambda ans, x: ans + 1.0, uses="ans", name="special.expm1")
log1p = unary(sc.log1p, lambda ans, x: 1.0 / (1.0 + x), name="special.log1p")
cosm1 = unary(sc.cosm1, lambda ans, x: -np.sin(x))
