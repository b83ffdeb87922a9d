"""Run every ``benchmarks/bench_*.py`` script, one after the other.

Each script runs in its own process with the interpreter running this file and
``OPENBLAS_NUM_THREADS=1``, in sorted order, under a header naming it.  A failing
script does not stop the others; the exit code is non-zero when any failed.

Usage::

    python benchmarks/run_all.py [--only NAME ...]

``NAME`` is a script's name with or without the ``bench_`` prefix and ``.py``
suffix (``--only ad`` runs ``bench_ad.py``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Extra arguments per script: sizes that finish in a few minutes (each prints its full command).
SCRIPT_ARGS = {"bench_scale.py": ["--small"]}


def _stem(name: str) -> str:
    name = Path(name).name
    name = name.removesuffix(".py")
    return name if name.startswith("bench_") else f"bench_{name}"


def find_scripts(only: list[str] | None = None) -> list[Path]:
    """The benchmark scripts in sorted order, restricted to ``only`` when given.

    Raises
    ------
    SystemExit
        When a name in ``only`` matches no script.
    """
    scripts = sorted(HERE.glob("bench_*.py"))
    if not only:
        return scripts
    by_stem = {p.stem: p for p in scripts}
    unknown = [n for n in only if _stem(n) not in by_stem]
    if unknown:
        available = ", ".join(by_stem) or "none"
        raise SystemExit(f"run_all: no benchmark named {', '.join(unknown)} "
                         f"(available: {available})")
    wanted = {_stem(n) for n in only}
    return [p for p in scripts if p.stem in wanted]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="run only these benchmarks (e.g. 'ad' or 'bench_ad.py')")
    args = parser.parse_args(argv)

    scripts = find_scripts(args.only)
    if not scripts:
        print("run_all: no benchmarks/bench_*.py scripts found")
        return 1
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    failed = []
    for script in scripts:
        title = f"=== {script.name} "
        print(f"\n{title}{'=' * max(3, 78 - len(title))}", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(script), *SCRIPT_ARGS.get(script.name, [])],
                               env=env, cwd=HERE.parent)
        elapsed = time.perf_counter() - start
        status = "ok" if code == 0 else f"FAILED (exit code {code})"
        print(f"--- {script.name}: {status} in {elapsed:.1f} s", flush=True)
        if code != 0:
            failed.append(script.name)
    print(f"\n{len(scripts) - len(failed)}/{len(scripts)} benchmarks succeeded"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
