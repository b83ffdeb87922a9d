"""Differentiable SciPy pieces: ``linalg``, ``special``, ``stats``, ``signal``, ``sparse``
products and ``ndimage``."""

from . import linalg, signal, sparse, special, stats

__all__ = ["linalg", "special", "sparse", "ndimage", "signal", "stats"]


def __getattr__(name):
    # ndimage builds on the public autodiff API, so it is imported on first use.
    if name == "ndimage":
        import importlib

        return importlib.import_module(f"{__name__}.ndimage")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
