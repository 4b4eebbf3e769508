"""The command line's conventions: --version, examples in every help, flags shown as flags, shell completion,
the exit-code policy, arguments checked before any work, and the small faults of the issue (#19)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cufstudy import __version__
from cufstudy.cli import EXIT_ERROR, EXIT_USAGE, app
from cufstudy.core.french import NNBSP
from cufstudy.pipeline.build import build
from cufstudy.pipeline.publish import check_arguments

from .conftest import DATA, ROOT
from .fieldwork_helpers import copy_project

runner = CliRunner()


def _commands(group: object = None, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path of the CLI: ("build",), ("sdg", "import")..."""
    import typer.main

    root = typer.main.get_command(app)
    found: list[tuple[str, ...]] = []

    def walk(command: object, path: tuple[str, ...]) -> None:
        subs = getattr(command, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, (*path, name))
        else:
            found.append(path)

    walk(root, ())
    return found


COMMANDS = _commands()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"cufstudy {__version__}\n"


def test_every_command_is_listed() -> None:
    assert {("validate",), ("cases",), ("run",), ("build",), ("preview",), ("check",)} <= set(COMMANDS)
    assert {("sdg", "grid-template"), ("sdg", "import"), ("fieldwork", "import")} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_help_has_an_example_and_flags_shown_as_flags(command: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert re.search(r"^  Examples:\n    cufstudy " + " ".join(command) + r"\b", text, re.M), text
    # the example lines are kept as written (not re-wrapped into one paragraph)
    examples = text.split("Examples:\n", 1)[1].splitlines()
    assert all(line.startswith("    cufstudy ") for line in examples if line.strip()), examples
    assert "<bool>" not in text
    for flag in ("--force", "--help", "--no-progress", "--dry-run", "--pdf", "--preview"):
        match = re.search(rf"^\s+{flag}(\S*)\s", text, re.M)
        assert match is None or match.group(1) == "", f"{flag} is shown with a value: {match.group(0)!r}"


def test_shell_completion_is_available() -> None:
    result = runner.invoke(app, ["--help"])
    assert "--install-completion" in result.output and "--show-completion" in result.output
    # the script --show-completion prints (asked of typer directly: through CliRunner, the option's callback
    # exits from inside click's parsing, which gave exit 1 after some earlier tests of the same session)
    from typer.completion import get_completion_script

    script = get_completion_script(prog_name="cufstudy", complete_var="_CUFSTUDY_COMPLETE", shell="bash")
    assert "_CUFSTUDY_COMPLETE" in script and "complete -o default -F" in script


def test_build_force_says_what_it_does() -> None:
    text = runner.invoke(app, ["build", "--help"]).output
    flat = " ".join(text.split())
    assert "--force Re-execute every notebook and re-render every deliverable" in flat


def test_validate_a_file_says_it_is_a_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(ROOT / "README.md")])
    assert result.exit_code == EXIT_ERROR
    assert "README.md: a file, not a folder; expected a data folder holding cases/*.yaml" in result.output
    missing = runner.invoke(app, ["validate", str(tmp_path / "nowhere")])
    assert missing.exit_code == EXIT_ERROR and "nowhere: no such folder" in missing.output


def test_grid_template_creates_no_folder(tmp_path: Path) -> None:
    target = tmp_path / "absent" / "sub" / "g.xlsx"
    result = runner.invoke(app, ["sdg", "grid-template", str(target), "--data", str(DATA)])
    assert result.exit_code == EXIT_ERROR
    assert f"the folder {target.parent} does not exist: create it first" in " ".join(result.output.split())
    assert not (tmp_path / "absent").exists()


def test_cases_french_numbers_and_whole_ids() -> None:
    result = runner.invoke(app, ["cases", str(DATA)])
    assert result.exit_code == 0, result.output
    assert f"370{NNBSP}260" in result.output  # Conseil départemental de l'Aude, INSEE 2017
    assert "370,260" not in result.output and "…" not in result.output
    for path in sorted((DATA / "cases").glob("*.yaml")):
        assert f"│ {path.stem} " in result.output, path.stem


# -- arguments checked before any work -----------------------------------------------------------------
@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("cli") / "project")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["guid"], "Invalid value for PROFILE: unknown profile 'guid' (did you mean 'guide'?); "
                   "profiles: brochure, guide, study, toolbox"),
        (["guide", "--force"], None),  # checked in the next test (force does not skip the check)
        (["guide", "--to", "pdfx"], "Invalid value for --to: unknown format 'pdfx' (did you mean 'pdf'?); "
                                    "formats: html, pdf, docx"),
        (["brochure", "--to", "html"], "Invalid value for --to: the brochure profile has no html output; "
                                       "its formats: pdf, docx"),
        (["--engine", "quarto"], "Invalid value for --engine: quarto: Quarto is not installed"),
        (["--engine", "pandox"], "Invalid value for --engine: unknown engine 'pandox' (did you mean 'pandoc'?)"),
        (["--bogus"], "No such option: --bogus"),
    ],
)  # fmt: skip
def test_argument_errors_before_any_run(
    project: Path, args: list[str], message: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if message is None:
        args, message = ["guid", "--force"], "unknown profile 'guid'"
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no Quarto
    result = runner.invoke(app, ["build", *args, "--project", str(project), "--no-progress"])
    assert result.exit_code == EXIT_USAGE, result.output
    flat = " ".join(result.output.split())
    assert message in flat
    assert "Usage: cufstudy build [OPTIONS] [PROFILE]..." in result.output
    assert "Traceback" not in result.output
    # nothing was executed, validated into the cache, rendered or published
    assert not (project / "_build" / "manifest.json").exists()
    assert not (project / "_build" / "notebooks").exists()
    assert not (project / "_output").exists()


def test_library_raises_argument_error(project: Path) -> None:
    from cufstudy.core.errors import ArgumentError, CufstudyError

    with pytest.raises(ArgumentError) as info:
        build(project, ["guid"], progress=False)
    assert isinstance(info.value, CufstudyError) and info.value.param == "PROFILE"
    deliverables, engine = check_arguments(project, ["guide"], ["PDF"], "Pandoc")
    assert [d.name for d in deliverables] == ["guide"] and deliverables[0].formats == ("typst",)
    assert engine == "pandoc"


def test_data_errors_exit_1(tmp_path: Path) -> None:
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "bad.yaml").write_text("id: [\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == EXIT_ERROR
    assert result.output.startswith("error: ")
