"""Package list for setuptools (all metadata lives in pyproject.toml).

The repository keeps the applications in a top-level ``applications/`` folder (run them
from a checkout with ``python -m applications.<name>``); installed, they become the package
``autodiff_apps`` so that a wheel adds no generic top-level name to site-packages.
"""

from setuptools import find_packages, setup

APPS = "autodiff_apps"
packages = find_packages(include=["autodiff", "autodiff.*"])
packages += [APPS] + [f"{APPS}.{name}" for name in find_packages("applications")]
# Folders of package data (no __init__.py) are listed too: setuptools warns otherwise.
packages += [f"{APPS}.text_classification.data"]

setup(
    packages=packages,
    package_dir={APPS: "applications"},
    package_data={
        "autodiff": ["py.typed"],
        APPS: ["py.typed"],
        f"{APPS}.text_classification.data": ["*.tsv"],
    },
)
