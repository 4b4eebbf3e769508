"""Charts of the typologies: the expert types from the least to the most ambitious, the MCA factor map."""

from __future__ import annotations

from typing import TYPE_CHECKING

import altair as alt
import pandas as pd

from cufstudy.core.french import COLON, SEMICOLON, format_fr, format_number
from cufstudy.notebook.charts._parts import count_axis, is_illustrative, require, tips
from cufstudy.notebook.charts.figure import FigureSpec, finish
from cufstudy.notebook.charts.theme import BAR_COLOUR, CLUSTER_COLOURS

if TYPE_CHECKING:  # the typology module imports the MCA stack (prince, scipy, scikit-learn)
    from cufstudy.study.typology import DataTypology, Typology

__all__ = ["factor_map", "strategy_types"]


def strategy_types(typology: Typology, classes: pd.DataFrame, illustrative: bool | None = None) -> FigureSpec:
    """Bars: the cases of each expert strategy type, from the least ambitious type (the fallback) to the most.

    Parameters
    ----------
    typology
        The expert typology (:func:`cufstudy.study.typology.load_typology`).
    classes
        The classification of the cases, :func:`cufstudy.study.typology.classify_all` (uses ``type_id``).
    illustrative
        Whether the coding is illustrative (:attr:`CaseBase.is_illustrative
        <cufstudy.model.cases.CaseBase.is_illustrative>`); ``None`` counts as illustrative, a classification
        does not say where its coding comes from.

    Returns
    -------
    FigureSpec
        One numbered bar per type, the count written after it.
    """
    require(classes, ["type_id"], "strategy_types")
    counts = classes["type_id"].value_counts()
    order = sorted(typology.types, key=lambda t: -t.priority)  # the fallback (least ambitious) first
    rows = [(f"{i + 1}. {t.name}", int(counts.get(t.id, 0))) for i, t in enumerate(order)]
    schema = pd.DataFrame(rows, columns=["rang", "cas"])
    bars = (
        alt.Chart(schema)
        .mark_bar(color=BAR_COLOUR, cornerRadiusEnd=3)
        .encode(
            y=alt.Y("rang:N", sort=None, title=None, axis=alt.Axis(labelLimit=320, labelFontSize=12)),
            x=alt.X("cas:Q", axis=count_axis("Nombre de cas", top=int(schema["cas"].max()))),
            tooltip=tips(("rang:N", "Type de stratégie"), ("cas:Q", "Cas", "d")),
        )
    )
    numbers = bars.mark_text(align="left", dx=4, fontWeight="bold", fontSize=12).encode(
        text=alt.Text("cas:Q", format="d")
    )
    chart = (bars + numbers).properties(width=300, height=145)  # with its subtitle, as tall as before it had one
    alt_text = (
        f"Diagramme en barres{COLON} nombre de collectivités (cas) de chaque type de stratégie, du moins "
        f"ambitieux au plus ambitieux{COLON} "
        + f"{SEMICOLON} ".join(f"{name}{COLON} {format_number(n)} cas" for name, n in rows)
    )
    return finish(
        chart,
        "De l'ambition la plus modeste (1) à la plus forte (4)",
        alt_text + ".",
        illustrative=True if illustrative is None else illustrative,
    )


def factor_map(result: DataTypology, frame: pd.DataFrame) -> FigureSpec:
    """Scatter: the cases on the first two axes of the MCA, coloured by their class.

    Parameters
    ----------
    result
        The data typology, :func:`cufstudy.study.typology.mca_hca`.
    frame
        The case frame the typology was computed on (the names in the tooltips, the provenance of the coding).

    Returns
    -------
    FigureSpec
        One point per case; the axes give their share of the inertia with a decimal comma.
    """
    require(frame, ["nom"], "factor_map")
    inertia = result.explained_inertia
    points = result.factor_map().rename(columns={"F1": "axe1", "F2": "axe2"})
    points["classe"] = "Classe " + points["cluster"].astype(str)
    points["nom"] = frame.loc[points["id"], "nom"].to_numpy()
    classes = list(dict.fromkeys(f"Classe {k}" for k in sorted(points["cluster"].unique())))
    colours = [CLUSTER_COLOURS[i % len(CLUSTER_COLOURS)] for i in range(len(classes))]
    axis_titles = [f"Axe {i + 1} ({format_fr(float(inertia.iloc[i]), '%', 1)} de l'inertie)" for i in (0, 1)]
    chart = (
        alt.Chart(points[["axe1", "axe2", "classe", "nom"]])
        .mark_circle(size=80, opacity=0.85)
        .encode(
            x=alt.X("axe1:Q", title=axis_titles[0]),
            y=alt.Y("axe2:Q", title=axis_titles[1]),
            color=alt.Color("classe:N", title="Classe", scale=alt.Scale(domain=classes, range=colours)),
            tooltip=tips(("nom:N", "Collectivité"), ("classe:N", "Classe")),
        )
        .properties(width=440, height=262)  # with its title and subtitle: 300 before it had them
    )
    sizes = points.groupby("classe").size()
    alt_text = (
        f"Nuage de points{COLON} les {format_number(len(points))} collectivités étudiées sur les deux premiers "
        f"axes de l'analyse des correspondances multiples ({axis_titles[0].lower()}, {axis_titles[1].lower()}), "
        f"colorées selon leur classe parmi {format_number(result.n_clusters)}{COLON} "
        + ", ".join(f"{c}{COLON} {format_number(int(sizes[c]))} cas" for c in classes)
        + "."
    )
    return finish(chart, "Plan factoriel de l'ACM", alt_text, illustrative=is_illustrative(frame))
