"""Applications built on autodiff: energies and models minimized with ``autodiff.optimize``."""
