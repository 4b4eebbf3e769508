"""Hashes of the cufstudy library's own files, part of the cache keys.

Editing the library must invalidate what was computed with the previous version:

* :func:`library_digest`, what notebook runs and the validated-case cache depend on: the Python source
  and the packaged files a computation reads (the reference data of ``cufstudy/resources/data/``, the
  fonts the charts are measured and drawn with);
* :func:`templates_digest`, what the rendering of a deliverable also depends on: the templates, filters,
  styles and the Quarto extension of ``cufstudy/resources/``.

Hashing them takes a few milliseconds, so they are computed at each use rather than cached (a long-lived
process, a notebook kernel or a test session, sees an edit too).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

__all__ = ["library_digest", "templates_digest"]

_PACKAGE = Path(__file__).resolve().parents[1]
_RESOURCES = _PACKAGE / "resources"


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def _digest(files: Iterable[Path]) -> str:
    total = hashlib.sha256()
    for path in sorted(files):
        total.update(f"{path.relative_to(_PACKAGE).as_posix()}\0".encode())
        total.update(hashlib.sha256(path.read_bytes()).digest())
    return total.hexdigest()


def library_digest() -> str:
    """Hex SHA-256 of every ``.py`` file of cufstudy, its packaged reference data and fonts."""
    files = {p for p in _PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}
    return _digest(files | _files(_RESOURCES / "data") | _files(_RESOURCES / "extension" / "fonts"))


def templates_digest() -> str:
    """Hex SHA-256 of every packaged template file (the Quarto extension and the embedded engine's files)."""
    return _digest(_files(_RESOURCES / "extension") | _files(_RESOURCES / "engine"))
