"""The ``cufstudy`` command line: a thin layer over functions users can import.

Every command catches :class:`~cufstudy.errors.CufstudyError`, prints its located message and exits 1,
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

from cufstudy.errors import CufstudyError

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
console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


def handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a :class:`CufstudyError` into a located message on stderr and exit code 1."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except CufstudyError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False, soft_wrap=True)
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
    from cufstudy.cases import load_cases

    base = load_cases(path)
    console.print(base.summary(), highlight=False)


@app.command()
@handles_errors
def cases(path: DataPath = Path("data")) -> None:
    """Show the case base as a table: id, authority, tier, DCOL call, ambition, provenance."""
    from cufstudy.cases import load_cases
    from cufstudy.vocab import label

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


def main() -> None:
    """Entry point of the ``cufstudy`` console script."""
    app(prog_name="cufstudy")


if __name__ == "__main__":  # pragma: no cover
    main()
