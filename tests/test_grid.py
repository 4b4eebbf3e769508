"""The transferable Excel grid: template layout, round trip, a corpus of bad workbooks with exact cells, the CLI."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
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
from .fieldwork_helpers import soffice

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
    assert "4 – Structurante\u00a0: la cible est l’objectif principal du projet" in text
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
                "cible ODD inconnue « 6.9 » (vouliez-vous dire « 16.9 » ?) ; les cibles de l'objectif 6 sont 6.1, 6.2, 6.3, 6.4, 6.5, 6.6, 6.a, 6.b (colonne « Cible »)",
            )
        ],
    ),
    "level_7": (
        cell("Cibles", "E2", 7),
        [
            (
                "Cibles!E2",
                "niveau 7 hors échelle : un niveau de contribution de 0 à 4 est attendu (0 aucune, 1 sensibilisation, 2 réalisation, 3 effet, 4 structurante) (colonne « Niveau »)",
            )
        ],
    ),
    "empty_required_cell": (
        cell("Projets", "B3", None),
        [("Projets!B3", "cellule obligatoire vide (colonne « Intitulé »)")],
    ),
    "project_not_in_projets": (
        cell("Cibles", "A6", "agroecolgie"),
        [
            (
                "Cibles!A6",
                "le projet « agroecolgie » n'est pas dans la feuille Projets (vouliez-vous dire « agroecologie » ?) (colonne « Projet »)",
            )
        ],
    ),
    "not_a_date": (
        cell("Projets", "D2", "bientôt"),
        [("Projets!D2", "date illisible « bientôt » : saisissez une date comme 31/12/2022 (colonne « Date de début »)")],
    ),
    "missing_sheet": (
        drop_sheet("Indicateurs"),
        [("Indicateurs", "feuille « Indicateurs » absente : repartez du modèle (cufstudy sdg grid-template)")],
    ),
    "renamed_header": (
        cell("Cibles", "E1", "Niveau de contribution"),
        [
            (
                "Cibles!E1",
                "colonne « Niveau » introuvable (la cellule contient « Niveau de contribution ») : ne renommez pas les en-têtes",
            )
        ],
    ),
    "bad_country": (
        cell("Partenariat", "B13", "BFA"),
        [
            (
                "Partenariat!B13",
                "code pays inconnu « BFA » : un code ISO 3166-1 alpha-2 en majuscules est attendu, par exemple « BF », « ML » (ligne « Partenaire : pays »)",
            )
        ],
    ),
    "lowercase_country": (
        cell("Partenariat", "B13", "bf"),
        [
            (
                "Partenariat!B13",
                "code pays inconnu « bf » (vouliez-vous dire « BF » ?) : un code ISO 3166-1 alpha-2 en majuscules est attendu, par exemple « BF », « ML » (ligne « Partenaire : pays »)",
            )
        ],
    ),
    "side_near_miss": (
        cell("Cibles", "F2", "Partenair"),
        [
            (
                "Cibles!F2",
                "valeur « Partenair » hors liste ; valeurs possibles : France, Partenaire, Les deux (vouliez-vous dire « Partenaire » ?) (colonne « Territoire »)",
            )
        ],
    ),
    "evidence_missing": (
        cell("Cibles", "G4", None),
        [
            (
                "Cibles!G4",
                "un niveau de contribution de 3 demande sa justification (ce que le projet a fait) (colonne « Justification »)",
            )
        ],
    ),
    "goal_does_not_match_target": (
        cell("Cibles", "B2", 7),
        [("Cibles!B2", "l'objectif 7 ne correspond pas à la cible « 6.1 » (colonne « ODD »)")],
    ),
    "target_typed_as_number": (
        cell("Cibles", "C2", 6.1),
        [
            (
                "Cibles!C2",
                "le nombre 6,1 a été saisi : écrivez le code de la cible comme du texte, par exemple « 8.10 » (en nombre, il perd son zéro final) (colonne « Cible »)",
            )
        ],
    ),
    "duplicate_target_in_project": (
        cell("Cibles", "C3", "6.1"),
        [
            (
                "Cibles!C3",
                "la cible « 6.1 » est liée deux fois à ce projet : gardez un seul lien, au niveau le plus haut (colonne « Cible »)",
            )
        ],
    ),
    "unknown_un_indicator": (
        cell("Indicateurs", "C2", "6.1.9"),
        [
            (
                "Indicateurs!C2",
                "indicateur mondial de l'ONU inconnu « 6.1.9 » (vouliez-vous dire « 6.1.1 » ?) ; pour un indicateur national ou local, choisissez sa source (INSEE, OCDE, local) et donnez son nom (colonne « Code »)",
            )
        ],
    ),
    "local_indicator_without_name": (
        cell("Indicateurs", "D5", None),
        [
            (
                "Indicateurs!D5",
                "un indicateur national, territorial ou local demande son nom (aucun code n'est inventé) (colonne « Nom »)",
            )
        ],
    ),
    "roadmap_unknown_indicator": (
        cell("Feuille de route", "D3", "acces-eau"),
        [
            (
                "Feuille de route!D3",
                "indicateur inconnu « acces-eau » (vouliez-vous dire « acces-eau-potable » ?) : les identifiants des indicateurs sont acces-eau-potable, assainissement, naissances-enregistrees, pertes-apres-recolte, surfaces-agroecologie, jeunes-formes, neet-aude (colonne « Indicateur »)",
            )
        ],
    ),
    "end_before_start": (
        cell("Projets", "E2", dt.datetime(2018, 12, 31)),
        [("Projets!E2", "la date de fin 31/12/2018 précède la date de début 01/01/2019 (colonne « Date de fin »)")],
    ),
    "form_row_renamed": (
        cell("Partenariat", "A12", "Nom du partenaire"),
        [("Partenariat!A1", "ligne « Partenaire : nom » introuvable en colonne A : ne renommez ni ne supprimez les lignes du formulaire")],
    ),
    "budget_not_a_number": (
        cell("Projets", "F2", "beaucoup"),
        [("Projets!F2", "valeur « beaucoup » : un nombre entier est attendu (colonne « Budget (€) »)")],
    ),
    "bad_project_id": (
        edits(cell("Projets", "A2", "Eau Potable"), cell("Cibles", "A2", "Eau Potable"), cell("Cibles", "A3", "Eau Potable"),
              cell("Cibles", "A4", "Eau Potable"), cell("Cibles", "A5", "Eau Potable")),
        [
            # the roadmap still names the project by its old id
            ("Feuille de route!E3", "projet inconnu « eau-assainissement » : les identifiants des projets sont Eau Potable, agroecologie, gouvernance-etat-civil, jeunesse-citoyennete (colonne « Projet »)"),
            ("Feuille de route!E5", "projet inconnu « eau-assainissement » : les identifiants des projets sont Eau Potable, agroecologie, gouvernance-etat-civil, jeunesse-citoyennete (colonne « Projet »)"),
            ("Projets!A2", "« Eau Potable » n'est pas un identifiant valable : minuscules, chiffres et tirets simples, par exemple « eau-potable » (colonne « Identifiant »)"),
        ],
    ),
    "short_title": (
        cell("Projets", "B2", "Eu"),
        [("Projets!B2", "texte trop court : au moins 3 caractère(s) (colonne « Intitulé »)")],
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
                "cible ODD inconnue « 6.9 » (vouliez-vous dire « 16.9 » ?) ; les cibles de l'objectif 6 sont 6.1, 6.2, 6.3, 6.4, 6.5, 6.6, 6.a, 6.b (colonne « Cible »)",
            ),
            (
                "Cibles!E2",
                "niveau 7 hors échelle : un niveau de contribution de 0 à 4 est attendu (0 aucune, 1 sensibilisation, 2 réalisation, 3 effet, 4 structurante) (colonne « Niveau »)",
            ),
            ("Projets!B3", "cellule obligatoire vide (colonne « Intitulé »)"),
            ("Projets!D2", "date illisible « bientôt » : saisissez une date comme 31/12/2022 (colonne « Date de début »)"),
        ],
    ),
}  # fmt: skip


def _plain(text: str) -> str:
    """A message with its French no-break spaces as plain spaces (for comparison)."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


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
    got = [(p.field, _plain(p.message)) for p in info.value.problems]
    assert got == expected
    assert all(p.file == str(path) and p.line is None for p in info.value.problems)
    assert _plain(str(info.value)).startswith(
        f"{len(expected)} problème{'s' if len(expected) > 1 else ''} dans {path} ; rien n'a été importé"
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("grille.csv", b"a;b\n", "un fichier .csv n'est pas accepté : enregistrez-le comme classeur Excel (.xlsx)"),
        ("grille.xls", b"\xd0\xcf\x11\xe0", "un fichier .xls n'est pas accepté : enregistrez-le comme classeur Excel (.xlsx)"),
        ("grille.txt", b"hello", "ce n'est pas un classeur Excel : un fichier .xlsx est attendu"),
        ("corrupt.xlsx", b"PK\x03\x04 this is not a zip", "classeur .xlsx illisible (endommagé, ou pas une archive zip)"),
        ("empty.xlsx", b"", "classeur .xlsx illisible (endommagé, ou pas une archive zip)"),
    ],
)
def test_unreadable_files(name: str, content: bytes, message: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError) as info:
        import_grid(path, FW)
    assert [(p.file, p.field, _plain(p.message)) for p in info.value.problems] == [(str(path), None, message)]
    assert _plain(str(info.value)).startswith(f"1 problème dans {path} ; rien n'a été importé")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        import_grid(tmp_path / "absente.xlsx", FW)
    assert [p.message for p in info.value.problems] == ["fichier introuvable"]


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    with pytest.raises(DataError, match=r"classeur \.xlsx illisible \(KeyError\)"):
        import_grid(path, FW)


def test_empty_template_reports_required_fields(template: Path) -> None:
    with pytest.raises(DataError) as info:
        import_grid(template, FW)
    got = {(p.field, _plain(p.message)) for p in info.value.problems}
    assert ("Partenariat!B2", "cellule obligatoire vide (ligne « Identifiant du partenariat »)") in got
    assert ("Projets!A2", "aucun projet : décrivez au moins un projet") in got
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
    assert f"{bad}: Cibles!E2: niveau 7 hors échelle : un niveau de contribution de 0 à 4" in _plain(result.output)
    assert "Traceback" not in result.output
    missing = runner.invoke(app, ["sdg", "import", str(tmp_path / "absent.xlsx"), "--data", str(DATA)])
    assert missing.exit_code == 1 and "absent.xlsx: fichier introuvable" in missing.output


# ---------------------------------------------------------------------------------------------------------
# a grid a partner can print and fill: print settings, protection, row heights, labels, read back


TABLE_SHEETS = ["Projets", "Cibles", "Indicateurs", "Feuille de route"]


def test_every_sheet_prints_a4_landscape_fitted_to_the_width(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    for ws in wb.worksheets:
        if ws.sheet_state == "hidden":
            continue
        setup = ws.page_setup
        assert (setup.orientation, int(setup.paperSize)) == ("landscape", 9), ws.title  # 9: A4
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True, ws.title
        assert "Page &P sur &N" in (ws.oddFooter.center.text or ""), ws.title
        assert ws.oddHeader.left.text == f"Grille de contribution aux ODD — {ws.title}"
    for sheet in [*TABLE_SHEETS, "Partenariat"]:
        assert wb[sheet].print_title_rows == "$1:$1", sheet  # the header row on every page
    # one column cannot be split across pages: the Instructions column fits a landscape page by itself
    assert wb["Instructions"].column_dimensions["A"].width <= 105


def test_protection_formulas_lists_and_headers_locked_inputs_open(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    assert wb.security is not None and wb.security.lockStructure  # no sheet renamed, deleted or unhidden
    for ws in wb.worksheets:
        assert ws.protection.sheet, f"{ws.title} is not protected"
        assert ws.protection.password is None  # against accidents, not a secret
    assert wb["Listes"].sheet_state == "hidden"
    cibles = wb["Cibles"]
    headers = [c.value for c in cibles[1]]
    assert all(c.protection.locked for c in cibles[1]), "headers are locked"
    title = headers.index("Intitulé de la cible") + 1
    for r in (2, 60, 121):
        assert str(cibles.cell(r, title).value).startswith("=IF(")
        assert cibles.cell(r, title).protection.locked, f"formula Cibles row {r} is locked"
        for c, header in enumerate(headers, start=1):
            if c != title:
                assert not cibles.cell(r, c).protection.locked, f"Cibles!{header} row {r} is open"
    indicateurs = wb["Indicateurs"]
    onu = [c.value for c in indicateurs[1]].index("Intitulé ONU") + 1
    assert indicateurs.cell(2, onu).protection.locked and not indicateurs.cell(2, 1).protection.locked
    form = wb["Partenariat"]
    for r in range(2, form.max_row + 1):
        assert form.cell(r, 1).protection.locked and form.cell(r, 3).protection.locked
        assert not form.cell(r, 2).protection.locked, f"Partenariat!B{r} is open"
    assert all(c.protection.locked for row in wb["Instructions"].iter_rows() for c in row)


def test_rows_tall_enough_for_their_wrapped_text(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    ws = wb["Instructions"]
    width = ws.column_dimensions["A"].width
    for row in ws.iter_rows():
        text = str(row[0].value or "")
        height = ws.row_dimensions[row[0].row].height
        lines = -(-len(text) // int(1.2 * width))  # a column w wide holds about 1.2 w characters of Arial 10
        assert height is not None and height >= 12 * lines, f"Instructions row {row[0].row}: {height} pt for {lines} lines"
    long = max(ws.iter_rows(), key=lambda r: len(str(r[0].value or "")))
    assert ws.row_dimensions[long[0].row].height >= 45  # the longest paragraph takes several lines
    form = wb["Partenariat"]
    for r in range(2, form.max_row + 1):
        help_text = str(form.cell(r, 3).value)
        lines = -(-len(help_text) // int(1.2 * form.column_dimensions["C"].width))  # 9-point help text
        assert form.row_dimensions[r].height >= 11 * lines, f"Partenariat row {r}"
    for sheet in TABLE_SHEETS:
        head = wb[sheet]
        widest = max(len(str(c.value)) / head.column_dimensions[c.column_letter].width for c in head[1])
        assert head.row_dimensions[1].height >= (30 if widest > 1 else 15), sheet


def test_no_doubled_or_contradictory_labels(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    texts = [str(c.comment.text) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.comment]
    texts += [str(c.value) for c in wb["Partenariat"]["C"][1:]]
    assert texts
    for text in texts:
        plain = _plain(text)
        assert plain.count("(facultatif)") + plain.count("(obligatoire)") <= 1, text
        assert not ("obligatoire" in plain and "facultatif" in plain), text
    population = [_plain(str(c.value)) for c in wb["Partenariat"]["C"] if "habitants" in str(c.value)]
    assert population == ["Population en nombre d’habitants (facultatif)"]


def test_no_project_message_when_every_project_row_has_a_bad_cell(filled_book: bytes, tmp_path: Path) -> None:
    source = tmp_path / "source.xlsx"
    source.write_bytes(filled_book)
    wb = openpyxl.load_workbook(source)
    ws = wb["Projets"]
    for r in range(2, 6):  # the four projects of the pilot, each with a date that is not one
        ws.cell(r, 4, "bientôt")
    path = tmp_path / "dates.xlsx"
    wb.save(path)
    with pytest.raises(DataError) as info:
        import_grid(path, FW)
    fields = [p.field for p in info.value.problems]
    assert fields == ["Projets!D2", "Projets!D3", "Projets!D4", "Projets!D5"]
    assert not any("aucun projet" in p.message for p in info.value.problems)


ENGLISH = re.compile(r"\b(expected|got|unknown|must|should|the|is not|needs|cannot|empty required|row|column)\b")


@pytest.mark.parametrize("sheet", ["Partenariat", *TABLE_SHEETS])
def test_every_import_message_is_french(sheet: str, filled_book: bytes, tmp_path: Path) -> None:
    """Junk in every cell to fill, one sheet at a time: each message in French, located, one language."""
    source = tmp_path / "source.xlsx"
    source.write_bytes(filled_book)
    junk: list[Any] = ["??", -5, "x" * 450, 3.25, "31/02/2022", "Eau Potable", True]
    wb = openpyxl.load_workbook(source)
    ws = wb[sheet]
    if sheet == "Partenariat":
        for r in range(2, ws.max_row + 1):
            ws.cell(r, 2, junk[r % len(junk)])
    else:
        for c in range(1, ws.max_column + 1):
            if not str(ws.cell(2, c).value or "").startswith("="):
                for r in range(2, 5):
                    ws.cell(r, c, junk[(r + c) % len(junk)])
    path = tmp_path / "junk.xlsx"
    wb.save(path)
    with pytest.raises(DataError) as info:
        import_grid(path, FW)
    assert len(info.value.problems) >= 3
    for p in info.value.problems:
        assert (p.field and "!" in p.field) or p.field in SHEETS, p
        assert not ENGLISH.search(p.message), f"{p.field}: {p.message}"
    assert not ENGLISH.search(info.value.summary)


@pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed: the print test needs it")
def test_printed_through_libreoffice(template: Path, tmp_path: Path) -> None:
    """The empty grid printed to PDF by LibreOffice: few A4 landscape pages, nothing past the margins."""
    from pypdf import PdfReader

    profile = tmp_path / "profile"
    cmd = [str(soffice()), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
           "--outdir", str(tmp_path), str(template)]  # fmt: skip
    subprocess.run(cmd, capture_output=True, timeout=180, check=True)
    reader = PdfReader(tmp_path / "grille.pdf")
    assert 6 <= len(reader.pages) <= 12  # 28 before the print settings
    for page in reader.pages:
        box = page.mediabox
        assert (round(float(box.width)), round(float(box.height))) == (842, 595)  # A4 landscape
        xs: list[float] = []

        def seen(text: str, cm: list[float], tm: list[float], *_: Any, xs: list[float] = xs) -> None:
            if text.strip():
                xs.append(tm[4] * cm[0] + cm[4])

        page.extract_text(visitor_text=seen)
        assert xs and min(xs) >= 20 and max(xs) <= 822, (min(xs), max(xs))  # text inside the page's margins
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    assert "Page 1 sur" in text and "Grille de contribution aux ODD — Cibles" in text


def test_the_grids_are_byte_identical_for_the_same_inputs_and_dated_without_the_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time
    import zipfile

    from cufstudy.core.reproducible import DEFAULT_EPOCH
    from cufstudy.sdg.grid_files import write_filled

    framework, pilot = FW, PILOT
    epoch = int(dt.datetime(2026, 12, 1, tzinfo=dt.UTC).timestamp())
    first = write_template(tmp_path / "a.xlsx", framework, epoch=epoch)
    filled_a = write_filled(tmp_path / "fa.xlsx", pilot, framework, epoch=epoch)
    time.sleep(2.1)  # a zip entry holds its time to the even second
    assert write_template(tmp_path / "b.xlsx", framework, epoch=epoch).read_bytes() == first.read_bytes()
    assert write_filled(tmp_path / "fb.xlsx", pilot, framework, epoch=epoch).read_bytes() == filled_a.read_bytes()
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    undated = write_template(tmp_path / "c.xlsx", framework)  # no date: a fixed instant, never the clock
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
    assert write_template(tmp_path / "d.xlsx", framework).read_bytes() == first.read_bytes()
    with zipfile.ZipFile(undated) as zf:
        assert {i.date_time for i in zf.infolist()} == {dt.datetime.fromtimestamp(DEFAULT_EPOCH, dt.UTC).timetuple()[:6]}
        assert "1980-01-01T00:00:00Z" in zf.read("docProps/core.xml").decode("utf-8")
    assert import_grid(filled_a, framework).model_dump() == pilot.model_dump()  # still reads back the same
