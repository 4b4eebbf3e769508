"""``cufstudy build``: validate the data, run the notebooks, render the deliverables, check them, publish.

The project is found once and its plan loaded once; the whole build holds the project lock
(:mod:`cufstudy.pipeline.lock`), taken once, so two builds never interleave. The order is the order in
which a failure loses the least:

1. the case base is validated (every problem reported at once; nothing is executed on bad data);
2. the run plan is executed (:func:`cufstudy.pipeline.runs.execute_plan`; unchanged runs are skipped); a
   failed run stops the build before rendering, so no deliverable is made from a stale or broken notebook;
3. every profile is rendered into a work folder and checked (:mod:`cufstudy.pipeline.checks`): page rules,
   A4, the illustrative-data notice, offline HTML, and for public deliverables the leak check (no
   confidential value in any output file or embedded notebook);
4. only then are the files moved into ``_output/``, each atomically
   (:func:`cufstudy.pipeline.publish.render_deliverables`).

A deliverable whose inputs (sources, templates, executed notebooks, facts, library, options, confidential
values) have not changed since it was published is not rendered again, unless ``force`` is given.

While any case of the data is illustrative, every page of every deliverable carries the notice (the project's
``cufstudy: notices: page:``, by default :data:`~cufstudy.core.french.ILLUSTRATIVE_NOTICE`).
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cufstudy.core.atomic import atomic_write_bytes
from cufstudy.core.errors import RenderError
from cufstudy.core.files import check_project_files
from cufstudy.core.french import ILLUSTRATIVE_NOTICE
from cufstudy.core.project import Project, project_of
from cufstudy.core.reproducible import source_date
from cufstudy.model.cases import validate_cases
from cufstudy.model.confidential import ConfidentialValue
from cufstudy.pipeline.designer import PACK_DELIVERABLE, PACK_NAME, stage_pack
from cufstudy.pipeline.lock import child_environment, project_lock
from cufstudy.pipeline.manifest import RunReport, RunResult
from cufstudy.pipeline.notices import data_provenance, notice_for, project_notices
from cufstudy.pipeline.plan import Run, load_plan
from cufstudy.pipeline.progress import FileState, Progress, progress_display
from cufstudy.pipeline.publish import (
    BuildReport,
    Companions,
    Engine,
    check_arguments,
    choose_engine,
    confidential_entries,
    render_deliverables,
)
from cufstudy.pipeline.runs import execute_plan
from cufstudy.render._vega import bundle_file
from cufstudy.render.chart_images import ChartDrawer, ChartImages, Kind, chart_cells, notebook_requests
from cufstudy.render.config import Deliverable, deliverables
from cufstudy.render.extension import ExtensionInstall, install_extension
from cufstudy.study.pseudonyms import Pairing, pairings_of

__all__ = ["ILLUSTRATIVE_NOTICE", "BuildResult", "build", "data_notice", "fill_charts_for_quarto", "prepare_quarto"]


@dataclass(frozen=True)
class BuildResult:
    """The outcome of a build: the notebook runs and the rendered deliverables."""

    runs: RunReport
    render: BuildReport
    seconds: float
    illustrative: bool
    grids: tuple[Path, ...] = ()
    """The Excel grids published with the toolbox by this build (:mod:`cufstudy.sdg.grid_delivery`)."""
    designer: tuple[Path, ...] = ()
    """The brochure's designer pack published by this build (:mod:`cufstudy.pipeline.designer`)."""
    project: Project | None = None
    """The project built (its folder, its data folder)."""

    def settled(self) -> BuildResult:
        """What the same build returns when run again with nothing changed: every run up to date, every
        deliverable kept as published, nothing written (the report recorded for the fast answer of the next
        ``cufstudy build``: :mod:`cufstudy.pipeline.uptodate`)."""
        results = tuple(replace(r, status="skipped", reason="unchanged", failure=None) for r in self.runs.results)
        kept = self.render.outputs
        render = BuildReport(self.render.engine, kept, reused=tuple(dict.fromkeys(o.deliverable for o in kept)))
        runs = replace(self.runs, results=results, warnings=())
        return replace(self, runs=runs, render=render, grids=(), designer=())

    def summary(self) -> str:
        lines = [self.runs.summary(), self.render.summary()]
        lines += [f"  {path} (grid of the toolbox)" for path in self.grids]
        lines += [f"  {path} (designer pack of the brochure)" for path in self.designer]
        if self.illustrative:
            lines.append("note: the data is illustrative; every page of every deliverable says so")
        lines.append(f"build finished in {self.seconds:.1f} s")
        return "\n".join(lines)


def _own_step(warning: str) -> bool:
    """A note that Quarto's pre- or post-render step (``cufstudy run``, ``cufstudy check``) was skipped:
    noise here, since the build runs the notebooks and the checks itself."""
    return "pre-render" in warning or ("post-render" in warning and "cufstudy check" in warning)


def build(
    project: Project | Path = Path(),
    profiles: Sequence[str] | None = None,
    *,
    engine: Engine = "auto",
    formats: Sequence[str] | None = None,
    preview: bool = False,
    workers: int | None = None,
    force: bool = False,
    wait: bool = True,
    progress: bool = True,
) -> BuildResult:
    """Build the deliverables of a project from its data (see the module docstring for the steps).

    Parameters
    ----------
    project
        The project, or its folder (or a folder below it).
    profiles
        Deliverables to build (``["guide"]``); default: every ``_quarto-<name>.yml``.
    engine
        ``auto`` (Quarto when on PATH, else the embedded Pandoc + Typst engine), ``pandoc`` or ``quarto``.
    formats
        Only these formats (``html``, ``pdf``, ``docx``).
    preview
        Also write PNG thumbnails of the PDF pages into ``_output/preview/``.
    workers, force
        Passed to :func:`cufstudy.pipeline.runs.execute_plan`. Without ``force``, a deliverable whose inputs
        have not changed since it was published is kept as it is (see :mod:`cufstudy.render._stamp`);
        ``force`` re-executes every notebook and renders every deliverable again.
    wait
        Wait for another build holding the project lock (else fail at once with ``LockError``).
    progress
        On a terminal, one live display of the whole build (each run, then each file rendered, checked and
        published, with an overall count and the elapsed time); otherwise, and when False, one line per
        step on stderr.

    Raises
    ------
    ArgumentError
        An unknown profile, format or engine, a profile without the format asked for, ``engine="quarto"``
        without Quarto: checked before anything is validated, executed or rendered.
    DataError
        The case base is invalid (nothing was executed or rendered).
    RunError
        A notebook run failed (nothing was rendered).
    RenderError, LayoutError, LeakError
        A deliverable could not be rendered, breaks a check (page rule, A4, notice, offline HTML), or would
        publish a confidential value; the previous deliverables stay in place.
    """
    started = time.perf_counter()
    project = project_of(project)
    check_arguments(project, profiles, formats, engine)  # before any work: a typo fails at once
    check_project_files(project.root)  # a link out of the project, a FIFO, a device: named, never read
    plan = load_plan(project)

    # one display for the whole build: the runs, then each file rendered, checked and published
    display = progress_display(sys.stderr, progress)
    with display, project_lock(project, wait=wait, notify=display.note):
        cases = validate_cases(project.data_dir)
        # the charts of each run that ends are drawn beside the runs still going: the rendering finds them
        early = _EarlyCharts(display, project, profiles, formats, engine)
        try:
            runs = execute_plan(plan, workers=workers, force=force, progress=progress, observer=early)
        except BaseException:
            early.close(wait=False)
            raise
        early.close(wait=runs.ok)  # the last runs' charts are drawn; a failed batch renders nothing
        runs.raise_for_failures()

        @functools.cache
        def secrets() -> list[ConfidentialValue]:  # loaded once, and only when a public deliverable is rendered
            return confidential_entries(project)

        @functools.cache
        def pairings() -> list[Pairing]:  # real authorities with illustrative coding (the pairing rule)
            return pairings_of(project.data_dir)

        # the toolbox's Excel grids: checked and written with the toolbox, published in its set (imported
        # here: openpyxl and pandas would slow down the start of every build, before the notebooks run)
        from cufstudy.sdg.grid_delivery import GRID_DELIVERABLE, GridFiles

        grids = GridFiles(project.data_dir, project.paths.build / "grids")

        delivered: list[Path] = []
        notices = project_notices(project, plan)  # each deliverable's, from its data's provenance markers
        packs: list[Path] = []

        # the grids need not the toolbox's files: staged in a thread from the start of its rendering (1 s,
        # openpyxl and pandas imported), not after its checks, when nothing else is left to do
        grid_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cufstudy-grids")
        staging: dict[str, Future[None]] = {}

        def prepare(deliverable: Deliverable) -> None:
            if deliverable.name == GRID_DELIVERABLE:
                staging[deliverable.name] = grid_thread.submit(
                    grids.check, deliverable.name, deliverable.output_dir, _grid_epoch(deliverable)
                )

        def verify(deliverable: Deliverable, files: Sequence[Path]) -> Companions | None:
            if deliverable.name == PACK_DELIVERABLE:  # the designer pack, checked, in the brochure's own set
                pack = stage_pack(
                    deliverable,
                    files,
                    project.root,
                    project.paths.build / "designer",
                    notice=notice_for(notices, deliverable.name),
                    secrets=secrets,
                    pairings=pairings,
                )
                packs[:] = [deliverable.output_dir / pack.name] if pack is not None else []
                return Companions((pack,)) if pack is not None else None
            early = staging.pop(deliverable.name, None)
            if early is not None:
                early.result()
            else:
                grids.check(deliverable.name, deliverable.output_dir, epoch=_grid_epoch(deliverable))
            if deliverable.name != GRID_DELIVERABLE or not grids.staged:
                return None
            # published in the toolbox's own set: a kill leaves the toolbox and its grids all old or all new
            delivered[:] = [deliverable.output_dir / p.name for p in grids.staged]
            return Companions(tuple(grids.staged), tuple(grids.stale(deliverable.output_dir)))

        try:
            rendered = render_deliverables(
                project,
                profiles,
                engine=engine,
                formats=formats,
                preview=preview,
                notice=notices,
                verify=verify,
                prepare=prepare,
                reuse=not force,
                # another set of confidential values changes what the leak check must find: render again
                reuse_key=cases.confidential_digest,
                secrets=secrets,
                pairings=pairings,
                # the one child that may proceed under this lock: `cufstudy run` as Quarto's pre-render step
                quarto_env=child_environment(project),
                observer=display,
            )
            # published with the toolbox; else the toolbox was kept as it was: a grid missing beside it is written
            published = delivered or grids.deliver((o.deliverable, o.path) for o in rendered.outputs)
            if not packs:  # the brochure kept as it was, its pack missing beside it: written again from its DOCX
                packs[:] = _repair_pack(project, rendered, notice_for(notices, PACK_DELIVERABLE), secrets, pairings)
        finally:
            grid_thread.shutdown(wait=True, cancel_futures=True)
            grids.discard()  # staged grids of a failed build are never published
    rendered = replace(rendered, warnings=tuple(w for w in rendered.warnings if not _own_step(w)))
    return BuildResult(
        runs, rendered, time.perf_counter() - started, cases.illustrative, tuple(published), designer=tuple(packs),
        project=project,
    )  # fmt: skip


class _EarlyCharts(Progress):
    """The build's display during the runs, which also queues the charts of each run that ends, to be drawn
    beside the runs still going by one background process (:class:`~cufstudy.render.chart_images.ChartDrawer`,
    into the cache of chart images), and by more once the last run has started; the pages' Vega bundle is
    made from the first run's start. The rendering then finds them drawn; whatever the drawer did not reach
    or could not draw, the rendering draws (and reports) as without it. Only the cells the deliverables being
    built embed, in the kinds their formats need; a run skipped as unchanged drew its charts when it was
    executed."""

    def __init__(
        self,
        display: Progress,
        project: Project,
        profiles: Sequence[str] | None,
        formats: Sequence[str] | None,
        engine: Engine,
    ) -> None:
        self._display = display
        self._project = project
        self._profiles, self._formats, self._engine = profiles, formats, engine
        self._cells: dict[Path, dict[str, tuple[Kind, ...]]] | None = None
        self._drawer: ChartDrawer | None = None
        self._pages = False
        self._waiting: set[str] = set()  # the runs queued and not started

    def note(self, message: str) -> None:
        self._display.note(message)

    def queued(self, run: Run) -> None:
        self._display.queued(run)
        self._waiting.add(run.output)

    def running(self, run: Run) -> None:
        self._display.running(run)
        self._waiting.discard(run.output)
        cells = self._embedded()
        if self._pages and cells and self._drawer is None and not bundle_file(self._project.paths.cache).is_file():
            # an HTML page with charts carries the script that draws them (1.5 s to make): made while the
            # first kernels start (the zygote's imports leave a processor free), before any chart is drawn
            self._drawer = ChartDrawer(ChartImages(self._project.paths.cache / "charts"))
            self._drawer.bundle(self._project.paths.cache)
        if not self._waiting and self._drawer is not None:  # the last run has started: a processor frees soon
            self._drawer.widen()

    def finished(self, result: RunResult) -> None:
        self._display.finished(result)
        if result.status != "ok":
            return
        cells = self._embedded().get(self._project.root / result.run.output)
        if cells:
            if self._drawer is None:
                self._drawer = ChartDrawer(ChartImages(self._project.paths.cache / "charts"))
                if self._pages:  # an HTML page with charts carries the script that draws them
                    self._drawer.bundle(self._project.paths.cache)
            self._drawer.add(_read_later(self._project.root / result.run.output, cells))

    def _embedded(self) -> dict[Path, dict[str, tuple[Kind, ...]]]:
        """The cells the deliverables embed, read at the first run that starts or ends: a build with
        nothing to run reads nothing."""
        if self._cells is None:
            todo = deliverables(self._project, self._profiles, self._formats)
            chosen = choose_engine(self._engine)
            self._cells = chart_cells(todo, self._project.root, chosen)
            self._pages = chosen == "pandoc" and any("html" in d.formats for d in todo)
        return self._cells

    def file(
        self, deliverable: str, name: str, state: FileState, seconds: float | None = None, detail: str = ""
    ) -> None:
        self._display.file(deliverable, name, state, seconds, detail)

    def close(self, wait: bool) -> None:
        if self._drawer is not None:
            self._drawer.close(wait)


def _grid_epoch(deliverable: Deliverable) -> int:
    """The instant the toolbox's grids are stamped with: the toolbox's own (its configured date)."""
    fmt = deliverable.formats[0] if deliverable.formats else "html"
    return source_date(deliverable.project_options(fmt).get("date")).epoch


def _read_later(notebook: Path, cells: dict[str, tuple[Kind, ...]]) -> Iterator[tuple[dict[str, Any], Kind]]:
    """The chart requests of ``notebook``'s ``cells``, read when the drawing thread gets to them."""
    yield from notebook_requests(notebook, cells)


def _repair_pack(
    project: Project,
    rendered: BuildReport,
    notice: str | None,
    secrets: Callable[[], Sequence[ConfidentialValue]],
    pairings: Callable[[], Sequence[Pairing]],
) -> list[Path]:
    """The designer pack of a brochure this build reused, when it is missing: staged, checked, moved in."""
    docx = next((o.path for o in rendered.outputs if o.deliverable == PACK_DELIVERABLE and o.format == "docx"), None)
    if docx is None or PACK_DELIVERABLE not in rendered.reused or (docx.parent / PACK_NAME).is_file():
        return []
    (deliverable,) = deliverables(project, [PACK_DELIVERABLE])
    staged = stage_pack(
        deliverable, [docx], project.root, project.paths.build / "designer", notice=notice,
        secrets=secrets, pairings=pairings,
    )  # fmt: skip
    if staged is None:
        return []
    atomic_write_bytes(docx.parent / PACK_NAME, staged.read_bytes())
    staged.unlink(missing_ok=True)
    return [docx.parent / PACK_NAME]


def data_notice(data_dir: Path) -> str | None:
    """The notice of everything illustrative in a data folder (its provenance markers), or None.

    Each deliverable prints the part of it that concerns the data it uses
    (:func:`cufstudy.pipeline.notices.project_notices`).

    Raises
    ------
    DataError
        The case base is invalid.
    """
    return data_provenance(data_dir).notice()


def prepare_quarto(project: Project | Path = Path()) -> ExtensionInstall:
    """Install the project's ``_extensions/cufstudy/`` with the notice of its data, for a plain ``quarto render``.

    ``cufstudy run``, the project's Quarto ``pre-render`` step, calls it (a no-op when up to date).

    Raises
    ------
    RenderError
        Run by Quarto, the extension's ``_extension.yml`` had to change: Quarto reads it before its pre-render
        step and keeps that copy, so this render would use the previous list of filters.
    """
    project = project_of(project)
    notices = project_notices(project)
    installed = install_extension(project.root, notices.default, notices.by_deliverable)
    if installed.manifest_changed and os.environ.get("QUARTO_PROJECT_OUTPUT_DIR"):  # run by Quarto, pre-render
        raise RenderError(
            f"{installed.path.relative_to(project.root)}/_extension.yml has changed (a new version of cufstudy) "
            "after Quarto had read the previous one, which it keeps until it stops: run quarto render again"
        )
    return installed


def fill_charts_for_quarto(project: Project | Path = Path(), profile: str | None = None) -> list[Path]:
    """For a plain ``quarto render`` (``cufstudy run`` as its pre-render step): the executed notebooks the
    profile's deliverable embeds (every deliverable's without ``profile``) filled with the chart images Quarto
    places (:func:`cufstudy.render.chart_images.fill_for_quarto`). Returns the notebooks written."""
    from cufstudy.render.chart_images import fill_for_quarto

    project = project_of(project)
    todo = deliverables(project, [profile] if profile else None)
    return fill_for_quarto(project.root, todo, project.paths.cache / "charts")
