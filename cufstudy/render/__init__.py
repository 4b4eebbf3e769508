"""Rendering of the deliverables: real Quarto when installed, else the embedded Pandoc + Typst engine.

Both read the same ``_quarto.yml`` and profiles, the same ``.qmd`` sources and the same executed
notebooks; the embedded engine supports exactly the Quarto subset documented in
``docs/quarto-subset.md`` and reports anything else as a located error.

Checking the rendered files and publishing them is :mod:`cufstudy.pipeline.publish`
(:func:`~cufstudy.pipeline.publish.render_deliverables`).
"""

from __future__ import annotations

from cufstudy.core.errors import LayoutError, RenderError, SourceError
from cufstudy.render.config import (
    Deliverable,
    PageRule,
    QuartoConfig,
    active_profiles,
    deliverables,
    load_config,
    merge_configs,
    profile_names,
)
from cufstudy.render.engine import EmbeddedEngine, external_urls
from cufstudy.render.layout import pdf_media_box, pdf_page_count
from cufstudy.render.quarto import quarto_path

__all__ = [
    "Deliverable",
    "EmbeddedEngine",
    "LayoutError",
    "PageRule",
    "QuartoConfig",
    "RenderError",
    "SourceError",
    "active_profiles",
    "deliverables",
    "external_urls",
    "load_config",
    "merge_configs",
    "pdf_media_box",
    "pdf_page_count",
    "profile_names",
    "quarto_path",
]
