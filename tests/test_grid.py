"""The transferable Excel grid: template layout, round trip, a corpus of bad workbooks with exact cells, the CLI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.workbook.workbook import Workbook
from typer.testing import CliRunner

from cufstudy.cli import app
from cufstudy.core.errors import DataError
from cufstudy.sdg.framework import load_framework
from cufstudy.sdg.grid import SHEETS, import_grid, to_yaml, write_template
from cufstudy.sdg.partnerships import Partnership, load_partnership

from .conftest import DATA

FW = load_framework(DATA)
PILOT = load_partnership(DATA / "partnerships" / "aude-hauts-bassins.yaml", FW)
SIDE = {"france": "France", "partner": "Partenaire", "both": "Les deux"}
SOURCE = {"un": "ONU", "insee": "INSEE", "oecd": "OCDE", "local": "local"}


def fill(wb: Workbook, p: Partnership) -> None:
    """Fill the template's cells the way a person would, column by column (the layout is part of the test)."""
    form = wb["Partenariat"]
    fa, pop = p.french_authority, p.french_authority.population
    assert pop is not None
    values: list[Any] = [p.id, p.title, "illustratif", p.provenance_note, fa.name, "Département", fa.code, pop.value, pop.year,
              pop.source, p.partner.name, p.partner.country, p.partner.level, p.since]  # fmt: skip
    for r, value in enumerate(values, start=2):
        form.cell(r, 2, value)
    ws = wb["Projets"]
    row: list[Any]
    for r, pr in enumerate(p.projects, start=2):
        row = [pr.id, pr.title, " ; ".join(pr.themes), pr.start, pr.end, pr.budget_eur, "; ".join(pr.co_funders)]
        for c, value in enumerate(row, start=1):
            ws.cell(r, c, value or None)
    ws = wb["Cibles"]
    r = 2
    for pr in p.projects:
        for link in pr.links:
            row = [
                pr.id,
                int(link.target.split(".")[0]),
                link.target,
                None,
                int(link.level),
                SIDE[link.side],
                link.evidence,
            ]
            for c, value in enumerate(row, start=1):
                if c != 4:  # the automatic title column keeps its formula
                    ws.cell(r, c, value)
            r += 1
    ws = wb["Indicateurs"]
    for r, ind in enumerate(p.indicators, start=2):
        cur = ind.current
        row = [ind.id, SOURCE[ind.source], ind.code, ind.name, None, ind.sdg_target, ind.unit,
               SIDE[ind.side] if ind.side else None, ind.baseline.value, ind.baseline.year, ind.target_2030,
               cur.value if cur else None, cur.year if cur else None, None]  # fmt: skip
        for c, value in enumerate(row, start=1):
            if c != 5:
                ws.cell(r, c, value)
    ws = wb["Feuille de route"]
    for r, a in enumerate(p.roadmap, start=2):
        for c, item in enumerate([a.action, a.owner, a.date, a.indicator, a.project], start=1):
            ws.cell(r, c, item)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_template(tmp_path_factory.mktemp("grid") / "grille.xlsx", FW)


@pytest.fixture(scope="module")
def filled(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    wb = openpyxl.load_workbook(template)
    fill(wb, PILOT)
    out = tmp_path_factory.mktemp("filled") / "aude.xlsx"
    wb.save(out)
    return out


def test_template_layout(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames == list(SHEETS)
    assert wb["Listes"].sheet_state == "hidden"
    assert all(wb[s].sheet_state == "visible" for s in SHEETS[:-1])
    cibles = wb["Cibles"]
    assert [c.value for c in cibles[1]] == [
        "Projet",
        "ODD",
        "Cible",
        "Intitulé de la cible",
        "Niveau",
        "Territoire",
        "Justification",
    ]
    assert cibles.freeze_panes == "A2"
    assert cibles.column_dimensions["G"].width == 70
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in cibles.data_validations.dataValidation}
    assert lists == {
        "A2": "=liste_projets",
        "B2": "=liste_odd",
        "C2": "=liste_cibles",
        "E2": "=liste_niveaux",
        "F2": "=liste_territoires",
    }
    # the hidden lists: 169 targets with their French titles, levels 0-4, the three territories
    names = wb.defined_names
    assert names["liste_cibles"].attr_text == "'Listes'!$D$2:$D$170"
    listes = wb["Listes"]
    targets = [listes.cell(r, 4).value for r in range(2, 171)]
    assert len(set(targets)) == 169 and targets[0] == "1.1" and targets[-1] == "17.19"
    assert str(listes.cell(2, 5).value).startswith("D’ici à 2030, éliminer complètement l’extrême pauvreté")
    assert [listes.cell(r, 7).value for r in range(2, 7)] == [0, 1, 2, 3, 4]
    assert [listes.cell(r, 11).value for r in range(2, 5)] == ["France", "Partenaire", "Les deux"]
    # French instructions, with French typography
    text = "\n".join(str(c.value) for c in wb["Instructions"]["A"] if c.value)
    assert "4 – Structurante\u00a0: la cible est l'objectif principal du projet" in text
    assert "« cufstudy sdg import »" not in text and "«\u00a0cufstudy sdg import\u00a0»" in text


def test_template_refuses_to_overwrite_and_non_xlsx(template: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="the file exists"):
        write_template(template, FW)
    with pytest.raises(DataError, match=r"must be an \.xlsx file"):
        write_template(tmp_path / "grille.xls", FW)


def test_round_trip_template_filled_import_equals_pilot(filled: Path) -> None:
    assert import_grid(filled, FW) == PILOT


def test_to_yaml_round_trip_and_refusal(filled: Path, tmp_path: Path) -> None:
    imported = import_grid(filled, FW)
    path = to_yaml(imported, data=tmp_path, source=filled.name)
    assert path == tmp_path / "partnerships" / "aude-hauts-bassins.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Partenariat « Coopération décentralisée Aude – Hauts-Bassins ».\n# Importé de aude.xlsx")
    assert "# VALEURS ILLUSTRATIVES" in text
    assert load_partnership(path, FW) == PILOT
    with pytest.raises(DataError, match="the file exists"):
        to_yaml(imported, data=tmp_path)
    to_yaml(imported, data=tmp_path, overwrite=True)
    with pytest.raises(DataError, match="must be named after the partnership"):
        to_yaml(imported, tmp_path / "autre.yaml")


# ---------------------------------------------------------------------------------------------------------
# the corpus of bad workbooks: each built from the filled pilot, with the exact cell and message

Edit = Callable[[Workbook], None]


def cell(sheet: str, ref: str, value: Any) -> Edit:
    def edit(wb: Workbook) -> None:
        wb[sheet][ref] = value

    return edit


def edits(*steps: Edit) -> Edit:
    def edit(wb: Workbook) -> None:
        for step in steps:
            step(wb)

    return edit


def drop_sheet(name: str) -> Edit:
    def edit(wb: Workbook) -> None:
        del wb[name]

    return edit


BAD: dict[str, tuple[Edit, list[tuple[str, str]]]] = {
    "unknown_target": (
        cell("Cibles", "C3", "6.9"),
        [
            (
                "Cibles!C3",
                "unknown SDG target '6.9' (did you mean '16.9'?); goal 6 has the targets 6.1, 6.2, 6.3, 6.4, 6.5, 6.6, 6.a, 6.b (column « Cible »)",
            )
        ],
    ),
    "level_7": (
        cell("Cibles", "E2", 7),
        [
            (
                "Cibles!E2",
                "got 7: expected a contribution level from 0 to 4 (0 none, 1 awareness or indirect, 2 output, 3 outcome, 4 principal or structural) (column « Niveau »)",
            )
        ],
    ),
    "empty_required_cell": (
        cell("Projets", "B3", None),
        [("Projets!B3", "empty required cell (column « Intitulé »)")],
    ),
    "project_not_in_projets": (
        cell("Cibles", "A6", "agroecolgie"),
        [
            (
                "Cibles!A6",
                "project 'agroecolgie' is not in the Projets sheet (did you mean 'agroecologie'?) (column « Projet »)",
            )
        ],
    ),
    "not_a_date": (
        cell("Projets", "D2", "bientôt"),
        [("Projets!D2", "not a date: 'bientôt'; enter a date such as 31/12/2022 (column « Date de début »)")],
    ),
    "missing_sheet": (
        drop_sheet("Indicateurs"),
        [("Indicateurs", "missing sheet « Indicateurs »: start from the template (cufstudy sdg grid-template)")],
    ),
    "renamed_header": (
        cell("Cibles", "E1", "Niveau de contribution"),
        [
            (
                "Cibles!E1",
                "column « Niveau » not found (found 'Niveau de contribution' there): headers must not be renamed",
            )
        ],
    ),
    "bad_country": (
        cell("Partenariat", "B13", "BFA"),
        [
            (
                "Partenariat!B13",
                "unknown country code 'BFA': expected an ISO 3166-1 alpha-2 code in capitals, e.g. 'BF', 'ML' (row « Partenaire : pays »)",
            )
        ],
    ),
    "lowercase_country": (
        cell("Partenariat", "B13", "bf"),
        [
            (
                "Partenariat!B13",
                "unknown country code 'bf' (did you mean 'BF'?): expected an ISO 3166-1 alpha-2 code in capitals, e.g. 'BF', 'ML' (row « Partenaire : pays »)",
            )
        ],
    ),
    "side_near_miss": (
        cell("Cibles", "F2", "Partenair"),
        [
            (
                "Cibles!F2",
                "got 'Partenair', expected one of: France, Partenaire, Les deux (did you mean 'Partenaire'?) (column « Territoire »)",
            )
        ],
    ),
    "evidence_missing": (
        cell("Cibles", "G4", None),
        [
            (
                "Cibles!G4",
                "a contribution level of 3 needs its evidence (what the project did) (column « Justification »)",
            )
        ],
    ),
    "goal_does_not_match_target": (
        cell("Cibles", "B2", 7),
        [("Cibles!B2", "goal 7 does not match the target '6.1' (column « ODD »)")],
    ),
    "target_typed_as_number": (
        cell("Cibles", "C2", 6.1),
        [
            (
                "Cibles!C2",
                "got the number 6.1: write the target code as text in quotes, e.g. '8.10' (as a number it loses its trailing zero) (column « Cible »)",
            )
        ],
    ),
    "duplicate_target_in_project": (
        cell("Cibles", "C3", "6.1"),
        [
            (
                "Cibles!C3",
                "target '6.1' is linked twice to this project; keep one link, with the highest level (column « Cible »)",
            )
        ],
    ),
    "unknown_un_indicator": (
        cell("Indicateurs", "C2", "6.1.9"),
        [
            (
                "Indicateurs!C2",
                "unknown UN global indicator '6.1.9' (did you mean '6.1.1'?); for a national or local indicator set the source (insee, oecd, local) and its name (column « Code »)",
            )
        ],
    ),
    "local_indicator_without_name": (
        cell("Indicateurs", "D5", None),
        [
            (
                "Indicateurs!D5",
                "a national, territorial or local indicator needs its name (no code is invented) (column « Nom »)",
            )
        ],
    ),
    "roadmap_unknown_indicator": (
        cell("Feuille de route", "D3", "acces-eau"),
        [
            (
                "Feuille de route!D3",
                "unknown indicator 'acces-eau' (did you mean 'acces-eau-potable'?): the indicators ids are acces-eau-potable, assainissement, naissances-enregistrees, pertes-apres-recolte, surfaces-agroecologie, jeunes-formes, neet-aude (column « Indicateur »)",
            )
        ],
    ),
    "end_before_start": (
        cell("Projets", "E2", dt.datetime(2018, 12, 31)),
        [("Projets!E2", "the end date 2018-12-31 is before the start date 2019-01-01 (column « Date de fin »)")],
    ),
    "form_row_renamed": (
        cell("Partenariat", "A12", "Nom du partenaire"),
        [("Partenariat!A1", "row « Partenaire : nom » not found in column A; do not rename or delete the form's rows")],
    ),
    "budget_not_a_number": (
        cell("Projets", "F2", "beaucoup"),
        [("Projets!F2", "got 'beaucoup': expected a whole number (column « Budget (€) »)")],
    ),
    "every_problem_at_once": (
        edits(
            cell("Cibles", "E2", 7),
            cell("Cibles", "C3", "6.9"),
            cell("Projets", "D2", "bientôt"),
            cell("Projets", "B3", None),
        ),
        [
            (
                "Cibles!C3",
                "unknown SDG target '6.9' (did you mean '16.9'?); goal 6 has the targets 6.1, 6.2, 6.3, 6.4, 6.5, 6.6, 6.a, 6.b (column « Cible »)",
            ),
            (
                "Cibles!E2",
                "got 7: expected a contribution level from 0 to 4 (0 none, 1 awareness or indirect, 2 output, 3 outcome, 4 principal or structural) (column « Niveau »)",
            ),
            ("Projets!B3", "empty required cell (column « Intitulé »)"),
            ("Projets!D2", "not a date: 'bientôt'; enter a date such as 31/12/2022 (column « Date de début »)"),
        ],
    ),
}


@pytest.fixture(scope="module")
def filled_book(filled: Path) -> bytes:
    return filled.read_bytes()


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_workbook_reports_exact_cell_and_message(name: str, filled_book: bytes, tmp_path: Path) -> None:
    edit, expected = BAD[name]
    source = tmp_path / "source.xlsx"
    source.write_bytes(filled_book)
    wb = openpyxl.load_workbook(source)
    edit(wb)
    path = tmp_path / f"{name}.xlsx"
    wb.save(path)
    with pytest.raises(DataError) as info:
        import_grid(path, FW)
    got = [(p.field, p.message.replace("\u00a0", " ")) for p in info.value.problems]
    assert got == expected
    assert all(p.file == str(path) and p.line is None for p in info.value.problems)
    assert str(info.value).startswith(
        f"{len(expected)} problem{'s' if len(expected) > 1 else ''} in {path}; nothing was imported"
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("grille.csv", b"a;b\n", "a .csv file is not supported: save it as an Excel workbook (.xlsx)"),
        ("grille.xls", b"\xd0\xcf\x11\xe0", "a .xls file is not supported: save it as an Excel workbook (.xlsx)"),
        ("grille.txt", b"hello", "not an Excel workbook: expected an .xlsx file"),
        (
            "corrupt.xlsx",
            b"PK\x03\x04 this is not a zip",
            "not a readable .xlsx workbook (corrupt, or not a zip archive)",
        ),
        ("empty.xlsx", b"", "not a readable .xlsx workbook (corrupt, or not a zip archive)"),
    ],
)
def test_unreadable_files(name: str, content: bytes, message: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError) as info:
        import_grid(path, FW)
    assert [(p.file, p.field, p.message) for p in info.value.problems] == [(str(path), None, message)]


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    with pytest.raises(DataError, match=r"not a readable \.xlsx workbook \(KeyError"):
        import_grid(path, FW)


def test_empty_template_reports_required_fields(template: Path) -> None:
    with pytest.raises(DataError) as info:
        import_grid(template, FW)
    got = {(p.field, p.message.replace("\u00a0", " ")) for p in info.value.problems}
    assert ("Partenariat!B2", "empty required cell (row « Identifiant du partenariat »)") in got
    assert ("Projets!A2", "no project: describe at least one project") in got
    assert len(got) == 7  # id, French name and level, partner name, country and level, no project


# ---------------------------------------------------------------------------------------------------------
# the command line

runner = CliRunner()


def test_cli_grid_template_and_import(tmp_path: Path, filled: Path) -> None:
    out = tmp_path / "grille.xlsx"
    result = runner.invoke(app, ["sdg", "grid-template", str(out), "--data", str(DATA)])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out, read_only=True).sheetnames == list(SHEETS)
    result = runner.invoke(app, ["sdg", "grid-template", str(out), "--data", str(DATA)])
    assert result.exit_code == 1 and "the file exists" in result.output
    to = tmp_path / "partnerships" / "aude-hauts-bassins.yaml"
    result = runner.invoke(app, ["sdg", "import", str(filled), "--to", str(to), "--data", str(DATA)])
    assert result.exit_code == 0, result.output
    assert "aude-hauts-bassins: 4 projects, 15 target links (9 goals), 7 indicators, 9 roadmap actions" in result.output
    assert load_partnership(to, FW) == PILOT


def test_cli_import_reports_located_problems_without_traceback(tmp_path: Path, filled_book: bytes) -> None:
    source = tmp_path / "source.xlsx"
    source.write_bytes(filled_book)
    wb = openpyxl.load_workbook(source)
    wb["Cibles"]["E2"] = 7
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    result = runner.invoke(app, ["sdg", "import", str(bad), "--data", str(DATA)])
    assert result.exit_code == 1
    assert f"{bad}: Cibles!E2: got 7: expected a contribution level from 0 to 4" in result.output
    assert "Traceback" not in result.output
    missing = runner.invoke(app, ["sdg", "import", str(tmp_path / "absent.xlsx"), "--data", str(DATA)])
    assert missing.exit_code == 1 and "cannot read the file" in missing.output
