"""The typed document an interview guide is made of, which the DOCX and Typst writers typeset.

:mod:`cufstudy.fieldwork.guides` builds it from the case data; :mod:`cufstudy.fieldwork._guide_docx` and
:mod:`cufstudy.fieldwork._guide_typst` write it, so both formats say the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from cufstudy.core.french import NNBSP, typeset_fr

__all__ = [
    "AnswerRow",
    "AnswerTable",
    "Block",
    "Guide",
    "Heading",
    "InfoTable",
    "Paragraph",
    "QuestionItem",
    "fr",
]


_PERCENT = re.compile(r"(\d) %")


def fr(text: str) -> str:
    """French typography for generated text: ’ apostrophes, no-break spaces before ``: ; ! ? » %``."""
    return typeset_fr(_PERCENT.sub(f"\\1{NNBSP}%", text.replace("'", "’")))


@dataclass(frozen=True)
class Heading:
    text: str
    level: Literal[1, 2]


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: Literal["body", "lead", "notice", "quote", "note"] = "body"
    """``lead``: read aloud; ``notice``: shaded warning; ``quote``: a recommendation's text; ``note``: small."""


@dataclass(frozen=True)
class QuestionItem:
    number: int
    text: str
    prompts: tuple[str, ...] = ()
    keep_with_next: bool = False
    """Keep on the page of what follows (the questions on a recommendation stay with its table)."""


@dataclass(frozen=True)
class InfoTable:
    """Facts from the case base: rows of cells, with an optional header row."""

    rows: tuple[tuple[str, ...], ...]
    header: tuple[str, ...] | None = None
    widths: tuple[float, ...] = ()
    """Relative column widths (default: a narrow first column)."""


@dataclass(frozen=True)
class AnswerRow:
    """A row to fill in by hand: boxes to tick (``choices``) or ``lines`` of writing space."""

    label: str
    choices: tuple[str, ...] = ()
    lines: int = 1
    confidential: bool = False


@dataclass(frozen=True)
class AnswerTable:
    rows: tuple[AnswerRow, ...]
    title: str | None = None


Block = Heading | Paragraph | QuestionItem | InfoTable | AnswerTable


@dataclass(frozen=True)
class Guide:
    """An interview guide, ready for a writer."""

    case_id: str
    title: str
    subtitle: str
    running_head: str
    footer: str
    blocks: tuple[Block, ...]
    illustrative: bool
