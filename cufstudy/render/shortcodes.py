"""Read a ``.qmd`` deliverable: front matter, shortcodes, and the checks that keep it inside the subset.

:func:`expand` turns the main ``.qmd`` into the Markdown pandoc reads, for one output format:

* ``{{< include file.qmd >}}`` (alone on its line) inserts the file; as in Quarto, relative paths in
  included files (includes, embeds, images) resolve from the *main* document's folder, ``/x`` from the
  project root;
* ``{{< embed nb.ipynb#label >}}`` (alone on its line) inserts the outputs of the labelled cell
  (:mod:`cufstudy.render._notebook`), as a numbered figure or table when the label starts with ``fig-``
  or ``tbl-``;
* ``{{< fact key >}}`` prints the fact's French text from ``_build/facts.json``;
* ``{{< pagebreak >}}`` (alone on its line) breaks the page;
* ``{{{< x >}}}`` is the escape for a literal ``{{< x >}}``.

Everything else Quarto would do and this renderer would not is a located problem, collected for the
whole document before one :class:`~cufstudy.render.SourceError` is raised: unknown shortcodes,
executable code cells (rendering never executes), raw blocks and raw HTML, unknown callout types,
metadata blocks in included files, cross-references without a target, missing facts. So is what could
run script in the HTML output or pull in a file from outside the project: event-handler attributes
(``{onclick=...}``), ``javascript:`` links, includes, embeds and images outside the project folder.
The front matter is read with the safe YAML reader of :mod:`cufstudy.core.yamlio` (no alias bombs, no
duplicate keys, located errors).
"""

from __future__ import annotations

import difflib
import itertools
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cufstudy.core.errors import DataError, SourceError
from cufstudy.core.french import escape_md
from cufstudy.core.problems import Problems
from cufstudy.core.project import FACTS
from cufstudy.core.yamlio import parse_yaml
from cufstudy.notebook.facts import Fact
from cufstudy.render._notebook import Assets, NotebookCache, embed_cell

__all__ = [
    "CALLOUT_TYPES",
    "SHORTCODES",
    "DocumentInputs",
    "Expanded",
    "Origin",
    "document_inputs",
    "embedded_cells",
    "embedded_notebooks",
    "expand",
    "near_matches",
    "split_front_matter",
]

SHORTCODES = ("embed", "include", "fact", "pagebreak")
CALLOUT_TYPES = ("note", "tip", "warning", "important", "caution")
_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})\s*(.*)$")
_SHORTCODE = re.compile(r"\{\{\{<\s*(.*?)\s*>\}\}\}|\{\{<\s*(.*?)\s*>\}\}|\{\{%\s*(.*?)\s*%\}\}")
_INLINE_CODE = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_RAW_INLINE = re.compile(r"`[^`]*`\{=([\w-]+)\}")
_HTML_COMMENT = re.compile(r"<!--.*?-->")
_AUTOLINK = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^\s<>]*|[^\s<>@]+@[^\s<>@]+)>")
_HTML_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9-]*)(\s[^<>]*)?/?>")
_DIV_OPEN = re.compile(r"^\s*:{3,}\s*\{([^}]*)\}")
_CALLOUT = re.compile(r"\.callout-([\w-]+)")
_XREF_DEF = re.compile(r"\{#((?:fig|tbl|sec)-[\w-]*\w)[\s}]")
_XREF_USE = re.compile(r"(?<![\w@.])-?@((?:fig|tbl|sec)-[\w-]*\w)")
_EXECUTABLE = re.compile(r"^\{\s*([a-zA-Z][\w-]*)")
_EVENT_ATTR = re.compile(r"(?<!\\)\{[^{}]*?(?<![\w-])(on[a-zA-Z]+)\s*=")
_SCRIPT_URL = re.compile(r"(?:\]\(|<)\s*(javascript|vbscript):", re.I)
_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)")
_URL = re.compile(r"^[a-zA-Z][\w+.-]*:")


@dataclass(frozen=True)
class Origin:
    """Where an expanded line came from."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Expanded:
    """The Markdown of one document for one format, and where each of its lines came from."""

    text: str
    origins: list[Origin]
    front_matter: dict[str, Any]
    charts: int = 0
    ids: dict[str, Origin] = field(default_factory=dict)
    notebooks: tuple[Path, ...] = ()
    """The notebooks the document embeds (absolute paths, in order of first use)."""

    def locate(self, needle: str) -> Origin | None:
        """The origin of the first expanded line containing ``needle``."""
        for line, origin in zip(self.text.splitlines(), self.origins, strict=False):
            if needle in line:
                return origin
        return None


def near_matches(key: str, candidates: list[str], n: int = 3) -> list[str]:
    """Close spellings of ``key`` among ``candidates`` (same last dotted part first)."""
    tail = key.split(".")[-1]
    same_tail = [c for c in candidates if c.split(".")[-1] == tail and c != key]
    close = difflib.get_close_matches(key, candidates, n=n, cutoff=0.6)
    return list(dict.fromkeys(same_tail + close))[:n]


def split_front_matter(text: str) -> tuple[str | None, int, str]:
    """``(yaml_text, body_start_line, body)``: the leading ``---`` block of a document, if any."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return None, 1, text
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            return "".join(lines[1:i]), i + 2, "".join(lines[i + 1 :])
    return None, 1, text


def _fact_text(fact: Fact) -> str:
    """The fact's text as literal Markdown: a text fact may come from the data (an obstacle, a name)."""
    return escape_md(fact.text)


@dataclass
class _Context:
    root: Path
    main_dir: Path
    fmt: str
    facts: Mapping[str, Fact]
    facts_file: str
    notebooks: NotebookCache
    assets: Assets
    problems: Problems
    display: Callable[[Path], str]
    out_lines: list[str] = field(default_factory=list)
    origins: list[Origin] = field(default_factory=list)
    ids: dict[str, Origin] = field(default_factory=dict)
    uses: list[tuple[str, Origin]] = field(default_factory=list)
    charts: int = 0
    chart_ids: Any = field(default_factory=lambda: itertools.count(1))
    stack: list[Path] = field(default_factory=list)
    embedded: list[Path] = field(default_factory=list)
    cells: list[tuple[Path, str]] = field(default_factory=list)
    """Every ``(notebook, label)`` embedded, in the document's order."""
    cited: list[str] = field(default_factory=list)
    """The keys of the facts cited, in order of first use."""
    scan: bool = False
    """Only list the included files and embedded notebooks (nothing is read from the notebooks)."""

    def emit(self, line: str, origin: Origin) -> None:
        self.out_lines.append(line)
        self.origins.append(origin)

    def resolve(self, target: str) -> Path:
        target = target.strip().strip("\"'")
        if target.startswith("/"):
            return (self.root / target.lstrip("/")).resolve()
        return (self.main_dir / target).resolve()

    def outside(self, path: Path) -> bool:
        """True when a resolved path is not inside the project folder."""
        return not path.is_relative_to(self.root)


def _parse_args(raw: str) -> tuple[str, list[str], dict[str, str]]:
    try:
        parts = shlex.split(raw)
    except ValueError:
        parts = raw.split()
    if not parts:
        return "", [], {}
    name, rest = parts[0], parts[1:]
    args = [p for p in rest if "=" not in p]
    kwargs = dict(p.split("=", 1) for p in rest if "=" in p)
    return name, args, kwargs


def _strip_code_spans(line: str) -> str:
    return _INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line)


def _check_source_line(ctx: _Context, line: str, origin: Origin) -> None:
    """What could run script in the HTML output or read a file outside the project, on a source line."""
    add = ctx.problems.add
    text = _strip_code_spans(line)
    for m in _EVENT_ATTR.finditer(text):
        add(
            origin.file,
            f"attribute {m.group(1)}= is not allowed: an event handler would run script in the HTML output",
            origin.line,
        )
    for m in _SCRIPT_URL.finditer(text):
        add(origin.file, f"{m.group(1).lower()}: links are not allowed: they would run script", origin.line)
    for m in _IMAGE.finditer(text):
        target = m.group(1)
        if _URL.match(target) or target.startswith("#"):
            continue  # a URL: the offline check of the HTML output refuses remote resources
        path = Path(target) if target.startswith(str(ctx.root)) else ctx.resolve(target)
        if ctx.outside(path.resolve()):
            add(origin.file, f"image {target} is outside the project folder; copy it into the project", origin.line)


def _check_line(ctx: _Context, line: str, origin: Origin) -> None:
    """Raw HTML, raw inlines, unknown callouts, cross-reference targets and uses on a text line."""
    add = ctx.problems.add
    for m in _RAW_INLINE.finditer(line):
        add(
            origin.file,
            f"raw inline `...`{{={m.group(1)}}} is not supported (it would be dropped by other formats)",
            origin.line,
        )
    text = _HTML_COMMENT.sub("", _AUTOLINK.sub("", _strip_code_spans(line)))
    tag = _HTML_TAG.search(text)
    if tag:
        add(origin.file, f"raw HTML <{tag.group(1)}> is not supported; use Markdown", origin.line)
    div = _DIV_OPEN.match(line)
    if div:
        for kind in _CALLOUT.findall(div.group(1)):
            if kind not in CALLOUT_TYPES:
                add(
                    origin.file,
                    f"unknown callout type callout-{kind} (supported: {', '.join(CALLOUT_TYPES)})",
                    origin.line,
                )
    code_free = _strip_code_spans(line)
    for m in _XREF_DEF.finditer(code_free + " "):
        _define(ctx, m.group(1), origin)
    for m in _XREF_USE.finditer(code_free):
        ctx.uses.append((m.group(1), origin))


def _define(ctx: _Context, ident: str, origin: Origin) -> None:
    if ident in ctx.ids and ctx.ids[ident] != origin:
        ctx.problems.add(
            origin.file, f"duplicate cross-reference id #{ident} (first defined at {ctx.ids[ident]})", origin.line
        )
    else:
        ctx.ids[ident] = origin


def _shortcodes(ctx: _Context, line: str, origin: Origin, alone: bool) -> str | list[str]:
    """Expand the inline shortcodes of ``line``; return the new line, or block lines for a block shortcode."""
    block: list[str] | None = None

    def replace(m: re.Match[str]) -> str:
        nonlocal block
        if m.group(1) is not None:
            return "{{< " + m.group(1) + " >}}"  # escaped: printed literally
        if m.group(3) is not None:
            ctx.problems.add(origin.file, "{{% ... %}} shortcodes are not supported; use {{< ... >}}", origin.line)
            return m.group(0)
        name, args, kwargs = _parse_args(m.group(2))
        if name == "fact":
            return _fact(ctx, args, kwargs, origin)
        if name in ("embed", "include", "pagebreak"):
            if not alone:
                ctx.problems.add(origin.file, f"the {name} shortcode must stand alone on its line", origin.line)
                return ""
            block = [name, *args, *(f"{k}={v}" for k, v in kwargs.items())]
            return ""
        ctx.problems.add(
            origin.file,
            f"unknown shortcode {name!r} (supported: {', '.join(SHORTCODES)})",
            origin.line,
        )
        return ""

    new = _SHORTCODE.sub(replace, line)
    return block if block is not None else new


def _fact(ctx: _Context, args: list[str], kwargs: dict[str, str], origin: Origin) -> str:
    if len(args) == 1 and args[0] not in ctx.cited:
        ctx.cited.append(args[0])
    if ctx.scan:
        return ""
    if len(args) != 1 or kwargs:
        ctx.problems.add(origin.file, "the fact shortcode takes one key: {{< fact key >}}", origin.line)
        return ""
    key = args[0]
    fact = ctx.facts.get(key)
    if fact is None:
        near = near_matches(key, sorted(ctx.facts))
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        where = f"in {ctx.facts_file}" if ctx.facts else f"({ctx.facts_file} is empty or missing: run the notebooks)"
        ctx.problems.add(origin.file, f"unknown fact {key!r} {where}{hint}", origin.line, key)
        return f"**??{key}??**"
    return _fact_text(fact)


def _include(ctx: _Context, args: list[str], origin: Origin) -> None:
    if len(args) != 1:
        ctx.problems.add(origin.file, "the include shortcode takes one path: {{< include file.qmd >}}", origin.line)
        return
    path = ctx.resolve(args[0])
    if ctx.outside(path):
        ctx.problems.add(
            origin.file,
            f"included file {args[0]} is outside the project folder; include files of the project only",
            origin.line,
        )
        return
    if not path.is_file():
        ctx.problems.add(
            origin.file,
            f"included file {args[0]} not found (looked for {ctx.display(path)}; relative paths resolve from the "
            "main document's folder, /path from the project root)",
            origin.line,
        )
        return
    if path in ctx.stack:
        ctx.problems.add(origin.file, f"circular include of {ctx.display(path)}", origin.line)
        return
    _expand_file(ctx, path, included=True)


def _embed(ctx: _Context, args: list[str], origin: Origin) -> None:
    if len(args) != 1 or "#" not in args[0]:
        ctx.problems.add(
            origin.file,
            "the embed shortcode takes one notebook cell: {{< embed path/to/notebook.ipynb#label >}} "
            "(no options; embedding a whole notebook is not supported)",
            origin.line,
        )
        return
    target, label = args[0].rsplit("#", 1)
    if label.startswith(("fig-", "tbl-")):
        _define(ctx, label, origin)  # even if the notebook is missing: no cascade of unresolved references
    path = ctx.resolve(target)
    if ctx.outside(path):
        ctx.problems.add(
            origin.file,
            f"embed: notebook {target} is outside the project folder; embed notebooks of the project",
            origin.line,
        )
        return
    if path.suffix != ".ipynb":
        ctx.problems.add(origin.file, f"embed: {target} is not a notebook (.ipynb)", origin.line)
        return
    if path not in ctx.embedded:
        ctx.embedded.append(path)
    if (path, label) not in ctx.cells:
        ctx.cells.append((path, label))
    if ctx.scan:
        return
    if not path.is_file():
        ctx.problems.add(
            origin.file,
            f"notebook {target} not found (looked for {ctx.display(path)}); run the notebooks first "
            "(cufstudy run), and mind that relative paths resolve from the main document's folder",
            origin.line,
        )
        return
    try:
        cells = ctx.notebooks.cells(path)
    except ValueError as exc:
        ctx.problems.add(origin.file, str(exc), origin.line)
        return
    cell = cells.get(label)
    if cell is None:
        near = near_matches(label, sorted(cells))
        hint = f" (did you mean {', '.join(near)}?)" if near else f" (labels: {', '.join(sorted(cells)) or 'none'})"
        ctx.problems.add(origin.file, f"no cell labelled {label!r} in {target}{hint}", origin.line)
        return

    def report(message: str) -> None:
        ctx.problems.add(origin.file, f"{target}#{label}: {message}", origin.line)

    def chart_id() -> str:
        return f"cufstudy-chart-{next(ctx.chart_ids)}"

    result = embed_cell(cell, ctx.fmt, ctx.assets, str(origin), report, chart_id)
    ctx.charts += result.charts
    for ident in result.ids:
        _define(ctx, ident, origin)
    ctx.emit("", origin)
    for out in result.lines:
        ctx.emit(out, origin)


_PAGEBREAK = {
    "html": ["```{=html}", '<div class="page-break" style="page-break-after: always;"></div>', "```"],
    "typst": ["```{=typst}", "#pagebreak()", "```"],
    "docx": ["```{=openxml}", '<w:p><w:r><w:br w:type="page"/></w:r></w:p>', "```"],
}


def _expand_file(ctx: _Context, path: Path, included: bool) -> dict[str, Any]:
    display = ctx.display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        bad_line = exc.object[: exc.start].count(b"\n") + 1
        ctx.problems.add(
            display,
            f"not valid UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); save the file as UTF-8",
            bad_line,
        )
        return {}
    front: dict[str, Any] = {}
    yaml_text, start, body = split_front_matter(text)
    if yaml_text is not None:
        if included:
            ctx.problems.add(display, "an included file cannot have a metadata block (--- ... ---)", 1)
        else:
            try:
                loaded = parse_yaml(yaml_text, display, first_line=2).data or {}
            except DataError as exc:
                for problem in exc.problems:
                    ctx.problems.add(display, f"front matter: {problem.message}", problem.line, problem.field)
                loaded = {}
            if not isinstance(loaded, dict):
                ctx.problems.add(display, "the front matter must be a YAML mapping", 1)
                loaded = {}
            front = loaded
    ctx.stack.append(path)
    fence: tuple[str, int] | None = None
    for offset, line in enumerate(body.splitlines()):
        origin = Origin(display, start + offset)
        m = _FENCE.match(line)
        if fence is not None:
            if m and m.group(2)[0] == fence[0] and len(m.group(2)) >= fence[1] and not m.group(3).strip():
                fence = None
            ctx.emit(line, origin)
            continue
        if m:
            info = m.group(3).strip()
            fence = (m.group(2)[0], len(m.group(2)))
            if info.startswith("{="):
                ctx.problems.add(
                    display, f"raw block {info} is not supported (other formats would drop it)", origin.line
                )
            elif _EXECUTABLE.match(info):
                lang = _EXECUTABLE.match(info).group(1)  # type: ignore[union-attr]
                ctx.problems.add(
                    display,
                    f"executable code cell {{{lang}}}: the renderer never executes; compute in a notebook and "
                    "{{< embed >}} its output (or write ```" + lang + " for a plain code listing)",
                    origin.line,
                )
            ctx.emit(line, origin)
            continue
        _check_source_line(ctx, line, origin)
        stripped = line.strip()
        alone = bool(re.fullmatch(r"\{\{<.*>\}\}", stripped)) and stripped.count("{{<") == 1
        expanded = _shortcodes(ctx, line, origin, alone)
        if isinstance(expanded, list):
            name, *args = expanded
            if name == "include":
                _include(ctx, [a for a in args if "=" not in a], origin)
                if any("=" in a for a in args):
                    ctx.problems.add(display, "the include shortcode takes no options", origin.line)
            elif name == "embed":
                _embed(ctx, args, origin)
            elif name == "pagebreak":
                if args:
                    ctx.problems.add(display, "the pagebreak shortcode takes no arguments", origin.line)
                ctx.emit("", origin)
                for raw in _PAGEBREAK[ctx.fmt]:
                    ctx.emit(raw, origin)
                ctx.emit("", origin)
            continue
        # the source's own text is checked, not the facts it cites (data, escaped: `<img>` in an obstacle
        # is text to print, not raw HTML of the source)
        _check_line(ctx, _SHORTCODE.sub(lambda m: " " * len(m.group(0)), line), origin)
        ctx.emit(expanded, origin)
    if fence is not None:
        ctx.problems.add(display, "a code block is never closed", start + len(body.splitlines()) - 1)
    ctx.stack.pop()
    ctx.emit("", Origin(display, start + len(body.splitlines())))
    return front


def expand(
    main: Path,
    root: Path,
    fmt: str,
    facts: Mapping[str, Fact],
    notebooks: NotebookCache,
    assets: Assets,
    problems: Problems,
    facts_file: str = FACTS,
    extra_ids: Mapping[str, Origin] | None = None,
) -> Expanded:
    """Expand ``main`` for format ``fmt`` (``html``, ``typst`` or ``docx``), collecting problems.

    The caller raises the collected problems (one error for the whole document).
    """
    root = root.resolve()

    def display(path: Path) -> str:
        try:
            return str(path.resolve().relative_to(root))
        except ValueError:
            return str(path)

    ctx = _Context(
        root=root,
        main_dir=main.resolve().parent,
        fmt=fmt,
        facts=facts,
        facts_file=facts_file,
        notebooks=notebooks,
        assets=assets,
        problems=problems,
        display=display,
    )
    front = _expand_file(ctx, main.resolve(), included=False)
    ids = dict(ctx.ids)
    if extra_ids:
        ids.update(extra_ids)
    for ident, origin in ctx.uses:
        if ident not in ids:
            near = near_matches(ident, sorted(ids))
            hint = f" (did you mean {', '.join('@' + n for n in near)}?)" if near else ""
            problems.add(origin.file, f"cross-reference @{ident} has no target{hint}", origin.line)
    return Expanded(
        text="\n".join(ctx.out_lines) + "\n",
        origins=ctx.origins,
        front_matter=front,
        charts=ctx.charts,
        ids=ids,
        notebooks=tuple(ctx.embedded),
    )


@dataclass(frozen=True)
class DocumentInputs:
    """What a document reads, found by :func:`document_inputs` without reading any notebook."""

    files: tuple[Path, ...]
    """The document and every file it includes (absolute paths)."""
    notebooks: tuple[Path, ...]
    """The notebooks it embeds (absolute paths; they may not exist yet)."""
    facts: tuple[str, ...]
    """The keys of the facts it cites."""


def document_inputs(main: Path, root: Path) -> DocumentInputs:
    """The files, notebooks and facts a document reads, itself or through the files it includes.

    The same reading of the document as :func:`expand` (see :func:`embedded_notebooks`), for the render stamp
    (:mod:`cufstudy.render._stamp`): a deliverable is rendered again when one of them changed.
    """
    ctx = _scan(main, root)
    files = tuple(dict.fromkeys(Path(origin.file) for origin in ctx.origins))
    others = [f for f in files if f != main.resolve()]
    return DocumentInputs((main.resolve(), *others), tuple(ctx.embedded), tuple(ctx.cited))


def _scan(main: Path, root: Path) -> _Context:
    root = root.resolve()
    ctx = _Context(
        root=root,
        main_dir=main.resolve().parent,
        fmt="html",
        facts={},
        facts_file="",
        notebooks=NotebookCache(),
        assets=Assets(root),
        problems=Problems(SourceError),
        display=str,
        scan=True,
    )
    _expand_file(ctx, main.resolve(), included=False)
    return ctx


def embedded_notebooks(main: Path, root: Path) -> tuple[Path, ...]:
    """The notebooks a document embeds, itself or through the files it includes (absolute paths).

    The same reading of the document as :func:`expand` (includes resolved from the main document's folder,
    ``{{{< embed ... >}}}`` an escaped literal, embeds in code blocks ignored), without reading the notebooks:
    what a renderer that is not this one (Quarto) embeds. A notebook may be missing (not run yet).
    """
    return tuple(_scan(main, root).embedded)


def embedded_cells(main: Path, root: Path) -> tuple[tuple[Path, str], ...]:
    """Every ``(notebook, label)`` a document embeds, itself or through its includes, in reading order.

    The reading of :func:`embedded_notebooks` (the notebooks are not read): what the brochure's designer
    pack exports, chart by chart and table by table (:mod:`cufstudy.pipeline.designer`).
    """
    return tuple(_scan(main, root).cells)
