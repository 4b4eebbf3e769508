"""Organisation models of the international-relations (IR) service, and a decision aid.

The models live in ``organisation.yaml`` of the data folder (else cufstudy's default,
``cufstudy/resources/data/organisation.yaml``): for each attachment (cabinet, DGS mission, attractiveness
directorate, ...) a French description, advantages and drawbacks each with a source (a key of
``references.bib`` or ``analyse-equipe``), and fit scores (0 to 3) by strategy type and tier group.
The file's ``scoring`` section is the grid of the decision aid, as data a reader can apply by hand: each
criterion's weight and why, what each fit means, and that a fit of 0 excludes a model.

:func:`rank_models` is the one scoring function: for a strategy type, and a tier group when one is given,
each model's score is the weighted sum of its fits (a fit of 0 on a criterion excludes it); without a tier,
only the strategy type counts (the answer *whatever the tier*). :func:`decision_aid` computes every answer
once, overall and for each tier group, and leaves out the cells where the analysed population has no case:
a recommendation with no case behind it would read as a finding. :func:`transitions` tabulates the
organisations observed before the missions, recommended by them and observed afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cufstudy.core.bibliography import bib_keys
from cufstudy.core.errors import DataError, NotFoundError
from cufstudy.core.problems import Problems, Reason, did_you_mean, validation_issues
from cufstudy.core.sentences import in_sentence, join
from cufstudy.core.yamlio import read_yaml
from cufstudy.model.cases import CaseBase
from cufstudy.model.vocab import Attachment, TierGroup, label
from cufstudy.resources import data_path

__all__ = [
    "DECISION_TIERS",
    "FIT_MAX",
    "NO_CASE",
    "TEAM_ANALYSIS",
    "Answer",
    "Criterion",
    "DecisionAid",
    "OrganisationModel",
    "Organisations",
    "RankedModel",
    "Scoring",
    "SubScore",
    "best_models",
    "cases_per_cell",
    "decision_aid",
    "fit_grid",
    "load_organisations",
    "overall_table",
    "rank_models",
    "scoring_rule",
    "tier_table",
    "transitions",
]

TEAM_ANALYSIS = "analyse-equipe"
FIT_MAX = 3
"""Fits are scored 0 (unsuited: excludes the model) to 3 (well suited)."""
STRATEGY_CRITERION = "strategy_type"
TIER_CRITERION = "tier"
DECISION_TIERS = (TierGroup.COMMUNE, TierGroup.EPCI, TierGroup.DEPARTEMENT, TierGroup.REGION)
"""The tier groups the decision aid scores (the authorities with a special status are left out)."""
_FROZEN = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class SourcedPoint(BaseModel):
    """An advantage or a drawback, with its source (bibliography key or ``analyse-equipe``)."""

    model_config = _FROZEN

    text: str = Field(min_length=3, max_length=500)
    source: str = Field(min_length=2, max_length=80)

    @property
    def is_team_analysis(self) -> bool:
        return self.source == TEAM_ANALYSIS


class Fit(BaseModel):
    model_config = _FROZEN

    strategy_types: dict[str, int]
    tiers: dict[TierGroup, int]

    @field_validator("strategy_types", "tiers")
    @classmethod
    def _scores(cls, scores: dict[Any, int]) -> dict[Any, int]:
        bad = {k: v for k, v in scores.items() if not 0 <= v <= FIT_MAX}
        if bad:
            raise ValueError(f"fit scores must be 0 to {FIT_MAX}, got {bad}")
        return scores


class OrganisationModel(BaseModel):
    model_config = _FROZEN

    attachment: Attachment
    name: str = Field(min_length=3, max_length=200)
    description: str = Field(min_length=10, max_length=2000)
    advantages: tuple[SourcedPoint, ...] = Field(min_length=1)
    drawbacks: tuple[SourcedPoint, ...] = Field(min_length=1)
    fit: Fit

    @property
    def label(self) -> str:
        return label(self.attachment)


class PopulationRule(BaseModel):
    model_config = _FROZEN

    attachment: Attachment
    tier_groups: tuple[TierGroup, ...]
    min_population: int = Field(ge=0)
    bonus: int = Field(ge=-3, le=3)
    reason: str
    source: str


class Criterion(BaseModel):
    """A criterion of the decision aid's score: its fit (0 to 3, per model) counts ``weight`` times."""

    model_config = _FROZEN

    id: Literal["strategy_type", "tier"]
    name: str = Field(min_length=3, max_length=200)
    weight: int = Field(ge=1, le=10)
    reason: str = Field(min_length=3, max_length=1000)


class Scoring(BaseModel):
    """How the decision aid scores a model: the weighted criteria and what a fit of 0 means."""

    model_config = _FROZEN

    criteria: tuple[Criterion, ...] = Field(min_length=2, max_length=2)
    scale: dict[int, str]
    exclusion: str = Field(min_length=3, max_length=1000)
    source: str = Field(min_length=2, max_length=80)

    @field_validator("criteria")
    @classmethod
    def _both(cls, criteria: tuple[Criterion, ...]) -> tuple[Criterion, ...]:
        ids = sorted(c.id for c in criteria)
        if ids != sorted((STRATEGY_CRITERION, TIER_CRITERION)):
            wanted = f"{STRATEGY_CRITERION!r} and {TIER_CRITERION!r}"
            raise ValueError(f"expected the criteria {wanted} once each, got {ids}")
        return criteria

    @field_validator("scale")
    @classmethod
    def _scale(cls, scale: dict[int, str]) -> dict[int, str]:
        if sorted(scale) != list(range(FIT_MAX + 1)):
            raise ValueError(f"the scale must name every fit from 0 to {FIT_MAX}, got {sorted(scale)}")
        return scale

    def criterion(self, criterion_id: str) -> Criterion:
        return next(c for c in self.criteria if c.id == criterion_id)


class Organisations(BaseModel):
    """All organisation models and the scoring grid and sourced rules of the decision aid."""

    model_config = _FROZEN

    models: tuple[OrganisationModel, ...] = Field(min_length=1)
    scoring: Scoring
    population_rules: tuple[PopulationRule, ...] = ()

    def model(self, attachment: Attachment | str) -> OrganisationModel:
        """The model of an attachment (``cabinet``, ``dgs_mission``...)."""
        for m in self.models:
            if m.attachment.value == attachment:
                return m
        known = [m.attachment.value for m in self.models]
        hint = did_you_mean(attachment, known)
        raise NotFoundError(f"no organisation model {attachment!r}{hint}; the models are {', '.join(known)}")

    @property
    def strategy_type_ids(self) -> set[str]:
        return {k for m in self.models for k in m.fit.strategy_types}

    def sources(self) -> set[str]:
        points = [p for m in self.models for p in (*m.advantages, *m.drawbacks)]
        return {p.source for p in points} | {r.source for r in self.population_rules} | {self.scoring.source}


def load_organisations(data: str | Path = "data", strategy_types: Iterable[str] | None = None) -> Organisations:
    """Load and check ``<data>/organisation.yaml`` (else the models packaged with cufstudy).

    Every source must be ``analyse-equipe`` or a key of ``<data>/references.bib`` (else of the packaged
    bibliography); every attachment must appear once. When ``strategy_types`` (the ids of the typology) is
    given, each model's fit must cover exactly those ids. All problems are reported at once.
    """
    path = data_path("organisation.yaml", Path(data))
    doc = read_yaml(path)
    try:
        orgs = Organisations.model_validate(doc.data)
    except ValidationError as exc:
        issues = validation_issues(exc, Organisations)
        raise DataError([doc.problem(i.path, i.message, i.reason) for i in issues]) from exc
    problems = Problems(DataError)
    keys = (bib_keys(data_path("references.bib", Path(data))) or set()) | {TEAM_ANALYSIS}
    for i, m in enumerate(orgs.models):
        for side in ("advantages", "drawbacks"):
            for j, point in enumerate(getattr(m, side)):
                if point.source not in keys:
                    hint = did_you_mean(point.source, keys)
                    msg = (
                        f"unknown source {point.source!r}: expected a key of references.bib or {TEAM_ANALYSIS!r}{hint}"
                    )
                    problems.append(doc.problem(("models", i, side, j, "source"), msg, Reason.UNKNOWN_REFERENCE))
        if strategy_types is not None:
            wanted, got = set(strategy_types), set(m.fit.strategy_types)
            if wanted != got:
                msg = (
                    "fit must score every strategy type of the typology: "
                    f"missing {sorted(wanted - got)}, unknown {sorted(got - wanted)}"
                )
                problems.append(doc.problem(("models", i, "fit", "strategy_types"), msg, Reason.INVALID_VALUE))
    for i, rule in enumerate(orgs.population_rules):
        if rule.source not in keys:
            hint = did_you_mean(rule.source, keys)
            msg = f"unknown source {rule.source!r}: expected a key of references.bib or {TEAM_ANALYSIS!r}{hint}"
            problems.append(doc.problem(("population_rules", i, "source"), msg, Reason.UNKNOWN_REFERENCE))
    if orgs.scoring.source not in keys:
        hint = did_you_mean(orgs.scoring.source, keys)
        msg = f"unknown source {orgs.scoring.source!r}: expected a key of references.bib or {TEAM_ANALYSIS!r}{hint}"
        problems.append(doc.problem(("scoring", "source"), msg, Reason.UNKNOWN_REFERENCE))
    seen = [m.attachment for m in orgs.models]
    for a in {a for a in seen if seen.count(a) > 1}:
        problems.add(doc.file, f"attachment {a.value!r} is described twice", None, "models", Reason.DUPLICATE)
    problems.raise_if_any()
    return orgs


@dataclass(frozen=True)
class SubScore:
    """One criterion of a model's score: the fit (0 to 3) and its weighted points."""

    criterion: Criterion
    fit: int

    @property
    def points(self) -> int:
        return self.criterion.weight * self.fit


@dataclass(frozen=True)
class RankedModel:
    """A model in the decision aid's ranking, with its score and how it was made.

    Attributes
    ----------
    model
        The organisation model.
    subscores
        One per criterion applied (the strategy type; the tier when one is given).
    adjustments
        The sourced population rules applied: ``(points, reason)``.
    excluded
        A criterion scores the model 0 (*inadapté*): it is not recommended, whatever its total.
    """

    model: OrganisationModel
    subscores: tuple[SubScore, ...]
    adjustments: tuple[tuple[int, str], ...] = ()

    @property
    def score(self) -> int:
        """The weighted sum of the sub-scores, plus the population adjustments."""
        return sum(s.points for s in self.subscores) + sum(points for points, _ in self.adjustments)

    @property
    def max_score(self) -> int:
        """The highest score the criteria applied can give (3 on each, weighted)."""
        return sum(s.criterion.weight * FIT_MAX for s in self.subscores)

    @property
    def excluded(self) -> bool:
        return any(s.fit == 0 for s in self.subscores)

    @property
    def reasons(self) -> tuple[str, ...]:
        """The score explained, one French text per criterion and adjustment."""
        texts = [f"{s.criterion.name.lower()} : {s.fit}/{FIT_MAX} × {s.criterion.weight}" for s in self.subscores]
        texts += [f"{reason} ({points:+d})" for points, reason in self.adjustments]
        return tuple(texts)


def _check_type(orgs: Organisations, strategy_type: str) -> None:
    if strategy_type not in orgs.strategy_type_ids:
        known = sorted(orgs.strategy_type_ids)
        hint = did_you_mean(strategy_type, known)
        raise NotFoundError(f"unknown strategy type {strategy_type!r}{hint}; expected one of {known}")


def rank_models(
    orgs: Organisations, strategy_type: str, tier: TierGroup | str | None = None, population: int | None = None
) -> list[RankedModel]:
    """Score and rank the organisation models for a strategy type, and a tier group if given (best first).

    The one scoring function of the decision aid, so every table, fact and sentence gives the same answer.
    The score is the weighted sum of the criteria of ``scoring`` in ``organisation.yaml``: the model's fit
    with the strategy type (0 to 3) and, when ``tier`` is given, its fit with the tier group (0 to 3), each
    times its weight; a fit of 0 on any criterion excludes the model (:attr:`RankedModel.excluded`). With a
    ``population``, the sourced population rules that apply add their points. Without a tier (the answer
    *whatever the tier*), only the strategy-type criterion applies. Excluded models come last; ties keep the
    order of the data file.

    Examples
    --------
    >>> orgs = load_organisations("data")  # doctest: +SKIP
    >>> rank_models(orgs, "influence", "region")[0].model.attachment.value  # doctest: +SKIP
    'attractiveness_directorate'
    """
    _check_type(orgs, strategy_type)
    group = TierGroup(tier) if tier is not None else None
    ranked = []
    for m in orgs.models:
        subscores = [SubScore(orgs.scoring.criterion(STRATEGY_CRITERION), m.fit.strategy_types.get(strategy_type, 0))]
        if group is not None:
            subscores.append(SubScore(orgs.scoring.criterion(TIER_CRITERION), m.fit.tiers.get(group, 0)))
        adjustments = []
        for rule in orgs.population_rules:
            applies = rule.attachment is m.attachment and group in rule.tier_groups
            if applies and population is not None and population >= rule.min_population:
                adjustments.append((rule.bonus, f"{rule.reason} ({rule.source})"))
        ranked.append(RankedModel(m, tuple(subscores), tuple(adjustments)))
    return sorted(ranked, key=lambda r: (r.excluded, -r.score))


def best_models(ranked: Sequence[RankedModel]) -> tuple[RankedModel, ...]:
    """The models of a ranking with the highest score, ties together (none if every model is excluded)."""
    kept = [r for r in ranked if not r.excluded]
    if not kept:
        return ()
    top = max(r.score for r in kept)
    return tuple(r for r in kept if r.score == top)


@dataclass(frozen=True)
class Answer:
    """The decision aid's answer for a strategy type, whatever the tier (``tier`` None) or for one tier.

    ``n_cases`` is the number of cases of the population analysed in that cell (None: not counted). A cell
    of a tier without any case of the type gives no recommendation (:attr:`has_cases`).
    """

    strategy_type: str
    tier: TierGroup | None
    ranking: tuple[RankedModel, ...]
    n_cases: int | None = None
    limits: Mapping[Attachment, tuple[TierGroup, ...]] = field(default_factory=dict)
    """For an answer whatever the tier: the tier groups a recommended model is limited to (a fit of 0
    with the other tiers), e.g. a service shared with the intercommunality."""

    @property
    def has_cases(self) -> bool:
        return self.n_cases is None or self.n_cases > 0

    @property
    def best(self) -> tuple[RankedModel, ...]:
        """The recommended models (ties together); none for a cell without a case."""
        return best_models(self.ranking) if self.has_cases else ()

    def labels(self) -> tuple[str, ...]:
        """The French labels of the recommended models."""
        return tuple(r.model.label for r in self.best)

    def text(self, *, scores: bool = False) -> str:
        """The answer as a table cell prints it: ``Cabinet du maire ou du président ; ...`` (with
        ``scores``: ``... (7/9)``), or what is missing: ``aucune mission de ce type à ce niveau``."""
        if not self.has_cases:
            return NO_CASE
        if not self.best:
            return NOTHING_SUITED
        parts = []
        for r in self.best:
            text = r.model.label
            if scores:
                text += f" ({r.score}/{r.max_score})"
            if r.model.attachment in self.limits:
                where = join(in_sentence(label(g)) for g in self.limits[r.model.attachment])
                text += f" ({where} seulement)"
            parts.append(text)
        return " ; ".join(parts)


NO_CASE = "aucune mission de ce type à ce niveau"
"""What a cell of the decision aid without any case says instead of a recommendation."""
NOTHING_SUITED = "aucun modèle adapté"


@dataclass(frozen=True)
class DecisionAid:
    """The decision aid computed once: the answer for each strategy type, overall and for each tier group.

    Built by :func:`decision_aid`; notebooks record its answers as facts and tables, so the study, the
    guide and the brochure print the same answer.
    """

    types: tuple[str, ...]
    tiers: tuple[TierGroup, ...]
    overall: Mapping[str, Answer]
    cells: Mapping[tuple[str, TierGroup], Answer]

    def answer(self, strategy_type: str, tier: TierGroup | str | None = None) -> Answer:
        if tier is None:
            return self.overall[strategy_type]
        return self.cells[(strategy_type, TierGroup(tier))]

    def applicable_tiers(self, strategy_type: str, attachment: Attachment) -> tuple[TierGroup, ...]:
        """The tier groups where a model is not excluded for the type (a fit of 0 with the tier excludes it)."""
        return tuple(
            g
            for g in self.tiers
            if any(r.model.attachment is attachment and not r.excluded for r in self.cells[(strategy_type, g)].ranking)
        )


def decision_aid(
    orgs: Organisations,
    types: Sequence[str],
    cases_per_cell: Mapping[tuple[str, TierGroup], int] | None = None,
    tiers: Iterable[TierGroup | str] = DECISION_TIERS,
) -> DecisionAid:
    """The decision aid for every strategy type, overall and by tier group, from :func:`rank_models`.

    Parameters
    ----------
    orgs
        The organisation models and the scoring grid (:func:`load_organisations`).
    types
        The strategy type ids, in the typology's order.
    cases_per_cell
        The number of cases of the analysed population of each (type, tier group), e.g. from
        :func:`cases_per_cell`; a cell without a case gives no recommendation. None: no cell is left out.
    tiers
        The tier groups of the by-tier answer (default :data:`DECISION_TIERS`).
    """
    groups = tuple(TierGroup(t) for t in tiers)
    counts = {(t, TierGroup(g)): n for (t, g), n in (cases_per_cell or {}).items()}
    counted = cases_per_cell is not None
    cells = {
        (t, g): Answer(t, g, tuple(rank_models(orgs, t, g)), counts.get((t, g), 0) if counted else None)
        for t in types
        for g in groups
    }
    overall = {}
    for t in types:
        ranking = tuple(rank_models(orgs, t))
        limits = {}
        for r in best_models(ranking):
            where = tuple(g for g in groups if not _excluded(cells[(t, g)], r.model.attachment))
            if where != groups:
                limits[r.model.attachment] = where
        overall[t] = Answer(t, None, ranking, None, limits)
    return DecisionAid(tuple(types), groups, overall, cells)


def _excluded(answer: Answer, attachment: Attachment) -> bool:
    return any(r.model.attachment is attachment and r.excluded for r in answer.ranking)


def cases_per_cell(classes: pd.DataFrame) -> dict[tuple[str, TierGroup], int]:
    """Cases per (strategy type, tier group) of a classification (:func:`cufstudy.study.typology.classify_all`)."""
    out: dict[tuple[str, TierGroup], int] = {}
    for type_id, group in zip(classes["type_id"], classes["group"], strict=True):
        key = (str(type_id), TierGroup(str(group)))
        out[key] = out.get(key, 0) + 1
    return out


def transitions(base: CaseBase, start: str = "before", end: str = "recommended") -> pd.DataFrame:
    """Cross-table of IR-service attachments between two moments (French labels), cases as counts.

    ``start`` and ``end`` are ``before``, ``recommended`` or ``after``.
    """
    rows = []
    for case in base:
        a, b = getattr(case.organisation, start), getattr(case.organisation, end)
        if a is not None and b is not None:
            rows.append({start: label(a.attachment), end: label(b.attachment)})
    frame = pd.DataFrame(rows, columns=[start, end])
    return pd.crosstab(frame[start], frame[end])


# ---------------------------------------------------------------------------------------------------------
# the decision aid as the deliverables print it


def scoring_rule(orgs: Organisations) -> str:
    """The scoring rule of the decision aid in French, from the data (weights, scale, exclusion).

    Examples
    --------
    >>> scoring_rule(load_organisations("data"))  # doctest: +SKIP
    "score = 2 × adéquation au type de stratégie + 1 × adéquation au niveau de collectivité, chaque ..."
    """
    terms = " + ".join(f"{c.weight} × {c.name.lower()}" for c in orgs.scoring.criteria)
    top = sum(c.weight * FIT_MAX for c in orgs.scoring.criteria)
    grades = [f"{k} ({v})" for k, v in sorted(orgs.scoring.scale.items())]
    scale = join(grades, "ou")
    only = orgs.scoring.criterion(STRATEGY_CRITERION)
    return (
        f"score = {terms}, chaque adéquation notée {scale}, soit un score de 0 à {top} ; "
        f"quel que soit le niveau, seule compte l'{only.name.lower()} (score de 0 à {only.weight * FIT_MAX}). "
        f"{orgs.scoring.exclusion}"
    )


def fit_grid(orgs: Organisations, criterion: str, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The fits of every model on one criterion: ``strategy_type`` (columns: the types, named by ``names``)
    or ``tier`` (columns: the tier groups of :data:`DECISION_TIERS`). Rows: the models, in file order."""
    rows = []
    for m in orgs.models:
        row: dict[str, Any] = {"Modèle": m.label}
        if criterion == STRATEGY_CRITERION:
            for type_id, fit in m.fit.strategy_types.items():
                row[(names or {}).get(type_id, type_id)] = fit
        elif criterion == TIER_CRITERION:
            for g in DECISION_TIERS:
                row[label(g)] = m.fit.tiers.get(g, 0)
        else:
            expected = f"{STRATEGY_CRITERION!r} or {TIER_CRITERION!r}"
            raise NotFoundError(f"unknown criterion {criterion!r}; expected {expected}")
        rows.append(row)
    return pd.DataFrame(rows)


def overall_table(aid: DecisionAid, names: Mapping[str, str]) -> pd.DataFrame:
    """One row per strategy type: the models recommended whatever the tier, with their score."""
    rows = [
        {"Type de stratégie": names.get(t, t), "Modèles les mieux adaptés": aid.answer(t).text(scores=True)}
        for t in aid.types
    ]
    return pd.DataFrame(rows, columns=["Type de stratégie", "Modèles les mieux adaptés"])


def tier_table(aid: DecisionAid, names: Mapping[str, str]) -> pd.DataFrame:
    """One row per strategy type, one column per tier group: the models recommended for that tier, with
    their score, or :data:`NO_CASE` where the population has no case of the type at that tier."""
    rows = []
    for t in aid.types:
        row = {"Type de stratégie": names.get(t, t)}
        for g in aid.tiers:
            answer = aid.answer(t, g)
            row[label(g)] = answer.text(scores=True)
        rows.append(row)
    return pd.DataFrame(rows)
