"""DOCX writer of an interview guide (python-docx): real Word styles, A4, printable.

Styles used: ``Title``, ``Subtitle``, ``Heading 1``, ``Heading 2``, ``List Number`` (the questions, numbered
by Word), ``Quote`` (a recommendation's text), and three paragraph styles of ours: ``Relance`` (a prompt
under a question), ``Lecture`` (text read to the interviewee) and ``Avertissement`` (shaded notice). Tables
use ``Table Grid``; header rows repeat on each page and rows never split across pages. The page header
names the authority; the footer carries the page number (``page X sur Y``).
"""

from __future__ import annotations

import io

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph as DocxParagraph

from cufstudy.fieldwork._document import AnswerTable, Guide, Heading, InfoTable, Paragraph, QuestionItem

__all__ = ["render"]

FONT = "Arial"
BLUE = RGBColor(0x1F, 0x3A, 0x5F)
TEAL = RGBColor(0x0E, 0x6E, 0x6E)
GREY = RGBColor(0x55, 0x5B, 0x66)
LABEL_FILL = "E8EDF3"
NOTICE_FILL = "FFF4E0"
CONFIDENTIAL_FILL = "FCE4E4"
BOX = "☐"
CONTENT_WIDTH = Cm(17.0)


def _font(style: ParagraphStyle, size: float, *, bold: bool = False, italic: bool = False,
          color: RGBColor | None = None) -> None:  # fmt: skip
    font = style.font
    font.name = FONT
    font.size = Pt(size)
    font.bold = bold
    font.italic = italic
    if color is not None:
        font.color.rgb = color
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
        fonts.attrib.pop(qn(attr), None)


def _lang(style: ParagraphStyle) -> None:
    rpr = style.element.get_or_add_rPr()
    for old in rpr.findall(qn("w:lang")):
        rpr.remove(old)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "fr-FR")
    lang.set(qn("w:eastAsia"), "fr-FR")
    rpr.append(lang)


def _shade(element: object, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    element.append(shd)  # type: ignore[attr-defined]


def _styles(doc: DocumentObject) -> None:
    styles = doc.styles
    normal = styles["Normal"]
    assert isinstance(normal, ParagraphStyle)
    _font(normal, 10.5)
    _lang(normal)
    normal.paragraph_format.space_after = Pt(4)
    normal.paragraph_format.line_spacing = 1.1
    specs: dict[str, tuple[float, bool, bool, RGBColor | None, float, float]] = {
        # name: size, bold, italic, colour, space before, space after (pt)
        "Title": (24, True, False, BLUE, 0, 2),
        "Subtitle": (15, False, False, TEAL, 0, 10),
        "Heading 1": (14, True, False, BLUE, 16, 6),
        "Heading 2": (12, True, False, TEAL, 12, 4),
        "Quote": (10.5, False, True, None, 2, 4),
    }
    for name in ("Header", "Footer"):
        style = styles[name]
        assert isinstance(style, ParagraphStyle)
        _font(style, 8, color=GREY)
    for name, (size, bold, italic, color, before, after) in specs.items():
        style = styles[name]
        assert isinstance(style, ParagraphStyle)
        _font(style, size, bold=bold, italic=italic, color=color)
        style.paragraph_format.space_before = Pt(before)
        style.paragraph_format.space_after = Pt(after)
        if name.startswith("Heading"):
            style.paragraph_format.keep_with_next = True
    title = styles["Title"]
    assert isinstance(title, ParagraphStyle)
    ppr = title.element.get_or_add_pPr()
    for border in ppr.findall(qn("w:pBdr")):  # the default template underlines the title: keep it plain
        ppr.remove(border)
    quote = styles["Quote"]
    assert isinstance(quote, ParagraphStyle)
    quote.paragraph_format.left_indent = Cm(0.6)
    quote.paragraph_format.keep_with_next = True
    listing = styles["List Number"]
    assert isinstance(listing, ParagraphStyle)
    listing.paragraph_format.space_before = Pt(4)
    listing.paragraph_format.space_after = Pt(2)
    ours: dict[str, tuple[float, bool, RGBColor | None, float]] = {
        "Relance": (9.5, True, GREY, 1.27),
        "Lecture": (10.5, True, None, 0.0),
        "Avertissement": (9.5, False, None, 0.0),
        "Note": (9, True, GREY, 0.0),
    }
    for name, (size, italic, color, indent) in ours.items():
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        assert isinstance(style, ParagraphStyle)
        style.base_style = normal
        style.quick_style = True
        _font(style, size, italic=italic, color=color)
        style.paragraph_format.left_indent = Cm(indent)
        style.paragraph_format.space_after = Pt(2 if name == "Relance" else 6)
        if name == "Avertissement":
            _shade(style.element.get_or_add_pPr(), NOTICE_FILL)
        if name in ("Relance", "Note"):
            style.paragraph_format.keep_with_next = True


def _field(paragraph: DocxParagraph, code: str) -> None:
    """A Word field (``PAGE``, ``NUMPAGES``) in its own run."""
    run = paragraph.add_run()
    run.font.size, run.font.color.rgb = Pt(8), GREY
    for kind, text in (("begin", None), (None, code), ("separate", None), (None, "1"), ("end", None)):
        if kind is not None:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == code:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {code} "
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._r.append(el)


def _page(doc: DocumentObject, guide: Guide) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.0)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(1.8)
    section.header_distance = section.footer_distance = Cm(0.9)
    head = section.header.paragraphs[0]
    head.text = guide.running_head + (" — codage illustratif" if guide.illustrative else "")
    head.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for run in head.runs:
        run.font.size, run.font.color.rgb = Pt(8), GREY
    foot = section.footer.paragraphs[0]
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text in (f"{guide.footer} · page ", None, " sur ", None):
        if text is None:
            _field(foot, "PAGE" if len(foot.runs) < 3 else "NUMPAGES")
        else:
            foot.add_run(text)
    for run in foot.runs:
        run.font.size, run.font.color.rgb = Pt(8), GREY


def _row_rules(table: Table, header: bool) -> None:
    for i, row in enumerate(table.rows):
        trpr = row._tr.get_or_add_trPr()
        trpr.append(OxmlElement("w:cantSplit"))
        if header and i == 0:
            trpr.append(OxmlElement("w:tblHeader"))


def _widths(table: Table, weights: tuple[float, ...]) -> None:
    """Fixed column widths over the text width (grid columns for LibreOffice, cell widths for Word)."""
    total = sum(weights)
    widths = [int(CONTENT_WIDTH * weight / total) for weight in weights]
    table.autofit = False
    tblpr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tblpr.append(layout)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width


def _cell_text(cell: _Cell, text: str, *, bold: bool = False, size: float | None = None) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.space_after = Pt(1)
    run = paragraph.add_run(text)
    run.bold = bold
    if size:
        run.font.size = Pt(size)


def _info(doc: DocumentObject, block: InfoTable) -> None:
    n_cols = len(block.rows[0]) if block.rows else len(block.header or ())
    rows = ([block.header] if block.header else []) + list(block.rows)
    table = doc.add_table(rows=len(rows), cols=n_cols)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            cell = table.cell(r, c)
            is_head = bool(block.header) and r == 0
            _cell_text(cell, value, bold=is_head or c == 0, size=9.5)
            if is_head or c == 0:
                _shade(cell._tc.get_or_add_tcPr(), LABEL_FILL)
    _widths(table, block.widths or (1.0, *([2.6 / max(n_cols - 1, 1)] * (n_cols - 1))))
    _row_rules(table, bool(block.header))
    doc.add_paragraph()


def _answers(doc: DocumentObject, block: AnswerTable) -> None:
    if block.title:
        title = doc.add_paragraph(block.title, style="Note")
        title.runs[0].bold = True
    table = doc.add_table(rows=len(block.rows), cols=2)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for r, row in enumerate(block.rows):
        head, body = table.cell(r, 0), table.cell(r, 1)
        _cell_text(head, row.label, bold=True, size=9.5)
        _shade(head._tc.get_or_add_tcPr(), CONFIDENTIAL_FILL if row.confidential else LABEL_FILL)
        if row.choices:
            per_line = len(row.choices) <= 4
            paragraph = body.paragraphs[0]
            for i, choice in enumerate(row.choices):
                if i and not per_line:
                    paragraph = body.add_paragraph()
                paragraph.paragraph_format.space_after = Pt(1)
                box = paragraph.add_run(("   " if i and per_line else "") + BOX + "\u00a0")
                box.font.size = Pt(11)
                paragraph.add_run(choice).font.size = Pt(9.5)
        table.rows[r].height = Cm(0.75 * max(row.lines, 1))
        table.rows[r].height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    _widths(table, (1.0, 3.0))
    _row_rules(table, False)
    doc.add_paragraph()


def render(guide: Guide) -> bytes:
    """The guide as DOCX bytes."""
    doc = Document()
    _styles(doc)
    _page(doc, guide)
    props = doc.core_properties
    props.title = f"{guide.title} — {guide.subtitle}"
    props.author = "Cités Unies France (cufstudy)"
    props.language = "fr-FR"
    props.keywords = guide.case_id
    doc.add_paragraph(guide.title, style="Title")
    doc.add_paragraph(guide.subtitle, style="Subtitle")
    for block in guide.blocks:
        if isinstance(block, Heading):
            doc.add_paragraph(block.text, style=f"Heading {block.level}")
        elif isinstance(block, Paragraph):
            style = {"body": "Normal", "lead": "Lecture", "notice": "Avertissement", "quote": "Quote",
                     "note": "Note"}[block.style]  # fmt: skip
            doc.add_paragraph(block.text, style=style)
        elif isinstance(block, QuestionItem):
            keep = block.keep_with_next
            item = doc.add_paragraph(block.text, style="List Number")
            item.paragraph_format.keep_with_next = keep or bool(block.prompts)
            for i, prompt in enumerate(block.prompts):
                p = doc.add_paragraph(prompt, style="Relance")
                p.paragraph_format.keep_with_next = keep or i < len(block.prompts) - 1
        elif isinstance(block, InfoTable):
            _info(doc, block)
        elif isinstance(block, AnswerTable):
            _answers(doc, block)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
