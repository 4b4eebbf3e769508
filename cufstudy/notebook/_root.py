"""The project a notebook works in, found wherever the notebook runs.

Papermill runs a notebook in the folder it is started from (``cufstudy run`` starts it in the project root);
JupyterLab in the notebook's own folder (``notebooks/``). A notebook's ``data`` parameter names the data folder,
relative to the project root or absolute; :func:`locate_data` finds the project from it (an absolute data folder
lies inside its project) or from the working folder, and remembers it for the kernel, so that the facts
(:mod:`cufstudy.notebook.facts`) and the tables' full copies (:mod:`cufstudy.notebook.tables`) are written into
that project's ``_build/``, never into the folder papermill happened to start in.
"""

from __future__ import annotations

from pathlib import Path

from cufstudy.core.errors import DataError, Problem
from cufstudy.core.problems import Reason
from cufstudy.core.project import CONFIG_FILES, find_root

__all__ = ["activate", "locate_data", "notebook_root"]

_active: list[Path] = []  # the project of the last setup() in this kernel (one item at most)


def activate(root: Path) -> None:
    """Remember ``root`` as the project of this kernel's notebook."""
    _active[:] = [root.resolve()]


def _outside(where: Path, data: str | Path) -> DataError:
    return DataError(
        [
            Problem(
                str(where),
                f"no {CONFIG_FILES[0]} in this folder or its parents, so the data folder {str(data)!r} cannot be "
                "found. Run the notebook from its project (papermill --cwd /path/to/project ...) or give the "
                "data folder by its absolute path (papermill ... -p data /path/to/project/data)",
                reason=Reason.UNREADABLE,
            )
        ],
        summary="the notebook runs outside its cufstudy project",
    )


def locate_data(data: str | Path = "data") -> Path:
    """The absolute data folder named by a notebook's ``data`` parameter; its project becomes the kernel's.

    Raises
    ------
    DataError
        ``data`` is relative and the working folder is in no project: the message says to run papermill with
        ``--cwd`` or to pass ``-p data`` with an absolute path.
    """
    path = Path(data).expanduser()
    if path.is_absolute():
        root = find_root(path)
        if root is not None:
            activate(root)
        return path
    here = Path.cwd()
    root = find_root(here)
    if root is None:
        raise _outside(here, data)
    activate(root)
    return root / path


def notebook_root() -> Path:
    """The kernel's project: the one of the last :func:`locate_data`, else the one holding the working folder.

    Raises
    ------
    DataError
        There is none (nothing is written outside a project).
    """
    if _active:
        return _active[0]
    root = find_root(Path.cwd())
    if root is None:
        raise _outside(Path.cwd(), "data")
    return root
