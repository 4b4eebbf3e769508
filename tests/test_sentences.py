"""French sentences from data (cufstudy.core.sentences): counts that agree, labels inside a sentence,
numbers in words, no sentence starting with digits. Property tests (hypothesis) for agreement and words."""

from __future__ import annotations

import doctest
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cufstudy.core import sentences
from cufstudy.core.errors import NotFoundError
from cufstudy.core.french import NBSP, NNBSP
from cufstudy.core.sentences import (
    NOUNS,
    NUMBER_WORDS,
    WORDS_BELOW,
    agree,
    base_text,
    count,
    in_sentence,
    join,
    noun,
    number_words,
    sentence,
)

NOUN_NAMES = sorted(NOUNS)
_FEW = settings(max_examples=150, deadline=None, database=None)


def test_the_module_examples_run() -> None:
    result = doctest.testmod(sentences)
    assert result.attempted > 10 and result.failed == 0


def test_counts_of_the_study_read_as_an_editor_writes_them() -> None:
    assert count(5, "appel") == "cinq appels"
    assert count(18, "mission") == "18 missions"
    assert count(1, "mission") == "une mission" and count(1, "modèle") == "un modèle"
    assert count(0, "recommandation") == "aucune recommandation" and count(0, "cas") == "aucun cas"
    assert count(6, "modèle") == "six modèles" and count(4, "type") == "quatre types"
    assert count(7, "étape") == "sept étapes" and count(2, "niveau") == "deux niveaux"
    assert count(3, "pays") == "trois pays" and count(9, "cas") == "neuf cas"
    assert count(21, "collectivité") == "21 collectivités"
    assert count(1234, "projet") == f"1{NNBSP}234 projets"


def test_numbers_in_words_with_the_feminine_une() -> None:
    assert number_words(21, feminine=True) == "vingt et une"
    assert number_words(81, feminine=True) == "quatre-vingt-une"
    assert number_words(11, feminine=True) == "onze" and number_words(71, feminine=True) == "soixante et onze"
    assert number_words(200) == "deux cents" and number_words(201) == "deux cent un"
    with pytest.raises(TypeError):
        number_words(2.5)  # type: ignore[arg-type]


def test_labels_inside_a_sentence() -> None:
    assert in_sentence("Cabinet du maire ou du président") == "cabinet du maire ou du président"
    assert in_sentence("Arbitrage interne défavorable entre directions").startswith("arbitrage")
    assert in_sentence("Projets européens et Interreg") == "projets européens et Interreg"
    assert in_sentence("Association, agence ou GIP") == "association, agence ou GIP"
    for kept in ("DCOL 4", "AFD", "EPCI", "Ville de Nantes", "Ville d'Aix-en-Provence", "Europe et transfrontalier",
                 "Conseil départemental de l'Aude", "Grenoble-Alpes Métropole", "ODD 6"):
        assert in_sentence(kept) == kept, kept
    assert in_sentence("Cabinet", proper=True) == "Cabinet" and in_sentence("Ville de Caen", proper=False) == "ville de Caen"
    assert in_sentence("  ") == ""


def test_a_sentence_never_starts_with_digits() -> None:
    assert sentence("14 missions ont recommandé un autre rattachement") == (
        "Quatorze missions ont recommandé un autre rattachement."
    )
    assert sentence("1 recommandation est abandonnée") == "Une recommandation est abandonnée."
    assert sentence("2 cas changent") == "Deux cas changent."
    assert sentence(f"1{NNBSP}200 projets sont décrits") == "Mille deux cents projets sont décrits."
    assert sentence("le cabinet domine ?") == "Le cabinet domine ?"


def test_agreement_and_base() -> None:
    assert agree("recommandé", "mission", 1) == "recommandée" and agree("recommandé", "mission", 2) == "recommandées"
    assert agree("mis en œuvre", "recommandation", 5) == "mises en œuvre"
    assert agree("étudié", "cas", 1) == "étudié" and agree("classé", "cas", 3) == "classés"
    assert base_text(18, "mission", "DCOL") == f"n{NBSP}={NBSP}18 missions DCOL"
    assert base_text(1, "collectivité", "de comparaison") == f"n{NBSP}={NBSP}1 collectivité de comparaison"
    assert join(["a"]) == "a" and join(["a", "b"]) == "a et b" and join(["a", "b", "c"], "ou") == "a, b ou c"


def test_an_unknown_noun_is_a_located_error() -> None:
    with pytest.raises(NotFoundError, match=r"unknown noun 'missoin' \(did you mean 'mission'\?\)"):
        count(2, "missoin")
    assert noun("missions") is NOUNS["mission"]


# --- properties -------------------------------------------------------------------------------------------


@given(st.integers(0, 10_000), st.sampled_from(NOUN_NAMES))
@_FEW
def test_a_count_agrees_with_its_number(n: int, name: str) -> None:
    word = NOUNS[name]
    text = count(n, name)
    assert text.endswith(" " + (word.plural if n >= 2 else word.singular))
    number = text[: -len(word.form(n)) - 1]
    if n < WORDS_BELOW:
        assert not re.search(r"\d", text), text  # below ten: words
        if n == 0:
            assert number == ("aucune" if word.feminine else "aucun")
        elif n == 1:
            assert number == ("une" if word.feminine else "un")
    else:
        assert number.replace(NNBSP, "") == str(n)  # from ten on: digits


@given(st.integers(0, 999_999))
@_FEW
def test_feminine_words_differ_only_by_the_final_une(n: int) -> None:
    masculine, feminine = number_words(n), number_words(n, feminine=True)
    assert not re.search(r"\d", masculine)
    if masculine == "un" or masculine.endswith((" un", "-un")):
        assert feminine == masculine + "e"
    else:
        assert feminine == masculine
    # every word of a number is a number word (or "et", or the articles un/une)
    for part in re.split(r"[ -]", masculine):
        assert part in NUMBER_WORDS | {"et", "un", "zéro", "douze", "mille"} or part.endswith("s"), part


@given(st.integers(0, 100_000), st.sampled_from(NOUN_NAMES), st.sampled_from(["sont étudiés", "ont changé", ""]))
@_FEW
def test_a_generated_sentence_starts_with_a_capital_and_no_digit(n: int, name: str, rest: str) -> None:
    text = sentence(f"{n} {NOUNS[name].form(n)} {rest}".strip())
    assert not text[0].isdigit() and text[0] == text[0].upper() and text[0].isalpha()
    assert text.endswith(".")
    if n == 1:
        assert text.startswith("Une " if NOUNS[name].feminine else "Un ")


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèàç -'", min_size=1, max_size=40))
@_FEW
def test_a_common_label_is_lowered_and_lowering_is_idempotent(tail: str) -> None:
    label = "Arbitrage " + tail
    once = in_sentence(label)
    assert once.startswith("arbitrage") and in_sentence(once) == once
    assert sentence(once).startswith("Arbitrage")
