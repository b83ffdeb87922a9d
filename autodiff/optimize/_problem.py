"""Turn a user's ``fun(x, *args)`` on a pytree into flat oracles, with AD derivatives.

Derivatives come from the public AD API only (``import autodiff as ad``): ``value_and_grad``
gives the energy and the gradient in one reverse sweep, ``hvp`` gives Hessian-vector
products by forward-over-reverse.  A hand-written ``jac`` (callable, or ``True`` when ``fun``
returns ``(value, grad)``) or ``hessp`` replaces the AD one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autodiff as ad

from ._base import Box
from ._flat import TreeDef, flatten, flatten_like, unflatten

__all__ = ["FlatProblem", "as_scalar", "make_box"]


def as_scalar(value: Any, what: str = "fun") -> float:
    """The energy as a Python float; a clear error for non-scalar outputs."""
    if type(value) is float:  # np.float64 is a float subclass: it would leak into steps
        return value
    arr = np.asarray(value)
    if arr.size != 1:
        raise ValueError(
            f"{what} must return a scalar energy, got an array of shape {arr.shape}; "
            "use least_squares for vector residuals"
        )
    if np.iscomplexobj(arr):
        raise TypeError(f"{what} returned a complex value; the energy must be real")
    return float(arr.reshape(()))


class FlatProblem:
    """Flat-vector views of ``fun`` and its derivatives.

    Attributes
    ----------
    x0 : ndarray, shape (n,)
        Flat copy of the starting point (floating dtype of the input; float32 stays float32).
    treedef : TreeDef
        Structure of the user's parameters.
    """

    def __init__(self, fun: Callable, x0: Any, args: tuple = (), *, jac: Any = None,
                 hessp: Callable | None = None, stage: bool = False) -> None:
        if not callable(fun):
            raise TypeError(f"fun must be callable, got {type(fun).__name__}")
        if not (jac is None or jac is True or callable(jac)):
            raise TypeError("jac must be None (AD), True (fun returns (value, grad)) or a "
                            f"callable returning the gradient; got {jac!r}")
        if hessp is not None and not callable(hessp):
            raise TypeError("hessp must be a callable hessp(x, v, *args)")
        self.fun = fun
        self.args = tuple(args)
        self.jac = jac
        self.hessp = hessp
        self.x0, self.treedef = flatten(x0)
        self.dtype = self.x0.dtype
        self._ad_hvp = None
        self._linearized: tuple | None = None  # (point, linear map of the gradient there)
        self._ad_value_and_grad = None
        self._ad_hess = None
        self._staged_hvp = None
        #: run the AD oracles (and the energy) as generated code (``ad.stage``)
        self.stage = bool(stage)
        self._staged_value = self._transform(self.value_fn) if self.stage else None

    def _transform(self, oracle: Callable) -> Callable:
        """``oracle`` as generated code when staging; a function that cannot be staged
        (``ad.StagingError``) runs unstaged from then on, with the same results."""
        if not self.stage:
            return oracle
        current = [ad.stage(oracle)]

        def staged_or_plain(*args):
            if current[0] is not oracle:
                try:
                    return current[0](*args)
                except ad.StagingError:
                    current[0] = oracle
            return oracle(*args)

        return staged_or_plain

    # -- structure -----------------------------------------------------------------------
    def to_tree(self, flat: np.ndarray, copy: bool = True) -> Any:
        """The user's pytree for a flat vector (a copy by default)."""
        return unflatten(self.treedef, flat.copy() if copy else flat)

    def _flat_grad(self, g: Any) -> np.ndarray:
        return flatten_like(self.treedef, g, self.dtype)

    # -- oracles on flat vectors -----------------------------------------------------------
    def value_fn(self, z: Any) -> Any:
        """The energy of a flat (possibly traced) vector, as ``fun`` returns it."""
        out = self.fun(unflatten(self.treedef, z), *self.args)
        return out[0] if self.jac is True else out

    def value(self, z: np.ndarray) -> float:
        if self._staged_value is not None:
            return as_scalar(self._staged_value(z))
        return as_scalar(self.value_fn(z))

    def value_and_grad(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        """Energy and flat gradient: one reverse sweep when AD provides the gradient."""
        if self.jac is None:
            if self._ad_value_and_grad is None:
                self._ad_value_and_grad = self._transform(ad.value_and_grad(self.value_fn))
            value, grad = self._ad_value_and_grad(z)
            return as_scalar(value), np.ravel(grad).astype(self.dtype, copy=False)
        x = unflatten(self.treedef, z)
        if self.jac is True:
            value, grad = self.fun(x, *self.args)
        else:
            value, grad = self.fun(x, *self.args), self.jac(x, *self.args)
        return as_scalar(value), self._flat_grad(grad)

    def hvp(self, z: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Hessian-vector product ``H(z) v``: the user's ``hessp`` or forward-over-reverse AD."""
        if self.hessp is not None:
            out = self.hessp(unflatten(self.treedef, z), unflatten(self.treedef, v), *self.args)
            return self._flat_grad(out)
        if self.stage:  # generated code for the whole forward-over-reverse product
            if self._staged_hvp is None:
                self._staged_hvp = self._transform(ad.hvp(self.value_fn))
            return np.ravel(self._staged_hvp(z, v)).astype(self.dtype, copy=False)
        # One linearization of the gradient per point: Newton-CG's products at the same
        # iterate replay its tangent sweep instead of re-running forward-over-reverse.
        point, linear_map = self._linearized or (None, None)
        if point is None or not (point is z or np.array_equal(point, z)):
            _, linear_map = ad.linearize(ad.grad(self.value_fn), z)
            self._linearized = (z.copy(), linear_map)
        return np.ravel(linear_map(v)).astype(self.dtype, copy=False)

    def hess(self, z: np.ndarray) -> np.ndarray:
        """Dense Hessian, shape (n, n) (forward-over-reverse AD)."""
        n = z.size
        if self._ad_hess is None:
            self._ad_hess = self._transform(ad.hessian(self.value_fn))
        return np.reshape(self._ad_hess(z), (n, n))


def _bound_vector(bound: Any, treedef: TreeDef, n: int, fill: float, name: str) -> np.ndarray:
    if bound is None:
        return np.full(n, fill)
    arr = np.asarray(bound) if not isinstance(bound, (dict, list, tuple)) else None
    if arr is not None and arr.ndim == 0:
        out = np.full(n, float(arr))
    elif arr is not None and treedef.kind == "leaf":
        if arr.size != n:
            raise ValueError(f"{name} bound has {arr.size} entries but x0 has {n}")
        out = np.ravel(arr).astype(float)
    else:
        out = flatten_like(treedef, bound, np.float64)
    out = np.where(np.isnan(out), fill, out)
    return out


def make_box(bounds: Any, treedef: TreeDef, n: int) -> Box | None:
    """Bounds as a flat :class:`Box` (None when there are no bounds).

    Accepted: ``(lower, upper)`` with scalars, arrays or pytrees like ``x0`` (None or NaN for
    unbounded), a ``scipy.optimize.Bounds``, or SciPy's list of ``(min, max)`` tuples, one
    per variable (a *list* of tuples, for an array ``x0``).
    """
    if bounds is None:
        return None
    if hasattr(bounds, "lb") and hasattr(bounds, "ub"):
        lower, upper = bounds.lb, bounds.ub
    elif (isinstance(bounds, list) and treedef.kind == "leaf" and len(bounds) == n
          and all(isinstance(b, tuple) and len(b) == 2 for b in bounds)):
        # SciPy's per-variable form [(min, max), ...]; None means unbounded
        lower = [np.nan if b[0] is None else b[0] for b in bounds]
        upper = [np.nan if b[1] is None else b[1] for b in bounds]
    else:
        try:
            lower, upper = bounds
        except (TypeError, ValueError):
            raise ValueError("bounds must be a pair (lower, upper) of scalars, arrays or "
                             "pytrees like x0, or a scipy.optimize.Bounds") from None
    lo = _bound_vector(lower, treedef, n, -np.inf, "lower")
    hi = _bound_vector(upper, treedef, n, np.inf, "upper")
    if np.any(lo > hi):
        i = int(np.argmax(lo > hi))
        raise ValueError(f"lower bound exceeds upper bound at flat index {i}: "
                         f"{lo[i]} > {hi[i]}")
    return Box(lo, hi)
