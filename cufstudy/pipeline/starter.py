"""``cufstudy new``: write a new study project that builds at once, from the starter packaged with cufstudy.

The starter (``cufstudy/resources/starter/``) is a small but complete project: ``_quarto.yml`` with its
``cufstudy:`` settings (data folder, notices, run plan), one ``_quarto-<profile>.yml`` per deliverable
(study, guide, brochure, toolbox), one example case in ``data/cases/``, two notebooks (the case base and its
tiers; the expert and the data-driven typology, which says so when the cases are too few), a report skeleton
per deliverable with the illustrative-data notice, a ``.gitignore`` and a README. :func:`new_project` copies
it, with the packaged bibliography as ``data/references.bib`` (the works the default typology cites), and
installs the Quarto extension as ``_extensions/cufstudy/``. The typology, the organisation models and the
SDG framework are not copied: the project uses cufstudy's packaged defaults until it has its own
``data/typology.yaml``, ``data/organisation.yaml``... (see :mod:`cufstudy.resources`).

Examples
--------
>>> from pathlib import Path
>>> import tempfile
>>> made = new_project(Path(tempfile.mkdtemp()) / "etude", ["study"])
>>> "_quarto-study.yml" in made.files and "_quarto-guide.yml" not in made.files
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cufstudy.core.atomic import atomic_write_bytes
from cufstudy.core.errors import ProjectError
from cufstudy.resources import packaged_files, packaged_root

__all__ = ["PROFILES", "STARTER_DIR", "NewProject", "new_project"]

#: the deliverables a new project can have, one Quarto profile each
PROFILES = ("study", "guide", "brochure", "toolbox")
#: the packaged folder the new project is copied from
STARTER_DIR = "starter"
# packaged files whose name in the project differs (package data does not carry hidden files)
_RENAMED = {PurePosixPath("gitignore"): PurePosixPath(".gitignore")}
# packaged files copied in as the project's own (from resources/data/)
_FROM_DATA = {PurePosixPath("references.bib"): PurePosixPath("data/references.bib")}


@dataclass(frozen=True)
class NewProject:
    """What :func:`new_project` wrote.

    Attributes
    ----------
    root
        The project folder.
    files
        Every file written, relative to ``root`` (POSIX paths, in writing order), the extension last.
    profiles
        The deliverables of the project.
    replaced
        Files that existed and were replaced (``force``).
    """

    root: Path
    files: tuple[str, ...]
    profiles: tuple[str, ...]
    replaced: tuple[str, ...] = ()

    def summary(self) -> str:
        """What the command prints: every file written, then the next steps."""
        lines = [f"created the cufstudy project {self.root} ({len(self.files)} files):"]
        lines += [f"  {name}{'  (replaced)' if name in self.replaced else ''}" for name in self.files]
        lines += [
            "next steps:",
            f"  cd {self.root}",
            "  cufstudy validate data      # check the case base",
            f"  cufstudy build              # deliverables into _output/: {', '.join(self.profiles)}",
        ]
        return "\n".join(lines)


def _profiles(asked: Sequence[str] | None) -> tuple[str, ...]:
    if not asked:
        return PROFILES
    names = [p.strip() for item in asked for p in item.split(",") if p.strip()]
    unknown = [p for p in names if p not in PROFILES]
    if unknown:
        raise ProjectError(f"unknown profile {', '.join(map(repr, unknown))}: choose among {', '.join(PROFILES)}")
    if not names:
        raise ProjectError(f"no profile given: choose among {', '.join(PROFILES)}")
    return tuple(p for p in PROFILES if p in names)  # the starter's order, each once


def _wanted(rel: PurePosixPath, profiles: tuple[str, ...]) -> bool:
    """Whether a starter file belongs to a project of these profiles."""
    if len(rel.parts) == 1 and rel.name.startswith("_quarto-") and rel.suffix == ".yml":
        return rel.stem.removeprefix("_quarto-") in profiles
    if rel.parts[0] == "reports" and len(rel.parts) > 2 and rel.parts[1] != "shared":
        return rel.parts[1] in profiles
    return True


def _plan(profiles: tuple[str, ...]) -> list[tuple[PurePosixPath, Path]]:
    """(path in the project, packaged source) of every file to write."""
    base = packaged_root() / STARTER_DIR
    plan = [(_RENAMED.get(rel, rel), base / rel) for rel in packaged_files(STARTER_DIR) if _wanted(rel, profiles)]
    plan += [(target, packaged_root() / "data" / source) for source, target in _FROM_DATA.items()]
    return plan


def new_project(folder: Path | str, profiles: Sequence[str] | None = None, *, force: bool = False) -> NewProject:
    """Write a new study project into ``folder``, ready for ``cufstudy validate`` and ``cufstudy build``.

    Parameters
    ----------
    folder
        The project folder: created if missing; it must be empty unless ``force``.
    profiles
        The deliverables to set up, among :data:`PROFILES` (items may be comma-separated:
        ``["study,brochure"]``); default: all four.
    force
        Write into a folder that is not empty: the starter's files replace files of the same path, other
        files are kept.

    Returns
    -------
    NewProject
        The folder and every file written.

    Raises
    ------
    ProjectError
        ``folder`` is a file, or a folder that is not empty (without ``force``), or a profile is unknown.
    """
    root = Path(folder).expanduser().absolute()
    chosen = _profiles(profiles)
    if root.exists() and not root.is_dir():
        raise ProjectError(f"{root}: exists and is not a folder; give the folder of the new project")
    if root.is_dir() and not force:
        present = sorted(p.name for p in root.iterdir())
        if present:
            shown = ", ".join(present[:5]) + (", ..." if len(present) > 5 else "")
            raise ProjectError(
                f"{root}: the folder is not empty ({len(present)} entries: {shown}); choose a new folder, "
                "or pass --force to write the starter's files into it (files of the same path are replaced)"
            )
    plan = _plan(chosen)
    replaced = tuple(rel.as_posix() for rel, _ in plan if (root / rel).exists())
    root.mkdir(parents=True, exist_ok=True)
    for rel, source in plan:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, source.read_bytes())  # never a half-written file
    from cufstudy.pipeline.notices import project_notices
    from cufstudy.render.extension import install_extension

    notices = project_notices(root)  # each deliverable's, from the example data's provenance markers
    extension = install_extension(root, notices.default, notices.by_deliverable)
    installed = sorted(
        p.relative_to(root).as_posix() for p in extension.path.rglob("*") if p.is_file() and not p.name.startswith(".")
    )
    return NewProject(root, (*(rel.as_posix() for rel, _ in plan), *installed), chosen, replaced)
