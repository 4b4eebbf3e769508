"""The interview question set: data the analysts edit (``data/fieldwork/questions.yaml``), checked with located errors.

Two guides: ``mission`` for the authorities a mission supported (DCOL, or a pilot), ``comparison`` for the
non-DCOL comparison authorities. Each guide is a list of sections; a section of kind ``recommendations``
is asked about each recommendation of the mission, a section of kind ``organisation`` recalls the coded
organisation of the IR service and ends with a table to fill. Question texts may name fields of the case
in braces (``{collectivite}``), replaced when the guide is generated; unknown names are errors.

The file also lists the typical obstacles the capture forms offer in their drop-down lists.
"""

from __future__ import annotations

import difflib
import string
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cufstudy.core.errors import DataError, Problem
from cufstudy.core.workbook import fold
from cufstudy.core.yamlio import FieldPath, YamlDoc, path_str
from cufstudy.fieldwork._data import read_model

__all__ = [
    "COMMON_FIELDS",
    "QUESTIONS_FILE",
    "GuideSpec",
    "Question",
    "QuestionSet",
    "Section",
    "fill",
    "load_questions",
    "placeholders",
]

QUESTIONS_FILE = "questions.yaml"
_FROZEN = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

COMMON_FIELDS = frozenset({"collectivite", "niveau"})
_VARIANT_FIELDS: dict[str, frozenset[str]] = {
    "mission": COMMON_FIELDS | {"mission", "annee_mission", "rattachement_avant", "rattachement_recommande"},
    "comparison": COMMON_FIELDS | {"rattachement_actuel"},
}
_RECOMMENDATION_FIELDS = frozenset({"numero", "recommandation"})

Text = str


class Question(BaseModel):
    """A question, with optional prompts (relances) for the interviewer."""

    model_config = _FROZEN

    text: Text = Field(min_length=3, max_length=1000)
    prompts: tuple[Text, ...] = ()

    @classmethod
    def _coerce(cls, value: Any) -> Any:
        return {"text": value} if isinstance(value, str) else value


class Section(BaseModel):
    """A section of a guide."""

    model_config = _FROZEN

    title: Text = Field(min_length=3, max_length=200)
    kind: Literal["questions", "recommendations", "organisation"] = "questions"
    minutes: int | None = Field(default=None, ge=1, le=240)
    intro: Text | None = Field(default=None, max_length=2000)
    questions: tuple[Question, ...] = Field(min_length=1)

    @field_validator("questions", mode="before")
    @classmethod
    def _plain_questions(cls, values: Any) -> Any:
        if isinstance(values, list | tuple):
            return [Question._coerce(v) for v in values]
        return values


class GuideSpec(BaseModel):
    """The sections of one kind of guide, and the expected length of the interview."""

    model_config = _FROZEN

    duration: Text | None = Field(default=None, max_length=40)
    presentation: tuple[Text, ...] = Field(min_length=1)
    """Read to the interviewee at the start: the study and what the interview is about."""
    sections: tuple[Section, ...] = Field(min_length=1)


class Guides(BaseModel):
    model_config = _FROZEN

    mission: GuideSpec
    comparison: GuideSpec


class QuestionSet(BaseModel):
    """The whole question set: the confidentiality statement, the two guides, the typical obstacles."""

    model_config = _FROZEN

    confidentiality: Text = Field(min_length=10, max_length=2000)
    guides: Guides
    obstacles: tuple[Text, ...] = ()

    def guide(self, variant: str) -> GuideSpec:
        """The ``mission`` or ``comparison`` guide."""
        spec: GuideSpec = getattr(self.guides, variant)
        return spec


def placeholders(text: str) -> list[str]:
    """The field names a text uses in braces; raises ValueError on a malformed brace or a format spec."""
    names = []
    for _, name, spec, conversion in string.Formatter().parse(text):
        if name is None:
            continue
        if spec or conversion or not name.isidentifier():
            raise ValueError(f"write fields as {{name}} only, got {{{name}{'!' + conversion if conversion else ''}}}")
        names.append(name)
    return names


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with its fields replaced (the fields were checked by :func:`load_questions`)."""
    return text.format_map(dict(values))


def _texts(section: Section) -> Iterator[tuple[FieldPath, str]]:
    if section.intro:
        yield ("intro",), section.intro
    yield ("title",), section.title
    for q, question in enumerate(section.questions):
        yield ("questions", q, "text"), question.text
        for p, prompt in enumerate(question.prompts):
            yield ("questions", q, "prompts", p), prompt


def _check(qs: QuestionSet, doc: YamlDoc) -> list[Problem]:
    problems: list[Problem] = []

    def problem(where: FieldPath, message: str) -> None:
        problems.append(Problem(doc.file, message, doc.line_of(where), path_str(where)))

    def check_text(where: FieldPath, text: str, allowed: frozenset[str]) -> None:
        try:
            names = placeholders(text)
        except ValueError as exc:
            problem(where, f"malformed field in {text[:40]!r}: {exc} (write a literal brace as {{{{ or }}}})")
            return
        for name in names:
            if name not in allowed:
                near = difflib.get_close_matches(name, sorted(allowed), n=1)
                hint = f" (did you mean {{{near[0]}}}?)" if near else ""
                problem(where, f"unknown field {{{name}}}: expected one of {', '.join(sorted(allowed))}{hint}")

    check_text(("confidentiality",), qs.confidentiality, COMMON_FIELDS)
    for variant, fields in _VARIANT_FIELDS.items():
        spec = qs.guide(variant)
        kinds = [s.kind for s in spec.sections]
        for i, text in enumerate(spec.presentation):
            check_text(("guides", variant, "presentation", i), text, fields)
        base: FieldPath = ("guides", variant, "sections")
        if variant == "mission" and kinds.count("recommendations") != 1:
            problem(base, "the mission guide needs exactly one section of kind 'recommendations'")
        if variant == "comparison" and "recommendations" in kinds:
            where = (*base, kinds.index("recommendations"), "kind")
            problem(where, "a comparison authority had no mission: no section of kind 'recommendations'")
        if kinds.count("organisation") > 1:
            problem(base, "at most one section of kind 'organisation' per guide")
        for s, section in enumerate(spec.sections):
            allowed = fields | (_RECOMMENDATION_FIELDS if section.kind == "recommendations" else frozenset())
            for where, text in _texts(section):
                check_text((*base, s, *where), text, allowed)
    seen: dict[str, int] = {}
    for i, obstacle in enumerate(qs.obstacles):
        key = fold(obstacle)
        if key in seen:
            problem(("obstacles", i), f"obstacle listed twice (first at obstacles[{seen[key]}])")
        seen.setdefault(key, i)
    return problems


def load_questions(data: str | Path = "data") -> QuestionSet:
    """Load and check the question set of a data folder (``<data>/fieldwork/questions.yaml``).

    Raises
    ------
    DataError
        Every problem at once, with its line and field: unknown field, empty section, unknown ``{field}``,
        a mission guide without its ``recommendations`` section, an obstacle listed twice.
    """
    qs, doc = read_model(data, QUESTIONS_FILE, QuestionSet)
    problems = _check(qs, doc)
    if problems:
        raise DataError(problems)
    return qs
