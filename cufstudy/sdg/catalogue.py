"""The sector -> target -> indicator catalogue of the SDG toolbox (``data/toolbox/catalogue.yaml``).

For the sectors decentralised cooperation works in most often (water and sanitation, civil registration,
agriculture and food, waste, education, local governance), the catalogue names the SDG targets a project of the
sector usually serves, the UN global indicators that follow them, and a few local indicators a partnership can
measure itself. Codes and titles come from the UN framework (:mod:`cufstudy.sdg.framework`); the choice of
targets is data with its source (a bibliography key, or ``analyse-equipe``, printed as the team's analysis).

:func:`load_catalogue` reports every problem of the file at once, located: an unknown target or indicator code
(with the nearest code), an indicator that follows another target, a duplicate, an unknown source.
:func:`catalogue_table` gives the French table the toolbox prints, with the tier that holds each function in a
partner country when the competences are given (:mod:`cufstudy.sdg.competences`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Final

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cufstudy.core.bibliography import project_bibliography, source_problem
from cufstudy.core.errors import DataError, NotFoundError
from cufstudy.core.problems import Problem, Problems, Reason, did_you_mean, validation_issues
from cufstudy.core.yamlio import read_yaml
from cufstudy.model.cases import Slug
from cufstudy.sdg.framework import Framework, Indicator, Target
from cufstudy.sdg.partnerships import unknown_target_message

__all__ = [
    "CATALOGUE_FILE",
    "Catalogue",
    "CatalogueTarget",
    "Sector",
    "catalogue_table",
    "load_catalogue",
    "sector_table",
    "short_title",
]

CATALOGUE_FILE: Final = Path("toolbox") / "catalogue.yaml"
"""The catalogue, inside the data folder."""
_FROZEN = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
Code = Annotated[str, Field(min_length=3, max_length=10)]


class CatalogueTarget(BaseModel):
    """A target a sector's projects usually serve, its UN indicators and suggested local indicators."""

    model_config = _FROZEN

    target: Code
    indicators: tuple[Code, ...] = Field(min_length=1)
    local: tuple[Annotated[str, Field(min_length=3, max_length=300)], ...] = ()


class Sector(BaseModel):
    """A sector of decentralised cooperation and the targets chosen for it."""

    model_config = _FROZEN

    id: Slug
    name: str = Field(min_length=2, max_length=120)
    source: tuple[Annotated[str, Field(min_length=2, max_length=80)], ...] = Field(min_length=1)
    targets: tuple[CatalogueTarget, ...] = Field(min_length=1)


class Catalogue(BaseModel):
    """Every sector of the catalogue, in file order."""

    model_config = _FROZEN

    sectors: tuple[Sector, ...] = Field(min_length=1)

    def sector(self, sector_id: str) -> Sector:
        for s in self.sectors:
            if s.id == sector_id:
                return s
        known = [s.id for s in self.sectors]
        raise NotFoundError(
            f"no sector {sector_id!r}{did_you_mean(sector_id, known)}; the sectors are {', '.join(known)}"
        )

    @property
    def target_codes(self) -> set[str]:
        return {t.target for s in self.sectors for t in s.targets}


def load_catalogue(data: str | Path, framework: Framework) -> Catalogue:
    """Load and check ``<data>/toolbox/catalogue.yaml`` against the SDG framework.

    Raises
    ------
    DataError
        With every problem of the file at once, located (line, field): unknown target or UN indicator
        (``unknown SDG target '6.9' (did you mean '16.9'?)``), an indicator that follows another target, a
        target listed twice in a sector, a duplicate sector id, a source that is neither a key of
        ``references.bib`` nor ``analyse-equipe``.
    """
    doc = read_yaml(Path(data) / CATALOGUE_FILE)
    try:
        catalogue = Catalogue.model_validate(doc.data)
    except ValidationError as exc:
        raise DataError([doc.problem(i.path, i.message, i.reason) for i in validation_issues(exc, Catalogue)]) from exc
    found: list[Problem] = []
    bib = project_bibliography(data)
    seen_sectors: set[str] = set()
    for i, sector in enumerate(catalogue.sectors):
        if sector.id in seen_sectors:
            found.append(doc.problem(("sectors", i, "id"), f"duplicate sector id {sector.id!r}", Reason.DUPLICATE))
        seen_sectors.add(sector.id)
        for k, key in enumerate(sector.source):
            problem = source_problem(doc, ("sectors", i, "source", k), key, bib)
            if problem is not None:
                found.append(problem)
        seen_targets: set[str] = set()
        for j, entry in enumerate(sector.targets):
            path = ("sectors", i, "targets", j)
            if entry.target in seen_targets:
                message = f"target {entry.target!r} is listed twice in sector {sector.id!r}"
                found.append(doc.problem((*path, "target"), message, Reason.DUPLICATE))
            seen_targets.add(entry.target)
            known_target = entry.target in framework and isinstance(framework.get(entry.target), Target)
            if not known_target:
                message = unknown_target_message(entry.target, framework)
                found.append(doc.problem((*path, "target"), message, Reason.UNKNOWN_REFERENCE))
            for k, code in enumerate(entry.indicators):
                item = framework.get(code) if code in framework else None
                if not isinstance(item, Indicator):
                    hint = did_you_mean(code, [x.code for x in framework.indicators])
                    message = f"unknown UN global indicator {code!r}{hint}"
                    found.append(doc.problem((*path, "indicators", k), message, Reason.UNKNOWN_REFERENCE))
                elif known_target and not _follows(framework, code, entry.target):
                    message = (
                        f"indicator {code!r} follows target {item.target!r}, not {entry.target!r}: list it under its "
                        f"target, or choose an indicator of {entry.target!r} "
                        f"({', '.join(x.code for x in framework.indicators if x.target == entry.target) or 'none'})"
                    )
                    found.append(doc.problem((*path, "indicators", k), message, Reason.INVALID_VALUE))
    problems = Problems(DataError)
    problems.extend(found)
    problems.raise_if_any()
    return catalogue


def _follows(framework: Framework, code: str, target: str) -> bool:
    """Whether the indicator ``code`` follows ``target`` (a repeated indicator follows each of its targets)."""
    return any(i.target == target and (i.code == code or i.repeat_of == code) for i in framework.indicators)


_HORIZON: Final = ("D’ici à 2030, ", "D'ici à 2030, ")
_DANGLING: Final = frozenset(
    {
        *("à", "a", "au", "aux", "de", "des", "du", "d’", "d'", "la", "le", "les", "l’", "l'", "un", "une"),
        *("et", "ou", "en", "par", "pour", "sur", "dans", "avec", "sans", "selon", "ses", "leur", "leurs"),
        *("son", "sa", "tous", "toutes", "notamment", "y", "compris"),
    }
)


def short_title(text: str, limit: int) -> str:
    """A target or indicator title for a catalogue cell: without the common « D'ici à 2030, », cut at a word
    boundary with « … » when longer than ``limit`` characters (the Excel grid lists the titles whole).

    Examples
    --------
    >>> short_title("D’ici à 2030, assurer l’accès universel et équitable à l’eau potable, à un coût abordable", 60)
    'Assurer l’accès universel et équitable à l’eau potable…'
    """
    for prefix in _HORIZON:
        if text.startswith(prefix):
            text = text[len(prefix)].upper() + text[len(prefix) + 1 :]
    if len(text) <= limit:
        return text
    words = text[: limit - 1].rsplit(" ", 1)[0].split(" ")
    while len(words) > 1 and (words[-1].casefold() in _DANGLING or words[-1].endswith(("’", "'"))):
        words.pop()  # never end on « à », « de la », « l’ »: the cut reads as an abbreviation
    return " ".join(words).rstrip(" ,;:") + "…"


def sector_table(
    sector: Sector,
    framework: Framework,
    *,
    holders: Callable[[str], str] | None = None,
    title_chars: int = 90,
) -> pd.DataFrame:
    """One sector of the catalogue: target, UN indicators, suggested local indicators and, with ``holders`` (the
    tier that holds the function of a target in a partner country, e.g.
    :meth:`cufstudy.sdg.competences.CountryCompetences.holders_of`), the column « Échelon compétent »."""
    rows = []
    for entry in sector.targets:
        target = framework.target(entry.target)
        row = {
            "Cible": f"{target.code} – {short_title(target.title_fr, title_chars)}",
            "Indicateurs mondiaux": " ; ".join(
                f"{code} – {short_title(framework.get(code).title_fr, title_chars - 20)}" for code in entry.indicators
            ),
            "Indicateurs locaux possibles": " ; ".join(entry.local) or "–",
        }
        if holders is not None:
            row["Échelon compétent"] = holders(entry.target)
        rows.append(row)
    return pd.DataFrame(rows)


def catalogue_table(
    catalogue: Catalogue,
    framework: Framework,
    *,
    holders: Callable[[str], str] | None = None,
    title_chars: int = 90,
) -> pd.DataFrame:
    """The whole catalogue in one table, one row per target with its sector (:func:`sector_table` for each)."""
    frames = [
        sector_table(s, framework, holders=holders, title_chars=title_chars).assign(Secteur=s.name)
        for s in catalogue.sectors
    ]
    frame = pd.concat(frames, ignore_index=True)
    return frame[["Secteur", *[c for c in frame.columns if c != "Secteur"]]]
