"""The hashes the caches compare: the cufstudy library's own files, and notebooks by what they hold.

Editing the library must invalidate what was computed with the previous version:

* :func:`library_digest`, what notebook runs and the validated-case cache depend on: the Python source
  and the packaged files a computation reads (the reference data of ``cufstudy/resources/data/``, the
  fonts the charts are measured and drawn with);
* :func:`templates_digest`, what the rendering of a deliverable also depends on: the templates, filters,
  styles and the Quarto extension of ``cufstudy/resources/``.

Hashing them takes a few milliseconds, so they are computed at each use rather than cached (a long-lived
process, a notebook kernel or a test session, sees an edit too).

A notebook is hashed by what it holds, not by its bytes: :func:`notebook_digest` by its cells' types, sources
and tags (what a run executes), :func:`executed_digest` by those and their outputs (what a deliverable embeds),
both without what changes at every execution or save and is never rendered: execution counts, Papermill's
timings, the kernel's execution timestamps, the editor's view state.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["executed_digest", "library_digest", "notebook_digest", "templates_digest"]

#: Cell metadata that an execution or a save changes and no renderer reads.
VOLATILE_CELL_METADATA = frozenset({"papermill", "execution", "ExecuteTime", "collapsed", "scrolled", "jupyter"})
#: Notebook metadata likewise (Papermill's run record, the widget state of a live session).
VOLATILE_NOTEBOOK_METADATA = frozenset({"papermill", "widgets"})

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


def _canonical(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _text(source: object) -> str:
    return "".join(source) if isinstance(source, list) else str(source or "")


def notebook_digest(nb: Mapping[str, Any] | Path) -> str:
    """Hash of a notebook's cells: types, sources and tags (outputs, counts and metadata ignored)."""
    data = json.loads(nb.read_bytes()) if isinstance(nb, Path) else nb
    cells = []
    for cell in data.get("cells", []):
        tags = (cell.get("metadata") or {}).get("tags", [])
        cells.append([cell.get("cell_type"), _text(cell.get("source", "")), sorted(tags)])
    return hashlib.sha256(_canonical(cells)).hexdigest()


def executed_digest(nb: Mapping[str, Any] | Path) -> str:
    """Hash of an executed notebook as a renderer sees it: cells, their metadata and outputs, without the
    execution counts, timings and view state that differ between two executions of the same result."""
    data = json.loads(nb.read_bytes()) if isinstance(nb, Path) else nb
    meta = {k: v for k, v in (data.get("metadata") or {}).items() if k not in VOLATILE_NOTEBOOK_METADATA}
    cells = []
    for cell in data.get("cells", []):
        outputs = [
            {k: v for k, v in out.items() if k != "execution_count"} for out in cell.get("outputs", []) or []
        ]
        cells.append(
            [
                cell.get("cell_type"),
                _text(cell.get("source", "")),
                {k: v for k, v in (cell.get("metadata") or {}).items() if k not in VOLATILE_CELL_METADATA},
                outputs,
                cell.get("attachments"),
            ]
        )
    return hashlib.sha256(_canonical([meta, cells])).hexdigest()
