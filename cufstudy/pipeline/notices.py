"""The illustrative-data notice of each deliverable, from the provenance markers of the data it uses.

A deliverable says what is illustrative in *its* data, and nothing else:

1. **what it uses**: the notebooks it embeds (:func:`cufstudy.render.shortcodes.embedded_notebooks`) are runs of
   the plan, and each run declares what it reads of the data folder (``inputs:`` in ``_quarto.yml``; a run
   without ``inputs`` reads the whole folder). A deliverable that embeds no notebook of the plan is taken
   to use the whole data folder;
2. **what is illustrative there**: the ``provenance:`` marker of every case (``data/cases/*.yaml``) and of
   every SDG partnership (``data/partnerships/*.yaml``), and the ``authority.fictional`` marker of the
   invented comparison authorities (:class:`DataProvenance`);
3. **the text**: :func:`cufstudy.core.french.data_notice`: for the study, the number of cases coded as
   examples and of invented comparison authorities; for the toolbox, the partnerships coded as examples.

Replace the example coding (``provenance: coded_from_report``, ``training_action``...) and the notice says
less, or disappears.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cufstudy.core.errors import CufstudyError
from cufstudy.core.french import apostrophes, cases_notice_part, data_notice, partnerships_notice_part, typeset_fr
from cufstudy.core.project import Notices as NoticeSettings
from cufstudy.core.project import Project, project_of
from cufstudy.core.yamlio import read_yaml
from cufstudy.model.cases import case_files, load_cases
from cufstudy.model.vocab import Provenance
from cufstudy.pipeline.plan import Plan, load_plan
from cufstudy.render.config import Deliverable, deliverables
from cufstudy.render.shortcodes import embedded_notebooks

__all__ = [
    "DATA_SETS",
    "DataProvenance",
    "Notices",
    "data_provenance",
    "data_sets_used",
    "deliverable_notices",
    "notice_for",
    "project_notices",
]

#: the data sets that carry provenance markers: name -> folder of the data folder
DATA_SETS: Mapping[str, str] = {"cases": "cases", "partnerships": "partnerships"}
_NOT_ILLUSTRATIVE_PARTNERSHIP = frozenset({"training_action", "self_assessment"})


@dataclass(frozen=True)
class DataProvenance:
    """What the provenance markers of a data folder say."""

    cases: int = 0
    """Cases in ``cases/``."""
    illustrative_cases: int = 0
    """Cases marked ``provenance: illustrative``."""
    fictional_cases: int = 0
    """Illustrative cases whose authority is marked ``fictional: true`` (invented comparison authorities)."""
    illustrative_partnerships: tuple[str, ...] = ()
    """Titles of the partnerships marked ``provenance: illustrative`` (file order)."""

    def notice(
        self, data_sets: frozenset[str] = frozenset(DATA_SETS), words: NoticeSettings | None = None
    ) -> str | None:
        """The notice of a deliverable that uses ``data_sets``; None when nothing of them is illustrative.

        ``words`` are the project's (``cufstudy: notices:``): its own ``page`` text replaces the written one
        for a deliverable using an illustrative case; its ``source`` is named in the written one.
        """
        words = words or NoticeSettings()
        cases = (
            cases_notice_part(self.illustrative_cases, self.cases, self.fictional_cases, words.source)
            if "cases" in data_sets
            else None
        )
        if cases and words.page:
            return typeset_fr(apostrophes(words.page))
        partnerships = partnerships_notice_part(self.illustrative_partnerships) if "partnerships" in data_sets else None
        return data_notice(cases, partnerships)


def data_provenance(data_dir: Path) -> DataProvenance:
    """Read the provenance markers of ``data_dir`` (cases validated, partnerships' markers read).

    Raises
    ------
    DataError
        The case base is invalid, or a partnership file cannot be read as YAML.
    """
    cases = illustrative = fictional = 0
    if (data_dir / "cases").is_dir() and case_files(data_dir / "cases"):
        base = load_cases(data_dir)
        cases = len(base)
        marked = [c for c in base if c.provenance is Provenance.ILLUSTRATIVE]
        illustrative = len(marked)
        fictional = sum(1 for c in marked if c.authority.fictional)
    titles: list[str] = []
    folder = data_dir / "partnerships"
    if folder.is_dir():
        for path in sorted(folder.glob("*.yaml")):
            doc = read_yaml(path, str(path))
            data = doc.data if isinstance(doc.data, dict) else {}
            # a value that is not a known non-illustrative provenance keeps the notice (the notebook that
            # validates the file reports it): a missing marker never hides an example coding
            if str(data.get("provenance", "illustrative")) not in _NOT_ILLUSTRATIVE_PARTNERSHIP:
                titles.append(str(data.get("title") or path.stem))
    return DataProvenance(cases, illustrative, fictional, tuple(titles))


def _reads(inputs: Sequence[str] | None, folder: str) -> bool:
    if inputs is None:
        return True
    for item in inputs:
        parts = PurePosixPath(item).parts
        if item in (".", "") or parts[:1] == (folder,):
            return True
    return False


def data_sets_used(deliverable: Deliverable, plan: Plan, root: Path) -> frozenset[str]:
    """The data sets (:data:`DATA_SETS`) the notebooks embedded by ``deliverable`` read."""
    runs = {(root / run.output).resolve(): run for run in plan.runs}
    used: set[str] = set()
    found = False
    for source in deliverable.inputs:
        for notebook in embedded_notebooks(source, root):
            run = runs.get(notebook.resolve())
            inputs = None if run is None else run.inputs  # a notebook outside the plan: the whole folder
            found = True
            used |= {name for name, folder in DATA_SETS.items() if _reads(inputs, folder)}
    return frozenset(used) if found else frozenset(DATA_SETS)


def deliverable_notices(
    project: Project | Path = Path(),
    todo: Sequence[Deliverable] | None = None,
    provenance: DataProvenance | None = None,
    plan: Plan | None = None,
) -> dict[str, str | None]:
    """The notice of each deliverable of the project (every profile unless ``todo`` is given).

    Raises
    ------
    DataError
        The data folder is invalid.
    """
    project = project_of(project)
    if not project.has_settings:
        return {}
    if provenance is None:
        provenance = data_provenance(project.data_dir)
    if plan is None:
        try:
            plan = load_plan(project)
        except CufstudyError:  # no usable run plan: every deliverable is taken to use the whole data folder
            plan = None
    items = list(todo) if todo is not None else deliverables(project)
    return {
        d.name: provenance.notice(
            data_sets_used(d, plan, project.root) if plan else frozenset(DATA_SETS), project.settings.notices
        )
        for d in items
    }


@dataclass(frozen=True)
class Notices:
    """The notices of a project: one per deliverable, and the whole data folder's."""

    default: str | None
    """What the whole data folder makes illustrative (the installed extension's ``metadata.yml`` and
    ``reference.docx``, for a profile that does not name its own files)."""
    by_deliverable: Mapping[str, str | None]

    def of(self, name: str) -> str | None:
        """The notice of deliverable ``name`` (the default for a deliverable not listed)."""
        return self.by_deliverable.get(name, self.default)


def project_notices(project: Project | Path = Path(), plan: Plan | None = None) -> Notices:
    """:class:`Notices` of every deliverable of the project, from its data's provenance markers.

    Raises
    ------
    DataError
        The data folder is invalid.
    """
    project = project_of(project)
    if not project.has_settings:
        return Notices(None, {})
    provenance = data_provenance(project.data_dir)
    try:
        own = deliverable_notices(project, provenance=provenance, plan=plan)
    except CufstudyError:  # no deliverable can be read (the build reports why): the data folder's notice
        own = {}
    return Notices(provenance.notice(words=project.settings.notices), own)


def notice_for(notices: str | Notices | None, name: str) -> str | None:
    """The notice of deliverable ``name``: one notice for every deliverable, or a project's :class:`Notices`."""
    if notices is None or isinstance(notices, str):
        return notices
    return notices.of(name)
