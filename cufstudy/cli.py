"""The ``cufstudy`` command line: a thin layer over functions users can import.

Exit codes (the README states them too):

* 0: success;
* 1: the project, its data or the build failed: every :class:`~cufstudy.core.errors.CufstudyError` prints
  its located message, without a traceback; so does a file that cannot be read or written (disk full,
  permission denied, read-only folder, worded as a :class:`~cufstudy.core.errors.WriteError`); anything else
  is a bug and keeps its traceback;
* 2: the command line is wrong (click's usage errors: an unknown command or option, a missing argument)
  or names what does not exist (an :class:`~cufstudy.core.errors.ArgumentError`: an unknown profile,
  format or engine, Quarto asked for but not installed), found before any work starts;
* 130: interrupted (Ctrl-C); the previous outputs are kept.

Every command's help ends with examples. Help is plain click text (``rich_markup_mode=None``): data values and
brackets in help texts print as written, and boolean options show as flags.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cufstudy.core.errors import ArgumentError, CufstudyError, CufstudyWarning, WriteError

__all__ = ["EXIT_ERROR", "EXIT_INTERRUPTED", "EXIT_USAGE", "app", "main"]

EXIT_ERROR = 1
"""A :class:`CufstudyError`: the project, its data or the build failed."""
EXIT_USAGE = 2
"""The command line is wrong (click's usage errors and :class:`ArgumentError`)."""
EXIT_INTERRUPTED = 130


def examples(*lines: str) -> str:
    """A help epilog listing example command lines, kept line by line by click's formatter."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def _version(value: bool) -> None:
    if value:
        from cufstudy import __version__

        typer.echo(f"cufstudy {__version__}")
        raise typer.Exit()


app = typer.Typer(
    name="cufstudy",
    help=(
        "Build the Cités Unies France capitalisation study, guide, brochure and SDG toolbox from typed case "
        "data: validate the data, run the parameterised notebooks, render the deliverables.\n\n"
        "Exit codes: 0 success; 1 the project, its data or the build failed; 2 the command line is wrong "
        "(unknown option, profile, format or engine); 130 interrupted."
    ),
    epilog=examples(
        "cufstudy validate",
        "cufstudy build",
        "cufstudy preview guide",
        "cufstudy build guide --to pdf",
        "cufstudy COMMAND --help",
    ),
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """Build the CUF study, guide, brochure and SDG toolbox from typed case data."""
# Markup off: messages carry data values (names, file contents) that must print literally, "[/]" included.
console = Console(markup=False)
err_console = Console(stderr=True, markup=False)

_STARTED = time.perf_counter()
P = ParamSpec("P")
R = TypeVar("R")


def handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a :class:`CufstudyError` into a located message on stderr and exit code 1 (2 for an
    :class:`ArgumentError`, reported as a usage error)."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", CufstudyWarning)
                try:
                    return func(*args, **kwargs)
                finally:  # a library warning (a workbook holding macros): one line, as the errors
                    for warning in caught:
                        if issubclass(warning.category, CufstudyWarning):
                            err_console.print(f"warning: {warning.message}", highlight=False, soft_wrap=True)
                        else:
                            warnings.showwarning(
                                warning.message, warning.category, warning.filename, warning.lineno
                            )
        except ArgumentError as exc:  # reported as click reports a bad option value: usage, then the error
            raise typer.BadParameter(str(exc), param_hint=exc.param) from None
        except CufstudyError as exc:
            err_console.print(Text.assemble(("error:", "bold red"), f" {exc}"), highlight=False, soft_wrap=True)
            raise typer.Exit(EXIT_ERROR) from None
        except OSError as exc:  # disk full, permission denied, read-only folder: the user's to fix, not a bug
            if not WriteError.handles(exc):
                raise
            message = str(WriteError.from_os(exc, verb="access"))  # a read or a write: not known here
            err_console.print(Text.assemble(("error:", "bold red"), f" {message}"), highlight=False, soft_wrap=True)
            raise typer.Exit(EXIT_ERROR) from None
        except KeyboardInterrupt:
            err_console.print("interrupted: the previous outputs were kept")
            raise typer.Exit(EXIT_INTERRUPTED) from None

    return wrapper


DataPath = Annotated[Path, typer.Argument(help="Folder of the case base (holds cases/*.yaml).", show_default=True)]


@app.command(epilog=examples("cufstudy validate", "cufstudy validate path/to/data"))
@handles_errors
def validate(path: DataPath = Path("data")) -> None:
    """Check every case file of PATH and report all problems at once (exit 1 if any)."""
    from cufstudy.model.cases import load_cases

    base = load_cases(path)
    console.print(base.summary(), highlight=False)


@app.command(epilog=examples("cufstudy cases", "cufstudy cases path/to/data"))
@handles_errors
def cases(path: DataPath = Path("data")) -> None:
    """Show the case base as a table: id, authority, tier, DCOL call, ambition, population, provenance.

    Ids are never cut; populations are written the French way (370 260).
    """
    from cufstudy.core.french import format_number
    from cufstudy.model.cases import load_cases
    from cufstudy.model.vocab import label

    base = load_cases(path)
    table = Table(title=f"Case base: {len(base)} cases ({path})")
    widest = max((len(case.id) for case in base), default=2)
    table.add_column("id", no_wrap=True, min_width=widest)
    for col in ("authority", "tier", "DCOL", "mission", "ambition", "population", "provenance"):
        table.add_column(col, overflow="fold", justify="right" if col in ("ambition", "population") else "left")
    for case in base:
        table.add_row(
            case.id,
            case.authority.name,
            label(case.authority.tier),
            case.dcol_label,
            label(case.mission_kind) if case.mission_kind else "-",
            str(int(case.strategy.ambition)) if case.strategy else "-",
            format_number(case.authority.population.value) if case.authority.population else "-",
            case.provenance.value,
        )
    # piped or redirected: one line per case, as wide as it needs (a terminal wraps the cells, never the ids)
    out = console if console.is_terminal else Console(markup=False, width=240)
    out.print(table)


@app.command(
    "run",
    epilog=examples("cufstudy run", "cufstudy run --only profil_niveau", "cufstudy run --force -j 1 --no-progress"),
)
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
    Also writes the project's Quarto extension, _extensions/cufstudy/ (this command is the project's
    Quarto pre-render step, so a plain `quarto render --profile guide` works on a fresh clone).
    """
    from cufstudy.pipeline.build import prepare_quarto
    from cufstudy.pipeline.runs import run

    prepare_quarto(project)
    report = run(project, workers=workers, force=force, only=only, progress=not no_progress, wait=not no_wait)
    console.print(report.summary(), highlight=False)
    report.raise_for_failures()
    if os.environ.get("QUARTO_PROJECT_OUTPUT_DIR"):  # Quarto's pre-render step: the charts' images for Quarto
        from cufstudy.pipeline.build import fill_charts_for_quarto

        fill_charts_for_quarto(project, os.environ.get("QUARTO_PROFILE"))


sdg_app = typer.Typer(
    help="SDG toolbox: the transferable Excel grid of a partnership's contribution to the SDGs.",
    epilog=examples("cufstudy sdg grid-template grille.xlsx", "cufstudy sdg import grille.xlsx"),
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(sdg_app, name="sdg")

SdgData = Annotated[Path, typer.Option("--data", help="Data folder holding sdg/ (the UN framework).")]


@sdg_app.command(
    "grid-template",
    epilog=examples("cufstudy sdg grid-template grille.xlsx", "cufstudy sdg grid-template terrain/grille.xlsx --force"),
)
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


@sdg_app.command(
    "import",
    epilog=examples(
        "cufstudy sdg import grille.xlsx", "cufstudy sdg import grille.xlsx --to data/partnerships/mon-partenariat.yaml"
    ),
)
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


# --- fieldwork: interview guides, capture forms, their import, the progress (cufstudy.fieldwork) -----------

fieldwork_app = typer.Typer(
    help="Fieldwork kit: interview guides and capture forms for each case, read back into the case base.",
    epilog=examples(
        "cufstudy fieldwork guides --to terrain/guides --pdf",
        "cufstudy fieldwork forms --to terrain/fiches",
        "cufstudy fieldwork import terrain/fiches/*.xlsx --dry-run",
        "cufstudy fieldwork progress",
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(fieldwork_app, name="fieldwork")

FieldworkData = Annotated[
    Path, typer.Option("--data", help="Data folder holding cases/ and fieldwork/ (questions, selection grid).")
]
CaseIds = Annotated[
    list[str] | None,
    typer.Option(
        "--cases",
        help="A case id, repeatable or comma-separated (default: every DCOL mission and comparison authority).",
    ),
]
OutDir = Annotated[Path, typer.Option("--to", help="The folder to write into (created if needed).")]


def _case_ids(values: list[str] | None) -> list[str]:
    return [part.strip() for v in values or [] for part in v.split(",") if part.strip()]


@fieldwork_app.command(
    "guides", epilog=examples("cufstudy fieldwork guides --to terrain/guides --cases ville-angers --pdf")
)
@handles_errors
def fieldwork_guides(
    to: OutDir,
    cases: CaseIds = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write each guide as PDF (embedded Typst).")] = False,
    data: FieldworkData = Path("data"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing guides.")] = False,
) -> None:
    """Write one interview guide per case (French, DOCX with Word styles, A4): guide-<id>.docx."""
    from cufstudy.core.project import project_root
    from cufstudy.fieldwork.guides import select_cases, write_guides
    from cufstudy.fieldwork.questions import load_questions
    from cufstudy.model.cases import load_cases

    base = load_cases(data)
    chosen = select_cases(base, _case_ids(cases))
    fonts = project_root(data.resolve()) / "templates" / "fonts"
    paths = write_guides(chosen, load_questions(data), to, pdf=pdf, fonts=fonts if fonts.is_dir() else None,
                         overwrite=force)  # fmt: skip
    console.print(f"wrote {len(paths)} files for {len(chosen)} cases into {to}", highlight=False, soft_wrap=True)


@fieldwork_app.command("forms", epilog=examples("cufstudy fieldwork forms --to terrain/fiches --cases ville-pau"))
@handles_errors
def fieldwork_forms(
    to: OutDir,
    cases: CaseIds = None,
    data: FieldworkData = Path("data"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing forms (they may hold answers).")] = False,
) -> None:
    """Write one Excel capture form per case (fiche-<id>.xlsx) to fill during or after the interview."""
    from cufstudy.fieldwork.forms import write_forms
    from cufstudy.fieldwork.guides import select_cases
    from cufstudy.fieldwork.questions import load_questions
    from cufstudy.model.cases import load_cases

    base = load_cases(data)
    chosen = select_cases(base, _case_ids(cases))
    paths = write_forms(chosen, load_questions(data), base, to, overwrite=force)
    console.print(f"wrote {len(paths)} capture forms into {to}", highlight=False, soft_wrap=True)


@fieldwork_app.command(
    "import",
    epilog=examples(
        "cufstudy fieldwork import terrain/fiches/*.xlsx --dry-run", "cufstudy fieldwork import terrain/fiches/*.xlsx"
    ),
)
@handles_errors
def fieldwork_import(
    forms: Annotated[list[Path], typer.Argument(help="The filled capture forms (.xlsx).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and show the changes; write nothing.")] = False,
    data: FieldworkData = Path("data"),
) -> None:
    """Check every form (all problems at once, by file and cell), then update the case files and show the diff.

    Nothing is written unless every form is valid.
    """
    from cufstudy.fieldwork.importing import import_forms

    report = import_forms(forms, data, dry_run=dry_run)
    for change in report.changes:
        for line in change.diff.splitlines():
            style = "green" if line.startswith("+") else "red" if line.startswith("-") else ""
            console.print(Text(line, style=style), highlight=False, soft_wrap=True)
    console.print(report.summary(), highlight=False, soft_wrap=True)


@fieldwork_app.command("progress", epilog=examples("cufstudy fieldwork progress"))
@handles_errors
def fieldwork_progress(data: FieldworkData = Path("data")) -> None:
    """Show the progress of the fieldwork: interviews planned, held, imported, per tier; follow-ups known."""
    from cufstudy.fieldwork.progress import progress, progress_table
    from cufstudy.fieldwork.selection import load_selection
    from cufstudy.model.cases import load_cases

    base = load_cases(data)
    state = progress(base, load_selection(base, data))
    frame = progress_table(state)
    table = Table(title=f"Fieldwork progress ({data})")
    for col in frame.columns:
        table.add_column(str(col), justify="left" if col == frame.columns[0] else "right")
    for row in frame.itertuples(index=False):
        table.add_row(*["-" if v is None or str(v) == "<NA>" else str(v) for v in row])
    console.print(table)
    console.print(f"follow-up known for {state.share_known:.1f} % of the recommendations", highlight=False)


@app.command(
    "new",
    epilog=examples(
        "cufstudy new ../etude-jumelages --profiles study,brochure && cd ../etude-jumelages && cufstudy build",
        "cufstudy new ../etude-odd --profiles toolbox",
    ),
)
@handles_errors
def new_command(
    folder: Annotated[Path, typer.Argument(help="Folder of the new project (created; must be empty).")],
    profiles: Annotated[
        list[str] | None,
        typer.Option(
            "--profiles", "-p", help="Deliverables: study, guide, brochure, toolbox (comma-separated; default: all)."
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Write into a folder that is not empty (same paths are replaced).")
    ] = False,
) -> None:
    """Start a new study: a project with its settings, an example case, notebooks and report skeletons.

    It builds at once (cufstudy build), with the library's typology, organisation models, SDG framework,
    templates and fonts until the project has its own. Every file written is named.
    """
    from cufstudy.pipeline.starter import new_project

    made = new_project(folder, profiles or None, force=force)
    console.print(made.summary(), highlight=False, soft_wrap=True)


@app.command(
    "build",
    epilog=examples(
        "cufstudy build",
        "cufstudy build guide --to pdf",
        "cufstudy build study guide --engine pandoc",
        "cufstudy build brochure --preview",
        "cufstudy build --force --no-progress",
    ),
)
@handles_errors
def build_command(
    profiles: Annotated[
        list[str] | None,
        typer.Argument(
            help="Deliverables to build: study, guide, brochure, toolbox (default: every profile).",
            metavar="PROFILE",
        ),
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", help="auto (Quarto if on PATH, else embedded), pandoc (embedded) or quarto.")
    ] = "auto",
    to: Annotated[
        list[str] | None,
        typer.Option("--to", help="Only this format: html, pdf or docx (any case); repeatable.", metavar="FORMAT"),
    ] = None,
    preview: Annotated[bool, typer.Option("--preview", help="Write PNG thumbnails of the PDF pages.")] = False,
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-j", min=1, help="Notebooks executed at once (default: the number of cores)."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Re-execute every notebook and re-render every deliverable, even those whose inputs did not change.",
        ),
    ] = False,
    project: Annotated[Path, typer.Option("--project", help="The project folder (holds _quarto.yml).")] = Path(),
    no_progress: Annotated[
        bool, typer.Option("--no-progress", help="Log one line per step instead of the live display.")
    ] = False,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Fail instead of waiting when another build holds the lock.")
    ] = False,
) -> None:
    """Validate the data, run the notebooks, render and check the deliverables into _output/.

    The profiles, formats and engine are checked first, before any notebook runs. A failed build leaves the
    previous deliverables in place. Public deliverables are checked for confidential values before they are
    published.
    """
    from cufstudy.pipeline import uptodate
    from cufstudy.pipeline.build import build
    from cufstudy.render.extension import extension_dir

    started = time.time_ns()
    result = build(
        project,
        profiles or None,
        engine=engine,  # type: ignore[arg-type]  # checked by build (ArgumentError: exit code 2)
        formats=to or None,
        preview=preview,
        workers=workers,
        force=force,
        wait=not no_wait,
        progress=not no_progress,
    )
    *report, finished = result.summary().split("\n")
    with console.capture() as shown:
        console.print("\n".join(report), highlight=False)
    print(shown.get(), end="", flush=True)
    console.print(finished, highlight=False)
    # the next `cufstudy build` like this one, nothing changed, answers from file dates (pipeline.uptodate)
    if result.project is not None:
        *again, _ = result.settled().summary().split("\n")
        with console.capture() as settled:  # printed as this build printed its report
            console.print("\n".join(again), highlight=False)
        root = result.project.root
        uptodate.record(
            sys.argv[1:],
            root,
            settled.get(),
            started,
            extra=[result.project.data_dir],  # its data may be outside the project
            written=[result.project.paths.output, extension_dir(root)],
        )


@app.command(
    "preview",
    epilog=examples(
        "cufstudy preview",
        "cufstudy preview study --port 8000",
        "cufstudy preview guide --open",
        "cufstudy preview toolbox --no-run",
    ),
)
@handles_errors
def preview_command(
    profile: Annotated[
        str | None,
        typer.Argument(help="The deliverable to preview (default: the first profile with HTML).", metavar="PROFILE"),
    ] = None,
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="The local port (0: any free one).")
    ] = 4848,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the page in the default browser.")] = False,
    no_run: Annotated[
        bool,
        typer.Option("--no-run", help="Never execute notebooks: render from the executed notebooks as they are."),
    ] = False,
    project: Annotated[Path, typer.Option("--project", help="The project folder (holds _quarto.yml).")] = Path(),
) -> None:
    """Serve a deliverable's HTML on http://127.0.0.1:PORT/ and rebuild it on every save, with live reload.

    A saved .qmd, include, template or style renders this deliverable's HTML again; a saved data file or
    notebook first re-executes the notebook runs that read it; a saved _quarto*.yml reloads the project.
    Errors show in the terminal and over the page; the server keeps running. Ctrl-C stops it.

    The preview is written to _build/preview/, never to _output/ (cufstudy build publishes), with the
    embedded engine: Quarto's own preview is not used.
    """
    from cufstudy.pipeline.preview import preview

    preview(project, profile, port=port, open_browser=open_browser, run_notebooks=not no_run)


@app.command(
    "check",
    epilog=examples("cufstudy check guide", "cufstudy check study --file reports/study/study.pdf"),
)
@handles_errors
def check_command(
    profiles: Annotated[
        list[str] | None,
        typer.Argument(help="Deliverables to check (default: $QUARTO_PROFILE, else every profile)."),
    ] = None,
    file: Annotated[
        list[Path] | None,
        typer.Option(
            "--file", help="A rendered file to check and publish (default: what Quarto rendered); repeatable."
        ),
    ] = None,
    project: Annotated[Path, typer.Option("--project", help="The project folder (holds _quarto.yml).")] = Path(),
) -> None:
    """Check rendered deliverables (page rules, A4, notice, offline HTML, leaks, typography); publish them if all pass.

    As Quarto's post-render step, it checks the files of $QUARTO_PROJECT_OUTPUT_FILES ($QUARTO_PROFILE), and
    writes the brochure's designer pack from its DOCX (published with it).

    Only if every check passes are they copied to _output/<profile>.<ext>; a failure names file and rule, exit 1.

    Run by hand, it checks the published _output/<profile>.* files, and the designer pack beside the brochure.
    """
    from cufstudy.pipeline.publish import check_for_publication

    result = check_for_publication(project, profiles or None, file or None)
    console.print(result.summary(), highlight=False, soft_wrap=True)


def main() -> None:
    """Entry point of the ``cufstudy`` console script: a build with nothing to do is answered from file dates
    (:func:`cufstudy.pipeline.uptodate.answer`), before the library loads."""
    from cufstudy.pipeline.uptodate import answer

    if answer(sys.argv[1:], started=_STARTED):
        return
    app(prog_name="cufstudy")


if __name__ == "__main__":  # pragma: no cover
    main()
