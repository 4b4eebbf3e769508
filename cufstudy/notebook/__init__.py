"""What notebooks import: the setup step, the parameter checks, facts, tables and charts, and what to say when
data are too few.

``from cufstudy.notebook import charts, enough_data, facts, setup`` in the first cell of a study notebook;
``setup``, ``data_folder``, ``choice``, :class:`NotebookContext`, :func:`enough_data` and :func:`say` are loaded
on first use (the renderer imports :mod:`cufstudy.notebook.facts` without loading pandas).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["NotebookContext", "choice", "data_folder", "enough_data", "say", "setup"]

_MODULES = {
    "NotebookContext": "context",
    "setup": "context",
    "choice": "context",
    "data_folder": "context",
    "enough_data": "enough",
    "say": "enough",
}

if TYPE_CHECKING:
    from cufstudy.notebook.context import NotebookContext, choice, data_folder, setup
    from cufstudy.notebook.enough import enough_data, say


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module 'cufstudy.notebook' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"cufstudy.notebook.{_MODULES[name]}"), name)
    globals()[name] = value
    return value
