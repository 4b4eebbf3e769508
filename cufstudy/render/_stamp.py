"""Skip the rendering of deliverables whose inputs have not changed since they were published.

Like ``make``: after a deliverable is published, ``_build/render-stamp.json`` records the hash of
everything its rendering reads and the (size, mtime) of each published file. The next build skips the
deliverable when the hash is the same and its files in ``_output/`` are still the ones it published;
otherwise it renders and checks it again.

The hash is per deliverable (:func:`deliverable_digest`), of what that deliverable reads, so that a change
of what another one reads does not render it again (a case's population changes the panorama's facts, not
the SDG toolbox, which embeds only the SDG notebook):

* its configuration (``_quarto.yml`` merged with its profile) and the files the configuration names
  anywhere (the bibliography, the CSL style, the reference DOCX, a filter...);
* its sources: every file of each main document's folder (the text, its images, the files it includes
  there), and every file included or image shown from elsewhere, found as the renderer reads them
  (:func:`cufstudy.render.shortcodes.document_inputs`);
* the executed notebooks it embeds (their cells and outputs; not their execution metadata, which changes
  at every run) and the facts it cites (their entries in ``_build/facts.json``);
* the project's ``templates/`` folder (the installed ``_extensions/cufstudy/`` is not hashed: it is written
  from the templates, the library and the notice, with the project's own path, so that a copied project
  keeps its stamps), the cufstudy library (its code, packaged reference data and fonts:
  :func:`cufstudy.core.digest.library_digest`; its packaged templates, filters, styles and Quarto extension:
  :func:`cufstudy.core.digest.templates_digest`) and the options: engine, formats, preview, the notice
  and the caller's ``reuse_key`` (``cufstudy build`` passes a digest of the confidential values the leak
  check searches for).

Editing any of them renders the deliverable again. Notebooks are hashed by what a rendering reads of them
(:func:`cufstudy.core.digest.executed_digest`: without their execution counts, Papermill's timings and the
kernel's timestamps) and the facts without the time they were written, so that running the notebooks again to
the same result keeps the deliverables.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cufstudy.core.atomic import atomic_write_text
from cufstudy.core.digest import executed_digest, library_digest, templates_digest
from cufstudy.core.files import SKIPPED_DIRS
from cufstudy.core.project import BuildPaths
from cufstudy.render.chart_images import chart_renderer
from cufstudy.render.config import Deliverable
from cufstudy.render.extension import extension_dir
from cufstudy.render.shortcodes import document_inputs

__all__ = ["RenderStamp", "deliverable_digest"]

def _folder_files(folder: Path) -> list[Path]:
    """Every file under ``folder`` (hidden files, caches and virtual environments skipped)."""
    files: list[Path] = []
    if not folder.is_dir():
        return files
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".") and d not in SKIPPED_DIRS and not (here / d / "pyvenv.cfg").exists()
        )
        files += [here / name for name in sorted(filenames) if not name.startswith(".")]
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


_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)")


def _images(sources: Iterable[Path], main_dir: Path, root: Path) -> list[Path]:
    """The image files the sources show (``![...](path)``, from the main document's folder or ``/`` the root)."""
    found: list[Path] = []
    for source in sources:
        with contextlib.suppress(OSError):
            for target in _IMAGE.findall(source.read_text(encoding="utf-8", errors="replace")):
                path = root / target.lstrip("/") if target.startswith("/") else main_dir / target
                with contextlib.suppress(OSError, ValueError):
                    if path.resolve().is_file():
                        found.append(path.resolve())
    return found


def _facts(root: Path) -> Mapping[str, Any]:
    try:
        data = json.loads(BuildPaths(root).facts.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    facts = data.get("facts") if isinstance(data, dict) else None
    return facts if isinstance(facts, dict) else {}


def deliverable_digest(root: Path, deliverable: Deliverable, options: Mapping[str, Any]) -> str:
    """Hash of everything the rendering of ``deliverable`` reads (see the module docstring)."""
    root = root.resolve()
    total = hashlib.sha256(json.dumps(dict(options), sort_keys=True, default=str).encode())
    total.update(library_digest().encode())
    total.update(templates_digest().encode())
    total.update(chart_renderer().encode())  # the charts' images are drawn at render time
    total.update(json.dumps([deliverable.name, deliverable.formats], default=str).encode())
    total.update(json.dumps(deliverable.config.data, sort_keys=True, default=str).encode())
    files: set[Path] = set(_named_files(root, [deliverable.config.data]))
    files |= {p.resolve() for p in _folder_files(root / "templates")}
    notebooks: dict[Path, None] = {}
    facts: dict[str, None] = {}
    for source in deliverable.inputs:
        files |= {p.resolve() for p in _folder_files(source.parent)}
        found = document_inputs(source, root)
        files |= {p.resolve() for p in found.files}
        files |= set(_images(found.files, source.parent, root))
        notebooks.update(dict.fromkeys(found.notebooks))
        facts.update(dict.fromkeys(found.facts))
    generated = extension_dir(root)
    for path in sorted(files):
        if not path.is_relative_to(root):  # outside the project: refused by the build before it renders
            continue
        if path.is_relative_to(generated):
            # written from what is hashed above (the packaged templates, templates/, the notice) and the
            # project's own path (the fonts' folder, for Typst): a copied or moved project renders the same
            continue
        total.update(f"{path.relative_to(root).as_posix()}\0".encode())
        try:
            if path.suffix == ".ipynb":  # a notebook beside a document: as a rendering reads it
                total.update(executed_digest(path).encode())
            else:
                total.update(hashlib.sha256(path.read_bytes()).digest())
        except (OSError, ValueError, AttributeError):
            total.update(b"missing")
    for notebook in notebooks:
        shown = notebook.relative_to(root).as_posix() if notebook.is_relative_to(root) else notebook.name
        total.update(f"{shown}\0".encode())
        try:
            total.update(executed_digest(notebook).encode())
        except (OSError, ValueError):
            total.update(b"missing")
    cited = _facts(root)
    total.update(json.dumps({key: cited.get(key) for key in facts}, sort_keys=True, default=str).encode())
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
