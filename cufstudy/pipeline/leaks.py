"""Leak check: no confidential value may appear in a public output.

Confidential fields (interviewee names, interview notes, any field the data model marks confidential)
reach the internal study only. After a public deliverable is rendered, and before it is published, its
text is extracted (HTML text, PDF text page by page, DOCX XML, executed notebooks it embeds) and searched
for every confidential value; one hit fails the build and the previous deliverable stays in place.

Matching is done on text folded by one function, :func:`normalise`, applied alike to the value searched
and to the text searched: it keeps only letters and digits (Unicode NFKC, case folded, accents removed),
so that no character a renderer, a text extractor or a paste may add, drop or substitute can hide a leak:
spaces of any kind (the no-break spaces of French typography, spaces a PDF extraction drops), hyphens of
any kind (a hyphen broken across two PDF lines, a soft or non-breaking hyphen, a minus sign), apostrophes
and quotes of any kind, and every format character (Unicode category Cf: zero-width spaces and joiners,
bidirectional controls, the byte-order mark, the soft hyphen). What one side drops, the other drops too.
The price is a few more false alarms (a value found across the boundary of two words), which stop a
publication with a located message rather than let a name through.

The error names the output file (and the page of a PDF), the field the value comes from (``data/cases/
ville-x.yaml: interviews[0].interviewee``) and masks the value itself (``Z… (27 characters)``): the leak
check never prints a confidential value to a terminal or a CI log.

:func:`find_pairings` is the second search of public outputs: a real authority whose coding is illustrative
must not be printed beside that coding (its strategy type, ambition, organisation, recommendations and their
follow-up). The rule: the authority's name (as whole words) and a label of its coding within
:data:`PAIRING_WINDOW` characters of each other in the text of a file folded by :func:`fold_words`, the fold
of :func:`normalise` that keeps the word boundaries the rule needs (every run of characters other than
letters and digits becomes one space; format characters, end-of-line hyphenation and accents are dropped).
"""

from __future__ import annotations

import bisect
import hashlib
import html
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cufstudy.core.errors import LeakError
from cufstudy.model.confidential import ConfidentialValue

__all__ = [
    "PAIRING_WINDOW",
    "Leak",
    "PairingLeak",
    "PairingLike",
    "check_no_leak",
    "extract_pages",
    "extract_text",
    "find_leaks",
    "find_pairings",
    "fold_words",
    "normalise",
    "pdf_page_texts",
]

_TAG = re.compile(r"<[^>]+>")
_BUNDLE = re.compile(r'<script type="module" data-cufstudy-bundle="([0-9a-f]{64})">(.*?)</script>', re.S)
_SCRIPT_STYLE = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_NOT_ALNUM = re.compile(r"[\W_]+")  # \W: not a letter or digit of any script; combining marks included
# letters that Unicode does not decompose, written without their mark by people and by some extractors
_SPELLED = {"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "ı": "i"}
_SPELLED_ORD: dict[int, str] = {ord(k): v for k, v in _SPELLED.items()}
_PLANES = 0x30000  # the planes Unicode assigns letters and marks in; characters beyond are kept as they are


class _Fold(dict[int, "str | int | None"]):
    """A :meth:`str.translate` table filled on first sight of each character (by ``rule``), instead of
    classifying the 196,608 code points of the first three planes when the module is imported."""

    def __init__(self, rule: Callable[[int], str | int | None]) -> None:
        super().__init__()
        self._rule = rule

    def __missing__(self, code: int) -> str | int | None:
        value = self._rule(code)
        self[code] = value
        return value


def _dropped(code: int) -> str | int | None:
    # modifier letters (category Lm) are letters to Unicode, but the apostrophes of a paste (U+02BC ʼ, U+02BB ʻ)
    # and the primes of a keyboard are among them: dropped as the other apostrophes are
    if code in _SPELLED_ORD:
        return _SPELLED_ORD[code]
    return None if code < _PLANES and unicodedata.category(chr(code)) == "Lm" else code


_DROPPED = _Fold(_dropped)
MIN_LENGTH = 4  # shorter values ("A", "oui") would match everywhere and are not secrets worth a check


def normalise(text: str) -> str:
    """Fold text for leak matching: letters and digits only, compatibility forms, case and accents folded.

    Applied alike to a confidential value and to the text searched for it (see the module docstring).
    Modifier letters (Unicode category Lm: ``ʼ``, ``ʻ``, ``ˈ``) are dropped too, as the apostrophes they stand
    in for, and the letters Unicode does not decompose are spelled out (``œ`` as ``oe``, ``ø`` as ``o``).

    Examples
    --------
    >>> normalise("Zébulon Quatrefages-Météyer") == normalise("ZÉ\\u200bBULON QUATRE\\u00adFAGES-\\nMÉTÉYER")
    True
    >>> normalise("Ville d’Aix\\u2011en\\u2011Provence"), normalise("Œuvray") == normalise("OEUVRAY")
    ('villedaixenprovence', True)
    """
    folded = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).casefold())
    return _NOT_ALNUM.sub("", folded).translate(_DROPPED)


# the word fold: accents (combining marks) and format characters joined, modifier letters (apostrophes of
# a paste) a word break like the other apostrophes, the undecomposed letters spelled out
def _word_fold(code: int) -> str | int | None:
    if code in _SPELLED_ORD:
        return _SPELLED_ORD[code]
    category = unicodedata.category(chr(code)) if code < _PLANES else ""
    return " " if category == "Lm" else None if category in ("Mn", "Me", "Cf") else code


_WORD_TABLE = _Fold(_word_fold)
_LINE_HYPHEN = re.compile(r"[-\u2010\u2011]\s*\n\s*")  # a word hyphenated across two lines of a PDF


def fold_words(text: str) -> str:
    """Fold text as :func:`normalise` does but keep its words apart (one space between two), for the rules
    that match whole words (:func:`find_pairings`).

    Examples
    --------
    >>> fold_words("Ville d’Aix\u2011en\u2011Provence — Jumelages hé\u00adrités")
    'ville d aix en provence jumelages herites'
    >>> fold_words("Quatre-\nfages") == fold_words("Quatrefages")
    True
    """
    text = _LINE_HYPHEN.sub("", unicodedata.normalize("NFKC", text))
    folded = unicodedata.normalize("NFD", text.casefold()).translate(_WORD_TABLE)
    return _NOT_ALNUM.sub(" ", folded).strip()


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


def page_char(code: int, generated: bool, hyphen: bool, gap: str) -> str:
    """What one character of PDFium's text of a page (its Unicode ``code``) adds to the page's text
    (:func:`pdf_page_texts`): ``gap`` for a space PDFium ``generated`` from a gap between glyphs, ``-`` and a
    line's end for the ``hyphen`` of a word broken at the end of a line, nothing for the carriage return of a
    line's end (``\\r\\n``)."""
    if generated and code == 0x20:
        return gap
    if hyphen or code in (0x02, 0xFFFE):
        return "-\n"
    if code == 0x0D or not 0 < code < 0x110000:
        return ""
    return chr(code)


def pdf_page_texts(data: bytes, *, gap: str = " ") -> list[str]:
    """The text of each page of a PDF: every character its content draws (PDFium's extraction), whether
    visible or not (white, tiny, clipped, off the page), in the order of the page's content.

    A word hyphenated at the end of a line is given as ``capi-`` and ``talisation`` on two lines, as
    :func:`fold_words` expects it. ``gap`` stands where PDFium infers a space from the distance between two
    glyphs (the text of a chart, set glyph by glyph), which is no character of the document: the typography
    check does not judge these spaces as it judges the document's own (it reads the charts' texts in their
    specifications). PDFium (pypdfium2, which the preflight uses already) reads the study's PDF about eight
    times faster than pypdf did (0.25 against 1.9 s of processor time); the publish check takes the same
    text from the preflight's own pass over the characters (:func:`cufstudy.pipeline.preflight.preflight`)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise LeakError(f"cannot read the PDF to search it: {exc}") from exc
    texts: list[str] = []
    try:
        for page in doc:
            textpage = page.get_textpage()
            chars: list[str] = []
            try:
                for k in range(textpage.count_chars()):
                    code = pdfium_c.FPDFText_GetUnicode(textpage, k)
                    generated = pdfium_c.FPDFText_IsGenerated(textpage, k) == 1
                    chars.append(page_char(code, generated, pdfium_c.FPDFText_IsHyphen(textpage, k) == 1, gap))
            finally:
                textpage.close()
                page.close()
            texts.append("".join(chars))
    finally:
        doc.close()
    return texts


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


def _zip_texts(data: bytes) -> list[str]:
    """The text of every member of a zip (a designer pack): each read by its own extension."""
    texts: list[str] = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in sorted(zf.namelist()):
            if not name.endswith("/"):
                texts += _member_pages(name, zf.read(name))
    return texts


def _member_pages(name: str, data: bytes) -> list[str]:
    suffix = Path(name).suffix.lower()
    if suffix == ".pdf":
        return pdf_page_texts(data)
    if suffix in (".docx", ".xlsx"):
        return [_docx_text(data)]
    if suffix == ".zip":
        return _zip_texts(data)
    if suffix in (".otf", ".ttf", ".png", ".jpg", ".jpeg"):
        return []  # fonts and pictures hold no text of the study
    text = data.decode("utf-8-sig", errors="replace")
    if suffix == ".ipynb":
        return [_notebook_text(text)]
    return [_html_text(text) if suffix in (".html", ".htm", ".svg") else text]


def extract_pages(path: Path) -> list[str]:
    """The text a reader (or a tool) can get out of an output file, by its extension: one item per page of a
    PDF, one item for any other file, the texts of every member of a zip (a designer pack)."""
    suffix = path.suffix.lower()
    data = path.read_bytes()
    if suffix == ".zip":
        return _zip_texts(data)
    if suffix == ".pdf":
        return pdf_page_texts(data)
    if suffix == ".docx":
        return [_docx_text(data)]
    if suffix == ".ipynb":
        return [_notebook_text(data.decode("utf-8", errors="replace"))]
    text = data.decode("utf-8", errors="replace")
    return [_html_text(text) if suffix in (".html", ".htm") else text]


def extract_text(path: Path) -> str:
    """The text of an output file (:func:`extract_pages`, the pages of a PDF joined)."""
    return "\n".join(extract_pages(path))


@dataclass(frozen=True)
class Leak:
    """A confidential value found in an output: the file, the page of a PDF, and the value with its origin."""

    file: Path
    secret: ConfidentialValue
    page: int | None = None

    @property
    def value(self) -> str:
        """The confidential value itself (never printed by :meth:`__str__`)."""
        return self.secret.value

    def __str__(self) -> str:
        where = f"{self.file}: page {self.page}" if self.page is not None else str(self.file)
        return f"{where}: contains the confidential value of {self.secret.origin} ({self.secret.masked})"


def _as_secret(value: str | ConfidentialValue) -> ConfidentialValue:
    return value if isinstance(value, ConfidentialValue) else ConfidentialValue(value)


def find_leaks(
    files: Iterable[Path],
    secrets: Sequence[str | ConfidentialValue],
    texts: Mapping[Path, Sequence[str]] | None = None,
) -> list[Leak]:
    """Every (file, confidential value) pair where the value appears in the file's text.

    Parameters
    ----------
    files
        The output files to search.
    secrets
        The confidential values, as text or with their origin (:class:`~cufstudy.model.confidential.ConfidentialValue`).
    texts
        The text of files already extracted, page by page (by :func:`extract_pages`); read again otherwise.

    Returns
    -------
    list of Leak
        One per file and value (the first page a value is found on, for a PDF), in the order of ``files``.
    """
    by_needle: dict[str, ConfidentialValue] = {}
    for raw in secrets:
        secret = _as_secret(raw)
        needle = normalise(secret.value)
        if len(needle) >= MIN_LENGTH:
            by_needle.setdefault(needle, secret)
    leaks: list[Leak] = []
    if not by_needle:
        return leaks
    needles = sorted(by_needle)
    for path in files:
        pages = list(texts[path]) if texts is not None and path in texts else extract_pages(path)
        folded = [normalise(page) for page in pages]
        starts: list[int] = []
        offset = 0
        for page in folded:
            starts.append(offset)
            offset += len(page)
        hay = "".join(folded)  # a value may run from one page onto the next
        found = _contained(hay, needles)
        for needle in needles:
            if needle in found:
                at = bisect.bisect_right(starts, hay.index(needle)) if path.suffix.lower() == ".pdf" else None
                leaks.append(Leak(path, by_needle[needle], at))
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


def check_no_leak(files: Iterable[Path], secrets: Sequence[str | ConfidentialValue], deliverable: str) -> None:
    """Raise :class:`LeakError` naming every leak found in a public deliverable's files (values masked)."""
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
    texts: Mapping[Path, Sequence[str]] | None = None,
    window: int = PAIRING_WINDOW,
) -> list[PairingLeak]:
    """Every place where a real name of an illustrative case and a label of that case's coding are printed
    together: within ``window`` characters of each other in the folded text of an output file
    (:func:`fold_words`).

    The rule is decidable and strict: the name matches as whole words (``Caen``, not ``Caennais``), the label
    anywhere in the window; ``pairings`` comes from
    :func:`cufstudy.study.pseudonyms.illustrative_pairings` (names, and the labels of each case's coding).
    ``texts`` are the texts of files already extracted, page by page (:func:`extract_pages`). One finding per
    (file, case), the first one, naming the name and the label as the data spells them.
    """
    prepared: list[tuple[re.Pattern[str], dict[str, str], list[str], dict[str, str]]] = []
    for p in pairings:
        names = {fold_words(n): n for n in reversed(p.names) if len(normalise(n)) >= MIN_LENGTH}
        spelled = {fold_words(x): x for x in reversed(p.labels) if len(normalise(x)) >= MIN_LENGTH}
        labels = sorted(spelled, key=len, reverse=True)
        if names and labels:
            longest_first = sorted(names, key=len, reverse=True)
            pattern = re.compile("|".join(rf"(?<!\w){re.escape(n)}(?!\w)" for n in longest_first))
            prepared.append((pattern, names, labels, spelled))
    found: list[PairingLeak] = []
    if not prepared:
        return found
    for path in files:
        reported: set[int] = set()  # one finding per case and file
        for hay in _segments(path, texts):
            for case, (pattern, names, labels, spelled) in enumerate(prepared):
                if case in reported or not any(n in hay for n in names):  # a substring test first: fast
                    continue
                for m in pattern.finditer(hay):
                    start, end = max(0, m.start() - window), min(len(hay), m.end() + window)
                    near = hay[start:end]
                    hit = next((x for x in labels if x in near), None)
                    if hit is not None:
                        at = near.find(hit)
                        lo, hi = min(at, m.start() - start), max(at + len(hit), m.end() - start)
                        found.append(PairingLeak(path, names[m.group(0)], spelled[hit], near[lo:hi][:160]))
                        reported.add(case)
                        break
    return found


def _segments(path: Path, texts: Mapping[Path, Sequence[str]] | None) -> Iterator[str]:
    """The folded texts of a file searched apart (a window never spans two of them): for an HTML page its
    text and its markup (attributes such as alt texts), for a zip each member's, for other files their text
    (the pages of a PDF joined: a table may run from one page onto the next)."""
    if path.suffix.lower() in (".html", ".htm"):
        raw = _BUNDLE.sub(_drop_bundle, path.read_text(encoding="utf-8", errors="replace"))
        body = _SCRIPT_STYLE.sub(lambda m: " " + m.group(0) + " ", raw)
        parts = [html.unescape(_TAG.sub(" ", body)), html.unescape(raw)]
    elif path.suffix.lower() == ".zip":  # each member apart: the end of one file is not beside the next
        parts = list(texts[path]) if texts is not None and path in texts else extract_pages(path)
    else:
        pages = texts[path] if texts is not None and path in texts else extract_pages(path)
        parts = ["\n".join(pages)]
    for part in parts:
        yield fold_words(part)


class PairingLike(Protocol):
    """What :func:`find_pairings` reads of a :class:`cufstudy.study.pseudonyms.Pairing`."""

    @property
    def names(self) -> tuple[str, ...]: ...

    @property
    def labels(self) -> tuple[str, ...]: ...
