"""Pieces the charts share: tier groups and their colours, labels, axes, alt-text phrases, checks, a heatmap.

Private to :mod:`cufstudy.notebook.charts`. French numbers, quotes and spaces come from
:mod:`cufstudy.core.french`, so a chart, its alt text and the prose print a figure the same way.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

import altair as alt
import pandas as pd

from cufstudy.core.errors import InsufficientDataError
from cufstudy.core.french import COLON, NBSP, apostrophes, format_number, quote_fr
from cufstudy.model.vocab import Attachment, TierGroup, label
from cufstudy.notebook.charts.theme import AMBITION_RANGE, CHAR_PX, INK, LINE_PX, PHASE_COLOURS, TIER_COLOURS

PHASES: Final = {"before": "Avant la mission", "recommended": "Recommandé", "after": "Après la mission"}
ALL: Final = "Ensemble"
SPLIT: Final = "split(datum.label, '\\n')"  # labelExpr: one line per "\n"


def groups_present(values: Iterable[str]) -> list[str]:
    """The tier groups present, in the vocabulary's order (commune, EPCI, département, région...)."""
    present = set(values)
    return [g.value for g in TierGroup if g.value in present]


def group_label(group: str) -> str:
    return ALL if group == "_all" else label(TierGroup(group))


def group_scale(groups: Sequence[str], labels: Sequence[str] | None = None) -> alt.Scale:
    """The colour scale of the tier groups: each group its colour of :data:`TIER_COLOURS`, in every chart."""
    return alt.Scale(domain=list(labels or [group_label(g) for g in groups]), range=[TIER_COLOURS[g] for g in groups])


def with_n(text: str, n: int, sep: str = " ") -> str:
    """``Communes (n = 12)``, no-break spaces around the equals sign."""
    return f"{text}{sep}(n{NBSP}={NBSP}{format_number(n)})"


def wrap(text: str, width: int, max_lines: int | None = None) -> str:
    """``text`` on lines of at most ``width`` characters (an axis label), words whole.

    With ``max_lines``, the last line is cut with « … » when the text needs more.
    """
    lines = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [text]
    if max_lines is not None and len(lines) > max_lines:
        last = " ".join(lines[max_lines - 1 :])
        lines = [*lines[: max_lines - 1], last[: width - 1].rstrip() + "…"]
    return "\n".join(lines)


def is_illustrative(frame: pd.DataFrame) -> bool:
    """Any case of the frame has an illustrative coding."""
    return "provenance" in frame.columns and bool((frame["provenance"] == "illustrative").any())


def listing(pairs: Iterable[tuple[str, float]]) -> str:
    """``Communes : 12, EPCI : 3`` for the alt text."""
    return ", ".join(f"{name}{COLON} {format_number(n)}" for name, n in pairs)


def leaders(items: Iterable[tuple[str, float]], fmt: Callable[[float], str]) -> str:
    """The top items of ``(name, value)`` pairs, ties together: ``« A » et « B », à égalité (3)``."""
    pairs = list(items)
    best = max((v for _, v in pairs), default=0.0)
    names = [quote_fr(name) for name, v in pairs if v == best]
    joined = ", ".join(names[:-1]) + f" et {names[-1]}" if len(names) > 1 else names[0]
    return f"{joined}, à égalité ({fmt(best)})" if len(names) > 1 else f"{joined} ({fmt(best)})"


def count_axis(title: str | None, top: float | None = None) -> alt.Axis:
    """An axis of whole counts; with ``top`` (the largest count) up to 10, one tick per whole number.

    Vega's ``tickMinStep`` alone still draws a tick at 0.5 on a 0-1 axis, which ``d`` labels "1" (a study
    with a single case read "0 1 1").
    """
    if top is not None and top <= 10:
        return alt.Axis(title=title, format="d", values=list(range(int(top) + 1)))
    return alt.Axis(title=title, format="d", tickMinStep=1)


def count_legend(low: int, high: int, gradientLength: int) -> alt.Legend:  # noqa: N803 - Vega's name
    """A legend of whole counts from ``low`` to ``high``: one label per whole number when they are few."""
    if high - low <= 8:
        return alt.Legend(format="d", gradientLength=gradientLength, values=list(range(low, high + 1)))
    return alt.Legend(format="d", gradientLength=gradientLength, tickMinStep=1)


def headroom(top: float) -> float:
    """Axis end leaving room for a label written after the longest bar."""
    return float(top) * 1.12 if top else 1.0


def missions(frame: pd.DataFrame) -> pd.DataFrame:
    """The cases with a mission, i.e. a recommended organisation."""
    return frame[frame["attachment_recommended"].notna()].reset_index(drop=True)


def attachment_label(code: str) -> str:
    return label(Attachment(code))


def require(frame: pd.DataFrame, columns: Sequence[str], chart: str, nothing: str = "aucun cas n'est codé") -> None:
    """Fail clearly when a chart gets a frame without the columns it needs, or without rows.

    A frame without rows is too little data, not a mistake: :class:`InsufficientDataError`, whose sentence
    (``Graphique non tracé : <nothing>.``) the notebook shows instead of the chart.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{chart}: the frame lacks the columns {missing}; pass CaseBase.frame or recommendations_frame()"
        )
    if frame.empty:
        nothing_to_draw(f"{chart}: the frame has no rows", nothing)


def nothing_to_draw(message: str, nothing: str, what: str = "Graphique non tracé") -> None:
    """Raise :class:`InsufficientDataError`: the chart has no data; its sentence says so (``what : nothing.``).

    Examples
    --------
    >>> nothing_to_draw("no partner country", "aucun pays partenaire n'est encore codé", "Carte non tracée")
    Traceback (most recent call last):
    ...
    cufstudy.core.errors.InsufficientDataError: no partner country
    """
    raise InsufficientDataError(message, apostrophes(f"{what}{COLON} {nothing}."))


def tips(*fields: tuple[str, str] | tuple[str, str, str]) -> list[alt.Tooltip]:
    """Tooltips from ``(field, French title[, format])`` triples."""
    return [alt.Tooltip(f[0], title=f[1], format=f[2]) if len(f) > 2 else alt.Tooltip(f[0], title=f[1]) for f in fields]


def phase_colour(phases: Sequence[str]) -> alt.Color:
    """Colours of before / recommended / after a mission, in time order."""
    return alt.Color(
        "phase:N",
        sort=list(phases),
        scale=alt.Scale(domain=list(phases), range=list(PHASE_COLOURS.values())),
        title=None,
    )


def label_px(labels: Sequence[str]) -> int:
    """Width of the widest line of axis labels, in pixels (estimated with :data:`~.theme.CHAR_PX`)."""
    return round(CHAR_PX * max((len(line) for text in labels for line in text.split("\n")), default=0))


def label_axis(labels_px: int, **options: Any) -> alt.Axis:
    """A band axis whose labels may hold several lines (split on newlines), centred on their band.

    Vega puts the first line of a label on the band's middle: labels of 2 or 3 lines move up by half
    their extra height (a conditional ``labelOffset``).
    """
    shift = [{"test": f"length(split(datum.label, '\\n')) == {n}", "value": -(n - 1) * LINE_PX / 2} for n in (2, 3)]
    return alt.Axis(
        labelExpr=SPLIT,
        labelLimit=labels_px + 20,
        labelBaseline="middle",
        labelLineHeight=LINE_PX,
        labelOffset={"condition": shift, "value": 0},
        **options,
    )


def heatmap(
    data: pd.DataFrame,
    value: str,
    fmt: str,
    legend_title: str,
    tooltip: list[alt.Tooltip],
    domain_max: float,
    x_step: int = 92,
) -> alt.TopLevelMixin:
    """Heatmap of ``data`` (columns ``colonne``, ``ligne``, ``value``), the value written in each cell."""
    base = alt.Chart(data).encode(
        x=alt.X(
            "colonne:N",
            sort=list(dict.fromkeys(data["colonne"])),
            title=None,
            axis=alt.Axis(labelAngle=0, labelExpr=SPLIT, domain=False, ticks=False, labelPadding=6),
        ),
        y=alt.Y(
            "ligne:N",
            sort=list(dict.fromkeys(data["ligne"])),
            title=None,
            axis=alt.Axis(labelExpr=SPLIT, domain=False, ticks=False),
        ),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=1.5).encode(
        color=alt.Color(
            f"{value}:Q",
            scale=alt.Scale(domain=[0, domain_max], range=AMBITION_RANGE),
            title=legend_title,
            legend=alt.Legend(format=fmt, gradientLength=180, tickMinStep=1),
        ),
        tooltip=tooltip,
    )
    text = base.mark_text().encode(
        text=alt.Text(f"{value}:Q", format=fmt),
        color=alt.condition(f"datum.{value} > {domain_max * 0.55}", alt.value("white"), alt.value(INK)),
    )
    return alt.layer(cells, text).properties(width=alt.Step(x_step), height=alt.Step(40))
