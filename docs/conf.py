"""Sphinx configuration: API reference from the docstrings, gallery from examples/.

Builds without network access (no intersphinx, no downloads).  The API pages and the
gallery are generated at build time (``api/generated``-style folders, not in git), so a
name added to a module's ``__all__`` or a script added to ``examples/`` appears by itself.
"""

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))           # `autodiff` and `applications` from the checkout
sys.path.insert(0, str(DOCS / "_ext"))
os.environ.setdefault("MPLBACKEND", "Agg")

project = "autodiff"
author = "the autodiff developers"
copyright = "2026, the autodiff developers"
release = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",  # the page loads MathJax when viewed; the build needs no network
    "sphinx.ext.viewcode",
    "numpydoc",
    "api_pages",
    "gallery",
]

autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": False}
autodoc_typehints = "none"          # numpydoc's Parameters sections say it better
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()
templates_path = ["_templates"]
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path = ["_static"]
html_title = "autodiff"
suppress_warnings = ["autosummary.import_cycle"]
