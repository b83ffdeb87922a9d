"""Rules shared by the applications' command lines.

- ``--help`` is instant: a CLI module imports only ``argparse`` (and this module) at the
  top, and NumPy, scikit-image, matplotlib and :mod:`autodiff` inside its ``main``.
- Defaults are shown (:class:`HelpFormatter`).
- Every output path is checked before any work (:func:`check_outputs`): never an input,
  never an existing file unless ``--overwrite``, and its folder must be creatable.
- Errors are one line on stderr and exit status 2, without a traceback or a raw errno
  (:func:`run_main`); warnings are one line too.

This module imports nothing heavy, so every CLI can use it at import time.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

__all__ = ["CliError", "HelpFormatter", "add_overwrite", "check_outputs", "one_line",
           "program_name", "run_main"]


class CliError(Exception):
    """A problem with the user's input or files, reported as one line, exit status 2."""


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Appends ``(default: X)`` to an option's help when it has a default worth showing."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if ("default" in text or default is None or default is argparse.SUPPRESS
                or isinstance(default, bool) or not action.option_strings):
            return text
        return f"{text} (default: %(default)s)" if text else "(default: %(default)s)"


def program_name(package: str) -> str:
    """``autodiff-denoise`` when run as a console script, ``python -m PACKAGE`` otherwise."""
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if not script or script in ("__main__.py", "-c", "-m") or script.endswith(".py"):
        return f"python -m {package}"
    return script


def add_overwrite(parser: argparse.ArgumentParser) -> None:
    """The ``--overwrite`` flag, with the same words in every CLI."""
    parser.add_argument("--overwrite", action="store_true",
                        help="replace existing output files (never an input file)")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def check_outputs(outputs: Iterable[str | Path], inputs: Iterable[str | Path] = (), *,
                  overwrite: bool = False) -> None:
    """Refuse, before any work, outputs that would clobber an input or an existing file.

    Parameters
    ----------
    outputs : iterable of path
        Files the command is going to write.
    inputs : iterable of path
        Files it reads: never written, even with ``overwrite``.
    overwrite : bool
        Allow replacing existing (non-input) files.

    Raises
    ------
    CliError
        One line naming the path and what to do.
    """
    inputs = [Path(p) for p in inputs]
    existing = []
    for out in map(Path, outputs):
        for source in inputs:
            if _same_file(out, source):
                raise CliError(f"output {str(out)!r} is the input {str(source)!r}: "
                               "choose another --out")
        if out.is_dir():
            raise CliError(f"output {str(out)!r} is a folder, expected a file path")
        if out.exists() or out.is_symlink():
            existing.append(str(out))
        folder = out.parent
        while not folder.exists():  # the first existing ancestor must be a writable folder
            if folder.is_symlink() or folder == folder.parent:
                break
            folder = folder.parent
        if folder.exists() and not folder.is_dir():
            raise CliError(f"cannot write {str(out)!r}: {str(folder)!r} is a file, not a "
                           "folder")
        if folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
            raise CliError(f"cannot write {str(out)!r}: folder {str(folder)!r} is not "
                           "writable")
    if existing and not overwrite:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise CliError(f"{existing[0]!r}{more} already exists: pass --overwrite to replace "
                       "it, or choose another --out")


def read_array(path: str | Path):
    """Read an image file (PNG, JPEG, TIFF, ...) or a ``.npy`` array as stored.

    Decoder failures become one-line :class:`CliError` messages: imageio probes its
    plugins on an unknown file, some warn while doing so and a failed probe can leave a
    file to the garbage collector, so the probes are silenced and their leftovers
    collected here.  NumPy and scikit-image are imported on call, not with this module.
    """
    import gc

    import numpy as np

    path = str(path)
    if not Path(path).is_file():
        raise CliError(f"cannot read {path!r}: no such file")
    reason = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if path.lower().endswith(".npy"):
                data = np.load(path, allow_pickle=False)
            else:
                from skimage import io
                data = io.imread(path)
        except Exception as exc:  # any decoder failure is the user's file, not our bug
            text = str(exc).strip()
            reason = text.splitlines()[0] if text else type(exc).__name__
        if reason is not None:
            gc.collect()
    if reason is not None:
        raise CliError(f"cannot read {path!r} as an image: {reason}")
    return np.asarray(data)


def one_line(exc: BaseException) -> str:
    """A one-line description of ``exc``: no errno, no traceback, the path when known."""
    if isinstance(exc, OSError) and exc.strerror:
        names = [n for n in (exc.filename, exc.filename2) if n is not None]
        where = f": {', '.join(repr(os.fsdecode(n)) for n in names)}" if names else ""
        return f"{exc.strerror.rstrip('.')}{where}"
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    if isinstance(exc, (CliError, ValueError, TypeError, OSError)) and first:
        return first
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


@contextlib.contextmanager
def one_line_warnings() -> Iterator[None]:
    """Print warnings as ``warning: MESSAGE`` (once each) instead of Python's two lines."""
    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ARG001
        print(f"warning: {str(message).strip()}", file=file or sys.stderr)

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        previous, warnings.showwarning = warnings.showwarning, show
        try:
            yield
        finally:
            warnings.showwarning = previous


def run_main(work: Callable[[], int | None]) -> int:
    """Run ``work`` and turn every failure into one line on stderr and a status code.

    Returns 0 on success, 2 for bad input or files, 1 for anything unexpected (still one
    line; set ``AUTODIFF_TRACEBACK=1`` to see the traceback), 130 on Ctrl-C.
    """
    try:
        with one_line_warnings():
            status = work()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (CliError, OSError, ValueError, TypeError, MemoryError) as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:
        if os.environ.get("AUTODIFF_TRACEBACK"):
            raise
        print(f"error: {one_line(exc)} (set AUTODIFF_TRACEBACK=1 for details)",
              file=sys.stderr)
        return 1
    return 0 if status is None else int(status)
