"""``cufstudy check``: the checks of files rendered by a plain ``quarto render`` (its post-render step).

No Quarto here: the files Quarto would render are planted in its output folder (``_build/quarto/``), the
way Quarto's post-render environment lists them (``QUARTO_PROJECT_OUTPUT_FILES``, ``QUARTO_PROFILE``). A
passing set is published into ``_output/<profile>.<ext>``; each planted violation (page count, paper size,
missing notice, external resource, pasted confidential value) fails with the file and the rule named, exit 1,
and nothing reaches ``_output/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import typst
from typer.testing import CliRunner

from cufstudy.cli import app
from cufstudy.core.errors import LayoutError, LeakError, RenderError
from cufstudy.core.french import typeset_text
from cufstudy.pipeline.checks import Requirements, check_files
from cufstudy.pipeline.lock import child_environment, project_lock
from cufstudy.pipeline.notices import DataProvenance
from cufstudy.pipeline.publish import check_for_publication

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = Path(__file__).resolve().parent / "data"
INTERVIEWEE = "Personne fictive"  # the confidential values of tests/data/good_case.yaml
NOTES = "Notes confidentielles"
STAGING = "_build/quarto/reports/guide"
#: the notice of the test project's data: its one case (tests/data/good_case.yaml) is illustrative
#: as a renderer prints it, in French typography (the planted files pass the typography check)
ILLUSTRATIVE_NOTICE = typeset_text(DataProvenance(cases=1, illustrative_cases=1).notice())

QUARTO_YML = """\
project:
  type: default
  output-dir: _build/quarto
  post-render: cufstudy check
lang: fr
cufstudy:
  data: data
"""
GUIDE_YML = """\
project:
  render:
    - reports/guide/guide.qmd
format:
  html:
    embed-resources: true
  typst:
    papersize: a4
  docx: default
cufstudy:
  audience: public
  pages:
    max: 2
  preflight:        # the planted PDFs hold one line a page: the fill rule is tested in test_preflight.py
    min-fill: 0
    min-fill-end: 0
"""
STUDY_YML = GUIDE_YML.replace("guide", "study").replace("public", "internal")
GUIDE_QMD = "# Le guide\n\n{{< embed ../../_build/notebooks/panorama.ipynb#tbl-cas >}}\n"


def pdf(tmp: Path, pages: int, *, notice: str | None = ILLUSTRATIVE_NOTICE, paper: str = "a4", text: str = "") -> bytes:
    """A PDF of ``pages`` pages, with the notice in the header of each (typst, the project's fonts)."""
    header = f"header: [#text(size: 7pt)[{notice}]]," if notice else ""
    body = "\n#pagebreak()\n".join(f"Page {n}. {text}" for n in range(1, pages + 1))
    source = tmp / "planted.typ"
    source.write_text(f'#set page(paper: "{paper}", {header})\n#set text(font: "Inter")\n{body}\n', encoding="utf-8")
    data = typst.compile(str(source), font_paths=[str(REPO / "templates" / "fonts")], ignore_system_fonts=True)
    assert isinstance(data, bytes)
    return data


def html(*, notice: str | None = ILLUSTRATIVE_NOTICE, body: str = "<p>Le guide.</p>") -> str:
    band = f'<div class="cufstudy-notice">{notice}</div>' if notice else ""
    return f"<!DOCTYPE html><html lang='fr'><head><title>Guide</title></head><body>{band}{body}</body></html>"


def docx(path: Path, *, notice: str | None = ILLUSTRATIVE_NOTICE) -> None:
    header = f"<w:hdr><w:p><w:r><w:t>{notice or ''}</w:t></w:r></w:p></w:hdr>"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "word/document.xml", "<w:document><w:body><w:p><w:r><w:t>Guide</w:t></w:r></w:p></w:body></w:document>"
        )
        zf.writestr("word/header1.xml", header)


def notebook(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cell = {"cell_type": "code", "source": "#| label: tbl-cas\nx", "metadata": {}, "execution_count": 1}
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": text}]
    path.write_text(
        '{"cells": [' + __import__("json").dumps(cell) + '], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
        encoding="utf-8",
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with one illustrative case (its interview is confidential) and Quarto's outputs of the guide."""
    root = tmp_path / "Ville d'Aix-en-Provence"
    (root / "data" / "cases").mkdir(parents=True)
    shutil.copy(TEST_DATA / "good_case.yaml", root / "data" / "cases" / "ville-exemple.yaml")
    (root / "_quarto.yml").write_text(QUARTO_YML, encoding="utf-8")
    (root / "_quarto-guide.yml").write_text(GUIDE_YML, encoding="utf-8")
    (root / "_quarto-study.yml").write_text(STUDY_YML, encoding="utf-8")
    for name in ("guide", "study"):
        (root / "reports" / name).mkdir(parents=True)
        (root / "reports" / name / f"{name}.qmd").write_text(GUIDE_QMD, encoding="utf-8")
    notebook(root / "_build" / "notebooks" / "panorama.ipynb", "18 collectivités")
    staging = root / STAGING
    staging.mkdir(parents=True)
    (staging / "guide.pdf").write_bytes(pdf(tmp_path, 2))
    (staging / "guide.html").write_text(html(), encoding="utf-8")
    docx(staging / "guide.docx")
    return root


def quarto_env(monkeypatch: pytest.MonkeyPatch, root: Path, names: list[str], profile: str = "guide") -> None:
    """What Quarto's post-render step sees: the rendered files, relative to the project, and the profile."""
    monkeypatch.chdir(root)
    monkeypatch.setenv("QUARTO_PROJECT_OUTPUT_FILES", "\n".join(f"{STAGING}/{n}" for n in names))
    monkeypatch.setenv("QUARTO_PROFILE", profile)


def check(root: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["check", "--project", str(root)])
    return result.exit_code, result.output


def published(root: Path) -> list[str]:
    out = root / "_output"
    return sorted(p.name for p in out.iterdir()) if out.is_dir() else []


def test_passing_files_are_published_under_the_deliverable_name(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    quarto_env(monkeypatch, project, ["guide.html", "guide.pdf", "guide.docx"])
    code, output = check(project)
    assert code == 0, output
    assert "checked 3 file(s): every check passed" in output
    assert published(project) == ["guide.docx", "guide.html", "guide.pdf"]
    assert (project / "_output" / "guide.pdf").read_bytes() == (project / STAGING / "guide.pdf").read_bytes()
    # run by hand, it checks what is published
    monkeypatch.delenv("QUARTO_PROJECT_OUTPUT_FILES")
    code, output = check(project)
    assert code == 0 and "checked 3 file(s)" in output


def test_a_page_count_violation_fails_and_publishes_nothing(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / STAGING / "guide.pdf").write_bytes(pdf(project.parent, 3))
    quarto_env(monkeypatch, project, ["guide.html", "guide.pdf"])
    code, output = check(project)
    assert code == 1
    assert f"{STAGING}/guide.pdf: pages: guide.pdf has 3 pages; the guide must have at most 2" in output
    assert published(project) == []  # the HTML passed, but nothing is published when one file fails


def test_a_pdf_that_is_not_a4(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / STAGING / "guide.pdf").write_bytes(pdf(project.parent, 1, paper="us-letter"))
    quarto_env(monkeypatch, project, ["guide.pdf"])
    with pytest.raises(LayoutError, match=r"guide\.pdf: a4: guide\.pdf page 1 is 612 x 792 pt, not A4"):
        check_for_publication(project)
    assert published(project) == []


def test_a_missing_notice_is_named_per_page_and_per_format(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    staging = project / STAGING
    (staging / "guide.pdf").write_bytes(pdf(project.parent, 2, notice=None))
    (staging / "guide.html").write_text(html(notice=None), encoding="utf-8")
    docx(staging / "guide.docx", notice=None)
    quarto_env(monkeypatch, project, ["guide.html", "guide.pdf", "guide.docx"])
    code, output = check(project)
    assert code == 1
    assert "guide.pdf: notice: guide.pdf: pages 1, 2 of 2 do not show the illustrative-data notice" in output
    assert "guide.html: notice: guide.html does not show the illustrative-data notice" in output
    assert "guide.docx: notice: guide.docx: no page header shows the illustrative-data notice" in output
    assert published(project) == []


def test_an_external_resource_fails(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = html(body='<script src="https://cdn.example.org/mathjax/tex-chtml.js"></script><p>x</p>')
    (project / STAGING / "guide.html").write_text(page, encoding="utf-8")
    quarto_env(monkeypatch, project, ["guide.html", "guide.pdf"])
    with pytest.raises(RenderError, match=r"guide\.html: offline: guide\.html would load https://cdn\.example\.org"):
        check_for_publication(project)
    assert published(project) == []


def test_a_pasted_confidential_value_fails_in_every_format(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    staging = project / STAGING
    pasted = "  ".join(NOTES.upper().split())  # pasted, its case and spaces changed on the way
    (staging / "guide.html").write_text(html(body=f"<p>Comme le dit {pasted}.</p>"), encoding="utf-8")
    (staging / "guide.pdf").write_bytes(pdf(project.parent, 1, text=f"Selon {INTERVIEWEE}, tout va bien."))
    quarto_env(monkeypatch, project, ["guide.html", "guide.pdf", "guide.docx"])
    code, output = check(project)
    assert code == 1
    assert "checks failed; nothing was published:" in output
    case = "data/cases/ville-exemple.yaml"
    assert (
        f"{STAGING}/guide.html: leak: contains the confidential value of {case}: interviews[0].notes "
        f"({NOTES[0]}… ({len(NOTES)} characters))" in output
    ), output
    assert (
        f"{STAGING}/guide.pdf: leak: page 1: contains the confidential value of {case}: "
        f"interviews[0].interviewee ({INTERVIEWEE[0]}… ({len(INTERVIEWEE)} characters))" in output
    ), output
    assert NOTES.casefold() not in output.casefold() and INTERVIEWEE.casefold() not in output.casefold()
    assert published(project) == []


def test_a_leak_in_an_embedded_notebook_is_found(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    notebook(project / "_build" / "notebooks" / "panorama.ipynb", f"Entretien : {INTERVIEWEE}")
    quarto_env(monkeypatch, project, ["guide.html"])
    with pytest.raises(LeakError, match=r"_build/notebooks/panorama\.ipynb: leak: contains the confidential value"):
        check_for_publication(project)
    (project / "_build" / "notebooks" / "panorama.ipynb").unlink()
    with pytest.raises(RenderError, match=r"embedded: guide: embedded notebook not found: .*panorama\.ipynb"):
        check_for_publication(project)


def test_an_internal_deliverable_is_not_leak_checked_but_keeps_the_other_rules(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    staging = project / "_build" / "quarto" / "reports" / "study"
    staging.mkdir(parents=True)
    (staging / "study.html").write_text(html(body=f"<p>{INTERVIEWEE}</p>"), encoding="utf-8")
    monkeypatch.chdir(project)
    result = check_for_publication(project, ["study"], ["_build/quarto/reports/study/study.html"])
    assert [p.name for p in (o.path for o in result.published)] == ["study.html"]
    (staging / "study.html").write_text(html(notice=None), encoding="utf-8")
    with pytest.raises(RenderError, match=r"study\.html does not show the illustrative-data notice"):
        check_for_publication(project, ["study"], [staging / "study.html"])


def test_a_file_that_is_no_deliverable_is_checked_not_published(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    extra = project / "_build" / "quarto" / "notebooks" / "entretiens-preview.html"
    extra.parent.mkdir(parents=True)
    extra.write_text(html(body="<p>aperçu</p>"), encoding="utf-8")
    monkeypatch.chdir(project)
    result = check_for_publication(project, ["guide"], [project / STAGING / "guide.html", extra])
    assert result.ignored == (extra.resolve(),) and published(project) == ["guide.html"]
    extra.write_text(html(body=f"<p>{NOTES}</p>"), encoding="utf-8")
    with pytest.raises(LeakError, match=r"entretiens-preview\.html"):
        check_for_publication(project, ["guide"], [project / STAGING / "guide.html", extra])


def test_inside_a_build_the_check_is_left_to_the_build(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Quarto started by ``cufstudy build --engine quarto`` runs its post-render step under the build's lock:
    the build checks and publishes the files itself, so the step does nothing; any other token is ignored."""
    (project / STAGING / "guide.pdf").write_bytes(pdf(project.parent, 3))  # would fail
    quarto_env(monkeypatch, project, ["guide.pdf"])
    cli = Path(sys.executable).parent / "cufstudy"
    with project_lock(project):
        token = child_environment(project)
        child = subprocess.run(
            [str(cli), "check"], env={**os.environ, **token}, capture_output=True, text=True, check=False
        )
        assert child.returncode == 0, child.stderr
        assert "inside cufstudy build, which checks and publishes the files itself" in child.stdout
        ((key, value),) = token.items()
        forged = {key: "1" + value[value.index(":") :]}  # names another process than the holder
        child = subprocess.run(
            [str(cli), "check"], env={**os.environ, **forged}, capture_output=True, text=True, check=False
        )
        assert child.returncode == 1 and "guide.pdf: pages: guide.pdf has 3 pages" in child.stderr
    assert published(project) == []


def test_check_files_reports_every_rule_at_once(tmp_path: Path) -> None:
    page = tmp_path / "guide.html"
    page.write_text(html(notice=None, body='<img src="//cdn.example.org/a.png">'), encoding="utf-8")
    report = check_files([page], Requirements("guide", notice=ILLUSTRATIVE_NOTICE, secrets=lambda: []))
    assert [v.rule for v in report.violations] == ["offline", "notice"]


def test_the_check_pool_reports_what_the_checks_in_one_process_report(tmp_path: Path) -> None:
    from cufstudy.pipeline.check_pool import CheckPool

    name = "Zébulon Quatre-Fages d’Aurélien"
    paper = tmp_path / "guide.pdf"
    paper.write_bytes(pdf(tmp_path, 3, text=f"Entretien avec {name}."))
    page = tmp_path / "guide.html"
    page.write_text(html(notice=None, body='<img src="//cdn.example.org/a.png">'), encoding="utf-8")
    word = tmp_path / "guide.docx"
    docx(word, notice=None)
    embedded = tmp_path / "nb" / "panorama.ipynb"
    notebook(embedded, f"{name.upper()} a dit")
    files, notebooks = [paper, page, word], [embedded, tmp_path / "nb" / "absent.ipynb"]
    req = Requirements("guide", notice=ILLUSTRATIVE_NOTICE, secrets=lambda: [name], preflight=None)
    alone = check_files(files, req, notebooks)
    with CheckPool(workers=2) as pool:
        pooled = pool.report(pool.submit(files, req, notebooks))
        assert pool.seconds > 0
        again = pool.report(pool.submit(files, req, notebooks))  # the children serve job after job
        assert len(pool._children) <= pool.workers
    assert pooled.pages == alone.pages == {paper: 3}
    assert sorted(map(str, pooled.violations)) == sorted(map(str, alone.violations))
    assert list(map(str, again.violations)) == list(map(str, pooled.violations))
    rules = {(v.file.name, v.rule) for v in pooled.violations}
    assert {("guide.pdf", "leak"), ("panorama.ipynb", "leak"), ("guide.html", "offline")} <= rules
    assert {("guide.docx", "notice"), ("absent.ipynb", "embedded")} <= rules
    assert name not in "".join(map(str, pooled.violations))  # the value stays masked


def test_a_check_that_cannot_read_its_file_is_an_error_naming_it(tmp_path: Path) -> None:
    from cufstudy.pipeline.check_pool import CheckPool

    broken = tmp_path / "guide.pdf"
    broken.write_bytes(b"%PDF-1.7\nnot a PDF at all")
    with CheckPool(workers=1) as pool, pytest.raises(RenderError, match=r"checks of guide\.pdf stopped"):
        pool.report(pool.submit([broken], Requirements("guide", notice=ILLUSTRATIVE_NOTICE)))


def test_one_file_is_checked_in_the_build_process(tmp_path: Path) -> None:
    from cufstudy.pipeline.check_pool import CheckPool

    page = tmp_path / "guide.html"
    page.write_text(html(notice=None), encoding="utf-8")
    with CheckPool(inline=True) as pool:
        pending = pool.submit([page], Requirements("guide", notice=ILLUSTRATIVE_NOTICE))
        assert pending.jobs[0].done()  # checked at submission, no child started
        assert [v.rule for v in pool.report(pending).violations] == ["notice"]


def _chart_notebook(path: Path, subtitle: str) -> None:
    """An executed notebook recording one Vega-Lite chart, its subtitle ``subtitle``."""
    import json

    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": {"text": "Les missions DCOL étudiées", "subtitle": subtitle},
        "mark": "bar",
        "data": {"values": [{"niveau": "Communes", "n": 10}]},
    }
    cell = {"cell_type": "code", "id": "carte-cas", "source": "chart", "metadata": {}, "execution_count": 1}
    cell["outputs"] = [{"output_type": "display_data", "metadata": {}, "data": {"application/vnd.vegalite.v5+json": spec}}]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")


def test_the_charts_of_a_pdf_deliverable_are_judged_in_their_specifications(tmp_path: Path) -> None:
    """A PDF gives a chart's spaces as gaps between glyphs, of no known kind, and a DOCX shows a picture: the
    typography of the charts a PDF or DOCX deliverable embeds is read in the notebooks' specifications."""
    paper = tmp_path / "brochure.pdf"
    paper.write_bytes(pdf(tmp_path, 1))
    req = Requirements("brochure", notice=ILLUSTRATIVE_NOTICE)
    plain, kept = tmp_path / "nb" / "plaquette.ipynb", tmp_path / "nb" / "panorama.ipynb"
    _chart_notebook(plain, "Base : n = 18 missions DCOL")  # plain spaces: a fault in French
    _chart_notebook(kept, "Base\u00a0: n\u00a0=\u00a018 missions DCOL")
    found = check_files([paper], req, [plain, kept]).violations
    assert [(v.file.name, v.rule) for v in found] == [("plaquette.ipynb", "typography")]
    assert "space before :" in str(found[0]) and "Les missions DCOL étudiées" in str(found[0])
    page = tmp_path / "brochure.html"  # an HTML page judges the charts it draws itself
    page.write_text(html(), encoding="utf-8")
    assert check_files([page], req, [plain]).violations == []
