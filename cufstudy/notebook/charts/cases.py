"""Charts of the case base: the cases by call and tier, the strategies by tier, the IR service before and after.

Every function takes the case frame (:attr:`cufstudy.model.cases.CaseBase.frame`), aggregates it in pandas
(a chart embeds counts, never one row per case) and returns a :class:`~cufstudy.notebook.charts.FigureSpec`.
Charts built on illustrative coding say so in their subtitle and alt text.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal

import altair as alt
import pandas as pd

from cufstudy.core.french import COLON, SEMICOLON, format_number, format_percent, round_fr
from cufstudy.model.vocab import Ambition, Attachment, Modality, Motivation, Theme, label
from cufstudy.notebook.charts._parts import (
    ALL,
    PHASES,
    SPLIT,
    attachment_label,
    count_axis,
    group_label,
    group_scale,
    groups_present,
    headroom,
    heatmap,
    is_illustrative,
    leaders,
    listing,
    missions,
    nothing_to_draw,
    phase_colour,
    require,
    tips,
    with_n,
    wrap,
)
from cufstudy.notebook.charts.figure import FigureSpec, finish
from cufstudy.notebook.charts.theme import INK, PHASE_COLOURS, WIDTH

__all__ = [
    "ambition_by_tier",
    "cases_by_tier_and_call",
    "modalities_by_tier",
    "motivations_by_tier",
    "organisation_comparison",
    "organisation_transitions",
    "staffing_by_tier",
    "themes_by_tier",
]


# ---------------------------------------------------------------------------------------------------------
# the case base


def cases_by_tier_and_call(frame: pd.DataFrame) -> FigureSpec:
    """Stacked bars: the cases by DCOL call and tier group, the pilot and the comparisons apart.

    Parameters
    ----------
    frame
        The case frame, :attr:`CaseBase.frame <cufstudy.model.cases.CaseBase.frame>`.

    Returns
    -------
    FigureSpec
        Two panels sharing the count axis: "Missions DCOL" (DCOL 1 to 5) and "Hors DCOL".
    """
    require(frame, ["group", "role", "dcol_label"], "cases_by_tier_and_call")
    other = {"pilot": "Pilote\nODD", "comparison": "Comparaison"}
    df = frame[["group", "role", "dcol_label"]].reset_index(drop=True)
    df["colonne"] = [d if r == "dcol" else other.get(r, r) for r, d in zip(df["role"], df["dcol_label"], strict=True)]
    df["panneau"] = ["Missions DCOL" if r == "dcol" else "Hors DCOL" for r in df["role"]]
    agg = df.groupby(["panneau", "colonne", "group"]).size().rename("n").reset_index()
    groups = groups_present(agg["group"])
    agg["niveau"] = agg["group"].map(group_label)
    agg["rang"] = agg["group"].map(groups.index)
    calls = sorted(c for c in set(agg["colonne"]) if c.startswith("DCOL"))
    order = [*calls, *[v for v in other.values() if v in set(agg["colonne"])]]
    base = alt.Chart(agg).encode(
        x=alt.X("colonne:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelExpr=SPLIT))
    )
    bars = base.mark_bar(stroke="white", strokeWidth=0.5).encode(
        y=alt.Y("sum(n):Q", stack="zero", axis=count_axis("Nombre de collectivités")),
        color=alt.Color("niveau:N", scale=group_scale(groups), title="Niveau"),
        order=alt.Order("rang:Q"),
        tooltip=tips(("colonne:N", "Appel"), ("niveau:N", "Niveau"), ("sum(n):Q", "Collectivités", "d")),
    )
    totals = base.mark_text(dy=-7, fontWeight="bold").encode(y="sum(n):Q", text=alt.Text("sum(n):Q", format="d"))
    panels = [p for p in ("Missions DCOL", "Hors DCOL") if p in set(agg["panneau"])]
    chart = (
        alt.layer(bars, totals)
        .properties(width=alt.Step(58), height=220)
        .facet(
            column=alt.Column("panneau:N", sort=panels, title=None, header=alt.Header(labelFontWeight="bold")),
            spacing=20,
        )
        .resolve_scale(x="independent")
    )
    by_call = agg[agg["panneau"] == "Missions DCOL"].groupby("colonne")["n"].sum()
    by_other = agg[agg["panneau"] == "Hors DCOL"].groupby("colonne")["n"].sum()
    by_group = agg.groupby("group")["n"].sum()
    parts = [
        f"Diagramme en barres empilées{COLON} nombre de collectivités étudiées par appel DCOL et par niveau de "
        f"collectivité, {format_number(int(agg['n'].sum()))} au total."
    ]
    if len(by_call):
        parts.append(f"Missions DCOL{COLON} {listing((c, by_call[c]) for c in calls)}.")
    if len(by_other):
        parts.append(f"Hors DCOL{COLON} {listing((str(c).replace(chr(10), ' '), n) for c, n in by_other.items())}.")
    parts.append(f"Par niveau{COLON} {listing((group_label(g), by_group[g]) for g in groups)}.")
    return finish(chart, "Collectivités étudiées par appel DCOL et par niveau", " ".join(parts))


def ambition_by_tier(frame: pd.DataFrame) -> FigureSpec:
    """Typology matrix: the number of cases at each level of political ambition, by tier group.

    Parameters
    ----------
    frame
        The case frame.

    Returns
    -------
    FigureSpec
        A heatmap with counts, ambition 1 (inherited twinnings) to 4 (territorial diplomacy) down,
        tier groups across.
    """
    require(frame, ["group", "ambition"], "ambition_by_tier")
    df = frame[["group", "ambition"]].reset_index(drop=True)
    groups = groups_present(df["group"])
    sizes = df.groupby("group").size()
    counts = df.groupby(["group", "ambition"]).size()
    data = pd.DataFrame(
        [
            {
                "colonne": with_n(wrap(group_label(g), 16), int(sizes[g]), "\n"),
                "ligne": wrap(f"{int(a)}. {label(a)}", 26),
                "niveau": group_label(g),
                "ambition": label(a),
                "n": int(counts.get((g, int(a)), 0)),
            }
            for a in Ambition
            for g in groups
        ],
        columns=["colonne", "ligne", "niveau", "ambition", "n"],
    )
    tooltip = tips(("niveau:N", "Niveau"), ("ambition:N", "Ambition"), ("n:Q", "Collectivités", "d"))
    chart = heatmap(data, "n", "d", "Nombre de collectivités", tooltip, max(float(data["n"].max()), 1.0))
    parts = [
        f"Matrice de la typologie{COLON} nombre de collectivités par niveau d'ambition politique (de 1, jumelages "
        f"hérités, à 4, diplomatie territoriale) et par niveau de collectivité."
    ]
    for g in groups:
        sub = data[data["niveau"] == group_label(g)]
        top = leaders(zip(sub["ambition"], sub["n"], strict=True), format_number)
        mean = float(df.loc[df["group"] == g, "ambition"].mean())
        parts.append(
            f"{group_label(g)} ({format_number(int(sizes[g]))}){COLON} ambition moyenne {format_number(mean, 1)}, "
            f"le plus souvent {top}."
        )
    return finish(
        chart, "Ambition politique des stratégies par niveau", " ".join(parts), illustrative=is_illustrative(frame)
    )


def _share_by_tier(
    frame: pd.DataFrame, column: str, enum: type[Enum], title: str, what: str, top: int | None = None
) -> FigureSpec:
    """Grouped bars: share of the cases of each tier group citing each code, a black tick for all cases."""
    require(frame, ["group", column], f"{column}_by_tier")
    base_frame = frame[["group", column]].reset_index(drop=True).reset_index(names="case")
    sizes = base_frame.groupby("group").size()
    long = base_frame.explode(column).dropna(subset=[column]).drop_duplicates(["case", column])
    known = {m.value for m in enum}
    long = long[long[column].isin(known)]
    overall = long.groupby(column).size() / max(len(base_frame), 1)
    overall = overall.sort_index().sort_values(ascending=False, kind="stable")  # ties in code order
    codes = list(overall.index[:top] if top is not None else overall.index)
    if not codes:
        nothing_to_draw(f"{column}_by_tier: no case cites a {column} code", f"aucun cas ne cite encore de {what}")
    counts = long.groupby(["group", column]).size()
    groups = groups_present(base_frame["group"])
    names = {g: with_n(group_label(g), int(sizes[g])) for g in groups}
    bars_data = pd.DataFrame(
        [
            {
                "ligne": label(enum(c)),
                "niveau": names[g],
                "part": round_fr(int(counts.get((g, c), 0)) / int(sizes[g]), 3),
                "n": int(counts.get((g, c), 0)),
            }
            for c in codes
            for g in groups
        ],
        columns=["ligne", "niveau", "part", "n"],
    )
    all_data = pd.DataFrame(
        {"ligne": [label(enum(c)) for c in codes], "part": [round_fr(float(overall[c]), 3) for c in codes]}
    )
    y = alt.Y("ligne:N", sort=[label(enum(c)) for c in codes], title=None)
    x = alt.X("part:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=".0%", values=[0, 0.25, 0.5, 0.75, 1]))
    bars = (
        alt.Chart(bars_data)
        .mark_bar()
        .encode(
            y=y,
            x=x.title("Part des collectivités du niveau"),
            yOffset=alt.YOffset("niveau:N", sort=[names[g] for g in groups]),
            color=alt.Color(
                "niveau:N",
                scale=group_scale(groups, [names[g] for g in groups]),
                title=None,
                legend=alt.Legend(columns=2),
            ),
            tooltip=tips(
                ("ligne:N", what.capitalize()),
                ("niveau:N", "Niveau"),
                ("n:Q", "Collectivités", "d"),
                ("part:Q", "Part", ".1%"),
            ),
        )
    )
    ticks = (
        alt.Chart(all_data)
        .mark_tick(color=INK, thickness=2, opacity=1)
        .encode(
            y=y,
            x=x,
            tooltip=tips(("ligne:N", what.capitalize()), ("part:Q", ALL, ".1%")),
        )
    )
    height = {"step": 6 if len(groups) > 2 else 9, "for": "offset"}
    chart = alt.layer(bars, ticks).properties(width=WIDTH - 220, height=height)
    parts = [
        f"Diagramme en barres groupées{COLON} part des collectivités de chaque niveau qui citent chaque "
        f"{what}{SEMICOLON} un trait noir donne la part pour l'ensemble des {format_number(len(base_frame))} "
        "collectivités.",
        f"Les plus fréquentes dans l'ensemble{COLON} "
        + ", ".join(f"{label(enum(c))} ({format_percent(float(overall[c]))})" for c in codes[:3])
        + ".",
    ]
    for g in groups:
        sub = bars_data[bars_data["niveau"] == names[g]]
        if len(sub) and sub["part"].max() > 0:
            parts.append(
                f"{group_label(g)}{COLON} d'abord "
                f"{leaders(zip(sub['ligne'], sub['part'], strict=True), format_percent)}."
            )
    subtitle = [f"Trait noir{COLON} ensemble des collectivités ({format_number(len(base_frame))})"]
    return finish(chart, title, " ".join(parts), subtitle=subtitle, illustrative=is_illustrative(frame))


def motivations_by_tier(frame: pd.DataFrame) -> FigureSpec:
    """Share of the cases of each tier group that give each motivation for their international action.

    Parameters
    ----------
    frame
        The case frame.

    Returns
    -------
    FigureSpec
        Grouped bars, motivations down (most frequent first), one bar per tier group, a black tick for
        all the cases.
    """
    return _share_by_tier(frame, "motivations", Motivation, "Motivations de l'action internationale", "motivation")


def modalities_by_tier(frame: pd.DataFrame) -> FigureSpec:
    """Share of the cases of each tier group that use each modality of action.

    Parameters
    ----------
    frame
        The case frame.

    Returns
    -------
    FigureSpec
        Grouped bars, modalities down (most frequent first), one bar per tier group.
    """
    return _share_by_tier(frame, "modalities", Modality, "Modalités d'action par niveau", "modalité")


def themes_by_tier(frame: pd.DataFrame, top: int | None = 8) -> FigureSpec:
    """Share of the cases of each tier group that work on each theme.

    Parameters
    ----------
    frame
        The case frame.
    top
        Keep the ``top`` most frequent themes overall (``None``: all twelve).

    Returns
    -------
    FigureSpec
        Grouped bars, themes down (most frequent first), one bar per tier group.
    """
    return _share_by_tier(frame, "themes", Theme, "Thématiques de coopération par niveau", "thématique", top=top)


# ---------------------------------------------------------------------------------------------------------
# the international-relations service


def organisation_comparison(frame: pd.DataFrame) -> FigureSpec:
    """Grouped bars: where the IR service sits before the mission, as recommended, and after.

    Parameters
    ----------
    frame
        The case frame; only the cases with a recommended organisation (the missions) are counted, so
        the three bars of an attachment compare the same authorities.

    Returns
    -------
    FigureSpec
        One row per attachment, three bars each (before, recommended, after) with their counts.
    """
    require(frame, [f"attachment_{p}" for p in PHASES], "organisation_comparison")
    df = missions(frame)
    if df.empty:
        nothing_to_draw(
            "organisation_comparison: no case has a recommended organisation",
            "aucune mission n'a encore d'organisation recommandée codée",
        )
    phases = list(PHASES.values())
    rows = []
    for phase, phase_label in PHASES.items():
        counts = df[f"attachment_{phase}"].dropna().value_counts()
        rows += [{"rattachement": label(a), "phase": phase_label, "n": int(counts.get(a.value, 0))} for a in Attachment]
    data = pd.DataFrame(rows, columns=["rattachement", "phase", "n"])
    base = alt.Chart(data).encode(
        y=alt.Y("rattachement:N", sort=[label(a) for a in Attachment], title=None, axis=alt.Axis(labelLimit=300)),
        yOffset=alt.YOffset("phase:N", sort=phases),
        x=alt.X(
            "n:Q", scale=alt.Scale(domainMax=headroom(data["n"].max())), axis=count_axis("Nombre de collectivités")
        ),
    )
    bars = base.mark_bar().encode(
        color=phase_colour(phases),
        tooltip=tips(("rattachement:N", "Rattachement"), ("phase:N", "Moment"), ("n:Q", "Collectivités", "d")),
    )
    text = base.transform_filter("datum.n > 0").mark_text(align="left", dx=3, fontSize=9).encode(text="n:Q")
    chart = alt.layer(bars, text).properties(width=WIDTH - 250, height={"step": 10, "for": "offset"})
    parts = [
        f"Diagramme en barres groupées{COLON} rattachement du service des relations internationales dans "
        f"l'organigramme de {format_number(len(df))} collectivités accompagnées, avant la mission, tel que recommandé, "
        f"et "
        f"après la mission."
    ]
    for phase_label in phases:
        sub = data[(data["phase"] == phase_label) & (data["n"] > 0)].sort_values("n", ascending=False, kind="stable")
        if len(sub):
            parts.append(f"{phase_label}{COLON} {listing(zip(sub['rattachement'], sub['n'], strict=True))}.")
    return finish(
        chart,
        "Rattachement du service des relations internationales",
        " ".join(parts),
        illustrative=is_illustrative(frame),
    )


def organisation_transitions(frame: pd.DataFrame, to: Literal["after", "recommended"] = "after") -> FigureSpec:
    """Slope chart: from the attachment before the mission to the one after it (or the recommended one).

    Parameters
    ----------
    frame
        The case frame; the cases with both attachments known are counted.
    to
        ``"after"``: the organisation observed after the mission; ``"recommended"``: the one the
        mission recommended.

    Returns
    -------
    FigureSpec
        Two columns of attachments linked by lines as thick as the number of authorities; unchanged
        organisations in grey, changes in blue; counts beside the points.
    """
    require(frame, ["attachment_before", f"attachment_{to}"], "organisation_transitions")
    if to not in ("after", "recommended"):
        raise ValueError(f"to must be 'after' or 'recommended', not {to!r}")
    df = frame[["attachment_before", f"attachment_{to}"]].dropna().reset_index(drop=True)
    if df.empty:
        nothing_to_draw(
            f"organisation_transitions: no case has both attachment_before and attachment_{to}",
            "aucun cas n'a de rattachement du service codé avant la mission et "
            + ("après elle" if to == "after" else "recommandé par elle"),
        )
    df.columns = pd.Index(["before", "target"])
    left, right = PHASES["before"], PHASES[to]
    pairs = df.groupby(["before", "target"]).size().rename("n").reset_index()
    links = pd.DataFrame(
        [
            {
                "lien": i,
                "phase": phase,
                "rattachement": attachment_label(code),
                "n": int(n),
                "type": "Inchangé" if b == t else "Changement",
            }
            for i, (b, t, n) in enumerate(pairs.itertuples(index=False))
            for phase, code in ((left, b), (right, t))
        ],
        columns=["lien", "phase", "rattachement", "n", "type"],
    )
    nodes = links.groupby(["phase", "rattachement"], as_index=False)["n"].sum()
    order = [label(a) for a in Attachment]
    x = alt.X(
        "phase:N",
        sort=[left, right],
        title=None,
        axis=alt.Axis(orient="top", labelAngle=0, labelFontWeight="bold", domain=False, ticks=False),
    )
    y = alt.Y(
        "rattachement:N",
        sort=order,
        title=None,
        scale=alt.Scale(domain=order),
        axis=alt.Axis(labelLimit=300, domain=False, ticks=False),
    )
    lines = (
        alt.Chart(links)
        .mark_line(opacity=0.8)
        .encode(
            x=x,
            y=y,
            detail="lien:N",
            strokeWidth=alt.StrokeWidth(
                "n:Q", scale=alt.Scale(domain=[0, max(len(df), 1)], range=[0, 16]), legend=None
            ),
            color=alt.Color(
                "type:N",
                scale=alt.Scale(
                    domain=["Changement", "Inchangé"], range=[PHASE_COLOURS["after"], PHASE_COLOURS["before"]]
                ),
                title=None,
                legend=alt.Legend(symbolType="stroke", symbolStrokeWidth=3),
            ),
            tooltip=tips(("type:N", "Rattachement"), ("n:Q", "Collectivités", "d")),
        )
    )
    node = alt.Chart(nodes).encode(x=x, y=y)
    dots = node.mark_circle(color=INK, opacity=1, size=50).encode(
        tooltip=tips(("phase:N", "Moment"), ("rattachement:N", "Rattachement"), ("n:Q", "Collectivités", "d"))
    )
    text_left = node.transform_filter(alt.datum.phase == left).mark_text(align="right", dx=-9).encode(text="n:Q")
    text_right = node.transform_filter(alt.datum.phase == right).mark_text(align="left", dx=9).encode(text="n:Q")
    chart = alt.layer(lines, dots, text_left, text_right).properties(width=190, height=alt.Step(34))
    moved = pairs[pairs["before"] != pairs["target"]].sort_values("n", ascending=False, kind="stable")
    changed = int(moved["n"].sum())
    target_text = "après la mission" if to == "after" else "recommandé"
    parts = [
        f"Graphique de pente{COLON} rattachement du service des relations internationales avant la mission (à "
        f"gauche) et {target_text} (à droite) pour {format_number(len(df))} collectivités{COLON} "
        f"{format_number(changed)} changent de "
        f"rattachement, {format_number(len(df) - changed)} le gardent."
    ]
    if len(moved):
        steps = [
            f"de « {attachment_label(b)} » vers « {attachment_label(t)} » ({format_number(int(n))})"
            for b, t, n in moved.head(3).itertuples(index=False)
        ]
        parts.append(f"Principaux changements{COLON} {f'{SEMICOLON} '.join(steps)}.")
    title = "Évolution du rattachement du service" if to == "after" else "Rattachement avant la mission et recommandé"
    return finish(chart, title, " ".join(parts), illustrative=is_illustrative(frame))


def staffing_by_tier(frame: pd.DataFrame) -> FigureSpec:
    """Grouped bars: the IR service's average staff (FTE) by tier group, before, recommended and after.

    Parameters
    ----------
    frame
        The case frame; the cases with a mission (a recommended organisation) are averaged.

    Returns
    -------
    FigureSpec
        One row per tier group and one for all the missions, three bars each, the mean FTE written with
        a decimal comma.
    """
    require(frame, ["group", "attachment_recommended", *(f"fte_{p}" for p in PHASES)], "staffing_by_tier")
    df = missions(frame)
    groups = groups_present(df["group"])
    rows = []
    for key, sub in [*((g, df[df["group"] == g]) for g in groups), ("_all", df)]:
        for phase, phase_label in PHASES.items():
            values = sub[f"fte_{phase}"].dropna().astype(float)
            if len(values):
                name = with_n(group_label(key), len(sub), "\n")
                rows.append(
                    {"niveau": name, "phase": phase_label, "etp": round_fr(float(values.mean()), 1), "cas": len(values)}
                )
    if not rows:
        nothing_to_draw(
            "staffing_by_tier: no mission has a coded FTE", "aucun effectif du service n'est codé pour les missions"
        )
    data = pd.DataFrame(rows, columns=["niveau", "phase", "etp", "cas"])
    phases = list(PHASES.values())
    base = alt.Chart(data).encode(
        y=alt.Y("niveau:N", sort=list(dict.fromkeys(data["niveau"])), title=None, axis=alt.Axis(labelExpr=SPLIT)),
        yOffset=alt.YOffset("phase:N", sort=phases),
        x=alt.X(
            "etp:Q",
            scale=alt.Scale(domainMax=headroom(data["etp"].max() if len(data) else 0)),
            title="Équivalents temps plein (moyenne)",
            axis=alt.Axis(format=",.1~f"),
        ),
    )
    bars = base.mark_bar().encode(
        color=phase_colour(phases),
        tooltip=tips(
            ("niveau:N", "Niveau"),
            ("phase:N", "Moment"),
            ("etp:Q", "ETP moyens", ",.1f"),
            ("cas:Q", "Collectivités", "d"),
        ),
    )
    text = base.mark_text(align="left", dx=3, fontSize=9).encode(text=alt.Text("etp:Q", format=",.1f"))
    chart = alt.layer(bars, text).properties(width=WIDTH - 120, height={"step": 10, "for": "offset"})
    parts = [
        f"Diagramme en barres groupées{COLON} effectif moyen du service des relations internationales, en équivalents "
        f"temps plein, par niveau de collectivité, avant la mission, tel que recommandé et après la mission "
        f"({format_number(len(df))} collectivités accompagnées)."
    ]
    for level in dict.fromkeys(data["niveau"]):
        sub = data[data["niveau"] == level]
        means = ", ".join(f"{p.lower()} {format_number(e, 1)}" for p, e in zip(sub["phase"], sub["etp"], strict=True))
        parts.append(f"{str(level).replace(chr(10), ' ')}{COLON} {means}.")
    return finish(
        chart,
        "Effectifs du service des relations internationales",
        " ".join(parts),
        illustrative=is_illustrative(frame),
    )
