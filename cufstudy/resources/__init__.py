"""The files the library ships with, and how a project overrides them.

Everything cufstudy needs at run time is package data, found with :mod:`importlib.resources`, so an
installed wheel works outside any source tree:

``extension/``
    The Quarto extension ``cufstudy`` (``_extension.yml``, the ``fact`` shortcode, the Quarto filters,
    the Typst partials, ``cufstudy.css``, ``reference.docx``, the French CSL style, the Inter fonts with
    their licence). :mod:`cufstudy.render.extension` copies it into a project as ``_extensions/cufstudy/``.
``engine/``
    What only the embedded Pandoc + Typst engine uses (its main Typst template and Lua filters).
``data/``
    Reference data with their ``SOURCE.md``: the UN SDG framework (``sdg/``) and the boundaries and
    country data of the maps (``geo/``); the default expert typology (``typology.yaml``), organisation
    models (``organisation.yaml``) and the bibliography they cite (``references.bib``).
``starter/``
    The project :func:`cufstudy.pipeline.starter.new_project` (``cufstudy new``) copies into a new folder.

A project overrides any of these files with its own file at the same relative path, one file at a time:

* ``<project>/templates/<rel>`` wins over ``extension/<rel>`` and ``engine/<rel>`` (the two packaged
  folders share one namespace: ``typst/typst-template.typ``, ``reference.docx``, ``filters/structure.lua``);
* ``<data folder>/<rel>`` wins over ``data/<rel>`` (``sdg/sdg_goals.csv``, ``geo/regions.geojson``,
  ``typology.yaml``).

:func:`resource_path` is the one resolver; :func:`template_path` and :func:`data_path` name its two uses.

Examples
--------
>>> template_path("typst/typst-template.typ").name
'typst-template.typ'
>>> data_path("sdg/sdg_goals.csv").parent.name
'sdg'
"""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Literal

from cufstudy.core.errors import DataError, RenderError

__all__ = [
    "EXTENSION_DIR",
    "Kind",
    "data_path",
    "font_dirs",
    "packaged_files",
    "packaged_root",
    "resource_path",
    "template_path",
]

Kind = Literal["templates", "data"]
#: the packaged folders of each kind, searched in order
_PACKAGED: dict[str, tuple[str, ...]] = {"templates": ("extension", "engine"), "data": ("data",)}
#: the packaged folder that is the Quarto extension
EXTENSION_DIR = "extension"


@functools.cache
def packaged_root() -> Path:
    """The folder of the packaged resources (``cufstudy/resources`` of the installed package)."""
    root = importlib.resources.files(__name__)
    if not isinstance(root, Path):  # pragma: no cover - only for a zipped install
        raise RenderError(
            "cufstudy is installed as a zip archive; its templates and data must be files: install it with pip"
        )
    return root


def _relative(rel: str | PurePosixPath) -> PurePosixPath:
    path = PurePosixPath(str(rel).replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(f"resource path {str(rel)!r} must be relative, without '..'")
    return path


def _packaged(kind: Kind, rel: PurePosixPath) -> Path | None:
    for folder in _PACKAGED[kind]:
        candidate = packaged_root() / folder / rel
        if candidate.exists():
            return candidate
    return None


def resource_path(kind: Kind, rel: str | PurePosixPath, override: Path | None = None) -> Path:
    """The file ``rel`` of a kind of resource: the project's own copy if it has one, else the packaged one.

    Parameters
    ----------
    kind
        ``"templates"`` (packaged ``extension/`` then ``engine/``) or ``"data"`` (packaged ``data/``).
    rel
        The path inside that namespace, with ``/`` separators: ``"typst/typst-template.typ"``,
        ``"geo/regions.geojson"``.
    override
        The project folder whose files win: ``<project>/templates`` or the project's data folder.

    Raises
    ------
    RenderError, DataError
        Neither the project nor the package has the file (templates, data).
    """
    path = _relative(rel)
    if override is not None:
        own = Path(override) / path
        if own.is_file():
            return own
    found = _packaged(kind, path)
    if found is not None:
        return found
    where = f"{override / path} nor " if override is not None else ""
    message = f"{kind}/{path.as_posix()}: found neither {where}in the cufstudy package"
    if kind == "data":
        raise DataError.single(str(override / path if override is not None else path), message)
    raise RenderError(message)


def template_path(rel: str | PurePosixPath, project: Path | None = None) -> Path:
    """A template file: ``<project>/templates/<rel>`` if the project has it, else the packaged file."""
    return resource_path("templates", rel, project / "templates" if project is not None else None)


def data_path(rel: str | PurePosixPath, data: Path | None = None) -> Path:
    """A reference-data file: ``<data>/<rel>`` if the project's data folder has it, else the packaged file."""
    return resource_path("data", rel, data)


def packaged_files(folder: str) -> Iterator[PurePosixPath]:
    """The files of a packaged folder (``"extension"``, ``"engine"``, ``"data"``), relative to it, sorted.

    Python caches (``__pycache__``) and hidden files are skipped.
    """
    base = packaged_root() / folder
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base)
        if path.is_file() and not any(part.startswith((".", "__")) for part in rel.parts):
            yield PurePosixPath(rel.as_posix())


def font_dirs(project: Path | None = None) -> list[Path]:
    """The font folders of a project: its own ``templates/fonts`` (when it holds fonts), then the packaged one."""
    dirs = []
    if project is not None:
        own = project / "templates" / "fonts"
        if own.is_dir() and any(p.suffix.lower() in (".otf", ".ttf") for p in own.iterdir()):
            dirs.append(own)
    dirs.append(packaged_root() / EXTENSION_DIR / "fonts")
    return dirs
