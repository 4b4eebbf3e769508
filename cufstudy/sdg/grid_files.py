"""The Excel grids delivered with the SDG toolbox: the blank grid and one filled grid per partnership.

:func:`write_filled` writes a partnership into the grid of :mod:`cufstudy.sdg.grid` (the same sheets, columns,
drop-down lists and help as the blank grid), so that a partner can start from the pilot's example, and
``cufstudy sdg import`` reads it back unchanged.

:class:`GridFiles` is what ``cufstudy build`` uses to deliver them with the toolbox, in two steps that follow
the build's order (nothing is published unless everything is good):

1. :meth:`GridFiles.stage`, while the toolbox is checked before publication: every partnership of the data is
   loaded and its attributions checked against the partner country's competences
   (:mod:`cufstudy.sdg.competences`), the blank and filled grids are written into a work folder, and each
   filled grid is imported back and compared with its partnership; any problem raises and nothing is published;
2. ``cufstudy build`` publishes the staged grids in the toolbox's own set (its verifier returns them, with
   :meth:`GridFiles.stale`, the grids of partnerships that no longer exist, to remove), so that a kill leaves
   the toolbox and its grids all old or all new; :meth:`GridFiles.publish` moves them in on their own (each
   atomically), when a build kept the toolbox as it was and a grid was missing beside it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from openpyxl import load_workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

from cufstudy.core.atomic import atomic_path, atomic_write_bytes
from cufstudy.core.errors import DataError, RenderError
from cufstudy.core.worksheet import wrapped_height
from cufstudy.sdg.competences import load_checked_partnership
from cufstudy.sdg.framework import Framework, load_framework
from cufstudy.sdg.grid import (
    FORM,
    INDICATORS,
    LINKS,
    PARTNERSHIP,
    PROJECTS,
    ROADMAP,
    TABLES,
    Column,
    import_grid,
    stamp_workbook,
    write_template,
)
from cufstudy.sdg.partnerships import Partnership, load_partnership, partnership_file, partnership_ids

__all__ = [
    "BLANK_GRID",
    "GRID_DELIVERABLE",
    "GridFiles",
    "filled_grid_name",
    "grid_listing",
    "grid_names",
    "write_filled",
]

GRID_DELIVERABLE: Final = "toolbox"
"""The deliverable (profile) the grids are delivered with."""
BLANK_GRID: Final = "grille-odd-vierge.xlsx"
"""The blank grid, in the output folder."""
_PREFIX: Final = "grille-odd-"
_TEXT_SIZE: Final = 10  # the grid's text (cufstudy.sdg.grid)
_WRAPPED: Final = Alignment(wrap_text=True, vertical="top")
_TOP: Final = Alignment(vertical="top")


def filled_grid_name(partnership_id: str) -> str:
    """``grille-odd-<id>.xlsx``: the file name of a partnership's filled grid."""
    return f"{_PREFIX}{partnership_id}.xlsx"


def grid_names(data: str | Path) -> list[str]:
    """The file names of every grid delivered with the toolbox: the blank grid, then one per partnership."""
    return [BLANK_GRID, *(filled_grid_name(p) for p in partnership_ids(data))]


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
    path: str | Path, partnership: Partnership, framework: Framework, *, overwrite: bool = False,
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
        blank = write_template(Path(tmp) / BLANK_GRID, framework)
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


# ---------------------------------------------------------------------------------------------------------
# delivering the grids with the toolbox


class GridFiles:
    """The toolbox's grids, staged while the build checks the toolbox and published with it.

    Parameters
    ----------
    data
        The data folder (holds ``sdg/``, ``partnerships/`` and ``toolbox/competences.yaml``).
    work
        A folder for the staged files (created; the grids are written in a fresh folder inside it).
    epoch
        The instant the grids are stamped with (the toolbox's date, as its PDF and DOCX): the same inputs give
        the same bytes.
    """

    def __init__(self, data: Path, work: Path, epoch: int | None = None) -> None:
        self.data = data
        self.work = work
        self.epoch = epoch
        self.staged: list[Path] = []
        self._folder: Path | None = None
        self._output: Path | None = None

    def stage(self) -> list[Path]:
        """Write and check every grid into the work folder; returns the staged files.

        Raises
        ------
        DataError
            A partnership is invalid, or credits its partner with a contribution the competences refuse.
        RenderError
            A filled grid does not read back as its partnership (a bug of the grid, never the data's).
        """
        self.discard()
        framework = load_framework(self.data)
        partnerships = [load_checked_partnership(self.data, pid, framework) for pid in partnership_ids(self.data)]
        self.work.mkdir(parents=True, exist_ok=True)
        self._folder = Path(tempfile.mkdtemp(prefix=f"grids-{os.getpid()}-", dir=self.work))
        files = [write_template(self._folder / BLANK_GRID, framework, epoch=self.epoch)]
        for partnership in partnerships:
            target = self._folder / filled_grid_name(partnership.id)
            path = write_filled(target, partnership, framework, epoch=self.epoch)
            back = import_grid(path, framework)
            if back.model_dump() != partnership.model_dump():
                raise RenderError(
                    f"{path.name}: the filled grid does not read back as the partnership {partnership.id!r}; "
                    "nothing was published (report this bug)"
                )
            files.append(path)
        self.staged = files
        return files

    def publish(self, output: Path) -> list[Path]:
        """Move the staged grids into ``output`` (each atomically) and remove the grids of partnerships that no
        longer exist; returns the published files (none when nothing was staged)."""
        if not self.staged:
            return []
        output.mkdir(parents=True, exist_ok=True)
        published = []
        for src in self.staged:
            target = output / src.name
            try:
                src.replace(target)
            except OSError:  # another file system: copy through a temporary file beside the target
                atomic_write_bytes(target, src.read_bytes())
            published.append(target)
        keep = {p.name for p in published}
        for old in output.glob(f"{_PREFIX}*.xlsx"):
            if old.name not in keep:
                with contextlib.suppress(FileNotFoundError):
                    old.unlink()
        self.discard()
        return published

    def stale(self, output: Path) -> list[Path]:
        """The grids in ``output`` that the staged ones do not replace (of partnerships that no longer exist)."""
        keep = {p.name for p in self.staged}
        return sorted(p for p in output.glob(f"{_PREFIX}*.xlsx") if p.name not in keep)

    def check(self, deliverable: str, output: Path, epoch: int | None = None) -> None:
        """The build's check of a deliverable before publication: stage the grids when it is the toolbox.

        Parameters
        ----------
        deliverable
            The deliverable's name (its profile).
        output
            Where the deliverable is published: the grids go beside it.
        epoch
            The deliverable's instant (its configured date), the grids' too; default: the one given at creation.
        """
        if deliverable == GRID_DELIVERABLE:
            if epoch is not None:
                self.epoch = epoch
            self.stage()
            self._output = output

    def deliver(self, published: Iterable[tuple[str, Path]]) -> list[Path]:
        """After the build published its deliverables: publish the staged grids beside the toolbox; when the
        toolbox was kept as it was (unchanged) but a grid is missing from its folder, write the grids again.

        Parameters
        ----------
        published
            (deliverable, file) of every file the build published or kept.
        """
        if self.staged and self._output is not None:
            return self.publish(self._output)
        folders = {path.parent for name, path in published if name == GRID_DELIVERABLE}
        for folder in folders:
            if self.missing(folder):
                self.stage()
                return self.publish(folder)
        return []

    def missing(self, output: Path) -> bool:
        """Whether a grid the data calls for is absent from ``output`` (a build that reuses the toolbox repairs it)."""
        return any(not (output / name).is_file() for name in grid_names(self.data))

    def discard(self) -> None:
        """Remove the staged files (after publication, or when the build fails)."""
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        self._folder = None
        self.staged = []


def grid_listing(data: str | Path, framework: Framework) -> list[tuple[str, str]]:
    """(file name, French description) of every grid delivered with the toolbox, for the toolbox's list."""
    listing = [(BLANK_GRID, "la grille vierge, à remplir par un binôme de collectivités")]
    for pid in partnership_ids(data):
        partnership = load_partnership(partnership_file(data, pid), framework)
        what = f"la grille du partenariat « {partnership.display_title} », remplie"
        if partnership.is_illustrative:
            what += " de valeurs illustratives"
        listing.append((filled_grid_name(pid), what + " : un exemple pour démarrer"))
    return listing
