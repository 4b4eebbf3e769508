"""The project: its root, its ``cufstudy:`` settings and the layout of ``_build/`` and ``_output/``.

A project is the nearest folder, from a starting folder up, holding ``_quarto.yml`` (or ``_quarto.yaml``,
which Quarto accepts too; ``_quarto.yml`` wins when both exist). :func:`find_root` is the one
implementation of that search; :meth:`Project.find` raises when there is no project, :func:`resolve`
(what notebooks use) falls back to the working folder. Notebooks run from the project root under
Papermill and from ``notebooks/`` in JupyterLab; resolving their paths against the project root makes both
work unchanged.

Settings
    The library's own settings live under one ``cufstudy:`` key of ``_quarto.yml`` (Quarto ignores it),
    merged with the active profile's ``_quarto-<profile>.yml`` like every other option. They are read by
    :func:`read_settings` only, into one strict, frozen :class:`Settings`:

    .. code-block:: yaml

        cufstudy:
          data: data            # the data folder, relative to the project root (default: data)
          runs: [...]           # the run plan, checked entry by entry by cufstudy.pipeline.plan
          audience: public      # public (the default) or internal: who may read the deliverable
          pages: {max: 30}      # page rule of the PDF: exact, max and/or min (whole numbers)
          notices:              # what the deliverables say while any case is illustrative (Notices)
            source: "rapports DCOL confidentiels"   # named in the page notice written from the data
          preflight:            # the layout preflight of the PDF (cufstudy.pipeline.preflight)
            min-fill: 0.45      # every page filled at least this share of its text area...
            min-fill-end: 0.05  # ...but a page ending a chapter or the document: this share (no one-line page)
            heading-lines: 2    # lines of text that must follow a heading on its page

    Every problem is located (file, line, field). An unknown key is reported as a warning naming the known
    ones (it may belong to a later version of the library), never silently used.

Layout
    :class:`BuildPaths` is the one place where the folders and files under ``_build/`` (intermediate products,
    safe to delete) and ``_output/`` (the published deliverables) are named.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from cufstudy.core.errors import DataError, PlanError, Problem
from cufstudy.core.french import ILLUSTRATIVE_CODING, ILLUSTRATIVE_VALUES
from cufstudy.core.layout import BUILD_DIR, OUTPUT_DIR
from cufstudy.core.problems import did_you_mean, nearest
from cufstudy.core.yamlio import FieldPath, YamlDoc, path_str, read_yaml

__all__ = [
    "BUILD_DIR",
    "CONFIG_FILES",
    "FACTS",
    "LOCK",
    "MANIFEST",
    "NOTEBOOKS",
    "OUTPUT_DIR",
    "SETTINGS_KEY",
    "Audience",
    "BuildPaths",
    "Contact",
    "Notices",
    "PageRule",
    "PreflightSettings",
    "Project",
    "Settings",
    "SettingsResult",
    "config_file",
    "find_root",
    "project_notices",
    "project_of",
    "project_root",
    "read_settings",
    "resolve",
]

#: The project file, in Quarto's order of preference.
CONFIG_FILES = ("_quarto.yml", "_quarto.yaml")
#: The key of ``_quarto.yml`` holding the library's settings.
SETTINGS_KEY = "cufstudy"
# paths relative to the project root, POSIX-style (they also appear in the run plan's output templates)
NOTEBOOKS = f"{BUILD_DIR}/notebooks"
FACTS = f"{BUILD_DIR}/facts.json"
MANIFEST = f"{BUILD_DIR}/manifest.json"
LOCK = f"{BUILD_DIR}/.lock"

Audience = Literal["public", "internal"]
Where = Callable[[FieldPath], tuple[str, int | None]]
"""Locates a field of the configuration: its file and line."""


# -- the layout -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BuildPaths:
    """Where everything under ``_build/`` and ``_output/`` of a project lives (absolute paths)."""

    root: Path

    @property
    def build(self) -> Path:
        """``_build/``: intermediate products, safe to delete."""
        return self.root / BUILD_DIR

    @property
    def notebooks(self) -> Path:
        """``_build/notebooks/``: the executed notebooks (default outputs of the run plan)."""
        return self.root / NOTEBOOKS

    @property
    def facts(self) -> Path:
        """``_build/facts.json``: the facts the runs recorded, merged."""
        return self.root / FACTS

    @property
    def manifest(self) -> Path:
        """``_build/manifest.json``: what each run of the plan was executed from, and how it went."""
        return self.root / MANIFEST

    @property
    def lock(self) -> Path:
        """``_build/.lock``: held by ``cufstudy run`` and ``cufstudy build``."""
        return self.root / LOCK

    @property
    def cache(self) -> Path:
        """``_build/cache/``: validated cases, the Vega bundle."""
        return self.build / "cache"

    @property
    def render(self) -> Path:
        """``_build/render/``: the work folders of the renderers (one per build, removed after it)."""
        return self.build / "render"

    def quarto_output(self, deliverable: str) -> Path:
        """Where ``cufstudy build --engine quarto`` lets Quarto write one deliverable."""
        return self.render / f"quarto-{deliverable}"

    @property
    def render_stamp(self) -> Path:
        """``_build/render-stamp.json``: what each published deliverable was rendered from."""
        return self.build / "render-stamp.json"

    @property
    def tables(self) -> Path:
        """``_build/tables/``: whole copies (CSV) of the listings the deliverables cut."""
        return self.build / "tables"

    @property
    def rejected(self) -> Path:
        """``_build/rejected/``: the page images of a PDF that broke its page rule."""
        return self.build / "rejected"

    @property
    def live_preview(self) -> Path:
        """``_build/preview/``: what ``cufstudy preview`` renders and serves (never published)."""
        return self.build / "preview"

    @property
    def output(self) -> Path:
        """``_output/``: the published deliverables (``<profile>.<ext>``)."""
        return self.root / OUTPUT_DIR

    @property
    def preview(self) -> Path:
        """``_output/preview/``: PNG thumbnails of the PDF pages (``cufstudy build --preview``)."""
        return self.output / "preview"


# -- finding the project ----------------------------------------------------------------------------
def config_file(folder: Path) -> Path | None:
    """The project file of ``folder`` (``_quarto.yml``, else ``_quarto.yaml``), or None."""
    for name in CONFIG_FILES:
        if (folder / name).is_file():
            return folder / name
    return None


def find_root(start: Path | str | None = None) -> Path | None:
    """The nearest folder, from ``start`` (default: the working directory) up, holding a project file."""
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if config_file(folder) is not None:
            return folder
    return None


def project_root(start: Path | str | None = None) -> Path:
    """:func:`find_root`, falling back to ``start`` itself (or the working directory) outside a project."""
    found = find_root(start)
    return found if found is not None else Path(start if start is not None else Path.cwd()).resolve()


def resolve(path: str | Path, start: Path | None = None) -> Path:
    """``path`` if absolute, else ``path`` relative to the project root (see :func:`project_root`)."""
    p = Path(path)
    return p if p.is_absolute() else project_root(start) / p


# -- settings ---------------------------------------------------------------------------------------
class PageRule(BaseModel):
    """A page-count rule of a deliverable (``cufstudy: pages: {exact: 4}`` or ``{max: 30}``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    exact: int | None = None
    max: int | None = None
    min: int | None = None

    def violation(self, filename: str, pages: int, deliverable: str) -> str | None:
        """The message if ``pages`` breaks the rule, else None."""
        if self.exact is not None and pages != self.exact:
            return (
                f"{filename} has {pages} page{'s' if pages != 1 else ''}; "
                f"the {deliverable} must have exactly {self.exact}"
            )
        if self.max is not None and pages > self.max:
            return f"{filename} has {pages} pages; the {deliverable} must have at most {self.max}"
        if self.min is not None and pages < self.min:
            plural = "s" if pages != 1 else ""
            return f"{filename} has {pages} page{plural}; the {deliverable} must have at least {self.min}"
        return None


class Contact(BaseModel):
    """Who to contact about the study: the brochure's contact block (``cufstudy: contact:``).

    Every field is printed as written; ``organisation`` is required, the others are optional. ``verified``
    is not printed: it says that someone checked the details against the organisation's current ones. Until
    then every build warns, naming the details to check (a phone number or an address printed on a brochure
    is what goes stale first, and a wrong one is reprinted at a cost).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    organisation: str
    service: str | None = None
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    verified: bool = False

    def lines(self) -> list[str]:
        """The block's lines, in print order (organisation, service, address, phone, email, website)."""
        return [v for v in (self.organisation, self.service, self.address, self.phone, self.email, self.website) if v]

    def unverified(self) -> list[str]:
        """The details given but not marked verified (``address``, ``phone``, ``email``, ``website``)."""
        if self.verified:
            return []
        return [name for name in _CHECKED_DETAILS if getattr(self, name)]


#: the printed fields of ``cufstudy: contact:`` (``verified`` is the flag beside them)
CONTACT_FIELDS = tuple(name for name in Contact.model_fields if name != "verified")
_CHECKED_DETAILS = ("address", "phone", "email", "website")


#: the longest notice: the page notice is one line of every page's header
NOTICE_MAX = 200


class Notices(BaseModel):
    """What the deliverables say while any case of the data is illustrative (``cufstudy: notices:``).

    The defaults (:mod:`cufstudy.core.french`) say it in general terms; a study words its own, e.g. the CUF
    study names its confidential DCOL reports. Each is one French sentence without its final full stop.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    page: str | None = None
    """The page notice in the project's own words, printed in the header of every page of every deliverable
    whose data hold an illustrative case (and checked there); by default it is written from the data's
    provenance markers (:mod:`cufstudy.pipeline.notices`: how many cases, how many fictional)."""
    source: str | None = None
    """What the illustrative coding stands in for, named in the written page notice (the CUF study:
    « rapports DCOL confidentiels »)."""
    chart: str = ILLUSTRATIVE_CODING
    """Ends the subtitle and the alt text of every chart of the case base."""
    partnership: str = ILLUSTRATIVE_VALUES
    """Ends the subtitle and the alt text of the charts of an illustrative SDG partnership."""


class PreflightSettings(BaseModel):
    """The thresholds of the PDF preflight (``cufstudy: preflight:``, see :mod:`cufstudy.pipeline.preflight`)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    min_fill: float = 0.45
    """The share of its text area every page fills, unless it ends a chapter or the document."""
    min_fill_end: float = 0.05
    """The share a page ending a chapter (that the profile starts on a new page) or the document fills."""
    heading_lines: int = 2
    """The lines of text that follow a heading on its page."""


_PREFLIGHT_KEYS = {"min-fill": "min_fill", "min-fill-end": "min_fill_end", "heading-lines": "heading_lines"}


class Settings(BaseModel):
    """The ``cufstudy:`` settings of a project (merged over the active profile)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    data: str = "data"
    """The data folder, a POSIX path relative to the project root."""
    runs: tuple[Any, ...] | None = None
    """The entries of the run plan as written (None when there is no ``runs:``); each is checked and expanded
    by :func:`cufstudy.pipeline.plan.load_plan`, which knows the notebooks and the vocabularies."""
    audience: Audience = "public"
    """Who may read the deliverable: ``public`` deliverables are checked for confidential values."""
    pages: PageRule | None = None
    """The page rule of the deliverable's PDF, if any."""
    contact: Contact | None = None
    """Who to contact about the study (the brochure's contact block), if given."""
    notices: Notices = Notices()
    """The notices of illustrative data (defaults where the project words none)."""
    preflight: PreflightSettings = PreflightSettings()
    """The thresholds of the layout preflight of the deliverable's PDF."""


_KNOWN = tuple(Settings.model_fields)


@dataclass
class _SettingsReader:
    where: Where
    root: Path
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def problem(self, path: FieldPath, message: str) -> None:
        file, line = self.where(path)
        self.problems.append(Problem(file, message, line, path_str(path)))

    def data(self, section: Mapping[str, Any]) -> str:
        name = section.get("data", "data")
        path: FieldPath = (SETTINGS_KEY, "data")
        if not isinstance(name, str) or not name:
            self.problem(path, "expected the data folder, a path relative to the project root")
            return "data"
        pure = PurePosixPath(name)
        if pure.is_absolute() or ".." in pure.parts:
            self.problem(path, f"data folder {name!r} must be relative to the project root")
        elif "data" in section and not (self.root / pure).is_dir():
            self.problem(path, f"data folder {name!r} does not exist (in {self.root})")
        return pure.as_posix()

    def runs(self, section: Mapping[str, Any]) -> tuple[Any, ...] | None:
        if "runs" not in section:
            return None
        raw = section["runs"]
        if not isinstance(raw, list) or not raw:
            self.problem((SETTINGS_KEY, "runs"), "expected a non-empty list of runs (- notebook: ...)")
            return ()
        return tuple(raw)

    def audience(self, section: Mapping[str, Any]) -> Audience:
        value = section.get("audience", "public")
        if value == "internal":
            return "internal"
        if value != "public":
            self.problem((SETTINGS_KEY, "audience"), f"expected 'public' or 'internal', got {value!r}")
        return "public"

    def pages(self, section: Mapping[str, Any]) -> PageRule | None:
        raw = section.get("pages")
        if raw is None:
            return None
        base: FieldPath = (SETTINGS_KEY, "pages")
        if not isinstance(raw, dict) or not raw or set(raw) - {"exact", "max", "min"}:
            self.problem(base, "expected {exact: N}, {max: N} and/or {min: N}")
            return None
        values: dict[str, int] = {}
        for key, value in raw.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                file, line = self.where(base)  # the rule's line: a value in a flow mapping has none of its own
                self.problems.append(
                    Problem(
                        file, f"expected a positive whole number, got {value!r}", line, f"{SETTINGS_KEY}.pages.{key}"
                    )
                )
            else:
                values[key] = value
        return PageRule(**values)

    def fields(
        self, section: Mapping[str, Any], name: str, known: Iterable[str], label: str, expected: str
    ) -> Iterator[tuple[str, Any, FieldPath]] | None:
        """The known ``(key, value, path)`` of the mapping ``section[name]``, each unknown key a problem.

        None when the setting is absent; an empty walk (after the problem ``expected``) when it is no mapping.
        """
        raw = section.get(name)
        if raw is None:
            return None
        base: FieldPath = (SETTINGS_KEY, name)
        if not isinstance(raw, dict):
            self.problem(base, expected)
            return iter(())
        names = tuple(known)

        def walk() -> Iterator[tuple[str, Any, FieldPath]]:
            for key, value in raw.items():
                path: FieldPath = (*base, key)
                if key in names:
                    yield key, value, path
                else:
                    hint = did_you_mean(key, names)
                    self.problem(path, f"unknown {label} {str(key)!r}{hint}; {expected}")

        return walk()

    def contact(self, section: Mapping[str, Any]) -> Contact | None:
        expected = (
            f"expected a mapping of {', '.join(CONTACT_FIELDS)} (organisation required), "
            "and verified: true once they are checked"
        )
        walk = self.fields(section, "contact", (*CONTACT_FIELDS, "verified"), "contact field", expected)
        if walk is None:
            return None
        base: FieldPath = (SETTINGS_KEY, "contact")
        values: dict[str, str] = {}
        verified = False
        for key, value, path in walk:
            if key == "verified":
                if isinstance(value, bool):
                    verified = value
                else:
                    self.problem(path, f"expected true or false (the details were checked), got {value!r}")
            elif not isinstance(value, str) or not value.strip():
                self.problem(path, f"expected a non-empty text, got {value!r}")
            elif key == "email" and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value.strip()):
                self.problem(path, f"expected an e-mail address (name@domain.fr), got {value!r}")
            elif key == "website" and not re.match(r"^(https?://|www\.)\S+$", value.strip()):
                self.problem(path, f"expected a web address (https://... or www....), got {value!r}")
            else:
                values[key] = value.strip()
        raw = section["contact"]
        if isinstance(raw, dict) and "organisation" not in raw:
            self.problem((SETTINGS_KEY, "contact"), f"missing 'organisation'; {expected}")
        if "organisation" not in values:
            return None
        contact = Contact(**values, verified=verified)
        if unchecked := contact.unverified():
            file, line = self.where(base)
            place = file if line is None else f"{file}:{line}"
            self.warnings.append(
                f"{place}: {SETTINGS_KEY}.contact: {', '.join(unchecked)} not verified: the brochure prints them as "
                "written; check them against the organisation's current details before printing, then add "
                "'verified: true'"
            )
        return contact

    def notices(self, section: Mapping[str, Any]) -> Notices:
        known = tuple(Notices.model_fields)
        expected = f"expected some of: {', '.join(known)} (a French sentence each)"
        values: dict[str, str] = {}
        for _key, value, path in self.fields(section, "notices", known, "notice", expected) or ():
            if not isinstance(value, str) or not value.strip():
                self.problem(path, f"expected a French sentence, got {value!r}")
            elif len(value.strip()) > NOTICE_MAX:
                self.problem(
                    path, f"{len(value.strip())} characters; a notice must fit one line ({NOTICE_MAX} at most)"
                )
            else:
                values[_key] = " ".join(value.split())
        return Notices(**values)

    def preflight(self, section: Mapping[str, Any]) -> PreflightSettings:
        expected = f"expected a mapping of {', '.join(_PREFLIGHT_KEYS)}"
        values: dict[str, Any] = {}
        for key, value, path in self.fields(section, "preflight", _PREFLIGHT_KEYS, "preflight setting", expected) or ():
            name = _PREFLIGHT_KEYS[key]
            if name == "heading_lines":
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    self.problem(path, f"expected a whole number of lines (0 or more), got {value!r}")
                else:
                    values[name] = value
            elif isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                self.problem(path, f"expected a share of the page between 0 and 1 (0.45 for 45 %), got {value!r}")
            else:
                values[name] = float(value)
        return PreflightSettings(**values)

    def unknown(self, section: Mapping[str, Any]) -> None:
        for key in section:
            if key in _KNOWN:
                continue
            near = nearest(key, _KNOWN)
            hint = f"did you mean {near!r}? " if near else ""
            file, line = self.where((SETTINGS_KEY, key))
            place = file if line is None else f"{file}:{line}"
            self.warnings.append(
                f"{place}: {SETTINGS_KEY}.{key}: unknown setting, ignored ({hint}known: {', '.join(_KNOWN)})"
            )


@dataclass(frozen=True)
class SettingsResult:
    """What :func:`read_settings` found: the settings, and the located problems and warnings."""

    settings: Settings
    problems: tuple[Problem, ...] = ()
    warnings: tuple[str, ...] = ()
    is_mapping: bool = True
    """False when ``cufstudy:`` holds something else than a mapping (the settings are then the defaults)."""


def read_settings(raw: Any, where: Where, root: Path) -> SettingsResult:
    """Read the ``cufstudy:`` value of a configuration into :class:`Settings`, collecting every problem.

    Parameters
    ----------
    raw
        The value of the ``cufstudy:`` key (None when absent).
    where
        Locates a field path (``("cufstudy", "pages")``): its file and line.
    root
        The project root (the data folder must exist there).
    """
    if raw is None:
        return SettingsResult(Settings())
    reader = _SettingsReader(where, root)
    if not isinstance(raw, dict):
        reader.problem((SETTINGS_KEY,), f"expected a mapping under '{SETTINGS_KEY}:'")
        return SettingsResult(Settings(), tuple(reader.problems), is_mapping=False)
    settings = Settings(
        data=reader.data(raw),
        runs=reader.runs(raw),
        audience=reader.audience(raw),
        pages=reader.pages(raw),
        contact=reader.contact(raw),
        notices=reader.notices(raw),
        preflight=reader.preflight(raw),
    )
    reader.unknown(raw)
    return SettingsResult(settings, tuple(reader.problems), tuple(reader.warnings))


# -- the project ------------------------------------------------------------------------------------
def _display(path: Path) -> str:
    """A path as the user knows it: relative to the working folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Project:
    """A cufstudy project: made once per command (:meth:`find`) and passed down.

    ``doc`` is the project file as read (with the line of every value), ``settings`` its ``cufstudy:``
    settings; ``problems`` and ``warnings`` are what reading them found (the plan raises the problems
    together with its own, so that every problem is reported at once).
    """

    root: Path
    config_file: Path
    doc: YamlDoc
    settings: Settings
    problems: tuple[Problem, ...] = ()
    warnings: tuple[str, ...] = ()
    has_settings: bool = True
    """Whether the project file has a ``cufstudy:`` key holding a mapping."""

    @classmethod
    def find(cls, start: Path | str = Path()) -> Project:
        """The project holding ``start`` (a folder or a file inside it), with its settings read.

        Raises
        ------
        PlanError
            There is no project file in ``start`` or its parents, or it is not valid YAML (located).
        """
        root = find_root(start)
        if root is None:
            raise PlanError.single(
                Path(start) / CONFIG_FILES[0],
                f"no {CONFIG_FILES[0]} in {start} or its parents: not a cufstudy project",
            )
        path = config_file(root)
        assert path is not None
        try:
            doc = read_yaml(path, display=_display(path))
        except PlanError:
            raise
        except DataError as exc:  # syntax, encoding, duplicate keys
            raise PlanError(exc.problems) from exc
        data = doc.data if isinstance(doc.data, dict) else {}

        def where(fields: FieldPath) -> tuple[str, int | None]:
            return doc.file, doc.line_of(fields)

        result = read_settings(data.get(SETTINGS_KEY), where, root)
        return cls(
            root=root,
            config_file=path,
            doc=doc,
            settings=result.settings,
            problems=result.problems,
            warnings=result.warnings,
            has_settings=SETTINGS_KEY in data and result.is_mapping,
        )

    @property
    def paths(self) -> BuildPaths:
        """The layout of ``_build/`` and ``_output/``."""
        return BuildPaths(self.root)

    @property
    def data_dir(self) -> Path:
        """The absolute data folder."""
        return self.root / self.settings.data

    def display(self, path: Path) -> str:
        """``path`` relative to the project root when inside it (for messages)."""
        try:
            return str(path.resolve().relative_to(self.root))
        except ValueError:
            return str(path)


@functools.lru_cache(maxsize=8)
def _notices_of(config: Path, stamp: tuple[int, int]) -> Notices:
    try:
        return Project.find(config.parent).settings.notices
    except DataError:  # an unreadable project file: the command that reads it reports why
        return Notices()


def project_notices(start: Path | str | None = None) -> Notices:
    """The notices of the project holding ``start`` (default: the working folder), or the defaults outside one.

    What a notebook's charts print (its kernel runs in the project root); read again when ``_quarto.yml``
    changes.
    """
    root = find_root(start)
    path = config_file(root) if root is not None else None
    if path is None:
        return Notices()
    st = path.stat()
    return _notices_of(path, (st.st_mtime_ns, st.st_size))


def project_of(project: Project | Path | str) -> Project:
    """``project`` itself, or the project holding the folder ``project``."""
    return project if isinstance(project, Project) else Project.find(project)
