"""Elementwise (ufunc-like) primitives with their VJP and JVP rules side by side.

Unary rules are given as the derivative ``f'(x)`` written in terms of ``ans`` and
``x``; both modes follow from it.  Binary rules are given per operand.  Rules use
NumPy functions, so when they run on tracers (higher-order derivatives) they are
differentiated in turn.

Conventions at non-smooth points: ``abs'(0) = 0``; ``maximum``/``minimum`` split
the adjoint equally between tied operands; ``clip`` passes the derivative through
at the bounds (``lo <= x <= hi``); ``where`` routes it by the condition;
``sign``, ``floor``, ``ceil``, ``round`` and comparisons have derivative zero.
"""

from __future__ import annotations

import numpy as np

from ._helpers import make_primitive


def unary(ufunc, derivative, name: str | None = None):
    """Primitive for ``ufunc`` with ``d ufunc(x) / dx = derivative(ans, x)``."""
    uses_ans, uses_x = "ans" in _loaded(derivative), "x" in _loaded(derivative)

    def vjp(ans, x):
        # Keep only what the derivative reads, so the tape does not hold the rest.
        a, b = (ans if uses_ans else None), (x if uses_x else None)
        return lambda g: g * derivative(a, b)

    return make_primitive(
        ufunc,
        name or ufunc.__name__,
        elementwise=True,
        vjps=[vjp],
        jvps=[lambda t, ans, x: t * derivative(ans, x)],
    )


def _loaded(fun) -> set[str]:
    """Names of the local variables that ``fun``'s code reads."""
    import dis

    return {ins.argval for ins in dis.get_instructions(fun) if ins.opname.startswith("LOAD_FAST")}


# --- unary: powers, exponentials, logarithms -------------------------------------
negative = make_primitive(
    np.negative, elementwise=True,
    vjps=[lambda ans, x: lambda g: -g], jvps=[lambda t, ans, x: -t],
)
positive = make_primitive(
    np.positive, elementwise=True,
    vjps=[lambda ans, x: lambda g: g], jvps=[lambda t, ans, x: t],
)
exp = unary(np.exp, lambda ans, x: ans)
exp2 = unary(np.exp2, lambda ans, x: ans * np.log(2.0))
expm1 = unary(np.expm1, lambda ans, x: ans + 1.0)
log = unary(np.log, lambda ans, x: 1.0 / x)
log2 = unary(np.log2, lambda ans, x: 1.0 / (x * np.log(2.0)))
log10 = unary(np.log10, lambda ans, x: 1.0 / (x * np.log(10.0)))
log1p = unary(np.log1p, lambda ans, x: 1.0 / (1.0 + x))
sqrt = unary(np.sqrt, lambda ans, x: 0.5 / ans)
cbrt = unary(np.cbrt, lambda ans, x: 1.0 / (3.0 * ans * ans))
square = unary(np.square, lambda ans, x: 2.0 * x)
reciprocal = unary(np.reciprocal, lambda ans, x: -ans * ans)
absolute = unary(np.absolute, lambda ans, x: np.sign(x))  # abs'(0) = 0
fabs = unary(np.fabs, lambda ans, x: np.sign(x))

# --- unary: trigonometric and hyperbolic ------------------------------------------
sin = unary(np.sin, lambda ans, x: np.cos(x))
cos = unary(np.cos, lambda ans, x: -np.sin(x))
tan = unary(np.tan, lambda ans, x: 1.0 + ans * ans)
arcsin = unary(np.arcsin, lambda ans, x: 1.0 / np.sqrt(1.0 - x * x))
arccos = unary(np.arccos, lambda ans, x: -1.0 / np.sqrt(1.0 - x * x))
arctan = unary(np.arctan, lambda ans, x: 1.0 / (1.0 + x * x))
sinh = unary(np.sinh, lambda ans, x: np.cosh(x))
cosh = unary(np.cosh, lambda ans, x: np.sinh(x))
tanh = unary(np.tanh, lambda ans, x: 1.0 - ans * ans)
arcsinh = unary(np.arcsinh, lambda ans, x: 1.0 / np.sqrt(x * x + 1.0))
arccosh = unary(np.arccosh, lambda ans, x: 1.0 / np.sqrt(x * x - 1.0))
arctanh = unary(np.arctanh, lambda ans, x: 1.0 / (1.0 - x * x))
deg2rad = unary(np.deg2rad, lambda ans, x: np.pi / 180.0)
rad2deg = unary(np.rad2deg, lambda ans, x: 180.0 / np.pi)


# --- binary arithmetic ---------------------------------------------------------
def _identity_vjp(ans, x, y):
    return lambda g: g


def _identity_jvp(t, ans, x, y):
    return t


add = make_primitive(
    np.add, elementwise=True,
    vjps=[_identity_vjp, _identity_vjp], jvps=[_identity_jvp, _identity_jvp],
)
subtract = make_primitive(
    np.subtract, elementwise=True,
    vjps=[_identity_vjp, lambda ans, x, y: lambda g: -g],
    jvps=[_identity_jvp, lambda t, ans, x, y: -t],
)
multiply = make_primitive(
    np.multiply, elementwise=True,
    vjps=[lambda ans, x, y: lambda g: g * y, lambda ans, x, y: lambda g: g * x],
    jvps=[lambda t, ans, x, y: t * y, lambda t, ans, x, y: t * x],
)
true_divide = make_primitive(
    np.true_divide, "divide", elementwise=True,
    vjps=[lambda ans, x, y: lambda g: g / y, lambda ans, x, y: lambda g: -g * ans / y],
    jvps=[lambda t, ans, x, y: t / y, lambda t, ans, x, y: -t * ans / y],
)


def _log_where_positive(x):
    # d(x**y)/dy = x**y log x; where x <= 0 the convention is 0 (y is usually an
    # integer exponent there and x**y is not differentiable in y).
    positive = x > 0
    return np.where(positive, np.log(np.where(positive, x, 1.0)), 0.0)


def _power_dx(ans, x, y):
    if isinstance(y, (int, float)) and y == 2:  # the common square: skip a general power
        return 2.0 * x
    # y x^(y-1), written so that y = 0 gives 0 (not 0 * 0^-1 = nan) at x = 0.
    return y * np.power(x, np.where(y == 0, 1, y - 1))


power = make_primitive(
    np.power, elementwise=True,
    vjps=[lambda ans, x, y: lambda g: g * _power_dx(ans, x, y),
          lambda ans, x, y: lambda g: g * ans * _log_where_positive(x)],
    jvps=[lambda t, ans, x, y: t * _power_dx(ans, x, y),
          lambda t, ans, x, y: t * (ans * _log_where_positive(x))],
)


def _first_wins(x, y, wins):
    """Weight of the first operand: 1 where it wins, 1/2 at ties, 0 otherwise."""
    return lambda g: g * wins(x, y) + (g * 0.5) * (x == y)


def _second_wins(x, y, wins):
    return lambda g: g * wins(y, x) + (g * 0.5) * (x == y)


def _tie_split(wins):
    return make_primitive(
        np.maximum if wins is np.greater else np.minimum,
        elementwise=True,
        vjps=[lambda ans, x, y: _first_wins(x, y, wins),
              lambda ans, x, y: _second_wins(x, y, wins)],
        jvps=[lambda t, ans, x, y: _first_wins(x, y, wins)(t),
              lambda t, ans, x, y: _second_wins(x, y, wins)(t)],
    )


maximum = _tie_split(np.greater)
minimum = _tie_split(np.less)

logaddexp = make_primitive(
    np.logaddexp, elementwise=True,
    vjps=[lambda ans, x, y: lambda g: g * np.exp(x - ans),
          lambda ans, x, y: lambda g: g * np.exp(y - ans)],
    jvps=[lambda t, ans, x, y: t * np.exp(x - ans), lambda t, ans, x, y: t * np.exp(y - ans)],
)
logaddexp2 = make_primitive(
    np.logaddexp2, elementwise=True,
    vjps=[lambda ans, x, y: lambda g: g * np.exp2(x - ans),
          lambda ans, x, y: lambda g: g * np.exp2(y - ans)],
    jvps=[lambda t, ans, x, y: t * np.exp2(x - ans), lambda t, ans, x, y: t * np.exp2(y - ans)],
)


def _atan2_dy(x, y):
    return x / (x * x + y * y)


def _atan2_dx(x, y):
    return -y / (x * x + y * y)


arctan2 = make_primitive(  # arctan2(y, x)
    np.arctan2, elementwise=True,
    vjps=[lambda ans, y, x: lambda g: g * _atan2_dy(x, y),
          lambda ans, y, x: lambda g: g * _atan2_dx(x, y)],
    jvps=[lambda t, ans, y, x: t * _atan2_dy(x, y), lambda t, ans, y, x: t * _atan2_dx(x, y)],
)
hypot = make_primitive(
    np.hypot, elementwise=True,
    vjps=[lambda ans, x, y: lambda g: g * x / ans, lambda ans, x, y: lambda g: g * y / ans],
    jvps=[lambda t, ans, x, y: t * x / ans, lambda t, ans, x, y: t * y / ans],
)
remainder = make_primitive(  # x mod y = x - floor(x / y) y
    np.remainder, "remainder", elementwise=True,
    vjps=[_identity_vjp, lambda ans, x, y: lambda g: -g * np.floor(x / y)],
    jvps=[_identity_jvp, lambda t, ans, x, y: -t * np.floor(x / y)],
)
fmod = make_primitive(
    np.fmod, elementwise=True,
    vjps=[_identity_vjp, lambda ans, x, y: lambda g: -g * np.trunc(x / y)],
    jvps=[_identity_jvp, lambda t, ans, x, y: -t * np.trunc(x / y)],
)


# --- selection -------------------------------------------------------------------
def _where_impl(condition, x, y):
    return np.where(condition, x, y)


where3 = make_primitive(
    _where_impl, "where", elementwise=True,
    vjps=[None, lambda ans, c, x, y: lambda g: np.where(c, g, 0),
          lambda ans, c, x, y: lambda g: np.where(c, 0, g)],
    jvps=[None, lambda t, ans, c, x, y: np.where(c, t, 0),
          lambda t, ans, c, x, y: np.where(c, 0, t)],
)


def _clip_impl(x, lo, hi):
    return np.minimum(np.maximum(x, lo), hi)


def _inside(x, lo, hi):
    return (x >= lo) & (x <= hi)


clip3 = make_primitive(
    _clip_impl, "clip", elementwise=True,
    vjps=[lambda ans, x, lo, hi: lambda g: g * _inside(x, lo, hi),
          lambda ans, x, lo, hi: lambda g: g * (x < lo),
          lambda ans, x, lo, hi: lambda g: g * (x > hi)],
    jvps=[lambda t, ans, x, lo, hi: t * _inside(x, lo, hi),
          lambda t, ans, x, lo, hi: t * (x < lo),
          lambda t, ans, x, lo, hi: t * (x > hi)],
)

# Primitives by the NumPy ufunc they implement (used by __array_ufunc__).
UFUNC_PRIMITIVES = {
    np.negative: negative, np.positive: positive,
    np.exp: exp, np.exp2: exp2, np.expm1: expm1, np.log: log, np.log2: log2,
    np.log10: log10, np.log1p: log1p, np.sqrt: sqrt, np.cbrt: cbrt, np.square: square,
    np.reciprocal: reciprocal, np.absolute: absolute, np.fabs: fabs,
    np.sin: sin, np.cos: cos, np.tan: tan, np.arcsin: arcsin, np.arccos: arccos,
    np.arctan: arctan, np.sinh: sinh, np.cosh: cosh, np.tanh: tanh, np.arcsinh: arcsinh,
    np.arccosh: arccosh, np.arctanh: arctanh, np.deg2rad: deg2rad, np.rad2deg: rad2deg,
    np.radians: deg2rad, np.degrees: rad2deg,
    np.add: add, np.subtract: subtract, np.multiply: multiply, np.true_divide: true_divide,
    np.power: power, np.float_power: power, np.maximum: maximum, np.minimum: minimum,
    np.fmax: maximum, np.fmin: minimum, np.logaddexp: logaddexp, np.logaddexp2: logaddexp2,
    np.arctan2: arctan2, np.hypot: hypot, np.remainder: remainder, np.fmod: fmod,
}

# Ufuncs whose result is piecewise constant (or boolean): derivative zero.
NONDIFF_UFUNCS = {
    np.sign, np.floor, np.ceil, np.rint, np.trunc, np.floor_divide, np.signbit,
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_xor, np.logical_not,
    np.isfinite, np.isinf, np.isnan, np.heaviside, np.spacing, np.nextafter,
    np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.invert,
}
