"""French typography of what a reader sees: the charts' texts (typeset_text, typeset_spec) and the check of
every output (cufstudy.pipeline.typography), fed texts and files made to fail."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.styles import Protection

from cufstudy.core.french import NBSP, NNBSP, typeset_text
from cufstudy.notebook.charts.vega import typeset_spec
from cufstudy.pipeline.typography import (
    TypoFault,
    docx_faults,
    html_faults,
    output_faults,
    pdf_faults,
    svg_faults,
    text_faults,
    xlsx_faults,
)

from .conftest import ROOT

# -- typeset_text and typeset_spec --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "typeset"),
    [
        ("Direction de l'attractivité", "Direction de l’attractivité"),
        ("Ville d'Aix-en-Provence : 12 %", f"Ville d’Aix-en-Provence{NBSP}: 12{NNBSP}%"),
        ('Le "1 % eau" ; oui ?', f"Le «{NBSP}1{NNBSP}% eau{NBSP}»{NNBSP}; oui{NNBSP}?"),
        ("«Faim zéro»", f"«{NBSP}Faim zéro{NBSP}»"),
        ("« le label « Ville amie » reste »", f"«{NBSP}le label “Ville amie” reste{NBSP}»"),
        ("https://x.org/a?b:c", "https://x.org/a?b:c"),
        ("Zébulon Quatrefages-Météyer", "Zébulon Quatrefages-Météyer"),
    ],
)
def test_typeset_text_gives_french_typography(raw: str, typeset: str) -> None:
    assert typeset_text(raw) == typeset
    assert typeset_text(typeset) == typeset  # idempotent
    assert text_faults(typeset, "x", "y") == []


def test_typeset_spec_sets_every_drawn_text_and_keeps_the_data_and_its_references_equal() -> None:
    label = "Direction de l'attractivité"
    literal = label.replace("'", "\\'")
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": {"text": "De l'ambition", "subtitle": ["Base : n = 18 missions"]},
        "description": "Ce qu'il montre",
        "datasets": {"d": [{"ligne": label, "type": "Ville d'Angers", "n": 2}]},
        "data": {"name": "d"},
        "transform": [{"filter": f"datum.ligne === '{literal}'"}],
        "encoding": {
            "y": {"field": "ligne", "type": "nominal", "sort": [label], "axis": {"title": "Rattachement d'origine"}},
            "color": {"field": "n", "legend": {"title": "Nombre d'EPCI"}, "scale": {"domain": [label]}},
            "tooltip": [{"field": "n", "title": "Part d'ensemble", "format": ".0%"}],
        },
        "config": {"locale": {"number": {"percent": "\u202f%"}}},
    }
    out = typeset_spec(spec)
    assert out["title"] == {"text": "De l’ambition", "subtitle": [f"Base{NBSP}: n = 18 missions"]}
    assert out["description"] == "Ce qu’il montre"
    row = out["datasets"]["d"][0]
    assert row == {"ligne": "Direction de l’attractivité", "type": "Ville d’Angers", "n": 2}  # every column
    assert out["transform"][0]["filter"] == "datum.ligne === 'Direction de l’attractivité'"
    y = out["encoding"]["y"]
    assert y["sort"] == [row["ligne"]] and y["axis"]["title"] == "Rattachement d’origine" and y["field"] == "ligne"
    assert out["encoding"]["color"]["scale"]["domain"] == [row["ligne"]]
    assert out["encoding"]["tooltip"][0] == {"field": "n", "title": "Part d’ensemble", "format": ".0%"}
    assert out["config"] == spec["config"] and out["$schema"] == spec["$schema"]
    assert typeset_spec(out) == out


def test_a_chart_of_the_toolkit_draws_french_typography_in_its_svg() -> None:
    from cufstudy.model.cases import load_cases
    from cufstudy.notebook import charts

    frame = load_cases(ROOT / "data").frame
    for fig in (charts.ambition_by_tier(frame), charts.organisation_comparison(frame)):
        svg = charts.to_svg(fig)
        assert svg_faults(svg, "chart.svg") == [], fig.title
        assert "’" in svg and "'" not in fig.title
        spec = charts.to_spec(fig)
        assert spec["usermeta"]["embedOptions"]["formatLocale"]["decimal"] == ","
        assert spec["config"]["locale"]["number"]["decimal"] == ","  # axes and tooltips format the French way


# -- the check, fed texts made to fail ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Ville d'Aix", "straight apostrophe"),
        ("Attention : danger", "space before :"),
        ("un ; deux", "space before ;"),
        ("Enfin !", "space before !"),
        ("Pourquoi ?", "space before ?"),
        ("« oui »", "space before »"),
        ("« oui »", "space after «"),
        (f"«oui{NBSP}»", "no no-break space after «"),
        (f"«{NBSP}oui»", "no no-break space before »"),
        ("12 %", "space before %"),
        ("12%", "space before %"),
    ],
)
def test_each_rule_reports_the_fault_with_its_place_and_snippet(text: str, rule: str) -> None:
    faults = text_faults(f"Le texte dit {text} ici", "guide.pdf", "page 3")
    assert rule in [f.rule for f in faults]
    fault = next(f for f in faults if f.rule == rule)
    assert (fault.file, fault.where) == ("guide.pdf", "page 3") and text.strip("«» ") in fault.snippet
    assert str(fault).startswith("guide.pdf: page 3: ")


@pytest.mark.parametrize(
    "text",
    [
        "https://www.cites-unies-france.org/Appel-a-projets?id=3:4",
        "www.example.org/?q=a:b",
        "contact@cites-unies-france.org",
        "doi:10.1000/x:y",
        "10:30, ratio 1:2, l’action",
        f"«{NBSP}Faim zéro{NBSP}»{NNBSP}; 1{NNBSP}%",
    ],
)
def test_urls_codes_and_good_typography_are_not_faults(text: str) -> None:
    assert text_faults(text, "f", "w") == []


def test_english_text_keeps_the_apostrophe_rule_only() -> None:
    faults = text_faults("The partnership's goals: water ; what ?", "toolbox.html", "line 3", english=True)
    assert [f.rule for f in faults] == ["straight apostrophe"]


def _docx(path: Path, parts: dict[str, str]) -> Path:
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    with zipfile.ZipFile(path, "w") as zf:
        for name, body in parts.items():
            zf.writestr(name, f"<w:document {w}><w:body>{body}</w:body></w:document>")
    return path


def test_a_docx_is_checked_in_its_body_header_and_footer_runs_joined(tmp_path: Path) -> None:
    run = "<w:r><w:t>{}</w:t></w:r>"
    path = _docx(
        tmp_path / "guide.docx",
        {
            "word/document.xml": "<w:p>" + run.format("Étape 1") + run.format(" : le diagnostic") + "</w:p>",
            "word/header1.xml": "<w:p>" + run.format("Données d") + run.format("'exemple") + "</w:p>",
            "word/footer2.xml": "<w:p>" + run.format(f"Page 1{NBSP}: fin") + "</w:p>",
            "word/styles.xml": "<w:p>" + run.format("d'un style") + "</w:p>",
            "[Content_Types].xml": "<x/>",
        },
    )
    faults = docx_faults(path)
    assert [(f.where, f.rule) for f in faults] == [
        ("word/document.xml paragraph 1", "space before :"),
        ("word/header1.xml paragraph 1", "straight apostrophe"),
    ]


def test_docx_code_bibliography_and_english_runs_are_not_french_prose(tmp_path: Path) -> None:
    code = '<w:p><w:pPr><w:pStyle w:val="SourceCode"/></w:pPr><w:r><w:t>x = a ? b : c</w:t></w:r></w:p>'
    bib = "<w:p><w:pPr><w:pStyle w:val=\"Bibliography\"/></w:pPr><w:r><w:t>L'avenir : rapport</w:t></w:r></w:p>"
    english = '<w:p><w:r><w:rPr><w:lang w:val="en-GB"/></w:rPr><w:t>Summary: the goals</w:t></w:r></w:p>'
    path = _docx(tmp_path / "toolbox.docx", {"word/document.xml": code + bib + english})
    assert docx_faults(path) == []


def test_an_html_page_is_checked_in_its_visible_text_attributes_and_chart_specs(tmp_path: Path) -> None:
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": {"text": "De l'ambition"},
        "datasets": {"d": [{"nom": "Ville d'Angers"}]},
        "encoding": {"x": {"field": "l'x", "type": "nominal"}},
    }
    page = (
        '<html lang="fr"><head><style>a:hover { content: "l\'a" }</style></head><body><main>'
        "<h1>Le guide</h1><p>Pourquoi ?</p><img alt=\"Carte d'Europe\" src=\"x.png\">"
        "<pre>a ? b : c</pre><code>l'x</code><script>var s = 'l\\'a : b';</script>"
        f'<script type="application/json" data-cufstudy-vega="v1">{json.dumps(spec)}</script>'
        '<section lang="en"><p>Summary: the partner\'s goals</p></section>'
        '<div id="refs"><div class="csl-entry">L\'avenir : rapport</div></div>'
        "</main></body></html>"
    )
    (tmp_path / "guide.html").write_text(page, encoding="utf-8")
    faults = html_faults(tmp_path / "guide.html")
    found = {(f.rule, f.snippet) for f in faults}
    assert ("space before ?", "Pourquoi ?") in found
    assert ("straight apostrophe", "Carte d'Europe") in found
    assert ("straight apostrophe", "Summary: the partner's goals") in found  # English: the apostrophe rule only
    assert ("straight apostrophe", "De l'ambition") in found and ("straight apostrophe", "Ville d'Angers") in found
    assert len(faults) == 5, faults  # not the CSS, the scripts' code, <pre>, <code>, the field name, the refs
    chart = next(f for f in faults if f.snippet == "Ville d'Angers")
    assert 'chart "De l\'ambition"' in chart.where and "datasets.d[0].nom" in chart.where


def test_the_text_of_an_svg_chart_is_checked() -> None:
    svg = '<svg><text x="1">Direction de l&#39;attractivité</text><text>Base&#160;: 18</text></svg>'
    faults = svg_faults(svg, "fig.svg")
    assert [(f.where, f.rule, f.snippet) for f in faults] == [
        ("svg <text>", "straight apostrophe", "Direction de l'attractivité")
    ]


def test_a_workbook_is_checked_in_its_own_texts_not_in_the_cells_a_user_fills(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Instructions"
    ws["A1"] = "Grille d'un partenariat"
    ws["B2"] = "Saisie : libre"
    ws["B2"].protection = Protection(locked=False)
    ws.protection.sheet = True
    hidden = wb.create_sheet("Listes")
    hidden["A1"] = "L'avenir que nous voulons"
    hidden.sheet_state = "hidden"
    wb.save(tmp_path / "grille.xlsx")
    faults = xlsx_faults(tmp_path / "grille.xlsx")
    assert [(f.where, f.rule) for f in faults] == [("sheet 'Instructions' cell A1", "straight apostrophe")]
    assert len(xlsx_faults(tmp_path / "grille.xlsx", filled=True)) == 3


def test_a_pdf_is_checked_page_by_page(tmp_path: Path) -> None:
    typst = pytest.importorskip("typst")
    source = tmp_path / "doc.typ"
    source.write_text(
        "#set smartquote(enabled: false)\n"
        "Une page juste~: «~oui~» et l’action.\n#pagebreak()\n"
        "La page d'après : 12 %.\n",
        encoding="utf-8",
    )
    typst.compile(str(source), output=str(tmp_path / "doc.pdf"))
    faults = pdf_faults(tmp_path / "doc.pdf")
    assert {(f.where, f.rule) for f in faults} == {
        ("page 2", "straight apostrophe"),
        ("page 2", "space before :"),
        ("page 2", "space before %"),
    }
    assert output_faults([tmp_path]) == faults  # a folder: every file in it


def test_a_fault_names_its_file_place_rule_and_snippet() -> None:
    fault = TypoFault("study.pdf", "page 12", "straight apostrophe", "Modalités d'action")
    assert str(fault) == "study.pdf: page 12: straight apostrophe: \"Modalités d'action\""


def test_the_publish_checks_report_each_typographic_fault_as_a_typography_violation(tmp_path: Path) -> None:
    from cufstudy.pipeline.checks import RULES, Requirements, check_files

    page = tmp_path / "guide.html"
    page.write_text('<html lang="fr"><body><main><p>Le guide d\'Aix : 12 %</p></main></body></html>', encoding="utf-8")
    docx = _docx(tmp_path / "guide.docx", {"word/header1.xml": "<w:p><w:r><w:t>Données d'exemple</w:t></w:r></w:p>"})
    report = check_files([page, docx], Requirements("guide", a4=False, offline=False))
    found = [(v.file.name, v.message) for v in report.violations if v.rule == "typography"]
    assert "typography" in RULES and len(found) == 4, found
    assert any(f == "guide.docx" and "word/header1.xml paragraph 1: straight apostrophe" in m for f, m in found)
    assert any(f == "guide.html" and "space before %" in m for f, m in found)
    off = check_files([page, docx], Requirements("guide", a4=False, offline=False, typography=False))
    assert not [v for v in off.violations if v.rule == "typography"]


def test_a_docx_part_that_is_not_well_formed_xml_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "planted.docx"
    with zipfile.ZipFile(path, "w") as zf:  # no namespace declared: ElementTree refuses the w: prefix
        zf.writestr("word/header1.xml", "<w:hdr><w:p><w:r><w:t>Données d&apos;exemple</w:t></w:r></w:p></w:hdr>")
    assert [(f.where, f.rule) for f in docx_faults(path)] == [("word/header1.xml paragraph 1", "straight apostrophe")]


def _house_pdf(tmp_path: Path, title: str) -> bytes:
    """A study-variant PDF in the packaged Typst style, with ``title`` as Pandoc's Typst writer passes it
    (the source's straight apostrophe, which Typst's smart quotes print as ’)."""
    import typst

    from cufstudy.resources import font_dirs, template_path

    cover = template_path("typst/cufstudy-cover.typ").read_text(encoding="utf-8")
    style = template_path("typst/typst-template.typ").read_text(encoding="utf-8")
    source = tmp_path / "doc.typ"
    source.write_text(
        style.replace("$cufstudy-cover.typ()$", cover)
        + f'#show: doc => cufstudy-doc(variant: "study", title: [{title}], authors: ("Cités Unies France",), doc)\n'
        + "= Objet\n\nLe texte.\n",
        encoding="utf-8",
    )
    data = typst.compile(str(source), root=str(tmp_path), font_paths=[str(d) for d in font_dirs()])
    assert isinstance(data, bytes)
    return data


def test_a_pdf_s_properties_are_in_french_typography(tmp_path: Path) -> None:
    """A viewer shows the PDF's title in its title bar: the house style gives it the ’ the cover prints,
    and the check reads the properties."""
    from cufstudy.pipeline.typography import pdf_property_faults

    data = _house_pdf(tmp_path, "Les stratégies d'action internationale")
    assert pdf_property_faults(data, "etude.pdf") == []
    import pypdfium2 as pdfium

    assert pdfium.PdfDocument(data).get_metadata_dict()["Title"] == "Les stratégies d’action internationale"
    plain = _plain_pdf_titled(tmp_path, "Les stratégies d'action")
    [fault] = pdf_property_faults(plain, "etude.pdf")
    assert (fault.where, fault.rule) == ("properties: Title", "straight apostrophe")


def _plain_pdf_titled(tmp_path: Path, title: str) -> bytes:
    import typst

    source = tmp_path / "plain.typ"
    source.write_text(f'#set document(title: "{title}")\nTexte.\n', encoding="utf-8")
    data = typst.compile(str(source))
    assert isinstance(data, bytes)
    return data
