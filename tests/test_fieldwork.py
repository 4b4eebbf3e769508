"""The fieldwork kit end to end: guides and forms for the default cases, forms filled and imported, the study rebuilt.

The forms of every default case are filled with openpyxl the way an analyst would, imported in one run, and
each case file is checked to have changed exactly as filled and in nothing else (values, comments, key order,
the text of every other line). The project is then built: the study's follow-up and fieldwork facts follow
the imported answers, and the interviewees' names and notes appear in the internal study and in no public
output. A form re-saved by LibreOffice imports to the same changes.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
import yaml
from openpyxl.cell.cell import MergedCell
from pypdf import PdfReader

from cufstudy.fieldwork.forms import form_name, write_forms
from cufstudy.fieldwork.guides import build_guide, default_cases, guide_name, write_guides
from cufstudy.fieldwork.importing import import_forms
from cufstudy.fieldwork.questions import load_questions
from cufstudy.model.cases import CaseBase, load_cases
from cufstudy.model.vocab import FollowUpStatus
from cufstudy.pipeline.build import build
from cufstudy.pipeline.leaks import extract_text, normalise

from .fieldwork_helpers import (
    CANARY_NAME,
    CANARY_OTHER,
    Fill,
    copy_project,
    expected_data,
    fill_form,
    plan_fill,
    resave_with_libreoffice,
    soffice,
)

TODAY = dt.date.today()
PUBLIC = ("guide", "brochure", "toolbox")
# lines an import may add or replace: follow-up, organisation and interview fields (and a literal block's lines)
CHANGED_LINE = re.compile(
    r"^\s*(-\s+)?(follow_up|status|obstacle|lever|attachment|fte|budget_eur|interviews|date|role|format|"
    r"interviewee|notes|organisation_view|imported):"
)


def _literal_block_lines(lines: list[str]) -> set[int]:
    """Indices of the lines inside a literal block (``notes: |-``): the text of multi-line notes."""
    inside: set[int] = set()
    indent = None
    for n, line in enumerate(lines):
        depth = len(line) - len(line.lstrip())
        if indent is not None and (not line.strip() or depth > indent):
            inside.add(n)
            continue
        indent = depth if re.search(r":\s*\|[-+]?$", line) else None
    return inside


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("fieldwork") / "project")


@pytest.fixture(scope="module")
def before(project: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted((project / "data" / "cases").glob("*.yaml"))}


@pytest.fixture(scope="module")
def base_before(project: Path, before: dict[str, str]) -> CaseBase:
    return load_cases(project / "data")


@pytest.fixture(scope="module")
def kit(project: Path, base_before: CaseBase) -> dict[str, list[Path]]:
    data = project / "data"
    cases = default_cases(base_before)
    questions = load_questions(data)
    guides = write_guides(cases, questions, project / "terrain" / "guides", pdf=True, fonts=project / "templates" / "fonts")
    forms = write_forms(cases, questions, base_before, project / "terrain" / "fiches")
    return {"guides": guides, "forms": forms}


@pytest.fixture(scope="module")
def fills(base_before: CaseBase) -> list[Fill]:
    return [plan_fill(case, i, TODAY) for i, case in enumerate(default_cases(base_before))]


@pytest.fixture(scope="module")
def imported(project: Path, kit: dict[str, list[Path]], fills: list[Fill]) -> Iterator[Any]:
    forms = {p.name: p for p in kit["forms"]}
    filled = [fill_form(forms[form_name(f.case_id)], f) for f in fills]
    dry = import_forms(filled, project / "data", dry_run=True)
    report = import_forms(filled, project / "data")
    yield dry, report


@pytest.fixture(scope="module")
def built(project: Path, imported: Any) -> Path:
    build(project, engine="pandoc", workers=2, progress=False)
    return project


def test_one_guide_and_one_form_per_default_case(kit: dict[str, list[Path]], base_before: CaseBase) -> None:
    cases = default_cases(base_before)
    assert len(cases) == 22  # the 18 DCOL missions of the terms of reference and 4 comparison authorities
    assert {p.name for p in kit["guides"]} == {guide_name(c.id, ext) for c in cases for ext in (".docx", ".pdf")}
    assert {p.name for p in kit["forms"]} == {form_name(c.id) for c in cases}


def test_guide_docx_has_word_styles_a4_and_the_case_data(kit: dict[str, list[Path]], project: Path,
                                                         base_before: CaseBase) -> None:  # fmt: skip
    case = base_before["ville-angers"]
    doc = docx.Document(str(project / "terrain" / "guides" / guide_name(case.id)))
    section = doc.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    styles = [p.style.name for p in doc.paragraphs if p.style is not None]
    assert styles[:2] == ["Title", "Subtitle"]
    headings = [p.text for p in doc.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    assert headings[:3] == ["La collectivité et la mission", "L’entretien",
                            "Présentation et rôle de la personne interrogée (≈\u00a05\u00a0min)"]  # fmt: skip
    assert headings[-2:] == ["Pour conclure (≈\u00a010\u00a0min)", "Après l’entretien"]
    guide = build_guide(case, load_questions(project / "data"))
    n_questions = sum(type(b).__name__ == "QuestionItem" for b in guide.blocks)
    numbered = [p for p in doc.paragraphs if p.style is not None and p.style.name == "List Number"]
    assert len(numbered) == n_questions == 13 + 4 * len(case.recommendations)  # 4 questions per recommendation
    sub = [p.text for p in doc.paragraphs if p.style is not None and p.style.name == "Heading 2"]
    assert [s for s in sub if s.startswith("Recommandation ")] == [
        f"Recommandation {i + 1}\u00a0: {t}" for i, t in enumerate(
            ["organisation du service", "financements", "mobilisation des acteurs du territoire",
             "suivi et évaluation", "communication et valorisation"])]  # fmt: skip
    quotes = [p.text for p in doc.paragraphs if p.style is not None and p.style.name == "Quote"]
    assert [normalise(q) for q in quotes] == [normalise(r.text) for r in case.recommendations]
    text = normalise(extract_text(project / "terrain" / "guides" / guide_name(case.id)))
    for expected in ("ville d'angers", "dcol 1 · stratégie · 2019", "cabinet du maire ou du président",
                     "direction générale ou mission transversale", "152 960 habitants", "codage illustratif"):  # fmt: skip
        assert normalise(expected) in text, expected
    # a table per recommendation: status boxes, obstacle, what helped
    tables = [t for t in doc.tables if t.cell(0, 0).text == "Statut"]
    assert len(tables) == len(case.recommendations)
    assert [r.cells[0].text for r in tables[0].rows] == ["Statut", "Obstacle rencontré", "Ce qui a aidé"]
    assert "☐\u00a0Mise en œuvre" in tables[0].cell(0, 1).text and "☐\u00a0Abandonnée" in tables[0].cell(0, 1).text


def test_comparison_guide_has_no_mission(kit: dict[str, list[Path]], project: Path) -> None:
    doc = docx.Document(str(project / "terrain" / "guides" / guide_name("comparaison-agglo-fictive-b")))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Recommandation 1" not in text and "Avant la mission" not in text
    assert "Qu’est-ce qui fonctionne bien dans cette organisation\u202f?" in text
    assert "Collectivité fictive, codage illustratif" in text
    assert "Organisation codée avant l’entretien\u00a0: service mutualisé ville-intercommunalité (1,5\u00a0ETP)." in text


def test_guide_pdf_is_a4_and_says_what_the_docx_says(kit: dict[str, list[Path]], project: Path,
                                                    base_before: CaseBase) -> None:  # fmt: skip
    pdf = project / "terrain" / "guides" / guide_name("ville-angers", ".pdf")
    reader = PdfReader(pdf)
    assert all((round(float(p.mediabox.width)), round(float(p.mediabox.height))) == (595, 842) for p in reader.pages)
    pdf_text = normalise(extract_text(pdf)).replace(" ", "")
    doc = docx.Document(str(project / "terrain" / "guides" / guide_name("ville-angers")))
    for p in doc.paragraphs:
        if p.style is not None and p.style.name in ("List Number", "Heading 1", "Heading 2", "Quote"):
            assert normalise(p.text).replace(" ", "") in pdf_text, p.text
    assert f"page1sur{len(reader.pages)}" in pdf_text


def test_form_layout_protection_lists_and_print_setup(kit: dict[str, list[Path]], project: Path,
                                                      base_before: CaseBase) -> None:  # fmt: skip
    case = base_before["ville-angers"]
    wb = openpyxl.load_workbook(project / "terrain" / "fiches" / form_name(case.id))
    assert wb.sheetnames == ["Entretien", "Recommandations", "Listes"]
    assert wb["Listes"].sheet_state == "hidden" and wb["Listes"]["A1"].value == "cufstudy-fieldwork-form/1"
    ws, rec = wb["Entretien"], wb["Recommandations"]
    for sheet in (ws, rec, wb["Listes"]):
        assert sheet.protection.sheet
    inputs = {"B12", "B13", "B14", "B15", "D19", "D20", "D21", "B22", "A28"}
    unlocked = {c.coordinate for row in ws.iter_rows() for c in row
                if c.protection.locked is False and not isinstance(c, MergedCell)}  # fmt: skip
    assert unlocked == inputs
    assert ws["B5"].value == "ville-angers" and ws["B6"].value == "Ville d’Angers"
    assert ws["B19"].value == "Cabinet du maire ou du président" and ws["C19"].value == "Direction générale ou mission transversale"
    assert str(ws["B25"].value).startswith("=COUNTA(Recommandations!E5:E9)")
    assert "CONFIDENTIEL" in ws["A15"].value and ws["B15"].fill.fgColor.rgb.endswith("FCE4E4")
    lists = {str(dv.sqref): (dv.type, dv.formula1) for s in (ws, rec) for dv in s.data_validations.dataValidation}
    assert lists == {
        "B12": ("date", "DATE(2018,1,1)"), "B13": ("list", "=liste_formats"), "D19": ("list", "=liste_rattachements"),
        "D20": ("decimal", "0"), "D21": ("whole", "0"), "B22": ("list", "=liste_appreciations"),
        "E5:E9": ("list", "=liste_statuts"), "F5:F9": ("list", "=liste_obstacles"),
    }  # fmt: skip
    statuses = [wb["Listes"].cell(r, 2).value for r in range(2, 6)]
    assert statuses == ["Mise en œuvre", "Partiellement mise en œuvre", "Non engagée", "Abandonnée"]
    obstacles = [wb["Listes"].cell(r, 6).value for r in range(2, 40) if wb["Listes"].cell(r, 6).value]
    assert "Contexte sécuritaire chez le partenaire" in obstacles and len(obstacles) == len(set(obstacles))
    assert [c.value for c in rec[4]] == ["N°", "Type", "Recommandation de la mission", "Suivi connu avant l’entretien",
                                         "Statut constaté", "Obstacle rencontré", "Ce qui a aidé"]  # fmt: skip
    assert [rec.cell(5 + i, 3).value for i in range(5)] == [
        r.text.replace("'", "’").replace(" %", "\u202f%").replace("« ", "«\u00a0").replace(" »", "\u00a0»")
        for r in case.recommendations
    ]
    for sheet in (ws, rec):
        assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
        assert sheet.page_setup.fitToHeight == 0 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert rec.print_title_rows == "$4:$4"


def test_import_changes_exactly_what_was_filled(project: Path, before: dict[str, str], base_before: CaseBase,
                                                fills: list[Fill], imported: Any) -> None:  # fmt: skip
    dry, report = imported
    assert not dry.written and report.written
    assert [c.diff for c in dry.changes] == [c.diff for c in report.changes]  # the dry run showed what was written
    by_id = {f.case_id: f for f in fills}
    changed = set()
    for name, old in before.items():
        new = (project / "data" / "cases" / name).read_text(encoding="utf-8")
        case_id = yaml.safe_load(old)["id"]
        if case_id not in by_id:
            assert new == old, f"{name} changed but had no form"
            continue
        changed.add(case_id)
        comparison = base_before[case_id].role == "comparison"
        assert yaml.safe_load(new) == expected_data(yaml.safe_load(old), by_id[case_id], TODAY, comparison), name
        # every other line of the file is as it was: comments, order, quoting
        old_lines, new_lines = old.splitlines(), new.splitlines()
        assert [x for x in old_lines if x.lstrip().startswith("#")] == [x for x in new_lines if x.lstrip().startswith("#")]
        matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            for line in old_lines[i1:i2]:
                assert CHANGED_LINE.match(line), f"{name}: an unrelated line was removed or changed: {line!r}"
            blocks = _literal_block_lines(new_lines)
            for k, line in enumerate(new_lines[j1:j2]):
                ok = CHANGED_LINE.match(line) or j1 + k in blocks
                assert ok, f"{name}: an unrelated line was added: {line!r}"
    assert changed == set(by_id)
    summary = report.summary()
    assert summary.endswith("22 case files updated, from 22 forms")
    # the confidential answers are where the model keeps them confidential
    base = load_cases(project / "data")
    secrets = base.confidential_values()
    assert CANARY_NAME in secrets and CANARY_OTHER in secrets
    public = base.public()
    assert CANARY_NAME not in json.dumps([c.model_dump(mode="json") for c in public], ensure_ascii=False)


def test_a_second_import_of_the_same_forms_changes_nothing(project: Path, imported: Any, kit: dict[str, list[Path]]) -> None:
    files = {p: p.read_bytes() for p in (project / "data" / "cases").glob("*.yaml")}
    report = import_forms(kit["forms"], project / "data")
    assert not any(c.changed for c in report.changes)  # the same interview (date, role) is updated, not added again
    assert {p: p.read_bytes() for p in files} == files


def test_the_study_follows_the_imported_answers(built: Path, base_before: CaseBase, fills: list[Fill]) -> None:
    facts = json.loads((built / "_build" / "facts.json").read_text(encoding="utf-8"))["facts"]
    after = load_cases(built / "data")
    assert facts["terrain.n_imported"]["value"] == 22 and facts["terrain.n_held"]["value"] == 22
    assert facts["terrain.n_comparison_held"]["value"] == 4
    for base, when in ((base_before, "before"), (after, "after")):
        assessed = [r.follow_up for c in base for r in c.recommendations if r.follow_up]
        share = round(100 * sum(f.status is FollowUpStatus.IMPLEMENTED for f in assessed) / len(assessed), 1)
        if when == "before":
            old_share = share
        else:
            assert facts["suivi.share_implemented"]["value"] == share != old_share
            assert facts["suivi.n_assessed"]["value"] == len(assessed)
    study = normalise(extract_text(built / "_output" / "study.html"))
    summary = str(facts["terrain.summary"]["text"])  # the paragraph of the study, generated from the counts
    assert normalise("sur 22 entretiens prévus, 22 ont été menés (22 fiches de saisie importées)") in normalise(
        summary
    )
    assert normalise(summary) in study
    assert normalise(f"connu, {facts['suivi.share_implemented']['text']} sont mises en œuvre") in study
    # a free-text obstacle typed in a form reaches the table of obstacles
    assert normalise("Départ de la chargée de mission « Europe » et poste vacant 8 mois") in study


def test_names_and_notes_from_the_forms_reach_the_internal_study_only(built: Path, fills: list[Fill]) -> None:
    canaries = [CANARY_NAME, CANARY_OTHER, "décrit un service plus transversal depuis la mission"]

    def flat(text: str) -> str:  # PDF lines break names at their hyphen, and words with a soft hyphen
        return re.sub(r"[\s\-\u00ad]", "", normalise(text))

    for ext in ("html", "pdf", "docx"):
        text = flat(extract_text(built / "_output" / f"study.{ext}"))
        for canary in canaries:
            assert flat(canary) in text, f"{canary} missing from study.{ext}"
    public = [p for p in (built / "_output").iterdir() if p.is_file() and p.stem in PUBLIC]
    assert {p.suffix for p in public} >= {".html", ".pdf", ".docx"}
    for path in public:
        text = flat(extract_text(path))
        for canary in canaries:
            assert flat(canary) not in text, f"{canary} leaked into {path.name}"
    for nb in (built / "_build" / "notebooks").glob("*.ipynb"):
        # the internal notebooks, embedded by the internal study only: the interviews and the case portraits
        if not nb.stem.startswith(("entretiens", "vignettes")):
            raw = flat(extract_text(nb))
            assert not any(flat(c) in raw for c in canaries), nb.name


@pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed: the re-save test needs it")
def test_a_form_resaved_by_libreoffice_imports_the_same(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project", dirs=["data"])
    base = load_cases(project / "data")
    case = base["ville-angers"]
    fill = plan_fill(case, 0, TODAY)
    form = write_forms([case], load_questions(project / "data"), base, tmp_path / "fiches")[0]
    fill_form(form, fill)
    resaved = resave_with_libreoffice(form, tmp_path / "libreoffice", tmp_path / "lo-profile")
    assert resaved.read_bytes() != form.read_bytes()
    direct = import_forms([form], project / "data", dry_run=True).changes[0].diff
    via_libreoffice = import_forms([resaved], project / "data", dry_run=True).changes[0].diff
    assert via_libreoffice == direct and "+    interviewee: \"Zébulon Quatrefages-Météyer\"" in direct
    old = (project / "data" / "cases" / "ville-angers.yaml").read_text(encoding="utf-8")
    import_forms([resaved], project / "data")
    new = yaml.safe_load((project / "data" / "cases" / "ville-angers.yaml").read_text(encoding="utf-8"))
    assert new == expected_data(yaml.safe_load(old), fill, TODAY, comparison=False)
