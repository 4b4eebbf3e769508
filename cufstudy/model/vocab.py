"""Controlled vocabularies of the study, with their French labels kept in this one place.

Every coded value in the case files is a member of one of these enums. The YAML files use the
English value (``solidarity``); deliverables show the French label (``Solidarité et développement``)
through :func:`label`. The political ambition is an ordered scale (1 to 4).

Tier and tier group
-------------------
Two words, two vocabularies; the names stay as they are because the data files, the run plan and the
notebooks' parameters use them:

* a **tier** (:class:`Tier`) is the category of an authority *as coded*: its legal kind, one of nine
  (``commune``, ``communaute_communes``, ``communaute_agglomeration``, ``communaute_urbaine``,
  ``metropole``, ``etablissement_public_territorial``, ``departement``, ``region``,
  ``collectivite_statut_particulier``). It is what a case file's ``authority.tier`` and a partnership's
  ``french_authority.level`` hold, the ``tier`` column of ``CaseBase.frame``, and what decides the format
  of the official code (INSEE commune code, EPCI SIREN...).
* a **tier group** (:class:`TierGroup`) is the *niveau de collectivité* the study compares: five groups
  (``commune``, ``epci``, ``departement``, ``region``, ``statut_particulier``), the five EPCI kinds folding
  into ``epci`` (:attr:`Tier.group`). It is the ``group`` column of ``CaseBase.frame``, the
  ``tier_group`` condition of the typology's rules, the tier scores of the organisation models, and the
  value of the notebook parameter **``tier``** (``parameters: {tier: [commune, epci, ...]}`` in
  ``_quarto.yml``: one Papermill run per tier group). A run plan that gives a tier where a tier group is
  expected (``tier: metropole``) is refused with the group to use (``epci``).
"""

from __future__ import annotations

from enum import Enum, IntEnum, StrEnum
from typing import Any

__all__ = [
    "LABELS_FR",
    "Ambition",
    "Attachment",
    "FollowUpStatus",
    "InterviewFormat",
    "MissionKind",
    "Modality",
    "Motivation",
    "OrganisationView",
    "Provenance",
    "RecommendationKind",
    "Theme",
    "Tier",
    "TierGroup",
    "label",
    "vocabularies",
]


class Tier(StrEnum):
    """The category of an authority as coded in its case file: its legal kind (nine kinds).

    Not what the study compares: that is the authority's :class:`TierGroup` (:attr:`group`).
    """

    COMMUNE = "commune"
    COMMUNAUTE_COMMUNES = "communaute_communes"
    COMMUNAUTE_AGGLOMERATION = "communaute_agglomeration"
    COMMUNAUTE_URBAINE = "communaute_urbaine"
    METROPOLE = "metropole"
    EPT = "etablissement_public_territorial"
    DEPARTEMENT = "departement"
    REGION = "region"
    STATUT_PARTICULIER = "collectivite_statut_particulier"

    @property
    def group(self) -> TierGroup:
        """The tier group (niveau) used to compare authorities: EPCI kinds fold into ``epci``."""
        return _TIER_GROUP[self]


class TierGroup(StrEnum):
    """The level of authority (niveau de collectivité) the study compares: five groups of :class:`Tier`.

    The notebook parameter ``tier`` takes these values (one Papermill run each), as do the ``tier_group``
    conditions of the typology and the ``group`` column of the case frame.
    """

    COMMUNE = "commune"
    EPCI = "epci"
    DEPARTEMENT = "departement"
    REGION = "region"
    STATUT_PARTICULIER = "statut_particulier"


_TIER_GROUP = {
    Tier.COMMUNE: TierGroup.COMMUNE,
    Tier.COMMUNAUTE_COMMUNES: TierGroup.EPCI,
    Tier.COMMUNAUTE_AGGLOMERATION: TierGroup.EPCI,
    Tier.COMMUNAUTE_URBAINE: TierGroup.EPCI,
    Tier.METROPOLE: TierGroup.EPCI,
    Tier.EPT: TierGroup.EPCI,
    Tier.DEPARTEMENT: TierGroup.DEPARTEMENT,
    Tier.REGION: TierGroup.REGION,
    Tier.STATUT_PARTICULIER: TierGroup.STATUT_PARTICULIER,
}


class Ambition(IntEnum):
    """Political ambition, an ordered scale (France urbaine/INET 2021; CUF 2022)."""

    JUMELAGES = 1
    COOPERATION_SOLIDAIRE = 2
    ACTION_INTEGREE = 3
    DIPLOMATIE_TERRITORIALE = 4


class MissionKind(StrEnum):
    """What the DCOL support (or the pilot) was about."""

    STRATEGY = "strategy"
    PROJECT = "project"
    SDG_TRAINING = "sdg_training"


class Provenance(StrEnum):
    """Where the coding of a case comes from."""

    ILLUSTRATIVE = "illustrative"
    CODED_FROM_REPORT = "coded_from_report"
    INTERVIEW = "interview"


class Motivation(StrEnum):
    SOLIDARITY = "solidarity"
    RECIPROCITY = "reciprocity"
    ATTRACTIVENESS = "attractiveness"
    ECONOMIC = "economic"
    EUROPEAN = "european_crossborder"
    CLIMATE_SDG = "climate_sdg"
    ADVOCACY = "advocacy_networks"
    PEACE_MEMORY = "peace_memory"
    YOUTH = "youth_mobility"
    DIASPORAS = "diasporas"


class Modality(StrEnum):
    TWINNING = "twinning"
    DECENTRALISED_COOPERATION = "decentralised_cooperation"
    EU_PROJECTS = "eu_projects"
    NETWORKS = "networks"
    ONE_PERCENT = "one_percent"
    CALLS_FOR_PROJECTS = "calls_for_projects"
    EMERGENCY_AID = "emergency_aid"
    ECONOMIC_PROMOTION = "economic_promotion"


class Theme(StrEnum):
    WATER = "water_sanitation"
    WASTE = "waste"
    CLIMATE_ENERGY = "climate_energy"
    AGRICULTURE = "agriculture_food"
    EDUCATION = "education"
    CULTURE = "culture_heritage"
    HEALTH = "health"
    YOUTH = "youth_sport"
    ECONOMY = "economy_tourism"
    GOVERNANCE = "local_governance"
    URBAN = "urban_planning"
    GENDER = "gender_equality"


class Attachment(StrEnum):
    """Where the international-relations service sits in the organisation chart."""

    CABINET = "cabinet"
    DGS = "dgs_mission"
    ATTRACTIVENESS = "attractiveness_directorate"
    SOLIDARITY_CULTURE = "solidarity_culture_directorate"
    SHARED = "shared_service"
    EXTERNAL = "external_body"


class FollowUpStatus(StrEnum):
    IMPLEMENTED = "implemented"
    PARTLY = "partly"
    NOT_STARTED = "not_started"
    ABANDONED = "abandoned"


class InterviewFormat(StrEnum):
    """How an interview was held."""

    ON_SITE = "on_site"
    VIDEO = "video"
    PHONE = "phone"


class OrganisationView(StrEnum):
    """How the interviewee judges the change of organisation of the IR service (or its current organisation)."""

    POSITIVE = "positive"
    MIXED = "mixed"
    NEGATIVE = "negative"


class RecommendationKind(StrEnum):
    STRATEGY = "strategy"
    ORGANISATION = "organisation"
    PARTNERSHIPS = "partnerships"
    FUNDING = "funding"
    MOBILISATION = "mobilisation"
    COMMUNICATION = "communication"
    EVALUATION = "evaluation"


LABELS_FR: dict[type[Enum], dict[Any, str]] = {
    Tier: {
        Tier.COMMUNE: "Commune",
        Tier.COMMUNAUTE_COMMUNES: "Communauté de communes",
        Tier.COMMUNAUTE_AGGLOMERATION: "Communauté d'agglomération",
        Tier.COMMUNAUTE_URBAINE: "Communauté urbaine",
        Tier.METROPOLE: "Métropole",
        Tier.EPT: "Établissement public territorial",
        Tier.DEPARTEMENT: "Département",
        Tier.REGION: "Région",
        Tier.STATUT_PARTICULIER: "Collectivité à statut particulier",
    },
    TierGroup: {
        TierGroup.COMMUNE: "Communes",
        TierGroup.EPCI: "Intercommunalités",
        TierGroup.DEPARTEMENT: "Départements",
        TierGroup.REGION: "Régions",
        TierGroup.STATUT_PARTICULIER: "Collectivités à statut particulier",
    },
    Ambition: {
        Ambition.JUMELAGES: "Jumelages hérités",
        Ambition.COOPERATION_SOLIDAIRE: "Coopération solidaire structurée",
        Ambition.ACTION_INTEGREE: "Action internationale intégrée",
        Ambition.DIPLOMATIE_TERRITORIALE: "Diplomatie territoriale et influence",
    },
    MissionKind: {
        MissionKind.STRATEGY: "Stratégie",
        MissionKind.PROJECT: "Projet",
        MissionKind.SDG_TRAINING: "Formation-action ODD",
    },
    Provenance: {
        Provenance.ILLUSTRATIVE: "Codage illustratif",
        Provenance.CODED_FROM_REPORT: "Codé d'après le rapport DCOL",
        Provenance.INTERVIEW: "Codé d'après entretien",
    },
    Motivation: {
        Motivation.SOLIDARITY: "Solidarité et développement",
        Motivation.RECIPROCITY: "Réciprocité et apprentissage mutuel",
        Motivation.ATTRACTIVENESS: "Attractivité et rayonnement",
        Motivation.ECONOMIC: "Internationalisation économique",
        Motivation.EUROPEAN: "Europe et transfrontalier",
        Motivation.CLIMATE_SDG: "Transition climatique et ODD",
        Motivation.ADVOCACY: "Plaidoyer et réseaux",
        Motivation.PEACE_MEMORY: "Paix et mémoire",
        Motivation.YOUTH: "Jeunesse et mobilité",
        Motivation.DIASPORAS: "Diasporas",
    },
    Modality: {
        Modality.TWINNING: "Jumelage",
        Modality.DECENTRALISED_COOPERATION: "Coopération décentralisée conventionnée",
        Modality.EU_PROJECTS: "Projets européens et Interreg",
        Modality.NETWORKS: "Réseaux de collectivités",
        Modality.ONE_PERCENT: "Dispositifs « 1 % » eau, énergie, déchets",
        Modality.CALLS_FOR_PROJECTS: "Appels à projets aux acteurs locaux",
        Modality.EMERGENCY_AID: "Aide d'urgence",
        Modality.ECONOMIC_PROMOTION: "Promotion économique",
    },
    Theme: {
        Theme.WATER: "Eau et assainissement",
        Theme.WASTE: "Déchets",
        Theme.CLIMATE_ENERGY: "Climat et énergie",
        Theme.AGRICULTURE: "Agriculture et alimentation",
        Theme.EDUCATION: "Éducation et formation",
        Theme.CULTURE: "Culture et patrimoine",
        Theme.HEALTH: "Santé",
        Theme.YOUTH: "Jeunesse et sport",
        Theme.ECONOMY: "Économie et tourisme",
        Theme.GOVERNANCE: "Gouvernance locale",
        Theme.URBAN: "Urbanisme et services urbains",
        Theme.GENDER: "Égalité femmes-hommes",
    },
    Attachment: {
        Attachment.CABINET: "Cabinet du maire ou du président",
        Attachment.DGS: "Direction générale ou mission transversale",
        Attachment.ATTRACTIVENESS: "Direction de l'attractivité ou de l'économie",
        Attachment.SOLIDARITY_CULTURE: "Direction de la solidarité ou de la culture",
        Attachment.SHARED: "Service mutualisé ville-intercommunalité",
        Attachment.EXTERNAL: "Association, agence ou GIP",
    },
    FollowUpStatus: {
        FollowUpStatus.IMPLEMENTED: "Mise en œuvre",
        FollowUpStatus.PARTLY: "Partiellement mise en œuvre",
        FollowUpStatus.NOT_STARTED: "Non engagée",
        FollowUpStatus.ABANDONED: "Abandonnée",
    },
    InterviewFormat: {
        InterviewFormat.ON_SITE: "Sur place",
        InterviewFormat.VIDEO: "Visioconférence",
        InterviewFormat.PHONE: "Téléphone",
    },
    OrganisationView: {
        OrganisationView.POSITIVE: "Positive",
        OrganisationView.MIXED: "Mitigée",
        OrganisationView.NEGATIVE: "Négative",
    },
    RecommendationKind: {
        RecommendationKind.STRATEGY: "Stratégie et priorités",
        RecommendationKind.ORGANISATION: "Organisation du service",
        RecommendationKind.PARTNERSHIPS: "Partenariats",
        RecommendationKind.FUNDING: "Financements",
        RecommendationKind.MOBILISATION: "Mobilisation des acteurs du territoire",
        RecommendationKind.COMMUNICATION: "Communication et valorisation",
        RecommendationKind.EVALUATION: "Suivi et évaluation",
    },
}


def label(value: Enum) -> str:
    """French label of a controlled value.

    Examples
    --------
    >>> label(Motivation.SOLIDARITY)
    'Solidarité et développement'
    """
    return LABELS_FR[type(value)][value]


def vocabularies() -> dict[str, type[Enum]]:
    """The controlled vocabularies by the name the case files use for them."""
    return {
        "tier": Tier,
        "tier_group": TierGroup,
        "ambition": Ambition,
        "mission_kind": MissionKind,
        "provenance": Provenance,
        "motivation": Motivation,
        "modality": Modality,
        "theme": Theme,
        "attachment": Attachment,
        "follow_up_status": FollowUpStatus,
        "recommendation_kind": RecommendationKind,
        "interview_format": InterviewFormat,
        "organisation_view": OrganisationView,
    }


def _check_labels() -> None:
    missing = [m for enum in vocabularies().values() for m in enum if m not in LABELS_FR.get(enum, {})]
    if missing:  # pragma: no cover - guarded by the tests
        raise RuntimeError(f"vocabulary values without a French label: {missing}")


_check_labels()
