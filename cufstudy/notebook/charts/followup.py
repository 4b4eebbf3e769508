"""Chart of the follow-up of the missions' recommendations: what became of them, by tier group or by kind."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Literal

import altair as alt
import pandas as pd

from cufstudy.core.french import COLON, NNBSP, SEMICOLON, format_number, format_percent, round_fr
from cufstudy.model.cases import CaseBase
from cufstudy.model.vocab import FollowUpStatus, RecommendationKind, label
from cufstudy.notebook.charts._parts import ALL, SPLIT, group_label, groups_present, require, tips, with_n
from cufstudy.notebook.charts.figure import FigureSpec, finish
from cufstudy.notebook.charts.theme import INK, STATUS_COLOURS, WIDTH

__all__ = ["followup_rates"]


def followup_rates(
    recs: pd.DataFrame | CaseBase, by: Literal["group", "kind"] = "group", illustrative: bool | None = None
) -> FigureSpec:
    """Stacked 100 % bars: what became of the recommendations, by tier group or by kind.

    Parameters
    ----------
    recs
        The recommendations frame, :meth:`CaseBase.recommendations_frame
        <cufstudy.model.cases.CaseBase.recommendations_frame>`, or the case base itself.
    by
        ``"group"``: one bar per tier group; ``"kind"``: one bar per kind of recommendation. A last
        bar gives all the recommendations.
    illustrative
        Whether to flag the coding as illustrative; by default the case base's
        :attr:`~cufstudy.model.cases.CaseBase.is_illustrative`, and ``True`` for a bare frame (it does not
        say where its coding comes from).

    Returns
    -------
    FigureSpec
        Shares of implemented, partly implemented, not started, abandoned and unknown follow-ups, the
        percentages written in the bars.
    """
    if by not in ("group", "kind"):
        raise ValueError(f"by must be 'group' or 'kind', not {by!r}")
    if isinstance(recs, CaseBase):
        illustrative = recs.is_illustrative if illustrative is None else illustrative
        recs = recs.recommendations_frame()
    require(recs, [by, "status"], "followup_rates", "aucune recommandation n'est encore codée")
    df = recs[[by, "status"]].reset_index(drop=True)
    df["statut"] = df["status"].where(df["status"].notna(), "unknown")
    name: Callable[[str], str]
    if by == "group":
        keys, name = groups_present(df[by]), group_label
    else:
        keys = [k.value for k in RecommendationKind if k.value in set(df[by])]

        def name(code: str) -> str:
            return ALL if code == "_all" else label(RecommendationKind(code))

    status_labels = {s.value: label(s) for s in FollowUpStatus} | {"unknown": "Non renseigné"}
    used = [s for s in status_labels if s in set(df["statut"])]
    tally = {
        key: Counter(str(s) for s in (df["statut"] if key == "_all" else df.loc[df[by] == key, "statut"]))
        for key in [*keys, "_all"]
    }
    rows = [
        {
            "ligne": with_n(name(key), sum(sub.values()), "\n"),
            "statut": status_labels[s],
            "rang": r,
            "n": sub[s],
            "part": sub[s] / sum(sub.values()),
            "arrondi": round_fr(100 * sub[s] / sum(sub.values())) / 100,
        }
        for key, sub in tally.items()
        for r, s in enumerate(used)
    ]
    data = pd.DataFrame(rows, columns=["ligne", "statut", "rang", "n", "part", "arrondi"])
    legend_order = [status_labels[s] for s in used]
    base = alt.Chart(data).encode(
        y=alt.Y("ligne:N", sort=list(dict.fromkeys(data["ligne"])), title=None, axis=alt.Axis(labelExpr=SPLIT)),
        x=alt.X(
            "part:Q",
            stack="zero",
            scale=alt.Scale(domain=[0, 1]),
            axis=alt.Axis(format=".0%", values=[0, 0.25, 0.5, 0.75, 1], title="Part des recommandations"),
        ),
        order=alt.Order("rang:Q"),
    )
    bars = base.mark_bar(stroke="white", strokeWidth=0.6).encode(
        color=alt.Color(
            "statut:N",
            sort=legend_order,
            scale=alt.Scale(domain=legend_order, range=[STATUS_COLOURS[s] for s in used]),
            title="Suivi",
            legend=alt.Legend(columns=2),
        ),
        tooltip=tips(
            ("ligne:N", "Groupe"), ("statut:N", "Suivi"), ("n:Q", "Recommandations", "d"), ("part:Q", "Part", ".1%")
        ),
    )
    dark = alt.FieldOneOfPredicate("statut", [status_labels["implemented"], status_labels["abandoned"]])
    text = (
        base.transform_filter("datum.part >= 0.08")
        .mark_text(fontSize=10)
        .encode(
            x=alt.X("part:Q", stack="zero", bandPosition=0.5),
            text=alt.Text("arrondi:Q", format=".0%"),
            color=alt.condition(dark, alt.value("white"), alt.value(INK)),
        )
    )
    chart = alt.layer(bars, text).properties(width=WIDTH - 180, height=alt.Step(36))
    overall = tally["_all"]
    total_all = sum(overall.values())
    what = "niveau de collectivité" if by == "group" else "type de recommandation"
    parts = [
        f"Barres empilées à 100{NNBSP}%{COLON} suivi des {format_number(total_all)} recommandations des missions "
        f"par {what}."
    ]
    if total_all:
        shares = ", ".join(f"{status_labels[s].lower()} {format_percent(overall[s] / total_all)}" for s in used)
        done = overall["implemented"] + overall["partly"]
        parts.append(
            f"Dans l'ensemble{COLON} {shares}{SEMICOLON} {format_percent(done / total_all)} au moins en partie mises "
            f"en œuvre."
        )
        for key in keys:
            sub = tally[key]
            done = sub["implemented"] + sub["partly"]
            parts.append(
                f"{name(key)}{COLON} {format_percent(done / sum(sub.values()))} au moins en partie mises en œuvre."
            )
    title = "Suivi des recommandations par niveau" if by == "group" else "Suivi des recommandations par type"
    flag = (True if illustrative is None else illustrative) and total_all > 0
    return finish(chart, title, " ".join(parts), illustrative=flag)
