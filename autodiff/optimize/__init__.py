"""Gradient-based solvers driven by automatic differentiation, and the SciPy bridge.

``minimize`` runs the own solvers (``gd``, ``nesterov``, ``adam``, ``lbfgs``,
``newton-cg``) through one shared loop, or forwards any other method name to
:func:`scipy.optimize.minimize` with AD derivatives.  ``least_squares`` runs Gauss-Newton
or Levenberg-Marquardt with AD Jacobians, or forwards to :func:`scipy.optimize.least_squares`.
``STATUS`` is the table of status codes and messages shared by the own solvers of both:

====  ===========  =======  ================================================================
code  stop_reason  success  meaning
====  ===========  =======  ================================================================
0     gtol         True     max-norm of the (projected) gradient <= gtol
1     ftol         True     relative decrease of the energy <= ftol (monotone methods)
2     xtol         True     step max-norm <= xtol * (xtol + max|x|)
3     maxiter      False    iteration budget spent
4     maxfev       False    evaluation budget spent
5     line_search  False    no acceptable step along the search direction
6     nonfinite    False    NaN/inf energy or gradient; the last finite iterate is returned
7     diverged     False    energy grew past the divergence threshold
8     bad_start    False    NaN/inf energy or gradient at the starting point
99    callback     False    the callback raised ``StopIteration`` (as in SciPy)
====  ===========  =======  ================================================================

Methods forwarded to SciPy keep SciPy's own status codes and messages (``stop_reason`` is
``"converged"``, ``"callback"`` or ``"scipy"``).

Bounds: ``gd``, ``nesterov`` and ``adam`` take projected steps; ``lbfgs``, ``newton-cg``,
``gauss-newton`` and ``lm`` refuse bounds (use SciPy's ``L-BFGS-B``/``trf``).
"""

from ._base import STATUS, Status
from ._least_squares import least_squares
from ._minimize import METHODS, minimize

__all__ = ["minimize", "least_squares", "METHODS", "STATUS", "Status"]
