"""The PDF preflight: small Typst documents made to break each rule, and one that keeps them all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cufstudy.core.project import PreflightSettings
from cufstudy.pipeline.checks import Requirements, check_files
from cufstudy.pipeline.leaks import extract_pages
from cufstudy.pipeline.preflight import preflight

typst = pytest.importorskip("typst")

# the house page: a notice band in the header, a rule and the page number in the footer
PAGE = r"""
#set page(paper: "a4", margin: (x: 2.2cm, top: 2.6cm, bottom: 2.2cm),
  header: block(width: 100%, fill: rgb("#fff1cc"), inset: 4pt,
    align(center, text(size: 7.5pt)[Données illustratives~: codage d’exemple])),
  footer: context {
    set text(size: 7.5pt)
    line(length: 100%, stroke: 0.4pt)
    v(-0.4em)
    grid(columns: (1fr, auto), [Ville d’Aix-en-Provence et Zébulon Quatrefages-Météyer],
      counter(page).display("1 / 1", both: true))
  })
#set text(lang: "fr", size: 10pt)
#set par(justify: true)
#set table(stroke: (x, y) => if y == 0 { (bottom: 0.8pt) } else { (bottom: 0.3pt + luma(205)) })
#show table: set text(size: 8.5pt)
#show figure.caption.where(position: top): it => block(sticky: true, it)
#show figure.where(kind: table): set figure.caption(position: top)
#show figure.where(kind: table): set block(breakable: true)
#set figure.caption(separator: [~: ])
#show figure.where(kind: table): set figure(supplement: [Tableau])
"""


def _rows(n: int, tall: int = 0) -> str:
    rows = []
    for i in range(n):
        note = f"[#lorem({tall})]" if tall and i % 7 == 3 else "[Convention signée]"
        rows.append(f"[Ville d’Aix-en-Provence {i}], [{i * 3}], {note}")
    return ",\n".join(rows)


def _table(rows: str, *, repeat: bool = True, breakable: bool = False, caption: str = "Les partenariats") -> str:
    cell = "" if breakable else "#set table.cell(breakable: false)\n"
    return (
        f"{cell}#figure(caption: [{caption}], table(columns: (2fr, 1fr, 2fr),\n"
        f"  table.header(repeat: {'true' if repeat else 'false'}, [Collectivité], [Projets], [Statut]),\n"
        f"  {rows}))\n"
    )


def _pdf(tmp_path: Path, body: str, name: str = "doc") -> Path:
    src = tmp_path / f"{name}.typ"
    src.write_text(PAGE + body, encoding="utf-8")
    out = tmp_path / f"{name}.pdf"
    typst.compile(str(src), output=str(out))
    return out


def _found(path: Path, settings: PreflightSettings | None = None, **kwargs: object) -> set[tuple[int, str]]:
    found = set()
    for problem in preflight(path, settings, **kwargs):  # type: ignore[arg-type]
        assert problem.file == path.name
        assert problem.field is not None
        page, rule = problem.field.removeprefix("page ").split(": ")
        found.add((int(page), rule))
    return found


FULL = "#lorem(420)\n"  # about three quarters of a page


def test_a_well_made_document_passes(tmp_path: Path) -> None:
    body = (
        "= Les partenariats de Ville d’Aix-en-Provence\n"
        + FULL
        + _table(_rows(60, tall=40))
        + "== Ce que disent les entretiens\n"
        + FULL * 2
    )
    pdf = _pdf(tmp_path, body)
    assert _found(pdf) == set()


def test_a_row_split_across_pages_is_reported_with_its_page(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path, FULL + _table(_rows(60, tall=120), breakable=True) + FULL)
    found = _found(pdf)
    assert any(rule == "table-row" for _, rule in found), found
    good = _pdf(tmp_path, FULL + _table(_rows(60, tall=120)) + FULL, "good")
    assert not any(rule == "table-row" for _, rule in _found(good))


def test_a_continued_table_without_its_header_is_reported_on_the_next_page(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path, FULL + _table(_rows(80), repeat=False) + FULL)
    found = _found(pdf)
    assert (2, "table-header") in found, found
    assert not any(rule == "table-row" for _, rule in found)


def test_a_caption_away_from_its_table_is_reported(tmp_path: Path) -> None:
    body = (
        "#lorem(300)\n#v(1fr)\nTableau 3 : Les partenariats de Ville d’Aix-en-Provence\n#pagebreak()\n"
        "#table(columns: 2, table.header([Collectivité], [Projets]), [Ville d’Aix-en-Provence], [3], [Lille], [4])\n"
        + FULL
    )
    assert (1, "caption") in _found(_pdf(tmp_path, body))


def test_a_figure_caption_opening_a_page_is_reported(tmp_path: Path) -> None:
    body = "#lorem(300)\n#rect(width: 100%, height: 8cm)\n#pagebreak()\nFigure 2 : Les projets par niveau\n\n" + FULL
    assert (2, "caption") in _found(_pdf(tmp_path, body))


def test_a_heading_at_a_page_foot_is_reported(tmp_path: Path) -> None:
    body = "#lorem(300)\n#v(1fr)\n== Les jumelages de Zébulon Quatrefages-Météyer\n#pagebreak()\n" + FULL
    found = _found(_pdf(tmp_path, body))
    assert (1, "heading") in found, found
    assert (1, "fill") not in found


def test_a_bold_title_at_a_page_foot_is_reported_as_a_heading(tmp_path: Path) -> None:
    """A portrait's name set as a bold paragraph is a heading to the reader, though the outline does not list it."""
    title = "*Conseil régional Auvergne-Rhône-Alpes*\n\n_Codage illustratif : portrait d’exemple._\n"
    body = "#lorem(300)\n#v(1fr)\n" + title + "#pagebreak()\n" + FULL
    found = _found(_pdf(tmp_path, body))
    assert (1, "heading") in found, found
    # a run-in title (« Contexte. » then its text) is not one; neither is a title followed by its text
    run_in = "#lorem(300)\n#v(1fr)\n*Contexte.* Département de 1 228 618 habitants.\n#pagebreak()\n" + FULL
    assert (1, "heading") not in _found(_pdf(tmp_path, run_in, "run-in"))
    kept = "#lorem(300)\n#v(1fr)\n" + title + "#lorem(30)\n#pagebreak()\n" + FULL
    assert (1, "heading") not in _found(_pdf(tmp_path, kept, "kept"))


def test_an_under_filled_page_is_reported_unless_it_ends_a_chapter(tmp_path: Path) -> None:
    body = FULL + "#pagebreak()\n#lorem(40)\n#pagebreak()\n" + FULL + "#pagebreak(weak: true)\n= Annexes\n" + FULL
    found = _found(_pdf(tmp_path, body))
    assert (2, "fill") in found, found
    # page 3 ends a chapter (the next opens with a level-1 heading): only the end threshold applies
    strict = _found(_pdf(tmp_path, body), PreflightSettings(min_fill=0.95))
    assert (3, "fill") not in strict
    assert (3, "fill") in _found(_pdf(tmp_path, body), PreflightSettings(min_fill=0.95), chapter_breaks=False)
    # the threshold comes from the settings
    assert (2, "fill") not in _found(_pdf(tmp_path, body), PreflightSettings(min_fill=0.05))


def test_the_fill_message_shows_the_share_precisely_enough_to_read_why_it_failed(tmp_path: Path) -> None:
    from cufstudy.pipeline.preflight import _percent

    body = FULL + "#pagebreak()\n#lorem(40)\n#pagebreak()\n" + FULL
    (problem,) = [p for p in preflight(_pdf(tmp_path, body)) if p.field == "page 2: fill"]
    assert re.match(r"page 2 is \d+\.\d% full; .* must be at least 45% full", problem.message), problem.message
    # a page 44.7 % full is not « 45% » against 45 %, nor 44.96 % « 45.0% »: as many decimals as it takes
    assert _percent(0.4468, 0.45) == "44.7%"
    assert _percent(0.4496, 0.45) == "44.96%"
    assert _percent(0.44999, 0.45) == "44.999%"
    assert _percent(0.2, 0.3) == "20.0%"


def _house(tmp_path: Path, body: str, name: str, options: str = "") -> Path:
    """A study-variant document in the packaged Typst style (cufstudy-doc of typst-template.typ); ``options``:
    more arguments of cufstudy-doc (``title: [...],``)."""
    from cufstudy.resources import font_dirs, template_path

    cover = template_path("typst/cufstudy-cover.typ").read_text(encoding="utf-8")
    style = template_path("typst/typst-template.typ").read_text(encoding="utf-8")
    src = tmp_path / f"{name}.typ"
    src.write_text(
        style.replace("$cufstudy-cover.typ()$", cover)
        + f'#show: doc => cufstudy-doc(variant: "study", notice: [Données illustratives~: codage d’exemple], {options} doc)\n'
        + body,
        encoding="utf-8",
    )
    out = tmp_path / f"{name}.pdf"
    typst.compile(str(src), output=str(out), root=str(tmp_path), font_paths=[str(d) for d in font_dirs()])
    return out


# a chart 12 cm wide and 15 cm high: at its natural size, 60 % of the study's text area (the map of the
# cases at 100 authorities: the figure that left page 10 44.7 % full)
TALL = '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="500"><rect width="400" height="500" fill="#1f3a5f"/></svg>'


def test_a_tall_figure_never_leaves_a_page_under_filled_wherever_it_falls(tmp_path: Path) -> None:
    """A figure cannot break: one that does not fit the rest of a page goes to the next and leaves the page
    short by its height. The house style keeps a figure within half the text area, so the page it leaves is
    more than half full, whatever the amount of text before it (the data's)."""
    (tmp_path / "carte.svg").write_text(TALL, encoding="utf-8")
    figure = '#figure(image("carte.svg", width: 12cm), caption: [Les missions DCOL étudiées])\n'
    faults = {}
    for words in range(150, 400, 25):
        body = f"= Panorama des cas\n#lorem({words})\n\n" + figure + "\n#lorem(300)\n"
        house = _house(tmp_path, body, f"house-{words}")
        assert not any(rule == "fill" for _, rule in _found(house)), (words, _found(house))
        plain = _pdf(tmp_path, body, f"plain-{words}")  # the same document, the figure at its natural size
        faults[words] = (1, "fill") in _found(plain)
    assert any(faults.values()), "the plain page must show the fault the house style avoids"


def test_the_study_never_ends_on_a_sliver_of_a_page_wherever_its_text_ends(tmp_path: Path) -> None:
    """The study ends with the table of its cases: where its last page ends is the data's. The house style
    closes it with its colophon at the foot of the last page, or of a page of its own (a back cover)."""
    options = (
        "title: [Les stratégies d’action internationale des collectivités], date: [1#super[er] décembre 2026], "
        "publication: (kind: [Étude de capitalisation], commissioner: [Cités Unies France (CUF)], "
        "funders: ([Agence française de développement (AFD)],), logos: ()),"
    )
    rules = PreflightSettings(min_fill=0.45, min_fill_end=0.3)  # the default project's (_quarto.yml)
    faults, pages = {}, set()
    for words in range(100, 1400, 90):
        body = f"= Annexe : la base de cas de l’Aude-Hauts-Bassins\n#lorem({words})\n"
        house = _house(tmp_path, body, f"end-{words}", options)
        assert not any(rule == "fill" for _, rule in _found(house, rules)), (words, _found(house, rules))
        text = extract_pages(house)
        assert "Édition" in text[-1] and "Édition" not in " ".join(text[:-1])  # once, on the last page
        pages.add(len(text))
        faults[words] = any(rule == "fill" for _, rule in _found(_pdf(tmp_path, body, f"plain-end-{words}"), rules))
    assert any(faults.values()), "the plain document must show the fault the house style avoids"
    assert len(pages) > 2, "the text must end at several places of several pages"


def test_a_one_line_page_ending_a_chapter_is_reported(tmp_path: Path) -> None:
    body = FULL + "#pagebreak()\nUne ligne.\n#pagebreak()\n= Annexes\n" + FULL
    assert (2, "fill") in _found(_pdf(tmp_path, body))


def test_text_outside_the_text_area_is_reported(tmp_path: Path) -> None:
    body = FULL + "#block(width: 125%)[#lorem(60)]\n" + "#pagebreak()\n" + FULL
    found = _found(_pdf(tmp_path, body))
    assert (1, "text-area") in found, found
    assert (2, "text-area") not in found


def test_every_fault_is_reported_at_once_by_the_checks(tmp_path: Path) -> None:
    body = (
        FULL
        + _table(_rows(80), repeat=False)
        + "#pagebreak()\n#lorem(30)\n#pagebreak()\n"
        + "#block(width: 125%)[#lorem(60)]\n"
        + FULL
    )
    pdf = _pdf(tmp_path, body)
    report = check_files([pdf], Requirements("étude", a4=True, preflight=PreflightSettings()))
    messages = [v.message for v in report.violations if v.rule == "preflight"]
    assert any("table-header" in m for m in messages), messages
    assert any(": fill:" in m for m in messages), messages
    assert any("text-area" in m for m in messages), messages
    assert all(m.startswith("doc.pdf: page ") for m in messages)
    assert not check_files([pdf], Requirements("étude")).violations  # no preflight asked: none run


def test_an_unreadable_pdf_is_a_layout_error_naming_the_file() -> None:
    from cufstudy.core.errors import LayoutError

    with pytest.raises(LayoutError, match=r"guide\.pdf: the layout preflight cannot read this PDF"):
        preflight(b"%PDF-1.7\nnot a PDF at all", name="guide.pdf")


def test_the_lines_keep_pdfminer_boxes(tmp_path: Path) -> None:
    """The characters' boxes are pdfminer's, on which the thresholds were set: one font size high from the
    font's descent, spaces where the words are, a line-end hyphen kept as one."""
    from cufstudy.pipeline.preflight import _read

    body = "#set text(size: 10pt)\n#lorem(200)\n\n#block(width: 40%, text(hyphenate: true, lorem(120)))\n\n*Zébulon Quatrefages-Météyer*\n"
    pages, _ = _read(_pdf(tmp_path, body).read_bytes(), "doc.pdf")
    lines = pages[0].lines
    assert {round(ln.bottom - ln.top, 1) for ln in lines if ln.size == 10.0} == {10.0}
    assert any(ln.text.startswith("Lorem ipsum dolor sit amet") for ln in lines)
    assert any(ln.text.endswith("-") for ln in lines)  # PDFium's mark of a line-end hyphen, read back as one
    title = next(ln for ln in lines if "Quatrefages" in ln.text)
    assert title.bold and title.text.strip() == "Zébulon Quatrefages-Météyer"
    assert all(ln.x0 > 62 and ln.x1 < 538 for ln in pages[0].lines if ln.size == 10.0)


def test_the_preflight_reads_the_text_of_each_page_as_the_leak_search_does(tmp_path: Path) -> None:
    """The publish check takes each page's text from the preflight's pass over the characters: it must be
    what :func:`~cufstudy.pipeline.leaks.pdf_page_texts` reads, hyphenated words, off-sheet text and a
    chart's gaps included."""
    from cufstudy.pipeline.leaks import pdf_page_texts

    chart = '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="40"><text x="5" y="25">Base\u00a0: n</text></svg>'
    (tmp_path / "graphique.svg").write_text(chart, encoding="utf-8")
    body = (
        '#set text(lang: "fr", hyphenate: true)\n#set par(justify: true)\n'
        + FULL
        + "#place(dx: -6cm)[Théophraste Lévêque]\n"
        + '#image("graphique.svg", width: 8cm)\n#pagebreak()\n'
        + "Anticonstitutionnellement décentralisée, l’internationalisation des collectivités territoriales. " * 12
    )
    data = _pdf(tmp_path, body).read_bytes()
    texts: list[str] = []
    preflight(data, texts=texts, gap="|")
    assert texts == pdf_page_texts(data, gap="|")
    assert len(texts) == 2 and "Théophraste Lévêque" in texts[0] and "|:|" in texts[0]
    assert "-\n" in texts[1]  # a word hyphenated at a line's end
