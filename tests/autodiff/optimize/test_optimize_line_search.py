"""Line searches: the returned step satisfies the conditions it promises."""

import numpy as np
import pytest
from scipy.optimize import rosen, rosen_der

from autodiff.optimize._line_search import backtracking, strong_wolfe


def vg(x):
    return float(rosen(x)), rosen_der(x)


@pytest.mark.parametrize("step", [1e-4, 1.0, 30.0])
def test_strong_wolfe_conditions_hold(step):
    x = np.array([-1.2, 1.0, 0.5])
    f, g = vg(x)
    d = -g
    ls = strong_wolfe(vg, x, f, g, d, step, c1=1e-4, c2=0.9)
    assert ls.success
    np.testing.assert_allclose(ls.x, x + ls.step * d)
    assert ls.fun <= f + 1e-4 * ls.step * (g @ d)
    assert abs(ls.jac @ d) <= 0.9 * abs(g @ d)
    f_acc, g_acc = vg(ls.x)
    assert ls.fun == f_acc and np.array_equal(ls.jac, g_acc)  # gradient reused, not stale


def test_strong_wolfe_backs_off_nan_region():
    def vg_log(x):
        with np.errstate(invalid="ignore"):
            return float(-np.log(x[0]) + x[0]), np.array([-1.0 / x[0] + 1.0])

    x = np.array([0.2])
    f, g = vg_log(x)
    ls = strong_wolfe(vg_log, x, f, g, -g, 10.0)  # first trial lands at x < 0 (NaN)
    assert ls.success and np.isfinite(ls.fun) and ls.fun < f


def test_ascent_direction_fails():
    x = np.array([0.0, 0.0])
    f, g = vg(x)
    assert not strong_wolfe(vg, x, f, g, g, 1.0).success
    assert not backtracking(vg, x, f, g, g, 1.0).success


def test_backtracking_armijo_and_projection():
    x = np.array([-1.2, 1.0])
    f, g = vg(x)
    ls = backtracking(vg, x, f, g, -g, 1.0)
    assert ls.success and ls.fun <= f + 1e-4 * ls.step * (g @ -g)
    lower, upper = np.array([-1.0, 0.9]), np.array([2.0, 2.0])
    ls = backtracking(vg, x, f, g, -g, 1.0, project=lambda z: np.clip(z, lower, upper))
    assert ls.success and np.all(ls.x >= lower) and np.all(ls.x <= upper) and ls.fun < f
