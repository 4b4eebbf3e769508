"""The DCOL programme (``data/dcol.yaml``): its public facts, and the plausibility rules of a case file's dates.

The file holds facts of the programme as its terms of reference state them, with their source; the case base
holds the strategy missions the study analyses (:mod:`cufstudy.model.populations`), a part of them. The
notebooks record them as facts, so the prose prints "26 accompagnements en cinq appels" from the data, never
typed by hand.

.. code-block:: yaml

    source: cuf-dcol        # a key of data/references.bib
    launched: 2018-09-01    # the programme's start
    missions: 26            # missions financed, all kinds
    calls: 5                # calls for applications (DCOL 1 to DCOL 5)

The launch date is also what a case's dates are checked against. :func:`~cufstudy.model.cases.load_cases`
reads the file (without it, the start of 2018, :data:`DEFAULT_START`) and the case validation receives the
date, with today's, through pydantic's validation context (:func:`validation_context`), so that the rules hold
whoever validates a case:

* an interview is neither in the future nor before the programme was launched;
* a mission year is neither in the future nor before the programme's launch year;
* a population year is a year of INSEE legal populations (:data:`FIRST_CENSUS_YEAR`, 2006, to the current
  year minus 2, the latest vintage published).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cufstudy.core.bibliography import bib_keys
from cufstudy.core.errors import DataError
from cufstudy.core.problems import Reason, did_you_mean, validation_issues
from cufstudy.core.project import find_root
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

PROGRAMME_FILE: Final = "dcol.yaml"
"""The programme's file, inside the data folder."""
DEFAULT_START: Final = dt.date(2018, 1, 1)
"""The start the case dates are checked against in a data folder without :data:`PROGRAMME_FILE`."""
FIRST_CENSUS_YEAR: Final = 2006
"""The first vintage of INSEE's legal populations from the rolling census."""
LATEST_CENSUS_LAG: Final = 2
"""INSEE publishes the legal populations of year N at the end of year N + 2 (2021 at the end of 2023)."""


class Programme(BaseModel):
    """The DCOL programme's public figures, with their source."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = Field(min_length=2, max_length=80)
    launched: dt.date
    missions: int = Field(ge=1, le=10_000)
    calls: int = Field(ge=1, le=100)


def load_programme(data: str | Path = "data") -> Programme:
    """Read and check ``<data>/dcol.yaml`` (the source must be a key of ``<data>/references.bib``).

    Raises
    ------
    DataError
        Every problem, located by line and field.
    """
    folder = Path(data)
    path = folder / PROGRAMME_FILE
    if not path.is_file() and not path.is_symlink():
        raise DataError.single(str(path), "no such file; expected the DCOL programme's facts", reason=Reason.UNREADABLE)
    doc = read_yaml(path, str(path), root=find_root(folder) or folder)  # a link out of the project is refused
    try:
        programme = Programme.model_validate(doc.data)
    except ValidationError as exc:
        issues = validation_issues(exc, Programme)
        raise DataError([doc.problem(i.path, i.message, i.reason) for i in issues]) from exc
    keys = bib_keys(folder / "references.bib")
    if keys is not None and programme.source not in keys:
        hint = did_you_mean(programme.source, keys)
        message = f"unknown source {programme.source!r}: expected a key of references.bib{hint}"
        raise DataError([doc.problem(("source",), message, Reason.UNKNOWN_REFERENCE)])
    return programme


def validation_context(programme: Programme | None = None, today: dt.date | None = None) -> dict[str, Any]:
    """The pydantic validation context of a case: the programme's launch date and today's date."""
    return {"launched": programme.launched if programme else DEFAULT_START, "today": today or dt.date.today()}


def _context(context: Any) -> tuple[dt.date, dt.date]:
    given: Mapping[str, Any] = context if isinstance(context, Mapping) else {}
    launched = given.get("launched")
    today = given.get("today")
    return (
        launched if isinstance(launched, dt.date) else DEFAULT_START,
        today if isinstance(today, dt.date) else dt.date.today(),
    )


def check_interview_date(value: dt.date, context: Any) -> dt.date:
    """Refuse an interview dated in the future or before the programme was launched."""
    launched, today = _context(context)
    if value > today:
        raise ValueError(f"{value.isoformat()} is in the future (today is {today.isoformat()}): is the year right?")
    if value < launched:
        raise ValueError(
            f"{value.isoformat()} is before the DCOL programme started ({launched.isoformat()}, "
            f"see {PROGRAMME_FILE}): is the year right?"
        )
    return value


def check_mission_year(value: int, context: Any) -> int:
    """Refuse a mission year in the future or before the programme's launch year."""
    launched, today = _context(context)
    if value > today.year:
        raise ValueError(f"{value} is in the future (this is {today.year})")
    if value < launched.year:
        raise ValueError(f"{value} is before the DCOL programme started ({launched.year}, see {PROGRAMME_FILE})")
    return value


def check_population_year(value: int, context: Any) -> int:
    """Refuse a population year that is no vintage of INSEE legal populations."""
    _, today = _context(context)
    latest = today.year - LATEST_CENSUS_LAG
    if not FIRST_CENSUS_YEAR <= value <= latest:
        raise ValueError(
            f"{value} is not a year of INSEE legal populations: expected {FIRST_CENSUS_YEAR} to {latest} "
            "(the vintage of the figure, e.g. 2021 for « INSEE, population municipale 2021 »)"
        )
    return value
