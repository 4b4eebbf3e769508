"""SDG partnerships: a decentralised-cooperation partnership coded against the SDG framework (ODD).

A partnership links a French authority and a foreign partner. Each of its projects is linked to SDG
targets with a **contribution level** on a 0-4 scale, an extension of the OECD DAC policy markers
(0 not targeted, 1 significant, 2 principal; :func:`dac_marker` maps 0 to 0, 1-3 to 1 and 4 to 2):

- 0 none (*aucune*): the target was examined and the project does not serve it;
- 1 awareness or indirect (*sensibilisation*): the project raises awareness of it or serves it indirectly;
- 2 output (*réalisation*): the project delivers outputs for it (works, training, tools);
- 3 outcome (*effet*): a measurable change for the target is observed among beneficiaries;
- 4 principal or structural (*structurante*): the target is the project's main aim, or the project
  lastingly changes policies, institutions or funding.

Each link says which territory the contribution acts on (``side``: ``france``, ``partner`` or
``both``) and the evidence behind the level. The partnership follows **indicators**: UN global
indicators (their code must exist in the framework), or indicators from the open list of sources of
:data:`cufstudy.sdg.framework.INDICATOR_SOURCES` (INSEE national, OECD territorial, local ad hoc), which are
named and carry a code only when the analyst gives one. Progress is normalised 0-100 the way the
OECD territorial SDG method does it (:func:`progress`). A **roadmap** lists
actions with their owner, date and the indicator they feed.

Partnerships live in ``data/partnerships/<id>.yaml`` (:func:`load_partnership`) or come from the
Excel grid (:mod:`cufstudy.sdg.grid`); both report every problem at once, located.

This module holds the model, its loaders and the normalisation of an indicator's progress; what a
partnership contributes (the grid, the matrix, the indicators' progress table, the roadmap table, the
summary and the charts) is computed by :mod:`cufstudy.sdg.contribution`, which imports this module (never
the other way round).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from enum import Enum, IntEnum, StrEnum
from pathlib import Path
from typing import Annotated, Any, Final, NamedTuple

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from cufstudy.core.errors import AnalysisError, DataError, NotFoundError
from cufstudy.core.french import format_number
from cufstudy.core.problems import (
    LANG,
    FieldIssue,
    FieldPath,
    Problem,
    Problems,
    Reason,
    did_you_mean,
    did_you_mean_fr,
    nearest,
    path_str,
    say,
    validation_issues,
)
from cufstudy.core.yamlio import read_yaml
from cufstudy.model.authority import Population, code_pattern
from cufstudy.model.cases import Slug
from cufstudy.model.countries import COUNTRIES_FR
from cufstudy.model.vocab import Tier, TierGroup, label
from cufstudy.sdg.framework import Framework, Indicator, Target, indicator_sources

__all__ = [
    "DIRECTION_LABELS_FR",
    "LEVEL_HELP_FR",
    "LEVEL_LABELS_FR",
    "PROVENANCE_LABELS_FR",
    "SIDE_LABELS_FR",
    "Direction",
    "ForeignPartner",
    "FrenchAuthority",
    "Level",
    "Locator",
    "Measure",
    "Partnership",
    "PartnershipIndicator",
    "PartnershipProvenance",
    "Progress",
    "Project",
    "RoadmapAction",
    "Side",
    "TargetLink",
    "dac_marker",
    "dump_yaml",
    "infer_direction",
    "load_partnership",
    "partnership_file",
    "partnership_ids",
    "progress",
    "unknown_target_message",
    "validate_partnership",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
_TARGET_CODE = re.compile(r"^\d{1,2}\.(\d{1,2}|[a-z])$")
_DEFER = "defer_references"
#: What the official code of each tier group must be, in French (the English is
#: :func:`cufstudy.model.authority.code_pattern`'s).
_CODE_EXPECTED_FR: Final[dict[TierGroup, str]] = {
    TierGroup.COMMUNE: "un code commune INSEE de 5 caractères, par exemple « 49007 »",
    TierGroup.EPCI: "un numéro SIREN d'EPCI de 9 chiffres, par exemple « 200040715 »",
    TierGroup.DEPARTEMENT: "un code de département, par exemple « 13 », « 2A » ou « 974 »",
    TierGroup.REGION: "un code de région INSEE de 2 chiffres, par exemple « 84 »",
    TierGroup.STATUT_PARTICULIER: "un code INSEE (2 ou 3 caractères) ou un SIREN",
}


# ---------------------------------------------------------------------------------------------------------
# vocabularies


class Level(IntEnum):
    """Contribution of a project to an SDG target (0-4; see the module docstring)."""

    NONE = 0
    AWARENESS = 1
    OUTPUT = 2
    OUTCOME = 3
    PRINCIPAL = 4


class Side(StrEnum):
    """The territory a contribution acts on."""

    FRANCE = "france"
    PARTNER = "partner"
    BOTH = "both"


class Direction(StrEnum):
    """Whether an indicator should rise or fall to reach its 2030 value."""

    INCREASE = "increase"
    DECREASE = "decrease"


class PartnershipProvenance(StrEnum):
    """Where the coding of a partnership comes from."""

    ILLUSTRATIVE = "illustrative"
    TRAINING_ACTION = "training_action"
    SELF_ASSESSMENT = "self_assessment"


LEVEL_LABELS_FR: Final[dict[Level, str]] = {
    Level.NONE: "Aucune",
    Level.AWARENESS: "Sensibilisation",
    Level.OUTPUT: "Réalisation",
    Level.OUTCOME: "Effet",
    Level.PRINCIPAL: "Structurante",
}
LEVEL_HELP_FR: Final[dict[Level, str]] = {
    Level.NONE: "le projet ne contribue pas à la cible (cible examinée et écartée)",
    Level.AWARENESS: "le projet fait connaître l'enjeu de la cible ou y contribue indirectement, "
    "sans réalisation dédiée",
    Level.OUTPUT: "le projet livre des réalisations liées à la cible (ouvrages, formations, outils), "
    "sans effet encore mesuré",
    Level.OUTCOME: "un changement mesurable lié à la cible est observé chez les bénéficiaires "
    "(accès, pratiques, services rendus)",
    Level.PRINCIPAL: "la cible est l'objectif principal du projet, ou le projet transforme durablement "
    "des politiques, des institutions ou des financements",
}
SIDE_LABELS_FR: Final[dict[Side, str]] = {Side.FRANCE: "France", Side.PARTNER: "Partenaire", Side.BOTH: "Les deux"}
DIRECTION_LABELS_FR: Final[dict[Direction, str]] = {Direction.INCREASE: "hausse", Direction.DECREASE: "baisse"}
PROVENANCE_LABELS_FR: Final[dict[PartnershipProvenance, str]] = {
    PartnershipProvenance.ILLUSTRATIVE: "illustratif",
    PartnershipProvenance.TRAINING_ACTION: "formation-action",
    PartnershipProvenance.SELF_ASSESSMENT: "auto-évaluation",
}


def dac_marker(level: int) -> int:
    """The OECD DAC policy marker a contribution level corresponds to (indicative).

    0 stays 0 (not targeted), 1 to 3 give 1 (significant objective), 4 gives 2 (principal objective).

    Examples
    --------
    >>> [dac_marker(n) for n in range(5)]
    [0, 1, 1, 1, 2]
    """
    return 0 if level <= 0 else (2 if level >= 4 else 1)


# ---------------------------------------------------------------------------------------------------------
# validators


def _framework(info: ValidationInfo) -> Framework | None:
    context = info.context
    fw = context.get("framework") if isinstance(context, Mapping) else None
    return fw if isinstance(fw, Framework) else None


def unknown_target_message(code: str, framework: Framework, context: object = None) -> str:
    """``unknown SDG target '6.9' (did you mean '16.9'?); goal 6 has the targets 6.1, ...`` (in French when the
    validation ``context`` asks for it, see :func:`cufstudy.core.problems.say`)."""
    codes = [t.code for t in framework.targets]
    message = say(
        context,
        f"unknown SDG target {code!r}{did_you_mean(code, codes)}",
        f"cible ODD inconnue « {code} »{did_you_mean_fr(code, codes)}",
    )
    goal = code.split(".")[0]
    if goal.isdigit() and 1 <= int(goal) <= 17:
        listed = ", ".join(t.code for t in framework.targets_of(int(goal)))
        message += say(
            context, f"; goal {goal} has the targets {listed}", f" ; les cibles de l'objectif {goal} sont {listed}"
        )
    return message


def _target_code(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(
            say(
                info.context,
                f"got the number {value!r}: write the target code as text in quotes, e.g. '8.10' "
                "(as a number it loses its trailing zero)",
                f"le nombre {str(value).replace('.', ',')} a été saisi : écrivez le code de la cible comme du texte, "
                "par exemple « 8.10 » (en nombre, il perd son zéro final)",
            )
        )
    if not isinstance(value, str):
        return value
    value = value.strip()
    if not _TARGET_CODE.match(value):
        raise ValueError(
            say(
                info.context,
                f"{value!r} is not an SDG target code: expected 'goal.target', e.g. '6.1' or '6.a'",
                f"« {value} » n'est pas un code de cible ODD : « objectif.cible » attendu, "
                "par exemple « 6.1 » ou « 6.a »",
            )
        )
    fw = _framework(info)
    if fw is not None and not (value in fw and isinstance(fw.get(value), Target)):
        raise ValueError(unknown_target_message(value, fw, info.context))
    return value


TargetCode = Annotated[str, BeforeValidator(_target_code)]


def _level(value: Any, info: ValidationInfo) -> Any:
    integral = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not integral or not 0 <= value <= 4:
        scale = ", ".join(f"{int(level)} {label.lower()}" for level, label in LEVEL_LABELS_FR.items())
        shown = str(value).replace(".", ",") if isinstance(value, int | float) else f"« {value} »"
        raise ValueError(
            say(
                info.context,
                f"got {value!r}: expected a contribution level from 0 to 4 "
                "(0 none, 1 awareness or indirect, 2 output, 3 outcome, 4 principal or structural)",
                f"niveau {shown} hors échelle : un niveau de contribution de 0 à 4 est attendu ({scale})",
            )
        )
    return Level(int(value))


ContributionLevel = Annotated[Level, BeforeValidator(_level)]


def _country(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, str) and value not in COUNTRIES_FR:
        near = nearest(value.strip().upper(), COUNTRIES_FR)
        same = near is not None and value.strip().upper() == near
        raise ValueError(
            say(
                info.context,
                f"unknown country code {value!r}{f' (did you mean {near!r}?)' if same else ''}: "
                "expected an ISO 3166-1 alpha-2 code in capitals, e.g. 'BF', 'ML'",
                f"code pays inconnu « {value} »{f' (vouliez-vous dire « {near} » ?)' if same else ''} : "
                "un code ISO 3166-1 alpha-2 en majuscules est attendu, par exemple « BF », « ML »",
            )
        )
    return value


Text = Annotated[str, Field(min_length=1, max_length=200)]


# ---------------------------------------------------------------------------------------------------------
# the model


class FrenchAuthority(BaseModel):
    """The French local authority of the partnership."""

    model_config = _FROZEN

    name: str = Field(min_length=2, max_length=200)
    level: Tier
    code: str | None = Field(default=None, max_length=20)
    population: Population | None = None

    @field_validator("code")
    @classmethod
    def _check_code(cls, code: str | None, info: ValidationInfo) -> str | None:
        level = info.data.get("level")
        if code is None or not isinstance(level, Tier):
            return code
        pattern, expected = code_pattern(level.group)
        if not pattern.match(code):
            raise ValueError(
                say(
                    info.context,
                    f"{code!r} does not fit the level {level.value!r}: expected {expected}",
                    f"le code « {code} » ne correspond pas à l'échelon « {label(level)} » : il faut "
                    f"{_CODE_EXPECTED_FR[level.group]}",
                )
            )
        return code


class ForeignPartner(BaseModel):
    """The foreign partner authority: name, country (ISO 3166-1 alpha-2) and level, in French."""

    model_config = _FROZEN

    name: str = Field(min_length=2, max_length=200)
    country: Annotated[str, BeforeValidator(_country)]
    level: str = Field(min_length=2, max_length=100, description="e.g. 'région', 'commune', 'province'")


class TargetLink(BaseModel):
    """A project's contribution to one SDG target."""

    model_config = _FROZEN

    target: TargetCode
    level: ContributionLevel
    side: Side
    evidence: str | None = Field(default=None, max_length=2000, validate_default=True)

    @field_validator("evidence")
    @classmethod
    def _evidence_for_levels(cls, evidence: str | None, info: ValidationInfo) -> str | None:
        level = info.data.get("level")
        if not evidence and isinstance(level, Level) and level > 0:
            raise ValueError(
                say(
                    info.context,
                    f"a contribution level of {int(level)} needs its evidence (what the project did)",
                    f"un niveau de contribution de {int(level)} demande sa justification (ce que le projet a fait)",
                )
            )
        return evidence or None


class Project(BaseModel):
    """A cooperation project and the SDG targets it contributes to."""

    model_config = _FROZEN

    id: Slug
    title: str = Field(min_length=3, max_length=300)
    themes: tuple[Text, ...] = ()
    start: dt.date
    end: dt.date | None = None
    budget_eur: int | None = Field(default=None, ge=0, le=10_000_000_000)
    co_funders: tuple[Text, ...] = ()
    links: tuple[TargetLink, ...] = ()

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("start")
        if end is not None and isinstance(start, dt.date) and end < start:
            raise ValueError(
                say(
                    info.context,
                    f"the end date {end.isoformat()} is before the start date {start.isoformat()}",
                    f"la date de fin {end:%d/%m/%Y} précède la date de début {start:%d/%m/%Y}",
                )
            )
        return end


class Measure(BaseModel):
    """A value of an indicator and the year it refers to."""

    model_config = _FROZEN

    value: float = Field(allow_inf_nan=False)
    year: int = Field(ge=1990, le=2100)


def infer_direction(baseline: float, target: float) -> Direction:
    """``decrease`` when the 2030 target is below the baseline, else ``increase``."""
    return Direction.DECREASE if target < baseline else Direction.INCREASE


# ---------------------------------------------------------------------------------------------------------
# progress normalisation (OECD territorial SDG method), used by PartnershipIndicator.progress


class Progress(NamedTuple):
    """Normalised progress of an indicator (OECD territorial SDG method).

    Attributes
    ----------
    raw
        ``100 * (current - baseline) / (target - baseline)``: negative when the indicator moved away
        from its target, above 100 when it went beyond it.
    clipped
        ``raw`` clipped to [0, 100]: 0 is the baseline, 100 the 2030 target reached.
    distance
        Distance to the target in normalised points, ``100 - clipped``.
    """

    raw: float
    clipped: float
    distance: float


def progress(baseline: float, target: float, current: float, direction: Direction | None = None) -> Progress:
    """Progress from the baseline (0) to the 2030 target (100), linear, as the OECD territorial method.

    Decreasing indicators need no special case: the ratio of two negative differences is positive.
    When the target equals the baseline (a level to keep), progress is 100 if the current value meets
    the target in the indicator's direction (at least the target for ``increase``, the default; at
    most for ``decrease``), else 0.

    Parameters
    ----------
    baseline, target, current
        The indicator's baseline, 2030 target and current values.
    direction
        Inferred from baseline and target when omitted; it must agree with them.

    Examples
    --------
    >>> progress(40, 80, 60)
    Progress(raw=50.0, clipped=50.0, distance=50.0)
    >>> progress(30, 10, 5).raw  # a decreasing indicator beyond its target
    125.0
    """
    trend = direction or infer_direction(baseline, target)
    if trend is not infer_direction(baseline, target) and target != baseline:
        raise AnalysisError(f"direction {trend.value!r} contradicts the baseline {baseline} and the target {target}")
    if target == baseline:
        met = current >= target if trend is Direction.INCREASE else current <= target
        raw = 100.0 if met else 0.0
    else:
        raw = 100.0 * ((current - baseline) / (target - baseline))  # exactly 100 at the target
    clipped = min(max(raw, 0.0), 100.0)
    return Progress(raw, clipped, 100.0 - clipped)


class PartnershipIndicator(BaseModel):
    """An indicator the partnership follows, with its baseline, 2030 target and current value.

    ``source`` is a code of :func:`cufstudy.sdg.framework.indicator_sources`. A UN global indicator (``un``)
    needs its ``code`` (which must exist in the framework); the others need a ``name`` and carry a
    ``code`` only if the analyst gives one.
    """

    model_config = _FROZEN

    id: Slug
    source: str
    code: str | None = Field(default=None, max_length=40, validate_default=True)
    name: str | None = Field(default=None, max_length=400, validate_default=True)
    sdg_target: TargetCode | None = None
    unit: str | None = Field(default=None, max_length=40)
    side: Side | None = None
    baseline: Measure
    target_2030: float = Field(allow_inf_nan=False)
    current: Measure | None = None
    direction: Direction | None = Field(default=None, validate_default=True)

    @field_validator("source")
    @classmethod
    def _known_source(cls, source: str, info: ValidationInfo) -> str:
        known = list(indicator_sources())
        if source not in known:
            raise ValueError(
                say(
                    info.context,
                    f"unknown indicator source {source!r}{did_you_mean(source.lower(), known)}: "
                    f"expected one of {', '.join(known)}",
                    f"source d'indicateur inconnue « {source} »{did_you_mean_fr(source.lower(), known)} : "
                    f"valeurs possibles : {', '.join(known)}",
                )
            )
        return source

    @field_validator("code")
    @classmethod
    def _check_code(cls, code: str | None, info: ValidationInfo) -> str | None:
        source = info.data.get("source")
        if source != "un":
            return code
        if code is None:
            raise ValueError(
                say(
                    info.context,
                    "a UN global indicator needs its code, e.g. '6.1.1'",
                    "un indicateur mondial de l'ONU demande son code, par exemple « 6.1.1 »",
                )
            )
        fw = _framework(info)
        if fw is not None and not (code in fw and isinstance(fw.get(code), Indicator)):
            codes = [i.code for i in fw.indicators]
            raise ValueError(
                say(
                    info.context,
                    f"unknown UN global indicator {code!r}{did_you_mean(code, codes)}; for a national or local "
                    "indicator set the source (insee, oecd, local) and its name",
                    f"indicateur mondial de l'ONU inconnu « {code} »{did_you_mean_fr(code, codes)} ; pour un "
                    "indicateur national ou local, choisissez sa source (INSEE, OCDE, local) et donnez son nom",
                )
            )
        return code

    @field_validator("name")
    @classmethod
    def _name_unless_un(cls, name: str | None, info: ValidationInfo) -> str | None:
        if not name and info.data.get("source") not in (None, "un"):
            raise ValueError(
                say(
                    info.context,
                    "a national, territorial or local indicator needs its name (no code is invented)",
                    "un indicateur national, territorial ou local demande son nom (aucun code n'est inventé)",
                )
            )
        return name or None

    @field_validator("current")
    @classmethod
    def _current_after_baseline(cls, current: Measure | None, info: ValidationInfo) -> Measure | None:
        baseline = info.data.get("baseline")
        if current is not None and isinstance(baseline, Measure) and current.year < baseline.year:
            raise ValueError(
                say(
                    info.context,
                    f"the current value's year {current.year} is before the baseline year {baseline.year}",
                    f"l'année de la valeur actuelle ({current.year}) précède l'année de référence ({baseline.year})",
                )
            )
        return current

    @field_validator("direction")
    @classmethod
    def _direction_agrees(cls, direction: Direction | None, info: ValidationInfo) -> Direction | None:
        baseline, target = info.data.get("baseline"), info.data.get("target_2030")
        if direction is None or not isinstance(baseline, Measure) or not isinstance(target, float):
            return direction
        if target != baseline.value and direction is not infer_direction(baseline.value, target):
            raise ValueError(
                say(
                    info.context,
                    f"direction {direction.value!r} contradicts the baseline {baseline.value:g} and the 2030 target "
                    f"{target:g}; leave it empty to infer it",
                    f"le sens « {DIRECTION_LABELS_FR[direction]} » contredit la valeur de référence "
                    f"{format_number(baseline.value)} et la valeur visée en 2030 ({format_number(target)}) : "
                    "laissez-le vide pour qu'il soit déduit",
                )
            )
        return direction

    @property
    def trend(self) -> Direction:
        """The direction given, else the one inferred from the baseline and the 2030 target."""
        return self.direction or infer_direction(self.baseline.value, self.target_2030)

    @property
    def progress(self) -> Progress | None:
        """Normalised progress (:func:`progress`), or ``None`` without a current value."""
        if self.current is None:
            return None
        return progress(self.baseline.value, self.target_2030, self.current.value, self.trend)

    def label(self, framework: Framework) -> str:
        """The indicator's name, or the French title of a UN indicator without one."""
        if self.name:
            return self.name
        item = framework.get(self.code) if self.code and self.code in framework else None
        return item.title_fr if item is not None else self.id

    def target_code(self, framework: Framework) -> str | None:
        """The SDG target followed: ``sdg_target``, else the target of a UN indicator."""
        if self.sdg_target:
            return self.sdg_target
        item = framework.get(self.code) if self.source == "un" and self.code and self.code in framework else None
        return item.target if isinstance(item, Indicator) else None


class RoadmapAction(BaseModel):
    """One action of the partnership's SDG roadmap."""

    model_config = _FROZEN

    action: str = Field(min_length=3, max_length=500)
    owner: str = Field(min_length=2, max_length=200)
    date: dt.date
    indicator: str | None = Field(default=None, max_length=80)
    project: str | None = Field(default=None, max_length=80)


class Partnership(BaseModel):
    """A decentralised-cooperation partnership coded against the SDGs.

    Cross references (unique ids, roadmap references to projects and indicators, one link per target
    and project) are checked too. Target and UN indicator codes are checked against the framework
    given in the validation context (``context={"framework": fw}``), as :func:`load_partnership` and
    :func:`cufstudy.sdg.grid.import_grid` do; without it only their format is checked.
    """

    model_config = _FROZEN

    id: Slug
    title: str | None = Field(default=None, max_length=300)
    provenance: PartnershipProvenance
    provenance_note: str | None = Field(default=None, max_length=1000)
    french_authority: FrenchAuthority
    partner: ForeignPartner
    since: int | None = Field(default=None, ge=1950, le=2100)
    projects: tuple[Project, ...] = Field(min_length=1)
    indicators: tuple[PartnershipIndicator, ...] = ()
    roadmap: tuple[RoadmapAction, ...] = ()

    @model_validator(mode="after")
    def _references(self, info: ValidationInfo) -> Partnership:
        if isinstance(info.context, Mapping) and info.context.get(_DEFER):
            return self  # the loaders check them on the raw data, located
        found = _reference_problems(self.model_dump())
        if found:
            raise ValueError("; ".join(f"{path_str(issue.path)}: {issue.message}" for issue in found))
        return self

    @property
    def display_title(self) -> str:
        """The title, else « <French authority> – <partner> »."""
        return self.title or f"{self.french_authority.name} – {self.partner.name}"

    @property
    def is_illustrative(self) -> bool:
        return self.provenance is PartnershipProvenance.ILLUSTRATIVE

    def project(self, project_id: str) -> Project:
        for p in self.projects:
            if p.id == project_id:
                return p
        hint = did_you_mean(project_id, [p.id for p in self.projects])
        raise NotFoundError(f"no project {project_id!r} in partnership {self.id!r}{hint}")

    def indicator(self, indicator_id: str) -> PartnershipIndicator:
        for i in self.indicators:
            if i.id == indicator_id:
                return i
        hint = did_you_mean(indicator_id, [i.id for i in self.indicators])
        raise NotFoundError(f"no indicator {indicator_id!r} in partnership {self.id!r}{hint}")


# ---------------------------------------------------------------------------------------------------------
# validation with located problems (YAML lines, workbook cells)

Locator = Callable[[FieldIssue], Problem]
"""Places a worded problem of the raw data (its field path, kind, reason and message) in its file: a YAML line,
a workbook cell."""


def _items(data: Mapping[str, Any], key: str) -> list[tuple[int, Mapping[str, Any]]]:
    items = data.get(key)
    if not isinstance(items, list | tuple):
        return []
    return [(i, item) for i, item in enumerate(items) if isinstance(item, Mapping)]


def _reference_problems(data: Any, context: object = None) -> list[FieldIssue]:
    """Cross-reference problems, found on raw data so that they are reported with the others (in the language
    of the validation ``context``)."""
    if not isinstance(data, Mapping):
        return []
    found: list[FieldIssue] = []

    def add(path: FieldPath, reason: Reason, message: str) -> None:
        found.append(FieldIssue(path, "reference", reason, message))

    known: dict[str, dict[str, int]] = {}
    for key in ("projects", "indicators"):
        seen: dict[str, int] = {}
        for i, item in _items(data, key):
            ident = item.get("id")
            if not isinstance(ident, str):
                continue
            if ident in seen:
                what = "project" if key == "projects" else "indicator"
                quoi = "de projet" if key == "projects" else "d'indicateur"
                chacun = "chaque projet" if key == "projects" else "chaque indicateur"
                add(
                    (key, i, "id"),
                    Reason.DUPLICATE,
                    say(
                        context,
                        f"duplicate {what} id {ident!r}: each {what} needs its own id",
                        f"identifiant {quoi} « {ident} » en double : {chacun} doit avoir le sien",
                    ),
                )
            else:
                seen[ident] = i
        known[key] = seen
    for i, project in _items(data, "projects"):
        targets: dict[str, int] = {}
        for j, link in _items(project, "links"):
            code = link.get("target")
            if not isinstance(code, str):
                continue
            if code.strip() in targets:
                add(
                    ("projects", i, "links", j, "target"),
                    Reason.DUPLICATE,
                    say(
                        context,
                        f"target {code.strip()!r} is linked twice to this project; "
                        "keep one link, with the highest level",
                        f"la cible « {code.strip()} » est liée deux fois à ce projet : gardez un seul lien, "
                        "au niveau le plus haut",
                    ),
                )
            else:
                targets[code.strip()] = j
    for k, action in _items(data, "roadmap"):
        for key, pool in (("indicator", "indicators"), ("project", "projects")):
            ref = action.get(key)
            if isinstance(ref, str) and ref not in known[pool]:
                ids = ", ".join(known[pool])
                quoi, des = ("indicateur inconnu", "des indicateurs")
                if key == "project":
                    quoi, des = ("projet inconnu", "des projets")
                add(
                    ("roadmap", k, key),
                    Reason.UNKNOWN_REFERENCE,
                    say(
                        context,
                        f"unknown {key} {ref!r}{did_you_mean(ref, known[pool])}: the {pool} ids are {ids or 'none'}",
                        f"{quoi} « {ref} »{did_you_mean_fr(ref, known[pool])} : les identifiants {des} sont "
                        f"{ids or 'absents'}",
                    ),
                )
    return found


def validate_partnership(data: Any, framework: Framework, locate: Locator, *, lang: str = "en") -> Partnership:
    """Validate raw data (parsed YAML, or the rows of a workbook) into a :class:`Partnership`.

    Parameters
    ----------
    data
        The partnership as plain mappings and lists.
    framework
        The SDG framework the target and indicator codes are checked against.
    locate
        Places each problem (:data:`Locator`): called with the worded issue, whose ``kind`` is pydantic's error
        type (``missing``, ``value_error``...) or ``reference`` for cross references.
    lang
        The language of the messages of this module's checks: ``en`` (the YAML files analysts edit) or ``fr``
        (the grid a French partner fills in); pydantic's own checks are worded by ``locate``.

    Raises
    ------
    DataError
        With every problem found, located; nothing is returned half-valid.
    """
    if not isinstance(data, Mapping):
        message = f"expected a mapping of fields, got {type(data).__name__}"
        raise DataError([locate(FieldIssue((), "type", Reason.WRONG_TYPE, message))])
    context = {"framework": framework, _DEFER: True, LANG: lang}
    problems = Problems(DataError)
    problems.extend(locate(issue) for issue in _reference_problems(data, context))
    try:
        partnership = Partnership.model_validate(data, context=context)
    except ValidationError as exc:
        problems.extend(locate(issue) for issue in validation_issues(exc, Partnership, keep=_not_an_echo))
    problems.raise_if_any()
    return partnership


def _not_an_echo(err: Mapping[str, Any]) -> bool:
    """False for pydantic's "at least 1 item after validation" about a list whose items were refused: the
    items' own errors say what is wrong (a grid whose every project row has a bad cell has projects)."""
    given = err.get("input")
    minimum = (err.get("ctx") or {}).get("min_length")
    return not (
        err.get("type") == "too_short"
        and isinstance(given, list | tuple)
        and isinstance(minimum, int)
        and len(given) >= minimum
    )


def partnership_ids(data: str | Path = "data") -> list[str]:
    """The ids of the partnerships of a data folder (``<data>/partnerships/*.yaml``), sorted."""
    folder = Path(data) / "partnerships"
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def partnership_file(data: str | Path, partnership_id: str) -> Path:
    """The YAML file of a partnership, ``<data>/partnerships/<id>.yaml``.

    Raises
    ------
    DataError
        If there is no such file, naming the partnerships that exist (and the nearest id).
    """
    path = Path(data) / "partnerships" / f"{partnership_id}.yaml"
    if not path.is_file():
        ids = partnership_ids(data)
        hint = did_you_mean(partnership_id, ids)
        raise DataError.single(
            str(path),
            f"no partnership {partnership_id!r}{hint}; available: {', '.join(ids) or 'none'}",
            reason=Reason.UNREADABLE,
        )
    return path


def load_partnership(path: str | Path, framework: Framework) -> Partnership:
    """Load and validate one partnership file, ``data/partnerships/<id>.yaml``.

    Parameters
    ----------
    path
        The YAML file; its name must be the partnership's id.
    framework
        The SDG framework (:func:`cufstudy.sdg.framework.load_framework`).

    Raises
    ------
    DataError
        With every problem of the file at once: line, field and reason (with near matches).

    Examples
    --------
    >>> from cufstudy.sdg.framework import load_framework
    >>> p = load_partnership("data/partnerships/aude-hauts-bassins.yaml", load_framework("data"))
    >>> p.partner.country, p.is_illustrative
    ('BF', True)
    """
    file = Path(path)
    doc = read_yaml(file, str(path))

    def locate(issue: FieldIssue) -> Problem:
        return doc.problem(issue.path, issue.message, issue.reason)

    partnership = validate_partnership(doc.data, framework, locate)
    if partnership.id != file.stem:
        raise DataError.single(
            doc.file,
            f"the id {partnership.id!r} differs from the file name {file.stem!r}: name the file <id>.yaml",
            doc.line_of(("id",)),
            "id",
            Reason.INVALID_VALUE,
        )
    return partnership


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def dump_yaml(partnership: Partnership, header: str | None = None) -> str:
    """The partnership as the text of a YAML file :func:`load_partnership` reads back unchanged.

    Parameters
    ----------
    header
        Comment lines written first (each prefixed with ``# ``).
    """
    data = _plain(partnership.model_dump(exclude_none=True, exclude_defaults=True))
    data = {"id": partnership.id, "provenance": partnership.provenance.value, **data}
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110, default_flow_style=False)
    comments = "".join(f"# {line}\n".replace("# \n", "#\n") for line in (header or "").splitlines())
    return comments + text
