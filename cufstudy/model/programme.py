"""The DCOL programme's dates, and the plausibility rules of the dates and years of a case file.

The programme's start is data, not code: ``data/programme.yaml`` (``start: 2018-09-01``, with its source);
without that file it is 1 January 2018 (:data:`DEFAULT_START`). :func:`load_programme` reads it, and the
case validation receives it, with today's date, through pydantic's validation context
(:func:`validation_context`), so that the rules hold whoever validates a case:

* an interview is neither in the future nor before the programme started;
* a mission year is neither in the future nor before the programme's start year;
* a population year is a year of INSEE legal populations (:data:`FIRST_CENSUS_YEAR`, 2006, to the current
  year minus 2, the latest vintage published).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cufstudy.core.errors import DataError
from cufstudy.core.problems import validation_issues
from cufstudy.core.yamlio import read_yaml

__all__ = [
    "DEFAULT_START",
    "FIRST_CENSUS_YEAR",
    "PROGRAMME_FILE",
    "Programme",
    "check_interview_date",
    "check_mission_year",
    "check_population_year",
    "load_programme",
    "validation_context",
]

PROGRAMME_FILE: Final = "programme.yaml"
DEFAULT_START: Final = dt.date(2018, 1, 1)
FIRST_CENSUS_YEAR: Final = 2006
"""The first vintage of INSEE's legal populations from the rolling census."""
LATEST_CENSUS_LAG: Final = 2
"""INSEE publishes the legal populations of year N at the end of year N + 2 (2021 at the end of 2023)."""


class Programme(BaseModel):
    """The support programme the case files are checked against."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(default="DCOL", min_length=2, max_length=100)
    start: dt.date = DEFAULT_START
    source: str | None = Field(default=None, max_length=1000)


def load_programme(data_folder: Path) -> Programme:
    """The programme described by ``<data>/programme.yaml``, or the default one (DCOL, 2018) without it.

    Raises
    ------
    DataError
        The file is unreadable or invalid (located).
    """
    path = data_folder / PROGRAMME_FILE
    if not path.is_file() and not path.is_symlink():
        return Programme()
    doc = read_yaml(path, str(path))
    try:
        return Programme.model_validate(doc.data if doc.data is not None else {})
    except ValidationError as exc:
        raise DataError([doc.problem(i.path, i.message, i.reason) for i in validation_issues(exc, Programme)]) from exc


def validation_context(programme: Programme | None = None, today: dt.date | None = None) -> dict[str, Any]:
    """The pydantic validation context of a case: the programme and today's date."""
    return {"programme": programme or Programme(), "today": today or dt.date.today()}


def _context(context: Any) -> tuple[Programme, dt.date]:
    given: Mapping[str, Any] = context if isinstance(context, Mapping) else {}
    programme = given.get("programme")
    today = given.get("today")
    return (
        programme if isinstance(programme, Programme) else Programme(),
        today if isinstance(today, dt.date) else dt.date.today(),
    )


def check_interview_date(value: dt.date, context: Any) -> dt.date:
    """Refuse an interview dated in the future or before the programme started."""
    programme, today = _context(context)
    if value > today:
        raise ValueError(f"{value.isoformat()} is in the future (today is {today.isoformat()}): is the year right?")
    if value < programme.start:
        raise ValueError(
            f"{value.isoformat()} is before the {programme.name} programme started ({programme.start.isoformat()}, "
            f"see {PROGRAMME_FILE}): is the year right?"
        )
    return value


def check_mission_year(value: int, context: Any) -> int:
    """Refuse a mission year in the future or before the programme's start year."""
    programme, today = _context(context)
    if value > today.year:
        raise ValueError(f"{value} is in the future (this is {today.year})")
    if value < programme.start.year:
        raise ValueError(
            f"{value} is before the {programme.name} programme started ({programme.start.year}, see {PROGRAMME_FILE})"
        )
    return value


def check_population_year(value: int, context: Any) -> int:
    """Refuse a population year that is no vintage of INSEE's legal populations."""
    _, today = _context(context)
    latest = today.year - LATEST_CENSUS_LAG
    if not FIRST_CENSUS_YEAR <= value <= latest:
        raise ValueError(
            f"{value} is not a year of INSEE legal populations: expected {FIRST_CENSUS_YEAR} to {latest} "
            "(the vintage of the figure, e.g. 2021 for « INSEE, population municipale 2021 »)"
        )
    return value
