"""cufstudy: literate report-building for the Cités Unies France capitalisation study and SDG toolbox.

Typed case data (``data/``) is validated into immutable objects, parameterised notebooks are executed
with Papermill, and the prose (``reports/*.qmd``) is rendered with Quarto or with the embedded
Pandoc + Typst engine.

The public API is listed in ``__all__``; heavy modules (pandas, altair, papermill) are imported only
when the name that needs them is first used, so the command line starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cufstudy.errors import (
    BuildError,
    CufstudyError,
    DataError,
    FactError,
    LayoutError,
    LeakError,
    LockError,
    PlanError,
    Problem,
    RenderError,
    RunError,
)

__version__ = "0.1.0"

__all__ = [
    "BuildError",
    "Case",
    "CaseBase",
    "CufstudyError",
    "DataError",
    "FactError",
    "LayoutError",
    "LeakError",
    "LockError",
    "PlanError",
    "Problem",
    "RenderError",
    "RunError",
    "__version__",
    "load_cases",
    "load_framework",
]

# name -> module that defines it, imported on first use
_LAZY = {
    "Case": "cufstudy.cases",
    "CaseBase": "cufstudy.cases",
    "load_cases": "cufstudy.cases",
    "load_framework": "cufstudy.sdg",
}

if TYPE_CHECKING:
    from cufstudy.cases import Case, CaseBase, load_cases
    from cufstudy.sdg import load_framework


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cufstudy' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
