"""Progress of a batch: a live table on a terminal (rich), else one plain line per run on stderr."""

from __future__ import annotations

import time
from typing import IO, Any, ClassVar

from cufstudy.pipeline.manifest import RunResult
from cufstudy.pipeline.plan import Run

__all__ = ["LiveTable", "PlainLog", "progress_display"]


class PlainLog:
    """Plain progress: one line per run on stderr."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def __enter__(self) -> PlainLog:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def note(self, message: str) -> None:
        print(message, file=self.stream, flush=True)

    def queued(self, run: Run) -> None:
        """A run is waiting for a worker."""
        return None

    def running(self, run: Run) -> None:
        return None

    def finished(self, result: RunResult) -> None:
        self.note(result.describe())


class LiveTable(PlainLog):
    """Rich live table with one line per run: status and duration."""

    _STYLE: ClassVar[dict[str, str]] = {
        "queued": "dim",
        "running": "yellow",
        "ok": "green",
        "skipped": "dim",
        "failed": "bold red",
    }

    def __init__(self, stream: IO[str]) -> None:
        super().__init__(stream)
        from rich.console import Console
        from rich.live import Live

        self.console = Console(file=stream)
        self.rows: dict[str, list[Any]] = {}  # output -> [label, status, started, duration, detail]
        self.live = Live(self, console=self.console, refresh_per_second=4, transient=False)

    def __rich__(self) -> Any:
        from rich.table import Table
        from rich.text import Text

        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column("status", min_width=7)
        table.add_column("time", justify="right")
        table.add_column("run")
        table.add_column("detail", overflow="fold")
        now = time.perf_counter()
        for label, status, started, duration, detail in self.rows.values():
            took = duration if duration is not None else (now - started if started is not None else None)
            shown = "done" if status == "ok" else status
            # Text, not markup: labels and exception messages come from the data and the notebooks.
            table.add_row(
                Text(shown, style=self._STYLE[status]),
                "" if took is None else f"{took:.1f} s",
                Text(label),
                Text(detail),
            )
        return table

    def __enter__(self) -> LiveTable:
        self.live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.stop()

    def note(self, message: str) -> None:
        self.console.print(message, markup=False, highlight=False)

    def queued(self, run: Run) -> None:
        self.rows[run.output] = [run.label, "queued", None, None, ""]

    def running(self, run: Run) -> None:
        self.rows[run.output][1:3] = ["running", time.perf_counter()]

    def finished(self, result: RunResult) -> None:
        detail = result.failure.describe() if result.failure else ""
        duration = None if result.status == "skipped" else result.duration
        self.rows[result.run.output] = [result.run.label, result.status, None, duration, detail]


def progress_display(stream: IO[str], live: bool) -> PlainLog:
    """A :class:`LiveTable` when ``live`` and ``stream`` is a terminal, else a :class:`PlainLog`."""
    return LiveTable(stream) if live and stream.isatty() else PlainLog(stream)
