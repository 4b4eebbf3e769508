"""Notebook outputs for ``{{< embed nb.ipynb#label >}}``: find the labelled cell, turn its outputs into Markdown.

The renderer never executes: it reads the outputs Papermill stored. For each output of the cell it
chooses the representation the target format can show:

==========================  =====================  ======================  ====================
output                      HTML                   PDF (Typst)             DOCX
==========================  =====================  ======================  ====================
Vega-Lite (v5/v6 JSON)      interactive (one        static SVG of the       static PNG of the
                            Vega bundle per page)   cell, or vl-convert     cell, or vl-convert
image/svg+xml, image/png    SVG, else PNG          SVG, else PNG           PNG, else SVG->PNG
text/markdown               inserted as Markdown   same                    same
text/plain (alone)          verbatim block         same                    same
==========================  =====================  ======================  ====================

Outputs carrying a recorded fact (``application/vnd.cufstudy.fact+json``) are records, not content, and
are skipped. An error output, a stderr stream, or an HTML-only output is a located problem.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from cufstudy.core.errors import DataError
from cufstudy.core.french import escape_md
from cufstudy.core.yamlio import parse_yaml
from cufstudy.notebook.charts.vega import script_json, typeset_spec
from cufstudy.notebook.facts import FACT_MIME

__all__ = ["Assets", "Embedded", "NotebookCache", "NotebookCell", "cell_options", "embed_cell"]

_VEGALITE = re.compile(r"^application/vnd\.vegalite\.v(\d+)[+.]json$")
_OPTION = re.compile(r"^\s*#\|\s?(.*)$")
#: widest static image, in inches (A4 text width with the templates' margins is about 6.5 in)
MAX_WIDTH_IN = 6.3
_PX_PER_IN = 96.0

Report = Callable[[str], None]


@dataclass(frozen=True)
class NotebookCell:
    """A labelled code cell of an executed notebook."""

    label: str
    options: Mapping[str, Any]
    outputs: tuple[Mapping[str, Any], ...]
    index: int
    _charts: dict[int, tuple[Any, bool]] = field(default_factory=dict, compare=False, repr=False)

    def chart(self, position: int, raw: Any) -> tuple[Any, bool]:
        """The Vega-Lite spec ``raw`` of output ``position``, as renderers draw it (French typography applied,
        :func:`~cufstudy.notebook.charts.vega.typeset_spec`), and whether it loads data from a URL: worked out
        once for every format and deliverable that embeds the cell (a map's spec holds thousands of values)."""
        found = self._charts.get(position)
        if found is None:
            spec = json.loads(raw) if isinstance(raw, str) else raw
            if isinstance(spec, dict):
                spec = typeset_spec(spec)  # a chart not made with the toolkit gets its French typography too
            found = self._charts[position] = (spec, _url_data(spec))
        return found


def cell_options(source: str) -> dict[str, Any]:
    """The ``#| key: value`` options at the top of a cell, parsed as YAML.

    Examples
    --------
    >>> cell_options("#| label: fig-a\\n#| fig-cap: Répartition\\nplot()")
    {'label': 'fig-a', 'fig-cap': 'Répartition'}
    """
    lines = []
    for line in source.splitlines():
        m = _OPTION.match(line)
        if not m:
            break
        lines.append(m.group(1))
    if not lines:
        return {}
    try:  # the safeguarded loader: no alias bombs, no deep nesting, no huge strings
        data = parse_yaml("\n".join(lines), "cell options").data
    except DataError:
        return {}
    return data if isinstance(data, dict) else {}


class NotebookCache:
    """Parsed notebooks, read once per build."""

    def __init__(self) -> None:
        self._cells: dict[Path, dict[str, NotebookCell]] = {}

    def cells(self, path: Path) -> dict[str, NotebookCell]:
        """The labelled cells of ``path``; raises ``ValueError`` with a readable reason."""
        path = path.resolve()
        if path not in self._cells:
            try:
                nb = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                raise ValueError(f"cannot read notebook {path.name}: {exc}") from exc
            found: dict[str, NotebookCell] = {}
            for i, cell in enumerate(nb.get("cells", [])):
                if cell.get("cell_type") != "code":
                    continue
                source = cell.get("source", "")
                if isinstance(source, list):
                    source = "".join(source)
                opts = cell_options(source)
                label = opts.get("label") or (cell.get("metadata") or {}).get("label")
                if label:
                    found[str(label)] = NotebookCell(str(label), opts, tuple(cell.get("outputs") or ()), i)
            self._cells[path] = found
        return self._cells[path]


class DrawnChart(Protocol):
    """A chart drawn as a static image (:class:`cufstudy.render.chart_images.ChartImage`)."""

    @property
    def kind(self) -> Literal["png", "svg"]: ...
    @property
    def data(self) -> bytes: ...
    @property
    def width(self) -> float | None: ...


class ChartDrawer(Protocol):
    """What draws a chart's spec as a static image (:class:`cufstudy.render.chart_images.ChartImages`, which
    uses this module: it is passed in, not imported, so the two modules do not import each other)."""

    def get(self, spec: Mapping[str, Any], kind: Literal["png", "svg"]) -> DrawnChart: ...


class Assets:
    """Files extracted from notebook outputs, named by content hash inside the build folder, and the drawer of
    the chart images the formats need (``charts``: the build's cached
    :class:`~cufstudy.render.chart_images.ChartImages`; without one, a chart that needs a static image is
    reported as not convertible)."""

    def __init__(self, folder: Path, charts: ChartDrawer | None = None) -> None:
        self.folder = folder
        self.charts = charts

    def write(self, data: bytes, ext: str) -> Path:
        digest = hashlib.sha256(data).hexdigest()[:16]
        path = self.folder / f"{digest}.{ext}"
        if not path.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return path


@dataclass
class Embedded:
    """The Markdown an embed expands to, for one format."""

    lines: list[str] = field(default_factory=list)
    charts: int = 0
    ids: list[str] = field(default_factory=list)


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _png_width_px(data: bytes) -> int | None:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return int(struct.unpack(">I", data[16:20])[0])
    return None


def _svg_width_px(svg: str) -> float | None:
    m = re.search(r"<svg\b[^>]*?\bwidth=\"([\d.]+)(px|pt)?\"", svg)
    if not m:
        return None
    value = float(m.group(1))
    return value * 4 / 3 if m.group(2) == "pt" else value


def _width_attr(px: float | None) -> str:
    """A pandoc width for a chart ``px`` CSS pixels wide: its natural size, at most the text width."""
    if px is None:
        return "width=100%"
    inches = px / _PX_PER_IN
    if inches >= MAX_WIDTH_IN:
        return "width=100%"
    return f"width={inches:.2f}in"


def _url_data(spec: Any, parent: str = "") -> bool:
    """Whether a Vega-Lite spec loads data from a URL (a ``data`` with a ``url``, at any level); the rows of
    inline data (a ``data``'s values, the ``datasets``) are not specs, and not searched."""
    if isinstance(spec, dict):
        if parent == "data":
            return "url" in spec
        return any(_url_data(v, k) for k, v in spec.items() if k != "datasets")
    if isinstance(spec, list):
        return any(_url_data(v, parent) for v in spec)
    return False




def _image(
    data: Mapping[str, Any],
    metadata: Mapping[str, Any],
    fmt: str,
    assets: Assets,
    alt: str,
) -> tuple[str, str] | None:
    """(markdown, ext) for the best static image of an output bundle, or None if it has none."""
    svg = data.get("image/svg+xml")
    png = data.get("image/png")
    jpeg = data.get("image/jpeg")
    order = ("png", "svg", "jpeg") if fmt == "docx" else ("svg", "png", "jpeg")
    for kind in order:
        if kind == "svg" and svg is not None:
            text = _text(svg)
            path = assets.write(text.encode("utf-8"), "svg")
            px = _meta_width(metadata, "image/svg+xml") or _svg_width_px(text)
        elif kind == "png" and png is not None:
            raw = png if isinstance(png, bytes) else base64.b64decode(_text(png))  # bytes: drawn in this build
            path = assets.write(raw, "png")
            natural = _png_width_px(raw)
            px = _meta_width(metadata, "image/png") or (natural / 2 if natural else None)
        elif kind == "jpeg" and jpeg is not None:
            path = assets.write(base64.b64decode(_text(jpeg)), "jpg")
            px = _meta_width(metadata, "image/jpeg")
        else:
            continue
        suffix = "\\ " if alt else ""
        return f"![{escape_md(alt)}]({path}){{{_width_attr(px)}}}{suffix}", kind
    if fmt == "docx" and svg is not None:  # pragma: no cover - order above always finds it
        return None
    return None


def _meta_width(metadata: Mapping[str, Any], mime: str) -> float | None:
    meta = metadata.get(mime) if isinstance(metadata, Mapping) else None
    if isinstance(meta, Mapping) and isinstance(meta.get("width"), int | float):
        return float(meta["width"])
    return None


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"~{3,}", text)), default=0)
    return "~" * max(3, longest + 1)


def embed_cell(
    cell: NotebookCell,
    fmt: str,
    assets: Assets,
    src: str,
    report: Report,
    chart_id: Callable[[], str],
) -> Embedded:
    """The Markdown of ``cell``'s outputs for format ``fmt`` (``html``, ``typst`` or ``docx``).

    Parameters
    ----------
    cell
        The labelled cell.
    fmt
        Target format.
    assets
        Where images are written.
    src
        ``file:line`` of the embed shortcode, carried by the generated blocks.
    report
        Called with a message for every problem (the caller locates it).
    chart_id
        Gives a fresh HTML id for an interactive chart.
    """
    out = Embedded()
    body: list[str] = []
    label = cell.label
    alt = str(cell.options.get("fig-alt") or "")
    for position, output in enumerate(cell.outputs):
        kind = output.get("output_type")
        if kind == "error":
            report(
                f"cell {label!r} raised {output.get('ename')}: {output.get('evalue')}; fix the notebook and re-run it"
            )
            continue
        if kind == "stream":
            text = _text(output.get("text", ""))
            if output.get("name") == "stderr":
                first = text.strip().splitlines()[0] if text.strip() else ""
                report(f"cell {label!r} wrote to stderr ({first[:120]!r}); silence it in the notebook")
            elif text.strip():
                fence = _fence(text)
                body += [fence, *text.rstrip("\n").splitlines(), fence, ""]
            continue
        data: Mapping[str, Any] = output.get("data") or {}
        metadata: Mapping[str, Any] = output.get("metadata") or {}
        if FACT_MIME in data:
            continue
        vegalite = next((m for m in data if _VEGALITE.match(m)), None)
        if vegalite is not None:
            spec, remote = cell.chart(position, data[vegalite])
            if remote:
                report(f"the chart of cell {label!r} loads its data from a URL; embed the data in the spec")
                continue
            if fmt == "html":
                ident = chart_id()
                payload = script_json(spec)
                body += [
                    "```{=html}",
                    f'<div class="cufstudy-vega" id="{ident}"></div>',
                    f'<script type="application/json" data-cufstudy-vega="{ident}">{payload}</script>',
                    "```",
                    "",
                ]
                out.charts += 1
                continue
            image = _image(data, metadata, fmt, assets, alt)
            if image is None:
                try:  # drawn after the runs, once per spec (cufstudy.render.chart_images)
                    if assets.charts is None:
                        raise RuntimeError("no chart renderer was given to this render")
                    drawn = assets.charts.get(spec, "png" if fmt == "docx" else "svg")
                except Exception as exc:  # vl-convert raises ValueError/RuntimeError with a message
                    report(f"cannot convert the chart of cell {label!r} to a static image: {exc}")
                    continue
                key = "image/png" if drawn.kind == "png" else "image/svg+xml"
                static = {key: drawn.data if drawn.kind == "png" else drawn.data.decode()}
                sizes = {key: {"width": drawn.width}} if drawn.width else {}  # placed at its natural size
                image = _image(static, sizes, fmt, assets, alt)
            if image is not None:
                body += [image[0], ""]
            continue
        image = _image(data, metadata, fmt, assets, alt)
        if image is not None:
            body += [image[0], ""]
        elif "text/markdown" in data:
            body += [*_text(data["text/markdown"]).rstrip("\n").splitlines(), ""]
        elif "text/html" in data:
            report(
                f"cell {label!r} has an HTML-only output ({sorted(data)}); emit Markdown "
                "(e.g. tables as Markdown) or an image"
            )
        elif "text/plain" in data and set(data) <= {"text/plain"}:
            text = _text(data["text/plain"])
            fence = _fence(text)
            body += [fence, *text.rstrip("\n").splitlines(), fence, ""]
        elif data:
            report(f"cell {label!r} has an output of unsupported type {sorted(data)}")
    if not body:
        report(f"cell {label!r} has no output to embed")
    fig_cap = cell.options.get("fig-cap")
    tbl_cap = cell.options.get("tbl-cap")
    if label.startswith("fig-"):
        out.ids.append(label)
        out.lines += [f'::::: {{#{label} .cufstudy-figure data-src="{src}"}}', "", *body]
        out.lines += [*_caption(fig_cap), ":::::", ""]
    elif label.startswith("tbl-"):
        out.ids.append(label)
        out.lines += [f'::::: {{#{label} .cufstudy-table data-src="{src}"}}', "", *body]
        out.lines += [*_caption(tbl_cap), ":::::", ""]
    else:
        if fig_cap or tbl_cap:
            prefix = "fig" if fig_cap else "tbl"
            report(
                f"cell {label!r} has a {prefix}-cap but its label does not start with {prefix}-: label it "
                f"{prefix}-{label} to number it (as Quarto does), or remove the caption"
            )
        out.lines += ["", *body]
    return out


def _caption(caption: Any) -> list[str]:
    if not caption:
        return []
    return ["::: {.cufstudy-caption}", str(caption).strip(), ":::", ""]
