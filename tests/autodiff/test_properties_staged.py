"""The property tests of ``test_properties.py`` again, with every transform staged.

Each transform the property tests call (``grad``, ``jvp``, ``jacfwd``, ``jacrev``,
``hessian``, ``hvp``) is replaced, for this module only, by its ``ad.stage``d version;
every staged result is compared with the unstaged one to 1e-12 before the property
itself is checked.
"""

from __future__ import annotations

import pathlib
import sys
import types

import numpy as np
import pytest

import autodiff as ad
from autodiff._pytree import tree_flatten

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import test_properties  # noqa: E402
from test_properties import (  # noqa: E402, F401  (collected again here, staged)
    test_batch_size_equal_to_a_dimension,
    test_binary_gradients_follow_broadcasting,
    test_hessian_is_symmetric_and_matches_differences,
    test_jacfwd_equals_jacrev_equals_numerical,
)


def _same(staged, plain):
    ls, ts = tree_flatten(staged)
    lp, tp = tree_flatten(plain)
    assert ts == tp
    for a, b in zip(ls, lp):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def _staged(transform):
    def make(f, *options, **kwoptions):
        plain = transform(f, *options, **kwoptions)
        staged = ad.stage(plain)

        def run(*args):
            out = staged(*args)
            _same(out, plain(*args))
            return out

        return run

    return make


def _staged_jvp(f, primals, tangents):
    out = ad.stage(lambda p, t: ad.jvp(f, p, t))(tuple(primals), tuple(tangents))
    _same(out, ad.jvp(f, primals, tangents))
    return out


STAGED_AD = types.SimpleNamespace(**{name: getattr(ad, name) for name in ad.__all__})
for _name in ("grad", "value_and_grad", "jacfwd", "jacrev", "hessian", "hvp"):
    setattr(STAGED_AD, _name, _staged(getattr(ad, _name)))
STAGED_AD.jvp = _staged_jvp


@pytest.fixture(autouse=True, scope="module")
def staged_transforms():
    original = test_properties.ad
    test_properties.ad = STAGED_AD
    yield
    test_properties.ad = original
