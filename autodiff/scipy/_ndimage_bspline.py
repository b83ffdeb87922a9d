"""B-spline interpolation kernel of :mod:`autodiff.scipy.ndimage`, its gradient and adjoint.

``_interp`` evaluates (or differentiates, with a derivative order per axis) the
spline with given coefficients at arbitrary points; ``_interp_grad`` stacks its
first derivatives with respect to the coordinates; ``_interp_adjoint`` is the
transpose in the coefficients, a scatter-add of the weights done with
:func:`numpy.bincount`.  The three close under differentiation: the derivative of
an interpolation with respect to the coordinates is an interpolation with a higher
derivative order, so any order of derivative is available (B-spline derivatives
beyond the spline order are zero).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from .. import _tracer as ad
from .._registry import library_primitive
from ._ndimage_boundary import _INTERP_MODES, _extend_index

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


@library_primitive
def _interp(values, coords, *, order: int, mode: str, cval: float, deriv: tuple):
    """Interpolate (or differentiate the interpolant of) spline coefficients.

    ``values`` has shape ``batch + shape``, ``coords`` ``(ndim,) + points``; the
    result has shape ``batch + points``.  With ``deriv`` non-zero the result is the
    partial derivative of the interpolant with respect to the coordinates.
    """
    return _interp_many(values, coords, order, mode, cval, [deriv])[0]


@library_primitive
def _interp_grad(values, coords, *, order: int, mode: str, cval: float, deriv: tuple):
    """Gradient (w.r.t. the coordinates) of ``_interp``: shape ``batch + (ndim,) + points``."""
    nd = np.shape(coords)[0]
    parts = _interp_many(values, coords, order, mode, cval, [_unit(deriv, d) for d in range(nd)])
    return np.stack(parts, axis=np.ndim(values) - nd)


@library_primitive
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
