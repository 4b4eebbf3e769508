"""Vega-Lite for the renderer: one offline Vega bundle per HTML page, static images for PDF and DOCX.

``vl_convert.javascript_bundle()`` takes about a second; the bundle is cached in memory and on disk
(``_build/cache/``), keyed by the vl-convert version and the snippet. The locale, the fonts and the static
conversion are the chart toolkit's (:mod:`cufstudy.notebook.charts.vega`), so a chart the renderer converts
looks like one a notebook exported.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from cufstudy.notebook.charts.vega import (
    NUMBER_LOCALE,
    TIME_LOCALE,
    script_json,
    spec_to_png,
    spec_to_svg,
)

__all__ = ["BUNDLE_MARKER", "inject_bundle", "vega_bundle", "vegalite_to_static"]

#: the HTML comment the embedded engine leaves where the bundle goes (before </body>)
BUNDLE_MARKER = "<!-- cufstudy-vega-bundle -->"

_SNIPPET = """
const formatLocale = %(format)s;
const timeFormatLocale = %(time)s;
for (const el of document.querySelectorAll('script[type="application/json"][data-cufstudy-vega]')) {
  const target = document.getElementById(el.getAttribute("data-cufstudy-vega"));
  vegaEmbed(target, JSON.parse(el.textContent), {
    actions: false, renderer: "svg", formatLocale, timeFormatLocale,
  }).catch((err) => { target.textContent = "Graphique indisponible : " + err; });
}
"""


def _vlc() -> Any:
    try:
        import vl_convert
    except ImportError as exc:  # pragma: no cover - a dependency
        from cufstudy.core.errors import RenderError

        raise RenderError("Vega-Lite charts need vl-convert-python: pip install vl-convert-python") from exc
    return vl_convert


def _snippet() -> str:
    return _SNIPPET % {"format": script_json(NUMBER_LOCALE), "time": script_json(TIME_LOCALE)}


_BUNDLES: dict[str, str] = {}


@functools.cache
def _bundle_key() -> str:
    version = getattr(_vlc(), "__version__", "unknown")
    return hashlib.sha256(f"{version}\n{_snippet()}".encode()).hexdigest()[:16]


def bundle_file(cache_dir: Path) -> Path:
    """Where :func:`vega_bundle` keeps the bundle in ``cache_dir`` (a function of vl-convert's version and
    the snippet that draws the charts)."""
    return cache_dir / f"vega-bundle-{_bundle_key()}.js"


def _bundle_cached(cache_dir: str | None) -> str:
    vlc = _vlc()
    snippet = _snippet()
    key = _bundle_key()
    if key in _BUNDLES:
        return _BUNDLES[key]
    cache = bundle_file(Path(cache_dir)) if cache_dir else None
    if cache is not None and cache.is_file():
        bundle = cache.read_text(encoding="utf-8")
    else:
        bundle = str(vlc.javascript_bundle(snippet))
        if cache is not None:
            from cufstudy.core.atomic import atomic_write_text

            atomic_write_text(cache, bundle)
    _BUNDLES[key] = bundle
    return bundle


def vega_bundle(cache_dir: Path | None = None) -> str:
    """The self-contained Vega + Vega-Lite + vega-embed bundle that draws every chart of a page."""
    return _bundle_cached(str(cache_dir) if cache_dir else None)


def inject_bundle(html: str, cache_dir: Path | None = None) -> str:
    """Put the bundle once at the end of the page (replacing :data:`BUNDLE_MARKER`)."""
    code = vega_bundle(cache_dir).replace("</script", "<\\/script")
    # the hash lets the leak check skip this library code (about 900 KB, the same on every page)
    digest = hashlib.sha256(code.encode("utf-8")).hexdigest()
    script = f'<script type="module" data-cufstudy-bundle="{digest}">' + code + "</script>"
    if BUNDLE_MARKER in html:
        return html.replace(BUNDLE_MARKER, script, 1)
    return html.replace("</body>", script + "\n</body>", 1)


def vegalite_to_static(spec: dict[str, Any], ext: str) -> tuple[bytes, str]:
    """Render a Vega-Lite spec to ``svg`` or ``png`` as the chart toolkit does (locale, fonts).

    The PNG (what a DOCX places) has 4 pixels a CSS pixel: 384 dpi at the chart's natural size, print grade.
    """
    _vlc()  # the install hint when vl-convert is missing
    if ext == "png":
        return spec_to_png(spec, scale=4), "png"
    return spec_to_svg(spec).encode("utf-8"), "svg"
