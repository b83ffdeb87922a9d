"""autodiff: exact derivatives of NumPy code.

Forward mode for tall Jacobians, reverse mode for gradients and
forward-over-reverse for Hessians, on functions written with plain NumPy.

>>> import numpy as np, autodiff as ad
>>> ad.grad(lambda x: np.sum(np.sin(x) ** 2))(np.array([0.0, 1.0]))
array([0.        , 0.90929743])
"""

from . import numerical, numpy, scipy
from ._checkpoint import checkpoint
from ._debug import FloatingPointDerivativeError, debug_nans
from ._forward_transforms import hessian, hvp, jacfwd, jacobian, jvp, linearize
from ._registry import UnsupportedFunctionError
from ._reverse_transforms import grad, jacrev, value_and_grad, vjp
from ._stage import Staged, StagingError, stage
from ._trace_table import trace
from ._tracer import Primitive, Tracer, defjvp, defvjp, primitive
from .numerical import check_grads
from .numpy import stop_gradient

__version__ = "0.1.0"

__all__ = [
    "grad", "value_and_grad", "jvp", "vjp", "linearize", "jacfwd", "jacrev", "jacobian",
    "hessian", "hvp", "checkpoint", "primitive", "defvjp", "defjvp", "check_grads",
    "numerical", "trace", "stop_gradient", "debug_nans", "FloatingPointDerivativeError",
    "UnsupportedFunctionError", "Primitive", "Tracer", "numpy", "scipy", "stage", "Staged",
    "StagingError",
]
