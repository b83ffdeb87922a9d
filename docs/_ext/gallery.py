"""A gallery of the examples and the applications' sample runs, with their figures.

Each entry is run in its own folder under ``docs/_build/gallery-run`` (so nothing is
written into the checkout), with matplotlib's Agg backend; its printed output and every
PNG it wrote become a page under ``docs/gallery/`` with the source below.  Runs are
cached by the hash of the source: ``make docs`` again only reruns what changed.  A
failing entry becomes a page showing the error, and a build warning.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

TIMEOUT = 600
SCRIPTS = {"denoising": "autodiff-denoise", "registration": "autodiff-register",
           "segmentation": "autodiff-segment"}


def _entries(root: Path) -> list[dict]:
    entries = []
    for path in sorted((root / "examples").glob("*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or path.stem
        entries.append({"name": path.stem, "command": [str(path)], "source": path,
                        "doc": doc})
    for app, script in SCRIPTS.items():
        args: list[str] = []
        main = root / "applications" / app / "__main__.py"
        if not main.is_file():
            continue
        doc = (f"The ``{app}`` command line on its bundled sample: "
               f"``python -m applications.{app} {' '.join(args + ['--out', 'out'])}`` "
               f"(installed: ``{script}``).")
        entries.append({"name": f"cli_{app}", "source": main, "doc": doc,
                        "command": ["-m", f"applications.{app}", *args, "--out", "out"],
                        "title": f"Command line: {app}"})
    return entries


def _run(entry: dict, root: Path, work: Path) -> dict:
    digest = hashlib.sha256(entry["source"].read_bytes()
                            + json.dumps(entry["command"]).encode()).hexdigest()
    stamp = work / "stamp.json"
    if stamp.is_file():
        cached = json.loads(stamp.read_text())
        if cached.get("digest") == digest:
            return cached
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = dict(os.environ, MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
    try:
        proc = subprocess.run([sys.executable, *entry["command"]], cwd=work, env=env,
                              capture_output=True, text=True, timeout=TIMEOUT)
        output, code = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired:
        output, code = f"timed out after {TIMEOUT} s", -1
    # the summary figures first: the index shows an entry's first figure as its thumbnail
    figures = sorted((str(p.relative_to(work)) for p in work.rglob("*.png")),
                     key=lambda name: ("figure" not in name, name))
    result = {"digest": digest, "output": output, "returncode": code, "figures": figures}
    stamp.write_text(json.dumps(result))
    return result


def _indent(text: str) -> str:
    return "\n".join("   " + line if line.strip() else "" for line in text.splitlines())


def build_gallery(app) -> None:
    from sphinx.util import logging

    log = logging.getLogger(__name__)
    src = Path(app.srcdir)
    root = src.parent
    out = src / "gallery"
    images = out / "images"
    images.mkdir(parents=True, exist_ok=True)
    index = ["Gallery", "=======", "",
             "The scripts of ``examples/`` and the applications' command lines, run when "
             "the documentation is built; each page shows what the script printed, the "
             "figures it wrote, and its source.", ""]
    pages = []
    for entry in _entries(root):
        name = entry["name"]
        log.info(f"gallery: running {name}")
        result = _run(entry, root, Path(app.outdir).parent / "gallery-run" / name)
        if result["returncode"] != 0:
            log.warning(f"gallery: {name} failed (exit {result['returncode']})")
        title_line, _, rest = entry["doc"].partition("\n")
        title = entry.get("title") or title_line.strip().rstrip(".")
        lines = [title, "=" * len(title), ""]
        if not entry.get("title"):
            lines += [title_line.strip(), ""]
        lines += [rest.strip(), ""] if rest.strip() else [entry["doc"], ""]
        thumbs = []
        for i, rel in enumerate(result["figures"]):
            target = images / f"{name}_{i}.png"
            shutil.copyfile(Path(app.outdir).parent / "gallery-run" / name / rel, target)
            lines += [f".. figure:: images/{target.name}", "   :width: 100%", "",
                      f"   ``{rel}``", ""]
            thumbs.append(target.name)
        status = "" if result["returncode"] == 0 else f" (exit status {result['returncode']})"
        lines += [f"Output{status}", "------", "", "::", "",
                  _indent(result["output"].rstrip() or "(nothing printed)"), "",
                  "Source", "------", "",
                  f".. literalinclude:: ../../{entry['source'].relative_to(root).as_posix()}",
                  "   :language: python", ""]
        (out / f"{name}.rst").write_text("\n".join(lines), encoding="utf-8")
        pages.append(name)
        index += [f"`{title} <{name}.html>`__", ""]
        if thumbs:
            index += [f".. image:: images/{thumbs[0]}", "   :width: 320px",
                      f"   :target: {name}.html", ""]
    index += [".. toctree::", "   :hidden:", "", *(f"   {p}" for p in pages), ""]
    (out / "index.rst").write_text("\n".join(index), encoding="utf-8")


def setup(app):
    # config-inited: the pages must exist before Sphinx lists the sources
    app.connect("config-inited", lambda app, config: build_gallery(app))
    return {"parallel_read_safe": True, "version": "1"}
