"""Error function, normal distribution and logistic functions of ``scipy.special``."""

from __future__ import annotations

import numpy as np
import scipy.special as sc

from ..numpy._elementwise import unary

__all__ = ["erf", "erfc", "erfinv", "erfcinv", "ndtr", "log_ndtr", "ndtri", "expit",
           "logit", "log_expit"]

_TWO_OVER_SQRT_PI = 2.0 / np.sqrt(np.pi)
_SQRT_2PI = np.sqrt(2.0 * np.pi)

erf = unary(sc.erf, lambda ans, x: _TWO_OVER_SQRT_PI * np.exp(-x * x))
erfc = unary(sc.erfc, lambda ans, x: -_TWO_OVER_SQRT_PI * np.exp(-x * x))
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
