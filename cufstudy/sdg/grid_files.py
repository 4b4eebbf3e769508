"""The Excel grids delivered with the SDG toolbox: the blank grid and one filled grid per partnership.

:func:`write_filled` writes a partnership into the grid of :mod:`cufstudy.sdg.grid` (the same sheets, columns,
drop-down lists and help as the blank grid), so that a partner can start from the pilot's example, and
``cufstudy sdg import`` reads it back unchanged.

Which grids a build delivers, and how they are staged and published with the toolbox, is
:mod:`cufstudy.sdg.grid_delivery`.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from openpyxl import load_workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

from cufstudy.core.atomic import atomic_path
from cufstudy.core.errors import DataError
from cufstudy.core.worksheet import wrapped_height
from cufstudy.sdg.framework import Framework
from cufstudy.sdg.grid import (
    FORM,
    INDICATORS,
    LINKS,
    PARTNERSHIP,
    PROJECTS,
    ROADMAP,
    TABLES,
    Column,
    stamp_workbook,
    write_template,
)
from cufstudy.sdg.partnerships import Partnership

__all__ = ["write_filled"]

_TEXT_SIZE: Final = 10  # the grid's text (cufstudy.sdg.grid)
_WRAPPED: Final = Alignment(wrap_text=True, vertical="top")
_TOP: Final = Alignment(vertical="top")


# ---------------------------------------------------------------------------------------------------------
# writing a partnership into the grid


def _value(data: Mapping[str, Any], key: str) -> Any:
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _cell(column: Column, value: Any) -> Any:
    """The value to write in a cell for the model's ``value`` (the French label of a coded choice)."""
    if value is None:
        return None
    if column.kind == "choice" and column.choices is not None:
        labels = {code: label for label, code in column.choices.items()}
        return labels.get(str(getattr(value, "value", value)), str(value))
    if column.kind == "list":
        return " ; ".join(str(v) for v in value) or None
    if column.kind == "level":
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return getattr(value, "value", value) if not isinstance(value, dt.date | int | float | str) else value


def _rows(partnership: Partnership) -> dict[str, list[dict[str, Any]]]:
    """The rows of each table sheet, as model data keyed like the columns."""
    data = partnership.model_dump()
    links = [
        {**link, "project": project["id"], "goal": int(str(link["target"]).split(".")[0])}
        for project in data["projects"]
        for link in project["links"]
    ]
    return {sheet: (links if sheet == LINKS else data[key]) for sheet, key in _SHEET_KEYS.items()}


_SHEET_KEYS: Final = {PROJECTS: "projects", LINKS: "links", INDICATORS: "indicators", ROADMAP: "roadmap"}


def _computed(column: Column, row: Mapping[str, Any], framework: Framework) -> str:
    """What a formula column shows once the spreadsheet computes it (the UN title of the row's code)."""
    code = row.get("target") if column.formula and "table_cibles" in column.formula else row.get("code")
    return framework.get(code).title_fr if isinstance(code, str) and code in framework else ""


def _fit_row(ws: Any, r: int, shown: Iterable[tuple[Column, str]]) -> None:
    """Wrap the row's long texts in their columns and make the row as tall as the tallest of them.

    The blank grid's rows are one line tall (a spreadsheet grows a row as one types, never for a file it opens);
    a filled grid is printed as it comes, so a text wider than its column would be cut at the cell's edge or,
    wrapped in a one-line row, overlap the next one.
    """
    shown = list(shown)
    long = [len(text) > column.width for column, text in shown]  # wider than its column: wrapped
    if not any(long):
        return  # one line: as the template laid it out
    for c, wrap in enumerate(long, start=1):
        cell = ws.cell(r, c)  # every cell of a taller row reads from the top, next to the wrapped ones
        cell.alignment = _WRAPPED if wrap else _TOP
    ws.row_dimensions[r].height = max(
        wrapped_height(text, column.width, size=_TEXT_SIZE) for column, text in shown if len(text) > column.width
    )


def write_filled(
    path: str | Path,
    partnership: Partnership,
    framework: Framework,
    *,
    overwrite: bool = False,
    epoch: int | None = None,
) -> Path:
    """Write a partnership into the Excel grid: the blank grid's sheets, lists and help, filled in.

    Parameters
    ----------
    path
        The ``.xlsx`` file to write (atomically).
    partnership
        The partnership (e.g. :func:`cufstudy.sdg.partnerships.load_partnership`).
    framework
        The SDG framework that feeds the drop-down lists.
    overwrite
        Replace an existing file.
    epoch
        The instant its document properties and zip entries are stamped with
        (:func:`cufstudy.sdg.grid.stamp_workbook`; default ``SOURCE_DATE_EPOCH``, else a fixed instant).

    Raises
    ------
    DataError
        If the name does not end in ``.xlsx`` or the file exists and ``overwrite`` is false.
    """
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise DataError.single(str(path), "the grid must be an .xlsx file")
    if target.exists() and not overwrite:
        raise DataError.single(str(path), "the file exists; choose another name or overwrite it (--force)")
    with tempfile.TemporaryDirectory(prefix="cufstudy-grid-") as tmp:
        blank = write_template(Path(tmp) / "grille-vierge.xlsx", framework)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about the data validations it reads back
            wb = load_workbook(blank)
    data = partnership.model_dump()
    form = wb[PARTNERSHIP]
    for r, column in enumerate(FORM, start=2):
        assert column.key is not None
        form.cell(r, 2, _cell(column, _value(data, column.key)))
    for sheet, rows in _rows(partnership).items():
        ws = wb[sheet]
        for r, row in enumerate(rows, start=2):
            shown: list[tuple[Column, str]] = []  # the text each cell of the row shows, to size the row
            for c, column in enumerate(TABLES[sheet], start=1):
                if column.key is None:
                    if column.formula and ws.cell(r, c).value is None:  # beyond the rows the template prepared
                        ws.cell(r, c, column.formula.format(row=r))
                    shown.append((column, _computed(column, row, framework)))
                    continue
                value = _cell(column, _value(row, column.key))
                ws.cell(r, c, value)
                shown.append((column, "" if value is None else str(value)))
            _fit_row(ws, r, shown)
        if rows:  # printed, a filled grid shows its rows, not the pages of empty ones prepared for more
            ws.print_area = f"A1:{get_column_letter(len(TABLES[sheet]))}{len(rows) + 1}"
    wb.properties.title = f"Grille de contribution aux ODD : {partnership.display_title}"
    with atomic_path(target) as tmp_path:
        wb.save(tmp_path)
        stamp_workbook(Path(tmp_path), epoch)
    return target
