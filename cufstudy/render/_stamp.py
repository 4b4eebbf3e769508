"""Skip the rendering of deliverables whose inputs have not changed since they were published.

Like ``make``: after a deliverable is published, ``_build/render-stamp.json`` records the hash of
everything its rendering depends on and the (size, mtime) of each published file. The next build
skips the deliverable when the hash is the same and its files in ``_output/`` are still the ones it
published; otherwise it renders and checks it again.

The hash is deliberately broad: every file of the project (the configuration files, the ``.qmd``
sources and what they include, templates, filters, fonts, styles...) except the data folder, the
build and output folders and hidden or virtual-environment folders; the executed notebooks and the
facts (``_build/notebooks/``, ``_build/facts.json``), through which the data reaches a deliverable;
the files the configuration names anywhere (a bibliography inside the data folder, say); the
cufstudy library's source; and the options: engine, formats, preview, the notice and the caller's
``reuse_key`` (``cufstudy build`` passes a digest of the confidential values the leak check searches
for). Editing any of them re-renders.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cufstudy.core.atomic import atomic_write_text
from cufstudy.core.digest import library_digest
from cufstudy.core.project import BUILD_DIR, OUTPUT_DIR, BuildPaths

__all__ = ["RenderStamp", "inputs_digest"]

_SKIP_DIRS = {BUILD_DIR, OUTPUT_DIR, "node_modules", "__pycache__"}


def _project_files(root: Path, data_dir: Path | None) -> list[Path]:
    files: list[Path] = []
    skip_data = data_dir.resolve() if data_dir is not None else None
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".")
            and d not in _SKIP_DIRS
            and (here / d).resolve() != skip_data
            and not (here / d / "pyvenv.cfg").exists()
        )
        files += [here / name for name in sorted(filenames) if not name.startswith(".")]
    paths = BuildPaths(root)
    if paths.notebooks.is_dir():
        files += sorted(p for p in paths.notebooks.glob("*.ipynb") if not p.name.startswith("."))
    if paths.facts.is_file():
        files.append(paths.facts)
    return files


def _named_files(root: Path, values: Iterable[Any]) -> list[Path]:
    """Files the configuration names (strings that are paths of existing files under the project)."""
    found: list[Path] = []
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, Mapping):
            stack += list(value.values())
        elif isinstance(value, list | tuple):
            stack += list(value)
        elif isinstance(value, str) and 0 < len(value) < 300 and "\n" not in value:
            with contextlib.suppress(OSError, ValueError):
                path = (root / value).resolve()
                if path.is_file() and path.is_relative_to(root.resolve()):
                    found.append(path)
    return found


def inputs_digest(
    root: Path,
    configs: Sequence[Mapping[str, Any]],
    data_dir: Path | None,
    options: dict[str, Any],
) -> str:
    """Hash of everything the rendering of a project's deliverables depends on (see the module docstring)."""
    total = hashlib.sha256(json.dumps(options, sort_keys=True, default=str).encode())
    total.update(library_digest().encode())
    files = {p.resolve() for p in _project_files(root, data_dir)}
    files |= set(_named_files(root, configs))
    for path in sorted(files):
        with contextlib.suppress(OSError, ValueError):  # ValueError: outside the project (refused by the build)
            rel = path.relative_to(root.resolve()).as_posix()
            total.update(f"{rel}\0".encode())
            total.update(hashlib.sha256(path.read_bytes()).digest())
    return total.hexdigest()


class RenderStamp:
    """The record of what each deliverable was last published from (``_build/render-stamp.json``)."""

    def __init__(self, root: Path) -> None:
        self.path = BuildPaths(root).render_stamp
        self.root = root
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        entries = data.get("deliverables") if isinstance(data, dict) else None
        self.entries: dict[str, Any] = entries if isinstance(entries, dict) else {}

    def fresh(self, name: str, digest: str) -> list[dict[str, Any]] | None:
        """The recorded outputs of ``name`` if it was published from ``digest`` and they are untouched."""
        entry = self.entries.get(name)
        if not isinstance(entry, dict) or entry.get("digest") != digest:
            return None
        outputs = entry.get("outputs")
        if not isinstance(outputs, list) or not outputs:
            return None
        for out in outputs:
            try:
                st = (self.root / out["path"]).stat()
            except (OSError, KeyError, TypeError):
                return None
            if [st.st_size, st.st_mtime_ns] != [out.get("size"), out.get("mtime_ns")]:
                return None
        return outputs

    def record(self, name: str, digest: str, paths: Sequence[tuple[Path, int | None, str]]) -> None:
        """Remember that ``name`` was published from ``digest`` as ``paths`` ((path, pages, format) each)."""
        outputs = []
        for path, pages, fmt in paths:
            st = path.stat()
            rel = path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)
            outputs.append({"path": rel, "format": fmt, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "pages": pages})
        self.entries[name] = {"digest": digest, "outputs": outputs}

    def forget(self, name: str) -> None:
        self.entries.pop(name, None)

    def save(self) -> None:
        text = json.dumps({"version": 1, "deliverables": self.entries}, indent=1, sort_keys=True)
        atomic_write_text(self.path, text + "\n")
