"""Image denoising by energy minimisation: exact TV (ROF) and any NumPy-written regulariser.

``denoise_tv`` solves the TV problem of :func:`skimage.restoration.denoise_tv_chambolle`
(same weight, same energy) with an accelerated dual method and a duality-gap stopping rule;
``denoise`` minimises ``1/2 ||u - f||^2 + weight * R(u)`` for any regulariser ``R`` written
with NumPy, with gradients from :mod:`autodiff`; ``denoise_huber`` and ``denoise_tikhonov``
are two such regularisers.  ``python -m applications.denoising --help`` runs the CLI.

Names are imported on first use (so that the command line's ``--help`` is instant).
"""

from typing import TYPE_CHECKING

from .._lazy import attach

__all__ = [
    "denoise_tv", "tv_energy", "TV_METHODS",
    "denoise", "denoise_huber", "denoise_tikhonov",
    "forward_differences", "huber_tv", "tikhonov", "smoothed_tv",
    "DenoiseResult",
    "FIXED_ITERATIONS", "tv_depth", "huber_depth", "tikhonov_depth",
    "psnr", "ssim", "estimate_noise", "default_weight", "WEIGHT_RULES",
]

__getattr__, __dir__ = attach(__name__, {
    "._dask": ["FIXED_ITERATIONS", "huber_depth", "tikhonov_depth", "tv_depth"],
    "._metrics": ["WEIGHT_RULES", "default_weight", "estimate_noise", "psnr", "ssim"],
    "._result": ["DenoiseResult"],
    "._tv": ["TV_METHODS", "denoise_tv", "tv_energy"],
    "._variational": ["denoise", "denoise_huber", "denoise_tikhonov", "forward_differences",
                      "huber_tv", "smoothed_tv", "tikhonov"],
})

if TYPE_CHECKING:  # for type checkers and linters; at run time __getattr__ imports these
    from ._dask import FIXED_ITERATIONS, huber_depth, tikhonov_depth, tv_depth
    from ._metrics import WEIGHT_RULES, default_weight, estimate_noise, psnr, ssim
    from ._result import DenoiseResult
    from ._tv import TV_METHODS, denoise_tv, tv_energy
    from ._variational import (
        denoise,
        denoise_huber,
        denoise_tikhonov,
        forward_differences,
        huber_tv,
        smoothed_tv,
        tikhonov,
    )
