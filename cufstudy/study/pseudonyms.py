"""Neutral labels for the cases of public deliverables, and what counts as a case's coding.

While a case's coding is illustrative, a public deliverable (guide, brochure, toolbox) never prints the
real authority beside that coding: the DCOL reports are confidential, the coding is invented, and CUF is a
cross-party network of its members. There, the case appears under a **neutral label** (``Commune A``,
``Département B``) wherever a coded attribute (strategy type, ambition, organisation of the service,
follow-up of the recommendations) sits beside it; its real name stays only beside public facts (tier, DCOL
call, population, place: the map, the list of missions). The internal study may show names.

:func:`neutral_labels` gives the labels: one letter per real authority with illustrative coding, in each
tier group, in the order of a hash of the case id (stable across deliverables and builds, the same for a
given case base, and not the alphabetical order of the public list of missions, so a reader cannot map
letters back to names). Fictional cases (the comparison authorities) and cases whose coding is no longer
illustrative keep their own names.

:func:`illustrative_pairings` lists, for the leak check of public outputs
(:func:`cufstudy.pipeline.leaks.find_pairings`), each real name of an illustrative case with the labels of
that case's coding.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cufstudy.model.cases import Case, CaseBase
from cufstudy.model.vocab import Provenance, TierGroup, label

__all__ = [
    "TIER_SINGULAR",
    "Pairing",
    "coded_labels",
    "illustrative_pairings",
    "neutral_labels",
    "pairings_of",
    "public_names",
]

TIER_SINGULAR: Mapping[TierGroup, str] = {
    TierGroup.COMMUNE: "Commune",
    TierGroup.EPCI: "Intercommunalité",
    TierGroup.DEPARTEMENT: "Département",
    TierGroup.REGION: "Région",
    TierGroup.STATUT_PARTICULIER: "Collectivité à statut particulier",
}
"""The word of a neutral label, by tier group."""


def _needs_label(case: Case) -> bool:
    return case.provenance is Provenance.ILLUSTRATIVE and not case.authority.fictional


def _letters(i: int) -> str:
    """A, B, ..., Z, AA, AB, ... for 0, 1, ..."""
    text = ""
    i += 1
    while i:
        i, rest = divmod(i - 1, 26)
        text = string.ascii_uppercase[rest] + text
    return text


def neutral_labels(cases: CaseBase | Iterable[Case]) -> dict[str, str]:
    """The neutral label of every real authority with illustrative coding, by case id (``Commune A``).

    Give the whole case base (not a population), so a case has the same label in every deliverable.

    Examples
    --------
    >>> labels = neutral_labels(load_cases("data"))  # doctest: +SKIP
    >>> sorted(labels.values())[:2]  # doctest: +SKIP
    ['Commune A', 'Commune B']
    """
    by_group: dict[TierGroup, list[str]] = {}
    for case in cases:
        if _needs_label(case):
            by_group.setdefault(case.authority.group, []).append(case.id)
    out: dict[str, str] = {}
    for group, ids in by_group.items():
        ordered = sorted(ids, key=lambda i: hashlib.sha256(i.encode("utf-8")).hexdigest())
        for n, case_id in enumerate(ordered):
            out[case_id] = f"{TIER_SINGULAR[group]} {_letters(n)}"
    return out


def public_names(cases: CaseBase | Iterable[Case]) -> dict[str, str]:
    """The name a public deliverable prints beside a case's coding, by case id: its neutral label while
    its coding is illustrative (:func:`neutral_labels`), its own name otherwise (fictional, or real coding)."""
    cases = list(cases)
    labels = neutral_labels(cases)
    return {c.id: labels.get(c.id, c.authority.name) for c in cases}


def coded_labels(case: Case, type_name: str | None = None) -> tuple[str, ...]:
    """The French labels of a case's coding that say something of that authority, as the deliverables print
    them: its strategy type (when given), its ambition, the attachments of its service (before, recommended,
    after), its recommendations and their follow-up (status, obstacle, lever).

    The motivations, modalities and themes are left out: their labels are the common words of the field
    (« Santé », « Déchets », « Gouvernance locale ») that any page prints about anything, and would make the
    pairing rule fail on a real name that merely sits near such a word.
    """
    s, o = case.strategy, case.organisation
    found = [type_name] if type_name else []
    found.append(label(s.ambition))
    found += [label(snap.attachment) for snap in (o.before, o.recommended, o.after) if snap is not None]
    for r in case.recommendations:
        found.append(r.text)
        if r.follow_up is not None:
            found.append(label(r.follow_up.status))
            found += [t for t in (r.follow_up.obstacle, r.follow_up.lever) if t]
    return tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class Pairing:
    """A real authority whose coding is illustrative: its names, and the labels of its coding."""

    case_id: str
    names: tuple[str, ...]
    labels: tuple[str, ...]


def illustrative_pairings(
    cases: CaseBase | Iterable[Case], type_names: Mapping[str, str] | None = None
) -> list[Pairing]:
    """What no public output may print together: for each real authority with illustrative coding, its
    names (the name of its case file and its official name) and the labels of its coding
    (:func:`coded_labels`; ``type_names`` gives each case's expert type name, by case id)."""
    out = []
    for case in cases:
        if not _needs_label(case):
            continue
        names = tuple(dict.fromkeys(n for n in (case.authority.name, case.authority.official_name) if n))
        out.append(Pairing(case.id, names, coded_labels(case, (type_names or {}).get(case.id))))
    return out


def pairings_of(data: Path) -> list[Pairing]:
    """:func:`illustrative_pairings` of a data folder's cases, with each case's expert type (the folder's
    ``typology.yaml``, else the packaged default the study uses): what the build's check of public outputs
    looks for."""
    from cufstudy.model.cases import load_cases
    from cufstudy.study.typology import classify, load_typology

    base = load_cases(data)
    typology = load_typology(data)
    type_names = {c.id: classify(c, typology).type_name for c in base}
    return illustrative_pairings(base, type_names)
