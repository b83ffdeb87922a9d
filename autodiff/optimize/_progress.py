"""The solvers' progress bar: tqdm, imported only when a bar is asked for.

tqdm is an optional dependency (the ``apps`` extra): the AD core and the solvers need only
NumPy and SciPy, and ``progress=False`` (the default) never imports it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["progress_bar"]


def progress_bar(total: int, desc: str) -> Any:
    """A tqdm bar that disappears when closed; ImportError that says what to install."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        raise ImportError(
            "progress=True needs tqdm, which is not installed: `pip install tqdm` (or the "
            "applications' extra, `pip install 'autodiff-numpy[apps]'`), or pass "
            "progress=False"
        ) from None
    return tqdm(total=total, desc=desc, leave=False)
