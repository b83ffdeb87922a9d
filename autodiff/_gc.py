"""Pausing Python's cyclic garbage collector while a transform runs.

A trace allocates several small container objects per primitive (a tape record,
its derivative closure, the tracer of the result) and keeps them until the sweep.
They form no reference cycles (reference counting frees them), but every 700
allocations the collector still walks the young ones, and now and then the whole
heap: on scalar-heavy code (a loop of a thousand ``np.sin``) this doubled the time
of a gradient.  The transforms therefore run with the collector paused and turn it
back on when they return (or raise); collections that fell due run then.  Nothing is
changed when the collector was already disabled (by the user, or by an enclosing
transform).  Cyclic garbage made by the differentiated function itself is collected
after the transform returns.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable

__all__ = ["gc_paused"]


def gc_paused(fn: Callable) -> Callable:
    """Decorator: run ``fn`` with the cyclic garbage collector paused."""

    @functools.wraps(fn)
    def paused(*args, **kwargs):
        if not gc.isenabled():
            return fn(*args, **kwargs)
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            gc.enable()

    return paused
