"""tqdm is optional: imported only for progress=True, with an error that says what to do."""

import sys

import numpy as np
import pytest

from autodiff.optimize import minimize


def quadratic(x):
    return np.sum((x - 1.0) ** 2)


@pytest.fixture
def without_tqdm(monkeypatch):
    # A None entry in sys.modules makes `import tqdm` raise ImportError.
    for name in [m for m in sys.modules if m == "tqdm" or m.startswith("tqdm.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)


@pytest.mark.parametrize("method", ["lbfgs", "L-BFGS-B"])
def test_no_progress_bar_needs_no_tqdm(without_tqdm, method):
    res = minimize(quadratic, np.zeros(3), method=method)
    assert res.success
    np.testing.assert_allclose(res.x, 1.0, atol=1e-5)


@pytest.mark.parametrize("method", ["lbfgs", "L-BFGS-B"])
def test_progress_without_tqdm_says_what_to_install(without_tqdm, method):
    with pytest.raises(ImportError, match=r"progress=True needs tqdm.*pip install"):
        minimize(quadratic, np.zeros(3), method=method, progress=True)


def test_progress_bar_with_tqdm(capsys):
    pytest.importorskip("tqdm")
    res = minimize(quadratic, np.zeros(3), method="lbfgs", progress=True)
    assert res.success
