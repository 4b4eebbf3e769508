"""``cufstudy build``: validate the data, run the notebooks, render the deliverables, check them, publish.

The whole build holds the project lock, so two builds never interleave. The order is the order in which
a failure loses the least:

1. the case base is validated (every problem reported at once; nothing is executed on bad data);
2. the run plan is executed (unchanged runs are skipped); a failed run stops the build before rendering,
   so no deliverable is made from a stale or broken notebook;
3. every profile is rendered into a work folder and checked: page rules, offline HTML, and for public
   deliverables the leak check (no confidential value in any output file or embedded notebook);
4. only then are the files moved into ``_output/``, each atomically.

A deliverable whose inputs (sources, templates, executed notebooks, facts, library, options, confidential
values) have not changed since it was published is not rendered again, unless ``force`` is given.

While any case of the data is illustrative, every page of every deliverable carries the notice.
"""

from __future__ import annotations

import functools
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from cufstudy.core.errors import RenderError
from cufstudy.model.cases import load_cases, validate_cases
from cufstudy.pipeline.leaks import check_no_leak
from cufstudy.pipeline.plan import load_plan
from cufstudy.pipeline.runs import RunReport, project_lock, run
from cufstudy.render import BuildReport, Engine
from cufstudy.render import build as render_build
from cufstudy.render.config import Deliverable

__all__ = ["ILLUSTRATIVE_NOTICE", "BuildResult", "audience", "build", "embedded_notebooks"]

ILLUSTRATIVE_NOTICE = (
    "Données illustratives : codage d'exemple (rapports DCOL confidentiels), collectivités de comparaison "
    "fictives ; aucun chiffre n'est un résultat de l'étude"
)
_EMBED = re.compile(r"\{\{<\s*embed\s+([^#\s>]+\.ipynb)#")
_INCLUDE = re.compile(r"\{\{<\s*include\s+([^\s>]+)\s*>\}\}")


@dataclass(frozen=True)
class BuildResult:
    """The outcome of a build: the notebook runs and the rendered deliverables."""

    runs: RunReport
    render: BuildReport
    seconds: float
    illustrative: bool
    grids: tuple[Path, ...] = ()
    """The Excel grids published with the toolbox by this build (:mod:`cufstudy.sdg.grid_files`)."""

    def summary(self) -> str:
        lines = [self.runs.summary(), self.render.summary()]
        lines += [f"  {path} (grid of the toolbox)" for path in self.grids]
        if self.illustrative:
            lines.append("note: the data is illustrative; every page of every deliverable says so")
        lines.append(f"build finished in {self.seconds:.1f} s")
        return "\n".join(lines)


def audience(deliverable: Deliverable) -> str:
    """``internal`` or ``public`` (the default: a profile that does not say is treated as public)."""
    value = deliverable.config.get("cufstudy", "audience", default="public")
    return "internal" if value == "internal" else "public"


def _sources(main: Path, seen: set[Path] | None = None) -> list[Path]:
    """A document and the files it includes, recursively."""
    seen = set() if seen is None else seen
    if main in seen or not main.is_file():
        return []
    seen.add(main)
    found = [main]
    for inc in _INCLUDE.findall(main.read_text(encoding="utf-8")):
        found += _sources((main.parent / inc).resolve(), seen)
    return found


def embedded_notebooks(deliverable: Deliverable) -> list[Path]:
    """The executed notebooks a deliverable embeds (paths relative to its main document, ``/`` = project)."""
    notebooks: list[Path] = []
    for main in deliverable.inputs:
        for src in _sources(main.resolve()):
            for ref in _EMBED.findall(src.read_text(encoding="utf-8")):
                path = deliverable.root / ref.lstrip("/") if ref.startswith("/") else main.parent / ref
                if path.resolve() not in notebooks:
                    notebooks.append(path.resolve())
    return notebooks


def build(
    project: Path = Path(),
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
        The project folder (or a folder below it).
    profiles
        Deliverables to build (``["guide"]``); default: every ``_quarto-<name>.yml``.
    engine
        ``auto`` (Quarto when on PATH, else the embedded Pandoc + Typst engine), ``pandoc`` or ``quarto``.
    formats
        Only these formats (``html``, ``pdf``, ``docx``).
    preview
        Also write PNG thumbnails of the PDF pages into ``_output/preview/``.
    workers, force
        Passed to :func:`cufstudy.pipeline.runs.run`. Without ``force``, a deliverable whose inputs have not changed
        since it was published is kept as it is (see :mod:`cufstudy.render._stamp`); ``force`` re-executes
        every notebook and renders every deliverable again.
    wait
        Wait for another build holding the project lock (else fail at once with ``LockError``).

    Raises
    ------
    DataError
        The case base is invalid (nothing was executed or rendered).
    RunError
        A notebook run failed (nothing was rendered).
    RenderError, LayoutError, LeakError
        A deliverable could not be rendered, breaks its page rule, or would publish a confidential
        value; the previous deliverables stay in place.
    """
    started = time.perf_counter()
    plan = load_plan(project)
    root = plan.root

    def note(message: str) -> None:
        print(message, file=sys.stderr)

    with project_lock(root, wait=wait, notify=note):
        cases = validate_cases(plan.data_dir)
        runs = run(root, workers=workers, force=force, progress=progress)
        runs.raise_for_failures()

        @functools.cache
        def secrets() -> list[str]:  # loaded once, and only when a public deliverable is rendered
            return load_cases(plan.data_dir).confidential_values()

        # the toolbox's Excel grids: checked and written with the toolbox, published right after it (imported
        # here: openpyxl and pandas would slow down the start of every build, before the notebooks run)
        from cufstudy.sdg.grid_files import GridFiles

        grids = GridFiles(plan.data_dir, root / "_build" / "grids")

        def verify(deliverable: Deliverable, files: Sequence[Path]) -> None:
            grids.check(deliverable.name, deliverable.output_dir)
            if audience(deliverable) != "public":
                return
            notebooks = embedded_notebooks(deliverable)
            missing = [nb for nb in notebooks if not nb.is_file()]
            if missing:
                raise RenderError(f"{deliverable.name}: embedded notebook not found: {missing[0]}")
            check_no_leak([*files, *notebooks], secrets(), deliverable.name)

        notice = ILLUSTRATIVE_NOTICE if cases.illustrative else None
        try:
            rendered = render_build(
                root,
                profiles,
                engine=engine,
                formats=formats,
                preview=preview,
                notice=notice,
                verify=verify,
                reuse=not force,
                # another set of confidential values changes what the leak check must find: render again
                reuse_key=cases.confidential_digest,
            )
            published = grids.deliver((o.deliverable, o.path) for o in rendered.outputs)
        finally:
            grids.discard()  # staged grids of a failed build are never published
    # the notebooks were just run: the embedded engine's reminder that it skips pre-render is noise here
    rendered = replace(rendered, warnings=tuple(w for w in rendered.warnings if "pre-render" not in w))
    return BuildResult(runs, rendered, time.perf_counter() - started, cases.illustrative, tuple(published))
