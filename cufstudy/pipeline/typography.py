"""The French typography check of every output: what a reader sees, in every format, file by file.

The deliverables print French with French typography (:mod:`cufstudy.core.french`, the prose filter
``typography-fr.lua``): the apostrophe ’, “ ” for a quotation inside « », a no-break space before
``: ; ! ?`` and ``»`` and after ``«``, a narrow no-break space between a number and ``%``. This module reads
the text a reader sees in each output and reports every place where one is missing, with the file, where in
it (page, XML part and paragraph, HTML line and element, chart, sheet and cell) and the snippet:

- PDF: the text of each page (PDFium, :func:`cufstudy.pipeline.leaks.pdf_page_texts`);
- DOCX: the paragraphs of ``word/document.xml``, its headers, footers and notes (the runs of a paragraph
  joined, field codes left out);
- HTML: the visible text and the ``alt``/``title``/``aria-label`` attributes, not ``<script>``, ``<style>``,
  ``<code>`` or ``<pre>``; and the texts of the Vega-Lite specs the page draws (titles, labels, tooltips,
  data labels);
- SVG: the ``<text>`` elements of a chart;
- XLSX: the string cells of the visible sheets that the workbook writes itself (not the cells a user fills).

What is not French prose is left out: URLs, e-mail addresses and DOIs, code, the bibliography (entries are
cited as published), and text marked as English (``lang="en"`` in HTML, ``w:lang`` ``en-*`` in DOCX). English
text keeps the typographic apostrophe (the rule applies to it), but not the French spaces before signs.

Examples
--------
>>> [f.rule for f in text_faults("Ville d'Aix : 12 %", "x.pdf", "page 1")]
['straight apostrophe', 'space before :', 'space before %']
>>> text_faults("Ville d’Aix\u00a0: 12\u202f% https://x.org/a?b:c", "x.pdf", "page 1")
[]
"""

from __future__ import annotations

import html
import json
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Final
from xml.etree import ElementTree

__all__ = [
    "TypoFault",
    "docx_faults",
    "file_faults",
    "html_faults",
    "notebook_chart_faults",
    "output_faults",
    "pdf_faults",
    "pdf_property_faults",
    "pdf_text_faults",
    "spec_texts",
    "svg_faults",
    "text_faults",
    "xlsx_faults",
]

NBSP: Final = "\u00a0"
NNBSP: Final = "\u202f"
_HARD: Final = f"{NBSP}{NNBSP}"


@dataclass(frozen=True)
class TypoFault:
    """One typographic fault of an output: the file, where in it, the rule broken and the text around it."""

    file: str
    where: str
    rule: str
    snippet: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.rule}: {self.snippet!r}"


# what is not prose: URLs, e-mail addresses, DOIs (the signs in them are not punctuation)
_NOT_PROSE: Final = re.compile(r"(?:https?|ftp|file)://\S+|www\.\S+|\bdoi:\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_RULES: Final = (
    ("straight apostrophe", re.compile(r"(?<=[^\W\d_])'(?=[^\W\d_])")),
    ("space before :", re.compile(r"(?<=\S) :(?=\s|$)")),
    ("space before ;", re.compile(r"(?<=\S) ;")),
    ("space before !", re.compile(r"(?<=\S) !")),
    ("space before ?", re.compile(r"(?<=\S) \?")),
    ("space before »", re.compile(r"(?<=\S) »")),
    ("no no-break space before »", re.compile(rf"(?<=[^\s{_HARD}«])»")),
    ("space after «", re.compile(r"« (?=\S)")),
    ("no no-break space after «", re.compile(rf"«(?=[^\s{_HARD}»])")),
    ("space before %", re.compile(r"(?<=\d) ?%")),
)
_FRENCH_ONLY: Final = frozenset(r for r, _ in _RULES if r != "straight apostrophe")
# an extraction artefact of PDF text: a space next to a no-break space (the glyphs are placed apart)
_PDF_GAP: Final = re.compile(rf" *([{_HARD}]) *")


def _snippet(text: str, start: int, end: int, width: int = 30) -> str:
    lo, hi = max(0, start - width), min(len(text), end + width)
    return ("…" if lo else "") + text[lo:hi].replace("\n", " ") + ("…" if hi < len(text) else "")


def text_faults(text: str, file: str, where: str, english: bool = False) -> list[TypoFault]:
    """The typographic faults of one piece of text.

    Parameters
    ----------
    text
        What a reader sees.
    file, where
        Named in each fault: the output file and the place in it.
    english
        The text is English: only the apostrophe rule applies.
    """
    masked = _NOT_PROSE.sub(lambda m: "\x00" * len(m.group(0)), text)
    faults: list[TypoFault] = []
    depth = 0
    for m in re.finditer("[«»]", masked):  # a quotation inside a quotation is set between “ ”
        depth = depth + 1 if m.group(0) == "«" else max(depth - 1, 0)
        if depth == 2 and m.group(0) == "«" and not english:
            faults.append(TypoFault(file, where, "« » inside « »", _snippet(text, m.start(), m.end())))
    for rule, pattern in _RULES:
        if english and rule in _FRENCH_ONLY:
            continue
        for m in pattern.finditer(masked):
            faults.append(TypoFault(file, where, rule, _snippet(text, m.start(), m.end())))
    return faults


# ---------------------------------------------------------------------------------------------------------
# PDF


def pdf_text_faults(pages: Sequence[str], file: str, gap: str | None = None) -> list[TypoFault]:
    """The faults of the extracted text of each page of a PDF (the publish check reuses its extraction).

    ``gap``: the character the extraction put where it inferred a space from the distance between two glyphs
    (:func:`cufstudy.pipeline.leaks.pdf_page_texts`; a chart's text, set glyph by glyph): such a space is no
    character of the document, whose kind (no-break or not) the PDF does not tell; it is not judged."""
    faults: list[TypoFault] = []
    for number, page in enumerate(pages, start=1):
        text = page if gap is None else page.replace(gap, "\u00a0")
        faults += text_faults(_PDF_GAP.sub(r"\1", text), file, f"page {number}")
    return faults


#: the properties of a PDF a reader sees (a viewer's title bar, a library's record); Creator and Producer
#: name the software
_PDF_PROPERTIES: Final = ("Title", "Author", "Subject", "Keywords")


def pdf_property_faults(data: bytes, file: str) -> list[TypoFault]:
    """The faults of a PDF's properties (its title, author, subject and keywords)."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return []  # a PDF that cannot be read is reported by the checks that need it
    try:
        properties = doc.get_metadata_dict(skip_empty=True)
    finally:
        doc.close()
    faults: list[TypoFault] = []
    for key in _PDF_PROPERTIES:
        if properties.get(key):
            faults += text_faults(str(properties[key]), file, f"properties: {key}")
    return faults


def pdf_faults(path: Path) -> list[TypoFault]:
    """The faults of the text of each page of a PDF and of its properties."""
    from cufstudy.pipeline.leaks import pdf_page_texts

    data = path.read_bytes()
    return pdf_property_faults(data, path.name) + pdf_text_faults(pdf_page_texts(data, gap="\u00a0"), path.name)


# ---------------------------------------------------------------------------------------------------------
# DOCX

_W: Final = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DOCX_PARTS: Final = re.compile(r"word/(?:document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml")
# paragraph and character styles that are not French prose (pandoc's names)
_CODE_STYLES: Final = frozenset({"SourceCode", "VerbatimChar", "Bibliography"})


def _english(props: ElementTree.Element | None) -> bool:
    lang = props.find(f"{_W}lang") if props is not None else None
    return lang is not None and (lang.get(f"{_W}val") or "").lower().startswith("en")


def _style(props: ElementTree.Element | None, tag: str) -> str:
    style = props.find(f"{_W}{tag}") if props is not None else None
    return (style.get(f"{_W}val") or "") if style is not None else ""


_RAW_PARAGRAPH: Final = re.compile(r"<w:p[ >].*?</w:p>", re.S)
_RAW_TEXT: Final = re.compile(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>")


def docx_faults(path: Path) -> list[TypoFault]:
    """The faults of every paragraph of a DOCX's body, headers, footers and notes."""
    faults: list[TypoFault] = []
    with zipfile.ZipFile(path) as zf:
        for part in sorted(n for n in zf.namelist() if _DOCX_PARTS.fullmatch(n)):
            raw = zf.read(part)
            try:
                root = ElementTree.fromstring(raw)
            except ElementTree.ParseError:  # not well-formed XML (no namespace...): its paragraphs' text
                for number, para in enumerate(_RAW_PARAGRAPH.findall(raw.decode("utf-8", "replace")), start=1):
                    text = html.unescape("".join(_RAW_TEXT.findall(para)))
                    faults += text_faults(text, path.name, f"{part} paragraph {number}")
                continue
            for number, para in enumerate(root.iter(f"{_W}p"), start=1):
                ppr = para.find(f"{_W}pPr")
                if _style(ppr, "pStyle") in _CODE_STYLES:
                    continue
                french: list[str] = []
                english: list[str] = []
                for run in para.iter(f"{_W}r"):
                    rpr = run.find(f"{_W}rPr")
                    if _style(rpr, "rStyle") in _CODE_STYLES:
                        continue
                    text = "".join(t.text or "" for t in run.iter(f"{_W}t"))
                    (english if _english(rpr) else french).append(text)
                where = f"{part} paragraph {number}"
                faults += text_faults("".join(french), path.name, where)
                faults += text_faults("".join(english), path.name, where, english=True)
    return faults


# ---------------------------------------------------------------------------------------------------------
# Vega-Lite specs and SVG charts

# keys of a spec whose strings are not drawn (identifiers, settings, expressions)
_SPEC_SKIP: Final = frozenset(
    {"$schema", "field", "type", "as", "name", "format", "formatType", "timeUnit", "url", "scheme", "aggregate",
     "op", "groupby", "fields", "key", "lookup", "param", "bind", "config", "usermeta", "projection", "expr",
     "labelExpr", "test", "calculate", "filter", "signal", "update", "font", "color", "fill", "stroke"}
)  # fmt: skip


def spec_texts(spec: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(where, text) of every string of a Vega-Lite spec a reader may see (titles, labels, data values)."""
    if isinstance(spec, str):
        yield path or "spec", spec
    elif isinstance(spec, list):
        for i, item in enumerate(spec):
            yield from spec_texts(item, f"{path}[{i}]")
    elif isinstance(spec, dict):
        for key, value in spec.items():
            if key not in _SPEC_SKIP:
                yield from spec_texts(value, f"{path}.{key}" if path else str(key))


def _spec_faults(spec: Any, file: str, where: str) -> list[TypoFault]:
    title = spec.get("title") if isinstance(spec, dict) else None
    name = title.get("text") if isinstance(title, dict) else title
    label = f'{where} chart "{name}"' if isinstance(name, str) else f"{where} chart"
    faults: list[TypoFault] = []
    for inner, text in spec_texts(spec):
        faults += text_faults(text, file, f"{label} {inner}")
    return faults


_SVG_TEXT: Final = re.compile(r"<text\b[^>]*>(.*?)</text>", re.S)


def svg_faults(svg: str, file: str, where: str = "svg") -> list[TypoFault]:
    """The faults of the ``<text>`` elements of an SVG chart."""
    faults: list[TypoFault] = []
    for m in _SVG_TEXT.finditer(svg):
        text = html.unescape(re.sub(r"<[^>]+>", "", m.group(1)))
        faults += text_faults(text, file, f"{where} <text>")
    return faults


def notebook_chart_faults(path: Path) -> list[TypoFault]:
    """The faults of the charts an executed notebook records (their Vega-Lite specifications).

    The publish check reads them for a deliverable whose formats do not keep a chart's characters: its DOCX
    shows a picture, its PDF the glyphs, whose spaces the PDF text gives as gaps of unknown kind
    (:func:`pdf_text_faults`); the specification tells a no-break space from a plain one."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []  # a notebook that cannot be read is reported by the checks that need it
    faults: list[TypoFault] = []
    for cell in notebook.get("cells", []) if isinstance(notebook, dict) else []:
        for output in cell.get("outputs", []) or []:
            for mime, value in (output.get("data") or {}).items():
                if "vegalite" not in mime:
                    continue
                spec = json.loads(value) if isinstance(value, str) else value
                faults += _spec_faults(spec, path.name, f"cell {cell.get('id', '?')}")
    return faults


# ---------------------------------------------------------------------------------------------------------
# HTML

_HIDDEN: Final = frozenset({"script", "style", "code", "pre", "kbd", "samp", "template", "noscript", "svg", "math"})
_VOID: Final = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
_SHOWN_ATTRS: Final = ("alt", "title", "aria-label")


class _PageText(HTMLParser):
    """The visible text of a page by element, and the JSON of its chart scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool, bool]] = []  # tag, hidden, english
        self.pieces: list[tuple[str, str, bool]] = []  # where, text, english
        self.scripts: list[tuple[str, str]] = []  # where, JSON text
        self._script: list[str] | None = None
        self._refs = 0

    def _where(self, tag: str) -> str:
        return f"line {self.getpos()[0]} <{tag}>"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        hidden = bool(self.stack and self.stack[-1][1]) or tag in _HIDDEN
        classes = (values.get("class") or "").split()
        if values.get("id") == "refs" or "csl-entry" in classes or "references" in classes:
            hidden = True  # the bibliography: entries as published
        lang = values.get("lang")
        english = lang.lower().startswith("en") if lang else bool(self.stack and self.stack[-1][2])
        if tag == "script" and (values.get("type") or "").endswith("json"):
            self._script = []
        if not hidden or tag == "img":
            for name in _SHOWN_ATTRS:
                text = values.get(name)
                if text:
                    self.pieces.append((f"{self._where(tag)} @{name}", text, english))
        if tag not in _VOID:
            self.stack.append((tag, hidden, english))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._where("script"), "".join(self._script)))
            self._script = None
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)
            return
        if self.stack and self.stack[-1][1]:
            return
        if data.strip():
            tag = self.stack[-1][0] if self.stack else "html"
            self.pieces.append((self._where(tag), data, bool(self.stack and self.stack[-1][2])))


def _json_specs(text: str) -> Iterator[Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return
    if isinstance(value, dict) and "vega-lite" in str(value.get("$schema", "")):
        yield value


def html_faults(path: Path) -> list[TypoFault]:
    """The faults of the visible text of an HTML page and of the charts it draws."""
    parser = _PageText()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    faults: list[TypoFault] = []
    for where, text, english in parser.pieces:
        faults += text_faults(text, path.name, where, english=english)
    for where, text in parser.scripts:
        for spec in _json_specs(text):
            faults += _spec_faults(spec, path.name, where)
    return faults


# ---------------------------------------------------------------------------------------------------------
# XLSX


def xlsx_faults(path: Path, filled: bool = False) -> list[TypoFault]:
    """The faults of the string cells of the visible sheets of a workbook.

    Parameters
    ----------
    filled
        Also the cells a user fills (the unlocked cells of a protected sheet: the data, written back as it
        was typed so that the workbook reads back the same) and the hidden sheets (the drop-down lists,
        whose values a cell must equal). By default only the workbook's own texts: instructions, headers,
        labels.
    """
    from openpyxl import load_workbook

    faults: list[TypoFault] = []
    workbook = load_workbook(path)
    for sheet in workbook.worksheets:
        if not filled and sheet.sheet_state != "visible":
            continue
        protected = bool(sheet.protection.sheet)
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if not isinstance(value, str) or value.startswith("="):
                    continue
                if not filled and protected and not cell.protection.locked:
                    continue
                faults += text_faults(value, path.name, f"sheet {sheet.title!r} cell {cell.coordinate}")
    return faults


# ---------------------------------------------------------------------------------------------------------
# every output

_READERS: Final = {".pdf": pdf_faults, ".docx": docx_faults, ".html": html_faults, ".xlsx": xlsx_faults}


def file_faults(path: Path) -> list[TypoFault]:
    """The faults of one output file (PDF, DOCX, HTML, SVG or XLSX; other files have none)."""
    if path.suffix == ".svg":
        return svg_faults(path.read_text(encoding="utf-8"), path.name)
    reader = _READERS.get(path.suffix.lower())
    return reader(path) if reader is not None else []


def output_faults(paths: Iterable[Path]) -> list[TypoFault]:
    """The faults of every file (a folder: every file in it, sorted)."""
    faults: list[TypoFault] = []
    for path in paths:
        if path.is_dir():
            faults += output_faults(sorted(p for p in path.rglob("*") if p.is_file()))
        else:
            faults += file_faults(path)
    return faults
