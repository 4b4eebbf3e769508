"""French text (cufstudy.core.french): dates, counts and shares, typography, folding, the notices.

The number format and the Markdown escaping have their property tests in ``test_properties.py``.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cufstudy.core import french
from cufstudy.core.french import NBSP, NNBSP

from .conftest import ROOT


def test_dates_in_words() -> None:
    assert french.format_date(dt.date(2022, 3, 1)) == "1er mars 2022"
    assert french.format_date(dt.date(2022, 9, 15)) == "15 septembre 2022"
    assert french.format_date(dt.date(2030, 8, 2)) == "2 août 2030"
    assert len(french.MONTHS) == 12 and french.MONTHS[11] == "décembre"


def test_counts_and_shares() -> None:
    assert french.format_number(3.0) == "3"
    assert french.format_number(2.25) == "2,2"  # half to even, on the decimal value
    assert french.format_number(12_500.0, unit="habitants") == f"12{NNBSP}500{NBSP}habitants"
    assert french.format_number(0.5, decimals=2, unit="ETP") == f"0,50{NBSP}ETP"
    assert french.format_percent(0.125) == f"12{NNBSP}%" and french.format_percent(1) == f"100{NNBSP}%"


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.integers(0, 3))
@settings(max_examples=200, deadline=None, database=None)
def test_a_value_rounded_for_a_chart_prints_as_the_prose_prints_it(value: float, decimals: int) -> None:
    expected = Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)
    assert Decimal(repr(french.round_fr(value, decimals))) == expected
    assert french.format_fr(french.round_fr(value, decimals), decimals=decimals) == french.format_fr(
        value, decimals=decimals
    )


def test_typography_of_free_text() -> None:
    assert french.typeset_fr("Eau : accès ; oui ! « x » ?") == (
        f"Eau{NBSP}: accès{NNBSP}; oui{NNBSP}! «{NBSP}x{NBSP}»{NNBSP}?"
    )
    assert french.typeset_fr("https://x.org/a?b:c 10:30") == "https://x.org/a?b:c 10:30"  # no space, no change
    assert french.quote_fr("Faim zéro") == f"«{NBSP}Faim zéro{NBSP}»"
    assert french.straight_quotes_to_french('Faim "zéro" et "eau"') == f"Faim «{NBSP}zéro{NBSP}» et «{NBSP}eau{NBSP}»"


def test_fold_ignores_case_accents_and_spacing() -> None:
    assert french.fold(f"  Ville d'Aix-en-Provence{NBSP}:  ÉTÉ ") == "ville d'aix-en-provence : ete"
    assert french.fold("Zébulon Quatrefages-Météyer") == french.fold("zebulon  quatrefages-meteyer")
    countries = ["Italie", "États-Unis", "Équateur", "Espagne", "Égypte", "Allemagne"]
    assert sorted(countries, key=french.fold) == ["Allemagne", "Égypte", "Équateur", "Espagne", "États-Unis", "Italie"]


def test_each_notice_is_written_once_in_the_code() -> None:
    sources = [p for p in (ROOT / "cufstudy").rglob("*.py") if p.name != "french.py"]
    sources += list((ROOT / "notebooks").glob("*.ipynb"))
    for notice in (french.ILLUSTRATIVE_NOTICE, french.ILLUSTRATIVE_CODING, french.ILLUSTRATIVE_VALUES):
        head = notice[:30]
        assert not [p.name for p in sources if head in p.read_text(encoding="utf-8")], head
