"""Maps: the authorities of the case base on a map of France, their partner countries on a world map.

The map data ships with cufstudy (``cufstudy/resources/data/geo/``, see its ``SOURCE.md``): IGN Admin Express
régions with the overseas régions moved into insets, Natural Earth countries (1:110m) and points for the small
states the 1:110m map leaves out. A project's own ``data/geo/<file>`` wins over the packaged one
(:func:`cufstudy.resources.data_path`). Files are read once per process.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import altair as alt
import pandas as pd

from cufstudy.core.french import COLON, SEMICOLON, fold, format_number
from cufstudy.model.countries import COUNTRIES_FR
from cufstudy.notebook.charts._parts import (
    count_axis,
    count_legend,
    group_label,
    group_scale,
    groups_present,
    headroom,
    is_illustrative,
    listing,
    nothing_to_draw,
    require,
    tips,
    with_n,
)
from cufstudy.notebook.charts.figure import FigureSpec, finish
from cufstudy.notebook.charts.theme import AMBITION_RANGE, INK, WIDTH
from cufstudy.resources import data_path

__all__ = ["DATA_DIR", "cases_map", "partner_countries_map", "partner_countries_top"]

DATA_DIR: Final = Path("data")
"""The project's data folder, relative to the working directory: its ``geo/`` files win over the packaged ones."""


class SharedData(alt.InlineData):
    """Inline data that Altair's copies share instead of copying: the maps' geometry.

    Altair copies a chart deeply, its data values included, for every layer, ``properties()`` and ``title``:
    1.8 million ``_deep_copy`` calls a build, most of them on the regions' coordinates (panorama's cells 3.8 s
    against 1.7 s shared, under cProfile). The geometry is read once per process (:func:`_read_json`) and never
    changed, so sharing it is safe; the specification written is the same (this is an ``InlineData``). It is
    not validated when it is made (Altair's debug mode converted and validated every coordinate then: 0.2 s a
    map), only with the whole chart's specification, as every chart is when it is displayed.
    """

    _class_is_valid_at_instantiation = False

    def __deepcopy__(self, memo: object) -> SharedData:
        return self


@functools.cache
def _read_json(path: str) -> Any:
    with Path(path).open(encoding="utf-8") as fh:
        return json.load(fh)


def _geo_features(path: Path, keep: Sequence[str]) -> list[dict[str, Any]]:
    """The features of a GeoJSON file, with only the ``keep`` properties."""
    fc = _read_json(str(path.resolve()))
    return [
        {"type": "Feature", "properties": {k: f["properties"].get(k) for k in keep}, "geometry": f["geometry"]}
        for f in fc["features"]
    ]


@functools.cache
def _world_topology(path: str) -> dict[str, Any]:
    """The world TopoJSON with only ``iso_a2`` and ``name_fr``, without Antarctica."""
    topo = _read_json(path)
    geometries = [
        {
            **{k: v for k, v in g.items() if k not in ("properties", "id")},
            "properties": {"iso_a2": g["properties"].get("iso_a2"), "name_fr": g["properties"].get("name_fr")},
        }
        for g in topo["objects"]["countries"]["geometries"]
        if g["properties"].get("iso_a2") != "AQ"
    ]
    return {
        "type": "Topology",
        "transform": topo["transform"],
        "arcs": topo["arcs"],
        "objects": {"countries": {"type": "GeometryCollection", "geometries": geometries}},
    }


@functools.cache
def _world_points(path: str) -> pd.DataFrame:
    # keep_default_na=False: "NA" is Namibia, not a missing value
    return pd.read_csv(path, keep_default_na=False, dtype=str)


def cases_map(
    frame: pd.DataFrame, data: Path = DATA_DIR, title: str = "Localisation des collectivités étudiées"
) -> FigureSpec:
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
        from there if it has them, else from the boundaries packaged with cufstudy.
    title
        The map's title (say which population it shows: ``Les missions DCOL étudiées``).

    Returns
    -------
    FigureSpec
        The map, in the ``conicConformal`` projection of ``geo/SOURCE.md`` (≈ Lambert-93).
    """
    require(frame, ["nom", "group", "population", "longitude_composite", "latitude_composite"], "cases_map")
    df = frame[["nom", "group", "population", "longitude_composite", "latitude_composite"]].reset_index(drop=True)
    placed = df.dropna(subset=["longitude_composite", "latitude_composite"])
    if placed.empty:
        nothing_to_draw(
            "cases_map: no case has a seat", "aucune collectivité n'a de siège codé (seat)", "Carte non tracée"
        )
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
    regions = alt.Chart(SharedData(values=_geo_features(data_path("geo/regions_composite.geojson", data), ["nom"])))
    land = regions.mark_geoshape(fill="#EDEDED", stroke="white", strokeWidth=0.8).encode(
        tooltip=alt.Tooltip("properties.nom:N", title="Région")
    )
    insets = alt.Chart(SharedData(values=_geo_features(data_path("geo/drom_inset_frames.geojson", data), ["nom"])))
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
        f"Carte de France des régions, les régions d'outre-mer en encarts à l'ouest, avec {format_number(len(placed))} "
        f"collectivités placées à leur siège, colorées par niveau, de surface proportionnelle à leur population.",
        f"Par niveau{COLON} {listing((group_label(g), by_group[g]) for g in groups)}.",
    ]
    if len(points):
        big = points.iloc[0]
        parts.append(f"La plus peuplée{COLON} {big['nom']} ({format_number(int(big['population']))} habitants).")
    if missing := len(df) - len(placed):
        parts.append(f"{format_number(missing)} collectivités sans siège renseigné ne sont pas représentées.")
    note = [f"Contours{COLON} IGN Admin Express COG 2018 (Licence Ouverte){SEMICOLON} outre-mer en encarts"]
    return finish(chart, title, " ".join(parts), subtitle=note)


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
    if counts.empty:
        nothing_to_draw(
            "partner_countries_map: no partner country", "aucun pays partenaire n'est encore codé", "Carte non tracée"
        )
    topo = _world_topology(str(data_path("geo/world_countries_110m.topojson", data).resolve()))
    on_map = {g["properties"]["iso_a2"] for g in topo["objects"]["countries"]["geometries"]}
    pts = _world_points(str(data_path("geo/world_countries_points.csv", data).resolve()))
    small = pts[(pts["in_110m_map"] != "True") & pts["iso_a2"].isin(set(counts["iso_a2"]) - on_map)]
    small = small.drop_duplicates("iso_a2").merge(counts, on="iso_a2")
    absent = sorted(set(counts["iso_a2"]) - on_map - set(small["iso_a2"]))
    small = small.assign(longitude=small["longitude"].astype(float), latitude=small["latitude"].astype(float))
    n_max = max(int(counts["n"].max()) if len(counts) else 1, 2)
    colour = alt.Color(
        "n:Q",
        scale=alt.Scale(domain=[1, n_max], range=["#9ECAE1", "#08306B"]),
        title="Nombre de collectivités partenaires",
        legend=count_legend(1, n_max, gradientLength=200),
    )
    tooltip = tips(("pays:N", "Pays"), ("n:Q", "Collectivités partenaires", "d"))
    world = SharedData(values=topo, format=alt.TopoDataFormat(type="topojson", feature="countries"))
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
        f"Carte du monde{COLON} nombre de collectivités étudiées ayant des partenaires dans chaque pays, "
        f"{format_number(len(counts))} pays au total."
    ]
    if len(counts):
        parts.append(f"Les plus cités{COLON} {listing(zip(counts['pays'].head(5), counts['n'].head(5), strict=True))}.")
    if len(small):
        parts.append(f"Petits États représentés par un cercle{COLON} {', '.join(sorted(small['pays']))}.")
    if absent:
        parts.append(f"Non cartographiés{COLON} {', '.join(COUNTRIES_FR.get(c, c) for c in absent)}.")
    return finish(
        chart,
        "Pays partenaires des collectivités étudiées",
        " ".join(parts),
        subtitle=[f"Fonds de carte{COLON} Natural Earth (domaine public)"],
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
    if counts.empty:
        nothing_to_draw("partner_countries_top: no partner country", "aucun pays partenaire n'est encore codé")
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
        f"Diagramme en barres{COLON} les {format_number(len(shown))} pays partenaires cités par le plus de "
        f"collectivités étudiées, sur {format_number(len(counts))} pays{COLON} "
        f"{listing(zip(shown['pays'], shown['n'], strict=True))}."
    ]
    if len(counts) > len(shown):
        parts.append(
            f"{format_number(len(counts) - len(shown))} autres pays sont cités par moins de collectivités ou autant."
        )
    return finish(
        chart,
        "Pays partenaires les plus cités",
        " ".join(parts),
        subtitle=[with_n("Nombre de collectivités ayant au moins un partenaire dans le pays", len(frame))],
        illustrative=is_illustrative(frame),
    )
