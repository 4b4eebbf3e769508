"""Where the project is: its root (the folder holding ``_quarto.yml``) and paths inside it.

Notebooks run from the project root under Papermill and from ``notebooks/`` in JupyterLab; resolving
their paths against the project root makes both work unchanged.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["project_root", "resolve"]


def project_root(start: Path | None = None) -> Path:
    """The nearest folder, from ``start`` (default: the working directory) up, holding ``_quarto.yml``.

    Falls back to ``start`` itself when no such folder exists.
    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "_quarto.yml").is_file():
            return folder
    return here


def resolve(path: str | Path, start: Path | None = None) -> Path:
    """``path`` if absolute, else ``path`` relative to the project root."""
    p = Path(path)
    return p if p.is_absolute() else project_root(start) / p
