"""Safe reading of Excel workbooks that people filled in: size and zip-bomb limits, values never formulas.

Shared by every workbook the project reads back (the SDG grid, the fieldwork capture forms):

* :func:`open_workbook` refuses other formats with a clear message, files over :data:`MAX_BYTES`, archives
  expanding past :data:`MAX_UNZIPPED` (zip bombs), and damaged files, each as a located
  :class:`~cufstudy.core.errors.DataError`; it warns (:class:`~cufstudy.core.errors.CufstudyWarning`) of a
  workbook holding macros, even renamed ``.xlsx`` (they are never run); it opens the workbook read-only with
  the *stored values* of formula cells (formulas are never evaluated);
* :func:`sheet_rows` iterates a sheet's rows without trusting its stored dimension;
* :func:`fold`, :func:`to_date`, :func:`to_number` and :func:`number_text` convert what people type
  (accents, non-breaking spaces, decimal commas, dates as text) the same way everywhere.
"""

from __future__ import annotations

import datetime as dt
import warnings
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from cufstudy.core.errors import CufstudyWarning, DataError
from cufstudy.core.french import NBSP, NNBSP, fold
from cufstudy.core.problems import Reason

if TYPE_CHECKING:  # openpyxl is imported when a workbook is opened: the text helpers here do not need it
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "BAD",
    "MAX_BYTES",
    "MAX_UNZIPPED",
    "fold",
    "number_text",
    "open_workbook",
    "sheet_rows",
    "to_date",
    "to_number",
]

MAX_BYTES: Final = 20_000_000
MAX_UNZIPPED: Final = 100_000_000
BAD: Final = object()
"""What a conversion returns for a value it cannot convert (the caller reports the problem)."""


def number_text(value: float) -> str:
    """A number typed where text was expected, as the person typed it (``12`` not ``12.0``)."""
    return str(int(value)) if float(value).is_integer() else str(value)


def to_date(value: Any) -> Any:
    """A cell's date (a date, a datetime, or text such as ``31/12/2022``), else :data:`BAD`."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
            try:
                return dt.datetime.strptime(text, pattern).date()
            except ValueError:
                continue
    return BAD


def to_number(value: Any, whole: bool) -> Any:
    """A cell's number (``1 234,5`` as text too); ``whole`` asks for an integer; else :data:`BAD`."""
    if isinstance(value, bool):
        return BAD
    if isinstance(value, str):
        text = value.strip().replace(NBSP, "").replace(NNBSP, "").replace(" ", "").replace(",", ".")
        try:
            value = float(text)
        except ValueError:
            return BAD
    if isinstance(value, int | float):
        if whole:
            return int(value) if float(value).is_integer() else BAD
        return float(value)
    return BAD


def sheet_rows(ws: Worksheet) -> Iterable[tuple[int, tuple[Any, ...]]]:
    """``(row number, values)`` of every row of a sheet, 1-based."""
    reset = getattr(ws, "reset_dimensions", None)
    if reset is not None:  # read-only sheets trust the stored dimension, which some writers get wrong
        reset()
    for n, values in enumerate(ws.iter_rows(values_only=True), start=1):
        yield n, tuple(values)


def open_workbook(file: Path, display: str) -> Workbook:
    """Open a filled ``.xlsx`` workbook safely, read-only, with the stored values of formula cells.

    Parameters
    ----------
    file
        The workbook.
    display
        How to name it in messages.

    Raises
    ------
    DataError
        Not an ``.xlsx`` file (``.xls``, ``.ods``, ``.csv`` are named), unreadable, too big, a zip bomb, damaged.
    """
    suffix = file.suffix.lower()
    if suffix in (".xls", ".ods", ".csv", ".xlsb"):
        message = f"a {suffix} file is not supported: save it as an Excel workbook (.xlsx)"
        raise DataError.single(display, message, reason=Reason.UNSUPPORTED)
    if suffix not in (".xlsx", ".xlsm"):
        raise DataError.single(display, "not an Excel workbook: expected an .xlsx file", reason=Reason.UNREADABLE)
    try:
        size = file.stat().st_size
    except OSError as exc:
        raise DataError.single(display, f"cannot read the file: {exc.strerror}", reason=Reason.UNREADABLE) from exc
    if size > MAX_BYTES:
        raise DataError.single(
            display, f"the file is {size:,} bytes; at most {MAX_BYTES:,} bytes are accepted", reason=Reason.UNREADABLE
        )
    try:
        with zipfile.ZipFile(file) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
            macros = [n for n in archive.namelist() if n.lower().endswith("vbaproject.bin")]
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError.single(
            display, "not a readable .xlsx workbook (corrupt, or not a zip archive)", reason=Reason.UNREADABLE
        ) from exc
    if unzipped > MAX_UNZIPPED:
        message = f"the workbook expands to {unzipped:,} bytes; refused"
        raise DataError.single(display, message, reason=Reason.UNREADABLE)
    if macros or suffix == ".xlsm":
        renamed = " (a macro-enabled workbook renamed .xlsx)" if macros and suffix == ".xlsx" else ""
        warnings.warn(
            f"{display}: the workbook holds macros{renamed}; they are never run, only the values of the cells are "
            "read; save it as an Excel workbook without macros (.xlsx) before passing it on",
            CufstudyWarning,
            stacklevel=2,
        )
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about Excel extensions it drops
            return load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise DataError.single(
            display, f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})", reason=Reason.UNREADABLE
        ) from exc
