"""The hash of the cufstudy library's own source, part of every cache key.

Editing the library (a model, a chart, the renderer) must invalidate what was computed with the previous
code: notebook runs, the validated-case cache, published deliverables. Hashing about 40 files takes a
few milliseconds, so it is computed at each use rather than cached (a long-lived process, a notebook
kernel or a test session, sees an edit too).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["library_digest"]

_PACKAGE = Path(__file__).resolve().parents[1]


def library_digest() -> str:
    """Hex SHA-256 of the name and content of every ``.py`` file of the cufstudy package."""
    total = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        total.update(f"{path.relative_to(_PACKAGE).as_posix()}\0".encode())
        total.update(hashlib.sha256(path.read_bytes()).digest())
    return total.hexdigest()
