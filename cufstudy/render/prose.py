"""The check of numbers typed in the prose: every number a deliverable prints comes from the data.

A number the prose types by hand ("26 accompagnements", "six modèles", "sept étapes") cannot follow the data:
it stays when the data changes, and the study, the guide and the brochure end up disagreeing. The prose
cites facts instead (``{{< fact n_calls.phrase >}}``, recorded by a notebook; the counts of a document's own
sections are facts too, ``doc.guide.etapes.phrase``: :mod:`cufstudy.render.structure`).

:func:`check_prose` reads every source of a deliverable (the main ``.qmd`` and the files it includes) and
reports, with its file and line, every number written in digits (``26``, ``1,8``, ``200 000``) or in words
(``deux`` to ``mille``; *un*/*une* are articles too, and *neuf* counts only before a noun of the study)
that is none of these:

- **a fact or an embedded output**: shortcodes are not prose (``{{< fact ... >}}``, ``{{< embed ... >}}``);
- **a date**: a year (1900 to 2100: ``2018``, ``Agenda 2030``, ``2020-2026``) or a day of a month
  (``1er janvier``, ``15 septembre``), or ``dd/mm/yyyy``;
- **an identifier**: a number after a word that names a numbered thing (:data:`IDENTIFIER_WORDS`: ``Étape 1``,
  ``DCOL 4``, ``ODD 6``, ``cible 6.1``, ``Module 4``, ``Comité 21``, ``séances 2 et 3``), a dotted code
  (``6.1.1``), a code glued to letters (``L1115-1``), the number of an ordered list item or of a table cell
  that starts with it (``1 – Les ODD``);
- **a quotation or a citation**: a number between « » (quoted from a source, or a name such as « 1 % »), or
  in a sentence that cites the bibliography (``[@franceurbaine2021]``);
- **code and markup**: inline code, code blocks, math, link targets, URLs, attributes (``{#sec-x}``), comments;
- **an entry of** :data:`ALLOWED`, the short list of fixed values of the methods (the bounds of a scale),
  each with its reason.

Everything else fails the build (:class:`~cufstudy.core.errors.SourceError`), all problems at once, each
saying what to do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from cufstudy.core.errors import SourceError
from cufstudy.core.french import MONTHS, fold
from cufstudy.core.problems import Problem, Problems
from cufstudy.core.sentences import NOUNS, NUMBER_WORDS
from cufstudy.render.shortcodes import split_front_matter
from cufstudy.render.structure import source_files

__all__ = [
    "ALLOWED",
    "IDENTIFIER_WORDS",
    "Allowed",
    "TypedNumber",
    "check_captions",
    "check_prose",
    "raise_for_typed_numbers",
]


@dataclass(frozen=True)
class Allowed:
    """A number the prose may type: a pattern (matched on the line, its numbers allowed) and why."""

    pattern: str
    reason: str


ALLOWED: Final[tuple[Allowed, ...]] = (
    Allowed(
        r"\b(?:de |entre |sur )?0 (?:à|et) [34]\b", "the bounds of a scale: fit 0-3, SDG contribution 0-4"
    ),
    Allowed(r"\b(?:de |sur )?1 à 4\b|\bsur 4\b", "the ambition scale of the coding grid, 1 to 4"),
    Allowed(
        r"\b(?:de )?0 (?:\([^)]*\) )?(?:à|et) 100\b|\bsur 100\b|\b100 (?:à la|moins)\b|\b0 à la\b",
        "the OECD normalisation: 0 (the baseline) to 100 (the 2030 target)",
    ),
    Allowed(r"\(\d+/\d+\)", "the part of a table printed in pieces: (1/2), (2/2)"),
    Allowed(r"\(\s?[0-4]\s?\)", "a level of a scale named in parentheses: significatif (1)"),
    Allowed(r"(?<![\w,])1\s?%", "the name of the « 1 % » solidarity mechanisms (loi Oudin-Santini)"),
    Allowed(r"\bniveaux? [0-4](?: à [0-4])?\b", "a level of the SDG contribution scale"),
)
"""The short list of numbers the prose may type, with the reason of each: fixed values of the methods."""

IDENTIFIER_WORDS: Final = frozenset(
    fold(w)
    for w in (
        "étape", "étapes", "séance", "séances", "session", "demi-journée", "dcol", "odd", "cible", "cibles",
        "indicateur", "indicateurs", "objectif", "objectifs", "module", "comité", "article", "articles", "art",
        "annexe", "section", "tableau", "figure", "axe", "axes", "classe", "classes", "type", "n°", "numéro",
        "version", "niveau", "priorité", "loi",
    )
)  # fmt: skip
"""Words a number after which is an identifier, not a count (``Étape 1``, ``DCOL 4``, ``cible 6.1``)."""

_SHORTCODE = re.compile(r"\{\{\{?<.*?>\}\}\}?")
_INLINE_CODE = re.compile(r"(`+).+?\1")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_AUTOLINK = re.compile(r"<[a-zA-Z][\w+.-]*:[^>\s]*>|https?://\S+|www\.\S+")
_ATTRIBUTES = re.compile(r"\{[#.][^}]*\}|\{=[^}]*\}")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_CITATION = re.compile(r"\[[^\]]*@[\w][\w:.#$%&+?<>~/-]*[^\]]*\]")
_XREF = re.compile(r"-?@(?:sec|fig|tbl)-[\w-]+")
_MATH = re.compile(r"\$\$.*?\$\$|(?<![\w$])\$[^$\s][^$]*\$(?![\w$])")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_DIV = re.compile(r"^\s*:{3,}")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")
_LIST_MARKER = re.compile(r"^(\s*)(?:\d+[.)]|[-*+])\s+")
_HEADING = re.compile(r"^#{1,6}\s+")
_DIGITS = re.compile(r"(?<![\w.,/°-])\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d,.])|(?<![\w.,/°-])\d+(?:[.,]\d+)*(?![\w])")
_WORD_LIST = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_WORDS = re.compile(r"(?<![\w-])(" + _WORD_LIST + r")(?:-[a-zé]+)*(?![\w-])", re.I)
_MONTHS = "|".join(MONTHS)
_DATE = re.compile(rf"(?<!\d)(\d{{1,2}})(?:\^?er\^?)?\s+(?:{_MONTHS})\b|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b", re.I)
_QUOTED = re.compile(r"«[^»]*»")
_CELL_START = re.compile(r"(?:^|\|)\s*(\d+)\s*[–—.)-]\s")
_IDENT_RUN = re.compile(
    r"(?<![\w-])([\w°-]+)\.?\s+((?:\d+(?:[.,]\d+)*)(?:\s*(?:,|et|à|ou|-|–)\s*\d+(?:[.,]\d+)*)*)", re.I
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[A-ZÀ-Ý«(])")
_BOTH = re.compile(r"\b(?:les|des|à|aux|ces|nos|leurs|ses|tous les|toutes les) deux\b", re.I)


@dataclass(frozen=True)
class TypedNumber:
    """A number typed in the prose: where, what, and the words around it."""

    file: str
    line: int | None
    number: str
    context: str
    field: str | None = None
    """Where in a notebook: ``cell 10, tbl-cap`` (its line is then None)."""

    def problem(self) -> Problem:
        return Problem(self.file, self.message, self.line, self.field)

    @property
    def message(self) -> str:
        if self.field is not None:  # a caption of a notebook's cell
            return (
                f"« {self.context} »: the number {self.number!r} is typed in a caption the deliverable prints. "
                "Leave the count out of the caption, or let the cell print it from the data (its output, a "
                "chart's subtitle); an identifier (« axe 1 »), a quotation in « » or a fixed value of a method in "
                "cufstudy.render.prose.ALLOWED may stay"
            )
        return (
            f"« {self.context} »: the number {self.number!r} is typed in the prose. Cite a fact instead: "
            "{{< fact key >}}, recorded by a notebook (facts.record, or facts.record_count for a count: "
            "{{< fact key.phrase >}} prints « cinq appels »); a count of this document's own sections is "
            "{{< fact doc.<deliverable>.<section>.phrase >}} (cufstudy/render/structure.py). A date, an identifier "
            "(« étape 1 »), a quotation in « » or a sentence citing [@source] may keep its number; a fixed value "
            "of a method goes in cufstudy.render.prose.ALLOWED with its reason"
        )


def _mask(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """The prose lines of a source with their line numbers: front matter, code, comments, div fences and
    table rules removed; shortcodes, inline code, link targets, URLs and attributes blanked out."""
    _, start, body = split_front_matter(text)
    body = _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), body)
    out: list[tuple[int, str]] = []
    fence = None
    math = False
    for offset, line in enumerate(body.splitlines()):
        m = _FENCE.match(line)
        if m:
            fence = None if fence and m.group(1)[0] == fence else (fence or m.group(1)[0])
            continue
        if fence is None and line.count("$$") % 2 == 1:  # a display-math block opens or closes
            math = not math
            continue
        if fence is not None or math or _DIV.match(line) or _TABLE_RULE.match(line):
            continue
        line = _mask(line, _MATH)
        for pattern in (_SHORTCODE, _INLINE_CODE, _LINK_TARGET, _AUTOLINK, _ATTRIBUTES, _XREF):
            line = _mask(line, pattern)
        line = _HEADING.sub(lambda h: " " * len(h.group(0)), line)
        line = _LIST_MARKER.sub(lambda h: " " * len(h.group(0)), line)
        out.append((start + offset, line))
    return out


def _paragraphs(lines: list[tuple[int, str]]) -> Iterable[list[tuple[int, str]]]:
    block: list[tuple[int, str]] = []
    for number, line in lines:
        if not line.strip() or line.lstrip().startswith("|"):
            if block:
                yield block
                block = []
            if line.strip():
                yield [(number, line)]  # a table row is its own unit
            continue
        block.append((number, line))
    if block:
        yield block


def _allowed_spans(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in _QUOTED.finditer(text)]
    spans += [m.span() for m in _DATE.finditer(text)]
    spans += [m.span(1) for m in _CELL_START.finditer(text)]
    for rule in ALLOWED:
        spans += [m.span() for m in re.finditer(rule.pattern, text, re.I)]
    for m in _IDENT_RUN.finditer(text):
        if fold(m.group(1)).rstrip(".") in IDENTIFIER_WORDS:
            spans.append(m.span(2))
    spans += [m.span() for m in _BOTH.finditer(text)]
    return spans


def _inside(span: tuple[int, int], spans: Sequence[tuple[int, int]]) -> bool:
    return any(a <= span[0] and span[1] <= b for a, b in spans)


def _is_number_word(m: re.Match[str], text: str) -> bool:
    word = m.group(0).lower()
    if word.startswith("neuf"):  # "neuf" is also "new": a count only before a noun of the study
        following = text[m.end() :].split()
        return bool(following) and fold(following[0].strip(",;.")) in {fold(n.plural) for n in NOUNS.values()}
    return True


def _typed_numbers(display: str, text: str, left_to: Callable[[str], bool] | None = None) -> list[TypedNumber]:
    found: list[TypedNumber] = []
    for block in _paragraphs(_prose_lines(text)):
        in_block = len(found)
        joined = ""
        starts: list[tuple[int, int]] = []  # (offset in joined, line number)
        for line_no, text_line in block:
            starts.append((len(joined), line_no))
            joined += text_line + " "
        offset = 0
        for sentence in _SENTENCE_END.split(joined):
            at = joined.find(sentence, offset)
            offset = at + len(sentence)
            if _CITATION.search(sentence):
                continue  # a sentence citing the bibliography: its numbers are the source's
            clean = _mask(sentence, _CITATION)
            spans = _allowed_spans(clean)
            # a year is a date, a dotted number a code (6.1.1: French decimals take a comma)
            hits = [m for m in _DIGITS.finditer(clean) if not _is_year(m.group(0)) and "." not in m.group(0)]
            hits += [m for m in _WORDS.finditer(clean) if _is_number_word(m, clean)]
            for m in sorted(hits, key=lambda h: h.start()):
                if _inside(m.span(), spans):
                    continue
                where = next(n for o, n in reversed(starts) if o <= at + m.start())
                context = " ".join(clean[max(0, m.start() - 30) : m.end() + 30].split())
                found.append(TypedNumber(display, where, m.group(0), context))
        if len(found) > in_block and left_to is not None and left_to(joined):
            del found[in_block:]  # another check reports this paragraph (a pasted confidential value)
    return found


def _is_year(token: str) -> bool:
    return token.isdigit() and len(token) == 4 and 1900 <= int(token) <= 2100


def check_prose(
    sources: Iterable[Path], root: Path, left_to: Callable[[str], bool] | None = None
) -> list[TypedNumber]:
    """Every number typed in the prose of these documents and the files they include, each file once.

    Parameters
    ----------
    sources
        The main ``.qmd`` of each deliverable.
    root
        The project folder: files are named relative to it.
    left_to
        Given a paragraph that types a number, True when another check reports that paragraph instead: the
        leak check of a public deliverable, for a paragraph holding a pasted confidential value (« Personne
        fictive 17 »), which must fail as a leak (:class:`~cufstudy.core.errors.LeakError`), not as a number
        to turn into a fact. Called only for paragraphs with a typed number.
    """
    found: list[TypedNumber] = []
    seen: set[Path] = set()
    for main in sources:
        for path, text in source_files(main):
            if path in seen:
                continue
            seen.add(path)
            try:
                display = str(path.relative_to(root.resolve()))
            except ValueError:
                display = str(path)
            found += _typed_numbers(display, text, left_to)
    return found


_CAPTION = re.compile(r"^#\|\s*(fig-cap|tbl-cap|fig-subcap|fig-alt)\s*:\s*(.*?)\s*$")


def check_captions(notebooks: Iterable[Path], root: Path) -> list[TypedNumber]:
    """Every number typed in a caption (``#| fig-cap``, ``tbl-cap``, ``fig-subcap``, ``fig-alt``) of these notebooks.

    A deliverable prints the captions of the cells it embeds: they are prose too, on the same rule as the
    ``.qmd`` (``Trois actions typiques`` cannot follow the data). A caption that counts says it from the data
    (the cell's output, a chart's subtitle) or not at all. Each notebook is named by its source (an executed
    copy by Papermill's ``input_path``) and each hit by its cell's number (the line of the message); a
    notebook that is missing or unreadable is left to the render, which reports it.
    """
    found: list[TypedNumber] = []
    seen: set[Path] = set()
    root = root.resolve()
    for path in notebooks:
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        source = Path(nb.get("metadata", {}).get("papermill", {}).get("input_path") or path)
        if source in seen:
            continue
        seen.add(source)
        try:
            display = str(source.resolve().relative_to(root))
        except ValueError:
            display = str(source)
        for n, cell in enumerate(nb.get("cells", []), 1):
            text = cell.get("source", "")
            for line in (text if isinstance(text, str) else "".join(text)).splitlines():
                m = _CAPTION.match(line)
                if m is None:
                    continue
                caption = m.group(2).strip().strip("\"'")
                where = f"cell {n}, {m.group(1)}"
                found += [replace(hit, line=None, field=where) for hit in _typed_numbers(display, caption)]
    return found


def raise_for_typed_numbers(found: Sequence[TypedNumber]) -> None:
    """Raise one :class:`SourceError` listing every typed number, by file and line."""
    problems = Problems(SourceError)
    for hit in found:
        problems.append(hit.problem())
    n = len(found)
    problems.raise_if_any(f"{n} number{'s' * (n != 1)} typed in the prose instead of a fact; nothing was rendered")
