"""The distribution: core dependencies, console scripts and package data, tested on a
wheel installed into a fresh virtual environment and run from an unrelated folder.

How the fresh environment gets its third-party packages without network access: the
wheel itself is installed with ``--no-deps --no-index`` into a new venv (made without
pip, so nothing else is in it), and a ``.pth`` file appends this environment's
site-packages folders to its ``sys.path``.  A ``.pth`` line only appends a folder: the
editable install of this checkout in there (a ``.pth`` hook of its own) is not activated,
so ``autodiff`` and ``autodiff_apps`` can only come from the wheel, which the test checks;
and the commands run from a temporary folder, so no ``applications/`` folder is in sight.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ("autodiff-denoise", "autodiff-register", "autodiff-text", "autodiff-segment")
HEAVY = ("skimage", "matplotlib", "sklearn", "tqdm")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1", PYTHONNOUSERSITE="1")
    return env


def test_core_imports_no_application_dependency():
    code = ("import sys, autodiff, autodiff.numpy, autodiff.scipy, autodiff.optimize, "
            "autodiff.numerical\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=_env(), cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def _absolute_application_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [f"{path.relative_to(ROOT)}:{node.lineno}" for name in names
                  if name == "applications" or name.startswith("applications.")]
    return found


def test_applications_import_one_another_relatively():
    # `applications` installs as `autodiff_apps`: an absolute `applications.` import
    # inside it would break the installed package.
    offenders = [hit for path in sorted((ROOT / "applications").rglob("*.py"))
                 for hit in _absolute_application_imports(path)]
    assert offenders == []


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    try:
        setuptools_version = metadata.version("setuptools")
    except metadata.PackageNotFoundError:
        pytest.skip("setuptools is not installed (pip install -e '.[test]')")
    if int(setuptools_version.split(".")[0]) < 77:
        pytest.skip(f"setuptools {setuptools_version} < 77 (pip install -e '.[test]')")
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("autodiff", "applications"):
        shutil.copytree(ROOT / name, src / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "setup.py", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    proc = subprocess.run(  # -v: pip hides the build backend's output otherwise
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation",
         "--no-index", "-w", str(tmp / "dist"), str(src)],
        capture_output=True, text=True, timeout=300, env=_env())
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    for alarm in ("Deprecat", "BuildBackendWarning", "would be ignored", "SetuptoolsWarning"):
        assert alarm not in log, log
    (path,) = (tmp / "dist").glob("autodiff_numpy-*.whl")
    return path


def test_wheel_contents_and_metadata(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        entry_points = zf.read(next(n for n in names if n.endswith("entry_points.txt")))
    tops = {n.split("/")[0] for n in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"autodiff", "autodiff_apps"}
    assert "autodiff_apps/text_classification/data/corpus.tsv" in names
    assert "autodiff/py.typed" in names
    core = sorted(line.split()[1].split(">")[0] for line in meta.splitlines()
                  if line.startswith("Requires-Dist:") and "extra ==" not in line)
    assert core == ["numpy", "scipy"]
    assert "License-Expression: BSD-3-Clause" in meta
    for extra in ("apps", "test", "docs"):
        assert f"Provides-Extra: {extra}" in meta
    for script in SCRIPTS:
        assert script.encode() in entry_points


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    pip_version = tuple(int(p) for p in metadata.version("pip").split(".")[:2])
    if pip_version < (22, 3):
        pytest.skip("pip >= 22.3 needed (`pip --python`); `make test` upgrades pip")
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", str(wheel)], capture_output=True, text=True, timeout=300, env=_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    purelib = subprocess.run([str(python), "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    ours |= {p for p in sys.path if p.endswith(("site-packages", "dist-packages"))}
    ours.discard(str(ROOT))
    Path(purelib, "_third_party.pth").write_text("\n".join(sorted(ours)) + "\n")
    return venv


def _run(venv: Path, args: list[str], cwd: Path, timeout: float = 120):
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    exe = bindir / args[0]
    cmd = [str(exe if exe.exists() else bindir / f"{args[0]}.exe"), *args[1:]]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env=_env())


def test_installed_packages_come_from_the_wheel(installed, tmp_path):
    code = ("import autodiff, autodiff_apps, importlib.util as u; "
            "print(autodiff.__file__); print(autodiff_apps.__file__); "
            "print(u.find_spec('applications'))")
    proc = _run(installed, ["python", "-c", code], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split()
    assert all(line.startswith(str(installed)) for line in lines[:2]), lines
    assert lines[2] == "None"  # no generic top-level `applications` package


@pytest.mark.parametrize("script", SCRIPTS)
def test_console_script_help(installed, tmp_path, script):
    if script == "autodiff-segment":
        pytest.importorskip("applications.segmentation.__main__")
    proc = _run(installed, [script, "--help"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"usage: {script}") or "usage:" in proc.stdout


SAMPLE_RUNS = {
    "autodiff-denoise": (["--out", "den", "--no-progress"], "den/camera_denoised.png"),
    "autodiff-register": (["--size", "64", "--transform", "translation", "--out", "reg"],
                          "reg/metrics.json"),
    "autodiff-text": (["train", "--out", "txt"], "txt"),
}


@pytest.mark.parametrize("script", sorted(SAMPLE_RUNS))
def test_console_script_sample_run_from_another_folder(installed, tmp_path, script):
    args, product = SAMPLE_RUNS[script]
    proc = _run(installed, [script, *args], cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert (tmp_path / product).exists()
