"""``x log y`` and the entropy functions of ``scipy.special``.

Conventions where a derivative does not exist: ``xlogy(0, y)`` is 0 for every
``y``, so its derivative in ``y`` is taken as 0 at ``x = 0`` (also at ``y = 0``);
likewise for ``xlog1py`` and ``rel_entr``.  ``entr'(0) = -inf`` (the true limit).
"""

from __future__ import annotations

import numpy as np
import scipy.special as sc

from ..numpy._elementwise import binary, unary

__all__ = ["xlogy", "xlog1py", "entr", "rel_entr"]


def _log(y):
    # log 0 = -inf is the true derivative of xlogy(x, y) in x at y = 0: no warning.
    with np.errstate(divide="ignore"):
        return np.log(y)


def _log1p(y):
    with np.errstate(divide="ignore"):
        return np.log1p(y)


def _ratio_zero_at_zero(x, y):
    """``x / y`` with the value 0 wherever ``x == 0`` (even where ``y == 0``)."""
    zero = x == 0
    return np.where(zero, 0.0, x / np.where(zero, 1.0, y))


xlogy = binary(
    sc.xlogy,
    [lambda ans, x, y: lambda g: g * _log(y),
     lambda ans, x, y: lambda g: g * _ratio_zero_at_zero(x, y)],
    [lambda t, ans, x, y: t * _log(y),
     lambda t, ans, x, y: t * _ratio_zero_at_zero(x, y)],
)
xlog1py = binary(
    sc.xlog1py,
    [lambda ans, x, y: lambda g: g * _log1p(y),
     lambda ans, x, y: lambda g: g * _ratio_zero_at_zero(x, 1.0 + y)],
    [lambda t, ans, x, y: t * _log1p(y),
     lambda t, ans, x, y: t * _ratio_zero_at_zero(x, 1.0 + y)],
)
# entr(x) = -x log x
entr = unary(sc.entr, lambda ans, x: -np.log(x) - 1.0)
# rel_entr(x, y) = x log(x / y)
rel_entr = binary(
    sc.rel_entr,
    [lambda ans, x, y: lambda g: g * (np.log(x / y) + 1.0),
     lambda ans, x, y: lambda g: -g * _ratio_zero_at_zero(x, y)],
    [lambda t, ans, x, y: t * (np.log(x / y) + 1.0),
     lambda t, ans, x, y: -t * _ratio_zero_at_zero(x, y)],
)
