"""The problems toolkit: one record with a reason code, one collector, one translator of pydantic errors worded
the same in every file, one base class for the errors that carry problems, and lookups that fail with a
located ``CufstudyError``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, ValidationError

from cufstudy.core.bibliography import bib_keys
from cufstudy.core.errors import (
    CufstudyError,
    DataError,
    NotFoundError,
    PlanError,
    Problem,
    ProblemError,
    Problems,
    Reason,
    RenderError,
    SourceError,
)
from cufstudy.core.problems import did_you_mean, field_names, path_str, validation_issues
from cufstudy.model.cases import Case, load_cases
from cufstudy.resources import packaged_root
from cufstudy.sdg.framework import load_framework
from cufstudy.sdg.partnerships import load_partnership
from cufstudy.study.organisation_models import load_organisations, rank_models
from cufstudy.study.typology import load_typology

from .conftest import DATA, TEST_DATA

BAD = TEST_DATA / "bad_cases"


def _replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _data_copy(tmp_path: Path, *names: str) -> Path:
    """Copy files of the project's data (or of the reference data packaged with cufstudy, ``sdg``)."""
    for name in names:
        source = DATA / name if (DATA / name).exists() else packaged_root() / "data" / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name)
        else:
            shutil.copy(source, tmp_path / name)
    return tmp_path


def _unknown_field(problems: tuple[Problem, ...]) -> Problem:
    [problem] = [p for p in problems if p.reason is Reason.UNKNOWN_FIELD]
    return problem


# --- one wording for a misspelt field in every file ---------------------------------------------------


def test_misspelt_key_in_organisation_yaml_reads_as_in_a_case_file(tmp_path: Path) -> None:
    _data_copy(tmp_path, "organisation.yaml", "references.bib")
    _replace_once(tmp_path / "organisation.yaml", "    description: >-", "    descriptoin: >-")
    with pytest.raises(DataError) as info:
        load_organisations(tmp_path)
    problem = _unknown_field(info.value.problems)
    line = (tmp_path / "organisation.yaml").read_text(encoding="utf-8").splitlines().index("    descriptoin: >-") + 1
    assert (problem.line, problem.field) == (line, "models[0].descriptoin")
    assert problem.message == "unknown field (did you mean 'description'?)"  # was "Extra inputs are not permitted"
    missing = [p for p in info.value.problems if p.reason is Reason.MISSING_FIELD]
    assert [(p.field, p.message) for p in missing] == [("models[0].description", "required field is missing")]


def test_misspelt_key_in_typology_yaml_reads_as_in_a_case_file(tmp_path: Path) -> None:
    _data_copy(tmp_path, "typology.yaml", "references.bib")
    _replace_once(tmp_path / "typology.yaml", "    description: >-", "    descripton: >-")
    with pytest.raises(DataError) as info:
        load_typology(tmp_path)
    problem = _unknown_field(info.value.problems)
    line = (tmp_path / "typology.yaml").read_text(encoding="utf-8").splitlines().index("    descripton: >-") + 1
    assert (problem.line, problem.field) == (line, "types[0].descripton")
    assert problem.message == "unknown field (did you mean 'description'?)"


def test_misspelt_key_in_a_partnership_and_a_case_reads_the_same(tmp_path: Path, good_case_text: str) -> None:
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "ville-d-aix.yaml").write_text(
        good_case_text.replace("  themes:", "  themse:"), encoding="utf-8"
    )
    with pytest.raises(DataError) as info:
        load_cases(tmp_path)
    assert _unknown_field(info.value.problems).message == "unknown field (did you mean 'themes'?)"

    target = tmp_path / "aude-hauts-bassins.yaml"
    shutil.copy(DATA / "partnerships" / "aude-hauts-bassins.yaml", target)
    _replace_once(target, "    themes:", "    themse:")
    with pytest.raises(DataError) as info:
        load_partnership(target, load_framework(DATA))
    problem = _unknown_field(info.value.problems)
    assert problem.field is not None and problem.field.endswith(".themse")
    assert problem.message == "unknown field (did you mean 'themes'?)"


def test_the_suggestion_comes_from_the_keys_allowed_where_the_key_stands() -> None:
    class Seat(BaseModel):
        model_config = ConfigDict(extra="forbid")
        longitude: float

    class Place(BaseModel):
        model_config = ConfigDict(extra="forbid")
        name: str
        seat: Seat

    with pytest.raises(ValidationError) as info:
        Place.model_validate({"name": "Ville d'Aix-en-Provence", "seat": {"longitude": 5.45, "nme": "Aix"}})
    [issue] = validation_issues(info.value, Place)
    # "name" is a key of Place, not of the seat: nothing to suggest there
    assert (issue.path, issue.reason, issue.message, issue.suggestion) == (
        ("seat", "nme"),
        Reason.UNKNOWN_FIELD,
        "unknown field",
        None,
    )
    assert field_names(Place) == {"name", "seat", "longitude"}


def test_a_field_whose_name_starts_like_a_type_keeps_its_place(tmp_path: Path, good_case_text: str) -> None:
    # "interviews" starts with "int", a schema tag pydantic adds to union errors: it is a field all the same
    (tmp_path / "ville-d-aix.yaml").write_text(
        good_case_text.replace('    role: "Directrice des relations internationales"\n', ""), encoding="utf-8"
    )
    with pytest.raises(DataError) as info:
        load_cases(tmp_path)
    [problem] = info.value.problems
    assert (problem.field, problem.message, problem.reason) == (
        "interviews[0].role",
        "required field is missing",
        Reason.MISSING_FIELD,
    )


# --- reason codes ----------------------------------------------------------------------------------------

REASONS = {
    "01_broken_yaml.yaml": Reason.UNREADABLE,
    "02_wrong_type.yaml": Reason.WRONG_TYPE,
    "03_unknown_tier_near_miss.yaml": Reason.NOT_IN_VOCABULARY,
    "04_missing_required.yaml": Reason.MISSING_FIELD,
    "05_duplicate_key.yaml": Reason.DUPLICATE,
    "06_ambition_out_of_range.yaml": Reason.NOT_IN_VOCABULARY,  # ambition is a coded scale, 1 to 4
    "08_unsafe_id.yaml": Reason.INVALID_VALUE,
    "09_empty.yaml": Reason.UNREADABLE,
    "10_latin1.yaml": Reason.UNREADABLE,
    "11_unknown_field_near_miss.yaml": Reason.UNKNOWN_FIELD,
    "16_not_a_mapping.yaml": Reason.WRONG_TYPE,
    "19_python_tag.yaml": Reason.UNSUPPORTED,
    "22_negative_fte.yaml": Reason.OUT_OF_RANGE,
}


@pytest.mark.parametrize("name", sorted(REASONS))
def test_every_problem_of_the_bad_case_corpus_has_its_reason(name: str, tmp_path: Path) -> None:
    shutil.copy(BAD / name, tmp_path / name)
    with pytest.raises(DataError) as info:
        load_cases(tmp_path)
    assert [p.reason for p in info.value.problems] == [REASONS[name]]


def test_cross_checks_have_their_reasons(tmp_path: Path, good_case_text: str) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(good_case_text, encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_cases(tmp_path)
    assert [p.reason for p in info.value.problems] == [Reason.DUPLICATE]

    _data_copy(tmp_path, "organisation.yaml", "references.bib")
    _replace_once(tmp_path / "organisation.yaml", "source: franceurbaine2021", "source: franceurbaine2012")
    with pytest.raises(DataError) as info:
        load_organisations(tmp_path)
    assert [p.reason for p in info.value.problems] == [Reason.UNKNOWN_REFERENCE]


def test_a_bad_row_of_the_sdg_framework_is_located_by_line_and_column(tmp_path: Path) -> None:
    _data_copy(tmp_path, "sdg")
    _replace_once(tmp_path / "sdg" / "sdg_targets.csv", "\n1.1,1,", "\n1.x.1,1,")
    load_framework.cache_clear()
    with pytest.raises(DataError) as info:
        load_framework(tmp_path)
    [problem] = info.value.problems
    assert (problem.line, problem.field, problem.reason) == (2, "target", Reason.INVALID_VALUE)
    assert problem.message.startswith("got '1.x.1': string should match pattern")


def test_a_renamed_column_of_the_sdg_framework_is_a_located_error(tmp_path: Path) -> None:
    _data_copy(tmp_path, "sdg")
    _replace_once(tmp_path / "sdg" / "sdg_goals.csv", "title_fr", "titre")
    load_framework.cache_clear()
    with pytest.raises(DataError) as info:
        load_framework(tmp_path)
    [problem] = info.value.problems
    assert (problem.line, problem.reason) == (1, Reason.MISSING_FIELD)
    assert problem.message == "missing column(s) title_fr: the header row must not be changed"


# --- one base for the errors that carry problems, one collector ---------------------------------------


def test_data_plan_and_source_errors_share_one_base() -> None:
    problem = Problem("reports/guide/index.qmd", "unknown fact 'n_case'", 12, "n_case", Reason.UNKNOWN_REFERENCE)
    for cls in (DataError, PlanError, SourceError):
        error = cls([problem, problem])
        assert isinstance(error, ProblemError) and isinstance(error, CufstudyError)
        assert error.problems == (problem,)  # listed once
    assert isinstance(SourceError([problem]), RenderError)
    assert str(SourceError([problem])) == (
        "1 render problem found\n  reports/guide/index.qmd:12: n_case: unknown fact 'n_case'"
    )
    assert str(DataError([problem], summary="1 problem in the guide")).startswith("1 problem in the guide\n")


def test_the_collector_raises_everything_at_once_sorted_by_file_and_line() -> None:
    problems = Problems(DataError)
    problems.raise_if_any()  # nothing collected: nothing raised
    problems.add("cases/zébulon.yaml", "required field is missing", 9, "provenance", Reason.MISSING_FIELD)
    problems.append(Problem("cases/aix-en-provence.yaml", "listed more than once: solidarity", 15))
    with pytest.raises(DataError) as info:
        problems.raise_if_any("2 problems in 2 case files")
    assert [p.file for p in info.value.problems] == ["cases/aix-en-provence.yaml", "cases/zébulon.yaml"]
    assert info.value.summary == "2 problems in 2 case files"


def test_wording_helpers() -> None:
    assert did_you_mean("regoin", ["commune", "region"]) == " (did you mean 'region'?)"
    assert did_you_mean("xyz", ["commune", "region"]) == ""
    assert path_str(("recommendations", 2, "follow_up", "status")) == "recommendations[2].follow_up.status"
    assert path_str(("strategy", "d'Aix")) == 'strategy["d\'Aix"]'


def test_bib_keys_reads_entries_only(tmp_path: Path) -> None:
    bib = tmp_path / "references.bib"
    bib.write_text(
        "@comment{ignored, not an entry}\n"
        '@string{cuf = "Cités Unies France"}\n'
        "@report{franceurbaine2021,\n  title = {Diplomatie des villes, voir @book{faux, }},\n}\n"
        "  @Book{ oecd2020 ,\n  title = {A territorial approach to the SDGs},\n}\n",
        encoding="utf-8",
    )
    assert bib_keys(bib) == {"franceurbaine2021", "oecd2020"}
    assert bib_keys(tmp_path / "absent.bib") is None
    assert {"franceurbaine2021", "cuf2022"} <= (bib_keys(DATA / "references.bib") or set())


# --- lookups: a CufstudyError that is still a KeyError -------------------------------------------------


def test_unknown_names_raise_a_not_found_error_that_is_a_key_error() -> None:
    typology = load_typology(DATA)
    with pytest.raises(NotFoundError) as info:
        typology["influnce"]
    assert isinstance(info.value, KeyError) and isinstance(info.value, CufstudyError)
    assert str(info.value).startswith("unknown strategy type 'influnce' (did you mean 'influence'?); expected one of")

    with pytest.raises(NotFoundError, match=r"unknown strategy type 'integre' \(did you mean 'integree'\?\)"):
        rank_models(load_organisations(DATA), "integre", "commune")
    with pytest.raises(NotFoundError, match=r"no organisation model 'cabinett' \(did you mean 'cabinet'\?\)"):
        load_organisations(DATA).model("cabinett")

    framework = load_framework(DATA)
    with pytest.raises(KeyError, match=r"no SDG goal, target or indicator '6.1.9' \(did you mean '6.1.1'\?\)"):
        framework.get("6.1.9")
    with pytest.raises(NotFoundError, match=r"no SDG target '6.9'"):
        framework.target("6.9")

    base = load_cases(DATA)
    with pytest.raises(NotFoundError, match=r"no case 'ville-d-angers' in .* \(did you mean 'ville-angers'\?\)"):
        base["ville-d-angers"]


# --- properties --------------------------------------------------------------------------------------------

_CASE = yaml.safe_load((TEST_DATA / "good_case.yaml").read_text(encoding="utf-8"))
_JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None)
@given(key=st.one_of(st.sampled_from(["int", "str", "themse", "Strategy", "id "]), st.text(min_size=1, max_size=20)))
def test_any_unknown_key_is_one_problem_at_that_key(key: str) -> None:
    assume(key not in Case.model_fields)
    with pytest.raises(ValidationError) as info:
        Case.model_validate({**_CASE, key: 1})
    [issue] = validation_issues(info.value, Case)
    assert (issue.path, issue.reason) == ((key,), Reason.UNKNOWN_FIELD)
    assert issue.message.startswith("unknown field")


@settings(max_examples=80, deadline=None)
@given(
    field=st.sampled_from(["dcol_call", "strategy", "organisation", "recommendations", "interviews", "authority"]),
    value=_JUNK,
)
def test_any_bad_value_is_worded_and_located_inside_its_field(field: str, value: object) -> None:
    try:
        Case.model_validate({**_CASE, field: value})
    except ValidationError as exc:
        issues = validation_issues(exc, Case)
        assert issues
        for issue in issues:
            assert issue.path[:1] == (field,)
            assert isinstance(issue.reason, Reason) and issue.message
