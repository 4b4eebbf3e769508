"""Public facts on the DCOL programme (``data/dcol.yaml``): when it started, how many missions, how many calls.

These are facts of the programme as its terms of reference state them, with their source; the case base
holds the strategy missions the study analyses (:mod:`cufstudy.model.populations`), a part of them. The
notebooks record them as facts, so the prose prints "26 accompagnements en cinq appels" from the data, never
typed by hand.

.. code-block:: yaml

    source: cuf-dcol        # a key of data/references.bib
    launched: 2018-09-01    # the programme's start
    missions: 26            # missions financed, all kinds
    calls: 5                # calls for applications (DCOL 1 to DCOL 5)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cufstudy.core.bibliography import bib_keys
from cufstudy.core.errors import DataError
from cufstudy.core.problems import Reason, did_you_mean, validation_issues
from cufstudy.core.yamlio import read_yaml

__all__ = ["Programme", "load_programme"]


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
    path = Path(data) / "dcol.yaml"
    if not path.is_file():
        raise DataError.single(str(path), "no such file; expected the DCOL programme's facts", reason=Reason.UNREADABLE)
    doc = read_yaml(path)
    try:
        programme = Programme.model_validate(doc.data)
    except ValidationError as exc:
        issues = validation_issues(exc, Programme)
        raise DataError([doc.problem(i.path, i.message, i.reason) for i in issues]) from exc
    keys = bib_keys(Path(data) / "references.bib")
    if keys is not None and programme.source not in keys:
        hint = did_you_mean(programme.source, keys)
        message = f"unknown source {programme.source!r}: expected a key of references.bib{hint}"
        raise DataError([doc.problem(("source",), message, Reason.UNKNOWN_REFERENCE)])
    return programme
