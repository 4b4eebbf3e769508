"""Worksheets that people print and fill in: page setup, protection, and rows tall enough for wrapped text.

Shared by every workbook the project writes for someone else to fill (the SDG grid, the fieldwork capture
forms), so that they print the same way:

* :func:`print_setup`: A4 landscape, fitted to the page width (as many pages tall as needed), centred,
  with a header naming the document and a footer ``Page n sur N``, header rows repeated on every page;
* :func:`protect`: the sheet protected without a password (it prevents accidents, it is not security),
  rows and columns still resizable; the cells to fill are the ones marked with :func:`unlock`;
* :func:`wrapped_height`: the height a row needs to show a wrapped text in a column of a given width.
  Spreadsheets do not grow a row written by a program to fit its text (LibreOffice keeps it one line tall),
  so the writer sets it.
"""

from __future__ import annotations

import math
from typing import Any, Final

from openpyxl.styles import Protection
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["OPEN", "print_setup", "protect", "unlock", "wrapped_height"]

OPEN: Final = Protection(locked=False)
"""The protection of a cell to fill: not locked when the sheet is protected."""

#: Characters of ordinary text per unit of column width at 11 points: a width counts the digits "0" of the
#: default font (Calibri 11), and an average letter of French text in Arial is about as wide (a little less).
_CHARS_PER_WIDTH: Final = 1.0
_LINE_HEIGHT: Final = 1.3  # points per point of font size (Calibri's line spacing is about 1.22)


def print_setup(ws: Worksheet, title: str, *, right: str | None = None, repeat_rows: str | None = None) -> None:
    """A4 landscape, fitted to the page width, with a header (``title``, ``right``) and ``Page n sur N``.

    Parameters
    ----------
    ws
        The sheet.
    title
        Printed at the top left of every page.
    right
        Printed at the top right (``Confidentiel une fois remplie``), if any.
    repeat_rows
        Rows printed at the top of every page (``"1:1"``, the header of a table).
    """
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as the rows need
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.8
    ws.page_margins.header = ws.page_margins.footer = 0.3
    header, footer = ws.oddHeader, ws.oddFooter
    assert header is not None and footer is not None
    header.left.text, header.left.size = title.replace("&", "&&"), 8
    if right:
        header.right.text, header.right.size = right.replace("&", "&&"), 8
    footer.center.text, footer.center.size = "Page &P sur &N", 8
    if repeat_rows:
        ws.print_title_rows = repeat_rows


def protect(ws: Worksheet) -> None:
    """Protect the sheet (no password): only the cells marked with :func:`unlock` can be edited; rows and
    columns can still be resized (a long answer needs a taller row)."""
    ws.protection.sheet = True
    ws.protection.formatRows = False
    ws.protection.formatColumns = False


def unlock(cell: Any) -> None:
    """Mark a cell as one to fill: it stays editable when its sheet is protected."""
    cell.protection = OPEN


def wrapped_height(text: str, width: float, *, size: float = 11, minimum: float = 15) -> float:
    """The height (points) of a row showing ``text`` wrapped in a column ``width`` wide (Excel units).

    Each line of ``text`` takes as many rows as its length needs at ``size`` points (a larger font holds fewer
    characters per line); the estimate errs on the tall side, since a cut text is worse than a blank line.

    Examples
    --------
    >>> wrapped_height("Un texte court", 40)
    16
    >>> wrapped_height("x" * 300, 50) > wrapped_height("x" * 100, 50)
    True
    """
    per_line = max(1.0, width * _CHARS_PER_WIDTH * 11 / size)
    lines = sum(max(1, math.ceil(len(part) / per_line)) for part in str(text).split("\n"))
    return max(minimum, math.ceil(lines * size * _LINE_HEIGHT + 1))
