"""Every derivative rule of the core, checked against finite differences.

One parametrized test runs :func:`autodiff.check_grads` (forward and reverse mode,
second order: forward-over-forward, forward-over-reverse, reverse-over-forward and
reverse-over-reverse) on every case of ``CASES``.  ``test_every_primitive_has_a_case``
scans the core's modules for :class:`autodiff.Primitive` instances and fails when a
primitive has no case, so a new rule cannot land untested.

A case is ``key -> (function, example args)`` or ``key -> (function, example args,
order)``.  The key is the primitive's name, optionally followed by ``[variant]``;
every case must actually apply the primitive it is named after (checked on the
reverse-mode tape).  ``order=1`` is used only where the second derivative is
degenerate, with the reason next to the case.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import scipy.sparse
import scipy.special

import autodiff as ad
import autodiff.numpy as anp
import autodiff.scipy.ndimage as adi
import autodiff.scipy.special as asp
from autodiff._registry import PRIMITIVES
from autodiff._reverse import ReverseTrace
from autodiff._tracer import new_level
from autodiff.scipy import (
    _ndimage_boundary,
    _ndimage_bspline,
    _ndimage_filters,
    _ndimage_prefilter,
    _special_hooks,
)


def discover_primitives() -> dict[str, ad.Primitive]:
    """``name -> primitive`` for every library primitive, read from the registry."""
    import autodiff.scipy.ndimage  # noqa: F401  (imported lazily by autodiff.scipy)

    return dict(PRIMITIVES)


# --- example inputs ----------------------------------------------------------------
_rng = np.random.default_rng(20240611)


def normal(*shape):
    return _rng.standard_normal(shape)


def uniform(lo, hi, *shape):
    return _rng.uniform(lo, hi, shape)


def well_conditioned(n):
    """A nonsymmetric matrix with eigenvalues near 3 (condition number ~ 2)."""
    return 3.0 * np.eye(n) + 0.3 * normal(n, n)


def symmetrized_spd(a):
    """An SPD matrix built from any square ``a``: cholesky only sees valid inputs."""
    n = a.shape[0]
    return 0.5 * (a + a.T) + n * np.eye(n)


def distinct(*shape):
    """Values with gaps of at least 0.1 between any two (no ties for max/sort)."""
    n = int(np.prod(shape))
    values = np.linspace(-1.5, 1.5, n) + 0.02 * _rng.uniform(size=n)
    return _rng.permutation(values).reshape(shape)


def off_knots(lo, hi, *shape):
    """Spline coordinates in ``[lo, hi)``, at least 0.15 from every integer (a knot)."""
    return np.floor(uniform(lo, hi, *shape)) + uniform(0.15, 0.85, *shape)


def one_point_outside(coords):
    """``coords`` with its first point moved outside the grid (SciPy's 'constant' fill)."""
    coords = coords.copy()
    coords[0, 0] = -1.5
    return coords


SPARSE = scipy.sparse.random(5, 4, density=0.5, format="csr", random_state=3)
SPARSE.data[:] = normal(SPARSE.nnz)
CONSTANT_2x3 = normal(2, 3)

# Shapes (3, 1) with (4,): each operand broadcasts along an axis of the other.
COL, ROW = (3, 1), (4,)


CASES = {
    # --- unary elementwise ----------------------------------------------------------
    "negative": (lambda x: -x, (normal(3, 4),)),
    "negative[ufunc]": (np.negative, (normal(3),)),
    "positive": (np.positive, (normal(3, 2),)),
    "exp": (np.exp, (normal(3, 4),)),
    "exp2": (np.exp2, (normal(4),)),
    "expm1": (np.expm1, (normal(4),)),
    "log": (np.log, (uniform(0.5, 2.0, 3, 4),)),
    "log2": (np.log2, (uniform(0.5, 2.0, 4),)),
    "log10": (np.log10, (uniform(0.5, 2.0, 4),)),
    "log1p": (np.log1p, (uniform(-0.5, 2.0, 4),)),
    "sqrt": (np.sqrt, (uniform(0.5, 2.0, 3, 4),)),
    "cbrt": (np.cbrt, (uniform(0.5, 2.0, 4) * np.array([1, -1, 1, -1]),)),
    "square": (np.square, (normal(4),)),
    "reciprocal": (np.reciprocal, (uniform(0.5, 2.0, 4),)),
    # abs/fabs away from 0 (abs'(0) = 0 is checked in test_non_smooth_conventions);
    # the second derivative is zero there and is still checked.
    "absolute": (np.abs, (np.array([-1.3, -0.4, 0.2, 2.0]),)),
    "absolute[operator]": (abs, (np.array([-1.3, 0.7]),)),
    "fabs": (np.fabs, (np.array([-1.3, -0.4, 0.2, 2.0]),)),
    "sin": (np.sin, (normal(3, 4),)),
    "cos": (np.cos, (normal(3, 4),)),
    "tan": (np.tan, (uniform(-1.0, 1.0, 4),)),
    "arcsin": (np.arcsin, (uniform(-0.8, 0.8, 4),)),
    "arccos": (np.arccos, (uniform(-0.8, 0.8, 4),)),
    "arctan": (np.arctan, (normal(4),)),
    "sinh": (np.sinh, (normal(4),)),
    "cosh": (np.cosh, (normal(4),)),
    "tanh": (np.tanh, (normal(4),)),
    "arcsinh": (np.arcsinh, (normal(4),)),
    "arccosh": (np.arccosh, (uniform(1.5, 3.0, 4),)),
    "arctanh": (np.arctanh, (uniform(-0.8, 0.8, 4),)),
    "deg2rad": (np.deg2rad, (normal(4),)),
    "deg2rad[radians]": (np.radians, (normal(4),)),
    "rad2deg": (np.rad2deg, (normal(4),)),
    # --- scipy.special ----------------------------------------------------------------
    "expit": (scipy.special.expit, (normal(3, 4),)),
    "logit": (scipy.special.logit, (uniform(0.2, 0.8, 4),)),
    "erf": (scipy.special.erf, (normal(4),)),
    "erfc": (scipy.special.erfc, (normal(4),)),
    "gammaln": (scipy.special.gammaln, (uniform(0.5, 4.0, 4),)),
    "psi": (scipy.special.digamma, (uniform(0.5, 4.0, 4),)),
    "psi[asp.digamma]": (asp.digamma, (uniform(0.5, 4.0, 4),)),
    "polygamma": (lambda x: asp.polygamma(1, x), (uniform(0.5, 4.0, 4),)),
    "polygamma[n=2]": (lambda x: asp.polygamma(2, x), (uniform(0.5, 4.0, 4),)),
    "expit[asp]": (asp.expit, (normal(4),)),
    "logsumexp[asp]": (lambda x: asp.logsumexp(x, axis=1), (normal(3, 4),)),
    "exp[asp.softmax]": (lambda x: asp.softmax(x, axis=0), (normal(3, 4),)),
    "log[asp.log_softmax]": (lambda x: asp.log_softmax(x, axis=-1), (normal(3, 4),)),
    # SciPy's own functions, through the hooks of autodiff.scipy._special_hooks
    # (scipy.special.logsumexp is tested in scipy/test_special_hooks.py: its wrapper
    # computes on values, which ad.stage refuses).
    "exp[scipy.special.softmax]": (lambda x: scipy.special.softmax(x, axis=0), (normal(3, 4),)),
    "log[scipy.special.log_softmax]": (lambda x: scipy.special.log_softmax(x, axis=1),
                                       (normal(3, 4),)),
    # --- binary elementwise, with broadcasting ----------------------------------------
    "add": (lambda x, y: x + y, (normal(*COL), normal(*ROW))),
    "add[scalar]": (lambda x: 2.5 + x, (normal(3),)),
    "add[0-d]": (lambda x, y: x + y, (np.array(0.7), normal(2, 3))),
    "subtract": (lambda x, y: x - y, (normal(*COL), normal(*ROW))),
    "subtract[rsub]": (lambda x: 1.0 - x, (normal(3),)),
    "multiply": (lambda x, y: x * y, (normal(*COL), normal(*ROW))),
    # the operator x * x is square(x); np.multiply keeps both operands
    "multiply[same]": (lambda x: np.multiply(x, x), (normal(3),)),
    "square[x * x]": (lambda x: x * x, (normal(3),)),
    "multiply[3d]": (lambda x, y: x * y, (normal(2, 1, 4), normal(3, 1))),
    "divide": (lambda x, y: x / y, (normal(*COL), uniform(0.5, 2.0, *ROW))),
    "divide[rtruediv]": (lambda x: 2.0 / x, (uniform(0.5, 2.0, 3),)),
    "power": (lambda x, y: x ** y, (uniform(0.5, 2.0, *COL), normal(*ROW))),
    "power[int exponent]": (lambda x: x ** 3, (normal(4),)),
    "power[negative base]": (lambda x: np.power(x, 2.0), (np.array([-1.5, -0.3, 0.8]),)),
    "power[rpow]": (lambda x: 2.0 ** x, (normal(4),)),
    "power[float_power]": (lambda x, y: np.float_power(x, y), (uniform(0.5, 2.0, 3), normal(3))),
    "maximum": (np.maximum, (distinct(*COL), distinct(*ROW) + 0.05)),
    "maximum[fmax]": (np.fmax, (distinct(4), distinct(4) + 0.05)),
    "minimum": (np.minimum, (distinct(*COL), distinct(*ROW) + 0.05)),
    "logaddexp": (np.logaddexp, (normal(*COL), normal(*ROW))),
    "logaddexp2": (np.logaddexp2, (normal(*COL), normal(*ROW))),
    "arctan2": (np.arctan2, (normal(*COL), uniform(0.5, 2.0, *ROW))),
    "hypot": (np.hypot, (uniform(0.5, 2.0, *COL), uniform(0.5, 2.0, *ROW))),
    # x in (3.3, 4.8), y in (1.1, 1.4): away from the jumps of x mod y.
    "remainder": (np.remainder, (uniform(3.4, 3.5, *COL), uniform(1.2, 1.3, *ROW))),
    "remainder[operator]": (lambda x: x % 1.7, (uniform(2.0, 3.0, 4),)),
    "fmod": (np.fmod, (uniform(3.4, 3.5, *COL), uniform(1.2, 1.3, *ROW))),
    "fmod[negative]": (np.fmod, (-uniform(3.4, 3.5, 3), uniform(1.2, 1.3, 3))),
    # --- selection --------------------------------------------------------------------
    "where": (lambda x, y: np.where(x > 0, x, y), (np.array([[-0.8], [0.4], [1.1]]), normal(*ROW))),
    "where[constant branch]": (lambda x: np.where(x > 0, x ** 2, 0.0),
                               (np.array([-1.2, -0.3, 0.4, 1.5]),)),
    "clip": (lambda x: np.clip(x, -0.5, 0.5), (np.array([-1.0, -0.2, 0.3, 0.9]),)),
    "clip[traced bounds]": (lambda x, lo, hi: np.clip(x, lo, hi),
                            (np.array([-1.0, -0.2, 0.3, 0.9]), np.array(-0.5), np.array(0.5))),
    "clip[method, one-sided]": (lambda x: x.clip(min=0.0), (np.array([-1.0, 0.3, 0.9]),)),
    # --- reductions -------------------------------------------------------------------
    "sum": (np.sum, (normal(3, 4),)),
    "sum[axis=0]": (lambda x: np.sum(x, axis=0), (normal(3, 4),)),
    "sum[axis=-1, keepdims]": (lambda x: np.sum(x, axis=-1, keepdims=True), (normal(2, 3, 4),)),
    "sum[axis=(0, 2)]": (lambda x: x.sum(axis=(0, 2)), (normal(2, 3, 4),)),
    "sum[where]": (lambda x: np.sum(x, where=np.array([True, False, True])), (normal(3),)),
    "sum[mean]": (lambda x: np.mean(x, axis=1), (normal(3, 4),)),
    "sum[var ddof=1]": (lambda x: np.var(x, axis=0, ddof=1), (normal(3, 4),)),
    "sum[std]": (lambda x: np.std(x), (normal(3, 4),)),
    "sum[trace]": (lambda x: np.trace(x), (normal(3, 3),)),
    "sum[vdot]": (lambda x, y: np.vdot(x, y), (normal(2, 3), normal(2, 3))),
    "sum[add.reduce]": (lambda x: np.add.reduce(x, axis=1), (normal(3, 4),)),
    "prod": (np.prod, (uniform(0.5, 1.5, 3, 2),)),
    "prod[axis=1, keepdims]": (lambda x: np.prod(x, axis=1, keepdims=True), (normal(3, 4),)),
    # prod at a point with one zero entry: the derivative needs prod of the others.
    "prod[one zero, first order]": (lambda x: np.prod(x, axis=0),
                                     (np.array([[1.5, 0.7], [0.0, -1.2], [2.0, 0.9]]),), 1),
    "max": (np.max, (distinct(3, 4),)),
    "max[axis=1]": (lambda x: np.max(x, axis=1), (distinct(3, 4),)),
    "max[axis=(0, 2), keepdims]": (lambda x: np.max(x, axis=(0, 2), keepdims=True),
                                   (distinct(2, 3, 4),)),
    "max[method]": (lambda x: x.max(axis=0), (distinct(3, 4),)),
    "max[maximum.reduce]": (lambda x: np.maximum.reduce(x, axis=0), (distinct(3, 4),)),
    "max[norm inf]": (lambda x: np.linalg.norm(x, ord=np.inf), (np.array([0.3, -1.7, 1.2]),)),
    "min": (np.min, (distinct(3, 4),)),
    "min[axis=0, keepdims]": (lambda x: np.min(x, axis=0, keepdims=True), (distinct(3, 4),)),
    "min[norm -inf]": (lambda x: np.linalg.norm(x, ord=-np.inf), (distinct(5) + 2.0,)),
    "cumsum": (lambda x: np.cumsum(x, axis=0), (normal(3, 4),)),
    "cumsum[axis=-1]": (lambda x: np.cumsum(x, axis=-1), (normal(3, 4),)),
    "cumsum[flat]": (np.cumsum, (normal(3, 4),)),
    "cumsum[add.accumulate]": (lambda x: np.add.accumulate(x), (normal(4),)),
    "logsumexp": (lambda x: anp.logsumexp(x), (normal(3, 4),)),
    "logsumexp[axis=0, keepdims]": (lambda x: anp.logsumexp(x, axis=0, keepdims=True),
                                    (normal(3, 4),)),
    # With weights b, logsumexp is composed (log|sum(b exp(a - shift))| + shift).
    "exp[logsumexp, b]": (lambda x: anp.logsumexp(x, axis=1, b=np.array([0.5, 1.0, 2.0, 1.5])),
                          (normal(3, 4),)),
    "exp[logsumexp, negative b, traced b]": (
        # |x| < 1.3 (4 sigma): the negative column cannot outweigh the three positive ones.
        lambda x, b: anp.logsumexp(x, axis=1, b=b),
        (np.clip(0.3 * normal(3, 4), -1.3, 1.3),
         uniform(1.0, 2.0, 3, 4) * np.array([1.0, -0.05, 1.0, 1.0]))),
    "exp[logsumexp, return_sign]": (
        lambda x: anp.logsumexp(x, axis=1, b=np.array([1.0, -0.5, 2.0, -0.2]),
                                return_sign=True)[0], (normal(3, 4),)),
    "norm": (np.linalg.norm, (normal(5),)),
    "norm[fro]": (lambda x: np.linalg.norm(x, "fro"), (normal(3, 4),)),
    "norm[axis=1, keepdims]": (lambda x: np.linalg.norm(x, axis=1, keepdims=True),
                               (normal(3, 4),)),
    "norm[axis=(0, 1)]": (lambda x: np.linalg.norm(x, axis=(0, 1)), (normal(3, 4, 2),)),
    "absolute[norm 1]": (lambda x: np.linalg.norm(x, ord=1), (np.array([-1.3, 0.4, 2.0]),)),
    "power[norm 3]": (lambda x: np.linalg.norm(x, ord=3), (uniform(0.5, 1.5, 4),)),
    # --- shape ------------------------------------------------------------------------
    "reshape": (lambda x: np.reshape(x, (4, 3)), (normal(3, 4),)),
    "reshape[method -1]": (lambda x: x.reshape(2, -1), (normal(3, 4),)),
    "reshape[ravel]": (np.ravel, (normal(3, 4),)),
    "reshape[expand_dims]": (lambda x: np.expand_dims(x, (0, 2)), (normal(3, 4),)),
    "reshape[squeeze]": (np.squeeze, (normal(3, 1, 4),)),
    "reshape[outer]": (np.outer, (normal(3), normal(4))),
    "transpose": (np.transpose, (normal(2, 3, 4),)),
    "transpose[axes]": (lambda x: np.transpose(x, (1, 2, 0)), (normal(2, 3, 4),)),
    "transpose[T]": (lambda x: x.T, (normal(3, 4),)),
    "transpose[moveaxis]": (lambda x: np.moveaxis(x, 0, -1), (normal(2, 3, 4),)),
    "transpose[swapaxes]": (lambda x: np.swapaxes(x, 0, 2), (normal(2, 3, 4),)),
    "broadcast_to": (lambda x: np.broadcast_to(x, (2, 3, 4)), (normal(*COL),)),
    "broadcast_to[arrays]": (lambda x, y: np.broadcast_arrays(x, y)[0] * 2.0,
                             (normal(*COL), normal(*ROW))),
    "concatenate": (lambda x, y: np.concatenate([x, y, x], axis=1),
                    (normal(3, 1), normal(3, 2))),
    "concatenate[axis None]": (lambda x, y: np.concatenate([x, y], axis=None),
                               (normal(2, 2), normal(3))),
    "concatenate[with constant]": (lambda x: np.concatenate([np.ones(2), x]), (normal(3),)),
    "concatenate[stack]": (lambda x, y: np.stack([x, y], axis=-1), (normal(3, 2), normal(3, 2))),
    "concatenate[hstack]": (lambda x, y: np.hstack([x, y]), (normal(3), normal(2))),
    "concatenate[vstack]": (lambda x, y: np.vstack([x, y]), (normal(3), normal(2, 3))),
    "concatenate[column_stack]": (lambda x, y: np.column_stack([x, y]), (normal(3), normal(3))),
    "concatenate[diff append]": (lambda x: np.diff(x, append=0.0), (normal(4),)),
    "pad": (lambda x: np.pad(x, ((1, 2), (0, 3))), (normal(3, 4),)),
    "pad[constant_values]": (lambda x: np.pad(x, 2, constant_values=1.5), (normal(3, 2),)),
    "roll": (lambda x: np.roll(x, (1, -2), axis=(0, 1)), (normal(3, 4),)),
    "roll[flat]": (lambda x: np.roll(x, 5), (normal(3, 4),)),
    "astype": (lambda x: x.astype(np.float64), (normal(3),)),
    "astype[ufunc dtype]": (lambda x: np.sin(x, dtype=np.float64), (normal(3),)),
    # --- indexing ---------------------------------------------------------------------
    "getitem": (lambda x: x[1], (normal(3, 4),)),
    "getitem[slices]": (lambda x: x[::2, 1:-1], (normal(3, 4),)),
    "getitem[negative step]": (lambda x: x[::-1, 2::-2], (normal(3, 4),)),
    "getitem[ellipsis, newaxis]": (lambda x: x[..., None, 1], (normal(2, 3, 4),)),
    "getitem[int array, repeats]": (lambda x: x[np.array([0, 2, 0, 1])], (normal(3, 4),)),
    "getitem[list]": (lambda x: x[[2, 0]], (normal(3,),)),
    "getitem[two arrays]": (lambda x: x[np.array([0, 2, 2]), np.array([1, 3, 1])],
                            (normal(3, 4),)),
    "getitem[non-adjacent advanced]": (lambda x: x[[0, 1, 1], :, [1, 2, 1]], (normal(3, 4, 5),)),
    "getitem[advanced after slice]": (lambda x: x[:, [3, 0]], (normal(3, 4),)),
    "getitem[2-d int array]": (lambda x: x[np.array([[0, 1], [1, 1]])], (normal(3,),)),
    "getitem[boolean mask]": (lambda x: x[np.abs(x) > 0.5],
                              (np.array([[0.1, -0.9, 1.3], [-0.2, 0.8, -1.1]]),)),
    "getitem[boolean on axis]": (lambda x: x[:, np.array([True, False, True, True])],
                                 (normal(3, 4),)),
    "getitem[iteration]": (lambda x: sum(row * i for i, row in enumerate(x)), (normal(3, 2),)),
    "getitem[take]": (lambda x: np.take(x, [0, 2, 2], axis=1), (normal(3, 4),)),
    "getitem[take flat]": (lambda x: np.take(x, [5, 0, 11]), (normal(3, 4),)),
    "getitem[take_along_axis]": (
        lambda x: np.take_along_axis(x, np.array([[0, 2], [1, 1], [3, 0]]), axis=1),
        (normal(3, 4),)),
    "getitem[sort]": (lambda x: np.sort(x, axis=0), (distinct(3, 4),)),
    "getitem[sort flat]": (lambda x: np.sort(x, axis=None), (distinct(3, 4),)),
    "getitem[tile]": (lambda x: np.tile(x, (2, 3)), (normal(3, 2),)),
    "getitem[tile 1-d to 2-d]": (lambda x: np.tile(x, (2, 1)), (normal(3),)),
    "getitem[repeat axis]": (lambda x: np.repeat(x, 2, axis=1), (normal(3, 2),)),
    "getitem[repeat counts]": (lambda x: np.repeat(x, [1, 0, 3]), (normal(3),)),
    "getitem[flip]": (lambda x: np.flip(x, axis=1), (normal(3, 4),)),
    "getitem[diff n=2]": (lambda x: np.diff(x, n=2, axis=0), (normal(4, 3),)),
    "getitem[diagonal offset]": (lambda x: np.diagonal(x, offset=1), (normal(3, 4),)),
    "getitem[split]": (lambda x: np.split(x, 2, axis=1)[1], (normal(3, 4),)),
    "getitem[pad edge]": (lambda x: np.pad(x, ((1, 2), (2, 1)), mode="edge"), (normal(3, 4),)),
    "getitem[pad reflect]": (lambda x: np.pad(x, ((1, 2), (2, 1)), mode="reflect"),
                             (normal(3, 4),)),
    "getitem[pad symmetric]": (lambda x: np.pad(x, ((1, 2), (2, 1)), mode="symmetric"),
                               (normal(3, 4),)),
    "getitem[pad wrap]": (lambda x: np.pad(x, ((1, 2), (2, 1)), mode="wrap"), (normal(3, 4),)),
    "multiply[tril]": (np.tril, (normal(3, 3),)),
    "multiply[triu k=1]": (lambda x: np.triu(x, 1), (normal(3, 4),)),
    "scatter_add": (lambda x, v: anp.index_add(x, np.array([0, 2, 0]), v), (normal(4), normal(3))),
    "scatter_add[2-d slice]": (lambda x, v: anp.index_add(x, (slice(None), 1), v),
                               (normal(3, 4), normal(3))),
    "scatter_add[index_update]": (lambda x, v: anp.index_update(x, np.array([0, 2]), v),
                                  (normal(4), normal(2))),
    "scatter_add[index_update mask]": (lambda x, v: anp.index_update(x, x > 0, v),
                                       (np.array([-1.0, 0.5, -0.4, 1.2]), np.array(0.3))),
    # --- products ---------------------------------------------------------------------
    "matmul": (lambda a, b: a @ b, (normal(2, 3), normal(3, 4))),
    "matmul[1-d @ 1-d]": (lambda a, b: a @ b, (normal(4), normal(4))),
    "matmul[1-d @ 2-d]": (lambda a, b: a @ b, (normal(3), normal(3, 4))),
    "matmul[2-d @ 1-d]": (lambda a, b: a @ b, (normal(3, 4), normal(4))),
    "matmul[batched @ 2-d]": (lambda a, b: a @ b, (normal(2, 3, 4), normal(4, 2))),
    "matmul[broadcast batch]": (lambda a, b: np.matmul(a, b),
                                (normal(2, 1, 3, 4), normal(3, 4, 2))),
    "matmul[1-d @ batched]": (lambda a, b: a @ b, (normal(4), normal(3, 4, 2))),
    "matmul[batched @ 1-d]": (lambda a, b: a @ b, (normal(3, 2, 4), normal(4))),
    "matmul[rmatmul constant]": (lambda b: CONSTANT_2x3 @ b, (normal(3, 2),)),
    "matmul[anp.matmul]": (anp.matmul, (normal(2, 3), normal(3))),
    "matmul[dot]": (np.dot, (normal(2, 3), normal(3, 4))),
    "matmul[dot method]": (lambda a, b: a.dot(b), (normal(3), normal(3))),
    "matmul[dot 3-d]": (np.dot, (normal(2, 3), normal(2, 3, 4))),
    "matmul[tensordot]": (lambda a, b: np.tensordot(a, b, axes=([0, 2], [1, 0])),
                          (normal(2, 3, 4), normal(4, 2, 5))),
    "matmul[inner]": (np.inner, (normal(2, 3), normal(4, 3))),
    "einsum": (lambda a, b: np.einsum("ij,jk->ik", a, b), (normal(2, 3), normal(3, 4))),
    "einsum[implicit]": (lambda a, b: np.einsum("ij,jk", a, b), (normal(2, 3), normal(3, 4))),
    "einsum[dot]": (lambda a, b: np.einsum("i,i->", a, b), (normal(4), normal(4))),
    "einsum[outer]": (lambda a, b: np.einsum("i,j->ij", a, b), (normal(3), normal(2))),
    "einsum[transpose]": (lambda a: np.einsum("ijk->kij", a), (normal(2, 3, 4),)),
    "einsum[row sums]": (lambda a: np.einsum("ij->i", a), (normal(2, 3),)),
    "einsum[batched]": (lambda a, b: np.einsum("bij,bjk->bik", a, b),
                        (normal(2, 3, 4), normal(2, 4, 2))),
    "einsum[ellipsis]": (lambda a, b: np.einsum("...ij,jk->...ik", a, b),
                         (normal(2, 2, 3), normal(3, 4))),
    "einsum[three operands]": (lambda a, b, c: np.einsum("ij,jk,kl->il", a, b, c),
                               (normal(2, 3), normal(3, 4), normal(4, 2))),
    "einsum[contract only in one operand]": (lambda a, b: np.einsum("ij,k->ik", a, b),
                                             (normal(2, 3), normal(4))),
    "einsum[with constant]": (lambda a: np.einsum("ij,j->i", a, np.arange(3.0)), (normal(2, 3),)),
    # --- linalg -----------------------------------------------------------------------
    "linalg.solve": (np.linalg.solve, (well_conditioned(3), normal(3))),
    "linalg.solve[matrix rhs]": (np.linalg.solve, (well_conditioned(3), normal(3, 2))),
    "linalg.inv": (np.linalg.inv, (well_conditioned(3),)),
    "linalg.det": (np.linalg.det, (well_conditioned(3),)),
    "linalg.slogdet": (lambda a: np.linalg.slogdet(a)[1], (well_conditioned(3),)),
    "linalg.slogdet[negative det]": (lambda a: np.linalg.slogdet(a).logabsdet,
                                     (well_conditioned(3) * np.array([[-1.0], [1.0], [1.0]]),)),
    "linalg.cholesky": (lambda a: np.linalg.cholesky(symmetrized_spd(a)), (0.4 * normal(3, 3),)),
    "linalg.cholesky[gram]": (lambda a: np.linalg.cholesky(a @ a.T + 0.5 * np.eye(3)),
                              (well_conditioned(3),)),
    # --- scipy.sparse: constant CSR matrix times a traced dense array -----------------
    "sparse_matmul": (lambda w: SPARSE @ w, (normal(4),)),
    "sparse_matmul[matrix rhs]": (lambda w: SPARSE @ w, (normal(4, 2),)),
    "sparse_matmul[w @ X]": (lambda w: w @ SPARSE, (normal(5),)),
    "sparse_matmul[W @ X]": (lambda w: w @ SPARSE, (normal(3, 5),)),
    "sparse_matmul[anp.matmul]": (lambda w: anp.matmul(SPARSE, w), (normal(4),)),
    "sparse_matmul[X.T @ r]": (lambda w: SPARSE.T @ np.tanh(SPARSE @ w), (normal(4),)),
    "sparse_matmul[csc]": (lambda w: SPARSE.tocsc() @ w, (normal(4),)),
    # --- scipy.ndimage: boundary extension and its adjoint ----------------------------
    "_pad": (lambda x: _ndimage_boundary._pad(x, widths=((1, 2), (2, 1)), rule="reflect"),
             (normal(3, 4),)),
    "_pad[mirror]": (lambda x: _ndimage_boundary._pad(x, widths=((2, 2), (0, 1)), rule="mirror"),
                     (normal(3, 4),)),
    "_pad[nearest]": (lambda x: _ndimage_boundary._pad(x, widths=((1, 0), (3, 1)),
                                                        rule="nearest"), (normal(3, 4),)),
    "_pad[wrap, leading batch axis]": (
        lambda x: _ndimage_boundary._pad(x, widths=((2, 1),), rule="wrap"), (normal(2, 3),)),
    "_pad[constant cval]": (lambda x: _ndimage_boundary._pad(x, widths=((1, 1), (2, 0)),
                                                              rule="constant", cval=0.5),
                            (normal(3, 4),)),
    "_pad_adjoint": (lambda g: _ndimage_boundary._pad_adjoint(
        g, widths=((1, 2), (2, 1)), rule="reflect", shape=(3, 4)), (normal(6, 7),)),
    "_pad_adjoint[mirror]": (lambda g: _ndimage_boundary._pad_adjoint(
        g, widths=((2, 2), (0, 1)), rule="mirror", shape=(3, 4)), (normal(7, 5),)),
    "_pad_adjoint[constant]": (lambda g: _ndimage_boundary._pad_adjoint(
        g, widths=((1, 1), (2, 0)), rule="constant", shape=(3, 4)), (normal(5, 6),)),
    # --- scipy.ndimage: correlation and filters ---------------------------------------
    "_correlate_valid": (_ndimage_filters._correlate_valid, (normal(5, 6), normal(2, 3))),
    "_correlate_valid[leading batch axis]": (_ndimage_filters._correlate_valid,
                                             (normal(2, 5, 4), normal(3, 2))),
    "_correlate_valid[kernel > 64, scipy.signal]": (_ndimage_filters._correlate_valid,
                                                    (normal(70), normal(65))),
    "correlate": (lambda x, w: adi.correlate(x, w), (normal(5, 6), normal(3, 2))),
    "correlate[constant, origin]": (lambda x, w: adi.correlate(x, w, mode="constant", cval=0.3,
                                                               origin=(1, 0)),
                                    (normal(5, 6), normal(3, 2))),
    "correlate[convolve wrap]": (lambda x, w: adi.convolve(x, w, mode="wrap"),
                                 (normal(5, 6), normal(2, 3))),
    "correlate[correlate1d mirror]": (lambda x, w: adi.correlate1d(x, w, axis=0, mode="mirror",
                                                                   origin=-1),
                                      (normal(5, 6), normal(4))),
    "gaussian_filter": (lambda x: adi.gaussian_filter(x, 0.8, mode="nearest"), (normal(5, 6),)),
    "gaussian_filter[derivative, constant]": (
        lambda x: adi.gaussian_filter(x, (0.7, 1.0), order=(1, 0), mode="constant", cval=0.2),
        (normal(5, 6),)),
    # --- scipy.ndimage: B-spline prefilter and its transpose --------------------------
    "_spline_filter": (lambda x: _ndimage_prefilter._spline_filter(x, order=3, mode="mirror",
                                                                   ndim=2), (normal(4, 5),)),
    "_spline_filter[grid-wrap, leading batch axis]": (
        lambda x: _ndimage_prefilter._spline_filter(x, order=3, mode="grid-wrap", ndim=1),
        (normal(2, 5),)),
    "_spline_filter[public spline_filter]": (lambda x: adi.spline_filter(x, mode="reflect"),
                                             (normal(4, 5),)),
    "_spline_filter_adjoint": (lambda g: _ndimage_prefilter._spline_filter_adjoint(
        g, order=3, mode="reflect", ndim=2), (normal(4, 5),)),
    # --- scipy.ndimage: B-spline interpolation, its gradient and adjoint --------------
    # Coordinates stay off the knots, where the spline's top derivative jumps.
    "_interp": (lambda v, c: _ndimage_bspline._interp(v, c, order=3, mode="reflect", cval=0.0,
                                                      deriv=(0, 0)),
                (normal(4, 5), off_knots(-1.0, 5.0, 2, 3))),
    "_interp[deriv=(1, 0), mirror]": (
        lambda v, c: _ndimage_bspline._interp(v, c, order=3, mode="mirror", cval=0.0,
                                              deriv=(1, 0)),
        (normal(4, 5), off_knots(0.0, 4.0, 2, 3))),
    "_interp[order=1, grid-constant]": (
        lambda v, c: _ndimage_bspline._interp(v, c, order=1, mode="grid-constant", cval=0.4,
                                              deriv=(0, 0)),
        (normal(4, 5), off_knots(-1.0, 5.0, 2, 3))),
    # order 0 jumps at half-integers: coordinates within 0.35 of an integer
    "_interp[order=0, nearest]": (
        lambda v, c: _ndimage_bspline._interp(v, c, order=0, mode="nearest", cval=0.0,
                                              deriv=(0, 0)),
        (normal(4, 5), np.floor(uniform(-1.0, 5.0, 2, 3)) + uniform(-0.35, 0.35, 2, 3))),
    "_interp[constant, a point outside]": (
        lambda v, c: _ndimage_bspline._interp(v, c, order=3, mode="constant", cval=0.5,
                                              deriv=(0, 0)),
        (normal(4, 5), one_point_outside(off_knots(0.0, 3.0, 2, 3)))),
    "_interp_grad": (lambda v, c: _ndimage_bspline._interp_grad(
        v, c, order=3, mode="nearest", cval=0.0, deriv=(0, 0)),
        (normal(4, 5), off_knots(-1.0, 5.0, 2, 3))),
    "_interp_grad[grid-wrap, leading batch axis]": (
        lambda v, c: _ndimage_bspline._interp_grad(v, c, order=3, mode="grid-wrap", cval=0.0,
                                                   deriv=(0, 0)),
        (normal(2, 4, 5), off_knots(-1.0, 5.0, 2, 3))),
    "_interp_adjoint": (lambda g, c: _ndimage_bspline._interp_adjoint(
        g, c, shape=(4, 5), order=3, mode="reflect", deriv=(0, 0)),
        (normal(3), off_knots(-1.0, 5.0, 2, 3))),
    "_interp_adjoint[deriv=(0, 1), constant]": (
        lambda g, c: _ndimage_bspline._interp_adjoint(g, c, shape=(4, 5), order=3,
                                                      mode="constant", deriv=(0, 1)),
        (normal(3), one_point_outside(off_knots(0.0, 3.0, 2, 3)))),
    "_interp_adjoint[order=1, leading batch axis]": (
        lambda g, c: _ndimage_bspline._interp_adjoint(g, c, shape=(4, 5), order=1,
                                                      mode="mirror", deriv=(0, 0)),
        (normal(2, 3), off_knots(-1.0, 5.0, 2, 3))),
    # --- scipy.ndimage: map_coordinates and zoom --------------------------------------
    "map_coordinates": (lambda x, c: adi.map_coordinates(x, c, mode="nearest"),
                        (normal(4, 5), off_knots(-1.0, 5.0, 2, 3))),
    "map_coordinates[order=1, constant]": (
        lambda x, c: adi.map_coordinates(x, c, order=1, mode="constant", cval=0.3),
        (normal(4, 5), one_point_outside(off_knots(0.0, 3.0, 2, 3)))),
    "map_coordinates[prefilter=False, grid-wrap]": (
        lambda x, c: adi.map_coordinates(x, c, mode="grid-wrap", prefilter=False),
        (normal(4, 5), off_knots(-1.0, 5.0, 2, 3))),
    "zoom": (lambda x: adi.zoom(x, 1.5, mode="mirror"), (normal(4, 5),)),
    "zoom[order=1, grid_mode, grid-constant]": (
        lambda x: adi.zoom(x, (0.75, 1.4), order=1, mode="grid-constant", cval=0.2,
                           grid_mode=True), (normal(4, 5),)),
}

def _family_cases() -> dict:
    """Cases of other rule families, one ``rule_cases_<family>.py`` module each (a dict
    ``CASES`` in the same format), so families can be added without editing this file."""
    import pathlib
    import sys

    here = pathlib.Path(__file__).parent
    sys.path.insert(0, str(here))
    found = {}
    for path in sorted(here.glob("rule_cases_*.py")):
        module = importlib.import_module(path.stem)
        clash = set(found) & set(module.CASES) | set(CASES) & set(module.CASES)
        assert not clash, f"{path.name}: rule cases defined twice: {sorted(clash)}"
        found.update(module.CASES)
    return found


CASES.update(_family_cases())


# np.pad modes whose values are statistics or ramps, not copies of input entries.
PAD_STATISTIC_MODES = ("linear_ramp", "maximum", "minimum", "mean", "median")


def _case(key):
    entry = CASES[key]
    f, args = entry[0], entry[1]
    order = entry[2] if len(entry) > 2 else 2
    return f, args, order


def primitive_name(key: str) -> str:
    return key.split("[", 1)[0]


def primitives_applied(f, args) -> set:
    """Primitives recorded on the reverse-mode tape when evaluating ``f(*args)``."""
    trace = ReverseTrace(new_level())
    f(*[trace.new_input(inexact(a)) for a in args])
    return {record.prim for record in trace.tape if record.prim is not None}


def inexact(a) -> np.ndarray:
    """An example argument as float64, or complex128 when it is complex."""
    a = np.asarray(a)
    return a.astype(np.complex128 if np.iscomplexobj(a) else np.float64)


#: Cases of SciPy's own Python functions that cannot be traced on the installed SciPy
#: release, with the reason; what they do there instead is tested in
#: scipy/test_special_hooks.py.
def _release_skips() -> dict[str, str]:
    release = _special_hooks._scipy_release()
    hooked = _special_hooks.hooked_functions()
    skips = {}
    for key, name in (("exp[scipy.special.softmax]", "scipy.special.softmax"),
                      ("log[scipy.special.log_softmax]", "scipy.special.log_softmax")):
        if name in hooked:
            continue
        if release == (1, 15) and name == "scipy.special.log_softmax":
            skips[key] = ("SciPy 1.15's log_softmax writes into its traced shift in place "
                          "(x_max[...] = 0): it raises the error naming "
                          "autodiff.scipy.special.log_softmax")
        else:
            skips[key] = (f"SciPy {release[0]}.{release[1]}'s _logsumexp.py has not been read: "
                          f"{name} on a traced value raises the error naming autodiff's")
    return skips


RELEASE_SKIPS = _release_skips()


def case_params(keys, prefix: str = ""):
    """``keys`` for ``parametrize``, those of :data:`RELEASE_SKIPS` skipped with their reason."""
    return [pytest.param(k, marks=pytest.mark.skip(reason=RELEASE_SKIPS[k[len(prefix):]]))
            if k.startswith(prefix) and k[len(prefix):] in RELEASE_SKIPS else k for k in keys]


@pytest.mark.parametrize("key", case_params(sorted(CASES)))
def test_rule(key):
    f, args, order = _case(key)
    args = tuple(inexact(a) for a in args)
    prim = discover_primitives()[primitive_name(key)]
    assert prim in primitives_applied(f, args), f"case {key!r} never applies {prim!r}"
    # The traced evaluation computes the same value as plain NumPy.
    out, _ = ad.jvp(f, args, tuple(np.zeros_like(a) for a in args))
    np.testing.assert_allclose(out, f(*args), rtol=1e-12, atol=1e-12)
    ad.check_grads(f, args, modes=("fwd", "rev"), order=order)


def test_every_primitive_has_a_case():
    covered = {primitive_name(key) for key in CASES}
    missing = sorted(set(discover_primitives()) - covered)
    assert not missing, f"primitives without a case in tests/autodiff/test_rules.py: {missing}"


def test_case_keys_name_real_primitives():
    unknown = sorted({primitive_name(k) for k in CASES} - set(discover_primitives()))
    assert not unknown, f"cases named after no primitive: {unknown}"


def test_discovery_finds_the_core_families():
    names = set(discover_primitives())
    assert {"sin", "add", "sum", "getitem", "matmul", "einsum", "linalg.cholesky",
            "expit", "sparse_matmul", "scatter_add", "map_coordinates", "_interp",
            "_pad_adjoint"} <= names


def test_check_grads_detects_a_wrong_case():
    # The harness can fail: a primitive whose rule is off by a factor is caught.
    @ad.primitive
    def cube(x):
        return x ** 3

    ad.defvjp(cube, lambda ans, x: lambda g: g * 2.0 * x ** 2)
    ad.defjvp(cube, lambda t, ans, x: t * 3.0 * x ** 2)
    with pytest.raises(AssertionError, match="reverse"):
        ad.check_grads(cube, (normal(3),), modes=("rev",), order=1)
    ad.check_grads(cube, (normal(3),), modes=("fwd",), order=1)


def test_prod_second_order_at_a_zero_entry():
    x = np.array([1.5, 0.0, 2.0])
    expected = np.array([[0.0, 2.0, 0.0], [2.0, 0.0, 1.5], [0.0, 1.5, 0.0]])
    np.testing.assert_allclose(ad.hessian(np.prod)(x), expected)
    ad.check_grads(lambda x: np.prod(x, axis=0), (x,), order=2)


@pytest.mark.parametrize("mode", PAD_STATISTIC_MODES)
def test_pad_statistic_modes(mode):
    x = normal(3, 4)
    f = lambda x: np.pad(x, ((1, 2), (2, 1)), mode=mode)  # noqa: E731
    try:
        out, _ = ad.jvp(f, (x,), (np.zeros_like(x),))
    except NotImplementedError as error:  # refusing the mode clearly is acceptable too
        assert "pad" in str(error) and mode in str(error)
        return
    np.testing.assert_allclose(out, f(x), rtol=1e-12)
    if mode != "median":  # median of an even count is a mean of two: still smooth here
        ad.check_grads(f, (x,), order=2)
    else:
        ad.check_grads(f, (x,), order=1)


# --- conventions at non-smooth points ---------------------------------------------------
def test_abs_derivative_at_zero_is_zero():
    assert ad.grad(np.abs)(0.0) == 0.0
    assert ad.jvp(np.abs, (0.0,), (1.0,))[1] == 0.0
    np.testing.assert_array_equal(ad.grad(lambda x: np.sum(np.abs(x)))(np.array([-2.0, 0.0, 3.0])),
                                  [-1.0, 0.0, 1.0])
    assert ad.hessian(np.abs)(0.0) == 0.0


def test_max_ties_split_the_adjoint():
    x = np.array([1.0, 3.0, 3.0])
    np.testing.assert_array_equal(ad.grad(np.max)(x), [0.0, 0.5, 0.5])
    np.testing.assert_array_equal(ad.jacfwd(np.max)(x), [0.0, 0.5, 0.5])
    m = np.array([[1.0, 3.0], [1.0, 2.0]])
    np.testing.assert_array_equal(ad.jacrev(lambda m: np.min(m, axis=0))(m),
                                  [[[0.5, 0.0], [0.5, 0.0]], [[0.0, 0.0], [0.0, 1.0]]])


def test_maximum_and_minimum_ties_split():
    assert ad.grad(lambda x: np.maximum(x, x))(2.0) == 1.0  # 1/2 + 1/2
    gx, gy = ad.grad(np.maximum, argnums=(0, 1))(2.0, 2.0)
    assert (gx, gy) == (0.5, 0.5)
    gx, gy = ad.grad(np.minimum, argnums=(0, 1))(-1.0, -1.0)
    assert (gx, gy) == (0.5, 0.5)
    _, tangent = ad.jvp(np.maximum, (2.0, 2.0), (1.0, 3.0))
    assert tangent == 2.0


def test_clip_passes_the_derivative_at_the_bounds():
    x = np.array([-1.0, 1.0, 2.0, -3.0, 0.0])
    np.testing.assert_array_equal(ad.grad(lambda x: np.sum(np.clip(x, -1.0, 1.0)))(x),
                                  [1.0, 1.0, 0.0, 0.0, 1.0])
    # With traced bounds, the derivative goes to the bound only strictly outside.
    glo = ad.grad(lambda lo: np.sum(np.clip(x, lo, 1.0)))(-1.0)
    assert glo == 1.0  # from x = -3 only; x = -1 sits on the bound and keeps it


def test_where_routes_the_derivative():
    x = np.array([-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(ad.grad(lambda x: np.sum(np.where(x > 0, x, 2 * x)))(x),
                                  [2.0, 2.0, 1.0])
    gx, gy = ad.grad(lambda x, y: np.sum(np.where(x > 0, x, y)), argnums=(0, 1))(x, 5.0)
    np.testing.assert_array_equal(gx, [0.0, 0.0, 1.0])
    assert gy == 2.0


def test_piecewise_constant_functions_have_zero_derivative():
    for f in (np.sign, np.floor, np.ceil, np.round, np.trunc):
        assert ad.grad(lambda x: f(x) * 1.0)(0.7) == 0.0
    assert ad.grad(lambda x: np.linalg.norm(x))(np.zeros(3)).tolist() == [0.0, 0.0, 0.0]
    # sort: the derivative follows the permutation that argsort picks.
    np.testing.assert_array_equal(
        ad.grad(lambda x: np.sum(np.sort(x) * np.arange(3.0)))(np.array([2.0, 1.0, 0.5])),
        [2.0, 1.0, 0.0])


def test_power_with_small_integer_exponents_at_zero():
    # Polynomial features (a Vandermonde row) differentiated at the origin.
    x = np.zeros(3)
    np.testing.assert_array_equal(ad.grad(lambda x: np.sum(x ** np.arange(3.0)))(x),
                                  [0.0, 1.0, 0.0])
    assert ad.grad(lambda x: x ** 0.0)(0.0) == 0.0
    assert ad.hessian(lambda x: x ** 1.0)(0.0) == 0.0
    assert ad.hessian(lambda x: x ** 2)(0.0) == 2.0
