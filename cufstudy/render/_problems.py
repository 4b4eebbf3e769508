"""Located render errors: every problem found in the sources is collected, then reported at once."""

from __future__ import annotations

from collections.abc import Iterable

from cufstudy.core.errors import Problem, RenderError

__all__ = ["Problems", "SourceError"]


class SourceError(RenderError):
    """The sources of a deliverable use something the renderer cannot render.

    ``problems`` lists every located problem (``file:line: message``), sorted by file and line.
    """

    def __init__(self, problems: Iterable[Problem], summary: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(set(problems), key=Problem.sort_key))
        n = len(self.problems)
        head = summary or f"{n} render problem{'s' if n != 1 else ''} found"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


class Problems:
    """A collector of located problems (pandera-style lazy validation)."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, file: str, message: str, line: int | None = None, field: str | None = None) -> None:
        self.items.append(Problem(file, message, line, field))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self, summary: str | None = None) -> None:
        if self.items:
            raise SourceError(self.items, summary)
