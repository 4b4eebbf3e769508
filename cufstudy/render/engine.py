"""The embedded engine: renders a deliverable with Pandoc (``pypandoc-binary``) and Typst (``typst``).

For each main document and format, the engine

1. expands the ``.qmd`` (:func:`cufstudy.render.shortcodes.expand`): includes, embedded notebook
   outputs, facts, page breaks; every problem of every format is collected and raised together;
2. merges the options as Quarto does: project top level < ``format: <fmt>:`` of the project < front
   matter < ``format: <fmt>:`` of the front matter;
3. runs one pandoc process per format with the packaged Lua filters (structure,
   cross-references, citeproc, callouts, French typography, then the project's own ``filters:``);
4. HTML: ``--embed-resources --standalone``, one Vega bundle per page when it has charts (the build
   then checks that nothing is loaded from another host); PDF: pandoc writes Typst with the packaged Typst
   templates, the ``typst`` package compiles it with the project as root and the packaged Inter fonts;
   DOCX: ``--reference-doc`` (a per-build copy whose header carries the illustrative-data notice).

Outputs go to a staging folder, each file with the list of the notebooks it embeds; checking and
publishing them into ``_output/`` is the caller's job (:func:`cufstudy.pipeline.publish.render_deliverables`),
so that a failed build never touches the previous deliverables.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cufstudy.core.errors import RenderError, SourceError
from cufstudy.core.french import format_date
from cufstudy.core.problems import Problems
from cufstudy.core.project import SETTINGS_KEY, BuildPaths
from cufstudy.core.reproducible import SourceDate, source_date
from cufstudy.notebook.charts.vega import register_fonts
from cufstudy.notebook.facts import Fact, FactStore, facts_path
from cufstudy.render._docx import finalize_docx
from cufstudy.render._notebook import Assets, NotebookCache
from cufstudy.render._portable import local_prefixes
from cufstudy.render._vega import BUNDLE_MARKER, inject_bundle
from cufstudy.render.chart_images import ChartImages, chart_requests
from cufstudy.render.config import (
    EXTENSION_FILTERS,
    KNOWN_EXTENSIONS,
    Deliverable,
    check_options,
    filter_path,
    merge_configs,
)
from cufstudy.render.extension import NOTICE_PLACEHOLDER, extension_dir, reference_docx_with_notice
from cufstudy.render.shortcodes import Expanded, expand
from cufstudy.resources import font_dirs, template_path

__all__ = [
    "FORMAT_WORKERS",
    "NOTICE_PLACEHOLDER",
    "EmbeddedEngine",
    "RenderedFile",
    "Templates",
    "external_urls",
    "find_templates",
    "pandoc_path",
]

#: keys the engine turns into pandoc options or files, not metadata
_ENGINE_KEYS = frozenset(
    {
        "css",
        "embed-resources",
        "self-contained",
        "standalone",
        "reference-doc",
        "template-partials",
        "font-paths",
        "format",
        "number-sections",
        "toc-depth",
        "filters",
        "shortcodes",
        SETTINGS_KEY,
        "project",
        "profile",
        "metadata-files",
        "html-math-method",
        "citeproc",
        "shift-heading-level-by",  # this engine always writes one <h1> per HTML page (_one_h1)
    }
)
#: the Typst template partials a profile may name (cufstudy-cover.typ: the cover and colophon)
_PARTIALS = ("typst-template.typ", "typst-show.typ", "cufstudy-cover.typ")
#: metadata passed literally on the command line (paths), not through the metadata file
_LITERAL_KEYS = ("cufstudy-root", "cufstudy-docdir", "bibliography", "csl")
_PATH_KEYS = ("bibliography", "csl", "css", "reference-doc", "template-partials", "font-paths")
FORMAT_WORKERS = 3
"""Files rendered at once (threads: each waits on pandoc, then Typst or the DOCX rewrite)."""
_WARNING = re.compile(r"^\[WARNING\] (.*)$", re.M)
_CITE_MISSING = re.compile(r"Citeproc: citation (\S+) not found")
_EXTERNAL = re.compile(
    r"<(script|link|img|iframe|source|video|audio|embed|object)\b[^>]*?\b(?:src|href|data)\s*=\s*[\"']?((?:https?:)?//[^\"'\s>]+)",
    re.I,
)


def pandoc_path() -> str:
    """The pandoc executable of the ``pypandoc-binary`` wheel (or ``pandoc`` on PATH)."""
    try:
        import pypandoc

        return str(pypandoc.get_pandoc_path())
    except (ImportError, OSError) as exc:
        found = shutil.which("pandoc")
        if found:
            return found
        raise RenderError("pandoc not found: pip install pypandoc-binary") from exc


@dataclass(frozen=True)
class Templates:
    """The files the engine uses; a project's ``templates/`` overrides the packaged ones file by file."""

    filters: tuple[Path, ...]
    typst_dir: Path
    typst_files: Mapping[str, Path]
    css: Path
    page_css: Path
    reference_docx: Path
    csl: Path
    fonts: tuple[Path, ...]


def find_templates(root: Path) -> Templates:
    """Resolve every template file for the project at ``root`` (:func:`cufstudy.resources.template_path`)."""
    typst_files = {
        name: template_path(f"typst/{name}", root)
        for name in ("template.typ", "definitions.typ", "typst-template.typ", "typst-show.typ", "cufstudy-cover.typ")
    }
    return Templates(
        filters=tuple(
            template_path(f"filters/{name}", root)
            for name in (
                "structure.lua", "crossref.lua", "callouts.lua", "typography-fr.lua", "layout.lua", "publication.lua"
            )
        ),
        typst_dir=typst_files["template.typ"].parent,
        typst_files=typst_files,
        css=template_path("cufstudy.css", root),
        page_css=template_path("page.css", root),
        reference_docx=template_path("reference.docx", root),
        csl=template_path("csl/iso690-author-date-fr.csl", root),
        fonts=tuple(font_dirs(root)),
    )


_NOTICE_DIV = re.compile(r'<div class="cufstudy-notice"[^>]*>.*?</div>\s*', re.S)


def _main_landmark(page: str) -> str:
    """Wrap the document (after the notice band) in ``<main>``: the landmark screen readers jump to."""
    if "<main" in page or "<body" not in page or "</body>" not in page:
        return page
    body = page.index(">", page.index("<body")) + 1
    notice = _NOTICE_DIV.match(page, re.match(r"\s*", page[body:]).end() + body)  # type: ignore[union-attr]
    start = notice.end() if notice else body
    end = page.rindex("</body>")
    return f"{page[:start]}<main id=\"cufstudy-main\">\n{page[start:end]}</main>\n{page[end:]}"


_HEADING_TAG = re.compile(r"<(/?)h([1-6])\b")
_TITLE_BLOCK_END = re.compile(r"</header>|<nav\b|<main\b")
_TOC_NAV = re.compile(r'<nav id="TOC"[^>]*>.*?</nav>', re.S)


def _one_h1(page: str) -> str:
    """One ``<h1>`` per page, the document's title: every heading of the body goes one level down.

    Pandoc writes a level-1 heading (a chapter) as ``<h1>``, beside the title's ``<h1 class="title">``; the
    chapters become ``<h2>``, their sections ``<h3>``... (``page.css`` keeps their look). The headings'
    numbers and ids do not change, so the table of contents and the cross-references still reach them.
    """
    title = page.find('<h1 class="title"')
    if title < 0:
        return page
    end = _TITLE_BLOCK_END.search(page, title)
    start = end.start() if end else page.index("</h1>", title) + len("</h1>")

    def shift(m: re.Match[str]) -> str:
        return f"<{m.group(1)}h{min(int(m.group(2)) + 1, 6)}"

    toc = _TOC_NAV.search(page, start)  # the table of contents keeps its <h2> title
    if toc is None:
        return page[:start] + _HEADING_TAG.sub(shift, page[start:])
    shifted = _HEADING_TAG.sub(shift, page[start : toc.start()]) + toc.group(0)
    return page[:start] + shifted + _HEADING_TAG.sub(shift, page[toc.end() :])


_TABLE_OR_HEADING = re.compile(
    r"<h([1-6])\b[^>]*>(?P<heading>.*?)</h\1>|<table\b[^>]*>(?P<caption>\s*<caption\b)?", re.S
)
_NUMBER_SPAN = re.compile(r'<span class="header-section-number">.*?</span>', re.S)


def _table_captions(page: str) -> str:
    """Every table gets a ``<caption>``: a table without one is named, for screen readers only, by the heading
    of its section (no visible text, no table number: the numbering of every format stays the same)."""
    out: list[str] = []
    last = 0
    heading = ""
    for m in _TABLE_OR_HEADING.finditer(page):
        if m.group("heading") is not None:
            text = html.unescape(re.sub(r"<[^>]+>", "", _NUMBER_SPAN.sub("", m.group("heading"))))
            heading = re.sub(r"[ \t\r\n]+", " ", text).strip(" ")  # no-break spaces kept
            continue
        if m.group("caption") is not None or not heading:
            continue
        caption = html.escape(heading, quote=False)
        out += [page[last : m.end()], f'<caption class="cufstudy-sr-only">{caption}</caption>']
        last = m.end()
    return "".join(out) + page[last:]


def external_urls(page: str) -> list[str]:
    """URLs on other hosts that an HTML page would load (script, link, img, iframe, media)."""
    return [m.group(2) for m in _EXTERNAL.finditer(page)]


@dataclass(frozen=True)
class RenderedFile:
    """A file rendered into the staging folder, and where it goes."""

    deliverable: str
    fmt: str
    staged: Path
    name: str
    typst_source: Path | None = None
    notebooks: tuple[Path, ...] = ()
    """The executed notebooks whose outputs the file embeds (absolute paths): the checks read them too."""
    finalized: bool = False
    """A DOCX given its last touches already (:func:`cufstudy.render._docx.finalize_docx`, in the render
    thread); else the build does it before its checks."""


@dataclass
class _Job:
    source: Path
    fmt: str
    expanded: Expanded
    options: dict[str, Any]
    name: str
    notice: str | None = None
    """The notice the engine prints on the deliverable (its data's provenance); None: the options' own."""

    @property
    def when(self) -> SourceDate:
        """The document's date and the timestamp of its files (:mod:`cufstudy.core.reproducible`)."""
        return source_date(self.options.get("date"))


@dataclass
class EmbeddedEngine:
    """Renders deliverables of one project into a work folder with pandoc and typst."""

    root: Path
    workdir: Path
    notice: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        self.templates = find_templates(self.root)
        self.pandoc = pandoc_path()
        self.notebooks = NotebookCache()
        self.charts = ChartImages(BuildPaths(self.root).cache / "charts")
        self.assets = Assets(self.workdir / "assets", self.charts)
        self._charted: set[str] = set()  # the deliverables whose chart images draw_charts has drawn
        self._facts: dict[str, Fact] | None = None
        self._facts_file = facts_path(self.root)
        for folder in self.templates.fonts:
            register_fonts(folder)

    # -- inputs ---------------------------------------------------------------------------------
    @property
    def facts(self) -> dict[str, Fact]:
        if self._facts is None:
            self._facts = FactStore(self._facts_file).read()
        return self._facts

    def _display(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.root))
        except ValueError:
            return str(path)

    def _resolve_paths(self, opts: Mapping[str, Any], base: Path) -> dict[str, Any]:
        """Absolute paths for the path options; ``/x`` is relative to the project root (as Quarto reads it)."""
        out = dict(opts)
        for key in _PATH_KEYS:
            if key in out and out[key] is not None:
                value = out[key]
                paths = [self._path(str(v), base) for v in (value if isinstance(value, list) else [value])]
                kept = [p for p in paths if p is not None]
                out[key] = kept if isinstance(value, list) else (kept[0] if kept else None)
        return out

    def _path(self, value: str, base: Path) -> str | None:
        """One path option, absolute. A file of the installed extension (``_extensions/cufstudy/``) is read
        from its source (the packaged file or the project's ``templates/`` override), which the engine
        prepares itself (the notice in ``reference.docx``); the extension's fonts are already used."""
        path = base / value
        if value.startswith("/") and not path.exists():  # Quarto: "/x" is x in the project
            path = self.root / value.lstrip("/")
        path = path.resolve()
        installed = extension_dir(self.root)
        if path.is_relative_to(installed):
            rel = path.relative_to(installed).as_posix()
            if rel == "fonts" or rel.startswith("fonts/"):
                return None
            if re.fullmatch(r"reference-[^/]+\.docx", rel):  # a profile's copy (extension.profile_files)
                rel = "reference.docx"
            with contextlib.suppress(RenderError):
                return str(template_path(rel, self.root))
        return str(path)

    def _options(
        self, deliverable: Deliverable, source: Path, fmt: str, front: Mapping[str, Any], problems: Problems
    ) -> dict[str, Any]:
        project = self._resolve_paths(deliverable.project_options(fmt), self.root)
        doc_dir = source.resolve().parent
        front_top = {k: v for k, v in front.items() if k != "format"}
        front_formats = front.get("format") or {}
        display = self._display(source)
        if isinstance(front_formats, str):
            front_formats = {front_formats: {}}
        front_fmt: dict[str, Any] = {}
        if isinstance(front_formats, dict):
            for name, opts in front_formats.items():
                if name not in deliverable.config.get("format", default={}):
                    problems.add(display, f"front matter format {name!r} is not listed by the profile's format:", 1)
                elif name == fmt and isinstance(opts, dict):
                    check_options(opts, fmt, problems, lambda key: (display, 1), f"format.{fmt}")
                    front_fmt = opts
        doc = self._resolve_paths(merge_configs(front_top, front_fmt), doc_dir)
        merged: dict[str, Any] = dict(merge_configs(project, doc))
        # lists that Quarto would concatenate but that are single values for us
        for key in ("csl", "reference-doc"):
            if isinstance(merged.get(key), list):
                merged[key] = merged[key][-1]
        return merged

    # -- one document -----------------------------------------------------------------------------
    def prepare(self, deliverable: Deliverable, notice: str | None = None) -> list[_Job]:
        """Expand every document of ``deliverable`` for every format; raise all problems at once.

        ``notice``: the deliverable's notice (default: the engine's :attr:`notice`)."""
        notice = self.notice if notice is None else notice
        problems = Problems(SourceError)
        jobs: list[_Job] = []
        self.draw_charts([deliverable])  # every chart image the expansion places, drawn at once (if not yet)
        started = time.perf_counter()
        for source in deliverable.inputs:
            for fmt in deliverable.formats:
                expanded = expand(
                    source,
                    self.root,
                    fmt,
                    self.facts,
                    self.notebooks,
                    self.assets,
                    problems,
                    facts_file=self._display(self._facts_file),
                )
                options = self._options(deliverable, source, fmt, expanded.front_matter, problems)
                jobs.append(_Job(source, fmt, expanded, options, deliverable.output_name(source, fmt), notice))
        self.timings["expand"] = self.timings.get("expand", 0.0) + time.perf_counter() - started
        # one summary for every kind: a construct outside the subset, an unknown fact or embed, a bad encoding
        problems.raise_if_any(f"{deliverable.name}: the sources cannot be rendered")
        return jobs

    def draw_charts(self, todo: Sequence[Deliverable]) -> int:
        """Draw the static images of every chart ``todo`` embeds for its formats (an SVG for a PDF, a PNG
        for a DOCX), in parallel, those not cached yet (:mod:`cufstudy.render.chart_images`); returns how
        many were drawn. Expanding the documents then finds every image drawn."""
        todo = [d for d in todo if d.name not in self._charted]
        if not todo:
            return 0
        self._charted.update(d.name for d in todo)
        started = time.perf_counter()
        drawn = self.charts.prepare(chart_requests(todo, self.root, self.notebooks))
        self.timings["charts"] = self.timings.get("charts", 0.0) + time.perf_counter() - started
        return drawn

    def render(
        self,
        deliverable: Deliverable,
        staging: Path,
        on_file: Callable[[RenderedFile, float], None] | None = None,
    ) -> list[RenderedFile]:
        """Render every format of ``deliverable`` into ``staging``.

        ``on_file`` is called with each file as soon as it is rendered, and the seconds it took (from the
        thread that rendered it): the caller's progress display follows the formats one by one.
        """
        with ThreadPoolExecutor(max_workers=FORMAT_WORKERS) as pool:
            return [future.result() for future in self.start(deliverable, staging, pool, on_file)]

    def start(
        self,
        deliverable: Deliverable,
        staging: Path,
        pool: Executor,
        on_file: Callable[[RenderedFile, float], None] | None = None,
        notice: str | None = None,
    ) -> list[Future[RenderedFile]]:
        """Expand ``deliverable`` here (raising its problems), then render its formats in ``pool``: one future
        per file, in the order :meth:`render` gives them. A build starts the next deliverable while the
        formats of this one are still rendering (the expansion is Python, the rendering mostly pandoc and
        Typst), so the processors are not left waiting on one document's slowest format.

        ``notice``: the deliverable's notice (default: the engine's :attr:`notice`).
        """
        jobs = self.prepare(deliverable, notice)
        staging.mkdir(parents=True, exist_ok=True)

        def one(job: _Job) -> RenderedFile:
            started = time.perf_counter()
            file = self._render_job(deliverable, job, staging)
            if on_file is not None:
                on_file(file, time.perf_counter() - started)
            return file

        return [pool.submit(one, job) for job in jobs]

    def _metadata(self, job: _Job) -> dict[str, Any]:
        meta = {k: v for k, v in job.options.items() if k not in _ENGINE_KEYS}
        meta.setdefault("lang", "fr")
        meta["cufstudy-root"] = str(self.root)
        meta["cufstudy-docdir"] = str(job.source.resolve().parent)
        if job.notice is not None:
            meta["cufstudy-notice"] = job.notice
        if not meta.get("cufstudy-notice"):
            meta.pop("cufstudy-notice", None)
        if job.options.get("bibliography") and not meta.get("csl"):
            meta["csl"] = str(self.templates.csl)
        if job.fmt == "typst" and job.options.get("number-sections") and "section-numbering" not in meta:
            meta["section-numbering"] = "1.1"
        if job.fmt == "typst":
            meta.setdefault("papersize", "a4")
        if "title" in meta and "pagetitle" not in meta:
            meta["pagetitle"] = meta["title"]
        if "author" in meta:
            meta["author"] = _authors(meta["author"])
        if meta.get("date") == "last-modified":
            meta["date"] = format_date(dt.date.fromtimestamp(job.source.stat().st_mtime))
        else:
            when = job.when
            if when.day is not None:
                meta["date"] = format_date(when.day)
                meta["cufstudy-date-iso"] = when.day.isoformat()
            elif when.text is not None:
                meta["date"] = when.text
        return meta

    def _literal_metadata(self, job: _Job) -> list[str]:
        """``-M key=value`` for the metadata that are paths: pandoc reads a metadata file's strings as
        Markdown (an apostrophe of a folder name would become ’, ``--`` a dash), a ``-M`` value literally."""
        meta = self._metadata(job)
        args: list[str] = []
        for key in _LITERAL_KEYS:
            value = meta.get(key)
            for item in value if isinstance(value, list) else [value] if value else []:
                args.append(f"--metadata={key}={item}")
        return args

    def _pandoc_args(self, job: _Job, base: Path) -> list[str]:
        opts = job.options
        args = [self.pandoc, f"{base}.md", "-f", "markdown", "--standalone", f"--metadata-file={base}.meta.json"]
        args += self._literal_metadata(job)
        filters = list(self.templates.filters)
        structure, crossref, callouts, typography, layout, publication = filters
        args += [f"--lua-filter={structure}", f"--lua-filter={crossref}"]
        if opts.get("bibliography"):
            args.append("--citeproc")
        args += [f"--lua-filter={callouts}", f"--lua-filter={typography}", f"--lua-filter={layout}"]
        for extra in self._project_filters(opts):
            if extra.name not in (typography.name, layout.name, publication.name):
                args.append(f"--lua-filter={extra}")
        args.append(f"--lua-filter={publication}")  # last: the DOCX properties, no path of the machine
        if opts.get("toc"):
            args.append("--toc")
        if opts.get("toc-depth"):
            args.append(f"--toc-depth={int(opts['toc-depth'])}")
        if opts.get("number-sections") and job.fmt != "typst":
            args.append("--number-sections")
        if job.fmt == "html":
            args += ["-t", "html5", "--embed-resources", "--mathml", "--section-divs"]
            args += [f"--css={self.templates.css}", f"--css={self.templates.page_css}"]
            css = opts.get("css")
            for sheet in css if isinstance(css, list) else [css] if css else []:
                if Path(sheet) != self.templates.css:
                    args.append(f"--css={sheet}")
            if self._notice(job):
                args.append(f"--include-before-body={base}.notice.html")
            if job.expanded.charts:
                args.append(f"--include-after-body={base}.after.html")
            args += ["-o", f"{base}.html"]
        elif job.fmt == "typst":
            args += ["-t", "typst", f"--template={base}.typst/template.typ", "-o", f"{base}.typ"]
        else:
            args += ["-t", "docx", f"--reference-doc={base}.reference.docx", "-o", f"{base}.docx"]
        return args

    def _project_filters(self, opts: Mapping[str, Any]) -> list[Path]:
        raw = opts.get("filters") or []
        skip = {"quarto", *KNOWN_EXTENSIONS}  # Quarto's own filters; extensions implemented natively
        paths = [filter_path(f) for f in (raw if isinstance(raw, list) else [raw])]
        # the cufstudy extension's filters run in this engine's own order (its --citeproc, then the typography)
        return [self.root / p for p in paths if p and p not in skip and not p.startswith(EXTENSION_FILTERS)]

    def _notice(self, job: _Job) -> str | None:
        value = job.notice if job.notice is not None else job.options.get("cufstudy-notice")
        return str(value) if value else None

    def _write_inputs(self, job: _Job, base: Path) -> None:
        base.parent.mkdir(parents=True, exist_ok=True)
        Path(f"{base}.md").write_text(job.expanded.text, encoding="utf-8")
        meta = {k: v for k, v in self._metadata(job).items() if k not in _LITERAL_KEYS}  # those: -M
        Path(f"{base}.meta.json").write_text(json.dumps(meta, ensure_ascii=False, default=str), encoding="utf-8")
        notice = self._notice(job)
        if job.fmt == "html":
            if notice:
                Path(f"{base}.notice.html").write_text(
                    f'<div class="cufstudy-notice" role="note">{html.escape(notice)}</div>\n', encoding="utf-8"
                )
            Path(f"{base}.after.html").write_text(BUNDLE_MARKER + "\n", encoding="utf-8")
        elif job.fmt == "typst":
            self._typst_template(job, Path(f"{base}.typst"))
        else:
            self._reference_docx(job, Path(f"{base}.reference.docx"), notice)

    def _typst_template(self, job: _Job, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        files = dict(self.templates.typst_files)
        partials = job.options.get("template-partials") or []
        for partial in partials if isinstance(partials, list) else [partials]:
            path = Path(str(partial))
            if path.name not in _PARTIALS:
                raise RenderError(
                    f"template-partials: {path.name}: the embedded engine supports the partials "
                    + ", ".join(_PARTIALS)
                )
            if not path.is_file():
                raise RenderError(f"template-partials: {path} does not exist")
            files[path.name] = path
        for name, path in files.items():
            shutil.copyfile(path, folder / name)

    def _reference_docx(self, job: _Job, target: Path, notice: str | None) -> None:
        source = Path(str(job.options.get("reference-doc") or self.templates.reference_docx))
        if not source.is_file():
            raise RenderError(f"reference-doc {source} does not exist")
        reference_docx_with_notice(source, target, notice)

    def _run_pandoc(self, job: _Job, base: Path) -> None:
        started = time.perf_counter()
        proc = subprocess.run(
            self._pandoc_args(job, base),
            capture_output=True,
            text=True,
            cwd=self.root,
            check=False,
            env=os.environ | job.when.environment(),  # DOCX dates and zip entry times: no clock
        )
        self._time(f"pandoc {job.fmt}", started)
        problems = Problems(SourceError)
        for warning in _WARNING.findall(proc.stderr):
            cite = _CITE_MISSING.search(warning)
            if cite:
                origin = job.expanded.locate("@" + cite.group(1))
                file, line = (origin.file, origin.line) if origin else (self._display(job.source), None)
                problems.add(file, f"citation @{cite.group(1)} is not in the bibliography", line)
            elif "Could not" in warning and ("resource" in warning or "image" in warning):
                problems.add(self._display(job.source), f"pandoc: {warning}")
            else:
                self.warnings.append(f"{job.name}: pandoc: {warning}")
        if proc.returncode != 0:
            raise RenderError(f"{self._display(job.source)}: pandoc failed for {job.fmt}: {_pandoc_error(proc.stderr)}")
        problems.raise_if_any(f"{job.name}: unresolved references")

    def _render_job(self, deliverable: Deliverable, job: _Job, staging: Path) -> RenderedFile:
        stem = job.name.rsplit(".", 1)[0]
        base = self.workdir / f"{stem}.{job.fmt}"
        self._write_inputs(job, base)
        self._run_pandoc(job, base)
        target = staging / job.name
        notebooks = job.expanded.notebooks
        if job.fmt == "html":
            page = _main_landmark(_table_captions(_one_h1(Path(f"{base}.html").read_text(encoding="utf-8"))))
            if job.expanded.charts:
                started = time.perf_counter()
                page = inject_bundle(page, BuildPaths(self.root).cache)
                self._time("vega bundle", started)
            else:
                page = page.replace(BUNDLE_MARKER, "")
            target.write_text(page, encoding="utf-8")
            return RenderedFile(deliverable.name, job.fmt, target, job.name, notebooks=notebooks)
        if job.fmt == "typst":
            typ = Path(f"{base}.typ")
            pdf = self.compile_typst(typ, job.options, timestamp=job.when.epoch)
            assert isinstance(pdf, bytes)
            target.write_bytes(pdf)
            return RenderedFile(deliverable.name, job.fmt, target, job.name, typst_source=typ, notebooks=notebooks)
        epoch = source_date(deliverable.config.get("date", default=None)).epoch  # as for Quarto's (publish)
        local = local_prefixes(self.root, self.workdir)
        finalize_docx(target, epoch, source=Path(f"{base}.docx"), local=local)
        return RenderedFile(deliverable.name, job.fmt, target, job.name, notebooks=notebooks, finalized=True)

    # -- typst ----------------------------------------------------------------------------------------
    def font_paths(self, options: Mapping[str, Any] | None = None) -> list[str]:
        paths = [str(folder) for folder in self.templates.fonts]
        extra = (options or {}).get("font-paths") or []
        paths += [str(p) for p in (extra if isinstance(extra, list) else [extra])]
        return paths

    def compile_typst(
        self,
        typ: Path,
        options: Mapping[str, Any] | None = None,
        fmt: Literal["pdf", "png", "svg"] = "pdf",
        ppi: float | None = None,
        timestamp: int | None = None,
    ) -> bytes | list[bytes]:
        """Compile a Typst file with the project as root and the project's fonts only.

        PDF gives the document's bytes; PNG and SVG give one image per page (bytes for a single page).
        ``timestamp`` (seconds since 1970 UTC) is the PDF's creation date, default that of
        :func:`cufstudy.core.reproducible.source_date` without a configured date: never the clock.
        """
        import typst

        started = time.perf_counter()
        try:
            result, warnings = typst.compile_with_warnings(
                str(typ),
                root=str(self.root),
                font_paths=self.font_paths(options),
                ignore_system_fonts=True,
                format=fmt,
                ppi=ppi,
                timestamp=source_date(None).epoch if timestamp is None else timestamp,
            )
        except typst.TypstError as exc:
            hints = "; ".join(getattr(exc, "hints", []) or [])
            detail = getattr(exc, "diagnostic", "") or str(exc)
            hint = f" hint: {hints}" if hints else ""
            raise RenderError(f"{typ.name}: typst failed: {getattr(exc, 'message', exc)}\n{detail}{hint}") from exc
        if fmt == "pdf":
            for warning in warnings:
                self.warnings.append(f"{typ.name}: typst: {getattr(warning, 'message', warning)}")
        if result is None:  # pragma: no cover - only when an output path is given
            raise RenderError(f"{typ.name}: typst produced nothing")
        self._time(f"typst {fmt}", started)
        return result

    def _time(self, key: str, started: float) -> None:
        self.timings[key] = self.timings.get(key, 0.0) + time.perf_counter() - started


def _authors(value: Any) -> list[str]:
    """Quarto's author forms (a name, a list of names, maps with ``name``) as a list of names."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        if isinstance(item, dict):
            name = item.get("name")
            if isinstance(name, dict):
                name = name.get("literal") or " ".join(str(name.get(k, "")) for k in ("given", "family")).strip()
            if name:
                names.append(str(name))
        elif item:
            names.append(str(item))
    return names


def _pandoc_error(stderr: str) -> str:
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip() and not ln.startswith("[WARNING]")]
    # a Lua error: "Error running filter X:\n<file>:<n>: <message>\nstack traceback: ..."
    for i, line in enumerate(lines):
        if line.startswith("Error running filter") and i + 1 < len(lines):
            message = re.sub(r"^\S+\.lua:\d+:\s*", "", lines[i + 1])
            return message
    cut = [ln for ln in lines if not ln.startswith("stack traceback")]
    return "\n".join(cut[:6]) or "unknown error"
