"""Reading the project's files safely: regular files inside the project, read within a byte limit.

Every file the project reads is a regular file inside the project, after symbolic links are resolved, or a
located :class:`~cufstudy.core.errors.DataError` naming it:

* :func:`read_limited` opens a file without blocking (a FIFO would otherwise wait forever for a writer),
  refuses anything but a regular file (a FIFO, a device such as ``/dev/zero``, a socket) and reads at most
  ``limit`` bytes, counting the bytes actually read, not the size the file system announces (0 for a device);
* :func:`outside_problems` finds, anywhere in the project, every symbolic link that resolves outside it and
  every special file (FIFO, device, socket), so that one stray link is named once, before anything reads it,
  instead of crashing whatever walks the folder (the render stamp, the run cache).

Hidden folders, virtual environments, ``node_modules``, ``__pycache__`` and the build and output folders are
not the project's sources and are not scanned.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from cufstudy.core.errors import DataError
from cufstudy.core.layout import BUILD_DIR, OUTPUT_DIR
from cufstudy.core.problems import Problem, Reason

__all__ = [
    "SKIPPED_DIRS",
    "check_project_files",
    "inside",
    "outside_problems",
    "read_limited",
    "refuse_outside",
    "special_kind",
]

SKIPPED_DIRS = frozenset({BUILD_DIR, OUTPUT_DIR, "node_modules", "__pycache__"})
"""Folders of a project that are not its sources (with hidden folders and virtual environments)."""


def special_kind(mode: int) -> str | None:
    """``"a FIFO"``, ``"a device"``, ``"a socket"``... for a file mode that is not a regular file or a folder."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def inside(path: Path, root: Path) -> bool:
    """Whether ``path``, its symbolic links resolved, is ``root`` or below it."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a loop of links
        return False


def _outside_message(path: Path) -> str:
    try:
        target = str(path.resolve())
    except (OSError, RuntimeError):
        target = "a file it cannot reach"
    return (
        f"a symbolic link to {target}, outside the project; cufstudy reads files of the project only: copy the "
        "file into the project, or remove the link"
    )


def refuse_outside(path: Path, root: Path, display: str | None = None) -> None:
    """Raise a located :class:`DataError` if ``path`` resolves outside ``root`` (through a symbolic link)."""
    if not inside(path, root):
        raise DataError.single(display or str(path), _outside_message(path), reason=Reason.UNSUPPORTED)


def read_limited(path: Path, limit: int, display: str | None = None, root: Path | None = None) -> bytes:
    """The bytes of a regular file, at most ``limit`` of them, or a located :class:`DataError`.

    Parameters
    ----------
    path
        The file.
    limit
        The most bytes accepted; a file holding more is refused (counted as read, not from ``st_size``).
    display
        How to name the file in messages (default ``str(path)``).
    root
        When given, a file that resolves outside this folder (a symbolic link) is refused.

    Raises
    ------
    DataError
        The file is missing or unreadable, outside ``root``, not a regular file, or holds more than ``limit``.
    """
    file = display or str(path)
    if root is not None:
        refuse_outside(path, root, file)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise DataError.single(file, f"cannot read the file: {exc.strerror}", reason=Reason.UNREADABLE) from exc
    with os.fdopen(fd, "rb") as fh:
        mode = os.fstat(fd).st_mode
        kind = special_kind(mode)
        if kind is not None or stat.S_ISDIR(mode):
            what = kind or "a folder"
            raise DataError.single(file, f"{what}, not a regular file; refused", reason=Reason.UNREADABLE)
        size = os.fstat(fd).st_size
        if size > limit:
            message = f"the file is {size:,} bytes; at most {limit:,} bytes are accepted"
            raise DataError.single(file, message, reason=Reason.UNREADABLE)
        data = fh.read(limit + 1)
    if len(data) > limit:  # it grew while being read
        message = f"the file holds more than {limit:,} bytes; at most {limit:,} bytes are accepted"
        raise DataError.single(file, message, reason=Reason.UNREADABLE)
    return data


def _walk(root: Path) -> Iterator[Path]:
    """Every entry (file or link) of the project's source folders, links not followed."""
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        kept = []
        for d in sorted(dirnames):
            if d.startswith(".") or d in SKIPPED_DIRS or (here / d / "pyvenv.cfg").exists():
                continue
            if (here / d).is_symlink():
                yield here / d  # a linked folder: checked as a link, not walked into
                continue
            kept.append(d)
        dirnames[:] = kept
        for name in sorted(filenames):
            if not name.startswith("."):
                yield here / name


def outside_problems(root: Path, display_root: Path | None = None) -> list[Problem]:
    """Every symbolic link of the project resolving outside it, and every special file, as located problems.

    ``display_root`` is the folder paths are shown relative to (default ``root``).
    """
    base = (display_root or root).resolve()
    problems: list[Problem] = []
    for path in _walk(root):
        try:
            shown = str(path.relative_to(base))
        except ValueError:
            shown = str(path)
        if path.is_symlink():
            if not inside(path, root):
                problems.append(Problem(shown, _outside_message(path), reason=Reason.UNSUPPORTED))
                continue
            if not path.exists():
                continue  # a dangling link inside the project: whatever reads it reports it missing
        try:
            kind = special_kind(path.stat().st_mode)
        except OSError:
            continue
        if kind is not None:
            problems.append(
                Problem(shown, f"{kind}, not a regular file: remove it from the project", reason=Reason.UNREADABLE)
            )
    return problems


def check_project_files(root: Path) -> None:
    """Raise one :class:`DataError` naming every link out of the project and every special file in it."""
    problems = outside_problems(root)
    if problems:
        n = len(problems)
        raise DataError(problems, f"{n} file{'s' * (n != 1)} of the project cannot be read safely (nothing was run)")
