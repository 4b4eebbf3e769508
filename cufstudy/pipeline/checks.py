"""Every check a deliverable passes before it is published, whichever renderer made it.

``cufstudy build`` applies them to the files it rendered, before it moves them into ``_output/``;
``cufstudy check`` applies the same ones to files rendered by a plain ``quarto render`` (as its
``post-render`` step), see :func:`cufstudy.pipeline.publish.check_and_publish`. One failure and nothing is
published. The rules, by the name the messages give them:

``pages``
    The PDF keeps the deliverable's page rule (``cufstudy: pages: {exact: 4}`` or ``{max: 30}``).
``a4``
    Every page of every PDF is A4 (595 x 842 pt, within a point).
``notice``
    While the data is illustrative (any case is), every page of every format shows the notice
    :data:`ILLUSTRATIVE_NOTICE`: the text of each PDF page, the HTML page, a header of the DOCX.
``offline``
    An HTML deliverable loads nothing from another host (no CDN script, web font or remote image).
``leak``
    A public deliverable (``cufstudy: audience: public``, the default) contains no confidential value, in
    any file or in any executed notebook it embeds (:mod:`cufstudy.pipeline.leaks`).
``embedded``
    Every notebook a public deliverable embeds exists (it is searched for confidential values too).
``pairing``
    A public deliverable never prints a real authority beside its illustrative coding (its strategy type,
    ambition, organisation, recommendations and their follow-up): the name and a label of that case's coding
    within :data:`~cufstudy.pipeline.leaks.PAIRING_WINDOW` characters, in any file or embedded notebook
    (:func:`cufstudy.pipeline.leaks.find_pairings`; the case shows under its neutral label instead).
``preflight``
    The layout of every PDF: no table row split across pages, continued tables repeat their header, no
    caption away from its table or figure, no heading at a page foot, no page under-filled, no text
    outside the text area (:mod:`cufstudy.pipeline.preflight`; thresholds in ``cufstudy: preflight:``).
``typography``
    What a reader sees keeps French typography: no straight apostrophe between letters, a no-break space
    before ``: ; ! ? »``, after ``«`` and between a number and ``%``; in the text of each PDF page, the
    paragraphs of the DOCX (body, headers, footers, notes), the visible text of the HTML page and the texts of
    the charts it draws (:mod:`cufstudy.pipeline.typography`; URLs, code, the bibliography and text marked as
    English are left out). Each fault names the page, XML part or HTML line, and the snippet.
``designer``
    The brochure's designer pack (``brochure-designer.zip``, :mod:`cufstudy.pipeline.designer`) is beside the
    published brochure, holds the members a build writes from it (the same bytes: the pack is reproducible),
    and names no folder of the build machine; its leak and pairing checks are those of the brochure.

Text is compared after :func:`cufstudy.pipeline.leaks.normalise` (letters and digits only: case, accents,
Unicode forms, spaces, hyphens, quotes and format characters folded), so typesetting neither hides a leak
nor a notice; the pairing rule, which matches whole words, after its word-keeping variant
:func:`cufstudy.pipeline.leaks.fold_words`. A leak is reported with the file (and page), the field the value
comes from, and the value masked.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cufstudy.core.errors import LayoutError, LeakError, RenderError
from cufstudy.core.french import ILLUSTRATIVE_NOTICE
from cufstudy.core.project import PageRule, PreflightSettings
from cufstudy.model.confidential import ConfidentialValue
from cufstudy.pipeline.leaks import (
    PairingLike,
    extract_pages,
    find_leaks,
    find_pairings,
    normalise,
    pdf_page_texts,
)
from cufstudy.pipeline.preflight import preflight
from cufstudy.pipeline.typography import (
    docx_faults,
    html_faults,
    notebook_chart_faults,
    pdf_property_faults,
    pdf_text_faults,
)
from cufstudy.render.engine import external_urls
from cufstudy.render.layout import pdf_page_count

__all__ = [
    "A4",
    "ILLUSTRATIVE_NOTICE",
    "RULES",
    "CheckReport",
    "Requirements",
    "Rule",
    "Violation",
    "check_files",
    "raise_all",
    "raise_for",
]

#: A4 in PDF points, and the tolerance of the check.
A4 = (595.2756, 841.8898)
_A4_TOLERANCE = 1.0
Rule = Literal[
    "pages", "a4", "notice", "offline", "leak", "embedded", "pairing", "preflight", "typography", "designer"
]  # fmt: skip
RULES: tuple[Rule, ...] = (
    "pages", "a4", "notice", "offline", "leak", "embedded", "pairing", "preflight", "typography", "designer"
)  # fmt: skip
_TAG = re.compile(r"<[^>]+>")
# where the PDF text extraction inferred a space from a gap between glyphs (a chart's): a control character
# no text holds, told apart for the typography check (pdf_text_faults), a space for the searches
_GAP = "\x1f"


@dataclass(frozen=True)
class Requirements:
    """What the checks require of the files of one deliverable."""

    deliverable: str
    pages: PageRule | None = None
    notice: str | None = None
    """The notice every page must show (None: no notice is required)."""
    secrets: Callable[[], Sequence[str | ConfidentialValue]] | None = None
    """The confidential values to look for, loaded on first need; None for an internal deliverable."""
    pairings: Callable[[], Sequence[PairingLike]] | None = None
    """The real authorities with illustrative coding and the labels of their coding (loaded on first need);
    None for an internal deliverable."""
    a4: bool = True
    offline: bool = True
    preflight: PreflightSettings | None = None
    """The thresholds of the layout preflight of the PDF (None: no preflight)."""
    chapter_breaks: bool = True
    """Whether the profile starts each level-1 section on a new page (the preflight allows a short page before)."""
    captions: tuple[str, str] = ("Tableau", "Figure")
    """The caption labels of tables and figures (``crossref: tbl-title``, ``fig-title``)."""
    typography: bool = True
    """Whether the French typography of what a reader sees is checked (:mod:`cufstudy.pipeline.typography`)."""


@dataclass(frozen=True)
class Violation:
    """One broken rule: the file, the rule and what is wrong."""

    file: Path
    rule: Rule
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.rule}: {self.message}"


@dataclass
class CheckReport:
    """What :func:`check_files` found: the violations, and the page count of each PDF."""

    violations: list[Violation] = field(default_factory=list)
    pages: dict[Path, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.violations


def _contains(hay: str, needle: str) -> bool:
    """``needle`` in ``hay``, both folded by :func:`~cufstudy.pipeline.leaks.normalise` (letters and digits only)."""
    return needle in hay


def _docx_headers(path: Path) -> str:
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as zf:
        xml = [zf.read(n).decode("utf-8", "replace") for n in zf.namelist() if n.startswith("word/header")]
    return " ".join(_TAG.sub("", part) for part in xml)


def _page_sizes(data: bytes) -> list[tuple[float, float]]:
    from pypdf import PdfReader

    return [(float(p.mediabox.width), float(p.mediabox.height)) for p in PdfReader(io.BytesIO(data)).pages]


def _check_pdf(path: Path, req: Requirements, report: CheckReport, texts: dict[Path, list[str]]) -> None:
    data = path.read_bytes()
    pages = pdf_page_count(data)
    report.pages[path] = pages
    add = report.violations.append
    if req.pages is not None:
        message = req.pages.violation(path.name, pages, req.deliverable)
        if message:
            add(Violation(path, "pages", message))
    if req.a4:
        for n, (width, height) in enumerate(_page_sizes(data), start=1):
            if abs(width - A4[0]) > _A4_TOLERANCE or abs(height - A4[1]) > _A4_TOLERANCE:
                add(
                    Violation(
                        path,
                        "a4",
                        f"{path.name} page {n} is {width:.0f} x {height:.0f} pt, not A4 (595 x 842 pt): "
                        "set papersize: a4",
                    )
                )
                break
    wanted = req.notice or req.secrets is not None or req.pairings is not None or req.typography
    marked: list[str] = []  # the text of each page, read once for the typography and the searches
    if req.preflight is not None:
        for problem in preflight(
            data,
            req.preflight,
            name=path.name,
            chapter_breaks=req.chapter_breaks,
            table_prefix=req.captions[0],
            figure_prefix=req.captions[1],
            texts=marked if wanted else None,  # read in the preflight's pass over the characters
            gap=_GAP,
        ):
            add(Violation(path, "preflight", str(problem)))
    elif wanted:
        marked = pdf_page_texts(data, gap=_GAP)
    page_texts = [text.replace(_GAP, " ") for text in marked]
    texts[path] = page_texts
    if req.typography:
        for fault in [*pdf_property_faults(data, path.name), *pdf_text_faults(marked, path.name, gap=_GAP)]:
            add(Violation(path, "typography", str(fault)))
    if req.notice:
        notice = normalise(req.notice)
        missing = [n for n, text in enumerate(page_texts, start=1) if not _contains(normalise(text), notice)]
        if missing:
            shown = ", ".join(map(str, missing[:10])) + (", ..." if len(missing) > 10 else "")
            add(
                Violation(
                    path,
                    "notice",
                    f"{path.name}: page{'s' * (len(missing) > 1)} {shown} of {pages} do{'es' * (len(missing) == 1)} "
                    "not show the illustrative-data notice (every page must while the data is illustrative)",
                )
            )


def _check_html(path: Path, req: Requirements, report: CheckReport, texts: dict[Path, list[str]]) -> None:
    page = path.read_text(encoding="utf-8", errors="replace")
    if req.offline:
        urls = external_urls(page)
        if urls:
            report.violations.append(
                Violation(
                    path,
                    "offline",
                    f"{path.name} would load {urls[0]} from another host; HTML deliverables must work offline "
                    "(embed-resources: true, no CDN scripts, no web fonts)",
                )
            )
    if req.notice or req.secrets is not None or req.pairings is not None:
        texts[path] = extract_pages(path)
    if req.notice and not _contains(normalise("\n".join(texts[path])), normalise(req.notice)):
        report.violations.append(Violation(path, "notice", f"{path.name} does not show the illustrative-data notice"))
    if req.typography:
        report.violations += [Violation(path, "typography", str(f)) for f in html_faults(path)]


def _check_docx(path: Path, req: Requirements, report: CheckReport) -> None:
    if req.notice and not _contains(normalise(_docx_headers(path)), normalise(req.notice)):
        report.violations.append(
            Violation(path, "notice", f"{path.name}: no page header shows the illustrative-data notice")
        )
    if req.typography:
        report.violations += [Violation(path, "typography", str(f)) for f in docx_faults(path)]


def check_files(files: Iterable[Path], req: Requirements, notebooks: Sequence[Path] = ()) -> CheckReport:
    """Apply every rule to the rendered files of one deliverable and the notebooks they embed.

    Files are told apart by their extension (``.pdf``, ``.html``, ``.docx``); other files are only
    searched for confidential values. Every violation is collected, none raised.
    """
    report = CheckReport()
    texts: dict[Path, list[str]] = {}
    files = list(files)
    for path in files:
        suffix = path.suffix.lower()
        if suffix == ".pdf":
            _check_pdf(path, req, report, texts)
        elif suffix in (".html", ".htm"):
            _check_html(path, req, report, texts)
        elif suffix == ".docx":
            _check_docx(path, req, report)
    embedded = list(dict.fromkeys(notebooks))
    present = [nb for nb in embedded if nb.is_file()]  # the notebooks the searches and chart rules read
    if req.secrets is not None and req.pairings is not None:  # both searches read every file: extracted once
        for path in [*files, *present]:
            if path not in texts and path.suffix.lower() not in (".html", ".htm"):
                texts[path] = extract_pages(path)
    if req.secrets is not None:
        for notebook in embedded:
            if notebook not in present:
                report.violations.append(
                    Violation(notebook, "embedded", f"{req.deliverable}: embedded notebook not found: {notebook}")
                )
        secrets = req.secrets()
        for leak in find_leaks([*files, *present], secrets, texts):
            report.violations.append(Violation(leak.file, "leak", str(leak)))
    if req.typography and any(f.suffix.lower() in (".pdf", ".docx") for f in files):
        # the charts' own texts, which a PDF gives without their kind of spaces and a DOCX as pictures
        for notebook in present:
            faults = notebook_chart_faults(notebook)
            report.violations += [Violation(notebook, "typography", str(f)) for f in faults]
    if req.pairings is not None:
        _check_pairings([*files, *present], req.pairings, report, texts)
    return report


def _check_pairings(
    searched: Sequence[Path],
    pairings: Callable[[], Sequence[PairingLike]],
    report: CheckReport,
    texts: Mapping[Path, Sequence[str]],
) -> None:
    """The ``pairing`` rule: no real authority beside its illustrative coding, in the files or the notebooks."""
    for hit in find_pairings(searched, pairings(), texts):
        report.violations.append(Violation(hit.file, "pairing", str(hit)))


def raise_for(violations: Sequence[Violation], deliverable: str, *, layout_note: str = "") -> None:
    """Raise the error of the most serious violation, listing the others.

    :class:`~cufstudy.core.errors.LeakError` if a confidential value was found, else
    :class:`~cufstudy.core.errors.LayoutError` for a page rule or the paper size, else
    :class:`~cufstudy.core.errors.RenderError`. ``layout_note`` is appended to a layout message (where the
    rejected pages are).
    """
    if not violations:
        return
    leaks = [v for v in violations if v.rule == "leak"]
    pairs = [v for v in violations if v.rule == "pairing"]
    others = [v for v in violations if v.rule not in ("leak", "pairing")]
    if leaks or pairs:
        lines = "\n".join(f"  {v.message}" for v in [*leaks, *pairs, *others])
        what = "contains confidential data" if leaks else "prints a real authority beside its illustrative coding"
        raise LeakError(f"the public deliverable {deliverable!r} {what}; nothing was published:\n{lines}")
    first, rest = others[0], others[1:]
    also = "".join(f"\n  also: {v.message}" for v in rest)
    if first.rule in ("pages", "a4", "preflight"):
        raise LayoutError(f"{first.message}; the previous deliverables were kept{layout_note}{also}")
    raise RenderError(first.message + also)


def raise_all(violations: Sequence[Violation], head: str) -> None:
    """Raise one error listing every violation as ``file: rule: message`` (the class as :func:`raise_for`)."""
    if not violations:
        return
    lines = "\n".join(f"  {v}" for v in violations)
    rules = {v.rule for v in violations}
    cls = (
        LeakError
        if rules & {"leak", "pairing"}
        else LayoutError
        if rules & {"pages", "a4", "preflight"}
        else RenderError
    )
    raise cls(f"{head}\n{lines}")
