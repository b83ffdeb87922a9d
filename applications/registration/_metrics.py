r"""Similarity metrics written as least-squares residuals.

Each metric turns the warped moving image ``w`` and the fixed image ``f`` (on the
pixels of an overlap mask ``m``, :math:`N = \sum m`) into a residual vector ``r``
whose half squared norm is the cost:

* ``ssd``: :math:`r = \sqrt{m / N}\,(w - f)`, cost = half the mean squared difference;
* ``ncc``: :math:`r = \sqrt{m / N}\,(\hat w - \hat f)` with :math:`\hat{\cdot}` the
  z-score over the mask, so that :math:`\tfrac12\|r\|^2 = 1 - \mathrm{NCC}(w, f)`:
  invariant to brightness and contrast changes of either image.

Residual form gives Gauss-Newton / Levenberg-Marquardt for parametric transforms
and, squared and summed, the data term of the dense displacement energy.

``mi`` (parametric transforms only) is a scalar: Parzen-window mutual information

.. math:: \mathrm{MI} = \sum_{a,b} p_{ab} \log \frac{p_{ab}}{p_a\, p_b}, \qquad
          p_{ab} = \frac1N \sum_x m(x)\, K_a(f(x))\, K_b(w(x))

with Gaussian windows one bin wide (normalised over the bins), smooth in the
warped intensities and so exactly differentiable; it is maximised with L-BFGS.
"""

from __future__ import annotations

import numpy as np

__all__ = ["METRICS", "SCALAR_METRICS", "residuals", "metric_value", "mutual_information"]

_EPS = 1e-12


def _ssd(warped, fixed, mask, count):
    return np.sqrt(mask / count) * (warped - fixed)


def _zscore(x, mask, count):
    mean = np.sum(mask * x) / count
    centred = x - mean
    var = np.sum(mask * centred * centred) / count
    return centred / np.sqrt(var + _EPS)


def _ncc(warped, fixed, mask, count):
    return np.sqrt(mask / count) * (_zscore(warped, mask, count) - _zscore(fixed, mask, count))


METRICS = {"ssd": _ssd, "ncc": _ncc}
SCALAR_METRICS = ("mi",)
MI_BINS = 32


def _parzen(values, lo: float, hi: float, bins: int):
    """Window weights of every value over ``bins`` bins, shape (N, bins), rows sum to 1."""
    pos = (values - lo) * ((bins - 1) / max(hi - lo, 1e-12))
    diff = np.reshape(pos, (-1, 1)) - np.arange(bins, dtype=float).reshape(1, -1)
    k = np.exp(-0.5 * diff * diff)
    return k / np.reshape(np.sum(k, axis=1), (-1, 1))


def mutual_information(warped, fixed: np.ndarray, mask: np.ndarray, moving_range: tuple,
                       bins: int = MI_BINS):
    """Parzen-window mutual information (nats) of ``warped`` and ``fixed`` on ``mask``."""
    m = np.ravel(mask).astype(float)
    kf = _parzen(np.ravel(fixed), float(np.min(fixed)), float(np.max(fixed)), bins) * m[:, None]
    kw = _parzen(np.ravel(warped), moving_range[0], moving_range[1], bins)
    joint = (kf.T @ kw) / max(float(np.sum(m)), 1.0)
    pf = np.sum(joint, axis=1)
    pw = np.sum(joint, axis=0)
    eps = 1e-12
    log_ratio = (np.log(joint + eps) - np.reshape(np.log(pf + eps), (-1, 1))
                 - np.reshape(np.log(pw + eps), (1, -1)))
    return np.sum(joint * log_ratio)


def residuals(name: str, warped, fixed: np.ndarray, mask: np.ndarray):
    """Residual vector (same shape as ``fixed``) of metric ``name`` on ``mask``."""
    count = max(float(np.sum(mask)), 1.0)
    return METRICS[name](warped, fixed, mask.astype(float), count)


def metric_value(name: str, warped: np.ndarray, fixed: np.ndarray, mask: np.ndarray,
                 moving_range: tuple | None = None) -> float:
    """Reported metric: mean squared difference (ssd), correlation coefficient (ncc) or
    mutual information in nats (mi)."""
    if name == "mi":
        return float(mutual_information(warped, fixed, mask, moving_range))
    r = residuals(name, warped, fixed, mask)
    half = 0.5 * float(np.sum(r * r))
    return 2.0 * half if name == "ssd" else 1.0 - half
