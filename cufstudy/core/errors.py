"""The one error hierarchy of cufstudy.

Every error a user can cause derives from :class:`CufstudyError`. Errors about input files carry
:class:`Problem` records (file, line, field, bad value, what was expected), and validation collects
all problems of a data set before raising, so an analyst fixes everything in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BuildError",
    "CufstudyError",
    "DataError",
    "FactError",
    "LayoutError",
    "LeakError",
    "LockError",
    "PlanError",
    "Problem",
    "RenderError",
    "RunError",
]


@dataclass(frozen=True)
class Problem:
    """One located problem in an input file.

    Parameters
    ----------
    file
        The file, as the user named it (relative paths stay relative).
    message
        What is wrong and what was expected, in one sentence.
    line
        1-based line number, when known.
    field
        Dotted path of the field inside the file (``strategy.ambition``, ``recommendations[2].status``),
        or the sheet and cell of a workbook (``Projets!C4``).
    """

    file: str
    message: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.field:
            where = f"{where}: {self.field}"
        return f"{where}: {self.message}"

    def sort_key(self) -> tuple[str, int, str]:
        return (self.file, self.line or 0, self.field or "")


class CufstudyError(Exception):
    """Base class of every error cufstudy raises on purpose."""


class DataError(CufstudyError):
    """One or more input files are invalid. ``problems`` lists them all, sorted by file and line."""

    def __init__(self, problems: Iterable[Problem], summary: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(problems, key=Problem.sort_key))
        n = len(self.problems)
        head = summary or f"{n} problem{'s' if n != 1 else ''} found"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))

    @classmethod
    def single(cls, file: str | Path, message: str, line: int | None = None, field: str | None = None) -> DataError:
        return cls([Problem(str(file), message, line, field)], summary=None)


class PlanError(DataError):
    """The run plan under the ``cufstudy:`` key of ``_quarto.yml`` is invalid."""


class RunError(CufstudyError):
    """One or more notebook runs failed (their details are in the manifest)."""

    def __init__(self, message: str, failures: Sequence[str] = ()) -> None:
        self.failures = tuple(failures)
        super().__init__(message)


class FactError(CufstudyError):
    """A fact is missing, stale, or recorded twice with different values."""


class RenderError(CufstudyError):
    """A document could not be rendered (unsupported construct, conversion failure)."""


class LayoutError(RenderError):
    """A rendered deliverable breaks a layout rule (page count, paper size)."""


class LeakError(CufstudyError):
    """A confidential value was found in a public output."""


class LockError(CufstudyError):
    """Another build holds the project lock."""


class BuildError(CufstudyError):
    """The build failed; the previous deliverables were kept."""
