"""Declaring SciPy ufuncs whose leading operands are constant orders.

Bessel functions and the exponential integral ``expn`` take an order; their
derivatives are implemented in the last operand ``x`` only.  A traced order gets a
clear ``NotImplementedError`` (never a silently dropped derivative).
"""

from __future__ import annotations

from collections.abc import Callable

from .._registry import declare, implements
from .._tracer import Primitive


def _refusal(name: str, parameter: str) -> NotImplementedError:
    return NotImplementedError(
        f"scipy.special.{name}: the derivative with respect to the {parameter} is not "
        f"implemented (only the derivative in the last argument, x, is); pass the {parameter} "
        "as a constant, e.g. wrapped in ad.stop_gradient(...)")


def in_last_argument(ufunc, derivative: Callable, parameters: tuple[str, ...],
                     name: str | None = None) -> Primitive:
    """Primitive for ``ufunc(*parameters, x)`` with ``d/dx = derivative(ans, *parameters, x)``.

    The rules refuse a traced parameter; ``parameters`` name them for that error.
    """
    name = name or ufunc.__name__

    def refuse_vjp(parameter):
        def maker(ans, *args):
            raise _refusal(name, parameter)
        return maker

    def refuse_jvp(parameter):
        def rule(t, ans, *args):
            raise _refusal(name, parameter)
        return rule

    prim = declare(
        ufunc, name, elementwise=True,
        vjps=[refuse_vjp(p) for p in parameters]
        + [lambda ans, *args: lambda g: g * derivative(ans, *args)],
        jvps=[refuse_jvp(p) for p in parameters]
        + [lambda t, ans, *args: t * derivative(ans, *args)],
    )
    implements(ufunc)(prim)
    return prim
