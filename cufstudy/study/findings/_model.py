"""The typed findings, the rules that choose them, and the sentence helpers the sections share."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, Literal

import pandas as pd

from cufstudy.core.french import format_fr, format_number, format_percent, round_fr
from cufstudy.core.sentences import NOUNS, Noun, cardinal, sentence
from cufstudy.core.sentences import count as _count
from cufstudy.core.sentences import noun as _noun
from cufstudy.model.populations import POPULATIONS, Population
from cufstudy.model.vocab import (
    Modality,
    Motivation,
    Theme,
    label,
)

__all__ = ["SECTION_TITLES", "Finding", "Findings", "Rules", "Section", "count", "noun"]


class Section(StrEnum):
    """The analytical sections of the study that findings are written for (the value is the fact key part)."""

    CHARACTERISATION = "caracterisation"
    TYPOLOGY = "typologie"
    ACTIONS = "actions"
    ORGANISATION = "organisation"
    TIERS = "niveaux"
    FOLLOWUP = "suivi"


SECTION_TITLES: Final[Mapping[Section, str]] = {
    Section.CHARACTERISATION: "Caractérisation des stratégies",
    Section.TYPOLOGY: "Typologie des stratégies",
    Section.ACTIONS: "Les actions par type de stratégie",
    Section.ORGANISATION: "L'organisation du service",
    Section.TIERS: "Similitudes et divergences entre niveaux",
    Section.FOLLOWUP: "Le suivi des recommandations",
}
"""The French title of each section, as the synthesis prints it."""

Kind = Literal["observation", "difference", "similarity", "caution"]


@dataclass(frozen=True)
class Rules:
    """The thresholds that decide which figures the findings mention (stated with them).

    Attributes
    ----------
    min_share
        A feature is common when at least this share of the cases has it (0.5: half).
    min_gap
        A difference between a group and the others is mentioned from this gap on (0.25: 25 points).
    min_group
        A group (a tier, a type) is compared only with at least this many cases, on each side.
    min_assessed
        A follow-up rate is compared only on at least this many recommendations with a known status.
    min_dominant
        A type is carried by one tier when that tier has at least this share of its cases (2/3).
    alpha
        The level of Fisher's exact test reported beside the differences (0.05).
    max_per_group
        The largest differences written out for one tier (the others are counted).
    """

    min_share: float = 0.5
    min_gap: float = 0.25
    min_group: int = 3
    min_assessed: int = 5
    min_dominant: float = 2 / 3
    alpha: float = 0.05
    max_per_group: int = 3

    def __post_init__(self) -> None:
        for name in ("min_share", "min_gap", "min_dominant", "alpha"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise ValueError(f"Rules.{name} must be a share between 0 and 1, got {value!r}")
        if self.min_group < 1 or self.min_assessed < 1 or self.max_per_group < 1:
            raise ValueError("Rules.min_group, Rules.min_assessed and Rules.max_per_group must be at least 1")

    @property
    def gap_points(self) -> str:
        """The gap threshold in points, as a sentence writes it: ``25 points``."""
        return f"{format_number(round_fr(100 * self.min_gap))} points"

    def describe(self, what: str | None = None) -> list[str]:
        """The rules in French sentences (``what``: the noun of a case, default ``mission``)."""
        word = noun(what or "mission")
        share = _share_words(self.min_share)
        return [
            sentence(f"une caractéristique est dite partagée quand {share} des {word.plural} au moins la présentent"),
            sentence(
                f"un écart entre un niveau et les autres n'est mentionné que s'il atteint {self.gap_points} "
                f"et si chaque côté compte au moins {count(self.min_group, word)} ; un taux de mise en œuvre "
                f"n'est comparé que sur {count(self.min_assessed, 'recommandation')} au moins dont le suivi "
                "est renseigné"
            ),
            sentence(
                f"un type est dit porté par un niveau quand ce niveau réunit {_share_words(self.min_dominant)} "
                f"au moins de ses {word.plural}"
            ),
            sentence(
                "chaque écart mentionné est soumis au test exact de Fisher, au seuil de "
                f"{format_fr(round_fr(100 * self.alpha), '%', decimals=0)}"
            ),
        ]


def _share_words(share: float) -> str:
    named = {0.5: "la moitié", 2 / 3: "les deux tiers", 0.75: "les trois quarts", 1 / 3: "le tiers", 0.25: "le quart"}
    for value, words in named.items():
        if abs(share - value) < 1e-9:
            return words
    return format_percent(share)


@dataclass(frozen=True)
class Finding:
    """One written finding: a French sentence computed from the data, with its base and its rule.

    Attributes
    ----------
    section
        The section of the study it belongs to.
    key
        A stable name (``niveaux.commune.motivations-reciprocity``), for tests and for facts.
    text
        The sentence.
    base
        What it is computed on (``n = 18 missions DCOL``).
    kind
        ``observation`` (what the cases show), ``difference`` (a gap that passed the rule), ``similarity``
        (a feature common to every tier compared) or ``caution``.
    rule
        For a difference, the rule it passed, in French.
    weight
        How much it says (a gap, a share), to choose the synthesis's sentences; 0 for a caution.
    p_value
        Fisher's exact test of a difference between two groups, when one applies.
    values
        The figures behind the sentence.
    """

    section: Section
    key: str
    text: str
    base: str
    kind: Kind = "observation"
    rule: str | None = None
    weight: float = 0.0
    p_value: float | None = None
    values: Mapping[str, float] = field(default_factory=dict)
    """The figures the sentence states, by name (``adopted``, ``followed``), for tests and conclusions."""


@dataclass(frozen=True)
class Findings:
    """The findings of every section, with the rules that chose them and the base of the whole."""

    items: tuple[Finding, ...]
    rules: Rules
    n: int
    """Cases of the population."""
    base: str
    population: Population = field(default=POPULATIONS["dcol"])

    def __iter__(self) -> Iterable[Finding]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def section(self, section: Section | str) -> tuple[Finding, ...]:
        """The findings of one section, in the order they were written."""
        wanted = Section(section)
        return tuple(f for f in self.items if f.section is wanted)

    @property
    def differences(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.items if f.kind == "difference")

    def caution(self) -> str:
        """The caution these numbers call for, from their sizes and from the tests of the differences."""
        word = noun(self.population.noun)
        if self.n == 0:
            return sentence(f"aucun{'e' if word.feminine else ''} {word.singular} : aucun constat n'est possible")
        weight = format_fr(100 / self.n, decimals=1)
        tested = [f for f in self.differences if f.p_value is not None]
        passing = [f for f in tested if f.p_value is not None and f.p_value < self.rules.alpha]
        texts = [
            sentence(
                f"ces constats portent sur {self.population.phrase(self.n)} : chaque {word.singular} y pèse "
                f"{weight} points de pourcentage, et bien davantage dans un niveau qui n'en compte que "
                f"quelques-un{'e' if word.feminine else ''}s"
            )
        ]
        if tested:
            alpha = format_fr(round_fr(100 * self.rules.alpha), "%", decimals=0)
            if passing:
                verdict = f"{cardinal(len(passing))} des {count(len(tested), 'écart')} mentionnés"
                texts.append(
                    sentence(
                        f"{verdict} atteignent le seuil de {alpha} du test exact de Fisher, sans correction pour "
                        "les comparaisons multiples (sur des dizaines de traits comparés, quelques écarts passent ce "
                        "seuil par hasard) ; les autres "
                        "peuvent tenir au hasard de la composition de la base"
                    )
                )
            else:
                texts.append(
                    sentence(
                        f"aucun des {count(len(tested), 'écart')} mentionnés n'atteint le seuil de {alpha} du test "
                        "exact de Fisher : à ces effectifs, ils peuvent tenir au hasard de la composition de la base"
                    )
                )
        texts.append(sentence("ce sont des indications à confirmer par les entretiens, pas des résultats établis"))
        return " ".join(texts)

    def to_markdown(self, section: Section | str | None = None, *, escape: bool = True) -> str:
        """The sentences of one section (or all) as Markdown paragraphs, French-escaped for Pandoc."""
        from cufstudy.core.french import escape_md

        chosen = self.items if section is None else self.section(section)
        return "\n\n".join(escape_md(f.text) if escape else f.text for f in chosen)


NOUN_KEY = "mission"

# ---------------------------------------------------------------------------------------------------------
# helpers


_MORE_NOUNS: Final[Mapping[str, Noun]] = {
    n.singular: n
    for n in (
        Noun("motivation", "motivations", True),
        Noun("modalité", "modalités", True),
        Noun("thématique", "thématiques", True),
        Noun("rattachement", "rattachements"),
        Noun("écart", "écarts"),
    )
}
"""Nouns the findings count beyond :data:`cufstudy.core.sentences.NOUNS`."""


def noun(word: str | Noun) -> Noun:
    """:func:`cufstudy.core.sentences.noun`, with the nouns of the findings."""
    if isinstance(word, str) and word in _MORE_NOUNS and word not in NOUNS:
        return _MORE_NOUNS[word]
    return _noun(word)


def count(n: int, what: str | Noun) -> str:
    """:func:`cufstudy.core.sentences.count`, with the nouns of the findings."""
    return _count(n, noun(what))


def _none(what: str) -> str:
    """``aucun`` or ``aucune``, agreeing with the noun of a case."""
    return "aucune" if noun(what).feminine else "aucun"


def _only_one(what: str) -> str:
    """``un seul`` or ``une seule``."""
    return "une seule" if noun(what).feminine else "un seul"


def _lone(n: int, feminine: bool) -> str:
    """A count standing for a noun already said: ``neuf``, ``une``, ``aucune``."""
    if n == 0:
        return "aucune" if feminine else "aucun"
    return cardinal(n, feminine=feminine)


def _all_of(k: int, what: str) -> str:
    """``toutes les missions du type (trois) en relèvent``."""
    word = noun(what)
    every = "toutes" if word.feminine else "tous"
    return f"{every} les {word.plural} du type ({cardinal(k, feminine=word.feminine)}) en relèvent"


def _pct(share: float) -> str:
    return format_percent(share)


def _points(gap: float) -> str:
    return f"{format_number(round_fr(abs(100 * gap)))} points"


def _of(k: int, n: int, what: str) -> str:
    """``sept missions sur 18`` (the whole in digits from ten on)."""
    return f"{count(k, what)} sur {cardinal(n)}"


def _fisher(a: int, n_a: int, b: int, n_b: int) -> float | None:
    """Fisher's exact test (two-sided) of a share ``a/n_a`` against ``b/n_b``; None without two groups."""
    if n_a == 0 or n_b == 0:
        return None
    from scipy.stats import fisher_exact

    _, p = fisher_exact([[a, n_a - a], [b, n_b - b]])
    return float(p)


def _list_labels(values: Iterable[str], enum: type[StrEnum]) -> list[str]:
    return [label(enum(v)) for v in values]


def _share_of_list(frame: pd.DataFrame, column: str) -> pd.Series:
    """Share of the cases citing each value of a list column, most cited first (ties in label order)."""
    n = len(frame)
    exploded = frame[column].explode().dropna()
    if exploded.empty or n == 0:
        return pd.Series(dtype=float)
    shares = exploded.value_counts() / n
    return shares.sort_values(ascending=False, kind="stable")


_LIST_ENUMS: Final[Mapping[str, type[StrEnum]]] = {
    "motivations": Motivation,
    "modalities": Modality,
    "themes": Theme,
}
_LIST_WORDS: Final[Mapping[str, tuple[str, str]]] = {
    "motivations": ("motivation", "citée"),
    "modalities": ("modalité", "retenue"),
    "themes": ("thématique", "retenue"),
}
