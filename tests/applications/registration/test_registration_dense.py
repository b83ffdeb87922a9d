"""Dense displacement registration (L-BFGS on reverse-mode gradients)."""

import numpy as np
import pytest
import scipy.ndimage as ndi
from skimage.registration import optical_flow_ilk

from applications.registration import register
from applications.registration._sample import end_point_error, sample_pair

# these tests cap the iteration budgets on purpose (speed): levels that end on their
# budget are reported by a ConvergenceWarning, tested in test_registration_driver.py
pytestmark = pytest.mark.filterwarnings(
    "ignore::applications.registration.ConvergenceWarning")


@pytest.fixture(scope="module")
def smooth_pair():
    return sample_pair("displacement", size=96, noise=0.005, seed=2)


def test_recovers_smooth_field_better_than_lucas_kanade(smooth_pair):
    pair = smooth_pair
    start = end_point_error(np.zeros_like(pair.flow), pair.flow)
    res = register(pair.fixed, pair.moving, transform="displacement", max_iter=60)
    ours = end_point_error(res.flow, pair.flow)
    ilk = end_point_error(optical_flow_ilk(pair.fixed, pair.moving), pair.flow)
    assert ours < start / 3
    assert ours < ilk
    assert res.matrix is None and res.params is None
    assert res.flow.shape == (2, 96, 96)
    # the warped moving image matches the fixed one better than the raw moving image
    inner = (slice(8, -8),) * 2
    assert np.mean((res.warped - pair.fixed)[inner] ** 2) < 0.2 * np.mean(
        (pair.moving - pair.fixed)[inner] ** 2)


def test_constant_shift_is_recovered():
    rng = np.random.default_rng(3)
    fixed = ndi.gaussian_filter(rng.standard_normal((80, 80)), 2.0)
    fixed = (fixed - fixed.min()) / np.ptp(fixed)
    shift = np.array([1.3, -0.7])
    moving = ndi.shift(fixed, shift, order=3, mode="nearest")
    res = register(fixed, moving, transform="displacement", max_iter=60)
    assert end_point_error(res.flow, np.broadcast_to(shift[:, None, None], res.flow.shape),
                           margin=4) < 0.03


def test_diffusion_regularizer_and_scipy_lbfgs(smooth_pair):
    pair = smooth_pair
    start = end_point_error(np.zeros_like(pair.flow), pair.flow)
    res = register(pair.fixed, pair.moving, transform="displacement", regularizer="diffusion",
                   alpha=3e-4, method="L-BFGS-B", max_iter=40)
    assert end_point_error(res.flow, pair.flow) < start / 3


def test_stronger_smoothness_gives_smoother_field(smooth_pair):
    pair = smooth_pair

    def roughness(flow):
        return sum(np.sum(np.diff(flow, n=2, axis=a) ** 2) for a in (1, 2))

    weak = register(pair.fixed, pair.moving, transform="displacement", alpha=1e-4,
                    max_iter=30, levels=2)
    strong = register(pair.fixed, pair.moving, transform="displacement", alpha=1e-1,
                      max_iter=30, levels=2)
    assert roughness(strong.flow) < roughness(weak.flow)


def test_dense_callback_stops(smooth_pair):
    pair = smooth_pair
    calls = []

    def callback(info):
        calls.append(info.level)
        raise StopIteration

    res = register(pair.fixed, pair.moving, transform="displacement", callback=callback)
    assert len(calls) == 1 and not res.success
    assert res.flow.shape == (2, 96, 96)


def test_three_d_displacement():
    rng = np.random.default_rng(0)
    vol = ndi.gaussian_filter(rng.standard_normal((20, 22, 21)), 2.0)
    shift = np.array([0.8, -0.5, 0.4])
    moving = ndi.shift(vol, shift, order=3, mode="nearest")
    res = register(vol, moving, transform="displacement", levels=2, max_iter=30)
    err = np.sqrt(np.sum((res.flow - shift[:, None, None, None]) ** 2, axis=0))
    assert res.flow.shape == (3, 20, 22, 21)
    assert err[3:-3, 3:-3, 3:-3].mean() < 0.05


@pytest.mark.parametrize("regularizer", ["diffusion", "curvature"])
@pytest.mark.parametrize("shape", [(9, 11), (5, 6, 7)])
def test_smoothness_operator_is_the_gradient_of_the_regulariser(regularizer, shape):
    import autodiff as ad
    from applications.registration._dense import REGULARIZERS, _Smoothness

    rng = np.random.default_rng(1)
    u, v = rng.standard_normal((2, len(shape)) + shape)
    op = _Smoothness(shape, regularizer)
    energy = REGULARIZERS[regularizer]
    assert np.isclose(op.energy(u), energy(u))
    assert np.allclose(op.apply(u), 0.5 * ad.grad(energy)(u))
    # the preconditioner's diagonal is the operator's: e_i . L e_i
    flat = np.zeros((1,) + shape)
    for index in [(0,) * len(shape), tuple(n // 2 for n in shape), tuple(n - 2 for n in shape)]:
        flat[(0,) + index] = 1.0
        assert np.isclose(op.apply(flat)[(0,) + index], op.diagonal[index])
        flat[(0,) + index] = 0.0
    assert np.isclose(np.vdot(op.apply(u), v), np.vdot(u, op.apply(v)))  # symmetric


def test_gauss_newton_reaches_the_lbfgs_energy_in_few_iterations(smooth_pair):
    pair = smooth_pair
    gn = register(pair.fixed, pair.moving, transform="displacement", levels=1, rtol=1e-6,
                  max_iter=40)
    lbfgs = register(pair.fixed, pair.moving, transform="displacement", method="lbfgs",
                     levels=1, rtol=1e-6, max_iter=300)
    assert gn.success and gn.history[0]["stop_reason"] == "converged"
    assert gn.history[0]["iterations"] < 40
    assert gn.history[0]["cost"] <= lbfgs.history[0]["cost"] * (1 + 1e-3)


def test_gauss_newton_needs_ssd(smooth_pair):
    with pytest.raises(ValueError, match="needs metric 'ssd'"):
        register(smooth_pair.fixed, smooth_pair.moving, transform="displacement",
                 metric="ncc", method="gauss-newton")
