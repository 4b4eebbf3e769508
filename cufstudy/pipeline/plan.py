"""The run plan: which notebooks Papermill executes, with which parameters, into which files.

The plan is declared once, under the ``cufstudy:`` key of the project's ``_quarto.yml``:

.. code-block:: yaml

    cufstudy:
      data: data                      # the data folder (hashed into every run's cache key)
      runs:
        - notebook: notebooks/panorama.ipynb
        - notebook: notebooks/profil_niveau.ipynb
          parameters:
            tier: [commune, epci, departement, region]   # a list: one run per value
          output: "_build/notebooks/{notebook}-{tier}.ipynb"
        - notebook: notebooks/grille_odd.ipynb
          parameters:
            partnership: every        # every value of the vocabulary: one run each
          inputs: [sdg, partnerships] # what it reads of the data folder (default: all of it)

Rules:

* ``parameters`` maps a parameter name (a Python identifier) to a value (text, number, boolean,
  ``null``), a list of values, or ``every``. Lists and ``every`` multiply: a run entry makes one run
  per combination (cartesian product, in declaration order).
* Parameters with a vocabulary are checked before any kernel starts: ``tier`` must be a
  :class:`~cufstudy.model.vocab.TierGroup` value, ``partnership`` the stem of a file
  ``<data>/partnerships/*.yaml``. ``every`` expands to all the values of the vocabulary. Other
  vocabularies can be passed to :func:`load_plan` as *resolvers*.
* ``output`` is a template relative to the project root; ``{notebook}`` is the notebook's file stem,
  any other placeholder must be a parameter of the entry (a plain ``{name}``: no format spec or
  conversion). The default is
  ``_build/notebooks/{notebook}.ipynb``, with ``-{name}`` appended for every parameter given as a
  list or ``every``. Two runs may never write the same file.
* ``inputs`` lists the files and folders of the data folder that the notebook reads, as paths
  relative to the data folder; only their files are hashed into the cache key of the entry's runs,
  so editing another data file does not re-execute them. Without ``inputs``, the whole data folder is
  hashed (the safe default); ``inputs: []`` declares a notebook that reads no data. Each path must stay
  inside the data folder, exist there or among cufstudy's packaged data (a default the project does not
  override, such as ``typology.yaml``: the library's digest covers it), and not be hidden (hidden files
  are never hashed). Declare every
  path the notebook reads, including those read through the library: an undeclared file can change
  without re-executing the run.
* A plan makes at most ``MAX_RUNS`` runs (lists multiply quickly).
* ``data`` and the ``runs`` list itself are read with the other settings by
  :func:`cufstudy.core.project.read_settings`; this module checks and expands the entries.

Every problem is collected and raised together as one :class:`~cufstudy.core.errors.PlanError`, each
located by file, line and field path (``cufstudy.runs[1].parameters.tier[2]``).
"""

from __future__ import annotations

import difflib
import itertools
import keyword
import math
import os
import string
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cufstudy.core.errors import ArgumentError, PlanError, Problem
from cufstudy.core.problems import Reason, did_you_mean, validation_issues
from cufstudy.core.project import NOTEBOOKS, SETTINGS_KEY, Project, project_of
from cufstudy.core.yamlio import FieldPath, YamlDoc, path_str
from cufstudy.model.vocab import Tier, TierGroup
from cufstudy.resources import packaged_root

__all__ = [
    "EVERY",
    "MAX_RUNS",
    "Plan",
    "Resolver",
    "Run",
    "RunSpec",
    "Scalar",
    "default_resolvers",
    "list_partnerships",
    "load_plan",
    "parse_plan",
]

EVERY = "every"
MAX_RUNS = 1000
FAILED_SUFFIX = ".failed.ipynb"

Scalar = str | int | float | bool | None
Resolver = Callable[[Path], Sequence[str]]
"""A vocabulary: given the absolute data folder, the allowed values of a parameter, in order."""


def list_partnerships(data_dir: Path) -> list[str]:
    """The partnerships of the data set: stems of ``<data>/partnerships/*.yaml``, sorted.

    An absent folder yields no partnership (``partnership: every`` then makes no run, with a warning).
    """
    folder = data_dir / "partnerships"
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.yaml") if not p.name.startswith("."))


def _tier_groups(_data_dir: Path) -> list[str]:
    return [group.value for group in TierGroup]


def default_resolvers() -> dict[str, Resolver]:
    """The vocabularies checked by default: ``tier`` (tier groups) and ``partnership``."""
    return {"tier": _tier_groups, "partnership": list_partnerships}


class RunSpec(BaseModel):
    """One entry of ``cufstudy.runs`` as written in ``_quarto.yml``, before expansion."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    notebook: str = Field(min_length=1)
    parameters: dict[str, Any] = Field(default_factory=dict)
    output: str | None = None
    inputs: list[str] | None = None


class Run(BaseModel):
    """One notebook execution: a notebook, one value per parameter, one output file.

    Paths are POSIX paths relative to the project root.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    index: int
    notebook: str
    parameters: dict[str, Scalar]
    output: str
    inputs: tuple[str, ...] | None = None
    """What the run reads of the data folder: POSIX paths relative to it (``.`` is the folder itself),
    normalised and in declaration order; None (the default) for the whole data folder."""

    @property
    def stem(self) -> str:
        """The notebook's file stem (what ``--only`` matches)."""
        return PurePosixPath(self.notebook).stem

    @property
    def label(self) -> str:
        """Short human name, e.g. ``profil_niveau (tier=region)``."""
        if not self.parameters:
            return self.stem
        params = ", ".join(f"{k}={v}" for k, v in self.parameters.items())
        return f"{self.stem} ({params})"

    @property
    def failed_output(self) -> str:
        """Where the executed notebook of a failed run goes: ``<output stem>.failed.ipynb``."""
        return self.output.removesuffix(".ipynb") + FAILED_SUFFIX


class Plan(BaseModel):
    """The expanded run plan of a project."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    root: Path
    config: str
    data: str
    runs: tuple[Run, ...]
    warnings: tuple[str, ...] = ()

    @property
    def data_dir(self) -> Path:
        """The absolute data folder."""
        return self.root / self.data

    def select(self, only: Sequence[str] | None) -> Plan:
        """The runs of the notebooks whose stem is in ``only`` (all runs when ``only`` is empty).

        Raises
        ------
        ArgumentError
            If a name matches no notebook of the plan (naming them, and the nearest one).
        """
        if not only:
            return self
        stems = list(dict.fromkeys(r.stem for r in self.runs))
        for name in only:
            if name not in stems:
                hint = did_you_mean(name, stems)
                raise ArgumentError(
                    f"no notebook of the plan is named {name!r}{hint}; notebooks: {', '.join(stems) or 'none'}",
                    "--only",
                )
        return self.model_copy(update={"runs": tuple(r for r in self.runs if r.stem in only)})


def load_plan(project: Project | Path = Path(), *, resolvers: Mapping[str, Resolver] | None = None) -> Plan:
    """Read and check the run plan of a project, expanding parameter lists and ``every``.

    Parameters
    ----------
    project
        The project (:class:`~cufstudy.core.project.Project`), or its folder (or a folder below it: the
        nearest one holding ``_quarto.yml``).
    resolvers
        Vocabularies by parameter name, added to (or replacing) :func:`default_resolvers`.

    Raises
    ------
    PlanError
        With every located problem of the plan (nothing is executed).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "nb.ipynb").write_text("{}")
    2
    >>> _ = (root / "_quarto.yml").write_text(
    ...     "cufstudy:\\n  runs:\\n    - notebook: nb.ipynb\\n      parameters: {tier: [commune, region]}\\n")
    >>> [r.output for r in load_plan(root).runs]
    ['_build/notebooks/nb-commune.ipynb', '_build/notebooks/nb-region.ipynb']
    """
    project = project_of(project)
    return parse_plan(project, resolvers=resolvers)


def _hint(value: object, allowed: Sequence[str]) -> str:
    if isinstance(value, str):
        near = difflib.get_close_matches(value, allowed, n=1, cutoff=0.6)
        if near:
            return f" (did you mean {near[0]!r}?)"
    if not allowed:
        return ""
    return f" (expected one of: {', '.join(allowed)})"


class _Parser:
    def __init__(self, project: Project, resolvers: Mapping[str, Resolver]) -> None:
        self.project = project
        self.doc: YamlDoc = project.doc
        self.root = project.root
        self.resolvers = resolvers
        self.problems: list[Problem] = list(project.problems)  # of the settings: reported with the plan's
        self.warnings: list[str] = list(project.warnings)
        self.total = 0  # runs made by the entries parsed so far
        self._vocab: dict[str, list[str]] = {}
        self.data_name = project.settings.data
        self.data_dir = project.data_dir
        # False when the data folder itself has a problem (already reported)
        self.data_ok = not any(p.field == f"{SETTINGS_KEY}.data" for p in self.problems)

    def problem(self, path: FieldPath, message: str) -> None:
        self.problems.append(Problem(self.doc.file, message, self.doc.line_of(path), path_str(path)))

    def vocabulary(self, name: str) -> list[str] | None:
        if name not in self.resolvers:
            return None
        if name not in self._vocab:
            self._vocab[name] = list(self.resolvers[name](self.data_dir))
        return self._vocab[name]

    # -- values -----------------------------------------------------------------------------------
    def check_value(self, name: str, value: object, path: FieldPath) -> bool:
        if isinstance(value, list | dict):
            self.problem(
                path,
                f"parameter {name!r}: expected a value (text, number, boolean), got a nested "
                f"{'list' if isinstance(value, list) else 'mapping'}",
            )
            return False
        allowed = self.vocabulary(name)
        if allowed is None:
            return True
        if isinstance(value, str) and value in allowed:
            return True
        message = f"unknown {name} {value!r}"
        tier_group = _tier_group_of(value) if name == "tier" else None
        if tier_group is not None and tier_group in allowed:
            message += f": {value!r} is a kind of authority; runs compare tier groups, use {tier_group!r}"
        elif not allowed:
            message += f": no {name} is defined in the data set"
        else:
            message += _hint(value, allowed)
        self.problem(path, message)
        return False

    def values(self, name: str, raw: object, path: FieldPath) -> tuple[list[Scalar], bool]:
        """The values of one parameter, and whether it was given as several (list or ``every``)."""
        if raw == EVERY:
            allowed = self.vocabulary(name)
            if allowed is None:
                known = ", ".join(sorted(self.resolvers)) or "none"
                self.problem(path, f"{EVERY!r} needs a parameter with a vocabulary (known: {known})")
                return [], True
            if not allowed:
                self.warnings.append(
                    f"{self.doc.file}:{self.doc.line_of(path)}: {path_str(path)}: {EVERY!r} found no {name}; "
                    "this entry makes no run"
                )
            return list(allowed), True
        if isinstance(raw, list):
            if not raw:
                self.problem(path, f"parameter {name!r}: empty list; give at least one value")
            good: list[Scalar] = []
            seen: set[str] = set()
            for j, item in enumerate(raw):
                if not self.check_value(name, item, (*path, j)):
                    continue
                marker = repr(item)
                if marker in seen:
                    self.problem((*path, j), f"parameter {name!r}: value {item!r} is listed twice")
                    continue
                seen.add(marker)
                good.append(item)
            return good, True
        if not self.check_value(name, raw, path):
            return [], False
        assert raw is None or isinstance(raw, str | int | float | bool)
        return [raw], False

    # -- paths ------------------------------------------------------------------------------------
    def relative(self, text: str, path: FieldPath, what: str) -> PurePosixPath | None:
        pure = PurePosixPath(text.replace(os.sep, "/").replace("\\", "/"))  # a Windows path escapes too
        if pure.is_absolute() or ".." in pure.parts:
            self.problem(path, f"{what} {text!r} must be a path relative to the project root, inside it")
            return None
        if pure.suffix != ".ipynb":
            self.problem(path, f"{what} {text!r} must end with .ipynb")
            return None
        return pure

    def inputs(self, raw: Sequence[str], path: FieldPath) -> tuple[str, ...]:
        """The normalised ``inputs`` of an entry (paths relative to the data folder), problems reported."""
        good: list[str] = []
        for j, text in enumerate(raw):
            ipath = (*path, j)
            if not text.strip():
                self.problem(ipath, "empty input: give a file or folder of the data folder")
                continue
            pure = PurePosixPath(text.replace("\\", "/"))  # a Windows path escapes too
            if pure.is_absolute() or ".." in pure.parts:
                self.problem(
                    ipath, f"input {text!r} must be a path relative to the data folder {self.data_name!r}, inside it"
                )
                continue
            if any(part.startswith(".") for part in pure.parts):
                self.problem(
                    ipath, f"input {text!r} is hidden (a name starting with '.'): hidden files are never hashed"
                )
                continue
            if "__pycache__" in pure.parts:
                self.problem(ipath, f"input {text!r} is in a __pycache__ folder, whose files are never hashed")
                continue
            name = pure.as_posix()
            if name in good:
                self.problem(ipath, f"input {text!r} is listed twice")
                continue
            if self.data_ok and not self.input_exists(text, pure, ipath):
                continue
            good.append(name)
        return tuple(good)

    def input_exists(self, text: str, pure: PurePosixPath, path: FieldPath) -> bool:
        target = self.data_dir / pure
        # a packaged default the project does not override (typology.yaml): the library digest covers it
        if not target.exists() and not (packaged_root() / "data" / pure).exists():
            parent = target.parent
            siblings = (
                [(pure.parent / p.name).as_posix() for p in parent.iterdir() if not p.name.startswith(".")]
                if parent.is_dir()
                else []
            )
            near = difflib.get_close_matches(pure.as_posix(), siblings, n=1, cutoff=0.6)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            self.problem(path, f"input {text!r} does not exist in the data folder {self.data_name!r}{hint}")
            return False
        if not target.resolve().is_relative_to(self.data_dir.resolve()):
            self.problem(path, f"input {text!r} leads outside the data folder {self.data_name!r} (a symbolic link)")
            return False
        return True

    def template_fields(self, template: str, names: Sequence[str], path: FieldPath) -> list[str] | None:
        try:
            parsed = list(string.Formatter().parse(template))
        except ValueError as exc:
            self.problem(path, f"invalid output template {template!r}: {exc}")
            return None
        fields = []
        allowed = ["notebook", *names]
        ok = True
        for _, field, spec, conversion in parsed:
            if field is None:
                continue
            if spec or conversion:  # {tier:>99999999} would make a huge name, {tier!r} a quoted one
                ok = False
                extra = (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
                self.problem(
                    path, f"output placeholder {{{field}{extra}}} takes no format spec or conversion: write {{{field}}}"
                )
                continue
            if field not in allowed:
                ok = False
                if not field.isidentifier():
                    self.problem(
                        path,
                        f"output placeholder {{{field}}} must be a plain name: "
                        f"{{notebook}} or a parameter ({', '.join(names) or 'none'})",
                    )
                else:
                    near = difflib.get_close_matches(field, allowed, n=1, cutoff=0.6)
                    tip = f"did you mean {{{near[0]}}}? " if near else ""
                    self.problem(
                        path,
                        f"output placeholder {{{field}}} is not a parameter of this run ({tip}"
                        f"known: {', '.join('{' + a + '}' for a in allowed)})",
                    )
            fields.append(field)
        return fields if ok else None

    # -- entries ----------------------------------------------------------------------------------
    def entry(self, i: int, raw: object, outputs: dict[str, tuple[int, str]]) -> list[Run]:
        base: FieldPath = (SETTINGS_KEY, "runs", i)
        before = len(self.problems)
        try:
            spec = RunSpec.model_validate(raw)
        except ValidationError as exc:
            # the shared wording (validation_issues), said in the words of a configuration file: keys
            for issue in validation_issues(exc, RunSpec):
                loc = issue.path
                if issue.reason is Reason.UNKNOWN_FIELD:
                    key = str(loc[-1])
                    self.problem((*base, *loc), f"unknown key {key!r}{_hint(key, list(RunSpec.model_fields))}")
                elif issue.reason is Reason.MISSING_FIELD:
                    self.problem(base, f"missing key {loc[-1]!r}")
                elif issue.kind == "model_type":
                    self.problem(base, "expected a mapping with keys notebook, parameters, output, inputs")
                elif loc[0] == "inputs":
                    self.problem(
                        (*base, *loc),
                        "expected a list of paths relative to the data folder, e.g. [sdg, partnerships]"
                        if len(loc) == 1
                        else "expected a path relative to the data folder (text)",
                    )
                else:
                    self.problem((*base, *loc), issue.message)
            return []

        notebook = self.relative(spec.notebook, (*base, "notebook"), "notebook")
        if notebook is not None and not (self.root / notebook).is_file():
            self.problem((*base, "notebook"), f"notebook {spec.notebook!r} does not exist (in {self.root})")
        inputs = None if spec.inputs is None else self.inputs(spec.inputs, (*base, "inputs"))

        axes: list[tuple[str, list[Scalar]]] = []
        varying: list[str] = []
        for name, raw_value in spec.parameters.items():
            ppath = (*base, "parameters", name)
            if not name.isidentifier() or keyword.iskeyword(name) or name == "notebook":
                self.problem(ppath, f"parameter name {name!r} must be a Python identifier other than 'notebook'")
                continue
            values, several = self.values(name, raw_value, ppath)
            axes.append((name, values))
            if several:
                varying.append(name)

        names = [name for name, _ in axes]
        if spec.output is None:
            template = f"{NOTEBOOKS}/{{notebook}}{''.join(f'-{{{n}}}' for n in varying)}.ipynb"
            tpath: FieldPath = base
        else:
            template = spec.output
            tpath = (*base, "output")
        fields = self.template_fields(template, names, tpath)
        for name in varying if fields is not None else ():
            count = len(dict(axes)[name])
            if fields is not None and name not in fields and count > 1:
                self.problem(
                    tpath,
                    f"output template {template!r} has no {{{name}}} placeholder, so the "
                    f"{count} runs of {name} would all write the same file",
                )
        if notebook is None or fields is None or len(self.problems) > before:
            return []

        count = math.prod(len(values) for _, values in axes)
        if self.total + count > MAX_RUNS:
            self.problem(
                (*base, "parameters"),
                f"the plan would make {self.total + count:,} runs (this entry: {count:,}, the product of its "
                f"parameter lists); at most {MAX_RUNS:,} are allowed",
            )
            return []
        self.total += count
        runs = []
        for combo in itertools.product(*(values for _, values in axes)):
            params = dict(zip(names, combo, strict=True))
            text = template.format(notebook=notebook.stem, **{k: "" if v is None else v for k, v in params.items()})
            out = self.relative(text, tpath, "output")
            if out is None:
                return []
            if out == notebook:
                self.problem(tpath, f"output {text!r} would overwrite the source notebook")
                return []
            if out.name.endswith(FAILED_SUFFIX) or out.name.startswith("."):
                self.problem(
                    tpath,
                    f"output {text!r}: names ending in {FAILED_SUFFIX} or starting with '.' "
                    "are reserved for failed and partial runs",
                )
                return []
            run = Run(index=i, notebook=notebook.as_posix(), parameters=params, output=out.as_posix(), inputs=inputs)
            key = out.as_posix()
            if key in outputs or run.failed_output in outputs:
                j, label = outputs.get(key) or outputs[run.failed_output]
                self.problem(
                    tpath,
                    f"two runs write {key!r}: {label} (cufstudy.runs[{j}]) and {run.label}; "
                    "give each run its own output (add a placeholder for the parameter that differs)",
                )
                continue
            outputs[key] = (i, run.label)
            outputs[run.failed_output] = (i, run.label)
            runs.append(run)
        return runs

    def parse(self) -> Plan:
        project = self.project
        if not project.has_settings:
            if project.problems:  # 'cufstudy:' is not a mapping
                raise PlanError(project.problems)
            raise PlanError.single(self.doc.file, "no run plan: add a 'cufstudy:' key with 'runs:' (see the README)")
        raw_runs = project.settings.runs
        if raw_runs is None:
            self.problem((SETTINGS_KEY,), "missing key 'runs': the list of notebooks to execute")
            raw_runs = ()

        outputs: dict[str, tuple[int, str]] = {}
        runs = [run for i, raw in enumerate(raw_runs) for run in self.entry(i, raw, outputs)]
        if self.problems:
            n = len(self.problems)
            raise PlanError(self.problems, summary=f"the run plan in {self.doc.file} has {n} problem{'s' * (n != 1)}")
        return Plan(
            root=self.root,
            config=self.doc.file,
            data=self.data_name,
            runs=tuple(runs),
            warnings=tuple(self.warnings),
        )


def _tier_group_of(value: object) -> str | None:
    if isinstance(value, str) and value in Tier.__members__.values():
        return Tier(value).group.value
    return None


def parse_plan(project: Project, *, resolvers: Mapping[str, Resolver] | None = None) -> Plan:
    """Check and expand the plan of a project whose settings are already read (see :func:`load_plan`)."""
    merged = default_resolvers()
    merged.update(resolvers or {})
    return _Parser(project, merged).parse()
