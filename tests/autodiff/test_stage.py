"""``ad.stage``: generated code agrees with the interpreters, guards re-stage, errors.

``test_rule_staged`` stages a reverse-mode (vjp) and a forward-mode (jvp) product of
every case of the rule tables (``test_rules.py`` and ``test_numpy_more.py``) and compares with
the unstaged transforms to 1e-12, at the example inputs and again at perturbed
inputs (the second call runs the cached program, or re-stages when a guard fails).
Second order (hvp) is checked on every tenth case to keep the file fast.
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import autodiff as ad
from autodiff._pytree import tree_flatten

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import test_numpy_more  # noqa: E402
import test_rules  # noqa: E402

#: Both rule tables: the primitives, and the NumPy functions composed from them.
CASES = {**{f"rules:{k}": v for k, v in test_rules.CASES.items()},
         **{f"numpy_more:{k}": v for k, v in test_numpy_more.CASES.items()}}
TOL = dict(rtol=1e-12, atol=1e-12)


def slides(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def assert_trees_close(a, b):
    la, ta = tree_flatten(a)
    lb, tb = tree_flatten(b)
    assert ta == tb
    for x, y in zip(la, lb):
        assert np.shape(x) == np.shape(y)
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), **TOL)


def _random_like(out, seed):
    rng = np.random.default_rng(seed)
    leaves, td = tree_flatten(out)
    from autodiff._pytree import tree_unflatten
    return tree_unflatten(td, [rng.standard_normal(np.shape(x)) + (
        1j * rng.standard_normal(np.shape(x)) if np.iscomplexobj(x) else 0.0) for x in leaves])


#: Decompositions whose rules read the values they differentiate (degenerate-point
#: checks, pivoting): staging refuses them with a StagingError instead of freezing a
#: value into generated code.  ``eigvalsh``'s rules call ``eigh`` on the primal, so its
#: second order (the hvp of every tenth case) is refused like ``eigh``'s.
UNSTAGEABLE = ("linalg.eig", "linalg.eigh", "linalg.eigvalsh", "linalg.svd", "linalg.svdvals",
               "linalg.complement", "scipy.linalg.lu_factor")


@pytest.mark.parametrize("key", test_rules.case_params(sorted(CASES), prefix="rules:"))
def test_rule_staged(key):
    entry = CASES[key]
    f, args, order = entry[0], entry[1], entry[2] if len(entry) > 2 else 2
    args = tuple(np.asarray(a) if np.iscomplexobj(a) else np.asarray(a, dtype=float)
                 for a in args)
    if test_rules.primitive_name(key.split(":", 1)[1]) in UNSTAGEABLE:
        try:  # these may refuse clearly, but must never differ from the unstaged result
            _compare_staged(key, f, args, order)
        except ad.StagingError:
            pass
        return
    _compare_staged(key, f, args, order)


def _compare_staged(key, f, args, order):
    ct = _random_like(f(*args), 0)
    tangents = tuple(_random_like(a, i + 1) for i, a in enumerate(args))

    def rev(ct, *xs):
        return ad.vjp(f, *xs)[1](ct)

    def fwd(xs, ts):
        return ad.jvp(f, xs, ts)

    staged_rev, staged_fwd = ad.stage(rev), ad.stage(fwd)
    for scale in (1.0, 1.0 + 1e-3):
        xs = tuple(a * scale for a in args)
        assert_trees_close(staged_rev(ct, *xs), rev(ct, *xs))
        assert_trees_close(staged_fwd(xs, tangents), fwd(xs, tangents))
    complex_case = any(np.iscomplexobj(a) for a in args) or np.iscomplexobj(f(*args))
    if order == 2 and sorted(CASES).index(key) % 10 == 0 and not complex_case:
        def second(x, v, *rest):
            return ad.hvp(lambda y: np.sum(f(y, *rest) * ct))(x, v)

        assert_trees_close(ad.stage(second)(args[0], tangents[0], *args[1:]),
                           second(args[0], tangents[0], *args[1:]))


@settings(max_examples=15, deadline=None, derandomize=True, database=None)
@given(mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       st.sampled_from(["add", "multiply", "divide", "maximum", "arctan2"]))
def test_broadcasting_staged(shapes, name):
    rng = np.random.default_rng(0)
    x, y = (rng.uniform(0.5, 2.0, s) for s in shapes.input_shapes)
    ufunc = getattr(np, name)

    def both(x, y):
        return ad.value_and_grad(lambda x, y: np.sum(ufunc(x, y) ** 2), argnums=(0, 1))(x, y)

    assert_trees_close(ad.stage(both)(x, y), both(x, y))
    assert_trees_close(ad.stage(ad.jacfwd(ufunc))(x, y), ad.jacfwd(ufunc)(x, y))


def test_slides_source_names_the_sweeps():
    fast = ad.stage(ad.value_and_grad(slides, argnums=(0, 1)))
    value, (g1, g2) = fast(2.0, 5.0)
    assert value == slides(2.0, 5.0) and g1 == 5.5
    np.testing.assert_allclose(g2, 2.0 - np.cos(5.0), **TOL)
    src = fast.source
    for text in ("def slides(v_m1, v_0)", "v_1 = np.log(v_m1)", "v_5 = v_3 - v_4",
                 "v_0_bar", "v_m1_bar", "np.cos(v_0)"):
        assert text in src, src


@pytest.mark.parametrize("transform", [
    ad.grad, ad.value_and_grad, ad.hessian, ad.jacfwd, ad.jacrev,
    lambda f: ad.grad(lambda x: np.sum(ad.grad(f)(x) ** 2))])
def test_transforms_staged(transform):
    def f(x):
        return np.sum(np.tanh(x) * x[::-1]) + np.prod(x[:2]) ** 2

    x = np.linspace(-1.0, 1.0, 4)
    staged = ad.stage(transform(f))
    assert_trees_close(staged(x), transform(f)(x))
    assert_trees_close(staged(x + 0.1), transform(f)(x + 0.1))
    assert staged.n_programs == 1


def test_hvp_and_jvp_staged():
    def f(x):
        return np.sum(np.exp(-x * x)) + x @ x

    x, v = np.arange(3.0), np.ones(3)
    assert_trees_close(ad.stage(ad.hvp(f))(x, v), ad.hvp(f)(x, v))
    jvp = ad.stage(lambda x, v: ad.jvp(f, (x,), (v,)))
    assert_trees_close(jvp(x, v), ad.jvp(f, (x,), (v,)))
    assert "_dot" in jvp.source


def test_branch_guard_restages():
    def f(x):
        return np.sum(x ** 2) if np.sum(x) > 0 else np.sum(np.sin(x))

    g = ad.stage(ad.grad(f))
    pos, neg = np.array([1.0, 2.0]), np.array([-1.0, -2.0])
    assert_trees_close(g(pos), 2 * pos)
    assert_trees_close(g(neg), np.cos(neg))  # the guard fails: a second program
    assert_trees_close(g(pos * 3), 6 * pos)
    assert g.n_programs == 2
    assert "raise GuardFailed" in g.source


def test_data_dependent_loop_restages_per_trip_count():
    def f(x):
        while np.max(np.abs(x)) > 1.0:
            x = x / 2.0
        return np.sum(x ** 3)

    g = ad.stage(ad.grad(f), max_programs=2)
    for x in (np.array([0.5]), np.array([3.0]), np.array([7.0]), np.array([0.7])):
        assert_trees_close(g(x), ad.grad(f)(x))
    assert g.n_programs == 2  # bounded


def test_boolean_mask_shape_is_guarded():
    def f(x):
        return np.sum(x[x > 0] ** 3) + np.sum(x[np.nonzero(x < -1)] ** 2)

    g = ad.stage(ad.grad(f))
    for x in (np.array([1.0, -2.0, 3.0]), np.array([-1.5, 2.0, -3.0]), np.array([2., 1., 2.])):
        assert_trees_close(g(x), ad.grad(f)(x))
    assert g.n_programs == 3


def test_shape_change_and_static_arguments_key_the_cache():
    def f(x, n, scale=1.0):
        return scale * np.sum(x ** n)

    g = ad.stage(ad.grad(f))
    assert_trees_close(g(np.ones(3), 2), 2 * np.ones(3))
    assert_trees_close(g(np.ones(4), 3), 3 * np.ones(4))
    assert_trees_close(g(np.ones(4), 3, scale=2.0), 6 * np.ones(4))
    assert g.n_programs == 3


def test_pytrees_and_float32():
    def f(p):
        return np.sum(p["w"] * p["b"][0]) + p["b"][1] ** 2

    params = {"w": np.ones(3, dtype=np.float32), "b": (np.float32(2.0), np.float32(3.0))}
    staged = ad.stage(ad.grad(f))
    assert_trees_close(staged(params), ad.grad(f)(params))


def test_masks_are_staged_not_frozen():
    def f(x):
        return np.sum(np.where(x > 0, x, 0.1 * x) * np.sort(x))

    g = ad.stage(ad.grad(f))
    for x in (np.array([1.0, -2.0, 3.0]), np.array([-1.0, 2.0, -3.0])):
        assert_trees_close(g(x), ad.grad(f)(x))
    assert g.n_programs == 1


def test_data_dependent_indices_specialize_the_program():
    def f(x):
        return x[np.argmax(x)] * np.sum(x)

    g = ad.stage(ad.grad(f))
    for x in (np.array([1.0, -2.0, 3.0]), np.array([-1.0, 2.0, -3.0]), np.array([0., 1., 2.])):
        assert_trees_close(g(x), ad.grad(f)(x))
    assert g.n_programs <= 2


def test_conversions_raise_a_staging_error():
    def f(x):
        return np.sum(x) * float(ad.stop_gradient(np.sum(x)))

    with pytest.raises(ad.StagingError, match="float"):
        ad.stage(ad.grad(f))(np.ones(2))


def test_inside_a_transform_runs_unstaged():
    staged = ad.stage(lambda x: np.sin(x) * x)
    assert_trees_close(ad.grad(lambda x: np.sum(staged(x)))(np.ones(2)),
                       np.sin(1.0) + np.cos(1.0) * np.ones(2))


def test_save_writes_a_numpy_module(tmp_path):
    fast = ad.stage(ad.value_and_grad(lambda x: np.sum(np.sqrt(x) * np.arange(3.0))))
    x = np.array([1.0, 4.0, 9.0])
    expected = fast(x)
    path = fast.save(tmp_path / "f_grad.py")
    text = path.read_text()
    assert "autodiff" not in text.split('"""')[-1]
    spec = importlib.util.spec_from_file_location("f_grad", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert_trees_close(getattr(module, fast.name)(x), expected)


def test_save_copies_autodiff_implementations(tmp_path):
    import autodiff.scipy.ndimage as adi

    def f(x):
        return np.sum(adi.gaussian_filter(x, 1.0) ** 2) + np.max(x) + np.linalg.norm(x)

    fast = ad.stage(ad.value_and_grad(f))
    x = np.random.default_rng(0).random((5, 6))
    expected = fast(x)
    path = fast.save(tmp_path / "g.py")
    spec = importlib.util.spec_from_file_location("g", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert "import autodiff" not in path.read_text()
    assert_trees_close(module.f(x), expected)
    with pytest.raises(module.GuardFailed):
        module.f(np.ones((4, 4)))


def test_save_refuses_closures(tmp_path):
    @ad.primitive
    def softplus(x):
        return np.logaddexp(0.0, x)

    ad.defvjp(softplus, lambda ans, x: lambda g: g / (1 + np.exp(-x)))
    fast = ad.stage(ad.value_and_grad(lambda x: np.sum(softplus(x))))
    assert_trees_close(fast(np.zeros(2))[1], 0.5 * np.ones(2))
    with pytest.raises(ad.StagingError, match="softplus"):
        fast.save(tmp_path / "g.py")


def test_in_place_arithmetic_never_writes_a_live_array():
    def f(x):
        t = x * 2.0
        v = np.reshape(t, (-1,))[::2]  # a view of t, alive after t's last arithmetic
        u = t + 1.0
        return np.sum(u * x) + np.sum(v * v) + np.sum(t)

    x = np.arange(6.0).reshape(2, 3)
    staged = ad.stage(ad.value_and_grad(f))
    for _ in range(2):
        assert_trees_close(staged(x), ad.value_and_grad(f)(x))
    assert "out=" in staged.source
    np.testing.assert_array_equal(x, np.arange(6.0).reshape(2, 3))


def test_vjp_closure_made_before_staging():
    out, vjp_fn = ad.vjp(lambda x: np.sin(x) * x, np.arange(3.0))

    @ad.stage(max_programs=2)
    def pullback(ct):
        return vjp_fn(ct)

    assert_trees_close(pullback(np.ones(3)), vjp_fn(np.ones(3)))
    assert_trees_close(pullback(np.arange(3.0)), vjp_fn(np.arange(3.0)))


def test_slice_cotangents_are_added_into_their_slice():
    # The interpreter adds the cotangent of x[1:] into a slice of x's adjoint; the
    # generated code does the same (no array of zeros) and gives the same gradient.
    def f(u):
        dx = u[1:, :] - u[:-1, :]
        dy = u[:, 1:] - u[:, :-1]
        return np.sum(dx * dx) + np.sum(np.sqrt(dy * dy + 1e-3)) + np.sum(u[2, 1:3] ** 3)

    u = np.random.default_rng(5).standard_normal((6, 5))
    staged = ad.stage(ad.grad(f))
    np.testing.assert_allclose(staged(u), ad.grad(f)(u), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(staged(u + 1.0), ad.grad(f)(u + 1.0), rtol=1e-13, atol=1e-14)
    # the first cotangent of u allocates its adjoint; the other slices are added into it
    assert staged.source.count("] += ") == 3
    assert staged.source.count("_scatter_add_impl(") == 2
