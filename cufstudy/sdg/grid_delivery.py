"""The toolbox's Excel grids as files delivered with it: their names, and their staging and publication by a build.

What a build needs to know about the grids without writing one (the names it expects beside the toolbox, the
files to publish with it) is here, apart from the writing itself (:mod:`cufstudy.sdg.grid_files`, which imports
openpyxl and pandas only when a grid is written): a build that renders nothing loads neither.

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
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Final

from cufstudy.core.atomic import atomic_write_bytes
from cufstudy.core.errors import RenderError
from cufstudy.sdg.partnerships import load_partnership, partnership_file, partnership_ids

if TYPE_CHECKING:
    from cufstudy.sdg.framework import Framework

__all__ = ["BLANK_GRID", "GRID_DELIVERABLE", "GridFiles", "filled_grid_name", "grid_listing", "grid_names"]

GRID_DELIVERABLE: Final = "toolbox"
"""The deliverable (profile) the grids are delivered with."""
BLANK_GRID: Final = "grille-odd-vierge.xlsx"
"""The blank grid, in the output folder."""
_PREFIX: Final = "grille-odd-"


def filled_grid_name(partnership_id: str) -> str:
    """``grille-odd-<id>.xlsx``: the file name of a partnership's filled grid."""
    return f"{_PREFIX}{partnership_id}.xlsx"


def grid_names(data: str | Path) -> list[str]:
    """The file names of every grid delivered with the toolbox: the blank grid, then one per partnership."""
    return [BLANK_GRID, *(filled_grid_name(p) for p in partnership_ids(data))]


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
        # openpyxl and pandas: imported only when grids are written
        from cufstudy.sdg import grid as sheet
        from cufstudy.sdg.competences import load_checked_partnership
        from cufstudy.sdg.framework import load_framework
        from cufstudy.sdg.grid_files import write_filled

        framework = load_framework(self.data)
        partnerships = [load_checked_partnership(self.data, pid, framework) for pid in partnership_ids(self.data)]
        self.work.mkdir(parents=True, exist_ok=True)
        self._folder = Path(tempfile.mkdtemp(prefix=f"grids-{os.getpid()}-", dir=self.work))
        files = [sheet.write_template(self._folder / BLANK_GRID, framework, epoch=self.epoch)]
        for partnership in partnerships:
            target = self._folder / filled_grid_name(partnership.id)
            path = write_filled(target, partnership, framework, epoch=self.epoch)
            back = sheet.import_grid(path, framework)
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
