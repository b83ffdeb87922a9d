"""Registration benchmark: accuracy and time against scikit-image, measured in one run.

Cases (camera image, deterministic seeds):

1. sub-pixel translation: spline-shifted, cropped, noisy; ``register(transform=
   "translation")`` against ``phase_cross_correlation(upsample_factor=100)``
   (anchor: 0.04-0.10 px error; target: at most half of it);
2. affine (rotation, scale, shear, translation) with noise: mean end-point error
   (target < 0.02 px) and time; the same with inverted contrast and mutual
   information;
3. non-rigid: a smooth synthetic displacement field, and the constant 1.3/-0.7 px
   shift of ANCHORS.md, against ``optical_flow_tvl1`` and ``optical_flow_ilk``
   (target: lower end-point error than both).

Run: ``python benchmarks/bench_registration.py`` (about a minute on 2 cores).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time  # noqa: E402

import numpy as np  # noqa: E402
import scipy.ndimage as ndi  # noqa: E402
from skimage import data  # noqa: E402
from skimage.registration import (  # noqa: E402
    optical_flow_ilk,
    optical_flow_tvl1,
    phase_cross_correlation,
)

from applications.registration import register  # noqa: E402
from applications.registration._sample import end_point_error, sample_pair  # noqa: E402


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def camera() -> np.ndarray:
    return data.camera().astype(np.float64) / 255.0


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
                 np.mean(ours_t), np.mean(pcc_err), "phase_cross_correlation x100",
                 np.mean(pcc_t)))


def affine_case(rows: list) -> None:
    pair = sample_pair("affine", size=512, noise=0.01, seed=3)
    res, t = timed(register, pair.fixed, pair.moving, transform="affine")
    rows.append(("affine 512^2 (rot, scale, shear)", "register affine",
                 end_point_error(res.flow, pair.flow), t, float("nan"), "(no skimage method)",
                 float("nan")))
    # inverted contrast: only mutual information can align it
    res, t = timed(register, pair.fixed, 1.0 - pair.moving, transform="affine", metric="mi")
    rows.append(("affine 512^2, inverted contrast", "register affine, mi",
                 end_point_error(res.flow, pair.flow), t, float("nan"), "(no skimage method)",
                 float("nan")))


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
            rows.append((name, "register displacement", ours, t,
                         end_point_error(f, true), other_name, t_other))


def main() -> None:
    rows: list = []
    translation_case(rows)
    affine_case(rows)
    nonrigid_cases(rows)
    header = (f"{'case':34s} {'ours':22s} {'EPE px':>8s} {'time s':>7s} | {'anchor':28s} "
              f"{'EPE px':>8s} {'time s':>7s} {'EPE ratio':>9s}")
    print(header)
    print("-" * len(header))
    for case, ours_name, ours_err, ours_t, ref_err, ref_name, ref_t in rows:
        ratio = ours_err / ref_err if np.isfinite(ref_err) else float("nan")
        print(f"{case:34s} {ours_name:22s} {ours_err:8.4f} {ours_t:7.2f} | {ref_name:28s} "
              f"{ref_err:8.4f} {ref_t:7.2f} {ratio:9.3f}")
    print("EPE ratio = ours / anchor (below 1: ours more accurate); targets: translation "
          "<= 0.5, affine EPE < 0.02 px, non-rigid < 1 against both optical flows.")


if __name__ == "__main__":
    main()
