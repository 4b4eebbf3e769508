"""The keys of a BibTeX / BibLaTeX bibliography (``data/references.bib``), to check the sources data files cite."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["bib_keys"]

# an entry starts a line: "@report{franceurbaine2021," (spaces allowed); @comment, @string, @preamble are no entries
_ENTRY = re.compile(r"^[ \t]*@(\w+)[ \t]*\{[ \t]*([^,\s]+)[ \t]*,", re.MULTILINE)
_NOT_ENTRIES = frozenset({"comment", "string", "preamble"})


def bib_keys(path: Path) -> set[str] | None:
    """The citation keys of the bibliography at ``path``, or ``None`` when there is no such file.

    Examples
    --------
    >>> sorted(bib_keys(Path("data/references.bib")) or ())[:2]  # doctest: +SKIP
    ['cncd2020', 'cuf2022']
    """
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    return {key for kind, key in _ENTRY.findall(text) if kind.lower() not in _NOT_ENTRIES}
