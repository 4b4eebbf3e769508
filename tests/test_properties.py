"""Property tests (hypothesis) of the validators, of the Markdown escaping of free text, of the French number
format and of the SDG progress normalisation.

Pandoc runs as a subprocess, so the escaping properties keep their examples few and small.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import pypandoc
import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from cufstudy.core.errors import DataError, Problem
from cufstudy.core.french import NBSP, NNBSP, escape_md, format_fr
from cufstudy.core.yamlio import YamlDoc
from cufstudy.model.cases import Case, load_cases, validate_case
from cufstudy.model.vocab import (
    Ambition,
    Attachment,
    FollowUpStatus,
    MissionKind,
    Modality,
    Motivation,
    Provenance,
    RecommendationKind,
    Theme,
    Tier,
)
from cufstudy.notebook.tables import markdown_table
from cufstudy.pipeline import leaks as confidential
from cufstudy.sdg.contribution import progress

from .conftest import TEST_DATA

GOOD = yaml.safe_load((TEST_DATA / "good_case.yaml").read_text(encoding="utf-8"))


def props(n: int) -> settings:
    """``n`` examples, no deadline (pandoc and file writes), no example database in the work tree."""
    return settings(
        max_examples=n, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )


# ---------------------------------------------------------------------------------------------------------
# the case validator


def _check_problems(problems: tuple[Problem, ...] | list[Problem], file: str) -> None:
    assert problems
    for p in problems:
        assert p.file == file
        assert isinstance(p.message, str) and p.message.strip()
        assert p.line is None or p.line >= 1
        assert p.field is None or p.field.strip()
        assert "Traceback" not in p.message


scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**12), max_value=10**12)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.dates()
)
field_names = st.sampled_from(
    [*GOOD, "tier", "name", "code", "ambition", "motivations", "status", "follow_up", "date", "fte", "value"]
) | st.text(max_size=12)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(field_names, inner, max_size=5),
    max_leaves=25,
)


@given(values)
@props(300)
def test_any_data_gives_a_case_or_located_problems(data: Any) -> None:
    case, problems = validate_case(YamlDoc("x.yaml", data))
    if case is None:
        _check_problems(problems, "x.yaml")
    else:
        assert problems == [] and isinstance(case, Case)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _paths(value, (*prefix, i))
    return found


def _replace(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[path[0]] = _replace(copy[path[0]], path[1:], value)
    return copy


GOOD_PATHS = _paths(GOOD)


@given(st.sampled_from(GOOD_PATHS), values)
@props(300)
def test_one_bad_field_of_a_good_case_is_located(path: tuple[Any, ...], value: Any) -> None:
    case, problems = validate_case(YamlDoc("x.yaml", _replace(GOOD, path, value), {(): 1}))
    if case is None:
        _check_problems(problems, "x.yaml")


@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8")))
@props(150)
def test_any_file_content_is_a_case_or_a_data_error(tmp_path: Path, content: bytes) -> None:
    folder = tmp_path / "cases"
    folder.mkdir(exist_ok=True)
    file = folder / "x.yaml"
    file.write_bytes(content)
    try:
        load_cases(folder)
    except DataError as exc:
        _check_problems(exc.problems, str(file))


@given(values)
@props(150)
def test_any_yaml_document_is_a_case_or_a_data_error(tmp_path: Path, data: Any) -> None:
    folder = tmp_path / "cases"
    folder.mkdir(exist_ok=True)
    file = folder / "x.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    try:
        load_cases(folder)
    except DataError as exc:
        _check_problems(exc.problems, str(file))


# valid cases, generated from the vocabularies

text = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cf")), min_size=3, max_size=40).filter(
    lambda s: len(s.strip()) >= 3
)
slug = st.from_regex(r"[a-z0-9]{2,12}(-[a-z0-9]{1,8}){0,3}", fullmatch=True).filter(
    lambda s: s not in {"con", "prn", "aux", "nul"} and not re.fullmatch(r"(com|lpt)[0-9]", s)
)


def unique(enum: Any, min_size: int = 0) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from([m.value for m in enum]), min_size=min_size, max_size=4, unique=True)


snapshot_st = st.fixed_dictionaries(
    {"attachment": st.sampled_from([a.value for a in Attachment]), "fte": st.floats(0, 500)},
    optional={"budget_eur": st.integers(0, 1_000_000_000)},
)
recommendation_st = st.fixed_dictionaries(
    {"kind": st.sampled_from([k.value for k in RecommendationKind]), "text": text},
    optional={
        "follow_up": st.fixed_dictionaries(
            {"status": st.sampled_from([s.value for s in FollowUpStatus])}, optional={"obstacle": text}
        )
    },
)
interview_st = st.fixed_dictionaries(
    {"date": st.dates(dt.date(2018, 1, 1), dt.date.today()), "role": text},
    optional={"interviewee": text, "notes": text},
)


@st.composite
def valid_cases(draw: st.DrawFn) -> dict[str, Any]:
    dcol = draw(st.sampled_from([1, 2, 3, 4, 5, "non_dcol"]))
    case: dict[str, Any] = {
        "id": draw(slug),
        "provenance": draw(st.sampled_from([p.value for p in Provenance])),
        "authority": {"name": draw(text), "tier": draw(st.sampled_from([t.value for t in Tier])), "fictional": True},
        "dcol_call": dcol,
        "strategy": {
            "ambition": draw(st.sampled_from([int(a) for a in Ambition])),
            "motivations": draw(unique(Motivation, 1)),
            "modalities": draw(unique(Modality, 1)),
            "themes": draw(unique(Theme)),
            "know_how_promotion": draw(st.booleans()),
        },
        "organisation": draw(st.fixed_dictionaries({}, optional={"before": snapshot_st, "recommended": snapshot_st})),
        "recommendations": draw(st.lists(recommendation_st, max_size=3)),
        "interviews": draw(st.lists(interview_st, max_size=2)),
    }
    if dcol != "non_dcol" or draw(st.booleans()):
        case["mission_kind"] = draw(st.sampled_from([m.value for m in MissionKind]))
    return case


@given(valid_cases())
@props(100)
def test_valid_generated_cases_always_load(tmp_path: Path, data: dict[str, Any]) -> None:
    folder = tmp_path / "cases"
    folder.mkdir(exist_ok=True)
    (folder / "x.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    case = load_cases(folder)[data["id"]]
    assert case.authority.name == data["authority"]["name"].strip()
    assert [r.text for r in case.recommendations] == [r["text"].strip() for r in data["recommendations"]]
    assert case.public().interviews == tuple(
        i.model_copy(update={"interviewee": None, "notes": None}) for i in case.interviews
    )


# ---------------------------------------------------------------------------------------------------------
# Markdown escaping of free text: pandoc reads back the literal text, as plain inlines only

FRAGMENTS = ["{{< fact n >}}", "<script>", "# ", "- ", "+ ", "1. ", "a) ", "---", "::: ", "[x](y)", "&amp;", "% "]
free_text = st.lists(
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=3)
    | st.text(st.sampled_from(list("\\`*_{}[]<>#|~^$@&!%:+-=.()'\"/ \n\t")), max_size=3)
    | st.sampled_from(FRAGMENTS),
    max_size=8,
).map("".join)
LITERAL_INLINES = {"Str", "Space", "SoftBreak"}


def _pandoc_inlines(markdown: str) -> list[dict[str, Any]]:
    """The inlines of a document holding one paragraph (fails on any other block)."""
    doc = json.loads(pypandoc.convert_text(markdown, "json", format="markdown-smart"))
    blocks = doc["blocks"]
    if not blocks:
        return []
    assert len(blocks) == 1 and blocks[0]["t"] in ("Para", "Plain"), blocks
    inlines: list[dict[str, Any]] = blocks[0]["c"]
    return inlines


def _normalised(s: str) -> str:
    return " ".join(s.split())


@given(free_text)
@props(50)
@example("+ liste")
@example("- liste")
@example("2019. une date en tête")
@example("a) énumération")
@example("% titre")
@example("---")
@example("<script>alert(1)</script> # Titre {.cls} {{< fact n >}} [x](javascript:y) &amp;")
def test_escaped_text_reads_back_literally(s: str) -> None:
    escaped = escape_md(s)
    assert "\n" not in escaped
    inlines = _pandoc_inlines(escaped)
    kinds = {i["t"] for i in inlines}
    assert kinds <= LITERAL_INLINES, (s, escaped, inlines)
    back = "".join(i["c"] if i["t"] == "Str" else " " for i in inlines)
    assert _normalised(back) == _normalised(s)
    plain = pypandoc.convert_text(escaped, "plain", format="markdown-smart", extra_args=["--wrap=none"])
    assert _normalised(plain) == _normalised(s)


@given(st.lists(free_text, min_size=1, max_size=3))
@props(20)
def test_a_table_of_free_text_stays_one_table_of_literal_cells(cells: list[str]) -> None:
    import pandas as pd

    frame = pd.DataFrame({"Texte": cells})
    doc = json.loads(pypandoc.convert_text(markdown_table(frame), "json", format="markdown-smart"))
    [table] = doc["blocks"]
    assert table["t"] == "Table"
    body = table["c"][4][0][3]  # the rows of the first table body
    assert len(body) == len(cells)
    for row, s in zip(body, cells, strict=True):
        [cell] = row[1]
        blocks = cell[4]
        inlines = blocks[0]["c"] if blocks else []
        assert {i["t"] for i in inlines} <= LITERAL_INLINES
        back = "".join(i["c"] if i["t"] == "Str" else " " for i in inlines)
        assert _normalised(back) == (_normalised(s) or "")


# ---------------------------------------------------------------------------------------------------------
# French number format: the text parses back to the (rounded) number


def _number(text: str, unit: str | None) -> str:
    """The number part of a formatted value: the unit and its separator removed."""
    if not unit:
        return text
    sep = NNBSP if unit == "%" else NBSP
    assert text.endswith(sep + unit), text
    return text[: -len(sep + unit)]


def _parse_fr(text: str, unit: str | None) -> Decimal:
    number = _number(text, unit)
    assert " " not in number and "." not in number and NBSP not in number
    return Decimal(number.replace(NNBSP, "").replace(",", "."))


units = st.none() | st.sampled_from(["%", "€", "ETP", "habitants"])


@given(st.integers(min_value=-(10**15), max_value=10**15), units)
@props(100)
def test_format_fr_integers_round_trip(value: int, unit: str | None) -> None:
    text = format_fr(value, unit)
    assert _parse_fr(text, unit) == value
    groups = _number(text, unit).split(NNBSP)
    assert (
        all(len(group) == 3 for group in groups[1:]) and 1 <= len(groups[0].lstrip("-")) <= 3
    )  # thousands grouped by three


@given(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
    st.none() | st.integers(0, 4),
    units,
)
def test_format_fr_floats_round_trip(value: float, decimals: int | None, unit: str | None) -> None:
    text = format_fr(value, unit, decimals)
    places = 1 if decimals is None else decimals
    expected = Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    parsed = _parse_fr(text, unit)
    assert parsed == expected
    assert abs(float(parsed) - value) <= 0.5 * 10**-places + 1e-9 * abs(value)
    number = _number(text, unit)
    if places:
        assert re.fullmatch(rf"-?\d{{1,3}}({NNBSP}\d{{3}})*,\d{{{places}}}", number), text
    else:
        assert "," not in number


@given(st.booleans())
@props(100)
def test_format_fr_booleans(value: bool) -> None:
    assert format_fr(value) == ("oui" if value else "non")


# ---------------------------------------------------------------------------------------------------------
# SDG progress: 0 at the baseline, 100 at the 2030 target, clipped, whatever the direction

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(finite, finite, finite)
@props(100)
def test_progress_is_normalised(baseline: float, target: float, current: float) -> None:
    assume(abs(target - baseline) > 1e-6)
    p = progress(baseline, target, current)
    assert 0.0 <= p.clipped <= 100.0
    assert p.distance == pytest.approx(100.0 - p.clipped)
    assert p.clipped == min(max(p.raw, 0.0), 100.0)
    assert progress(baseline, target, baseline).raw == 0.0
    assert progress(baseline, target, target).raw == 100.0
    expected = 100 * (current - baseline) / (target - baseline)
    assert math.isclose(p.raw, expected, rel_tol=1e-9, abs_tol=1e-9)


@given(finite, finite, finite, finite)
@props(100)
def test_progress_moves_with_the_indicator(baseline: float, target: float, a: float, b: float) -> None:
    assume(abs(target - baseline) > 1e-6)
    low, high = sorted((a, b))
    rising = target > baseline
    pa, pb = progress(baseline, target, low).raw, progress(baseline, target, high).raw
    assert (pa <= pb) if rising else (pa >= pb)


@given(finite, finite)
@props(100)
def test_progress_of_a_level_to_keep(level: float, current: float) -> None:
    p = progress(level, level, current)
    assert p.raw == (100.0 if current >= level else 0.0)


# -- the leak check's narrowed search finds exactly what a search of each value finds -------------------
_ALPHABET = st.sampled_from("ab cé-")


@settings(max_examples=300, deadline=None)
@given(
    hay=st.text(_ALPHABET, max_size=200),
    needles=st.lists(st.text(_ALPHABET, min_size=1, max_size=14), max_size=12),
)
def test_the_narrowed_leak_search_equals_the_direct_search(hay: str, needles: list[str]) -> None:
    direct = {n for n in needles if n in hay}
    assert confidential._contained(hay, needles) == direct  # small work: the direct search
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(confidential, "_DIRECT_WORK", -1)  # force the k-gram filter
        assert confidential._contained(hay, needles) == direct
