"""Forward differences and their adjoint on n-D grids, in place, for the TV solvers.

The discretisation is scikit-image's (``denoise_tv_chambolle``): along every spatial axis,
``(grad u)_i = u_{i+1} - u_i`` for ``i < n - 1`` and ``0`` at the last index (Neumann
boundary).  Its adjoint is minus the divergence ``(div p)_i = p_i - p_{i-1}`` with
``p_{-1} = 0``; the dual fields used here always hold zeros at the last index along their
own axis, so ``div`` is exactly ``-grad^T``.

Every difference is taken on the flattened C-ordered array with an offset equal to the
axis stride: a contiguous one-dimensional subtraction is several times faster than the
strided one along the last axis, and the positions where it wraps into the next line are
exactly the ones that the boundary rule sets to zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Grid"]


@dataclass(frozen=True)
class Grid:
    """Difference operators on C-contiguous arrays of one shape.

    Parameters
    ----------
    shape : tuple of int
        Shape of the image (including a channel axis, if any).
    axes : tuple of int
        The spatial axes along which differences are taken; other axes are independent.
    """

    shape: tuple[int, ...]
    axes: tuple[int, ...]

    @property
    def ndim(self) -> int:
        """Number of spatial axes (components of the gradient)."""
        return len(self.axes)

    @property
    def lipschitz(self) -> float:
        """Upper bound of ``||div||^2 = ||grad||^2`` (4 per spatial axis)."""
        return 4.0 * self.ndim

    def _offset(self, axis: int) -> int:
        return int(np.prod(self.shape[axis + 1:], dtype=np.int64))

    def _last(self, axis: int) -> tuple:
        return (slice(None),) * axis + (-1,)

    def zeros_field(self, dtype: np.dtype) -> np.ndarray:
        """A dual field, shape ``(ndim,) + shape``, all zeros (boundary rows included)."""
        return np.zeros((self.ndim,) + self.shape, dtype=dtype)

    def gradient(self, u: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Write the forward differences of ``u`` into ``out`` (shape ``(ndim,) + shape``).

        The last index along each axis is left as it is in ``out``: callers keep it zero.
        """
        flat_u = u.reshape(-1)
        for k, axis in enumerate(self.axes):
            s = self._offset(axis)
            flat_g = out[k].reshape(-1)
            np.subtract(flat_u[s:], flat_u[:-s], out=flat_g[:-s])
            out[k][self._last(axis)] = 0
        return out

    def divergence(self, p: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Write ``div p`` into ``out``; ``p[k]`` must be zero at the last index of axis k."""
        flat_d = out.reshape(-1)
        for k, axis in enumerate(self.axes):
            s = self._offset(axis)
            flat_p = p[k].reshape(-1)
            if k == 0:
                np.subtract(flat_p[s:], flat_p[:-s], out=flat_d[s:])
                flat_d[:s] = flat_p[:s]
            else:
                flat_d += flat_p
                flat_d[s:] -= flat_p[:-s]
        return out

    def norm(self, g: np.ndarray, out: np.ndarray, scratch: np.ndarray) -> np.ndarray:
        """Pointwise Euclidean norm over the components of ``g``, written into ``out``."""
        np.square(g[0], out=out)
        for k in range(1, self.ndim):
            np.square(g[k], out=scratch)
            out += scratch
        return np.sqrt(out, out=out)
