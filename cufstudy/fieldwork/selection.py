"""The selection grid of the comparison authorities (``data/fieldwork/selection.yaml``).

The terms of reference ask for interviews with "4 ou 5 autres collectivités non bénéficiaires du DCOL
(à identifier) avec une expérience intéressante sur le sujet", compared across sizes and tiers. The grid
keeps those criteria as data: three are computed from the case base (not a DCOL beneficiary, tier, size
band), the others are assessed by the team for each candidate, with a note. The candidates are the cases
whose role is ``comparison``; the study's method section prints the criteria and the grid.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cufstudy.core.errors import DataError, Problem
from cufstudy.core.workbook import fold
from cufstudy.core.yamlio import FieldPath, path_str
from cufstudy.fieldwork._data import read_model
from cufstudy.model.cases import Case, CaseBase
from cufstudy.model.vocab import label

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "SELECTION_FILE",
    "Candidate",
    "Coverage",
    "Criterion",
    "SelectionGrid",
    "candidates_table",
    "coverage",
    "criteria_table",
    "load_selection",
]

SELECTION_FILE = "selection.yaml"
_FROZEN = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
COMPUTED = ("not_dcol", "tier", "size")


class SizeBand(BaseModel):
    model_config = _FROZEN

    label: str = Field(min_length=2, max_length=100)
    below: int | None = Field(default=None, ge=1)


class Criterion(BaseModel):
    """A selection criterion: computed from the case (``not_dcol``, ``tier``, ``size``) or ``assessed``."""

    model_config = _FROZEN

    id: str = Field(min_length=2, max_length=40, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    kind: Literal["not_dcol", "tier", "size", "assessed"]
    label: str = Field(min_length=2, max_length=200)
    short: str | None = Field(default=None, max_length=60)
    """The column header in the grid of candidates (default: ``label``)."""
    rule: str = Field(min_length=3, max_length=500)
    source: str = Field(min_length=3, max_length=500)


class Assessment(BaseModel):
    model_config = _FROZEN

    met: bool | None = None
    note: str | None = Field(default=None, max_length=500)


class Candidate(BaseModel):
    """A candidate comparison authority (a case of role ``comparison``) and the team's assessments."""

    model_config = _FROZEN

    case: str = Field(min_length=2, max_length=80)
    size: str | None = Field(default=None, max_length=100)
    retained: bool = False
    assessments: dict[str, Assessment] = {}


class Target(BaseModel):
    model_config = _FROZEN

    min: int = Field(ge=1, le=50)
    max: int = Field(ge=1, le=50)

    @model_validator(mode="after")
    def _order(self) -> Target:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        return self


class SelectionGrid(BaseModel):
    """The criteria, the size bands and the candidates."""

    model_config = _FROZEN

    target: Target
    size_bands: tuple[SizeBand, ...] = Field(min_length=1)
    criteria: tuple[Criterion, ...] = Field(min_length=1)
    candidates: tuple[Candidate, ...] = ()

    def band(self, population: int) -> str:
        """The label of the size band of a population."""
        for band in self.size_bands:
            if band.below is None or population < band.below:
                return band.label
        return self.size_bands[-1].label


def _check(grid: SelectionGrid, base: CaseBase, file: str, lines: dict[FieldPath, int]) -> list[Problem]:
    problems: list[Problem] = []

    def problem(where: FieldPath, message: str) -> None:
        line = next((lines[where[:n]] for n in range(len(where), -1, -1) if where[:n] in lines), None)
        problems.append(Problem(file, message, line, path_str(where) or None))

    bands = grid.size_bands
    for i, band in enumerate(bands):
        last = i == len(bands) - 1
        if band.below is None and not last:
            problem(("size_bands", i, "below"), "only the last size band may leave 'below' out")
        if last and band.below is not None:
            problem(("size_bands", i, "below"), "the last size band takes every larger population: leave 'below' out")
        if i and band.below is not None and (bands[i - 1].below or 0) >= band.below:
            problem(("size_bands", i, "below"), "size bands must go up: 'below' must exceed the previous band's")
    ids = Counter(c.id for c in grid.criteria)
    kinds = Counter(c.kind for c in grid.criteria)
    for i, criterion in enumerate(grid.criteria):
        if ids[criterion.id] > 1:
            problem(("criteria", i, "id"), f"criterion id {criterion.id!r} is used twice")
        if criterion.kind in COMPUTED and kinds[criterion.kind] > 1:
            problem(("criteria", i, "kind"), f"the computed criterion {criterion.kind!r} is listed twice")
    assessed = [c.id for c in grid.criteria if c.kind == "assessed"]
    band_labels = [b.label for b in bands]
    comparison = [c.id for c in base if c.role == "comparison"]
    seen: dict[str, int] = {}
    for i, cand in enumerate(grid.candidates):
        where: FieldPath = ("candidates", i, "case")
        if cand.case in seen:
            problem(where, f"case {cand.case!r} is listed twice (first at candidates[{seen[cand.case]}])")
        seen.setdefault(cand.case, i)
        try:
            case = base[cand.case]
        except KeyError:
            near = difflib.get_close_matches(cand.case, comparison, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            problem(where, f"unknown case {cand.case!r}: candidates are cases of the case base{hint}")
            case = None
        if case is not None and case.role != "comparison":
            problem(
                where,
                f"case {cand.case!r} has the role {case.role!r}: candidates are comparison authorities "
                "(dcol_call: non_dcol, no mission)",
            )
        if cand.size is not None:
            if cand.size not in band_labels:
                near = difflib.get_close_matches(cand.size, band_labels, n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                problem(("candidates", i, "size"), f"got {cand.size!r}, expected a size band label{hint}")
            elif case is not None and case.authority.population is not None:
                problem(
                    ("candidates", i, "size"),
                    "the authority has a population: its size band is computed from it; remove 'size'",
                )
        for key in cand.assessments:
            if key not in assessed:
                near = difflib.get_close_matches(key, assessed, n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                problem(
                    ("candidates", i, "assessments", key),
                    f"{key!r} is not an assessed criterion: expected one of {', '.join(assessed) or '(none)'}{hint}",
                )
    return problems


def load_selection(base: CaseBase, data: str | Path = "data") -> SelectionGrid:
    """Load ``<data>/fieldwork/selection.yaml`` and check it against the case base.

    Raises
    ------
    DataError
        Every problem at once, located: unknown field, a candidate that is not a comparison case, an unknown
        criterion in an assessment, size bands out of order.
    """
    grid, doc = read_model(data, SELECTION_FILE, SelectionGrid)
    problems = _check(grid, base, doc.file, doc.lines)
    if problems:
        raise DataError(problems)
    return grid


def _not_dcol(case: Case, base: CaseBase) -> bool:
    """No DCOL mission: the case is a comparison one and no DCOL case of the base has its official code."""
    codes = {c.authority.code for c in base if c.is_dcol and c.authority.code}
    return case.role == "comparison" and case.authority.code not in codes


def _size(grid: SelectionGrid, case: Case, candidate: Candidate) -> str:
    population = case.authority.population
    if population is not None:
        return grid.band(population.value)
    return f"{candidate.size} (déclarée dans la grille)" if candidate.size else "non renseignée"


def criteria_table(grid: SelectionGrid) -> pd.DataFrame:
    """The criteria: ``Critère``, ``Ce qui est recherché``, ``Termes de référence``, ``Appréciation``."""
    import pandas as pd

    how = {"not_dcol": "d'après la base de cas", "tier": "d'après la base de cas", "size": "d'après la population"}
    rows = [
        {
            "Critère": c.label,
            "Ce qui est recherché": c.rule,
            "Termes de référence": c.source,
            "Appréciation": how.get(c.kind, "par l'équipe"),
        }
        for c in grid.criteria
    ]
    return pd.DataFrame(rows, columns=["Critère", "Ce qui est recherché", "Termes de référence", "Appréciation"])


def _assessment(a: Assessment | None) -> str:
    if a is None or a.met is None:
        return "à apprécier" + (f" — {a.note}" if a and a.note else "")
    return ("oui" if a.met else "non") + (f" — {a.note}" if a.note else "")


def candidates_table(grid: SelectionGrid, base: CaseBase) -> pd.DataFrame:
    """One row per candidate: the authority, one column per criterion, and whether it is retained."""
    import pandas as pd

    rows = []
    for cand in grid.candidates:
        case = base[cand.case]
        name = case.authority.name
        if case.authority.fictional and "fictiv" not in fold(name) and "fictif" not in fold(name):
            name += " (fictive)"
        row = {"Collectivité": name}
        for c in grid.criteria:
            head = c.short or c.label
            if c.kind == "not_dcol":
                row[head] = "oui" if _not_dcol(case, base) else "non"
            elif c.kind == "tier":
                row[head] = label(case.authority.tier)
            elif c.kind == "size":
                row[head] = _size(grid, case, cand)
            else:
                row[head] = _assessment(cand.assessments.get(c.id))
        row["Retenue"] = "oui" if cand.retained else "non"
        rows.append(row)
    return pd.DataFrame(rows, columns=["Collectivité", *[c.short or c.label for c in grid.criteria], "Retenue"])


@dataclass(frozen=True)
class Coverage:
    """What the retained candidates cover, against the target of the terms of reference."""

    n_candidates: int
    n_retained: int
    target_min: int
    target_max: int
    tiers: tuple[str, ...]
    """French labels of the tier groups of the retained candidates, in the vocabulary's order."""
    n_fictional: int

    @property
    def on_target(self) -> bool:
        return self.target_min <= self.n_retained <= self.target_max


def coverage(grid: SelectionGrid, base: CaseBase) -> Coverage:
    """The retained candidates: how many, which tiers, how many fictional."""
    retained = [base[c.case] for c in grid.candidates if c.retained]
    groups = {c.authority.group for c in retained}
    order = [g for g in type(next(iter(groups))) if g in groups] if groups else []
    return Coverage(
        n_candidates=len(grid.candidates),
        n_retained=len(retained),
        target_min=grid.target.min,
        target_max=grid.target.max,
        tiers=tuple(label(g) for g in order),
        n_fictional=sum(c.authority.fictional for c in retained),
    )
