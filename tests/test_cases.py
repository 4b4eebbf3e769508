"""The case base: default data, the bad-input corpus (exact location and message), views."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cufstudy.cli import app
from cufstudy.core.errors import DataError
from cufstudy.model.cases import confidential_fields, load_cases
from cufstudy.model.vocab import Provenance, TierGroup

from .conftest import DATA, TEST_DATA

BAD = TEST_DATA / "bad_cases"

# file -> the exact problems reported (file:line: field: message), one per line
EXPECTED = {
    "01_broken_yaml.yaml": [
        "01_broken_yaml.yaml:16: YAML syntax error: while parsing a flow sequence, did not find expected ',' or ']'"
    ],
    "02_wrong_type.yaml": [
        "02_wrong_type.yaml:8: authority.population.value: got 'beaucoup': input should be a valid integer, unable to parse string as an integer"
    ],
    "03_unknown_tier_near_miss.yaml": [
        "03_unknown_tier_near_miss.yaml:5: authority.tier: got 'comune', expected one of: commune, communaute_communes, communaute_agglomeration, communaute_urbaine, metropole, etablissement_public_territorial, departement, region, collectivite_statut_particulier (did you mean 'commune'?)"
    ],
    "04_missing_required.yaml": ["04_missing_required.yaml:1: provenance: required field is missing"],
    "05_duplicate_key.yaml": [
        "05_duplicate_key.yaml:15: strategy.ambition: duplicate key 'ambition' (first defined on line 14)"
    ],
    "06_ambition_out_of_range.yaml": [
        "06_ambition_out_of_range.yaml:14: strategy.ambition: got 7, expected one of: 1, 2, 3, 4"
    ],
    "07_bad_country_code.yaml": [
        "07_bad_country_code.yaml:17: strategy.partner_countries: unknown country code 'FRA': expected ISO 3166-1 alpha-2 codes in capitals, e.g. 'BF', 'ML'"
    ],
    "08_unsafe_id.yaml": [
        "08_unsafe_id.yaml:1: id: '../x' is not a safe id: expected lowercase letters, digits and single hyphens, e.g. 'ville-angers'"
    ],
    "09_empty.yaml": ["09_empty.yaml:1: the file is empty; expected a YAML mapping"],
    "10_latin1.yaml": [
        "10_latin1.yaml:4: not valid UTF-8 (byte 0xe9 at offset 73; the file may be Latin-1 or Windows-1252): save it as UTF-8"
    ],
    "11_unknown_field_near_miss.yaml": [
        "11_unknown_field_near_miss.yaml:19: strategy.motivation: unknown field (did you mean 'motivations'?)"
    ],
    "12_bad_code_for_tier.yaml": [
        "12_bad_code_for_tier.yaml:6: authority.code: '4907' does not fit the tier 'commune': expected an INSEE commune code of 5 characters, e.g. '49007'"
    ],
    "13_bad_status.yaml": [
        "13_bad_status.yaml:25: recommendations[0].follow_up.status: got 'partial', expected one of: implemented, partly, not_started, abandoned (did you mean 'partly'?)"
    ],
    "14_bad_dcol_call.yaml": [
        "14_bad_dcol_call.yaml:11: dcol_call: expected a DCOL call number from 1 to 5, or 'non_dcol' for a comparison authority"
    ],
    "15_bad_date.yaml": ["15_bad_date.yaml:27: interviews[0].date: invalid value '2022-13-45': month must be in 1..12"],
    "16_not_a_mapping.yaml": ["16_not_a_mapping.yaml:1: expected a YAML mapping of fields, got list"],
    "17_utf16.yaml": ["17_utf16.yaml:1: the file is UTF-16 encoded; save it as UTF-8 (without BOM)"],
    "18_repeated_motivation.yaml": [
        "18_repeated_motivation.yaml:15: strategy.motivations: listed more than once: solidarity"
    ],
    "19_python_tag.yaml": [
        "19_python_tag.yaml:18: strategy.themes: YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed; use plain values"
    ],
    "20_lowercase_country.yaml": [
        "20_lowercase_country.yaml:17: strategy.partner_countries: unknown country code 'ml' (did you mean 'ML'?): expected ISO 3166-1 alpha-2 codes in capitals, e.g. 'BF', 'ML'"
    ],
    "21_reserved_id.yaml": ["21_reserved_id.yaml:1: id: 'con' is a reserved file name on Windows; choose another id"],
    "22_negative_fte.yaml": [
        "22_negative_fte.yaml:20: organisation.before.fte: got -1: input should be greater than or equal to 0"
    ],
    "23_two_problems.yaml": [
        "23_two_problems.yaml:6: authority.code: '49007' does not fit the tier 'region': expected an INSEE région code of 2 digits, e.g. '84'",
        "23_two_problems.yaml:14: strategy.ambition: got 0, expected one of: 1, 2, 3, 4",
    ],
}


def test_corpus_is_complete() -> None:
    assert sorted(p.name for p in BAD.glob("*.yaml")) == sorted(EXPECTED)
    assert len(EXPECTED) >= 15


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_is_located(name: str, tmp_path: Path) -> None:
    shutil.copy(BAD / name, tmp_path / name)
    before = (tmp_path / name).read_bytes()
    with pytest.raises(DataError) as info:
        load_cases(tmp_path)
    got = [str(p).replace(f"{tmp_path}/", "") for p in info.value.problems]
    assert got == EXPECTED[name]
    assert (tmp_path / name).read_bytes() == before  # the analyst's file is never touched


def test_all_problems_of_a_data_set_at_once(tmp_path: Path) -> None:
    for name in (
        "03_unknown_tier_near_miss.yaml",
        "06_ambition_out_of_range.yaml",
        "09_empty.yaml",
        "23_two_problems.yaml",
    ):
        shutil.copy(BAD / name, tmp_path / name)
    with pytest.raises(DataError) as info:
        load_cases(tmp_path)
    assert len(info.value.problems) == 5
    assert str(info.value).startswith("5 problems in 4 of 4 case files")


def test_duplicate_case_id_names_both_files(tmp_path: Path, good_case_text: str) -> None:
    (tmp_path / "a.yaml").write_text(good_case_text, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(good_case_text, encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_cases(tmp_path)
    [problem] = info.value.problems
    assert (
        str(problem) == f"{tmp_path}/b.yaml:1: id: duplicate case id 'ville-exemple': already used by {tmp_path}/a.yaml"
    )


def test_good_case_loads(tmp_path: Path, good_case_text: str) -> None:
    (tmp_path / "ok.yaml").write_text(good_case_text, encoding="utf-8")
    base = load_cases(tmp_path)
    case = base["ville-exemple"]
    assert case.authority.group is TierGroup.COMMUNE
    assert int(case.strategy.ambition) == 3
    assert case.recommendations[0].follow_up is not None
    assert case.recommendations[0].follow_up.obstacle == "Contraintes budgétaires"


def test_default_data_counts() -> None:
    base = load_cases(DATA)
    assert len(base) == 23
    roles = [c.role for c in base]
    assert roles.count("dcol") == 18
    assert roles.count("comparison") == 4
    assert roles.count("pilot") == 1  # the Aude SDG training-action
    assert all(c.provenance is Provenance.ILLUSTRATIVE for c in base)
    assert base.is_illustrative
    dcol_calls = sorted(c.dcol_call for c in base if c.is_dcol)
    assert dcol_calls == [1] * 3 + [2] * 3 + [3] * 4 + [4] * 7 + [5]


def test_default_data_uses_reference_populations() -> None:
    """Populations are the INSEE 2017 figures of data/collectivites, not invented ones."""
    import csv

    ref = {
        r["case_id"]: r for r in csv.DictReader((DATA / "collectivites" / "cases_reference.csv").open(encoding="utf-8"))
    }
    base = load_cases(DATA)
    for case in base:
        if case.authority.fictional:
            assert case.authority.population is None and case.authority.code is None
            continue
        row = ref[case.id]
        assert case.authority.population is not None
        assert case.authority.population.value == int(row["population"])
        assert case.authority.code == row["insee_code"]


def test_public_view_drops_confidential_fields() -> None:
    base = load_cases(DATA)
    assert confidential_fields() == ["interviews.interviewee", "interviews.notes"]
    secrets = base.confidential_values()
    assert secrets
    public = base.public()
    assert public.confidential_values() == []
    dump = "".join(c.model_dump_json() for c in public)
    assert not any(s in dump for s in secrets)
    assert len(public) == len(base)


def test_frames() -> None:
    base = load_cases(DATA)
    frame = base.frame
    assert len(frame) == 23
    assert set(frame["group"]) == {"commune", "epci", "departement", "region"}
    recs = base.recommendations_frame()
    assert len(recs) == sum(len(c.recommendations) for c in base)
    assert set(recs["status"].dropna()) <= {"implemented", "partly", "not_started", "abandoned"}


def test_cli_validate_default_data() -> None:
    result = CliRunner().invoke(app, ["validate", str(DATA)])
    assert result.exit_code == 0, result.output
    assert "23 valid cases" in result.output
    assert "by tier: 11 Communes, 5 Départements, 4 Intercommunalités, 3 Régions" in result.output
    assert "by provenance: 23 illustrative" in result.output


def test_cli_validate_bad_data_exits_1_without_traceback(tmp_path: Path) -> None:
    shutil.copy(BAD / "03_unknown_tier_near_miss.yaml", tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "cufstudy.cli", "validate", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "03_unknown_tier_near_miss.yaml:5: authority.tier" in proc.stderr
    assert "did you mean 'commune'?" in proc.stderr


def test_cli_help_on_every_command() -> None:
    runner = CliRunner()
    for command in ([], ["validate"], ["cases"]):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0
        assert "Usage" in result.output


# -- the validated-case cache -------------------------------------------------------------------------
def _project_with_cases(tmp_path: Path) -> Path:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "_quarto.yml").write_text("project: {}\n", encoding="utf-8")
    shutil.copytree(DATA / "cases", tmp_path / "data" / "cases")
    return tmp_path


def test_a_second_load_reads_the_validated_cases_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cufstudy.model.cases

    root = _project_with_cases(tmp_path)
    first = load_cases(root / "data")
    assert [p.name.startswith("cases-") for p in (root / "_build" / "cache").iterdir()] == [True]

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("the files were parsed again")

    monkeypatch.setattr(cufstudy.model.cases, "read_yaml", no_parsing)
    second = load_cases(root / "data")
    assert [c.model_dump() for c in second] == [c.model_dump() for c in first]
    assert second.source == first.source and second.frame.equals(first.frame)


def test_an_edited_case_misses_the_cache_and_a_bad_one_is_still_reported(tmp_path: Path) -> None:
    root = _project_with_cases(tmp_path)
    load_cases(root / "data")
    file = root / "data" / "cases" / "ville-angers.yaml"
    text = file.read_text(encoding="utf-8")
    assert "tier: commune" in text
    file.write_text(text.replace("tier: commune", "tier: comune"), encoding="utf-8")
    with pytest.raises(DataError, match=r"authority\.tier: got 'comune'"):
        load_cases(root / "data")
    file.write_text(text.replace('name: "Ville d\'Angers"', 'name: "Ville d\'Angers (modifié)"'), encoding="utf-8")
    assert load_cases(root / "data")["ville-angers"].authority.name == "Ville d'Angers (modifié)"
    assert len(list((root / "_build" / "cache").iterdir())) == 1  # the stale entry was removed


def test_no_cache_outside_a_project_or_when_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(DATA / "cases", tmp_path / "bare" / "cases")
    load_cases(tmp_path / "bare")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bare"]  # nothing written beside or in the data
    assert sorted(p.name for p in (tmp_path / "bare").iterdir()) == ["cases"]
    root = _project_with_cases(tmp_path / "p")
    monkeypatch.setenv("CUFSTUDY_NO_CASE_CACHE", "1")
    load_cases(root / "data")
    assert not (root / "_build").exists()


def test_a_validated_folder_is_summarised_without_loading_the_cases_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cufstudy.model.cases
    from cufstudy.model.cases import validate_cases

    root = _project_with_cases(tmp_path)
    base = load_cases(root / "data")
    first = validate_cases(root / "data")
    assert first.n_cases == len(base) == 23 and first.illustrative

    def no_loading(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cases were loaded again")

    monkeypatch.setattr(cufstudy.model.cases, "load_cases", no_loading)
    assert validate_cases(root / "data") == first
    monkeypatch.undo()
    file = root / "data" / "cases" / "ville-angers.yaml"
    text = file.read_text(encoding="utf-8")
    interviewee = next(line for line in text.splitlines() if "interviewee:" in line)
    file.write_text(
        text.replace(interviewee, '    interviewee: "Une autre personne (nom confidentiel)"'), encoding="utf-8"
    )
    changed = validate_cases(root / "data")  # another confidential value: another digest
    assert changed.n_cases == 23 and changed.confidential_digest != first.confidential_digest
    file.write_text(text.replace("tier: commune", "tier: comune"), encoding="utf-8")
    with pytest.raises(DataError, match=r"authority\.tier: got 'comune'"):
        validate_cases(root / "data")


def test_relative_and_absolute_paths_share_one_cache_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cufstudy.model.cases

    root = _project_with_cases(tmp_path)
    load_cases(root / "data")
    monkeypatch.chdir(root)

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("the files were parsed again")

    monkeypatch.setattr(cufstudy.model.cases, "read_yaml", no_parsing)
    relative = load_cases("data")
    assert relative.files["ville-angers"] == str(Path("data") / "cases" / "ville-angers.yaml")
    assert len(list((root / "_build" / "cache").glob("cases-*.pickle"))) == 1


def test_the_programme_launch_date_of_dcol_yaml_bounds_the_case_dates(tmp_path: Path, good_case_text: str) -> None:
    """One file, data/dcol.yaml, gives the programme's public facts and the date the case dates are checked
    against; a folder without it is checked against the start of 2018; a bad dcol.yaml is reported with the
    cases' problems."""
    from cufstudy.model.programme import DEFAULT_START, load_programme

    data = tmp_path / "data"
    (data / "cases").mkdir(parents=True)
    (data / "cases" / "ok.yaml").write_text(good_case_text, encoding="utf-8")  # interviewed on 2022-01-18
    assert DEFAULT_START.year == 2018 and len(load_cases(data)) == 1
    shutil.copy(DATA / "dcol.yaml", data / "dcol.yaml")
    shutil.copy(DATA / "references.bib", data / "references.bib")
    programme = load_programme(data)
    assert str(programme.launched) == "2018-09-01" and programme.missions == 26 and programme.calls == 5
    assert len(load_cases(data)) == 1
    text = (data / "dcol.yaml").read_text(encoding="utf-8")
    (data / "dcol.yaml").write_text(text.replace("launched: 2018-09-01", "launched: 2022-06-01"), encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_cases(data)
    [problem] = info.value.problems
    assert "interviews[0].date: 2022-01-18 is before the DCOL programme started (2022-06-01, see dcol.yaml)" in str(
        problem
    )
    (data / "dcol.yaml").write_text(text.replace("calls: 5", "calls: cinq"), encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_cases(data)
    [problem] = info.value.problems
    assert str(problem).startswith(f"{data / 'dcol.yaml'}:") and "calls" in str(problem)
