"""The UN Sustainable Development Goals framework (ODD), in French and English.

Loaded from the copy of the UN framework packaged with cufstudy (``cufstudy/resources/data/sdg/``: 17 goals,
169 targets, 251 indicator rows of which 234 are unique: 13 indicators repeat under several targets); a project's
own ``data/sdg/<file>`` wins over the packaged file (:func:`cufstudy.resources.data_path`). Sources and licences
are in ``sdg/SOURCE.md`` beside the files.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cufstudy.core.errors import DataError, NotFoundError
from cufstudy.core.french import fold
from cufstudy.core.problems import Problems, Reason, did_you_mean, validation_issues
from cufstudy.resources import data_path

__all__ = [
    "INDICATOR_SOURCES",
    "Framework",
    "Goal",
    "Indicator",
    "IndicatorSource",
    "Target",
    "indicator_sources",
    "load_framework",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")
_TARGET = re.compile(r"^(\d{1,2})\.(\d{1,2}|[a-z])$")
_INDICATOR = re.compile(r"^(\d{1,2})\.(\d{1,2}|[a-z])\.(\d{1,2})$")


class Goal(BaseModel):
    model_config = _FROZEN

    number: int = Field(ge=1, le=17)
    title_fr: str
    title_en: str
    long_title_fr: str
    long_title_en: str

    @property
    def code(self) -> str:
        return str(self.number)


class Target(BaseModel):
    model_config = _FROZEN

    code: str = Field(pattern=_TARGET.pattern)
    goal: int = Field(ge=1, le=17)
    title_fr: str
    title_en: str


class Indicator(BaseModel):
    """A global indicator row. ``repeat_of`` names the first code of a repeated indicator."""

    model_config = _FROZEN

    code: str = Field(pattern=_INDICATOR.pattern)
    target: str
    goal: int = Field(ge=1, le=17)
    title_fr: str
    title_en: str
    repeat_of: str | None = None
    added_2025_review: bool = False

    @property
    def is_repeat(self) -> bool:
        return self.repeat_of is not None


@dataclass(frozen=True)
class Framework:
    """Goals, targets and indicators, searchable by code and by words."""

    goals: tuple[Goal, ...]
    targets: tuple[Target, ...]
    indicators: tuple[Indicator, ...]
    _index: dict[str, Goal | Target | Indicator] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        items: tuple[Goal | Target | Indicator, ...] = (*self.goals, *self.targets, *self.indicators)
        for item in items:
            self._index.setdefault(item.code, item)

    @property
    def unique_indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if not i.is_repeat)

    def __contains__(self, code: object) -> bool:
        return code in self._index

    def get(self, code: str) -> Goal | Target | Indicator:
        """The goal (``"6"``), target (``"6.1"``) or indicator (``"6.1.1"``) with this code.

        Raises
        ------
        NotFoundError
            (a ``KeyError``) naming the nearest code when there is no such item.
        """
        try:
            return self._index[code]
        except KeyError:
            hint = did_you_mean(code, self._index)
            raise NotFoundError(f"no SDG goal, target or indicator {code!r}{hint}") from None

    def goal(self, number: int) -> Goal:
        return self.goals[number - 1]

    def target(self, code: str) -> Target:
        item = self._index.get(code)
        if not isinstance(item, Target):
            hint = did_you_mean(code, [t.code for t in self.targets])
            raise NotFoundError(f"no SDG target {code!r}{hint}")
        return item

    def targets_of(self, goal: int) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if t.goal == goal)

    def search(self, words: str, lang: str = "fr") -> list[Goal | Target | Indicator]:
        """Items whose title holds every word (accents and case ignored).

        Examples
        --------
        >>> fw = load_framework("data")  # doctest: +SKIP
        >>> [t.code for t in fw.search("eau potable")][:2]  # doctest: +SKIP
        ['6.1', '6.1.1']
        """
        needles = fold(words).split()
        found: list[Goal | Target | Indicator] = []
        for item in self:
            title = item.title_fr if lang == "fr" else item.title_en
            if isinstance(item, Goal):
                title += " " + (item.long_title_fr if lang == "fr" else item.long_title_en)
            hay = fold(title)
            if all(n in hay for n in needles):
                found.append(item)
        return found

    def __iter__(self) -> Iterator[Goal | Target | Indicator]:
        """Goals, then targets, then indicators, in framework order."""
        yield from self.goals
        yield from self.targets
        yield from self.indicators


_Item = TypeVar("_Item", Goal, Target, Indicator)

# each model's fields and the CSV column each is read from
_GOAL_COLUMNS = {"number": "goal", **{k: k for k in ("title_fr", "title_en", "long_title_fr", "long_title_en")}}
_TARGET_COLUMNS = {"code": "target", "goal": "goal", "title_fr": "title_fr", "title_en": "title_en"}
_INDICATOR_COLUMNS = {
    "code": "indicator",
    **{k: k for k in ("target", "goal", "title_fr", "title_en", "repeat_of", "added_2025_review")},
}


def _rows(path: Path, columns: Iterable[str]) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in columns if c not in (reader.fieldnames or ())]
            if missing:
                raise DataError.single(
                    str(path),
                    f"missing column(s) {', '.join(missing)}: the header row must not be changed",
                    1,
                    reason=Reason.MISSING_FIELD,
                )
            return list(reader)
    except FileNotFoundError as exc:
        message = "missing SDG reference file"
        raise DataError.single(str(path), message, reason=Reason.UNREADABLE) from exc


@lru_cache(maxsize=4)
def load_framework(data: str | Path = "data") -> Framework:
    """Load the SDG framework: ``<data>/sdg/*.csv`` where the project has them, else the packaged files (cached).

    Raises
    ------
    DataError
        With every problem of the three files at once: file, line, column and reason.
    """
    folder = Path(data)
    problems = Problems(DataError)

    def read(model: type[_Item], path: Path, columns: dict[str, str]) -> list[_Item]:
        items = []
        for line, r in enumerate(_rows(path, columns.values()), start=2):
            row: dict[str, Any] = {name: r[column] for name, column in columns.items()}
            if model is Indicator:
                row["repeat_of"] = row["repeat_of"] or None
                row["added_2025_review"] = row["added_2025_review"] == "true"
            try:
                items.append(model.model_validate(row))
            except ValidationError as exc:
                for issue in validation_issues(exc, model):
                    name = str(issue.path[0]) if issue.path else None
                    problems.add(str(path), issue.message, line, columns.get(name or "", name), issue.reason)
        return items

    goals = read(Goal, data_path("sdg/sdg_goals.csv", folder), _GOAL_COLUMNS)
    targets = read(Target, data_path("sdg/sdg_targets.csv", folder), _TARGET_COLUMNS)
    indicators = read(Indicator, data_path("sdg/sdg_indicators.csv", folder), _INDICATOR_COLUMNS)
    problems.raise_if_any()
    return Framework(tuple(goals), tuple(targets), tuple(indicators))


# ---------------------------------------------------------------------------------------------------------
# indicator sources


@dataclass(frozen=True)
class IndicatorSource:
    """A family of indicators a partnership can follow, beside the UN global indicators.

    Attributes
    ----------
    code
        Short code used in the data files (``un``, ``insee``, ``oecd``, ``local``).
    label_fr
        French label for the deliverables and the Excel grid.
    scale
        Geographic scale of the indicators, in French (``mondial``, ``national``...).
    publisher
        Who publishes them.
    url
        Where to find them, when there is a reference list.
    coded
        Whether each indicator carries an official code: only UN global indicators do, and their code
        must exist in the framework. Other indicators are named; they carry a code only when the
        analyst gives one (cufstudy never invents one).
    """

    code: str
    label_fr: str
    scale: str
    publisher: str
    url: str | None
    coded: bool


INDICATOR_SOURCES: tuple[IndicatorSource, ...] = (
    IndicatorSource(
        "un",
        "Indicateur mondial de l'ONU",
        "mondial",
        "Commission de statistique des Nations unies",
        "https://unstats.un.org/sdgs/indicators/indicators-list/",
        True,
    ),
    IndicatorSource(
        "insee",
        "Indicateur national de suivi des ODD (INSEE)",
        "national",
        "INSEE",
        "https://www.insee.fr/fr/statistiques/2654964",
        False,
    ),
    IndicatorSource(
        "oecd",
        "Indicateur territorial de l'OCDE",
        "territorial",
        "OCDE, A Territorial Approach to the Sustainable Development Goals (2020)",
        "https://www.oecd.org/cfe/territorial-approach-sdgs.htm",
        False,
    ),
    IndicatorSource("local", "Indicateur local ad hoc", "local", "Les collectivités partenaires", None, False),
)
"""The open list of indicator sources: extend it (e.g. with RFSC or Comité 21 indicators) by adding entries."""


def indicator_sources() -> dict[str, IndicatorSource]:
    """The indicator sources by code, in list order.

    Examples
    --------
    >>> list(indicator_sources())
    ['un', 'insee', 'oecd', 'local']
    """
    return {s.code: s for s in INDICATOR_SOURCES}
