"""Charts of the SDG toolbox: a partnership's contribution profile, its matrix projects × goals, its indicators.

Each function takes a :class:`~cufstudy.sdg.partnerships.Partnership` and the framework, draws what
:mod:`cufstudy.sdg.contribution` computes (the charts compute nothing of their own) and returns a
:class:`~cufstudy.notebook.charts.FigureSpec` at most :data:`~cufstudy.notebook.charts.CHART_WIDTH` wide, axis
labels included: long goal, project and indicator names go on two or three lines. The subtitle names the
partnership; an illustrative partnership says so in its subtitle and alt text.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from cufstudy.core.french import (
    COLON,
    SEMICOLON,
    format_fr,
    straight_quotes_to_french,
    typeset_fr,
)
from cufstudy.core.project import project_notices
from cufstudy.notebook.charts._parts import label_axis, label_px, nothing_to_draw, wrap
from cufstudy.notebook.charts.figure import FigureSpec, finish
from cufstudy.notebook.charts.theme import CHART_WIDTH, INK, LEVEL_COLOURS, LINE_PX, MUTED
from cufstudy.sdg.contribution import contribution_by_goal, goal_matrix, indicator_progress
from cufstudy.sdg.framework import Framework
from cufstudy.sdg.partnerships import LEVEL_LABELS_FR, Level, Partnership

__all__ = ["matrix_chart", "profile_chart", "progress_chart"]


def _finish(chart: alt.TopLevelMixin, partnership: Partnership, title: str, subtitle: str, alt_text: str) -> FigureSpec:
    return finish(
        chart,
        typeset_fr(title),
        alt_text,
        subtitle=[typeset_fr(subtitle), partnership.display_title],
        illustrative=partnership.is_illustrative,
        notice=project_notices().partnership,
    )


def _label(text: str, width: int, max_lines: int = 2) -> str:
    """An axis label: French quotes and spaces, on at most ``max_lines`` lines of ``width`` characters."""
    return wrap(typeset_fr(straight_quotes_to_french(text)), width, max_lines)


def _level_scale() -> alt.Scale:
    return alt.Scale(domain=[0, 1, 2, 3, 4], range=LEVEL_COLOURS)


def profile_chart(partnership: Partnership, framework: Framework) -> FigureSpec:
    """Bars of the highest contribution level per goal (17 goals), with the mean level as a tick.

    At most :data:`~cufstudy.notebook.charts.CHART_WIDTH` wide: long goal titles go on two lines.
    """
    prof = contribution_by_goal(partnership, framework, all_goals=True)
    data = pd.DataFrame(
        {
            "goal": [_label(f"ODD {g} – {framework.goal(g).title_fr}", 48) for g in prof["ODD"]],
            "max": prof["Niveau max"],
            "mean": prof["Niveau moyen"],
            "label": [LEVEL_LABELS_FR[Level(v)] for v in prof["Niveau max"]],
            "mean_text": [format_fr(float(v), decimals=1) for v in prof["Niveau moyen"]],
        }
    )
    order = list(data["goal"])
    labels_px = label_px(order)
    y = alt.Y("goal:N", sort=order, title=None, axis=label_axis(labels_px))
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
    ticks = alt.Chart(data).mark_tick(color=INK, thickness=2, size=14).encode(y=y, x="mean:Q")
    touched = prof[prof["Niveau max"] > 0]
    alt_text = (
        f"Niveau de contribution maximal par objectif{COLON} "
        + ", ".join(f"ODD {g} {int(m)}" for g, m in zip(touched["ODD"], touched["Niveau max"], strict=True))
        + f"{SEMICOLON} les autres objectifs à 0."
    )
    width = max(CHART_WIDTH - labels_px - 30, 160)
    chart = alt.layer(bars, ticks).properties(width=width, height=alt.Step(23))
    subtitle = "Barre : niveau maximal ; trait : niveau moyen par projet"
    return _finish(chart, partnership, "Contribution aux ODD par objectif", subtitle, alt_text)


def matrix_chart(partnership: Partnership, framework: Framework) -> FigureSpec:
    """Heatmap of the matrix projects × goals, each cell the highest level, labelled.

    At most :data:`~cufstudy.notebook.charts.CHART_WIDTH` wide: the goals are numbered columns, project titles
    go on up to three lines.
    """
    wide = goal_matrix(partnership, framework)
    goals = [int(c.split()[1]) for c in wide.columns[1:]]
    wrap_at = 30 if len(goals) <= 10 else 20
    titles = {t: _label(t, wrap_at, max_lines=3) for t in wide["Projet"]}
    data = wide.melt(id_vars="Projet", var_name="goal", value_name="level").dropna()
    data["level"] = data["level"].astype(int)
    data["goal_n"] = [int(g.split()[1]) for g in data["goal"]]
    data["label"] = [LEVEL_LABELS_FR[Level(v)] for v in data["level"]]
    data["project"] = [titles[t] for t in data["Projet"]]
    order = list(titles.values())
    labels_px = label_px(order)
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
            axis=label_axis(labels_px, domain=False, ticks=False),
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
        text="level:Q", color=alt.condition("datum.level >= 3", alt.value("white"), alt.value(INK))
    )
    alt_text = f"Matrice des projets et des objectifs{COLON} " + f"{SEMICOLON} ".join(
        f"{row['Projet']}{COLON} {row['goal']} niveau {row['level']}" for _, row in data.iterrows()
    )
    chart = alt.layer(rect, text).properties(width=alt.Step(step), height=alt.Step(max(36, LINE_PX * lines + 10)))
    subtitle = "Niveau de contribution maximal de chaque projet à chaque objectif (0 à 4)"
    return _finish(chart, partnership, "Matrice projets × objectifs", subtitle, alt_text)


def progress_chart(partnership: Partnership, framework: Framework) -> FigureSpec:
    """Horizontal bars of each measured indicator's progress from its baseline (0) to its 2030 target (100).

    At most :data:`~cufstudy.notebook.charts.CHART_WIDTH` wide: indicator names go on two lines.
    """
    table = indicator_progress(partnership, framework).dropna(subset=["Progrès"])
    if table.empty:
        nothing_to_draw(
            "progress_chart: no indicator has a current value", "aucun indicateur n'a encore de valeur actuelle"
        )
    names = [
        f"{code} – {name}" if isinstance(code, str) and code else str(name)
        for code, name in zip(table["Code"], table["Indicateur"], strict=True)
    ]
    data = pd.DataFrame(
        {
            "indicator": [_label(name, 40, max_lines=3) for name in names],
            "name": [typeset_fr(name) for name in names],
            "progress": table["Progrès"].to_numpy(),
            "text": [format_fr(float(v), decimals=0) for v in table["Progrès brut"]],
        }
    )
    order = list(data["indicator"])
    labels_px = label_px(order)
    y = alt.Y("indicator:N", sort=order, title=None, axis=label_axis(labels_px))
    bars = (
        alt.Chart(data)
        .mark_bar(color=LEVEL_COLOURS[3])
        .encode(
            y=y,
            x=alt.X("progress:Q", scale=alt.Scale(domain=[0, 100]), title="Progrès vers la valeur visée (0 à 100)"),
            tooltip=[alt.Tooltip("name:N", title="Indicateur"), alt.Tooltip("text:N", title="Progrès")],
        )
    )
    labels = alt.Chart(data).mark_text(align="left", dx=4).encode(y=y, x="progress:Q", text="text:N")
    goal_rule = alt.Chart(pd.DataFrame({"x": [100]})).mark_rule(strokeDash=[4, 3], color=MUTED).encode(x="x:Q")
    alt_text = f"Progrès des indicateurs vers leur valeur visée 2030, de 0 (référence) à 100{COLON} " + (
        f"{SEMICOLON} ".join(f"{name}{COLON} {text}" for name, text in zip(data["name"], data["text"], strict=True))
    )
    width = max(CHART_WIDTH - labels_px - 40, 160)
    chart = alt.layer(bars, labels, goal_rule).properties(width=width, height=alt.Step(46))
    subtitle = "0 = valeur de référence, 100 = valeur visée en 2030"
    return _finish(chart, partnership, "Progrès des indicateurs vers 2030", subtitle, alt_text)
