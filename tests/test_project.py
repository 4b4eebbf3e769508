"""The project object: one way to find the root, the ``cufstudy:`` settings read once with located errors,
and the ``_build/`` layout named in one place."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from cufstudy.core.errors import PlanError
from cufstudy.core.project import FACTS, BuildPaths, Notices, Project, find_root, project_root, resolve
from cufstudy.notebook.facts import facts_path
from cufstudy.render import SourceError, deliverables

PACKAGE = Path(__file__).resolve().parents[1] / "cufstudy"


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_root_is_found_from_a_subfolder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _write(tmp_path / "Étude d'Aix-en-Provence", {"_quarto.yml": "project:\n  type: default\n"})
    deep = root / "notebooks" / "brouillons"
    deep.mkdir(parents=True)
    assert Project.find(deep).root == root.resolve()
    assert find_root(deep) == root.resolve()
    monkeypatch.chdir(deep)  # what a notebook opened in JupyterLab sees
    monkeypatch.setattr("cufstudy.notebook._root._active", [])  # a fresh kernel: no project activated yet
    assert Project.find().root == root.resolve()
    assert resolve("data/cases") == root.resolve() / "data" / "cases"
    assert facts_path() == root.resolve() / FACTS


def test_quarto_yaml_is_accepted_as_quarto_does_and_yml_wins(tmp_path: Path) -> None:
    root = _write(tmp_path, {"_quarto.yaml": "cufstudy:\n  audience: internal\n"})
    assert Project.find(root / "reports").config_file == root.resolve() / "_quarto.yaml"
    assert Project.find(root).settings.audience == "internal"
    _write(root, {"_quarto.yml": "cufstudy:\n  audience: public\n"})
    project = Project.find(root)
    assert project.config_file.name == "_quarto.yml" and project.settings.audience == "public"


def test_outside_a_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(PlanError, match="not a cufstudy project"):
        Project.find(tmp_path)
    assert find_root(tmp_path) is None
    monkeypatch.chdir(tmp_path)  # a notebook outside any project: paths stay relative to where it runs
    assert project_root() == tmp_path.resolve()
    assert resolve("x.csv") == tmp_path.resolve() / "x.csv"


def test_settings_are_read_into_one_strict_model(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "_quarto.yml": "cufstudy:\n  data: données\n  audience: internal\n  pages: {max: 30}\n",
            "données/x.txt": "",
        },
    )
    project = Project.find(root)
    assert project.problems == () and project.warnings == ()
    settings = project.settings
    assert (settings.data, settings.audience, settings.runs) == ("données", "internal", None)
    assert settings.pages is not None and settings.pages.max == 30
    assert project.data_dir == root.resolve() / "données"
    with pytest.raises(ValueError, match="frozen"):
        settings.audience = "public"  # type: ignore[misc]


def test_settings_problems_are_located_and_collected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _write(
        tmp_path,
        {
            "_quarto.yml": (
                "project:\n  type: default\n"
                "cufstudy:\n"
                "  data: ../ailleurs\n"
                "  audience: publique\n"
                "  pages:\n"
                "    max: trente\n"
                "  audiance: internal\n"
            ),
        },
    )
    monkeypatch.chdir(root)
    project = Project.find(root)
    assert [str(p) for p in project.problems] == [
        "_quarto.yml:4: cufstudy.data: data folder '../ailleurs' must be relative to the project root",
        "_quarto.yml:5: cufstudy.audience: expected 'public' or 'internal', got 'publique'",
        "_quarto.yml:6: cufstudy.pages.max: expected a positive whole number, got 'trente'",
    ]
    assert project.warnings == (
        "_quarto.yml:8: cufstudy.audiance: unknown setting, ignored (did you mean 'audience'? "
        "known: data, runs, audience, pages, contact, notices, preflight)",
    )


def test_notices_are_the_project_s_with_the_defaults_elsewhere(tmp_path: Path) -> None:
    """A study words its own notices; a notice not given keeps the library's default."""
    from cufstudy.core.french import ILLUSTRATIVE_CODING, ILLUSTRATIVE_VALUES
    from cufstudy.core.project import project_notices

    assert project_notices(tmp_path) == Notices()  # outside any project
    root = _write(
        tmp_path / "p",
        {"_quarto.yml": "cufstudy:\n  notices:\n    page: \"Données d'exemple de la Ville d'Aix-en-Provence\"\n"},
    )
    notices = Project.find(root).settings.notices
    assert notices.page == "Données d'exemple de la Ville d'Aix-en-Provence"
    assert (notices.chart, notices.partnership) == (ILLUSTRATIVE_CODING, ILLUSTRATIVE_VALUES)
    assert Notices().page is None and Notices().source is None  # the page notice is written from the data
    assert project_notices(root / "sub") == notices  # found from a folder inside the project
    (root / "_quarto.yml").write_text("cufstudy:\n  notices:\n    chart: \"Codage d'essai\"\n", encoding="utf-8")
    assert project_notices(root).chart == "Codage d'essai"  # read again when _quarto.yml changes


def test_bad_notices_are_located(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    root = _write(
        tmp_path,
        {"_quarto.yml": "cufstudy:\n  notices:\n    pages: x\n    chart: ''\n    partnership: " + "a" * 201 + "\n"},
    )
    assert [str(p) for p in Project.find(root).problems] == [
        "_quarto.yml:3: cufstudy.notices.pages: unknown notice 'pages' (did you mean 'page'?); expected some of: "
        "page, source, chart, partnership (a French sentence each)",
        "_quarto.yml:4: cufstudy.notices.chart: expected a French sentence, got ''",
        "_quarto.yml:5: cufstudy.notices.partnership: 201 characters; a notice must fit one line (200 at most)",
    ]


def test_profile_settings_are_merged_and_their_problems_located(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "_quarto.yml": "project:\n  type: default\ncufstudy:\n  audience: internal\n",
            "_quarto-guide.yml": (
                "project:\n  render: [guide.qmd]\nformat:\n  typst: default\ncufstudy:\n  audience: public\n"
                "  pages: {exact: 0}\n"
            ),
            "_quarto-study.yml": "project:\n  render: [guide.qmd]\nformat:\n  typst: default\n",
            "guide.qmd": "# Guide\n",
        },
    )
    (study,) = deliverables(root, ["study"])
    assert not study.public  # inherited from _quarto.yml
    with pytest.raises(SourceError) as info:
        deliverables(root, ["guide"])
    assert "_quarto-guide.yml:7: cufstudy.pages.exact: expected a positive whole number, got 0" in str(info.value)


def test_the_build_layout_is_named_in_one_module() -> None:
    """No module but core/layout.py spells ``_build`` or ``_output`` in its code (docstrings aside)."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "core" / "layout.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and re.search(r"(?<!\w)_(build|output)(?!\w)", node.value)
            ):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.value!r}")
    assert offenders == []
    paths = BuildPaths(Path("/p"))
    assert paths.lock == Path("/p/_build/.lock") and paths.output == Path("/p/_output")
    assert paths.quarto_output("guide") == Path("/p/_build/render/quarto-guide")


def test_preflight_settings_are_read_and_their_problems_located(tmp_path: Path) -> None:
    from cufstudy.core.project import PreflightSettings, read_settings

    def where(path: object) -> tuple[str, int | None]:
        return "_quarto.yml", 12

    good = read_settings({"preflight": {"min-fill": 0.6, "heading-lines": 3}}, where, tmp_path)
    assert good.settings.preflight == PreflightSettings(min_fill=0.6, heading_lines=3)
    assert read_settings({}, where, tmp_path).settings.preflight == PreflightSettings()
    bad = read_settings({"preflight": {"min-fill": 45, "min-fil-end": 0.1, "heading-lines": "deux"}}, where, tmp_path)
    messages = sorted(str(p) for p in bad.problems)
    assert len(messages) == 3, messages
    assert any("cufstudy.preflight.min-fill: expected a share of the page between 0 and 1" in m for m in messages)
    assert any("did you mean 'min-fill-end'?" in m for m in messages)
    assert any("heading-lines: expected a whole number" in m for m in messages)
