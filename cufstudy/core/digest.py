"""The hashes the caches compare: the cufstudy library's own source, and notebooks by what they hold.

Editing the library (a model, a chart, the renderer) must invalidate what was computed with the previous
code: notebook runs, the validated-case cache, published deliverables. Hashing about 40 files takes a
few milliseconds, so it is computed at each use rather than cached (a long-lived process, a notebook
kernel or a test session, sees an edit too).

A notebook is hashed by what it holds, not by its bytes: :func:`notebook_digest` by its cells' types, sources
and tags (what a run executes), :func:`executed_digest` by those and their outputs (what a deliverable embeds),
both without what changes at every execution or save and is never rendered: execution counts, Papermill's
timings, the kernel's execution timestamps, the editor's view state.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["executed_digest", "library_digest", "notebook_digest"]

#: Cell metadata that an execution or a save changes and no renderer reads.
VOLATILE_CELL_METADATA = frozenset({"papermill", "execution", "ExecuteTime", "collapsed", "scrolled", "jupyter"})
#: Notebook metadata likewise (Papermill's run record, the widget state of a live session).
VOLATILE_NOTEBOOK_METADATA = frozenset({"papermill", "widgets"})

_PACKAGE = Path(__file__).resolve().parents[1]


def library_digest() -> str:
    """Hex SHA-256 of the name and content of every ``.py`` file of the cufstudy package."""
    total = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        total.update(f"{path.relative_to(_PACKAGE).as_posix()}\0".encode())
        total.update(hashlib.sha256(path.read_bytes()).digest())
    return total.hexdigest()


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
