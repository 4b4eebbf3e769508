"""``cufstudy.render.build``: render the deliverables, check them, then publish them all at once."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cufstudy.core.atomic import atomic_write_bytes
from cufstudy.core.errors import LayoutError, RenderError
from cufstudy.render._stamp import RenderStamp, inputs_digest
from cufstudy.render.config import Deliverable, deliverables
from cufstudy.render.engine import EmbeddedEngine, RenderedFile, external_urls
from cufstudy.render.extension import install_extension
from cufstudy.render.layout import check_pages, pdf_page_count, preview_pdf
from cufstudy.render.quarto import quarto_path, render_with_quarto

__all__ = ["BuildReport", "Engine", "OutputFile", "Verifier", "build"]

Engine = Literal["auto", "pandoc", "quarto"]
Verifier = Callable[[Deliverable, Sequence[Path]], None]
"""Called with a deliverable and its rendered (not yet published) files; raises to stop the build."""
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
    previews: tuple[Path, ...] = ()
    seconds: float = 0.0
    timings: Mapping[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    reused: tuple[str, ...] = ()
    """Deliverables not rendered again: their inputs had not changed since they were published."""

    def summary(self) -> str:
        made = [out for out in self.outputs if out.deliverable not in self.reused]
        lines = [f"built {len(made)} file(s) with the {self.engine} engine in {self.seconds:.1f} s"]
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


def _choose_engine(engine: str) -> str:
    if engine == "auto":
        return "quarto" if quarto_path() else "pandoc"
    if engine == "quarto" and quarto_path() is None:
        raise RenderError(
            "--engine quarto: quarto is not on PATH (install Quarto >= 1.7, or name it with $CUFSTUDY_QUARTO), "
            "or use the embedded engine (--engine pandoc, the default when Quarto is absent)"
        )
    if engine not in ("pandoc", "quarto"):
        raise RenderError(f"unknown engine {engine!r}: choose auto, pandoc or quarto")
    return engine


@dataclass
class _Staged:
    file: RenderedFile
    target: Path
    pages: int | None = None
    previews: list[bytes] = field(default_factory=list)


def build(
    project: Path = Path(),
    profiles: Sequence[str] | None = None,
    engine: Engine = "auto",
    formats: Sequence[str] | None = None,
    preview: bool = False,
    notice: str | None = None,
    verify: Verifier | None = None,
    reuse: bool = True,
    reuse_key: str = "",
) -> BuildReport:
    """Render the deliverables of a Quarto project into its output folder (``_output/``).

    Everything is rendered into a work folder under ``_build/render/`` and checked (page counts,
    offline HTML) before anything is published: a failed build leaves the previous deliverables in
    place. Each file is then moved into place atomically.

    Parameters
    ----------
    project
        The project folder (holds ``_quarto.yml``).
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
        The illustrative-data notice printed on every page; default: the ``cufstudy-notice`` metadata
        of the project or profile (none if absent).
    verify
        Extra check of each deliverable's rendered files before anything is published (the leak check of
        public deliverables); an exception stops the build and nothing is published.
    reuse
        Keep a deliverable whose inputs have not changed since it was published (``_build/render-stamp.json``,
        see :mod:`cufstudy.render._stamp`) instead of rendering it again; ``False`` renders everything.
    reuse_key
        What else the published files depend on, for that comparison (``cufstudy build`` passes a hash of
        the confidential values its ``verify`` looks for).

    Raises
    ------
    SourceError
        Constructs outside the supported subset, missing facts, unresolved references (all located).
    LayoutError
        A PDF breaks its ``cufstudy: pages:`` rule.
    RenderError
        Pandoc, Typst or Quarto failed.

    Examples
    --------
    >>> from cufstudy.render import build
    >>> report = build(Path("."), profiles=["brochure"], preview=True)  # doctest: +SKIP
    """
    started = time.perf_counter()
    root = project.resolve()
    if not (root / "_quarto.yml").is_file() and not (root / "_quarto.yaml").is_file():
        raise RenderError(f"{root} is not a Quarto project: _quarto.yml not found")
    chosen = _choose_engine(engine)
    install_extension(root, notice)  # _extensions/cufstudy/, which the profiles name (a no-op when up to date)
    todo = deliverables(root, profiles, formats)
    stamp = RenderStamp(root)
    data_dir = todo[0].config.get("cufstudy", "data") if todo else None
    digest = inputs_digest(
        root,
        [d.config.data for d in todo],
        root / data_dir if isinstance(data_dir, str) else None,
        {
            "engine": chosen,
            "quarto": _tool_identity(quarto_path()) if chosen == "quarto" else None,
            "formats": sorted(formats or []),
            "preview": preview,
            "notice": notice,
            "key": reuse_key,
        },
    )
    reused: list[OutputFile] = []
    if reuse:
        for deliverable in list(todo):
            recorded = stamp.fresh(deliverable.name, digest)
            if recorded is None:
                continue
            todo.remove(deliverable)
            reused += [
                OutputFile(deliverable.name, out["format"], root / out["path"], out["size"], out.get("pages"))
                for out in recorded
                if out["format"] != "png"
            ]
    if not todo:
        return BuildReport(
            engine=chosen,
            outputs=tuple(reused),
            seconds=time.perf_counter() - started,
            reused=tuple(dict.fromkeys(o.deliverable for o in reused)),
        )
    base = root / "_build" / "render"
    base.mkdir(parents=True, exist_ok=True)
    _sweep(base)
    workdir = Path(tempfile.mkdtemp(prefix=f"build-{os.getpid()}-", dir=base))
    timings: dict[str, float] = {}
    warnings: list[str] = []
    try:
        staged: list[_Staged] = []
        embedded = EmbeddedEngine(root, workdir, notice=notice) if chosen == "pandoc" else None
        for deliverable in todo:
            staging = workdir / "staging" / deliverable.name
            if embedded is not None:
                warnings += [n for n in deliverable.notes if n not in warnings]
                files = embedded.render(deliverable, staging)
            else:
                rendered = render_with_quarto(deliverable, staging)
                files = list(rendered.files)
                timings[f"quarto {deliverable.name}"] = rendered.seconds
                warnings += [f"{deliverable.name}: quarto: {w}" for w in rendered.warnings]
            checked = _check(deliverable, files, embedded, preview)
            if verify is not None:
                verify(deliverable, [item.file.staged for item in checked])
            staged += checked
        if embedded is not None:
            timings.update(embedded.timings)
            warnings += embedded.warnings
        outputs, previews = _publish(staged)
        _remember(stamp, digest, [d.name for d in todo], outputs, previews)
    finally:
        if not os.environ.get("CUFSTUDY_KEEP_BUILD"):
            shutil.rmtree(workdir, ignore_errors=True)
    return BuildReport(
        engine=chosen,
        outputs=(*reused, *outputs),
        previews=tuple(previews),
        seconds=time.perf_counter() - started,
        timings=timings,
        warnings=tuple(warnings),
        reused=tuple(dict.fromkeys(o.deliverable for o in reused)),
    )


def _tool_identity(path: str | None) -> list[object] | None:
    """A program's path, size and date: another version of Quarto renders the deliverables again."""
    if path is None:
        return None
    try:
        st = Path(path).resolve().stat()
    except OSError:
        return [path]
    return [path, st.st_size, st.st_mtime_ns]


def _remember(
    stamp: RenderStamp, digest: str, names: list[str], outputs: list[OutputFile], previews: list[Path]
) -> None:
    """Record what each rendered deliverable was published from (a failure here only costs a re-render)."""
    for name in names:
        files = [(o.path, o.pages, o.format) for o in outputs if o.deliverable == name]
        files += [(p, None, "png") for p in previews if p.name.startswith(f"{name}-")]
        if files:
            stamp.record(name, digest, files)
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


def _check(
    deliverable: Deliverable,
    files: list[RenderedFile],
    embedded: EmbeddedEngine | None,
    preview: bool,
) -> list[_Staged]:
    out: list[_Staged] = []
    for file in files:
        item = _Staged(file, deliverable.output_dir / file.name)
        if file.fmt == "html":
            urls = external_urls(file.staged.read_text(encoding="utf-8", errors="replace"))
            if urls:
                raise RenderError(
                    f"{file.name} would load {urls[0]} from another host; HTML deliverables must work offline "
                    "(embed-resources: true, no CDN scripts, no web fonts)"
                )
        if file.fmt == "typst":
            item.pages = pdf_page_count(file.staged.read_bytes())
            if preview:
                item.previews = _previews(file, embedded)
            try:
                check_pages(deliverable.pages, file.name, item.pages, deliverable.name)
            except LayoutError as exc:
                if not item.previews:
                    raise LayoutError(f"{exc} (build with preview to see the pages)") from None
                folder = deliverable.root / "_build" / "rejected"
                shutil.rmtree(folder / Path(file.name).stem, ignore_errors=True)
                for n, png in enumerate(item.previews, start=1):
                    atomic_write_bytes(folder / Path(file.name).stem / f"{n}.png", png)
                raise LayoutError(f"{exc}; the rejected pages are in {folder / Path(file.name).stem}") from None
        out.append(item)
    return out


def _previews(file: RenderedFile, embedded: EmbeddedEngine | None) -> list[bytes]:
    if embedded is not None and file.typst_source is not None:
        pngs = embedded.compile_typst(file.typst_source, fmt="png", ppi=PREVIEW_PPI)
        return [pngs] if isinstance(pngs, bytes) else list(pngs)
    return preview_pdf(file.staged, PREVIEW_PPI)


def _move(src: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        src.replace(target)
    except OSError:  # another file system: copy through a temporary file beside the target
        atomic_write_bytes(target, src.read_bytes())


def _publish(staged: list[_Staged]) -> tuple[list[OutputFile], list[Path]]:
    outputs: list[OutputFile] = []
    previews: list[Path] = []
    for item in staged:
        _move(item.file.staged, item.target)
        ext = item.target.suffix.lstrip(".")
        outputs.append(OutputFile(item.file.deliverable, ext, item.target, item.target.stat().st_size, item.pages))
        if item.previews:
            folder = item.target.parent / "preview"
            stem = item.target.stem
            for old in folder.glob(f"{stem}-*.png"):
                suffix = old.stem.removeprefix(f"{stem}-")
                if suffix.isdigit() and int(suffix) > len(item.previews):
                    with contextlib.suppress(FileNotFoundError):
                        old.unlink()
            for n, png in enumerate(item.previews, start=1):
                path = folder / f"{stem}-{n}.png"
                atomic_write_bytes(path, png)
                previews.append(path)
    return outputs, previews
