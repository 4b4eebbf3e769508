"""The date of a build, so that the same inputs give the same bytes wherever and whenever they are built.

Every timestamp a deliverable carries (Typst's PDF creation date, the dates of a DOCX's ``docProps/core.xml``,
the times of its zip entries) comes from one :class:`SourceDate`, never from the clock by default:

1. ``SOURCE_DATE_EPOCH`` (the convention of reproducible-builds.org, which Pandoc and Typst honour) when it is
   set, for the timestamps; the printed date is its day unless the configuration gives one;
2. else the ``date:`` of the configuration (``_quarto.yml``, a profile or the front matter), at midnight UTC;
3. else a fixed instant (1 January 1980, the earliest time a zip entry can hold) and no printed date.

``date: today`` (or ``now``) asks for the clock explicitly; it is then the day of ``SOURCE_DATE_EPOCH`` when
that is set, so a reproducible rebuild of such a document is still possible.

Examples
--------
>>> sd = source_date("2026-12-01", environ={})
>>> sd.day, sd.epoch
(datetime.date(2026, 12, 1), 1796083200)
>>> source_date(None, environ={"SOURCE_DATE_EPOCH": "1796083200"}).day
datetime.date(2026, 12, 1)
>>> source_date(None, environ={}).day is None
True
"""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cufstudy.core.errors import CufstudyError

__all__ = ["DEFAULT_EPOCH", "SOURCE_DATE_EPOCH", "SourceDate", "source_date", "stamp_zip"]

SOURCE_DATE_EPOCH: Final = "SOURCE_DATE_EPOCH"
"""The environment variable of reproducible builds (seconds since 1970-01-01 UTC)."""
DEFAULT_EPOCH: Final = 315_532_800
"""1980-01-01T00:00:00Z: the timestamp of a build whose configuration gives no date."""
_CLOCK: Final = frozenset({"today", "now"})


@dataclass(frozen=True)
class SourceDate:
    """The date a deliverable prints and the instant its files are stamped with."""

    day: dt.date | None
    """The date printed on the cover and in the document properties (None: no date)."""
    epoch: int
    """Seconds since 1970-01-01 UTC: every timestamp written into the files."""
    text: str | None = None
    """A configured date that is not a calendar date (``"Hiver 2026"``), printed as it is."""

    @property
    def instant(self) -> dt.datetime:
        """:attr:`epoch` as an aware UTC datetime."""
        return dt.datetime.fromtimestamp(self.epoch, dt.UTC)

    def environment(self) -> dict[str, str]:
        """``{"SOURCE_DATE_EPOCH": ...}``, for the Pandoc, Typst and Quarto processes."""
        return {SOURCE_DATE_EPOCH: str(self.epoch)}


def _env_epoch(environ: Mapping[str, str]) -> int | None:
    raw = environ.get(SOURCE_DATE_EPOCH, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise CufstudyError(f"{SOURCE_DATE_EPOCH}={raw!r}: expected a whole number of seconds since 1970-01-01 UTC")
    return int(raw)


def _midnight(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def source_date(configured: object, environ: Mapping[str, str] | None = None) -> SourceDate:
    """The :class:`SourceDate` of a document whose configuration says ``date: configured``.

    Parameters
    ----------
    configured
        The ``date`` of the merged configuration: a date, an ISO date string, ``today``/``now``, free text,
        or None.
    environ
        The environment to read ``SOURCE_DATE_EPOCH`` from (default: the process's).

    Raises
    ------
    CufstudyError
        ``SOURCE_DATE_EPOCH`` is set to something other than a whole number.
    """
    env = os.environ if environ is None else environ
    forced = _env_epoch(env)
    if isinstance(configured, dt.datetime):
        configured = configured.date()
    if isinstance(configured, str):
        text = configured.strip()
        if text in _CLOCK:
            epoch = forced if forced is not None else int(dt.datetime.now(dt.UTC).timestamp())
            return SourceDate(dt.datetime.fromtimestamp(epoch, dt.UTC).date(), epoch)
        try:
            configured = dt.date.fromisoformat(text[:10]) if len(text) >= 10 else None
        except ValueError:
            configured = None
        if configured is None and text:
            return SourceDate(None, forced if forced is not None else DEFAULT_EPOCH, text=text)
    if isinstance(configured, dt.date):
        return SourceDate(configured, forced if forced is not None else _midnight(configured))
    if forced is not None:
        return SourceDate(dt.datetime.fromtimestamp(forced, dt.UTC).date(), forced)
    return SourceDate(None, DEFAULT_EPOCH)


def stamp_zip(path: Path, epoch: int, rewrite: Callable[[str, bytes], bytes] | None = None) -> None:
    """Rewrite the zip at ``path`` (an XLSX, a DOCX) in place, every entry stamped with ``epoch``, in order.

    A zip entry holds its modification time (to the even second, from 1980 on): the writers of Office files
    put the clock there. ``rewrite(name, data)`` may change an entry's bytes (its document properties).
    The file is replaced atomically.
    """
    stamp = dt.datetime.fromtimestamp(max(epoch, DEFAULT_EPOCH), dt.UTC).timetuple()[:6]
    with zipfile.ZipFile(path) as zin:
        items = [(info, zin.read(info.filename)) for info in zin.infolist()]
    tmp = path.with_name(path.name + ".stamp.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
            for info, data in items:
                entry = zipfile.ZipInfo(info.filename, date_time=stamp)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = info.external_attr
                zout.writestr(entry, rewrite(info.filename, data) if rewrite else data)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
