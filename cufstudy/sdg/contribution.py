"""What a partnership contributes to the SDGs: normalised progress, the grid, the matrix, the roadmap, charts.

Computations over a :class:`~cufstudy.sdg.partnerships.Partnership` (the model and its loaders live in
:mod:`cufstudy.sdg.partnerships`):

- **progress normalisation** (:func:`progress`, defined beside the indicators in
  :mod:`cufstudy.sdg.partnerships`): an indicator scaled 0-100 from its baseline to its 2030 target, as the
  OECD territorial SDG method does, with the distance to the target;
- the **contribution grid** (:func:`contribution_by_goal`): for each goal, the highest and the mean
  contribution level (0-4), the projects and targets concerned and the evidence behind each level;
- the **matrix** projects × goals (:func:`goal_matrix`) and every target link in detail
  (:func:`target_detail`);
- the **indicators** with their progress (:func:`indicator_progress`), the **roadmap**
  (:func:`roadmap_table`) and the key figures the prose cites (:func:`summary`).

The charts of these figures are in the chart toolkit (:func:`cufstudy.notebook.charts.profile_chart`,
:func:`~cufstudy.notebook.charts.matrix_chart`, :func:`~cufstudy.notebook.charts.progress_chart`).

Tables have French column names and French typography, ready for :func:`cufstudy.notebook.tables.show_table`.

Examples
--------
>>> from cufstudy.sdg.partnerships import load_partnership
>>> from cufstudy.sdg.framework import load_framework
>>> fw = load_framework("data")
>>> p = load_partnership("data/partnerships/aude-hauts-bassins.yaml", fw)
>>> s = summary(p, fw)
>>> s.n_projects, s.illustrative
(4, True)
>>> contribution_by_goal(p, fw)["ODD"].tolist()[:3]
[2, 4, 5]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from cufstudy.core.french import NBSP, format_date, typeset_fr
from cufstudy.sdg.framework import Framework, indicator_sources
from cufstudy.sdg.partnerships import (
    DIRECTION_LABELS_FR,
    LEVEL_LABELS_FR,
    SIDE_LABELS_FR,
    Level,
    Partnership,
    Progress,
    Project,
    TargetLink,
    progress,
)

__all__ = [
    "PartnershipSummary",
    "Progress",
    "contribution_by_goal",
    "goal_matrix",
    "indicator_progress",
    "progress",
    "roadmap_table",
    "summary",
    "target_detail",
]


# ---------------------------------------------------------------------------------------------------------
# tables (French column names, ready for cufstudy.notebook.tables.show_table)


def _typeset(frame: pd.DataFrame) -> pd.DataFrame:
    for col in frame.columns:
        if frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):
            frame[col] = [typeset_fr(v) if isinstance(v, str) else v for v in frame[col]]
    return frame


def _target_order(fw: Framework) -> dict[str, int]:
    return {t.code: i for i, t in enumerate(fw.targets)}


def _links(partnership: Partnership) -> list[tuple[Project, TargetLink]]:
    return [(p, link) for p in partnership.projects for link in p.links]


def _goal_of(code: str) -> int:
    return int(code.split(".")[0])


def contribution_by_goal(partnership: Partnership, framework: Framework, *, all_goals: bool = False) -> pd.DataFrame:
    """The contribution grid: for each goal, how strongly and how widely the partnership contributes.

    Columns: ``ODD`` (number), ``Objectif``, ``Niveau max`` (highest level of any link), ``Niveau
    moyen`` (mean over the partnership's projects of each project's highest level for the goal, 0 for
    a project without a link to it: it measures breadth as well as strength), ``Projets`` (projects
    contributing, level 1 or more), ``Liens`` (target links, any level), ``Cibles`` (codes) and
    ``Justifications`` (the evidence of each link, « cible (niveau) : texte »).

    Parameters
    ----------
    all_goals
        Keep the 17 goals, with zeros for those without a link (as :func:`profile_chart` draws them).
    """
    order = _target_order(framework)
    rows = []
    n_projects = len(partnership.projects)
    for goal in framework.goals:
        links = [(p, k) for p, k in _links(partnership) if _goal_of(k.target) == goal.number]
        if not links and not all_goals:
            continue
        per_project = [max((int(k.level) for q, k in links if q.id == p.id), default=0) for p in partnership.projects]
        codes = sorted({k.target for _, k in links}, key=order.__getitem__)
        evidence = [
            f"{k.target} ({int(k.level)}){NBSP}: {k.evidence}"
            for _, k in sorted(links, key=lambda pk: (order[pk[1].target], -pk[1].level))
            if k.evidence
        ]
        rows.append(
            {
                "ODD": goal.number,
                "Objectif": goal.title_fr,
                "Niveau max": max((int(k.level) for _, k in links), default=0),
                "Niveau moyen": sum(per_project) / n_projects,
                "Projets": sum(1 for level in per_project if level > 0),
                "Liens": len(links),
                "Cibles": ", ".join(codes),
                "Justifications": f"{NBSP}; ".join(evidence),
            }
        )
    columns = ["ODD", "Objectif", "Niveau max", "Niveau moyen", "Projets", "Liens", "Cibles", "Justifications"]
    return _typeset(pd.DataFrame(rows, columns=columns))


def goal_matrix(partnership: Partnership, framework: Framework) -> pd.DataFrame:
    """The matrix projects × goals: each project's highest contribution level to each goal.

    One row per project (``Projet``), one column per goal with at least one link (``ODD 6``...);
    empty (NaN) where the project has no link to the goal. Show it with
    ``show_table(m, decimals={c: 0 for c in m.columns[1:]})``.
    """
    goals = sorted({_goal_of(k.target) for _, k in _links(partnership)})
    rows = []
    for p in partnership.projects:
        row: dict[str, Any] = {"Projet": p.title}
        for goal in goals:
            levels = [int(k.level) for k in p.links if _goal_of(k.target) == goal]
            row[f"ODD {goal}"] = float(max(levels)) if levels else float("nan")
        rows.append(row)
    return _typeset(pd.DataFrame(rows, columns=["Projet", *(f"ODD {g}" for g in goals)]))


def target_detail(partnership: Partnership, framework: Framework) -> pd.DataFrame:
    """Every target link in detail, in framework order: project, goal, target and its title, level, side, evidence."""
    order = _target_order(framework)
    rows = [
        {
            "ODD": _goal_of(k.target),
            "Cible": k.target,
            "Intitulé de la cible": framework.target(k.target).title_fr,
            "Projet": p.title,
            "Niveau": int(k.level),
            "Contribution": LEVEL_LABELS_FR[k.level],
            "Territoire": SIDE_LABELS_FR[k.side],
            "Justification": k.evidence,
        }
        for p, k in sorted(_links(partnership), key=lambda pk: order[pk[1].target])
    ]
    columns = [
        "ODD",
        "Cible",
        "Intitulé de la cible",
        "Projet",
        "Niveau",
        "Contribution",
        "Territoire",
        "Justification",
    ]
    return _typeset(pd.DataFrame(rows, columns=columns))


def indicator_progress(partnership: Partnership, framework: Framework) -> pd.DataFrame:
    """The indicators with their normalised progress (0-100) and distance to the 2030 target.

    ``Progrès brut`` may fall below 0 or exceed 100; ``Progrès`` is clipped to [0, 100] and
    ``Distance`` is ``100 - Progrès`` (normalised points); ``Écart`` is the remaining gap in the
    indicator's unit (2030 target minus current value). Empty (NaN or None) when unknown.
    """
    sources = indicator_sources()
    rows = []
    for ind in partnership.indicators:
        prog = ind.progress
        rows.append(
            {
                "Indicateur": ind.label(framework),
                "Source": sources[ind.source].label_fr,
                "Code": ind.code,
                "Cible ODD": ind.target_code(framework),
                "Territoire": SIDE_LABELS_FR[ind.side] if ind.side else None,
                "Unité": ind.unit,
                "Référence": ind.baseline.value,
                "Année de référence": str(ind.baseline.year),
                "Valeur visée 2030": ind.target_2030,
                "Valeur actuelle": ind.current.value if ind.current else float("nan"),
                "Année": str(ind.current.year) if ind.current else None,
                "Sens": DIRECTION_LABELS_FR[ind.trend],
                "Progrès brut": prog.raw if prog else float("nan"),
                "Progrès": prog.clipped if prog else float("nan"),
                "Distance": prog.distance if prog else float("nan"),
                "Écart": ind.target_2030 - ind.current.value if ind.current else float("nan"),
            }
        )
    columns = [
        "Indicateur", "Source", "Code", "Cible ODD", "Territoire", "Unité", "Référence", "Année de référence",
        "Valeur visée 2030", "Valeur actuelle", "Année", "Sens", "Progrès brut", "Progrès", "Distance", "Écart",
    ]  # fmt: skip
    return _typeset(pd.DataFrame(rows, columns=columns))


def roadmap_table(partnership: Partnership, framework: Framework) -> pd.DataFrame:
    """The roadmap in date order: ``Échéance``, ``Action``, ``Responsable``, ``Projet``, ``Indicateur``."""
    rows = [
        {
            "Échéance": format_date(a.date),
            "Action": a.action,
            "Responsable": a.owner,
            "Projet": partnership.project(a.project).title if a.project else None,
            "Indicateur": partnership.indicator(a.indicator).label(framework) if a.indicator else None,
        }
        for a in sorted(partnership.roadmap, key=lambda a: a.date)
    ]
    return _typeset(pd.DataFrame(rows, columns=["Échéance", "Action", "Responsable", "Projet", "Indicateur"]))


@dataclass(frozen=True)
class PartnershipSummary:
    """Key figures of a partnership, for the facts the prose cites."""

    n_projects: int
    n_links: int
    n_targets: int
    n_goals: int
    n_principal: int
    n_indicators: int
    n_indicators_un: int
    n_measured: int
    mean_progress: float | None
    n_actions: int
    budget_eur: int
    illustrative: bool


def summary(partnership: Partnership, framework: Framework) -> PartnershipSummary:
    """Counts over the partnership: projects, links, targets and goals with a contribution (level 1+)...

    ``mean_progress`` is the mean clipped progress of the indicators with a current value (``None``
    if none has one).
    """
    links = [k for _, k in _links(partnership)]
    contributing = [k for k in links if k.level > 0]
    measured = [p for i in partnership.indicators if (p := i.progress) is not None]
    return PartnershipSummary(
        n_projects=len(partnership.projects),
        n_links=len(links),
        n_targets=len({k.target for k in contributing}),
        n_goals=len({_goal_of(k.target) for k in contributing}),
        n_principal=sum(1 for k in links if k.level is Level.PRINCIPAL),
        n_indicators=len(partnership.indicators),
        n_indicators_un=sum(1 for i in partnership.indicators if i.source == "un"),
        n_measured=len(measured),
        mean_progress=sum(p.clipped for p in measured) / len(measured) if measured else None,
        n_actions=len(partnership.roadmap),
        budget_eur=sum(p.budget_eur or 0 for p in partnership.projects),
        illustrative=partnership.is_illustrative,
    )
