"""``cufstudy new``: the project it writes, what it refuses, and its command line (the build: test_wheel.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cufstudy.cli import app
from cufstudy.core.errors import ProjectError
from cufstudy.core.project import Project
from cufstudy.model.cases import load_cases
from cufstudy.pipeline.plan import load_plan
from cufstudy.pipeline.starter import PROFILES, new_project
from cufstudy.render.config import profile_names
from cufstudy.resources import packaged_root


def test_a_new_project_has_its_settings_profiles_data_notebooks_reports_and_extension(tmp_path: Path) -> None:
    made = new_project(tmp_path / "Étude d'Aix-en-Provence")
    root = made.root
    assert made.profiles == PROFILES
    for name in ("_quarto.yml", ".gitignore", "README.md", "data/references.bib", "data/cases/ville-exemple.yaml",
                 "notebooks/panorama.ipynb", "notebooks/typologie.ipynb", "reports/shared/_avertissement.qmd",
                 "_extensions/cufstudy/_extension.yml", "_extensions/cufstudy/fonts/OFL.txt"):  # fmt: skip
        assert name in made.files and (root / name).is_file(), name
    for profile in PROFILES:
        assert (root / f"_quarto-{profile}.yml").is_file()
        assert "{{< include ../shared/_avertissement.qmd >}}" in (root / f"reports/{profile}/{profile}.qmd").read_text(
            encoding="utf-8"
        )
    assert sorted(made.files) == sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
                                        and not p.name.startswith(".cufstudy"))  # fmt: skip
    project = Project.find(root)
    assert not project.problems and not project.warnings
    assert project.settings.notices.page.startswith("Données illustratives")
    assert [r.notebook for r in load_plan(root).runs] == ["notebooks/panorama.ipynb", "notebooks/typologie.ipynb"]
    cases = load_cases(root / "data")
    assert len(cases) == 1 and cases.is_illustrative  # the example is marked illustrative: every page says so
    assert (root / "data" / "references.bib").read_bytes() == (packaged_root() / "data" / "references.bib").read_bytes()
    assert not (root / "data" / "typology.yaml").exists()  # the packaged default, until the study has its own
    summary = made.summary()
    assert all(f"  {name}" in summary for name in made.files) and "cufstudy build" in summary


def test_profiles_asked_for_are_the_only_ones(tmp_path: Path) -> None:
    made = new_project(tmp_path / "p", ["study,brochure"])
    assert made.profiles == ("study", "brochure")
    assert sorted(p.name for p in made.root.glob("_quarto-*.yml")) == ["_quarto-brochure.yml", "_quarto-study.yml"]
    assert sorted(p.name for p in (made.root / "reports").iterdir()) == ["brochure", "shared", "study"]
    assert sorted(profile_names(made.root)) == ["brochure", "study"]
    with pytest.raises(ProjectError, match=r"unknown profile 'gide': choose among study, guide, brochure, toolbox"):
        new_project(tmp_path / "q", ["study", "gide"])
    assert not (tmp_path / "q").exists()  # nothing written before the arguments are checked


def test_a_non_empty_folder_is_refused_unless_forced(tmp_path: Path) -> None:
    folder = tmp_path / "étude"
    folder.mkdir()
    notes = folder / "notes de Zébulon Quatrefages-Météyer.txt"
    notes.write_text("à garder", encoding="utf-8")
    (folder / "_quarto.yml").write_text("project: {type: default}\n", encoding="utf-8")
    with pytest.raises(ProjectError) as info:
        new_project(folder)
    message = str(info.value)
    assert str(folder) in message and "not empty (2 entries: _quarto.yml, notes de Zébulon" in message
    assert "--force" in message
    assert (folder / "_quarto.yml").read_text(encoding="utf-8") == "project: {type: default}\n"  # untouched
    made = new_project(folder, force=True)
    assert made.replaced == ("_quarto.yml",)
    assert notes.read_text(encoding="utf-8") == "à garder"  # other files are kept
    assert "cufstudy:" in (folder / "_quarto.yml").read_text(encoding="utf-8")
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    with pytest.raises(ProjectError, match="exists and is not a folder"):
        new_project(tmp_path / "a-file")


def test_the_command_names_every_file_refuses_with_exit_1_and_has_an_example(tmp_path: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["new", str(tmp_path / "etude"), "--profiles", "guide"])
    assert done.exit_code == 0, done.output
    assert "_quarto-guide.yml" in done.output and "data/cases/ville-exemple.yaml" in done.output
    assert "_quarto-study.yml" not in done.output
    again = runner.invoke(app, ["new", str(tmp_path / "etude")])
    assert again.exit_code == 1 and "Traceback" not in again.output
    assert "error: " in again.output and "the folder is not empty" in again.output
    helped = runner.invoke(app, ["new", "--help"])
    assert helped.exit_code == 0 and "Example: cufstudy new" in helped.output
