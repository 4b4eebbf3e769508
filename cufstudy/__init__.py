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
    "build",
    "classify",
    "load_cases",
    "load_framework",
    "load_organisations",
    "load_partnership",
    "load_plan",
    "load_typology",
    "rank_models",
    "run",
]

# name -> module that defines it, imported on first use
_LAZY = {
    "Case": "cufstudy.cases",
    "CaseBase": "cufstudy.cases",
    "build": "cufstudy.build",
    "classify": "cufstudy.typology",
    "load_cases": "cufstudy.cases",
    "load_framework": "cufstudy.sdg",
    "load_organisations": "cufstudy.organisation",
    "load_partnership": "cufstudy.partnerships",
    "load_plan": "cufstudy.plan",
    "load_typology": "cufstudy.typology",
    "rank_models": "cufstudy.organisation",
    "run": "cufstudy.runs",
}

if TYPE_CHECKING:
    from cufstudy.build import build
    from cufstudy.cases import Case, CaseBase, load_cases
    from cufstudy.organisation import load_organisations, rank_models
    from cufstudy.partnerships import load_partnership
    from cufstudy.plan import load_plan
    from cufstudy.runs import run
    from cufstudy.sdg import load_framework
    from cufstudy.typology import classify, load_typology


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cufstudy' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
