r"""B-spline sampling of an image and its coordinate gradient at compiled speed.

A cubic B-spline image :math:`S(x) = \sum_i c_i \prod_d \beta^3(x_d - i_d)` has the
partial derivative

.. math:: \partial_d S(x) = \sum_i (c_i - c_{i - e_d})\, \beta^2(x_d + \tfrac12 - i_d)
          \prod_{e \ne d} \beta^3(x_e - i_e),

a quadratic spline along ``d`` of the differenced coefficients, still cubic along
the other axes.  SciPy's :func:`scipy.ndimage.map_coordinates` uses one order on
every axis, so the three quadratic taps along ``d`` are summed here in NumPy and
each tap is an ``(ndim - 1)``-D cubic interpolation done by ``map_coordinates``:
axis ``d`` is moved first and merged with the next axis (padded so that a stencil
never crosses from one slice into the next).  Linear splines work the same way with
one tap.  Per point this costs ``1 + 3 ndim`` compiled interpolations of one order
lower in dimension, against the ``4**ndim``-node NumPy gather of
:mod:`autodiff.scipy.ndimage`.

The image-side adjoint (a scatter-add) is not needed in registration, where the
image is constant: :func:`sample` is differentiable in the coordinates only.
Coordinates are clamped to the image, ``[0, n - 1]`` per axis, so the derivative
along an axis is zero where that coordinate is outside (registration masks those
points out anyway).  Second derivatives
(Hessians in the coordinates) come from a NumPy gather kernel.
"""

from __future__ import annotations

import itertools

import numpy as np
import scipy.ndimage as ndi

import autodiff as ad

__all__ = ["SplineImage", "sample", "sample_gradient"]

_PAD = 3  # coefficients added on each side: every stencil of a clamped point fits


class SplineImage:
    """B-spline model of an image, prepared once for many samplings.

    Parameters
    ----------
    image : ndarray, shape (n_1, ..., n_d)
        Grey-level image (``d >= 2``).
    order : {1, 3}, optional
        Spline order: cubic (coefficients from :func:`scipy.ndimage.spline_filter`,
        mirror boundary) or linear (the image itself).

    Notes
    -----
    Memory: the padded coefficients plus one differenced copy per axis, about
    ``(1 + d)`` times the image.
    """

    def __init__(self, image: np.ndarray, order: int = 3):
        image = np.asarray(image, dtype=np.float64)
        if order not in (1, 3):
            raise ValueError(f"order must be 1 or 3, got {order}")
        if image.ndim < 2:
            raise ValueError(f"SplineImage needs a 2-D or larger image, got shape {image.shape}")
        self.order = order
        self.shape = image.shape
        coeff = ndi.spline_filter(image, order=3, mode="mirror") if order == 3 else image
        # numpy's 'reflect' is ndimage's 'mirror' (about the edge sample)
        self.padded = np.pad(coeff, _PAD, mode="reflect")
        self.padded_shape = self.padded.shape
        self._diffs = [None] * image.ndim

    def differences(self, axis: int) -> np.ndarray:
        """Coefficients differenced along ``axis``, that axis merged with the next one.

        Shape ``(m * n_next,) + rest`` with ``m = padded_shape[axis] - 1``; slice ``j``
        of the difference ``c[j + 1] - c[j]`` occupies rows ``j * n_next ...``.
        """
        if self._diffs[axis] is None:
            diff = np.moveaxis(np.diff(self.padded, axis=axis), axis, 0)
            shape = diff.shape
            self._diffs[axis] = np.ascontiguousarray(diff).reshape(
                (shape[0] * shape[1],) + shape[2:])
        return self._diffs[axis]

    def clamp(self, coords: np.ndarray, *, with_inside: bool = True
              ) -> tuple[np.ndarray, np.ndarray | None]:
        """Coordinates clamped to the image, in padded index units, and per axis
        whether the coordinate was inside (where the clamp passes derivatives on;
        None unless ``with_inside``)."""
        coords = np.asarray(coords, dtype=np.float64)
        inside = np.empty(coords.shape, dtype=bool) if with_inside else None
        out = np.empty_like(coords)
        for d, n in enumerate(self.shape):
            x = coords[d]
            if with_inside:
                np.logical_and(x >= 0.0, x <= n - 1.0, out=inside[d])
            np.clip(x, 0.0, n - 1.0, out=out[d])
            out[d] += _PAD
        return out, inside

    def values(self, coords: np.ndarray) -> np.ndarray:
        """Spline values at ``coords`` (shape ``(d,) + points``), clamped to the image."""
        padded, _ = self.clamp(coords, with_inside=False)
        return ndi.map_coordinates(self.padded, padded, order=self.order, mode="nearest",
                                   prefilter=False)

    def gradient(self, coords: np.ndarray) -> np.ndarray:
        """Partial derivatives at ``coords``: shape ``(d,) + points``, zero outside."""
        padded, inside = self.clamp(coords)
        nd = len(self.shape)
        pts = padded.shape[1:]
        flat = padded.reshape(nd, -1)
        grad = np.empty((nd, flat.shape[1]))
        for d in range(nd):
            base = np.floor(flat[d])
            t = flat[d] - base
            others = [e for e in range(nd) if e != d]
            n_next = self.padded_shape[others[0]]
            # position in the merged (slice, next axis) rows of the first tap
            row = base * n_next
            row += flat[others[0]]
            if self.order == 3:
                row -= n_next
                s = 1.0 - t
                w0 = s * s
                w0 *= 0.5
                w2 = t * t
                w2 *= 0.5
                w1 = 1.0 - w0
                w1 -= w2
                weights = (w0, w1, w2)
            else:
                weights = (None,)
            taps = len(weights)
            sub = np.empty((nd - 1, taps, flat.shape[1]))
            for k in range(taps):
                np.add(row, k * n_next, out=sub[0, k])
            sub[1:] = flat[others[1:], None, :]
            # order of the other axes: cubic stays cubic, linear stays linear
            vals = ndi.map_coordinates(self.differences(d), sub, order=self.order,
                                       mode="nearest", prefilter=False)
            if taps == 1:
                grad[d] = vals[0]
            else:
                out = grad[d]
                np.multiply(w0, vals[0], out=out)
                vals[1] *= w1
                out += vals[1]
                vals[2] *= w2
                out += vals[2]
        grad = grad.reshape((nd,) + pts)
        grad *= inside
        return grad

    def shifted(self, shift, *, derivative: int | None = None, step: int = 1) -> np.ndarray:
        """The spline sampled on the pixel grid moved by a constant ``shift``.

        Equal to :meth:`values` (``derivative=None``) or to row ``derivative`` of
        :meth:`gradient` at ``grid + shift``, clamp and zero derivative outside
        included, but separable: along each axis the sampling positions share one
        fractional part, so the spline is one sparse 1-D matrix (four taps a row)
        per axis, applied in turn to the coefficients, about ``4 d`` operations a
        pixel instead of a ``4**d``-node interpolation per point (translation).

        Parameters
        ----------
        shift : sequence of float, length d
            Displacement of every pixel, in pixels.
        derivative : int, optional
            Axis of the partial derivative (None: the values).
        step : int, optional
            Sample every ``step``-th pixel of each axis only: the grid is
            ``grid[:, ::step, ::step, ...]``.

        Returns
        -------
        ndarray, shape ``ceil(n / step)`` per axis (``self.shape`` for ``step=1``)
        """
        out = self.padded
        for axis, n in enumerate(self.shape):
            matrix = _axis_sampling(n, float(shift[axis]), self.order, axis == derivative,
                                    step)
            moved = np.moveaxis(out, axis, 0)
            flat = matrix @ moved.reshape(moved.shape[0], -1)
            out = np.moveaxis(flat.reshape((matrix.shape[0],) + moved.shape[1:]), 0, axis)
        return np.ascontiguousarray(out)

    def hessian(self, coords: np.ndarray) -> np.ndarray:
        """Second partial derivatives, shape ``(d, d) + points`` (NumPy gather kernel)."""
        padded, inside = self.clamp(coords)
        nd = len(self.shape)
        out = np.empty((nd, nd) + padded.shape[1:])
        for d in range(nd):
            for e in range(d, nd):
                derivs = [0] * nd
                derivs[d] += 1
                derivs[e] += 1
                out[d, e] = out[e, d] = (_gather_derivative(self.padded, padded, self.order,
                                                            derivs) * inside[d] * inside[e])
        return out


def _axis_sampling(n: int, shift: float, order: int, derivative: bool, step: int = 1):
    """Sparse ``(ceil(n / step), n + 2 _PAD)`` matrix: row ``i`` samples the padded 1-D
    spline at ``clip(i step + shift, 0, n - 1)`` (its derivative, zero where clipped,
    if asked)."""
    import scipy.sparse as sp

    x = np.arange(0, n, step) + shift
    inside = (x >= 0.0) & (x <= n - 1.0)
    y = np.clip(x, 0.0, n - 1.0) + _PAD
    base = np.floor(y)
    weights = np.stack(np.broadcast_arrays(*_weights(y - base, order, int(derivative))),
                       axis=1)
    if derivative:
        weights *= inside[:, None]
    first = base.astype(np.intp) - (1 if order == 3 else 0)
    cols = first[:, None] + np.arange(weights.shape[1])
    rows = np.broadcast_to(np.arange(x.size)[:, None], cols.shape)
    return sp.csr_matrix((weights.ravel(), (rows.ravel(), cols.ravel())),
                         shape=(x.size, n + 2 * _PAD))


def _weights(t: np.ndarray, order: int, deriv: int) -> list:
    """B-spline weights (differentiated ``deriv`` times) of the ``order + 1`` nodes."""
    if order == 1:
        return [[1.0 - t, t], [-np.ones_like(t), np.ones_like(t)]][deriv] if deriv < 2 else \
            [np.zeros_like(t)] * 2
    s = 1.0 - t
    table = {
        0: lambda: [s**3 / 6.0, 2.0 / 3.0 - t * t + t**3 / 2.0,
                    2.0 / 3.0 - s * s + s**3 / 2.0, t**3 / 6.0],
        1: lambda: [-0.5 * s * s, (1.5 * t - 2.0) * t, -(1.5 * s - 2.0) * s, 0.5 * t * t],
        2: lambda: [s, 3.0 * t - 2.0, 1.0 - 3.0 * t, t],
        3: lambda: [-np.ones_like(t), 3.0 * np.ones_like(t), -3.0 * np.ones_like(t),
                    np.ones_like(t)],
    }
    return table[deriv]() if deriv in table else [np.zeros_like(t)] * 4


def _gather_derivative(coeff: np.ndarray, coords: np.ndarray, order: int, derivs) -> np.ndarray:
    """Mixed derivative of the spline at in-range padded coordinates by explicit gathers."""
    nd = coeff.ndim
    flat_coeff = coeff.ravel()
    strides = np.cumprod((1,) + coeff.shape[::-1])[-2::-1]
    stencils = []
    for d in range(nd):
        base = np.floor(coords[d])
        first = base.astype(np.intp) - (1 if order == 3 else 0)
        stencils.append((first, _weights(coords[d] - base, order, derivs[d])))
    out = np.zeros(coords.shape[1:])
    for combo in itertools.product(range(order + 1), repeat=nd):
        index = 0
        weight = 1.0
        for (first, weights), j, stride in zip(stencils, combo, strides):
            index = index + (first + j) * stride
            weight = weight * weights[j]
        out += flat_coeff[index] * weight
    return out


# ------------------------------------------------------------------------------------
# primitives: differentiable in the coordinates (forward and reverse mode)
# ------------------------------------------------------------------------------------


@ad.primitive
def sample(coords, *, image: SplineImage):
    """Spline values of ``image`` at ``coords`` (shape ``(d,) + points``), clamped.

    Differentiable in ``coords`` (forward and reverse mode, second order too).

    Parameters
    ----------
    coords : ndarray, shape (d, ...)
        Points in index units of the image.
    image : SplineImage
        The prepared spline model (not differentiated).

    Returns
    -------
    ndarray, shape ``coords.shape[1:]``

    Examples
    --------
    >>> import numpy as np
    >>> img = SplineImage(np.arange(20.0).reshape(4, 5), order=1)
    >>> sample(np.array([[1.5], [2.0]]), image=img)
    array([9.5])
    """
    return image.values(coords)


@ad.primitive
def sample_gradient(coords, *, image: SplineImage):
    """Coordinate gradient of :func:`sample`: shape ``(d,) + coords.shape[1:]``."""
    return image.gradient(coords)


@ad.primitive
def _sample_hessian(coords, *, image: SplineImage):
    return image.hessian(coords)


def _sample_jvp(t, ans, coords, *, image):
    # t: (k, d) + points; the gradient (d,) + points
    return np.sum(t * sample_gradient(coords, image=image), axis=1)


def _sample_vjp(ans, coords, *, image):
    grad = sample_gradient(coords, image=image)
    return lambda g: grad * g


def _gradient_jvp(t, ans, coords, *, image):
    hess = _sample_hessian(coords, image=image)  # (d, d) + points
    return np.sum(t[:, None] * hess, axis=2)


def _gradient_vjp(ans, coords, *, image):
    hess = _sample_hessian(coords, image=image)
    # the Hessian is symmetric: cotangent_d = sum_e H[d, e] g_e
    return lambda g: np.sum(hess * g[None], axis=1)


ad.defjvp(sample, _sample_jvp)
ad.defvjp(sample, _sample_vjp)
ad.defjvp(sample_gradient, _gradient_jvp)
ad.defvjp(sample_gradient, _gradient_vjp)
