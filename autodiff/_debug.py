"""Opt-in NaN debugging: name the first primitive that turns finite inputs into NaN."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np

enabled = False


class FloatingPointDerivativeError(FloatingPointError):
    """A primitive produced NaN from finite inputs while ``debug_nans`` was on."""


def _has_nan(x) -> bool:
    from ._tracer import base_value

    v = base_value(x)
    if v is None:
        return False
    v = np.asarray(v)
    return v.dtype.kind in "fc" and bool(np.isnan(v).any())


def check(prim, where: str, outputs, inputs) -> None:
    """Raise if any output is NaN while every input is NaN-free."""
    if any(_has_nan(o) for o in outputs) and not any(_has_nan(i) for i in inputs):
        raise FloatingPointDerivativeError(
            f"NaN produced by primitive '{prim.name}' in its {where} from finite inputs"
        )


@contextlib.contextmanager
def debug_nans(flag: bool = True) -> Iterator[None]:
    """Context manager that checks every traced primitive for new NaNs.

    Inside the block, the first primitive whose value, tangent (forward rule) or
    cotangent (backward rule) contains NaN although its inputs did not raises
    :class:`FloatingPointDerivativeError` naming the primitive and the pass.

    Examples
    --------
    >>> import numpy as np, autodiff as ad
    >>> with ad.debug_nans():
    ...     ad.grad(lambda x: np.sqrt(x - x))(1.0)   # doctest: +SKIP
    Traceback (most recent call last):
    FloatingPointDerivativeError: NaN produced by primitive 'multiply' in its backward (vjp) ...
    """
    global enabled
    previous, enabled = enabled, flag
    try:
        with np.errstate(invalid="ignore", divide="ignore"):
            yield
    finally:
        enabled = previous
