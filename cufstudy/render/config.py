"""The Quarto project configuration: ``_quarto.yml``, the active profiles, and the deliverables they define.

Profiles are activated and merged the way Quarto does it (``quarto-cli/src/project/project-profile.ts``):

* active profiles: the ``profiles`` argument, else ``$QUARTO_PROFILE``, else ``profile: default:`` of
  ``_quarto.yml``; a comma-separated string activates several at once; ``profile: group:`` adds the
  first member of each group none of whose members is active;
* ``_quarto-<name>.yml`` (or ``.yaml``) is merged over ``_quarto.yml`` for each active profile, the
  first-listed profile winning, then ``_quarto.yml.local``;
* merging is Quarto's ``mergeConfigs``: maps merge recursively, scalars of the overlay win, and **lists
  are concatenated without duplicates** (a scalar meeting a list is treated as a one-item list). So a
  list such as ``project: render:`` belongs in the profiles, not in ``_quarto.yml``.

A *deliverable* is what one profile renders: its main ``.qmd`` (``project: render:``), in the formats
listed under ``format:``, named after the profile and published into the project's ``_output/``
(``_output/study.pdf``), whatever Quarto's ``project: output-dir:`` says (that folder is where a plain
``quarto render`` writes, for ``cufstudy check`` to check and publish). Its ``cufstudy:`` settings
(audience, page rule) are read by :func:`cufstudy.core.project.read_settings`.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cufstudy.core.errors import ArgumentError, RenderError, SourceError
from cufstudy.core.problems import Problems, did_you_mean
from cufstudy.core.project import (
    CONFIG_FILES,
    SETTINGS_KEY,
    BuildPaths,
    PageRule,
    Project,
    Settings,
    config_file,
    read_settings,
)
from cufstudy.core.yamlio import FieldPath, YamlDoc, read_yaml
from cufstudy.resources import template_path

__all__ = [
    "COMMON_OPTIONS",
    "EXTENSION_METADATA",
    "FORMAT_NAMES",
    "FORMAT_OPTIONS",
    "KNOWN_EXTENSIONS",
    "OUTPUT_EXTENSIONS",
    "QUARTO_ONLY_OPTIONS",
    "Deliverable",
    "PageRule",
    "QuartoConfig",
    "active_profiles",
    "check_profiles",
    "deliverables",
    "format_label",
    "load_config",
    "merge_configs",
    "profile_names",
    "wanted_formats",
]

#: Quarto format name -> extension of the deliverable it produces.
OUTPUT_EXTENSIONS: dict[str, str] = {"html": "html", "typst": "pdf", "docx": "docx"}

#: Options every format of the embedded engine understands (top level or under ``format: <fmt>:``).
COMMON_OPTIONS = frozenset(
    {
        "title",
        "subtitle",
        "author",
        "date",
        "lang",
        "toc",
        "toc-depth",
        "toc-title",
        "number-sections",
        "bibliography",
        "csl",
        "link-citations",
        "cufstudy-notice",
        "cufstudy-variant",
        "citeproc",
    }
)
#: Options specific to one format.
FORMAT_OPTIONS: dict[str, frozenset[str]] = {
    # shift-heading-level-by: 1 (one <h1>, the title): what the embedded engine does to every HTML page
    "html": frozenset(
        {"css", "embed-resources", "self-contained", "standalone", "html-math-method", "shift-heading-level-by"}
    ),
    "typst": frozenset(
        {
            "papersize",
            "margin",
            "fontsize",
            "mainfont",
            "font-paths",
            "columns",
            "section-numbering",
            "template-partials",
        }
    ),
    "docx": frozenset({"reference-doc"}),
}
#: Options real Quarto uses that the embedded engine accepts and deliberately ignores (cosmetic only).
QUARTO_ONLY_OPTIONS = frozenset(
    {
        "theme",
        "toc-location",
        "smooth-scroll",
        "anchor-sections",
        "code-fold",
        "code-tools",
        "title-block-banner",
        "page-layout",
        "fig-responsive",
        "citations-hover",
        "footnotes-hover",
        "link-external-icon",
        "keep-md",
        "keep-typ",
        "keep-ipynb",
        "echo",
        "warning",
        "output",
        "execute",
        "notebook-links",
        "notebook-view",
        "format-links",
    }
)
_PROJECT_KEYS = frozenset({"type", "output-dir", "render", "execute-dir", "lib-dir", "pre-render", "post-render"})
_UNSUPPORTED_FORMATS = {
    "pdf": "format 'pdf' needs LaTeX; use 'typst' for the PDF deliverables",
    "revealjs": "slides (revealjs) are not part of the supported subset",
    "gfm": "format 'gfm' is not part of the supported subset",
}


def merge_configs(base: Any, *overlays: Any) -> Any:
    """Merge configurations as Quarto's ``mergeConfigs`` does (later overlays win; lists concatenate).

    Examples
    --------
    >>> merge_configs({"a": {"x": 1, "l": [1]}}, {"a": {"y": 2, "l": [2, 1]}})
    {'a': {'x': 1, 'l': [1, 2], 'y': 2}}
    >>> merge_configs({"toc": True}, {"toc": False})
    {'toc': False}
    """
    result = copy.deepcopy(base)
    for overlay in overlays:
        result = _merge_two(result, copy.deepcopy(overlay))
    return result


def _merge_two(base: Any, overlay: Any) -> Any:
    if isinstance(base, list) or isinstance(overlay, list):
        if base is None:
            return overlay
        if overlay is None:
            return base
        combined = (base if isinstance(base, list) else [base]) + (overlay if isinstance(overlay, list) else [overlay])
        seen: set[str] = set()
        out = []
        for item in combined:
            key = json.dumps(item, sort_keys=False, default=str)
            if key not in seen:
                seen.add(key)
                out.append(item)
        return out
    if isinstance(base, dict) and isinstance(overlay, dict):
        merged = dict(base)
        for key, value in overlay.items():
            merged[key] = _merge_two(merged[key], value) if key in merged else value
        return merged
    return overlay


def profile_names(root: Path) -> list[str]:
    """The profiles a project defines: the ``<name>`` of every ``_quarto-<name>.yml``, sorted."""
    names = set()
    for path in root.glob("_quarto-*.y*ml"):
        if path.suffix in (".yml", ".yaml"):
            names.add(path.stem.removeprefix("_quarto-"))
    return sorted(names)


def _split(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else [p for v in value for p in str(v).split(",")]
    return [p.strip() for p in items if p.strip()]


def active_profiles(
    base: Mapping[str, Any],
    requested: str | Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[str, ...]:
    """The profiles active for one render, Quarto's way.

    Parameters
    ----------
    base
        The content of ``_quarto.yml`` (its ``profile:`` key gives the default and the groups).
    requested
        Profiles asked for (``"study"`` or ``"study,print"``); when None, ``$QUARTO_PROFILE``, then
        ``profile: default:``.
    env
        The environment (default ``os.environ``).
    """
    env = os.environ if env is None else env
    profile_cfg = base.get("profile") if isinstance(base.get("profile"), dict) else {}
    assert isinstance(profile_cfg, dict)
    active = _split(requested) or _split(env.get("QUARTO_PROFILE")) or _split(profile_cfg.get("default"))
    groups = profile_cfg.get("group") or []
    if groups and all(isinstance(g, str) for g in groups):
        groups = [groups]
    for group in groups:
        if isinstance(group, list) and group and not any(str(g) in active for g in group):
            active.append(str(group[0]))
    return tuple(dict.fromkeys(active))


@dataclass(frozen=True)
class QuartoConfig:
    """The merged configuration of a project for a set of active profiles.

    ``data`` is the merged mapping (``profile:`` removed, as Quarto does); :meth:`where` names the file
    and line a value came from, for error messages.
    """

    root: Path
    profiles: tuple[str, ...]
    data: Mapping[str, Any]
    files: tuple[Path, ...]
    origins: Mapping[FieldPath, tuple[str, int]] = field(default_factory=dict, repr=False)

    def get(self, *path: str, default: Any = None) -> Any:
        node: Any = self.data
        for key in path:
            if not isinstance(node, Mapping) or key not in node:
                return default
            node = node[key]
        return node

    def where(self, *path: str | int) -> tuple[str, int | None]:
        """``(file, line)`` of the value at ``path`` (or of its nearest located ancestor)."""
        for n in range(len(path), -1, -1):
            hit = self.origins.get(tuple(path[:n]))
            if hit:
                return hit
        return (self.files[0].name if self.files else CONFIG_FILES[0], None)


def _display(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def load_config(root: Path, profiles: str | Sequence[str] | None = None, base: YamlDoc | None = None) -> QuartoConfig:
    """Read ``_quarto.yml`` (unless ``base``, its content already read, is given) and merge the active profiles.

    Raises
    ------
    DataError
        ``_quarto.yml`` is missing or a configuration file is not valid YAML (located).
    """
    root = root.resolve()
    base_path = config_file(root) or root / CONFIG_FILES[0]
    if base is None:
        base_doc = read_yaml(base_path, display=_display(root, base_path))
    else:
        base_doc = dataclasses.replace(base, file=_display(root, base_path))
    if not isinstance(base_doc.data, dict):
        from cufstudy.core.errors import DataError

        raise DataError.single(base_doc.file, "expected a YAML mapping", line=1)
    active = active_profiles(base_doc.data, profiles)
    data = {k: v for k, v in base_doc.data.items() if k != "profile"}
    origins = _origins(base_doc)
    files = [base_path]
    overlays: list[YamlDoc] = []
    for name in reversed(active):  # first listed wins: merged last
        for ext in (".yml", ".yaml"):
            path = root / f"_quarto-{name}{ext}"
            if path.is_file():
                overlays.append(read_yaml(path, display=_display(root, path)))
                files.append(path)
                break
    for name in CONFIG_FILES:
        local = root / f"{name}.local"
        if local.is_file():
            overlays.append(read_yaml(local, display=_display(root, local)))
            files.append(local)
            break
    for doc in overlays:
        if doc.data is None:
            continue
        if not isinstance(doc.data, dict):
            from cufstudy.core.errors import DataError

            raise DataError.single(doc.file, "expected a YAML mapping", line=1)
        data = merge_configs(data, {k: v for k, v in doc.data.items() if k != "profile"})
        origins.update(_origins(doc))
    return QuartoConfig(root=root, profiles=active, data=data, files=tuple(files), origins=origins)


def _origins(doc: YamlDoc) -> dict[FieldPath, tuple[str, int]]:
    return {path: (doc.file, line) for path, line in doc.lines.items()}


@dataclass(frozen=True)
class Deliverable:
    """One profile's output: its main document(s), formats, output folder and layout rule."""

    name: str
    config: QuartoConfig
    inputs: tuple[Path, ...]
    formats: tuple[str, ...]
    output_dir: Path
    settings: Settings = field(default_factory=Settings)
    notes: tuple[str, ...] = ()

    @property
    def root(self) -> Path:
        return self.config.root

    @property
    def pages(self) -> PageRule | None:
        """The page rule of the PDF (``cufstudy: pages:``), if any."""
        return self.settings.pages

    @property
    def public(self) -> bool:
        """Whether the deliverable is public (``cufstudy: audience:``, public unless it says internal)."""
        return self.settings.audience == "public"

    def output_name(self, source: Path, fmt: str) -> str:
        """``study.pdf`` for the profile's only input; ``study-<stem>.pdf`` when it renders several."""
        stem = self.name if len(self.inputs) == 1 else f"{self.name}-{source.stem}"
        return f"{stem}.{OUTPUT_EXTENSIONS[fmt]}"

    def project_options(self, fmt: str) -> dict[str, Any]:
        """Top-level metadata merged with ``format: <fmt>:`` (the format wins), project level only."""
        top = {k: v for k, v in self.config.data.items() if k not in ("project", "format", "profile")}
        fmt_opts = self.config.get("format", fmt, default={})
        return dict(merge_configs(top, fmt_opts if isinstance(fmt_opts, dict) else {}))


def _format_map(config: QuartoConfig, problems: Problems) -> dict[str, dict[str, Any]]:
    raw = config.get("format", default={})
    if raw is None:
        return {}
    if isinstance(raw, str):
        raw = {raw: {}}
    if not isinstance(raw, dict):
        file, line = config.where("format")
        problems.add(file, "expected a mapping of format names to options", line, "format")
        return {}
    formats: dict[str, dict[str, Any]] = {}
    for name, opts in raw.items():
        file, line = config.where("format", name)
        if name in _UNSUPPORTED_FORMATS:
            problems.add(file, _UNSUPPORTED_FORMATS[name], line, f"format.{name}")
            continue
        if name not in OUTPUT_EXTENSIONS:
            problems.add(
                file,
                f"unsupported format {name!r}; the supported formats are html, typst and docx",
                line,
                f"format.{name}",
            )
            continue
        if opts in (None, "default"):
            opts = {}
        if not isinstance(opts, dict):
            problems.add(file, "expected options or 'default'", line, f"format.{name}")
            continue
        check_options(opts, name, problems, lambda key, n=name: config.where("format", n, key), f"format.{name}")
        formats[name] = opts
    return formats


def check_options(
    opts: Mapping[str, Any],
    fmt: str,
    problems: Problems,
    where: Any,
    prefix: str,
) -> None:
    """Report the options of ``format: <fmt>:`` outside the supported subset."""
    allowed = COMMON_OPTIONS | FORMAT_OPTIONS[fmt] | QUARTO_ONLY_OPTIONS
    for key, value in opts.items():
        file, line = where(key)
        if key not in allowed:
            problems.add(
                file,
                f"option {key!r} of format {fmt} is not in the supported subset (docs/quarto-subset.md)",
                line,
                f"{prefix}.{key}",
            )
        elif fmt == "html" and key in ("embed-resources", "self-contained", "standalone") and value is False:
            problems.add(file, "HTML deliverables must be self-contained: remove this option", line, f"{prefix}.{key}")
        elif key == "html-math-method" and _math_method(value) != "mathml":
            problems.add(
                file,
                f"{value!r}: the HTML deliverables render math as MathML (no script from a CDN): use mathml",
                line,
                f"{prefix}.{key}",
            )
        elif key == "shift-heading-level-by" and value != 1:
            problems.add(
                file,
                f"{value!r}: an HTML page has one <h1>, its title, and its chapters as <h2>: use 1",
                line,
                f"{prefix}.{key}",
            )
        elif key == "citeproc" and value is not True:
            problems.add(
                file, "citations are always processed with pandoc's citeproc: use true", line, f"{prefix}.{key}"
            )


def _math_method(value: Any) -> str | None:
    """``mathml`` for ``html-math-method: mathml`` or ``{method: mathml}``."""
    if isinstance(value, dict):
        value = value.get("method")
    return value if isinstance(value, str) else None


def _settings(config: QuartoConfig, problems: Problems) -> tuple[Settings, tuple[str, ...]]:
    result = read_settings(config.get(SETTINGS_KEY), lambda path: config.where(*path), config.root)
    for p in result.problems:
        problems.add(p.file, p.message, p.line, p.field)
    return result.settings, result.warnings


#: The formats a user asks for (``--to``), case-insensitive, and the Quarto format each names.
FORMAT_NAMES: dict[str, str] = {"html": "html", "pdf": "typst", "typst": "typst", "docx": "docx"}


def format_label(fmt: str) -> str:
    """How a Quarto format is named to users: ``pdf`` for ``typst``, else itself."""
    return OUTPUT_EXTENSIONS.get(fmt, fmt)


def wanted_formats(formats: Sequence[str] | None) -> set[str] | None:
    """The Quarto formats ``formats`` asks for (``PDF`` -> ``typst``), or None for every format.

    Raises
    ------
    ArgumentError
        For a format that is none of html, pdf (typst) and docx, with the nearest one.
    """
    if formats is None:
        return None
    wanted: set[str] = set()
    for raw in formats:
        name = str(raw).strip().lower().lstrip(".")
        if name not in FORMAT_NAMES:
            hint = did_you_mean(name, ["html", "pdf", "docx"])
            raise ArgumentError(f"unknown format {raw!r}{hint}; formats: html, pdf, docx", "--to")
        wanted.add(FORMAT_NAMES[name])
    return wanted


def check_profiles(root: Path, profiles: Sequence[str]) -> None:
    """Refuse a profile the project does not define, naming those it does (and the nearest one).

    Raises
    ------
    ArgumentError
        ``unknown profile 'guid' (did you mean 'guide'?); profiles: brochure, guide, study, toolbox``.
    """
    known = profile_names(root)
    for entry in profiles:
        for name in _split(entry):
            if name not in known:
                listed = ", ".join(known) or f"none (no _quarto-<name>.yml in {root})"
                hint = did_you_mean(name, known)
                raise ArgumentError(f"unknown profile {name!r}{hint}; profiles: {listed}", "PROFILE")


def deliverables(
    root: Path | Project,
    profiles: Sequence[str] | None = None,
    formats: Sequence[str] | None = None,
) -> list[Deliverable]:
    """The deliverables to build.

    Parameters
    ----------
    root
        The project (whose ``_quarto.yml`` is then not read again), or its folder (holds ``_quarto.yml``).
    profiles
        One entry per deliverable (an entry may activate several profiles: ``"guide,print"``). None:
        ``$QUARTO_PROFILE`` if set, else every ``_quarto-<name>.yml`` of the project, else the project
        without profile.
    formats
        Restrict to these formats (``html``, ``pdf`` or ``typst``, ``docx``; any case). A profile named in
        ``profiles`` must have one of them; when the profiles are not named, those without any are left out.

    Raises
    ------
    ArgumentError
        An unknown profile or format, or a named profile without any of the formats (checked before the
        configuration problems, so that a typo is reported as one).
    SourceError
        With every located problem of the configuration.
    """
    base = root.doc if isinstance(root, Project) else None
    root = root.root if isinstance(root, Project) else root.resolve()
    named = profiles is not None
    if profiles is None:
        env = os.environ.get("QUARTO_PROFILE")
        entries: list[str | None] = [env] if env else list(profile_names(root)) or [None]
    else:
        entries = list(profiles) or [None]
    check_profiles(root, [e for e in entries if e is not None])
    wanted = wanted_formats(formats)
    problems = Problems(SourceError)
    found: list[Deliverable] = []
    for entry in entries:
        config = load_config(root, entry, base)
        found.append(_deliverable(config, problems, wanted))
    problems.raise_if_any("the project configuration is outside the supported subset")
    if wanted is None:
        return found
    asked = ", ".join(sorted(format_label(f) for f in wanted))
    lacking = [d for d in found if not d.formats]
    if named and lacking:
        d = lacking[0]
        has = ", ".join(format_label(f) for f in _format_names(d.config)) or "none"
        raise ArgumentError(f"the {d.name} profile has no {asked} output; its formats: {has}", "--to")
    kept = [d for d in found if d.formats]
    if not kept:
        raise ArgumentError(f"no profile has the format {asked}", "--to")
    return kept


def _format_names(config: QuartoConfig) -> list[str]:
    raw = config.get("format", default={})
    if isinstance(raw, str):
        return [raw]
    return [str(name) for name in raw] if isinstance(raw, dict) else []


def _deliverable(config: QuartoConfig, problems: Problems, wanted: set[str] | None) -> Deliverable:
    project = config.get("project", default={}) or {}
    file, line = config.where("project")
    if not isinstance(project, dict):
        problems.add(file, "expected a mapping", line, "project")
        project = {}
    for key in project:
        if key not in _PROJECT_KEYS:
            f, ln = config.where("project", key)
            problems.add(f, "not in the supported subset (docs/quarto-subset.md)", ln, f"project.{key}")
    if project.get("type", "default") != "default":
        f, ln = config.where("project", "type")
        problems.add(f, "must be 'default' (books and websites are not supported)", ln, "project.type")
    render = project.get("render") or []
    if isinstance(render, str):
        render = [render]
    inputs: list[Path] = []
    for i, item in enumerate(render):
        f, ln = config.where("project", "render", i)
        path = config.root / str(item)
        if any(ch in str(item) for ch in "*?["):
            problems.add(f, f"globs are not supported ({item})", ln, "project.render")
        elif path.suffix != ".qmd":
            problems.add(f, f"{item} is not a .qmd file", ln, "project.render")
        elif not path.is_file():
            problems.add(f, f"{item} does not exist", ln, "project.render")
        else:
            inputs.append(path)
    if not render:
        f, ln = config.where("project")
        what = f"profile {','.join(config.profiles)}" if config.profiles else "the project"
        problems.add(f, f"{what} lists no document under project.render", ln, "project.render")
    formats = _format_map(config, problems)
    if not formats:
        f, ln = config.where("format")
        problems.add(f, "no output format: list html, typst and/or docx", ln, "format")
    top = {k: v for k, v in config.data.items() if k not in ("project", "format", "profile", SETTINGS_KEY)}
    for key in ("toc", "number-sections", "lang"):
        if key in top and not isinstance(top[key], bool | str | int):
            f, ln = config.where(key)
            problems.add(f, f"unexpected value {top[key]!r}", ln, key)
    variant = config.get("cufstudy-variant")
    if variant is not None and variant not in ("study", "guide", "brochure"):
        f, ln = config.where("cufstudy-variant")
        problems.add(f, f"must be study, guide or brochure, got {variant!r}", ln, "cufstudy-variant")
    for key in ("filters", "shortcodes"):
        _check_extensions(config, key, problems)
    name = config.profiles[0] if config.profiles else (inputs[0].stem if inputs else "document")
    _check_metadata_files(config, problems)
    settings, warnings = _settings(config, problems)
    chosen = tuple(f for f in formats if wanted is None or f in wanted)
    notes = tuple(
        f"project.{key} ({project[key]}) is run by Quarto only; the embedded engine skips it"
        for key in ("pre-render", "post-render")
        if project.get(key)
    )
    return Deliverable(
        name=name,
        config=config,
        inputs=tuple(inputs),
        formats=chosen,
        output_dir=BuildPaths(config.root).output,
        settings=settings,
        notes=notes + warnings,
    )


#: The Quarto extension files the embedded engine knows: it implements them natively.
KNOWN_SHORTCODES = {"fact.lua": "fact"}
#: Quarto extensions (``filters: [name]``) the embedded engine implements natively.
KNOWN_EXTENSIONS = frozenset({"cufstudy", "cufstudy/cufstudy"})
#: Quarto's entry points a ``filters:`` entry may name (``{path: x.lua, at: post-render}``).
FILTER_ENTRY_POINTS = frozenset({"pre-ast", "post-ast", "pre-quarto", "post-quarto", "pre-render", "post-render"})
#: The cufstudy extension in a project, and its filters (the embedded engine runs them in its own order).
EXTENSION_DIR = "_extensions/cufstudy/"
EXTENSION_FILTERS = f"{EXTENSION_DIR}filters/"
#: The one ``metadata-files`` entry the embedded engine accepts: Quarto's copy of what it takes from the build.
EXTENSION_METADATA = "_extensions/cufstudy/metadata.yml"
#: and a profile's notice (``render.extension.profile_files``), which it prints from the data itself
_PROFILE_NOTICE = re.compile(r"_extensions/cufstudy/notice-[A-Za-z0-9_.-]+\.yml")


def _check_metadata_files(config: QuartoConfig, problems: Problems) -> None:
    raw = config.get("metadata-files")
    if raw is None:
        return
    for i, item in enumerate(raw if isinstance(raw, list) else [raw]):
        if item != EXTENSION_METADATA and not _PROFILE_NOTICE.fullmatch(str(item)):
            f, ln = config.where("metadata-files", i)
            problems.add(
                f,
                f"{item!r}: the embedded engine reads only {EXTENSION_METADATA} and a profile's "
                "_extensions/cufstudy/notice-<profile>.yml (written by cufstudy run); "
                "put metadata in _quarto.yml or the profiles",
                ln,
                "metadata-files",
            )


def filter_path(item: object) -> str | None:
    """The path (or extension name) of a ``filters:`` entry: the entry itself, or the ``path`` of an entry
    placed at one of Quarto's entry points (``{path: x.lua, at: post-render}``); None if it is neither."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and isinstance(item.get("path"), str):
        return str(item["path"])
    return None


def _check_extensions(config: QuartoConfig, key: str, problems: Problems) -> None:
    raw = config.get(key)
    if raw is None:
        return
    items = raw if isinstance(raw, list) else [raw]
    for i, entry in enumerate(items):
        f, ln = config.where(key, i)
        item = filter_path(entry) if key == "filters" else entry if isinstance(entry, str) else None
        if item is None:
            problems.add(f, f"only paths to Lua files and extension names are supported, got {entry!r}", ln, key)
            continue
        if isinstance(entry, dict):
            unknown = sorted(set(entry) - {"path", "at", "type"})
            at = entry.get("at")
            if unknown or (at is not None and at not in FILTER_ENTRY_POINTS) or entry.get("type", "lua") != "lua":
                points = ", ".join(sorted(FILTER_ENTRY_POINTS))
                problems.add(f, f"a filter entry is {{path: <file>.lua, at: <{points}>}}, got {entry!r}", ln, key)
                continue
        if key == "filters" and item in ("quarto", *KNOWN_EXTENSIONS):
            continue
        if key == "filters" and item.startswith(EXTENSION_FILTERS):
            # a filter of the cufstudy extension, which the build writes: one the package ships
            try:
                template_path(item.removeprefix(EXTENSION_DIR))
            except RenderError:
                problems.add(f, f"{item}: the cufstudy extension has no such filter", ln, key)
            continue
        path = config.root / item
        if not item.endswith(".lua"):
            known = ", ".join(sorted(KNOWN_EXTENSIONS))
            problems.add(f, f"{item} is neither a Lua file nor a known extension ({known})", ln, key)
        elif not path.is_file():
            problems.add(f, f"{item} does not exist", ln, key)
        elif key == "shortcodes" and path.name not in KNOWN_SHORTCODES:
            problems.add(f, f"{item}: the embedded engine implements only the fact shortcode (fact.lua)", ln, key)
