"""The interpreters' fast paths give what the general paths give.

Each shortcut taken for speed (float64 operators for scalar arithmetic, scalar VJPs,
the replayed chunks of jacfwd, the paused garbage collector) is checked here against
the path it stands in for.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest

import autodiff as ad
import autodiff._forward_transforms as forward_transforms


def scalar_program(x, y):
    a = x * 0.5 + 2 - y / 3.0
    b = 1.5 / x - a * y + 3 * a
    return np.sin(a) * b - (b - x) / (y + 4.0)


def test_scalar_arithmetic_matches_arrays():
    x, y = 0.7, -1.3
    gx, gy = ad.grad(scalar_program, argnums=(0, 1))(x, y)
    ax, ay = ad.grad(lambda u, v: np.sum(scalar_program(u, v)), argnums=(0, 1))(
        np.array([x]), np.array([y]))
    # The scalar path uses Python operators; the array path NumPy's ufuncs.
    assert type(gx) is np.float64 and type(gy) is np.float64
    assert gx == ax[0] and gy == ay[0]


def scalar_functions(x, y):
    """Every unary elementwise primitive with a scalar derivative, and the operators."""
    u = np.tanh(np.sin(x) * np.exp(y) - np.cos(x * y))
    v = np.sqrt(np.log1p(x * x) + 1.0) + np.arctan(y) - np.expm1(-x) + np.square(y)
    w = np.abs(u - v) * np.cbrt(2.0 + x) + np.log(3.0 - y) / np.cosh(u) + np.arcsinh(v)
    return w * u - v + x * x


@pytest.mark.parametrize("program", [scalar_program, scalar_functions])
def test_scalar_records_match_vjp_closures(program):
    # In scalar code the tape stores partial derivatives (see Record); under
    # debug_nans it records the general VJP closures.  Same bits either way.
    x, y = 0.7, -1.3
    fast = ad.grad(program, argnums=(0, 1))(x, y)
    with ad.debug_nans():
        general = ad.grad(program, argnums=(0, 1))(x, y)
    assert [type(g) for g in fast] == [np.float64, np.float64]
    assert fast == general
    cotangent = np.float64(-2.5)  # a cotangent other than 1 scales every partial
    fast_vjp = ad.vjp(program, x, y)[1](cotangent)
    with ad.debug_nans():
        general_vjp = ad.vjp(program, x, y)[1](cotangent)
    assert fast_vjp == general_vjp


def test_unary_partials_are_computed_only_when_reached():
    # sqrt'(0) is infinite: a record the sweep never reaches must not evaluate it
    # (no RuntimeWarning, which the suite turns into an error).
    def f(x):
        np.sqrt(x - x)
        return 3.0 * x

    assert ad.grad(f)(0.5) == 3.0


def test_reverse_over_reverse_on_scalar_records():
    # The outer trace records scalar partials while the inner sweep runs on its tracers.
    f = lambda x: scalar_functions(x, -1.3)  # noqa: E731
    second = ad.grad(ad.grad(f))(0.7)
    h = ad.hessian(f)(0.7)
    step = 1e-5
    fd = (ad.grad(f)(0.7 + step) - ad.grad(f)(0.7 - step)) / (2 * step)
    np.testing.assert_allclose(second, h, rtol=1e-12)
    np.testing.assert_allclose(second, fd, rtol=1e-6)


def test_new_reverse_rules_replace_the_scalar_partials():
    # A VJP given later (ad.defvjp) is what scalar code uses, not the partials of the
    # rule it replaces.
    calls = []
    prim = ad.primitive(np.sin)
    prim.derivative = lambda ans, x: np.cos(x)

    def maker(ans, x):
        calls.append(x)
        return lambda g: g * np.cos(x)

    ad.defvjp(prim, maker)
    assert prim.derivative is None and prim.partials is None
    assert ad.grad(prim)(0.3) == np.cos(0.3) and calls == [0.3]


def test_scalar_arithmetic_second_order():
    h = ad.hessian(lambda xy: scalar_program(xy[0], xy[1]))(np.array([0.7, -1.3]))
    step = 1e-5
    g = ad.grad(lambda xy: scalar_program(xy[0], xy[1]))
    for i in range(2):
        e = np.zeros(2)
        e[i] = step
        fd = (g(np.array([0.7, -1.3]) + e) - g(np.array([0.7, -1.3]) - e)) / (2 * step)
        np.testing.assert_allclose(h[:, i], fd, rtol=1e-6, atol=1e-8)


def test_float32_scalars_keep_their_dtype():
    g = ad.grad(lambda x: x * 2.0 + x / 3.0 - 1.0)(np.float32(1.5))
    assert g.dtype == np.float32
    assert g == np.float32(2.0 + 1.0 / 3.0)


def test_value_of_two_python_floats_is_a_numpy_float():
    # Two Python floats never take the operator path: NumPy's result type is kept.
    out, _ = ad.value_and_grad(lambda x: x * (2.0 * 3.0) + 0.5 * 0.25)(1.0)
    assert type(out) is np.float64


@pytest.fixture
def small_chunks(monkeypatch):
    """Force jacfwd to split 12 directions into chunks of 5 (the replayed path)."""
    monkeypatch.setattr(forward_transforms, "FORWARD_BATCH_ELEMENTS", 1)
    monkeypatch.setattr(forward_transforms, "FORWARD_MIN_BATCH", 5)


def outputs(x):
    y = np.sin(x) * x
    return {"y": y, "x": x, "const": np.ones(3), "total": np.sum(y * y)}


def test_replayed_chunks_match_one_sweep(small_chunks):
    x = np.linspace(-1.0, 2.0, 12)
    chunked = ad.jacfwd(outputs)(x)
    reverse = ad.jacrev(outputs)(x)
    assert set(chunked) == set(reverse)
    for key in chunked:
        np.testing.assert_allclose(chunked[key], reverse[key], rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(chunked["x"], np.eye(12))
    assert not np.any(chunked["const"])


def test_replayed_hessian(small_chunks):
    def rosen(x):
        a = x[1:] - x[:-1] * x[:-1]
        return np.sum(100.0 * a * a + (1.0 - x[:-1]) ** 2)

    x = 1.0 + 0.3 * np.random.default_rng(0).standard_normal(12)
    h = ad.hessian(rosen)(x)
    expected = ad.jacrev(ad.grad(rosen))(x)
    np.testing.assert_allclose(h, expected, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(h, h.T, rtol=1e-12, atol=1e-10)


def test_replayed_chunks_refuse_a_huge_jacobian(small_chunks, monkeypatch):
    monkeypatch.setattr("autodiff._arguments.MAX_DENSE_BYTES", 100)
    with pytest.raises(MemoryError, match="the Jacobian"):
        ad.jacfwd(lambda x: np.outer(x, x))(np.ones(12))


def test_the_collector_is_paused_and_restored():
    seen = []

    def f(x):
        seen.append(gc.isenabled())
        return np.sum(x * x)

    assert gc.isenabled()
    ad.grad(f)(np.ones(3))
    ad.hessian(f)(np.ones(3))
    ad.jvp(f, (np.ones(3),), (np.ones(3),))
    assert seen == [False, False, False]
    assert gc.isenabled()

    def fails(x):
        raise RuntimeError("inside f")

    with pytest.raises(RuntimeError, match="inside f"):
        ad.grad(fails)(np.ones(3))
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled():
    gc.disable()
    try:
        ad.grad(lambda x: np.sum(x * x))(np.ones(3))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_square_written_as_a_product_matches_the_product():
    # x * x is recorded as square(x): one product per mode instead of two and a sum.
    rng = np.random.default_rng(3)
    x, v = rng.standard_normal(7), rng.standard_normal(7)

    def as_operator(x):
        y = np.sin(x)
        return np.sum(y * y * x)

    def as_ufunc(x):
        y = np.sin(x)
        return np.sum(np.multiply(y, y) * x)

    assert as_operator(x) == as_ufunc(x)
    np.testing.assert_array_equal(ad.grad(as_operator)(x), ad.grad(as_ufunc)(x))
    np.testing.assert_array_equal(ad.hvp(as_operator)(x, v), ad.hvp(as_ufunc)(x, v))
    z = x + 1j * v
    np.testing.assert_array_equal(ad.grad(lambda z: np.sum(np.abs(z * z)))(z),
                                  ad.grad(lambda z: np.sum(np.abs(np.multiply(z, z))))(z))
    assert "square" in str(ad.trace(lambda x: x * x, 1.5))
