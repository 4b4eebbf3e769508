"""The SDG toolbox's resources as data: the sector catalogue, the partner-country competences and the check of the
grid's attributions, the training programme, the English forum summary, and the Excel grids delivered with the
toolbox (written, imported back, published with it).

A copy of the data folder is edited to check the located errors and that the tables follow the data.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from cufstudy.cli import app
from cufstudy.core.errors import DataError, RenderError
from cufstudy.core.problems import Reason
from cufstudy.sdg import catalogue, competences, forum, training
from cufstudy.sdg.framework import load_framework
from cufstudy.sdg.grid import import_grid, write_template
from cufstudy.sdg.grid_delivery import BLANK_GRID, GridFiles, filled_grid_name, grid_listing
from cufstudy.sdg.grid_files import write_filled
from cufstudy.sdg.partnerships import load_partnership, partnership_file

from .conftest import DATA

FW = load_framework(DATA)
PILOT = "aude-hauts-bassins"
runner = CliRunner()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A copy of what the toolbox reads, in a folder whose name has an accent, an apostrophe and spaces."""
    folder = tmp_path / "données de l'Aude – copie"
    folder.mkdir()
    for name in ("partnerships", "toolbox"):  # the SDG framework itself comes from the packaged reference data
        shutil.copytree(DATA / name, folder / name)
    shutil.copy(DATA / "references.bib", folder / "references.bib")
    return folder


def _edit(path: Path, old: str, new: str) -> int:
    """Replace the first ``old`` by ``new``; returns the line of the change."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


# ---------------------------------------------------------------------------------------------------------
# catalogue


def test_the_catalogue_covers_the_typical_sectors_with_framework_codes() -> None:
    cat = catalogue.load_catalogue(DATA, FW)
    names = " ".join(s.name.lower() for s in cat.sectors)
    for word in ("eau", "état civil", "agriculture", "déchets", "éducation", "gouvernance"):
        assert word in names, word
    for sector in cat.sectors:
        for entry in sector.targets:
            assert entry.target in FW and all(code in FW for code in entry.indicators)
    assert "16.9" in cat.target_codes


def test_an_unknown_target_in_the_catalogue_is_located(data: Path) -> None:
    path = data / catalogue.CATALOGUE_FILE
    line = _edit(path, 'target: "16.9"', 'target: "6.9"')
    indicator_line = _edit(path, 'indicators: ["12.5.1"]', 'indicators: ["12.5.9"]')
    with pytest.raises(DataError) as info:
        catalogue.load_catalogue(data, FW)
    problems = {p.field: p for p in info.value.problems}
    assert set(problems) == {"sectors[1].targets[0].target", "sectors[3].targets[1].indicators[0]"}
    target = problems["sectors[1].targets[0].target"]
    assert target.line == line and target.reason is Reason.UNKNOWN_REFERENCE
    assert "unknown SDG target '6.9' (did you mean '16.9'?)" in target.message
    assert str(target).startswith(f"{path}:{line}: sectors[1].targets[0].target: ")
    assert problems["sectors[3].targets[1].indicators[0]"].line == indicator_line


def test_an_indicator_of_another_target_is_refused(data: Path) -> None:
    _edit(data / catalogue.CATALOGUE_FILE, 'indicators: ["16.9.1"]', 'indicators: ["16.6.2"]')
    with pytest.raises(DataError, match=r"indicator '16\.6\.2' follows target '16\.6', not '16\.9'.*\(16\.9\.1\)"):
        catalogue.load_catalogue(data, FW)


def test_the_catalogue_table_follows_the_data(data: Path) -> None:
    cat = catalogue.load_catalogue(data, FW)
    country = competences.load_competences(data, FW).country("BF")  # type: ignore[union-attr]
    assert country is not None
    table = catalogue.sector_table(cat.sector("etat-civil"), FW, holders=country.holders_of)
    assert list(table.columns) == ["Cible", "Indicateurs mondiaux", "Indicateurs locaux possibles", "Échelon compétent"]
    assert table.iloc[0]["Cible"].startswith(
        "16.9 – Garantir à tous une identité juridique"
    )  # « D'ici à 2030 » dropped
    assert table.iloc[0]["Échelon compétent"] == "commune"
    _edit(data / catalogue.CATALOGUE_FILE, "Naissances déclarées dans l'année", "Naissances déclarées à Bobo-Dioulasso")
    again = catalogue.sector_table(catalogue.load_catalogue(data, FW).sector("etat-civil"), FW)
    assert again.iloc[0]["Indicateurs locaux possibles"].startswith("Naissances déclarées à Bobo-Dioulasso")
    assert "Échelon compétent" not in again.columns
    whole = catalogue.catalogue_table(cat, FW)
    assert len(whole) == sum(len(s.targets) for s in cat.sectors) and whole.columns[0] == "Secteur"


def test_short_titles_never_end_on_a_dangling_word() -> None:
    for target in FW.targets:
        short = catalogue.short_title(target.title_fr, 60)
        assert len(short) <= 60
        if short.endswith("…"):
            assert short[:-1].split(" ")[-1].casefold() not in {"à", "de", "la", "le", "les", "des", "du", "et", "en"}


# ---------------------------------------------------------------------------------------------------------
# competences and the attribution check


def test_the_pilot_no_longer_credits_the_region_with_a_structural_communal_function() -> None:
    pilot = competences.load_checked_partnership(DATA, PILOT, FW)
    comp = competences.load_competences(DATA, FW)
    assert comp is not None
    checked = {a.target: a for a in competences.attributions(pilot, comp)}
    assert checked["16.9"].holders == "commune" and checked["16.9"].level <= comp.rule.max_level_outside
    assert all(a.allowed for a in checked.values())
    table = competences.attributions_table(pilot, comp)
    assert set(table["Cible"]) == set(checked) and "refusé" not in set(table["Contrôle"])


def test_a_structural_contribution_to_a_communal_function_is_refused(data: Path) -> None:
    path = data / "partnerships" / f"{PILOT}.yaml"
    text = path.read_text(encoding="utf-8")
    block = text[text.index('- target: "16.9"') :]
    line = text[: text.index('- target: "16.9"')].count("\n") + 2  # the level is on the next line
    path.write_text(text.replace(block, block.replace("level: 3", "level: 4", 1)), encoding="utf-8")
    load_partnership(path, FW)  # valid against the framework alone
    with pytest.raises(DataError) as info:
        competences.load_checked_partnership(data, PILOT, FW)
    (problem,) = info.value.problems
    assert problem.file == str(path) and problem.line == line
    assert problem.field == "projects[2].links[0].level" and problem.reason is Reason.OUT_OF_RANGE
    assert "project 'gouvernance-etat-civil'" in problem.message and "target '16.9'" in problem.message
    assert "function of the commune in Burkina Faso" in problem.message and "at most level 3" in problem.message


def test_the_same_contribution_by_a_commune_is_its_own_function(data: Path) -> None:
    path = data / "partnerships" / f"{PILOT}.yaml"
    text = path.read_text(encoding="utf-8")
    block = text[text.index('- target: "16.9"') :]
    text = text.replace(block, block.replace("level: 3", "level: 4", 1))
    path.write_text(text.replace('level: "région"', 'level: "commune urbaine"', 1), encoding="utf-8")
    partnership = competences.load_checked_partnership(data, PILOT, FW)
    comp = competences.load_competences(data, FW)
    assert comp is not None
    held = {a.target: a.held for a in competences.attributions(partnership, comp)}
    assert held["16.9"] and held["6.1"] and not held["4.4"]


def test_an_unknown_partner_level_is_named_with_the_country_s_tiers(data: Path) -> None:
    _edit(data / "partnerships" / f"{PILOT}.yaml", 'level: "région"', 'level: "régions"')
    with pytest.raises(
        DataError, match=r"partner\.level: unknown level 'régions' for Burkina Faso \(did you mean 'région'\?\)"
    ):
        competences.load_checked_partnership(data, PILOT, FW)


def test_bad_competences_are_located(data: Path) -> None:
    path = data / competences.COMPETENCES_FILE
    holder = _edit(path, "holders: [commune]", "holders: [communes]")
    target = _edit(path, 'targets: ["11.a"]', 'targets: ["11.z"]')
    with pytest.raises(DataError) as info:
        competences.load_competences(data, FW)
    found = {(p.line, p.field) for p in info.value.problems}
    assert found == {(holder, "countries[0].domains[0].holders[0]"), (target, "countries[0].domains[4].targets[0]")}
    assert "(did you mean 'commune'?)" in str(info.value) and "unknown SDG target '11.z'" in str(info.value)


def test_without_competences_nothing_is_checked(data: Path) -> None:
    (data / competences.COMPETENCES_FILE).unlink()
    assert competences.load_competences(data, FW) is None
    assert competences.load_checked_partnership(data, PILOT, FW).id == PILOT


# ---------------------------------------------------------------------------------------------------------
# training programme


def test_the_training_has_four_to_six_half_days_each_filling_its_time() -> None:
    plan = training.load_training(DATA)
    assert 4 <= plan.n_compact <= len(plan.sessions) <= 6
    for session in plan.sessions:
        assert session.minutes == plan.format.minutes and session.materials
        agenda = training.agenda_table(plan, session.number)
        assert agenda.iloc[0]["Horaire"].startswith("9\u00a0h\u00a030 – ")
        assert agenda.iloc[-1]["Horaire"].endswith("12\u00a0h\u00a030")


def test_an_agenda_that_does_not_fill_the_half_day_is_located(data: Path) -> None:
    path = data / training.TRAINING_FILE
    _edit(path, "{minutes: 35, activity:", "{minutes: 50, activity:")
    _edit(path, "compact: [[2, 3], [5, 6]]", "compact: [[2, 4], [5, 9]]")
    with pytest.raises(DataError) as info:
        training.load_training(data)
    messages = {p.field: p.message for p in info.value.problems}
    assert messages == {
        "sessions[0].agenda": "the agenda lasts 195 minutes, the half-day 180 (15 minutes too many)",
        "format.compact[0]": "sessions [2, 4] are not consecutive",
        "format.compact[1]": "unknown session(s) [9]: the sessions are 1 to 6",
    }
    assert all(p.line for p in info.value.problems)


def test_the_agenda_follows_the_data(data: Path) -> None:
    path = data / training.TRAINING_FILE
    _edit(path, 'start: "09:30"', 'start: "14:00"')
    _edit(path, "Accueil, essai des connexions", "Accueil à Bobo-Dioulasso et à Carcassonne, essai des connexions")
    plan = training.load_training(data)
    agenda = training.agenda_table(plan, 1)
    assert agenda.iloc[0]["Horaire"] == "14\u00a0h – 14\u00a0h\u00a015"
    assert agenda.iloc[0]["Séquence"].startswith("Accueil à Bobo-Dioulasso et à Carcassonne")
    assert training.compact_description(plan) == "2 et 3 d'une part, 5 et 6 d'autre part"


# ---------------------------------------------------------------------------------------------------------
# English summary for international forums


def test_the_forum_summary_is_english_built_from_the_partnership() -> None:
    pilot = load_partnership(partnership_file(DATA, PILOT), FW)
    text = forum.forum_summary(pilot, FW, sessions=6, sessions_compact=4)
    assert "Illustrative data." in text and "six half-days by video-conference (or four in a compact format)" in text
    assert "6 – Clean water and sanitation" in text and "16 – Peace, justice and strong institutions" in text
    assert f"EUR {sum(p.budget_eur or 0 for p in pilot.projects):,}" in text
    prose = re.sub(r"<https?://[^>]+>|^\|.*\|$", "", text, flags=re.MULTILINE)  # no URLs, no table rules
    assert not re.search(r"[:;?!]", prose), "French typography would space these the French way"
    assert not re.search(r"[éèàù]\w", prose.replace("Cités", "").replace("Région", "").replace("départemental", ""))


def test_the_forum_summary_changes_with_the_data(data: Path) -> None:
    path = data / "partnerships" / f"{PILOT}.yaml"
    before = forum.forum_summary(load_partnership(path, FW), FW)
    _edit(path, "budget_eur: 450000", "budget_eur: 1450000")
    after = forum.forum_summary(load_partnership(path, FW), FW)
    assert "EUR 1,000,000" in before and "EUR 2,000,000" in after


# ---------------------------------------------------------------------------------------------------------
# the Excel grids delivered with the toolbox


def test_a_filled_grid_imports_back_as_its_partnership(tmp_path: Path) -> None:
    pilot = load_partnership(partnership_file(DATA, PILOT), FW)
    path = write_filled(tmp_path / "grille de l'Aude.xlsx", pilot, FW)
    assert import_grid(path, FW).model_dump() == pilot.model_dump()
    wb = openpyxl.load_workbook(path)
    assert wb["Listes"].sheet_state == "hidden" and wb["Cibles"].data_validations.dataValidation
    assert wb["Partenariat"]["B4"].value == "illustratif"
    with pytest.raises(DataError, match="the file exists"):
        write_filled(path, pilot, FW)


def test_a_filled_grid_prints_its_long_texts_wrapped_in_rows_tall_enough(tmp_path: Path) -> None:
    """A filled grid is printed as it comes: a text wider than its column wraps, its row is as tall as the text
    (at least one 10-point line per 1.2 x width characters), and the other cells of the row read from the top."""
    pilot = load_partnership(partnership_file(DATA, PILOT), FW)
    wb = openpyxl.load_workbook(write_filled(tmp_path / "grille d'Aix-en-Provence.xlsx", pilot, FW))
    ws = wb["Cibles"]
    checked = 0
    for r in range(2, len([link for project in pilot.projects for link in project.links]) + 2):
        target = str(ws.cell(r, 3).value)
        shown = {"D": FW.target(target).title_fr, "G": str(ws.cell(r, 7).value or "")}  # formula: the UN title
        long = {col: text for col, text in shown.items() if len(text) > ws.column_dimensions[col].width}
        height = ws.row_dimensions[r].height
        if not long:
            assert height is None, f"Cibles row {r} keeps its one-line height"
            continue
        checked += 1
        for col, text in long.items():
            assert ws[f"{col}{r}"].alignment.wrap_text, f"Cibles!{col}{r} wraps"
            lines = -(-len(text) // int(1.2 * ws.column_dimensions[col].width))
            assert height is not None and height >= 12 * lines, f"Cibles row {r}: {height} pt for {lines} lines"
        assert ws[f"A{r}"].alignment.vertical == "top" and not ws[f"A{r}"].alignment.wrap_text
    assert checked >= 10  # most UN target titles are longer than their column
    projects = wb["Projets"]
    co_funders = next(r for r in range(2, 6) if "Oudin-Santini" in str(projects[f"G{r}"].value))
    assert projects[f"G{co_funders}"].alignment.wrap_text and (projects.row_dimensions[co_funders].height or 0) >= 24
    assert projects.row_dimensions[10].height is None  # an empty row to fill stays as the blank grid has it
    # printed, each table sheet shows the header and the filled rows, not the pages of empty rows to fill
    links = sum(len(project.links) for project in pilot.projects)
    assert ws.print_area == f"'Cibles'!$A$1:$G${links + 1}"
    assert projects.print_area == f"'Projets'!$A$1:$G${len(pilot.projects) + 1}"
    assert openpyxl.load_workbook(write_template(tmp_path / "vierge.xlsx", FW))["Cibles"].print_area in (None, "")


def test_the_grids_are_staged_checked_and_published(data: Path, tmp_path: Path) -> None:
    output = tmp_path / "_output"
    output.mkdir()
    (output / "grille-odd-partenariat-supprime.xlsx").write_bytes(b"stale")
    grids = GridFiles(data, tmp_path / "work")
    grids.check("guide", output)
    assert grids.staged == [] and grids.deliver([("guide", output / "guide.pdf")]) == []
    grids.check("toolbox", output)
    assert [p.name for p in grids.staged] == [BLANK_GRID, filled_grid_name(PILOT)]
    assert not (output / BLANK_GRID).exists(), "nothing is published before the toolbox"
    published = grids.deliver([("toolbox", output / "toolbox.pdf")])
    assert sorted(p.name for p in output.iterdir()) == sorted([BLANK_GRID, filled_grid_name(PILOT)])
    assert import_grid(output / filled_grid_name(PILOT), FW).id == PILOT and len(published) == 2
    assert not list((tmp_path / "work").iterdir()), "the staged files are removed"
    # a toolbox kept as it was gets its missing grids again
    (output / BLANK_GRID).unlink()
    assert [p.name for p in GridFiles(data, tmp_path / "work").deliver([("toolbox", output / "toolbox.pdf")])] == [
        BLANK_GRID,
        filled_grid_name(PILOT),
    ]
    listing = dict(grid_listing(data, FW))
    assert "remplie de valeurs illustratives" in listing[filled_grid_name(PILOT)]


def test_a_refused_attribution_stops_the_grids_and_publishes_nothing(data: Path, tmp_path: Path) -> None:
    path = data / "partnerships" / f"{PILOT}.yaml"
    text = path.read_text(encoding="utf-8")
    block = text[text.index('- target: "16.9"') :]
    path.write_text(text.replace(block, block.replace("level: 3", "level: 4", 1)), encoding="utf-8")
    output = tmp_path / "_output"
    grids = GridFiles(data, tmp_path / "work")
    with pytest.raises(DataError, match=r"aude-hauts-bassins\.yaml:\d+: projects\[2\]\.links\[0\]\.level: .*'16\.9'"):
        grids.check("toolbox", output)
    grids.discard()
    assert grids.deliver([]) == [] and not output.exists()


def test_a_grid_that_would_not_read_back_is_a_render_error(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cufstudy.sdg.grid as sheet

    real = sheet.import_grid
    monkeypatch.setattr(sheet, "import_grid", lambda path, fw: real(path, fw).model_copy(update={"title": "autre"}))
    with pytest.raises(RenderError, match="does not read back"):
        GridFiles(data, tmp_path / "work").stage()


def test_cli_import_refuses_a_grid_with_a_refused_attribution(data: Path, tmp_path: Path) -> None:
    path = data / "partnerships" / f"{PILOT}.yaml"
    text = path.read_text(encoding="utf-8")
    block = text[text.index('- target: "16.9"') :]
    path.write_text(text.replace(block, block.replace("level: 3", "level: 4", 1)), encoding="utf-8")
    book = write_filled(tmp_path / "grille.xlsx", load_partnership(path, FW), FW)
    result = runner.invoke(
        app, ["sdg", "import", str(book), "--data", str(data), "--to", str(tmp_path / f"{PILOT}.yaml")]
    )
    assert result.exit_code == 1
    assert "nothing was imported" in result.output and "Traceback" not in result.output
    output = " ".join(result.output.split())
    assert re.search(
        r"grille\.xlsx: Cibles!E\d+: project 'gouvernance-etat-civil' credits .* to target '16\.9'", output
    )
    assert not (tmp_path / f"{PILOT}.yaml").exists()
