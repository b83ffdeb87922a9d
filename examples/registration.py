"""Register two images with applications.registration and carry a label map along.

Run: ``python examples/registration.py``.
"""

import numpy as np

from applications.registration import register, sample_pair, warp
from applications.registration._sample import end_point_error

# a camera pair moved by a known affine transform (fixed ~ moving(grid + flow))
pair = sample_pair("affine", size=256)
affine = register(pair.fixed, pair.moving, transform="affine", metric="ncc")
print("affine matrix (fixed (row, col, 1) -> moving):")
print(np.round(affine.matrix, 4))
print(f"end-point error {end_point_error(affine.flow, pair.flow):.4f} px")

# labels drawn on the moving image follow it onto the fixed grid (order 0 keeps labels)
labels = (pair.moving > 0.5).astype(np.uint8)
print("labels after warp:", np.unique(warp(labels, affine, order=0)))

# a smooth non-rigid deformation, refined from the affine result
dense_pair = sample_pair("displacement", size=128)
dense = register(dense_pair.fixed, dense_pair.moving, transform="displacement")
print(f"displacement end-point error {end_point_error(dense.flow, dense_pair.flow):.3f} px "
      f"(zero flow: {end_point_error(0 * dense_pair.flow, dense_pair.flow):.3f} px)")
