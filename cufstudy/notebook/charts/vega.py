"""Vega-Lite specifications out as images and HTML: the ``fr-FR`` locale, the fonts, vl-convert, script JSON.

The part of the chart toolkit that needs no Altair (nor pandas), so the renderer uses it too
(:mod:`cufstudy.render._vega`): every static chart of every deliverable, whether a notebook made it with
:func:`cufstudy.notebook.charts.to_png` or the renderer converts a stored spec, goes through
:func:`spec_to_png` / :func:`spec_to_svg` with the same locale and the same registered fonts, and every chart
in an HTML page is written with :func:`script_json`.

- :data:`NUMBER_LOCALE`, :data:`TIME_LOCALE`: d3's ``fr-FR`` locales (what ``vl_convert.get_format_locale``
  gives) but with the narrow no-break space for thousands that :func:`cufstudy.core.french.format_fr` prints
  in the prose (d3 ships U+00A0);
- :func:`typeset_spec`: the French typography of every text a reader sees in a chart (titles, subtitles,
  axis and legend titles, tooltips, mark texts, the labels drawn from the data), applied to every spec the
  toolkit exports and every stored spec the renderer converts;
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

from cufstudy.core.french import MONTHS, NBSP, NNBSP, typeset_text

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
    "typeset_spec",
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
# typography

# keys whose strings are identifiers or settings, never drawn: left as they are
_NOT_TEXT: Final = frozenset(
    {"$schema", "field", "type", "as", "name", "format", "formatType", "timeUnit", "url", "scheme", "aggregate",
     "op", "groupby", "fields", "key", "lookup", "param", "bind", "config", "usermeta", "projection"}
)  # fmt: skip
# keys whose strings are Vega expressions: only their string literals are typeset, so a test such as
# ``datum.ligne === 'Direction de l'attractivité'`` still matches the typeset data value
_EXPRESSION: Final = frozenset({"expr", "labelExpr", "test", "calculate", "filter", "signal", "update"})
_LITERAL: Final = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")


def _typeset_literal(m: re.Match[str]) -> str:
    if m.group(1) is not None:
        text = typeset_text(m.group(1).replace("\\'", "'"))
        return "'" + text.replace("'", "\\'") + "'"
    return '"' + typeset_text(m.group(2).replace('\\"', '"')).replace('"', '\\"') + '"'


def _typeset_data(value: Any) -> Any:
    """Every string of inline data (the values of its records, whatever their column is named)."""
    if isinstance(value, str):
        return typeset_text(value)
    if isinstance(value, list):
        if all(isinstance(v, int | float) for v in value):  # coordinates of a map: nothing to typeset
            return list(value)
        return [_typeset_data(v) for v in value]
    if isinstance(value, dict):
        return {k: _typeset_data(v) for k, v in value.items()}
    return value


def _typeset(value: Any, key: str | None) -> Any:
    if isinstance(value, str):
        if key in _EXPRESSION:
            return _LITERAL.sub(_typeset_literal, value)
        return typeset_text(value)
    if isinstance(value, list):
        return [_typeset(v, key) for v in value]
    if isinstance(value, dict):
        return {
            k: v if k in _NOT_TEXT else _typeset_data(v) if k in ("datasets", "values") else
            _typeset(v, k)
            for k, v in value.items()
        }
    return value


def typeset_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of a Vega-Lite spec with French typography in every text a reader sees.

    Titles and subtitles, axis, legend and header titles, tooltip titles, the ``description`` (the alt text),
    mark texts and the string values of the data (the labels Vega draws from them: ``Direction de
    l’attractivité``), with the scale domains and sort orders that name those values and the string literals
    of its expressions, all through :func:`cufstudy.core.french.typeset_text` (’, « » with no-break spaces,
    inner “ ”, no-break spaces before ``: ; ! ?``), so they stay equal. Field names, types, formats, fonts,
    the configuration and the ``usermeta`` are not touched. Idempotent.

    Examples
    --------
    >>> spec = {"title": {"text": "De l'ambition", "subtitle": ["Base : 18 cas"]},
    ...         "datasets": {"d1": [{"ligne": "Direction de l'attractivité", "n": 2}]},
    ...         "transform": [{"filter": "datum.ligne === 'Direction de l\\\\'attractivité'"}]}
    >>> out = typeset_spec(spec)
    >>> out["title"]["text"], out["datasets"]["d1"][0]["ligne"]
    ('De l’ambition', 'Direction de l’attractivité')
    >>> out["transform"][0]["filter"]
    "datum.ligne === 'Direction de l’attractivité'"
    """
    result: dict[str, Any] = _typeset(spec, None)
    return result


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


_CLIP_ID = re.compile(r'(id="|url\(#)clip(\d+)')


def _stable_ids(svg: str) -> str:
    """``svg`` with its clip-path ids numbered from 1 in order of appearance.

    Vega numbers clip paths with a counter global to the process (``clip5`` in the fifth chart drawn), so
    the same chart drawn after others would otherwise give other bytes.
    """
    numbers: dict[str, str] = {}

    def renumber(match: re.Match[str]) -> str:
        new = numbers.setdefault(match.group(2), str(len(numbers) + 1))
        return f"{match.group(1)}clip{new}"

    return _CLIP_ID.sub(renumber, svg)


def spec_to_svg(spec: dict[str, Any]) -> str:
    """Render a Vega-Lite spec to SVG offline (vl-convert, ``fr-FR`` locale).

    Returns
    -------
    str
        The SVG document, its root marked ``role="img"`` with the spec's ``description`` (the alt text) as
        ``aria-label`` and ``<title>`` (vl-convert leaves the description out of the static SVG).
    """
    svg = _stable_ids(str(_vl_convert().vegalite_to_svg(spec, **_convert_options(spec))))
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
