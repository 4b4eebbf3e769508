"""The analysis populations of the study: which cases every statistic, chart, table and fact is computed on.

A case file says which population it belongs to through two fields the analyst codes anyway: ``dcol_call``
(a DCOL call from 1 to 5, or ``non_dcol``) and ``mission_kind`` (``strategy``, ``project``,
``sdg_training``, or absent). The populations are named here, once:

``dcol``
    The DCOL **strategy** missions (``dcol_call`` 1-5 and ``mission_kind: strategy``): the panorama, the
    typologies, the organisation of the service, the follow-up of the recommendations and the tier
    profiles are computed on them, and only on them.
``comparison``
    The non-DCOL comparison authorities (``dcol_call: non_dcol``, no ``mission_kind``), interviewed on
    their own organisation: described apart, never counted among the missions.
``pilot``
    The SDG training-action pilot (``mission_kind: sdg_training`` outside DCOL: the Aude): it belongs to
    the SDG toolbox, not to the panorama of strategy missions.

Why in the case files and not in a list of the run plan: membership is what the analyst already codes in
the one file of each case, so a second list can never disagree with it; a new DCOL strategy mission added
as a file joins the panorama without any other edit; and a data folder carries its populations wherever
it is copied (tests, another study). A DCOL mission of another kind (``project``) belongs to none of the
three: the strategy study does not count it.

Every figure states its base with :meth:`Population.base` (``n = 18 missions DCOL``).

Examples
--------
>>> POPULATIONS["dcol"].base(18) == "n\\u00a0=\\u00a018 missions DCOL"
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Protocol

from cufstudy.core.errors import NotFoundError
from cufstudy.core.problems import did_you_mean
from cufstudy.core.sentences import base_text, count
from cufstudy.model.vocab import MissionKind


class _Coded(Protocol):
    """What membership reads of a case (:class:`cufstudy.model.cases.Case`)."""

    @property
    def is_dcol(self) -> bool: ...

    @property
    def is_comparison(self) -> bool: ...

    @property
    def mission_kind(self) -> MissionKind | None: ...

__all__ = ["POPULATIONS", "Population", "PopulationKey", "population", "population_of"]


class PopulationKey(StrEnum):
    """The key of an analysis population (the ``analysis_population`` column of the case frame)."""

    DCOL = "dcol"
    COMPARISON = "comparison"
    PILOT = "pilot"


@dataclass(frozen=True)
class Population:
    """A named population of cases: its key, the noun a count of it takes and its French description."""

    key: PopulationKey
    noun: str
    """The noun of :data:`cufstudy.core.sentences.NOUNS` a count takes: ``mission``, ``collectivité``."""
    qualifier: str
    """What follows the noun in a base: ``DCOL`` (``18 missions DCOL``)."""
    label: str
    """French description, for captions and tables (``Missions DCOL « stratégie »``)."""

    def base(self, n: int) -> str:
        """The base of a figure computed on ``n`` cases of the population: ``n = 18 missions DCOL``."""
        return base_text(n, self.noun, self.qualifier)

    def phrase(self, n: int) -> str:
        """``n`` cases of the population in running text: ``18 missions DCOL``, ``quatre collectivités de
        comparaison``."""
        return f"{count(n, self.noun)} {self.qualifier}".strip()

    def includes(self, case: _Coded) -> bool:
        return population_of(case) is self.key


POPULATIONS: Final[Mapping[str, Population]] = {
    p.key.value: p
    for p in (
        Population(PopulationKey.DCOL, "mission", "DCOL", "Missions DCOL « stratégie »"),
        Population(
            PopulationKey.COMPARISON, "collectivité", "de comparaison", "Collectivités de comparaison hors DCOL"
        ),
        Population(PopulationKey.PILOT, "collectivité", "pilote ODD", "Pilote de la formation-action ODD"),
    )
}
"""The populations of the study, by key."""


def population(key: str | PopulationKey) -> Population:
    """The population of ``key`` (``dcol``, ``comparison``, ``pilot``)."""
    try:
        return POPULATIONS[str(key)]
    except KeyError:
        raise NotFoundError(
            f"unknown population {key!r}{did_you_mean(str(key), POPULATIONS)}; expected one of {', '.join(POPULATIONS)}"
        ) from None


def population_of(case: _Coded) -> PopulationKey | None:
    """The population a case belongs to, from its ``dcol_call`` and ``mission_kind`` (None: none of them)."""
    if case.is_dcol:
        return PopulationKey.DCOL if case.mission_kind is MissionKind.STRATEGY else None
    if case.is_comparison:
        return PopulationKey.COMPARISON
    return PopulationKey.PILOT if case.mission_kind is MissionKind.SDG_TRAINING else None
