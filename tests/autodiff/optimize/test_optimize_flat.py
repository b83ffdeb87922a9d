"""Flat views of pytrees used by the solvers."""

import numpy as np
import pytest

from autodiff.optimize._flat import flatten, flatten_like, unflatten


def test_roundtrip_nested_structure_and_dtypes():
    tree = {"w": np.arange(6.0).reshape(2, 3), "b": [np.float64(1.5), (np.ones(2), 3.0)]}
    flat, treedef = flatten(tree)
    assert flat.shape == (10,) and flat.dtype == np.float64
    back = unflatten(treedef, flat)
    assert set(back) == {"w", "b"}
    np.testing.assert_array_equal(back["w"], tree["w"])
    assert isinstance(back["b"], list) and isinstance(back["b"][1], tuple)
    assert back["b"][0].shape == () and float(back["b"][1][1]) == 3.0


def test_flatten_copies_and_keeps_float32():
    x = np.ones(4, dtype=np.float32)
    flat, _ = flatten(x)
    flat[0] = 7.0
    assert x[0] == 1.0 and flat.dtype == np.float32


def test_integer_leaves_promote_to_float64():
    flat, _ = flatten([1, np.arange(3)])
    assert flat.dtype == np.float64 and flat.tolist() == [1.0, 0.0, 1.0, 2.0]


def test_flat_list_of_numbers_is_an_array_as_in_scipy():
    flat, treedef = flatten([1.3, 0.7, 2])
    back = unflatten(treedef, flat)
    assert isinstance(back, np.ndarray) and back.tolist() == [1.3, 0.7, 2.0]


def test_namedtuple_is_rebuilt():
    from collections import namedtuple

    Params = namedtuple("Params", "a b")
    flat, treedef = flatten(Params(np.zeros(2), 1.0))
    back = unflatten(treedef, flat + 1)
    assert isinstance(back, Params) and back.b == 2.0


def test_flatten_like_checks_structure():
    _, treedef = flatten({"a": np.zeros(2), "b": np.zeros(3)})
    ok = flatten_like(treedef, {"a": np.ones(2), "b": np.ones(3)}, np.float64)
    assert ok.shape == (5,)
    with pytest.raises(ValueError, match="structure"):
        flatten_like(treedef, {"a": np.ones(2), "c": np.ones(3)}, np.float64)
    with pytest.raises(ValueError, match="entries"):
        flatten_like(flatten(np.zeros(3))[1], np.zeros(4), np.float64)


def test_bad_leaf_is_a_clear_error():
    with pytest.raises(TypeError, match="leaf of type str"):
        flatten({"a": "text"})
    with pytest.raises(TypeError, match="complex"):
        flatten(np.ones(2, dtype=complex))
