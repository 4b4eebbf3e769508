"""Publication of a set of files as one: all the new files, or (after a kill) all the old ones until recovered.

Renaming one file is atomic, renaming several is not: a build killed between ``brochure.pdf`` and
``brochure.docx`` would leave one new and one old. So a set is published in three steps, like a database
commit:

1. **stage**: every new file is moved (or copied, from another file system) beside its target, as the hidden
   ``.<name>.new``, and synced to disk; a failure here (a full disk) removes the staged files and changes
   nothing;
2. **commit**: a small journal listing every (staged file, target) pair, and the files to remove, is written
   atomically (``_output/.cufstudy-publish.json``); from this point the new set *is* the publication;
3. **swap**: each staged file is renamed over its target, the files to remove are removed, and the journal is
   deleted.

A kill during step 3 leaves the journal: :func:`recover` (called before every publication, and by the build
before it renders) finishes the swap from it, so the deliverable is then all new. A kill before step 2
leaves only hidden ``.new`` files, which :func:`recover` removes: the deliverable is all old.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from cufstudy.core.atomic import atomic_write_text
from cufstudy.core.errors import WriteError

__all__ = ["JOURNAL", "publish_set", "recover"]

JOURNAL = ".cufstudy-publish.json"
_SUFFIX = ".new"


def _staged_name(target: Path) -> Path:
    return target.with_name(f".{target.name}{_SUFFIX}")


def _replace(src: Path, dst: Path) -> None:
    """One rename of the swap (its own function, so that a test can stop a build between two of them)."""
    src.replace(dst)


def _sync(path: Path) -> None:
    with path.open("rb+") as fh:
        os.fsync(fh.fileno())


def _stage(src: Path, target: Path) -> Path:
    staged = _staged_name(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        try:
            src.replace(staged)  # the work folder is usually on the same file system: a rename
        except OSError:
            shutil.copyfile(src, staged)
        _sync(staged)
    except OSError:
        with contextlib.suppress(OSError):
            staged.unlink()
        raise
    return staged


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def publish_set(root: Path, folder: Path, files: Sequence[tuple[Path, Path]], remove: Sequence[Path] = ()) -> None:
    """Publish ``files`` ((new file, target) pairs) and remove ``remove``, as one set (see the module docstring).

    Parameters
    ----------
    root
        The project folder: the journal names files relative to it.
    folder
        Where the journal is written (the output folder).
    files
        The new files (moved away) and the paths they replace.
    remove
        Published files that are no longer part of the set (a preview page beyond the new page count).

    Raises
    ------
    WriteError
        A new file could not be staged (disk full, permission denied, read-only folder); nothing was changed.
    """
    recover(root, folder)
    if not files and not remove:
        return
    staged: list[tuple[Path, Path]] = []
    current = folder / JOURNAL
    try:
        for src, current in files:
            staged.append((_stage(src, current), current))
        current = folder / JOURNAL
        journal = {
            "version": 1,
            "swap": [[_relative(new, root), _relative(target, root)] for new, target in staged],
            "remove": [_relative(path, root) for path in remove],
        }
        atomic_write_text(folder / JOURNAL, json.dumps(journal, indent=1) + "\n")
    except OSError as exc:
        for new, _ in staged:
            with contextlib.suppress(OSError):
                new.unlink()
        if WriteError.handles(exc):
            raise WriteError(current, exc) from exc
        raise
    _finish(root, folder, journal)


def _finish(root: Path, folder: Path, journal: dict[str, object]) -> None:
    swap = journal.get("swap")
    for pair in swap if isinstance(swap, list) else []:
        new, target = (root / str(part) for part in pair)
        if new.exists():  # else already renamed, before a kill
            _replace(new, target)
    remove = journal.get("remove")
    for name in remove if isinstance(remove, list) else []:
        with contextlib.suppress(FileNotFoundError):
            (root / str(name)).unlink()
    (folder / JOURNAL).unlink()


def recover(root: Path, folder: Path) -> bool:
    """Finish a publication a kill interrupted, or remove what a kill left before its commit.

    Returns whether an interrupted swap was finished.
    """
    path = folder / JOURNAL
    finished = False
    if path.is_file():
        try:
            journal = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # cut short while written: not committed
            journal = None
        if isinstance(journal, dict):
            _finish(root, folder, journal)
            finished = True
        else:
            path.unlink()
    if folder.is_dir():  # staged files, and a journal cut short while written, of a publication never committed
        for orphan in [*folder.rglob(f".*{_SUFFIX}"), *folder.glob(f"{JOURNAL}.*.tmp")]:
            with contextlib.suppress(OSError):
                orphan.unlink()
    return finished
