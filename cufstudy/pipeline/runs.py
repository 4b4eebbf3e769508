"""Batch execution of the run plan with Papermill: cache, manifest, parallel workers, merged facts.

:func:`run` (``cufstudy run``) executes every run of the plan (see :mod:`cufstudy.pipeline.plan`) into
``_build/notebooks/``; the source notebooks are only read.

Cache
    Each run has a key, the SHA-256 of: the notebook without its outputs, execution counts and
    save-time metadata (cell types, sources and tags only); the run's parameters (canonical JSON);
    every file of the data folder (sorted relative path and content hash, hidden files skipped), or
    only the files under the run's declared ``inputs`` (see :mod:`cufstudy.pipeline.plan`) and the list of
    those inputs; the cufstudy version; and the source of the ``cufstudy`` package itself (its
    ``.py`` files), so that an edit of the library re-runs everything. A run whose key is unchanged,
    whose last status is ok and whose output exists is skipped; ``force=True`` re-runs it. Data file
    digests are computed once per batch for the whole data folder and cached in the manifest by
    (size, mtime) to keep a no-op re-run fast.

Manifest
    ``_build/manifest.json`` records, per run (keyed by output path): notebook, parameters, key
    and its parts, status (``ok``, ``skipped`` = up to date and not re-executed, ``failed``),
    duration of the last execution, output path and, for a failure, the cell (0-based index in
    the source notebook), execution count, exception name and message, and where the failed
    notebook was written. It is rewritten atomically after each run completes, so a kill keeps
    the entries of the finished runs.

Failure
    A failing run's executed notebook (with Papermill's error banner) goes to
    ``<output stem>.failed.ipynb``; the last good output is kept as it was; the other runs still
    complete. :func:`run` returns a :class:`RunReport`; :meth:`RunReport.raise_for_failures`
    raises :class:`~cufstudy.core.errors.RunError` (the CLI calls it and exits 1). Papermill writes to
    a hidden ``.<name>.*.partial.ipynb`` beside the output, renamed when complete; leftovers of a
    killed batch are removed by the next one.

Facts
    After the batch, the facts shown in the outputs of every up-to-date run (executed or skipped)
    are merged into ``_build/facts.json``, which is rewritten from them (facts recorded with
    ``display=False`` are not in the outputs and so are dropped). The same key with two different
    values in two runs is a :class:`~cufstudy.core.errors.FactError` naming both runs.

Lock
    ``_build/.lock`` (``fcntl.flock``) serialises ``cufstudy run`` and builds of one project. While
    held, ``$CUFSTUDY_LOCK_HELD`` names it, so a nested ``cufstudy run`` in a child process (Quarto's
    pre-render inside a build) does not wait for its parent.

Quarto
    Declare the batch as the project's pre-render step, so that ``quarto render`` executes the
    changed notebooks first::

        project:
          pre-render: cufstudy run
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from cufstudy.core.atomic import atomic_write_text
from cufstudy.core.digest import library_digest
from cufstudy.core.errors import FactError, LockError, RunError
from cufstudy.notebook.facts import Fact, FactStore, facts_from_notebook
from cufstudy.pipeline.plan import Plan, Resolver, Run, Scalar, load_plan

__all__ = [
    "FACTS",
    "KERNEL",
    "LOCK",
    "MANIFEST",
    "Failure",
    "Manifest",
    "ManifestEntry",
    "RunReport",
    "RunResult",
    "cache_parts",
    "execute_notebook_run",
    "merge_facts",
    "project_lock",
    "run",
]

MANIFEST = "_build/manifest.json"
LOCK = "_build/.lock"
FACTS = "_build/facts.json"
KERNEL = "python3"
PARTIAL_SUFFIX = ".partial.ipynb"
LOCK_ENV = "CUFSTUDY_LOCK_HELD"
_RACY_NS = 2_000_000_000  # data files modified less than 2 s before hashing are not cached
_ERROR_TAG = "papermill-error-cell-tag"
_INJECTED_TAG = "injected-parameters"

Status = Literal["ok", "skipped", "failed"]


# -- manifest ---------------------------------------------------------------------------------------
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
        return f"{line}  {_failure_text(self.failure)}"


def _failure_text(failure: Failure) -> str:
    where = "" if failure.cell_index is None else f"cell {failure.cell_index}"
    if failure.execution_count is not None:
        where += f" (In [{failure.execution_count}])"
    text = f"{where}: {failure.ename}: {failure.evalue}" if where else f"{failure.ename}: {failure.evalue}"
    if failure.failed_output:
        text += f" -> {failure.failed_output}"
    return text


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
            lines.append(f"{r.run.notebook} ({params}): {_failure_text(r.failure)}")
        n = len(lines)
        head = f"{n} of {len(self.results)} run{'s' * (len(self.results) != 1)} failed"
        raise RunError("\n  ".join([f"{head} (details in {self.manifest}):", *lines]), failures=lines)


# -- the work unit ----------------------------------------------------------------------------------
def execute_notebook_run(
    notebook: str,
    output: str,
    failed_output: str,
    parameters: dict[str, Any],
    cwd: str,
    kernel_name: str = KERNEL,
    transport: str = "ipc",
) -> dict[str, Any]:
    """Execute one notebook with Papermill: the work unit submitted to the executor.

    A top-level function of plain arguments, so that a process pool or a cluster executor can
    pickle it; the paths must be absolute and reachable from the worker. The kernel starts in
    ``cwd`` (passed to nbclient, not via :func:`os.chdir`, which would race between threads).

    Parameters
    ----------
    notebook
        The source notebook (only read).
    output
        Where the executed notebook goes on success (written to a temporary file, then renamed).
    failed_output
        Where the executed notebook goes on failure; ``output`` is then left untouched.
    parameters
        Injected by Papermill after the cell tagged ``parameters``.
    cwd
        The kernel's working directory (the project root).
    kernel_name
        The Jupyter kernel (``python3``: the Python running cufstudy, with ipykernel).
    transport
        ZeroMQ transport between client and kernel: ``ipc`` (Unix sockets: no TCP port to allocate,
        so parallel kernels never race for one) or ``tcp``.

    Returns
    -------
    dict
        ``status`` (``ok`` or ``failed``), ``duration`` and, for a failure, ``cell_index`` (0-based,
        in the source notebook), ``execution_count``, ``ename``, ``evalue``, ``failed_written``.
    """
    start = time.perf_counter()
    result: dict[str, Any] = {"status": "ok"}
    out, failed = Path(output), Path(failed_output)
    tmp: Path | None = None
    sockets: Path | None = None
    try:
        import papermill
        from papermill.exceptions import PapermillExecutionError
        from traitlets.config import Config

        config = Config()
        config.KernelManager.transport = transport
        if transport == "ipc":  # one socket folder per kernel (the default, ./kernel-ipc-N, collides)
            sockets = Path(tempfile.mkdtemp(prefix="cufstudy-"))
            config.KernelManager.ip = str(sockets / "k")

        out.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=PARTIAL_SUFFIX, dir=out.parent)
        os.close(fd)
        tmp = Path(name)
        tmp.chmod(0o644)  # mkstemp makes it private; an executed notebook is an ordinary file
        try:
            papermill.execute_notebook(
                notebook,
                str(tmp),
                parameters=parameters,
                cwd=None,
                kernel_name=kernel_name,
                language="python",  # notebooks saved without metadata (jupytext) have no language
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
                shutdown_kernel="immediate",  # every output is collected by then; saves ~0.2 s per run
                resources={"metadata": {"path": cwd}},
                config=config,
            )
        except PapermillExecutionError as exc:
            result = {
                "status": "failed",
                "cell_index": _source_cell_index(tmp),
                "execution_count": exc.exec_count,
                "ename": exc.ename,
                "evalue": exc.evalue,
            }
        else:
            _fsync(tmp)
            tmp.replace(out)
            failed.unlink(missing_ok=True)
    except Exception as exc:  # kernel died, timeout, no such kernel, unreadable notebook...
        result = {
            "status": "failed",
            "cell_index": None,
            "execution_count": None,
            "ename": type(exc).__name__,
            "evalue": str(exc),
        }
    finally:  # also on KeyboardInterrupt: never leave a partial file or a socket folder behind
        if result["status"] == "failed":
            result["failed_written"] = False
            if tmp is not None and tmp.exists() and tmp.stat().st_size:
                _fsync(tmp)
                tmp.replace(failed)
                result["failed_written"] = True
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        if sockets is not None:
            shutil.rmtree(sockets, ignore_errors=True)
    result["duration"] = time.perf_counter() - start
    return result


def _fsync(path: Path) -> None:
    with path.open("rb+") as fh:
        os.fsync(fh.fileno())


def _source_cell_index(executed: Path) -> int | None:
    """Index, in the source notebook, of the failed cell of an executed notebook."""
    try:
        nb = json.loads(executed.read_bytes())
    except (OSError, ValueError):
        return None
    index = 0
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {})
        tags = meta.get("tags", [])
        if _ERROR_TAG in tags or _INJECTED_TAG in tags:
            continue
        errored = any(out.get("output_type") == "error" for out in cell.get("outputs", []) or [])
        if errored or meta.get("papermill", {}).get("exception") is True:
            return index
        index += 1
    return None


# -- cache keys -------------------------------------------------------------------------------------
def _canonical(obj: object) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _sha(text: str | bytes) -> str:
    return hashlib.sha256(text.encode("utf-8") if isinstance(text, str) else text).hexdigest()


def notebook_digest(path: Path) -> str:
    """Hash of a notebook's content: cell types, sources and tags (outputs and metadata ignored)."""
    nb = json.loads(path.read_bytes())
    cells = []
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        tags = (cell.get("metadata") or {}).get("tags", [])
        cells.append([cell.get("cell_type"), "".join(source) if isinstance(source, list) else source, sorted(tags)])
    return _sha(_canonical(cells))


DataCache = dict[str, tuple[int, int, str]]
"""Data file digests by POSIX path relative to the data folder: (size, mtime in ns, SHA-256)."""


def _data_digest(data_dir: Path, cache: DataCache) -> tuple[str, DataCache]:
    """Hash of every non-hidden file under ``data_dir``, and the refreshed (size, mtime) cache."""
    files, fresh = _data_files(data_dir, cache)
    return _combine(files), fresh


def _combine(files: Iterable[tuple[str, str]]) -> str:
    """Hash of (relative path, content digest) pairs, in the order given (sorted by path)."""
    total = hashlib.sha256()
    for rel, digest in files:
        total.update(f"{rel}\0{digest}\n".encode())
    return total.hexdigest()


def _subset(files: Sequence[tuple[str, str]], inputs: Sequence[str]) -> list[tuple[str, str]]:
    """The files (sorted pairs of :func:`_data_files`) at or under one of ``inputs`` (``.``: all)."""
    if "." in inputs:
        return list(files)
    exact = set(inputs)
    prefixes = tuple(f"{name}/" for name in inputs)
    return [(rel, digest) for rel, digest in files if rel in exact or rel.startswith(prefixes)]


def _data_files(data_dir: Path, cache: DataCache) -> tuple[list[tuple[str, str]], DataCache]:
    """(relative path, content digest) of every non-hidden file under ``data_dir``, sorted by path,
    and the refreshed (size, mtime) cache."""
    files: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(data_dir):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "__pycache__"]
        rel_dir = os.path.relpath(dirpath, data_dir)
        for name in filenames:
            if not name.startswith("."):
                rel = name if rel_dir == "." else f"{rel_dir}/{name}".replace(os.sep, "/")
                files.append((rel, Path(dirpath, name)))
    files.sort()
    now = time.time_ns()
    fresh: DataCache = {}
    digests: list[tuple[str, str]] = []
    for rel, full in files:
        st = full.stat()
        hit = cache.get(rel)
        if hit is not None and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            digest = hit[2]
        else:
            with full.open("rb") as fh:
                digest = hashlib.file_digest(fh, "sha256").hexdigest()
        if st.st_mtime_ns < now - _RACY_NS:  # a file written just now may change again within mtime resolution
            fresh[rel] = (st.st_size, st.st_mtime_ns, digest)
        digests.append((rel, digest))
    return digests, fresh


def _library_digest() -> str:
    """Hash of the source of the cufstudy package: editing the library re-runs the notebooks."""
    return library_digest()


def _version() -> str:
    import cufstudy

    version = getattr(cufstudy, "__version__", None)
    if isinstance(version, str):
        return version
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("cufstudy")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def cache_parts(plan: Plan, runs: Iterable[Run], manifest: Manifest | None = None) -> dict[str, dict[str, str]]:
    """The cache key parts of each run, by output path (``key`` is the hash of the others).

    ``data`` hashes the whole data folder, or for a run with ``inputs`` only the files under them
    (its ``inputs`` part then lists them). Refreshes ``manifest.data_files`` (the data digest cache)
    when a manifest is given.
    """
    cache = manifest.data_files if manifest is not None else {}
    files, fresh = _data_files(plan.data_dir, cache)
    if manifest is not None:
        manifest.data_files = fresh
    common = {"library": _library_digest(), "version": _version(), "kernel": KERNEL}
    data: dict[tuple[str, ...] | None, str] = {}  # by declared inputs (None: the whole folder)
    out: dict[str, dict[str, str]] = {}
    digests: dict[str, str] = {}
    for r in runs:
        if r.notebook not in digests:
            digests[r.notebook] = notebook_digest(plan.root / r.notebook)
        if r.inputs not in data:
            data[r.inputs] = _combine(files if r.inputs is None else _subset(files, r.inputs))
        parts = {
            "data": data[r.inputs],
            **common,
            "notebook": digests[r.notebook],
            "parameters": _canonical(r.parameters),
        }
        if r.inputs is not None:
            parts["inputs"] = _canonical(sorted(r.inputs))  # the order of the declaration does not matter
        out[r.output] = {**parts, "key": _sha(_canonical(parts))}
    return out


_PART_NAMES = {
    "notebook": "notebook changed",
    "parameters": "parameters changed",
    "inputs": "inputs changed",
    "data": "data changed",
    "library": "cufstudy changed",
    "version": "cufstudy changed",
    "kernel": "kernel changed",
}


def _why(prev: ManifestEntry | None, parts: dict[str, str], output: Path, force: bool) -> str | None:
    """Why a run must execute, or None if it is up to date."""
    if prev is None:
        return "new"
    if force:
        return "forced"
    if prev.status == "failed":
        return "failed last time"
    if prev.key != parts["key"]:
        keys = [k for k in _PART_NAMES if prev.parts.get(k) != parts.get(k)]
        if "inputs" in keys and "data" in keys:  # other files are hashed: the data digest differs anyway
            keys.remove("data")
        changed = dict.fromkeys(_PART_NAMES[k] for k in keys)
        return ", ".join(changed) or "key changed"
    if not output.is_file():
        return "output missing"
    return None


# -- lock -------------------------------------------------------------------------------------------
@contextlib.contextmanager
def project_lock(root: Path, *, wait: bool = True, notify: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold ``<root>/_build/.lock`` so that two runs or builds of a project never interleave.

    Parameters
    ----------
    root
        The project root.
    wait
        If the lock is held by another process, wait for it (after calling ``notify``); if False,
        raise :class:`~cufstudy.core.errors.LockError` at once.
    notify
        Called with a message before waiting.
    """
    path = (root / LOCK).resolve()
    if os.environ.get(LOCK_ENV) == str(path):  # our parent (or ourselves) holds it
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    previous = os.environ.get(LOCK_ENV)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            message = f"another cufstudy run/build is running (pid {holder})"
            if not wait:
                raise LockError(f"{message}; lock file {path}") from None
            if notify is not None:
                notify(f"{message}; waiting…")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        os.environ[LOCK_ENV] = str(path)
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop(LOCK_ENV, None)
            else:
                os.environ[LOCK_ENV] = previous
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


# -- progress ---------------------------------------------------------------------------------------
class _Log:
    """Plain progress: one line per run on stderr."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def __enter__(self) -> _Log:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def note(self, message: str) -> None:
        print(message, file=self.stream, flush=True)

    def queued(self, run: Run) -> None:
        return None

    def running(self, run: Run) -> None:
        return None

    def finished(self, result: RunResult) -> None:
        self.note(result.describe())


class _Live(_Log):
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

    def __enter__(self) -> _Live:
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
        detail = _failure_text(result.failure) if result.failure else ""
        duration = None if result.status == "skipped" else result.duration
        self.rows[result.run.output] = [result.run.label, result.status, None, duration, detail]


# -- the batch --------------------------------------------------------------------------------------
def _load_manifest(path: Path, note: Callable[[str], None]) -> tuple[Manifest, str]:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Manifest(), ""
    try:
        return Manifest.model_validate_json(raw), raw
    except ValidationError:
        note(f"warning: {path} is not a manifest of this cufstudy version; every run will execute")
        return Manifest(), raw


def _dump(manifest: Manifest) -> str:
    return manifest.model_dump_json(indent=1) + "\n"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _clean_partials(plan: Plan) -> None:
    for folder in {(plan.root / r.output).parent for r in plan.runs}:
        if folder.is_dir():
            for orphan in folder.glob(f".*{PARTIAL_SUFFIX}"):
                orphan.unlink(missing_ok=True)


def _outcome(future: Future[dict[str, Any]]) -> dict[str, Any]:
    try:
        return future.result()
    except Exception as exc:  # the executor failed to run the work unit (broken pool, pickling...)
        return {
            "status": "failed",
            "duration": None,
            "cell_index": None,
            "execution_count": None,
            "ename": type(exc).__name__,
            "evalue": str(exc),
            "failed_written": False,
        }


def merge_facts(sources: Iterable[tuple[str, Sequence[Fact]]]) -> dict[str, Fact]:
    """Merge the facts of several runs, given as (run label, facts) pairs.

    Raises
    ------
    FactError
        Naming both runs, for every key recorded with two different values.
    """
    merged: dict[str, tuple[Fact, str]] = {}
    conflicts: list[str] = []
    for label, facts in sources:
        for fact in facts:
            seen = merged.get(fact.key)
            if seen is None:
                merged[fact.key] = (fact, label)
                continue
            other, other_label = seen
            if (other.value, other.unit, other.text, other.label) != (fact.value, fact.unit, fact.text, fact.label):
                conflicts.append(f"fact {fact.key!r} is {other.text!r} in {other_label} but {fact.text!r} in {label}")
    if conflicts:
        raise FactError(
            "facts recorded with different values by different runs (namespace the key by the "
            "parameter, e.g. 'niveau.{tier}.n_cas'):\n  " + "\n  ".join(conflicts)
        )
    return {key: fact for key, (fact, _) in merged.items()}


def _collect_facts(plan: Plan, manifest: Manifest) -> dict[str, Fact]:
    sources: list[tuple[str, Sequence[Fact]]] = []
    for r in plan.runs:
        entry = manifest.runs.get(r.output)
        if entry is None or entry.status == "failed":
            continue
        try:
            st = (plan.root / r.output).stat()
        except FileNotFoundError:
            continue
        stat = (st.st_size, st.st_mtime_ns)
        if entry.facts is not None and entry.output_stat == stat:
            facts = [Fact.model_validate(f) for f in entry.facts]
        else:
            facts = facts_from_notebook(json.loads((plan.root / r.output).read_bytes()))
            manifest.runs[r.output] = entry.model_copy(
                update={"facts": [f.model_dump(mode="json") for f in facts], "output_stat": stat}
            )
        sources.append((f"{r.label} [{r.output}]", facts))
    return merge_facts(sources)


def _write_facts(path: Path, facts: dict[str, Fact]) -> None:
    wanted = {k: facts[k].model_dump(mode="json") for k in sorted(facts)}
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text(encoding="utf-8")).get("facts") == wanted:
            return
    FactStore(path).write(facts)


def run(
    project: Path = Path(),
    *,
    workers: int | None = None,
    force: bool = False,
    executor: Executor | None = None,
    only: Sequence[str] | None = None,
    progress: bool = True,
    wait: bool = True,
    resolvers: dict[str, Resolver] | None = None,
) -> RunReport:
    """Execute the run plan of a project with Papermill, skipping the runs that are up to date.

    Parameters
    ----------
    project
        The project folder (or a folder below it; the nearest one holding ``_quarto.yml``).
    workers
        Notebooks executed at once by the default thread pool (default: the number of cores).
        Ignored when ``executor`` is given.
    force
        Execute every selected run, even if unchanged.
    executor
        Any :class:`concurrent.futures.Executor` (a process pool, a cluster client...). It receives
        :func:`execute_notebook_run` with plain, picklable arguments; it is not shut down here.
    only
        Notebook stems: execute only their runs (the facts of the other runs are kept).
    progress
        On a terminal, show a live table (one line per run); otherwise, and when False, log one
        line per run on stderr.
    wait
        If another run or build holds the project lock, wait for it; if False, raise
        :class:`~cufstudy.core.errors.LockError`.
    resolvers
        Extra parameter vocabularies (see :func:`cufstudy.pipeline.plan.load_plan`).

    Returns
    -------
    RunReport
        Failed runs do not raise: call :meth:`RunReport.raise_for_failures`.

    Raises
    ------
    PlanError
        If the plan is invalid; raised before any kernel starts.
    FactError
        If two runs recorded the same fact with different values.
    """
    plan = load_plan(project, resolvers=resolvers)
    selected = plan.select(only)
    live = progress and sys.stderr.isatty()
    log = _Log(sys.stderr)
    for warning in plan.warnings:
        log.note(f"warning: {warning}")
    with project_lock(plan.root, wait=wait, notify=log.note):
        return _run_locked(plan, selected, workers=workers, force=force, executor=executor, live=live, log=log)


@dataclass(frozen=True)
class _Todo:
    run: Run
    parts: dict[str, str]
    reason: str
    last: float | None


def _run_locked(
    plan: Plan, selected: Plan, *, workers: int | None, force: bool, executor: Executor | None, live: bool, log: _Log
) -> RunReport:
    root = plan.root
    manifest_path = root / MANIFEST
    manifest, raw_manifest = _load_manifest(manifest_path, log.note)
    outputs = {r.output for r in plan.runs}
    manifest.runs = {k: v for k, v in manifest.runs.items() if k in outputs}  # runs no longer planned
    _clean_partials(selected)
    keys = cache_parts(plan, selected.runs, manifest)

    results: dict[str, RunResult] = {}
    todo: list[_Todo] = []
    for r in selected.runs:
        parts = keys[r.output]
        prev = manifest.runs.get(r.output)
        reason = _why(prev, parts, root / r.output, force)
        if reason is None:
            assert prev is not None
            results[r.output] = RunResult(r, "skipped", "unchanged", prev.duration)
            manifest.runs[r.output] = prev.model_copy(update={"status": "skipped"})
        else:
            todo.append(_Todo(r, parts, reason, prev.duration if prev is not None else None))
    # longest first (by the last known duration; unknown first): a slow notebook late in the plan
    # would otherwise run alone at the end of a parallel batch
    todo.sort(key=lambda t: -math.inf if t.last is None else -t.last)

    def save() -> None:
        nonlocal raw_manifest
        text = _dump(manifest)
        if text != raw_manifest:
            atomic_write_text(manifest_path, text)
            raw_manifest = text

    display: _Log = _Live(sys.stderr) if live and todo else log
    with display:
        for r in selected.runs:
            if r.output in results:
                display.finished(results[r.output])
            else:
                display.queued(r)
        if todo:
            save()
            _execute(plan, todo, results, manifest, save, display, workers=workers, executor=executor)
    facts_path = root / FACTS
    merged = _collect_facts(plan, manifest)
    save()
    _write_facts(facts_path, merged)
    return RunReport(
        results=tuple(results[r.output] for r in selected.runs),
        manifest=manifest_path,
        facts=facts_path,
        warnings=plan.warnings,
    )


def _execute(
    plan: Plan,
    todo: list[_Todo],
    results: dict[str, RunResult],
    manifest: Manifest,
    save: Callable[[], None],
    display: _Log,
    *,
    workers: int | None,
    executor: Executor | None,
) -> None:
    root = plan.root
    pool = executor or ThreadPoolExecutor(
        max_workers=max(1, min(workers or os.cpu_count() or 1, len(todo))), thread_name_prefix="cufstudy-run"
    )
    futures: dict[Future[dict[str, Any]], _Todo] = {}
    interrupted = False
    try:
        for item in todo:
            r = item.run
            futures[
                pool.submit(
                    execute_notebook_run,
                    str(root / r.notebook),
                    str(root / r.output),
                    str(root / r.failed_output),
                    dict(r.parameters),
                    str(root),
                    KERNEL,
                )
            ] = item
        pending: set[Future[dict[str, Any]]] = set(futures)
        started: set[Future[dict[str, Any]]] = set()
        while pending:
            done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            for future in pending - started:
                if future.running():
                    started.add(future)
                    display.running(futures[future].run)
            for future in done:
                item = futures[future]
                result, entry = _record(item, _outcome(future))
                results[item.run.output] = result
                manifest.runs[item.run.output] = entry
                save()
                display.finished(result)
    except BaseException:
        interrupted = True
        for future in futures:
            future.cancel()
        raise
    finally:
        if executor is None:
            pool.shutdown(wait=not interrupted, cancel_futures=True)


def _record(item: _Todo, outcome: dict[str, Any]) -> tuple[RunResult, ManifestEntry]:
    r = item.run
    failure = None
    if outcome["status"] != "ok":
        failure = Failure(
            cell_index=outcome.get("cell_index"),
            execution_count=outcome.get("execution_count"),
            ename=str(outcome.get("ename")),
            evalue=str(outcome.get("evalue")),
            failed_output=r.failed_output if outcome.get("failed_written") else None,
        )
    status: Status = "ok" if failure is None else "failed"
    duration = outcome.get("duration")
    result = RunResult(r, status, item.reason, duration, failure)
    entry = ManifestEntry(
        notebook=r.notebook,
        parameters=r.parameters,
        key=item.parts["key"],
        parts={k: v for k, v in item.parts.items() if k != "key"},
        status=status,
        duration=None if duration is None else round(duration, 3),
        output=r.output,
        finished=_now(),
        failure=failure,
    )
    return result, entry
