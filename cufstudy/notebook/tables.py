"""Tables for the deliverables: pandas DataFrames out as Markdown pipe tables, formatted in French.

Notebooks show tables with :func:`show_table`, which emits ``text/markdown`` (what the renderers embed,
so every format, HTML, Typst and DOCX, gets a real table) instead of pandas' raw HTML. Free text in
cells is escaped (:func:`cufstudy.core.french.escape_md`), so a case file holding ``<script>``, ``# titre`` or
``{{< shortcode >}}`` prints as literal text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pandas as pd

from cufstudy.core.atomic import atomic_write_bytes
from cufstudy.core.french import COLON, escape_md, format_fr
from cufstudy.notebook._root import notebook_root
from cufstudy.notebook.enough import say

__all__ = ["LISTING_ROWS", "Markdown", "Table", "markdown_table", "show_table", "write_csv"]

#: rows shown of a listing with one row per case (:func:`show_table`'s ``max_rows`` in the notebooks)
LISTING_ROWS = 200


@dataclass(frozen=True)
class Markdown:
    """A cell that is Markdown already, printed as is (not escaped): text the notebook escaped and marked up.

    For citations the renderer resolves: ``Markdown(escape_md(point) + " [@cuf2019]")``. Free text from the
    data goes through :func:`~cufstudy.core.french.escape_md` first, so only the notebook's own markup
    stays live.
    """

    text: str

    def __str__(self) -> str:
        return self.text


def _cell(value: Any, decimals: int | None, unit: str | None) -> str:
    if isinstance(value, Markdown):
        return re.sub(r"[ \t\r\n]+", " ", value.text).strip()  # one line: a table row (no-break spaces kept)
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, bool | int | float):
        return escape_md(format_fr(value, unit, decimals))
    if isinstance(value, list | tuple):
        return escape_md(", ".join(map(str, value)))
    return escape_md(str(value))


@dataclass(frozen=True)
class Table:
    """A table ready for the deliverables: the Markdown text and its plain-text twin."""

    markdown: str
    plain: str

    def _repr_markdown_(self) -> str:
        return self.markdown


_PANDOC_COLUMNS: Final = 72
"""Pandoc's line width: a pipe table with a longer line fills the text width, its columns as wide as the
dashes of its rule line say (relative to each other: the widths of every format, the PDF's too, see the
extension's layout filter); a shorter table keeps its content's widths."""
_LINE: Final = 72
"""About the characters of a table's text across the text width (the narrowest of the formats: DOCX): a
column's longest word, in this share of the width, fits its column unbroken."""
_CITATION: Final = re.compile(r"\[[^\]]*@[^\]]*\]")
_SHORT: Final = 0.12  # a column whose longest cell takes at most this share of the width keeps it on one line
_SCALE: Final = 100  # the dashes of a wide table's rule: its columns' shares of the text width, in per cent


def _widths(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[int]:
    """Relative widths of a wide table's columns (the dashes of its rule, summing to about :data:`_SCALE`).

    Each column's share of the text width follows its mean text length, so that its cells wrap to about as
    many lines as the cells beside them (a column of long explanations gets most of the width, a column of
    short codes little), within two bounds, as shares of the text width (:data:`_LINE` characters): at least
    its longest word, header included (table cells are not hyphenated: a word wider than its column breaks
    inside, « Missio/ns », or runs over the next one), and at most its longest cell on one line; a column
    of short values (codes, numbers) keeps them on one line. A column held at a bound keeps it; the others
    share the rest in proportion to their text."""
    weights: list[float] = []
    floors: list[float] = []
    ceilings: list[float] = []
    for c, header in enumerate(headers):
        # a citation prints as « (Auteur, 2021) », not as its key
        texts = [_CITATION.sub("(Source, 2020)", row[c]) for row in rows] or [""]
        words = [len(w) for text in (header, *texts) for w in text.replace("\u00ad", " ").split(" ")] or [3]
        weights.append(max(3.0, sum(len(t) for t in texts) / len(texts)))
        floors.append((1.15 * max(words) + 2) / _LINE)  # a bold header word, and the cell's margins
        ceilings.append(max(floors[-1], (max(len(t) for t in (header, *texts)) + 2) / _LINE))
    if sum(floors) >= 1:
        shares = [f / sum(floors) for f in floors]
    else:
        # a column of short values (a code, a number, « Hors DCOL ») keeps them on one line
        held = {c: ceilings[c] for c in range(len(weights)) if ceilings[c] <= _SHORT}
        while True:
            room = 1 - sum(held.values())
            free = sum(w for c, w in enumerate(weights) if c not in held)
            shares = [held[c] if c in held else w / free * room for c, w in enumerate(weights)]
            low = {c: floors[c] for c, share in enumerate(shares) if c not in held and share < floors[c]}
            high = {c: ceilings[c] for c, share in enumerate(shares) if c not in held and share > ceilings[c]}
            if (not low and not high) or len(held) + len(low or high) == len(weights):
                break
            held.update(low or high)  # the columns under their floor first: what they take, the others lose
    return [max(3, round(share * _SCALE)) for share in shares]


def _rule(side: str, dashes: int) -> str:
    """The rule of a column (``:---``, ``---:``, ``:---:``) with ``dashes`` dashes."""
    line = "-" * dashes
    return {"left": ":" + line, "right": line + ":", "center": ":" + line + ":"}[side]


def markdown_table(
    frame: pd.DataFrame,
    *,
    decimals: Mapping[str, int] | None = None,
    units: Mapping[str, str] | None = None,
    align: Mapping[str, str] | None = None,
    index: bool = False,
) -> str:
    """Render a DataFrame as a pandoc pipe table with French number formats.

    Parameters
    ----------
    frame
        The table; column names are the French headers.
    decimals
        Digits after the decimal comma, per column (default: 0 for integers, 1 for floats).
    units
        Unit per column (``"%"``, ``"ETP"``), printed after each value.
    align
        ``"left"``, ``"right"`` or ``"center"`` per column; numbers default to right.
    index
        Include the index as the first column.
    """
    data = frame.reset_index() if index else frame
    decimals = decimals or {}
    units = units or {}
    align = align or {}
    headers = [escape_md(str(c)) for c in data.columns]
    sides = [
        align.get(str(col)) or ("right" if pd.api.types.is_numeric_dtype(data[col]) else "left") for col in data.columns
    ]
    rows = [
        [_cell(v, decimals.get(str(col)), units.get(str(col))) for col, v in zip(data.columns, row, strict=True)]
        for row in data.itertuples(index=False, name=None)
    ]
    dashes = [3] * len(headers)
    if any(len("| " + " | ".join(line) + " |") > _PANDOC_COLUMNS for line in (headers, *rows)):
        dashes = _widths(headers, rows)  # a wide table: pandoc sizes its columns by these dashes
    rules = [_rule(side, n) for side, n in zip(sides, dashes, strict=True)]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(rules) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def show_table(
    frame: pd.DataFrame,
    *,
    max_rows: int | None = None,
    full_copy: str | Path | None = None,
    note: str | None = None,
    base: str | None = None,
    empty: str | None = None,
    **kwargs: Any,
) -> None:
    """Display a table in a notebook as Markdown (what the renderers embed), once.

    Keyword arguments go to :func:`markdown_table`. Returns nothing, so the cell shows the table once.

    Parameters
    ----------
    frame
        The table.
    max_rows
        Listings of one row per case grow with the case base: above ``max_rows`` rows only the first
        ``max_rows`` are shown, followed by a note giving the total (a 5,000-case listing would fill
        a hundred pages).
    full_copy
        Where to write the whole table as CSV (``;``-separated, UTF-8 with BOM: what a French spreadsheet
        opens) when it is cut; relative paths are from the project root. The note names the file.
    note
        A line printed under the table (free text, escaped), e.g. what an asterisk in the cells means.
    base
        What the table is computed on (``study.dcol.base_text``: ``n = 18 missions DCOL``), printed under
        it as ``Base : ...`` and kept in the output's metadata (``cufstudy.base``).
    empty
        The French sentence shown instead of a table without rows (a study that starts with few cases:
        ``"Aucun obstacle n’est encore cité."``); without it, an empty table is shown with its headers.
    """
    if empty is not None and frame.empty:
        say(empty)
        return
    shown, cut = frame, ""
    if max_rows is not None and len(frame) > max_rows:
        shown = frame.head(max_rows)
        cut = f"*Tableau limité aux {format_fr(max_rows)} premières lignes sur {format_fr(len(frame))}"
        if full_copy is not None:
            path = write_csv(frame, full_copy)
            root = notebook_root()
            shown_path = path.relative_to(root) if path.is_relative_to(root) else path
            cut += f" ; tableau complet : {escape_md(shown_path.as_posix())}"
        cut += ".*"
    markdown = markdown_table(shown, **kwargs)
    # the plain twin shows what the table shows: not the frame's index (often case ids) unless it is a column
    plain = shown.to_string(index=bool(kwargs.get("index", False)))
    if base:
        markdown += f"\n*Base{COLON} {escape_md(base)}.*\n"
        plain += f"\nBase : {base}."
    if note:
        markdown += f"\n{escape_md(note)}\n"
        plain += f"\n{note}"
    if cut:
        markdown += f"\n\n{cut}\n"
        plain += f"\n{cut.strip('*')}"
    table = Table(markdown, plain)
    try:
        import IPython.display
    except ImportError:  # pragma: no cover
        return
    show: Any = IPython.display.display
    bundle = {"text/markdown": table.markdown, "text/plain": table.plain}
    if base:  # the base in the output's metadata too, for the checks of the executed notebooks
        show(bundle, metadata={"cufstudy": {"base": base}}, raw=True)
    else:
        show(bundle, raw=True)


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as a CSV a French spreadsheet opens as is (``;``, decimal comma, UTF-8 with BOM).

    Relative paths are from the project root; the file is written atomically. Returns the path.
    """
    target = Path(path) if Path(path).is_absolute() else notebook_root() / path
    text = frame.to_csv(sep=";", decimal=",", index=False)
    atomic_write_bytes(target, text.encode("utf-8-sig"))
    return target
