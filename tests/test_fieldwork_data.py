"""The fieldwork's data files (question set, selection grid) with located errors; the progress; the CLI."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cufstudy.cli import app
from cufstudy.core.errors import DataError
from cufstudy.fieldwork.guides import build_guide, select_cases, write_guides
from cufstudy.fieldwork.progress import RECOMMENDATIONS, progress, progress_table
from cufstudy.fieldwork.questions import load_questions
from cufstudy.fieldwork.selection import candidates_table, coverage, criteria_table, load_selection
from cufstudy.model.cases import load_cases

from .conftest import DATA
from .fieldwork_helpers import copy_project, fill_form, plan_fill

BASE = load_cases(DATA)
QUESTIONS = DATA / "fieldwork" / "questions.yaml"
SELECTION = DATA / "fieldwork" / "selection.yaml"


def _data_with(tmp_path: Path, name: str, text: str, sub: str = "data") -> Path:
    data = tmp_path / sub
    shutil.copytree(DATA / "fieldwork", data / "fieldwork")
    (data / "fieldwork" / name).write_text(text, encoding="utf-8")
    return data


def _problems(exc: pytest.ExceptionInfo[DataError]) -> list[tuple[int | None, str | None, str]]:
    return [(p.line, p.field, p.message) for p in exc.value.problems]


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_the_default_question_set_follows_the_terms_of_reference() -> None:
    qs = load_questions(DATA)
    mission = [s.kind for s in qs.guides.mission.sections]
    assert mission.count("recommendations") == 1 and mission.count("organisation") == 1
    comparison = qs.guides.comparison
    assert "recommendations" not in [s.kind for s in comparison.sections]
    texts = " ".join(q.text for s in comparison.sections for q in s.questions)
    assert "fonctionne bien" in texts and "fonctionne moins bien" in texts
    texts = " ".join(q.text for s in qs.guides.mission.sections for q in s.questions)
    assert "regard critique" in texts and "changement d'organisation" in texts


def test_bad_question_sets_are_located(tmp_path: Path) -> None:
    text = QUESTIONS.read_text(encoding="utf-8")
    bad = (
        text.replace("{collectivite} ?", "{colectivite} ?", 1)
        .replace("kind: recommendations", "kind: questions", 1)
        .replace('  - "Manque de personnel qualifié"', '  - "Manque de personnel qualifié"\n  - "contraintes  budgétaires"')
        .replace("minutes: 5\n", "minutes: 5\n        colour: bleu\n", 1)
    )
    data = _data_with(tmp_path, "questions.yaml", bad)
    with pytest.raises(DataError) as caught:
        load_questions(data)
    assert _problems(caught) == [(_line(bad, "colour: bleu"), "guides.mission.sections[0].colour", "unknown field")]
    data = _data_with(tmp_path, "questions.yaml", bad.replace("        colour: bleu\n", ""), "data2")
    bad = bad.replace("        colour: bleu\n", "")
    with pytest.raises(DataError) as caught:
        load_questions(data)
    assert _problems(caught) == [
        (_line(bad, "    sections:"), "guides.mission.sections",
         "the mission guide needs exactly one section of kind 'recommendations'"),
        (_line(bad, "{colectivite}"), "guides.mission.sections[0].questions[0].text",
         "unknown field {colectivite}: expected one of annee_mission, collectivite, mission, niveau, "
         "rattachement_avant, rattachement_recommande (did you mean {collectivite}?)"),
        (_line(bad, "contraintes  budgétaires"), "obstacles[2]", "obstacle listed twice (first at obstacles[0])"),
    ]  # fmt: skip


def test_a_malformed_brace_and_a_missing_file(tmp_path: Path) -> None:
    text = QUESTIONS.read_text(encoding="utf-8").replace("de {collectivite} ?", "de {collectivite ?", 1)
    with pytest.raises(DataError) as caught:
        load_questions(_data_with(tmp_path, "questions.yaml", text))
    (line, field, message), = _problems(caught)
    assert field == "guides.mission.sections[0].questions[0].text" and line == _line(text, "{collectivite ?")
    assert message.startswith("malformed field in") and "(write a literal brace as {{ or }})" in message
    with pytest.raises(DataError, match=r"no such file; the fieldwork kit reads its settings from"):
        load_questions(tmp_path / "nowhere")


def test_the_selection_grid() -> None:
    grid = load_selection(BASE, DATA)
    cover = coverage(grid, BASE)
    assert (cover.n_candidates, cover.n_retained, cover.n_fictional) == (4, 4, 4) and cover.on_target
    assert cover.tiers == ("Communes", "Intercommunalités", "Départements", "Régions")
    criteria = criteria_table(grid)
    assert criteria["Critère"].iloc[0] == "Non bénéficiaire du DCOL"
    assert all(src.startswith("«") for src in criteria["Termes de référence"])
    table = candidates_table(grid, BASE)
    assert list(table.columns) == ["Collectivité", "Hors DCOL", "Niveau", "Taille",
                                   "Expérience d'organisation du service", "Retenue"]  # fmt: skip
    assert set(table["Hors DCOL"]) == {"oui"} and set(table["Retenue"]) == {"oui"}
    assert table["Taille"][0] == "20 000 à 100 000 habitants (déclarée dans la grille)"
    assert all("fictiv" in name.casefold() or "fictif" in name.casefold() for name in table["Collectivité"])


def test_bad_selection_grids_are_located(tmp_path: Path) -> None:
    text = SELECTION.read_text(encoding="utf-8")
    bad = (
        text.replace("  - case: comparaison-agglo-fictive-b", "  - case: ville-angers", 1)
        .replace("  - case: comparaison-region-fictive-d", "  - case: comparaison-region-fictive-e", 1)
        .replace('size: "200 000 habitants et plus"', 'size: "très grande"', 1)
        .replace("      experience:\n        met: true\n        note: \"Exemple fictif : service d'une",
                 "      experiance:\n        met: true\n        note: \"Exemple fictif : service d'une", 1)
    )  # fmt: skip
    with pytest.raises(DataError) as caught:
        load_selection(BASE, _data_with(tmp_path, "selection.yaml", bad))
    assert _problems(caught) == [
        (_line(bad, "experiance:"), "candidates[0].assessments.experiance",
         "'experiance' is not an assessed criterion: expected one of experience (did you mean 'experience'?)"),
        (_line(bad, "case: ville-angers"), "candidates[1].case",
         "case 'ville-angers' has the role 'dcol': candidates are comparison authorities (dcol_call: non_dcol, "
         "no mission)"),
        (_line(bad, "case: ville-angers") + 1, "candidates[1].size",
         "the authority has a population: its size band is computed from it; remove 'size'"),
        (_line(bad, "très grande"), "candidates[2].size",
         "got 'très grande', expected a size band label"),
        (_line(bad, "fictive-e"), "candidates[3].case",
         "unknown case 'comparaison-region-fictive-e': candidates are cases of the case base (did you mean "
         "'comparaison-region-fictive-d'?)"),
    ]  # fmt: skip


def test_progress_counts_planned_held_imported(tmp_path: Path) -> None:
    p = progress(BASE, load_selection(BASE, DATA))
    assert [r.group for r in p.rows] == ["Communes", "Intercommunalités", "Départements", "Régions"]
    assert [r.planned for r in p.rows] == [10, 3, 3, 2] and p.comparison.planned == 4
    # the interviews typed into the illustrative case files are examples, not fieldwork
    assert (p.total.planned, p.total.held, p.total.imported, p.total.examples) == (22, 0, 0, 18)
    assert p.total.recommendations == sum(len(c.recommendations) for c in BASE if c.role == "dcol")
    assert p.share_known == 100.0
    # an interview in the future does not count as held
    early = progress(BASE, today=dt.date(2021, 1, 1))
    assert early.total.examples < p.total.examples
    table = progress_table(p)
    assert list(table.iloc[-2])[:5] == ["Collectivités de comparaison", 4, 0, 0, 0]
    assert table.columns[3] == "Exemples (codage illustratif)" and table.iloc[-1, 3] == 18
    assert table[RECOMMENDATIONS].isna().tolist() == [False] * 4 + [True, False]
    assert RECOMMENDATIONS.replace("\u00ad", "") == "Recommandations"  # the soft hyphen is invisible unbroken


def test_guides_for_unknown_cases_and_existing_files(tmp_path: Path) -> None:
    with pytest.raises(DataError) as caught:
        select_cases(BASE, ["ville-angers", "ville-angres", "pau"])
    assert [str(p) for p in caught.value.problems] == [
        "--cases: unknown case 'ville-angres' (did you mean 'ville-angers'?)",
        "--cases: unknown case 'pau'",
    ]
    cases = select_cases(BASE, ["ville-pau"])
    qs = load_questions(DATA)
    first = write_guides(cases, qs, tmp_path)
    with pytest.raises(DataError, match="1 file would be overwritten; nothing was written"):
        write_guides(cases, qs, tmp_path)
    assert write_guides(cases, qs, tmp_path, overwrite=True) == first
    guide = build_guide(BASE["cd-aude"], qs)  # the SDG pilot: a mission, no recommendation coded
    assert any("Aucune recommandation n’est codée" in getattr(b, "text", "") for b in guide.blocks)


# ------------------------------------------------------------------------------------------------- CLI

runner = CliRunner()


@pytest.mark.parametrize("command", ["guides", "forms", "import"])
def test_cli_help_has_an_example(command: str) -> None:
    result = runner.invoke(app, ["fieldwork", command, "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert re.search(rf"Examples:\n    cufstudy fieldwork {command}\b", result.output), result.output


def test_cli_bad_paths_are_located_errors(tmp_path: Path) -> None:
    result = runner.invoke(app, ["fieldwork", "import", str(tmp_path / "absente.xlsx")], terminal_width=200)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{tmp_path / 'absente.xlsx'}: cannot read the file: No such file or directory" in result.output
    result = runner.invoke(app, ["fieldwork", "guides", "--to", str(tmp_path / "g"), "--data", str(tmp_path / "x")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "no such folder; expected a data folder holding cases/*.yaml" in result.output
    file = tmp_path / "un-fichier"
    file.write_text("", encoding="utf-8")
    result = runner.invoke(app, ["fieldwork", "forms", "--to", str(file), "--data", str(DATA), "--cases", "ville-pau"])
    assert result.exit_code == 1
    assert "not a folder: --to names the folder the forms are written into" in result.output


def test_cli_forms_then_import_dry_run_shows_the_diff_and_writes_nothing(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project", dirs=["data"])
    data = project / "data"
    result = runner.invoke(app, ["fieldwork", "forms", "--to", str(tmp_path / "f"), "--data", str(data),
                                 "--cases", "ville-pau,comparaison-ville-fictive-a"])  # fmt: skip
    assert result.exit_code == 0 and "wrote 2 capture forms" in result.output
    base = load_cases(data)
    form = tmp_path / "f" / "fiche-ville-pau.xlsx"
    fill_form(form, plan_fill(base["ville-pau"], 3, dt.date.today()))
    before = (data / "cases" / "ville-pau.yaml").read_bytes()
    result = runner.invoke(app, ["fieldwork", "import", str(form), "--data", str(data), "--dry-run"],
                           terminal_width=200)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "+    role: \"Directeur général adjoint\"" in result.output
    assert "1 case file would be updated (dry run: nothing written), from 1 forms" in result.output
    assert (data / "cases" / "ville-pau.yaml").read_bytes() == before
    result = runner.invoke(app, ["fieldwork", "import", str(form), "--data", str(data)], terminal_width=200)
    assert result.exit_code == 0 and "1 case file updated, from 1 forms" in result.output
    assert (data / "cases" / "ville-pau.yaml").read_bytes() != before
    result = runner.invoke(app, ["fieldwork", "progress", "--data", str(data)], terminal_width=200)
    assert result.exit_code == 0 and "Ensemble" in result.output
