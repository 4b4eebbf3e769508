"""The training-action of the SDG toolbox (``data/toolbox/training.yaml``): half-day sessions by video-conference,
each with its timed agenda and its materials.

:func:`load_training` checks the programme and reports every problem at once, located: sessions numbered 1, 2,
3... in order, each agenda filling the half-day exactly (the message gives the total and the difference), the
compact format merging existing and consecutive sessions, a valid start time, known sources.
:func:`programme_table` and :func:`agenda_table` give the French tables the toolbox prints, times written the
French way (« 9 h 30 – 9 h 45 »).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Final

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cufstudy.core import sentences
from cufstudy.core.bibliography import project_bibliography, source_problem
from cufstudy.core.errors import DataError, NotFoundError
from cufstudy.core.problems import Problem, Problems, Reason, validation_issues
from cufstudy.core.yamlio import read_yaml

__all__ = [
    "TRAINING_FILE",
    "AgendaItem",
    "Session",
    "Training",
    "TrainingFormat",
    "agenda_table",
    "compact_description",
    "compact_sessions",
    "count_fr",
    "load_training",
    "materials_list",
    "number_fr",
    "programme_table",
    "time_fr",
]

TRAINING_FILE: Final = Path("toolbox") / "training.yaml"
"""The programme of the training-action, inside the data folder."""
_FROZEN = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
Text = Annotated[str, Field(min_length=2, max_length=400)]


class AgendaItem(BaseModel):
    """One sequence of a session: its length in minutes, what is done and how."""

    model_config = _FROZEN

    minutes: int = Field(ge=5, le=240)
    activity: Text
    method: Annotated[str, Field(min_length=1, max_length=120)]


class Session(BaseModel):
    """A half-day session of the training-action."""

    model_config = _FROZEN

    number: int = Field(ge=1, le=20)
    title: Text
    objective: Text
    participants: Text
    deliverable: Text
    before: Text | None = None
    agenda: tuple[AgendaItem, ...] = Field(min_length=1)
    materials: tuple[Text, ...] = Field(min_length=1)

    @property
    def minutes(self) -> int:
        return sum(item.minutes for item in self.agenda)


class TrainingFormat(BaseModel):
    """When the half-days start, how long they last, and how the compact format merges them."""

    model_config = _FROZEN

    start: str
    minutes: int = Field(ge=60, le=300)
    time_note: Text | None = None
    compact: tuple[tuple[int, ...], ...] = ()
    source: tuple[Annotated[str, Field(min_length=2, max_length=80)], ...] = Field(min_length=1)

    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError(f"got {value!r}: expected a time as hh:mm, e.g. '09:30'")
        return value

    @property
    def start_time(self) -> dt.time:
        hours, minutes = (int(x) for x in self.start.split(":"))
        return dt.time(hours, minutes)


class Training(BaseModel):
    """The programme of the training-action."""

    model_config = _FROZEN

    format: TrainingFormat
    sessions: tuple[Session, ...] = Field(min_length=1)

    def session(self, number: int) -> Session:
        for s in self.sessions:
            if s.number == number:
                return s
        raise NotFoundError(f"no session {number}; the sessions are 1 to {len(self.sessions)}")

    @property
    def n_compact(self) -> int:
        """The number of half-days of the compact format (merged groups count once)."""
        merged = sum(len(group) - 1 for group in self.format.compact)
        return len(self.sessions) - merged


def load_training(data: str | Path = "data") -> Training:
    """Load and check ``<data>/toolbox/training.yaml``.

    Raises
    ------
    DataError
        With every problem of the file at once, located (line, field).
    """
    doc = read_yaml(Path(data) / TRAINING_FILE)
    try:
        training = Training.model_validate(doc.data)
    except ValidationError as exc:
        raise DataError([doc.problem(i.path, i.message, i.reason) for i in validation_issues(exc, Training)]) from exc
    found: list[Problem] = []
    bib = project_bibliography(data)
    for k, key in enumerate(training.format.source):
        problem = source_problem(doc, ("format", "source", k), key, bib)
        if problem is not None:
            found.append(problem)
    for i, session in enumerate(training.sessions):
        if session.number != i + 1:
            message = (
                f"session {session.number} is the session number {i + 1} of the file: number them 1, 2, 3... in order"
            )
            found.append(doc.problem(("sessions", i, "number"), message, Reason.INVALID_VALUE))
        total, planned = session.minutes, training.format.minutes
        if total != planned:
            gap = f"{total - planned} minutes too many" if total > planned else f"{planned - total} minutes missing"
            message = f"the agenda lasts {total} minutes, the half-day {planned} ({gap})"
            found.append(doc.problem(("sessions", i, "agenda"), message, Reason.INVALID_VALUE))
    numbers = [s.number for s in training.sessions]
    used: set[int] = set()
    for g, group in enumerate(training.format.compact):
        where = ("format", "compact", g)
        if len(group) < 2:
            found.append(doc.problem(where, "a merged group needs at least two sessions", Reason.OUT_OF_RANGE))
        unknown = [n for n in group if n not in numbers]
        if unknown:
            message = f"unknown session(s) {unknown}: the sessions are 1 to {len(numbers)}"
            found.append(doc.problem(where, message, Reason.UNKNOWN_REFERENCE))
        elif list(group) != list(range(group[0], group[0] + len(group))):
            found.append(doc.problem(where, f"sessions {list(group)} are not consecutive", Reason.INVALID_VALUE))
        twice = sorted(used & set(group))
        if twice:
            found.append(doc.problem(where, f"session(s) {twice} already merged in another group", Reason.DUPLICATE))
        used |= set(group)
    problems = Problems(DataError)
    problems.extend(found)
    problems.raise_if_any()
    return training


def count_fr(n: int, noun: str, plural: str | None = None, *, feminine: bool = False) -> str:
    """A count in French running text: in words below ten, in digits from ten (« six demi-journées », « 12 cibles »).

    The project's rule for counts (:func:`cufstudy.core.sentences.count`), for a noun given here.

    Examples
    --------
    >>> count_fr(6, "demi-journée", feminine=True), count_fr(1, "demi-journée", feminine=True), count_fr(23, "cible")
    ('six demi-journées', 'une demi-journée', '23 cibles')
    """
    return sentences.count(n, sentences.Noun(noun, plural or noun + "s", feminine))


def number_fr(n: int, *, feminine: bool = False) -> str:
    """A number in French running text: in words below ten (« une » when ``feminine``), in digits from ten.

    Examples
    --------
    >>> number_fr(3), number_fr(1, feminine=True), number_fr(1234)
    ('trois', 'une', '1\u202f234')
    """
    return sentences.cardinal(n, feminine=feminine)


def time_fr(value: dt.time) -> str:
    """A time the French way: « 9 h 30 », « 12 h ».

    Examples
    --------
    >>> time_fr(dt.time(9, 30)), time_fr(dt.time(12, 0))
    ('9\\xa0h\\xa030', '12\\xa0h')
    """
    nbsp = "\u00a0"
    return f"{value.hour}{nbsp}h" + (f"{nbsp}{value.minute:02d}" if value.minute else "")


def _plus(start: dt.time, minutes: int) -> dt.time:
    moment = dt.datetime.combine(dt.date(2000, 1, 1), start) + dt.timedelta(minutes=minutes)
    return moment.time()


def agenda_table(training: Training, number: int) -> pd.DataFrame:
    """The timed agenda of a session: « Horaire » (start – end), « Séquence », « Méthode »."""
    session = training.session(number)
    rows = []
    clock = training.format.start_time
    for item in session.agenda:
        end = _plus(clock, item.minutes)
        rows.append(
            {"Horaire": f"{time_fr(clock)} – {time_fr(end)}", "Séquence": item.activity, "Méthode": item.method}
        )
        clock = end
    return pd.DataFrame(rows, columns=["Horaire", "Séquence", "Méthode"])


def materials_list(training: Training, number: int) -> list[str]:
    """The materials of a session, in file order."""
    return list(training.session(number).materials)


def programme_table(training: Training) -> pd.DataFrame:
    """The programme: one row per half-day with its objective, participants and deliverable."""
    rows = [
        {
            "Demi-journée": f"{s.number} – {s.title}",
            "Objectifs": s.objective,
            "Participants": s.participants,
            "Livrable": s.deliverable,
        }
        for s in training.sessions
    ]
    return pd.DataFrame(rows, columns=["Demi-journée", "Objectifs", "Participants", "Livrable"])


def compact_description(training: Training) -> str:
    """The merged sessions of the compact format, in French: « 2 et 3 d'une part, 5 et 6 d'autre part ».

    Examples
    --------
    >>> fmt = TrainingFormat(start="09:30", minutes=180, compact=((2, 3), (5, 6)), source=("analyse-equipe",))
    >>> item = AgendaItem(minutes=180, activity="Séance", method="plénière")
    >>> sessions = [Session(number=n, title="Titre", objective="Objectif", participants="Tous", deliverable="Grille",
    ...                     agenda=(item,), materials=("Grille",)) for n in range(1, 7)]
    >>> compact_description(Training(format=fmt, sessions=tuple(sessions)))
    "2 et 3 d'une part, 5 et 6 d'autre part"
    """
    groups = [", ".join(map(str, g[:-1])) + f" et {g[-1]}" for g in training.format.compact]
    if len(groups) == 2:
        return f"{groups[0]} d'une part, {groups[1]} d'autre part"
    return " ; ".join(groups)


def compact_sessions(training: Training) -> list[tuple[int, ...]]:
    """The half-days of the compact format, as groups of session numbers (a session alone is a group of one)."""
    merged = {n: group for group in training.format.compact for n in group}
    out: list[tuple[int, ...]] = []
    for s in training.sessions:
        group = merged.get(s.number, (s.number,))
        if group not in out:
            out.append(group)
    return out
