"""French local authorities: name, tier, official code, population (with its year and source), seat."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from cufstudy.model.programme import check_population_year
from cufstudy.model.vocab import Tier, TierGroup

__all__ = ["Authority", "Name", "Population", "Seat", "code_pattern", "hidden_character"]


def hidden_character(text: str) -> str | None:
    """The first control or format character of ``text`` (Unicode Cc, Cf), described, or None.

    Such characters are invisible or reorder the text (U+202E RIGHT-TO-LEFT OVERRIDE, U+200B ZERO WIDTH
    SPACE): in a name they hide what is printed, or what a search would find.
    """
    for i, char in enumerate(text):
        if unicodedata.category(char) in ("Cc", "Cf"):
            name = unicodedata.name(char, "a control character")
            return f"U+{ord(char):04X} {name} at position {i + 1}"
    return None


def _plain(value: str) -> str:
    found = hidden_character(value)
    if found:
        raise ValueError(f"holds an invisible or control character ({found}): retype it without")
    return value


Name = Annotated[str, StringConstraints(max_length=200), AfterValidator(_plain)]
"""A name as printed: at most 200 characters, without control or format characters (see :func:`hidden_character`).

The length is checked on the text, before the validator (a ``max_length`` of the field would apply after it,
worded by pydantic as a count of "items")."""

_FROZEN = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

# Official code formats by tier group: INSEE commune code, EPCI SIREN, département and région codes.
_CODE_PATTERNS: dict[TierGroup, tuple[re.Pattern[str], str]] = {
    TierGroup.COMMUNE: (re.compile(r"^(\d{5}|2[AB]\d{3})$"), "an INSEE commune code of 5 characters, e.g. '49007'"),
    TierGroup.EPCI: (re.compile(r"^\d{9}$"), "an EPCI SIREN number of 9 digits, e.g. '200040715'"),
    TierGroup.DEPARTEMENT: (
        re.compile(r"^(0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-6])$"),
        "a département code, e.g. '13', '2A' or '974'",
    ),
    TierGroup.REGION: (re.compile(r"^\d{2}$"), "an INSEE région code of 2 digits, e.g. '84'"),
    TierGroup.STATUT_PARTICULIER: (
        re.compile(r"^(\d{2}|\d{3}|\d{9}|2[AB])$"),
        "an INSEE code (2 or 3 characters) or a SIREN",
    ),
}


def code_pattern(group: TierGroup) -> tuple[re.Pattern[str], str]:
    """The regular expression an official code must match for a tier group, and its description."""
    return _CODE_PATTERNS[group]


class Population(BaseModel):
    """A population figure with its vintage and source (e.g. INSEE population municipale 2017)."""

    model_config = _FROZEN

    value: int = Field(ge=0, le=100_000_000)
    year: int
    """The vintage: a year of INSEE legal populations (2006 to the current year minus 2)."""
    source: str = Field(min_length=3, max_length=500)

    @field_validator("year")
    @classmethod
    def _census_year(cls, year: int, info: ValidationInfo) -> int:
        return check_population_year(year, info.context)


class Seat(BaseModel):
    """Where the authority sits, for maps (WGS84 degrees)."""

    model_config = _FROZEN

    name: Name | None = None
    longitude: float = Field(ge=-180, le=180)
    latitude: float = Field(ge=-90, le=90)
    # position on the composite map of France (overseas départements in insets), when different
    longitude_composite: float | None = Field(default=None, ge=-180, le=180)
    latitude_composite: float | None = Field(default=None, ge=-90, le=90)


class Authority(BaseModel):
    """A French local authority (collectivité territoriale or EPCI).

    ``code`` is the official code: INSEE commune code, EPCI SIREN, département or région code.
    It may be left empty only for the fictional comparison authorities.
    """

    model_config = _FROZEN

    name: Name = Field(min_length=2)
    tier: Tier
    code: str | None = Field(default=None, max_length=20)
    official_name: Name | None = None
    departement: str | None = Field(default=None, max_length=3)
    region: str | None = Field(default=None, max_length=2)
    population: Population | None = None
    seat: Seat | None = None
    fictional: bool = False

    @property
    def group(self) -> TierGroup:
        return self.tier.group

    @field_validator("code")
    @classmethod
    def _check_code(cls, code: str | None, info: ValidationInfo) -> str | None:
        tier = info.data.get("tier")
        if code is None or not isinstance(tier, Tier):
            return code
        pattern, expected = _CODE_PATTERNS[tier.group]
        if not pattern.match(code):
            raise ValueError(f"{code!r} does not fit the tier {tier.value!r}: expected {expected}")
        return code

    @model_validator(mode="after")
    def _code_required(self) -> Authority:
        if self.code is None and not self.fictional:
            raise ValueError("the official code is required (set 'fictional: true' for an invented authority)")
        return self
