"""Build the packaged ``reference.docx``: pandoc's default reference document with the cufstudy styles.

Run from the repository root after changing the styles (the result is committed as
``cufstudy/resources/extension/reference.docx``; building the deliverables does not need python-docx, a dev
dependency)::

    .venv/bin/python tools/make_reference_docx.py            # writes the packaged file
    .venv/bin/python tools/make_reference_docx.py templates/reference.docx   # a project's own override

What it changes in pandoc's default ``reference.docx``:

* A4 portrait page, 2.2 cm side margins;
* body text in Arial 10.5 pt (present on every Word installation; the PDF uses Inter), justified, French
  language (``fr-FR``) so Word hyphenates and checks spelling in French;
* headings and title in the cufstudy blue, captions in grey italics;
* two paragraph styles used by the callout filter: ``Callout`` (shaded, left border) and ``Callout Title``;
* a page header holding the placeholder ``{{cufstudy-notice}}``: the embedded engine replaces it with the
  illustrative-data notice (or removes it) in a per-build copy, and so does the copy of the Quarto extension
  in ``_extensions/cufstudy/`` (:mod:`cufstudy.render.extension`).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pypandoc
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

BLUE = RGBColor(0x1F, 0x3A, 0x5F)
TEAL = RGBColor(0x0E, 0x6E, 0x6E)
GREY = RGBColor(0x55, 0x5B, 0x66)
NOTICE_PLACEHOLDER = "{{cufstudy-notice}}"
FONT = "Arial"


def _set_lang(style: object, lang: str = "fr-FR") -> None:
    rpr = style.element.get_or_add_rPr()  # type: ignore[attr-defined]
    for old in rpr.findall(qn("w:lang")):
        rpr.remove(old)
    el = OxmlElement("w:lang")
    el.set(qn("w:val"), lang)
    el.set(qn("w:eastAsia"), lang)
    rpr.append(el)


def _set_fonts(style: object, name: str) -> None:
    font = style.font  # type: ignore[attr-defined]
    font.name = name
    rpr = style.element.get_or_add_rPr()  # type: ignore[attr-defined]
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        rfonts.set(qn(attr), name)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
        if rfonts.get(qn(attr)) is not None:
            del rfonts.attrib[qn(attr)]


def _shade(paragraph_format_element: object, fill: str, border: str) -> None:
    ppr = paragraph_format_element
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    bdr = OxmlElement("w:pBdr")
    left = OxmlElement("w:left")
    left.set(qn("w:val"), "single")
    left.set(qn("w:sz"), "24")
    left.set(qn("w:space"), "8")
    left.set(qn("w:color"), border)
    bdr.append(left)
    ppr.append(bdr)  # type: ignore[attr-defined]
    ppr.append(shd)  # type: ignore[attr-defined]


def _style(doc: Any, name: str) -> Any:
    """A style by its UI name, or by its id (pandoc's "Caption" is stored as a built-in style id)."""
    for style in doc.styles:
        if style.name == name or style.style_id == name.replace(" ", ""):
            return style
    raise KeyError(name)


def build(target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "default.docx"
        subprocess.run(
            [pypandoc.get_pandoc_path(), "-o", str(base), "--print-default-data-file", "reference.docx"],
            check=True,
        )
        doc = Document(str(base))

    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin, section.bottom_margin = Cm(2.4), Cm(2.2)
    section.header_distance = Cm(1.0)

    styles = doc.styles
    for name in ("Normal", "Body Text", "First Paragraph", "Compact"):
        style = _style(doc, name)
        _set_fonts(style, FONT)
        _set_lang(style)
        style.font.size = Pt(10.5)
        if name in ("Body Text", "First Paragraph"):
            style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            style.paragraph_format.space_after = Pt(6)
    for level in range(1, 7):
        style = _style(doc, f"Heading {level}")
        _set_fonts(style, FONT)
        style.font.color.rgb = BLUE if level <= 2 else TEAL
        style.font.bold = True
        style.font.size = Pt({1: 18, 2: 14, 3: 12}.get(level, 11))
    for name, size in (("Title", 26), ("Subtitle", 15)):
        style = _style(doc, name)
        _set_fonts(style, FONT)
        style.font.color.rgb = BLUE
        style.font.size = Pt(size)
    for name in ("Author", "Date"):
        _set_fonts(_style(doc, name), FONT)
    for name in ("Caption", "Table Caption", "Image Caption"):
        style = _style(doc, name)
        _set_fonts(style, FONT)
        style.font.color.rgb = GREY
        style.font.italic = True
        style.font.size = Pt(9)

    callout = styles.add_style("Callout", WD_STYLE_TYPE.PARAGRAPH)
    callout.base_style = _style(doc, "Body Text")
    callout.paragraph_format.left_indent = Cm(0.4)
    callout.paragraph_format.right_indent = Cm(0.2)
    _shade(callout.element.get_or_add_pPr(), "EEF3F8", "1F3A5F")
    title = styles.add_style("Callout Title", WD_STYLE_TYPE.PARAGRAPH)
    title.base_style = callout
    title.font.bold = True
    title.font.color.rgb = BLUE
    title.paragraph_format.keep_with_next = True
    title.paragraph_format.space_after = Pt(2)

    notice = styles.add_style("Notice", WD_STYLE_TYPE.PARAGRAPH)
    notice.base_style = _style(doc, "Normal")
    notice.font.size = Pt(8.5)
    notice.font.bold = True
    notice.font.color.rgb = RGBColor(0x7A, 0x4A, 0x00)
    notice.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _shade(notice.element.get_or_add_pPr(), "FFF1CC", "C98A00")

    header = section.header
    header.is_linked_to_previous = False
    para = header.paragraphs[0]
    para.text = NOTICE_PLACEHOLDER
    para.style = notice

    target.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(target))


if __name__ == "__main__":
    packaged = Path(__file__).resolve().parents[1] / "cufstudy" / "resources" / "extension" / "reference.docx"
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else packaged
    build(out)
    print(f"wrote {out}")
