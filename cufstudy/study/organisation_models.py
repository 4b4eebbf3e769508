"""Organisation models of the international-relations (IR) service, and a decision aid.

The models live in ``organisation.yaml`` of the data folder (else cufstudy's default,
``cufstudy/resources/data/organisation.yaml``): for each attachment (cabinet, DGS mission, attractiveness
directorate, ...) a French description, advantages and drawbacks each with a source (a key of
``references.bib`` or ``analyse-equipe``), and fit scores by strategy type and tier group.
:func:`rank_models` ranks the models for a strategy type and a tier (and, optionally, a population), with
the pros and cons and the reasons of the score. :func:`transitions` tabulates the organisations observed
before the missions, recommended by them and observed afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cufstudy.core.bibliography import bib_keys
from cufstudy.core.errors import DataError, NotFoundError
from cufstudy.core.problems import Problems, Reason, did_you_mean, validation_issues
from cufstudy.core.yamlio import read_yaml
from cufstudy.model.cases import CaseBase
from cufstudy.model.vocab import Attachment, TierGroup, label
from cufstudy.resources import data_path

__all__ = [
    "DECISION_TIERS",
    "TEAM_ANALYSIS",
    "OrganisationModel",
    "Organisations",
    "RankedModel",
    "load_organisations",
    "rank_models",
    "rank_models_over_tiers",
    "transitions",
]

TEAM_ANALYSIS = "analyse-equipe"
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
        bad = {k: v for k, v in scores.items() if not 0 <= v <= 3}
        if bad:
            raise ValueError(f"fit scores must be 0 to 3, got {bad}")
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


class Organisations(BaseModel):
    """All organisation models and the sourced rules of the decision aid."""

    model_config = _FROZEN

    models: tuple[OrganisationModel, ...] = Field(min_length=1)
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
        return {p.source for p in points} | {r.source for r in self.population_rules}


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
    seen = [m.attachment for m in orgs.models]
    for a in {a for a in seen if seen.count(a) > 1}:
        problems.add(doc.file, f"attachment {a.value!r} is described twice", None, "models", Reason.DUPLICATE)
    problems.raise_if_any()
    return orgs


@dataclass(frozen=True)
class RankedModel:
    """A model in the decision aid's ranking, with its score and why."""

    model: OrganisationModel
    score: int
    reasons: tuple[str, ...]


def rank_models(
    orgs: Organisations, strategy_type: str, tier: TierGroup | str, population: int | None = None
) -> list[RankedModel]:
    """Rank the organisation models for a strategy type and a tier group (best first).

    The score is the model's fit with the strategy type plus its fit with the tier (0 to 3 each), plus the
    sourced population rules that apply. Ties keep the order of the data file.

    Examples
    --------
    >>> orgs = load_organisations("data")  # doctest: +SKIP
    >>> rank_models(orgs, "influence", "region")[0].model.attachment.value  # doctest: +SKIP
    'attractiveness_directorate'
    """
    group = TierGroup(tier)
    if strategy_type not in orgs.strategy_type_ids:
        known = sorted(orgs.strategy_type_ids)
        hint = did_you_mean(strategy_type, known)
        raise NotFoundError(f"unknown strategy type {strategy_type!r}{hint}; expected one of {known}")
    ranked = []
    for m in orgs.models:
        by_type = m.fit.strategy_types.get(strategy_type, 0)
        by_tier = m.fit.tiers.get(group, 0)
        reasons = [f"adéquation au type de stratégie : {by_type}/3", f"adéquation au niveau : {by_tier}/3"]
        score = by_type + by_tier
        for rule in orgs.population_rules:
            applies = rule.attachment is m.attachment and group in rule.tier_groups
            if applies and population is not None and population >= rule.min_population:
                score += rule.bonus
                reasons.append(f"{rule.reason} ({rule.source})")
        ranked.append(RankedModel(m, score, tuple(reasons)))
    return sorted(ranked, key=lambda r: -r.score)


def rank_models_over_tiers(
    orgs: Organisations, strategy_type: str, tiers: Iterable[TierGroup | str] = DECISION_TIERS
) -> list[RankedModel]:
    """Rank the organisation models for a strategy type whatever the tier group (best first).

    A model's score is the sum of its :func:`rank_models` scores over ``tiers`` (no population given); its
    reasons give the score for each tier. Ties keep the order of the first tier's ranking.

    Examples
    --------
    >>> orgs = load_organisations("data")  # doctest: +SKIP
    >>> [r.model.attachment.value for r in rank_models_over_tiers(orgs, "influence")][:2]  # doctest: +SKIP
    ['attractiveness_directorate', 'dgs_mission']
    """
    totals: dict[Attachment, tuple[OrganisationModel, int, list[str]]] = {}
    for tier in tiers:
        group = TierGroup(tier)
        for r in rank_models(orgs, strategy_type, group):
            model, score, reasons = totals.get(r.model.attachment, (r.model, 0, []))
            totals[r.model.attachment] = (model, score + r.score, [*reasons, f"{label(group)} : {r.score}"])
    ranked = [RankedModel(model, score, tuple(reasons)) for model, score, reasons in totals.values()]
    return sorted(ranked, key=lambda r: -r.score)


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
