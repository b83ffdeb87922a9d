"""Parametric registration (translation to affine): Levenberg-Marquardt on ``ad.jacfwd``.

Each level minimises half the squared residuals of the metric over the transform
parameters.  The Jacobian (pixels x parameters, tall) comes from forward mode
through the warped-image primitive, whose coordinate gradient is compiled
(``map_coordinates`` on differenced spline coefficients); for ``ssd``, whose
residual is the warped image times a constant weight, the same chain rule is
assembled in cache-sized chunks of pixels (equal to the forward-mode Jacobian, and
several times faster on volumes).  The damped step solves
the normal equations ``(J^T J + lambda D) delta = -J^T r`` (a few parameters: a
Cholesky-sized solve), falling back to a least-squares solve when ``J^T J`` is
ill-conditioned.  Mutual information is maximised with L-BFGS on reverse-mode
gradients.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Sequence

import numpy as np

import autodiff as ad
from autodiff.optimize import minimize

from . import _metrics
from ._driver import LevelOutcome, Stopped, coarse_to_fine, inside, per_level, prepare
from ._interp import SplineImage
from ._result import IterationInfo, RegistrationResult
from ._transforms import (
    TransformModel,
    coordinates,
    get_model,
    homogeneous_matrix,
    identity_grid,
    params_from_matrix,
)

__all__ = ["register_parametric", "PARAMETRIC_METHODS", "MAX_SAMPLES", "final_result",
           "sample_stride"]

PARAMETRIC_METHODS = ("lm", "gauss-newton")
MAX_SAMPLES = 2**20  # default: points per level the metric is evaluated on
_MI_SAMPLES = 1 << 15  # pixels sampled per level for mutual information
_COND_LIMIT = 1e10  # beyond this condition number of J^T J, solve by least squares
# after a step that moved no corner this far (level pixels) the Jacobian is kept for the
# next step (a chord step: the residuals are fresh, the linearisation barely changed)
_KEEP_JACOBIAN_BELOW = 2.0
_CHUNK = 1 << 15  # pixels per chunk of the ssd Jacobian (cache-sized blocks)
_COARSE_RTOL = 1e-3  # relative cost decrease below which a coarse level has stalled
_CONTRACTION = 0.5  # chord steps shrinking at least this fast bound the remaining error
_MAX_GAIN = 1e3  # largest factor on a Gauss-Newton step learnt from the cost's parabola
_PHASE_MAX_PIXELS = 128 * 128  # largest level (pixels or voxels) phase correlation runs on


class _LevelProblem:
    """Residuals of one pyramid level as a function of the transform parameters.

    With ``stride > 1`` the metric is evaluated on every ``stride``-th pixel of
    each axis only (``fixed[::stride, ...]`` at those pixels' own positions, see
    :func:`sample_stride`); the moving image's spline keeps the level's resolution.
    """

    def __init__(self, model: TransformModel, metric: str, fixed: np.ndarray,
                 moving: np.ndarray, center: np.ndarray, scale: float, order: int,
                 stride: int = 1):
        ndim = fixed.ndim
        self.model, self.metric = model, metric
        self.center, self.scale, self.stride = center, scale, stride
        # positions (level pixels) of the sampled pixels along each axis, and the same
        # shaped to broadcast against each other
        self.positions = [np.arange(0, n, stride, dtype=float) for n in fixed.shape]
        self._axes = [x.reshape((-1,) + (1,) * (ndim - 1 - d))
                      for d, x in enumerate(self.positions)]
        self.fixed = fixed[(slice(None, None, stride),) * ndim]
        self._grid = None  # the sampled grid, formed only where needed (see grid)
        self.moving_shape = moving.shape
        self.moving_range = (float(moving.min()), float(moving.max()))
        if metric == "mi" and self.fixed.size > _MI_SAMPLES:
            # a fixed random subset of pixels (as in Mattes MI): bounded memory on the tape
            pick = np.sort(np.random.default_rng(0).choice(self.fixed.size, _MI_SAMPLES,
                                                           replace=False))
            self._grid = self.grid.reshape(ndim, -1)[:, pick]
            self.fixed = self.fixed.ravel()[pick]
        self.spline = SplineImage(moving, order)
        corners = np.array(np.meshgrid(*[[0.0, n - 1.0] for n in fixed.shape], indexing="ij"))
        self.corners = corners.reshape(ndim, -1)
        self.mask = np.ones(self.fixed.shape, dtype=bool)
        # sampling coordinates are linear in the entries of A and t:
        # y_d = c_d / s + sum_e A_de (x_e - c_e / s) + t_d / s
        offset = np.asarray(center, dtype=float) / scale
        if self._grid is None:  # broadcast axes: no full-size grid to subtract from
            self.centred = np.empty((ndim,) + self.fixed.shape)
            for d in range(ndim):
                self.centred[d] = self._axes[d] - offset[d]
            self.centred = self.centred.reshape(ndim, -1)
        else:
            self.centred = self._grid - offset[:, None]
        # a translation samples the spline on the grid moved by one shift: separable
        # (SplineImage.shifted), an order of magnitude cheaper than a point-wise kernel
        self._separable = model.name == "translation" and self._grid is None
        # other transforms on the sampled grid are evaluated slab by slab (see _slabs)
        self._full = self._grid is None and not self._separable
        self._last_gradient = (None, None)
        self._parts_jacobian = ad.jacfwd(lambda q: _linear_parts(model, q, ndim))
        self._last = (None, None)  # (parameters, warped image): the LM trial point is
        # the next Jacobian's point, whose forward pass needs the same values
        self._last_coords = (None, None)

    @property
    def grid(self) -> np.ndarray:
        """Level coordinates of the sampled pixels (every pixel when ``stride`` is 1),
        or of the MI sample of them."""
        if self._grid is None:
            self._grid = np.stack(np.meshgrid(*self.positions, indexing="ij"))
        return self._grid

    def coords(self, p, grid=None):
        return coordinates(self.model, p, self.grid if grid is None else grid, self.center,
                           self.scale)

    def corner_motion(self, p: np.ndarray, q: np.ndarray) -> float:
        """Largest displacement (level pixels) of a corner between parameters p and q."""
        diff = self.coords(q, self.corners) - self.coords(p, self.corners)
        return float(np.max(np.sqrt(np.sum(diff * diff, axis=0))))

    def _slabs(self) -> list[tuple[int, int]]:
        """Ranges of rows (first axis) of about _CHUNK pixels: the sampled grid is
        evaluated slab by slab, so that no coordinate array of the whole level is
        formed (on a volume those exceed the allocator's reuse threshold and are paged
        in anew at every evaluation)."""
        rest = self.fixed.size // self.fixed.shape[0]
        step = max(1, _CHUNK // rest)
        return [(a, min(a + step, self.fixed.shape[0]))
                for a in range(0, self.fixed.shape[0], step)]

    def _slab_coords(self, p: np.ndarray, a: int, b: int) -> np.ndarray:
        """:meth:`coords` of rows ``a:b`` of the sampled grid (not of an MI sample)."""
        ndim = self.fixed.ndim
        m = homogeneous_matrix(self.model, p, self.center)
        # level coordinates: x_full = s x, y_full = s y, so y = A x + t_full / s
        offset = m[:ndim, ndim] / self.scale
        axes = [self._axes[0][a:b]] + self._axes[1:]
        coords = np.empty((ndim, b - a) + self.fixed.shape[1:])
        for d in range(ndim):
            coords[d] = offset[d]
            for e in range(ndim):
                if m[d, e] != 0.0:
                    coords[d] += m[d, e] * axes[e]
        return coords

    def update_mask(self, p: np.ndarray) -> bool:
        """Refresh the overlap mask at ``p``; True when it changed."""
        if self._grid is None:
            p = np.asarray(p, dtype=float)
            mask = np.empty(self.fixed.shape, dtype=bool)
            for a, b in self._slabs():
                mask[a:b] = inside(self._slab_coords(p, a, b), self.moving_shape)
        else:
            mask = inside(self.coords_at(p), self.moving_shape)
        changed = not np.array_equal(mask, self.mask)
        self.mask = mask
        return changed

    def warped(self, p):
        return _warped(p, problem=self)

    def coords_at(self, p: np.ndarray) -> np.ndarray:
        """Sampling coordinates at plain parameters ``p`` (the last ones are remembered)."""
        last_p, last = self._last_coords
        if last_p is not None and np.array_equal(last_p, p):
            return last
        p = np.asarray(p, dtype=float)
        if self._grid is None:  # the sampled grid: broadcast its axes
            coords = self._slab_coords(p, 0, self.fixed.shape[0])
        else:
            coords = self.coords(p)
        self._last_coords = (np.array(p, dtype=float, copy=True), coords)
        return coords

    def warped_values(self, p: np.ndarray) -> np.ndarray:
        """Warped image at plain parameters ``p`` (the last one is remembered)."""
        last_p, last_values = self._last
        if last_p is not None and np.array_equal(last_p, p):
            return last_values
        if self._separable:
            values = self.spline.shifted(self._shift(p), step=self.stride)
        elif self._full:
            p = np.asarray(p, dtype=float)
            values = np.empty(self.fixed.shape)
            for a, b in self._slabs():
                values[a:b] = self.spline.values(self._slab_coords(p, a, b))
        else:
            values = self.spline.values(self.coords_at(p))
        self._last = (np.array(p, copy=True), values)
        return values

    def _shift(self, p: np.ndarray) -> np.ndarray:
        """Translation of the level grid (level pixels) at parameters ``p``."""
        ndim = self.fixed.ndim
        return homogeneous_matrix(self.model, np.asarray(p, dtype=float),
                                  self.center)[:ndim, ndim] / self.scale

    def _spline_gradient(self, p: np.ndarray, points: slice) -> np.ndarray:
        """Spline gradient at the sampling points ``points`` (flattened) of ``p``."""
        ndim = self.centred.shape[0]
        if self._full:
            start, stop, _ = points.indices(self.fixed.size)
            rest = self.fixed.size // self.fixed.shape[0]
            first, last = start // rest, -(-stop // rest)
            step = max(1, _CHUNK // rest)
            parts = [self.spline.gradient(self._slab_coords(p, a, min(a + step, last)))
                     .reshape(ndim, -1) for a in range(first, last, step)]
            grad = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
            return grad[:, start - first * rest:stop - first * rest]
        if not self._separable:
            return self.spline.gradient(self.coords_at(p).reshape(ndim, -1)[:, points])
        last_p, last = self._last_gradient
        if last_p is None or not np.array_equal(last_p, p):
            shift = self._shift(p)
            last = np.stack([self.spline.shifted(shift, derivative=d, step=self.stride).ravel()
                             for d in range(ndim)])
            self._last_gradient = (np.array(p, dtype=float, copy=True), last)
        return last[:, points].copy()

    def _chain(self, parts: np.ndarray) -> tuple:
        """Which products ``grad_d x_e`` and ``grad_d`` the chain rule needs, and the
        matrix from them to the parameters (None when it is the identity)."""
        ndim = self.centred.shape[0]
        pairs = [(d, e) for d in range(ndim) for e in range(ndim)
                 if np.any(parts[d * ndim + e])]
        shifts = [d for d in range(ndim) if np.any(parts[ndim * ndim + d])]
        weights = parts[[d * ndim + e for d, e in pairs] + [ndim * ndim + d for d in shifts]]
        if weights.shape[0] == weights.shape[1] and np.array_equal(weights,
                                                                   np.eye(len(weights))):
            weights = None  # affine and translation: the parameters are the entries
        return pairs, shifts, weights

    def _rows(self, grad: np.ndarray, points: slice, chain: tuple) -> np.ndarray:
        """Jacobian rows (parameters x points) from the spline gradient at ``points``."""
        pairs, shifts, weights = chain
        centred = self.centred[:, points]
        rows = np.empty((len(pairs) + len(shifts), grad.shape[1]))
        for i, (d, e) in enumerate(pairs):
            np.multiply(grad[d], centred[e], out=rows[i])
        for i, d in enumerate(shifts, start=len(pairs)):
            np.multiply(grad[d], 1.0 / self.scale, out=rows[i])
        return rows if weights is None else weights.T @ rows

    def warped_jacobian(self, p: np.ndarray, points: slice = slice(None)) -> np.ndarray:
        """Derivative of the warped image w.r.t. the parameters, shape (n_params, points).

        Chain rule with the compiled spline gradient: sum over d, e of
        ``dA_de/dp grad_d (x_e - c_e / s)`` plus ``dt_d/dp grad_d / s``, the small
        ``dA/dp``, ``dt/dp`` from forward mode, the pixel sums by one matrix product.
        ``points`` restricts it to a slice of the (flattened) pixels.
        """
        p = np.asarray(p, dtype=float)
        chain = self._chain(np.asarray(self._parts_jacobian(p)))
        return self._rows(self._spline_gradient(p, points), points, chain)

    def ssd_jacobian(self, p: np.ndarray, out: np.ndarray | None = None) -> tuple:
        """Transposed Jacobian of the ``ssd`` residuals and its Gram matrix, in chunks.

        The ``ssd`` residual is the warped image times the constant weight
        ``sqrt(m / count)``, so its Jacobian is that of :meth:`warped_jacobian` row
        by row.  It is assembled in chunks of pixels, which keeps the spline gradient
        and the products in cache, and kept as the weighted spline gradient (``d``
        rows, not one per parameter: on a 128^3 volume 48 MB instead of 200 MB, whose
        first writes alone cost half a second).

        Returns
        -------
        jt : _ChainJacobian
            ``J^T``: ``jt @ r`` is ``J^T r``, ``jt.dense()`` the array.
        gram : ndarray, shape (n_params, n_params)
            ``J^T J``.
        """
        p = np.asarray(p, dtype=float)
        chain = self._chain(np.asarray(self._parts_jacobian(p)))
        n = self.fixed.size
        ndim = self.centred.shape[0]
        weight = np.sqrt(self.mask.ravel() / max(float(np.sum(self.mask)), 1.0))
        gradient = out if out is not None else np.empty((ndim, n))
        gram = np.zeros((p.size, p.size))
        rest = n // self.fixed.shape[0]
        for a, b in self._slabs():
            points = slice(a * rest, b * rest)
            grad = self._spline_gradient(p, points)
            grad *= weight[points]
            gradient[:, points] = grad
            block = self._rows(grad, points, chain)
            gram += block @ block.T
        return _ChainJacobian(self, gradient, chain), gram

    def negative_mi(self, p):
        return -_metrics.mutual_information(self.warped(p), self.fixed, self.mask,
                                            self.moving_range)

    def residuals(self, p):
        return np.ravel(_metrics.residuals(self.metric, self.warped(p), self.fixed, self.mask))


class _ChainJacobian:
    """``J^T`` of the ``ssd`` residuals, stored as the weighted spline gradient.

    ``J^T r`` needs only ``d`` products with ``r`` and then one dot product per
    parameter with the centred coordinates.
    """

    def __init__(self, problem: _LevelProblem, gradient: np.ndarray, chain: tuple):
        self.problem, self.gradient, self.chain = problem, gradient, chain

    def __matmul__(self, r: np.ndarray) -> np.ndarray:
        pairs, shifts, weights = self.chain
        centred, scale = self.problem.centred, self.problem.scale
        weighted = {d: self.gradient[d] * r for d in {d for d, _ in pairs} | set(shifts)}
        out = np.array([float(weighted[d] @ centred[e]) for d, e in pairs]
                       + [float(np.sum(weighted[d])) / scale for d in shifts])
        return out if weights is None else weights.T @ out

    def dense(self) -> np.ndarray:
        """``J^T`` as an array, shape (n_params, points)."""
        return self.problem._rows(self.gradient, slice(None), self.chain)


def _linear_parts(model: TransformModel, p, ndim: int):
    """Entries of ``A`` (row-major) then ``t`` as one vector (differentiable in ``p``)."""
    a, t = model.split(p, ndim)
    entries = [a[d][e] for d in range(ndim) for e in range(ndim)] + list(t)
    return np.stack([np.float64(x) if isinstance(x, float) else x for x in entries])


@ad.primitive
def _warped(p, *, problem: _LevelProblem):
    """The moving image of a level sampled at the transformed grid (cubic or linear spline).

    Its derivative rules use the compiled spline gradient (``_interp``) and the chain
    rule through the transform: forward mode (``ad.jacfwd`` of the residuals, the
    Levenberg-Marquardt Jacobian) and reverse mode (mutual information's gradient).
    """
    return problem.warped_values(np.asarray(p, dtype=float))


def _warped_jvp(t, ans, p, *, problem):
    jac = problem.warped_jacobian(p)
    t = np.asarray(t).reshape(len(t), -1)
    if t.shape[0] == t.shape[1] and np.array_equal(t, np.eye(len(t))):
        product = jac  # the basis of a full Jacobian (jacfwd): no product to form
    else:
        product = t @ jac
    return np.reshape(product, (len(t),) + np.shape(ans))


def _warped_vjp(ans, p, *, problem):
    jac = problem.warped_jacobian(p)
    return lambda g: jac @ np.ravel(g)


ad.defjvp(_warped, _warped_jvp)
ad.defvjp(_warped, _warped_vjp)


def _check_overlap(problem: _LevelProblem, initial: bool) -> None:
    if problem.mask.mean() < 0.05:
        raise ValueError("the images do not overlap under the initial transform; try "
                         "initial='phase' or fewer pyramid levels" if initial else
                         "the transform moved the images out of overlap; the registration "
                         "diverged (try another initial transform or metric)")


def _damped_step(a: np.ndarray, g: np.ndarray, jac, r: np.ndarray,
                 lam: float) -> np.ndarray:
    """Solve ``(A + lam diag(A)) delta = -g`` by normal equations, else least squares.

    ``jac`` (points x parameters) may be a callable that returns it: it is only
    needed by the least-squares fallback."""
    diag = np.maximum(np.diag(a), 1e-12 * max(float(np.max(np.diag(a))), 1e-300))
    m = a + lam * np.diag(diag)
    if np.linalg.cond(m) < _COND_LIMIT:
        return np.linalg.solve(m, -g)
    # ill-conditioned: SVD-based least squares on the augmented Jacobian
    if callable(jac):
        jac = jac()
    aug = np.vstack([jac, np.diag(np.sqrt(lam * diag))])
    rhs = np.concatenate([-r, np.zeros(len(g))])
    return np.linalg.lstsq(aug, rhs, rcond=None)[0]


def _parabola_step(g: np.ndarray, delta: np.ndarray, cost: float,
                   cost_q: float) -> float:
    """Minimiser ``s`` of the parabola through the cost along ``delta`` (``inf`` if concave).

    The cost is known at 0 (value and slope ``g . delta``) and at 1.  Compared with
    the Gauss-Newton model ``J^T J`` it says by how much the model overstates the
    curvature: a transform that cannot fit the images exactly (a translation
    between the two views of a stereo pair) leaves residuals at the minimum, whose
    second-order term lowers the true curvature, and Gauss-Newton steps then fall
    short by a constant factor.
    """
    slope = float(g @ delta)
    curvature = cost_q - cost - slope  # second-order coefficient of the cost along delta
    if slope >= 0.0:
        return 1.0
    if curvature <= 0.0:
        return float("inf")
    return -slope / (2.0 * curvature)


def _least_squares_level(problem: _LevelProblem, p0: np.ndarray, *, max_iter: int, tol: float,
                         rtol: float, method: str, level: int, callback) -> tuple:
    """Levenberg-Marquardt (or Gauss-Newton with step halving) on one level.

    Stops when a step moves no corner more than ``tol`` level pixels (converged),
    when an iteration lowers the cost by less than ``rtol`` relatively (stalled:
    the noise floor of the metric), or on the budget.  Near the solution (a step
    that moved the corners less than two pixels) the Jacobian is kept for the
    next step (a chord step); a step that then fails is retried with a fresh one,
    and no Jacobian is kept again on this level.  Convergence is declared on a
    fresh Jacobian's step, or on a chord step that shrank by half or more (the
    remaining error is then at most the step).  The last step below ``tol`` is
    taken when it does not raise the cost.  Where the cost curves less along a
    step than Gauss-Newton's model (a transform that does not fit the images
    exactly), the parabola's minimiser is tried and the gain kept for the next
    steps (see :func:`_parabola_step`).
    """
    p = np.array(p0, dtype=float)
    problem.update_mask(p)
    _check_overlap(problem, True)
    jacobian = ad.jacfwd(problem.residuals)
    r = np.asarray(problem.residuals(p))
    cost = 0.5 * float(r @ r)
    lam = 1e-3 if method == "lm" else 0.0
    gain = 1.0  # learnt factor on the Gauss-Newton step (see _parabola_step)
    reason, message, it = "budget", "iteration budget spent", 0
    jt = buffer = None  # transposed Jacobian (n_params, points) and its reused memory
    prev_moved = np.inf  # corner motion of the last accepted step
    chord = True  # whether a Jacobian may be kept for the next step
    while it < max_iter:
        fresh = jt is None
        if fresh:
            if problem.metric == "ssd":
                jt, a = problem.ssd_jacobian(p, buffer)
                buffer = jt.gradient
                dense = jt.dense
            else:
                jt = np.asarray(jacobian(p)).reshape(r.size, -1).T
                a = jt @ jt.T
                dense = jt.copy
            if not np.any(a):
                reason, message = "converged", "zero Jacobian (flat images)"
                break
        g = jt @ r
        it += 1
        lam_start = lam
        accepted = False
        step_scale = 1.0
        tiny = False
        for _ in range(12):
            delta = (gain * step_scale) * _damped_step(a, g, lambda: dense().T, r, lam)
            q = p + delta
            if problem.corner_motion(p, q) < tol:
                tiny = True  # below the tolerance: no need to evaluate it
                break
            r_new = np.asarray(problem.residuals(q))
            cost_new = 0.5 * float(r_new @ r_new)
            if np.isfinite(cost_new) and cost_new <= cost:
                accepted = True
                break
            if not fresh:
                break  # a kept Jacobian that fails is refreshed rather than damped
            if gain > 1.0:
                gain = max(gain / 4.0, 1.0)  # the learnt gain overshoots: shrink it first
            elif method == "lm":
                lam = max(lam * 4.0, 1e-6)
            else:
                step_scale *= 0.5
        # a kept Jacobian makes a chord iteration, which converges linearly: its step
        # bounds the remaining error only where the steps contract fast enough
        contracting = fresh or (problem.corner_motion(p, q) <= _CONTRACTION * prev_moved)
        if tiny or not accepted:
            if not (fresh or (tiny and contracting)):
                # decide with a fresh Jacobian (a kept one may be too old); the
                # damping the stale one piled up says nothing about the fresh one
                jt, it, lam = None, it - 1, lam_start
                # where a kept Jacobian failed once (the linearisation changes fast:
                # a transform that does not fit), keeping it again would waste an
                # evaluation per iteration
                chord = accepted
                continue
            if tiny and problem.corner_motion(p, q) >= 0.1 * tol:
                # the last step is below the tolerance but not below the accuracy
                # sought: take it when it does not raise the cost (one evaluation;
                # a step under a tenth of the tolerance is not worth it)
                r_new = np.asarray(problem.residuals(q))
                cost_new = 0.5 * float(r_new @ r_new)
                if np.isfinite(cost_new) and cost_new <= cost:
                    p, r, cost = q, r_new, cost_new
            reason, message = ("converged", f"next step would move the corners < {tol:g} px") \
                if tiny else ("converged", "no step lowers the cost (at a minimum)")
            break
        if method == "lm":
            lam = max(lam / 3.0, 1e-9)
        s_best = _parabola_step(g, delta, cost, cost_new)
        if s_best > 1.5:
            # the model overstates the curvature: try the parabola's minimiser (at
            # most _MAX_GAIN times the step, moving no corner more than
            # _KEEP_JACOBIAN_BELOW pixels) and keep the gain for the next steps
            s_try = min(s_best, _MAX_GAIN / gain,
                        _KEEP_JACOBIAN_BELOW / max(problem.corner_motion(p, q), 1e-300))
            q2 = p + s_try * delta
            if s_try > 1.5:
                r2 = np.asarray(problem.residuals(q2))
                cost2 = 0.5 * float(r2 @ r2)
            if s_try > 1.5 and np.isfinite(cost2) and cost2 < cost_new:
                q, r_new, cost_new = q2, r2, cost2
                gain *= s_try
        moved = problem.corner_motion(p, q)
        relative = (cost - cost_new) / max(cost, 1e-300)
        p = q
        if problem.update_mask(p):
            _check_overlap(problem, False)
            r_new = np.asarray(problem.residuals(p))
            cost_new = 0.5 * float(r_new @ r_new)
        r, cost = r_new, cost_new
        if callback is not None:
            try:
                callback(IterationInfo(level=level, iteration=it, cost=cost, params=p.copy()))
            except StopIteration:
                raise Stopped((p, it, cost)) from None
        # convergence is only declared on a step with a fresh Jacobian, or on a chord
        # step that contracted by _CONTRACTION or more: with contraction rate rho the
        # remaining error is at most rho / (1 - rho) <= 1 times the step
        if moved < tol and (fresh or moved <= _CONTRACTION * prev_moved):
            reason, message = "converged", f"step moved the corners < {tol:g} px"
            break
        prev_moved = moved
        if relative < rtol and fresh:
            reason, message = "stalled", f"relative cost decrease < {rtol:g}"
            break
        if (not chord or gain > 1.0 or moved >= _KEEP_JACOBIAN_BELOW or moved < tol
                or relative < rtol):
            jt = None
    return p, LevelOutcome(it, cost, reason, message)


def _mutual_information_level(problem: _LevelProblem, p0: np.ndarray, *, max_iter: int,
                              tol: float, rtol: float, level: int, callback,
                              radius: float) -> tuple:
    """Maximise Parzen-window MI with L-BFGS (reverse-mode gradient), scaled parameters."""
    p0 = np.array(p0, dtype=float)
    scales = problem.model.scales(len(problem.center), radius)
    problem.update_mask(p0)
    _check_overlap(problem, True)
    state = {"nit": 0}

    def on_iteration(info):
        state["nit"] += 1
        if callback is not None:
            try:
                callback(IterationInfo(level=level, iteration=state["nit"], cost=float(info.fun),
                                       params=p0 + np.asarray(info.x) * scales))
            except StopIteration:
                raise Stopped((p0 + np.asarray(info.x) * scales, state["nit"],
                               float(info.fun))) from None

    res = minimize(lambda q: problem.negative_mi(p0 + q * scales), np.zeros(p0.size),
                   method="lbfgs", maxiter=max_iter, tol=1e-9,
                   options={"ftol": min(rtol, 1e-9), "xtol": tol / 4.0},
                   callback=on_iteration)
    p = p0 + np.asarray(res.x) * scales
    reason = "budget" if res.stop_reason == "maxiter" else (
        "converged" if res.success else "stalled")
    return p, LevelOutcome(int(res.nit), float(res.fun), reason, str(res.message))


def check_max_samples(max_samples) -> None:
    """Raise ``ValueError`` unless ``max_samples`` is a positive integer or None."""
    if max_samples is not None and not (isinstance(max_samples, numbers.Integral)
                                        and max_samples >= 1):
        raise ValueError(f"max_samples must be a positive integer or None (every pixel), "
                         f"got {max_samples!r}")


def sample_stride(shape: tuple, max_samples: int | None) -> int:
    """Smallest stride ``s`` whose regular subgrid has at most ``max_samples`` points.

    The subgrid takes every ``s``-th pixel along each axis, ``ceil(n / s)`` of an
    axis of ``n``; ``max_samples=None`` gives 1 (every pixel).

    Examples
    --------
    >>> sample_stride((128, 128, 128), 2**20), sample_stride((512, 512), 2**20)
    (2, 1)
    """
    if max_samples is None:
        return 1
    stride = 1
    while math.prod(-(-n // stride) for n in shape) > max_samples:
        stride += 1
    return stride


def initial_translation(fixed: np.ndarray, moving: np.ndarray, initial) -> np.ndarray:
    """Phase-correlation translation (``initial='phase'``) or zero."""
    if isinstance(initial, str) and initial == "phase":
        from skimage.registration import phase_cross_correlation

        # zero-mean images: the peak's sign then follows the contrast (the peak is
        # found on |cross-correlation|), so inverted contrast is handled too
        shift = phase_cross_correlation(fixed - fixed.mean(), moving - moving.mean(),
                                        upsample_factor=1, normalization=None)[0]
        return -np.asarray(shift, dtype=float)
    return np.zeros(fixed.ndim)


def _initial_params(model: TransformModel, fixed, moving, initial, center,
                    scale: int = 1) -> np.ndarray:
    """Starting parameters; ``fixed`` and ``moving`` may be a level subsampled by ``scale``."""
    if isinstance(initial, RegistrationResult):
        if initial.matrix is None:
            raise ValueError("a displacement result cannot initialise a parametric transform")
        return params_from_matrix(model, initial.matrix, center)
    if isinstance(initial, np.ndarray):
        if initial.shape != (len(center) + 1,) * 2:
            raise ValueError(f"initial matrix must have shape {(len(center) + 1,) * 2}, "
                             f"got {initial.shape}")
        return params_from_matrix(model, initial, center)
    if isinstance(initial, str) and initial in ("phase", "identity", "affine"):
        t = initial_translation(fixed, moving, "identity" if initial == "identity" else "phase")
        t = t * scale
        return model.with_translation(model.identity(len(center)), t)
    raise ValueError(f"initial must be 'phase', 'identity', 'affine', a matrix or a "
                     f"RegistrationResult, got {initial!r}")


def final_result(fixed, moving, *, flow=None, model=None, params=None, center=None,
                 metric: str, transform: str, history, success, message) -> RegistrationResult:
    """Warp the full-resolution moving image and measure the metric on the overlap."""
    import scipy.ndimage as ndi

    ndim = fixed.ndim
    axes = [np.arange(n, dtype=float).reshape((-1,) + (1,) * (ndim - 1 - d))
            for d, n in enumerate(fixed.shape)]
    if model is not None:
        matrix = homogeneous_matrix(model, params, center)
        # flow_d = sum_e (M - I)_de x_e + t_d, broadcast from the axes (no grid is formed)
        flow = np.empty((ndim,) + fixed.shape)
        for d in range(ndim):
            flow[d] = matrix[d, ndim]
            for e in range(ndim):
                entry = matrix[d, e] - (1.0 if d == e else 0.0)
                if entry != 0.0:
                    flow[d] += entry * axes[e]
        # the same cubic spline as map_coordinates, without a coordinate array to read
        # (a diagonal matrix, e.g. a translation, takes SciPy's faster zoom/shift path)
        linear = matrix[:ndim, :ndim]
        if np.array_equal(linear, np.diag(np.diag(linear))):
            with warnings.catch_warnings():
                # SciPy < 1.16 notes that a 1-D matrix (the diagonal) changed meaning in
                # SciPy 0.18; the diagonal is what is meant here
                warnings.filterwarnings("ignore", message="The behavior of affine_transform "
                                        "with a 1-D array", category=UserWarning)
                warped = ndi.affine_transform(moving, np.diag(linear),
                                              offset=matrix[:ndim, ndim], order=3,
                                              mode="constant", cval=0.0)
        else:
            warped = ndi.affine_transform(moving, matrix, order=3, mode="constant", cval=0.0)
    else:
        matrix = params = None
        warped = ndi.map_coordinates(moving, identity_grid(fixed.shape) + flow, order=3,
                                     mode="constant", cval=0.0)
    mask = np.ones(fixed.shape, dtype=bool)
    for d, n in enumerate(moving.shape):
        coordinate = flow[d] + axes[d]
        mask &= (coordinate >= 0) & (coordinate <= n - 1)
    value = _metrics.metric_value(metric, warped, fixed, mask,
                                  moving_range=(float(moving.min()), float(moving.max())))
    return RegistrationResult(flow=flow, matrix=matrix, params=params, warped=warped,
                              metric=value, metric_name=metric, transform=transform,
                              history=history, success=success, message=message)


def register_parametric(fixed, moving, *, transform: str = "affine", metric: str = "ssd",
                        levels: int | None = None, max_size: int | None = None,
                        initial=None, method: str = "lm",
                        max_iter: int | Sequence[int] | None = None, order: int = 3,
                        smooth: float = 1.0, tol: float = 1e-2, rtol: float = 1e-6,
                        max_samples: int | None = MAX_SAMPLES,
                        callback: Callable[[IterationInfo], None] | None = None,
                        level_callback: Callable[[dict], None] | None = None,
                        progress: bool = False, warn: bool = True) -> RegistrationResult:
    r"""Register ``moving`` onto ``fixed`` with a parametric transform.

    Finds the parameters :math:`p` minimising

    .. math:: E(p) = \tfrac12 \sum_x m(x)\, \rho\big(M(T_p(x)), F(x)\big)

    (see :func:`register` for the notation) by Levenberg-Marquardt on every level
    of a Gaussian pyramid, coarse to fine, started from phase correlation.  The
    Jacobian comes from forward-mode AD (``ad.jacfwd``) through a compiled spline
    kernel (for ``ssd`` the same chain rule assembled in chunks of pixels); the
    damped step solves the normal equations.  ``metric='mi'`` is
    maximised with L-BFGS on reverse-mode gradients instead.

    Parameters
    ----------
    fixed, moving : ndarray, shape (M, N) or (P, M, N)
        Grey-level images of equal shape (integers are scaled to [0, 1]).
    transform : {'translation', 'rigid', 'similarity', 'affine'}
        Transform model (rigid and similarity are 2-D only).
    metric : {'ssd', 'ncc', 'mi'}
        Sum of squared differences, normalised cross-correlation or mutual
        information.
    levels : int, optional
        Pyramid levels (default: coarsest side about 24-48 pixels).
    max_size : int, optional
        Longest side of the finest level that is solved: finer levels are skipped,
        which bounds time and memory on large images (a 4000x3000 image with
        ``max_size=1024`` is solved up to its 1000x750 level; the parameters then
        apply unchanged at full resolution). Default: solve every level.
    initial : {'phase', 'identity'} or ndarray or RegistrationResult, optional
        Phase-correlation translation (default), identity, a homogeneous matrix or
        a previous parametric result.
    method : {'lm', 'gauss-newton'}, optional
        Levenberg-Marquardt (default) or Gauss-Newton with step halving.
    max_iter : int or sequence of int, optional
        Iterations per solved level (a sequence lists them coarse to fine; default 30).
    order : {1, 3}, optional
        Interpolation order of the moving image during the optimisation.
    smooth : float, optional
        Gaussian pre-smoothing (sigma, pixels) of both images (0 turns it off).
    tol : float, optional
        Stop a level when a step moves no corner more than ``tol`` pixels of that
        level (``10 * tol`` on levels coarser than the finest solved one).
    rtol : float, optional
        Stop a level when an iteration lowers the cost by less than ``rtol``
        relatively (the metric's noise floor is reached: ``stop_reason='stalled'``);
        on levels coarser than the finest solved one, by less than
        ``max(rtol, 1e-3)`` (they only start the next level: where the transform
        cannot fit the images exactly, their minimum moves from level to level).
    max_samples : int or None, optional
        Most pixels (voxels) per level on which the metric, its Jacobian and the
        stopping tests are evaluated. A level with more is sampled on a regular
        subgrid, every ``s``-th pixel along each axis for the smallest ``s`` that
        fits (:func:`sample_stride`), as the grid samplers of elastix and ITK do:
        the samples keep their positions and the moving image its resolution, so
        a smooth image loses little accuracy while an iteration there costs about
        ``s**d`` times less. The default, ``2**20``, leaves images up to
        1024x1024 whole and evaluates the finest level of a 128^3 volume on
        64^3 voxels (its accuracy stays far below a voxel); lower it to trade
        accuracy for time, or pass None to use every pixel. The result's
        ``warped`` and ``flow`` are always full resolution.
    callback : callable, optional
        ``callback(IterationInfo)`` after every iteration; raising
        ``StopIteration`` ends the run (``success=False``).
    level_callback : callable, optional
        Called with each level's history entry as the level ends.
    progress : bool, optional
        Show a progress bar counting pyramid levels.
    warn : bool, optional
        Emit a :class:`ConvergenceWarning` when a level ends on its budget.

    Returns
    -------
    RegistrationResult
        ``success`` is False when a level ended on its iteration budget (the
        message names the levels) or a callback stopped the run.

    Examples
    --------
    >>> import numpy as np, scipy.ndimage as ndi
    >>> from skimage import data
    >>> fixed = data.camera()[::4, ::4] / 255.0
    >>> moving = ndi.shift(fixed, (2.5, -1.75), order=3, mode="nearest")
    >>> res = register_parametric(fixed, moving, transform="translation")
    >>> np.round(res.params, 2)
    array([ 2.5 , -1.75])
    """
    if transform == "displacement":
        raise ValueError("use register_dense for transform 'displacement'")
    model = get_model(transform)
    if metric not in _metrics.METRICS and metric not in _metrics.SCALAR_METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose one of "
                         f"{sorted(_metrics.METRICS) + list(_metrics.SCALAR_METRICS)}")
    if method not in PARAMETRIC_METHODS:
        raise ValueError(f"method {method!r} does not apply to transform {transform!r}; "
                         f"choose one of {list(PARAMETRIC_METHODS)}")
    if order not in (1, 3):
        raise ValueError(f"order must be 1 or 3, got {order}")
    check_max_samples(max_samples)
    fixed, moving, pyramid = prepare(fixed, moving, levels=levels, max_size=max_size,
                                     smooth=smooth)
    model.check_ndim(fixed.ndim)
    n_solved = len(pyramid.solved)
    iters = [30] * n_solved if max_iter is None else per_level(max_iter, n_solved, "max_iter")
    center = (np.asarray(fixed.shape, dtype=float) - 1.0) / 2.0
    # phase correlation (integer pixels) on a level of at most _PHASE_MAX_PIXELS pixels
    # (or voxels): a small FFT; the coarse levels refine it
    start = pyramid.finest
    while start < pyramid.n_levels - 1 and pyramid.fixed[start].size > _PHASE_MAX_PIXELS:
        start += 1
    p0 = _initial_params(model, pyramid.fixed[start], pyramid.moving[start],
                         "phase" if initial is None else initial, center, 2 ** start)

    def solve_level(level: int, p: np.ndarray, n_iter: int):
        problem = _LevelProblem(model, metric, pyramid.fixed[level], pyramid.moving[level],
                                center, 2.0 ** level, order,
                                sample_stride(pyramid.fixed[level].shape, max_samples))
        level_tol = tol if level == pyramid.finest else 10.0 * tol
        level_rtol = rtol if level == pyramid.finest else max(rtol, _COARSE_RTOL)
        if metric == "mi":
            return _mutual_information_level(problem, p, max_iter=n_iter, tol=level_tol,
                                             rtol=rtol, level=level, callback=callback,
                                             radius=max(fixed.shape) / 2.0)
        return _least_squares_level(problem, p, max_iter=n_iter, tol=level_tol,
                                    rtol=level_rtol, method=method, level=level,
                                    callback=callback)

    p, history, success, message = coarse_to_fine(
        pyramid, p0, solve_level, iterations=iters, on_stop=lambda p, level: p,
        description=f"register {transform}", progress=progress, level_callback=level_callback,
        warn=warn)
    return final_result(fixed, moving, model=model, params=p, center=center, metric=metric,
                        transform=transform, history=history, success=success,
                        message=message)

