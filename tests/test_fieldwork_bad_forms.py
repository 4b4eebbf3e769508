"""A corpus of bad capture forms: each gets its exact located message (file, sheet and cell), and no case file changes.

Every bad form is a good one (filled as an analyst would) with one mistake made the way people make it: a
status typed by hand, a date in the future, the case id edited, a recommendation's row changed, a required
cell left empty, the wrong file... The import is always run with a valid form of another case beside the
bad one, to show that one bad form stops the whole import.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from openpyxl.workbook.workbook import Workbook

from cufstudy.core.errors import DataError
from cufstudy.fieldwork.forms import write_forms
from cufstudy.fieldwork.importing import import_forms
from cufstudy.fieldwork.questions import load_questions
from cufstudy.model.cases import load_cases

from .fieldwork_helpers import copy_project, fill_form, plan_fill

TODAY = dt.date.today()
FUTURE = TODAY + dt.timedelta(days=40)
STATUSES = "Mise en œuvre, Partiellement mise en œuvre, Non engagée, Abandonnée"
ATTACHMENTS = (
    "Cabinet du maire ou du président, Direction générale ou mission transversale, Direction de l'attractivité ou "
    "de l'économie, Direction de la solidarité ou de la culture, Service mutualisé ville-intercommunalité, "
    "Association, agence ou GIP"
)
REGENERATE = "generate a new form (cufstudy fieldwork forms) and copy the answers into it"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("bad-forms") / "project", dirs=["data"])


@pytest.fixture(scope="module")
def good(project: Path) -> dict[str, Path]:
    """Valid filled forms of a DCOL case (ville-angers), a comparison authority, and another case (ville-pau)."""
    base = load_cases(project / "data")
    ids = ["ville-angers", "comparaison-agglo-fictive-b", "ville-pau"]
    forms = write_forms([base[i] for i in ids], load_questions(project / "data"), base, project / "good")
    for i, (case_id, form) in enumerate(zip(ids, forms, strict=True)):
        fill_form(form, plan_fill(base[case_id], i, TODAY))
    return dict(zip(ids, forms, strict=True))


def _edit(**cells: object) -> Callable[[Workbook], None]:
    """Set cells given as ``Sheet__A1=value`` (``E__A1`` is the Entretien sheet, ``R__`` Recommandations)."""

    def edit(wb: Workbook) -> None:
        for key, value in cells.items():
            sheet, ref = key.split("__")
            wb[{"E": "Entretien", "R": "Recommandations"}[sheet]][ref] = value

    return edit


def _delete_row(row: int) -> Callable[[Workbook], None]:
    def edit(wb: Workbook) -> None:
        for col in "ABCDEFG":
            wb["Recommandations"][f"{col}{row}"] = None

    return edit


ANGERS_2 = "Recourir au dispositif « 1 % » pour l'eau et l'assainissement"
# name, form, edit, [(cell, message)]
CORPUS: list[tuple[str, str, Callable[[Workbook], None], list[tuple[str, str]]]] = [
    ("unknown-status", "ville-angers", _edit(R__E5="Terminée"),
     [("Recommandations!E5", f"got 'Terminée', expected one of: {STATUSES} (column « Statut constaté »)")]),
    ("misspelt-status", "ville-angers", _edit(R__E6="Abandonée"),
     [("Recommandations!E6",
       f"got 'Abandonée', expected one of: {STATUSES} (did you mean 'Abandonnée'?) (column « Statut constaté »)")]),
    ("recommendation-of-another-case", "ville-angers", _edit(R__C6="Créer une agence de coopération"),
     [("Recommandations!C6",
       "recommendation 2 « Créer une agence de coopération » does not belong to case 'ville-angers', whose "
       f"recommendation 2 is « {ANGERS_2} »: the case file changed since the form was generated, or the row was "
       "edited; generate the form again")]),
    ("recommendation-that-does-not-exist", "ville-angers", _edit(R__A10=9, R__C10="Ouvrir un bureau à Bamako"),
     [("Recommandations!A10",
       "recommendation 9 does not exist: case 'ville-angers' has 5 recommendations; generate the form again")]),
    ("recommendation-row-deleted", "ville-angers", _delete_row(9),
     [("Recommandations!A9",
       "recommendation 5 of case 'ville-angers' is missing from the form; generate the form again")]),
    ("empty-date", "ville-angers", _edit(E__B12=None),
     [("Entretien!B12", "empty required cell (« Date de l'entretien »)")]),
    ("date-in-the-future", "ville-angers", _edit(E__B12=FUTURE),
     [("Entretien!B12", f"the date {FUTURE:%d/%m/%Y} is in the future (« Date de l'entretien »)")]),
    ("not-a-date", "ville-angers", _edit(E__B12="la semaine dernière"),
     [("Entretien!B12",
       "not a date: 'la semaine dernière'; enter a date such as 18/01/2022 (« Date de l'entretien »)")]),
    ("date-before-the-mission", "ville-angers", _edit(E__B12=dt.date(2018, 11, 5)),
     [("Entretien!B12", "the interview (05/11/2018) is before the mission (2019): a follow-up interview comes "
                        "after it (« Date de l'entretien »)")]),
    ("empty-role-and-format", "ville-angers", _edit(E__B13="  ", E__B14=None),
     [("Entretien!B13", "empty required cell (« Format de l'entretien »)"),
      ("Entretien!B14", "empty required cell (« Fonction de la personne interrogée »)")]),
    ("unknown-format", "ville-angers", _edit(E__B13="Visio"),
     [("Entretien!B13", "got 'Visio', expected one of: Sur place, Visioconférence, Téléphone "
                        "(« Format de l'entretien »)")]),
    ("form-for-another-case", "ville-angers", _edit(E__B5="ville-pau"),
     [("Entretien!B6", "this form is for « Ville d’Angers », but case 'ville-pau' is « Ville de Pau »: a form for "
                       "another case (was the case id changed?)")]),
    ("unknown-case", "ville-angers", _edit(E__B5="ville-angres"),
     [("Entretien!B5", "unknown case 'ville-angres' (did you mean 'ville-angers'?): the form's case is not in the "
                       "case base")]),
    ("unknown-attachment", "ville-angers", _edit(E__D19="Mairie"),
     [("Entretien!D19", f"got 'Mairie', expected one of: {ATTACHMENTS} (« Rattachement »)")]),
    ("fte-in-words", "ville-angers", _edit(E__D20="deux"),
     [("Entretien!D20", "got 'deux': expected a number (« Effectif (ETP) »)")]),
    ("fte-out-of-range", "ville-angers", _edit(E__D20=900),
     [("Entretien!D20", "got 900.0: input should be less than or equal to 500 (« Effectif (ETP) »)")]),
    ("negative-budget", "ville-angers", _edit(E__D21=-5000),
     [("Entretien!D21", "got -5000: input should be greater than or equal to 0 (« Budget annuel (€) »)")]),
    ("staff-without-attachment", "ville-angers", _edit(E__D19=None),
     [("Entretien!D19", "empty required cell (« Rattachement », needed when the organisation today is given)")]),
    ("obstacle-without-status", "ville-angers", _edit(R__E8=None, R__F8="Contraintes budgétaires"),
     [("Recommandations!E8", "empty required cell (column « Statut constaté »): an obstacle or what helped is "
                             "given for recommendation 4")]),
    ("notes-too-long", "ville-angers", _edit(E__A28="Propos. " * 1300),
     [("Entretien!A28", "got 'Propos. Propos. Propos. Propos. Propos. Propos. Propos. ...: string should have "
                        "at most 10000 characters (« Notes d'entretien »)")]),
    ("comparison-unknown-view", "comparaison-agglo-fictive-b", _edit(E__B22="Très bonne"),
     [("Entretien!B22", "got 'Très bonne', expected one of: Positive, Mitigée, Négative "
                        "(« Appréciation de l'organisation actuelle »)")]),
    ("layout-changed", "ville-angers", _edit(E__A12="Date"),
     [("Entretien!A12", f"expected « Date de l'entretien » here (found 'Date'): the form's layout was changed; "
                        f"{REGENERATE}")]),
]  # fmt: skip


def _write_bad(good: Path, edit: Callable[[Workbook], None], target: Path) -> Path:
    wb = openpyxl.load_workbook(good)
    edit(wb)
    wb.save(target)
    return target


def _case_files(project: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (project / "data" / "cases").glob("*.yaml")}


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 15 and len({name for name, *_ in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize(("name", "case", "edit", "expected"), CORPUS, ids=[c[0] for c in CORPUS])
def test_bad_form_gets_its_located_message_and_changes_nothing(
    name: str,
    case: str,
    edit: Callable[[Workbook], None],
    expected: list[tuple[str, str]],
    project: Path,
    good: dict[str, Path],
    tmp_path: Path,
) -> None:
    bad = _write_bad(good[case], edit, tmp_path / f"{name}.xlsx")
    files = _case_files(project)
    with pytest.raises(DataError) as caught:
        import_forms([good["ville-pau"], bad], project / "data")
    assert [(p.file, p.field, p.message) for p in caught.value.problems] == [
        (str(bad), cell, message) for cell, message in expected
    ]
    assert str(caught.value).startswith(f"{len(expected)} problem")
    assert "no case file was changed" in str(caught.value).splitlines()[0]
    assert _case_files(project) == files


def test_the_good_forms_are_valid(project: Path, good: dict[str, Path]) -> None:
    report = import_forms(list(good.values()), project / "data", dry_run=True)
    assert [c.case_id for c in report.changes] == list(good) and all(c.changed for c in report.changes)


def test_the_same_case_twice(project: Path, good: dict[str, Path], tmp_path: Path) -> None:
    copy = shutil.copy(good["ville-angers"], tmp_path / "fiche-angers-bis.xlsx")
    files = _case_files(project)
    with pytest.raises(DataError) as caught:
        import_forms([good["ville-angers"], copy], project / "data")
    assert [(p.file, p.field, p.message) for p in caught.value.problems] == [
        (str(copy), "Entretien!B5", f"case 'ville-angers' is also in {good['ville-angers']}: one form per case")
    ]
    assert _case_files(project) == files


def test_files_that_are_not_forms(project: Path, good: dict[str, Path], tmp_path: Path) -> None:
    ods = tmp_path / "fiche.ods"
    ods.write_bytes(b"not really")
    other = tmp_path / "classeur.xlsx"
    wb = openpyxl.Workbook()
    assert wb.active is not None
    wb.active.title = "Feuille1"
    wb.save(other)
    broken = tmp_path / "abimee.xlsx"
    broken.write_bytes(good["ville-angers"].read_bytes()[:3000])
    missing = tmp_path / "absente.xlsx"
    files = _case_files(project)
    with pytest.raises(DataError) as caught:
        import_forms([ods, other, broken, missing, good["ville-pau"]], project / "data")
    assert [(p.file, p.field, p.message) for p in caught.value.problems] == sorted([
        (str(ods), None, "a .ods file is not supported: save it as an Excel workbook (.xlsx)"),
        (str(other), "Entretien", "no sheet « Entretien »: not a capture form made by cufstudy fieldwork forms"),
        (str(broken), None, "not a readable .xlsx workbook (corrupt, or not a zip archive)"),
        (str(missing), None, "cannot read the file: No such file or directory"),
    ])  # fmt: skip
    assert str(caught.value).splitlines()[0] == "4 problems in 4 of 5 forms; no case file was changed"
    assert _case_files(project) == files


def test_every_problem_of_every_form_at_once(project: Path, good: dict[str, Path], tmp_path: Path) -> None:
    a = _write_bad(good["ville-angers"], _edit(E__B12=None, R__E5="Terminée", E__D20="deux"), tmp_path / "a.xlsx")
    b = _write_bad(good["comparaison-agglo-fictive-b"], _edit(E__B13="Visio"), tmp_path / "b.xlsx")
    with pytest.raises(DataError) as caught:
        import_forms([a, b], project / "data")
    assert [(Path(p.file).name, p.field) for p in caught.value.problems] == [
        ("a.xlsx", "Entretien!B12"), ("a.xlsx", "Entretien!D20"), ("a.xlsx", "Recommandations!E5"),
        ("b.xlsx", "Entretien!B13"),
    ]  # fmt: skip


def test_an_obstacle_typed_differently_takes_the_spelling_already_cited(
    project: Path, good: dict[str, Path], tmp_path: Path
) -> None:
    form = _write_bad(good["ville-angers"], _edit(R__E6="abandonnee", R__F6="  contexte SECURITAIRE chez le partenaire "),
                      tmp_path / "typed.xlsx")  # fmt: skip
    diff = import_forms([form], project / "data", dry_run=True).changes[0].diff
    assert '+      obstacle: "Contexte sécuritaire chez le partenaire"' in diff and "securitaire" not in diff
