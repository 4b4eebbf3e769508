"""Competences of the tiers of local government in partner countries, and the check of the grid's attributions.

``data/toolbox/competences.yaml`` lists, for each partner country, its tiers of local government (with the
ways a partnership may write them: « région », « conseil régional ») and the functions each holds, as SDG
targets (civil registration, 16.9, is a function of the commune in Burkina Faso). The SDG grid credits the
partner authority with a contribution to each target of each project (levels 0-4). A tier may support a
function another tier holds, but the rule of the file caps what it is credited with for such a target
(``max_level_outside``, 3 by default: a structural contribution belongs to the tier that holds the function).

:func:`attribution_problems` finds the attributions the rule refuses; :func:`check_partnership` raises them as
one located ``DataError`` naming the partnership file, the project and the target (``cufstudy build`` and
``cufstudy sdg import`` call it). :func:`attributions_table` is the French table of what was checked.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Final

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cufstudy.core.bibliography import project_bibliography, source_cell, source_problem
from cufstudy.core.errors import DataError
from cufstudy.core.problems import FieldPath, Problem, Problems, Reason, did_you_mean, validation_issues
from cufstudy.core.yamlio import read_yaml
from cufstudy.model.cases import Slug
from cufstudy.model.countries import COUNTRIES_FR
from cufstudy.sdg.framework import Framework, Target
from cufstudy.sdg.partnerships import (
    LEVEL_LABELS_FR,
    Level,
    Partnership,
    Side,
    load_partnership,
    partnership_file,
    unknown_target_message,
)

__all__ = [
    "COMPETENCES_FILE",
    "Attribution",
    "Competences",
    "CountryCompetences",
    "Domain",
    "ProblemAt",
    "attribution_problems",
    "attributions",
    "attributions_table",
    "check_imported",
    "check_partnership",
    "competences_table",
    "load_checked_partnership",
    "load_competences",
]

COMPETENCES_FILE: Final = Path("toolbox") / "competences.yaml"
"""The competences, inside the data folder."""
_FROZEN = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
Name = Annotated[str, Field(min_length=2, max_length=200)]
Key = Annotated[str, Field(min_length=2, max_length=80)]

ProblemAt = Callable[[FieldPath, str, Reason], Problem]
"""Places a problem found in a partnership at a field path (a YAML line, a workbook's sheet)."""


def _fold(text: str) -> str:
    flat = unicodedata.normalize("NFD", " ".join(text.split()).casefold())
    return "".join(c for c in flat if unicodedata.category(c) != "Mn")


class Rule(BaseModel):
    """The highest level a tier is credited with for a target of a function it does not hold."""

    model_config = _FROZEN

    max_level_outside: int = Field(ge=0, le=4)
    explanation: str = Field(min_length=10, max_length=1000)
    source: tuple[Key, ...] = Field(min_length=1)


class TierDef(BaseModel):
    """A tier of local government of a country, and how a partnership may write it."""

    model_config = _FROZEN

    id: Slug
    name: Name
    aliases: tuple[Name, ...] = ()

    def matches(self, level: str) -> bool:
        return _fold(level) in {_fold(a) for a in (self.name, *self.aliases)}


class Domain(BaseModel):
    """A function (civil registration, drinking water...), the tiers that hold it and the SDG targets it covers."""

    model_config = _FROZEN

    id: Slug
    name: Name
    holders: tuple[Slug, ...] = Field(min_length=1)
    targets: tuple[Annotated[str, Field(min_length=3, max_length=10)], ...] = Field(min_length=1)
    source: tuple[Key, ...] = Field(min_length=1)


class CountryCompetences(BaseModel):
    """The tiers of a partner country and the functions each holds."""

    model_config = _FROZEN

    country: str = Field(min_length=2, max_length=2)
    name: Name
    source: tuple[Key, ...] = Field(min_length=1)
    tiers: tuple[TierDef, ...] = Field(min_length=1)
    domains: tuple[Domain, ...] = Field(min_length=1)

    def tier_of(self, level: str) -> TierDef | None:
        """The tier a partner's level (« Région », « conseil régional ») names, or ``None``."""
        return next((t for t in self.tiers if t.matches(level)), None)

    def domain_of(self, target: str) -> Domain | None:
        """The function that covers an SDG target, or ``None`` when none is listed."""
        return next((d for d in self.domains if target in d.targets), None)

    def holders_of(self, target: str) -> str:
        """« commune »: the tiers that hold the function of an SDG target, « – » when no listed function covers it."""
        domain = self.domain_of(target)
        return self.holder_names(domain) if domain is not None else "–"

    def holder_names(self, domain: Domain) -> str:
        """« commune », « commune ; région »: the names of the tiers that hold a function."""
        names = {t.id: t.name for t in self.tiers}
        return " ; ".join(names.get(h, h) for h in domain.holders)


class Competences(BaseModel):
    """The rule and the competences of every country of ``data/toolbox/competences.yaml``."""

    model_config = _FROZEN

    rule: Rule
    countries: tuple[CountryCompetences, ...] = Field(min_length=1)

    def country(self, code: str) -> CountryCompetences | None:
        return next((c for c in self.countries if c.country == code), None)


def load_competences(data: str | Path, framework: Framework) -> Competences | None:
    """Load and check ``<data>/toolbox/competences.yaml``; ``None`` when the project has no such file.

    Raises
    ------
    DataError
        With every problem at once, located: an unknown SDG target, a holder that is no tier of the country, a
        target covered by two functions of one country, an unknown country code or source, a duplicate.
    """
    path = Path(data) / COMPETENCES_FILE
    if not path.is_file():
        return None
    doc = read_yaml(path)
    try:
        competences = Competences.model_validate(doc.data)
    except ValidationError as exc:
        issues = validation_issues(exc, Competences)
        raise DataError([doc.problem(i.path, i.message, i.reason) for i in issues]) from exc
    bib = project_bibliography(data)
    found: list[Problem] = []

    def sources(path: FieldPath, keys: Iterable[str]) -> None:
        for k, key in enumerate(keys):
            problem = source_problem(doc, (*path, k), key, bib)
            if problem is not None:
                found.append(problem)

    sources(("rule", "source"), competences.rule.source)
    seen_countries: set[str] = set()
    for i, country in enumerate(competences.countries):
        base: FieldPath = ("countries", i)
        if country.country not in COUNTRIES_FR:
            message = f"unknown country code {country.country!r}: expected an ISO 3166-1 alpha-2 code, e.g. 'BF'"
            found.append(doc.problem((*base, "country"), message, Reason.NOT_IN_VOCABULARY))
        if country.country in seen_countries:
            message = f"country {country.country!r} is described twice"
            found.append(doc.problem((*base, "country"), message, Reason.DUPLICATE))
        seen_countries.add(country.country)
        sources((*base, "source"), country.source)
        tier_ids = [t.id for t in country.tiers]
        covered: dict[str, str] = {}
        for j, domain in enumerate(country.domains):
            where: FieldPath = (*base, "domains", j)
            sources((*where, "source"), domain.source)
            for k, holder in enumerate(domain.holders):
                if holder not in tier_ids:
                    message = (
                        f"unknown tier {holder!r}{did_you_mean(holder, tier_ids)}: the tiers are {', '.join(tier_ids)}"
                    )
                    found.append(doc.problem((*where, "holders", k), message, Reason.UNKNOWN_REFERENCE))
            for k, code in enumerate(domain.targets):
                if not (code in framework and isinstance(framework.get(code), Target)):
                    message = unknown_target_message(code, framework)
                    found.append(doc.problem((*where, "targets", k), message, Reason.UNKNOWN_REFERENCE))
                elif code in covered:
                    message = (
                        f"target {code!r} is already covered by the function {covered[code]!r}: one function per target"
                    )
                    found.append(doc.problem((*where, "targets", k), message, Reason.DUPLICATE))
                covered.setdefault(code, domain.id)
    problems = Problems(DataError)
    problems.extend(found)
    problems.raise_if_any()
    return competences


# ---------------------------------------------------------------------------------------------------------
# the check of a partnership


@dataclass(frozen=True)
class Attribution:
    """A contribution the grid credits to the partner for a target of a listed function, and the verdict."""

    project: str
    target: str
    level: int
    domain: Domain
    holders: str
    partner_tier: str
    held: bool
    allowed: bool
    path: FieldPath


def attributions(partnership: Partnership, competences: Competences) -> list[Attribution]:
    """The partner-side links (territory ``partner`` or ``both``) to targets of a function listed for the
    partner's country, each with its verdict. Empty when the country, or the partner's tier, is not listed."""
    country = competences.country(partnership.partner.country)
    tier = country.tier_of(partnership.partner.level) if country is not None else None
    if country is None or tier is None:
        return []
    found = []
    for i, project in enumerate(partnership.projects):
        for j, link in enumerate(project.links):
            domain = country.domain_of(link.target)
            if domain is None or link.side is Side.FRANCE:
                continue
            held = tier.id in domain.holders
            found.append(
                Attribution(
                    project=project.id,
                    target=link.target,
                    level=int(link.level),
                    domain=domain,
                    holders=country.holder_names(domain),
                    partner_tier=tier.name,
                    held=held,
                    allowed=held or link.level <= competences.rule.max_level_outside,
                    path=("projects", i, "links", j, "level"),
                )
            )
    return found


def attribution_problems(partnership: Partnership, competences: Competences, at: ProblemAt) -> list[Problem]:
    """The problems of a partnership's attributions: a partner tier the country does not have, and every
    contribution above the rule's cap for a target of a function the partner's tier does not hold."""
    country = competences.country(partnership.partner.country)
    if country is None:
        return []
    if country.tier_of(partnership.partner.level) is None:
        names = [t.name for t in country.tiers]
        message = (
            f"unknown level {partnership.partner.level!r} for {country.name}"
            f"{did_you_mean(partnership.partner.level, names)}: "
            f"the tiers of local government are {', '.join(names)} (data/toolbox/competences.yaml)"
        )
        return [at(("partner", "level"), message, Reason.NOT_IN_VOCABULARY)]
    cap = competences.rule.max_level_outside
    problems = []
    for a in attributions(partnership, competences):
        if a.allowed:
            continue
        message = (
            f"project {a.project!r} credits {partnership.partner.name} ({a.partner_tier}) with a contribution of "
            f"level {a.level} ({LEVEL_LABELS_FR[Level(a.level)].lower()}) to target {a.target!r}, but "
            f"« {a.domain.name} » is a function of the {a.holders} in {country.name} (data/toolbox/competences.yaml): "
            f"a tier that does not hold the function is credited at most level {cap}; lower the level and say in "
            f"the evidence how the project supports the {a.holders}"
        )
        problems.append(at(a.path, message, Reason.OUT_OF_RANGE))
    return problems


def check_partnership(partnership: Partnership, competences: Competences | None, at: ProblemAt) -> None:
    """Raise the attribution problems of a partnership (nothing to check without competences).

    Raises
    ------
    DataError
        With every refused attribution, each naming the project and the target.
    """
    if competences is None:
        return
    problems = Problems(DataError)
    problems.extend(attribution_problems(partnership, competences, at))
    problems.raise_if_any()


def load_checked_partnership(data: str | Path, partnership_id: str, framework: Framework) -> Partnership:
    """Load ``<data>/partnerships/<id>.yaml`` and check its attributions against the competences of its partner's
    country; problems are located in the partnership file (line and field).

    Raises
    ------
    DataError
        An invalid partnership file, invalid competences, or attributions the rule refuses.
    """
    path = partnership_file(data, partnership_id)
    partnership = load_partnership(path, framework)
    competences = load_competences(data, framework)
    doc = read_yaml(path)

    def at(field: FieldPath, message: str, reason: Reason) -> Problem:
        return doc.problem(field, message, reason)

    check_partnership(partnership, competences, at)
    return partnership


def attributions_table(partnership: Partnership, competences: Competences) -> pd.DataFrame:
    """The partner-side contributions to targets of listed functions: what was checked and the verdict (French)."""
    cap = competences.rule.max_level_outside
    rows = [
        {
            "Projet": next(p.title for p in partnership.projects if p.id == a.project),
            "Cible": a.target,
            "Compétence": a.domain.name,
            "Échelon compétent": a.holders,
            "Niveau attribué": a.level,
            "Contrôle": "compétence du partenaire"
            if a.held
            else (f"appui à un autre échelon (niveau {cap} au plus)" if a.allowed else "refusé"),
        }
        for a in attributions(partnership, competences)
    ]
    columns = ["Projet", "Cible", "Compétence", "Échelon compétent", "Niveau attribué", "Contrôle"]
    return pd.DataFrame(rows, columns=columns)


def _level_cells(file: str) -> dict[tuple[str, str], str]:
    """(project id, target) -> the cell of its level in the « Cibles » sheet of a grid, columns found by header."""
    from openpyxl import load_workbook

    cells: dict[tuple[str, str], str] = {}
    try:
        wb = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # the grid was just imported: this only makes the messages more precise
        return cells
    try:
        rows = list(wb["Cibles"].iter_rows(values_only=True)) if "Cibles" in wb.sheetnames else []
    finally:
        wb.close()
    if not rows:
        return cells
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    if not {"Projet", "Cible", "Niveau"} <= set(header):
        return cells
    project, target, level = (header.index(h) for h in ("Projet", "Cible", "Niveau"))
    for n, row in enumerate(rows[1:], start=2):
        if max(project, target) < len(row) and row[project] is not None and row[target] is not None:
            cells.setdefault((str(row[project]).strip(), str(row[target]).strip()), f"Cibles!{chr(65 + level)}{n}")
    return cells


def check_imported(partnership: Partnership, data: str | Path, framework: Framework, file: str) -> None:
    """Check the attributions of a partnership read from the Excel grid ``file`` (``cufstudy sdg import``).

    Each problem names the workbook and the cell of the refused level (``Cibles!E12``; the « Partenariat » sheet
    for the partner's level), and its message names the project and the target.

    Raises
    ------
    DataError
        With every refused attribution; nothing is imported.
    """
    competences = load_competences(data, framework)
    if competences is None:
        return
    cells = _level_cells(file)

    def at(field: FieldPath, message: str, reason: Reason) -> Problem:
        if field[:1] == ("partner",):
            return Problem(file, message, None, "Partenariat", reason)
        project = partnership.projects[int(field[1])]
        target = project.links[int(field[3])].target
        return Problem(file, message, None, cells.get((project.id, target), "Cibles"), reason)

    problems = Problems(DataError)
    problems.extend(attribution_problems(partnership, competences, at))
    n = len(problems)
    problems.raise_if_any(f"{n} problem{'s' if n > 1 else ''} in {file}; nothing was imported")


def competences_table(country: CountryCompetences, framework: Framework) -> pd.DataFrame:
    """The functions of a country's tiers: function, tier that holds it, SDG targets, source (``CITE:`` markers for
    :func:`cufstudy.core.bibliography.with_citations`)."""
    rows = [
        {
            "Fonction": d.name,
            "Échelon compétent": country.holder_names(d),
            "Cibles ODD": ", ".join(framework.target(code).code for code in d.targets),
            "Source": source_cell(d.source),
        }
        for d in country.domains
    ]
    return pd.DataFrame(rows, columns=["Fonction", "Échelon compétent", "Cibles ODD", "Source"])
