"""The brochure's visuals: key figures as tiles, the decision tree of the decision aid, a numbered map.

Each is drawn from the data like every chart of the toolkit, so CUF's designer receives them as vector
files (SVG) with the data behind them, and they change when the data changes:

- :func:`key_figures`: the key figures as tiles, a large number above its label;
- :func:`decision_tree`: the decision aid read as a tree, from the question (*which strategy?*) through
  the strategy types, in the typology's order of ambition, to the organisation models the aid recommends
  for each (:class:`cufstudy.study.organisation_models.DecisionAid`), with their score and the tiers a
  model is limited to;
- :func:`numbered_map`: the authorities of the case base as numbered markers, moved apart where seats are
  close (the Paris, Marseille and Pau areas) with a leader line to the true seat, and a key listing the
  numbers with the names; above :data:`NUMBERED_MAX` authorities (the key's room), a dot at each seat,
  coloured by tier.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import altair as alt
import pandas as pd

from cufstudy.core.french import COLON, SEMICOLON, format_number
from cufstudy.core.sentences import join
from cufstudy.model.vocab import TierGroup, label
from cufstudy.notebook.charts._parts import group_label, group_scale, groups_present, require, wrap
from cufstudy.notebook.charts.figure import FigureSpec, finish
from cufstudy.notebook.charts.maps import DATA_DIR, SharedData, _geo_features, _read_json
from cufstudy.notebook.charts.palette import ACCENT, PALE
from cufstudy.notebook.charts.theme import INK, WIDTH
from cufstudy.resources import data_path
from cufstudy.study.organisation_models import DecisionAid

__all__ = ["NUMBERED_MAX", "KeyFigure", "decision_tree", "key_figures", "numbered_map", "spread_markers"]


@dataclass(frozen=True)
class KeyFigure:
    """One key figure: the number as printed (``18``, ``65,8 %``) and its label."""

    value: str
    label: str


def key_figures(
    figures: Sequence[KeyFigure], base: str, columns: int = 4, title: str = "Les missions DCOL en chiffres"
) -> FigureSpec:
    """The key figures as tiles: a large number above its label (wrapped), ``columns`` tiles a row.

    ``base`` is printed under the title (``n = 18 missions DCOL ; appels : programme DCOL``). Keep guillemets
    with their word by no-break spaces in the labels (``«\u00a0stratégie\u00a0»``).
    """
    if not figures:
        raise ValueError("key_figures needs at least one figure")
    rows = []
    for i, f in enumerate(figures):
        rows.append(
            {
                "col": i % columns,
                "row": i // columns,
                "value": f.value,
                "label": wrap(f.label, 22, max_lines=3),
                "full": f.label,
            }
        )
    data = pd.DataFrame(rows)
    n_rows = int(data["row"].max()) + 1
    tile_w, tile_h = WIDTH / columns, 92
    data["x"] = data["col"] * tile_w + 4
    data["x2"] = (data["col"] + 1) * tile_w - 4
    data["y"] = data["row"] * tile_h + 4
    data["y2"] = (data["row"] + 1) * tile_h - 4
    data["cx"] = (data["x"] + data["x2"]) / 2
    data["ty"] = data["y"] + 30
    data["ly"] = data["y"] + 52
    x = alt.X("x:Q", axis=None, scale=alt.Scale(domain=[0, WIDTH]))
    y = alt.Y("y:Q", axis=None, scale=alt.Scale(domain=[0, n_rows * tile_h], reverse=True))
    base_chart = alt.Chart(data)
    # the tooltip is the chart's data (a reader's hover, the designer pack's CSV): the figure and its label
    tooltip = [alt.Tooltip("value:N", title="Chiffre"), alt.Tooltip("full:N", title="Libellé")]
    tiles = base_chart.mark_rect(fill=PALE, stroke=ACCENT, strokeWidth=0.8, cornerRadius=4).encode(
        x=x, x2="x2:Q", y=y, y2="y2:Q", tooltip=tooltip
    )
    values = base_chart.mark_text(fontSize=24, fontWeight="bold", color=ACCENT).encode(
        x=alt.X("cx:Q", axis=None, scale=alt.Scale(domain=[0, WIDTH])),
        y=alt.Y("ty:Q", axis=None, scale=alt.Scale(domain=[0, n_rows * tile_h], reverse=True)),
        text="value:N",
    )
    labels = base_chart.mark_text(fontSize=9, color=INK, lineBreak="\n", baseline="top").encode(
        x=alt.X("cx:Q", axis=None, scale=alt.Scale(domain=[0, WIDTH])),
        y=alt.Y("ly:Q", axis=None, scale=alt.Scale(domain=[0, n_rows * tile_h], reverse=True)),
        text="label:N",
    )
    chart = alt.layer(tiles, values, labels).properties(width=WIDTH, height=n_rows * tile_h).configure_view(stroke=None)
    alt_text = "Chiffres clés : " + " ; ".join(f"{f.value} {f.label}" for f in figures) + f" ({base})."
    return finish(chart, title, alt_text, subtitle=[f"Bases{COLON} {base}"])


def decision_tree(aid: DecisionAid, names: Mapping[str, str], base: str) -> FigureSpec:
    """The decision aid as a tree: the question, the strategy types (in the typology's order), and for each
    the organisation models recommended whatever the tier (score out of the maximum; the tiers a model is
    limited to)."""
    types = list(aid.types)
    if not types:
        raise ValueError("decision_tree needs at least one strategy type")
    answers, plain = [], []
    for t in types:
        answer = aid.answer(t)
        models = []
        for r in answer.best:
            text = f"{r.model.label} ({r.score}/{r.max_score})"
            if r.model.attachment in answer.limits:
                where = join(label(g).lower() for g in answer.limits[r.model.attachment])
                text += f", {where} seulement"
            models.append(text)
        if len(models) > 1:
            models = [wrap(f"• {m}", 40, max_lines=3) for m in models]
        else:
            models = [wrap(m, 40, max_lines=3) for m in models]
        answers.append("\n".join(models) if models else wrap(answer.text(), 40, max_lines=3))
        plain.append(f"{SEMICOLON} ".join(m.replace("\n", " ").removeprefix("• ") for m in models) or answer.text())
    line_h = 11
    heights = [max(52, 16 + line_h * (a.count("\n") + 1)) for a in answers]
    gap = 18
    height = sum(heights) + gap * (len(types) - 1)
    nodes, edges = [], []
    root_y = height / 2
    nodes.append({"x": 0, "x2": 80, "y": root_y - 24, "y2": root_y + 24, "text": "Quel type de\nstratégie ?",
                  "kind": "question", "type": "", "models": ""})  # fmt: skip
    top = 0.0
    for t, answer_text, models_text, h in zip(types, answers, plain, heights, strict=True):
        cy = top + h / 2
        pair = {"type": names.get(t, t), "models": models_text}  # the tooltip of both boxes of a branch
        nodes.append({"x": 100, "x2": 228, "y": cy - 22, "y2": cy + 22, "text": wrap(names.get(t, t), 24, 3),
                      "kind": "type", **pair})  # fmt: skip
        nodes.append({"x": 248, "x2": WIDTH, "y": top, "y2": top + h, "text": answer_text, "kind": "answer", **pair})
        edges.append({"x": 80, "y": root_y, "x2": 100, "y2": cy})
        edges.append({"x": 228, "y": cy, "x2": 248, "y2": cy})
        top += h + gap
    frame = pd.DataFrame(nodes)
    frame["cx"] = (frame["x"] + frame["x2"]) / 2
    lines_of = frame["text"].str.count("\n") + 1
    frame["cy"] = (frame["y"] + frame["y2"]) / 2 - lines_of * line_h / 2 + 1.5
    xs = alt.Scale(domain=[0, WIDTH])
    ys = alt.Scale(domain=[0, height], reverse=True)
    colours = alt.Scale(domain=["question", "type", "answer"], range=[ACCENT, PALE, "#FFFFFF"])
    boxes = alt.Chart(frame).mark_rect(stroke=ACCENT, strokeWidth=0.8, cornerRadius=4).encode(
        x=alt.X("x:Q", axis=None, scale=xs), x2="x2:Q", y=alt.Y("y:Q", axis=None, scale=ys), y2="y2:Q",
        fill=alt.Fill("kind:N", scale=colours, legend=None),
        tooltip=[alt.Tooltip("type:N", title="Type de stratégie"),
                 alt.Tooltip("models:N", title="Modèles les mieux adaptés (score)")],
    )  # fmt: skip
    text_colour = alt.condition(alt.datum.kind == "question", alt.value("#FFFFFF"), alt.value(INK))
    texts = alt.Chart(frame).mark_text(fontSize=8.5, lineBreak="\n", lineHeight=line_h, baseline="top").encode(
        x=alt.X("cx:Q", axis=None, scale=xs), y=alt.Y("cy:Q", axis=None, scale=ys), text="text:N",
        color=text_colour,
    )  # fmt: skip
    lines = alt.Chart(pd.DataFrame(edges)).mark_rule(color=ACCENT, strokeWidth=0.8).encode(
        x=alt.X("x:Q", axis=None, scale=xs), x2="x2:Q", y=alt.Y("y:Q", axis=None, scale=ys), y2="y2:Q"
    )  # fmt: skip
    chart = alt.layer(lines, boxes, texts).properties(width=WIDTH, height=height).configure_view(stroke=None)
    parts = []
    for t in types:
        answer = aid.answer(t)
        parts.append(f"« {names.get(t, t)} » : {answer.text(scores=True)}")
    alt_text = (
        "Arbre de décision de l'aide au choix de l'organisation du service : pour chaque type de stratégie, les "
        f"modèles les mieux adaptés, quel que soit le niveau{COLON} " + f"{SEMICOLON} ".join(parts) + "."
    )
    subtitle = [f"Score : adéquation au type de stratégie, sur le maximum{SEMICOLON} base{COLON} {base}"]
    return finish(chart, "Quel modèle d'organisation pour quelle stratégie ?", alt_text, subtitle=subtitle)


# ---------------------------------------------------------------------------------------------------------
# the numbered map


def _extent(data: Path) -> tuple[float, float, float, float]:
    """The lon/lat extent of the composite map of France (with the overseas insets)."""
    fc = _read_json(str(data_path("geo/regions_composite.geojson", data).resolve()))
    lons: list[float] = []
    lats: list[float] = []

    def walk(coords: object) -> None:
        if isinstance(coords, list) and coords and isinstance(coords[0], int | float):
            lons.append(float(coords[0]))
            lats.append(float(coords[1]))
        elif isinstance(coords, list):
            for c in coords:
                walk(c)

    for f in fc["features"]:
        walk(f["geometry"]["coordinates"])
    return min(lons), max(lons), min(lats), max(lats)


NUMBERED_MAX: Final = 30
"""The most authorities :func:`numbered_map` numbers: its key (one 9-pt line each, beside a 280-px map) holds
no more, and moving markers apart is quadratic in their number. A larger base is drawn as a dot at each seat."""


def spread_markers(
    lon: Sequence[float], lat: Sequence[float], min_distance: float, iterations: int = 300
) -> list[tuple[float, float]]:
    """Marker positions moved apart until no two are closer than ``min_distance`` (in degrees of latitude,
    longitudes scaled by the cosine of the mean latitude, the local shape of a conformal map of France).

    Deterministic: coincident seats are separated along fixed directions. Markers far from the others keep
    their seat.
    """
    if not lon:
        return []
    k = math.cos(math.radians(sum(lat) / len(lat)))
    pts = [[x * k, y] for x, y in zip(lon, lat, strict=True)]
    for _ in range(iterations):
        moved = False
        for i in range(len(pts)):
            for j in range(i + 1, len(pts)):
                dx, dy = pts[j][0] - pts[i][0], pts[j][1] - pts[i][1]
                d = math.hypot(dx, dy)
                if d >= min_distance:
                    continue
                if d < 1e-9:
                    angle = 2 * math.pi * ((i * 7 + j * 13) % 12) / 12
                    dx, dy, d = math.cos(angle), math.sin(angle), 1.0
                push = (min_distance - d) / 2 + 1e-6
                ux, uy = dx / d, dy / d
                pts[i][0] -= ux * push
                pts[i][1] -= uy * push
                pts[j][0] += ux * push
                pts[j][1] += uy * push
                moved = True
        if not moved:
            break
    return [(x / k, y) for x, y in pts]


def numbered_map(
    frame: pd.DataFrame, data: Path = DATA_DIR, title: str = "Les missions DCOL étudiées", base: str = ""
) -> FigureSpec:
    """Map of France with a numbered marker at each authority's seat and a key of the numbers and names.

    Markers are numbered by tier group then name (the key follows that order, coloured by tier); markers
    closer than their size are moved apart, with a thin line to the true seat, so no number hides another.
    Only public facts are shown (name, tier, seat). ``data`` is the project's data folder: its
    ``geo/`` boundaries win over those packaged with cufstudy. Above :data:`NUMBERED_MAX` authorities, a dot
    at each seat, coloured by tier, without numbers or key (:func:`_seats_map`).
    """
    require(frame, ["nom", "group", "longitude_composite", "latitude_composite"], "numbered_map")
    placed = frame.dropna(subset=["longitude_composite", "latitude_composite"]).copy()
    if len(placed) > NUMBERED_MAX:
        return _seats_map(placed, data, title, base)
    order = {g.value: i for i, g in enumerate(TierGroup)}
    placed["rank"] = placed["group"].map(order)
    placed = placed.sort_values(["rank", "nom"], kind="stable").reset_index(drop=True)
    placed["n"] = range(1, len(placed) + 1)
    lon0, lon1, lat0, lat1 = _extent(data)
    map_w, map_h = 260, 280
    k = math.cos(math.radians((lat0 + lat1) / 2))
    degrees_per_px = max((lon1 - lon0) * k / map_w, (lat1 - lat0) / map_h)
    marker_px = 15
    spread = spread_markers(
        placed["longitude_composite"].astype(float).tolist(),
        placed["latitude_composite"].astype(float).tolist(),
        min_distance=marker_px * degrees_per_px,
    )
    placed["mlon"] = [p[0] for p in spread]
    placed["mlat"] = [p[1] for p in spread]
    placed["niveau"] = placed["group"].map(group_label)
    points = placed[["n", "nom", "niveau", "longitude_composite", "latitude_composite", "mlon", "mlat"]].rename(
        columns={"longitude_composite": "lon", "latitude_composite": "lat"}
    )
    points["label"] = points["n"].astype(str)
    groups = groups_present(placed["group"])
    colour = alt.Color("niveau:N", scale=group_scale(groups), title="Niveau", legend=alt.Legend(orient="bottom"))
    land, boxes = _france(data)
    moved = points[(points["lon"] - points["mlon"]).abs() + (points["lat"] - points["mlat"]).abs() > 1e-6]
    leaders = (
        alt.Chart(moved)
        .mark_rule(color="#7F7F7F", strokeWidth=0.6)
        .encode(longitude="lon:Q", latitude="lat:Q", longitude2="mlon:Q", latitude2="mlat:Q")
    )
    seats = alt.Chart(moved).mark_circle(size=6, color="#555555", opacity=1).encode(longitude="lon:Q", latitude="lat:Q")
    tooltip = [
        alt.Tooltip("n:Q", title="N°"),
        alt.Tooltip("nom:N", title="Collectivité"),
        alt.Tooltip("niveau:N", title="Niveau"),
    ]
    markers = (
        alt.Chart(points)
        .mark_circle(size=marker_px**2 * 0.8, opacity=1, stroke="white", strokeWidth=0.8)
        .encode(longitude="mlon:Q", latitude="mlat:Q", color=colour, tooltip=tooltip)
    )
    numbers = (
        alt.Chart(points)
        .mark_text(fontSize=7, fontWeight="bold", color="white")
        .encode(longitude="mlon:Q", latitude="mlat:Q", text="label:N")
    )
    the_map = (
        alt.layer(land, boxes, leaders, seats, markers, numbers)
        .project(type="conicConformal", parallels=[44, 49], rotate=[-3, 0])
        .properties(width=map_w, height=map_h)
    )
    key_rows = points.assign(entry=points["label"] + "  " + points["nom"])
    key = (
        alt.Chart(key_rows)
        .mark_text(align="left", fontSize=9, color=INK)
        .encode(
            y=alt.Y("n:O", axis=None),
            text="entry:N",
            color=alt.Color("niveau:N", scale=group_scale(groups), legend=None),
        )
        .properties(width=WIDTH - map_w - 20, height=map_h)
    )
    chart = alt.hconcat(the_map, key, spacing=10).configure_view(stroke=None)
    alt_text = (
        f"Carte de France, les régions d'outre-mer en encarts, avec {format_number(len(points))} collectivités "
        "numérotées à leur siège (marqueurs écartés quand les sièges sont proches, reliés au siège par un trait) "
        f"et leur liste{COLON} " + f"{SEMICOLON} ".join(f"{r.n} {r.nom}" for r in points.itertuples()) + "."
    )
    return finish(chart, title, alt_text, subtitle=_map_note(base))


def _france(data: Path) -> tuple[alt.Chart, alt.Chart]:
    """The layers under the brochure's maps: the regions, and the frames of the overseas insets."""
    regions = alt.Chart(SharedData(values=_geo_features(data_path("geo/regions_composite.geojson", data), ["nom"])))
    insets = alt.Chart(SharedData(values=_geo_features(data_path("geo/drom_inset_frames.geojson", data), ["nom"])))
    return (
        regions.mark_geoshape(fill="#EDEDED", stroke="white", strokeWidth=0.8),
        insets.mark_geoshape(filled=False, stroke="#A6A6A6", strokeWidth=0.6),
    )


def _map_note(base: str) -> list[str]:
    note = [f"Contours{COLON} IGN Admin Express COG 2018 (Licence Ouverte){SEMICOLON} outre-mer en encarts"]
    return [f"Base{COLON} {base}", *note] if base else note


def _seats_map(placed: pd.DataFrame, data: Path, title: str, base: str) -> FigureSpec:
    """The authorities of a base too large to number: a dot at each seat, coloured by tier, the count by tier
    in the legend's order (the names are in the base, not on a 4-page brochure)."""
    placed = placed.assign(niveau=placed["group"].map(group_label))
    points = placed[["nom", "niveau", "longitude_composite", "latitude_composite"]].rename(
        columns={"longitude_composite": "lon", "latitude_composite": "lat"}
    )
    groups = groups_present(placed["group"])
    colour = alt.Color("niveau:N", scale=group_scale(groups), title="Niveau", legend=alt.Legend(orient="bottom"))
    land, boxes = _france(data)
    tooltip = [alt.Tooltip("nom:N", title="Collectivité"), alt.Tooltip("niveau:N", title="Niveau")]
    dots = (
        alt.Chart(points)
        .mark_circle(size=14, opacity=0.75, stroke="white", strokeWidth=0.3)
        .encode(longitude="lon:Q", latitude="lat:Q", color=colour, tooltip=tooltip)
    )
    chart = (
        alt.layer(land, boxes, dots)
        .project(type="conicConformal", parallels=[44, 49], rotate=[-3, 0])
        .properties(width=WIDTH, height=280)  # the numbered map's height: the brochure keeps its 4 pages
        .configure_view(stroke=None)
    )
    counts = points["niveau"].value_counts()
    by_tier = [f"{g} ({format_number(int(counts[g]))})" for g in (group_label(x) for x in groups) if g in counts]
    alt_text = (
        f"Carte de France, les régions d'outre-mer en encarts, avec un point au siège de chacune des "
        f"{format_number(len(points))} collectivités, coloré selon le niveau{COLON} " + join(by_tier) + "."
    )
    return finish(chart, title, alt_text, subtitle=_map_note(base))
