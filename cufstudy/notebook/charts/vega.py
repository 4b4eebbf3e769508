"""Vega-Lite specifications out as images and HTML: the ``fr-FR`` locale, the fonts, vl-convert, script JSON.

The part of the chart toolkit that needs no Altair (nor pandas), so the renderer uses it too
(:mod:`cufstudy.render._vega`): every static chart of every deliverable, whether a notebook made it with
:func:`cufstudy.notebook.charts.to_png` or the renderer converts a stored spec, goes through
:func:`spec_to_png` / :func:`spec_to_svg` with the same locale and the same registered fonts, and every chart
in an HTML page is written with :func:`script_json`.

- :data:`NUMBER_LOCALE`, :data:`TIME_LOCALE`: d3's ``fr-FR`` locales (what ``vl_convert.get_format_locale``
  gives) but with the narrow no-break space for thousands that :func:`cufstudy.core.french.format_fr` prints
  in the prose (d3 ships U+00A0);
- :func:`font_dir`, :func:`register_fonts`: the sans font cufstudy ships (Inter; a project's ``templates/fonts/`` wins),
  registered with vl-convert once per process and folder before the first conversion (the theme names it
  first, :data:`~cufstudy.notebook.charts.theme.FONT_FAMILY`).
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
from pathlib import Path
from typing import Any, Final

from cufstudy.core.french import MONTHS, NBSP, NNBSP

__all__ = [
    "EMBED_OPTIONS",
    "NUMBER_LOCALE",
    "TIME_LOCALE",
    "VEGALITE_MIME",
    "font_dir",
    "register_fonts",
    "script_json",
    "spec_to_png",
    "spec_to_svg",
]

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
    "months": list(MONTHS),
    "shortMonths": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."],
}
EMBED_OPTIONS: Final[dict[str, Any]] = {"formatLocale": NUMBER_LOCALE, "timeFormatLocale": TIME_LOCALE}
"""Vega-Embed options every chart carries in ``usermeta.embedOptions`` (Vega-Embed reads them there)."""

VEGALITE_MIME: Final[str] = "application/vnd.vegalite.v6+json"
"""MIME type of the Vega-Lite output, as Altair's own mimebundle renderer emits it. (Altair's constant
``VEGALITE_MIME_TYPE`` reads ``application/vnd.vegalite.v6.json``, which nbformat refuses for a JSON object:
only ``application/...+json`` types may hold one.)"""


# ---------------------------------------------------------------------------------------------------------
# fonts

FONT_SUFFIXES: Final = (".otf", ".ttf")


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
        if folder.is_dir() and any(p.suffix.lower() in FONT_SUFFIXES for p in folder.iterdir()):
            return folder.resolve()
    return None


def _vl_convert() -> Any:
    import vl_convert

    return vl_convert


_FONT_FOLDERS: list[Path] = []  # registered with vl-convert before the next conversion


def register_fonts(folder: Path) -> None:
    """Add a folder of fonts vl-convert may draw the charts with (the renderer adds the project's font folders).

    Cheap: vl-convert is not loaded here. Before each conversion the exporter registers, once per process
    and folder, the fonts the project ships (:func:`font_dir`, the family the theme names first) and
    the folders added here.
    """
    folder = folder.resolve()
    if folder not in _FONT_FOLDERS:
        _FONT_FOLDERS.append(folder)


@functools.cache
def _registered(folder: Path) -> None:
    if folder.is_dir():
        _vl_convert().register_font_directory(str(folder))


def _ensure_fonts() -> None:
    shipped = font_dir()
    for folder in [*([shipped] if shipped is not None else []), *_FONT_FOLDERS]:
        _registered(folder)


# ---------------------------------------------------------------------------------------------------------
# the exporter

_SCHEMA: Final = re.compile(r"/vega-lite/v(\d+)\.(\d+)")


def _convert_options(spec: dict[str, Any]) -> dict[str, Any]:
    """vl-convert options: the spec's Vega-Lite version (when vl-convert has it), the ``fr-FR`` locales."""
    _ensure_fonts()
    options: dict[str, Any] = {"format_locale": NUMBER_LOCALE, "time_format_locale": TIME_LOCALE}
    m = _SCHEMA.search(str(spec.get("$schema", "")))
    if m and f"{m.group(1)}.{m.group(2)}" in _vl_convert().get_vegalite_versions():
        options["vl_version"] = f"{m.group(1)}.{m.group(2)}"
    return options


def spec_to_png(spec: dict[str, Any], scale: float = 2.0) -> bytes:
    """Render a Vega-Lite spec to PNG offline (vl-convert, ``fr-FR`` locale, the shipped font).

    Parameters
    ----------
    spec
        The Vega-Lite specification (a dict, as ``chart.to_dict()`` gives it).
    scale
        Pixel density: 2 gives a sharp image at twice the chart's natural size.
    """
    return bytes(_vl_convert().vegalite_to_png(spec, scale=scale, **_convert_options(spec)))


def spec_to_svg(spec: dict[str, Any]) -> str:
    """Render a Vega-Lite spec to SVG offline (vl-convert, ``fr-FR`` locale).

    Returns
    -------
    str
        The SVG document, its root marked ``role="img"`` with the spec's ``description`` (the alt text) as
        ``aria-label`` and ``<title>`` (vl-convert leaves the description out of the static SVG).
    """
    svg = str(_vl_convert().vegalite_to_svg(spec, **_convert_options(spec)))
    description = spec.get("description")
    if isinstance(description, str) and description and svg.startswith("<svg "):
        head, sep, rest = svg.partition(">")
        text = html.escape(description, quote=True)
        svg = f'{head} role="img" aria-label="{text}"{sep}<title>{text}</title>{rest}'
    return svg


def script_json(value: Any) -> str:
    """``value`` as JSON safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` in the text.

    Escaping only ``</`` is not enough: ``<!--<script>`` in a data value would switch the HTML parser to
    the "script data double escaped" state and the element would swallow the page. In JSON these characters
    can only occur inside strings, where ``\\u003c`` is the same character for ``JSON.parse``. The line and
    paragraph separators U+2028 and U+2029, which end a line in older JavaScript, are escaped too.

    Examples
    --------
    >>> script_json({"nom": "</script><!-- & >"})
    '{"nom":"\\\\u003c/script\\\\u003e\\\\u003c!-- \\\\u0026 \\\\u003e"}'
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for bad in "<>&\u2028\u2029":
        text = text.replace(bad, f"\\u{ord(bad):04x}")
    return text
