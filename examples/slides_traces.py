"""The evaluation, forward-derivative and reverse-adjoint traces of the classic slide example.

The function

.. math::

    f(x_1, x_2) = \\ln x_1 + x_1 x_2 - \\sin x_2

evaluated at :math:`(x_1, x_2) = (2, 5)` is the running example of the
automatic-differentiation survey slides (Baydin et al., "Automatic differentiation
in machine learning: a survey").  ``ad.trace`` records one evaluation as a Wengert
list, one row per elementary operation (``v_1 = ln v_-1``, ...), giving
``y = 11.652``.  From that list:

* ``.forward([1.0, 0.0])`` pushes the tangent seed :math:`\\dot x_1 = 1,
  \\dot x_2 = 0` through every row (the dotted column of the slides), giving
  :math:`\\dot y = \\partial f / \\partial x_1 = 5.5`;
* ``.reverse()`` walks the list backwards from :math:`\\bar y = 1`, accumulating
  adjoints (the barred column), giving both partial derivatives in one sweep:
  :math:`\\bar x_1 = 5.5` and :math:`\\bar x_2 = 1.716` (on the way,
  :math:`\\bar v_0 = -0.284` from the ``sin`` branch alone).

``ad.stage`` then turns the same trace into source code (the seed's third way to
implement AD, after operator libraries and operator overloading): the script prints
the generated straight-line NumPy code of ``value_and_grad(f)`` and of ``jvp(f)``.

The script ends by comparing the gradient from ``ad.grad`` with central finite
differences and the complex-step derivative from ``ad.numerical``.

Run: ``python examples/slides_traces.py``
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

# Run from a checkout without relying on the package being installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import autodiff as ad  # noqa: E402


def f(x1, x2):
    """ln x1 + x1 x2 - sin x2, with operations in the order of the slides.

    Written as ``np.log(x1) + x1 * x2 - np.sin(x2)`` Python would evaluate the
    sum before the sine; naming the steps keeps the slides' numbering
    (``v_3 = sin v_0``, ``v_4 = v_1 + v_2``, ``v_5 = v_4 - v_3``).
    """
    v1 = np.log(x1)
    v2 = x1 * x2
    v3 = np.sin(x2)
    v4 = v1 + v2
    return v4 - v3


def main() -> None:
    point = (2.0, 5.0)
    recorded = ad.trace(f, *point)
    print(recorded.evaluation())
    print()
    print(recorded.forward([1.0, 0.0]))
    print()
    print(recorded.reverse())
    print()

    # The third way to implement AD: generate the code of both sweeps from one trace.
    fast = ad.stage(ad.value_and_grad(f, argnums=(0, 1)))
    value, (g1, g2) = fast(*point)
    print("Generated source of ad.stage(ad.value_and_grad(f, argnums=(0, 1)))")
    print("(forward evaluation v_i, then the adjoints v_i_bar; v_-1 is written v_m1)")
    print("-" * 72)
    print(fast.source)
    print(f"value {float(value):.3f}, gradient ({float(g1):.3f}, {float(g2):.3f})")
    tangent = ad.stage(lambda x1, x2, t1, t2: ad.jvp(f, (x1, x2), (t1, t2)))
    tangent(*point, 1.0, 0.0)
    print()
    print("Generated source of the forward sweep, ad.stage(ad.jvp(f, ...)): tangents v_i_dot")
    print("-" * 72)
    print(tangent.source)

    exact = np.array(ad.grad(f, argnums=(0, 1))(*point), dtype=float)
    x = np.array(point)

    def f_vec(z):
        return f(z[0], z[1])

    central = ad.numerical.gradient(f_vec, x, method="central")
    complex_step = ad.numerical.gradient(f_vec, x, method="complex")
    analytic = np.array([1 / x[0] + x[1], x[0] - np.cos(x[1])])  # by hand, for reference

    print("Gradient at (2, 5)")
    print("------------------")
    print(f"{'method':<34} {'df/dx1':>20} {'df/dx2':>20} {'max |error|':>12}")
    for name, g in [("ad.grad (reverse mode)", exact),
                    ("central differences", central),
                    ("complex step", complex_step),
                    ("by hand: (1/x1 + x2, x1 - cos x2)", analytic)]:
        err = np.max(np.abs(g - analytic))
        print(f"{name:<34} {g[0]:>20.15f} {g[1]:>20.15f} {err:>12.1e}")


if __name__ == "__main__":
    main()
