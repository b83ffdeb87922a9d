"""The coarse-to-fine driver: honest verdicts, per-level reports, max_size, entry points."""

import numpy as np
import pytest
import scipy.ndimage as ndi

from applications.registration import (
    ConvergenceWarning,
    register,
    register_dense,
    register_parametric,
    sample_pair,
)
from applications.registration._parametric import _damped_step


@pytest.fixture(scope="module")
def affine_pair():
    return sample_pair("affine", size=64, noise=0.005)


def test_budget_exhaustion_is_reported(affine_pair):
    pair = affine_pair
    with pytest.warns(ConvergenceWarning, match=r"levels 2, 1, 0"):
        res = register(pair.fixed, pair.moving, transform="affine", levels=3, max_iter=1)
    assert not res.success
    assert "budget" in res.message and "2, 1, 0" in res.message
    assert [h["stop_reason"] for h in res.history] == ["budget"] * 3


def test_converged_run_says_why_on_every_level(affine_pair):
    pair = affine_pair
    seen = []
    res = register(pair.fixed, pair.moving, transform="affine", level_callback=seen.append)
    assert res.success and res.message == "converged on every level"
    assert seen == res.history
    assert [h["level"] for h in seen] == sorted((h["level"] for h in seen), reverse=True)
    assert all(h["stop_reason"] in ("converged", "stalled") for h in seen)
    assert all(h["iterations"] <= 30 for h in seen)


def test_warn_false_keeps_the_verdict(affine_pair):
    import warnings

    pair = affine_pair
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = register(pair.fixed, pair.moving, levels=2, max_iter=1, warn=False)
    assert not res.success


def test_max_size_skips_fine_levels():
    pair = sample_pair("affine", size=128, noise=0.005)
    res = register(pair.fixed, pair.moving, transform="affine", max_size=64)
    assert min(h["level"] for h in res.history) == 1
    assert all(max(h["shape"]) <= 64 for h in res.history)
    assert res.flow.shape == (2, 128, 128)
    err = np.mean(np.sqrt(np.sum((res.flow - pair.flow) ** 2, axis=0)))
    assert err < 0.1
    dense = register(pair.fixed, pair.moving, transform="displacement", max_size=64,
                     max_iter=40, warn=False)
    assert min(h["level"] for h in dense.history) == 1
    assert dense.flow.shape == (2, 128, 128)
    with pytest.raises(ValueError, match="max_size must be"):
        register(pair.fixed, pair.moving, max_size=4)


def test_front_door_matches_the_entry_points(affine_pair):
    pair = affine_pair
    a = register(pair.fixed, pair.moving, transform="similarity")
    b = register_parametric(pair.fixed, pair.moving, transform="similarity")
    assert np.array_equal(a.params, b.params)
    c = register(pair.fixed, pair.moving, transform="displacement", max_iter=20, warn=False)
    d = register_dense(pair.fixed, pair.moving, max_iter=20, warn=False)
    assert np.array_equal(c.flow, d.flow)
    with pytest.raises(ValueError, match="register_dense"):
        register_parametric(pair.fixed, pair.moving, transform="displacement")


def test_progress_bar_counts_levels(affine_pair, capsys):
    pair = affine_pair
    res = register(pair.fixed, pair.moving, transform="translation", progress=True)
    assert res.success
    err = capsys.readouterr().err
    n = len(res.history)
    assert f"{n}/{n}" in err and "level" in err


def test_normal_equations_and_least_squares_agree():
    rng = np.random.default_rng(0)
    jac = rng.standard_normal((200, 6))
    r = rng.standard_normal(200)
    a, g = jac.T @ jac, jac.T @ r
    step = _damped_step(a, g, jac, r, 1e-3)
    aug = np.vstack([jac, np.diag(np.sqrt(1e-3 * np.diag(a)))])
    expected = np.linalg.lstsq(aug, np.concatenate([-r, np.zeros(6)]), rcond=None)[0]
    assert np.allclose(step, expected)
    # rank-deficient Jacobian: falls back to least squares, stays finite
    jac[:, 5] = jac[:, 4]
    a, g = jac.T @ jac, jac.T @ r
    assert np.all(np.isfinite(_damped_step(a, g, jac, r, 0.0)))


def test_three_d_affine_volume():
    rng = np.random.default_rng(4)
    vol = ndi.gaussian_filter(rng.standard_normal((32, 34, 30)), 2.5)
    shift = np.array([1.2, -0.7, 0.9])
    moving = ndi.shift(vol, shift, order=3, mode="nearest")
    res = register(vol, moving, transform="affine")
    assert res.success
    assert np.allclose(res.matrix[:3, 3], shift, atol=0.03)
