"""The chart object and its exports: one :class:`FigureSpec` goes to the notebook, HTML, PDF and DOCX.

:func:`finish` makes every chart of the toolkit a :class:`FigureSpec`: the Altair chart with its French title,
its subtitle lines (the notice when the data is illustrative) and its alt text, which is also the Vega-Lite
``description`` (Vega writes it as the SVG's ``aria-label``). The exports apply the house theme
(:mod:`~cufstudy.notebook.charts.theme`) whatever theme is active, and render through the one exporter of
:mod:`~cufstudy.notebook.charts.vega` (vl-convert, ``fr-FR`` locale, the shipped font).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import altair as alt

from cufstudy.core.atomic import atomic_write_bytes, atomic_write_text
from cufstudy.core.french import COLON, typeset_text
from cufstudy.core.project import project_notices
from cufstudy.notebook.charts.theme import THEME_NAME
from cufstudy.notebook.charts.vega import (
    EMBED_OPTIONS,
    VEGALITE_MIME,
    script_json,
    spec_to_png,
    spec_to_svg,
    typeset_spec,
)

__all__ = [
    "Figure",
    "FigureSpec",
    "display",
    "finish",
    "mime_bundle",
    "save_png",
    "save_svg",
    "to_html_fragment",
    "to_png",
    "to_spec",
    "to_svg",
]


@dataclass(frozen=True)
class FigureSpec:
    """A chart with its French title and alt text.

    Attributes
    ----------
    chart
        The Altair chart; its ``description`` is ``alt_text`` and its ``usermeta.embedOptions`` carry
        the ``fr-FR`` locale for Vega-Embed.
    alt_text
        What the chart shows, in French, for readers who cannot see it.
    title
        The chart's title, usable as a caption.
    """

    chart: alt.TopLevelMixin
    alt_text: str
    title: str
    base: str | None = None
    """What the chart is computed on (``n = 18 missions DCOL``): its first subtitle line, and in its alt text."""

    def with_base(self, base: str) -> FigureSpec:
        """This chart stating its base: ``Base : n = 18 missions DCOL`` as the first subtitle line, at the
        start of the alt text, and in the notebook output's metadata (``cufstudy.base``)."""
        base = typeset_text(base)
        line = f"Base{COLON} {base}"
        title = getattr(self.chart, "title", None)
        subtitle: list[str] = []
        if isinstance(title, alt.TitleParams) and isinstance(title.subtitle, list | tuple):
            subtitle = [str(s) for s in title.subtitle]
        elif isinstance(title, alt.TitleParams) and isinstance(title.subtitle, str):
            subtitle = [title.subtitle]
        chart = self.chart.properties(title=alt.TitleParams(self.title, subtitle=[line, *subtitle]))
        alt_text = typeset_text(f"{line}. {self.alt_text}")
        chart = chart.properties(description=alt_text)
        return FigureSpec(chart=chart, alt_text=alt_text, title=self.title, base=base)

    def to_dict(self) -> dict[str, Any]:
        """The Vega-Lite specification, with the house theme and the locale (:func:`to_spec`)."""
        return to_spec(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
        return mime_bundle(self)


Figure = FigureSpec | alt.TopLevelMixin
"""What the export functions take: a :class:`FigureSpec` or any Altair chart."""


def finish(
    chart: alt.TopLevelMixin,
    title: str,
    alt_text: str,
    subtitle: Sequence[str] = (),
    illustrative: bool = False,
    notice: str | None = None,
) -> FigureSpec:
    """Title a chart, describe it, and flag illustrative data: the last step of every chart of the toolkit.

    The title, subtitle lines and alt text are typeset (:func:`~cufstudy.core.french.typeset_text`), as every
    text of the spec is when it is exported (:func:`to_spec`).

    Parameters
    ----------
    chart
        The Altair chart.
    title
        The French title, drawn above the chart.
    alt_text
        What the chart shows (French, specific: the figures a reader would take from it).
    subtitle
        Lines drawn under the title, in grey.
    illustrative
        The data is illustrative: ``notice`` ends the subtitle and the alt text.
    notice
        What an illustrative chart says; default: the project's notice for the charts of the case base
        (``cufstudy: notices: chart:`` of the project holding the working folder, else
        :data:`~cufstudy.core.french.ILLUSTRATIVE_CODING`).
    """
    if notice is None:
        notice = project_notices().chart
    lines = [typeset_text(line) for line in [*subtitle, *([notice] if illustrative else [])]]
    if illustrative:
        alt_text = f"{alt_text} {notice}."
    title, alt_text = typeset_text(title), typeset_text(alt_text)
    params = alt.TitleParams(title, subtitle=lines) if lines else alt.TitleParams(title)
    chart = chart.properties(title=params, description=alt_text, usermeta={"embedOptions": EMBED_OPTIONS})
    return FigureSpec(chart=chart, alt_text=alt_text, title=title)


def _chart_of(fig: Figure) -> alt.TopLevelMixin:
    return fig.chart if isinstance(fig, FigureSpec) else fig


def to_spec(fig: Figure) -> dict[str, Any]:
    """The Vega-Lite specification of a chart, with the house theme and the ``fr-FR`` locale.

    Parameters
    ----------
    fig
        A :class:`FigureSpec` or any Altair chart.

    Returns
    -------
    dict
        The spec, its texts and data labels in French typography
        (:func:`~cufstudy.notebook.charts.vega.typeset_spec`); ``spec["usermeta"]["embedOptions"]`` holds
        ``formatLocale`` and ``timeFormatLocale`` for Vega-Embed, and ``spec["config"]["locale"]`` the same
        locale for any Vega renderer.
    """
    with alt.theme.enable(THEME_NAME):
        spec: dict[str, Any] = typeset_spec(_chart_of(fig).to_dict())
    meta = spec.setdefault("usermeta", {})
    meta["embedOptions"] = {**EMBED_OPTIONS, **meta.get("embedOptions", {})}
    return spec


def to_png(fig: Figure, scale: float = 2.0) -> bytes:
    """Render a chart to PNG offline (vl-convert, ``fr-FR`` locale, the shipped font).

    Parameters
    ----------
    fig
        A :class:`FigureSpec` or any Altair chart.
    scale
        Pixel density: 2 gives a sharp image at twice the chart's natural size.

    Returns
    -------
    bytes
        The PNG file.
    """
    return spec_to_png(to_spec(fig), scale=scale)


def to_svg(fig: Figure) -> str:
    """Render a chart to SVG offline (vl-convert, ``fr-FR`` locale).

    Parameters
    ----------
    fig
        A :class:`FigureSpec` or any Altair chart.

    Returns
    -------
    str
        The SVG document, its root marked ``role="img"`` with the alt text as ``aria-label`` and
        ``<title>`` (vl-convert leaves the Vega-Lite ``description`` out of the static SVG).
    """
    return spec_to_svg(to_spec(fig))


def save_png(fig: Figure, path: str | Path, scale: float = 2.0) -> Path:
    """Write a chart as a PNG file (atomically) and return its path.

    Parameters
    ----------
    fig
        A :class:`FigureSpec` or any Altair chart.
    path
        Target file; its folder is created.
    scale
        Pixel density (2: twice the natural size, for print).
    """
    target = Path(path)
    atomic_write_bytes(target, to_png(fig, scale=scale))
    return target


def save_svg(fig: Figure, path: str | Path) -> Path:
    """Write a chart as an SVG file (atomically) and return its path.

    Parameters
    ----------
    fig
        A :class:`FigureSpec` or any Altair chart.
    path
        Target file; its folder is created.
    """
    target = Path(path)
    atomic_write_text(target, to_svg(fig))
    return target


def to_html_fragment(fig: Figure, div_id: str | None = None) -> str:
    """An HTML ``<div>`` and a ``<script>`` that draws the chart with the page's global ``vegaEmbed``.

    Vega, Vega-Lite and Vega-Embed are not included: the page loads them once (for example
    ``vl_convert.javascript_bundle()``) before the fragments run.

    Parameters
    ----------
    fig
        A :class:`FigureSpec` or any Altair chart.
    div_id
        Id of the ``<div>``; by default derived from the spec, so the same chart gives the same HTML.

    Returns
    -------
    str
        The fragment; the chart is drawn as SVG with the ``fr-FR`` locale, without the action menu.
    """
    spec = to_spec(fig)
    if div_id is None:
        digest = hashlib.sha1(json.dumps(spec, sort_keys=True).encode("utf-8")).hexdigest()[:10]
        div_id = f"cufstudy-fig-{digest}"
    options = {**spec["usermeta"]["embedOptions"], "renderer": "svg", "actions": False}
    return (
        f'<div id="{div_id}" class="cufstudy-chart"></div>\n'
        '<script type="text/javascript">\n'
        "(function () {\n"
        f"  var spec = {script_json(spec)};\n"
        f"  var opts = {script_json(options)};\n"
        f'  vegaEmbed("#{div_id}", spec, opts).catch(function (err) {{ console.error(err); }});\n'
        "})();\n"
        "</script>"
    )


def _spec_title(spec: dict[str, Any]) -> str:
    title = spec.get("title", "")
    text = title.get("text", "") if isinstance(title, dict) else title
    return " ".join(text) if isinstance(text, list) else str(text)


def mime_bundle(fig: Figure) -> tuple[dict[str, Any], dict[str, Any]]:
    """The notebook output of a chart: ``data`` and ``metadata`` of a Jupyter ``display_data``.

    Only the specification is recorded: JupyterLab draws it, the HTML deliverables draw it in the page, and
    the static images a PDF or a DOCX needs are drawn after the runs, outside the kernel, for the formats being
    built only, and cached by the spec (:mod:`cufstudy.render.chart_images`).

    Parameters
    ----------
    fig
        A :class:`FigureSpec` or any Altair chart.

    Returns
    -------
    tuple of dict
        ``data``: ``application/vnd.vegalite.v6+json`` (the spec) and ``text/plain`` (the alt text).
        ``metadata``: ``{"title", "alt", "base"}`` under ``cufstudy``.
    """
    spec = to_spec(fig)
    alt_text = fig.alt_text if isinstance(fig, FigureSpec) else str(spec.get("description", ""))
    data = {VEGALITE_MIME: spec, "text/plain": alt_text}
    metadata = {
        "cufstudy": {
            "title": fig.title if isinstance(fig, FigureSpec) else _spec_title(spec),
            "alt": alt_text,
            "base": fig.base if isinstance(fig, FigureSpec) else None,
        },
    }
    return data, metadata


def display(fig: Figure) -> None:
    """Show a chart in a notebook as its :func:`mime_bundle` (the Vega-Lite spec, drawn by JupyterLab).

    Parameters
    ----------
    fig
        A :class:`FigureSpec` or any Altair chart.
    """
    from IPython.display import display as ipython_display

    data, metadata = mime_bundle(fig)
    ipython_display(data, metadata=metadata, raw=True)  # type: ignore[no-untyped-call]
