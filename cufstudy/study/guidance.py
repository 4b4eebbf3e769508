"""The guide's reference lists as data: the legal framework, the "1 %" mechanisms, the funding instruments, the
organisation options of the international-relations service.

They live in ``data/guide/`` so that they can be updated without touching the prose, each entry with its source:

- ``legal.yaml``: the laws and codes of the international action of French local authorities (CGCT art. L1115-1
  and following, loi Oudin-Santini, loi Thiollière, the 2014 law...) and the "1 %" solidarity mechanisms
  (water and sanitation, energy, waste, mobility), each mechanism naming the law that created it;
- ``instruments.yaml``: funding instruments (AFD's FICOL, the DAECT calls for projects, the EU CERV
  programme...), support and networks;
- ``organisation_options.yaml``: for each dimension members ask about (level in the hierarchy, staffing, budget,
  élu délégué, Europe, référents, sharing between tiers), the options with the strategy types they suit, their
  advantages and drawbacks and their source.

Every law, mechanism and instrument cites a key of ``data/references.bib`` whose entry has a URL; an
organisation option cites bibliography keys or ``analyse-equipe`` (the team's proposal, printed as such). The
loaders report every problem of a file at once, located (file, line, field). The ``*_table`` functions give
the French tables the guide prints; their "Source" cells hold ``CITE:key`` markers that
:func:`with_citations` turns into Pandoc citations once the table is Markdown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Final

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cufstudy.core.bibliography import (
    TEAM_ANALYSIS,
    BibEntry,
    project_bibliography,
    source_cell,
    source_problem,
    with_citations,
)
from cufstudy.core.errors import DataError, NotFoundError
from cufstudy.core.problems import FieldPath, Problem, Problems, Reason, did_you_mean, validation_issues
from cufstudy.core.yamlio import YamlDoc, read_yaml
from cufstudy.model.cases import Slug

__all__ = [
    "GUIDE_DIR",
    "KIND_LABELS_FR",
    "TEAM_ANALYSIS",
    "Instrument",
    "InstrumentKind",
    "LegalFramework",
    "LegalText",
    "Mechanism",
    "OrganisationDimension",
    "OrganisationOption",
    "OrganisationOptions",
    "TextKind",
    "dimension_table",
    "instruments_table",
    "legal_table",
    "load_instruments",
    "load_legal",
    "load_organisation_options",
    "mechanisms_table",
    "source_cell",
    "with_citations",
]

GUIDE_DIR: Final = "guide"
"""The folder of the guide's lists, inside the data folder."""
_FROZEN = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

Text = Annotated[str, Field(min_length=2, max_length=600)]
LongText = Annotated[str, Field(min_length=10, max_length=2000)]
Key = Annotated[str, Field(min_length=2, max_length=80)]


class TextKind(StrEnum):
    """What a legal text is."""

    CODE = "code"
    LAW = "loi"
    EU_REGULATION = "reglement_ue"


class InstrumentKind(StrEnum):
    """What an instrument offers."""

    FUNDING = "financement"
    EMERGENCY = "urgence"
    SUPPORT = "accompagnement"
    NETWORK = "reseau"


KIND_LABELS_FR: Final[dict[str, str]] = {
    TextKind.CODE: "Code",
    TextKind.LAW: "Loi",
    TextKind.EU_REGULATION: "Règlement européen",
    InstrumentKind.FUNDING: "Financement",
    InstrumentKind.EMERGENCY: "Aide d'urgence",
    InstrumentKind.SUPPORT: "Accompagnement",
    InstrumentKind.NETWORK: "Réseau",
}


class LegalText(BaseModel):
    """A code or a law of the legal framework."""

    model_config = _FROZEN

    id: Slug
    short: Text
    title: Text
    date: dt.date | None = None
    kind: TextKind
    articles: Text | None = None
    summary: LongText
    source: Key


class Mechanism(BaseModel):
    """A "1 %" solidarity mechanism: a share of a public service's budget for international cooperation."""

    model_config = _FROZEN

    id: Slug
    domain: Text
    who: Text
    base: Text
    article: Text
    law: Slug
    source: Key


class LegalFramework(BaseModel):
    """The legal texts and the "1 %" mechanisms (``data/guide/legal.yaml``)."""

    model_config = _FROZEN

    texts: tuple[LegalText, ...] = Field(min_length=1)
    mechanisms: tuple[Mechanism, ...] = ()

    def text(self, text_id: str) -> LegalText:
        """The text with this id (a ``NotFoundError`` naming the nearest id otherwise)."""
        for t in self.texts:
            if t.id == text_id:
                return t
        known = [t.id for t in self.texts]
        raise NotFoundError(
            f"no legal text {text_id!r}{did_you_mean(text_id, known)}; the texts are {', '.join(known)}"
        )

    def sources(self) -> set[str]:
        return {t.source for t in self.texts} | {m.source for m in self.mechanisms}


class Instrument(BaseModel):
    """A funding instrument, a support programme or a network (``data/guide/instruments.yaml``)."""

    model_config = _FROZEN

    id: Slug
    name: Text
    funder: Text
    kind: InstrumentKind
    purpose: LongText
    conditions: Text
    modalities: tuple[Slug, ...] = ()
    source: Key


class _Instruments(BaseModel):
    model_config = _FROZEN

    instruments: tuple[Instrument, ...] = Field(min_length=1)


class OrganisationOption(BaseModel):
    """One way of answering a dimension's question, with the strategy types it suits."""

    model_config = _FROZEN

    id: Slug
    option: Text
    strategy_types: tuple[Slug, ...] = Field(min_length=1)
    advantages: tuple[Text, ...] = Field(min_length=1)
    drawbacks: tuple[Text, ...] = Field(min_length=1)
    source: tuple[Key, ...] = Field(min_length=1)

    @property
    def is_team_analysis(self) -> bool:
        """Whether the option rests, at least in part, on the team's own analysis."""
        return TEAM_ANALYSIS in self.source


class OrganisationDimension(BaseModel):
    """A dimension of the organisation (staffing, budget...): the question members ask and its options."""

    model_config = _FROZEN

    id: Slug
    title: Text
    question: Text
    options: tuple[OrganisationOption, ...] = Field(min_length=1)


class OrganisationOptions(BaseModel):
    """Every dimension of ``data/guide/organisation_options.yaml``."""

    model_config = _FROZEN

    dimensions: tuple[OrganisationDimension, ...] = Field(min_length=1)

    def dimension(self, dimension_id: str) -> OrganisationDimension:
        for d in self.dimensions:
            if d.id == dimension_id:
                return d
        known = [d.id for d in self.dimensions]
        raise NotFoundError(
            f"no dimension {dimension_id!r}{did_you_mean(dimension_id, known)}; the dimensions are {', '.join(known)}"
        )


# ---------------------------------------------------------------------------------------------------------
# loading, with located problems


def _read(data: str | Path, name: str) -> YamlDoc:
    return read_yaml(Path(data) / GUIDE_DIR / name)


def _validate(doc: YamlDoc, model: type[BaseModel]) -> tuple[Any, list[Problem]]:
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        return None, [doc.problem(i.path, i.message, i.reason) for i in validation_issues(exc, model)]


def _source(
    doc: YamlDoc, path: FieldPath, key: str, bib: dict[str, BibEntry], *, url: bool, team: bool = False
) -> list[Problem]:
    found = source_problem(doc, path, key, bib, url=url, team=team)
    return [found] if found is not None else []


def _duplicates(doc: YamlDoc, base: FieldPath, ids: Sequence[str], what: str) -> list[Problem]:
    seen: set[str] = set()
    found = []
    for i, ident in enumerate(ids):
        if ident in seen:
            found.append(doc.problem((*base, i, "id"), f"duplicate {what} id {ident!r}", Reason.DUPLICATE))
        seen.add(ident)
    return found


def load_legal(data: str | Path = "data") -> LegalFramework:
    """Load and check ``<data>/guide/legal.yaml``.

    Every source must be a key of ``<data>/references.bib`` with a URL, every id unique, and every mechanism's
    ``law`` the id of a text of the file.

    Raises
    ------
    DataError
        With every problem of the file at once, located (line, field).
    """
    doc = _read(data, "legal.yaml")
    legal, found = _validate(doc, LegalFramework)
    if legal is not None:
        bib = project_bibliography(data)
        for i, t in enumerate(legal.texts):
            found += _source(doc, ("texts", i, "source"), t.source, bib, url=True)
        ids = [t.id for t in legal.texts]
        found += _duplicates(doc, ("texts",), ids, "text")
        found += _duplicates(doc, ("mechanisms",), [m.id for m in legal.mechanisms], "mechanism")
        for i, m in enumerate(legal.mechanisms):
            found += _source(doc, ("mechanisms", i, "source"), m.source, bib, url=True)
            if m.law not in ids:
                message = f"unknown law {m.law!r}{did_you_mean(m.law, ids)}: expected the id of a text of this file"
                found.append(doc.problem(("mechanisms", i, "law"), message, Reason.UNKNOWN_REFERENCE))
    _raise(found)
    assert isinstance(legal, LegalFramework)
    return legal


def load_instruments(data: str | Path = "data", legal: LegalFramework | None = None) -> tuple[Instrument, ...]:
    """Load and check ``<data>/guide/instruments.yaml``.

    Every source must be a key of ``<data>/references.bib`` with a URL and every id unique; with ``legal``, every
    modality must be the id of one of its "1 %" mechanisms.

    Raises
    ------
    DataError
        With every problem of the file at once, located (line, field).
    """
    doc = _read(data, "instruments.yaml")
    parsed, found = _validate(doc, _Instruments)
    if parsed is not None:
        bib = project_bibliography(data)
        found += _duplicates(doc, ("instruments",), [i.id for i in parsed.instruments], "instrument")
        mechanisms = [m.id for m in legal.mechanisms] if legal is not None else None
        for i, inst in enumerate(parsed.instruments):
            found += _source(doc, ("instruments", i, "source"), inst.source, bib, url=True)
            for j, modality in enumerate(inst.modalities):
                if mechanisms is not None and modality not in mechanisms:
                    message = (
                        f"unknown mechanism {modality!r}{did_you_mean(modality, mechanisms)}: expected one of "
                        f"{', '.join(mechanisms)} (data/guide/legal.yaml)"
                    )
                    found.append(doc.problem(("instruments", i, "modalities", j), message, Reason.UNKNOWN_REFERENCE))
    _raise(found)
    assert isinstance(parsed, _Instruments)
    return parsed.instruments


def load_organisation_options(
    data: str | Path = "data", strategy_types: Iterable[str] | None = None
) -> OrganisationOptions:
    """Load and check ``<data>/guide/organisation_options.yaml``.

    Every source must be a key of ``<data>/references.bib`` or ``analyse-equipe``; with ``strategy_types`` (the
    ids of the typology), every strategy type an option names must be one of them.

    Raises
    ------
    DataError
        With every problem of the file at once, located (line, field).
    """
    doc = _read(data, "organisation_options.yaml")
    options, found = _validate(doc, OrganisationOptions)
    if options is not None:
        bib = project_bibliography(data)
        types = list(strategy_types) if strategy_types is not None else None
        found += _duplicates(doc, ("dimensions",), [d.id for d in options.dimensions], "dimension")
        for i, dim in enumerate(options.dimensions):
            base: FieldPath = ("dimensions", i, "options")
            found += _duplicates(doc, base, [o.id for o in dim.options], "option")
            for j, opt in enumerate(dim.options):
                for k, key in enumerate(opt.source):
                    found += _source(doc, (*base, j, "source", k), key, bib, url=False, team=True)
                for k, sid in enumerate(opt.strategy_types):
                    if types is not None and sid not in types:
                        message = (
                            f"unknown strategy type {sid!r}{did_you_mean(sid, types)}: expected one of "
                            f"{', '.join(types)} (data/typology.yaml)"
                        )
                        found.append(doc.problem((*base, j, "strategy_types", k), message, Reason.UNKNOWN_REFERENCE))
    _raise(found)
    assert isinstance(options, OrganisationOptions)
    return options


def _raise(found: list[Problem]) -> None:
    problems = Problems(DataError)
    problems.extend(found)
    problems.raise_if_any()


# ---------------------------------------------------------------------------------------------------------
# the tables the guide prints


def _date_fr(day: dt.date | None) -> str:
    months = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
              "novembre", "décembre")  # fmt: skip
    if day is None:
        return "–"
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {months[day.month - 1]} {day.year}"


def legal_table(legal: LegalFramework) -> pd.DataFrame:
    """The legal texts, oldest first (the code, undated, first): the text and its date, what it provides, source."""
    texts = sorted(legal.texts, key=lambda t: (t.date is not None, t.date or dt.date.min))
    return pd.DataFrame(
        [
            {
                "Texte": t.short + (f" ({_date_fr(t.date)})" if t.date else ""),
                "Ce qu'il prévoit": t.summary + (f" ({t.articles})" if t.articles else ""),
                "Source": source_cell([t.source]),
            }
            for t in texts
        ],
        columns=["Texte", "Ce qu'il prévoit", "Source"],
    )


def mechanisms_table(legal: LegalFramework) -> pd.DataFrame:
    """The "1 %" mechanisms in the order of their law: domain, who may use it, ceiling, legal basis and source."""
    rows = []
    for m in sorted(legal.mechanisms, key=lambda m: legal.text(m.law).date or dt.date.min):
        law = legal.text(m.law)
        year = f", {law.date.year}" if law.date else ""
        rows.append(
            {
                "Domaine": m.domain,
                "Qui peut l'utiliser": m.who,
                "Plafond": m.base,
                "Base légale": f"{m.article} ; instauré par : {law.short}{year}",
                "Source": source_cell(dict.fromkeys([law.source, m.source])),
            }
        )
    return pd.DataFrame(rows, columns=["Domaine", "Qui peut l'utiliser", "Plafond", "Base légale", "Source"])


def instruments_table(instruments: Iterable[Instrument], kinds: Iterable[InstrumentKind] | None = None) -> pd.DataFrame:
    """The instruments (of ``kinds`` only, when given), in file order: name and who runs it, purpose, conditions."""
    wanted = set(kinds) if kinds is not None else None
    rows = [
        {
            "Dispositif": i.name if i.funder.casefold() in i.name.casefold() else f"{i.name} – {i.funder}",
            "Nature": KIND_LABELS_FR[i.kind],
            "Pour quoi faire": i.purpose,
            "Conditions principales": i.conditions,
            "Source": source_cell([i.source]),
        }
        for i in instruments
        if wanted is None or i.kind in wanted
    ]
    columns = ["Dispositif", "Nature", "Pour quoi faire", "Conditions principales", "Source"]
    return pd.DataFrame(rows, columns=columns)


def _sentences(items: Iterable[str]) -> str:
    """Points as sentences in one cell: « Coût limité. Mobilise les bénévoles. »

    Examples
    --------
    >>> _sentences(["Coût limité", "Mobilise les bénévoles."])
    'Coût limité. Mobilise les bénévoles.'
    """
    return " ".join(item if item.endswith((".", "!", "?", "…")) else item + "." for item in items)


def dimension_table(dimension: OrganisationDimension, type_names: dict[str, str] | None = None) -> pd.DataFrame:
    """One dimension's options: option, strategy types it suits (names), advantages, drawbacks, source."""
    names = type_names or {}
    rows = [
        {
            "Option": o.option,
            "Convient surtout à": " ; ".join(names.get(t, t) for t in o.strategy_types),
            "Atouts": _sentences(o.advantages),
            "Limites": _sentences(o.drawbacks),
            "Source": source_cell(o.source),
        }
        for o in dimension.options
    ]
    return pd.DataFrame(rows, columns=["Option", "Convient surtout à", "Atouts", "Limites", "Source"])
