"""The leak search: one folding function on both sides, so no spelling, typesetting or extraction hides a name.

Hypothesis draws realistic names (accents, hyphens, apostrophes, spaces: "Zébulon Quatrefages-Météyer",
"Ville d'Aix-en-Provence") and spells them the way a paste, a renderer or a text extractor may: case
changed, hyphens, spaces and apostrophes swapped for their Unicode variants, format characters (category
Cf: zero-width spaces and joiners, bidirectional controls, the byte-order mark, the soft hyphen) inserted
anywhere, lines broken at a hyphen. The value searched may carry such characters too (pasted into a case
file). Each spelling is found in plain text, in HTML (entities, tags between letters), in DOCX (the name
split across runs) and in a PDF typeset by Typst in a narrow column, as extracted by pypdf (the build's
extractor) and by pdfminer.six (an independent one). A real build then shows the name hyphenated across
two lines of a narrow table column is refused, with the value masked in the message.
"""

from __future__ import annotations

import html
import io
import json
import re
import unicodedata
from pathlib import Path

import docx
import typst
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pdfminer.high_level import extract_text
from pdfminer.layout import LAParams

from cufstudy.model.confidential import ConfidentialValue
from cufstudy.pipeline.leaks import find_leaks, normalise, pdf_page_texts
from cufstudy.resources import font_dirs

FIRST = ["Zébulon", "Jean-Pierre", "Marie-Claire", "Anaïs", "Éloïse", "Hélène", "François", "Noël", "Bérénice"]
LAST = ["Quatrefages-Météyer", "d'Aix-en-Provence", "Le Bihan", "N'Diaye", "Çelik", "Dupont-Aignan", "Œuvray"]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
BIDI = ["\u202e", "\u202d", "\u202c", "\u2066", "\u2067", "\u2069", "\u200e", "\u200f"]
FORMAT_CHARACTERS = INVISIBLE + BIDI
HYPHENS = ["-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2212", "\u00ad", "-\n"]
SPACES = [" ", "\u00a0", "\u202f", "\u2009", "\u2007", "  ", "\n", "\t", ""]
APOSTROPHES = ["'", "\u2019", "\u02bc", "\u02bb", "\u2018", "\u00b4", "\u2032", " "]


def test_every_format_character_folds_away() -> None:
    every_cf = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"]
    assert len(every_cf) > 150
    assert normalise("Zé" + "".join(every_cf) + "bulon") == "zebulon"


@st.composite
def names(draw: st.DrawFn) -> str:
    return f"{draw(st.sampled_from(FIRST))} {draw(st.sampled_from(LAST))}"


@st.composite
def spelled(draw: st.DrawFn, name: str, inserted: list[str] = FORMAT_CHARACTERS) -> str:
    """``name`` as a paste, a renderer or an extractor may spell it."""
    out = []
    for char in name:
        if char == "-":
            char = draw(st.sampled_from(HYPHENS))
        elif char == " ":
            char = draw(st.sampled_from(SPACES))
        elif char == "'":
            char = draw(st.sampled_from(APOSTROPHES))
        elif draw(st.booleans()):
            char = char.upper()
        out.append(char)
        if draw(st.integers(0, 4)) == 0:
            out.append(draw(st.sampled_from(inserted)))
    text = "".join(out)
    return unicodedata.normalize(draw(st.sampled_from(["NFC", "NFD"])), text)


@st.composite
def name_and_spelling(draw: st.DrawFn, inserted: list[str] = FORMAT_CHARACTERS) -> tuple[str, str]:
    name = draw(names())
    searched = draw(spelled(name)) if draw(st.booleans()) else name  # a value pasted into a case file, too
    return searched, draw(spelled(name, inserted))


@settings(max_examples=300, deadline=None)
@given(name_and_spelling())
def test_any_spelling_of_a_name_folds_to_the_same_text(pair: tuple[str, str]) -> None:
    searched, shown = pair
    assert normalise(shown) == normalise(searched)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name_and_spelling())
def test_any_spelling_is_found_in_text_and_html(tmp_path: Path, pair: tuple[str, str]) -> None:
    searched, shown = pair
    secret = ConfidentialValue(searched, "data/cases/ville-x.yaml", "interviews[0].interviewee")
    text = tmp_path / "a.txt"
    text.write_text(f"Selon {shown}, tout va bien.", encoding="utf-8")
    entities = "".join(f"&#{ord(c)};" if i % 2 else html.escape(c) for i, c in enumerate(shown))
    tags = "".join(f"<span>{html.escape(c)}</span>" for c in shown)
    page = tmp_path / "a.html"
    page.write_text(f"<html><body><p>Selon {entities}.</p><p>{tags}</p></body></html>", encoding="utf-8")
    assert [leak.secret for leak in find_leaks([text, page], [secret])] == [secret, secret]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name_and_spelling(), st.integers(1, 4))
def test_any_spelling_is_found_in_docx_split_across_runs(tmp_path: Path, pair: tuple[str, str], cut: int) -> None:
    searched, shown = pair
    document = docx.Document()
    paragraph = document.add_paragraph("Selon ")
    for i in range(0, len(shown), cut):  # Word splits text into runs anywhere (a spell check, an edit)
        paragraph.add_run(shown[i : i + cut]).bold = bool(i % 2)
    path = tmp_path / "a.docx"
    document.save(str(path))
    assert [leak.value for leak in find_leaks([path], [searched])] == [searched]


def pdfminer_text(data: io.BytesIO) -> str:
    """pdfminer.six's text of a PDF. A justified line of a narrow column stretches its spaces past pdfminer's
    default ``char_margin`` (2), which then cuts the line into two text boxes and reads them apart; 4 keeps
    each line of a cell whole. (poppler's ``pdftotext`` is no use here: it reads across the cells of a row.)"""
    return extract_text(data, laparams=LAParams(char_margin=4))


def _typeset(names: list[str]) -> bytes:
    """A Typst PDF with each name in a narrow, justified, hyphenated French column, as a brochure sets it
    (one column: text extractors read the cells of one row side by side, line by line, interleaved)."""

    def literal(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    cells = ", ".join(f"[Entretien avec #{literal(n)}, directrice]" for n in names)
    source = (
        '#set page(paper: "a4")\n'
        '#set text(font: "Inter", lang: "fr", hyphenate: true, size: 11pt)\n'
        "#set par(justify: true)\n"
        f"#table(columns: (2.2cm,), {cells})\n"
    )
    fonts = [str(d) for d in font_dirs()]  # Inter, packaged (no system font: the deliverables' own type)
    pdf = typst.compile(source.encode("utf-8"), font_paths=fonts, ignore_system_fonts=True)
    assert isinstance(pdf, bytes)
    return pdf


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(name_and_spelling(INVISIBLE), min_size=1, max_size=6))
def test_any_spelling_is_found_in_a_typst_pdf_by_two_extractors(
    tmp_path: Path, pairs: list[tuple[str, str]]
) -> None:
    """Invisible characters only in the typeset text: a bidirectional control reorders the glyphs on the page
    (the name is then not shown as such); the case data refuses those in names (test_cases.py), and the
    HTML and DOCX above, which keep the logical order, are searched with them."""
    pdf = _typeset([shown for _, shown in pairs])
    path = tmp_path / "a.pdf"
    path.write_bytes(pdf)
    searched = [s for s, _ in pairs]
    expected = sorted(set(normalise(s) for s in searched))
    by_pdfium = find_leaks([path], searched)
    assert sorted({normalise(leak.value) for leak in by_pdfium}) == expected
    assert {leak.page for leak in by_pdfium} == {1}
    miner = pdfminer_text(io.BytesIO(pdf))
    by_pdfminer = find_leaks([path], searched, texts={path: [miner]})
    assert sorted({normalise(leak.value) for leak in by_pdfminer}) == expected


def test_a_name_broken_at_its_hyphen_in_a_narrow_column_is_found() -> None:
    """The case the hostile suite found: Typst breaks "Quatrefages-Météyer" at its hyphen, pypdf extracts the
    hyphen as U+00AD or drops it; the folded text and the folded value still agree."""
    name = "Zébulon Quatrefages-Météyer"
    pdf = _typeset([name])
    [page] = pdf_page_texts(pdf)
    assert name not in page.replace("\n", " ")  # the column really breaks the name
    assert normalise(name) in normalise(page)
    assert normalise(name) in normalise(pdfminer_text(io.BytesIO(pdf)))


def test_a_pdf_is_searched_in_every_character_it_draws_visible_or_not(tmp_path: Path) -> None:
    """White, tiny, turned, clipped text and text placed off the sheet are in the PDF for any tool to copy:
    the extraction reads them all (PDFium's own page-bounded extraction drops the text off the sheet)."""
    hidden = {
        "Zébulon Quatrefages": "#text(fill: white)[{}]",
        "Anaïs Le Goff-Ribeiro": "#text(size: 0.5pt)[{}]",
        "Joséphine d’Arvieux": "#rotate(90deg)[{}]",
        "Cunégonde Bellefleur": "#box(clip: true, width: 1pt, height: 1pt)[{}]",
        "Théophraste Lévêque": "#place(dx: -8cm, dy: 2cm)[{}]",
        "Ermengarde Saint-Yves": "#place(dx: 30cm, dy: 40cm)[{}]",
    }
    body = "\n\n".join(markup.format(name) for name, markup in hidden.items())
    pdf = typst.compile(
        f'#set page(paper: "a4")\nEntretiens.\n\n{body}\n'.encode(),
        font_paths=[str(d) for d in font_dirs()],
        ignore_system_fonts=True,
    )
    assert isinstance(pdf, bytes)
    path = tmp_path / "cachee.pdf"
    path.write_bytes(pdf)
    assert {leak.value for leak in find_leaks([path], list(hidden))} == set(hidden)


def test_a_space_the_pdf_only_shows_as_a_gap_is_told_apart() -> None:
    """A chart's text is set glyph by glyph: PDFium infers its spaces from the gaps between glyphs, whatever
    character the chart had (a no-break space before « : »). ``gap`` stands for them; the document's own
    spaces are characters and stay what they are."""
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="40">'
        '<text x="5" y="25" font-family="Inter" font-size="14">Base\u00a0: n\u00a0=\u00a018</text></svg>'
    )
    source = (
        '#set page(paper: "a4")\n#set text(font: "Inter", lang: "fr")\nLa base\u00a0: 18 missions.\n\n'
        f'#image(bytes({json.dumps(svg, ensure_ascii=False)}), format: "svg")\n'
    )
    pdf = typst.compile(source.encode(), font_paths=[str(d) for d in font_dirs()], ignore_system_fonts=True)
    assert isinstance(pdf, bytes)
    [plain] = pdf_page_texts(pdf)
    [marked] = pdf_page_texts(pdf, gap="|")
    assert "La base\u00a0: 18 missions." in plain and "La base\u00a0: 18 missions." in marked
    assert "Base" in marked and "|:|" in marked.replace("\u00a0", "|")  # the chart's gaps, marked
    assert marked.replace("|", " ") == plain


def test_the_leak_message_masks_the_value(tmp_path: Path) -> None:
    secret = ConfidentialValue("Zébulon Quatrefages-Météyer", "data/cases/ville-x.yaml", "interviews[0].interviewee")
    path = tmp_path / "guide.pdf"
    path.write_bytes(_typeset(["Jean-Pierre", "Zébulon Quatrefages-Météyer"]))
    [leak] = find_leaks([path], [secret, ConfidentialValue("abc")])  # too short to be searched
    message = str(leak)
    assert message == (
        f"{path}: page 1: contains the confidential value of data/cases/ville-x.yaml: interviews[0].interviewee "
        "(Z… (27 characters))"
    )
    assert not re.search("quatrefages|météyer|zébulon", message, re.I)
    assert "Quatrefages" not in repr(secret)
