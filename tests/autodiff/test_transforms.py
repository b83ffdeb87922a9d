"""The transforms (grad ... checkpoint), pytrees, nesting, dtypes, control flow,
SciPy interoperability, ``ad.trace`` and ``ad.numerical``."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest
import scipy.optimize

import autodiff as ad
import autodiff.numpy as anp

X = np.array([0.3, -1.2, 2.0])


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_residuals(x):
    return np.concatenate([10.0 * (x[1:] - x[:-1] ** 2), 1.0 - x[:-1]])


# --- grad and value_and_grad ----------------------------------------------------------
def test_grad_matches_the_analytic_gradient():
    g = ad.grad(lambda x: np.sum(np.sin(x) ** 2))(X)
    np.testing.assert_allclose(g, 2 * np.sin(X) * np.cos(X), rtol=1e-14)
    assert isinstance(g, np.ndarray) and g.shape == X.shape


def test_grad_of_scalar_input_is_a_scalar():
    g = ad.grad(lambda x: x ** 3 + np.exp(x))(2.0)
    assert np.ndim(g) == 0
    assert g == pytest.approx(12.0 + np.exp(2.0), rel=1e-14)


def test_grad_of_a_constant_function_is_zero():
    g = ad.grad(lambda x: 3.0)(X)
    np.testing.assert_array_equal(g, np.zeros(3))
    np.testing.assert_array_equal(ad.grad(lambda x, y: np.sum(y ** 2))(X, X), np.zeros(3))


def test_value_and_grad():
    value, g = ad.value_and_grad(rosenbrock)(X)
    assert value == pytest.approx(scipy.optimize.rosen(X), rel=1e-14)
    np.testing.assert_allclose(g, scipy.optimize.rosen_der(X), rtol=1e-13)


def test_argnums_int_and_tuple():
    f = lambda x, y, z: np.sum(x * y ** 2 * z)  # noqa: E731
    x, y, z = np.array([1.0, 2.0]), np.array([3.0, -1.0]), np.array(0.5)
    np.testing.assert_allclose(ad.grad(f, argnums=1)(x, y, z), 2 * x * y * z)
    gx, gz = ad.grad(f, argnums=(0, 2))(x, y, z)
    np.testing.assert_allclose(gx, y ** 2 * z)
    assert gz == pytest.approx(np.sum(x * y ** 2))
    (g_last,) = ad.grad(f, argnums=(-1,))(x, y, z)
    assert g_last == pytest.approx(gz)
    value, (gy,) = ad.value_and_grad(f, argnums=(1,))(x, y, z)
    assert value == pytest.approx(f(x, y, z))
    np.testing.assert_allclose(gy, 2 * x * y * z)
    with pytest.raises(ValueError, match="argnums"):
        ad.grad(f, argnums=3)(x, y, z)


def test_has_aux():
    def f(x):
        return np.sum(x ** 2), {"norm": np.sqrt(np.sum(x ** 2)), "n": x.size}

    g, aux = ad.grad(f, has_aux=True)(X)
    np.testing.assert_allclose(g, 2 * X)
    assert aux["n"] == 3
    assert float(ad.numpy.stop_gradient(aux["norm"])) == pytest.approx(np.linalg.norm(X))
    (value, aux2), g2 = ad.value_and_grad(f, has_aux=True)(X)
    assert value == pytest.approx(np.sum(X ** 2))
    np.testing.assert_allclose(g2, 2 * X)
    with pytest.raises(TypeError, match="aux"):
        ad.grad(lambda x: np.sum(x), has_aux=True)(X)


def test_keyword_arguments_are_constants():
    f = lambda x, *, scale: scale * np.sum(x ** 2)  # noqa: E731
    np.testing.assert_allclose(ad.grad(f)(X, scale=3.0), 6 * X)


# --- pytrees ------------------------------------------------------------------------
def test_grad_of_nested_pytree_has_the_same_structure():
    params = {"w": np.array([[1.0, 2.0], [3.0, 4.0]]),
              "layers": [(np.array([0.5, -0.5]), 2.0), {"b": np.array(1.5)}]}

    def f(p):
        w, (v, s), b = p["w"], p["layers"][0], p["layers"][1]["b"]
        return np.sum(w @ v) * s + b ** 2

    g = ad.grad(f)(params)
    assert set(g) == {"w", "layers"}
    assert isinstance(g["layers"], list) and isinstance(g["layers"][0], tuple)
    np.testing.assert_allclose(g["w"], 2.0 * np.outer(np.ones(2), params["layers"][0][0]))
    np.testing.assert_allclose(g["layers"][0][0], 2.0 * params["w"].sum(axis=0))
    assert g["layers"][0][1] == pytest.approx(np.sum(params["w"] @ params["layers"][0][0]))
    assert g["layers"][1]["b"] == pytest.approx(3.0)


def test_pytree_jvp_vjp_and_jacobians():
    x = {"a": np.array([1.0, 2.0]), "b": (np.array(3.0),)}

    def f(p):
        return {"s": np.sin(p["a"]) * p["b"][0], "t": [np.sum(p["a"]) ** 2]}

    tangent = {"a": np.array([1.0, 0.0]), "b": (np.array(1.0),)}
    out, out_t = ad.jvp(f, (x,), (tangent,))
    np.testing.assert_allclose(out["s"], np.sin(x["a"]) * 3.0)
    np.testing.assert_allclose(out_t["s"], np.cos(x["a"]) * tangent["a"] * 3.0 + np.sin(x["a"]))
    np.testing.assert_allclose(out_t["t"][0], 2 * 3.0 * 1.0)

    out2, vjp_fn = ad.vjp(f, x)
    (ct,) = vjp_fn({"s": np.array([1.0, 1.0]), "t": [np.array(0.0)]})
    np.testing.assert_allclose(ct["a"], np.cos(x["a"]) * 3.0)
    assert ct["b"][0] == pytest.approx(np.sum(np.sin(x["a"])))

    jf = ad.jacfwd(f)(x)
    jr = ad.jacrev(f)(x)
    assert jf["s"]["a"].shape == (2, 2) and np.shape(jf["s"]["b"][0]) == (2,)
    for a, b in [(jf["s"]["a"], jr["s"]["a"]), (jf["s"]["b"][0], jr["s"]["b"][0]),
                 (jf["t"][0]["a"], jr["t"][0]["a"])]:
        np.testing.assert_allclose(a, b, rtol=1e-14)


def test_namedtuple_argument():
    from collections import namedtuple

    Params = namedtuple("Params", "w b")
    g = ad.grad(lambda p: np.sum(p.w ** 2) + p.b)(Params(np.array([1.0, 2.0]), 0.5))
    assert isinstance(g, Params)
    np.testing.assert_allclose(g.w, [2.0, 4.0])
    assert g.b == pytest.approx(1.0)


# --- jvp and vjp ----------------------------------------------------------------------
def test_jvp():
    out, tangent = ad.jvp(lambda x, y: np.sin(x) * y, (X, 2.0), (np.ones(3), 0.5))
    np.testing.assert_allclose(out, 2.0 * np.sin(X))
    np.testing.assert_allclose(tangent, 2.0 * np.cos(X) + 0.5 * np.sin(X))
    with pytest.raises(ValueError, match="shape"):
        ad.jvp(np.sin, (X,), (np.ones(2),))


def test_vjp_can_be_called_many_times():
    a = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0]])
    out, vjp_fn = ad.vjp(lambda x: a @ np.tanh(x), X)
    np.testing.assert_allclose(out, a @ np.tanh(X))
    jac = a * (1 - np.tanh(X) ** 2)
    for u in (np.array([1.0, 0.0]), np.array([0.3, -2.0])):
        (ct,) = vjp_fn(u)
        np.testing.assert_allclose(ct, u @ jac, rtol=1e-14)
    with pytest.raises(ValueError, match="shape"):
        vjp_fn(np.ones(3))


def test_vjp_with_several_primals_and_outputs():
    out, vjp_fn = ad.vjp(lambda x, y: (x * y, np.sum(x)), X, 2.0)
    cx, cy = vjp_fn((np.ones(3), 1.0))
    np.testing.assert_allclose(cx, 2.0 + np.ones(3))
    assert cy == pytest.approx(np.sum(X))


# --- Jacobians -------------------------------------------------------------------------
def test_jacobian_shapes_follow_jax():
    x = np.arange(6.0).reshape(2, 3) / 5 + 0.1

    def f(x):
        return np.stack([np.sin(x), x ** 2])  # (2, 2, 3)

    for jac in (ad.jacfwd(f)(x), ad.jacrev(f)(x), ad.jacobian(f)(x)):
        assert jac.shape == (2, 2, 3, 2, 3)
        np.testing.assert_allclose(jac, ad.numerical.jacobian(f, x), rtol=1e-6, atol=1e-8)
    j0, j1 = ad.jacfwd(lambda x, y: x * y, argnums=(0, 1))(X, 2.0)
    np.testing.assert_allclose(j0, 2.0 * np.eye(3))
    np.testing.assert_allclose(j1, X)
    r0, r1 = ad.jacrev(lambda x, y: x * y, argnums=(0, 1))(X, 2.0)
    np.testing.assert_allclose(r0, j0)
    np.testing.assert_allclose(r1, j1)


def _forward_only():
    """A primitive with a forward rule only: reverse mode fails on it."""
    @ad.primitive
    def fwd_only_sin(x):
        return np.sin(x)

    ad.defjvp(fwd_only_sin, lambda t, ans, x: t * np.cos(x))
    return fwd_only_sin


def _reverse_only():
    """A primitive with a reverse rule only: forward mode fails on it."""
    @ad.primitive
    def rev_only_sin(x):
        return np.sin(x)

    ad.defvjp(rev_only_sin, lambda ans, x: lambda g: g * np.cos(x))
    return rev_only_sin


def test_jacobian_auto_uses_forward_mode_for_tall_jacobians():
    fwd_only_sin = _forward_only()
    a = np.arange(12.0).reshape(6, 2) / 7

    def tall(x):  # 2 inputs -> 6 outputs
        return a @ fwd_only_sin(x)

    x = np.array([0.4, -0.7])
    with pytest.raises(NotImplementedError, match="reverse-mode"):
        ad.jacrev(tall)(x)
    np.testing.assert_allclose(ad.jacobian(tall)(x), a * np.cos(x), rtol=1e-14)
    np.testing.assert_allclose(ad.jacobian(tall, mode="fwd")(x), a * np.cos(x), rtol=1e-14)


def test_jacobian_auto_uses_reverse_mode_for_wide_jacobians():
    rev_only_sin = _reverse_only()
    a = np.arange(12.0).reshape(2, 6) / 7

    def wide(x):  # 6 inputs -> 2 outputs
        return a @ rev_only_sin(x)

    x = np.linspace(-1.0, 1.0, 6)
    with pytest.raises(NotImplementedError, match="forward-mode"):
        ad.jacfwd(wide)(x)
    np.testing.assert_allclose(ad.jacobian(wide)(x), a * np.cos(x), rtol=1e-14)
    np.testing.assert_allclose(ad.jacobian(wide, mode="rev")(x), a * np.cos(x), rtol=1e-14)
    with pytest.raises(ValueError, match="mode"):
        ad.jacobian(wide, mode="sideways")


# --- Hessians --------------------------------------------------------------------------
def test_hessian_matches_scipy_rosenbrock():
    np.testing.assert_allclose(ad.hessian(rosenbrock)(X), scipy.optimize.rosen_hess(X),
                               rtol=1e-13)


def test_hessian_of_matrix_argument_has_shape_x_x():
    x = np.array([[1.0, 2.0], [0.5, -1.0], [0.3, 0.2]])
    h = ad.hessian(lambda x: np.sum(x ** 3) + np.sum(x[0] * x[1]))(x)
    assert h.shape == (3, 2, 3, 2)
    expected = np.diag(6 * x.ravel())
    expected[0, 2] = expected[2, 0] = expected[1, 3] = expected[3, 1] = 1.0
    np.testing.assert_allclose(h.reshape(6, 6), expected)


def test_hvp_uses_scipy_hessp_argument_order():
    def f(x, a, b):
        return a * np.sum(x ** 3) + b * np.sum(x) ** 2

    v = np.array([1.0, -1.0, 0.5])
    h = ad.hvp(f)(X, v, 2.0, 3.0)
    expected = (2.0 * np.diag(6 * X) + 3.0 * 2 * np.ones((3, 3))) @ v
    np.testing.assert_allclose(h, expected, rtol=1e-14)
    np.testing.assert_allclose(ad.hvp(rosenbrock)(X, v), scipy.optimize.rosen_hess_prod(X, v),
                               rtol=1e-13)
    # argnums: Hessian in the second argument, the others in order after v.
    h2 = ad.hvp(lambda a, x: a * np.sum(x ** 3), argnums=1)(X, v, 2.0)
    np.testing.assert_allclose(h2, 2.0 * 6 * X * v)


# --- nesting -------------------------------------------------------------------------
def test_triple_grad():
    d3 = ad.grad(ad.grad(ad.grad(lambda x: x ** 4 + np.sin(x))))
    assert d3(1.3) == pytest.approx(24 * 1.3 - np.cos(1.3), rel=1e-13)


def test_jacfwd_of_jacrev_is_the_hessian():
    def f(x):
        return np.sum(np.exp(x[:-1] * x[1:])) + np.prod(x)

    np.testing.assert_allclose(ad.jacfwd(ad.jacrev(f))(X), ad.hessian(f)(X), rtol=1e-13)
    np.testing.assert_allclose(ad.jacrev(ad.jacfwd(f))(X), ad.hessian(f)(X), rtol=1e-13)
    np.testing.assert_allclose(ad.jacrev(ad.grad(f))(X), ad.hessian(f)(X), rtol=1e-13)


@pytest.mark.parametrize("x0", [-2.0, 0.0, 3.7])
def test_no_perturbation_confusion(x0):
    # d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1 at every point.
    inner_rev = lambda x: x * ad.grad(lambda y: x + y)(1.0)  # noqa: E731
    assert ad.grad(inner_rev)(x0) == pytest.approx(1.0)
    inner_fwd = lambda x: x * ad.jvp(lambda y: x + y, (1.0,), (1.0,))[1]  # noqa: E731
    assert ad.jvp(inner_fwd, (x0,), (1.0,))[1] == pytest.approx(1.0)
    assert ad.grad(inner_fwd)(x0) == pytest.approx(1.0)
    assert ad.jvp(inner_rev, (x0,), (1.0,))[1] == pytest.approx(1.0)


def test_inner_derivative_closing_over_outer_variable():
    # d/dx [d/dy (x * y^2)] at y = 2 = d/dx [4x] = 4; and the x-dependence is kept.
    f = lambda x: ad.grad(lambda y: x * y ** 2)(2.0)  # noqa: E731
    assert ad.grad(f)(0.7) == pytest.approx(4.0)
    g = lambda x: ad.grad(lambda y: x ** 2 * y ** 2)(x)  # 2 x^3 -> 6 x^2  # noqa: E731
    assert ad.grad(g)(1.5) == pytest.approx(6 * 1.5 ** 2)


# --- dtypes -------------------------------------------------------------------------------
@pytest.mark.parametrize("transform", ["grad", "value_and_grad", "jacfwd", "jacrev", "hessian",
                                       "hvp", "jvp", "vjp"])
def test_float32_in_float32_out(transform):
    x = np.array([0.5, 1.5, -0.25], dtype=np.float32)
    f = lambda x: np.sum(np.sin(x) * x ** 2)  # noqa: E731
    g = lambda x: np.sin(x) * x  # noqa: E731
    result = {
        "grad": lambda: ad.grad(f)(x),
        "value_and_grad": lambda: ad.value_and_grad(f)(x)[1],
        "jacfwd": lambda: ad.jacfwd(g)(x),
        "jacrev": lambda: ad.jacrev(g)(x),
        "hessian": lambda: ad.hessian(f)(x),
        "hvp": lambda: ad.hvp(f)(x, np.ones(3, dtype=np.float32)),
        "jvp": lambda: ad.jvp(g, (x,), (np.ones(3, dtype=np.float32),))[1],
        "vjp": lambda: ad.vjp(g, x)[1](np.ones(3, dtype=np.float32))[0],
    }[transform]()
    assert isinstance(result, np.ndarray)
    assert result.dtype == np.float32


def test_float32_scalar_and_results_are_plain_numpy():
    g = ad.grad(lambda x: x ** 2)(np.float32(3.0))
    assert np.result_type(g) == np.float32 and g == 6.0
    assert type(ad.grad(lambda x: np.sum(x ** 2))(X)) is np.ndarray
    assert type(ad.hessian(lambda x: np.sum(x ** 3))(X)) is np.ndarray


# --- Python control flow on traced values -----------------------------------------------
def test_if_on_a_traced_value():
    def f(x):
        if x > 0:
            return x ** 2
        return -3.0 * x

    grad = ad.grad(f)
    assert grad(2.0) == pytest.approx(4.0)
    assert grad(-1.0) == pytest.approx(-3.0)
    assert ad.jvp(f, (2.0,), (1.0,))[1] == pytest.approx(4.0)


def test_while_loop_newton_sqrt():
    def newton_sqrt(a):
        y = a
        steps = 0
        while abs(y * y - a) > 1e-14 * a:
            y = 0.5 * (y + a / y)
            steps += 1
        assert steps > 3
        return y

    for a in (2.0, 9.0):
        assert ad.grad(newton_sqrt)(a) == pytest.approx(0.5 / np.sqrt(a), rel=1e-8)


def test_for_loop_over_rows_and_array_comparisons():
    def f(m):
        total = 0.0
        for row in m:
            total = total + np.where(row > 0, row, 0.0).sum()
        return total + np.sum(m[m < 0] ** 2)

    m = np.array([[1.0, -2.0], [-0.5, 3.0]])
    np.testing.assert_allclose(ad.grad(f)(m), np.where(m > 0, 1.0, 2 * m))


# --- ndarray-like interface ------------------------------------------------------------
def test_traced_arrays_look_like_ndarrays():
    seen = {}

    def f(x):
        seen.update(shape=x.shape, ndim=x.ndim, size=x.size, dtype=x.dtype, len=len(x),
                    type_T=x.T.shape)
        y = x.T.reshape(-1, 2).astype(np.float64)
        return (x.sum() + x.mean(axis=0).max() + y.dot(np.ones(2)).sum()
                + x.reshape(6).dot(np.arange(6.0)) + x.max())

    x = np.arange(6.0).reshape(2, 3)
    g = ad.grad(f)(x)
    assert seen == {"shape": (2, 3), "ndim": 2, "size": 6, "dtype": np.float64, "len": 2,
                    "type_T": (3, 2)}
    expected = ad.numerical.gradient(f, x)
    np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-8)
    assert ad.grad(lambda x: x.astype(np.float32).sum())(X).dtype == np.float64
    assert ad.grad(lambda x: x.sum())(X.astype(np.float32)).dtype == np.float32


def test_anp_namespace_matches_plain_numpy_calls():
    def with_np(x):
        return np.sum(np.sin(x) * np.exp(x[::-1]))

    def with_anp(x):
        return anp.sum(anp.sin(x) * anp.exp(x[::-1]))

    assert with_anp(X) == pytest.approx(with_np(X))
    assert isinstance(anp.sin(X), np.ndarray)
    np.testing.assert_allclose(ad.grad(with_anp)(X), ad.grad(with_np)(X), rtol=1e-15)
    np.testing.assert_allclose(ad.hessian(with_anp)(X), ad.hessian(with_np)(X), rtol=1e-15)


def test_stop_gradient_blocks_every_order():
    f = lambda x: np.sum(x * ad.stop_gradient(x) ** 2)  # noqa: E731
    np.testing.assert_allclose(ad.grad(f)(X), X ** 2)
    np.testing.assert_allclose(ad.hessian(f)(X), np.zeros((3, 3)))


# --- checkpoint -------------------------------------------------------------------------
def test_checkpoint_recomputes_and_gives_the_same_derivatives():
    calls = []

    def block(x):
        calls.append(1)
        return np.sin(x) * x + np.exp(-x ** 2)

    step = ad.checkpoint(block)
    f_plain = lambda x: np.sum(block(block(x)) ** 2)  # noqa: E731
    f_ckpt = lambda x: np.sum(step(step(x)) ** 2)  # noqa: E731
    expected = ad.grad(f_plain)(X)
    calls.clear()
    np.testing.assert_allclose(ad.grad(f_ckpt)(X), expected, rtol=1e-13)
    assert len(calls) == 4  # two forward calls, each recomputed once in the backward sweep
    np.testing.assert_allclose(ad.jvp(f_ckpt, (X,), (np.ones(3),))[1], expected.sum(),
                               rtol=1e-13)
    np.testing.assert_allclose(ad.hessian(f_ckpt)(X), ad.hessian(f_plain)(X), rtol=1e-12)
    np.testing.assert_allclose(ad.jacfwd(step)(X), ad.jacrev(step)(X), rtol=1e-13)


def test_checkpoint_with_several_arguments():
    step = ad.checkpoint(lambda x, w: np.tanh(w @ x))
    w = np.array([[0.5, -1.0, 0.2], [0.1, 0.3, 0.7]])
    gx, gw = ad.grad(lambda x, w: np.sum(step(x, w)), argnums=(0, 1))(X, w)
    rx, rw = ad.grad(lambda x, w: np.sum(np.tanh(w @ x)), argnums=(0, 1))(X, w)
    np.testing.assert_allclose(gx, rx, rtol=1e-13)
    np.testing.assert_allclose(gw, rw, rtol=1e-13)
    ad.check_grads(lambda x, w: step(x, w), (X, w), order=2)


# --- SciPy with no glue ----------------------------------------------------------------
def test_minimize_with_value_and_grad_jac_true():
    x0 = np.array([-1.2, 1.0, 0.8, -0.5])
    res = scipy.optimize.minimize(ad.value_and_grad(rosenbrock), x0, jac=True, method="BFGS",
                                  options={"gtol": 1e-9})
    assert res.success
    np.testing.assert_allclose(res.x, np.ones(4), atol=1e-5)


def test_minimize_trust_ncg_with_grad_and_hvp():
    x0 = np.array([1.3, 0.7, 0.8, 1.9, 1.2])  # SciPy's tutorial start
    res = scipy.optimize.minimize(rosenbrock, x0, jac=ad.grad(rosenbrock),
                                  hessp=ad.hvp(rosenbrock), method="trust-ncg",
                                  options={"gtol": 1e-10})
    assert res.success
    np.testing.assert_allclose(res.x, np.ones(5), atol=1e-7)
    # Same iterates as with SciPy's hand-written derivatives.
    ref = scipy.optimize.minimize(scipy.optimize.rosen, x0, jac=scipy.optimize.rosen_der,
                                  hessp=scipy.optimize.rosen_hess_prod, method="trust-ncg",
                                  options={"gtol": 1e-10})
    assert (res.nit, res.nfev) == (ref.nit, ref.nfev)
    x0 = x0[:4]
    res_hess = scipy.optimize.minimize(rosenbrock, x0, jac=ad.grad(rosenbrock),
                                       hess=ad.hessian(rosenbrock), method="trust-exact",
                                       options={"gtol": 1e-10})
    np.testing.assert_allclose(res_hess.x, np.ones(4), atol=1e-6)


def test_minimize_passes_extra_args_to_hessp():
    def f(x, a):
        return np.sum((x - a) ** 4) + np.sum((x - a) ** 2)

    a = np.array([1.0, -2.0, 0.5])
    res = scipy.optimize.minimize(f, np.zeros(3), args=(a,), jac=ad.grad(f), hessp=ad.hvp(f),
                                  method="Newton-CG", options={"xtol": 1e-10})
    np.testing.assert_allclose(res.x, a, atol=1e-6)


@pytest.mark.parametrize("problem", ["rosenbrock", "exponential fit", "circle fit"])
def test_least_squares_with_jacfwd(problem):
    rng = np.random.default_rng(0)
    if problem == "rosenbrock":
        residuals, x0, solution = rosenbrock_residuals, np.array([-1.2, 1.0, 0.5]), np.ones(3)
    elif problem == "exponential fit":
        t = np.linspace(0, 2, 20)
        truth = np.array([2.0, -1.3, 0.4])
        y = truth[0] * np.exp(truth[1] * t) + truth[2]
        residuals = lambda p: p[0] * np.exp(p[1] * t) + p[2] - y  # noqa: E731
        x0, solution = np.array([1.0, -0.5, 0.0]), truth
    else:
        angles = rng.uniform(0, 2 * np.pi, 15)
        truth = np.array([0.5, -1.0, 2.0])  # centre x, centre y, radius
        pts = truth[:2] + truth[2] * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        residuals = lambda p: np.sqrt(np.sum((pts - p[:2]) ** 2, axis=1)) - p[2]  # noqa: E731
        x0, solution = np.array([0.0, 0.0, 1.0]), truth
    res = scipy.optimize.least_squares(residuals, x0, jac=ad.jacfwd(residuals),
                                       xtol=1e-14, ftol=1e-14, gtol=1e-14)
    np.testing.assert_allclose(res.x, solution, atol=1e-7)
    np.testing.assert_allclose(res.jac, ad.numerical.jacobian(residuals, res.x), atol=1e-6)


# --- ad.trace: the slides' example ------------------------------------------------------
def slides_function(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def _rows(table):
    return {lhs.strip(): (formula.strip(), value) for lhs, formula, value in table.rows}


def test_trace_evaluation_matches_the_slides():
    t = ad.trace(slides_function, 2.0, 5.0)
    rows = _rows(t.evaluation())
    assert rows["v_-1"] == ("x_1", "2")
    assert rows["v_0"] == ("x_2", "5")
    assert rows["v_1"] == ("ln v_-1", "0.693")
    assert rows["y"][1] == "11.652"
    text = str(t)
    assert "v_-1 = x_1" in text.replace("  ", " ") and "11.652" in text
    # One row per primitive: ln, ×, +, sin, -; plus the inputs and y.
    assert len(t.evaluation().rows) == 2 + 5 + 1


def test_trace_forward_and_reverse_match_the_slides():
    t = ad.trace(slides_function, 2.0, 5.0)
    forward = _rows(t.forward((1.0, 0.0)))
    assert forward["y'"][1] == "5.5"
    assert forward["v_1'"] == ("v_-1' / v_-1", "0.5")
    assert float(_rows(t.forward((0.0, 1.0)))["y'"][1]) == pytest.approx(1.716, abs=5e-4)
    reverse = t.reverse()
    final = _rows(reverse)
    assert final["x_1_bar"][1] == "5.5"
    assert final["x_2_bar"][1] == "1.716"
    # The intermediate adjoint of v_0 through sin only: v_0_bar = -cos(5) = -0.284.
    assert ("v_0_bar", "-0.284") in [(lhs.strip(), value) for lhs, _, value in reverse.rows]
    assert "Reverse adjoint trace" in str(reverse)
    g1, g2 = ad.grad(slides_function, argnums=(0, 1))(2.0, 5.0)
    assert g1 == pytest.approx(1 / 2.0 + 5.0) and g2 == pytest.approx(2.0 - np.cos(5.0))


def test_trace_of_array_function_summarizes_arrays():
    t = ad.trace(lambda x: np.sum(np.sin(x) * x), np.arange(3.0))
    text = str(t)
    assert "(3,)" in text and "sum" in text
    assert _rows(t.reverse())["x_1_bar"][1].startswith("array")


def test_trace_rejects_a_constant_output():
    with pytest.raises(ValueError, match="depend"):
        ad.trace(lambda x: 3.0, 1.0)


# --- ad.numerical ------------------------------------------------------------------------
def test_finite_difference_orders_of_accuracy():
    f, df, x, v = np.exp, np.exp(0.7), np.array(0.7), np.array(1.0)
    errors = {}
    for h in (1e-2, 1e-3):
        errors[h] = (abs(ad.numerical.forward_difference(f, x, v, step=h) - df),
                     abs(ad.numerical.central_difference(f, x, v, step=h) - df))
    # forward: O(h) -> error shrinks ~10x; central: O(h^2) -> ~100x.
    assert 7 < errors[1e-2][0] / errors[1e-3][0] < 13
    assert 70 < errors[1e-2][1] / errors[1e-3][1] < 130
    assert abs(ad.numerical.forward_difference(f, x, v) - df) < 1e-7
    assert abs(ad.numerical.central_difference(f, x, v) - df) < 1e-9
    # The complex step has no subtractive cancellation: exact to rounding.
    assert ad.numerical.complex_step(f, x, v) == pytest.approx(df, rel=1e-15)
    assert ad.numerical.complex_step(np.sin, np.array(1e-3), np.array(1.0), step=1e-200) == \
        pytest.approx(np.cos(1e-3), rel=1e-15)


def test_numerical_gradient_and_jacobian():
    np.testing.assert_allclose(ad.numerical.gradient(scipy.optimize.rosen, X),
                               scipy.optimize.rosen_der(X), rtol=1e-7)
    jac = ad.numerical.jacobian(lambda x: np.outer(x, x), X)
    assert jac.shape == (3, 3, 3)
    np.testing.assert_allclose(jac, ad.jacfwd(lambda x: np.outer(x, x))(X), atol=1e-8)
    jc = ad.numerical.jacobian(np.sin, X, method="complex")
    np.testing.assert_allclose(jc, np.diag(np.cos(X)), rtol=1e-15)
    jf = ad.numerical.jacobian(np.sin, X, method="forward")
    np.testing.assert_allclose(jf, np.diag(np.cos(X)), atol=1e-7)
    with pytest.raises(ValueError, match="method"):
        ad.numerical.jacobian(np.sin, X, method="backward")


def test_default_steps_scale_with_x():
    eps = np.finfo(float).eps
    steps = ad.numerical.default_step(np.array([0.0, 1e4]), "central")
    np.testing.assert_allclose(steps, [eps ** (1 / 3), 1e4 * eps ** (1 / 3)])
    np.testing.assert_allclose(ad.numerical.default_step(np.array([2.0]), "forward"),
                               [2 * eps ** 0.5])


def test_check_grads_accepts_correct_rules_on_pytrees():
    ad.check_grads(lambda p: p["a"] * np.sin(p["b"]), ({"a": X, "b": X[::-1].copy()},), order=2)


# --- docstring examples --------------------------------------------------------------------
DOC_MODULES = ["autodiff", "autodiff._tracer", "autodiff._reverse_transforms",
               "autodiff._forward_transforms", "autodiff._checkpoint", "autodiff._trace_table",
               "autodiff._debug", "autodiff.numerical", "autodiff.numpy"]
@pytest.mark.parametrize("name", DOC_MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
