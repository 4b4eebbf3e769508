"""Leak check: no confidential value may appear in a public output.

Confidential fields (interviewee names, interview notes, any field the data model marks confidential)
reach the internal study only. After a public deliverable is rendered, and before it is published, its
text is extracted (HTML text, PDF text, DOCX XML, executed notebooks it embeds) and searched for every
confidential value; one hit fails the build and the previous deliverable stays in place.

Matching is done on normalised text (Unicode NFKC, case folded, every run of whitespace, including the
non-breaking spaces the French typography adds, turned into one space, soft hyphens and end-of-line
hyphenation removed), so typesetting cannot hide a leak.

:func:`find_pairings` is the second search of public outputs: a real authority whose coding is illustrative
must not be printed beside that coding (its strategy type, ambition, organisation, recommendations and their
follow-up). The rule: the authority's name (as whole words) and a label of its coding within
:data:`PAIRING_WINDOW` characters of each other in the normalised text of a file.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cufstudy.core.errors import LeakError

__all__ = [
    "PAIRING_WINDOW",
    "Leak",
    "PairingLeak",
    "PairingLike",
    "check_no_leak",
    "extract_text",
    "find_leaks",
    "find_pairings",
    "normalise",
    "pdf_page_texts",
]

_WS = re.compile(r"\s+")
# typographic variants a renderer may substitute: curly quotes, hyphen and non-breaking hyphen (after NFKC)
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2010": "-"})
_TAG = re.compile(r"<[^>]+>")
_BUNDLE = re.compile(r'<script type="module" data-cufstudy-bundle="([0-9a-f]{64})">(.*?)</script>', re.S)
_SCRIPT_STYLE = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
MIN_LENGTH = 4  # shorter values ("A", "oui") would match everywhere and are not secrets worth a check


def normalise(text: str) -> str:
    """Fold text for leak matching: NFKC, casefold, curly quotes, hyphenation and all whitespace normalised."""
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "").translate(_QUOTES)
    text = re.sub(r"-\s*\n\s*", "", text)  # words hyphenated across PDF lines
    return _WS.sub(" ", text).casefold().strip()


def _drop_bundle(match: re.Match[str]) -> str:
    code = match.group(2)
    return " " if hashlib.sha256(code.encode("utf-8")).hexdigest() == match.group(1) else match.group(0)


def _html_text(raw: str) -> str:
    # The Vega library bundle (render._vega.inject_bundle) is our own code, the same on every page: skipped
    # when its content matches the hash it carries. Other scripts hold the Vega specs (data values,
    # tooltips): kept, they are readable by anyone.
    raw = _BUNDLE.sub(_drop_bundle, raw)
    body = _SCRIPT_STYLE.sub(lambda m: " " + m.group(0) + " ", raw)
    return html.unescape(_TAG.sub(" ", body)) + " " + html.unescape(raw)


def _docx_text(data: bytes) -> str:
    parts = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            if name.endswith(".xml") or name.endswith(".rels"):
                xml = zf.read(name).decode("utf-8", errors="replace")
                parts.append(html.unescape(_TAG.sub("", xml)))
                parts.append(html.unescape(_TAG.sub(" ", xml)))
    return "\n".join(parts)


_MAX_PDF_FORMS = 10_000_000


def pdf_page_texts(data: bytes) -> list[str]:
    """The text of each page of a PDF (pypdf's extraction)."""
    try:
        from pypdf import PdfReader
    except ImportError as exc:  # pragma: no cover - pypdf is a dependency
        raise LeakError("the leak check of PDF files needs pypdf: pip install pypdf") from exc
    from pypdf import apply_configuration

    reader = PdfReader(io.BytesIO(data))
    # Our own PDFs are trusted input; pypdf's default cap (5,000 form XObjects per page, reached by a
    # chart of a few thousand points) would skip the rest of the page's text, and a leak with it.
    with apply_configuration(xform_maximum_invocations_per_extraction=_MAX_PDF_FORMS):
        return [page.extract_text() or "" for page in reader.pages]


def _notebook_text(raw: str) -> str:
    nb = json.loads(raw)
    parts: list[str] = []
    for cell in nb.get("cells", []):
        parts.append("".join(cell.get("source", "")))
        for out in cell.get("outputs", []) or []:
            parts.append(
                "".join(out.get("text", "")) if isinstance(out.get("text"), list) else str(out.get("text", ""))
            )
            for mime, value in (out.get("data") or {}).items():
                if mime.startswith("image/png"):
                    continue
                parts.append(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    return "\n".join(parts)


def extract_text(path: Path) -> str:
    """The text a reader (or a tool) can get out of an output file, by its extension."""
    suffix = path.suffix.lower()
    data = path.read_bytes()
    if suffix == ".pdf":
        return "\n".join(pdf_page_texts(data))
    if suffix == ".docx":
        return _docx_text(data)
    if suffix == ".ipynb":
        return _notebook_text(data.decode("utf-8", errors="replace"))
    text = data.decode("utf-8", errors="replace")
    return _html_text(text) if suffix in (".html", ".htm") else text


@dataclass(frozen=True)
class Leak:
    """A confidential value found in an output."""

    file: Path
    value: str

    def __str__(self) -> str:
        shown = self.value if len(self.value) <= 40 else self.value[:37] + "..."
        return f"{self.file}: contains the confidential value {shown!r}"


def find_leaks(files: Iterable[Path], secrets: Sequence[str], texts: Mapping[Path, str] | None = None) -> list[Leak]:
    """Every (file, confidential value) pair where the value appears in the file's text.

    ``texts`` gives the text of files already extracted (by :func:`extract_text`), read again otherwise.
    """
    needles = sorted({normalise(s) for s in secrets if len(normalise(s)) >= MIN_LENGTH})
    originals = {normalise(s): s for s in secrets}
    leaks: list[Leak] = []
    if not needles:
        return leaks
    tight = {needle: needle.replace(" ", "") for needle in needles}
    for path in files:
        hay = normalise(texts[path] if texts is not None and path in texts else extract_text(path))
        found = _contained(hay, needles)
        rest = [n for n in needles if n not in found]
        if rest:  # PDF text extraction may drop spaces: look for the values without spaces too
            found_tight = _contained(hay.replace(" ", ""), [tight[n] for n in rest])
            found |= {n for n in rest if tight[n] in found_tight}
        leaks += [Leak(path, originals[needle]) for needle in needles if needle in found]
    return leaks


# Above this many (needle x haystack) characters, a search of each needle in turn costs seconds (5,000
# interviews against a study of a few MB: more than a minute); the candidates are first narrowed down.
_DIRECT_WORK = 200_000_000


def _contained(hay: str, needles: Sequence[str]) -> set[str]:
    """The needles that occur in ``hay``.

    For many needles, a needle can only occur if every ``MIN_LENGTH``-character slice of it at offsets
    0, k, 2k... is among the slices of ``hay``: that set is built once (one pass over ``hay``), and only
    the needles passing the test (and any shorter than k) are searched. The result is the same as searching
    each needle.
    """
    if len(needles) * len(hay) <= _DIRECT_WORK:
        return {n for n in needles if n in hay}
    k = MIN_LENGTH
    grams = {hay[i : i + k] for i in range(len(hay) - k + 1)}
    candidates = [n for n in needles if all(n[i : i + k] in grams for i in range(0, len(n) - k + 1, k))]
    return {n for n in candidates if n in hay}


def check_no_leak(files: Iterable[Path], secrets: Sequence[str], deliverable: str) -> None:
    """Raise :class:`LeakError` naming every leak found in a public deliverable's files."""
    leaks = find_leaks(files, secrets)
    if leaks:
        lines = "\n".join(f"  {leak}" for leak in leaks)
        raise LeakError(
            f"the public deliverable {deliverable!r} contains confidential data; nothing was published:\n{lines}"
        )


# ---------------------------------------------------------------------------------------------------------
# a real authority beside its illustrative coding

PAIRING_WINDOW = 200
"""Characters, either side of a real name, searched for a label of that case's coding (a table row, a
sentence or the neighbouring cells of a table, in the normalised text of an output)."""


@dataclass(frozen=True)
class PairingLeak:
    """A real name of an illustrative case found near a label of that case's coding."""

    file: Path
    name: str
    label: str
    excerpt: str

    def __str__(self) -> str:
        label = self.label if len(self.label) <= 50 else self.label[:47] + "..."
        return (
            f"{self.file}: prints {self.name!r} beside its illustrative coding {label!r} (« {self.excerpt} »); "
            "a public deliverable shows this case under its neutral label "
            "(cufstudy.study.pseudonyms.public_names) wherever its coding is printed"
        )


def find_pairings(
    files: Iterable[Path],
    pairings: Sequence[PairingLike],
    texts: Mapping[Path, str] | None = None,
    window: int = PAIRING_WINDOW,
) -> list[PairingLeak]:
    """Every place where a real name of an illustrative case and a label of that case's coding are printed
    together: within ``window`` characters of each other in the normalised text of an output file.

    The rule is decidable and strict: the name matches as whole words (``Caen``, not ``Caennais``), the label
    anywhere in the window; ``pairings`` comes from
    :func:`cufstudy.study.pseudonyms.illustrative_pairings` (names, and the labels of each case's coding).
    One finding per (file, case), the first one.
    """
    prepared = []
    for p in pairings:
        names = [normalise(n) for n in p.names if len(normalise(n)) >= MIN_LENGTH]
        labels = sorted({normalise(x) for x in p.labels if len(normalise(x)) >= MIN_LENGTH}, key=len, reverse=True)
        if names and labels:
            longest_first = sorted(names, key=len, reverse=True)
            pattern = re.compile("|".join(rf"(?<!\w){re.escape(n)}(?!\w)" for n in longest_first))
            prepared.append((pattern, labels))
    found: list[PairingLeak] = []
    if not prepared:
        return found
    for path in files:
        reported: set[int] = set()  # one finding per case and file
        for hay, case, pattern, labels in _segments(path, texts, prepared):
            if case in reported:
                continue
            for m in pattern.finditer(hay):
                start, end = max(0, m.start() - window), min(len(hay), m.end() + window)
                near = hay[start:end]
                hit = next((x for x in labels if x in near), None)
                if hit is not None:
                    at = near.find(hit)
                    lo, hi = min(at, m.start() - start), max(at + len(hit), m.end() - start)
                    found.append(PairingLeak(path, m.group(0), hit, near[lo:hi][:160]))
                    reported.add(case)
                    break
    return found


def _segments(
    path: Path, texts: Mapping[Path, str] | None, prepared: list[tuple[re.Pattern[str], list[str]]]
) -> Iterator[tuple[str, int, re.Pattern[str], list[str]]]:
    """The normalised texts of a file searched apart (a window never spans two of them): for an HTML page
    its text and its markup (attributes such as alt texts), for other files their text."""
    if path.suffix.lower() in (".html", ".htm"):
        raw = _BUNDLE.sub(_drop_bundle, path.read_text(encoding="utf-8", errors="replace"))
        body = _SCRIPT_STYLE.sub(lambda m: " " + m.group(0) + " ", raw)
        parts = [html.unescape(_TAG.sub(" ", body)), html.unescape(raw)]
    else:
        parts = [texts[path] if texts is not None and path in texts else extract_text(path)]
    for part in parts:
        hay = normalise(part)
        for case, (pattern, labels) in enumerate(prepared):
            yield hay, case, pattern, labels


class PairingLike(Protocol):
    """What :func:`find_pairings` reads of a :class:`cufstudy.study.pseudonyms.Pairing`."""

    @property
    def names(self) -> tuple[str, ...]: ...

    @property
    def labels(self) -> tuple[str, ...]: ...
