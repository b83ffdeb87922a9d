"""Numerical differentiation (forward, central and complex-step differences) and
``check_grads``, which compares AD derivatives with central differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ._pytree import tree_flatten, tree_unflatten

__all__ = ["forward_difference", "central_difference", "complex_step", "gradient",
           "jacobian", "check_grads", "default_step"]


def default_step(x: np.ndarray, method: str = "central") -> np.ndarray:
    """Step sizes balancing truncation and rounding error, scaled by ``|x|``.

    ``eps**(1/2)`` for forward differences, ``eps**(1/3)`` for central ones and
    a tiny ``1e-20`` for the complex step (which has no cancellation).
    """
    x = np.asarray(x, dtype=float)
    eps = np.finfo(np.float64).eps
    if method == "complex":
        return np.full(x.shape, 1e-20)
    power = 1 / 2 if method == "forward" else 1 / 3
    return eps**power * np.maximum(1.0, np.abs(x))


def _directional(f, x, v, h, method):
    if method == "forward":
        return (np.asarray(f(x + h * v)) - np.asarray(f(x))) / h
    if method == "central":
        return (np.asarray(f(x + h * v)) - np.asarray(f(x - h * v))) / (2 * h)
    if method == "complex":
        return np.imag(np.asarray(f(x + 1j * h * v))) / h
    raise ValueError(f"unknown method {method!r}; use 'forward', 'central' or 'complex'")


def jacobian(f: Callable, x, method: str = "central", step=None, *,
             holomorphic: bool = False) -> np.ndarray:
    """Finite-difference Jacobian of ``f`` at ``x``, shape ``out.shape + x.shape``.

    Parameters
    ----------
    f : callable
        Function of one array.
    x : array_like
        Point (real or complex).
    method : {"central", "forward", "complex"}
        Difference scheme; ``"complex"`` needs ``f`` to accept complex input (and a
        real ``x``).
    step : float or array, optional
        Step per coordinate; default from :func:`default_step`.
    holomorphic : bool, optional
        For complex ``x``: ``f`` is holomorphic and the result is ``df/dz`` (the
        difference along the real axis).  Otherwise a complex ``x`` needs a real
        ``f`` and the result is ``df/dx - i df/dy``, the convention of ``ad.grad``
        (see :mod:`autodiff.numpy._complex`).
    """
    if np.iscomplexobj(x):
        x = np.asarray(x, dtype=complex)
        along_real = jacobian(lambda r: f(r + 1j * x.imag), x.real, method, step)
        if holomorphic:
            return along_real
        if np.iscomplexobj(along_real):
            raise ValueError("numerical.jacobian of a complex output of a complex input "
                             "needs holomorphic=True")
        along_imag = jacobian(lambda i: f(x.real + 1j * i), x.imag, method, step)
        return along_real - 1j * along_imag
    x = np.asarray(x, dtype=float)
    h = default_step(x, method) if step is None else np.broadcast_to(step, x.shape)
    columns = []
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = 1.0
        columns.append(_directional(f, x, e.reshape(x.shape), h.flat[i], method))
    out_shape = np.shape(columns[0]) if columns else np.shape(f(x))
    jac = np.stack(columns, axis=-1) if columns else np.zeros(out_shape + (0,))
    return jac.reshape(out_shape + x.shape)


def gradient(f: Callable, x, method: str = "central", step=None) -> np.ndarray:
    """Finite-difference gradient of real scalar ``f`` at ``x`` (shape of ``x``); for
    complex ``x``, ``df/dx - i df/dy`` as ``ad.grad`` returns."""
    return jacobian(f, x, method, step)


def forward_difference(f: Callable, x, v, step: float | None = None):
    """``(f(x + h v) - f(x)) / h``: first-order accurate directional derivative."""
    x = np.asarray(x, dtype=float)
    h = float(np.max(default_step(x, "forward"))) if step is None else step
    return _directional(f, x, np.asarray(v, dtype=float), h, "forward")


def central_difference(f: Callable, x, v, step: float | None = None):
    """``(f(x + h v) - f(x - h v)) / 2h``: second-order accurate directional derivative."""
    x = np.asarray(x, dtype=float)
    h = float(np.max(default_step(x, "central"))) if step is None else step
    return _directional(f, x, np.asarray(v, dtype=float), h, "central")


def complex_step(f: Callable, x, v, step: float = 1e-20):
    """``Im f(x + i h v) / h``: exact to rounding for real-analytic ``f``."""
    return _directional(f, np.asarray(x, dtype=float), np.asarray(v, dtype=float), step, "complex")


def check_grads(f: Callable, args: Sequence, modes: Sequence[str] = ("fwd", "rev"),
                order: int = 2, *, atol: float = 1e-5, rtol: float = 1e-4,
                eps: float = 1e-6, seed: int = 0) -> None:
    """Check AD derivatives of ``f`` against central finite differences.

    For random directions ``v`` (inputs) and ``u`` (outputs), forward mode is
    checked as ``jvp(f)(x, v) ~ (f(x + eps v) - f(x - eps v)) / 2 eps`` and
    reverse mode as ``Re <vjp(u), v> == Re <u, J v>`` with ``J v`` from differences.
    With ``order=2`` the same checks are applied to the first derivatives
    themselves (``x -> jvp`` and ``x -> vjp``), covering forward-over-reverse.

    Complex inputs keep their dtype and get directions with independent random
    real and imaginary parts, so the derivative along both real directions of
    every entry enters the check; complex outputs get complex ``u``.  The pairing
    ``Re sum(ct * v)`` (no conjugation) is the one of the complex convention in
    :mod:`autodiff.numpy._complex`, so a rule written for another convention
    (a conjugated derivative, say) fails here.

    Parameters
    ----------
    f : callable
        Function of the positional ``args`` (real or complex arrays or scalars).
    args : sequence
        Point at which to check.
    modes : sequence of {"fwd", "rev"}
    order : int
        Highest derivative order to check (1 or 2; higher works but is slower).

    Raises
    ------
    AssertionError
        On any mismatch, naming the mode and order.

    Examples
    --------
    >>> import numpy as np, autodiff as ad
    >>> ad.check_grads(np.sin, (np.array([0.3, 1.2]),), order=2)
    >>> ad.check_grads(lambda z: np.abs(np.exp(z)), (np.array([0.3 + 1j, -0.5j]),))
    """
    from ._forward_transforms import jvp
    from ._reverse_transforms import vjp

    rng = np.random.default_rng(seed)
    args = tuple(_inexact(a) if np.ndim(a) or isinstance(a, (int, float, complex))
                 else a for a in args)
    leaves, td = tree_flatten(args)
    leaves = [_inexact(x) for x in leaves]

    def flat_f(*xs):
        return f(*tree_unflatten(td, xs))

    _check(flat_f, leaves, modes, order, rng, atol, rtol, eps, jvp, vjp, 1)


def _inexact(x) -> np.ndarray:
    """``x`` as float64, or complex128 when it is complex."""
    x = np.asarray(x)
    return x.astype(np.complex128 if np.iscomplexobj(x) else np.float64)


def _random_like(x, rng):
    shape = np.shape(x)
    if np.iscomplexobj(x):
        return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    return rng.standard_normal(shape)


def _flatten_out(y):
    leaves, _ = tree_flatten(y)
    return np.concatenate([np.ravel(_inexact(leaf)) for leaf in leaves]) \
        if leaves else np.zeros(0)


def _pairing(a, b) -> float:
    """``Re sum(a * b)``: a cotangent applied to a tangent."""
    return float(np.real(np.sum(a * b)))


def _check(f, xs, modes, order, rng, atol, rtol, eps, jvp, vjp, current):
    v = [_random_like(x, rng) for x in xs]
    shifted_plus = f(*[x + eps * d for x, d in zip(xs, v)])
    shifted_minus = f(*[x - eps * d for x, d in zip(xs, v)])
    numeric = (_flatten_out(shifted_plus) - _flatten_out(shifted_minus)) / (2 * eps)
    scale = atol + rtol * max(1.0, float(np.max(np.abs(numeric), initial=0.0)))
    if "fwd" in modes:
        _, tangent = jvp(f, tuple(xs), tuple(v))
        ad = _flatten_out(tangent)
        if not np.allclose(ad, numeric, atol=scale, rtol=rtol):
            raise AssertionError(
                f"forward mode (order {current}) disagrees with finite differences: "
                f"max |error| = {np.max(np.abs(ad - numeric)):.3g}")
    out, vjp_fn = vjp(f, *xs)
    out_leaves, out_td = tree_flatten(out)
    u_leaves = [_random_like(o, rng) for o in out_leaves]
    u = tree_unflatten(out_td, u_leaves)
    if "rev" in modes:
        cts = vjp_fn(u)
        lhs = sum(_pairing(np.asarray(c), d) for c, d in zip(cts, v))
        rhs = _pairing(_flatten_out(u), numeric)
        tol = scale * max(1.0, float(np.sum(np.abs(_flatten_out(u)))))
        if not abs(lhs - rhs) <= tol + rtol * abs(rhs):
            raise AssertionError(
                f"reverse mode (order {current}) disagrees with finite differences: "
                f"Re <vjp(u), v> = {lhs:.10g} but Re <u, J v> = {rhs:.10g}")
        for c, x in zip(cts, xs):
            if np.iscomplexobj(c) and not np.iscomplexobj(x):
                raise AssertionError(f"reverse mode (order {current}) gave a complex "
                                     "cotangent for a real input")
    if order > 1:
        if "fwd" in modes:
            _check(lambda *ys: jvp(f, ys, tuple(v))[1], xs, modes, order - 1, rng,
                   atol, rtol, eps, jvp, vjp, current + 1)
        if "rev" in modes:
            _check(lambda *ys: vjp(f, *ys)[1](u), xs, modes, order - 1, rng,
                   atol, rtol, eps, jvp, vjp, current + 1)
