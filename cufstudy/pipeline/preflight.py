"""The preflight of a PDF deliverable: the layout faults a reader sees, found in the PDF itself.

The rules, by the name the report gives them:

``table-row``
    No table row is split across two pages (a row starts at the foot of one page, ends on the next).
``table-header``
    A table that continues on the next page repeats its header row there.
``caption``
    No caption on another page than its table (a table caption, above its table, ending a page) or its
    figure (a figure caption, below its figure, opening a page).
``heading``
    No heading in the last lines of a page: at least ``heading-lines`` lines of its text follow it there.
    A heading is a bookmarked one, or a title set as a paragraph of its own in bold (a portrait's name,
    « Stratégie. » over its list): the reader takes it for a heading, the PDF's outline does not list it.
``fill``
    No page filled less than ``min-fill`` of its text area, unless it ends a chapter the profile starts on a
    new page, or ends the document; those end pages must still reach ``min-fill-end`` (no one-line page).
``text-area``
    No text outside the page's text area (a table wider than the text, a line running into the margin).

Why the PDF and not ``typst query``: the PDF is what the client receives, whichever renderer made it
(the embedded engine, or a real Quarto whose Typst and intermediate ``.typ`` file are its own), and a
check run after ``quarto render`` (``cufstudy check``) has only the PDF. The structure is read back from
what every Typst PDF carries: the bookmarks (one per heading, with its page and position), the running
header and footer (the same on most pages: they bound the text area), the rules Typst draws between
table rows (the header row's rule is the heavier one) and the caption labels (« Tableau 3 : »).
pypdfium2 (PDFium, in C++) gives the positions of characters, rules and boxes, and the bookmarks. The rules
were first written on pdfplumber (pdfminer.six, pure Python), whose parsing was most of the checks' processor
time (about 18 s for the four deliverables of the default project, about 3.5 s with PDFium); the boxes are
still pdfminer's (see :func:`_chars`), on which the thresholds were set. A PDF PDFium cannot read is a
:class:`~cufstudy.core.errors.LayoutError` naming the file.

:func:`preflight` returns every fault at once as :class:`~cufstudy.core.problems.Problem` records
(file, ``page N: rule``, message), in page order.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

from cufstudy.core.errors import LayoutError
from cufstudy.core.problems import Problem, Reason
from cufstudy.core.project import PreflightSettings

__all__ = ["PREFLIGHT_RULES", "PreflightRule", "preflight"]

PreflightRule = Literal["table-row", "table-header", "caption", "heading", "fill", "text-area"]
PREFLIGHT_RULES: tuple[PreflightRule, ...] = ("table-row", "table-header", "caption", "heading", "fill", "text-area")

_LINE_TOLERANCE = 2.0  # characters whose tops differ by less belong to one line (pt)
_EDGE = 1.0  # tolerance of the text-area bounds (pt)
_RUNNING_SHARE = 0.6  # an element on this share of the pages, at the same place, is running (header, footer)
_MARGIN_ZONE = 0.2  # running elements live in the top or bottom fifth of the page
_OVERHANG = 0.8  # punctuation may hang this share of the font size into the margin (Typst's overhang)
_HANGING = set("-‐‑–—,.;:!?’'\"»)]")
_CAPTION = re.compile(r"^\w+\s*[\dA-Z][\w.\-]*\s*[:.]\s")  # « Tableau 3 : », « Figure 2.1 : »
_BOLD = re.compile(r"bold|semibold|black|heavy", re.I)  # the font names of a bold face (Inter-SemiBold)


class _Char(NamedTuple):
    """One character of a page, as the line building needs it: pdfminer's box (from the page top).

    A named tuple: a study's PDF has about 150,000 of them, made several times faster than a frozen dataclass.
    """

    text: str
    fontname: str
    size: float
    x0: float
    x1: float
    top: float
    bottom: float
    upright: bool = True


@dataclass(frozen=True)
class _Line:
    """One line of text of a page: its box, its text and its main font size."""

    x0: float
    x1: float
    top: float
    bottom: float
    text: str
    size: float
    bold: bool = False
    """Every letter of the line is set in a bold face."""

    @property
    def key(self) -> str:
        return re.sub(r"\d+", "#", self.text.strip())


@dataclass(frozen=True)
class _Rule:
    """A horizontal rule drawn on a page (a table's row separator, the footer line)."""

    x0: float
    x1: float
    y: float
    width: float


@dataclass
class _Page:
    number: int
    width: float
    height: float
    lines: list[_Line]
    rules: list[_Rule]
    boxes: list[tuple[float, float, float, float]]  # images, fills and curves: (x0, top, x1, bottom)
    body: list[_Line]  # the lines inside the text area (set by _bound)
    top: float = 0.0  # the text area
    bottom: float = 0.0
    left: float = 0.0
    right: float = 0.0


@dataclass(frozen=True)
class _Heading:
    page: int
    level: int
    title: str
    y: float


@dataclass(frozen=True)
class _Table:
    """The part of a table on one page: its rules, from the first to the last."""

    page: int
    x0: float
    x1: float
    rules: tuple[_Rule, ...]
    size: float | None
    """The font size of the table's text (its lines between its first and last rule)."""

    @property
    def first(self) -> _Rule:
        return self.rules[0]

    @property
    def last(self) -> _Rule:
        return self.rules[-1]

    @property
    def has_header(self) -> bool:
        """Whether the first rule is heavier than the others (the rule under a header row)."""
        rest = [r.width for r in self.rules[1:]]
        return bool(rest) and self.first.width > max(rest) + 0.1

    def holds(self, line: _Line) -> bool:
        """Whether a line is text of the table: inside its width, in its font size, not a caption."""
        inside = line.x0 >= self.x0 - _EDGE and line.x1 <= self.x1 + _EDGE
        sized = self.size is None or abs(line.size - self.size) < 0.3
        return inside and sized and not _CAPTION.match(line.text.strip())


# -- reading the PDF -------------------------------------------------------------------------------
def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).replace("’", "'").replace("\u00a0", " ").replace("\u202f", " ")
    return re.sub(r"\s+", " ", "".join(c for c in text if not unicodedata.combining(c))).strip().casefold()


def _lines(chars: Iterable[_Char]) -> list[_Line]:
    rows: list[list[_Char]] = []
    for char in sorted(chars, key=lambda c: (round(c.top, 1), c.x0)):
        if not char.upright:
            continue
        if rows and abs(rows[-1][0].top - char.top) < _LINE_TOLERANCE:
            rows[-1].append(char)
        else:
            rows.append([char])
    lines: list[_Line] = []
    for row in rows:
        row.sort(key=lambda c: c.x0)
        # a line of a two-column page is two lines: split where the gap is wide
        start = 0
        for i in range(1, len(row) + 1):
            if i == len(row) or row[i].x0 - row[i - 1].x1 > 3 * row[i - 1].size:
                part = row[start:i]
                start = i
                text = ""
                for j, c in enumerate(part):
                    if j and c.x0 - part[j - 1].x1 > 0.2 * c.size:
                        text += " "
                    text += c.text
                if not text.strip():
                    continue
                sizes = Counter(round(c.size, 1) for c in part)
                letters = [c for c in part if c.text.strip()]
                bold = bool(letters) and all(_BOLD.search(c.fontname) for c in letters)
                lines.append(
                    _Line(
                        min(c.x0 for c in part),
                        max(c.x1 for c in part),
                        min(c.top for c in part),
                        max(c.bottom for c in part),
                        text,
                        sizes.most_common(1)[0][0],
                        bold,
                    )
                )
    return lines


_Matrix = tuple[float, float, float, float, float, float]  # PDF's (a, b, c, d, e, f)
_IDENTITY: _Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _then(first: _Matrix, second: _Matrix) -> _Matrix:
    """The transformation ``first`` then ``second`` (an object's matrix, then its Form XObject's)."""
    a, b, c, d, e, f = first
    a2, b2, c2, d2, e2, f2 = second
    return (
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        e * a2 + f * c2 + e2,
        e * b2 + f * d2 + f2,
    )


def _apply(m: _Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _read(
    data: bytes, file: str, texts: list[str] | None = None, gap: str = " "
) -> tuple[list[_Page], list[_Heading]]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise LayoutError(f"{file}: the layout preflight cannot read this PDF ({exc})") from exc
    try:
        pages: list[_Page] = []
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                left, bottom, right, top = (float(v) for v in page.get_mediabox())
                rules, boxes = _shapes(page.raw, left, top)
                chars = _chars(page, top, texts, gap)
                pages.append(_Page(index + 1, right - left, top - bottom, _lines(chars), rules, boxes, []))
            finally:
                page.close()  # its text page too
        headings = _outline(pdf, pages)
    except pdfium.PdfiumError as exc:
        raise LayoutError(f"{file}: the layout preflight cannot read this PDF ({exc})") from exc
    finally:
        pdf.close()
    return pages, headings


def _chars(page: Any, top: float, texts: list[str] | None = None, gap: str = " ") -> list[_Char]:
    """The characters of a page with pdfminer's boxes, which the thresholds were set on: from the glyph's
    origin across its advance, and one font size high from the font's descent under the baseline (PDFium's
    loose box spans the font's ascent to its descent instead, its tight box the glyph's ink).

    PDFium keeps a font's widths (``/W``, ``/Widths``) as whole thousandths of the font size, so in a font
    whose widths are fractions (Inter's, on 2,816 units to the em) each glyph falls short of pdfminer's by
    the fractions dropped before it in its text object: a full justified line ends up to 0.07 em early (0.7
    pt at 10 pt). The rules' tolerances are wider, except a gap at the column split (three font sizes) that
    falls within that of the threshold.

    ``texts``: the page's text is appended to it, as :func:`cufstudy.pipeline.leaks.pdf_page_texts` gives it
    with ``gap``, read in the same pass over the characters.
    """
    import ctypes

    import pypdfium2.raw as pdfium_c

    from cufstudy.pipeline.leaks import page_char

    # this loop runs once per character (about 150,000 in a study): the functions are bound to locals, and the
    # text object is read as an address (an int keys the styles; casting each pointer cost 0.7 s a study)
    unicode, is_generated = pdfium_c.FPDFText_GetUnicode, pdfium_c.FPDFText_IsGenerated
    is_hyphen, origin = pdfium_c.FPDFText_IsHyphen, pdfium_c.FPDFText_GetCharOrigin
    loose_box = pdfium_c.FPDFText_GetLooseCharBox
    object_address = _object_address()
    textpage = page.get_textpage()
    try:
        raw = textpage.raw
        box = pdfium_c.FS_RECTF()
        x, y = ctypes.c_double(), ctypes.c_double()
        px, py, pbox = ctypes.byref(x), ctypes.byref(y), ctypes.byref(box)
        styles: dict[int | None, _Style] = {}
        chars: list[_Char] = []
        append = chars.append
        text: list[str] = []
        for i in range(pdfium_c.FPDFText_CountChars(raw)):
            code = unicode(raw, i)
            generated = is_generated(raw, i) == 1
            if texts is not None:
                text.append(page_char(code, generated, is_hyphen(raw, i) == 1, gap))
            if generated:
                continue  # a space or a line end PDFium inferred: the lines find the word gaps themselves
            key = object_address(raw, i)
            style = styles.get(key)
            if style is None:
                style = styles[key] = _style(raw, i, pdfium_c.FPDFText_GetTextObject(raw, i))
            origin(raw, i, px, py)
            if code == 2:  # a hyphen ending a line, which PDFium marks: its box is the glyph's ink
                code, x0, x1 = 0x2D, x.value, x.value + style.hyphen
            else:
                loose_box(raw, i, pbox)
                x0, x1 = box.left, box.right
            low = top - (y.value + style.descent * style.size)
            append(_Char(chr(code), style.font, style.size, x0, x1, low - style.size, low, style.upright))
        if texts is not None:
            texts.append("".join(text))
        return chars
    finally:
        textpage.close()


@functools.cache
def _object_address() -> Any:
    """PDFium's ``FPDFText_GetTextObject`` giving the text object's address as an int (None for none)."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    get = pdfium_c.FPDFText_GetTextObject
    prototype = ctypes.CFUNCTYPE(ctypes.c_void_p, *get.argtypes)
    return prototype(ctypes.cast(get, ctypes.c_void_p).value or 0)


@dataclass(frozen=True, slots=True)
class _Style:
    """What the characters of one text object share."""

    font: str
    size: float
    """The font size on the page (the text object's, scaled by its matrix: a chart's labels are scaled)."""
    descent: float
    """The font's descent, a share of the font size (negative)."""
    upright: bool
    hyphen: float
    """The advance of the font's hyphen at this size."""


def _style(textpage: Any, index: int, obj: Any) -> _Style:
    """The style of the text object of character ``index``."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    name = ctypes.create_string_buffer(256)
    pdfium_c.FPDFText_GetFontInfo(textpage, index, name, len(name), None)
    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFText_GetMatrix(textpage, index, m):
        m.a, m.b, m.c, m.d = 1.0, 0.0, 0.0, 1.0
    size = float(pdfium_c.FPDFText_GetFontSize(textpage, index)) * abs(m.d)
    font = pdfium_c.FPDFTextObj_GetFont(obj) if obj else None
    descent, hyphen = ctypes.c_float(0.0), ctypes.c_float(0.0)
    if font:
        pdfium_c.FPDFFont_GetDescent(font, ctypes.c_float(1000.0), descent)
        pdfium_c.FPDFFont_GetGlyphWidth(font, 0x2D, ctypes.c_float(size), hyphen)
    return _Style(
        name.value.decode("utf-8", "replace"),
        size,
        -abs(descent.value) / 1000,
        m.a * m.d > 0 and m.b * m.c <= 0,
        hyphen.value,
    )


def _shapes(page: Any, left: float, top: float) -> tuple[list[_Rule], list[tuple[float, float, float, float]]]:
    """The horizontal rules and the boxes (images, fills, curves) of a page, as pdfminer sorts paths: a
    subpath of one segment is a line, any other a rectangle or a curve; the box of a curve joins the ends of its
    segments (not their control points)."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    rules: list[_Rule] = []
    boxes: list[tuple[float, float, float, float]] = []
    m = pdfium_c.FS_MATRIX()
    px, py = ctypes.c_float(), ctypes.c_float()

    def box(points: Sequence[tuple[float, float]]) -> tuple[float, float, float, float]:
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        return (min(xs) - left, top - max(ys), max(xs) - left, top - min(ys))

    def path(obj: Any, matrix: _Matrix) -> None:
        width = ctypes.c_float()
        stroke = float(width.value) if pdfium_c.FPDFPageObj_GetStrokeWidth(obj, width) else 0.0
        subpaths: list[tuple[str, list[tuple[float, float]]]] = []
        curve = 0
        for j in range(pdfium_c.FPDFPath_CountSegments(obj)):
            segment = pdfium_c.FPDFPath_GetPathSegment(obj, j)
            kind = pdfium_c.FPDFPathSegment_GetType(segment)
            pdfium_c.FPDFPathSegment_GetPoint(segment, px, py)
            point = _apply(matrix, px.value, py.value)
            if kind == pdfium_c.FPDF_SEGMENT_MOVETO or not subpaths:
                subpaths.append(("m", [point]))
                curve = 0
            elif kind == pdfium_c.FPDF_SEGMENT_BEZIERTO:
                curve += 1
                if curve % 3 == 0:  # the end of the curve (the two before are its control points)
                    subpaths[-1] = (subpaths[-1][0] + "c", [*subpaths[-1][1], point])
            else:
                subpaths[-1] = (subpaths[-1][0] + "l", [*subpaths[-1][1], point])
            if pdfium_c.FPDFPathSegment_GetClose(segment):
                shape, points = subpaths[-1]
                subpaths[-1] = (shape + "h", [*points, points[0]])
        for shape, points in subpaths:
            if len(shape) > 3 and shape.endswith("lh") and points[-2] == points[0]:
                shape, points = shape[:-2] + "h", points[:-1]  # a redundant segment back to the start
            x0, t, x1, b = box(points)
            if shape in ("ml", "mlh"):
                if abs(t - b) < 0.5 and x1 - x0 > 10:
                    rules.append(_Rule(x0, x1, t, stroke))
            else:
                boxes.append((x0, t, x1, b))

    def walk(container: Any, count: Any, get: Any, matrix: _Matrix) -> None:
        for i in range(count(container)):
            obj = get(container, i)
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            own = _then((m.a, m.b, m.c, m.d, m.e, m.f), matrix) if pdfium_c.FPDFPageObj_GetMatrix(obj, m) else matrix
            if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
                path(obj, own)
            elif kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                boxes.append(box([_apply(own, x, y) for x in (0.0, 1.0) for y in (0.0, 1.0)]))
            elif kind == pdfium_c.FPDF_PAGEOBJ_FORM:
                walk(obj, pdfium_c.FPDFFormObj_CountObjects, pdfium_c.FPDFFormObj_GetObject, own)

    walk(page, pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, _IDENTITY)
    return rules, boxes


def _outline(pdf: Any, pages: Sequence[_Page]) -> list[_Heading]:
    """The bookmarks: one per heading, with its level (1 for a chapter), its page and position."""
    found: list[_Heading] = []
    for bookmark in pdf.get_toc():
        dest = bookmark.get_dest()
        index = dest.get_index() if dest is not None else None
        if index is None or not 0 <= index < len(pages):
            continue  # a bookmark without a page: nothing to check
        top = _top(dest)
        y = pages[index].height - top if top is not None else 0.0
        found.append(_Heading(index + 1, int(bookmark.level) + 1, str(bookmark.get_title() or ""), y))
    return found


def _top(dest: Any) -> float | None:
    """The top of a bookmark's view (PDF coordinates, from the page bottom), if it sets one."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    mode, params = dest.get_view()
    if mode == pdfium_c.PDFDEST_VIEW_XYZ:
        has = [pdfium_c.FPDF_BOOL() for _ in range(3)]
        at = [pdfium_c.FS_FLOAT() for _ in range(3)]
        if pdfium_c.FPDFDest_GetLocationInPage(dest.raw, *(ctypes.byref(v) for v in (*has, *at))) and has[1].value:
            return float(at[1].value)
        return None
    if mode in (pdfium_c.PDFDEST_VIEW_FITH, pdfium_c.PDFDEST_VIEW_FITBH) and params:
        return float(params[0])
    if mode == pdfium_c.PDFDEST_VIEW_FITR and len(params) == 4:
        return float(params[3])
    return None


# -- the text area -------------------------------------------------------------------------------
def _bound(pages: Sequence[_Page]) -> None:
    """Find the running header and footer, set each page's text area and body lines."""
    line_pages: dict[tuple[int, str], set[int]] = defaultdict(set)
    rule_pages: dict[tuple[int, int, int], set[int]] = defaultdict(set)
    for page in pages:
        for line in page.lines:
            line_pages[(round(line.top), line.key)].add(page.number)
        for rule in page.rules:
            rule_pages[(round(rule.y), round(rule.x0), round(rule.x1))].add(page.number)
    need = max(2, int(_RUNNING_SHARE * len(pages) + 0.999)) if len(pages) > 1 else 2
    running_lines = {k for k, v in line_pages.items() if len(v) >= need}
    running_rules = {k for k, v in rule_pages.items() if len(v) >= need}
    for page in pages:
        zone_top, zone_bottom = _MARGIN_ZONE * page.height, (1 - _MARGIN_ZONE) * page.height
        head = _cluster(
            [ln for ln in page.lines if (round(ln.top), ln.key) in running_lines and ln.bottom < zone_top], down=True
        )
        foot = _cluster(
            [ln for ln in page.lines if (round(ln.top), ln.key) in running_lines and ln.top > zone_bottom], down=False
        )
        # rules of the header and footer: next to their text (a repeated table header's rule is not one)
        head_limit = max((ln.bottom + 1.5 * ln.size for ln in head), default=0.1 * page.height)
        foot_limit = min((ln.top - 1.5 * ln.size for ln in foot), default=0.9 * page.height)
        foot_rules = [
            r
            for r in page.rules
            if (round(r.y), round(r.x0), round(r.x1)) in running_rules and r.y > max(zone_bottom, foot_limit)
        ]
        head_rules = [
            r
            for r in page.rules
            if (round(r.y), round(r.x0), round(r.x1)) in running_rules and r.y < min(zone_top, head_limit)
        ]
        head_boxes = [b for b in page.boxes if b[3] < zone_top and any(b[1] <= ln.top <= b[3] for ln in head)]
        page.top = max([ln.bottom for ln in head] + [r.y for r in head_rules] + [b[3] for b in head_boxes] + [0.0])
        page.bottom = min([ln.top for ln in foot] + [r.y for r in foot_rules] + [page.height])
        spans = [(r.x0, r.x1) for r in foot_rules + head_rules] + [(b[0], b[2]) for b in head_boxes]
        if spans:
            page.left, page.right = min(s[0] for s in spans), max(s[1] for s in spans)
        else:
            page.left, page.right = 0.0, page.width
        running = {id(ln) for ln in head + foot}
        page.body = [ln for ln in page.lines if id(ln) not in running]
        page.rules = [r for r in page.rules if page.top < r.y < page.bottom]
        page.boxes = [b for b in page.boxes if b[1] >= page.top - _EDGE and b[3] <= page.bottom + _EDGE]


def _cluster(lines: list[_Line], *, down: bool) -> list[_Line]:
    """The lines of a running header (from the top down) or footer (from the bottom up), without a gap.

    A table's header row repeated at the top of every page is not part of the running header: a gap of
    the body's top margin separates them.
    """
    ordered = sorted(lines, key=lambda ln: ln.top if down else -ln.bottom)
    kept: list[_Line] = []
    for ln in ordered:
        if kept:
            gap = ln.top - kept[-1].bottom if down else kept[-1].top - ln.bottom
            if gap > 1.5 * ln.size:
                break
        kept.append(ln)
    return kept


def _content_bottom(page: _Page) -> float | None:
    bottoms = [ln.bottom for ln in page.body] + [r.y for r in page.rules] + [b[3] for b in page.boxes]
    return max(bottoms) if bottoms else None


def _content_top(page: _Page) -> float | None:
    tops = [ln.top for ln in page.body] + [r.y for r in page.rules] + [b[1] for b in page.boxes]
    return min(tops) if tops else None


# -- tables ------------------------------------------------------------------------------------------
def _tables(page: _Page) -> list[_Table]:
    """The tables of a page: runs of rules of one width, without a caption or a paragraph between them."""
    tables: list[list[_Rule]] = []
    for rule in sorted(page.rules, key=lambda r: r.y):
        if tables:
            prev = tables[-1][-1]
            same = abs(prev.x0 - rule.x0) < 2 and abs(prev.x1 - rule.x1) < 2
            between = [
                ln
                for ln in page.body
                if prev.y < ln.top
                and ln.bottom < rule.y
                and not (ln.x0 >= prev.x0 - _EDGE and ln.x1 <= prev.x1 + _EDGE)
            ]
            if same and not between:
                tables[-1].append(rule)
                continue
        tables.append([rule])
    found: list[_Table] = []
    for rules in tables:
        if len(rules) < 2:
            continue  # one rule alone is a separator, not a table
        x0, x1, first, last = rules[0].x0, rules[0].x1, rules[0].y, rules[-1].y
        sizes = Counter(
            ln.size
            for ln in page.body
            if first < ln.top and ln.bottom < last and ln.x0 >= x0 - _EDGE and ln.x1 <= x1 + _EDGE
        )
        found.append(_Table(page.number, x0, x1, tuple(rules), sizes.most_common(1)[0][0] if sizes else None))
    return found


def _row_text(page: _Page, table: _Table, above: float, below: float) -> str:
    return " ".join(
        ln.text
        for ln in sorted(page.body, key=lambda ln: (ln.top, ln.x0))
        if table.holds(ln) and above <= ln.top and ln.bottom <= below
    )


# -- the rules ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Context:
    file: str
    settings: PreflightSettings
    chapter_breaks: bool
    table_prefix: str
    figure_prefix: str


def _problem(ctx: _Context, page: int, rule: PreflightRule, message: str) -> Problem:
    return Problem(ctx.file, message, None, f"page {page}: {rule}", Reason.INVALID_VALUE)


def _check_tables(ctx: _Context, pages: Sequence[_Page], out: list[Problem]) -> None:
    tables = {page.number: _tables(page) for page in pages}
    for page in pages[:-1]:
        if not tables[page.number]:
            continue
        table = tables[page.number][-1]
        after = [ln for ln in page.body if ln.top > table.last.y and not table.holds(ln)] + [
            b for b in page.boxes if b[1] > table.last.y + _EDGE
        ]
        if after:
            continue  # the table ends on this page: something else follows it
        nxt = pages[page.number]
        following = tables[nxt.number]
        if not following:
            continue
        cont = following[0]
        if abs(cont.x0 - table.x0) > 2 or abs(cont.x1 - table.x1) > 2:
            continue
        before = [ln for ln in nxt.body if ln.bottom <= cont.first.y and not cont.holds(ln)]
        if before:
            continue  # another element opens the next page: a new table, not this one continued
        tail = [ln for ln in page.body if ln.top > table.last.y and table.holds(ln)]
        carried = _carried_row(nxt, cont if table.has_header else None)
        if tail or carried:
            # text under the last rule, or a row on the next page that starts mid-cell: Typst broke the row
            shown = tail[0].text if tail else carried
            out.append(
                _problem(
                    ctx,
                    page.number,
                    "table-row",
                    f"a table row is split across pages {page.number} and {nxt.number} (« {shown[:50]} »); "
                    "make table rows unbreakable",
                )
            )
        if table.has_header:
            held = [ln for ln in nxt.body if cont.holds(ln) and ln.bottom <= cont.first.y + _EDGE]
            top = min((ln.top for ln in held), default=cont.first.y)
            header = _row_text(page, table, table.first.y - (cont.first.y - top) - _EDGE, table.first.y)
            repeated = _row_text(nxt, cont, top - _EDGE, cont.first.y)
            if not header or _fold(header) != _fold(repeated):
                out.append(
                    _problem(
                        ctx,
                        nxt.number,
                        "table-header",
                        f"the table continued from page {page.number} does not repeat its header row"
                        + (f" (« {header[:50]} »)" if header else ""),
                    )
                )


def _carried_row(page: _Page, table: _Table | None) -> str:
    """The text of the first row of a continued table if it is the rest of a split row, else ``""``.

    The rest of a split row has an empty first column (its label fitted on the page before) or a first
    cell that starts in the middle of a sentence (a lowercase letter). ``table`` is the part on ``page``, None
    when the table has no header row (the first row is then the one after the top of the page).
    """
    if table is None:
        return ""
    rules = [r.y for r in table.rules]
    if len(rules) < 2:
        return ""
    top, bottom = rules[0], rules[1]
    row = sorted(
        (ln for ln in page.body if table.holds(ln) and top < ln.top and ln.bottom < bottom), key=lambda ln: ln.top
    )
    if not row:
        return ""
    first_line = [ln for ln in row if ln.top < row[0].top + 0.6 * ln.size]
    header = sorted(
        (ln for ln in page.body if table.holds(ln) and ln.bottom <= top + _EDGE and ln.top > top - 4 * ln.size),
        key=lambda ln: ln.x0,
    )
    # the first column ends where the header's second cell starts
    boundary = next((ln.x0 for ln in header if ln.x0 > header[0].x1 + 2), None) if header else None
    first_column = [ln for ln in row if boundary is None or ln.x0 < boundary]
    # the first column only: another may start in lower case of its own (« analyse de l'équipe »)
    opening = [ln for ln in first_line if ln in first_column]
    if not first_column or any(ln.text.strip()[:1].islower() for ln in opening):
        return " ".join(ln.text for ln in first_line)
    return ""


def _caption_kind(ctx: _Context, line: _Line) -> Literal["table", "figure"] | None:
    for prefix, kind in ((ctx.table_prefix, "table"), (ctx.figure_prefix, "figure")):
        if re.match(rf"^{re.escape(prefix)}\s*[\dA-Z][\w.\-]*\s*[:.]", line.text.strip()):
            return kind  # type: ignore[return-value]
    return None


def _check_captions(ctx: _Context, pages: Sequence[_Page], out: list[Problem]) -> None:
    for page in pages:
        for line in page.body:
            kind = _caption_kind(ctx, line)
            if kind is None:
                continue
            caption = _block(page, line)
            if kind == "table":
                below = [ln for ln in page.body if ln.top > caption[1] + _EDGE]
                shapes = [r for r in page.rules if r.y > caption[1]] + [b for b in page.boxes if b[1] > caption[1]]
                if not below and not shapes and page.number < len(pages):
                    out.append(
                        _problem(
                            ctx,
                            page.number,
                            "caption",
                            f"the caption « {line.text[:50]} » ends page {page.number}, "
                            f"its table is on page {page.number + 1}",
                        )
                    )
            else:
                above = [ln for ln in page.body if ln.bottom < caption[0] - _EDGE]
                shapes = [r for r in page.rules if r.y < caption[0]] + [b for b in page.boxes if b[3] < caption[0]]
                if not above and not shapes and page.number > 1:
                    out.append(
                        _problem(
                            ctx,
                            page.number,
                            "caption",
                            f"the caption « {line.text[:50]} » opens page {page.number}, "
                            f"its figure is on page {page.number - 1}",
                        )
                    )


def _block(page: _Page, first: _Line) -> tuple[float, float]:
    """The top and bottom of the paragraph starting with ``first`` (the lines that follow it closely)."""
    top, bottom = first.top, first.bottom
    for ln in sorted(page.body, key=lambda ln: ln.top):
        if ln.top <= first.top or ln.x1 < first.x0 or ln.x0 > first.x1:
            continue
        if ln.top - bottom > 0.6 * first.size or abs(ln.size - first.size) > 0.2:
            break
        bottom = ln.bottom
    return top, bottom


def _heading_line(page: _Page, heading: _Heading) -> _Line | None:
    words = _fold(re.sub(r"^[\d.]+\s+", "", heading.title)).split()
    start = " ".join(words[:3])
    candidates = [ln for ln in page.body if ln.top >= heading.y - 2 * _LINE_TOLERANCE]
    for ln in sorted(candidates, key=lambda ln: ln.top):
        if start and start in _fold(ln.text):
            return ln
    return None


def _bold_titles(page: _Page, headings: Sequence[_Heading]) -> list[_Line]:
    """The lines of ``page`` set as a title in bold: a bold line of the body's size at the text's left edge,
    a paragraph of its own (no text right after it on the line below, as a run-in title has), outside any
    table and any bookmarked heading."""
    body = sorted(page.body, key=lambda ln: ln.top)
    if not body:
        return []
    size = Counter(ln.size for ln in body).most_common(1)[0][0]
    left = min(ln.x0 for ln in body)
    tables = _tables(page)
    marked = {id(line) for h in headings if h.page == page.number and (line := _heading_line(page, h)) is not None}
    found: list[_Line] = []
    for ln in body:
        if not ln.bold or id(ln) in marked or abs(ln.size - size) > 0.2 or abs(ln.x0 - left) > _EDGE + 0.5:
            continue
        if any(t.first.y - 3 * ln.size < ln.top < t.last.y and t.x0 - _EDGE <= ln.x0 for t in tables):
            continue  # a table's (header) row
        if _CAPTION.match(ln.text.strip()):
            continue
        found.append(ln)
    return found


def _check_followed(
    ctx: _Context, page: _Page, bottom: float, follow: Sequence[_Line], what: str, out: list[Problem]
) -> None:
    """The heading rule: ``what`` (a heading or a bold title ending at ``bottom``) needs at least
    ``heading_lines`` lines of its text (``follow``), or a table or a figure, after it on ``page``."""
    shapes = [b for b in page.boxes if b[1] > bottom] + [r for r in page.rules if r.y > bottom]
    if len(follow) < ctx.settings.heading_lines and not shapes:
        out.append(
            _problem(
                ctx,
                page.number,
                "heading",
                f"{what} is in the last lines of page {page.number} "
                f"({len(follow)} line{'s' * (len(follow) != 1)} of its text follow it there, "
                f"at least {ctx.settings.heading_lines} must)",
            )
        )


def _check_bold_titles(ctx: _Context, pages: Sequence[_Page], headings: Sequence[_Heading], out: list[Problem]) -> None:
    for page in pages[:-1]:
        for line in _bold_titles(page, headings):
            bottom = line.bottom  # a title on two lines: its second bold line is not text following it
            for ln in sorted(page.body, key=lambda ln: ln.top):
                if ln.top > bottom and ln.top - bottom < 0.6 * line.size and ln.bold:
                    bottom = ln.bottom
            follow = [ln for ln in page.body if ln.top > bottom + _EDGE]
            _check_followed(ctx, page, bottom, follow, f"the title « {line.text.strip()[:50]} »", out)


def _check_headings(ctx: _Context, pages: Sequence[_Page], headings: Sequence[_Heading], out: list[Problem]) -> None:
    _check_bold_titles(ctx, pages, headings, out)
    for heading in headings:
        if heading.page >= len(pages):
            continue  # on the last page: nothing can follow it on another page
        page = pages[heading.page - 1]
        line = _heading_line(page, heading)
        if line is None:
            continue
        bottom = _block(page, line)[1]
        follow = [
            ln
            for ln in page.body
            if ln.top > bottom + _EDGE and ln.x1 > line.x0 - _EDGE and ln.x0 < max(line.x1, line.x0 + 50)
        ]
        _check_followed(ctx, page, bottom, follow, f"the heading « {heading.title[:50]} »", out)


def _check_fill(ctx: _Context, pages: Sequence[_Page], headings: Sequence[_Heading], out: list[Problem]) -> None:
    chapters = {h.page for h in headings if h.level == 1}
    for page in pages:
        height = page.bottom - page.top
        bottom = _content_bottom(page)
        if height <= 0:
            continue
        fill = 0.0 if bottom is None else max(0.0, min(1.0, (bottom - page.top) / height))
        last = page.number == len(pages)
        ends = last or (ctx.chapter_breaks and (page.number + 1) in chapters and _opens(pages[page.number], headings))
        need = ctx.settings.min_fill_end if ends else ctx.settings.min_fill
        if fill + 1e-9 < need:
            why = "ends the document" if last else "ends a chapter" if ends else "is not the end of a chapter"
            out.append(
                _problem(
                    ctx,
                    page.number,
                    "fill",
                    f"page {page.number} is {_percent(fill, need)} full; a page that {why} must be at least "
                    f"{need * 100:g}% full (cufstudy: preflight: min-fill / min-fill-end)",
                )
            )


def _percent(share: float, threshold: float) -> str:
    """``share`` as a percentage with one decimal, or as many more (up to four) as it takes to read that it is
    below ``threshold``: 44.96 % is « 44.96% », not « 45.0% » against a threshold of 45 %."""
    for digits in range(1, 5):
        shown = f"{share:.{digits}%}"
        if float(shown[:-1]) < threshold * 100 - 1e-9:
            return shown
    return f"{share:.4%}"


def _opens(page: _Page, headings: Sequence[_Heading]) -> bool:
    """Whether the page opens with a level-1 heading (a chapter starts on it)."""
    first = min((ln.top for ln in page.body), default=None)
    for heading in headings:
        if heading.page == page.number and heading.level == 1:
            line = _heading_line(page, heading)
            if line is not None and first is not None and line.top <= first + 3 * line.size:
                return True
    return False


def _overhang(line: _Line) -> float:
    """How far a line may pass the right edge: Typst hangs punctuation (a hyphen, a comma) into the margin."""
    return (_OVERHANG if line.text.rstrip()[-1:] in _HANGING else 0.4) * line.size


def _check_area(ctx: _Context, pages: Sequence[_Page], out: list[Problem]) -> None:
    for page in pages:
        outside = [
            ln
            for ln in page.body
            if ln.x0 < page.left - _EDGE
            or ln.x1 > page.right + _overhang(ln)
            or ln.top < page.top - _EDGE
            or ln.bottom > page.bottom + _EDGE
            or ln.x0 < 0
            or ln.x1 > page.width
        ]
        if outside:
            ln = outside[0]
            out.append(
                _problem(
                    ctx,
                    page.number,
                    "text-area",
                    f"text outside the text area of page {page.number} (« {ln.text[:40]} » "
                    f"at x {ln.x0:.0f}-{ln.x1:.0f} pt, y {ln.top:.0f} pt; the area is "
                    f"x {page.left:.0f}-{page.right:.0f}, y {page.top:.0f}-{page.bottom:.0f})"
                    + (f", and {len(outside) - 1} more line{'s' * (len(outside) > 2)}" if len(outside) > 1 else ""),
                )
            )


def preflight(
    source: Path | bytes,
    settings: PreflightSettings | None = None,
    *,
    name: str | None = None,
    chapter_breaks: bool = True,
    table_prefix: str = "Tableau",
    figure_prefix: str = "Figure",
    texts: list[str] | None = None,
    gap: str = " ",
) -> list[Problem]:
    """Check the layout of a PDF; every fault found, in page order.

    Parameters
    ----------
    source
        The PDF file, or its bytes.
    settings
        The thresholds (``cufstudy: preflight:`` of the profile); the defaults when None.
    name
        The file name the problems give (the file's name by default).
    chapter_breaks
        Whether the profile starts each level-1 section on a new page (the page before may then be short).
    table_prefix, figure_prefix
        The caption labels (``crossref: tbl-title`` and ``fig-title``).
    texts, gap
        When ``texts`` is given, the text of each page is appended to it, read in the same pass over the
        characters: what :func:`cufstudy.pipeline.leaks.pdf_page_texts` gives with ``gap`` (the publish
        check reads a PDF once for the layout, the typography and the searches).

    Returns
    -------
    list of Problem
        ``field`` is ``page N: rule`` (the rule of :data:`PREFLIGHT_RULES`).
    """
    data = source if isinstance(source, bytes) else source.read_bytes()
    file = name or (source.name if isinstance(source, Path) else "document.pdf")
    ctx = _Context(file, settings or PreflightSettings(), chapter_breaks, table_prefix, figure_prefix)
    pages, headings = _read(data, file, texts, gap)
    _bound(pages)
    out: list[Problem] = []
    _check_tables(ctx, pages, out)
    _check_captions(ctx, pages, out)
    _check_headings(ctx, pages, headings, out)
    _check_fill(ctx, pages, headings, out)
    _check_area(ctx, pages, out)

    def order(p: Problem) -> tuple[int, int]:
        page, rule = (p.field or "page 0: fill").removeprefix("page ").split(": ")
        return int(page), PREFLIGHT_RULES.index(rule)  # type: ignore[arg-type,unused-ignore]

    return sorted(out, key=order)
