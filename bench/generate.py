"""Seeded generator of synthetic case bases of N authorities, for the performance benchmarks.

Usage::

    .venv/bin/python bench/generate.py --n 5000 --seed 1 --out DIR [--project .]

writes ``DIR/data/cases/*.yaml`` (one file per authority) plus the reference data of the project's
``data/`` folder (everything but ``data/cases/``: geography, SDG framework, typology, organisation
models, partnerships, bibliography), so that ``DIR/data`` can replace the data folder of a copy of the
project.

Every case is **synthetic** and says so: ``provenance: illustrative``, ``provenance_note: "Base
synthétique générée pour les mesures de performance"``, a fictional name (« Commune synthétique 0042 »),
``fictional: true`` and no official code; interviewee names and notes are fictional too. The
distributions aim at the shape of the national picture, not at its figures:

* tiers: about 5,000 French authorities act abroad (Atlas of decentralised cooperation, 2021: about
  4,700), most of them communes. Here: regions 0.35 % (at most 14), collectivités à statut particulier
  0.1 % (at most 5), départements 2 % (at most 96), EPCI 12 % (métropoles at most 22, EPT at most 11,
  communautés urbaines at most 14, the rest communautés d'agglomération and de communes), communes the
  rest; at least 2 of each of the four compared tier groups so that every per-tier run has data;
* roles: 75 % DCOL missions (calls 1-5, mostly strategy), 5 % non-DCOL SDG-training pilots, 20 %
  non-DCOL comparison authorities;
* ambition rises with the tier (communes mostly 1-2, regions mostly 3-4); motivations, modalities and
  themes are drawn with tier-dependent weights (twinning for communes, EU projects and economic
  promotion for regions); 1-5 partner countries, most often European neighbours and West African
  partners, sometimes any ISO code of :data:`cufstudy.model.countries.COUNTRIES_FR`;
* organisation before / recommended (missions) / after (60 % of missions), staff and budget by tier;
* 2-6 recommendations with their follow-up (35 % implemented, 30 % partly, 25 % not started,
  10 % abandoned; an obstacle for those not fully implemented), for missions only;
* 0-2 interviews (date, role, fictional interviewee and notes: the confidential fields).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from cufstudy.model.countries import COUNTRIES_FR
from cufstudy.model.vocab import (
    Attachment,
    FollowUpStatus,
    Modality,
    Motivation,
    RecommendationKind,
    Theme,
    Tier,
    TierGroup,
)

REPO = Path(__file__).resolve().parent.parent
PROVENANCE_NOTE = "Base synthétique générée pour les mesures de performance"
HEADER = (
    "# BASE SYNTHÉTIQUE générée par bench/generate.py pour les mesures de performance.\n"
    "# Collectivité fictive : nom, niveau, codage, organisation, recommandations et entretiens sont inventés.\n"
)
T = TypeVar("T")
DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass(frozen=True)
class TierSpec:
    tier: Tier
    share: float
    cap: int | None
    name: str  # « <name> synthétique 0042 »
    slug: str
    pop_median: float  # log-normal population: median and spread (sigma of the log)
    pop_sigma: float
    fte: tuple[float, float]


TIERS: tuple[TierSpec, ...] = (
    TierSpec(Tier.REGION, 0.0035, 14, "Région", "region", 3_000_000, 0.6, (4.0, 25.0)),
    TierSpec(Tier.STATUT_PARTICULIER, 0.001, 5, "Collectivité à statut particulier", "csp", 300_000, 0.8, (2.0, 12.0)),
    TierSpec(Tier.DEPARTEMENT, 0.02, 96, "Département", "departement", 550_000, 0.7, (1.0, 10.0)),
    TierSpec(Tier.METROPOLE, 0.012, 22, "Métropole", "metropole", 500_000, 0.5, (2.0, 15.0)),
    TierSpec(Tier.EPT, 0.004, 11, "Établissement public territorial", "ept", 400_000, 0.3, (1.0, 5.0)),
    TierSpec(Tier.COMMUNAUTE_URBAINE, 0.004, 14, "Communauté urbaine", "cu", 200_000, 0.5, (1.0, 6.0)),
    TierSpec(Tier.COMMUNAUTE_AGGLOMERATION, 0.045, None, "Communauté d'agglomération", "ca", 90_000, 0.6, (0.5, 4.0)),
    TierSpec(Tier.COMMUNAUTE_COMMUNES, 0.055, None, "Communauté de communes", "cc", 25_000, 0.7, (0.2, 1.5)),
    TierSpec(Tier.COMMUNE, 0.0, None, "Commune", "commune", 6_000, 1.3, (0.2, 6.0)),  # the rest
)
COMPARED = (TierGroup.COMMUNE, TierGroup.EPCI, TierGroup.DEPARTEMENT, TierGroup.REGION)

# ambition 1-4 weights by tier group: communes mostly twinning-era, regions mostly integrated/diplomacy
AMBITION_W: dict[TierGroup, Sequence[float]] = {
    TierGroup.COMMUNE: (40, 35, 18, 7),
    TierGroup.EPCI: (20, 40, 30, 10),
    TierGroup.DEPARTEMENT: (10, 40, 35, 15),
    TierGroup.REGION: (2, 18, 40, 40),
    TierGroup.STATUT_PARTICULIER: (5, 30, 40, 25),
}
MOTIVATION_W: dict[Motivation, float] = {
    Motivation.SOLIDARITY: 30,
    Motivation.RECIPROCITY: 18,
    Motivation.ATTRACTIVENESS: 14,
    Motivation.ECONOMIC: 8,
    Motivation.EUROPEAN: 10,
    Motivation.CLIMATE_SDG: 10,
    Motivation.ADVOCACY: 5,
    Motivation.PEACE_MEMORY: 8,
    Motivation.YOUTH: 10,
    Motivation.DIASPORAS: 4,
}
MODALITY_W: dict[Modality, float] = {
    Modality.TWINNING: 30,
    Modality.DECENTRALISED_COOPERATION: 25,
    Modality.EU_PROJECTS: 10,
    Modality.NETWORKS: 10,
    Modality.ONE_PERCENT: 8,
    Modality.CALLS_FOR_PROJECTS: 7,
    Modality.EMERGENCY_AID: 6,
    Modality.ECONOMIC_PROMOTION: 4,
}
# big authorities lean towards Europe, the economy and networks; communes towards twinning
BIG_BOOST: dict[Any, float] = {
    Motivation.ECONOMIC: 3.0,
    Motivation.ATTRACTIVENESS: 2.0,
    Motivation.EUROPEAN: 2.0,
    Motivation.ADVOCACY: 2.0,
    Motivation.PEACE_MEMORY: 0.5,
    Modality.EU_PROJECTS: 3.0,
    Modality.ECONOMIC_PROMOTION: 4.0,
    Modality.NETWORKS: 2.0,
    Modality.TWINNING: 0.3,
}
THEME_W: dict[Theme, float] = {
    Theme.WATER: 14,
    Theme.WASTE: 6,
    Theme.CLIMATE_ENERGY: 10,
    Theme.AGRICULTURE: 9,
    Theme.EDUCATION: 14,
    Theme.CULTURE: 14,
    Theme.HEALTH: 8,
    Theme.YOUTH: 10,
    Theme.ECONOMY: 7,
    Theme.GOVERNANCE: 9,
    Theme.URBAN: 5,
    Theme.GENDER: 4,
}
# partner countries: twinning neighbours and historical partners most often; any ISO code sometimes
FREQUENT_COUNTRIES: dict[str, float] = {
    "DE": 30, "IT": 18, "GB": 14, "ES": 12, "PL": 6, "PT": 6, "BE": 5, "RO": 5, "IE": 3, "AT": 3, "CH": 3,
    "SN": 12, "BF": 12, "ML": 9, "MA": 8, "TN": 6, "BJ": 7, "MG": 6, "CM": 5, "NE": 4, "TG": 4, "CI": 4,
    "HT": 4, "LB": 4, "PS": 4, "VN": 5, "CN": 5, "JP": 4, "US": 5, "CA": 5, "BR": 3, "MR": 3, "DZ": 3,
}  # fmt: skip
ATTACHMENT_W: dict[TierGroup, Sequence[float]] = {  # cabinet, dgs, attractiveness, solidarity/culture, shared, ext.
    TierGroup.COMMUNE: (40, 15, 8, 25, 7, 5),
    TierGroup.EPCI: (15, 30, 25, 10, 15, 5),
    TierGroup.DEPARTEMENT: (10, 35, 15, 30, 2, 8),
    TierGroup.REGION: (8, 35, 40, 10, 1, 6),
    TierGroup.STATUT_PARTICULIER: (20, 35, 25, 15, 0, 5),
}
RECOMMENDATIONS: dict[RecommendationKind, tuple[str, ...]] = {
    RecommendationKind.STRATEGY: (
        "Formaliser une stratégie d'action internationale votée en assemblée",
        "Resserrer les partenariats autour de deux priorités géographiques",
        "Relier l'action internationale aux politiques publiques du territoire",
    ),
    RecommendationKind.ORGANISATION: (
        "Rattacher le service à la direction générale",
        "Mutualiser le service avec l'intercommunalité",
        "Désigner un référent international dans chaque direction",
    ),
    RecommendationKind.PARTNERSHIPS: (
        "Renouveler les conventions de coopération arrivées à échéance",
        "Associer les acteurs économiques aux partenariats",
    ),
    RecommendationKind.FUNDING: (
        "Recourir au dispositif « 1 % » pour l'eau et l'assainissement",
        "Répondre aux appels à projets de la DAECT et de l'Union européenne",
    ),
    RecommendationKind.MOBILISATION: (
        "Lancer un appel à projets annuel pour les associations de solidarité internationale",
        "Créer un comité consultatif des acteurs de la coopération",
    ),
    RecommendationKind.COMMUNICATION: (
        "Rendre compte chaque année de l'action internationale aux habitants",
        "Valoriser les savoir-faire du territoire auprès des partenaires",
    ),
    RecommendationKind.EVALUATION: (
        "Prévoir une évaluation à mi-mandat",
        "Suivre quelques indicateurs des ODD pour chaque partenariat",
    ),
}
OBSTACLES = (
    "Contraintes budgétaires",
    "Arbitrage interne défavorable entre directions",
    "Changement d'exécutif après les élections",
    "Départ de la personne référente",
    "Situation sécuritaire dans le pays partenaire",
    "Manque de temps des équipes",
)
ROLES = (
    "Directrice des relations internationales",
    "Directeur des relations internationales",
    "Chargée de mission coopération décentralisée",
    "Chargé de mission Europe et international",
    "Élue déléguée aux relations internationales",
    "Élu délégué à la coopération",
    "Directrice générale des services",
)
# seats drawn around a few French urban areas (approximate centres), so that the map looks plausible
CENTRES = (
    (2.35, 48.86), (4.84, 45.76), (5.37, 43.30), (1.44, 43.60), (-1.55, 47.22), (7.75, 48.58), (3.06, 50.63),
    (-0.58, 44.84), (-1.68, 48.11), (3.88, 43.61), (7.26, 43.70), (5.72, 45.19), (1.10, 49.44), (0.69, 47.39),
    (5.04, 47.32), (2.30, 49.89), (-0.55, 47.47), (1.26, 45.83), (3.09, 45.78), (6.18, 48.69), (4.03, 49.26),
)  # fmt: skip
DEPARTEMENTS = [f"{i:02d}" for i in range(1, 96) if i != 20] + ["2A", "2B"]
REGIONS = ["11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "94"]


def tier_counts(n: int) -> dict[Tier, int]:
    """How many authorities of each tier: shares with caps, at least 2 per compared tier group, the rest communes."""
    counts: dict[Tier, int] = {}
    for spec in TIERS[:-1]:
        k = round(n * spec.share)
        if spec.cap is not None:
            k = min(k, spec.cap)
        counts[spec.tier] = k
    floors = {Tier.REGION: 2, Tier.DEPARTEMENT: 2, Tier.COMMUNAUTE_AGGLOMERATION: 1, Tier.COMMUNAUTE_COMMUNES: 1}
    for tier, low in floors.items():
        counts[tier] = max(counts[tier], low)
    counts[Tier.COMMUNE] = n - sum(counts.values())
    if counts[Tier.COMMUNE] < 2:
        raise SystemExit(f"--n {n}: too small; at least {n - counts[Tier.COMMUNE] + 2} authorities are needed")
    return counts


def pick(rng: random.Random, weights: dict[T, float], k: int, boost: dict[Any, float] | None = None) -> list[T]:
    """k distinct items drawn with the given weights (optionally multiplied by ``boost``)."""
    pool = {item: w * (boost or {}).get(item, 1.0) for item, w in weights.items()}
    out: list[T] = []
    for _ in range(min(k, len(pool))):
        items = list(pool)
        choice = rng.choices(items, weights=[pool[i] for i in items])[0]
        out.append(choice)
        del pool[choice]
    return out


def countries(rng: random.Random, k: int) -> list[str]:
    weights: dict[str, float] = {code: 0.05 for code in COUNTRIES_FR}
    weights.update({code: w for code, w in FREQUENT_COUNTRIES.items() if code in COUNTRIES_FR})
    return pick(rng, weights, k)


def snapshot(rng: random.Random, group: TierGroup, fte: tuple[float, float], scale: float = 1.0) -> dict[str, Any]:
    attachment = rng.choices(list(Attachment), weights=ATTACHMENT_W[group])[0]
    staff = round(rng.uniform(*fte) * scale * 2) / 2  # half-FTE steps
    staff = max(staff, 0.5)
    return {
        "attachment": attachment.value,
        "fte": staff,
        "budget_eur": int(round(staff * rng.uniform(40_000, 120_000), -3)),
    }


def make_case(rng: random.Random, spec: TierSpec, number: int, width: int) -> dict[str, Any]:
    group = spec.tier.group
    big = group in (TierGroup.REGION, TierGroup.DEPARTEMENT, TierGroup.STATUT_PARTICULIER) or spec.tier in (
        Tier.METROPOLE,
        Tier.COMMUNAUTE_URBAINE,
    )
    label = f"{number:0{width}d}"
    role = rng.choices(("dcol", "pilot", "comparison"), weights=(75, 5, 20))[0]
    population = max(100, int(rng.lognormvariate(math.log(spec.pop_median), spec.pop_sigma)))
    lon0, lat0 = rng.choice(CENTRES)
    authority: dict[str, Any] = {
        "name": f"{spec.name} synthétique {label}",
        "tier": spec.tier.value,
        "fictional": True,
        "departement": rng.choice(DEPARTEMENTS),
        "region": rng.choice(REGIONS),
        "population": {"value": population, "year": 2017, "source": "Valeur synthétique (bench/generate.py)"},
        "seat": {
            "name": f"Siège synthétique {label}",
            "longitude": round(min(8.2, max(-4.7, rng.gauss(lon0, 0.5))), 5),
            "latitude": round(min(51.0, max(42.4, rng.gauss(lat0, 0.35))), 5),
        },
    }
    if group is TierGroup.REGION:
        del authority["departement"]
    case: dict[str, Any] = {
        "id": f"synthetique-{spec.slug}-{label}",
        "provenance": "illustrative",
        "provenance_note": PROVENANCE_NOTE,
        "authority": authority,
    }
    if role == "dcol":
        case["dcol_call"] = rng.choices((1, 2, 3, 4, 5), weights=(15, 18, 22, 25, 20))[0]
        case["mission_kind"] = rng.choices(("strategy", "project", "sdg_training"), weights=(80, 15, 5))[0]
    else:
        case["dcol_call"] = "non_dcol"
        if role == "pilot":
            case["mission_kind"] = "sdg_training"
    if role != "comparison":
        case["mission_year"] = rng.randint(2018, 2024)
    boost = BIG_BOOST if big else None
    case["strategy"] = {
        "ambition": rng.choices((1, 2, 3, 4), weights=AMBITION_W[group])[0],
        "motivations": [m.value for m in pick(rng, MOTIVATION_W, rng.randint(1, 4), boost)],
        "modalities": [m.value for m in pick(rng, MODALITY_W, rng.randint(1, 4), boost)],
        "partner_countries": countries(rng, rng.choices((1, 2, 3, 4, 5), weights=(30, 30, 20, 12, 8))[0]),
        "themes": [t.value for t in pick(rng, THEME_W, rng.randint(0, 4))],
        "know_how_promotion": rng.random() < (0.55 if big else 0.3),
    }
    organisation: dict[str, Any] = {"before": snapshot(rng, group, spec.fte)}
    if role != "comparison":
        organisation["recommended"] = snapshot(rng, group, spec.fte, scale=rng.uniform(1.0, 1.6))
        if rng.random() < 0.6:
            organisation["after"] = snapshot(rng, group, spec.fte, scale=rng.uniform(0.9, 1.4))
    case["organisation"] = organisation
    if role != "comparison":
        recommendations = []
        for kind in pick(rng, {k: 1.0 for k in RecommendationKind}, rng.randint(2, 6)):
            status = rng.choices(list(FollowUpStatus), weights=(35, 30, 25, 10))[0]
            follow_up: dict[str, Any] = {"status": status.value}
            if status is not FollowUpStatus.IMPLEMENTED:
                follow_up["obstacle"] = rng.choice(OBSTACLES)
            recommendations.append(
                {"kind": kind.value, "text": rng.choice(RECOMMENDATIONS[kind]), "follow_up": follow_up}
            )
        case["recommendations"] = recommendations
    interviews = []
    for i in range(rng.choices((0, 1, 2), weights=(40, 40, 20))[0]):
        day = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(6 * 365))
        interviews.append(
            {
                "date": day,
                "role": rng.choice(ROLES),
                "interviewee": f"Personne fictive {spec.slug}-{label}-{i + 1} (nom confidentiel)",
                "notes": f"Notes d'entretien synthétiques {spec.slug}-{label}-{i + 1} : propos fictifs, confidentiels.",
            }
        )
    if interviews:
        case["interviews"] = interviews
    return case


def generate(n: int, seed: int, out: Path, project: Path = REPO) -> Path:
    """Write ``out/data/cases/*.yaml`` (N synthetic cases) and copy the project's other data; return ``out/data``."""
    rng = random.Random(seed)
    data = out / "data"
    if data.exists():
        shutil.rmtree(data)
    shutil.copytree(project / "data", data, ignore=shutil.ignore_patterns("cases", "__pycache__", ".*"))
    folder = data / "cases"
    folder.mkdir()
    counts = tier_counts(n)
    width = max(4, len(str(n)))
    for spec in TIERS:
        for number in range(1, counts[spec.tier] + 1):
            case = make_case(rng, spec, number, width)
            text = yaml.dump(case, Dumper=DUMPER, allow_unicode=True, sort_keys=False, width=120)
            (folder / f"{case['id']}.yaml").write_text(HEADER + text, encoding="utf-8")
    keep_selected(project / "data", folder)
    return data


def keep_selected(source: Path, folder: Path) -> None:
    """Copy the project's cases that its fieldwork selection names (the comparison candidates, not DCOL
    missions) into the synthetic base: the selection copied with the reference data stays valid, and the
    ``terrain`` notebook builds."""
    selection = source / "fieldwork" / "selection.yaml"
    if not selection.is_file():
        return
    named = yaml.safe_load(selection.read_text(encoding="utf-8")) or {}
    for candidate in named.get("candidates") or []:
        case = source / "cases" / f"{candidate.get('case')}.yaml"
        if case.is_file() and not (folder / case.name).exists():
            shutil.copy(case, folder / case.name)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, required=True, help="number of authorities (cases)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="writes OUT/data/cases/*.yaml and the reference data")
    parser.add_argument("--project", type=Path, default=REPO, help="the project whose data/ gives the reference data")
    parser.add_argument("--no-check", action="store_true", help="skip the validation (cufstudy.load_cases)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    data = generate(args.n, args.seed, args.out, args.project)
    took = time.perf_counter() - started
    counts = {t.value: k for t, k in tier_counts(args.n).items() if k}
    print(f"wrote {args.n} synthetic cases to {data / 'cases'} in {took:.1f} s: {counts}")
    if not args.no_check:
        from cufstudy.core.errors import DataError
        from cufstudy.model.cases import load_cases

        started = time.perf_counter()
        try:
            base = load_cases(data)
        except DataError as exc:
            print(exc, file=sys.stderr)
            raise SystemExit(1) from None
        print(f"load_cases: {len(base)} valid cases in {time.perf_counter() - started:.1f} s")
        print(base.summary())


if __name__ == "__main__":
    main()
