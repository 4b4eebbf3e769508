"""The numbers of figures and tables, and the cross-references to them, as a reader sees them in each format."""

from __future__ import annotations

import html
import re
import zipfile
from collections import Counter
from pathlib import Path

from pypdf import PdfReader

_SPACE = "[\\s\u00a0\u202f]"
CAPTION = re.compile(rf"(Tableau|Figure){_SPACE}+(\d+){_SPACE}*:{_SPACE}*(\w+)")
REFERENCE = re.compile(rf"(Tableau|Figure){_SPACE}+(\d+)(?![\d\s\u00a0\u202f]*:)")


def text(path: Path) -> str:
    """The text of a PDF, HTML or DOCX deliverable, spaces folded."""
    if path.suffix == ".pdf":
        raw = " ".join(page.extract_text() or "" for page in PdfReader(path).pages)
    elif path.suffix == ".html":
        page = re.sub(r"<script.*?</script>|<style.*?</style>", " ", path.read_text(encoding="utf-8"), flags=re.S)
        raw = html.unescape(re.sub(r"<[^>]+>", " ", page))
    else:
        with zipfile.ZipFile(path) as zf:
            xml = zf.read("word/document.xml").decode("utf-8")
        raw = html.unescape(re.sub(r"<[^>]+>", "", xml.replace("</w:p>", " \n")))
    return re.sub(r"\s+", " ", raw.replace("\u00a0", " ").replace("\u202f", " "))


def captions(path: Path) -> list[tuple[str, int, str]]:
    """Every caption in reading order: its kind, its number and the first word of its text."""
    return [(kind, int(number), word) for kind, number, word in CAPTION.findall(text(path))]


def references(path: Path) -> Counter[str]:
    """How often each « Tableau N » / « Figure N » is cited outside captions."""
    return Counter(f"{kind} {number}" for kind, number in REFERENCE.findall(text(path)))
