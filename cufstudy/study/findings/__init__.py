"""Written findings of the study, generated from the data: what the cases show, section by section.

Each analytical section of the study (characterisation of the strategies, typology, actions, organisation
of the service, tiers, follow-up) gets a few French sentences computed from the coded cases, so the text
changes when the data changes and an analyst writes only the commentary beside it. A sentence is a typed
:class:`Finding`: its section, a stable key, the text, its base (``n = 18 missions DCOL``) and, for a
difference, the rule it passed.

**What is worth a sentence** is decided by the stated :class:`Rules`, printed with the findings
(:meth:`Rules.describe`):

- a feature is *common* when at least half of the cases have it (``min_share``);
- a difference between a tier and the others is mentioned only if it reaches ``min_gap`` (25 points,
  the threshold of :func:`cufstudy.study.tiers.distinguishing_features`) and both sides have at least
  ``min_group`` cases; each is tested with Fisher's exact test, and the findings say how many of them
  would pass at ``alpha`` (5 %): at the sizes of the study (n = 18, three to eight cases a tier) almost none
  does, which is the caution the numbers call for;
- a follow-up rate is compared only on at least ``min_assessed`` recommendations with a known status;
- a type is *carried* by a tier when that tier has at least ``min_dominant`` (two thirds) of its cases.

Every sentence is written with :mod:`cufstudy.core.sentences` (numbers below ten in words, agreement, labels
inside a sentence, no sentence starting with digits) and names no case: findings are about groups of cases,
so the public deliverables can print them. :func:`synthesis` and :func:`conclusions` pick from them the
sentences of the study's front synthesis and of its conclusions chapter.

Examples
--------
>>> from cufstudy.notebook import setup  # doctest: +SKIP
>>> study = setup("data")  # doctest: +SKIP
>>> found = find_all(study.dcol.frame, study.dcol.recs, study.classes, study.typology.names)  # doctest: +SKIP
>>> found.section(Section.FOLLOWUP)[0].text  # doctest: +SKIP
'Sur 73 recommandations, 70 ont un suivi renseigné : 21 % sont mises en œuvre ...'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import pandas as pd

from cufstudy.core.french import NBSP, escape_md, format_fr
from cufstudy.core.sentences import in_sentence, sentence
from cufstudy.model.populations import POPULATIONS, Population
from cufstudy.model.vocab import RecommendationKind, label
from cufstudy.study import followup as _followup
from cufstudy.study.findings._model import SECTION_TITLES, Finding, Findings, Rules, Section, _pct, count
from cufstudy.study.findings._sections import actions, characterisation, followup, organisation, tiers, typology

__all__ = [
    "SECTION_TITLES",
    "Finding",
    "Findings",
    "Rules",
    "Section",
    "actions",
    "characterisation",
    "conclusions",
    "conclusions_markdown",
    "count",
    "find_all",
    "followup",
    "organisation",
    "p_value_text",
    "recommendations",
    "recommendations_markdown",
    "rules_markdown",
    "section_markdown",
    "synthesis",
    "synthesis_markdown",
    "tiers",
    "typology",
]


# ---------------------------------------------------------------------------------------------------------
# all of them, the synthesis and the conclusions


def find_all(
    frame: pd.DataFrame,
    recs: pd.DataFrame,
    classes: pd.DataFrame,
    names: Mapping[str, str],
    rules: Rules | None = None,
    population: Population | None = None,
    fallback: str | None = None,
) -> Findings:
    """The findings of every section, for one population (default: the DCOL strategy missions).

    Parameters
    ----------
    frame, recs
        The population's case frame and recommendations (``study.dcol.frame``, ``study.dcol.recs``).
    classes
        Its expert types (``study.classes``).
    names
        The names of the types, in the typology's order (``study.typology.names``).
    rules
        The thresholds (:class:`Rules`).
    fallback
        The fallback type of the typology (``study.typology.fallback``).
    """
    pop = population or POPULATIONS["dcol"]
    rules = rules or Rules()
    items = [
        *characterisation(frame, rules, pop),
        *typology(classes, names, rules, pop, fallback),
        *actions(classes, recs, names, rules, pop),
        *organisation(frame, rules, pop),
        *tiers(frame, recs, rules, pop),
        *followup(recs, rules, pop, len(frame)),
    ]
    return Findings(tuple(items), rules, len(frame), pop.base(len(frame)), pop)


SYNTHESIS_ORDER: Final[Sequence[Section]] = tuple(Section)


def synthesis(found: Findings, per_section: int = 2) -> dict[Section, tuple[Finding, ...]]:
    """The sentences of the front synthesis: for each section, its ``per_section`` weightiest findings (a
    difference that passed the rule first), in the order they were written. Cautions are left to
    :meth:`Findings.caution`."""
    chosen: dict[Section, tuple[Finding, ...]] = {}
    for sec in SYNTHESIS_ORDER:
        items = [f for f in found.section(sec) if f.kind != "caution"]
        ranked = sorted(items, key=lambda f: (f.kind != "difference", -f.weight))[:per_section]
        keep = set(id(f) for f in ranked)
        chosen[sec] = tuple(f for f in items if id(f) in keep)
    return chosen


def conclusions(found: Findings) -> tuple[Finding, ...]:
    """The differences that passed the rule, weightiest first: what the conclusions chapter discusses."""
    return tuple(sorted(found.differences, key=lambda f: -f.weight))


def recommendations(found: Findings, recs: pd.DataFrame, rules: Rules | None = None) -> list[str]:
    """Recommendations to CUF and to the authorities that follow from the findings, in French sentences.

    Each rests on a figure of the data (the obstacle most cited, the kind of recommendation least taken up,
    how often a recommended change of attachment was adopted, the types the typology leaves empty or to its
    fallback), so it changes, or goes, when the data does. The analyst adds the others as prose.
    """
    rules = rules or found.rules
    out: list[str] = []
    obst = _followup.obstacles(recs, top=1)
    if not obst.empty:
        first = in_sentence(str(obst.iloc[0]["Obstacle"]))
        out.append(
            sentence(
                f"préparer dès la mission la réponse à l'obstacle le plus cité par le suivi, « {first} », et "
                "l'inscrire dans la feuille de route remise à la collectivité"
            )
        )
    by_kind = _followup.rates(recs, "kind")
    by_kind = by_kind[by_kind["assessed"] >= rules.min_assessed].dropna(subset=["engaged"])
    if len(by_kind) >= 2:
        lo = str(by_kind["engaged"].idxmin())
        out.append(
            sentence(
                f"accompagner en priorité la mise en œuvre des recommandations sur « "
                f"{in_sentence(label(RecommendationKind(lo)))} », les moins souvent engagées "
                f"({_pct(float(by_kind['engaged'].astype(float)[lo]))})"
            )
        )
    org = {f.key: f for f in found.section(Section.ORGANISATION)}
    adoption = org.get("organisation.suivi")
    if adoption is not None and adoption.values.get("adopted", 0) < adoption.values.get("followed", 0):
        out.append(
            sentence(
                "accompagner le changement d'organisation recommandé au-delà de la mission (délibération, fiche "
                "de poste, référents dans les directions) : le suivi montre qu'il n'est pas toujours adopté"
            )
        )
    small = [f for f in found.section(Section.TIERS) if f.key == "niveaux.trop_petits"]
    if small:
        out.append(
            sentence(
                "compléter la base par les collectivités de comparaison et les prochains appels aux niveaux "
                "les moins représentés avant de tirer des conclusions propres à ces niveaux"
            )
        )
    if any(f.key == "typologie.type_defaut" for f in found.section(Section.TYPOLOGY)):
        out.append(
            sentence(
                "revoir les règles de la typologie d'experts pour les stratégies qui ne relèvent d'aucune règle, "
                "avec les consultants des missions concernées"
            )
        )
    return out


# ---------------------------------------------------------------------------------------------------------
# as the deliverables print them (Markdown, French-escaped)


def p_value_text(p: float) -> str:
    """A p-value as a French text prints it: ``p = 0,02``, ``p < 0,001`` (no-break spaces)."""
    if p < 0.001:
        return f"p{NBSP}<{NBSP}0,001"
    return f"p{NBSP}={NBSP}{format_fr(float(p), decimals=3 if p < 0.01 else 2)}"


def rules_markdown(found: Findings) -> str:
    """The reading rules and the caution, as Markdown: a list of the rules, then the caution paragraph."""
    rules = found.rules.describe(found.population.noun)
    lines = [f"- {escape_md(r)}" for r in rules]
    return "\n".join(lines) + "\n\n" + escape_md(found.caution()) + "\n"


def section_markdown(found: Findings, section: Section | str) -> str:
    """The findings of one section as a Markdown list, each difference followed by its test, then the base."""
    items = found.section(section)
    if not items:
        return escape_md(sentence("aucun constat : la population ne compte aucun cas pour cette section")) + "\n"
    lines = []
    for f in items:
        text = escape_md(f.text)
        if f.p_value is not None:
            text += f" *(test exact de Fisher : {p_value_text(f.p_value)})*"
        lines.append(f"- {text}")
    own = any(f.base != found.base for f in items)
    tail = f"*Constats calculés sur {escape_md(found.base)}" + (
        " ; chaque écart donne ses propres effectifs" if own else ""
    )
    return "\n".join(lines) + "\n\n" + tail + ".*\n"


def synthesis_markdown(found: Findings, per_section: int = 2) -> str:
    """The front synthesis: a paragraph per section (its title in bold, its weightiest findings), then the
    caution."""
    parts = []
    for sec, items in synthesis(found, per_section).items():
        if items:
            parts.append(f"**{escape_md(SECTION_TITLES[sec])}.** " + " ".join(escape_md(f.text) for f in items))
    parts.append(f"**Prudence de lecture.** {escape_md(found.caution())}")
    return "\n\n".join(parts) + "\n"


def conclusions_markdown(found: Findings, top: int = 8) -> str:
    """The differences the conclusions discuss, weightiest first, as a numbered list (at most ``top``)."""
    chosen = conclusions(found)[:top]
    if not chosen:
        return escape_md(sentence(f"aucun écart n'atteint le seuil de {found.rules.gap_points}")) + "\n"
    lines = []
    for i, f in enumerate(chosen, start=1):
        test = f" *({p_value_text(f.p_value)})*" if f.p_value is not None else ""
        lines.append(f"{i}. {escape_md(f.text)}{test}")
    more = len(conclusions(found)) - len(chosen)
    if more > 0:
        lines.append("")
        lines.append(escape_md(sentence(f"{count(more, 'écart')} de moindre ampleur figurent dans les sections")))
    return "\n".join(lines) + "\n"


def recommendations_markdown(found: Findings, recs: pd.DataFrame) -> str:
    """The recommendations that follow from the findings, as a numbered list."""
    items = recommendations(found, recs)
    if not items:
        return escape_md(sentence("aucune recommandation ne découle des données à ce stade")) + "\n"
    return "\n".join(f"{i}. {escape_md(r)}" for i, r in enumerate(items, start=1)) + "\n"
