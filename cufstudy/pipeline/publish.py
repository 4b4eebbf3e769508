"""Publication of the deliverables: render them into a work folder, check them, then publish them all at once.

:func:`render_deliverables` renders every deliverable of a project (embedded engine or Quarto) into a
work folder under ``_build/render/``, applies the checks of :mod:`cufstudy.pipeline.checks` to every file,
and only when every deliverable passed moves the files into ``_output/`` as one set
(:mod:`cufstudy.pipeline._swap`: staged beside their targets, a journal, then the renames; a kill between
two renames is finished by the next build): a failed render or check leaves the previous deliverables in
place, and a deliverable's files are never half old, half new. ``cufstudy build`` calls it after running the
notebooks.

:func:`check_and_publish` (``cufstudy check``) applies the same checks to files rendered elsewhere, by a
plain ``quarto render`` whose ``post-render`` step it is, and publishes them into ``_output/`` under the
deliverable's name (``_output/guide.pdf``) only when every check passed.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cufstudy.core.atomic import atomic_write_bytes
from cufstudy.core.errors import ArgumentError, RenderError, WriteError
from cufstudy.core.problems import did_you_mean
from cufstudy.core.project import BuildPaths, Project, project_of
from cufstudy.core.reproducible import source_date
from cufstudy.model.confidential import ConfidentialValue
from cufstudy.pipeline._swap import publish_set, recover
from cufstudy.pipeline.check_pool import CheckPool, Pending
from cufstudy.pipeline.checks import Requirements, Violation, check_files, raise_all, raise_for
from cufstudy.pipeline.leaks import PairingLike, normalise
from cufstudy.pipeline.lock import held_by_parent
from cufstudy.pipeline.notices import Notices, notice_for
from cufstudy.pipeline.progress import Progress
from cufstudy.pipeline.uptodate import tool_identity
from cufstudy.render._docx import finalize_docx
from cufstudy.render._stamp import RenderStamp, deliverable_digest
from cufstudy.render.chart_images import fill_for_quarto
from cufstudy.render.config import OUTPUT_EXTENSIONS, Deliverable, deliverables
from cufstudy.render.engine import FORMAT_WORKERS, EmbeddedEngine, RenderedFile
from cufstudy.render.extension import install_extension
from cufstudy.render.layout import preview_pdf
from cufstudy.render.prose import check_captions, check_prose, raise_for_typed_numbers
from cufstudy.render.quarto import quarto_path, render_with_quarto
from cufstudy.render.shortcodes import embedded_notebooks

__all__ = [
    "ENGINES",
    "BuildReport",
    "CheckResult",
    "Companions",
    "Engine",
    "OutputFile",
    "Pairings",
    "Secrets",
    "Verifier",
    "check_and_publish",
    "check_arguments",
    "check_for_publication",
    "choose_engine",
    "confidential_entries",
    "quarto_output_files",
    "recover_publication",
    "render_deliverables",
    "requirements",
]

Engine = Literal["auto", "pandoc", "quarto"]
ENGINES: tuple[str, ...] = ("auto", "pandoc", "quarto")


@dataclass(frozen=True)
class Companions:
    """Files a verifier adds to a deliverable's publication, in the same set as its own files.

    ``files`` are checked, staged files, each published as ``<the deliverable's output folder>/<its name>``;
    ``remove`` are files of that folder removed in the same set (so that a kill leaves the deliverable and
    its companions all old or all new, see :mod:`cufstudy.pipeline._swap`).
    """

    files: tuple[Path, ...] = ()
    remove: tuple[Path, ...] = ()


Verifier = Callable[[Deliverable, Sequence[Path]], "Companions | None"]
"""Called with a deliverable and its rendered (not yet published) files; raises to stop the build, or returns
the :class:`Companions` to publish with it (the toolbox's Excel grids)."""
Secrets = Callable[[], Sequence[str | ConfidentialValue]]
"""Gives the confidential values the public deliverables must not contain (called once, when first needed),
as text or with the file and field each comes from (which a leak error names, the value masked)."""
Pairings = Callable[[], Sequence[PairingLike]]
"""Gives the real authorities with illustrative coding, and their coding's labels, that the public
deliverables must not print together (:func:`cufstudy.study.pseudonyms.pairings_of`)."""
PREVIEW_PPI = 60.0


@dataclass(frozen=True)
class OutputFile:
    """A published deliverable file."""

    deliverable: str
    format: str
    path: Path
    size: int
    pages: int | None = None


@dataclass(frozen=True)
class BuildReport:
    """What a build produced, how, and how long it took."""

    engine: str
    outputs: tuple[OutputFile, ...]
    """Every file of the deliverables built, rendered or kept, in the order of the deliverables."""
    previews: tuple[Path, ...] = ()
    seconds: float = 0.0
    timings: Mapping[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    reused: tuple[str, ...] = ()
    """Deliverables not rendered again: their inputs had not changed since they were published."""

    def summary(self) -> str:
        made = [out for out in self.outputs if out.deliverable not in self.reused]
        # nothing rendered: no time to tell (and the line is the same every time, as the fast answer of a build
        # with nothing to do prints it: cufstudy.pipeline.uptodate)
        took = f" in {self.seconds:.1f} s" if made else ""
        lines = [f"built {len(made)} file(s) with the {self.engine} engine{took}"]
        if self.reused:
            lines[0] += f"; up to date (inputs unchanged, not rendered again): {', '.join(self.reused)}"
        for out in self.outputs:
            pages = f", {out.pages} page{'s' if out.pages != 1 else ''}" if out.pages is not None else ""
            same = ", unchanged" if out.deliverable in self.reused else ""
            lines.append(f"  {out.path} ({out.size / 1024:.0f} KiB{pages}{same})")
        if self.previews:
            lines.append(f"  {len(self.previews)} preview image(s) in {self.previews[0].parent}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def choose_engine(engine: str) -> str:
    """The engine to use for ``engine`` (any case): ``auto`` is Quarto when on PATH, else the embedded one."""
    name = str(engine).strip().lower()
    if name == "auto":
        return "quarto" if quarto_path() else "pandoc"
    if name not in ("pandoc", "quarto"):
        hint = did_you_mean(name, ENGINES)
        raise ArgumentError(f"unknown engine {engine!r}{hint}; engines: {', '.join(ENGINES)}", "--engine")
    if name == "quarto" and quarto_path() is None:
        raise ArgumentError(
            "quarto: Quarto is not installed (no quarto on PATH; install Quarto >= 1.7, or name it with "
            "$CUFSTUDY_QUARTO), or use the embedded engine: --engine pandoc (what --engine auto chooses when "
            "Quarto is absent)",
            "--engine",
        )
    return name


def check_arguments(
    project: Project | Path,
    profiles: Sequence[str] | None = None,
    formats: Sequence[str] | None = None,
    engine: str = "auto",
) -> tuple[list[Deliverable], str]:
    """Check what a build is asked for before any work: the profiles, the formats, the engine.

    Returns the deliverables and the engine :func:`render_deliverables` would use. Cheap (no notebook runs,
    no rendering), so that ``cufstudy build guid`` fails at once instead of after the notebook runs.

    Raises
    ------
    ArgumentError
        An unknown profile, format or engine (with the nearest one), a named profile without the format
        asked for, ``--engine quarto`` without Quarto.
    SourceError
        The project configuration is outside the supported subset (every problem, located).
    """
    found = deliverables(project_of(project), profiles, formats)
    return found, choose_engine(engine)


@dataclass
class _Staged:
    file: RenderedFile
    target: Path
    pages: int | None = None
    previews: list[bytes] = field(default_factory=list)


def render_deliverables(
    project: Project | Path = Path(),
    profiles: Sequence[str] | None = None,
    engine: Engine = "auto",
    formats: Sequence[str] | None = None,
    preview: bool = False,
    notice: str | Notices | None = None,
    verify: Verifier | None = None,
    reuse: bool = True,
    reuse_key: str = "",
    *,
    secrets: Secrets | None = None,
    quarto_env: Mapping[str, str] | None = None,
    pairings: Pairings | None = None,
    observer: Progress | None = None,
    prepare: Callable[[Deliverable], None] | None = None,
) -> BuildReport:
    """Render the deliverables of a Quarto project, check them, and publish them into ``_output/``.

    Everything is rendered into a work folder under ``_build/render/`` and checked
    (:mod:`cufstudy.pipeline.checks`: page rule, A4, the notice, offline HTML and, given ``secrets``, no
    confidential value in a public deliverable) before anything is published: a failed build leaves the
    previous deliverables in place. Each file is then moved into place atomically.

    Parameters
    ----------
    project
        The project, or its folder (holds ``_quarto.yml``).
    profiles
        Deliverables to build, one profile per entry (``["study", "guide"]``); default: ``$QUARTO_PROFILE``
        or every ``_quarto-<name>.yml``.
    engine
        ``"auto"`` (Quarto if on PATH, else the embedded engine), ``"pandoc"`` (embedded: Pandoc +
        Typst) or ``"quarto"`` (required).
    formats
        Only these formats (``html``, ``pdf``, ``docx``); default: every format of each profile.
    preview
        Also write PNG thumbnails of every PDF page to ``_output/preview/<name>-<n>.png``.
    notice
        The illustrative-data notice printed on every page, and checked to be there: one for every
        deliverable, or each deliverable's (:class:`cufstudy.pipeline.notices.Notices`, what ``cufstudy build``
        passes); default: the ``cufstudy-notice`` metadata of the project or profile (printed, not checked;
        none if absent).
    verify
        Extra check of each deliverable's rendered files before anything is published; an exception stops
        the build and nothing is published.
    prepare
        Called (in this thread) as each deliverable to render starts rendering: for the work of its
        companions that needs not its files, started there in the background and awaited by ``verify``.
    reuse
        Keep a deliverable whose inputs have not changed since it was published (``_build/render-stamp.json``,
        see :mod:`cufstudy.render._stamp`) instead of rendering it again; ``False`` renders everything.
    reuse_key
        What else the published files depend on, for that comparison (``cufstudy build`` passes a hash of
        the confidential values its leak check looks for).
    secrets
        The confidential values no public deliverable may contain (its files and the notebooks it embeds
        are searched); None: no leak check.
    pairings
        The real authorities with illustrative coding no public deliverable may print beside that coding
        (the ``pairing`` rule of :mod:`cufstudy.pipeline.checks`); None: no pairing check.
    quarto_env
        Added to the environment of the Quarto processes (``cufstudy build`` passes its lock handshake,
        see :mod:`cufstudy.pipeline.lock`).
    observer
        Told about each file of each deliverable as it is rendered, checked and published (or reused)
        (:class:`~cufstudy.pipeline.progress.Progress`); default: nothing is shown.

    Raises
    ------
    SourceError
        Constructs outside the supported subset, missing facts, unresolved references, numbers typed in the
        prose instead of facts (:mod:`cufstudy.render.prose`), all located.
    LayoutError
        A PDF breaks its ``cufstudy: pages:`` rule, or is not A4.
    LeakError
        A public deliverable contains a confidential value.
    RenderError
        Pandoc, Typst or Quarto failed, an HTML page would load a remote resource, a page lacks the notice.

    Examples
    --------
    >>> from cufstudy.pipeline.publish import render_deliverables
    >>> report = render_deliverables(Path("."), profiles=["brochure"], preview=True)  # doctest: +SKIP
    """
    started = time.perf_counter()
    project = project_of(project)
    root = project.root
    paths = project.paths
    chosen = choose_engine(engine)
    # _extensions/cufstudy/, which the profiles name (a no-op when up to date), with each profile's notice
    if isinstance(notice, Notices):
        install_extension(root, notice.default, notice.by_deliverable)
    else:
        install_extension(root, notice)
    todo = deliverables(project, profiles, formats)
    order = {d.name: n for n, d in enumerate(todo)}  # the report lists the files in this order, kept or made
    recover(root, paths.output)  # a publication a kill interrupted: finished before anything is compared
    if chosen == "quarto":  # Quarto reads the notebooks' outputs itself: their charts' images, drawn once
        fill_for_quarto(root, todo, paths.cache / "charts")
    stamp = RenderStamp(root)
    options = {
        "engine": chosen,
        "quarto": tool_identity(quarto_path()) if chosen == "quarto" else None,
        "formats": sorted(formats or []),
        "preview": preview,
        "key": reuse_key,
    }
    # each deliverable's own notice (its data's provenance): another notice renders that deliverable again
    digests = {d.name: deliverable_digest(root, d, {**options, "notice": notice_for(notice, d.name)}) for d in todo}
    reused: list[OutputFile] = []
    if reuse:
        for deliverable in list(todo):
            recorded = stamp.fresh(deliverable.name, digests[deliverable.name])
            if recorded is None:
                continue
            todo.remove(deliverable)
            reused += [
                OutputFile(deliverable.name, out["format"], root / out["path"], out["size"], out.get("pages"))
                for out in recorded
                if out["format"] != "png"
            ]
    base = paths.render
    if base.is_dir():
        _sweep(base)  # the work folders of killed builds, even when nothing is rendered again
    show = observer or Progress()
    for out in reused:
        show.file(out.deliverable, out.path.name, "reused")
    for deliverable in todo:
        for name in _file_names(deliverable):
            show.file(deliverable.name, name, "queued")
    if not todo:
        return BuildReport(
            engine=chosen,
            outputs=tuple(reused),
            seconds=time.perf_counter() - started,
            reused=tuple(dict.fromkeys(o.deliverable for o in reused)),
        )
    # every number of the prose comes from the data: a number typed by hand fails before anything is rendered
    # (a paragraph holding a pasted confidential value is left to the leak check of a public deliverable)
    pasted = _pasted_secret(secrets)
    typed = [hit for d in todo for hit in check_prose(d.inputs, root, pasted if d.public else None)]
    # and the captions of the cells they embed, which they print too
    shown = dict.fromkeys(nb for d in todo for main in d.inputs for nb in embedded_notebooks(main, root))
    raise_for_typed_numbers(typed + check_captions(shown, root))
    try:
        base.mkdir(parents=True, exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix=f"build-{os.getpid()}-", dir=base))
    except OSError as exc:
        raise (WriteError.from_os(exc, base) if WriteError.handles(exc) else exc) from exc
    timings: dict[str, float] = {}
    warnings: list[str] = []
    # each deliverable's files are checked in other processes while the next one renders (check_pool)
    pool = CheckPool(inline=sum(len(_file_names(d)) for d in todo) <= 1)
    settling = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cufstudy-verify")
    try:
        staged: list[_Staged] = []
        companions: list[tuple[Path, Companions]] = []
        embedded = EmbeddedEngine(root, workdir) if chosen == "pandoc" else None
        if embedded is not None:  # every deliverable's charts in one batch of drawing processes
            embedded.draw_charts(todo)
        # each deliverable, once its checks are started: its report awaited and its companions verified (the
        # designer pack, the grids) in one thread, in order, while the next deliverables render
        waiting: list[tuple[_Waiting, Future[_Settled]]] = []

        def settle(item: _Waiting) -> _Settled:
            began = time.perf_counter()
            checked = _checked(item, pool, embedded, preview, paths)
            extra = verify(item.deliverable, [one.file.staged for one in checked]) if verify is not None else None
            return _Settled(checked, extra, time.perf_counter() - began)

        def stopped(deliverable: Deliverable, exc: BaseException) -> None:
            """``deliverable`` failed with ``exc``: what failed before it, if anything, is raised instead (the
            deliverable in flight, then an earlier deliverable's check)."""
            for name in _file_names(deliverable):
                show.file(deliverable.name, name, "failed")
            if isinstance(exc, Exception):
                land()
                for _, earlier in waiting:
                    earlier.result()

        def finish(deliverable: Deliverable, own: str | None, files: list[RenderedFile]) -> None:
            """Its DOCX finalised, its checks started, their report awaited in the settling thread."""
            try:
                epoch = source_date(deliverable.config.get("date", default=None)).epoch
                for rendered in files:
                    # no machine path, TOC entries, updateFields, fixed times (the embedded engine's: done)
                    if rendered.staged.suffix == ".docx" and not rendered.finalized:
                        finalize_docx(rendered.staged, epoch)
                for file in files:
                    show.file(deliverable.name, file.name, "checking")
                notebooks = list(dict.fromkeys(nb for file in files for nb in file.notebooks))
                rules = requirements(deliverable, own, secrets, pairings)
                pending = pool.submit([file.staged for file in files], rules, notebooks)
            except BaseException as exc:
                stopped(deliverable, exc)
                raise
            item = _Waiting(deliverable, files, pending)
            waiting.append((item, settling.submit(settle, item)))

        # the embedded engine renders a deliverable's formats in threads, and starts the next deliverable
        # (its expansion here) while they run: one deliverable in flight besides the one being expanded
        rendering = ThreadPoolExecutor(max_workers=FORMAT_WORKERS) if embedded is not None else None
        in_flight: _InFlight | None = None

        def land() -> None:
            """The deliverable in flight, once its files are rendered, finished."""
            nonlocal in_flight
            if in_flight is not None:
                flight, in_flight = in_flight, None
                try:
                    files = [future.result() for future in flight.futures]
                except BaseException as exc:
                    stopped(flight.deliverable, exc)
                    raise
                finish(flight.deliverable, flight.notice, files)

        try:
            for deliverable in todo:
                staging = workdir / "staging" / deliverable.name
                own = notice_for(notice, deliverable.name)
                try:
                    for name in _file_names(deliverable):
                        show.file(deliverable.name, name, "rendering")
                    if prepare is not None:
                        prepare(deliverable)
                    if embedded is not None and rendering is not None:
                        warnings += [n for n in deliverable.notes if n not in warnings]
                        progress = functools.partial(_rendered, show, deliverable.name)
                        futures = embedded.start(deliverable, staging, rendering, progress, own)
                    else:
                        # the files' dates from the configuration or SOURCE_DATE_EPOCH (Pandoc and Typst honour it)
                        when = source_date(deliverable.config.get("date", default=None)).environment()
                        quarto = render_with_quarto(deliverable, staging, env={**when, **(quarto_env or {})})
                        timings[f"quarto {deliverable.name}"] = quarto.seconds
                        warnings += [f"{deliverable.name}: quarto: {w}" for w in quarto.warnings]
                        for file in quarto.files:
                            show.file(deliverable.name, file.name, "rendered", quarto.seconds)
                except BaseException as exc:
                    stopped(deliverable, exc)
                    raise
                land()
                if embedded is not None:
                    in_flight = _InFlight(deliverable, own, futures)
                else:  # rendered already (Quarto): checked at once
                    finish(deliverable, own, list(quarto.files))
            land()
        finally:
            if rendering is not None:  # a failed build waits for the files still rendering, then sweeps them
                rendering.shutdown(wait=True, cancel_futures=True)
        for item, settled in waiting:
            try:
                done = settled.result()
            except BaseException:
                for name in _file_names(item.deliverable):
                    show.file(item.deliverable.name, name, "failed")
                raise
            if done.companions is not None:
                companions.append((item.deliverable.output_dir, done.companions))
            for one in done.checked:
                show.file(item.deliverable.name, one.file.name, "checked", done.seconds)
            staged += done.checked
        timings["checks"] = pool.seconds
        if embedded is not None:
            timings.update(embedded.timings)
            warnings += embedded.warnings
        outputs, previews = _publish(staged, workdir, paths, companions)
        for out in outputs:
            show.file(out.deliverable, out.path.name, "published", detail=_shown(out.path, root))
        _remember(stamp, digests, [d.name for d in todo], outputs, previews)
    except OSError as exc:  # the disk filled up, a folder is read-only: say which, keep what was published
        if not WriteError.handles(exc):
            raise
        raise WriteError.from_os(exc, workdir) from exc
    finally:
        pool.close()  # the checks still running are stopped
        settling.shutdown(wait=True, cancel_futures=True)  # what awaited them ends with them
        if not os.environ.get("CUFSTUDY_KEEP_BUILD"):
            shutil.rmtree(workdir, ignore_errors=True)
    return BuildReport(
        engine=chosen,
        outputs=tuple(sorted((*reused, *outputs), key=lambda out: order[out.deliverable])),
        previews=tuple(previews),
        seconds=time.perf_counter() - started,
        timings=timings,
        warnings=tuple(warnings),
        reused=tuple(dict.fromkeys(o.deliverable for o in reused)),
    )


def _pasted_secret(secrets: Secrets | None) -> Callable[[str], bool] | None:
    """A paragraph's test: does it hold one of the confidential values (folded as the leak check folds)?"""
    if secrets is None:
        return None
    source = secrets

    @functools.cache
    def folded() -> tuple[str, ...]:  # loaded only when a paragraph types a number
        values = (s.value if isinstance(s, ConfidentialValue) else s for s in source())
        return tuple(v for v in (normalise(s) for s in values) if v)

    return lambda paragraph: any(v in normalise(paragraph) for v in folded())


def _rendered(show: Progress, deliverable: str, file: RenderedFile, seconds: float) -> None:
    show.file(deliverable, file.name, "rendered", seconds)


def _file_names(deliverable: Deliverable) -> list[str]:
    """The names of the files a deliverable renders (``guide.html``...), in render order."""
    return [deliverable.output_name(source, fmt) for source in deliverable.inputs for fmt in deliverable.formats]


def _shown(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def requirements(
    deliverable: Deliverable, notice: str | None, secrets: Secrets | None, pairings: Pairings | None = None
) -> Requirements:
    """What the checks require of a deliverable: its page rule, the notice, and for a public one no leak
    and no real authority beside its illustrative coding."""
    typst = deliverable.project_options("typst")
    crossref = typst.get("crossref")
    labels = crossref if isinstance(crossref, dict) else {}
    return Requirements(
        deliverable.name,
        pages=deliverable.pages,
        notice=notice,
        secrets=secrets if deliverable.public else None,
        pairings=pairings if deliverable.public else None,
        preflight=deliverable.settings.preflight,
        chapter_breaks=typst.get("cufstudy-variant", "study") != "brochure",
        captions=(str(labels.get("tbl-title", "Tableau")), str(labels.get("fig-title", "Figure"))),
    )


def _remember(
    stamp: RenderStamp, digests: Mapping[str, str], names: list[str], outputs: list[OutputFile], previews: list[Path]
) -> None:
    """Record what each rendered deliverable was published from (a failure here only costs a re-render)."""
    for name in names:
        files = [(o.path, o.pages, o.format) for o in outputs if o.deliverable == name]
        files += [(p, None, "png") for p in previews if p.name.startswith(f"{name}-")]
        if files:
            stamp.record(name, digests[name], files)
        else:
            stamp.forget(name)
    with contextlib.suppress(OSError):
        stamp.save()


def _sweep(base: Path) -> None:
    """Remove the work folders left by builds that were killed (their process is gone)."""
    for folder in base.glob("build-*"):
        pid = folder.name.split("-")[1]
        if pid.isdigit() and _alive(int(pid)):
            continue
        shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


@dataclass(frozen=True)
class _Settled:
    """A deliverable whose checks passed: its staged files, its companions, the seconds it took."""

    checked: list[_Staged]
    companions: Companions | None
    seconds: float


@dataclass(frozen=True)
class _InFlight:
    """A deliverable whose files are being rendered, with its notice."""

    deliverable: Deliverable
    notice: str | None
    futures: list[Future[RenderedFile]]


@dataclass(frozen=True)
class _Waiting:
    """A rendered deliverable whose files are being checked."""

    deliverable: Deliverable
    files: list[RenderedFile]
    pending: Pending


def _checked(
    item: _Waiting, pool: CheckPool, embedded: EmbeddedEngine | None, preview: bool, paths: BuildPaths
) -> list[_Staged]:
    """The staged files of a deliverable once its checks are done; its error if one failed."""
    report = pool.report(item.pending)
    deliverable, files = item.deliverable, item.files
    out: list[_Staged] = []
    for file in files:
        one = _Staged(file, deliverable.output_dir / file.name, pages=report.pages.get(file.staged))
        if file.fmt == "typst" and preview:
            one.previews = _previews(file, embedded)
        out.append(one)
    note = ""
    if any(v.rule == "pages" for v in report.violations):
        rejected = [one for one in out if one.previews and _breaks_pages(one, report.violations)]
        if not rejected:
            note = " (build with preview to see the pages)"
        for one in rejected:
            folder = paths.rejected / Path(one.file.name).stem
            shutil.rmtree(folder, ignore_errors=True)
            for n, png in enumerate(one.previews, start=1):
                atomic_write_bytes(folder / f"{n}.png", png)
            note = f"; the rejected pages are in {folder}"
    raise_for(_as_published(report.violations, out, paths.root), deliverable.name, layout_note=note)
    return out


def _as_published(violations: Sequence[Violation], staged: Sequence[_Staged], root: Path) -> list[Violation]:
    """The violations, naming each rendered file as it would have been published (``_output/guide.pdf``), not
    by its place in the work folder; an embedded notebook is named relative to the project."""
    names = {item.file.staged: item.target for item in staged}
    out = []
    for v in violations:
        shown = names.get(v.file, v.file)
        shown = shown.relative_to(root) if shown.is_relative_to(root) else shown
        out.append(Violation(shown, v.rule, v.message.replace(str(v.file), str(shown))))
    return out


def _breaks_pages(item: _Staged, violations: Sequence[Violation]) -> bool:
    return any(v.rule == "pages" and v.file == item.file.staged for v in violations)


def _previews(file: RenderedFile, embedded: EmbeddedEngine | None) -> list[bytes]:
    if embedded is not None and file.typst_source is not None:
        pngs = embedded.compile_typst(file.typst_source, fmt="png", ppi=PREVIEW_PPI)
        return [pngs] if isinstance(pngs, bytes) else list(pngs)
    return preview_pdf(file.staged, PREVIEW_PPI)


def _publish(
    staged: list[_Staged], workdir: Path, paths: BuildPaths, companions: Sequence[tuple[Path, Companions]] = ()
) -> tuple[list[OutputFile], list[Path]]:
    """Publish every checked file, its preview pages and the companions of its deliverable, as one set
    (:func:`cufstudy.pipeline._swap.publish_set`)."""
    swaps: list[tuple[Path, Path]] = [(f, folder / f.name) for folder, extra in companions for f in extra.files]
    remove: list[Path] = [old for _, extra in companions for old in extra.remove]
    previews: list[Path] = []
    for item in staged:
        swaps.append((item.file.staged, item.target))
        if item.previews:
            folder = item.target.parent / "preview"
            stem = item.target.stem
            for old in folder.glob(f"{stem}-*.png"):
                suffix = old.stem.removeprefix(f"{stem}-")
                if suffix.isdigit() and int(suffix) > len(item.previews):
                    remove.append(old)
            for n, png in enumerate(item.previews, start=1):
                page = workdir / "previews" / f"{stem}-{n}.png"
                page.parent.mkdir(parents=True, exist_ok=True)
                page.write_bytes(png)
                swaps.append((page, folder / page.name))
                previews.append(folder / page.name)
    publish_set(paths.root, paths.output, swaps, remove)
    outputs = [
        OutputFile(
            item.file.deliverable, item.target.suffix.lstrip("."), item.target, item.target.stat().st_size, item.pages
        )
        for item in staged
    ]
    return outputs, previews


def recover_publication(project: Project | Path = Path()) -> bool:
    """Finish a publication into ``_output/`` that a kill interrupted (see :mod:`cufstudy.pipeline._swap`).

    Every build and ``cufstudy check`` does it first; returns whether there was one to finish.
    """
    paths = project_of(project).paths
    return recover(paths.root, paths.output)


# -- cufstudy check: the checks of files rendered by a plain quarto render --------------------------------
_EXTENSION_FORMATS = {ext: fmt for fmt, ext in OUTPUT_EXTENSIONS.items()}
QUARTO_OUTPUT_FILES = "QUARTO_PROJECT_OUTPUT_FILES"
QUARTO_OUTPUT_LIST = "QUARTO_USE_FILE_FOR_PROJECT_OUTPUT_FILES"


@dataclass(frozen=True)
class CheckResult:
    """What :func:`check_and_publish` checked and published."""

    checked: tuple[Path, ...] = ()
    published: tuple[OutputFile, ...] = ()
    ignored: tuple[Path, ...] = ()
    """Files checked that are no deliverable of the active profiles (not published)."""
    note: str | None = None

    def summary(self) -> str:
        if self.note:
            return self.note
        lines = [f"checked {len(self.checked)} file(s): every check passed"]
        lines += [f"  published {o.path} ({o.size / 1024:.0f} KiB)" for o in self.published]
        lines += [f"  not a deliverable, not published: {p}" for p in self.ignored]
        return "\n".join(lines)


def quarto_output_files(env: Mapping[str, str] | None = None) -> list[str] | None:
    """The files a ``quarto render`` produced, as its ``post-render`` step sees them, or None.

    Quarto lists them, relative to the project folder, one a line, in ``$QUARTO_PROJECT_OUTPUT_FILES``,
    or in the file named by ``$QUARTO_USE_FILE_FOR_PROJECT_OUTPUT_FILES`` when that is set.
    """
    env = os.environ if env is None else env
    if env.get(QUARTO_OUTPUT_LIST):
        try:
            text = Path(env[QUARTO_OUTPUT_LIST]).read_text(encoding="utf-8")
        except OSError as exc:
            raise RenderError(f"cannot read the list of rendered files {env[QUARTO_OUTPUT_LIST]}: {exc}") from exc
    elif QUARTO_OUTPUT_FILES in env:
        text = env[QUARTO_OUTPUT_FILES]
    else:
        return None
    return [line.strip() for line in text.splitlines() if line.strip()]


def _match(deliverable: Deliverable, path: Path) -> tuple[Path, str] | None:
    """The (source, format) of ``deliverable`` that ``path`` is the rendering of, if any."""
    fmt = _EXTENSION_FORMATS.get(path.suffix.lower().lstrip("."))
    if fmt is None or fmt not in deliverable.formats:
        return None
    for source in deliverable.inputs:
        if path.stem in (source.stem, deliverable.output_name(source, fmt).rsplit(".", 1)[0]):
            return source, fmt
    return None


def check_and_publish(
    project: Project | Path = Path(),
    profiles: Sequence[str] | None = None,
    files: Sequence[Path | str] | None = None,
    *,
    notice: str | Notices | None = None,
    secrets: Secrets | None = None,
    env: Mapping[str, str] | None = None,
    pairings: Pairings | None = None,
) -> CheckResult:
    """Check rendered deliverables (``cufstudy check``) and publish those that were rendered elsewhere.

    The files are ``files``, else those Quarto lists for its ``post-render`` step
    (:func:`quarto_output_files`), else the published ``_output/<profile>.<ext>`` of the profiles. Each is
    matched to a deliverable of the active profiles (``profiles``, else ``$QUARTO_PROFILE``, else every
    profile) by its name and extension, and the checks of :mod:`cufstudy.pipeline.checks` are applied, with
    that deliverable's rules, to it and to the notebooks the deliverable embeds. Only when every check of
    every file passed are the files that are not yet in ``_output/`` copied there, atomically, under the
    deliverable's name (``_build/quarto/reports/guide/guide.pdf`` -> ``_output/guide.pdf``). A file that is no
    deliverable is checked for external resources and confidential values, and not published.

    When started by Quarto inside ``cufstudy build --engine quarto`` (see :mod:`cufstudy.pipeline.lock`),
    nothing is done: the build checks and publishes the files itself.

    Parameters
    ----------
    notice
        The notice every page must show (``cufstudy check`` passes the illustrative-data notice while the
        data is illustrative); None: not checked.
    secrets
        The confidential values the public deliverables must not contain; None: no leak check.
    env
        The environment to read Quarto's variables from (default ``os.environ``).

    Raises
    ------
    LeakError, LayoutError, RenderError
        Naming every file, rule and problem found; nothing was published.
    """
    project = project_of(project)
    env = os.environ if env is None else env
    if held_by_parent(project):
        return CheckResult(note="run by Quarto inside cufstudy build, which checks and publishes the files itself")
    root = project.root
    if profiles is None and env.get("QUARTO_PROFILE"):
        profiles = [env["QUARTO_PROFILE"]]
    todo = deliverables(project, profiles)
    listed = [str(f) for f in files] if files is not None else quarto_output_files(env)
    if listed is None:  # the published files
        paths = [d.output_dir / d.output_name(source, fmt) for d in todo for source in d.inputs for fmt in d.formats]
        candidates = [p for p in paths if p.is_file()]
        if not candidates:
            names = ", ".join(d.name for d in todo)
            raise RenderError(f"nothing to check: no rendered file of {names} in {project.paths.output}")
    else:
        candidates = [(root / name).resolve() for name in listed]
        missing = [p for p in candidates if not p.is_file()]
        if missing:
            raise RenderError(f"cannot check {project.display(missing[0])}: no such file")

    matched: dict[str, list[tuple[Path, Path, str]]] = {d.name: [] for d in todo}
    ignored: list[Path] = []
    for path in candidates:
        for deliverable in todo:
            hit = _match(deliverable, path)
            if hit is not None:
                matched[deliverable.name].append((path, *hit))
                break
        else:
            ignored.append(path)
    violations: list[Violation] = []
    for deliverable in todo:
        items = matched[deliverable.name]
        if not items:
            continue
        notebooks = [nb for source in {s for _, s, _ in items} for nb in embedded_notebooks(source, root)]
        own = notice_for(notice, deliverable.name)
        report = check_files([p for p, _, _ in items], requirements(deliverable, own, secrets, pairings), notebooks)
        violations += report.violations
    if ignored:
        strict = any(d.public for d in todo)
        rules = Requirements("(not a deliverable)", secrets=secrets if strict else None, typography=False)
        violations += check_files(ignored, rules).violations
    by_name = {d.name: d for d in todo}
    work = project.paths.render / f"check-{os.getpid()}"
    published: list[OutputFile] = []
    copies: list[tuple[Path, Path]] = []
    try:
        brochure = _brochure_docx(by_name, matched)
        if brochure is not None and brochure[1] == brochure[2]:
            # the published brochure: its designer pack is beside it, as a build writes it, without leak or path
            violations += _pack_check(brochure[0], brochure[2], work, notice, secrets, pairings)
            candidates.append(_pack_path(brochure[2]))
        # each line names the file once: ``<file>: <rule>: <problem>``
        shown = [
            Violation(Path(project.display(v.file)), v.rule, v.message.removeprefix(f"{v.file}: ")) for v in violations
        ]
        raise_all(shown, f"{len(shown)} check{'s' * (len(shown) != 1)} failed; nothing was published:")
        for name, items in matched.items():
            deliverable = by_name[name]
            for path, source, fmt in items:
                target = deliverable.output_dir / deliverable.output_name(source, fmt)
                if path != target:
                    copy = work / target.name
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, copy)  # Quarto's file stays where Quarto put it
                    copies.append((copy, target))
                    published.append(OutputFile(name, target.suffix.lstrip("."), target, path.stat().st_size))
        if brochure is not None and brochure[1] != brochure[2]:
            # a brochure Quarto rendered: its designer pack, written from its DOCX and checked, in the same set
            pack = _pack(brochure[0], work / brochure[2].name, work, notice, secrets, pairings)
            if pack is not None:
                target = brochure[0].output_dir / pack.name
                copies.append((pack, target))
                published.append(OutputFile(brochure[0].name, "zip", target, pack.stat().st_size))
        publish_set(root, project.paths.output, copies)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return CheckResult(
        checked=tuple(candidates),
        published=tuple(published),
        ignored=tuple(ignored),
    )


def _brochure_docx(
    by_name: Mapping[str, Deliverable], matched: Mapping[str, Sequence[tuple[Path, Path, str]]]
) -> tuple[Deliverable, Path, Path] | None:
    """The DOCX of the deliverable with a designer pack among the checked files: the deliverable, the file
    checked and where it is published (the same path when the published file is checked)."""
    from cufstudy.pipeline.designer import PACK_DELIVERABLE

    deliverable = by_name.get(PACK_DELIVERABLE)
    for path, source, fmt in matched.get(PACK_DELIVERABLE, ()):
        if deliverable is not None and fmt == "docx":
            return deliverable, path, deliverable.output_dir / deliverable.output_name(source, fmt)
    return None


def _pack(
    deliverable: Deliverable,
    docx: Path,
    work: Path,
    notice: str | Notices | None,
    secrets: Secrets | None,
    pairings: Pairings | None,
) -> Path | None:
    """The designer pack of a brochure rendered elsewhere, staged in ``work`` from its DOCX, checked."""
    from cufstudy.pipeline.designer import stage_pack

    public = deliverable.public
    return stage_pack(
        deliverable, [docx], deliverable.root, work, notice=notice_for(notice, deliverable.name),
        secrets=secrets if public else None, pairings=pairings if public else None,
    )  # fmt: skip


def _pack_path(docx: Path) -> Path:
    """Where the designer pack of the brochure DOCX ``docx`` is published: beside it."""
    from cufstudy.pipeline.designer import PACK_NAME

    return docx.parent / PACK_NAME


def _pack_check(
    deliverable: Deliverable,
    docx: Path,
    work: Path,
    notice: str | Notices | None,
    secrets: Secrets | None,
    pairings: Pairings | None,
) -> list[Violation]:
    """The problems of the designer pack beside the published brochure DOCX ``docx``."""
    from cufstudy.pipeline.designer import verify_pack

    public = deliverable.public
    return verify_pack(
        deliverable, docx, _pack_path(docx), deliverable.root, work, notice=notice_for(notice, deliverable.name),
        secrets=secrets if public else None, pairings=pairings if public else None,
    )  # fmt: skip


def confidential_entries(project: Project) -> list[ConfidentialValue]:
    """The confidential values of the project's case base, each with its file (as the project shows it) and field."""
    from cufstudy.model.cases import load_cases

    return [
        ConfidentialValue(e.value, project.display(Path(e.file)) if e.file else "", e.field)
        for e in load_cases(project.data_dir).confidential_entries()
    ]


def check_for_publication(
    project: Project | Path = Path(),
    profiles: Sequence[str] | None = None,
    files: Sequence[Path | str] | None = None,
) -> CheckResult:
    """``cufstudy check``: :func:`check_and_publish` with what the project's data requires.

    Each deliverable's notice (:func:`cufstudy.pipeline.notices.project_notices`: what its data's provenance
    markers make illustrative) is required on every page; the confidential values are those of the case base
    (read, and validated, from the project's data folder).
    """
    from cufstudy.pipeline.notices import project_notices

    project = project_of(project)
    if held_by_parent(project):
        return check_and_publish(project, profiles, files)
    notices = project_notices(project)

    @functools.cache
    def secrets() -> list[ConfidentialValue]:
        return confidential_entries(project)

    @functools.cache
    def pairings() -> list[PairingLike]:
        from cufstudy.study.pseudonyms import pairings_of

        return list(pairings_of(project.data_dir))

    return check_and_publish(
        project,
        profiles,
        files,
        notice=notices,
        secrets=secrets,
        pairings=pairings,
    )
