"""House style of the study's charts: theme, French locale, shared helpers, and export with vl-convert.

Private to :mod:`cufstudy.notebook.charts`, which re-exports the public names. Everything a chart needs to look
the same in the notebook, the HTML pages, the PDF and the DOCX lives here: one colour per tier group,
the sans font cufstudy ships (Inter; a project's ``templates/fonts/`` wins) with DejaVu Sans as the
fallback, sizes for an A4 page, the ``fr-FR`` number and date locale (decimal comma, narrow no-break
space for thousands, as :func:`cufstudy.notebook.facts.format_fr` prints them in the prose), and the
renderers (PNG, SVG, HTML fragment, notebook MIME bundle).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
import os
import struct
import textwrap
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any, Final, cast

import altair as alt
import pandas as pd

from cufstudy.core.atomic import atomic_write_bytes, atomic_write_text
from cufstudy.model.vocab import Attachment, TierGroup, label
from cufstudy.notebook.facts import NBSP, NNBSP, format_fr

__all__ = [
    "EMBED_OPTIONS",
    "FONT_FAMILY",
    "NUMBER_LOCALE",
    "THEME_NAME",
    "TIER_COLOURS",
    "TIME_LOCALE",
    "VEGALITE_MIME",
    "Figure",
    "FigureSpec",
    "display",
    "enable_theme",
    "ensure_fonts",
    "mime_bundle",
    "save_png",
    "save_svg",
    "theme_config",
    "to_html_fragment",
    "to_png",
    "to_spec",
    "to_svg",
]

THEME_NAME: Final = "cufstudy"
WIDTH: Final = 460
"""Default width of a chart's plot area in pixels: with its axis labels a chart stays within the
16 cm text block of an A4 page at 72 ppi."""


# d3-format / d3-time-format locales: vl_convert.get_format_locale("fr-FR") and
# get_time_format_locale("fr-FR"), with the narrow no-break space for thousands (d3 ships U+00A0).
NUMBER_LOCALE: Final[dict[str, Any]] = {
    "decimal": ",",
    "thousands": NNBSP,
    "grouping": [3],
    "currency": ["", f"{NBSP}€"],
    "percent": f"{NNBSP}%",
}
TIME_LOCALE: Final[dict[str, Any]] = {
    "dateTime": "%A %e %B %Y à %X",
    "date": "%d/%m/%Y",
    "time": "%H:%M:%S",
    "periods": ["AM", "PM"],
    "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
    "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
    "months": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "shortMonths": [
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ],
}
EMBED_OPTIONS: Final[dict[str, Any]] = {"formatLocale": NUMBER_LOCALE, "timeFormatLocale": TIME_LOCALE}
"""Vega-Embed options every chart carries in ``usermeta.embedOptions`` (Vega-Embed reads them there)."""

# Okabe & Ito (2008) colour-blind-safe palette: one colour per tier group, the same in every chart.
TIER_COLOURS: Final[dict[str, str]] = {
    "commune": "#0072B2",
    "epci": "#E69F00",
    "departement": "#009E73",
    "region": "#CC79A7",
    "statut_particulier": "#56B4E9",
}
# follow-up statuses, a diverging blue-red ramp (ColorBrewer RdBu, colour-blind safe) from done to dropped
STATUS_COLOURS: Final[dict[str, str]] = {
    "implemented": "#2166AC",
    "partly": "#92C5DE",
    "not_started": "#F4A582",
    "abandoned": "#B2182B",
    "unknown": "#D9D9D9",
}
# before / recommended / after a mission: grey to dark blue, in time order
PHASE_COLOURS: Final[dict[str, str]] = {"before": "#BDBDBD", "recommended": "#6A9AC4", "after": "#1F4E79"}
AMBITION_RANGE: Final = ["#EFF3FF", "#08519C"]  # sequential ramp of the heatmaps (ColorBrewer Blues ends)
INK: Final = "#222222"
MUTED: Final = "#595959"
RULE: Final = "#8C8C8C"
GRID: Final = "#E6E6E6"

# Not "Source Sans 3": vl-convert 1.9 measures text in a font whose name holds a digit with a wider
# stand-in, so labels get truncated ("…") although they fit. DejaVu Sans ships with most Linux systems.
_FALLBACK_FONTS: Final = ('"DejaVu Sans"', "sans-serif")
_FONT_SUFFIXES: Final = (".otf", ".ttf")


def font_dir() -> Path | None:
    """The folder of fonts the charts use, or ``None``.

    ``$CUFSTUDY_FONT_DIR`` if set, else the project's own ``templates/fonts`` (under the working
    directory), else the packaged fonts (:func:`cufstudy.resources.font_dirs`), the first that holds
    ``.otf``/``.ttf`` files.
    """
    from cufstudy.resources import font_dirs

    env = os.environ.get("CUFSTUDY_FONT_DIR")
    candidates = [Path(env)] if env else []
    candidates += font_dirs(Path.cwd())
    for folder in candidates:
        if folder.is_dir() and any(p.suffix.lower() in _FONT_SUFFIXES for p in folder.iterdir()):
            return folder.resolve()
    return None


def _name_records(data: bytes) -> Iterator[tuple[int, str]]:
    """(name id, text) of the Windows Unicode records of an OpenType font's ``name`` table."""
    if len(data) < 12:
        return
    (n_tables,) = struct.unpack_from(">H", data, 4)
    for i in range(n_tables):
        tag, _, offset, _ = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        if tag != b"name":
            continue
        _, count, strings = struct.unpack_from(">HHH", data, offset)
        for j in range(count):
            platform, encoding, _, name_id, length, start = struct.unpack_from(">6H", data, offset + 6 + 12 * j)
            if platform == 3 and encoding in (0, 1, 10):
                raw = data[offset + strings + start : offset + strings + start + length]
                yield name_id, raw.decode("utf-16-be", errors="replace")
        return


def font_family_of(path: Path) -> str | None:
    """Typographic family name of a font file (name id 16, else 1), or ``None`` if unreadable."""
    try:
        records = dict(_name_records(path.read_bytes()))
    except (OSError, struct.error):
        return None
    return records.get(16) or records.get(1)


@functools.cache
def shipped_family() -> str | None:
    """Family name of the fonts in :func:`font_dir` (the most frequent one), or ``None``."""
    folder = font_dir()
    if folder is None:
        return None
    families = Counter(
        fam
        for p in sorted(folder.iterdir())
        if p.suffix.lower() in _FONT_SUFFIXES and (fam := font_family_of(p)) is not None
    )
    return families.most_common(1)[0][0] if families else None


def _css_family(name: str) -> str:
    return name if name.isalpha() else f'"{name}"'


def font_family() -> str:
    """CSS font-family list of the charts: the shipped font first, then DejaVu Sans, then sans-serif.

    Names with spaces or digits are quoted: an unquoted ``Source Sans 3`` makes the whole CSS list
    invalid and the text vanishes from the PNG.
    """
    shipped = shipped_family()
    names = [_css_family(shipped)] if shipped else []
    return ", ".join(dict.fromkeys([*names, *_FALLBACK_FONTS]))


FONT_FAMILY: Final = font_family()


@functools.cache
def ensure_fonts() -> Path | None:
    """Register the shipped fonts with vl-convert (once per process) and return their folder."""
    folder = font_dir()
    if folder is not None:
        import vl_convert

        vl_convert.register_font_directory(str(folder))
    return folder


def theme_config() -> dict[str, Any]:
    """The Vega-Lite configuration of the house theme (``alt.theme.ThemeConfig``)."""
    label = {"labelFont": FONT_FAMILY, "labelFontSize": 11, "labelColor": INK}
    title = {"titleFont": FONT_FAMILY, "titleFontSize": 11, "titleFontWeight": "normal", "titleColor": INK}
    return {
        "config": {
            "font": FONT_FAMILY,
            "background": "white",
            "padding": 6,
            "locale": {"number": NUMBER_LOCALE, "time": TIME_LOCALE},
            "numberFormat": ",.2~f",
            "view": {"continuousWidth": WIDTH, "continuousHeight": 260, "stroke": None},
            "title": {
                "font": FONT_FAMILY,
                "fontSize": 14,
                "fontWeight": "bold",
                "color": INK,
                "anchor": "start",
                "offset": 10,
                "subtitleFont": FONT_FAMILY,
                "subtitleFontSize": 11,
                "subtitleColor": MUTED,
                "subtitlePadding": 4,
            },
            "axis": {
                **label,
                **title,
                "domainColor": RULE,
                "tickColor": RULE,
                "gridColor": GRID,
                "labelLimit": 260,
                "titlePadding": 8,
                "labelPadding": 4,
            },
            "axisBand": {"grid": False, "ticks": False},
            "legend": {
                **label,
                **title,
                "titleFontWeight": "bold",
                "labelLimit": 280,
                "titleLimit": 400,
                "symbolType": "square",
                "orient": "bottom",
                "direction": "horizontal",
                "columnPadding": 14,
                "rowPadding": 5,
                "titleOrient": "top",
                # bottom legends end at the plot's right edge and spread left under the axis labels, so a
                # wide legend does not widen the chart beyond the A4 text block
                "layout": {"bottom": {"anchor": "end"}},
            },
            "header": {
                "labelFont": FONT_FAMILY,
                "labelFontSize": 11,
                "labelColor": INK,
                "titleFont": FONT_FAMILY,
                "titleFontSize": 11,
                "titleFontWeight": "normal",
            },
            "range": {
                "category": list(TIER_COLOURS.values()),
                "heatmap": AMBITION_RANGE,
                "ramp": AMBITION_RANGE,
            },
            "mark": {"color": TIER_COLOURS["commune"], "font": FONT_FAMILY},
            "text": {"font": FONT_FAMILY, "fontSize": 11, "color": INK},
            "geoshape": {"stroke": "white", "strokeWidth": 0.6},
        }
    }


@alt.theme.register(THEME_NAME, enable=False)
def _cufstudy_theme() -> alt.theme.ThemeConfig:
    return cast("alt.theme.ThemeConfig", theme_config())


def enable_theme() -> None:
    """Make the house theme Altair's active theme (``alt.theme.enable("cufstudy")``)."""
    alt.theme.enable(THEME_NAME)


# ---------------------------------------------------------------------------------------------------------
# the figure object and its exports

VEGALITE_MIME: Final[str] = "application/vnd.vegalite.v6+json"
"""MIME type of the Vega-Lite output, as Altair's own mimebundle renderer emits it. (Altair's constant
``VEGALITE_MIME_TYPE`` reads ``application/vnd.vegalite.v6.json``, which nbformat refuses for a JSON object:
only ``application/...+json`` types may hold one.)"""

_VL_VERSION: Final = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])


@dataclass(frozen=True)
class FigureSpec:
    """A chart of the study with its French title and alt text.

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

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
        return mime_bundle(self)


Figure = FigureSpec | alt.TopLevelMixin
"""What the export functions take: a :class:`FigureSpec` or any Altair chart."""


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
        The spec; ``spec["usermeta"]["embedOptions"]`` holds ``formatLocale`` and ``timeFormatLocale``
        for Vega-Embed, and ``spec["config"]["locale"]`` the same locale for any Vega renderer.
    """
    with alt.theme.enable(THEME_NAME):
        spec: dict[str, Any] = _chart_of(fig).to_dict()
    meta = spec.setdefault("usermeta", {})
    meta["embedOptions"] = {**EMBED_OPTIONS, **meta.get("embedOptions", {})}
    return spec


def _convert_kwargs() -> dict[str, Any]:
    ensure_fonts()
    return {"vl_version": _VL_VERSION, "format_locale": NUMBER_LOCALE, "time_format_locale": TIME_LOCALE}


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
    import vl_convert

    return bytes(vl_convert.vegalite_to_png(to_spec(fig), scale=scale, **_convert_kwargs()))


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
    import vl_convert

    spec = to_spec(fig)
    svg = str(vl_convert.vegalite_to_svg(spec, **_convert_kwargs()))
    description = spec.get("description")
    if isinstance(description, str) and description and svg.startswith("<svg "):
        head, sep, rest = svg.partition(">")
        text = html.escape(description, quote=True)
        svg = f'{head} role="img" aria-label="{text}"{sep}<title>{text}</title>{rest}'
    return svg


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


def _script_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for bad, good in (("</", "<\\/"), ("<!--", "<\\!--"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(bad, good)
    return text


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
        f"  var spec = {_script_json(spec)};\n"
        f"  var opts = {_script_json(options)};\n"
        f'  vegaEmbed("#{div_id}", spec, opts).catch(function (err) {{ console.error(err); }});\n'
        "})();\n"
        "</script>"
    )


def _spec_title(spec: dict[str, Any]) -> str:
    title = spec.get("title", "")
    text = title.get("text", "") if isinstance(title, dict) else title
    return " ".join(text) if isinstance(text, list) else str(text)


def mime_bundle(fig: Figure, scale: float = 2.0) -> tuple[dict[str, Any], dict[str, Any]]:
    """The notebook output of a chart: ``data`` and ``metadata`` of a Jupyter ``display_data``.

    Parameters
    ----------
    fig
        A :class:`FigureSpec` or any Altair chart.
    scale
        Pixel density of the PNG; its metadata give the natural size.

    Returns
    -------
    tuple of dict
        ``data``: ``application/vnd.vegalite.v6+json`` (the spec), ``image/png`` (base64),
        ``image/svg+xml`` and ``text/plain`` (the alt text). ``metadata``: the PNG's natural
        ``width``/``height`` under ``image/png``, and ``{"title", "alt"}`` under ``cufstudy``.
    """
    spec = to_spec(fig)
    png = to_png(fig, scale=scale)
    width, height = struct.unpack(">II", png[16:24])
    alt_text = fig.alt_text if isinstance(fig, FigureSpec) else str(spec.get("description", ""))
    data = {
        VEGALITE_MIME: spec,
        "image/png": base64.b64encode(png).decode("ascii"),
        "image/svg+xml": to_svg(fig),
        "text/plain": alt_text,
    }
    metadata = {
        "image/png": {"width": round(width / scale), "height": round(height / scale)},
        "cufstudy": {"title": fig.title if isinstance(fig, FigureSpec) else _spec_title(spec), "alt": alt_text},
    }
    return data, metadata


def display(fig: Figure) -> None:
    """Show a chart in a notebook as its :func:`mime_bundle` (interactive, with static PNG/SVG copies).

    Parameters
    ----------
    fig
        A :class:`FigureSpec` or any Altair chart.
    """
    from IPython.display import display as ipython_display

    data, metadata = mime_bundle(fig)
    ipython_display(data, metadata=metadata, raw=True)  # type: ignore[no-untyped-call]


# ---------------------------------------------------------------------------------------------------------
# helpers shared by the charts: French text, finishing, data files

ILLUSTRATIVE_NOTE: Final = "Codage illustratif (rapports DCOL confidentiels), à remplacer par celui des analystes"
PHASES: Final = {"before": "Avant la mission", "recommended": "Recommandé", "after": "Après la mission"}
ALL: Final = "Ensemble"
COL: Final = f"{NBSP}:"  # French colon, after a no-break space
SPLIT: Final = "split(datum.label, '\\n')"  # labelExpr: one line per "\n"


def fmt_n(value: float, decimals: int | None = None) -> str:
    if decimals is None and float(value).is_integer():
        return format_fr(int(value))
    return format_fr(float(value), decimals=decimals)


def round_fr(value: float, decimals: int = 0) -> float:
    """Round as :func:`cufstudy.notebook.facts.format_fr` does (half to even on the decimal form).

    Values written on a chart are rounded with this before Vega formats them, so the chart, its alt
    text and the prose print the same digits (d3 alone would round the binary value half up).
    """
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_EVEN))


def fmt_pct(share: float) -> str:
    return format_fr(int(round_fr(100 * share)), "%")


def groups_present(values: Iterable[str]) -> list[str]:
    """The tier groups present, in the vocabulary's order (commune, EPCI, département, région...)."""
    present = set(values)
    return [g.value for g in TierGroup if g.value in present]


def group_label(group: str) -> str:
    return ALL if group == "_all" else label(TierGroup(group))


def group_scale(groups: Sequence[str], labels: Sequence[str] | None = None) -> alt.Scale:
    return alt.Scale(domain=list(labels or [group_label(g) for g in groups]), range=[TIER_COLOURS[g] for g in groups])


def with_n(text: str, n: int, sep: str = " ") -> str:
    return f"{text}{sep}(n{NBSP}={NBSP}{fmt_n(n)})"


def wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)) or text


def is_illustrative(frame: pd.DataFrame) -> bool:
    return "provenance" in frame.columns and bool((frame["provenance"] == "illustrative").any())


def listing(pairs: Iterable[tuple[str, float]]) -> str:
    return ", ".join(f"{name}{COL} {fmt_n(n)}" for name, n in pairs)


def finish(
    chart: alt.TopLevelMixin, title: str, alt_text: str, subtitle: Sequence[str] = (), illustrative: bool = False
) -> FigureSpec:
    lines = [*subtitle, *([ILLUSTRATIVE_NOTE] if illustrative else [])]
    if illustrative:
        alt_text = f"{alt_text} {ILLUSTRATIVE_NOTE}."
    params = alt.TitleParams(title, subtitle=lines) if lines else alt.TitleParams(title)
    chart = chart.properties(title=params, description=alt_text, usermeta={"embedOptions": EMBED_OPTIONS})
    return FigureSpec(chart=chart, alt_text=alt_text, title=title)


def count_axis(title: str | None) -> alt.Axis:
    return alt.Axis(title=title, format="d", tickMinStep=1)


def missions(frame: pd.DataFrame) -> pd.DataFrame:
    """The cases with a mission, i.e. a recommended organisation."""
    return frame[frame["attachment_recommended"].notna()].reset_index(drop=True)


def headroom(top: float) -> float:
    """Axis end leaving room for a label written after the longest bar."""
    return float(top) * 1.12 if top else 1.0


def attachment_label(code: str) -> str:
    return label(Attachment(code))


def require(frame: pd.DataFrame, columns: Sequence[str], chart: str) -> None:
    """Fail clearly when a chart gets a frame without cases or without the columns it needs."""
    missing = [c for c in columns if c not in frame.columns]
    if missing or frame.empty:
        reason = f"lacks the columns {missing}" if missing else "has no rows"
        raise ValueError(f"{chart}: the frame {reason}; pass CaseBase.frame or recommendations_frame()")


def leaders(items: Iterable[tuple[str, float]], fmt: Callable[[float], str]) -> str:
    """The top items of ``(name, value)`` pairs, ties together: ``« A » et « B », à égalité (3)``."""
    pairs = list(items)
    best = max((v for _, v in pairs), default=0.0)
    names = [f"« {name} »" for name, v in pairs if v == best]
    joined = ", ".join(names[:-1]) + f" et {names[-1]}" if len(names) > 1 else names[0]
    return f"{joined}, à égalité ({fmt(best)})" if len(names) > 1 else f"{joined} ({fmt(best)})"


def fold(text: str) -> str:
    """Sort key in French alphabetical order (accents and case ignored)."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def tips(*fields: tuple[str, str] | tuple[str, str, str]) -> list[alt.Tooltip]:
    """Tooltips from ``(field, French title[, format])`` triples."""
    return [alt.Tooltip(f[0], title=f[1], format=f[2]) if len(f) > 2 else alt.Tooltip(f[0], title=f[1]) for f in fields]


def phase_colour(phases: Sequence[str]) -> alt.Color:
    return alt.Color(
        "phase:N",
        sort=list(phases),
        scale=alt.Scale(domain=list(phases), range=list(PHASE_COLOURS.values())),
        title=None,
    )


def heatmap(
    data: pd.DataFrame,
    value: str,
    fmt: str,
    legend_title: str,
    tooltip: list[alt.Tooltip],
    domain_max: float,
    x_step: int = 92,
) -> alt.TopLevelMixin:
    """Heatmap of ``data`` (columns ``colonne``, ``ligne``, ``value``), the value written in each cell."""
    base = alt.Chart(data).encode(
        x=alt.X(
            "colonne:N",
            sort=list(dict.fromkeys(data["colonne"])),
            title=None,
            axis=alt.Axis(labelAngle=0, labelExpr=SPLIT, domain=False, ticks=False, labelPadding=6),
        ),
        y=alt.Y(
            "ligne:N",
            sort=list(dict.fromkeys(data["ligne"])),
            title=None,
            axis=alt.Axis(labelExpr=SPLIT, domain=False, ticks=False),
        ),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=1.5).encode(
        color=alt.Color(
            f"{value}:Q",
            scale=alt.Scale(domain=[0, domain_max], range=AMBITION_RANGE),
            title=legend_title,
            legend=alt.Legend(format=fmt, gradientLength=180, tickMinStep=1),
        ),
        tooltip=tooltip,
    )
    text = base.mark_text().encode(
        text=alt.Text(f"{value}:Q", format=fmt),
        color=alt.condition(f"datum.{value} > {domain_max * 0.55}", alt.value("white"), alt.value(INK)),
    )
    return alt.layer(cells, text).properties(width=alt.Step(x_step), height=alt.Step(40))


@functools.cache
def read_json(path: str) -> Any:
    with Path(path).open(encoding="utf-8") as fh:
        return json.load(fh)


def geo_features(path: Path, keep: Sequence[str]) -> list[dict[str, Any]]:
    """The features of a GeoJSON file, with only the ``keep`` properties."""
    fc = read_json(str(path.resolve()))
    return [
        {"type": "Feature", "properties": {k: f["properties"].get(k) for k in keep}, "geometry": f["geometry"]}
        for f in fc["features"]
    ]


@functools.cache
def world_topology(path: str) -> dict[str, Any]:
    """The world TopoJSON with only ``iso_a2`` and ``name_fr``, without Antarctica."""
    topo = read_json(path)
    geometries = [
        {
            **{k: v for k, v in g.items() if k not in ("properties", "id")},
            "properties": {"iso_a2": g["properties"].get("iso_a2"), "name_fr": g["properties"].get("name_fr")},
        }
        for g in topo["objects"]["countries"]["geometries"]
        if g["properties"].get("iso_a2") != "AQ"
    ]
    return {
        "type": "Topology",
        "transform": topo["transform"],
        "arcs": topo["arcs"],
        "objects": {"countries": {"type": "GeometryCollection", "geometries": geometries}},
    }


@functools.cache
def world_points(path: str) -> pd.DataFrame:
    # keep_default_na=False: "NA" is Namibia, not a missing value
    return pd.read_csv(path, keep_default_na=False, dtype=str)
