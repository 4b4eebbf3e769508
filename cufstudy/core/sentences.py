"""French sentences made from data: counts that agree, labels that sit inside a sentence, numbers in words.

The notebooks write sentences into the deliverables (facts the prose cites, chart alt texts, the Markdown
of a generated paragraph). They follow the rules a French editor applies, through this one module:

- **numbers in running text**: below :data:`WORDS_BELOW` (ten) a count is written in words, from ten on in
  digits (``cinq appels``, ``18 missions``), the usual rule of French administrative and press writing
  (Lexique des règles typographiques de l'Imprimerie nationale: "en lettres ... les nombres de un à neuf"
  in running text); :func:`count` applies it, :func:`number_words` spells any whole number
  (:mod:`num2words`, with the feminine *une* of *vingt et une missions*);
- **agreement**: :func:`count` puts the noun in the plural from two on and uses *aucun*/*aucune* for zero;
  :func:`agree` makes an adjective or a past participle agree with a count of a noun (``recommandées``);
  the nouns of the study (*cas*, *mission*, *collectivité*, *recommandation*, *modèle*, *type*, *appel*...)
  and their gender are in :data:`NOUNS`;
- **labels inside a sentence** (:func:`in_sentence`): a label of the data (``Cabinet du maire ou du
  président``) starts with a lower-case letter after a colon or inside a sentence, unless it is a proper
  noun or starts with an acronym (``DCOL``, ``AFD``, ``EPCI``, ``Ville de Nantes``, ``Europe et
  transfrontalier``);
- **no sentence starts with digits** (:func:`sentence`): a leading number is spelled out (``Quatorze
  missions ont recommandé...``), the first letter is a capital, the sentence ends with its full stop.

Examples
--------
>>> count(5, "appel"), count(18, "mission"), count(1, "collectivité"), count(0, "cas")
('cinq appels', '18 missions', 'une collectivité', 'aucun cas')
>>> sentence("14 missions ont recommandé un autre rattachement")
'Quatorze missions ont recommandé un autre rattachement.'
>>> "le rattachement le plus fréquent était le " + in_sentence("Cabinet du maire ou du président")
'le rattachement le plus fréquent était le cabinet du maire ou du président'
>>> in_sentence("DCOL 4"), in_sentence("Ville de Nantes")
('DCOL 4', 'Ville de Nantes')
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from cufstudy.core.errors import NotFoundError
from cufstudy.core.french import NBSP, format_fr
from cufstudy.core.problems import did_you_mean

__all__ = [
    "NOUNS",
    "NUMBER_WORDS",
    "PROPER_FIRST_WORDS",
    "WORDS_BELOW",
    "Noun",
    "agree",
    "base_text",
    "cardinal",
    "count",
    "in_sentence",
    "join",
    "noun",
    "number_words",
    "sentence",
]

WORDS_BELOW: Final = 10
"""Counts below this are written in words in running text (``neuf missions``, ``10 missions``)."""


@dataclass(frozen=True)
class Noun:
    """A French noun with its plural and gender, for counts and agreement."""

    singular: str
    plural: str
    feminine: bool = False

    def form(self, n: int | float) -> str:
        """The singular for 0 and 1 (French: *0,5 mission*, *1 cas*), the plural from 2 on."""
        return self.plural if abs(n) >= 2 else self.singular


def _noun(singular: str, feminine: bool = False, plural: str | None = None) -> Noun:
    if plural is None:
        plural = singular if singular.endswith(("s", "x", "z")) else singular + "s"
    return Noun(singular, plural, feminine)


NOUNS: Final[Mapping[str, Noun]] = {
    n.singular: n
    for n in (
        _noun("accompagnement"),
        _noun("action", True),
        _noun("appel"),
        _noun("binôme"),
        _noun("cas"),
        _noun("cible", True),
        _noun("classe", True),
        _noun("collectivité", True),
        _noun("commune", True),
        _noun("contribution", True),
        _noun("critère"),
        _noun("demi-journée", True),
        _noun("département"),
        _noun("entretien"),
        _noun("étape", True),
        _noun("fiche", True),
        _noun("indicateur"),
        _noun("intercommunalité", True),
        _noun("lien"),
        _noun("mission", True),
        _noun("modèle"),
        _noun("niveau", plural="niveaux"),
        _noun("objectif"),
        _noun("obstacle"),
        _noun("partenariat"),
        _noun("pays"),
        _noun("projet"),
        _noun("recommandation", True),
        _noun("région", True),
        _noun("règle", True),
        _noun("séance", True),
        _noun("stratégie", True),
        _noun("type"),
    )
}
"""The nouns the study counts, by their singular."""


def noun(word: str | Noun) -> Noun:
    """The :class:`Noun` of ``word`` (its singular, or its plural), or ``word`` itself if it is one.

    Raises
    ------
    NotFoundError
        For a word that is not in :data:`NOUNS`, naming the near ones (add it there with its gender).
    """
    if isinstance(word, Noun):
        return word
    if word in NOUNS:
        return NOUNS[word]
    for n in NOUNS.values():
        if word == n.plural:
            return n
    raise NotFoundError(
        f"unknown noun {word!r}{did_you_mean(word, NOUNS)}: pass a Noun(singular, plural, feminine) "
        "or add it to cufstudy.core.sentences.NOUNS"
    )


# ---------------------------------------------------------------------------------------------------------
# numbers


def number_words(n: int, *, feminine: bool = False) -> str:
    """A whole number in French words (traditional spelling: ``vingt et un``, ``quatre-vingts``).

    ``feminine`` gives the *une* a feminine noun asks for (``vingt et une missions``, ``une collectivité``).

    Examples
    --------
    >>> number_words(7), number_words(21, feminine=True), number_words(80), number_words(1990)
    ('sept', 'vingt et une', 'quatre-vingts', 'mille neuf cent quatre-vingt-dix')
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"number_words takes a whole number, got {n!r}")
    from num2words import num2words  # type: ignore[import-untyped]

    words = str(num2words(n, lang="fr"))
    if feminine and (words == "un" or words.endswith((" un", "-un"))):
        words += "e"
    return words


def cardinal(n: int, *, feminine: bool = False, words_below: int = WORDS_BELOW) -> str:
    """A count for running text: in words below ``words_below`` (and from zero), in digits from it on."""
    if 0 <= n < words_below:
        return number_words(n, feminine=feminine)
    return format_fr(n)


def count(n: int, what: str | Noun, *, words_below: int = WORDS_BELOW) -> str:
    """A count and its noun, agreeing: ``aucune mission``, ``une mission``, ``cinq missions``, ``18 missions``.

    Examples
    --------
    >>> count(2, "niveau"), count(21, "mission"), count(3, "pays")
    ('deux niveaux', '21 missions', 'trois pays')
    """
    word = noun(what)
    if n == 0:
        return f"{'aucune' if word.feminine else 'aucun'} {word.singular}"
    return f"{cardinal(n, feminine=word.feminine, words_below=words_below)} {word.form(n)}"


def agree(word: str, what: str | Noun, n: int | float = 1) -> str:
    """An adjective or past participle (given in the masculine singular) agreeing with ``n`` of a noun.

    Examples
    --------
    >>> agree("recommandé", "mission", 3), agree("mis en œuvre", "recommandation", 1), agree("étudié", "cas", 4)
    ('recommandées', 'mise en œuvre', 'étudiés')
    >>> agree("fictif", "collectivité", 2), agree("premier", "étape"), agree("nombreux", "mission", 3)
    ('fictives', 'première', 'nombreuses')
    """
    head, sep, rest = word.partition(" ")
    target = noun(what)
    if target.feminine and not head.endswith("e"):
        head = _feminine(head)
    if abs(n) >= 2 and not head.endswith(("s", "x")):
        head += "s"
    return head + sep + rest


_FEMININE_ENDINGS: Final = (("eux", "euse"), ("f", "ve"), ("er", "ère"), ("el", "elle"), ("en", "enne"), ("on", "onne"))


def _feminine(word: str) -> str:
    """The feminine of a regular adjective or participle: ``mené`` gives ``menée``, ``fictif`` ``fictive``."""
    for ending, feminine in _FEMININE_ENDINGS:
        if word.endswith(ending):
            return word[: -len(ending)] + feminine
    return word + "e"


def base_text(n: int, what: str | Noun, qualifier: str = "") -> str:
    """The base of a figure, as its caption states it: ``n = 18 missions DCOL`` (no-break spaces, digits).

    Examples
    --------
    >>> base_text(18, "mission", "DCOL") == "n\u00a0=\u00a018 missions DCOL"
    True
    """
    word = noun(what)
    tail = f" {qualifier}" if qualifier else ""
    return f"n{NBSP}={NBSP}{format_fr(n)} {word.form(n)}{tail}"


# ---------------------------------------------------------------------------------------------------------
# labels and sentences

_ACRONYM: Final = re.compile(r"^[A-ZÀ-Ý0-9][A-ZÀ-Ý0-9&-]+$")
#: First words that are proper nouns (a label starting with one keeps its capital).
PROPER_FIRST_WORDS: Final = frozenset(
    {"Afrique", "Amérique", "Asie", "Europe", "France", "Méditerranée", "Nations", "Union", "Paris", "Bruxelles"}
)
_PARTICLE_THEN_CAPITAL: Final = re.compile(r"(?:\b(?:de|du|des|de la)\s+|\bd['’]|\bl['’])(?=[A-ZÀ-Ý][a-zà-ÿ])")


def _is_proper(label: str) -> bool:
    first = re.split(r"[\s,;:()«»]", label.strip(), maxsplit=1)[0]
    if _ACRONYM.match(first) or first in PROPER_FIRST_WORDS:
        return True
    if len(first) > 1 and first[1:].lower() != first[1:]:  # "eTwinning", "PLATFORMA"-like casing inside
        return True
    # an authority's name: "Ville de Nantes", "Conseil départemental de l'Aude", "Grenoble-Alpes Métropole"
    return bool(_PARTICLE_THEN_CAPITAL.search(label)) or bool(re.match(r"^[A-ZÀ-Ý][a-zà-ÿ]+-[A-ZÀ-Ý]", label))


def in_sentence(label: str, *, proper: bool | None = None) -> str:
    """A label of the data as it reads inside a sentence or after a colon: first letter lower-cased.

    Kept as it is when it is a proper noun (``proper=True``; by default when it starts with an acronym,
    a word of :data:`PROPER_FIRST_WORDS`, or reads as an authority's name, a capitalised word after *de*,
    *du*, *des*, *d'*, *l'*).

    Examples
    --------
    >>> in_sentence("Arbitrage interne défavorable entre directions")
    'arbitrage interne défavorable entre directions'
    >>> in_sentence("Europe et transfrontalier"), in_sentence("EPCI"), in_sentence("Conseil départemental de l'Aude")
    ('Europe et transfrontalier', 'EPCI', "Conseil départemental de l'Aude")
    """
    text = label.strip()
    if not text:
        return text
    keep = _is_proper(text) if proper is None else proper
    return text if keep else text[0].lower() + text[1:]


_LEADING_NUMBER: Final = re.compile(r"^(\d[\d\u202f\u00a0]*)(?=[\s\u00a0]+(\S+)|$)")


def sentence(text: str) -> str:
    """A sentence of generated text: a leading number spelled out, a capital first letter, a final full stop.

    Examples
    --------
    >>> sentence("3 recommandations sur 12 sont abandonnées")
    'Trois recommandations sur 12 sont abandonnées.'
    >>> sentence("1 mission a changé de rattachement !")
    'Une mission a changé de rattachement !'
    """
    body = text.strip()
    m = _LEADING_NUMBER.match(body)
    if m:
        n = int(re.sub(r"\D", "", m.group(1)))
        following = m.group(2) or ""
        feminine = False
        with contextlib.suppress(NotFoundError):  # "14 missions": feminine; an unknown word: masculine
            feminine = noun(following.strip(",;:.")).feminine
        body = number_words(n, feminine=feminine) + body[m.end(1) :]
    if body:
        body = body[0].upper() + body[1:]
    if body and body[-1] not in ".!?…":
        body += "."
    return body


def join(items: Iterable[str], last: str = "et") -> str:
    """``a``, ``a et b``, ``a, b et c`` (``last="ou"`` for a choice)."""
    words = [i for i in items if i]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


#: French number words a reader may see as a count in prose (for the check of typed numbers).
NUMBER_WORDS: Final = frozenset(
    {
        "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze", "treize",
        "quatorze", "quinze", "seize", "vingt", "vingts", "trente", "quarante", "cinquante", "soixante",
        "cent", "cents", "mille", "zéro",
    }
)  # fmt: skip
"""Every word of French cardinal numbers but *un*/*une*, which are articles too."""
