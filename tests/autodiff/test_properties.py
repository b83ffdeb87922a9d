"""Property tests: broadcasting of binary rules and batched forward tangents.

Binary operations are checked on random broadcast-compatible shape pairs: the
gradient of each operand has that operand's shape and equals both finite
differences and the elementwise partial derivative summed over the broadcast axes.

Batched tangents are checked by comparing ``jacfwd`` (all directions in one sweep,
batch size k = number of inputs), ``jacrev`` and a finite-difference Jacobian on
random shapes, deliberately including k equal to a dimension of another operand:
the trap where a lower-rank tangent broadcasts its batch axis against that
dimension and silently gives a wrong Jacobian.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import autodiff as ad

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, database=None)

# name -> (function, partial derivative in x, partial derivative in y)
BINARY = {
    "add": (np.add, lambda x, y: np.ones_like(x * y), lambda x, y: np.ones_like(x * y)),
    "subtract": (np.subtract, lambda x, y: np.ones_like(x * y), lambda x, y: -np.ones_like(x * y)),
    "multiply": (np.multiply, lambda x, y: y + 0 * x, lambda x, y: x + 0 * y),
    "divide": (np.divide, lambda x, y: 1 / y + 0 * x, lambda x, y: -x / y ** 2),
    "power": (np.power, lambda x, y: y * x ** (y - 1), lambda x, y: x ** y * np.log(x)),
    "maximum": (np.maximum, lambda x, y: (x > y) * 1.0, lambda x, y: (y > x) * 1.0),
    "hypot": (np.hypot, lambda x, y: x / np.hypot(x, y), lambda x, y: y / np.hypot(x, y)),
    "arctan2": (np.arctan2, lambda x, y: y / (x ** 2 + y ** 2),
                lambda x, y: -x / (x ** 2 + y ** 2)),
    "logaddexp": (np.logaddexp, lambda x, y: np.exp(x - np.logaddexp(x, y)),
                  lambda x, y: np.exp(y - np.logaddexp(x, y))),
}


def operands(draw_seed: int, shape_x, shape_y):
    """Positive operands away from ties (valid for every op in BINARY)."""
    rng = np.random.default_rng(draw_seed)
    x = rng.uniform(0.5, 2.0, shape_x)
    y = rng.uniform(0.5, 2.0, shape_y)
    # Make ties of maximum impossible: x values in [0.5, 2.0) at odd hundredths,
    # y values at even hundredths.
    x = np.round(x * 50) / 50 + 0.01
    y = np.round(y * 50) / 50
    return x, y


def sum_to_shape(a, shape):
    """Sum ``a`` over the axes along which an operand of ``shape`` was broadcast."""
    lead = a.ndim - len(shape)
    a = a.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and a.shape[i] != 1)
    return a.sum(axis=axes, keepdims=True).reshape(shape)


broadcast_pairs = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                min_side=1, max_side=3)


@pytest.mark.parametrize("op", sorted(BINARY))
@SETTINGS
@given(shapes=broadcast_pairs, seed=st.integers(0, 2**16))
def test_binary_gradients_follow_broadcasting(op, shapes, seed):
    (shape_x, shape_y), out_shape = shapes.input_shapes, shapes.result_shape
    f, dfdx, dfdy = BINARY[op]
    x, y = operands(seed, shape_x, shape_y)
    w = np.random.default_rng(seed + 1).standard_normal(out_shape)

    def loss(x, y):
        return np.sum(f(x, y) * w)

    gx, gy = ad.grad(loss, argnums=(0, 1))(x, y)
    assert np.shape(gx) == shape_x and np.shape(gy) == shape_y
    np.testing.assert_allclose(gx, sum_to_shape(w * dfdx(x, y), shape_x), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gy, sum_to_shape(w * dfdy(x, y), shape_y), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gx, ad.numerical.gradient(lambda x: loss(x, y), x),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gy, ad.numerical.gradient(lambda y: loss(x, y), y),
                               rtol=1e-5, atol=1e-6)
    # Forward mode agrees, one operand at a time and both at once.
    jx = ad.jacfwd(lambda x: f(x, y))(x)
    assert jx.shape == out_shape + shape_x
    np.testing.assert_allclose(np.tensordot(w, jx, axes=w.ndim) if w.ndim else w * jx, gx,
                               rtol=1e-10, atol=1e-12)
    _, tangent = ad.jvp(f, (x, y), (np.ones(shape_x), np.ones(shape_y)))
    np.testing.assert_allclose(tangent, np.broadcast_to(dfdx(x, y) + dfdy(x, y), out_shape),
                               rtol=1e-10, atol=1e-12)


# --- batched tangents ----------------------------------------------------------------
#: Functions of x, shape (n,), and a constant y, shape (m, n).  With jacfwd the batch
#: size is k = n, and the tests draw m == n often (the trap).
BATCHED = {
    "x * y": lambda x, y: x * y,
    "y * x": lambda x, y: y * x,
    "sin(x) * y": lambda x, y: np.sin(x) * y,
    "x + y": lambda x, y: x + y,
    "y / x": lambda x, y: y / x,
    "maximum(x, y)": lambda x, y: np.maximum(x, y + 0.005),
    "where(y > 0, x, -x)": lambda x, y: np.where(y > 0, x, -x),
    "y @ x": lambda x, y: y @ x,
    "x @ y.T": lambda x, y: x @ y.T,
    "x[None, :] * y": lambda x, y: x[None, :] * y,
    "x[:, None] * y.T": lambda x, y: x[:, None] * y.T,
    "outer(x, x) @ y.T": lambda x, y: np.outer(x, x) @ y.T,
    "einsum(ij,j->ij)": lambda x, y: np.einsum("ij,j->ij", y, x),
    "broadcast_to(x, y.shape)": lambda x, y: np.broadcast_to(x, y.shape) * y,
    "sum(x * y, axis=0)": lambda x, y: np.sum(x * y, axis=0),
    "max(x * y, axis=1)": lambda x, y: np.max(x * y + 0.001 * np.arange(y.size).reshape(y.shape),
                                              axis=1),
    "cumsum(x * y, axis=1)": lambda x, y: np.cumsum(x * y, axis=1),
    "concatenate([x, y.ravel()]) * 2": lambda x, y: np.concatenate([x, np.ravel(x * y)]),
    "stack([x] * m) + y": lambda x, y: np.stack([x] * y.shape[0]) + y,
    "pad(x * y)": lambda x, y: np.pad(x * y, 1),
    "tile(x, (m, 1)) * y": lambda x, y: np.tile(x, (y.shape[0], 1)) * y,
    "(x * y)[::-1, [0, -1]]": lambda x, y: (x * y)[::-1][:, [0, -1]],
    "(x * y).T @ y": lambda x, y: (x * y).T @ y,
    "x * y reshaped": lambda x, y: np.reshape(x * y, (-1,)),
    "logsumexp(x * y, axis=0)": lambda x, y: ad.scipy.special.logsumexp(x * y, axis=0),
    "norm(x * y, axis=1)": lambda x, y: np.linalg.norm(x * y, axis=1),
    "solve(I * 3 + y.T y, x)": lambda x, y: np.linalg.solve(3 * np.eye(x.size) + y.T @ y, x),
    "solve(3 I + I * x, y.T)": lambda x, y: np.linalg.solve(3 * np.eye(x.size) + np.eye(x.size)
                                                            * x, y.T),
    "inv(3 I + outer(x, x))": lambda x, y: np.linalg.inv(3 * np.eye(x.size) + np.outer(x, x)),
    "det(3 I + y.T (x * y))": lambda x, y: np.linalg.det(3 * np.eye(x.size) + y.T @ (x * y)),
    "cholesky(I + outer(x, x))": lambda x, y: np.linalg.cholesky(np.eye(x.size)
                                                                  + np.outer(x, x)),
    "index_add(y, 0, x)": lambda x, y: ad.numpy.index_add(y, 0, x),
    "clip(x * y)": lambda x, y: np.clip(x * y, -0.3, 0.3 + 1e-3 * np.arange(y.size).reshape(
        y.shape)),
    "sort(x * y, axis=0)": lambda x, y: np.sort(x * y + 1e-3 * np.arange(y.size).reshape(y.shape),
                                                axis=0),
    "roll(x * y, 1, axis=0)": lambda x, y: np.roll(x * y, 1, axis=0),
    "prod(x * y + 2, axis=0)": lambda x, y: np.prod(x * y + 2.0, axis=0),
    "var(x * y, axis=1)": lambda x, y: np.var(x * y, axis=1),
    "sparse @ (x * y).T": lambda x, y: _sparse(3, x.size) @ (x * y).T,
    "x * (sparse.T @ y)": lambda x, y: x * (_sparse(y.shape[0], 2).T @ y),
    "einsum(...j,...j->...)": lambda x, y: np.einsum("...j,...j->...", y, x),
    "x[None] * y[:, ::-1]": lambda x, y: x[None] * y[:, ::-1],
    "y[:, [0, 0]] * x[0]": lambda x, y: y[:, [0, 0]] * x[0],
    "sum(x) * y": lambda x, y: np.sum(x) * y,
    "x.reshape(1, -1) + y": lambda x, y: x.reshape(1, -1) + y,
}


def _sparse(rows: int, cols: int):
    """A fixed CSR matrix of shape (rows, cols)."""
    dense = np.cos(np.arange(rows * cols).reshape(rows, cols)) * (np.arange(rows * cols)
                                                                   .reshape(rows, cols) % 3 != 0)
    return scipy.sparse.csr_matrix(dense)


@pytest.mark.parametrize("name", sorted(BATCHED))
@SETTINGS
@given(n=st.integers(1, 4), extra=st.integers(0, 2), same=st.booleans(),
       seed=st.integers(0, 2**16))
def test_jacfwd_equals_jacrev_equals_numerical(name, n, extra, same, seed):
    m = n if same else n + extra  # m == n: the batch size k = n equals a dimension of y
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 1.5, n) * rng.choice([-1.0, 1.0], n)
    y = rng.standard_normal((m, n))
    f = lambda x: BATCHED[name](x, y)  # noqa: E731
    out_shape = np.shape(f(x))
    jf = ad.jacfwd(f)(x)
    jr = ad.jacrev(f)(x)
    jn = ad.numerical.jacobian(f, x)
    assert jf.shape == jr.shape == out_shape + (n,)
    np.testing.assert_allclose(jf, jr, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(jf, jn, rtol=1e-5, atol=1e-6)


@SETTINGS
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple),
       seed=st.integers(0, 2**16))
def test_hessian_is_symmetric_and_matches_differences(shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 1.5, shape)
    c = rng.standard_normal(shape)

    def f(x):
        return np.sum(np.sin(x) * c * x) + np.sum(x) ** 2 + np.prod(x)

    h = ad.hessian(f)(x)
    assert h.shape == shape + shape
    n = x.size
    flat = h.reshape(n, n)
    np.testing.assert_allclose(flat, flat.T, rtol=1e-10, atol=1e-12)
    numeric = ad.numerical.jacobian(ad.grad(f), x).reshape(n, n)
    np.testing.assert_allclose(flat, numeric, rtol=1e-5, atol=1e-6)
    v = rng.standard_normal(shape)
    np.testing.assert_allclose(ad.hvp(f)(x, v), (flat @ v.ravel()).reshape(shape),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(BATCHED))
def test_batch_size_equal_to_a_dimension(name):
    # The deterministic version of the trap: x (3,), y (3, 3), jacfwd pushes k = 3.
    x = np.array([0.7, -1.1, 1.3])
    y = np.array([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3], [-0.8, 0.9, 0.4]])
    f = lambda x: BATCHED[name](x, y)  # noqa: E731
    np.testing.assert_allclose(ad.jacfwd(f)(x), ad.numerical.jacobian(f, x), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(ad.jacfwd(f)(x), ad.jacrev(f)(x), rtol=1e-10, atol=1e-12)
