"""The chart toolkit: every chart of every deliverable, in French, one theme, one exporter, one locale.

The study's charts take the case frame (:attr:`cufstudy.model.cases.CaseBase.frame`), the recommendations
(:meth:`~cufstudy.model.cases.CaseBase.recommendations_frame`) or a typology; the toolbox's take an SDG
partnership. Each aggregates in pandas (a chart embeds counts, never one row per case, except the points of
:func:`cases_map` and :func:`factor_map`) and returns a :class:`FigureSpec`: the chart, its French title and
its alt text, which is also the chart's Vega-Lite ``description`` (Vega writes it as the SVG's
``aria-label``). Charts built on illustrative data say so in their subtitle and alt text.

The same chart object goes everywhere: :func:`save_png` and :func:`save_svg` render it offline with
vl-convert; :func:`to_html_fragment` gives a ``<div>`` and a ``<script>`` calling the page's global
``vegaEmbed``; :func:`display` shows it in a notebook as a MIME bundle (Vega-Lite JSON, PNG, SVG, alt text),
so an executed notebook carries a static image for the PDF and DOCX renderers.

Numbers follow the ``fr-FR`` locale (decimal comma, narrow no-break space for thousands): it is in the
spec's ``config.locale`` (any Vega renderer), in ``usermeta.embedOptions`` (Vega-Embed) and passed to
vl-convert. The house theme (``alt.theme.enable("cufstudy")``) is enabled when the first chart is built;
the export functions apply it whatever theme is active.

============================  ====================================================================
module                        what it holds
============================  ====================================================================
:mod:`.vega`                  the ``fr-FR`` locales, the font folders, the vl-convert exporter, script JSON
                              (no Altair: the renderer uses it too)
:mod:`.theme`                 colours, sizes, the font family, the Altair theme
:mod:`.figure`                :class:`FigureSpec`, :func:`finish`, the exports
:mod:`.cases`, :mod:`.maps`   the case base: tiers, calls, strategies, IR service; France and world maps
:mod:`.followup`              the follow-up of the recommendations
:mod:`.typology`              the expert types, the MCA factor map
:mod:`.toolbox`               an SDG partnership: profile, matrix, indicators
:mod:`.brochure`              the brochure: key figures as tiles, the decision tree, the numbered map
============================  ====================================================================

The names below are imported on first use, so ``import cufstudy.notebook.charts.vega`` (the renderer) does not
load Altair.

Examples
--------
>>> from cufstudy.model.cases import load_cases
>>> from cufstudy.notebook import charts
>>> fig = charts.cases_by_tier_and_call(load_cases("data").frame)
>>> fig.title
'Collectivités étudiées par appel DCOL et par niveau'
>>> charts.to_png(fig)[:4]
b'\\x89PNG'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "CHART_WIDTH",
    "EMBED_OPTIONS",
    "FONT_FAMILY",
    "ILLUSTRATIVE_NOTE",
    "NUMBER_LOCALE",
    "THEME_NAME",
    "TIER_COLOURS",
    "TIME_LOCALE",
    "VEGALITE_MIME",
    "WIDTH",
    "Figure",
    "FigureSpec",
    "KeyFigure",
    "ambition_by_tier",
    "cases_by_tier_and_call",
    "cases_map",
    "decision_tree",
    "display",
    "enable_theme",
    "factor_map",
    "finish",
    "followup_rates",
    "key_figures",
    "matrix_chart",
    "mime_bundle",
    "modalities_by_tier",
    "motivations_by_tier",
    "numbered_map",
    "organisation_comparison",
    "organisation_transitions",
    "partner_countries_map",
    "partner_countries_top",
    "profile_chart",
    "progress_chart",
    "save_png",
    "save_svg",
    "staffing_by_tier",
    "strategy_types",
    "theme_config",
    "themes_by_tier",
    "to_html_fragment",
    "to_png",
    "to_spec",
    "to_svg",
]

_MODULES = {
    "vega": ["EMBED_OPTIONS", "NUMBER_LOCALE", "TIME_LOCALE", "VEGALITE_MIME"],
    "theme": ["CHART_WIDTH", "FONT_FAMILY", "THEME_NAME", "TIER_COLOURS", "WIDTH", "enable_theme", "theme_config"],
    "figure": [
        "Figure", "FigureSpec", "display", "finish", "mime_bundle", "save_png", "save_svg",
        "to_html_fragment", "to_png", "to_spec", "to_svg",
    ],
    "cases": [
        "ambition_by_tier", "cases_by_tier_and_call", "modalities_by_tier", "motivations_by_tier",
        "organisation_comparison", "organisation_transitions", "staffing_by_tier", "themes_by_tier",
    ],
    "maps": ["cases_map", "partner_countries_map", "partner_countries_top"],
    "followup": ["followup_rates"],
    "typology": ["factor_map", "strategy_types"],
    "toolbox": ["matrix_chart", "profile_chart", "progress_chart"],
    "brochure": ["KeyFigure", "decision_tree", "key_figures", "numbered_map"],
}  # fmt: skip
_LAZY = {name: module for module, names in _MODULES.items() for name in names}

if TYPE_CHECKING:
    from cufstudy.core.french import ILLUSTRATIVE_CODING as ILLUSTRATIVE_NOTE
    from cufstudy.notebook.charts.brochure import KeyFigure, decision_tree, key_figures, numbered_map
    from cufstudy.notebook.charts.cases import (
        ambition_by_tier,
        cases_by_tier_and_call,
        modalities_by_tier,
        motivations_by_tier,
        organisation_comparison,
        organisation_transitions,
        staffing_by_tier,
        themes_by_tier,
    )
    from cufstudy.notebook.charts.figure import (
        Figure,
        FigureSpec,
        display,
        finish,
        mime_bundle,
        save_png,
        save_svg,
        to_html_fragment,
        to_png,
        to_spec,
        to_svg,
    )
    from cufstudy.notebook.charts.followup import followup_rates
    from cufstudy.notebook.charts.maps import cases_map, partner_countries_map, partner_countries_top
    from cufstudy.notebook.charts.theme import (
        CHART_WIDTH,
        FONT_FAMILY,
        THEME_NAME,
        TIER_COLOURS,
        WIDTH,
        enable_theme,
        theme_config,
    )
    from cufstudy.notebook.charts.toolbox import matrix_chart, profile_chart, progress_chart
    from cufstudy.notebook.charts.typology import factor_map, strategy_types
    from cufstudy.notebook.charts.vega import EMBED_OPTIONS, NUMBER_LOCALE, TIME_LOCALE, VEGALITE_MIME


def __getattr__(name: str) -> Any:
    if name == "ILLUSTRATIVE_NOTE":  # what the study's charts say under illustrative data: the project's notice
        from cufstudy.core.project import project_notices

        return project_notices().chart
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cufstudy.notebook.charts' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
