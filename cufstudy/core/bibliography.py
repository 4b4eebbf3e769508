"""The bibliography (``data/references.bib``): its keys, and its entries' URL and note, to check what data files cite.

:func:`bib_keys` lists the citation keys (a fast scan). :func:`bib_entries` reads every entry with the same
parser as the renderer (Pandoc's BibLaTeX reader, through ``pypandoc``), so that what a check sees is what
the bibliography prints: the title, the URL, the note, and whether the note flags the entry as incomplete
(« Référence à vérifier », « à préciser », « à compléter »).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cufstudy.core.errors import DataError
from cufstudy.core.problems import FieldPath, Problem, Reason, did_you_mean
from cufstudy.core.yamlio import YamlDoc

__all__ = [
    "TEAM_ANALYSIS",
    "TEAM_ANALYSIS_LABEL_FR",
    "BibEntry",
    "bib_entries",
    "bib_keys",
    "is_flagged",
    "project_bibliography",
    "source_cell",
    "source_note",
    "source_problem",
    "with_citations",
]

# an entry starts a line: "@report{franceurbaine2021," (spaces allowed); @comment, @string, @preamble are no entries
_ENTRY = re.compile(r"^[ \t]*@(\w+)[ \t]*\{[ \t]*([^,\s]+)[ \t]*,", re.MULTILINE)
_NOT_ENTRIES = frozenset({"comment", "string", "preamble"})
_FLAG = re.compile(r"\ba (?:verifier|preciser|completer)\b")


def bib_keys(path: Path) -> set[str] | None:
    """The citation keys of the bibliography at ``path``, or ``None`` when there is no such file.

    Examples
    --------
    >>> sorted(bib_keys(Path("data/references.bib")) or ())[:2]  # doctest: +SKIP
    ['afd-ficol', 'agences-eau']
    """
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    return {key for kind, key in _ENTRY.findall(text) if kind.lower() not in _NOT_ENTRIES}


def _fold(text: str) -> str:
    flat = unicodedata.normalize("NFD", text.casefold())
    return "".join(c for c in flat if unicodedata.category(c) != "Mn")


def is_flagged(note: str | None) -> bool:
    """Whether a bibliography note says the reference is incomplete (« Référence à vérifier », « à préciser »...).

    Examples
    --------
    >>> is_flagged("Référence à vérifier : article de la loi"), is_flagged("98 indicateurs nationaux")
    (True, False)
    """
    return bool(note) and _FLAG.search(_fold(note or "")) is not None


@dataclass(frozen=True)
class BibEntry:
    """One entry of the bibliography, as the renderer reads it.

    Attributes
    ----------
    key
        The citation key.
    kind
        The BibLaTeX entry type (``legislation``, ``online``, ``report``...).
    line
        The line of the file on which the entry starts.
    title, url, note
        The fields, as printed (``None`` when absent).
    """

    key: str
    kind: str
    line: int
    title: str | None = None
    url: str | None = None
    note: str | None = None

    @property
    def flagged(self) -> bool:
        """The note says the reference is incomplete: it prints so, and must be checked before publication."""
        return is_flagged(self.note)


def bib_entries(path: Path) -> dict[str, BibEntry]:
    """Every entry of the bibliography at ``path``, by key, read with Pandoc's BibLaTeX reader (cached per file).

    Raises
    ------
    DataError
        The file is missing or Pandoc cannot read it (located at the file).
    """
    try:
        stat = path.stat()
    except OSError as exc:
        raise DataError.single(
            str(path), f"cannot read the bibliography: {exc.strerror}", reason=Reason.UNREADABLE
        ) from exc
    return dict(_entries(path.resolve(), stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=8)
def _entries(path: Path, mtime: int, size: int) -> tuple[tuple[str, BibEntry], ...]:
    import pypandoc

    text = path.read_text(encoding="utf-8")
    lines = {
        key: text.count("\n", 0, m.start()) + 1
        for m in _ENTRY.finditer(text)
        for kind, key in [m.groups()]
        if kind.lower() not in _NOT_ENTRIES
    }
    kinds = {key: kind.lower() for kind, key in _ENTRY.findall(text)}
    try:
        records: list[dict[str, Any]] = json.loads(pypandoc.convert_text(text, "csljson", format="biblatex"))
    except (RuntimeError, OSError, ValueError) as exc:
        message = f"the bibliography cannot be read as BibLaTeX: {str(exc).strip()[:300]}"
        raise DataError.single(str(path), message, reason=Reason.UNREADABLE) from exc
    out = []
    for record in records:
        key = str(record.get("id", ""))
        out.append(
            (
                key,
                BibEntry(
                    key=key,
                    kind=kinds.get(key, str(record.get("type", ""))),
                    line=lines.get(key, 1),
                    title=record.get("title"),
                    url=record.get("URL"),
                    note=record.get("note"),
                ),
            )
        )
    return tuple(out)


TEAM_ANALYSIS = "analyse-equipe"
"""The source of the team's own analysis, beside bibliography keys (printed « analyse de l'équipe »)."""
TEAM_ANALYSIS_LABEL_FR = "analyse de l'équipe"
_CITE = re.compile(r"CITE:([A-Za-z0-9][A-Za-z0-9:.+-]*[A-Za-z0-9])")


def source_cell(keys: Iterable[str]) -> str:
    """The "Source" cell of a table: one ``CITE:key+key`` marker for the bibliography keys (turned into one
    citation by :func:`with_citations`), and « analyse de l'équipe » for the team's analysis.

    Examples
    --------
    >>> source_cell(["franceurbaine2021", "analyse-equipe"])
    "CITE:franceurbaine2021 ; analyse de l'équipe"
    >>> source_cell(["cgct-bf-2004", "communes-bf-2009"])
    'CITE:cgct-bf-2004+communes-bf-2009'
    """
    keys = list(dict.fromkeys(keys))
    cited = [k for k in keys if k != TEAM_ANALYSIS]
    parts = [f"CITE:{'+'.join(cited)}"] if cited else []
    if TEAM_ANALYSIS in keys:
        parts.append(TEAM_ANALYSIS_LABEL_FR)
    return " ; ".join(parts)


def with_citations(markdown: str) -> str:
    """Turn the ``CITE:key+key`` markers of Markdown (a table made by the notebooks' helpers) into Pandoc
    citations, ``[@key; @key]``.

    The markers survive the escaping of table cells (letters, digits, ``-``, ``.``, ``:`` and ``+``), so a key in
    a cell never becomes Markdown by accident; only this function makes it a citation.

    Examples
    --------
    >>> with_citations("| Loi | CITE:loi-oudin-santini-2005 |")
    '| Loi | [@loi-oudin-santini-2005] |'
    >>> with_citations("CITE:a+b")
    '[@a; @b]'
    """
    return _CITE.sub(lambda m: "[" + "; ".join(f"@{k}" for k in m.group(1).split("+")) + "]", markdown)


def source_note(keys: Iterable[str], prefix: str) -> str:
    """A parenthesis naming the sources of a choice, as Markdown: the bibliography keys become one citation whose
    prefix says what they source; the team's analysis is named.

    Examples
    --------
    >>> source_note(["analyse-equipe", "uclg2021"], "choix des cibles :")
    "[choix des cibles : analyse de l'équipe, d'après @uclg2021]"
    >>> source_note(["analyse-equipe"], "choix des cibles :")
    "(choix des cibles : analyse de l'équipe)"
    """
    keys = list(dict.fromkeys(keys))
    cited = [k for k in keys if k != TEAM_ANALYSIS]
    team = TEAM_ANALYSIS in keys
    if not cited:
        return f"({prefix} {TEAM_ANALYSIS_LABEL_FR})" if team else ""
    lead = f"{prefix} {TEAM_ANALYSIS_LABEL_FR}, d'après" if team else prefix
    return "[" + lead + " " + "; ".join(f"@{k}" for k in cited) + "]"


def source_problem(
    doc: YamlDoc,
    path: FieldPath,
    key: str,
    bib: Mapping[str, BibEntry],
    *,
    url: bool = False,
    team: bool = True,
) -> Problem | None:
    """The problem of one source of a data file, located at ``path`` of ``doc``, or ``None`` when it is good.

    Parameters
    ----------
    key
        The source: a key of the bibliography, or ``analyse-equipe`` when ``team`` allows it.
    bib
        The bibliography's entries (:func:`bib_entries`).
    url
        The entry must have a URL (the official page of a law or an instrument).
    """
    if team and key == TEAM_ANALYSIS:
        return None
    if key not in bib:
        allowed = [*bib, TEAM_ANALYSIS] if team else list(bib)
        expected = f"a key of references.bib or {TEAM_ANALYSIS!r}" if team else "a key of references.bib"
        return doc.problem(path, f"unknown source {key!r}: expected {expected}{did_you_mean(key, allowed)}",
                           Reason.UNKNOWN_REFERENCE)  # fmt: skip
    if url and not bib[key].url:
        message = (
            f"the bibliography entry {key!r} (references.bib, line {bib[key].line}) has no url: every law and "
            "instrument a deliverable names needs its official URL (or the official landing page)"
        )
        return doc.problem(path, message, Reason.MISSING_FIELD)
    return None


def project_bibliography(data: str | Path) -> dict[str, BibEntry]:
    """The entries of ``<data>/references.bib`` (empty when the project has no bibliography)."""
    path = Path(data) / "references.bib"
    return bib_entries(path) if path.is_file() else {}
