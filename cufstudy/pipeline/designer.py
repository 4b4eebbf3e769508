"""The brochure's designer pack: ``_output/brochure-designer.zip``, what CUF's designer lays the brochure out from.

:func:`stage_pack` writes it while the brochure is checked before publication (``cufstudy build`` calls it
from its verifier, as it stages the toolbox's Excel grids), and the build publishes it in the brochure's own
set (:class:`~cufstudy.pipeline.publish.Companions`): a kill leaves the brochure and its pack all old or all
new, and a failed check publishes neither. The pack holds, in reading order of the brochure:

* ``graphiques/NN-<label>.svg`` and ``.pdf``: each chart the brochure embeds, as vector files drawn from its
  Vega-Lite specification by the project's exporter (:mod:`cufstudy.notebook.charts.vega`: vl-convert, the
  ``fr-FR`` locale, the shipped font; text stays text), the PDF made from the SVG by Typst (:func:`svg_to_pdf`);
* ``donnees/NN-<label>.csv``: the data behind each chart (its tooltip's fields, under the tooltip's French
  titles) and each table (its French headers), in ``;``-separated UTF-8 with a byte-order mark and the
  decimal comma: what French Excel opens as is (without the BOM it reads the accents as Windows-1252, and it
  splits on ``;`` in a French locale, where ``,`` is the decimal separator), and LibreOffice too;
* ``plaquette.docx``: the brochure's DOCX as published (Word styles, no forced page break, print-grade charts);
* ``polices/``: the fonts the charts and the PDF use, with their licence (SIL Open Font License);
* ``LISEZ-MOI.txt``: one page in French: the files, the fonts, the colours (hex codes of the chart theme),
  the illustrative-data notice that must stay on every page, and that the pack holds no confidential material.

The zip is byte-reproducible: its entries sorted, every one stamped with the build's instant
(:mod:`cufstudy.core.reproducible`), fixed permissions and compression. Before it is published it goes
through the leak check of public deliverables (:mod:`cufstudy.pipeline.leaks` reads every member of a zip).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cufstudy.core.atomic import atomic_write_bytes
from cufstudy.core.errors import RenderError
from cufstudy.core.french import apostrophes
from cufstudy.core.project import BuildPaths
from cufstudy.core.reproducible import source_date
from cufstudy.notebook.charts.palette import ACCENT, INK, MUTED, PALE, STATUS_COLOURS, TIER_COLOURS
from cufstudy.notebook.charts.vega import FONT_SUFFIXES
from cufstudy.pipeline.checks import Requirements, Violation, check_files, raise_for
from cufstudy.pipeline.leaks import PairingLike
from cufstudy.render._notebook import NotebookCache
from cufstudy.render._portable import local_prefixes
from cufstudy.render.chart_images import ChartImages
from cufstudy.render.config import Deliverable
from cufstudy.render.shortcodes import embedded_cells
from cufstudy.resources import font_dirs

__all__ = [
    "CSV_ENCODING",
    "CSV_SEPARATOR",
    "PACK_DELIVERABLE",
    "PACK_NAME",
    "PackItem",
    "chart_table",
    "markdown_table_rows",
    "pack_items",
    "stage_pack",
    "svg_to_pdf",
    "verify_pack",
    "write_pack",
]

PACK_DELIVERABLE: Final = "brochure"
"""The deliverable (profile) the pack is published with."""
PACK_NAME: Final = "brochure-designer.zip"
"""The pack's file name, beside the brochure in the output folder."""
DOCX_NAME: Final = "plaquette.docx"
CSV_SEPARATOR: Final = ";"
CSV_ENCODING: Final = "utf-8-sig"
_VEGALITE = re.compile(r"^application/vnd\.vegalite\.v\d+[+.]json$")
_ZIP_FLOOR = 315_532_800  # 1980-01-01: the earliest instant a zip entry can carry

_TIER_NAMES: Final = {
    "commune": "communes",
    "epci": "intercommunalités",
    "departement": "départements",
    "region": "régions",
    "statut_particulier": "collectivités à statut particulier",
}
_STATUS_NAMES: Final = {
    "implemented": "mise en œuvre",
    "partly": "partiellement mise en œuvre",
    "not_started": "non engagée",
    "abandoned": "abandonnée",
    "unknown": "non renseignée",
}


@dataclass(frozen=True)
class PackItem:
    """One chart or table of the brochure, as the pack holds it.

    ``number`` is its place in the brochure (1 for the first embedded cell); ``columns`` and ``rows`` its data
    (French headers; no data: empty); ``svg`` and ``pdf`` the vector drawings of a chart (None for a table).
    """

    number: int
    label: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    svg: str | None = None
    pdf: bytes | None = None

    @property
    def stem(self) -> str:
        return f"{self.number:02d}-{self.label}"

    @property
    def is_chart(self) -> bool:
        return self.svg is not None


# ---------------------------------------------------------------------------------------------------------
# the data behind a chart, and a table's cells


def _units(spec: Mapping[str, Any], data: str | None) -> Iterator[tuple[Mapping[str, Any], str | None]]:
    """Every view of a Vega-Lite spec with the name of the dataset it draws (inherited from its parents)."""
    own = spec.get("data")
    if isinstance(own, Mapping) and isinstance(own.get("name"), str):
        data = str(own["name"])
    yield spec, data
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for child in spec.get(key) or []:
            if isinstance(child, Mapping):
                yield from _units(child, data)
    child = spec.get("spec")
    if isinstance(child, Mapping):
        yield from _units(child, data)


def _field_value(row: Mapping[str, Any], name: str) -> object:
    value: Any = row
    for part in name.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, list):  # a wrapped label: its lines
        value = " ".join(str(v) for v in value)
    return re.sub(r"\s*\n\s*", " ", value) if isinstance(value, str) else value


def chart_table(spec: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[tuple[object, ...], ...]]:
    """The data behind a chart: the fields of its tooltip, under the tooltip's (French) titles.

    The first view with a titled tooltip names the fields and its dataset gives the rows (duplicates
    dropped, in the dataset's order); a chart without one gives ``((), ())``. The tooltip is what a reader
    is shown of each mark, so its fields are the chart's data, not its layout (tile corners, label positions).
    """
    datasets = spec.get("datasets") or {}
    for unit, data in _units(spec, None):
        encoding = unit.get("encoding") or {}
        tooltip = encoding.get("tooltip") if isinstance(encoding, Mapping) else None
        if not isinstance(tooltip, list) or data is None or data not in datasets:
            continue
        fields = [
            (str(t["field"]), str(t.get("title") or "")) for t in tooltip if isinstance(t, Mapping) and t.get("field")
        ]
        if not fields or not all(title for _, title in fields):
            continue
        rows: list[tuple[object, ...]] = []
        for record in datasets[data]:
            if isinstance(record, Mapping):
                row = tuple(_field_value(record, name) for name, _ in fields)
                if row not in rows and any(v not in (None, "") for v in row):  # a box without data: no row
                    rows.append(row)
        return tuple(title for _, title in fields), tuple(rows)
    return (), ()


_RULE_LINE = re.compile(r"\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*")
_ESCAPED = re.compile(r"\\(.)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1")


def _cell_text(cell: str) -> str:
    text = _EMPHASIS.sub(r"\2", cell.strip())
    return _ESCAPED.sub(r"\1", text)


def _split_row(line: str) -> list[str]:
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    return [_cell_text(c) for c in re.split(r"(?<!\\)\|", body)]


def markdown_table_rows(markdown: str) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """The header and rows of the first pipe table of ``markdown`` (Markdown escapes and emphasis removed)."""
    lines = markdown.splitlines()
    for i in range(len(lines) - 1):
        if lines[i].lstrip().startswith("|") and _RULE_LINE.fullmatch(lines[i + 1]):
            header = tuple(_split_row(lines[i]))
            rows = []
            for line in lines[i + 2 :]:
                if not line.lstrip().startswith("|"):
                    break
                rows.append(tuple(_split_row(line)))
            return header, tuple(rows)
    return (), ()


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def svg_to_pdf(svg: str, root: Path, epoch: int = _ZIP_FLOOR) -> bytes:
    """A chart's SVG as a vector PDF, its text kept as text in the shipped font (Typst, the project's PDF engine).

    Not vl-convert's own PDF: it orders the embedded fonts differently from one process to the next, so the
    same chart would give other bytes in another build. Typst's output depends only on its inputs.
    """
    import tempfile

    import typst

    with tempfile.TemporaryDirectory(prefix="cufstudy-chart-") as folder:
        Path(folder, "chart.svg").write_text(svg, encoding="utf-8")
        main = Path(folder, "chart.typ")
        main.write_text('#set page(width: auto, height: auto, margin: 0pt)\n#image("chart.svg")\n', encoding="utf-8")
        fonts = [str(d) for d in font_dirs(root)]
        return bytes(typst.compile(str(main), font_paths=fonts, timestamp=epoch))


def pack_items(deliverable: Deliverable, root: Path) -> list[PackItem]:
    """The charts and tables the deliverable's documents embed, in reading order, with their data.

    A cell whose output holds a Vega-Lite chart is a chart (drawn again as SVG and PDF from the spec);
    one whose Markdown output holds a pipe table is a table; other cells (a contact box) are not exported.

    Raises
    ------
    RenderError
        An embedded notebook cannot be read, or a chart cannot be drawn.
    """
    cache = NotebookCache()
    images = ChartImages(BuildPaths(root).cache / "charts")  # the SVGs the brochure's PDF drew already
    items: list[PackItem] = []
    for source in deliverable.inputs:
        for notebook, label in embedded_cells(source, root):
            try:
                cell = cache.cells(notebook).get(label)
            except ValueError as exc:
                raise RenderError(f"designer pack: {exc}") from exc
            if cell is None:
                raise RenderError(f"designer pack: no cell {label!r} in {notebook.name}")
            caption = str(cell.options.get("fig-cap") or cell.options.get("tbl-cap") or label)
            for output in cell.outputs:
                data: Mapping[str, Any] = output.get("data") or {}
                meta = (output.get("metadata") or {}).get("cufstudy") or {}
                mime = next((m for m in data if _VEGALITE.match(m)), None)
                if mime is not None:
                    spec = data[mime]
                    spec = json.loads(spec) if isinstance(spec, str) else dict(spec)
                    columns, rows = chart_table(spec)
                    try:
                        svg = images.get(spec, "svg").data.decode("utf-8")
                        pdf = svg_to_pdf(svg, root)
                    except Exception as exc:  # vl-convert raises ValueError/RuntimeError with a message
                        raise RenderError(f"designer pack: cannot draw the chart {label!r}: {exc}") from exc
                    title = str(meta.get("title") or caption) if isinstance(meta, Mapping) else caption
                    items.append(PackItem(len(items) + 1, label, title, columns, rows, svg, pdf))
                    break
                if "text/markdown" in data:
                    header, body = markdown_table_rows(_text(data["text/markdown"]))
                    if header:
                        items.append(PackItem(len(items) + 1, label, caption, header, body))
                        break
    return items


# ---------------------------------------------------------------------------------------------------------
# the files of the pack


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):  # six significant digits, the decimal comma
        return f"{value:.6g}".replace(".", ",")
    return apostrophes(str(value))  # the typographic apostrophe, as the deliverables print it


def _csv(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    import csv

    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_SEPARATOR, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    writer.writerows([_csv_value(v) for v in row] for row in rows)
    return out.getvalue().encode(CSV_ENCODING)


def _fonts(root: Path) -> dict[str, bytes]:
    """The fonts of the project (its ``templates/fonts`` first, else the packaged Inter) and their licences."""
    for folder in font_dirs(root):
        fonts = sorted(p for p in folder.iterdir() if p.suffix.lower() in FONT_SUFFIXES)
        if fonts:
            licences = sorted(
                p for p in folder.iterdir() if p.is_file() and re.match(r"(OFL|LICEN[CS]E|COPYING)", p.name, re.I)
            )
            return {f"polices/{p.name}": p.read_bytes() for p in [*fonts, *licences]}
    return {}


def _readme(title: str, items: Sequence[PackItem], fonts: Sequence[str], notice: str | None) -> str:
    charts = [i for i in items if i.is_chart]
    tables = [i for i in items if not i.is_chart]
    font_names = sorted({re.sub(r"-.*", "", Path(f).stem) for f in fonts if Path(f).suffix.lower() in FONT_SUFFIXES})
    lines = [
        "Dossier graphiste de la plaquette" + (f" — {apostrophes(title)}" if title else ""),
        "",
        "CONTENU",
        f"- {DOCX_NAME} : le texte de la plaquette, avec ses styles Word (Titre 1 et 2, Légende, style de "
        "tableau) ; les sections se suivent sans saut de page forcé ; les graphiques y sont en PNG à 384 ppp.",
        f"- graphiques/ : les {len(charts)} graphiques en SVG et en PDF vectoriels (textes modifiables) :",
        *[f"    {c.stem} — {apostrophes(c.title)}" for c in charts],
        f"- donnees/ : les données de chaque graphique et des {len(tables)} tableaux, en CSV :",
        *[f"    {t.stem} — {apostrophes(t.title)}" for t in tables],
        "  Format : UTF-8 avec BOM, séparateur « ; », virgule décimale : Excel (français) et LibreOffice",
        "  les ouvrent directement avec les accents.",
        "- polices/ : les polices et leur licence (SIL Open Font License : usage, impression et intégration libres).",
        "",
        "POLICES",
        f"- {', '.join(font_names) or 'aucune'} : graphiques et PDF. Installez-la avant d’ouvrir les SVG : sans elle,",
        "  une police plus large la remplace et les textes peuvent déborder (les PDF l’incorporent).",
        "- Le DOCX est stylé en Arial (disponible partout) : appliquer la police de la maquette aux styles.",
        "",
        "COULEURS (thème des graphiques)",
        f"- Texte {INK} ; texte secondaire {MUTED} ; accent {ACCENT} ; fond des encadrés {PALE}.",
        "- Niveaux de collectivité : " + " ; ".join(f"{_TIER_NAMES[k]} {v}" for k, v in TIER_COLOURS.items()) + ".",
        "- Suivi des recommandations : "
        + " ; ".join(f"{_STATUS_NAMES[k]} {v}" for k, v in STATUS_COLOURS.items())
        + ".",
        "",
        "À CONSERVER SUR CHAQUE PAGE",
    ]
    if notice:
        lines += [f"- La mention des données illustratives : « {notice} »."]
    lines += [
        "- Les sources et les bases (« Base : n = … ») sous chaque graphique et tableau.",
        "",
        "CONFIDENTIALITÉ",
        "- Ce dossier ne contient aucun élément confidentiel (ni nom de personne interrogée, ni note",
        "  d’entretien) : il a passé le contrôle des livrables publics. N’y ajoutez aucune autre donnée.",
    ]
    return "\r\n".join(lines) + "\r\n"


def write_pack(
    target: Path,
    items: Sequence[PackItem],
    docx: Path,
    root: Path,
    *,
    title: str,
    notice: str | None,
    epoch: int,
) -> Path:
    """Write the pack's zip at ``target`` (atomically), byte-reproducible: sorted entries, one fixed instant."""
    members: dict[str, bytes] = {DOCX_NAME: docx.read_bytes()}
    for item in items:
        if item.svg is not None and item.pdf is not None:
            members[f"graphiques/{item.stem}.svg"] = item.svg.encode("utf-8")
            members[f"graphiques/{item.stem}.pdf"] = item.pdf
        if item.columns:
            members[f"donnees/{item.stem}.csv"] = _csv(item.columns, item.rows)
    fonts = _fonts(root)
    members.update(fonts)
    members["LISEZ-MOI.txt"] = _readme(title, items, list(fonts), notice).encode("utf-8")
    stamp = dt.datetime.fromtimestamp(max(epoch, _ZIP_FLOOR), dt.UTC).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name in sorted(members):
            entry = zipfile.ZipInfo(name, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            entry.create_system = 3  # Unix, whatever the build machine
            zf.writestr(entry, members[name], compresslevel=9)
    atomic_write_bytes(target, buffer.getvalue())
    return target


def stage_pack(
    deliverable: Deliverable,
    files: Sequence[Path],
    root: Path,
    folder: Path,
    *,
    notice: str | None,
    secrets: Callable[[], Sequence[Any]] | None = None,
    pairings: Callable[[], Sequence[PairingLike]] | None = None,
) -> Path | None:
    """Write the pack of ``deliverable`` from its rendered (not yet published) files into ``folder``, checked.

    Returns the staged zip, or None when the deliverable rendered no DOCX (``--to pdf``). The zip is searched
    for confidential values and real authorities beside their illustrative coding, as the deliverable is.

    Raises
    ------
    LeakError
        The pack would publish a confidential value (nothing is published).
    RenderError
        A chart cannot be drawn, an embedded cell is missing.
    """
    docx = next((f for f in files if f.suffix.lower() == ".docx"), None)
    if docx is None:
        return None
    items = pack_items(deliverable, root)
    title = str(deliverable.config.get("title", default=None) or "")
    epoch = source_date(deliverable.config.get("date", default=None)).epoch
    target = write_pack(folder / PACK_NAME, items, docx, root, title=title, notice=notice, epoch=epoch)
    report = check_files([target], Requirements(deliverable.name, secrets=secrets, pairings=pairings))
    if report.violations:
        target.unlink(missing_ok=True)
    raise_for(report.violations, deliverable.name)
    return target


def _members(pack: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(pack) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def _texts(name: str, data: bytes) -> Iterator[tuple[str, bytes]]:
    """A member's bytes, and for the DOCX each of its parts (a zip inside the zip)."""
    yield name, data
    if name.endswith(".docx"):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                yield f"{name}/{info.filename}", zf.read(info)


def verify_pack(
    deliverable: Deliverable,
    docx: Path,
    pack: Path,
    root: Path,
    folder: Path,
    *,
    notice: str | None,
    secrets: Callable[[], Sequence[Any]] | None = None,
    pairings: Callable[[], Sequence[PairingLike]] | None = None,
) -> list[Violation]:
    """The problems of a published designer pack ``pack`` beside the published brochure DOCX ``docx``.

    ``cufstudy check`` of the published brochure: the pack must be there; hold no confidential value and no
    real authority beside its illustrative coding (the brochure's leak and pairing rules); name no folder of
    the build machine (the project's absolute path, in any member or any part of its DOCX); and be the pack a
    build writes from that DOCX, member for member (written again into ``folder``, compared, removed: the pack
    is byte-reproducible, so a member that differs is stale or was edited).
    """
    name = deliverable.name
    again = f"quarto render --profile {name} (or cufstudy build {name}) writes it again"
    if not pack.is_file():
        return [Violation(pack, "designer", f"{pack.name} is missing beside {docx.name}: {again}")]
    try:
        members = _members(pack)
    except (zipfile.BadZipFile, OSError) as exc:
        return [Violation(pack, "designer", f"{pack.name} is not a readable zip ({exc}): {again}")]
    problems = check_files([pack], Requirements(name, secrets=secrets, pairings=pairings)).violations
    machine = local_prefixes(root)
    for member, data in members.items():
        for part, text in _texts(member, data):
            hit = next((p for p in machine if p.encode("utf-8") in text), None)
            if hit is not None:
                problems.append(Violation(pack, "designer", f"{pack.name}: {part} names a folder of the build machine"))
                break
    title = str(deliverable.config.get("title", default=None) or "")
    epoch = source_date(deliverable.config.get("date", default=None)).epoch
    fresh = write_pack(folder / PACK_NAME, pack_items(deliverable, root), docx, root, title=title, notice=notice,
                       epoch=epoch)  # fmt: skip
    try:
        expected = _members(fresh)
    finally:
        fresh.unlink(missing_ok=True)
    missing = sorted(expected.keys() - members.keys())
    extra = sorted(members.keys() - expected.keys())
    differ = sorted(n for n in expected.keys() & members.keys() if expected[n] != members[n])
    for what, names in (("lacks", missing), ("has members a build does not write", extra), ("differs in", differ)):
        if names:
            shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
            problems.append(Violation(pack, "designer", f"{pack.name} {what}: {shown} ({again})"))
    return problems
