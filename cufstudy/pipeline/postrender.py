"""``cufstudy check``: the post-render step of a plain ``quarto render`` (``project: post-render:``).

Quarto runs it after rendering a profile into ``project: output-dir:`` (``_build/quarto/``), with the active
profile in ``$QUARTO_PROFILE`` and the rendered files in ``$QUARTO_PROJECT_OUTPUT_FILES`` (or in the file
``$QUARTO_USE_FILE_FOR_PROJECT_OUTPUT_FILES`` names). The files go through the checks of ``cufstudy build``
(page rules and offline HTML, :mod:`cufstudy.render`; the notice on every page while the data is
illustrative; no confidential value in a public deliverable or the notebooks it embeds); only when all
pass are they copied, each atomically, to ``_output/<profile>.<ext>``. A failure names the file and rule
and exits 1, which makes ``quarto render`` fail: nothing is published.

Run by Quarto inside ``cufstudy build --engine quarto`` (``$CUFSTUDY_BUILD`` set), it does nothing: the
build checks and publishes the files itself, with all its deliverables at once.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cufstudy.core.atomic import atomic_write_bytes
from cufstudy.core.errors import RenderError
from cufstudy.model.cases import load_cases
from cufstudy.pipeline.build import audience, data_notice, embedded_notebooks
from cufstudy.pipeline.leaks import check_no_leak, extract_text, normalise
from cufstudy.pipeline.plan import load_plan
from cufstudy.render.config import deliverables
from cufstudy.render.engine import RenderedFile, external_urls
from cufstudy.render.layout import check_pages, pdf_page_count
from cufstudy.render.quarto import BUILD_ENV, format_of, quarto_outputs

__all__ = ["CheckResult", "check_quarto_render", "quarto_output_files"]

_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class CheckResult:
    """What :func:`check_quarto_render` checked and published."""

    published: tuple[Path, ...] = ()
    note: str | None = None

    def summary(self) -> str:
        if self.note:
            return self.note
        lines = [f"every check passed; published {len(self.published)} file(s)"]
        return "\n".join(lines + [f"  {p}" for p in self.published])


def quarto_output_files(env: Mapping[str, str]) -> list[str] | None:
    """The files Quarto lists for its post-render step (relative to the project), or None."""
    listed = env.get("QUARTO_USE_FILE_FOR_PROJECT_OUTPUT_FILES")
    if listed:
        try:
            text = Path(listed).read_text(encoding="utf-8")
        except OSError as exc:
            raise RenderError(f"cannot read the list of rendered files {listed}: {exc}") from exc
    elif "QUARTO_PROJECT_OUTPUT_FILES" in env:
        text = env["QUARTO_PROJECT_OUTPUT_FILES"]
    else:
        return None
    return [line.strip() for line in text.splitlines() if line.strip()]


def _check_notice(file: RenderedFile, notice: str) -> None:
    head = normalise(notice)[:40]
    if file.fmt == "typst":
        from pypdf import PdfReader

        for n, page in enumerate(PdfReader(file.staged).pages, start=1):
            if head not in normalise(page.extract_text() or ""):
                raise RenderError(f"{file.staged}: notice: page {n} does not show the illustrative-data notice")
    elif file.fmt == "docx":
        with zipfile.ZipFile(file.staged) as zf:
            headers = " ".join(zf.read(n).decode("utf-8") for n in zf.namelist() if n.startswith("word/header"))
        if head not in normalise(_TAG.sub("", headers)):
            raise RenderError(f"{file.staged}: notice: no page header shows the illustrative-data notice")
    elif head not in normalise(extract_text(file.staged)):
        raise RenderError(f"{file.staged}: notice: the page does not show the illustrative-data notice")


def check_quarto_render(
    project: Path = Path(),
    profiles: Sequence[str] | None = None,
    files: Sequence[Path] | None = None,
    env: Mapping[str, str] | None = None,
) -> CheckResult:
    """Check the files of a ``quarto render`` and publish them into ``_output/`` (see the module docstring).

    Parameters
    ----------
    project
        The project folder.
    profiles
        The profile rendered (default ``$QUARTO_PROFILE``).
    files
        The rendered files (default: the list Quarto gives its post-render step).
    env
        The environment to read Quarto's variables from (default ``os.environ``).

    Raises
    ------
    RenderError, LayoutError, LeakError
        A check failed (the file and rule are named); nothing was published.
    """
    env = os.environ if env is None else env
    if env.get(BUILD_ENV):
        return CheckResult(note="run by Quarto inside cufstudy build, which checks and publishes the files itself")
    plan = load_plan(project)
    root = plan.root
    if profiles is None:
        active = env.get("QUARTO_PROFILE")
        profiles = [active] if active else None
    listed = [str(f) for f in files] if files is not None else quarto_output_files(env)
    if not listed:
        raise RenderError("nothing to check: run as Quarto's post-render step, or name the files (--file)")
    rendered = [(root / name).resolve() for name in listed]
    out_dir = Path(env.get("QUARTO_PROJECT_OUTPUT_DIR") or root / "_build" / "quarto")
    out_dir = out_dir if out_dir.is_absolute() else root / out_dir
    notice = data_notice(plan.data_dir)
    secrets: list[str] | None = None
    ready: list[tuple[Path, Path]] = []
    for deliverable in deliverables(root, [",".join(profiles)] if profiles else None):
        found = quarto_outputs(deliverable, rendered, out_dir, every_format=False)  # only what Quarto rendered
        for path, name in found.items():
            fmt = format_of(name)
            file = RenderedFile(deliverable.name, fmt, path, name)
            if fmt == "html" and (urls := external_urls(path.read_text(encoding="utf-8", errors="replace"))):
                raise RenderError(f"{path}: offline: the page would load {urls[0]} from another host")
            if fmt == "typst":
                check_pages(deliverable.pages, name, pdf_page_count(path.read_bytes()), deliverable.name)
            if notice:
                _check_notice(file, notice)
            ready.append((path, deliverable.output_dir / name))
        if audience(deliverable) == "public":
            secrets = load_cases(plan.data_dir).confidential_values() if secrets is None else secrets
            check_no_leak([*found, *embedded_notebooks(deliverable)], secrets, deliverable.name)
    for path, target in ready:
        atomic_write_bytes(target, path.read_bytes())
    return CheckResult(published=tuple(target for _, target in ready))
