"""French text for the deliverables: numbers, dates, typography, folding, Markdown escaping, notices.

Every piece of text the library writes into a deliverable goes through this module, so the facts the prose
cites, the tables, the charts and their alt texts print numbers, dates and punctuation the same way:

- **numbers** (:func:`format_fr`, :func:`format_number`, :func:`format_percent`, :func:`round_fr`): decimal
  comma, a narrow no-break space (U+202F) between thousands and before ``%``, a no-break space before any other
  unit, rounding half to even on the decimal value (what a reader checking a sum expects);
- **dates** (:func:`format_date`): ``1er mars 2022``, ``15 septembre 2022``, and the month names (:data:`MONTHS`)
  the chart locale uses;
- **typography** (:func:`typeset_fr`, :func:`quote_fr`, :func:`apostrophes`): a no-break space (U+00A0) before
  ``:`` and inside « », a narrow one before ``; ! ?``, the typographic apostrophe ’;
- **folding** (:func:`fold`): a key that ignores case, accents and spacing, to match and sort French words;
- **Markdown escaping** (:func:`escape_md`): free text (a case file, an obstacle, a title) printed literally by
  pandoc in every format;
- the **notices of illustrative data**: :func:`data_notice` on every page, from what the data's provenance
  markers say (:func:`cases_notice_part`, :func:`partnerships_notice_part`); the defaults (:data:`ILLUSTRATIVE_NOTICE`,
  :data:`ILLUSTRATIVE_CODING` under the study's charts, :data:`ILLUSTRATIVE_VALUES` under the toolbox's): a
  project words its own under ``cufstudy: notices:`` of ``_quarto.yml`` (:class:`cufstudy.core.project.Notices`).

The module needs nothing but the standard library (no pandas), so the renderer and the command line can use it.

Examples
--------
>>> format_fr(1234567.891, "€", decimals=2) == "1\u202f234\u202f567,89\u00a0€"
True
>>> format_date(dt.date(2022, 3, 1))
'1er mars 2022'
>>> typeset_fr("Eau : « accès » ; oui ?") == "Eau\u00a0: «\u00a0accès\u00a0»\u202f; oui\u202f?"
True
>>> fold("  États-Unis\u00a0d'Amérique ")
"etats-unis d'amerique"
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Final

from cufstudy.core.errors import FactError

__all__ = [
    "COLON",
    "ILLUSTRATIVE_CODING",
    "ILLUSTRATIVE_NOTICE",
    "ILLUSTRATIVE_VALUES",
    "MONTHS",
    "NBSP",
    "NNBSP",
    "PERCENT_DECIMALS",
    "SEMICOLON",
    "apostrophes",
    "cases_notice_part",
    "data_notice",
    "escape_md",
    "fold",
    "format_date",
    "format_fr",
    "format_number",
    "format_percent",
    "partnerships_notice_part",
    "quote_fr",
    "round_fr",
    "straight_quotes_to_french",
    "typeset_fr",
    "typeset_text",
]

NBSP: Final = "\u00a0"
"""No-break space: before ``:`` and ``»``, after ``«``, before a unit (``2,0 ETP``)."""
NNBSP: Final = "\u202f"
"""Narrow no-break space: thousands separator, before ``%`` and before ``; ! ?``."""
COLON: Final = f"{NBSP}:"
"""The French colon, after a no-break space (``Par niveau : ...``)."""
SEMICOLON: Final = f"{NNBSP};"
"""The French semicolon, after a narrow no-break space."""

Value = int | float | str | bool


# ---------------------------------------------------------------------------------------------------------
# numbers


def format_fr(value: Value, unit: str | None = None, decimals: int | None = None) -> str:
    """Format a value the French way: narrow no-break space for thousands, decimal comma.

    Parameters
    ----------
    value
        The number (or text, printed as is; a boolean prints ``oui`` or ``non``).
    unit
        Appended after a no-break space; ``%`` is preceded by a narrow no-break space.
    decimals
        Digits after the comma of a float (rounded half to even on its decimal form); default 1. Integers
        never get decimals.

    Raises
    ------
    FactError
        For a NaN or an infinite float: no deliverable prints ``nan``.

    Examples
    --------
    >>> format_fr(1234567) == "1\u202f234\u202f567"
    True
    >>> format_fr(0.5, "%") == "0,5\u202f%"
    True
    >>> format_fr(32.85, "%")  # half to even on the decimal value, as a reader rounds
    '32,8\u202f%'
    """
    if isinstance(value, bool):
        text = "oui" if value else "non"
    elif isinstance(value, int):
        text = f"{value:,}".replace(",", NNBSP)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise FactError(f"cannot format a non-finite number: {value!r}")
        places = 1 if decimals is None else decimals
        quant = Decimal(1).scaleb(-places)
        rounded = Decimal(repr(value)).quantize(quant, rounding=ROUND_HALF_EVEN)
        text = f"{rounded:,f}".replace(",", NNBSP).replace(".", ",")
    else:
        text = str(value)
    if unit:
        text += (NNBSP if unit == "%" else NBSP) + unit
    return text


def format_number(value: float, decimals: int | None = None, unit: str | None = None) -> str:
    """A count or a measure: whole values without decimals (``3``), others as :func:`format_fr` prints them.

    Examples
    --------
    >>> format_number(3.0), format_number(2.25), format_number(2.25, decimals=2)
    ('3', '2,2', '2,25')
    >>> format_number(1500.0, unit="habitants") == "1\u202f500\u00a0habitants"
    True
    """
    if decimals is None and float(value).is_integer():
        return format_fr(int(value), unit)
    return format_fr(float(value), unit, decimals=decimals)


def round_fr(value: float, decimals: int = 0) -> float:
    """Round as :func:`format_fr` does (half to even on the decimal form of the value).

    Values written on a chart are rounded with this before Vega formats them, so the chart, its alt text and
    the prose print the same digits (d3 alone would round the binary value half up).

    Examples
    --------
    >>> round_fr(2.675, 2), round_fr(0.125, 2), round_fr(12.5)
    (2.68, 0.12, 12.0)
    """
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_EVEN))


PERCENT_DECIMALS: Final = 0
"""The digits of a percentage in the deliverables: whole percentages, on bases of a few dozen cases (``66 %``,
not ``65,8 %``). One rule for every share a reader sees, so that one fact prints the same in a sentence, a
key figure and a recorded fact (:func:`format_percent`, :func:`cufstudy.notebook.facts.record` with ``%``)."""


def format_percent(share: float) -> str:
    """A share (0 to 1) as a whole percentage: ``0.4167`` gives ``42 %`` (narrow no-break space).

    Examples
    --------
    >>> format_percent(0.4167) == "42\u202f%"
    True
    """
    return format_fr(round_fr(100 * share, PERCENT_DECIMALS), "%", PERCENT_DECIMALS)


# ---------------------------------------------------------------------------------------------------------
# dates

MONTHS: Final = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
"""The French month names, January first (lower case, as French writes them)."""


def format_date(day: dt.date) -> str:
    """A date in words: ``1er mars 2022``, ``15 septembre 2022`` (Quarto's long date in French).

    Examples
    --------
    >>> format_date(dt.date(2026, 11, 1)), format_date(dt.date(2026, 2, 14))
    ('1er novembre 2026', '14 février 2026')
    """
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"


# ---------------------------------------------------------------------------------------------------------
# typography

_SPACE_BEFORE: Final = re.compile(r" ([:;!?»])")
_PERCENT: Final = re.compile(r"(?<=\d) %")
_STRAIGHT_QUOTED: Final = re.compile(r'"([^"]*)"')
_APOSTROPHE: Final = re.compile(r"(?<=\w)'(?=\w)")


def typeset_fr(text: str) -> str:
    """French typography for free text: no-break spaces before ``: ; ! ? »`` and after ``«``, and the narrow
    one between a number and ``%`` (``1 %``).

    Only existing spaces are replaced, so codes and URLs stay as they are (``https://x.org/a?b:c``).

    Examples
    --------
    >>> typeset_fr("Jeunesse : « citoyenneté » ; suite ?") == (
    ...     "Jeunesse\u00a0: «\u00a0citoyenneté\u00a0»\u202f; suite\u202f?"
    ... )
    True
    """
    text = _SPACE_BEFORE.sub(lambda m: (NBSP if m.group(1) in ":»" else NNBSP) + m.group(1), text)
    return _PERCENT.sub(f"{NNBSP}%", text.replace("« ", f"«{NBSP}"))


def quote_fr(text: str) -> str:
    """``text`` between French quotation marks, with their no-break spaces: ``« text »``; guillemets inside
    ``text`` become “ ” (:func:`nest_quotes`).

    Examples
    --------
    >>> quote_fr("Faim zéro") == "«\u00a0Faim zéro\u00a0»"
    True
    >>> quote_fr("dispositifs « 1 % » eau").replace(NBSP, "~")  # a quotation inside: “ ”
    '«~dispositifs “1 %” eau~»'
    """
    return nest_quotes(f"«{NBSP}{text}{NBSP}»")


def straight_quotes_to_french(text: str) -> str:
    """Text between straight double quotes (``"zéro"``, as in the UN's titles) between « »."""
    return _STRAIGHT_QUOTED.sub(lambda m: quote_fr(m.group(1)), text)


def apostrophes(text: str) -> str:
    """The typographic apostrophe ’ for a straight one between two letters (``l'action`` gives ``l’action``).

    What pandoc does for the prose; for text that does not go through pandoc (the text drawn in a chart).

    Examples
    --------
    >>> apostrophes("Ville d'Aix-en-Provence, 'cité'")
    "Ville d’Aix-en-Provence, 'cité'"
    """
    return _APOSTROPHE.sub("\u2019", text)


_TIGHT_OPEN: Final = re.compile(f"«(?=[^\\s{NBSP}{NNBSP}])")
_TIGHT_CLOSE: Final = re.compile(f"(?<=[^\\s{NBSP}{NNBSP}])»")
_GUILLEMET: Final = re.compile(f"«[ {NBSP}{NNBSP}]?|[ {NBSP}{NNBSP}]?»")


def nest_quotes(text: str) -> str:
    """Guillemets inside guillemets become English double quotes: ``« a « b » c »`` gives ``« a “b” c »``.

    French sets a quotation inside a quotation between “ ” (Imprimerie nationale), as pandoc's filter does
    for the prose. An unmatched » is left as it is.

    Examples
    --------
    >>> print(nest_quotes("« le label « Ville amie » reste »"))
    « le label “Ville amie” reste »
    """
    if text.count("«") < 2:
        return text
    out: list[str] = []
    depth = 0
    last = 0
    for m in _GUILLEMET.finditer(text):
        out.append(text[last : m.start()])
        last = m.end()
        token = m.group(0)
        if "«" in token:
            depth += 1
            out.append(token if depth == 1 else "“")
        else:
            out.append(token if depth <= 1 else "”")
            depth = max(depth - 1, 0)
    out.append(text[last:])
    return "".join(out)


def typeset_text(text: str) -> str:
    """All the French typography of text that does not go through pandoc (a chart's texts, a cell, a header).

    The typographic apostrophe (:func:`apostrophes`), « » for straight double quotes
    (:func:`straight_quotes_to_french`), the no-break space inside « » also where none was typed, “ ” for
    guillemets inside guillemets (:func:`nest_quotes`) and the no-break spaces (:func:`typeset_fr`).
    Idempotent; text without these signs is returned as it is.

    Examples
    --------
    >>> print(typeset_text("Direction de l'attractivité : «Faim zéro» ?").replace(NBSP, "~").replace(NNBSP, "^"))
    Direction de l’attractivité~: «~Faim zéro~»^?
    """
    if not any(c in text for c in "'\":;!?«»%"):
        return text
    text = typeset_fr(straight_quotes_to_french(apostrophes(text)))
    text = _TIGHT_OPEN.sub(f"«{NBSP}", _TIGHT_CLOSE.sub(f"{NBSP}»", text))
    return nest_quotes(text)


# ---------------------------------------------------------------------------------------------------------
# folding


_APOSTROPHES: Final = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def fold(text: str) -> str:
    """A key that ignores case, accents, apostrophe forms and spacing: to match French words, or sort them.

    No-break spaces count as spaces, runs of spaces as one, and the ends are trimmed.

    Examples
    --------
    >>> sorted(["Italie", "États-Unis", "espagne"], key=fold)
    ['espagne', 'États-Unis', 'Italie']
    """
    flat = " ".join(str(text).replace(NBSP, " ").replace(NNBSP, " ").translate(_APOSTROPHES).split()).casefold()
    return "".join(c for c in unicodedata.normalize("NFD", flat) if unicodedata.category(c) != "Mn")


# ---------------------------------------------------------------------------------------------------------
# Markdown escaping of free text

# characters with a meaning in pandoc Markdown, escaped with a backslash
_MD_SPECIAL: Final = re.compile(r"([\\`*_{}\[\]<>#|~^$@&])")
# what makes a line a block when it starts it: a list item ("- ", "+ ", "2019. ", "a) ", "(iv) "), a
# horizontal rule ("---"), a title block ("% "), a definition (": "), a fenced div (":::")
_LEADING_MARKER: Final = re.compile(r"^([-+%:]|\(?(?:[0-9]+|[a-zA-Z]|[ivxlcdmIVXLCDM]+)(?=[.)](?: |$)))")


def escape_md(text: str) -> str:
    """Escape free text so pandoc reads it as literal characters in every output format.

    Line breaks become spaces (a table cell is one line), and a leading list, rule or title marker is
    escaped, so the text stays inline wherever it lands (a table cell, a list item, an image's alt text,
    the start of a line).

    Examples
    --------
    >>> print(escape_md("<b>1 %</b> # {{< x >}}"))
    \\<b\\>1 %\\</b\\> \\# \\{\\{\\< x \\>\\}\\}
    >>> print(escape_md("- 2019. un tiret en tête"), escape_md("2019. une date en tête"))
    \\- 2019. un tiret en tête 2019\\. une date en tête
    """
    flat = re.sub(r"[ \t\r\n]+", " ", str(text)).strip()
    escaped = _MD_SPECIAL.sub(r"\\\1", flat)
    marker = _LEADING_MARKER.match(escaped)
    if marker is None:
        return escaped
    if marker.group(1) in "-+%:":
        return "\\" + escaped
    end = marker.end()  # the enumerator: escape its delimiter, and an opening parenthesis
    head = escaped[:end].replace("(", "\\(")
    return head + "\\" + escaped[end:]


# ---------------------------------------------------------------------------------------------------------
# notices of illustrative data

# The defaults of ``cufstudy: notices:`` (:class:`cufstudy.core.project.Notices`): a study words its own there.
ILLUSTRATIVE_NOTICE: Final = "Données illustratives : codage d'exemple ; aucun chiffre n'est un résultat de l'étude"
"""The notice every page of every deliverable carries while any case of the data is illustrative (default)."""
ILLUSTRATIVE_CODING: Final = "Codage illustratif, à remplacer par celui des analystes"
"""What a chart of the study built on illustrative cases says in its subtitle and alt text (default)."""


def _count(n: int, one: str, many: str) -> str:
    return f"{format_fr(n)}{NBSP}{one if n == 1 else many}"


def cases_notice_part(illustrative: int, total: int, fictional: int = 0, source: str | None = None) -> str | None:
    """What a notice says of a case base with ``illustrative`` of its ``total`` cases coded as examples.

    ``fictional`` of them are invented comparison authorities; ``source`` names what the coding stands in for
    (the project's ``cufstudy: notices: source:``). None when no case is illustrative.

    Examples
    --------
    >>> print(cases_notice_part(23, 23, 4, "rapports DCOL confidentiels").replace(NBSP, " "))
    codage d'exemple des 23 cas (rapports DCOL confidentiels), dont 4 collectivités de comparaison fictives
    >>> print(cases_notice_part(1, 18).replace(NBSP, " "))
    codage d'exemple de 1 cas sur 18
    >>> cases_notice_part(0, 18) is None
    True
    """
    if illustrative <= 0:
        return None
    which = ("du cas" if total == 1 else f"des {_count(total, 'cas', 'cas')}") if illustrative == total else (
        f"de {_count(illustrative, 'cas', 'cas')} sur {format_fr(total)}"
    )
    text = f"codage d'exemple {which}" + (f" ({source})" if source else "")
    if fictional > 0:
        invented = _count(fictional, "collectivité de comparaison fictive", "collectivités de comparaison fictives")
        text += f", dont {invented}"
    return text


def partnerships_notice_part(titles: Sequence[str]) -> str | None:
    """What a notice says of the SDG partnerships (their titles) whose coding is an example.

    Examples
    --------
    >>> print(partnerships_notice_part(["Aude – Hauts-Bassins"]).replace(NBSP, " "))
    le partenariat « Aude – Hauts-Bassins » est codé à titre d'exemple
    >>> partnerships_notice_part([]) is None
    True
    """
    if not titles:
        return None
    quoted = [quote_fr(t) for t in titles]
    if len(quoted) == 1:
        return f"le partenariat {quoted[0]} est codé à titre d'exemple"
    return f"les partenariats {', '.join(quoted[:-1])} et {quoted[-1]} sont codés à titre d'exemple"


def data_notice(cases: str | None = None, partnerships: str | None = None) -> str | None:
    """The notice of a deliverable, from what :func:`cases_notice_part` and :func:`partnerships_notice_part`
    say of the data it uses: typeset (’, no-break spaces), or None when none of it is illustrative.

    Examples
    --------
    >>> data_notice(partnerships_notice_part(["Aude – Hauts-Bassins"])).startswith("Données illustratives\u00a0:")
    True
    >>> data_notice() is None
    True
    """
    parts = [p for p in (cases, partnerships) if p]
    if not parts:
        return None
    results = [w for w, p in (("de l'étude", cases), ("de la formation-action", partnerships)) if p]
    what = "aucun chiffre" if cases else "aucune valeur"
    tail = f"{what} n'est un résultat {' ni '.join(results)}"
    return typeset_fr(apostrophes(f"Données illustratives : {' ; '.join(parts)} ; {tail}"))
ILLUSTRATIVE_VALUES: Final = "Valeurs illustratives, à remplacer par le codage issu de la formation-action"
"""What a chart or a notebook of an illustrative SDG partnership says (subtitle, alt text, notebook note; default)."""
