"""The ``cufstudy`` command line: a thin layer over functions users can import.

Every command catches :class:`~cufstudy.core.errors.CufstudyError`, prints its located message and exits 1,
without a traceback. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cufstudy.core.errors import CufstudyError

__all__ = ["app", "main"]

app = typer.Typer(
    name="cufstudy",
    help=(
        "Build the Cités Unies France capitalisation study, guide, brochure and SDG toolbox from typed case "
        "data: validate the data, run the parameterised notebooks, render the deliverables."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Markup off: messages carry data values (names, file contents) that must print literally, "[/]" included.
console = Console(markup=False)
err_console = Console(stderr=True, markup=False)

P = ParamSpec("P")
R = TypeVar("R")


def handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a :class:`CufstudyError` into a located message on stderr and exit code 1."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except CufstudyError as exc:
            err_console.print(Text.assemble(("error:", "bold red"), f" {exc}"), highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err_console.print("interrupted: the previous outputs were kept")
            raise typer.Exit(130) from None

    return wrapper


DataPath = Annotated[Path, typer.Argument(help="Folder of the case base (holds cases/*.yaml).", show_default=True)]


@app.command()
@handles_errors
def validate(path: DataPath = Path("data")) -> None:
    """Check every case file of PATH and report all problems at once (exit 1 if any)."""
    from cufstudy.model.cases import load_cases

    base = load_cases(path)
    console.print(base.summary(), highlight=False)


@app.command()
@handles_errors
def cases(path: DataPath = Path("data")) -> None:
    """Show the case base as a table: id, authority, tier, DCOL call, ambition, provenance."""
    from cufstudy.model.cases import load_cases
    from cufstudy.model.vocab import label

    base = load_cases(path)
    table = Table(title=f"Case base: {len(base)} cases ({path})")
    for col in ("id", "authority", "tier", "DCOL", "mission", "ambition", "population", "provenance"):
        table.add_column(col)
    for case in base:
        table.add_row(
            case.id,
            case.authority.name,
            label(case.authority.tier),
            case.dcol_label,
            label(case.mission_kind) if case.mission_kind else "-",
            str(int(case.strategy.ambition)) if case.strategy else "-",
            f"{case.authority.population.value:,}" if case.authority.population else "-",
            case.provenance.value,
        )
    console.print(table)


@app.command("run")
@handles_errors
def run_command(
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-j", min=1, help="Notebooks executed at once (default: the number of cores)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Execute every run, even unchanged ones.")] = False,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Execute only the runs of this notebook (stem); repeatable.")
    ] = None,
    project: Annotated[Path, typer.Option("--project", help="The project folder (holds _quarto.yml).")] = Path(),
    no_progress: Annotated[
        bool, typer.Option("--no-progress", help="Log one line per run instead of the live table.")
    ] = False,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Fail instead of waiting when another run or build holds the lock.")
    ] = False,
) -> None:
    """Execute the notebooks of the run plan (cufstudy: runs: in _quarto.yml) with Papermill.

    Unchanged runs are skipped; failed runs keep their last good output; exit 1 if any run failed.
    """
    from cufstudy.pipeline.runs import run

    report = run(project, workers=workers, force=force, only=only, progress=not no_progress, wait=not no_wait)
    console.print(report.summary(), highlight=False)
    report.raise_for_failures()


sdg_app = typer.Typer(
    help="SDG toolbox: the transferable Excel grid of a partnership's contribution to the SDGs.",
    no_args_is_help=True,
)
app.add_typer(sdg_app, name="sdg")

SdgData = Annotated[Path, typer.Option("--data", help="Data folder holding sdg/ (the UN framework).")]


@sdg_app.command("grid-template")
@handles_errors
def sdg_grid_template(
    out: Annotated[Path, typer.Argument(help="The .xlsx workbook to write.")],
    data: SdgData = Path("data"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write the empty SDG grid (Excel) a French authority and its partner fill in."""
    from cufstudy.sdg.framework import load_framework
    from cufstudy.sdg.grid import write_template

    path = write_template(out, load_framework(data), overwrite=force)
    console.print(f"wrote {path}", highlight=False, soft_wrap=True)


@sdg_app.command("import")
@handles_errors
def sdg_import(
    file: Annotated[Path, typer.Argument(help="The filled .xlsx grid.")],
    to: Annotated[
        Path | None, typer.Option("--to", help="Write the partnership there (data/partnerships/<id>.yaml).")
    ] = None,
    data: SdgData = Path("data"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite the --to file if it exists.")] = False,
) -> None:
    """Read a filled grid, report every problem with its sheet and cell (exit 1), optionally write the YAML."""
    from cufstudy.sdg.competences import check_imported
    from cufstudy.sdg.contribution import summary
    from cufstudy.sdg.framework import load_framework
    from cufstudy.sdg.grid import import_grid, to_yaml

    framework = load_framework(data)
    partnership = import_grid(file, framework)
    check_imported(partnership, data, framework, str(file))  # contributions the partner's competences refuse
    s = summary(partnership, framework)
    console.print(
        f"{partnership.id}: {s.n_projects} projects, {s.n_links} target links ({s.n_goals} goals), "
        f"{s.n_indicators} indicators, {s.n_actions} roadmap actions",
        highlight=False,
        soft_wrap=True,
    )
    if to is None:
        console.print("valid; use --to data/partnerships/<id>.yaml to write it", highlight=False, soft_wrap=True)
        return
    path = to_yaml(partnership, to, overwrite=force, source=file.name)
    console.print(f"wrote {path}", highlight=False, soft_wrap=True)


@app.command("build")
@handles_errors
def build_command(
    profiles: Annotated[
        list[str] | None,
        typer.Argument(help="Deliverables to build: study, guide, brochure, toolbox (default: every profile)."),
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", help="auto (Quarto if on PATH, else embedded), pandoc (embedded) or quarto.")
    ] = "auto",
    to: Annotated[
        list[str] | None, typer.Option("--to", help="Only this format: html, pdf or docx; repeatable.")
    ] = None,
    preview: Annotated[bool, typer.Option("--preview", help="Write PNG thumbnails of the PDF pages.")] = False,
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-j", min=1, help="Notebooks executed at once (default: the number of cores)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Re-execute every notebook, even unchanged ones.")] = False,
    project: Annotated[Path, typer.Option("--project", help="The project folder (holds _quarto.yml).")] = Path(),
    no_progress: Annotated[bool, typer.Option("--no-progress", help="Plain log instead of the live table.")] = False,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Fail instead of waiting when another build holds the lock.")
    ] = False,
) -> None:
    """Validate the data, run the notebooks, render and check the deliverables into _output/.

    A failed build leaves the previous deliverables in place.

    Public deliverables are checked for confidential values before they are published.
    """
    from cufstudy.pipeline.build import build

    if engine not in ("auto", "pandoc", "quarto"):
        raise typer.BadParameter(f"{engine!r}: choose auto, pandoc or quarto", param_hint="--engine")
    result = build(
        project,
        profiles or None,
        engine=engine,  # type: ignore[arg-type]
        formats=to or None,
        preview=preview,
        workers=workers,
        force=force,
        wait=not no_wait,
        progress=not no_progress,
    )
    console.print(result.summary(), highlight=False)


def main() -> None:
    """Entry point of the ``cufstudy`` console script."""
    app(prog_name="cufstudy")


if __name__ == "__main__":  # pragma: no cover
    main()
