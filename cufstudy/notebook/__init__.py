"""What notebooks import: the setup step, the parameter checks, facts, tables and charts.

``from cufstudy.notebook import charts, facts, setup`` in the first cell of a study notebook; ``setup``,
``data_folder``, ``choice`` and :class:`NotebookContext` are loaded on first use (the renderer imports
:mod:`cufstudy.notebook.facts` without loading pandas).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["NotebookContext", "choice", "data_folder", "setup"]

if TYPE_CHECKING:
    from cufstudy.notebook.context import NotebookContext, choice, data_folder, setup


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'cufstudy.notebook' has no attribute {name!r}")
    value = getattr(importlib.import_module("cufstudy.notebook.context"), name)
    globals()[name] = value
    return value
