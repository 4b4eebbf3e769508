"""Layout guards and previews of the PDF deliverables.

* :func:`pdf_page_count` and :func:`pdf_media_box` read a PDF without a PDF library (typst writes a plain
  ``/Type/Pages`` tree; pypdf is used as a fallback when it is installed);
* :func:`check_pages` raises :class:`~cufstudy.core.errors.LayoutError` when a deliverable breaks its
  ``cufstudy: pages:`` rule (« brochure.pdf has 5 pages; the brochure must have exactly 4 »);
* :func:`preview_images` renders PNG thumbnails of every page (typst renders PNG directly; for a PDF
  made by Quarto, ``pdftoppm`` is used when it is on PATH).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from cufstudy.core.errors import LayoutError, RenderError
from cufstudy.render.config import PageRule

__all__ = ["check_pages", "pdf_media_box", "pdf_page_count", "preview_pdf"]

_PAGES = re.compile(rb"/Type\s*/Pages\b(?:(?!endobj).)*?/Count\s+(\d+)", re.S)
_MEDIABOX = re.compile(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]")


def pdf_page_count(data: bytes) -> int:
    """Number of pages of a PDF (the largest ``/Count`` of its page-tree nodes)."""
    counts = [int(m) for m in _PAGES.findall(data)]
    if counts:
        return max(counts)
    try:  # compressed object streams: fall back to pypdf when available
        from pypdf import PdfReader

        return len(PdfReader(io.BytesIO(data)).pages)
    except ImportError as exc:  # pragma: no cover - typst output always has a plain page tree
        raise RenderError("cannot count the pages of this PDF (install pypdf)") from exc


def pdf_media_box(data: bytes) -> tuple[float, float] | None:
    """Width and height in points of the first ``/MediaBox`` of a PDF, if found."""
    m = _MEDIABOX.search(data)
    if not m:
        return None
    x0, y0, x1, y1 = (float(v) for v in m.groups())
    return (x1 - x0, y1 - y0)


def check_pages(rule: PageRule | None, filename: str, pages: int, deliverable: str) -> None:
    """Raise :class:`LayoutError` if ``pages`` breaks ``rule``."""
    if rule is None:
        return
    message = rule.violation(filename, pages, deliverable)
    if message:
        raise LayoutError(message + "; the previous deliverables were kept")


def preview_pdf(pdf: Path, ppi: float = 60.0) -> list[bytes]:
    """PNG images of every page of a PDF made elsewhere (Quarto), with ``pdftoppm``."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        raise RenderError("previews of a PDF rendered by Quarto need pdftoppm (apt-get install poppler-utils)")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([tool, "-png", "-r", str(int(ppi)), str(pdf), f"{tmp}/page"], check=True, capture_output=True)
        return [p.read_bytes() for p in sorted(Path(tmp).glob("page*.png"), key=_page_number)]


def _page_number(path: Path) -> int:
    m = re.search(r"(\d+)$", path.stem)
    return int(m.group(1)) if m else 0
