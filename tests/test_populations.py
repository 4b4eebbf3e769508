"""Analysis populations (cufstudy.model.populations): declared by each case file's dcol_call and mission_kind,
named once, and the base every figure states ("n = 18 missions DCOL")."""

from __future__ import annotations

from pathlib import Path

import pytest

from cufstudy.core.errors import NotFoundError
from cufstudy.core.french import NBSP
from cufstudy.model.cases import FRAME_COLUMNS, CaseBase, load_cases
from cufstudy.model.populations import POPULATIONS, PopulationKey, population

from .conftest import DATA

# the strategy missions named by the terms of reference (seed 000)
TERMS_OF_REFERENCE = 18


def test_the_default_data_has_the_populations_of_the_terms_of_reference() -> None:
    base = load_cases(DATA)
    dcol = base.population("dcol")
    assert len(dcol) == TERMS_OF_REFERENCE
    assert all(c.is_dcol and c.mission_kind is not None and c.mission_kind.value == "strategy" for c in dcol)
    assert [c.id for c in base.population("pilot")] == ["cd-aude"]
    comparison = base.population("comparison")
    assert len(comparison) == 4 and all(c.authority.fictional for c in comparison)
    # every case belongs to exactly one population, and the frame says which
    frame = base.frame
    assert frame["analysis_population"].value_counts().to_dict() == {"dcol": 18, "comparison": 4, "pilot": 1}
    assert sum(len(base.population(k)) for k in POPULATIONS) == len(base)


def test_membership_follows_the_case_file(tmp_path: Path, good_case_text: str) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "a.yaml").write_text(good_case_text, encoding="utf-8")
    (folder / "b.yaml").write_text(
        good_case_text.replace("id: ville-exemple", "id: ville-projet").replace("mission_kind: strategy", "mission_kind: project"),
        encoding="utf-8",
    )
    base = load_cases(tmp_path)
    assert [c.id for c in base.population("dcol")] == ["ville-exemple"]  # a project mission is not a strategy one
    assert base["ville-projet"].analysis_population is None
    assert base.frame.loc["ville-projet", "analysis_population"] is None or base.frame["analysis_population"].isna()["ville-projet"]


def test_a_population_states_its_base() -> None:
    dcol = population("dcol")
    assert dcol.base(18) == f"n{NBSP}={NBSP}18 missions DCOL"
    assert dcol.phrase(18) == "18 missions DCOL" and dcol.phrase(5) == "cinq missions DCOL"
    assert population(PopulationKey.COMPARISON).phrase(4) == "quatre collectivités de comparaison"
    assert population("pilot").phrase(1) == "une collectivité pilote ODD"
    with pytest.raises(NotFoundError, match=r"unknown population 'dcl' \(did you mean 'dcol'\?\)"):
        population("dcl")


def test_an_empty_population_keeps_the_frame_columns() -> None:
    empty = CaseBase([], DATA)
    assert tuple(empty.frame.columns) == FRAME_COLUMNS
    assert tuple(load_cases(DATA).frame.columns) == FRAME_COLUMNS  # the rows and the constant agree


def test_the_notebook_context_gives_each_population_with_its_base() -> None:
    from cufstudy.notebook import setup

    study = setup(DATA)
    assert study.dcol.n == TERMS_OF_REFERENCE and len(study.dcol.frame) == TERMS_OF_REFERENCE
    assert set(study.dcol.recs["case"]) <= set(study.dcol.frame["id"])
    assert study.dcol.base_text == f"n{NBSP}={NBSP}18 missions DCOL"
    assert study.dcol.recs_base_text.startswith(f"n{NBSP}={NBSP}{len(study.dcol.recs)} recommandations de 18 missions")
    assert study.comparison.phrase == "quatre collectivités de comparaison"
