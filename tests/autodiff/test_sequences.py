"""NumPy reductions of a list (or tuple) holding traced values.

``np.mean([x0, x1])`` cannot be differentiated: NumPy dispatches
``__array_function__`` on the argument itself, a list has no such method, and NumPy
converts the list (each traced value with it) before autodiff is asked.  The error
says so and names the fixes, which are checked here to work.
"""

import numpy as np
import pytest

import autodiff as ad
import autodiff.numpy as anp
from autodiff._registry import HANDLED_FUNCTIONS

X = np.array([0.7, -1.2, 2.0])

REDUCTIONS = ["mean", "sum", "var", "std", "prod", "max", "min", "average", "median",
              "nanmean", "ptp"]


def _values(x):
    return [x[0], 2.0 * x[1], x[2] ** 2]


@pytest.mark.parametrize("name", REDUCTIONS)
def test_numpy_reduction_of_a_list_of_tracers_names_the_fixes(name):
    f = getattr(np, name)
    for differentiate in (ad.grad(lambda x: f(_values(x))),
                          lambda x: ad.jvp(lambda x: f(_values(x)), (x,), (np.ones(3),))):
        with pytest.raises(TypeError) as info:
            differentiate(X)
        message = str(info.value)
        assert f"numpy.{name} was given a list or tuple that holds traced values" in message
        assert f"numpy.{name}(np.stack(values), ...)" in message
        assert f"autodiff.numpy.{name}(values, ...)" in message


@pytest.mark.parametrize("name", REDUCTIONS)
def test_the_named_fixes_work(name):
    ad.check_grads(lambda x: getattr(np, name)(np.stack(_values(x))), (X,), order=2)
    ad.check_grads(lambda x: getattr(anp, name)(_values(x)), (X,), order=2)
    expected = getattr(np, name)(np.array(_values(X)))
    np.testing.assert_allclose(getattr(anp, name)(_values(X)), expected, rtol=1e-15)


def test_nested_tuples_and_axis():
    nested = lambda x: ((x[0], x[1]), (2.0 * x[2], x[0] * x[1]))  # noqa: E731
    with pytest.raises(TypeError, match=r"autodiff\.numpy\.mean"):
        ad.grad(lambda x: np.sum(np.mean(nested(x), axis=0)))(X)
    ad.check_grads(lambda x: anp.mean(nested(x), axis=0), (X,), order=2)
    ad.check_grads(lambda x: anp.var(nested(x), axis=1), (X,), order=2)


def test_functions_marked_as_taking_sequences_do():
    marked = sorted({f.__name__: f for f in HANDLED_FUNCTIONS.values()
                     if getattr(f, "takes_sequences", False)}.items())
    assert len(marked) >= 20
    for name, f in marked:
        args = (50.0,) if "percentile" in name else (0.3,) if "quantile" in name else ()
        ad.check_grads(lambda x: f(_values(x), *args), (X,), order=2)


def test_a_function_without_a_list_version_names_only_the_stack():
    with pytest.raises(TypeError, match="drop its derivative") as info:
        ad.grad(lambda x: np.sum(np.reshape(_values(x), (3, 1))))(X)
    assert "np.stack(values)" in str(info.value)
    assert "accepts lists" not in str(info.value)


def test_numpy_scalar_type_of_a_tracer_is_a_clear_error():
    with pytest.raises(TypeError, match=r"np\.float64\(x\).*drop its derivative"):
        ad.grad(lambda x: np.float64(x[0]) * x[1])(X)
