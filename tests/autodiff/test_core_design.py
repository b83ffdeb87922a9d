"""The second core design: one registry, layered imports, linearize, and the bugs that
the first design had (each test here failed on it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse

import autodiff as ad
import autodiff.numpy as anp
from autodiff import _registry

ROOT = Path(__file__).resolve().parents[2]

# Leaf to root: each module may import only modules listed before it.
LAYERS = [
    "autodiff._shapes", "autodiff._debug", "autodiff._pytree", "autodiff._tracer",
    "autodiff._registry", "autodiff._forward", "autodiff._reverse",
    "autodiff.numpy._elementwise", "autodiff.numpy._reductions", "autodiff.numpy._shape",
    "autodiff.numpy._indexing", "autodiff.numpy._products", "autodiff.numpy.linalg",
    "autodiff.numpy._constants", "autodiff.numpy", "autodiff.scipy.sparse",
    "autodiff.scipy.special", "autodiff.scipy", "autodiff._arguments",
    "autodiff._reverse_transforms", "autodiff._forward_transforms", "autodiff._checkpoint",
    "autodiff._trace_table", "autodiff.numerical", "autodiff", "autodiff.scipy.ndimage",
    "autodiff.optimize",
]


def _module_imports(name: str) -> set[str]:
    """autodiff modules imported at the top level of module ``name`` (statically)."""
    import ast

    parts = name.split(".")
    path = ROOT.joinpath(*parts)
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    package = parts if path.name == "__init__.py" else parts[:-1]
    found = set()
    for node in ast.parse(path.read_text()).body:  # top level only
        if isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            submodules = [f"{module}.{a.name}" for a in node.names]
            candidates = submodules if set(submodules) & set(LAYERS) else [module]
        elif isinstance(node, ast.Import):
            candidates = [a.name for a in node.names]
        else:
            continue
        found |= {c for c in candidates if c in LAYERS}
    return found - {name}


def test_imports_point_one_way():
    """Every core module imports only modules of lower layers (leaf to root)."""
    for i, name in enumerate(LAYERS):
        upward = sorted(_module_imports(name) & set(LAYERS[i + 1:]))
        assert not upward, f"{name} imports the higher layer(s) {upward}"


def test_every_module_imports_in_a_fresh_interpreter_leaf_to_root():
    script = f"import importlib\nfor name in {LAYERS!r}:\n    importlib.import_module(name)\n"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_core_never_imports_applications_or_optimize():
    script = ("import sys, autodiff, autodiff.scipy.ndimage; "
              "bad = [m for m in sys.modules if m.startswith(('applications', "
              "'autodiff.optimize', 'sklearn', 'skimage', 'matplotlib'))]; "
              "raise SystemExit(str(bad) if bad else 0)")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_bytecode_inspection_in_the_core():
    for path in (ROOT / "autodiff").rglob("*.py"):
        text = path.read_text()
        assert "import dis" not in text and "dis.get_instructions" not in text, path


# --- the registry --------------------------------------------------------------------
def test_namespace_is_built_from_the_registry():
    for name in ("sum", "sin", "abs", "amax", "moveaxis", "einsum", "where", "clip", "diff"):
        impl = getattr(anp, name)
        np_fn = getattr(np, name)
        assert impl is (_registry.HANDLED_FUNCTIONS.get(np_fn) or
                        _registry.HANDLED_UFUNCS.get(np_fn)), name
    assert anp.linalg.norm is _registry.HANDLED_FUNCTIONS[np.linalg.norm]


def test_methods_and_operators_come_from_the_registry():
    x = np.array([1.0, 2.0])
    _, vjp_fn = ad.vjp(lambda x: x.sum() + x.mean() + (x @ x) + (2.0 ** x).max(), x)
    np.testing.assert_allclose(vjp_fn(1.0)[0], 1 + 0.5 + 2 * x
                               + np.array([0.0, 4.0 * np.log(2.0)]))
    for name in ("sum", "mean", "__add__", "__getitem__", "reshape", "astype"):
        assert name in _registry.METHODS


def test_every_registered_primitive_has_both_rules():
    import autodiff.scipy.ndimage  # noqa: F401

    for name, prim in _registry.PRIMITIVES.items():
        assert prim.vjp is not None and prim.jvp is not None, name


def test_unsupported_function_names_itself():
    with pytest.raises(ad.UnsupportedFunctionError, match=r"numpy\.linalg\.eigvals"):
        ad.grad(lambda a: np.sum(np.linalg.eigvals(a)))(np.eye(2))


# --- bugs of the first design ----------------------------------------------------------
def test_complex_inputs_and_intermediates_are_refused_not_wrong():
    with pytest.raises(TypeError, match="complex"):
        ad.grad(lambda z: np.real(np.sum(z * z)))(np.array([1 + 2j]))
    with pytest.raises(TypeError, match="complex"):
        ad.grad(lambda x: np.real(np.sum(x * (1 + 1j))))(np.array([1.0]))
    with pytest.raises(TypeError, match="complex"):
        ad.jvp(lambda x: np.linalg.norm(x * 1j), (np.ones(2),), (np.ones(2),))


X = scipy.sparse.random(4, 3, density=0.6, format="csr", random_state=0)
D = X.toarray()


@pytest.mark.parametrize("f, dense", [
    (lambda w: np.sum(np.sin(X @ w)), lambda w: np.sum(np.sin(D @ w))),
    (lambda w: np.sum(np.sin(X.dot(w))), lambda w: np.sum(np.sin(D @ w))),
    (lambda w: np.sum(np.sin(np.dot(X, w))), lambda w: np.sum(np.sin(D @ w))),
    (lambda w: np.sum(np.sin(X.T @ (X @ w))), lambda w: np.sum(np.sin(D.T @ (D @ w)))),
    (lambda w: np.sum(np.sin((X @ w) @ X)), lambda w: np.sum(np.sin((D @ w) @ D))),
])
def test_constant_sparse_products(f, dense):
    w = np.array([0.3, -1.0, 2.0])
    np.testing.assert_allclose(ad.grad(f)(w), ad.grad(dense)(w), rtol=1e-12)
    np.testing.assert_allclose(ad.hvp(f)(w, w), ad.hvp(dense)(w, w), rtol=1e-12)


def test_other_sparse_methods_on_a_tracer_give_a_clear_error():
    with pytest.raises(TypeError, match="only the products X @ w"):
        ad.vjp(lambda w: X.multiply(w), np.ones(3))


def test_sparse_matmul_is_unchanged_for_plain_arrays():
    np.testing.assert_allclose(X @ np.ones(3), D @ np.ones(3))
    assert (X @ X.T).shape == (4, 4)


def test_ndarray_method_with_a_traced_argument_names_the_method():
    A = np.arange(6.0).reshape(2, 3)
    with pytest.raises(TypeError, match=r"X\.dot\(w\).*X @ w"):
        ad.grad(lambda w: np.sum(A.dot(w)))(np.ones(3))


def test_std_of_a_constant_has_derivative_zero():
    np.testing.assert_array_equal(ad.grad(np.std)(np.array([3.5])), [0.0])
    np.testing.assert_array_equal(ad.grad(np.std)(np.array([2.0, 2.0])), [0.0, 0.0])
    ad.check_grads(np.std, (np.array([1.0, 2.0, 4.0]),), order=2)


def test_jacobians_of_several_arguments_nest_like_jax():
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])

    def f(x, y):
        return x * y[0], np.sum(y) * x[:1]

    forward = ad.jacfwd(f, argnums=(0, 1))(x, y)
    reverse = ad.jacrev(f, argnums=(0, 1))(x, y)
    assert isinstance(forward, tuple) and len(forward) == 2  # one entry per output
    for out_f, out_r, out in zip(forward, reverse, f(x, y)):
        assert isinstance(out_f, tuple) and len(out_f) == 2  # one entry per argument
        for jf, jr, arg in zip(out_f, out_r, (x, y)):
            assert jf.shape == out.shape + arg.shape
            np.testing.assert_allclose(jf, jr)
    hess = ad.hessian(lambda x, y: np.sum(x ** 2) * np.sum(y ** 3), argnums=(0, 1))(x, y)
    assert [[h.shape for h in row] for row in hess] == [[(2, 2), (2, 3)], [(3, 2), (3, 3)]]
    np.testing.assert_allclose(hess[0][1], hess[1][0].T)


def test_float32_stays_float32_in_forward_mode():
    x = np.linspace(0.5, 1.5, 3).astype(np.float32)
    assert ad.jvp(np.log2, (x,), (x,))[1].dtype == np.float32
    assert ad.jacfwd(lambda x: np.log2(x) * 2.0)(x).dtype == np.float32
    assert ad.hvp(lambda x: np.sum(np.log2(x)) * np.float64(2.0))(x, x).dtype == np.float32
    assert ad.hessian(lambda x: np.sum(np.log2(x)))(x).dtype == np.float32


def test_moveaxis_keeps_the_source_order():
    a = np.arange(6.0).reshape(2, 3)
    out, tangent = ad.jvp(lambda a: np.moveaxis(a, [1, 0], [0, 1]), (a,), (a,))
    np.testing.assert_array_equal(out, np.moveaxis(a, [1, 0], [0, 1]))
    b = np.arange(24.0).reshape(2, 3, 4)
    out, _ = ad.jvp(lambda b: np.moveaxis(b, [2, 0], [0, 1]), (b,), (b,))
    np.testing.assert_array_equal(out, np.moveaxis(b, [2, 0], [0, 1]))


@pytest.mark.parametrize("axes", [(0, 1), (1, 0), (2, 0), (0, 2), (2, 1)])
def test_trace_and_diagonal_with_any_axis_order(axes):
    b = np.arange(24.0).reshape(2, 3, 4) / 10
    for fn in (np.trace, np.diagonal):
        f = lambda b: fn(b, axis1=axes[0], axis2=axes[1])  # noqa: E731
        np.testing.assert_allclose(ad.jvp(f, (b,), (b,))[0], f(b))
        ad.check_grads(f, (b,), order=1)


@pytest.mark.parametrize("spec, shapes", [
    ("ij,ij->ij", [(3, 1), (1, 4)]),
    ("ij,jk->ik", [(3, 1), (4, 2)]),
    ("...j,...j->...", [(2, 1, 3), (4, 3)]),
    ("i,i->", [(1,), (3,)]),
])
def test_einsum_with_broadcasting_operands(spec, shapes):
    rng = np.random.default_rng(1)
    args = [rng.standard_normal(s) for s in shapes]
    f = lambda *a: np.einsum(spec, *a)  # noqa: E731
    grads = ad.grad(lambda *a: np.sum(f(*a) ** 2), argnums=tuple(range(len(args))))(*args)
    for g, a in zip(grads, args):
        assert g.shape == a.shape
    ad.check_grads(f, args, order=2)


def test_clip_with_crossed_bounds_sends_the_derivative_to_the_upper_bound():
    x = np.array([0.0, 5.0, 10.0])
    # NumPy returns a_max everywhere when a_min > a_max.
    assert ad.grad(lambda lo: np.sum(np.clip(x, lo, 2.0)))(3.0) == 0.0
    assert ad.grad(lambda hi: np.sum(np.clip(x, 3.0, hi)))(2.0) == 3.0
    ad.check_grads(lambda x, lo, hi: np.clip(x, lo, hi), (x + 0.3, 1.7, 7.1), order=2)


def test_out_of_range_axes_raise_like_numpy():
    with pytest.raises(np.exceptions.AxisError):
        ad.grad(lambda x: np.sum(np.sum(x, axis=1)))(np.ones(3))
    with pytest.raises(np.exceptions.AxisError):
        ad.grad(lambda x: np.sum(np.cumsum(x, axis=-2)))(np.ones(3))
    with pytest.raises(np.exceptions.AxisError):
        ad.grad(lambda x: np.sum(np.moveaxis(x, 2, 0)))(np.ones((2, 2)))


def test_norm_order_zero_counts_nonzeros_with_derivative_zero():
    x = np.array([1.0, 0.0, 2.0])
    assert ad.jvp(lambda x: np.linalg.norm(x, ord=0), (x,), (x,)) == (2.0, 0.0)
    np.testing.assert_array_equal(ad.grad(lambda x: np.linalg.norm(x, ord=0))(x), 0.0)


def test_det_derivative_at_a_singular_matrix_is_the_adjugate():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    np.testing.assert_allclose(ad.grad(np.linalg.det)(a), [[4.0, -2.0], [-2.0, 1.0]],
                               atol=1e-12)
    _, tangent = ad.jvp(np.linalg.det, (a,), (np.eye(2),))
    assert abs(tangent - 5.0) < 1e-12  # tr(adj(A)) = 4 + 1


def test_trace_table_works_for_concatenate_and_broadcasting():
    def f(a, b):
        return np.sum(np.concatenate([a, b]) ** 2)

    t = ad.trace(f, np.ones(2), np.full(3, 2.0))
    reverse = str(t.reverse())
    assert "x_1_bar" in reverse and "x_2_bar" in reverse
    t = ad.trace(lambda a, b: np.sum(a * b), np.ones((2, 3)), np.arange(3.0))
    forward = str(t.forward([np.ones((2, 3)), np.ones(3)]))
    assert "y'" in forward and "array(2, 3)" in forward


def test_checkpoint_evaluates_f_twice_for_one_gradient():
    calls = []

    def f(a, b, c):
        calls.append(1)
        return a * b + c

    step = ad.checkpoint(f)
    grads = ad.grad(lambda a, b, c: np.sum(step(a, b, c)), argnums=(0, 1, 2))(
        np.ones(2), np.full(2, 3.0), np.ones(2))
    assert len(calls) == 2  # the recorded evaluation and one re-evaluation for all three
    np.testing.assert_allclose(grads[0], 3.0)
    np.testing.assert_allclose(grads[1], 1.0)


# --- linearize -----------------------------------------------------------------------
def test_linearize_replays_tangents_without_evaluating_again():
    calls = []

    def f(x):
        calls.append(1)
        return np.sin(x) * np.sum(x ** 2)

    x = np.array([0.3, -1.2, 2.0])
    y, f_jvp = ad.linearize(f, x)
    assert len(calls) == 1
    for v in np.eye(3):
        np.testing.assert_allclose(f_jvp(v), ad.jvp(f, (x,), (v,))[1], rtol=1e-13)
    assert len(calls) == 1 + 3  # only the ad.jvp comparisons evaluated f
    np.testing.assert_allclose(y, f(x))


def test_linearize_of_a_gradient_gives_hessian_vector_products():
    rosen = lambda x: np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)  # noqa
    x = np.array([0.5, -0.3, 1.2, 0.8])
    _, hvp_at_x = ad.linearize(ad.grad(rosen), x)
    hessian = ad.hessian(rosen)(x)
    for v in np.eye(4):
        np.testing.assert_allclose(hvp_at_x(v), hessian @ v, rtol=1e-12)


def test_linearize_with_pytrees_and_constant_outputs():
    params = {"w": np.array([1.0, 2.0]), "b": np.array(0.5)}
    out, f_jvp = ad.linearize(lambda p: (p["w"] * p["b"], np.ones(2)), params)
    tangent = f_jvp({"w": np.array([1.0, 0.0]), "b": np.array(1.0)})
    np.testing.assert_allclose(tangent[0], [0.5 + 1.0, 2.0])
    np.testing.assert_array_equal(tangent[1], 0.0)


def test_readme_coverage_table_is_generated_from_the_registry():
    from autodiff import coverage

    text = (ROOT / "README.md").read_text()
    start, end = text.index(coverage.START), text.index(coverage.END)
    assert text[start + len(coverage.START):end].strip() == coverage.coverage_table().strip(), (
        "README's coverage table is stale: run python -m autodiff.coverage --write README.md")


def test_trace_table_observes_einsum_and_indexing():
    a, b = np.ones((3, 2)), np.arange(2.0)
    t = ad.trace(lambda a, b: np.sum(np.einsum("ij,j->i", a, b)[1:] ** 2), a, b)
    assert "einsum(v_-1, v_0)" in str(t) and "getitem(v_1)" in str(t)
    forward = str(t.forward([np.ones((3, 2)), np.ones(2)]))
    assert forward.splitlines()[-1].endswith("= 12")  # d/ds f(a + s, b + s) at s = 0
    reverse = str(t.reverse()).splitlines()
    assert reverse[-1].startswith("x_2_bar") and reverse[-1].endswith("array(2,) (min 4, max 4)")
