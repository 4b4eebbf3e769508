"""Located problems: the record, its reason codes, the collector, and the translator of pydantic errors.

Every check of an input file (case files, the typology, the organisation models, partnerships, the
Excel grid, the run plan, the render configuration, report sources) reports what it finds as
:class:`Problem` records: file, line, field, message, and a :class:`Reason` code a program can test
(as pandera's ``SchemaErrorReason``). Checks collect their problems (:class:`Problems`, pandera's lazy
mode) and raise them all at once as one :class:`~cufstudy.core.errors.ProblemError`.

Pydantic's errors are turned into problems in one place, :func:`validation_issues`, so that a
misspelt field, a missing one, a code outside its vocabulary or a value of the wrong type read the same
in every file: ``unknown field (did you mean 'strategy'?)``, ``required field is missing``,
``got 'comune', expected one of: commune, epci (did you mean 'commune'?)``.

Detection and formatting stay apart: checks build records; :func:`report` (used by the errors) and
``str(problem)`` format them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

__all__ = [
    "LANG",
    "FieldIssue",
    "FieldPath",
    "Problem",
    "Problems",
    "Reason",
    "did_you_mean",
    "did_you_mean_fr",
    "field_names",
    "models_in",
    "nearest",
    "path_str",
    "report",
    "say",
    "short_repr",
    "shorten",
    "validation_issues",
]

FieldPath = tuple[str | int, ...]
"""The path of a field inside a file: ``("recommendations", 2, "status")``."""

_PLAIN_KEY = re.compile(r"^[^\s.\[\]'\"]+$")  # shown as is in a field path; other keys are quoted


class Reason(StrEnum):
    """Why an input was refused: one code per kind of problem, for programs (tests, tools) to test."""

    UNREADABLE = "unreadable"
    """The file cannot be read as what it should be: missing, too big, badly encoded, a syntax error."""
    UNKNOWN_FIELD = "unknown_field"
    """A field (key, column, sheet) the format does not have, often a misspelling."""
    MISSING_FIELD = "missing_field"
    """A required field (key, cell) is absent or empty."""
    WRONG_TYPE = "wrong_type"
    """A value of the wrong kind: text for a number, a list for a mapping."""
    NOT_IN_VOCABULARY = "not_in_vocabulary"
    """A code outside its vocabulary (a tier, a motivation, a follow-up status)."""
    OUT_OF_RANGE = "out_of_range"
    """A number or a length outside its bounds."""
    DUPLICATE = "duplicate"
    """Something that must be unique appears twice (a key, an id, a priority)."""
    UNKNOWN_REFERENCE = "unknown_reference"
    """A reference to something that does not exist (a bibliography key, a project id, a fact, a cell)."""
    UNSUPPORTED = "unsupported"
    """A construct outside the supported subset (a YAML tag, a Quarto option, an .xls workbook)."""
    INVALID_VALUE = "invalid_value"
    """Any other value a check refused (a format, an inconsistency between fields)."""


@dataclass(frozen=True)
class Problem:
    """One located problem in an input file.

    Parameters
    ----------
    file
        The file, as the user named it (relative paths stay relative).
    message
        What is wrong and what was expected, in one sentence.
    line
        1-based line number, when known.
    field
        Dotted path of the field inside the file (``strategy.ambition``, ``recommendations[2].status``),
        or the sheet and cell of a workbook (``Projets!C4``).
    reason
        The kind of problem (:class:`Reason`).
    """

    file: str
    message: str
    line: int | None = None
    field: str | None = None
    reason: Reason = Reason.INVALID_VALUE

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.field:
            where = f"{where}: {self.field}"
        return f"{where}: {self.message}"

    def sort_key(self) -> tuple[str, int, str]:
        return (self.file, self.line or 0, self.field or "")


def report(summary: str, problems: Iterable[Problem]) -> str:
    """The text of an error: the summary line, then one indented line per problem."""
    return "\n".join([summary, *(f"  {p}" for p in problems)])


class _ProblemRaiser(Protocol):
    """An error class made from problems and an optional summary (a ``ProblemError`` subclass)."""

    def __call__(self, problems: Iterable[Problem], summary: str | None = None) -> Exception: ...


class Problems:
    """A collector of located problems: add every problem found, then raise them together.

    Parameters
    ----------
    error
        The :class:`~cufstudy.core.errors.ProblemError` subclass :meth:`raise_if_any` raises
        (``DataError``, ``PlanError``, ``SourceError``).

    Examples
    --------
    >>> from cufstudy.core.errors import DataError
    >>> problems = Problems(DataError)
    >>> problems.add("cases/ville-d-aix.yaml", "required field is missing", 3, "provenance", Reason.MISSING_FIELD)
    >>> len(problems), problems[0].reason.value
    (1, 'missing_field')
    """

    def __init__(self, error: _ProblemRaiser) -> None:
        self.error = error
        self.items: list[Problem] = []

    def add(
        self,
        file: str,
        message: str,
        line: int | None = None,
        field: str | None = None,
        reason: Reason = Reason.INVALID_VALUE,
    ) -> None:
        """Record one problem."""
        self.items.append(Problem(file, message, line, field, reason))

    def append(self, problem: Problem) -> None:
        self.items.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.items)

    def __getitem__(self, index: int) -> Problem:
        return self.items[index]

    def raise_if_any(self, summary: str | None = None) -> None:
        """Raise every problem collected, as one error, if there is any."""
        if self.items:
            raise self.error(self.items, summary)


# ---------------------------------------------------------------------------------------------------------
# wording shared by every check


def path_str(path: FieldPath) -> str:
    """``("recommendations", 2, "status")`` -> ``recommendations[2].status``.

    A key that would not read as one (empty, blank, with spaces, dots, brackets) is quoted: ``strategy[' ']``.
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _PLAIN_KEY.match(part):
            out += f"[{part!r}]"
        else:
            out += f".{part}" if out else part
    return out


def shorten(text: str, limit: int = 60) -> str:
    """``text``, cut to ``limit`` characters with ``...`` when longer."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def short_repr(value: Any, limit: int = 60) -> str:
    """The ``repr`` of a value as shown in a message, cut to ``limit`` characters."""
    return shorten(repr(value), limit)


def nearest(value: object, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The candidate closest to ``value`` (``difflib``), or ``None`` when none is close enough."""
    if not isinstance(value, str):
        value = str(value)
    near = difflib.get_close_matches(value, sorted(set(candidates)), n=1, cutoff=cutoff)
    return near[0] if near else None


LANG: str = "lang"
"""The key of a pydantic validation context naming the language of the messages (``{"lang": "fr"}``)."""


def say(context: object, en: str, fr: str) -> str:
    """A validator's message in the language its validation context asks for: English unless ``lang`` is ``fr``.

    The messages of a file are in the language of the file's readers: English for the data files analysts
    edit, French for the workbooks a French partner fills in (the SDG grid). Each message is in one language.
    """
    return fr if isinstance(context, Mapping) and context.get(LANG) == "fr" else en


def did_you_mean_fr(value: object, candidates: Iterable[str], cutoff: float = 0.6) -> str:
    """`` (vouliez-vous dire « x » ?)`` for the nearest candidate, or ``""``: :func:`did_you_mean` in French."""
    near = nearest(value, candidates, cutoff)
    return f" (vouliez-vous dire « {near} » ?)" if near is not None else ""


def did_you_mean(value: object, candidates: Iterable[str], cutoff: float = 0.6) -> str:
    """`` (did you mean 'x'?)`` for the nearest candidate, or ``""``: the hint every message ends with."""
    near = nearest(value, candidates, cutoff)
    return f" (did you mean {near!r}?)" if near is not None else ""


# ---------------------------------------------------------------------------------------------------------
# pydantic models: the fields a user may write, and their errors turned into located problems


def models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (``Strategy``, ``tuple[Recommendation, ...]``, ``X | None``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in getattr(annotation, "__args__", ()):
        for model in models_in(arg):
            if model not in found:
                found.append(model)
    return found


def _keys(model: type[BaseModel]) -> list[str]:
    """The keys a user writes for the fields of ``model``: the alias where there is one."""
    return [info.alias or name for name, info in model.model_fields.items()]


def field_names(model: type[BaseModel]) -> frozenset[str]:
    """Every key of ``model`` and of the models nested in it, as a user writes them (aliases included)."""
    names: set[str] = set()
    seen: set[type[BaseModel]] = set()

    def walk(m: type[BaseModel]) -> None:
        seen.add(m)
        names.update(_keys(m))
        for info in m.model_fields.values():
            for sub in models_in(info.annotation):
                if sub not in seen:
                    walk(sub)

    walk(model)
    return frozenset(names)


def _keys_at(model: type[BaseModel], path: FieldPath) -> list[str]:
    """The keys allowed at ``path`` inside ``model`` (empty when the path leaves the models)."""
    current = [model]
    for part in path:
        if isinstance(part, int):
            continue  # an item of a tuple or list: models_in already looked inside the container
        following: list[type[BaseModel]] = []
        for m in current:
            for name, info in m.model_fields.items():
                if part in (name, info.alias):
                    following += [s for s in models_in(info.annotation) if s not in following]
        current = following
    return sorted({key for m in current for key in _keys(m)})


# pydantic adds the schema of a union member or a validator to an error's loc: they are not fields
_SCHEMA_PART = re.compile(r"^(?:function-(?:before|after|wrap|plain)\[.*\]|literal\[.*\]|\[key\]|int|str|float|bool)$")

_OUT_OF_RANGE = frozenset(
    {
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "multiple_of",
        "finite_number",
        "too_short",
        "too_long",
        "string_too_short",
        "string_too_long",
        "bytes_too_short",
        "bytes_too_long",
    }
)


def _reason(kind: str) -> Reason:
    if kind == "missing":
        return Reason.MISSING_FIELD
    if kind == "extra_forbidden":
        return Reason.UNKNOWN_FIELD
    if kind in ("enum", "literal_error"):
        return Reason.NOT_IN_VOCABULARY
    if kind in _OUT_OF_RANGE:
        return Reason.OUT_OF_RANGE
    if kind.endswith(("_type", "_parsing")) or kind in ("is_instance_of", "none_required"):
        return Reason.WRONG_TYPE
    return Reason.INVALID_VALUE


@dataclass(frozen=True)
class FieldIssue:
    """One pydantic error, worded: where it is, what kind it is, and the message.

    ``path`` holds only the fields (the parts pydantic adds for union members and validators are
    dropped), ``kind`` is pydantic's error type (``missing``, ``enum``, ``int_parsing``...), ``value`` the
    value refused and ``suggestion`` the nearest allowed key or code, when there is one.
    """

    path: FieldPath
    kind: str
    reason: Reason
    message: str
    value: Any = None
    suggestion: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    """pydantic's ``ctx`` of the error (``{"min_length": 3}``), to word it in another language."""


def _issue(err: Mapping[str, Any], model: type[BaseModel] | None, every: Sequence[str], cutoff: float) -> FieldIssue:
    kind: str = err["type"]
    raw: FieldPath = tuple(err["loc"])
    last = raw[-1:] if kind == "extra_forbidden" else ()  # an unknown key is the user's, whatever it reads
    loc = tuple(p for p in raw[: len(raw) - len(last)] if isinstance(p, int) or not _SCHEMA_PART.match(p)) + last
    value = err.get("input")
    ctx: Mapping[str, Any] = err.get("ctx") or {}
    suggestion: str | None = None
    if kind == "missing":
        message = "required field is missing"
    elif kind == "extra_forbidden":
        key = str(loc[-1]) if loc else str(value)
        allowed = (_keys_at(model, loc[:-1]) if model is not None else []) or list(every)
        suggestion = nearest(key, allowed, cutoff)
        message = "unknown field" + (f" (did you mean {suggestion!r}?)" if suggestion else "")
    elif kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", ""))
        choices = [c.strip(" '") for c in re.split(r",| or ", expected) if c.strip(" '")]
        suggestion = nearest(value, choices)
        message = f"got {short_repr(value)}, expected one of: {', '.join(choices)}"
        message += f" (did you mean {suggestion!r}?)" if suggestion else ""
    elif kind in ("value_error", "assertion_error"):
        message = str(ctx.get("error", err["msg"]))
    else:
        msg: str = err["msg"]
        message = f"got {short_repr(value)}: {msg[:1].lower()}{msg[1:]}"
    return FieldIssue(loc, kind, _reason(kind), message, value, suggestion, dict(ctx))


def validation_issues(
    exc: ValidationError,
    model: type[BaseModel] | None = None,
    *,
    cutoff: float = 0.5,
    keep: Callable[[Mapping[str, Any]], bool] | None = None,
) -> list[FieldIssue]:
    """Word every error of a pydantic ``ValidationError`` the way every cufstudy file reports them.

    Parameters
    ----------
    exc
        The error raised by ``Model.model_validate``.
    model
        The model validated: an unknown key is compared with the keys allowed where it stands (and,
        failing that, with every key of the model) to suggest the nearest.
    cutoff
        How close a key must be to be suggested (``difflib`` ratio).
    keep
        Filters the raw pydantic errors (e.g. to drop echoes of errors already reported).

    Returns
    -------
    list of FieldIssue
        In pydantic's order; place each with the file's locator (:meth:`cufstudy.core.yamlio.YamlDoc.problem`,
        a workbook's cells).
    """
    every = sorted(field_names(model)) if model is not None else []
    return [_issue(err, model, every, cutoff) for err in exc.errors(include_url=False) if keep is None or keep(err)]
