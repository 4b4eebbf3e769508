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
  (:func:`roadmap_table`) and the key figures the prose cites (:func:`summary`);
- **charts** (Altair, in French, at most the A4 text width): :func:`profile_chart`,
  :func:`matrix_chart`, :func:`progress_chart`; show them with :func:`cufstudy.notebook.charts.display`.

Tables have French column names and French typography, ready for :func:`cufstudy.notebook.tables.show_table`.
Charts of an illustrative partnership say so in their subtitle and description.

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

import datetime as dt
import re
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from cufstudy.notebook.facts import NBSP, format_fr
from cufstudy.sdg.framework import Framework, indicator_sources
from cufstudy.sdg.partnerships import (
    DIRECTION_LABELS_FR,
    ILLUSTRATIVE_NOTE_FR,
    LEVEL_LABELS_FR,
    SIDE_LABELS_FR,
    Level,
    Partnership,
    Progress,
    Project,
    TargetLink,
    progress,
    typeset_fr,
)

if TYPE_CHECKING:
    import altair as alt

__all__ = [
    "CHART_WIDTH",
    "PartnershipSummary",
    "Progress",
    "contribution_by_goal",
    "date_fr",
    "goal_matrix",
    "indicator_progress",
    "matrix_chart",
    "profile_chart",
    "progress",
    "progress_chart",
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


def _goal_label(fw: Framework, goal: int) -> str:
    return f"ODD {goal} – {fw.goal(goal).title_fr}"


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


_MONTHS_FR: Final = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def date_fr(day: dt.date) -> str:
    """``1er mars 2022``, ``15 septembre 2022``."""
    return f"{'1er' if day.day == 1 else day.day} {_MONTHS_FR[day.month - 1]} {day.year}"


def roadmap_table(partnership: Partnership, framework: Framework) -> pd.DataFrame:
    """The roadmap in date order: ``Échéance``, ``Action``, ``Responsable``, ``Projet``, ``Indicateur``."""
    rows = [
        {
            "Échéance": date_fr(a.date),
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


# ---------------------------------------------------------------------------------------------------------
# charts (Altair, French; cufstudy.notebook.charts.display shows them with the house theme)

CHART_WIDTH: Final = 470
"""The widest a partnership chart may be, axis labels and legend included, in CSS pixels: the text
width of an A4 page (16 cm at 72 ppi is 454 pt, plus the chart's padding)."""

_LEVEL_COLOURS: Final = ["#EFF3FF", "#BDD7E7", "#6BAED6", "#3182BD", "#08519C"]  # ColorBrewer Blues, 0 to 4
_CHAR_PX: Final = 5.8  # mean width of a character of the 11 px axis labels (Inter), for the layout budget
_LINE_PX: Final = 11  # line height of multi-line axis labels
_LINES: Final = "split(datum.label, '\\n')"  # labelExpr: one line per "\n"
_QUOTED: Final = re.compile(r'"([^"]*)"')


def _finish(
    chart: alt.TopLevelMixin, partnership: Partnership, title: str, subtitle: str, alt_text: str
) -> alt.TopLevelMixin:
    import altair as alt

    lines = [typeset_fr(subtitle), partnership.display_title]
    lines += [ILLUSTRATIVE_NOTE_FR] if partnership.is_illustrative else []
    note = f" {ILLUSTRATIVE_NOTE_FR}." if partnership.is_illustrative else ""
    return chart.properties(title=alt.TitleParams(typeset_fr(title), subtitle=lines), description=alt_text + note)


def _wrap(text: str, width: int, max_lines: int = 2) -> str:
    """``text`` on at most ``max_lines`` lines of ``width`` characters, the last one cut with « … »."""
    text = typeset_fr(_QUOTED.sub(f"«{NBSP}\\1{NBSP}»", text))
    lines = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [text]
    if len(lines) > max_lines:
        last = " ".join(lines[max_lines - 1 :])
        lines = [*lines[: max_lines - 1], last[: width - 1].rstrip() + "…"]
    return "\n".join(lines)


def _label_px(labels: list[str]) -> int:
    """Width of the widest line of the axis labels, in pixels (estimated)."""
    return round(_CHAR_PX * max((len(line) for text in labels for line in text.split("\n")), default=0))


def _label_axis(labels_px: int, **options: Any) -> alt.Axis:
    """A band axis whose labels may hold several lines (split on newlines), centred on their band.

    Vega puts the first line of a label on the band's middle: labels of 2 or 3 lines move up by half
    their extra height (a conditional ``labelOffset``).
    """
    import altair as alt

    shift = [{"test": f"length(split(datum.label, '\\n')) == {n}", "value": -(n - 1) * _LINE_PX / 2} for n in (2, 3)]
    return alt.Axis(
        labelExpr=_LINES,
        labelLimit=labels_px + 20,
        labelBaseline="middle",
        labelLineHeight=_LINE_PX,
        labelOffset={"condition": shift, "value": 0},
        **options,
    )


def _level_scale() -> alt.Scale:
    import altair as alt

    return alt.Scale(domain=[0, 1, 2, 3, 4], range=_LEVEL_COLOURS)


def profile_chart(partnership: Partnership, framework: Framework) -> alt.TopLevelMixin:
    """Bars of the highest contribution level per goal (17 goals), with the mean level as a tick.

    At most :data:`CHART_WIDTH` wide: long goal titles go on two lines.
    """
    import altair as alt

    prof = contribution_by_goal(partnership, framework, all_goals=True)
    data = pd.DataFrame(
        {
            "goal": [_wrap(_goal_label(framework, g), 48) for g in prof["ODD"]],
            "max": prof["Niveau max"],
            "mean": prof["Niveau moyen"],
            "label": [LEVEL_LABELS_FR[Level(v)] for v in prof["Niveau max"]],
            "mean_text": [format_fr(float(v), decimals=1) for v in prof["Niveau moyen"]],
        }
    )
    order = list(data["goal"])
    labels_px = _label_px(order)
    y = alt.Y("goal:N", sort=order, title=None, axis=_label_axis(labels_px))
    axis = alt.Axis(values=[0, 1, 2, 3, 4], format="d", title="Niveau de contribution (0 à 4)")
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=y,
            x=alt.X("max:Q", scale=alt.Scale(domain=[0, 4]), axis=axis),
            color=alt.Color("max:O", scale=_level_scale(), legend=None),
            tooltip=[
                alt.Tooltip("goal:N", title="Objectif"),
                alt.Tooltip("label:N", title="Niveau maximal"),
                alt.Tooltip("mean_text:N", title="Niveau moyen"),
            ],
        )
    )
    ticks = alt.Chart(data).mark_tick(color="#222222", thickness=2, size=14).encode(y=y, x="mean:Q")
    touched = prof[prof["Niveau max"] > 0]
    alt_text = (
        f"Niveau de contribution maximal par objectif{NBSP}: "
        + ", ".join(f"ODD {g} {int(m)}" for g, m in zip(touched["ODD"], touched["Niveau max"], strict=True))
        + f"{NBSP}; les autres objectifs à 0."
    )
    width = max(CHART_WIDTH - labels_px - 30, 160)
    chart = alt.layer(bars, ticks).properties(width=width, height=alt.Step(23))
    subtitle = "Barre : niveau maximal ; trait : niveau moyen par projet"
    return _finish(chart, partnership, "Contribution aux ODD par objectif", subtitle, alt_text)


def matrix_chart(partnership: Partnership, framework: Framework) -> alt.TopLevelMixin:
    """Heatmap of the matrix projects × goals, each cell the highest level, labelled.

    At most :data:`CHART_WIDTH` wide: the goals are numbered columns, project titles go on up to three lines.
    """
    import altair as alt

    wide = goal_matrix(partnership, framework)
    goals = [int(c.split()[1]) for c in wide.columns[1:]]
    wrap_at = 30 if len(goals) <= 10 else 20
    titles = {t: _wrap(t, wrap_at, max_lines=3) for t in wide["Projet"]}
    data = wide.melt(id_vars="Projet", var_name="goal", value_name="level").dropna()
    data["level"] = data["level"].astype(int)
    data["goal_n"] = [int(g.split()[1]) for g in data["goal"]]
    data["label"] = [LEVEL_LABELS_FR[Level(v)] for v in data["level"]]
    data["project"] = [titles[t] for t in data["Projet"]]
    order = list(titles.values())
    labels_px = _label_px(order)
    step = int(min(44, max(20, (CHART_WIDTH - labels_px - 30) / max(len(goals), 1))))
    lines = max(text.count("\n") + 1 for text in order)
    base = alt.Chart(data).encode(
        x=alt.X(
            "goal_n:O",
            sort=goals,
            title="Objectif de développement durable (ODD)",
            axis=alt.Axis(labelAngle=0, orient="top", domain=False, ticks=False),
        ),
        y=alt.Y(
            "project:N",
            sort=order,
            title=None,
            axis=_label_axis(labels_px, domain=False, ticks=False),
        ),
    )
    rect = base.mark_rect(stroke="white").encode(
        color=alt.Color(
            "level:O",
            scale=_level_scale(),
            title="Niveau de contribution",
            legend=alt.Legend(orient="bottom", direction="horizontal"),
        ),
        tooltip=[
            alt.Tooltip("Projet:N"),
            alt.Tooltip("goal:N", title="Objectif"),
            alt.Tooltip("label:N", title="Contribution"),
        ],
    )
    text = base.mark_text().encode(
        text="level:Q", color=alt.condition("datum.level >= 3", alt.value("white"), alt.value("#222222"))
    )
    alt_text = f"Matrice des projets et des objectifs{NBSP}: " + "; ".join(
        f"{row['Projet']}{NBSP}: {row['goal']} niveau {row['level']}" for _, row in data.iterrows()
    )
    chart = alt.layer(rect, text).properties(width=alt.Step(step), height=alt.Step(max(36, _LINE_PX * lines + 10)))
    subtitle = "Niveau de contribution maximal de chaque projet à chaque objectif (0 à 4)"
    return _finish(chart, partnership, "Matrice projets × objectifs", subtitle, alt_text)


def progress_chart(partnership: Partnership, framework: Framework) -> alt.TopLevelMixin:
    """Horizontal bars of each measured indicator's progress from its baseline (0) to its 2030 target (100).

    At most :data:`CHART_WIDTH` wide: indicator names go on two lines.
    """
    import altair as alt

    table = indicator_progress(partnership, framework).dropna(subset=["Progrès"])
    names = [
        f"{code} – {name}" if isinstance(code, str) and code else str(name)
        for code, name in zip(table["Code"], table["Indicateur"], strict=True)
    ]
    data = pd.DataFrame(
        {
            "indicator": [_wrap(name, 40, max_lines=3) for name in names],
            "name": [typeset_fr(name) for name in names],
            "progress": table["Progrès"].to_numpy(),
            "text": [format_fr(float(v), decimals=0) for v in table["Progrès brut"]],
        }
    )
    order = list(data["indicator"])
    labels_px = _label_px(order)
    y = alt.Y("indicator:N", sort=order, title=None, axis=_label_axis(labels_px))
    bars = (
        alt.Chart(data)
        .mark_bar(color="#3182BD")
        .encode(
            y=y,
            x=alt.X("progress:Q", scale=alt.Scale(domain=[0, 100]), title="Progrès vers la valeur visée (0 à 100)"),
            tooltip=[alt.Tooltip("name:N", title="Indicateur"), alt.Tooltip("text:N", title="Progrès")],
        )
    )
    labels = alt.Chart(data).mark_text(align="left", dx=4).encode(y=y, x="progress:Q", text="text:N")
    goal_rule = alt.Chart(pd.DataFrame({"x": [100]})).mark_rule(strokeDash=[4, 3], color="#595959").encode(x="x:Q")
    alt_text = f"Progrès des indicateurs vers leur valeur visée 2030, de 0 (référence) à 100{NBSP}: " + "; ".join(
        f"{name}{NBSP}: {text}" for name, text in zip(data["name"], data["text"], strict=True)
    )
    width = max(CHART_WIDTH - labels_px - 40, 160)
    chart = alt.layer(bars, labels, goal_rule).properties(width=width, height=alt.Step(46))
    subtitle = "0 = valeur de référence, 100 = valeur visée en 2030"
    return _finish(chart, partnership, "Progrès des indicateurs vers 2030", subtitle, alt_text)
