"""The record of the runs: the manifest, ``_build/manifest.json``, and the results a batch returns.

It records, per run (keyed by output path): notebook, parameters, cache key and its parts (see
:mod:`cufstudy.pipeline.cache`), status (``ok``, ``skipped`` = up to date and not re-executed, ``failed``),
duration of the last execution, output path and, for a failure, the cell (0-based index in the source
notebook), execution count, exception name and message, and where the failed notebook was written. It
also caches the digests of the data files by (size, mtime) and the facts each output displayed. The batch
rewrites it atomically after each run completes, so a kill keeps the entries of the finished runs.

A batch returns a :class:`RunReport`, one :class:`RunResult` per run; failed runs do not raise:
:meth:`RunReport.raise_for_failures` raises :class:`~cufstudy.core.errors.RunError` naming them all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from cufstudy.core.atomic import atomic_write_text
from cufstudy.core.errors import RunError
from cufstudy.pipeline.plan import Run, Scalar

__all__ = [
    "Failure",
    "Manifest",
    "ManifestEntry",
    "RunReport",
    "RunResult",
    "Status",
    "load_manifest",
    "now",
    "save_manifest",
]

Status = Literal["ok", "skipped", "failed"]


class Failure(BaseModel):
    """Why a run failed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cell_index: int | None
    """0-based index of the failing cell in the source notebook (None if no cell failed)."""
    execution_count: int | None
    ename: str
    evalue: str
    failed_output: str | None
    """Where the executed notebook with the error was written, relative to the project."""

    def describe(self) -> str:
        """``cell 3 (In [4]): ValueError: z is wrong -> _build/notebooks/x.failed.ipynb``."""
        where = "" if self.cell_index is None else f"cell {self.cell_index}"
        if self.execution_count is not None:
            where += f" (In [{self.execution_count}])"
        text = f"{where}: {self.ename}: {self.evalue}" if where else f"{self.ename}: {self.evalue}"
        if self.failed_output:
            text += f" -> {self.failed_output}"
        return text


class ManifestEntry(BaseModel):
    """What the manifest records about one run."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    notebook: str
    parameters: dict[str, Scalar]
    key: str
    parts: dict[str, str]
    status: Status
    duration: float | None
    output: str
    finished: str | None = None
    failure: Failure | None = None
    facts: list[dict[str, Any]] | None = None
    output_stat: tuple[int, int] | None = None


class Manifest(BaseModel):
    """The content of ``_build/manifest.json``."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    runs: dict[str, ManifestEntry] = {}
    data_files: dict[str, tuple[int, int, str]] = {}


# -- results ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunResult:
    """The outcome of one run in a batch."""

    run: Run
    status: Status
    reason: str
    """Why the run was executed (``new``, ``notebook changed``, ``forced``...) or ``unchanged``."""
    duration: float | None
    failure: Failure | None = None

    def describe(self) -> str:
        """One line: status, duration, run, and the error of a failure."""
        took = "" if self.duration is None or self.status == "skipped" else f"{self.duration:5.1f} s"
        line = f"{self.status:<8}{took:>8}  {self.run.label}"
        if self.status == "skipped":
            return f"{line}  (unchanged)"
        if self.failure is None:
            return f"{line}  ({self.reason})"
        return f"{line}  {self.failure.describe()}"


@dataclass(frozen=True)
class RunReport:
    """The outcome of a batch: one :class:`RunResult` per selected run, in plan order."""

    results: tuple[RunResult, ...]
    manifest: Path
    facts: Path
    warnings: tuple[str, ...] = field(default=())

    def _with(self, status: Status) -> tuple[RunResult, ...]:
        return tuple(r for r in self.results if r.status == status)

    @property
    def executed(self) -> tuple[RunResult, ...]:
        """Runs executed successfully in this batch."""
        return self._with("ok")

    @property
    def skipped(self) -> tuple[RunResult, ...]:
        """Runs skipped because nothing they depend on changed."""
        return self._with("skipped")

    @property
    def failed(self) -> tuple[RunResult, ...]:
        return self._with("failed")

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        """``N runs: X executed, Y skipped (unchanged), Z failed``, or ``nothing to do: ...``."""
        n = len(self.results)
        if len(self.skipped) == n:
            return "nothing to do: the run is up to date" if n == 1 else f"nothing to do: all {n} runs are up to date"
        return (
            f"{n} run{'s' * (n != 1)}: {len(self.executed)} executed, {len(self.skipped)} skipped (unchanged), "
            f"{len(self.failed)} failed"
        )

    def raise_for_failures(self) -> None:
        """Raise :class:`~cufstudy.core.errors.RunError` naming every failed run, if any."""
        if not self.failed:
            return
        lines = []
        for r in self.failed:
            params = ", ".join(f"{k}={v!r}" for k, v in r.run.parameters.items()) or "no parameters"
            assert r.failure is not None
            lines.append(f"{r.run.notebook} ({params}): {r.failure.describe()}")
        n = len(lines)
        head = f"{n} of {len(self.results)} run{'s' * (len(self.results) != 1)} failed"
        raise RunError("\n  ".join([f"{head} (details in {self.manifest}):", *lines]), failures=lines)


# -- reading and writing ---------------------------------------------------------------------------
def load_manifest(path: Path, note: Callable[[str], None]) -> tuple[Manifest, str]:
    """The manifest at ``path`` and its text as read (an empty manifest when absent or unreadable)."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Manifest(), ""
    try:
        return Manifest.model_validate_json(raw), raw
    except ValidationError:
        note(f"warning: {path} is not a manifest of this cufstudy version; every run will execute")
        return Manifest(), raw


def save_manifest(path: Path, manifest: Manifest, previous: str) -> str:
    """Write ``manifest`` atomically unless its text is ``previous``; return its text."""
    text = manifest.model_dump_json(indent=1) + "\n"
    if text != previous:
        atomic_write_text(path, text)
    return text


def now() -> str:
    """The current UTC time, as the manifest records it."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
