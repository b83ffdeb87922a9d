"""Application packages import their names on first use; every __all__ name resolves."""

import importlib
import subprocess
import sys

import pytest

PACKAGES = ["applications.denoising", "applications.registration",
            "applications.text_classification"]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_resolves(package):
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, name
        assert name in dir(module)
    with pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018


@pytest.mark.parametrize("package", PACKAGES[:2])
def test_help_imports_nothing_heavy(package):
    code = ("import runpy, sys\n"
            "sys.argv = ['x', '--help']\n"
            "try:\n"
            f"    runpy.run_module({package!r}, run_name='__main__')\n"
            "except SystemExit:\n"
            "    pass\n"
            "print('HEAVY', [m for m in ('numpy', 'skimage', 'matplotlib', 'autodiff')\n"
            "                if m in sys.modules])\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert "HEAVY []" in proc.stdout, proc.stdout + proc.stderr
