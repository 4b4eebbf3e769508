"""The house style of every chart (the study's and the toolbox's): colours, sizes, fonts, the Altair theme.

One colour per tier group (Okabe & Ito, colour-blind safe), the same in every chart; sequential blues for
levels and counts; the sans font the project ships (:data:`FONT_FAMILY`); sizes for the A4 text block; the
``fr-FR`` locale in the spec's ``config.locale``. The theme is registered
with Altair as ``cufstudy`` and enabled when this module is imported (the export functions apply it whatever
theme is active).
"""

from __future__ import annotations

import functools
import struct
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final, cast

import altair as alt

from cufstudy.notebook.charts.palette import (
    AMBITION_RANGE,
    BAR_COLOUR,
    CLUSTER_COLOURS,
    GRID,
    INK,
    LEVEL_COLOURS,
    MUTED,
    PHASE_COLOURS,
    RULE,
    STATUS_COLOURS,
    TIER_COLOURS,
)
from cufstudy.notebook.charts.vega import FONT_SUFFIXES, NUMBER_LOCALE, TIME_LOCALE, font_dir

__all__ = [
    "AMBITION_RANGE",
    "BAR_COLOUR",
    "CHART_WIDTH",
    "CLUSTER_COLOURS",
    "FONT_FAMILY",
    "GRID",
    "INK",
    "LEVEL_COLOURS",
    "MUTED",
    "PHASE_COLOURS",
    "RULE",
    "STATUS_COLOURS",
    "THEME_NAME",
    "TIER_COLOURS",
    "WIDTH",
    "enable_theme",
    "theme_config",
]

THEME_NAME: Final = "cufstudy"
WIDTH: Final = 460
"""Default width of a chart's plot area in pixels: with its axis labels a chart stays within the
16 cm text block of an A4 page at 72 ppi."""
CHART_WIDTH: Final = 470
"""The widest a chart laid out to fit may be, axis labels and legend included, in CSS pixels: the text
width of an A4 page (16 cm at 72 ppi is 454 pt, plus the chart's padding). The toolbox's charts fit it."""
CHAR_PX: Final = 5.8
"""Mean width of a character of the 11 px axis labels (Inter), for the layout budget of long labels."""
LINE_PX: Final = 11
"""Line height of multi-line axis labels, in pixels."""


# ---------------------------------------------------------------------------------------------------------
# the font: the family cufstudy ships (Inter, or a project's templates/fonts; registered by the exporter),
# then DejaVu Sans

# Not "Source Sans 3": vl-convert 1.9 measures text in a font whose name holds a digit with a wider
# stand-in, so labels get truncated ("…") although they fit. DejaVu Sans ships with most Linux systems.
_FALLBACK_FONTS: Final = ('"DejaVu Sans"', "sans-serif")


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
        if p.suffix.lower() in FONT_SUFFIXES and (fam := font_family_of(p)) is not None
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
            "mark": {"color": BAR_COLOUR, "font": FONT_FAMILY},
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


enable_theme()
