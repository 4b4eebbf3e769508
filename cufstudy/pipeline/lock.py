"""The project lock: one ``cufstudy run`` or ``cufstudy build`` of a project at a time.

``_build/.lock`` is held with an operating-system file lock (`filelock`_: ``flock`` on Unix, ``LockFileEx``
on Windows), so a killed process never leaves a stale lock behind. The holder writes its process id into
the file; a second run or build waits, saying which process it waits for, or with ``wait=False`` fails at
once with :class:`~cufstudy.core.errors.LockError` naming it. Within one process the lock is re-entrant.

The one exception: a build rendering with Quarto (``cufstudy build --engine quarto``) starts
``quarto render``, whose ``pre-render`` step is ``cufstudy run`` and whose ``post-render`` step may be
``cufstudy check``, in child processes, while the build holds the lock. The build passes
:func:`child_environment` to that Quarto process only: ``$CUFSTUDY_LOCK_HELD`` names the lock file and the
build's process id. A ``cufstudy run`` that finds it proceeds without taking the lock if, and only if, the
lock file is this project's, is held, and records that process id (:func:`held_by_parent`). A variable left
over in a shell, or naming another project or a finished build, is ignored.

.. _filelock: https://py-filelock.readthedocs.io/
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import filelock

from cufstudy.core.errors import LockError
from cufstudy.core.project import BuildPaths, Project

__all__ = ["LOCK_ENV", "child_environment", "held_by_parent", "lock_holder", "project_lock"]

LOCK_ENV = "CUFSTUDY_LOCK_HELD"


def _lock_path(project: Project | Path) -> Path:
    root = project.root if isinstance(project, Project) else project
    return BuildPaths(root.resolve()).lock


def _write_pid(fd: int) -> None:
    """Record the holder's process id in the lock file (called by filelock once the lock is held)."""
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, f"{os.getpid()}\n".encode("ascii"))


def _lock(path: Path) -> filelock.BaseFileLock:
    # one instance per lock file in a process (is_singleton): acquiring it again is re-entrant
    return filelock.FileLock(path, is_singleton=True, on_acquired=_write_pid, preserve_lock_file=True)


def lock_holder(path: Path) -> str:
    """The process id recorded in a lock file, or ``unknown``."""
    try:
        return path.read_text(encoding="ascii", errors="replace").strip() or "unknown"
    except OSError:  # on Windows, the holder's lock may forbid reading
        return "unknown"


def _is_held(path: Path) -> bool:
    probe = filelock.FileLock(path, preserve_lock_file=True)  # not the singleton: a fresh attempt
    try:
        probe.acquire(timeout=0)
    except filelock.Timeout:
        return True
    probe.release()
    return False


def child_environment(project: Project | Path) -> dict[str, str]:
    """The environment entry a build passes to the Quarto process it starts while holding the lock."""
    return {LOCK_ENV: f"{os.getpid()}:{_lock_path(project)}"}


def held_by_parent(project: Project | Path) -> bool:
    """Whether this process was started (through Quarto) by the build that holds the project's lock."""
    token = os.environ.get(LOCK_ENV, "")
    pid, _, named = token.partition(":")
    path = _lock_path(project)
    if not pid.isdigit() or named != str(path) or not path.is_file():
        return False
    return lock_holder(path) == pid and int(pid) != os.getpid() and _is_held(path)


@contextlib.contextmanager
def project_lock(
    project: Project | Path, *, wait: bool = True, notify: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the project lock (``_build/.lock``) so that two runs or builds of a project never interleave.

    Parameters
    ----------
    project
        The project, or its root folder.
    wait
        If the lock is held by another process, wait for it (after calling ``notify``); if False,
        raise :class:`~cufstudy.core.errors.LockError` at once.
    notify
        Called with a message before waiting.
    """
    path = _lock_path(project)
    if held_by_parent(project):
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = _lock(path)
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        message = f"another cufstudy run/build is running (pid {lock_holder(path)})"
        if not wait:
            raise LockError(f"{message}; lock file {path}") from None
        if notify is not None:
            notify(f"{message}; waiting…")
        lock.acquire(poll_interval=0.1)
    try:
        yield
    finally:
        lock.release()
