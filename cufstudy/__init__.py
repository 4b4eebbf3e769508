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

from cufstudy.core.errors import (
    AnalysisError,
    CufstudyError,
    DataError,
    FactError,
    LayoutError,
    LeakError,
    LockError,
    NotFoundError,
    PlanError,
    Problem,
    ProblemError,
    Reason,
    RenderError,
    RunError,
    SourceError,
)

__version__ = "0.1.0"

__all__ = [
    "AnalysisError",
    "Case",
    "CaseBase",
    "CufstudyError",
    "DataError",
    "FactError",
    "LayoutError",
    "LeakError",
    "LockError",
    "NotFoundError",
    "PlanError",
    "Problem",
    "ProblemError",
    "Reason",
    "RenderError",
    "RunError",
    "SourceError",
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
    "Case": "cufstudy.model.cases",
    "CaseBase": "cufstudy.model.cases",
    "build": "cufstudy.pipeline.build",
    "classify": "cufstudy.study.typology",
    "load_cases": "cufstudy.model.cases",
    "load_framework": "cufstudy.sdg.framework",
    "load_organisations": "cufstudy.study.organisation_models",
    "load_partnership": "cufstudy.sdg.partnerships",
    "load_plan": "cufstudy.pipeline.plan",
    "load_typology": "cufstudy.study.typology",
    "rank_models": "cufstudy.study.organisation_models",
    "run": "cufstudy.pipeline.runs",
}

if TYPE_CHECKING:
    from cufstudy.model.cases import Case, CaseBase, load_cases
    from cufstudy.pipeline.build import build
    from cufstudy.pipeline.plan import load_plan
    from cufstudy.pipeline.runs import run
    from cufstudy.sdg.framework import load_framework
    from cufstudy.sdg.partnerships import load_partnership
    from cufstudy.study.organisation_models import load_organisations, rank_models
    from cufstudy.study.typology import classify, load_typology


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cufstudy' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
