"""Atomic file writes: write to a temporary file beside the target, fsync, then rename.

A write that fails because the disk is full, permission is denied or the folder is read-only raises a
located :class:`~cufstudy.core.errors.WriteError` naming the target; the target keeps its previous content.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cufstudy.core.errors import WriteError

__all__ = ["WriteError", "atomic_path", "atomic_write_bytes", "atomic_write_text"]


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once, at import: os.umask can only be read by setting it, which is not safe while threads write files.
_UMASK = _read_umask()


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` atomically.

    On any exception (or a kill) the temporary file is removed or left as a ``.tmp`` orphan, and
    ``target`` keeps its previous content.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _write_error(exc, target, target) from exc
    os.close(fd)
    tmp = Path(name)
    try:
        tmp.chmod(0o666 & ~_UMASK)  # mkstemp creates 0600; outputs get the permissions of an ordinary file
        yield tmp
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        tmp.replace(target)
    except OSError as exc:
        raise _write_error(exc, target, tmp) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _write_error(exc: OSError, target: Path, tmp: Path) -> OSError | WriteError:
    """A located :class:`WriteError` for a failed write of ``target`` (disk full, permissions, read-only);
    any other error, or one about another file (read by the caller meanwhile), unchanged."""
    if not WriteError.handles(exc):
        return exc
    named = exc.filename
    if named is not None and Path(str(named)) not in (target, tmp, target.parent):
        return exc
    return WriteError(target, exc)


def atomic_write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(target: Path, text: str) -> None:
    atomic_write_bytes(target, text.encode("utf-8"))
