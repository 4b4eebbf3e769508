"""The embedded render engine on a tiny Quarto project built in tmp_path.

The project has two profiles (study: html + typst + docx; brochure: typst with a page rule), a small
executed notebook (Markdown table, PNG, Vega-Lite charts with and without static images), facts, a
bibliography, callouts, cross-references, includes and a page break.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import nbformat as _nbformat
import pytest
import vl_convert

from cufstudy.core.errors import ArgumentError, LayoutError, RenderError
from cufstudy.pipeline.publish import render_deliverables as build
from cufstudy.render import (
    SourceError,
    external_urls,
    pdf_media_box,
    pdf_page_count,
)

nbformat: Any = _nbformat  # untyped library
NOTICE = "Données illustratives — exemple de test"
NNBSP = "\u202f"
NBSP = "\u00a0"

SPEC: dict[str, Any] = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "data": {"values": [{"niveau": "Région", "n": 12}, {"niveau": "Département", "n": 7}]},
    "mark": "bar",
    "encoding": {
        "x": {"field": "niveau", "type": "nominal", "title": "Niveau"},
        "y": {"field": "n", "type": "quantitative", "title": "Nombre"},
    },
    "width": 320,
    "height": 160,
    "config": {"font": "Inter"},
}

TABLE_MD = """| Niveau | Collectivités | Part |
|:-------|--------------:|-----:|
| Région | 12 | 63,2 % |
| Département | 7 | 36,8 % |
"""


def _code(source: str, outputs: list[dict[str, Any]]) -> Any:
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    cell.execution_count = 1
    return cell


def _display(data: dict[str, Any], metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"output_type": "display_data", "data": data, "metadata": metadata or {}}


def make_notebook(path: Path) -> None:
    png = vl_convert.vegalite_to_png(SPEC, scale=2)
    svg = vl_convert.vegalite_to_svg(SPEC)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Démonstration"),
        _code(
            "#| label: tbl-niveaux\n#| tbl-cap: Collectivités par niveau\ntable_md()",
            [_display({"text/markdown": TABLE_MD, "text/plain": "<table>"})],
        ),
        _code(
            "#| label: fig-image\n#| fig-cap: Une image PNG\nshow_png()",
            [_display({"image/png": base64.b64encode(png).decode(), "text/plain": "<Figure>"})],
        ),
        _code(
            "#| label: fig-chart\n#| fig-cap: Un graphique Vega-Lite\nchart()",
            [
                _display(
                    {
                        "application/vnd.vegalite.v5+json": SPEC,
                        "image/svg+xml": svg,
                        "image/png": base64.b64encode(png).decode(),
                        "text/plain": "alt.Chart(...)",
                    }
                )
            ],
        ),
        _code(
            "#| label: fig-chart2\n#| fig-cap: Un graphique sans image statique\nchart2()",
            [_display({"application/vnd.vegalite.v6.json": SPEC, "text/plain": "alt.Chart(...)"})],
        ),
        _code(
            "#| label: fact-cell\nfacts.record('n_cases', 19, 'Collectivités')",
            [
                _display(
                    {
                        "application/vnd.cufstudy.fact+json": {
                            "key": "n_cases",
                            "value": 19,
                            "label": "Collectivités",
                            "unit": None,
                            "text": "19",
                            "source": None,
                        },
                        "text/markdown": "**Collectivités** (`n_cases`) : 19",
                    }
                )
            ],
        ),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


FACTS = {
    "n_cases": {"key": "n_cases", "value": 19, "label": "Collectivités", "unit": None, "text": "19", "source": None},
    "budget.total": {
        "key": "budget.total",
        "value": 1234567,
        "label": "Budget",
        "unit": "€",
        "text": f"1{NNBSP}234{NNBSP}567{NBSP}€",
        "source": None,
    },
    "share.region": {
        "key": "share.region",
        "value": 63.2,
        "label": "Part",
        "unit": "%",
        "text": f"63,2{NNBSP}%",
        "source": None,
    },
}

QUARTO_YML = f"""\
project:
  type: default
  output-dir: _output
lang: fr
bibliography: refs.bib
filters:
  - cufstudy
cufstudy-notice: "{NOTICE}"
"""

STUDY_YML = """\
project:
  render:
    - reports/study.qmd
format:
  html:
    toc: true
    embed-resources: true
  typst:
    papersize: a4
    section-numbering: "1.1"
    cufstudy-variant: study
  docx: default
"""

BROCHURE_YML = """\
project:
  render:
    - reports/brochure.qmd
format:
  typst:
    cufstudy-variant: brochure
cufstudy:
  pages:
    exact: 1
"""

STUDY_QMD = """\
---
title: "Étude de test"
subtitle: "Un projet minuscule"
author: "Équipe de test"
date: "novembre 2026"
---

# Introduction {#sec-intro}

Bonjour : « oui » ! Le réseau compte {{< fact n_cases >}} collectivités pour un budget de
{{< fact budget.total >}} ; la part des régions est de {{< fact share.region >}}.
Voir @fig-chart, @tbl-niveaux et @sec-method, selon @cuf2024.

::: {.callout-note title="À retenir"}
Les collectivités agissent.
:::

{{< include _chapter.qmd >}}

{{< pagebreak >}}

# Références {.unnumbered}

::: {#refs}
:::
"""

CHAPTER_QMD = """\
# Méthode {#sec-method}

{{< embed ../_build/notebooks/demo.ipynb#tbl-niveaux >}}

{{< embed /_build/notebooks/demo.ipynb#fig-chart >}}

{{< embed ../_build/notebooks/demo.ipynb#fig-image >}}

{{< embed ../_build/notebooks/demo.ipynb#fig-chart2 >}}

Le tableau @tbl-niveaux et la figure @fig-image. Échappé : {{{< fact n_cases >}}}.
"""

BROCHURE_QMD = """\
---
title: "Brochure"
---

# En bref

Le réseau compte {{< fact n_cases >}} collectivités.
"""

BIB = """@report{cuf2024,
  author = {{Cités Unies France}},
  title = {Panorama de la coopération décentralisée},
  year = {2024},
  institution = {Cités Unies France},
  location = {Paris}
}
"""


def make_project(root: Path) -> Path:
    """Write the fixture project into ``root``."""
    (root / "reports").mkdir(parents=True)
    (root / "_quarto.yml").write_text(QUARTO_YML, encoding="utf-8")
    (root / "_quarto-study.yml").write_text(STUDY_YML, encoding="utf-8")
    (root / "_quarto-brochure.yml").write_text(BROCHURE_YML, encoding="utf-8")
    (root / "reports" / "study.qmd").write_text(STUDY_QMD, encoding="utf-8")
    (root / "reports" / "_chapter.qmd").write_text(CHAPTER_QMD, encoding="utf-8")
    (root / "reports" / "brochure.qmd").write_text(BROCHURE_QMD, encoding="utf-8")
    (root / "refs.bib").write_text(BIB, encoding="utf-8")
    (root / "_build").mkdir()
    (root / "_build" / "facts.json").write_text(json.dumps({"facts": FACTS}, ensure_ascii=False), encoding="utf-8")
    make_notebook(root / "_build" / "notebooks" / "demo.ipynb")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    root = make_project(tmp_path_factory.mktemp("project"))
    report = build(root, profiles=["brochure", "study"], engine="pandoc", preview=True)
    return root, report


# -- the whole build -------------------------------------------------------------------------------------


def test_build_writes_every_deliverable(built: tuple[Path, Any]) -> None:
    root, report = built
    names = sorted(p.name for p in (root / "_output").iterdir() if p.is_file())
    assert names == ["brochure.pdf", "study.docx", "study.html", "study.pdf"]
    assert report.engine == "pandoc"
    assert {o.path.name for o in report.outputs} == set(names)
    assert not any((root / "_build" / "render").glob("build-*")), "the work folder is removed"


def test_while_the_next_deliverable_renders_the_first_one_s_failure_is_the_one_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the build expands the study while the brochure's formats render: the brochure failed first, it is reported
    import time

    from cufstudy.render import engine as engine_mod

    root = make_project(tmp_path)
    real_job, real_prepare = engine_mod.EmbeddedEngine._render_job, engine_mod.EmbeddedEngine.prepare
    expanded: list[str] = []

    def job(self: Any, deliverable: Any, one: Any, staging: Path) -> Any:
        if deliverable.name == "brochure":
            time.sleep(0.3)  # still rendering when the study is expanded
            raise RenderError("brochure.typ: typst failed: la police « Inter » manque")
        return real_job(self, deliverable, one, staging)

    def prepare(self: Any, deliverable: Any, notice: str | None = None) -> Any:
        expanded.append(deliverable.name)
        if deliverable.name == "study":
            raise RenderError("study: les sources ne peuvent pas être rendues")
        return real_prepare(self, deliverable, notice)

    monkeypatch.setattr(engine_mod.EmbeddedEngine, "_render_job", job)
    monkeypatch.setattr(engine_mod.EmbeddedEngine, "prepare", prepare)
    with pytest.raises(RenderError, match="police « Inter »"):
        build(root, profiles=["brochure", "study"], engine="pandoc")
    assert expanded == ["brochure", "study"]
    assert not (root / "_output").exists() or not any((root / "_output").iterdir())  # nothing half published
    assert not list((root / "_build" / "render").glob("build-*"))  # the work folder swept after the renders ended


def test_an_unchanged_deliverable_is_kept_and_any_change_renders_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cufstudy.render import engine as engine_mod

    root = make_project(tmp_path)
    build(root, profiles=["brochure", "study"], engine="pandoc")
    out = root / "_output"
    published = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file()}
    real_start = engine_mod.EmbeddedEngine.start  # what the build calls for each deliverable it renders
    rendered: list[str] = []

    def counting(self: Any, deliverable: Any, staging: Path, *args: Any) -> Any:
        rendered.append(deliverable.name)
        return real_start(self, deliverable, staging, *args)

    monkeypatch.setattr(engine_mod.EmbeddedEngine, "start", counting)
    again = build(root, profiles=["brochure", "study"], engine="pandoc")
    assert rendered == [] and again.reused == ("brochure", "study")
    assert {o.path.name for o in again.outputs} == set(published)
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file()} == published
    assert "up to date (inputs unchanged, not rendered again): brochure, study" in again.summary()

    chapter = root / "reports" / "_chapter.qmd"  # an included file, not the main document
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nUn paragraphe ajouté.\n", encoding="utf-8")
    build(root, profiles=["study"], engine="pandoc", formats=["html"])
    assert rendered == ["study"] and "Un paragraphe ajouté." in (out / "study.html").read_text(encoding="utf-8")

    notebook = root / "_build" / "notebooks" / "demo.ipynb"  # a notebook executed again
    executed = notebook.read_bytes()
    assert b"| R\\u00e9gion | 12 |" in executed or "| Région | 12 |".encode() in executed
    notebook.write_bytes(executed.replace(b"| 12 |", b"| 13 |"))
    build(root, profiles=["brochure"], engine="pandoc")
    assert rendered == ["study", "brochure"]
    build(root, profiles=["brochure"], engine="pandoc")
    assert rendered == ["study", "brochure"]

    (out / "brochure.pdf").write_bytes(b"replaced by hand")  # a published file changed: render again
    build(root, profiles=["brochure"], engine="pandoc")
    assert (out / "brochure.pdf").read_bytes().startswith(b"%PDF") and rendered[-1] == "brochure"
    build(root, profiles=["brochure"], engine="pandoc", notice="Données illustratives")  # another notice
    build(root, profiles=["brochure"], engine="pandoc", notice="Données illustratives", reuse=False)
    assert rendered == ["study", "brochure", "brochure", "brochure", "brochure"]


def test_previews_written(built: tuple[Path, Any]) -> None:
    root, _ = built
    previews = sorted(p.name for p in (root / "_output" / "preview").iterdir())
    assert "brochure-1.png" in previews
    assert "study-1.png" in previews
    assert all((root / "_output" / "preview" / p).read_bytes().startswith(b"\x89PNG") for p in previews)


# -- PDF -----------------------------------------------------------------------------------------------------


def test_pdf_is_a4_with_notice_on_every_page(built: tuple[Path, Any]) -> None:
    from pypdf import PdfReader

    root, _ = built
    for name in ("study.pdf", "brochure.pdf"):
        reader = PdfReader(root / "_output" / name)
        assert len(reader.pages) >= 1
        for page in reader.pages:
            box = page.mediabox
            assert float(box.width) == pytest.approx(595.28, abs=0.05)
            assert float(box.height) == pytest.approx(841.89, abs=0.05)
            text = page.extract_text()
            assert "Données illustratives" in text, f"{name}: a page lacks the notice"


def test_pdf_page_count_without_pypdf(built: tuple[Path, Any]) -> None:
    from pypdf import PdfReader

    root, _ = built
    data = (root / "_output" / "study.pdf").read_bytes()
    assert pdf_page_count(data) == len(PdfReader(root / "_output" / "study.pdf").pages)
    assert pdf_media_box(data) == pytest.approx((595.28, 841.89), abs=0.05)


def test_pdf_content_resolved(built: tuple[Path, Any]) -> None:
    from pypdf import PdfReader

    root, _ = built
    text = "\n".join(p.extract_text() for p in PdfReader(root / "_output" / "study.pdf").pages)
    flat = re.sub(r"\s+", " ", text.replace(NNBSP, " ").replace(NBSP, " "))
    assert "Figure 1" in flat and "Tableau 1" in flat and "section 2" in flat and "Section 2" not in flat
    assert "1 234 567 €" in flat
    assert "Cités Unies France" in flat and "2024" in flat  # citation and bibliography
    assert "@" not in flat and "??" not in flat
    assert "{{< fact n_cases >}}" in flat  # the escaped shortcode is printed literally


# -- HTML ----------------------------------------------------------------------------------------------------


def test_html_offline_with_one_vega_bundle(built: tuple[Path, Any]) -> None:
    root, _ = built
    page = (root / "_output" / "study.html").read_text(encoding="utf-8")
    assert external_urls(page) == []
    for tag in re.finditer(r"<(script|link|img)\b[^>]*>", page):
        assert not re.search(r"\b(src|href)\s*=\s*[\"']?(https?:)?//", tag.group(0)), tag.group(0)[:200]
    assert page.count('data-cufstudy-vega="') == 2  # two interactive charts
    bundles = re.findall(r'<script type="module"[^>]*>(.*?)</script>', page, re.S)
    assert len(bundles) == 1, "one shared Vega bundle per page"
    assert len(bundles[0]) > 300_000  # vega + vega-lite + vega-embed, inlined


def test_html_notice_crossrefs_and_typography(built: tuple[Path, Any]) -> None:
    root, _ = built
    page = (root / "_output" / "study.html").read_text(encoding="utf-8")
    assert 'class="cufstudy-notice"' in page and "Données illustratives" in page
    assert f"Figure{NBSP}1" in page and f"Tableau{NBSP}1" in page
    assert 'href="#fig-chart"' in page and 'id="fig-chart"' in page
    assert f"Bonjour{NBSP}:" in page and f"«{NBSP}oui{NBSP}»{NNBSP}!" in page
    assert 'class="callout callout-note"' in page and "À retenir" in page
    assert "Cités Unies France" in page and 'class="csl-entry"' in page


# -- DOCX ----------------------------------------------------------------------------------------------------


def test_docx_headings_header_and_images(built: tuple[Path, Any]) -> None:
    import docx

    root, _ = built
    document = docx.Document(str(root / "_output" / "study.docx"))
    headings = [p.text for p in document.paragraphs if p.style is not None and p.style.name.startswith("Heading")]
    assert any("Introduction" in h for h in headings)
    assert any("Méthode" in h for h in headings)
    header = " ".join(p.text for p in document.sections[0].header.paragraphs)
    assert NOTICE in header
    assert len(document.inline_shapes) == 3  # two charts as PNG and the PNG image
    for shape in document.inline_shapes:
        assert shape.width is not None and shape.width > 0
    styles = {p.style.name for p in document.paragraphs if p.style is not None}
    assert "Callout" in styles


# -- guards and atomicity ------------------------------------------------------------------------------------


def test_page_guard_raises_and_keeps_previous(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    build(root, profiles=["brochure"], engine="pandoc")
    previous = (root / "_output" / "brochure.pdf").read_bytes()
    long = BROCHURE_QMD + "\n".join("\nParagraphe de remplissage. " + "Texte de remplissage. " * 40 for _ in range(30))
    (root / "reports" / "brochure.qmd").write_text(long, encoding="utf-8")
    with pytest.raises(LayoutError, match=r"brochure\.pdf has \d+ pages; the brochure must have exactly 1"):
        build(root, profiles=["brochure"], engine="pandoc")
    assert (root / "_output" / "brochure.pdf").read_bytes() == previous
    with pytest.raises(LayoutError, match=r"the rejected pages are in .*_build/rejected/brochure"):
        build(root, profiles=["brochure"], engine="pandoc", preview=True)
    assert (root / "_build" / "rejected" / "brochure" / "2.png").is_file()
    assert (root / "_output" / "brochure.pdf").read_bytes() == previous


def test_failure_after_first_format_leaves_output_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cufstudy.render import engine as engine_mod

    root = make_project(tmp_path)
    build(root, profiles=["study"], engine="pandoc", formats=["html", "docx"])
    before = {p.name: p.read_bytes() for p in (root / "_output").iterdir() if p.is_file()}
    real = engine_mod.EmbeddedEngine._render_job

    def failing(self: Any, deliverable: Any, job: Any, staging: Path) -> Any:
        if job.fmt == "docx":
            raise RenderError("simulated failure")
        return real(self, deliverable, job, staging)

    monkeypatch.setattr(engine_mod.EmbeddedEngine, "_render_job", failing)
    (root / "reports" / "study.qmd").write_text(STUDY_QMD.replace("Bonjour", "Changé"), encoding="utf-8")
    with pytest.raises(RenderError, match="simulated failure"):
        build(root, profiles=["study"], engine="pandoc", formats=["html", "docx"])
    after = {p.name: p.read_bytes() for p in (root / "_output").iterdir() if p.is_file()}
    assert after == before


def test_engine_quarto_required(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    root = make_project(tmp_path / "p")
    with pytest.raises(ArgumentError, match=r"^quarto: Quarto is not installed \(no quarto on PATH"):
        build(root, engine="quarto")


def test_engine_quarto_subprocess(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in ``quarto`` on PATH: the outputs are renamed after the profile and published."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "quarto"
    fake.write_text(
        "#!/bin/sh\n"
        'out=""; while [ $# -gt 0 ]; do case "$1" in --output-dir) out="$2"; shift;; esac; shift; done\n'
        'mkdir -p "$out/reports" && printf "<html><body>ok</body></html>" > "$out/reports/brochure.html"\n'
        'echo "$@" > "$out/args"\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:/usr/bin:/bin")
    root = make_project(tmp_path / "p")
    (root / "_quarto-brochure.yml").write_text(BROCHURE_YML.replace("typst:", "html:"), encoding="utf-8")
    report = build(root, profiles=["brochure"], engine="auto")
    assert report.engine == "quarto"
    assert (root / "_output" / "brochure.html").read_text() == "<html><body>ok</body></html>"
    args = (root / "_build" / "render").glob("quarto-brochure/args")
    assert not list(args)  # the Quarto output folder is cleaned up
    # a page loading a script from a CDN is refused, whatever the engine
    fake.write_text(
        fake.read_text().replace("<body>ok", '<body><script src="https://cdn.example.org/vega.js"></script>ok')
    )
    with pytest.raises(RenderError, match=r"would load https://cdn\.example\.org/vega\.js"):
        build(root, profiles=["brochure"], engine="quarto")
    assert (root / "_output" / "brochure.html").read_text() == "<html><body>ok</body></html>"


# -- located errors --------------------------------------------------------------------------------------------


def _study_with(tmp_path: Path, extra: str) -> Path:
    root = make_project(tmp_path)
    (root / "reports" / "study.qmd").write_text(STUDY_QMD + extra, encoding="utf-8")
    return root


def _problems(root: Path) -> str:
    with pytest.raises(SourceError) as info:
        build(root, profiles=["study"], engine="pandoc", formats=["html"])
    return str(info.value)


def test_missing_fact_is_located_with_near_matches(tmp_path: Path) -> None:
    root = _study_with(tmp_path, "\nIl y a {{< fact n_case >}} cas.\n")
    message = _problems(root)
    line = STUDY_QMD.count("\n") + 2
    assert f"reports/study.qmd:{line}: n_case: unknown fact 'n_case'" in message
    assert "did you mean n_cases" in message


def test_unknown_shortcode_is_located(tmp_path: Path) -> None:
    root = _study_with(tmp_path, "\n{{< video https://example.org/v.mp4 >}}\n")
    message = _problems(root)
    assert f"reports/study.qmd:{STUDY_QMD.count(chr(10)) + 2}: unknown shortcode 'video'" in message


def test_outside_subset_is_located(tmp_path: Path) -> None:
    extra = (
        "\n```{python}\nprint(1)\n```\n"
        "\n```{=html}\n<b>x</b>\n```\n"
        "\nDu <span>HTML</span> brut.\n"
        "\n::: {.callout-danger}\nx\n:::\n"
        "\nVoir @fig-absente.\n"
        "\n{{< embed ../_build/notebooks/demo.ipynb#fig-inconnue >}}\n"
    )
    root = _study_with(tmp_path, extra)
    message = _problems(root)
    base = STUDY_QMD.count("\n") + 1
    assert f"study.qmd:{base + 1}: executable code cell {{python}}" in message
    assert f"study.qmd:{base + 5}: raw block {{=html}}" in message
    assert f"study.qmd:{base + 9}: raw HTML <span>" in message
    assert f"study.qmd:{base + 11}: unknown callout type callout-danger" in message
    assert f"study.qmd:{base + 15}: cross-reference @fig-absente has no target" in message
    assert f"study.qmd:{base + 17}: no cell labelled 'fig-inconnue'" in message


def test_missing_citation_is_located(tmp_path: Path) -> None:
    root = _study_with(tmp_path, "\nComme le dit @inconnu2020.\n")
    with pytest.raises(SourceError, match=rf"study\.qmd:{STUDY_QMD.count(chr(10)) + 2}: citation @inconnu2020"):
        build(root, profiles=["study"], engine="pandoc", formats=["html"])


def test_error_in_included_file_names_it(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    (root / "reports" / "_chapter.qmd").write_text(CHAPTER_QMD + "\n{{< fact nope >}}\n", encoding="utf-8")
    message = _problems(root)
    assert f"reports/_chapter.qmd:{CHAPTER_QMD.count(chr(10)) + 2}: nope: unknown fact 'nope'" in message


def test_unsupported_format_option_is_located(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    (root / "_quarto-study.yml").write_text(STUDY_YML.replace("toc: true", "toc: true\n    mermaid-format: svg"))
    with pytest.raises(
        SourceError, match=r"_quarto-study\.yml:7: format\.html\.mermaid-format: option 'mermaid-format'"
    ):
        build(root, profiles=["study"], engine="pandoc")


def test_pagebreak_in_every_format(built: tuple[Path, Any]) -> None:
    import zipfile

    from pypdf import PdfReader

    root, _ = built
    assert 'class="page-break"' in (root / "_output" / "study.html").read_text(encoding="utf-8")
    xml = zipfile.ZipFile(root / "_output" / "study.docx").read("word/document.xml").decode()
    assert '<w:br w:type="page" />' in xml or '<w:br w:type="page"/>' in xml
    pages = [p.extract_text() for p in PdfReader(root / "_output" / "study.pdf").pages]
    last = pages[-1]
    assert "Références" in last and "Méthode" not in last  # the bibliography starts a new page


def test_unnumbered_section_reference_uses_the_title(built: tuple[Path, Any]) -> None:
    root, _ = built
    page = (root / "_output" / "study.html").read_text(encoding="utf-8")
    assert f'<a href="#sec-method">section «{NBSP}Méthode{NBSP}»</a>' in page


def test_quarto_date_and_author_forms() -> None:
    import datetime as dt

    from cufstudy.core.french import format_date as _french_date
    from cufstudy.render.engine import _authors

    assert _french_date(dt.date(2026, 11, 1)) == "1er novembre 2026"
    assert _french_date(dt.date(2026, 2, 14)) == "14 février 2026"
    assert _authors("Équipe") == ["Équipe"]
    assert _authors([{"name": "A. Martin", "affiliation": "CUF"}, "B"]) == ["A. Martin", "B"]


def test_a_table_cell_with_a_sentence_for_too_few_data_keeps_its_caption_and_number(tmp_path: Path) -> None:
    """cufstudy.notebook.say in a tbl- cell (too few cases): the sentence in the table's place, captioned."""
    root = make_project(tmp_path)
    notebook = root / "_build" / "notebooks" / "demo.ipynb"
    nb = nbformat.read(str(notebook), as_version=4)
    sentence = "Trop peu de cas pour une typologie issue des données (n = 3 ; il en faut au moins 5)."
    nb.cells.append(
        _code(
            "#| label: tbl-classes\n#| tbl-cap: Classes issues des données\nsay(too_few)",
            [_display({"text/markdown": f"*{sentence}*", "text/plain": sentence})],
        )
    )
    nbformat.write(nb, str(notebook))
    chapter = root / "reports" / "_chapter.qmd"
    chapter.write_text(
        chapter.read_text(encoding="utf-8")
        + "\n{{< embed ../_build/notebooks/demo.ipynb#tbl-classes >}}\n\nVoir @tbl-classes.\n",
        encoding="utf-8",
    )
    build(root, profiles=["study"], engine="pandoc", formats=["html", "pdf"])
    page = (root / "_output" / "study.html").read_text(encoding="utf-8")
    assert f"Tableau{NBSP}2" in page and 'href="#tbl-classes"' in page and 'id="tbl-classes"' in page
    assert "Classes issues des données" in page and "Trop peu de cas pour une typologie" in page
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(root / "_output" / "study.pdf").pages)
    flat = re.sub(r"\s+", " ", text.replace(NNBSP, " ").replace(NBSP, " "))
    assert "Tableau 2 : Classes issues des données" in flat and "(n = 3 ; il en faut au moins 5)" in flat


def test_a_chart_loading_its_data_from_a_url_is_refused_in_every_format_its_rows_are_not_specs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A layer's ``data.url`` is reported, in each format; inline rows that hold a ``url`` field (a link of
    the study) are data, not a spec. The French typography of a spec is applied once for all formats."""
    from cufstudy.render import _notebook
    from cufstudy.render._notebook import Assets, NotebookCell, embed_cell

    mime = "application/vnd.vegalite.v5+json"
    remote = {"layer": [{"mark": "bar", "data": {"url": "https://example.org/cas.csv"}}]}
    rows = {"mark": "bar", "data": {"values": [{"nom": "Cités Unies France", "data": {"url": "https://cuf.fr"}}]}}
    calls: list[int] = []
    real = _notebook.typeset_spec

    def counted(spec: dict[str, Any]) -> dict[str, Any]:
        calls.append(1)
        return real(spec)

    monkeypatch.setattr(_notebook, "typeset_spec", counted)
    cells = [
        NotebookCell(label, {}, ({"output_type": "display_data", "data": {mime: spec}, "metadata": {}},), 0)
        for label, spec in (("fig-distante", remote), ("fig-lignes", rows))
    ]
    for fmt in ("html", "typst", "docx"):
        reported: list[str] = []
        embed_cell(cells[0], fmt, Assets(tmp_path), "étude.qmd:3", reported.append, lambda: "c1")
        assert reported[0] == "the chart of cell 'fig-distante' loads its data from a URL; embed the data in the spec"
        reported.clear()
        html = embed_cell(cells[1], "html", Assets(tmp_path), "étude.qmd:9", reported.append, lambda: "c2")
        assert reported == [] and any("data-cufstudy-vega" in line for line in html.lines)
    assert len(calls) == 2  # one per cell, not per format
