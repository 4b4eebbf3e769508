"""Progress of a run or a build: one live display on a terminal (rich), else one plain line per step on stderr.

The batch (:mod:`cufstudy.pipeline.runs`) and the publication (:func:`cufstudy.pipeline.publish.render_deliverables`)
report what they do to an *observer*, never print themselves:

* a run is ``queued``, ``running`` and ``finished`` (:meth:`Progress.queued`, :meth:`Progress.running`,
  :meth:`Progress.finished`);
* each file of each deliverable (``guide.html``) goes through the states of :data:`FileState`: ``queued``,
  ``rendering``, ``rendered``, ``checking``, ``checked``, ``published`` (or ``reused`` when its inputs did
  not change, ``failed`` when its rendering or a check failed) (:meth:`Progress.file`).

:class:`Progress` is that interface, and a silent observer; :class:`PlainLog` logs one line per finished step
(``--no-progress``, or when stderr is not a terminal); :class:`LiveTable` shows one line per run and per file,
with their state and duration, under an overall count and the elapsed time. ``cufstudy build`` gives one
display to both stages, so the screen follows the whole build.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import IO, Any, ClassVar, Literal

from cufstudy.pipeline.manifest import RunResult
from cufstudy.pipeline.plan import Run

__all__ = ["FileState", "LiveTable", "PlainLog", "Progress", "progress_display"]

FileState = Literal["queued", "rendering", "rendered", "checking", "checked", "published", "reused", "failed"]
"""Where one file of a deliverable is: rendered, then checked, then published (or reused, or failed)."""

_DONE_FILE: frozenset[str] = frozenset({"published", "reused", "failed"})
"""The states that end a file's progress (what the overall count counts)."""


class Progress:
    """What the batch and the publication report; this base class shows nothing (a silent observer)."""

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def note(self, message: str) -> None:
        """A message for the user (a warning, the lock being waited for)."""
        return None

    def queued(self, run: Run) -> None:
        """A run is waiting for a worker."""
        return None

    def running(self, run: Run) -> None:
        """A run has started."""
        return None

    def finished(self, result: RunResult) -> None:
        """A run is over: executed, skipped (unchanged) or failed."""
        return None

    def file(
        self, deliverable: str, name: str, state: FileState, seconds: float | None = None, detail: str = ""
    ) -> None:
        """One file of a deliverable (``name``: ``guide.html``) reached ``state``; ``seconds`` that step took."""
        return None


class PlainLog(Progress):
    """Plain progress: one line per finished step (a run, a file rendered, checked, published) on ``stream``."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self._lock = threading.Lock()  # files are rendered by several threads at once

    def __enter__(self) -> PlainLog:
        return self

    def note(self, message: str) -> None:
        with self._lock:
            print(message, file=self.stream, flush=True)

    def finished(self, result: RunResult) -> None:
        self.note(result.describe())

    def file(
        self, deliverable: str, name: str, state: FileState, seconds: float | None = None, detail: str = ""
    ) -> None:
        if state in ("queued", "rendering", "checking"):
            return  # a step that starts; its end is logged
        took = f"{seconds:5.1f} s" if seconds is not None else " " * 7
        shown = "up to date" if state == "reused" else state
        self.note(f"{shown:<10} {took}  {name}" + (f"  {detail}" if detail else ""))


@dataclass
class _Row:
    label: str
    status: str
    started: float | None = None
    duration: float | None = None
    detail: str = ""


class LiveTable(PlainLog):
    """Rich live display: one line per run and per file (state and duration), an overall count, the elapsed time."""

    _STYLE: ClassVar[dict[str, str]] = {
        "queued": "dim",
        "running": "yellow",
        "rendering": "yellow",
        "checking": "yellow",
        "rendered": "cyan",
        "checked": "cyan",
        "ok": "green",
        "published": "green",
        "skipped": "dim",
        "reused": "dim",
        "failed": "bold red",
    }
    _SHOWN: ClassVar[dict[str, str]] = {"ok": "done", "reused": "up to date"}

    def __init__(self, stream: IO[str]) -> None:
        super().__init__(stream)
        from rich.console import Console
        from rich.live import Live

        self.console = Console(file=stream)
        self.runs: dict[str, _Row] = {}  # by output
        self.files: dict[str, _Row] = {}  # by file name
        self.started = time.perf_counter()
        self.live = Live(self, console=self.console, refresh_per_second=4, transient=False)

    def __rich__(self) -> Any:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column("status", min_width=10)
        table.add_column("time", justify="right")
        table.add_column("step")
        table.add_column("detail", overflow="fold")
        now = time.perf_counter()
        for row in (*self.runs.values(), *self.files.values()):
            took = row.duration if row.duration is not None else (now - row.started if row.started else None)
            # Text, not markup: labels and exception messages come from the data and the notebooks.
            table.add_row(
                Text(self._SHOWN.get(row.status, row.status), style=self._STYLE.get(row.status, "")),
                "" if took is None else f"{took:.1f} s",
                Text(row.label),
                Text(row.detail),
            )
        return Group(table, Text(self.summary(now), style="bold"))

    def summary(self, now: float | None = None) -> str:
        """``runs 10/11 · files 3/11 · 12.4 s``: what is finished, of what there is, and the elapsed time."""
        elapsed = (now if now is not None else time.perf_counter()) - self.started
        parts = []
        if self.runs:
            done = sum(r.status in ("ok", "skipped", "failed") for r in self.runs.values())
            parts.append(f"runs {done}/{len(self.runs)}")
        if self.files:
            done = sum(r.status in _DONE_FILE for r in self.files.values())
            parts.append(f"files {done}/{len(self.files)}")
        parts.append(f"{elapsed:.1f} s")
        return " · ".join(parts)

    def __enter__(self) -> LiveTable:
        self.live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.stop()

    def note(self, message: str) -> None:
        self.console.print(message, markup=False, highlight=False)

    def queued(self, run: Run) -> None:
        self.runs[run.output] = _Row(run.label, "queued")

    def running(self, run: Run) -> None:
        row = self.runs.setdefault(run.output, _Row(run.label, "queued"))
        row.status, row.started = "running", time.perf_counter()

    def finished(self, result: RunResult) -> None:
        detail = result.failure.describe() if result.failure else ""
        duration = None if result.status == "skipped" else result.duration
        self.runs[result.run.output] = _Row(result.run.label, result.status, None, duration, detail)

    def file(
        self, deliverable: str, name: str, state: FileState, seconds: float | None = None, detail: str = ""
    ) -> None:
        row = self.files.setdefault(name, _Row(name, "queued"))
        now = time.perf_counter()
        if state == "rendering":  # the time shown runs while the file renders, then is what it took
            row.started, row.duration = now, None
        elif state == "rendered":
            row.duration = seconds if seconds is not None else now - (row.started or now)
        elif state == "checked":
            row.duration = (row.duration or 0.0) + (seconds or 0.0)
        elif state == "failed" and row.duration is None and row.started is not None:
            row.duration = now - row.started
        row.status = state
        row.detail = detail


def progress_display(stream: IO[str], live: bool) -> PlainLog:
    """A :class:`LiveTable` when ``live`` and ``stream`` is a terminal, else a :class:`PlainLog`."""
    return LiveTable(stream) if live and stream.isatty() else PlainLog(stream)
