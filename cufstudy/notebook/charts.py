"""The study's charts: Altair, in French, with one house theme, static and interactive from one object.

Every chart function takes the case frame (:attr:`cufstudy.model.cases.CaseBase.frame`) or the
recommendations (:meth:`~cufstudy.model.cases.CaseBase.recommendations_frame`), aggregates them in pandas
(a chart embeds counts, never one row per case, except the points of :func:`cases_map`) and returns a
:class:`FigureSpec`: the chart, its French title and its alt text. The alt text is also the chart's
Vega-Lite ``description``, which Vega writes as the SVG's ``aria-label``. Charts built on the
illustrative coding say so in their subtitle and alt text.

The same chart object goes everywhere: :func:`save_png` and :func:`save_svg` render it offline with
vl-convert; :func:`to_html_fragment` gives a ``<div>`` and a ``<script>`` calling the page's global
``vegaEmbed`` (the renderer adds the Vega bundle once per page); :func:`display` shows it in a
notebook as a MIME bundle (Vega-Lite JSON, PNG, SVG, alt text), so an executed notebook carries a
static image for the PDF and DOCX renderers.

Numbers follow the ``fr-FR`` locale (decimal comma, narrow no-break space for thousands): it is in the
spec's ``config.locale`` (any Vega renderer), in ``usermeta.embedOptions`` (Vega-Embed) and passed to
vl-convert. Importing this module enables the house theme (``alt.theme.enable("cufstudy")``); the
export functions apply it whatever theme is active.

Examples
--------
>>> from cufstudy.model.cases import load_cases
>>> from cufstudy.notebook import charts
>>> fig = charts.cases_by_tier_and_call(load_cases("data").frame)
>>> fig.title
'Collectivités étudiées par appel DCOL et par niveau'
>>> charts.to_png(fig)[:4]
b'\\x89PNG'
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Final, Literal

import altair as alt
import pandas as pd

from cufstudy.model.cases import CaseBase
from cufstudy.model.countries import COUNTRIES_FR
from cufstudy.model.vocab import (
    Ambition,
    Attachment,
    FollowUpStatus,
    Modality,
    Motivation,
    RecommendationKind,
    Theme,
    label,
)
from cufstudy.notebook._chart_theme import (
    ALL,
    AMBITION_RANGE,
    COL,
    EMBED_OPTIONS,
    FONT_FAMILY,
    ILLUSTRATIVE_NOTE,
    INK,
    NUMBER_LOCALE,
    PHASES,
    SPLIT,
    STATUS_COLOURS,
    THEME_NAME,
    TIER_COLOURS,
    TIME_LOCALE,
    VEGALITE_MIME,
    WIDTH,
    Figure,
    FigureSpec,
    attachment_label,
    count_axis,
    display,
    enable_theme,
    finish,
    fmt_n,
    fmt_pct,
    fold,
    geo_features,
    group_label,
    group_scale,
    groups_present,
    headroom,
    heatmap,
    is_illustrative,
    leaders,
    listing,
    mime_bundle,
    missions,
    phase_colour,
    require,
    round_fr,
    save_png,
    save_svg,
    tips,
    to_html_fragment,
    to_png,
    to_spec,
    to_svg,
    with_n,
    world_points,
    world_topology,
    wrap,
)
from cufstudy.notebook.facts import NBSP
from cufstudy.resources import data_path

__all__ = [
    "EMBED_OPTIONS",
    "FONT_FAMILY",
    "ILLUSTRATIVE_NOTE",
    "NUMBER_LOCALE",
    "THEME_NAME",
    "TIER_COLOURS",
    "TIME_LOCALE",
    "VEGALITE_MIME",
    "Figure",
    "FigureSpec",
    "ambition_by_tier",
    "cases_by_tier_and_call",
    "cases_map",
    "display",
    "enable_theme",
    "followup_rates",
    "mime_bundle",
    "modalities_by_tier",
    "motivations_by_tier",
    "organisation_comparison",
    "organisation_transitions",
    "partner_countries_map",
    "partner_countries_top",
    "save_png",
    "save_svg",
    "staffing_by_tier",
    "themes_by_tier",
    "to_html_fragment",
    "to_png",
    "to_spec",
    "to_svg",
]

DATA_DIR: Final = Path("data")
"""The project's data folder, relative to the working directory: its ``geo/`` files win over the packaged ones."""

enable_theme()


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
        f"Diagramme en barres empilées{COL} nombre de collectivités étudiées par appel DCOL et par niveau de "
        f"collectivité, {fmt_n(int(agg['n'].sum()))} au total."
    ]
    if len(by_call):
        parts.append(f"Missions DCOL{COL} {listing((c, by_call[c]) for c in calls)}.")
    if len(by_other):
        parts.append(f"Hors DCOL{COL} {listing((str(c).replace(chr(10), ' '), n) for c, n in by_other.items())}.")
    parts.append(f"Par niveau{COL} {listing((group_label(g), by_group[g]) for g in groups)}.")
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
        f"Matrice de la typologie{COL} nombre de collectivités par niveau d'ambition politique (de 1, jumelages "
        f"hérités, à 4, diplomatie territoriale) et par niveau de collectivité."
    ]
    for g in groups:
        sub = data[data["niveau"] == group_label(g)]
        top = leaders(zip(sub["ambition"], sub["n"], strict=True), fmt_n)
        mean = float(df.loc[df["group"] == g, "ambition"].mean())
        parts.append(
            f"{group_label(g)} ({fmt_n(int(sizes[g]))}){COL} ambition moyenne {fmt_n(mean, 1)}, le plus souvent {top}."
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
        f"Diagramme en barres groupées{COL} part des collectivités de chaque niveau qui citent chaque {what}{NBSP}; "
        f"un trait noir donne la part pour l'ensemble des {fmt_n(len(base_frame))} collectivités.",
        f"Les plus fréquentes dans l'ensemble{COL} "
        + ", ".join(f"{label(enum(c))} ({fmt_pct(float(overall[c]))})" for c in codes[:3])
        + ".",
    ]
    for g in groups:
        sub = bars_data[bars_data["niveau"] == names[g]]
        if len(sub) and sub["part"].max() > 0:
            parts.append(
                f"{group_label(g)}{COL} d'abord {leaders(zip(sub['ligne'], sub['part'], strict=True), fmt_pct)}."
            )
    subtitle = [f"Trait noir{COL} ensemble des collectivités ({fmt_n(len(base_frame))})"]
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
# maps


def cases_map(frame: pd.DataFrame, data: Path = DATA_DIR) -> FigureSpec:
    """Map of France (régions, overseas in insets) with a point at each authority's seat.

    Points are coloured by tier group and sized by population; their tooltips give the name. Cases
    without a seat (the fictitious comparisons) are left out and counted in the alt text.

    Parameters
    ----------
    frame
        The case frame (uses ``longitude_composite``/``latitude_composite``: the overseas seats are
        moved into the insets).
    data
        The project's data folder: ``geo/regions_composite.geojson`` and ``geo/drom_inset_frames.geojson`` come
        from there if it has them, else from the boundaries packaged with cufstudy
        (:func:`cufstudy.resources.data_path`).

    Returns
    -------
    FigureSpec
        The map, in the ``conicConformal`` projection of ``geo/SOURCE.md`` (≈ Lambert-93).
    """
    require(frame, ["nom", "group", "population", "longitude_composite", "latitude_composite"], "cases_map")
    df = frame[["nom", "group", "population", "longitude_composite", "latitude_composite"]].reset_index(drop=True)
    placed = df.dropna(subset=["longitude_composite", "latitude_composite"])
    groups = groups_present(placed["group"])
    points = pd.DataFrame(
        {
            "lon": placed["longitude_composite"].astype(float).round(4),
            "lat": placed["latitude_composite"].astype(float).round(4),
            "nom": placed["nom"].astype(str),
            "niveau": placed["group"].map(group_label),
            "population": placed["population"].fillna(0).astype(float).round(0),
        }
    ).sort_values("population", ascending=False, kind="stable")
    pop_max = max(float(points["population"].max()) if len(points) else 1.0, 1.0)
    legend_values = [float(v) for v in (10_000, 100_000, 1_000_000, 5_000_000) if v <= pop_max][-3:] or [pop_max]
    regions = alt.Chart(alt.InlineData(values=geo_features(data_path("geo/regions_composite.geojson", data), ["nom"])))
    land = regions.mark_geoshape(fill="#EDEDED", stroke="white", strokeWidth=0.8).encode(
        tooltip=alt.Tooltip("properties.nom:N", title="Région")
    )
    insets = alt.Chart(alt.InlineData(values=geo_features(data_path("geo/drom_inset_frames.geojson", data), ["nom"])))
    boxes = insets.mark_geoshape(filled=False, stroke="#A6A6A6", strokeWidth=0.6)
    dots = (
        alt.Chart(points)
        .mark_circle(opacity=0.85, stroke="white", strokeWidth=0.8)
        .encode(
            longitude="lon:Q",
            latitude="lat:Q",
            color=alt.Color(
                "niveau:N",
                scale=group_scale(groups),
                title="Niveau",
                legend=alt.Legend(columns=2, symbolType="circle"),
            ),
            size=alt.Size(
                "population:Q",
                scale=alt.Scale(domain=[0, pop_max], range=[25, 900]),
                title="Population (habitants)",
                legend=alt.Legend(values=legend_values, format=",d", symbolType="circle", symbolFillColor="#BBBBBB"),
            ),
            order=alt.Order("population:Q", sort="descending"),
            tooltip=tips(("nom:N", "Collectivité"), ("niveau:N", "Niveau"), ("population:Q", "Population", ",d")),
        )
    )
    chart = (
        alt.layer(land, boxes, dots)
        .project(type="conicConformal", parallels=[44, 49], rotate=[-3, 0])
        .properties(width=WIDTH, height=400)
    )
    by_group = placed.groupby("group").size()
    parts = [
        f"Carte de France des régions, les régions d'outre-mer en encarts à l'ouest, avec {fmt_n(len(placed))} "
        f"collectivités placées à leur siège, colorées par niveau, de surface proportionnelle à leur population.",
        f"Par niveau{COL} {listing((group_label(g), by_group[g]) for g in groups)}.",
    ]
    if len(points):
        big = points.iloc[0]
        parts.append(f"La plus peuplée{COL} {big['nom']} ({fmt_n(int(big['population']))} habitants).")
    if missing := len(df) - len(placed):
        parts.append(f"{fmt_n(missing)} collectivités sans siège renseigné ne sont pas représentées.")
    note = [f"Contours{COL} IGN Admin Express COG 2018 (Licence Ouverte){NBSP}; outre-mer en encarts"]
    return finish(chart, "Localisation des collectivités étudiées", " ".join(parts), subtitle=note)


def _partner_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Authorities per partner country (``iso_a2``, ``n``, French ``pays``), most cited first."""
    long = frame[["partner_countries"]].reset_index(drop=True).reset_index(names="case")
    long = long.explode("partner_countries").dropna().drop_duplicates()
    counts = long.groupby("partner_countries").size().rename("n").rename_axis("iso_a2").reset_index()
    counts["pays"] = counts["iso_a2"].map(lambda c: COUNTRIES_FR.get(c, c))
    counts["tri"] = counts["pays"].map(fold)  # French order: "États-Unis" before "Italie"
    counts = counts.sort_values(["n", "tri"], ascending=[False, True], kind="stable")
    return counts.drop(columns="tri").reset_index(drop=True)


def partner_countries_map(frame: pd.DataFrame, data: Path = DATA_DIR) -> FigureSpec:
    """World choropleth: the number of authorities that have partners in each country.

    Small states missing from the 1:110m map (Cabo Verde, Comores, Dominique...) are drawn as circles.

    Parameters
    ----------
    frame
        The case frame (uses ``partner_countries``, ISO 3166-1 alpha-2 codes).
    data
        The project's data folder: ``geo/world_countries_110m.topojson`` and ``geo/world_countries_points.csv``
        come from there if it has them, else from the packaged country data.

    Returns
    -------
    FigureSpec
        The map (Equal Earth projection, without Antarctica), French country names in the tooltips.
    """
    require(frame, ["partner_countries"], "partner_countries_map")
    counts = _partner_counts(frame)
    topo = world_topology(str(data_path("geo/world_countries_110m.topojson", data).resolve()))
    on_map = {g["properties"]["iso_a2"] for g in topo["objects"]["countries"]["geometries"]}
    pts = world_points(str(data_path("geo/world_countries_points.csv", data).resolve()))
    small = pts[(pts["in_110m_map"] != "True") & pts["iso_a2"].isin(set(counts["iso_a2"]) - on_map)]
    small = small.drop_duplicates("iso_a2").merge(counts, on="iso_a2")
    absent = sorted(set(counts["iso_a2"]) - on_map - set(small["iso_a2"]))
    small = small.assign(longitude=small["longitude"].astype(float), latitude=small["latitude"].astype(float))
    n_max = max(int(counts["n"].max()) if len(counts) else 1, 2)
    colour = alt.Color(
        "n:Q",
        scale=alt.Scale(domain=[1, n_max], range=["#9ECAE1", "#08306B"]),
        title="Nombre de collectivités partenaires",
        legend=alt.Legend(format="d", gradientLength=200, tickMinStep=1),
    )
    tooltip = tips(("pays:N", "Pays"), ("n:Q", "Collectivités partenaires", "d"))
    world = alt.InlineData(values=topo, format=alt.TopoDataFormat(type="topojson", feature="countries"))
    base = (
        alt.Chart(world)
        .mark_geoshape(fill="#E6E6E6", stroke="white", strokeWidth=0.4)
        .encode(tooltip=alt.Tooltip("properties.name_fr:N", title="Pays"))
    )
    filled = (
        alt.Chart(world)
        .mark_geoshape(stroke="white", strokeWidth=0.4)
        .transform_lookup(lookup="properties.iso_a2", from_=alt.LookupData(counts, "iso_a2", ["n", "pays"]))
        .transform_filter("isValid(datum.n)")
        .encode(color=colour, tooltip=tooltip)
    )
    layers = [base, filled]
    if len(small):
        circles = alt.Chart(small[["longitude", "latitude", "pays", "n"]]).mark_circle(
            size=40, stroke=INK, strokeWidth=0.6, opacity=1
        )
        layers.append(circles.encode(longitude="longitude:Q", latitude="latitude:Q", color=colour, tooltip=tooltip))
    chart = alt.layer(*layers).project(type="equalEarth").properties(width=WIDTH + 20, height=235)
    parts = [
        f"Carte du monde{COL} nombre de collectivités étudiées ayant des partenaires dans chaque pays, "
        f"{fmt_n(len(counts))} pays au total."
    ]
    if len(counts):
        parts.append(f"Les plus cités{COL} {listing(zip(counts['pays'].head(5), counts['n'].head(5), strict=True))}.")
    if len(small):
        parts.append(f"Petits États représentés par un cercle{COL} {', '.join(sorted(small['pays']))}.")
    if absent:
        parts.append(f"Non cartographiés{COL} {', '.join(COUNTRIES_FR.get(c, c) for c in absent)}.")
    return finish(
        chart,
        "Pays partenaires des collectivités étudiées",
        " ".join(parts),
        subtitle=[f"Fonds de carte{COL} Natural Earth (domaine public)"],
        illustrative=is_illustrative(frame),
    )


def partner_countries_top(frame: pd.DataFrame, top: int = 15) -> FigureSpec:
    """Bars: the partner countries cited by the most authorities, French names, for print.

    The world map makes small European and Caribbean partners hard to see on paper; this chart lists
    them.

    Parameters
    ----------
    frame
        The case frame (uses ``partner_countries``).
    top
        How many countries to show (ties at the cut are left out, and counted in the alt text).

    Returns
    -------
    FigureSpec
        Horizontal bars, most cited first, with the counts written at the end.
    """
    require(frame, ["partner_countries"], "partner_countries_top")
    counts = _partner_counts(frame)
    shown = counts.head(top)
    base = alt.Chart(shown[["pays", "n"]]).encode(
        y=alt.Y("pays:N", sort=list(shown["pays"]), title=None),
        x=alt.X(
            "n:Q", scale=alt.Scale(domainMax=headroom(shown["n"].max())), axis=count_axis("Nombre de collectivités")
        ),
    )
    bars = base.mark_bar(color=AMBITION_RANGE[1]).encode(
        tooltip=tips(("pays:N", "Pays"), ("n:Q", "Collectivités", "d"))
    )
    text = base.mark_text(align="left", dx=3).encode(text="n:Q")
    chart = alt.layer(bars, text).properties(width=WIDTH - 160, height=alt.Step(18))
    parts = [
        f"Diagramme en barres{COL} les {fmt_n(len(shown))} pays partenaires cités par le plus de collectivités "
        f"étudiées, sur {fmt_n(len(counts))} pays{COL} {listing(zip(shown['pays'], shown['n'], strict=True))}."
    ]
    if len(counts) > len(shown):
        parts.append(f"{fmt_n(len(counts) - len(shown))} autres pays sont cités par moins de collectivités ou autant.")
    return finish(
        chart,
        "Pays partenaires les plus cités",
        " ".join(parts),
        subtitle=[with_n("Nombre de collectivités ayant au moins un partenaire dans le pays", len(frame))],
        illustrative=is_illustrative(frame),
    )


# ---------------------------------------------------------------------------------------------------------
# organisation of the international-relations service


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
        f"Diagramme en barres groupées{COL} rattachement du service des relations internationales dans "
        f"l'organigramme de {fmt_n(len(df))} collectivités accompagnées, avant la mission, tel que recommandé, et "
        f"après la mission."
    ]
    for phase_label in phases:
        sub = data[(data["phase"] == phase_label) & (data["n"] > 0)].sort_values("n", ascending=False, kind="stable")
        if len(sub):
            parts.append(f"{phase_label}{COL} {listing(zip(sub['rattachement'], sub['n'], strict=True))}.")
    return finish(
        chart,
        "Rattachement du service des relations internationales",
        " ".join(parts),
        subtitle=[with_n("Missions DCOL ayant recommandé une organisation", len(df))],
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
                scale=alt.Scale(domain=["Changement", "Inchangé"], range=["#1F4E79", "#BDBDBD"]),
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
        f"Graphique de pente{COL} rattachement du service des relations internationales avant la mission (à "
        f"gauche) et {target_text} (à droite) pour {fmt_n(len(df))} collectivités{COL} {fmt_n(changed)} changent de "
        f"rattachement, {fmt_n(len(df) - changed)} le gardent."
    ]
    if len(moved):
        steps = [
            f"de « {attachment_label(b)} » vers « {attachment_label(t)} » ({fmt_n(int(n))})"
            for b, t, n in moved.head(3).itertuples(index=False)
        ]
        parts.append(f"Principaux changements{COL} {f'{NBSP}; '.join(steps)}.")
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
        f"Diagramme en barres groupées{COL} effectif moyen du service des relations internationales, en équivalents "
        f"temps plein, par niveau de collectivité, avant la mission, tel que recommandé et après la mission "
        f"({fmt_n(len(df))} collectivités accompagnées)."
    ]
    for level in dict.fromkeys(data["niveau"]):
        sub = data[data["niveau"] == level]
        means = ", ".join(f"{p.lower()} {fmt_n(e, 1)}" for p, e in zip(sub["phase"], sub["etp"], strict=True))
        parts.append(f"{str(level).replace(chr(10), ' ')}{COL} {means}.")
    return finish(
        chart,
        "Effectifs du service des relations internationales",
        " ".join(parts),
        illustrative=is_illustrative(frame),
    )


# ---------------------------------------------------------------------------------------------------------
# follow-up of the recommendations


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
    require(recs, [by, "status"], "followup_rates")
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
    parts = [f"Barres empilées à 100{NBSP}%{COL} suivi des {fmt_n(total_all)} recommandations des missions par {what}."]
    if total_all:
        shares = ", ".join(f"{status_labels[s].lower()} {fmt_pct(overall[s] / total_all)}" for s in used)
        done = overall["implemented"] + overall["partly"]
        parts.append(
            f"Dans l'ensemble{COL} {shares}{NBSP}; {fmt_pct(done / total_all)} au moins en partie mises en œuvre."
        )
        for key in keys:
            sub = tally[key]
            done = sub["implemented"] + sub["partly"]
            parts.append(f"{name(key)}{COL} {fmt_pct(done / sum(sub.values()))} au moins en partie mises en œuvre.")
    title = "Suivi des recommandations par niveau" if by == "group" else "Suivi des recommandations par type"
    flag = (True if illustrative is None else illustrative) and total_all > 0
    return finish(chart, title, " ".join(parts), illustrative=flag)
