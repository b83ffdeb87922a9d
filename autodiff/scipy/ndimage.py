"""Differentiable pieces of :mod:`scipy.ndimage`.

Every public function here is a primitive: its value is computed by SciPy (same
results, same boundary conventions), and its derivative rules are exact linear maps
written with a handful of private primitives that are themselves differentiable:

* ``_pad`` / ``_pad_adjoint``: extension of an array by a boundary mode, and its
  adjoint, which folds the padded border back onto the pixels it copied;
* ``_correlate_valid``: 'valid' correlation, bilinear in image and kernel;
* ``_interp`` / ``_interp_adjoint``: B-spline interpolation at arbitrary points
  (with a derivative order per axis) and its adjoint, a scatter-add of the weights
  done with :func:`numpy.bincount`;
* ``_spline_filter`` / ``_spline_filter_adjoint``: the B-spline prefilter of order
  3 and its transpose (dense 1-D matrices, cached per length and mode).

A filter with a boundary mode is ``correlate_valid(pad(x, mode), w)``; its reverse
rule is the true adjoint ``pad_adjoint(correlate_valid(pad0(g), flip(w)))``, so a
dot-product test ``<A x, y> = <x, A^T y>`` holds to rounding for every mode.

Because the private primitives close under differentiation (the derivative of an
interpolation with respect to the coordinates is an interpolation with a higher
derivative order of the B-spline), every function here is differentiable to any
order in both arguments, except that B-spline derivatives beyond the spline order
are zero (piecewise polynomials) and mode boundaries are kinks.

Tangents in forward mode carry a leading batch axis; the private kernels therefore
accept extra leading axes on their image-like operand and treat only the trailing
``ndim`` axes as spatial.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence

import numpy as np
import scipy.ndimage as ndi
import scipy.signal

import autodiff as ad

__all__ = [
    "map_coordinates",
    "spline_filter",
    "correlate",
    "convolve",
    "correlate1d",
    "gaussian_filter",
    "zoom",
]

# ------------------------------------------------------------------------------------
# boundary modes
# ------------------------------------------------------------------------------------

# Modes of the filters (correlate, gaussian_filter) mapped to index-extension rules.
_FILTER_MODES = {
    "reflect": "reflect",
    "grid-mirror": "reflect",
    "mirror": "mirror",
    "nearest": "nearest",
    "wrap": "wrap",
    "grid-wrap": "wrap",
    "constant": "constant",
    "grid-constant": "constant",
}
# Modes of the interpolation: rule for the spline coefficients outside the grid.
# scipy's 'constant' mirrors the coefficients inside and returns cval for points
# outside [0, n - 1]; 'grid-constant' treats every node outside as cval.
_INTERP_MODES = {
    "reflect": "reflect",
    "grid-mirror": "reflect",
    "mirror": "mirror",
    "nearest": "nearest",
    "grid-wrap": "wrap",
    "constant": "mirror",
    "grid-constant": "constant",
}


def _extend_index(i: np.ndarray, n: int, rule: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Map integer indices (any range) into ``[0, n)`` by a boundary rule.

    Returns the mapped indices and, for ``'constant'``, the mask of indices that
    were inside (outside ones read the constant).
    """
    if rule == "nearest":
        return np.clip(i, 0, n - 1), None
    if rule == "wrap":
        return np.mod(i, n), None
    if rule == "reflect":  # half-sample symmetric: d c b a | a b c d | d c b a
        j = np.mod(i, 2 * n)
        return np.where(j >= n, 2 * n - 1 - j, j), None
    if rule == "mirror":  # whole-sample symmetric: d c b | a b c d | c b a
        if n == 1:
            return np.zeros_like(i), None
        j = np.mod(i, 2 * n - 2)
        return np.where(j >= n, 2 * n - 2 - j, j), None
    if rule == "constant":
        inside = (i >= 0) & (i < n)
        return np.clip(i, 0, n - 1), inside
    raise ValueError(f"unknown boundary rule {rule!r}")


def _check_mode(mode: str, table: dict, what: str) -> str:
    if mode not in table:
        raise ValueError(f"{what}: mode must be one of {sorted(table)}, got {mode!r}")
    return table[mode]


# ------------------------------------------------------------------------------------
# padding and its adjoint
# ------------------------------------------------------------------------------------


def _pad_indices(n: int, before: int, after: int, rule: str):
    return _extend_index(np.arange(-before, n + after), n, rule)


@ad.primitive
def _pad(x, *, widths: tuple, rule: str, cval: float = 0.0):
    """Extend the trailing ``len(widths)`` axes of ``x`` by a boundary rule."""
    out = np.asarray(x)
    lead = out.ndim - len(widths)
    for a, (before, after) in enumerate(widths):
        if before == 0 and after == 0:
            continue
        axis = lead + a
        idx, inside = _pad_indices(out.shape[axis], before, after, rule)
        out = np.take(out, idx, axis=axis)
        if inside is not None:
            shape = [1] * out.ndim
            shape[axis] = idx.size
            out = np.where(inside.reshape(shape), out, cval)
    return out


@functools.lru_cache(maxsize=64)
def _fold_matrix(n: int, before: int, after: int, rule: str):
    import scipy.sparse

    idx, inside = _pad_indices(n, before, after, rule)
    cols = np.arange(idx.size)
    if inside is not None:
        idx, cols = idx[inside], cols[inside]
    return scipy.sparse.csr_matrix((np.ones(idx.size), (idx, cols)), shape=(n, n + before + after))


@ad.primitive
def _pad_adjoint(g, *, widths: tuple, rule: str, shape: tuple):
    """Adjoint of :func:`_pad`: fold the border back onto the pixels it copied."""
    out = np.asarray(g, dtype=np.result_type(g, np.float64))
    lead = out.ndim - len(widths)
    for a, (before, after) in enumerate(widths):
        if before == 0 and after == 0:
            continue
        axis = lead + a
        fold = _fold_matrix(shape[a], before, after, rule)
        moved = np.moveaxis(out, axis, 0)
        folded = fold @ moved.reshape(moved.shape[0], -1)
        out = np.moveaxis(folded.reshape((shape[a],) + moved.shape[1:]), 0, axis)
    return out


ad.defvjp(_pad, lambda ans, x, **kw: lambda g: _pad_adjoint(
    g, widths=kw["widths"], rule=kw["rule"], shape=tuple(x.shape[x.ndim - len(kw["widths"]):])))
ad.defjvp(_pad, lambda t, ans, x, **kw: _pad(t, widths=kw["widths"], rule=kw["rule"], cval=0.0))
ad.defvjp(_pad_adjoint, lambda ans, g, **kw: lambda h: _pad(
    h, widths=kw["widths"], rule=kw["rule"], cval=0.0))
ad.defjvp(_pad_adjoint, lambda t, ans, g, **kw: _pad_adjoint(t, **kw))


# ------------------------------------------------------------------------------------
# 'valid' correlation (bilinear in image and kernel)
# ------------------------------------------------------------------------------------


def _flip(w):
    return w[(slice(None, None, -1),) * w.ndim]


@ad.primitive
def _correlate_valid(a, w):
    """``out[i] = sum_j w[j] a[..., i + j]`` over the trailing ``w.ndim`` axes of ``a``."""
    a = np.asarray(a)
    w = np.asarray(w)
    lead = a.ndim - w.ndim
    wfull = w.reshape((1,) * lead + w.shape)
    if w.size <= 64:
        # direct correlation in C; keep the part that never touched the boundary
        full = ndi.correlate(a.astype(np.result_type(a, w, np.float32), copy=False), wfull,
                             mode="constant")
        centre = tuple(slice(None) for _ in range(lead)) + tuple(
            slice(k // 2, k // 2 + m - k + 1) for m, k in zip(a.shape[lead:], w.shape))
        return full[centre]
    return scipy.signal.correlate(a, wfull, mode="valid")


def _correlate_valid_vjp_a(ans, a, w):
    widths = tuple((k - 1, k - 1) for k in w.shape)
    return lambda g: _correlate_valid(_pad(g, widths=widths, rule="constant"), _flip(w))


def _correlate_valid_vjp_w(ans, a, w):
    # d out[i] / d w[j] = a[i + j]: correlate a with g over every axis (a 'valid'
    # correlation over leading batch axes of equal length sums over them)
    return lambda g: np.reshape(_correlate_valid(a, g), w.shape)


def _correlate_valid_jvp_w(t, ans, a, w):
    return np.stack([_correlate_valid(a, t[i]) for i in range(t.shape[0])])


ad.defvjp(_correlate_valid, _correlate_valid_vjp_a, _correlate_valid_vjp_w)
ad.defjvp(_correlate_valid, lambda t, ans, a, w: _correlate_valid(t, w), _correlate_valid_jvp_w)


def _correlate_adjoint(g, w, *, widths, rule, shape):
    """Adjoint of ``x -> correlate_valid(pad(x), w)`` applied to ``g``."""
    full = _correlate_valid(_pad(g, widths=tuple((k - 1, k - 1) for k in w.shape),
                                 rule="constant"), _flip(w))
    return _pad_adjoint(full, widths=widths, rule=rule, shape=shape)


def _filter_widths(w_shape, origins) -> tuple:
    widths = []
    for k, o in zip(w_shape, origins):
        left = k // 2 + o
        if not 0 <= left <= k - 1:
            raise ValueError(f"origin {o} is out of range for a kernel of length {k}")
        widths.append((left, k - 1 - left))
    return tuple(widths)


def _origins(origin, nd) -> tuple:
    o = np.broadcast_to(np.asarray(origin, dtype=int), (nd,))
    return tuple(int(v) for v in o)


# ------------------------------------------------------------------------------------
# correlate / convolve
# ------------------------------------------------------------------------------------


@ad.primitive
def correlate(input, weights, *, mode: str = "reflect", cval: float = 0.0, origin=0):
    r"""Multidimensional correlation, differentiable in ``input`` and ``weights``.

    .. math:: y_i = \sum_j w_j \, \tilde x_{i + j - c}

    where :math:`\tilde x` is ``input`` extended by ``mode`` and :math:`c` the
    kernel centre (``len // 2 + origin`` per axis), as in
    :func:`scipy.ndimage.correlate`.

    Parameters
    ----------
    input : ndarray
        Floating-point array.
    weights : ndarray, same number of dimensions as ``input``
        Kernel.
    mode : {'reflect', 'constant', 'nearest', 'mirror', 'wrap'}, optional
        Boundary extension (SciPy's names, ``grid-*`` aliases accepted).
    cval : float, optional
        Value outside the array for ``mode='constant'``.
    origin : int or sequence of int, optional
        Kernel placement, as in SciPy.

    Returns
    -------
    ndarray, same shape as ``input``

    Examples
    --------
    >>> import numpy as np
    >>> correlate(np.arange(5.0), np.array([1.0, 2.0, 3.0]), mode="nearest")
    array([ 3.,  8., 14., 20., 23.])
    """
    x = np.asarray(input)
    w = np.asarray(weights)
    if w.ndim != x.ndim:
        raise ValueError(f"weights must have {x.ndim} dimensions like input, got shape {w.shape}")
    _check_mode(mode, _FILTER_MODES, "correlate")
    return ndi.correlate(x, w, mode=mode, cval=cval, origin=origin)


def _correlate_parts(weights, shape, mode, origin):
    rule = _FILTER_MODES[mode]
    widths = _filter_widths(weights.shape, _origins(origin, len(weights.shape)))
    return rule, widths


def _correlate_vjp_input(ans, input, weights, *, mode="reflect", cval=0.0, origin=0):
    rule, widths = _correlate_parts(weights, input.shape, mode, origin)
    return lambda g: _correlate_adjoint(g, weights, widths=widths, rule=rule,
                                        shape=tuple(input.shape))


def _correlate_vjp_weights(ans, input, weights, *, mode="reflect", cval=0.0, origin=0):
    rule, widths = _correlate_parts(weights, input.shape, mode, origin)
    padded = _pad(input, widths=widths, rule=rule, cval=cval)
    return lambda g: _correlate_valid(padded, g)


def _correlate_jvp_input(t, ans, input, weights, *, mode="reflect", cval=0.0, origin=0):
    rule, widths = _correlate_parts(weights, input.shape, mode, origin)
    return _correlate_valid(_pad(t, widths=widths, rule=rule, cval=0.0), weights)


def _correlate_jvp_weights(t, ans, input, weights, *, mode="reflect", cval=0.0, origin=0):
    rule, widths = _correlate_parts(weights, input.shape, mode, origin)
    padded = _pad(input, widths=widths, rule=rule, cval=cval)
    return np.stack([_correlate_valid(padded, t[i]) for i in range(t.shape[0])])


ad.defvjp(correlate, _correlate_vjp_input, _correlate_vjp_weights)
ad.defjvp(correlate, _correlate_jvp_input, _correlate_jvp_weights)


def convolve(input, weights, *, mode: str = "reflect", cval: float = 0.0, origin=0):
    r"""Multidimensional convolution, differentiable in ``input`` and ``weights``.

    Same conventions as :func:`scipy.ndimage.convolve`; computed as
    :func:`correlate` with the flipped kernel (and SciPy's origin shift for
    even-length kernels), so it shares its exact derivative rules.

    Parameters
    ----------
    input : ndarray
        Floating-point array.
    weights : ndarray, same number of dimensions as ``input``
        Kernel.
    mode : {'reflect', 'constant', 'nearest', 'mirror', 'wrap'}, optional
        Boundary extension.
    cval : float, optional
        Value outside the array for ``mode='constant'``.
    origin : int or sequence of int, optional
        Kernel placement, as in SciPy.

    Returns
    -------
    ndarray, same shape as ``input``
    """
    nd = len(np.shape(weights)) if not hasattr(weights, "ndim") else weights.ndim
    origins = []
    for k, o in zip(weights.shape, _origins(origin, nd)):
        o = -o
        if k % 2 == 0:
            o -= 1
        origins.append(o)
    return correlate(input, _flip(weights), mode=mode, cval=cval, origin=tuple(origins))


def correlate1d(input, weights, *, axis: int = -1, mode: str = "reflect", cval: float = 0.0,
                origin: int = 0):
    """One-dimensional correlation along ``axis`` (see :func:`correlate`).

    Parameters
    ----------
    input : ndarray
        Floating-point array.
    weights : ndarray, shape (K,)
        Kernel.
    axis : int, optional
        Axis to filter along.
    mode, cval, origin
        As in :func:`correlate`.

    Returns
    -------
    ndarray, same shape as ``input``
    """
    nd = input.ndim
    axis = axis % nd
    shape = [1] * nd
    shape[axis] = weights.shape[0]
    origins = [0] * nd
    origins[axis] = origin
    return correlate(input, np.reshape(weights, shape), mode=mode, cval=cval,
                     origin=tuple(origins))


# ------------------------------------------------------------------------------------
# gaussian_filter
# ------------------------------------------------------------------------------------


def _gaussian_kernel(sigma: float, order: int, radius: int) -> np.ndarray:
    """Sampled Gaussian (normalised to unit sum) times the polynomial of its derivative.

    ``d^m/dx^m exp(-x^2 / 2 s^2) = q_m(x) exp(-x^2 / 2 s^2)`` with
    ``q_{m+1} = q_m' - x q_m / s^2``, ``q_0 = 1``.
    """
    x = np.arange(-radius, radius + 1, dtype=float)
    phi = np.exp(-0.5 * (x / sigma) ** 2)
    phi /= phi.sum()
    q = np.polynomial.Polynomial([1.0])
    for _ in range(order):
        q = q.deriv() - np.polynomial.Polynomial([0.0, 1.0 / sigma**2]) * q
    return q(x) * phi


def _gaussian_passes(nd, sigma, order, truncate, radius):
    sig = np.broadcast_to(np.asarray(sigma, dtype=float), (nd,))
    orders = np.broadcast_to(np.asarray(order, dtype=int), (nd,))
    radii = np.broadcast_to(np.asarray(-1 if radius is None else radius, dtype=int), (nd,))
    passes = []
    for a in range(nd):
        if sig[a] <= 1e-15:
            continue
        r = int(truncate * float(sig[a]) + 0.5) if radii[a] < 0 else int(radii[a])
        # scipy correlates with the reversed kernel
        passes.append((a, _gaussian_kernel(float(sig[a]), int(orders[a]), r)[::-1].copy()))
    return passes


def _gaussian_adjoint(g, passes, rule, shape):
    nd = len(shape)
    for a, k in reversed(passes):
        w = k.reshape(tuple(k.size if b == a else 1 for b in range(nd)))
        widths = tuple((k.size // 2, k.size - 1 - k.size // 2) if b == a else (0, 0)
                       for b in range(nd))
        g = _correlate_adjoint(g, w, widths=widths, rule=rule, shape=shape)
    return g


@ad.primitive
def gaussian_filter(input, sigma, *, order=0, mode: str = "reflect", cval: float = 0.0,
                    truncate: float = 4.0, radius=None):
    r"""Gaussian filter (or Gaussian derivative), differentiable in ``input``.

    .. math:: y = G_{\sigma_{d}} * \dots * G_{\sigma_1} * x

    one 1-D correlation per axis, exactly as :func:`scipy.ndimage.gaussian_filter`.

    Parameters
    ----------
    input : ndarray
        Floating-point array.
    sigma : float or sequence of float
        Standard deviation per axis (not differentiable).
    order : int or sequence of int, optional
        Derivative order of the Gaussian per axis.
    mode : {'reflect', 'constant', 'nearest', 'mirror', 'wrap'}, optional
        Boundary extension.
    cval : float, optional
        Value outside the array for ``mode='constant'``.
    truncate : float, optional
        Kernel radius in standard deviations.
    radius : int or sequence of int, optional
        Explicit kernel radius (overrides ``truncate``).

    Returns
    -------
    ndarray, same shape as ``input``
    """
    _check_mode(mode, _FILTER_MODES, "gaussian_filter")
    return ndi.gaussian_filter(np.asarray(input), sigma, order=order, mode=mode, cval=cval,
                               truncate=truncate, radius=radius)


def _gaussian_vjp(ans, input, sigma, *, order=0, mode="reflect", cval=0.0, truncate=4.0,
                  radius=None):
    passes = _gaussian_passes(input.ndim, sigma, order, truncate, radius)
    return lambda g: _gaussian_adjoint(g, passes, _FILTER_MODES[mode], tuple(input.shape))


def _gaussian_apply(x, passes, rule, nd):
    for a, k in passes:
        w = k.reshape(tuple(k.size if b == a else 1 for b in range(nd)))
        widths = tuple((k.size // 2, k.size - 1 - k.size // 2) if b == a else (0, 0)
                       for b in range(nd))
        x = _correlate_valid(_pad(x, widths=widths, rule=rule, cval=0.0), w)
    return x


def _gaussian_jvp(t, ans, input, sigma, *, order=0, mode="reflect", cval=0.0, truncate=4.0,
                  radius=None):
    passes = _gaussian_passes(input.ndim, sigma, order, truncate, radius)
    return _gaussian_apply(t, passes, _FILTER_MODES[mode], input.ndim)


ad.defvjp(gaussian_filter, _gaussian_vjp)
ad.defjvp(gaussian_filter, _gaussian_jvp)


# ------------------------------------------------------------------------------------
# B-spline prefilter
# ------------------------------------------------------------------------------------

# spline_filter's own boundary rule for each interpolation mode (after SciPy's
# 12-pixel pre-padding for 'nearest' and 'grid-constant')
_PREPAD = {"nearest": "nearest", "grid-constant": "constant"}
_NPAD = 12


@functools.lru_cache(maxsize=32)
def _spline_matrix(n: int, order: int, mode: str) -> np.ndarray:
    """Dense matrix ``M`` with ``spline_filter1d(x) = M @ x`` for length ``n``."""
    return ndi.spline_filter1d(np.eye(n), order=order, axis=0, mode=mode)


@ad.primitive
def _spline_filter(x, *, order: int, mode: str, ndim: int):
    out = np.asarray(x, dtype=np.float64)
    for axis in range(out.ndim - ndim, out.ndim):
        out = ndi.spline_filter1d(out, order=order, axis=axis, mode=mode)
    return out


@ad.primitive
def _spline_filter_adjoint(g, *, order: int, mode: str, ndim: int):
    out = np.asarray(g, dtype=np.float64)
    for axis in range(out.ndim - ndim, out.ndim):
        m = _spline_matrix(out.shape[axis], order, mode)
        out = np.moveaxis(np.tensordot(m.T, np.moveaxis(out, axis, 0), axes=1), 0, axis)
    return out


ad.defvjp(_spline_filter, lambda ans, x, **kw: lambda g: _spline_filter_adjoint(g, **kw))
ad.defjvp(_spline_filter, lambda t, ans, x, **kw: _spline_filter(t, **kw))
ad.defvjp(_spline_filter_adjoint, lambda ans, g, **kw: lambda h: _spline_filter(h, **kw))
ad.defjvp(_spline_filter_adjoint, lambda t, ans, g, **kw: _spline_filter_adjoint(t, **kw))


def _prefilter(x, order: int, mode: str, cval: float, ndim: int):
    """Spline coefficients as SciPy computes them; returns (coefficients, offset)."""
    if order <= 1:
        return x, 0
    if mode in _PREPAD:
        widths = ((_NPAD, _NPAD),) * ndim
        x = _pad(x, widths=widths, rule=_PREPAD[mode], cval=cval)
        offset = _NPAD
    else:
        offset = 0
    return _spline_filter(x, order=order, mode=mode, ndim=ndim), offset


def spline_filter(input, order: int = 3, *, mode: str = "mirror"):
    """B-spline prefilter (interpolation coefficients), differentiable in ``input``.

    Same values as :func:`scipy.ndimage.spline_filter`; the reverse rule applies
    the transposed 1-D filter matrices.

    Parameters
    ----------
    input : ndarray
        Floating-point array.
    order : int, optional
        Spline order (2 to 5).
    mode : str, optional
        Boundary mode, as in SciPy.

    Returns
    -------
    ndarray of float64, same shape as ``input``
    """
    return _spline_filter(input, order=order, mode=mode, ndim=input.ndim)


# ------------------------------------------------------------------------------------
# B-spline interpolation kernel and its adjoint (scatter-add)
# ------------------------------------------------------------------------------------


def _bspline_weights(t: np.ndarray, order: int, deriv: int) -> list:
    """Weights of the ``order + 1`` stencil nodes for fractional offsets ``t``.

    For order 1 the nodes are ``floor(x) + (0, 1)``; for order 3
    ``floor(x) + (-1, 0, 1, 2)``; ``deriv`` differentiates with respect to ``x``.
    """
    if order == 0:
        return [np.ones_like(t) if deriv == 0 else np.zeros_like(t)]
    if order == 1:
        if deriv == 0:
            return [1.0 - t, t]
        if deriv == 1:
            return [-np.ones_like(t), np.ones_like(t)]
        return [np.zeros_like(t)] * 2
    if order == 3:
        # the weights sum to one (their derivatives to zero): w2 follows from the others
        s = 1.0 - t
        if deriv == 0:
            t2 = t * t
            w0, w3 = s * s * s / 6.0, t2 * t / 6.0
            w1 = 2.0 / 3.0 - t2 + 3.0 * w3
            return [w0, w1, 1.0 - w0 - w1 - w3, w3]
        if deriv == 1:
            w0, w3 = -0.5 * s * s, 0.5 * t * t
            w1 = (1.5 * t - 2.0) * t
            return [w0, w1, -(w0 + w1 + w3), w3]
        if deriv == 2:
            return [s, 3.0 * t - 2.0, 1.0 - 3.0 * t, t]
        if deriv == 3:
            one = np.ones_like(t)
            return [-one, 3.0 * one, -3.0 * one, one]
        return [np.zeros_like(t)] * 4
    raise ValueError(f"spline order must be 0, 1 or 3, got {order}")


def _stencil(coords: np.ndarray, shape: tuple, order: int, rule: str, derivs: Sequence):
    """Per-axis stencil: node (indices, inside mask) and weights per derivative order.

    Returns one ``(nodes, weights)`` pair per axis, ``weights[m]`` being the list of
    node weights differentiated ``m`` times, for every ``m`` that ``derivs`` needs.
    """
    per_axis = []
    for d, n in enumerate(shape):
        x = coords[d]
        if order == 0:
            base = np.floor(x + 0.5)
            t = np.zeros_like(x)
        else:
            base = np.floor(x)
            t = x - base
        first = base.astype(np.int64) - (1 if order == 3 else 0)
        lo, hi = (int(first.min()), int(first.max()) + order) if first.size else (0, 0)
        nodes = []
        if lo >= 0 and hi < n:  # every node inside: no boundary rule needed
            nodes = [(first + j, None) for j in range(order + 1)]
        else:
            # extend the few distinct indices once, then look every node up
            table, inside = _extend_index(np.arange(lo, hi + 1), n, rule)
            for j in range(order + 1):
                k = first + (j - lo)
                nodes.append((table[k], None if inside is None else inside[k]))
        weights = {m: _bspline_weights(t, order, m) for m in {dv[d] for dv in derivs}}
        per_axis.append((nodes, weights))
    return per_axis


def _flat_weights(coords, shape, order, rule, derivs):
    """Yield (flat index, weights, outside-weights or None) for each node of the stencil.

    ``weights`` and ``outside-weights`` hold one array per entry of ``derivs``.
    """
    strides = np.cumprod((1,) + tuple(shape[::-1]))[-2::-1]
    per_axis = _stencil(coords, shape, order, rule, derivs)
    for combo in itertools.product(*[range(order + 1)] * len(shape)):
        flat = 0
        inside = None
        for (nodes, _), j, stride in zip(per_axis, combo, strides):
            idx, ins = nodes[j]
            flat = flat + idx * stride
            if ins is not None:
                inside = ins if inside is None else inside & ins
        ws = []
        for dv in derivs:
            w = 1.0
            for (_, weights), j, m in zip(per_axis, combo, dv):
                w = w * weights[m][j]
            ws.append(w)
        if inside is None:
            yield flat, ws, None
        else:
            yield flat, [np.where(inside, w, 0.0) for w in ws], [np.where(inside, 0.0, w)
                                                                  for w in ws]


def _outside_points(coords, shape):
    """Points outside ``[0, n - 1]`` along some axis (SciPy's 'constant' mode)."""
    out = np.zeros(coords.shape[1:], dtype=bool)
    for d, n in enumerate(shape):
        out |= (coords[d] < 0) | (coords[d] > n - 1)
    return out


def _interp_many(values, coords, order: int, mode: str, cval: float, derivs: Sequence) -> list:
    """Interpolants for several derivative multi-indices sharing one stencil."""
    values = np.asarray(values)
    coords = np.asarray(coords, dtype=np.float64)
    nd = coords.shape[0]
    shape = values.shape[values.ndim - nd:]
    batch = values.shape[:values.ndim - nd]
    rule = _INTERP_MODES[mode]
    flat_values = values.reshape((-1, int(np.prod(shape))))
    dtype = np.result_type(values, np.float64)
    outs = [np.zeros((flat_values.shape[0],) + coords.shape[1:], dtype=dtype) for _ in derivs]
    outside = [0.0] * len(derivs)
    for flat, ws, ws_out in _flat_weights(coords, shape, order, rule, derivs):
        gathered = flat_values[:, flat]
        for i, w in enumerate(ws):
            outs[i] += gathered * w
        if ws_out is not None:
            outside = [o + w for o, w in zip(outside, ws_out)]
    result = []
    for out, o, dv in zip(outs, outside, derivs):
        if rule == "constant" and cval != 0.0:
            out += cval * o
        if mode == "constant":
            fill = cval if not any(dv) else 0.0
            out = np.where(_outside_points(coords, shape), fill, out)
        result.append(out.reshape(batch + coords.shape[1:]))
    return result


@ad.primitive
def _interp(values, coords, *, order: int, mode: str, cval: float, deriv: tuple):
    """Interpolate (or differentiate the interpolant of) spline coefficients.

    ``values`` has shape ``batch + shape``, ``coords`` ``(ndim,) + points``; the
    result has shape ``batch + points``.  With ``deriv`` non-zero the result is the
    partial derivative of the interpolant with respect to the coordinates.
    """
    return _interp_many(values, coords, order, mode, cval, [deriv])[0]


@ad.primitive
def _interp_grad(values, coords, *, order: int, mode: str, cval: float, deriv: tuple):
    """Gradient (w.r.t. the coordinates) of ``_interp``: shape ``batch + (ndim,) + points``."""
    nd = np.shape(coords)[0]
    parts = _interp_many(values, coords, order, mode, cval, [_unit(deriv, d) for d in range(nd)])
    return np.stack(parts, axis=np.ndim(values) - nd)


@ad.primitive
def _interp_adjoint(g, coords, *, shape: tuple, order: int, mode: str, deriv: tuple):
    """Adjoint of ``values -> _interp(values, coords)``: scatter-add with np.bincount."""
    g = np.asarray(g)
    coords = np.asarray(coords, dtype=np.float64)
    pts = coords.shape[1:]
    batch = g.shape[:g.ndim - len(pts)]
    rule = _INTERP_MODES[mode]
    size = int(np.prod(shape))
    flat_g = g.reshape((-1, int(np.prod(pts))))
    if mode == "constant":
        flat_g = np.where(_outside_points(coords, shape).ravel(), 0.0, flat_g)
    nb = flat_g.shape[0]
    index_parts, weight_parts = [], []
    for flat, ws, _ in _flat_weights(coords, shape, order, rule, [deriv]):
        index_parts.append(np.ravel(flat))
        weight_parts.append(flat_g * np.ravel(ws[0]))
    index = np.concatenate(index_parts)
    weights = np.concatenate(weight_parts, axis=1)
    if nb > 1:
        index = (index[None, :] + (np.arange(nb) * size)[:, None]).ravel()
    out = np.bincount(index, weights=weights.ravel(), minlength=nb * size)
    return out.reshape(batch + tuple(shape))


def _unit(deriv: tuple, d: int) -> tuple:
    return tuple(v + (1 if i == d else 0) for i, v in enumerate(deriv))


def _align_coord_tangent(tc, batch_ndim: int):
    """Tangent of one coordinate, shape (k,) + points, reshaped to (k,) + batch + points."""
    return np.reshape(tc, (tc.shape[0],) + (1,) * batch_ndim + tuple(tc.shape[1:]))


def _contract_gradient(g, grad, nb: int):
    """``sum_batch g[..., None, :] * grad`` -> shape (ndim,) + points."""
    g = np.reshape(g, tuple(g.shape[:nb]) + (1,) + tuple(g.shape[nb:]))
    prod = g * grad
    return np.sum(prod, axis=tuple(range(nb))) if nb else prod


def _apply_gradient(t, grad, nb: int):
    """``sum_d t[:, d] * grad[..., d, :]`` with ``t`` (k, ndim) + points -> (k,) + batch + pts."""
    t = np.reshape(t, (t.shape[0],) + (1,) * nb + tuple(t.shape[1:]))
    return np.sum(t * grad, axis=1 + nb)


def _interp_vjp_values(ans, values, coords, *, order, mode, cval, deriv):
    shape = tuple(values.shape[values.ndim - coords.shape[0]:])
    return lambda g: _interp_adjoint(g, coords, shape=shape, order=order, mode=mode,
                                     deriv=deriv)


def _interp_vjp_coords(ans, values, coords, *, order, mode, cval, deriv):
    nb = values.ndim - coords.shape[0]
    grad = _interp_grad(values, coords, order=order, mode=mode, cval=cval, deriv=deriv)
    return lambda g: _contract_gradient(g, grad, nb)


def _interp_jvp_values(t, ans, values, coords, *, order, mode, cval, deriv):
    return _interp(t, coords, order=order, mode=mode, cval=0.0, deriv=deriv)


def _interp_jvp_coords(t, ans, values, coords, *, order, mode, cval, deriv):
    nb = values.ndim - coords.shape[0]
    grad = _interp_grad(values, coords, order=order, mode=mode, cval=cval, deriv=deriv)
    return _apply_gradient(t, grad, nb)


ad.defvjp(_interp, _interp_vjp_values, _interp_vjp_coords)
ad.defjvp(_interp, _interp_jvp_values, _interp_jvp_coords)


def _interp_adjoint_vjp_g(ans, g, coords, *, shape, order, mode, deriv):
    return lambda h: _interp(h, coords, order=order, mode=mode, cval=0.0, deriv=deriv)


def _interp_adjoint_vjp_coords(ans, g, coords, *, shape, order, mode, deriv):
    nb = g.ndim - (coords.ndim - 1)

    def vjp(h):
        grad = _interp_grad(h, coords, order=order, mode=mode, cval=0.0, deriv=deriv)
        return _contract_gradient(g, grad, nb)

    return vjp


def _interp_adjoint_jvp_g(t, ans, g, coords, *, shape, order, mode, deriv):
    return _interp_adjoint(t, coords, shape=shape, order=order, mode=mode, deriv=deriv)


def _interp_adjoint_jvp_coords(t, ans, g, coords, *, shape, order, mode, deriv):
    nd = coords.shape[0]
    nb = g.ndim - (coords.ndim - 1)
    out = 0.0
    for d in range(nd):
        scaled = g * _align_coord_tangent(t[:, d], nb)  # (k,) + batch + points
        out = out + _interp_adjoint(scaled, coords, shape=shape, order=order, mode=mode,
                                    deriv=_unit(deriv, d))
    return out


ad.defvjp(_interp_adjoint, _interp_adjoint_vjp_g, _interp_adjoint_vjp_coords)
ad.defjvp(_interp_adjoint, _interp_adjoint_jvp_g, _interp_adjoint_jvp_coords)


def _component(x, nb: int, d: int):
    return x[(slice(None),) * nb + (d,)]


def _interp_grad_vjp_values(ans, values, coords, *, order, mode, cval, deriv):
    nd = coords.shape[0]
    nb = values.ndim - nd
    shape = tuple(values.shape[nb:])

    def vjp(g):
        out = 0.0
        for d in range(nd):
            out = out + _interp_adjoint(_component(g, nb, d), coords, shape=shape, order=order,
                                        mode=mode, deriv=_unit(deriv, d))
        return out

    return vjp


def _interp_grad_vjp_coords(ans, values, coords, *, order, mode, cval, deriv):
    nd = coords.shape[0]
    nb = values.ndim - nd
    hessian_rows = [_interp_grad(values, coords, order=order, mode=mode, cval=cval,
                                 deriv=_unit(deriv, e)) for e in range(nd)]

    def vjp(g):
        # d out_d / d x_e = H[e][..., d, :]; contract over batch and d
        axes = tuple(range(nb + 1))
        return np.stack([np.sum(g * h, axis=axes) for h in hessian_rows])

    return vjp


def _interp_grad_jvp_values(t, ans, values, coords, *, order, mode, cval, deriv):
    return _interp_grad(t, coords, order=order, mode=mode, cval=0.0, deriv=deriv)


def _interp_grad_jvp_coords(t, ans, values, coords, *, order, mode, cval, deriv):
    nd = coords.shape[0]
    nb = values.ndim - nd
    out = 0.0
    for e in range(nd):
        h = _interp_grad(values, coords, order=order, mode=mode, cval=cval, deriv=_unit(deriv, e))
        te = np.reshape(t[:, e], (t.shape[0],) + (1,) * (nb + 1) + tuple(t.shape[2:]))
        out = out + te * h
    return out


ad.defvjp(_interp_grad, _interp_grad_vjp_values, _interp_grad_vjp_coords)
ad.defjvp(_interp_grad, _interp_grad_jvp_values, _interp_grad_jvp_coords)


# ------------------------------------------------------------------------------------
# map_coordinates
# ------------------------------------------------------------------------------------


def _check_interp(order: int, mode: str, what: str):
    if order not in (0, 1, 3):
        raise ValueError(f"{what}: order must be 0, 1 or 3, got {order}")
    if mode == "wrap":
        raise ValueError(f"{what}: mode 'wrap' (SciPy's legacy periodic extension) is not "
                         "supported; use 'grid-wrap'")
    _check_mode(mode, _INTERP_MODES, what)


@ad.primitive
def map_coordinates(input, coordinates, *, order: int = 3, mode: str = "constant",
                    cval: float = 0.0, prefilter: bool = True):
    r"""Interpolate ``input`` at ``coordinates``, differentiable in both.

    .. math:: y_p = \sum_{i} c_i \prod_{d} \beta^{n}(x_{d,p} - i_d)

    with :math:`\beta^n` the B-spline of order ``n`` and :math:`c` the spline
    coefficients of ``input`` (``input`` itself for ``order <= 1`` or
    ``prefilter=False``). Values equal :func:`scipy.ndimage.map_coordinates`.

    The derivative with respect to ``input`` is the scatter-add of the weights
    (through the transposed prefilter for ``order=3``); with respect to the
    coordinates it is the gradient of the interpolant at the points (derivatives
    of the B-spline weights).

    Parameters
    ----------
    input : ndarray, shape (n_1, ..., n_d)
        Floating-point array (or spline coefficients with ``prefilter=False``).
    coordinates : ndarray, shape (d, ...)
        Points at which to interpolate, in index units.
    order : {0, 1, 3}, optional
        Spline order (order 0 is piecewise constant: zero coordinate derivative).
    mode : {'constant', 'grid-constant', 'nearest', 'reflect', 'mirror', 'grid-wrap'}
        Boundary handling, as in SciPy.
    cval : float, optional
        Value outside for the constant modes (not differentiable).
    prefilter : bool, optional
        Compute spline coefficients of ``input`` first (order 3).

    Returns
    -------
    ndarray, shape ``coordinates.shape[1:]``

    Examples
    --------
    >>> import numpy as np
    >>> image = np.arange(12.0).reshape(3, 4)
    >>> map_coordinates(image, np.array([[0.5, 2.0], [0.5, 1.0]]), order=1)
    array([2.5, 9. ])
    """
    x = np.asarray(input)
    c = np.asarray(coordinates)
    if c.ndim < 1 or c.shape[0] != x.ndim:
        raise ValueError(f"coordinates must have shape ({x.ndim}, ...) for a {x.ndim}-D input, "
                         f"got {c.shape}")
    _check_interp(order, mode, "map_coordinates")
    return ndi.map_coordinates(x, c, order=order, mode=mode, cval=cval, prefilter=prefilter)


def _coefficients(x, order, mode, cval, prefilter, nd):
    if prefilter:
        return _prefilter(x, order, mode, cval, nd)
    return x, 0


def _mapc_vjp_input(ans, input, coordinates, *, order=3, mode="constant", cval=0.0,
                    prefilter=True):
    nd = input.ndim
    shape = tuple(input.shape)

    def vjp(g):
        if prefilter and order > 1:
            offset = _NPAD if mode in _PREPAD else 0
            cshape = tuple(n + 2 * offset for n in shape)
            h = _interp_adjoint(g, coordinates + offset, shape=cshape, order=order, mode=mode,
                                deriv=(0,) * nd)
            h = _spline_filter_adjoint(h, order=order, mode=mode, ndim=nd)
            if offset:
                h = _pad_adjoint(h, widths=((offset, offset),) * nd, rule=_PREPAD[mode],
                                 shape=shape)
            return h
        return _interp_adjoint(g, coordinates, shape=shape, order=order, mode=mode,
                               deriv=(0,) * nd)

    return vjp


def _mapc_vjp_coords(ans, input, coordinates, *, order=3, mode="constant", cval=0.0,
                     prefilter=True):
    nd = input.ndim
    coeff, offset = _coefficients(input, order, mode, cval, prefilter, nd)
    return _interp_vjp_coords(None, coeff, coordinates + offset, order=order, mode=mode,
                              cval=cval, deriv=(0,) * nd)


def _mapc_jvp_input(t, ans, input, coordinates, *, order=3, mode="constant", cval=0.0,
                    prefilter=True):
    nd = input.ndim
    coeff, offset = _coefficients(t, order, mode, 0.0, prefilter, nd)
    return _interp(coeff, coordinates + offset, order=order, mode=mode, cval=0.0,
                   deriv=(0,) * nd)


def _mapc_jvp_coords(t, ans, input, coordinates, *, order=3, mode="constant", cval=0.0,
                     prefilter=True):
    nd = input.ndim
    coeff, offset = _coefficients(input, order, mode, cval, prefilter, nd)
    return _interp_jvp_coords(t, None, coeff, coordinates + offset, order=order, mode=mode,
                              cval=cval, deriv=(0,) * nd)


ad.defvjp(map_coordinates, _mapc_vjp_input, _mapc_vjp_coords)
ad.defjvp(map_coordinates, _mapc_jvp_input, _mapc_jvp_coords)


# ------------------------------------------------------------------------------------
# zoom
# ------------------------------------------------------------------------------------


def _zoom_grid(in_shape: tuple, zoom, grid_mode: bool) -> np.ndarray:
    nd = len(in_shape)
    factors = np.broadcast_to(np.asarray(zoom, dtype=float), (nd,))
    out_shape = tuple(int(round(n * z)) for n, z in zip(in_shape, factors))
    axes = []
    for n, m in zip(in_shape, out_shape):
        if grid_mode:
            axes.append((np.arange(m) + 0.5) * (n / m) - 0.5)
        elif m > 1:
            axes.append(np.arange(m) * ((n - 1) / (m - 1)))
        else:
            axes.append(np.zeros(m))
    return np.stack(np.meshgrid(*axes, indexing="ij"))


@ad.primitive
def zoom(input, zoom, *, order: int = 3, mode: str = "constant", cval: float = 0.0,
         prefilter: bool = True, grid_mode: bool = False):
    """Zoom an array by spline interpolation, differentiable in ``input``.

    Values equal :func:`scipy.ndimage.zoom`. The derivative rules interpolate
    the tangent on the output grid (forward) and scatter-add the cotangent through
    the transposed interpolation and prefilter (reverse).

    Parameters
    ----------
    input : ndarray
        Floating-point array.
    zoom : float or sequence of float
        Zoom factor per axis (not differentiable).
    order : {0, 1, 3}, optional
        Spline order.
    mode : str, optional
        Boundary mode, as in :func:`map_coordinates`.
    cval : float, optional
        Value outside for the constant modes.
    prefilter : bool, optional
        Spline-prefilter ``input`` (order 3).
    grid_mode : bool, optional
        Zoom pixel extents rather than pixel centres, as in SciPy.

    Returns
    -------
    ndarray, shape ``round(input.shape * zoom)``
    """
    _check_interp(order, mode, "zoom")
    return ndi.zoom(np.asarray(input), zoom, order=order, mode=mode, cval=cval,
                    prefilter=prefilter, grid_mode=grid_mode)


def _zoom_vjp(ans, input, zoom_, *, order=3, mode="constant", cval=0.0, prefilter=True,
              grid_mode=False):
    grid = _zoom_grid(tuple(input.shape), zoom_, grid_mode)
    return _mapc_vjp_input(ans, input, grid, order=order, mode=mode, cval=cval,
                           prefilter=prefilter)


def _zoom_jvp(t, ans, input, zoom_, *, order=3, mode="constant", cval=0.0, prefilter=True,
              grid_mode=False):
    grid = _zoom_grid(tuple(input.shape), zoom_, grid_mode)
    return _mapc_jvp_input(t, ans, input, grid, order=order, mode=mode, cval=cval,
                           prefilter=prefilter)


ad.defvjp(zoom, _zoom_vjp)
ad.defjvp(zoom, _zoom_jvp)

