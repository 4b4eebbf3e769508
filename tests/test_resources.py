"""Package resources: every run-time file ships in the wheel and a project's own file wins over the packaged one."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

import pytest

from cufstudy.core.errors import DataError, RenderError
from cufstudy.render.engine import find_templates
from cufstudy.resources import (
    data_path,
    font_dirs,
    packaged_files,
    packaged_root,
    resource_path,
    template_path,
)
from cufstudy.sdg.framework import load_framework

from .conftest import ROOT

PACKAGED = ROOT / "cufstudy" / "resources"


def test_the_packaged_files_are_found_by_importlib_resources() -> None:
    assert packaged_root() == PACKAGED
    extension = {p.as_posix() for p in packaged_files("extension")}
    assert {"_extension.yml", "fact.lua", "cufstudy.lua", "reference.docx", "cufstudy.css"} <= extension
    assert {"fonts/Inter-Regular.otf", "fonts/OFL.txt", "csl/iso690-author-date-fr.csl"} <= extension
    assert {"typst/typst-template.typ", "typst/typst-show.typ", "filters/typography-fr.lua"} <= extension
    assert {"typst/template.typ", "filters/structure.lua", "page.css"} <= {
        p.as_posix() for p in packaged_files("engine")
    }
    data = {p.as_posix() for p in packaged_files("data")}
    assert {"sdg/SOURCE.md", "sdg/sdg_goals.csv", "geo/SOURCE.md", "geo/regions_composite.geojson"} <= data


def test_one_copy_in_the_repository() -> None:
    """The repository's templates/ holds no copy of a packaged file (only the README on overriding), and the
    CUF study uses the packaged typology and organisation models (no copy in its data/)."""
    assert [p.name for p in (ROOT / "templates").rglob("*") if p.is_file()] == ["README.md"]
    for name in ("sdg", "geo", "typology.yaml", "organisation.yaml"):
        assert not (ROOT / "data" / name).exists(), name
        assert (PACKAGED / "data" / name).exists(), name


def test_extension_and_engine_share_one_namespace_without_clash() -> None:
    extension = set(packaged_files("extension"))
    engine = set(packaged_files("engine"))
    assert not extension & engine


def test_a_project_file_wins_over_the_packaged_one(tmp_path: Path) -> None:
    packaged = template_path("typst/typst-template.typ")
    assert packaged.is_relative_to(PACKAGED)
    own = tmp_path / "templates" / "typst" / "typst-template.typ"
    own.parent.mkdir(parents=True)
    own.write_text("// Ville d'Aix-en-Provence\n", encoding="utf-8")
    assert template_path("typst/typst-template.typ", tmp_path) == own
    # the others are still the packaged ones, file by file
    assert template_path("typst/typst-show.typ", tmp_path).is_relative_to(PACKAGED)
    templates = find_templates(tmp_path)
    assert templates.typst_files["typst-template.typ"] == own
    assert templates.typst_files["template.typ"].is_relative_to(PACKAGED)


def test_project_data_wins_over_the_packaged_data(tmp_path: Path) -> None:
    assert data_path("geo/regions.geojson", tmp_path).is_relative_to(PACKAGED)
    own = tmp_path / "sdg" / "sdg_goals.csv"
    own.parent.mkdir()
    own.write_text(
        (PACKAGED / "data" / "sdg" / "sdg_goals.csv")
        .read_text(encoding="utf-8")
        .replace("Pas de pauvreté", "Zéro pauvreté"),
        encoding="utf-8",
    )
    assert data_path("sdg/sdg_goals.csv", tmp_path) == own
    assert data_path("sdg/sdg_targets.csv", tmp_path).is_relative_to(PACKAGED)
    load_framework.cache_clear()
    try:
        assert load_framework(tmp_path).goals[0].title_fr == "Zéro pauvreté"
        assert load_framework(tmp_path / "elsewhere").goals[0].title_fr != "Zéro pauvreté"
    finally:
        load_framework.cache_clear()


def test_missing_resources_are_located_errors(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"templates/typst/absent\.typ: found neither .*templates/typst/absent\.typ"):
        template_path("typst/absent.typ", tmp_path)
    with pytest.raises(DataError, match=r"data/geo/absent\.csv"):
        data_path("geo/absent.csv", tmp_path)
    with pytest.raises(ValueError, match=r"without '\.\.'"):
        resource_path("templates", "../pyproject.toml")


def test_font_dirs_add_a_project_font_folder(tmp_path: Path) -> None:
    assert font_dirs(tmp_path) == [PACKAGED / "extension" / "fonts"]
    (tmp_path / "templates" / "fonts").mkdir(parents=True)
    (tmp_path / "templates" / "fonts" / "Marianne-Regular.otf").write_bytes(b"\0")
    assert font_dirs(tmp_path) == [tmp_path / "templates" / "fonts", PACKAGED / "extension" / "fonts"]


def test_the_wheel_holds_every_resource(tmp_path: Path) -> None:
    """``pip wheel . --no-deps``: every file of cufstudy/resources is in the wheel (templates, fonts, data).

    Built from a copy of the sources (setuptools writes its build/ folder beside them).
    """
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "cufstudy", src / "cufstudy", ignore=shutil.ignore_patterns("__pycache__"))
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-q", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    (wheel,) = tmp_path.glob("cufstudy-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = {PurePosixPath(n) for n in zf.namelist()}
    expected = {
        PurePosixPath("cufstudy/resources") / folder / rel
        for folder in ("extension", "engine", "data")
        for rel in packaged_files(folder)
    }
    assert len(expected) > 30
    assert sorted(str(p) for p in expected - names) == []
