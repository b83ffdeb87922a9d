"""Write the API reference pages (``docs/api/``) from each public module's ``__all__``.

One page per module: its docstring, then an autosummary table whose entries get their own
pages (numpydoc renders the docstrings).  Generated at every build, before autosummary
runs, so the reference follows the code without hand-kept lists.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

#: (module, what the page says about it); a module that fails to import is left out
#: with a warning (e.g. an application still being written).
MODULES = [
    ("autodiff", "Transforms: gradients, Jacobians, Hessians, JVPs/VJPs, and the extension API."),
    ("autodiff.numerical", "Finite differences and the gradient checker."),
    ("autodiff.optimize", "Solvers driven by AD derivatives, and the SciPy bridge."),
    ("autodiff.numpy", None),
    ("autodiff.scipy.special", None),
    ("autodiff.scipy.sparse", None),
    ("autodiff.scipy.ndimage", None),
    ("applications.denoising", None),
    ("applications.registration", None),
    ("applications.segmentation", None),
    ("applications.text_classification", None),
]
#: Modules whose ``__all__`` mirrors a foreign namespace: a page, no per-name stubs.
NAMESPACES = {"autodiff.numpy"}


def _public_names(module) -> list[str]:
    names = []
    for name in getattr(module, "__all__", []):
        value = getattr(module, name, None)
        if value is None or inspect.ismodule(value):
            continue
        names.append(name)
    return names


def write_pages(app) -> None:
    from sphinx.util import logging

    log = logging.getLogger(__name__)
    out = Path(app.srcdir) / "api"
    out.mkdir(exist_ok=True)
    entries = []
    for name, blurb in MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            if name.startswith("applications.segmentation"):
                continue  # being written; its page appears once it imports
            log.warning(f"api_pages: cannot import {name}: {exc}")
            continue
        lines = [name, "=" * len(name), "", f".. automodule:: {name}", ""]
        if blurb:
            lines[3:3] = [blurb, ""]
        if name in NAMESPACES:
            lines += [f"``{name}`` re-exports {len(module.__all__)} NumPy names as "
                      "differentiable functions; see NumPy's reference for each.", ""]
        else:
            public = _public_names(module)
            if public:
                lines += [".. autosummary::", "   :toctree: generated/", "   :nosignatures:",
                          "", *(f"   {name}.{item}" for item in public), ""]
        (out / f"{name}.rst").write_text("\n".join(lines), encoding="utf-8")
        entries.append(name)
    index = ["API reference", "=============", "",
             "Generated from the docstrings (numpydoc).  The applications are documented "
             "under their checkout name ``applications.X``; installed from the wheel they "
             "are ``autodiff_apps.X``.", "", ".. toctree::", "   :maxdepth: 1", "",
             *(f"   {entry}" for entry in entries), ""]
    (out / "index.rst").write_text("\n".join(index), encoding="utf-8")


def setup(app):
    # config-inited: before the sources are listed and autosummary writes its stubs
    app.connect("config-inited", lambda app, config: write_pages(app))
    return {"parallel_read_safe": True, "version": "1"}
