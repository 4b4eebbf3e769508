"""``cufstudy preview``: one deliverable's HTML on localhost, rebuilt and reloaded as the sources are saved.

The loop an analyst writes in (what ``quarto preview`` gives Quarto users)::

    cufstudy preview guide          # http://127.0.0.1:4848/guide.html; Ctrl-C stops it

1. The HTML of the deliverable is rendered by the embedded engine (Pandoc, with the deliverable's filters,
   bibliography, notice, facts and embedded notebooks, as ``cufstudy build`` renders it) into
   ``_build/preview/``; nothing is checked for publication and nothing is written to ``_output/``, which keeps
   the published deliverables (``cufstudy build`` renders, checks and publishes them).
2. The sources are watched through the operating system's file events (:mod:`watchfiles`): the project's
   folders (reports, includes, templates, data, notebooks) and its configuration files.
3. A save re-runs only what the change needs:

   * prose, includes, templates, styles, bibliography: the HTML of this deliverable only;
   * a data file, a notebook: the notebook runs whose cache key changed (:func:`~cufstudy.pipeline.runs.execute_plan`
     skips the others: editing a case file does not re-run the SDG grid), then the HTML;
   * the configuration (``_quarto.yml``, ``_quarto-<profile>.yml``): the project, the plan and the deliverable are
     read again, then as for data.

4. The page reloads in the browser (a Server-Sent Events stream and a small inline script, see
   :mod:`cufstudy.pipeline._livereload`), at the same scroll position. A failed build is shown in the terminal and
   over the page (the previous page stays below it); the server keeps running, and the next good save clears it.

Real Quarto is not used: the Quarto built on this kind of machine has no ``quarto preview`` browser client
(its ``quarto-preview.js`` is built at Quarto's release time), and the embedded engine can render one format of
one profile, which is what a preview needs.
"""

from __future__ import annotations

import contextlib
import errno
import os
import queue
import resource
import shutil
import sys
import tempfile
import threading
import time
import traceback
import webbrowser
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final, Literal

from cufstudy.core.atomic import atomic_write_bytes
from cufstudy.core.errors import ArgumentError, CufstudyError
from cufstudy.core.project import BUILD_DIR, CONFIG_FILES, OUTPUT_DIR, Project, project_of
from cufstudy.pipeline._livereload import LiveServer
from cufstudy.pipeline.lock import project_lock
from cufstudy.pipeline.notices import notice_for, project_notices
from cufstudy.pipeline.plan import Plan, load_plan
from cufstudy.pipeline.progress import PlainLog
from cufstudy.pipeline.runs import execute_plan
from cufstudy.render.config import Deliverable, deliverables, profile_names

__all__ = ["DEFAULT_PORT", "Change", "PreviewSession", "preview", "preview_profile"]

DEFAULT_PORT: Final = 4848
Change = Literal["config", "data", "notebook", "source"]
"""What a saved file is to the preview: it decides what is rebuilt."""

_IGNORED_DIRS: Final = frozenset(
    {BUILD_DIR, OUTPUT_DIR, "_extensions", "__pycache__", "node_modules", ".ipynb_checkpoints", ".git", ".venv", "venv"}
)
_IGNORED_SUFFIXES: Final = (".py", ".pyc", ".pyo", ".swp", ".swx", ".tmp", ".partial.ipynb", "~")


def preview_profile(project: Project, profile: str | None) -> Deliverable:
    """The deliverable a preview shows: ``profile``'s HTML, by default the first profile that has one.

    Raises
    ------
    ArgumentError
        An unknown profile, or one without HTML (the brochure), naming those that have it.
    """
    if profile is None:
        for name in profile_names(project.root):
            with contextlib.suppress(ArgumentError):
                return deliverables(project, [name], ["html"])[0]
        raise ArgumentError("no profile of the project has an HTML format: the preview shows HTML", "PROFILE")
    try:
        return deliverables(project, [profile], ["html"])[0]
    except ArgumentError as exc:
        if "no html output" not in str(exc):
            raise
        with_html = [n for n in profile_names(project.root) if _has_html(project, n)]
        raise ArgumentError(
            f"{exc}; the preview shows a deliverable's HTML (profiles with HTML: {', '.join(with_html) or 'none'}); "
            f"for the pages of its PDF use: cufstudy build {profile} --preview",
            "PROFILE",
        ) from None


def _has_html(project: Project, name: str) -> bool:
    try:
        deliverables(project, [name], ["html"])
    except CufstudyError:
        return False
    return True


@dataclass(frozen=True)
class Rebuild:
    """What one rebuild did: the kinds of change, the runs executed, the time, the error if it failed."""

    changes: frozenset[Change]
    executed: int
    seconds: float
    error: str | None = None
    cpu_seconds: float = 0.0
    """The processor time the rebuild used (this process and the finished children: Pandoc, kernels): the
    time it takes on an idle machine, whatever the load when it was measured."""


class PreviewSession:
    """A deliverable's HTML kept up to date with its sources, served on localhost.

    Parameters
    ----------
    project
        The project (or its folder).
    profile
        The deliverable (``guide``); default: the first profile with an HTML format.
    port
        The local port (0: a free one, see :attr:`url`).
    run_notebooks
        Execute the notebook runs whose inputs changed (at start and on a data or notebook change); False
        renders from the executed notebooks as they are.
    log
        Where the builds are reported (one line each; stderr by default).

    Raises
    ------
    ArgumentError
        An unknown profile or one without HTML; the port is taken. Checked before anything is built.
    """

    def __init__(
        self,
        project: Project | Path = Path(),
        profile: str | None = None,
        *,
        port: int = DEFAULT_PORT,
        run_notebooks: bool = True,
        log: IO[str] | None = None,
    ) -> None:
        self.project = project_of(project)
        self.deliverable = preview_profile(self.project, profile)
        self.run_notebooks = run_notebooks
        self.log = PlainLog(log or sys.stderr)
        self.name = self.deliverable.output_name(self.deliverable.inputs[0], "html")
        try:
            self.server = LiveServer(self.name, port)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            raise ArgumentError(
                f"port {port} is in use (another preview?); choose another with --port, or --port 0 for a free one",
                "--port",
            ) from None
        self.folder = self.project.paths.live_preview
        self.page = self.folder / self.name
        self.rebuilds: list[Rebuild] = []
        self._plan: Plan | None = None
        self._notice: str | None = None
        self._changes: queue.Queue[set[Path]] = queue.Queue()
        self._stop = threading.Event()
        self._watchers: list[threading.Thread] = []
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return self.server.url

    # -- what a change needs ---------------------------------------------------------------------------
    def classify(self, path: Path) -> Change | None:
        """What a changed file is to this preview, or None when it is none of its inputs."""
        root = self.project.root
        try:
            rel = path.resolve().relative_to(root)
        except ValueError:
            return None
        parts = rel.parts
        if not parts or any(p in _IGNORED_DIRS or p.startswith(".") for p in parts):
            return None
        if path.name.endswith(_IGNORED_SUFFIXES) or path.name == "4913":  # vim's probe file
            return None
        if (
            len(parts) == 1
            and any(path.name.startswith(c.split(".")[0]) for c in CONFIG_FILES)
            and (path.suffix in (".yml", ".yaml", ".local"))
        ):
            return "config"
        if path.resolve().is_relative_to(self.project.data_dir.resolve()):
            return "data"
        notebooks = {(root / r.notebook).resolve() for r in self._plan.runs} if self._plan else set()
        if path.resolve() in notebooks:
            return "notebook"
        return "source"

    def _watched(self) -> tuple[list[Path], list[Path]]:
        """The folders watched recursively (every top-level folder but the build products, hidden ones and
        virtual environments), and the root itself, watched without its sub-folders (its configuration files)."""
        root = self.project.root
        folders = [
            p
            for p in sorted(root.iterdir())
            if p.is_dir()
            and p.name not in _IGNORED_DIRS
            and not p.name.startswith(".")
            and not (p / "pyvenv.cfg").exists()
        ]
        return folders, [root]

    # -- building ----------------------------------------------------------------------------------------
    def rebuild(self, changes: Iterable[Change] = ("config",)) -> Rebuild:
        """Rebuild what ``changes`` need (the first build: everything), publish the page or the error."""
        kinds = frozenset(changes)
        started, cpu = time.perf_counter(), _cpu()
        executed = 0
        try:
            if "config" in kinds:
                self.project = project_of(self.project.root)
                self.deliverable = preview_profile(self.project, self.deliverable.config.profiles[0]
                                                   if self.deliverable.config.profiles else None)  # fmt: skip
                self._plan = load_plan(self.project) if self.project.settings.runs is not None else None
            if kinds & {"config", "data", "notebook"}:
                executed = self._run()
            page = self._render()
        except CufstudyError as exc:
            return self._failed(kinds, executed, started, str(exc))
        except Exception as exc:  # a bug: its traceback in the terminal, the server keeps running
            traceback.print_exc(file=self.log.stream)
            return self._failed(kinds, executed, started, f"internal error: {type(exc).__name__}: {exc}")
        seconds = time.perf_counter() - started
        atomic_write_bytes(self.page, page)
        self.server.publish(page, seconds, _cpu() - cpu)
        done = Rebuild(kinds, executed, seconds, cpu_seconds=_cpu() - cpu)
        self.rebuilds.append(done)
        runs = f", {executed} notebook run{'s' * (executed != 1)}" if executed else ""
        self.log.note(f"rendered {self.name} in {seconds:.2f} s{runs}: {self.url}")
        return done

    def _failed(self, kinds: frozenset[Change], executed: int, started: float, error: str) -> Rebuild:
        self.server.fail(error)
        failed = Rebuild(kinds, executed, time.perf_counter() - started, error)
        self.rebuilds.append(failed)
        self.log.note(f"error: {error}")
        self.log.note("(the page shows the error; the preview goes on: save a fix)")
        return failed

    def _run(self) -> int:
        """Execute the runs whose inputs changed; the number executed."""
        from cufstudy.model.cases import validate_cases

        cases_dir = self.project.data_dir / "cases"
        if cases_dir.is_dir():
            validate_cases(self.project.data_dir)  # a bad case file is reported before any run
        # the notice the published deliverable carries, from the data's provenance (not a generic one)
        self._notice = notice_for(project_notices(self.project, self._plan), self.deliverable.name)
        if not self.run_notebooks or self._plan is None:
            return 0
        with project_lock(self.project, wait=True, notify=self.log.note):
            report = execute_plan(self._plan, progress=False, observer=self.log)
        report.raise_for_failures()
        return len(report.executed)

    def _render(self) -> bytes:
        from cufstudy.render.engine import EmbeddedEngine

        self.folder.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f"work-{os.getpid()}-", dir=self.folder))
        try:
            engine = EmbeddedEngine(self.project.root, work, notice=self._notice)
            [file] = [f for f in engine.render(self.deliverable, work / "staging") if f.fmt == "html"]
            return file.staged.read_bytes()
        finally:
            shutil.rmtree(work, ignore_errors=True)

    # -- the loop ------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Serve, watch, and make the first build (in the calling thread)."""
        import watchfiles

        self.server.start()
        recursive, flat = self._watched()
        for paths, deep in ((recursive, True), (flat, False)):
            if not paths:
                continue
            thread = threading.Thread(
                target=self._watch, args=(watchfiles, paths, deep), name="cufstudy-preview-watch", daemon=True
            )
            thread.start()
            self._watchers.append(thread)
        self.rebuild()
        self._ready.set()

    def _watch(self, watchfiles: object, paths: list[Path], recursive: bool) -> None:
        watch: Callable[..., Iterable[set[tuple[object, str]]]] = getattr(watchfiles, "watch")  # noqa: B009
        for batch in watch(
            *paths, recursive=recursive, stop_event=self._stop, step=30, debounce=400, raise_interrupt=False
        ):
            # a file written and removed within one batch is an editor's or a tool's temporary file (sed -i, an
            # atomic save): not a change; a file only removed (a case deleted) is one
            kinds: dict[str, set[str]] = {}
            for change, p in batch:
                kinds.setdefault(p, set()).add(str(getattr(change, "name", change)))
            temporary = {p for p, seen in kinds.items() if {"added", "deleted"} <= seen and not Path(p).exists()}
            self._changes.put({Path(p) for p in kinds if p not in temporary})

    def step(self, timeout: float = 0.5) -> Rebuild | None:
        """Wait up to ``timeout`` s for saved files; rebuild what they need (several saves at once: once)."""
        try:
            paths = self._changes.get(timeout=timeout)
        except queue.Empty:
            return None
        time.sleep(0.02)  # an editor writes a file and its backup, a tool several files: take them together
        while True:
            try:
                paths |= self._changes.get_nowait()
            except queue.Empty:
                break
        kinds = {kind for kind in map(self.classify, paths) if kind is not None}
        if not kinds:
            return None
        shown = ", ".join(sorted(self.project.display(p) for p in paths if self.classify(p)))[:200]
        self.log.note(f"changed: {shown}")
        return self.rebuild(kinds)

    def serve_forever(self) -> None:
        """Rebuild on every save until stopped (Ctrl-C or :meth:`stop`)."""
        while not self._stop.is_set():
            self.step()

    def stop(self) -> None:
        """Stop watching and serving; the port is free when this returns."""
        self._stop.set()
        self.server.stop()
        for thread in self._watchers:
            thread.join(timeout=5)
        for leftover in self.folder.glob(f"work-{os.getpid()}-*"):
            shutil.rmtree(leftover, ignore_errors=True)

    def __enter__(self) -> PreviewSession:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _cpu() -> float:
    """Processor seconds used so far by this process and its waited-for children."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def preview(
    project: Project | Path = Path(),
    profile: str | None = None,
    *,
    port: int = DEFAULT_PORT,
    open_browser: bool = False,
    run_notebooks: bool = True,
) -> None:
    """Serve a deliverable's HTML on localhost and rebuild it on every save, until Ctrl-C (see the module).

    Raises
    ------
    ArgumentError
        An unknown profile, one without HTML, a port in use: before anything is built or served.
    """
    session = PreviewSession(project, profile, port=port, run_notebooks=run_notebooks)
    log = session.log
    try:
        log.note(f"preview of {session.deliverable.name}: {session.url} (Ctrl-C to stop)")
        session.start()
        if open_browser:
            webbrowser.open(session.url)
        session.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        session.stop()
    log.note("preview stopped")
