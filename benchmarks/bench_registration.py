"""Registration benchmark: accuracy and time against scikit-image, measured in one run.

Every ratio compares timings taken in this same run (the machine may be shared).

1. interpolation kernel: value and coordinate gradient of a cubic B-spline at every
   pixel of the 500x741 stereo image, the compiled kernel (``_interp``) against the
   NumPy one of ``autodiff.scipy.ndimage.map_coordinates`` (reverse mode);
2. stereo pair (``stereo_motorcycle``, grey): dense displacement against
   ``optical_flow_tvl1`` (target time <= 1.5x) and ``optical_flow_ilk`` (target:
   lower end-point error against the ground-truth disparity);
3. sub-pixel translation: spline-shifted, cropped, noisy camera 384^2, five shifts;
   against ``phase_cross_correlation(upsample_factor=100)`` (target: time <= 10x,
   error <= 1/10);
4. affine 512^2 (rotation, scale, shear, translation) with noise: end-point error
   (target < 0.01 px), time against ``optical_flow_ilk`` on the same pair (target
   <= 0.5x); inverted contrast with mutual information;
5. 3-D affine 128^3: time per voxel against the 2-D 512^2 affine (target <= 2x);
6. non-rigid: the constant 1.3/-0.7 px shift of ANCHORS.md and a smooth field,
   against both optical flows.

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_registration.py`` (about two
minutes on 2 cores).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import scipy.ndimage as ndi  # noqa: E402
from skimage import data  # noqa: E402
from skimage.color import rgb2gray  # noqa: E402
from skimage.registration import (  # noqa: E402
    optical_flow_ilk,
    optical_flow_tvl1,
    phase_cross_correlation,
)

import autodiff as ad  # noqa: E402
from applications.registration import register  # noqa: E402
from applications.registration._interp import SplineImage, sample  # noqa: E402
from applications.registration._sample import end_point_error, sample_pair  # noqa: E402
from applications.registration._transforms import (  # noqa: E402
    get_model,
    homogeneous_matrix,
    identity_grid,
)
from autodiff.scipy import ndimage as adi  # noqa: E402


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def best_of(n, fn, *args):
    return min(timed(fn, *args)[1] for _ in range(n))


def camera() -> np.ndarray:
    return data.camera().astype(np.float64) / 255.0


def stereo():
    left, right, disparity = data.stereo_motorcycle()
    return rgb2gray(left), rgb2gray(right), disparity


def stereo_epe(flow, disparity) -> float:
    # left(x) = right(x - d): the flow (rows, cols) of the left image is (0, -d)
    valid = np.isfinite(disparity)
    return float(np.mean(np.hypot(flow[0], flow[1] + disparity)[valid]))


def kernel_case(rows: list) -> None:
    fixed, moving, _ = stereo()
    grid = identity_grid(fixed.shape)
    coords = grid + np.stack([np.zeros(fixed.shape), np.full(fixed.shape, -20.3)])
    spline = SplineImage(moving)
    coeff = spline.padded[(slice(3, -3),) * 2]

    def ours(c):
        return np.sum(sample(c, image=spline) ** 2)

    def core(c):
        return np.sum(adi.map_coordinates(coeff, c, order=3, mode="mirror",
                                          prefilter=False) ** 2)

    g_ours, g_core = ad.grad(ours)(coords), ad.grad(core)(coords)
    inside = (coords[1] >= 0)
    assert np.allclose(g_ours[:, inside], g_core[:, inside], atol=1e-9)
    t_ours = best_of(3, ad.grad(ours), coords)
    t_core = best_of(3, ad.grad(core), coords)
    rows.append(("kernel value+grad 500x741", "_interp (compiled)", float("nan"), t_ours,
                 "core NumPy kernel", float("nan"), t_core, "speed-up", None))


def stereo_case(rows: list) -> None:
    fixed, moving, disparity = stereo()
    ilk, t_ilk = timed(optical_flow_ilk, fixed, moving)
    tvl1, t_tvl1 = timed(optical_flow_tvl1, fixed, moving)
    res, t = timed(register, fixed, moving, transform="displacement")
    ours = stereo_epe(res.flow, disparity)
    rows.append(("stereo 500x741 dense", "register displacement", ours, t,
                 "optical_flow_tvl1", stereo_epe(tvl1, disparity), t_tvl1, "time <= 1.5x",
                 t <= 1.5 * t_tvl1))
    rows.append(("stereo 500x741 dense", "register displacement", ours, t,
                 "optical_flow_ilk", stereo_epe(ilk, disparity), t_ilk, "EPE below",
                 ours < stereo_epe(ilk, disparity)))
    res, t = timed(register, fixed, moving, transform="translation")
    (found, _, _), t_pcc = timed(phase_cross_correlation, fixed, moving, upsample_factor=100)
    rows.append(("stereo 500x741 translation", "register translation", float("nan"), t,
                 "phase_cross_corr. x100", float("nan"), t_pcc, "time <= 10x",
                 t <= 10 * t_pcc))


def translation_case(rows: list, trials: int = 5) -> None:
    base = camera()
    rng = np.random.default_rng(7)
    crop = (slice(64, 448), slice(64, 448))
    ours_err, pcc_err, ours_t, pcc_t = [], [], [], []
    for _ in range(trials):
        shift = rng.uniform(-8.0, 8.0, size=2)
        moving_full = ndi.shift(base, shift, order=3, mode="nearest")
        fixed = base[crop] + 0.02 * rng.standard_normal((384, 384))
        moving = moving_full[crop] + 0.02 * rng.standard_normal((384, 384))
        # fixed(x) = moving(x + shift): true flow is +shift, phase correlation reports -shift
        res, t = timed(register, fixed, moving, transform="translation")
        ours_err.append(np.hypot(*(res.params - shift)))
        ours_t.append(t)
        (found, _, _), t = timed(phase_cross_correlation, fixed, moving, upsample_factor=100)
        pcc_err.append(np.hypot(*(-np.asarray(found) - shift)))
        pcc_t.append(t)
    rows.append(("translation 384^2 (5 shifts)", "register translation", np.mean(ours_err),
                 np.mean(ours_t), "phase_cross_corr. x100", np.mean(pcc_err), np.mean(pcc_t),
                 "time <= 10x, EPE <= 0.1x", np.mean(ours_t) <= 10 * np.mean(pcc_t)
                 and np.mean(ours_err) <= 0.1 * np.mean(pcc_err)))


def affine_case(rows: list) -> float:
    pair = sample_pair("affine", size=512, noise=0.01, seed=3)
    _, t_ilk = timed(optical_flow_ilk, pair.fixed, pair.moving)
    res, t = timed(register, pair.fixed, pair.moving, transform="affine")
    epe = end_point_error(res.flow, pair.flow)
    rows.append(("affine 512^2 (rot, scale, shear)", "register affine", epe, t,
                 "optical_flow_ilk (time)", float("nan"), t_ilk, "time <= 0.5x, EPE < 0.01",
                 t <= 0.5 * t_ilk and epe < 0.01))
    res, t_mi = timed(register, pair.fixed, 1.0 - pair.moving, transform="affine", metric="mi")
    rows.append(("affine 512^2, inverted contrast", "register affine, mi",
                 end_point_error(res.flow, pair.flow), t_mi, "(no skimage method)",
                 float("nan"), float("nan"), "", None))
    return t


def volume_case(rows: list, t_2d: float, side: int = 128) -> None:
    rng = np.random.default_rng(11)
    vol = ndi.gaussian_filter(rng.standard_normal((side,) * 3), 3.0)
    vol = (vol - vol.min()) / np.ptp(vol)
    shape = vol.shape
    center = (np.asarray(shape, dtype=float) - 1.0) / 2.0
    a = np.array([[1.02, 0.03, 0.0], [-0.02, 0.99, 0.01], [0.0, 0.02, 1.01]])
    params = np.concatenate([a.ravel(), [2.3, -1.6, 1.1]])
    matrix = homogeneous_matrix(get_model("affine"), params, center)
    grid = identity_grid(shape)
    pts = np.concatenate([grid.reshape(3, -1), np.ones((1, vol.size))])
    moving = ndi.map_coordinates(vol, (np.linalg.inv(matrix) @ pts)[:3].reshape(grid.shape),
                                 order=3, mode="mirror")
    truth = (matrix @ pts)[:3].reshape(grid.shape) - grid
    del pts, grid
    res, t = timed(register, vol, moving, transform="affine")
    per_voxel, per_pixel = t / vol.size, t_2d / 512**2
    rows.append((f"affine {side}^3 volume", "register affine 3-D",
                 end_point_error(res.flow, truth, margin=8), t, "2-D 512^2 affine (per px)",
                 float("nan"), per_pixel * vol.size, "per voxel <= 2x per px",
                 per_voxel <= 2 * per_pixel))


def nonrigid_cases(rows: list) -> None:
    cam = camera()
    flow = np.array([1.3, -0.7])
    moving = ndi.shift(cam, flow, order=3, mode="nearest")
    truth = np.broadcast_to(flow[:, None, None], (2,) + cam.shape)
    smooth = sample_pair("displacement", size=256, noise=0.01, seed=5)
    for name, fixed, mov, true in [("constant 1.3/-0.7 shift 512^2", cam, moving, truth),
                                   ("smooth field 256^2", smooth.fixed, smooth.moving,
                                    smooth.flow)]:
        res, t = timed(register, fixed, mov, transform="displacement")
        ours = end_point_error(res.flow, true)
        for other_name, other in [("optical_flow_tvl1", optical_flow_tvl1),
                                  ("optical_flow_ilk", optical_flow_ilk)]:
            f, t_other = timed(other, fixed, mov)
            rows.append((name, "register displacement", ours, t, other_name,
                         end_point_error(f, true), t_other, "EPE below",
                         ours < end_point_error(f, true)))


def main() -> None:
    rows: list = []
    warnings.simplefilter("always")
    kernel_case(rows)
    stereo_case(rows)
    translation_case(rows)
    t_2d = affine_case(rows)
    volume_case(rows, t_2d)
    nonrigid_cases(rows)
    header = (f"{'case':33s} {'ours':22s} {'EPE px':>7s} {'time s':>7s} | {'anchor':26s} "
              f"{'EPE px':>7s} {'time s':>7s} | {'t ratio':>7s} {'EPE ratio':>9s} | target")
    print(header)
    print("-" * len(header))
    for case, ours_name, ours_err, ours_t, ref_name, ref_err, ref_t, target, met in rows:
        eratio = ours_err / ref_err if np.isfinite(ref_err) and np.isfinite(ours_err) \
            else float("nan")
        tratio = ours_t / ref_t if np.isfinite(ref_t) else float("nan")
        verdict = "" if met is None else (" met" if met else " NOT met")
        print(f"{case:33s} {ours_name:22s} {ours_err:7.4f} {ours_t:7.3f} | {ref_name:26s} "
              f"{ref_err:7.4f} {ref_t:7.3f} | {tratio:7.3f} {eratio:9.3f} | {target}{verdict}")
    print("t ratio = our time / anchor time (same run); EPE ratio = ours / anchor.")


if __name__ == "__main__":
    main()
