"""The differentiable NumPy namespace.

``import autodiff.numpy as anp`` gives the same surface as NumPy for the functions
that have derivative rules, plus NumPy's non-differentiable constructors and
predicates (``zeros``, ``arange``, ``isfinite``, ...).  Plain ``np.*`` calls on
traced arrays dispatch to the same functions, so unmodified NumPy code is
differentiable too.
"""

import numpy as _np

from . import linalg
from ._dispatch import UnsupportedFunctionError
from ._dispatch import install as _install
from ._elementwise import (
    absolute,
    add,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    cbrt,
    cos,
    cosh,
    deg2rad,
    exp,
    exp2,
    expm1,
    fabs,
    fmod,
    hypot,
    log,
    log1p,
    log2,
    log10,
    logaddexp,
    logaddexp2,
    maximum,
    minimum,
    multiply,
    negative,
    positive,
    power,
    rad2deg,
    reciprocal,
    remainder,
    sin,
    sinh,
    sqrt,
    square,
    subtract,
    tan,
    tanh,
    true_divide,
)
from ._functions import (
    array,
    array_split,
    asarray,
    astype,
    atleast_1d,
    atleast_2d,
    broadcast_arrays,
    broadcast_to,
    clip,
    column_stack,
    concatenate,
    conj,
    copy,
    cumsum,
    diag,
    diagonal,
    diff,
    dot,
    einsum,
    expand_dims,
    flip,
    fliplr,
    flipud,
    hstack,
    index_add,
    index_update,
    inner,
    logsumexp,
    max,
    mean,
    min,
    moveaxis,
    outer,
    pad,
    prod,
    ravel,
    real,
    repeat,
    reshape,
    roll,
    sort,
    split,
    squeeze,
    stack,
    std,
    stop_gradient,
    sum,
    swapaxes,
    take,
    take_along_axis,
    tensordot,
    tile,
    trace,
    transpose,
    tril,
    triu,
    var,
    vdot,
    vstack,
    where,
)
from ._functions import matmul_ as matmul

_install()

abs = absolute
divide = true_divide
amax = max
amin = min
radians = deg2rad
degrees = rad2deg
float_power = power
fmax = maximum
fmin = minimum
mod = remainder

# Non-differentiable constructors, constants and predicates: NumPy's own.
_PASSTHROUGH = (
    "zeros ones empty full zeros_like ones_like empty_like full_like arange linspace logspace "
    "geomspace eye identity tri meshgrid indices ogrid mgrid ix_ "
    "isfinite isnan isinf isclose allclose array_equal sign floor ceil round around rint trunc "
    "argmax argmin argsort nonzero count_nonzero all any shape ndim size result_type "
    "searchsorted digitize unique greater greater_equal less less_equal equal not_equal "
    "logical_and logical_or logical_not logical_xor floor_divide "
    "float16 float32 float64 complex64 complex128 int8 int16 int32 int64 uint8 bool_ "
    "ndarray dtype newaxis pi e inf nan euler_gamma finfo iinfo errstate random"
).split()
for _name in _PASSTHROUGH:
    globals()[_name] = getattr(_np, _name)
del _name

__all__ = sorted(
    name for name in dir() if not name.startswith("_") and name not in ("annotations",)
)
