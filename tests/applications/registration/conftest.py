"""Fixtures shared by the registration tests."""

import pytest


@pytest.fixture
def level_problems(monkeypatch):
    """Every level problem ``register_parametric`` builds, as ``(level image, problem)``
    pairs in the order built (coarse to fine)."""
    from applications.registration import _parametric

    built = []

    class Recorded(_parametric._LevelProblem):
        def __init__(self, model, metric, fixed, *args, **kwargs):
            super().__init__(model, metric, fixed, *args, **kwargs)
            built.append((fixed, self))

    monkeypatch.setattr(_parametric, "_LevelProblem", Recorded)
    return built
