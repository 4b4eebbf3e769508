"""The fast answer of a ``cufstudy build`` that has nothing to do, from file dates, before anything heavy loads.

A build that changes nothing (every run skipped, every deliverable kept as published) still starts the
library, reads the plan, hashes the data and the prose and compares the render stamps: about 0.8 s. Every
build that succeeds records here (``_build/uptodate.json``) what it leaves: the command line and the project's
folder, the environment variables that steer a build, the interpreter and the packages installed beside it,
Quarto, the size and modification time (in ns) of every file of the project (the published outputs included)
and of the library, and the report the same build prints when run again with nothing changed
(:meth:`cufstudy.pipeline.build.BuildResult.settled`). The next ``cufstudy build`` with the same command line
(``--force`` aside), from any folder of the project, compares them first, with nothing but the standard
library loaded; when nothing differs, it prints the recorded report and stops.

Anything different and the full build runs as always: a file edited, added, removed or touched, an output
deleted, another package version, another ``$PATH`` (another Quarto), ``--force``, another build holding the
project lock. A file the build only reads is trusted when it was last modified at least :data:`SETTLE_NS`
before the build started: one modified later, during the build included, may hold an edit the build did not
read (within a file system's time resolution an edit may not change the date; the run cache's data digests
follow the same rule), and that build records nothing. The folders the build writes (its outputs, the Quarto
extension it installs) are trusted whatever their dates: their dates are the build's own, and the render
stamps compare the outputs by the same size and date.

Only for the console script: :func:`answer` is called by :func:`cufstudy.cli.main` before the command line is
parsed; the library's :func:`cufstudy.pipeline.build.build` always checks contents.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final, TextIO

from cufstudy.core.layout import BUILD_DIR

__all__ = ["RECORD_NAME", "SETTLE_NS", "answer", "forget", "record", "tool_identity"]

RECORD_NAME: Final = "uptodate.json"
"""The record, in the project's build folder (:data:`cufstudy.core.layout.BUILD_DIR`)."""
SETTLE_NS: Final = 2_000_000_000
"""How long before a recording build started a file must have been left alone to be trusted."""
_VERSION: Final = 1
_LIBRARY = Path(__file__).resolve().parents[1]  # the cufstudy package: its code, templates, fonts and data
# folders that are never a build's input or output: caches, environments, version control
_SKIPPED: Final = frozenset(
    {
        BUILD_DIR, ".git", ".hg", ".svn", ".venv", "venv", "__pycache__", ".ipynb_checkpoints", ".pytest_cache",
        ".mypy_cache", ".ruff_cache", "node_modules", ".quarto", ".tox", ".nox",
    }
)  # fmt: skip
# the environment that steers a build: the tools found on PATH, Python's paths, Quarto's and Jupyter's
# settings, the source date of reproducible files, the locale and the time zone
_ENV_NAMES: Final = frozenset({"PATH", "PYTHONPATH", "PYTHONHOME", "SOURCE_DATE_EPOCH", "TZ", "LANG", "HOME"})
_ENV_PREFIXES: Final = ("CUFSTUDY_", "QUARTO_", "JUPYTER", "PAPERMILL", "LC_", "VIRTUAL_ENV", "TYPST", "PANDOC")
# the options that change what is printed, not what is built
_DISPLAY_OPTIONS: Final = frozenset({"--no-progress", "--no-wait"})


def _walk(folder: Path) -> Iterator[tuple[str, os.stat_result | None]]:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if entry.name not in _SKIPPED:
                yield from _walk(Path(entry.path))
            continue
        try:
            yield entry.path, entry.stat()
        except OSError:  # a broken link
            yield entry.path, None


def _listing(folders: Sequence[Path]) -> dict[str, list[int] | None]:
    return {
        path: None if st is None else [st.st_size, st.st_mtime_ns]
        for folder in folders
        for path, st in _walk(folder)
    }


def _packages() -> dict[str, list[str]]:
    """The installed distributions, by the folders Python imports from (a ``*.dist-info`` name holds its version)."""
    out: dict[str, list[str]] = {}
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages")) and Path(entry).is_dir():
            with os.scandir(entry) as it:
                out[entry] = sorted(e.name for e in it if e.name.endswith((".dist-info", ".egg-info", ".pth")))
    return out


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k in _ENV_NAMES or k.startswith(_ENV_PREFIXES)}


def tool_identity(path: str | None) -> list[object] | None:
    """A program's path, size and date (None for no program): another version of it renders again."""
    if path is None:
        return None
    try:
        st = Path(path).resolve().stat()
    except OSError:
        return [path]
    return [path, st.st_size, st.st_mtime_ns]


def _tools() -> dict[str, list[object] | None]:
    """The programs a build may call that no package holds: Quarto (on ``PATH``, or ``$CUFSTUDY_QUARTO``)."""
    import shutil

    found = (("quarto", shutil.which("quarto")), ("CUFSTUDY_QUARTO", os.environ.get("CUFSTUDY_QUARTO")))
    return {name: tool_identity(path) for name, path in found if path}


def _project_root(argv: Sequence[str], cwd: Path) -> Path | None:
    """The project ``cufstudy build`` would find: the ``--project`` folder or the working one, or the nearest
    folder above holding ``_quarto.yml``."""
    start = cwd
    for i, arg in enumerate(argv):
        if arg == "--project" and i + 1 < len(argv):
            start = cwd / argv[i + 1]
        elif arg.startswith("--project="):
            start = cwd / arg.removeprefix("--project=")
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "_quarto.yml").is_file():
            return folder
    return None


def _state(argv: Sequence[str], root: Path, extra: Sequence[str] = ()) -> dict[str, Any]:
    folders = [root, *(p for p in map(Path, extra) if not p.is_relative_to(root))]
    if not any(_LIBRARY.is_relative_to(f) for f in folders):
        folders.append(_LIBRARY)
    return {
        "version": _VERSION,
        "argv": [a for a in argv if a not in _DISPLAY_OPTIONS],
        "root": str(root),
        "extra": list(extra),
        "python": [sys.executable, sys.version],
        "packages": _packages(),
        "env": _environment(),
        "tools": _tools(),
        "files": _listing(folders),
    }


def _unlocked(root: Path) -> bool:
    """Whether no build holds the project lock now (:mod:`cufstudy.pipeline.lock`)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not Unix: no fast answer
        return False
    try:
        fd = os.open(root / BUILD_DIR / ".lock", os.O_RDWR)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


def answer(
    argv: Sequence[str], out: TextIO | None = None, err: TextIO | None = None, *, started: float | None = None
) -> bool:
    """Print the recorded report and return True when ``cufstudy build ARGV`` has nothing to do; else False
    (and nothing is printed): the caller runs the build.

    ``argv`` is the command line after the program's name (``["build", "--no-progress"]``); ``started``, the
    :func:`time.perf_counter` of the program's start (the time printed is counted from it).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    if not argv or argv[0] != "build" or "--force" in argv or any(a in ("-h", "--help") for a in argv):
        return False
    root = _project_root(argv[1:], Path.cwd())
    if root is None:
        return False
    try:
        recorded = json.loads((root / BUILD_DIR / RECORD_NAME).read_text(encoding="utf-8"))
        report = recorded.pop("stdout")
    except (OSError, ValueError, KeyError, AttributeError):
        return False
    extra = recorded.get("extra")
    if not isinstance(report, str) or not isinstance(extra, list) or not _unlocked(root):
        return False
    if recorded != _state(argv, root, [str(e) for e in extra]):
        return False
    err.write("nothing changed since the last build (no file, package or setting): nothing to do\n")
    err.flush()
    seconds = time.perf_counter() - (time.perf_counter() if started is None else started)
    out.write(report if report.endswith("\n") else report + "\n")
    out.write(f"build finished in {seconds:.1f} s (nothing changed since the last build)\n")
    out.flush()
    return True


def record(
    argv: Sequence[str],
    root: Path,
    report: str,
    started_ns: int,
    extra: Sequence[Path] = (),
    written: Sequence[Path] = (),
) -> bool:
    """Record that ``cufstudy build ARGV`` (``--force`` aside), run again in the project ``root`` with nothing
    changed, has nothing to do and prints ``report``.

    ``extra``: folders the build reads outside the project (its data folder, when ``cufstudy: data:`` names
    one elsewhere), watched as the project is. ``written``: the folders the build writes (its output folder,
    the Quarto extension it installs), whose files are trusted whatever their dates.

    Nothing is recorded (False), and an earlier record is removed, when a file the build reads was modified
    less than :data:`SETTLE_NS` before the build started at ``started_ns`` (:func:`time.time_ns`) or after,
    or when the record cannot be written; the next build then checks contents, as without a record.
    """
    root = root.resolve()
    target = root / BUILD_DIR / RECORD_NAME
    argv = [a for a in argv if a != "--force"]
    with_report = {**_state(argv, root, [str(Path(e).resolve()) for e in extra]), "stdout": report}
    own = tuple(str(Path(w).resolve()) + os.sep for w in written)
    read = {path: stat for path, stat in with_report["files"].items() if not path.startswith(own)}
    if any(stat is None or stat[1] >= started_ns - SETTLE_NS for stat in read.values()):
        forget(root)
        return False
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{RECORD_NAME}.{os.getpid()}")
        partial.write_text(json.dumps(with_report, ensure_ascii=False), encoding="utf-8")
        partial.replace(target)
    except OSError:
        return False
    return True


def forget(root: Path) -> None:
    """Remove the record: the next build checks contents."""
    with contextlib.suppress(OSError):
        (root.resolve() / BUILD_DIR / RECORD_NAME).unlink(missing_ok=True)
