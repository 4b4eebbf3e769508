"""The typologies: expert rules (each rule kind, priority, fallback, reasons), strict YAML validation,
MCA + Ward clustering on a crafted data set with known clusters, and the comparison of the two."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cufstudy.core.errors import AnalysisError, CufstudyError, DataError, InsufficientDataError
from cufstudy.core.french import quote_fr
from cufstudy.model.cases import Case, load_cases
from cufstudy.model.vocab import Modality, Motivation, TierGroup
from cufstudy.study.typology import (
    MCA_VARIABLES,
    MIN_CASES,
    Rule,
    Typology,
    classify,
    classify_all,
    coded_table,
    compare,
    examples_by_type,
    load_typology,
    mca_hca,
)

from .conftest import DATA, TEST_DATA

TIER_OF_GROUP = {
    "commune": "commune",
    "epci": "metropole",
    "departement": "departement",
    "region": "region",
    "statut_particulier": "collectivite_statut_particulier",
}


def make_case(
    case_id: str = "cas-test",
    group: str = "commune",
    ambition: int = 3,
    motivations: tuple[str, ...] = ("solidarity",),
    modalities: tuple[str, ...] = ("twinning",),
    themes: tuple[str, ...] = (),
    know_how: bool = False,
) -> Case:
    return Case.model_validate(
        {
            "id": case_id,
            "provenance": "illustrative",
            "authority": {"name": f"Collectivité {case_id}", "tier": TIER_OF_GROUP[group], "fictional": True},
            "dcol_call": "non_dcol",
            "strategy": {
                "ambition": ambition,
                "motivations": list(motivations),
                "modalities": list(modalities),
                "themes": list(themes),
                "know_how_promotion": know_how,
            },
        }
    )


def rule(**conditions: Any) -> Rule:
    return Rule.model_validate({"name": "Règle de test", **conditions})


def write_typology(folder: Path, types: list[dict[str, Any]], fallback: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "typology.yaml").write_text(
        yaml.safe_dump({"fallback": fallback, "types": types}, allow_unicode=True), encoding="utf-8"
    )
    return folder


def a_type(type_id: str, priority: int, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": type_id,
        "name": f"Type {type_id}",
        "priority": priority,
        "description": "Une description de test suffisamment longue.",
        "source": "analyse de l'équipe",
        "rules": rules,
        "typical_actions": ["Agir"],
    }


@pytest.fixture(scope="module")
def typology() -> Typology:
    return load_typology(DATA)


# ---------------------------------------------------------------------------------------------------------
# rule kinds


@pytest.mark.parametrize(
    ("condition", "ambition", "expected"),
    [
        ({"min": 3}, 4, ("ambition 4 ≥ 3",)),
        ({"min": 3}, 2, None),
        ({"max": 1}, 1, ("ambition 1 ≤ 1",)),
        ({"max": 1}, 2, None),
        ({"min": 2, "max": 2}, 2, ("ambition 2 = 2",)),
        ({"min": 2, "max": 3}, 3, ("ambition 3 ≥ 2", "ambition 3 ≤ 3")),
        ({"in": [1, 4]}, 4, ("ambition 4 ∈ {1, 4}",)),
        ({"in": [1, 4]}, 3, None),
    ],
)
def test_ambition_condition(condition: dict[str, Any], ambition: int, expected: tuple[str, ...] | None) -> None:
    assert rule(ambition=condition).explain(make_case(ambition=ambition)) == expected


def test_tier_group_condition() -> None:
    r_in = rule(tier_group={"in": ["region", "departement"]})
    assert r_in.explain(make_case(group="region")) == ("tier_group region ∈ {region, departement}",)
    assert r_in.explain(make_case(group="commune")) is None
    r_out = rule(tier_group={"not_in": ["commune"]})
    assert r_out.explain(make_case(group="epci")) == ("tier_group epci ∉ {commune}",)
    assert r_out.explain(make_case(group="commune")) is None


def test_motivations_any_all_none() -> None:
    case = make_case(motivations=("attractiveness", "reciprocity"))
    any_ = rule(motivations={"any": ["attractiveness", "economic"]})
    assert any_.explain(case) == ("motivations ∩ {attractiveness, economic} = {attractiveness}",)
    assert rule(motivations={"any": ["economic"]}).explain(case) is None
    assert rule(motivations={"all": ["attractiveness", "reciprocity"]}).explain(case) == (
        "motivations ⊇ {attractiveness, reciprocity}",
    )
    assert rule(motivations={"all": ["attractiveness", "economic"]}).explain(case) is None
    assert rule(motivations={"none": ["solidarity"]}).explain(case) == ("motivations ∩ {solidarity} = ∅",)
    assert rule(motivations={"none": ["reciprocity"]}).explain(case) is None


def test_modalities_and_themes_conditions() -> None:
    case = make_case(modalities=("twinning", "eu_projects"), themes=("water_sanitation",))
    assert rule(modalities={"any": ["eu_projects"]}).explain(case) == ("modalities ∩ {eu_projects} = {eu_projects}",)
    assert rule(modalities={"none": ["twinning"]}).explain(case) is None
    assert rule(themes={"all": ["water_sanitation"]}).explain(case) == ("themes ⊇ {water_sanitation}",)
    assert rule(themes={"any": ["health"]}).explain(case) is None


def test_know_how_promotion_condition() -> None:
    assert rule(know_how_promotion=True).explain(make_case(know_how=True)) == ("know_how_promotion = true",)
    assert rule(know_how_promotion=True).explain(make_case(know_how=False)) is None
    assert rule(know_how_promotion=False).explain(make_case(know_how=False)) == ("know_how_promotion = false",)


def test_every_condition_of_a_rule_must_hold() -> None:
    r = rule(ambition={"min": 3}, tier_group={"in": ["region"]}, motivations={"any": ["economic"]})
    assert r.explain(make_case(group="region", ambition=4, motivations=("economic",))) is not None
    assert r.explain(make_case(group="commune", ambition=4, motivations=("economic",))) is None
    assert r.explain(make_case(group="region", ambition=2, motivations=("economic",))) is None
    assert r.explain(make_case(group="region", ambition=4, motivations=("solidarity",))) is None


def test_reasons_name_the_rule_and_the_conditions(tmp_path: Path) -> None:
    rules = [
        {
            "name": "Ambition et attractivité",
            "ambition": {"min": 3},
            "motivations": {"any": ["attractiveness", "economic"]},
        }
    ]
    typ = load_typology(write_typology(tmp_path, [a_type("haut", 1, rules), a_type("bas", 2, [])], fallback="bas"))
    got = classify(make_case(ambition=4, motivations=("attractiveness", "solidarity")), typ)
    assert (got.type_id, got.type_name, got.rule, got.is_fallback) == (
        "haut",
        "Type haut",
        "Ambition et attractivité",
        False,
    )
    assert got.reasons == (
        "règle « Ambition et attractivité » : ambition 4 ≥ 3; motivations ∩ {attractiveness, economic} = {attractiveness}",
    )


def test_a_type_matches_when_any_rule_matches_and_lists_every_matching_rule(tmp_path: Path) -> None:
    rules = [
        {"name": "Règle A", "ambition": {"min": 4}},
        {"name": "Règle B", "tier_group": {"in": ["region"]}},
        {"name": "Règle C", "know_how_promotion": True},
    ]
    typ = load_typology(write_typology(tmp_path, [a_type("tt", 1, rules), a_type("ff", 2, [])], fallback="ff"))
    only_b = classify(make_case(group="region", ambition=2), typ)
    assert (only_b.type_id, only_b.rule) == ("tt", "Règle B")
    both = classify(make_case(group="region", ambition=4), typ)
    assert both.reasons == ("règle « Règle A » : ambition 4 ≥ 4", "règle « Règle B » : tier_group region ∈ {region}")


def test_types_are_tried_in_priority_order_not_file_order(tmp_path: Path) -> None:
    types = [
        a_type("large", 2, [{"name": "Large", "ambition": {"min": 1}}]),
        a_type("strict", 1, [{"name": "Stricte", "ambition": {"min": 4}}]),
        a_type("defaut", 3, []),
    ]
    typ = load_typology(write_typology(tmp_path, types, fallback="defaut"))
    assert typ.ids == ("strict", "large", "defaut")
    assert classify(make_case(ambition=4), typ).type_id == "strict"
    assert classify(make_case(ambition=3), typ).type_id == "large"


def test_fallback_when_no_rule_matches(tmp_path: Path) -> None:
    types = [a_type("haut", 1, [{"name": "Haut", "ambition": {"min": 4}}]), a_type("defaut", 2, [])]
    typ = load_typology(write_typology(tmp_path, types, fallback="defaut"))
    got = classify(make_case(ambition=2, motivations=("reciprocity", "youth_mobility")), typ)
    assert (got.type_id, got.rule, got.is_fallback) == ("defaut", None, True)
    assert got.reasons == (
        "aucune règle ne s'applique (ambition 2; motivations {reciprocity, youth_mobility}; tier_group commune) : "
        "type par défaut « Type defaut »",
    )


def test_default_typology_rules(typology: Typology) -> None:
    assert typology.ids == ("influence", "integree", "solidarite", "jumelages")
    assert typology.fallback == "jumelages"
    assert classify(make_case(ambition=4, motivations=("solidarity",)), typology).type_id == "influence"
    region = make_case(group="region", ambition=3, motivations=("european_crossborder",))
    assert classify(region, typology).type_id == "influence"
    assert classify(make_case(ambition=3, motivations=("climate_sdg",)), typology).type_id == "integree"
    assert classify(make_case(ambition=2, motivations=("diasporas",)), typology).type_id == "solidarite"
    convention = make_case(ambition=1, motivations=("solidarity",), modalities=("one_percent",))
    assert classify(convention, typology).type_id == "solidarite"
    assert classify(make_case(ambition=1, motivations=("peace_memory",)), typology).type_id == "jumelages"
    assert classify(make_case(ambition=2, motivations=("reciprocity",)), typology).is_fallback


@settings(max_examples=60, deadline=None)
@given(
    ambition=st.integers(1, 4),
    group=st.sampled_from([g.value for g in TierGroup]),
    motivations=st.sets(st.sampled_from([m.value for m in Motivation]), min_size=1, max_size=4),
    modalities=st.sets(st.sampled_from([m.value for m in Modality]), min_size=1, max_size=3),
    know_how=st.booleans(),
)
def test_classification_is_the_first_matching_type_by_priority(
    ambition: int, group: str, motivations: set[str], modalities: set[str], know_how: bool
) -> None:
    typology = load_typology(DATA)
    case = make_case(
        group=group,
        ambition=ambition,
        motivations=tuple(sorted(motivations)),
        modalities=tuple(sorted(modalities)),
        know_how=know_how,
    )
    got = classify(case, typology)
    first = next((t.id for t in typology if any(r.explain(case) is not None for r in t.rules)), typology.fallback)
    assert got.type_id == first
    assert got.reasons and all(got.reasons)
    assert (ambition == 4) <= (got.type_id == "influence")


# ---------------------------------------------------------------------------------------------------------
# validation of the YAML file


def test_bad_typology_reports_every_problem_with_line_and_did_you_mean(tmp_path: Path) -> None:
    shutil.copy(TEST_DATA / "typology" / "bad_typology.yaml", tmp_path / "typology.yaml")
    shutil.copy(DATA / "references.bib", tmp_path / "references.bib")
    with pytest.raises(DataError) as info:
        load_typology(tmp_path)
    got = [f"{p.line}: {p.field}: {p.message}" for p in info.value.problems]
    assert got == [
        "2: fallback: 'jumelage' is not the id of a type; expected one of: influence, jumelages (did you mean 'jumelages'?)",
        "9: types[0].references[0]: unknown reference 'franceurbaine2012': not a key of references.bib (did you mean 'franceurbaine2021'?)",
        "13: types[0].rules[0].motivations.any[0]: got 'attractivness', expected one of: solidarity, reciprocity, attractiveness, economic, european_crossborder, climate_sdg, advocacy_networks, peace_memory, youth_mobility, diasporas (did you mean 'attractiveness'?)",
        "15: types[0].typical_organisations: no longer read: the organisation models suited to a strategy type are the decision aid's answer, computed from the fit scores of organisation.yaml; remove this key",
        "16: types[1].id: duplicate type id 'influence': already used by types[0]",
        "18: types[1].priority: priority 1 is already the priority of types[0]: priorities must be distinct so the order is unambiguous",
        "22: types[1].rules[0]: a rule needs at least one condition among: ambition, tier_group, motivations, modalities, themes, know_how_promotion",
        "24: types[1].rules[1].ambition: min (4) is greater than max (2): no case can match",
        "26: types[1].rules[2].tier: unknown field (did you mean 'tier_group'?)",
        "37: types[2].rules[0].tier_group.in[0]: got 'comune', expected one of: commune, epci, departement, region, statut_particulier (did you mean 'commune'?)",
    ]
    assert str(info.value).startswith(f"10 problems in {tmp_path / 'typology.yaml'}\n")
    assert all(p.file == str(tmp_path / "typology.yaml") for p in info.value.problems)


def test_a_data_folder_without_typology_uses_the_packaged_one(tmp_path: Path) -> None:
    """A project's typology.yaml replaces cufstudy's default; without one, the default is used."""
    from cufstudy.resources import packaged_root

    default = load_typology(tmp_path)
    assert default.file == str(packaged_root() / "data" / "typology.yaml")
    assert default.ids == ("influence", "integree", "solidarite", "jumelages")
    own = write_typology(tmp_path, [a_type("haut", 1, [{"name": "Très ambitieux", "ambition": {"min": 4}}]), a_type("bas", 2, [])], fallback="bas")
    assert load_typology(own).ids == ("haut", "bas")


def test_a_type_without_rules_must_be_the_fallback(tmp_path: Path) -> None:
    types = [a_type("vide", 1, []), a_type("defaut", 2, [])]
    with pytest.raises(DataError, match=r"typology.yaml:\d+: types\[0\].rules: a type without rules"):
        load_typology(write_typology(tmp_path, types, fallback="defaut"))


def test_missing_file_and_wrong_shape(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        load_typology(tmp_path / "typology.yaml")
    (tmp_path / "typology.yaml").write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(DataError, match="expected a YAML mapping, got list"):
        load_typology(tmp_path)


def test_default_typology_is_complete(typology: Typology) -> None:
    assert 4 <= len(typology) <= 5
    for stype in typology:
        assert stype.typical_actions and stype.description and stype.source and stype.typical_organisations is None
    assert "analyse de l'équipe" in (typology.note or "")
    frame = typology.to_frame()
    assert list(frame["id"]) == list(typology.ids)
    assert frame["fallback"].sum() == 1
    with pytest.raises(KeyError, match="unknown strategy type 'x'"):
        typology["x"]


# ---------------------------------------------------------------------------------------------------------
# MCA + Ward clustering on a crafted data set with known clusters

PROFILES: dict[str, dict[str, Any]] = {
    "A": {
        "group": "commune",
        "ambition": 1,
        "motivations": ["peace_memory", "youth_mobility"],
        "modalities": ["twinning"],
        "know_how_promotion": False,
        "attachment_before": "cabinet",
    },
    "B": {
        "group": "departement",
        "ambition": 2,
        "motivations": ["solidarity", "diasporas"],
        "modalities": ["decentralised_cooperation", "calls_for_projects"],
        "know_how_promotion": False,
        "attachment_before": "solidarity_culture_directorate",
    },
    "C": {
        "group": "region",
        "ambition": 4,
        "motivations": ["attractiveness", "economic", "european_crossborder"],
        "modalities": ["eu_projects", "economic_promotion", "networks"],
        "know_how_promotion": True,
        "attachment_before": "attractiveness_directorate",
    },
}
# noise shared across the profiles: case 1 of each adds climate_sdg, case 2 adds reciprocity
NOISE = {1: "climate_sdg", 2: "reciprocity"}


def crafted_frame() -> pd.DataFrame:
    rows = []
    for name, profile in PROFILES.items():
        for i in range(4):
            extra = [NOISE[i]] if i in NOISE else []
            rows.append({**profile, "id": f"{name.lower()}{i}", "motivations": profile["motivations"] + extra})
    return pd.DataFrame(rows)


TRUTH = [p for p in "ABC" for _ in range(4)]


def test_mca_hca_recovers_the_crafted_clusters() -> None:
    result = mca_hca(crafted_frame())
    assert (result.n_clusters, result.chosen_by) == (3, "largest gap")
    assert list(result.labels) == [1] * 4 + [2] * 4 + [3] * 4
    assert list(result.labels.index) == [f"{p}{i}" for p in "abc" for i in range(4)]
    assert compare(pd.Series(TRUTH, index=result.labels.index), result.labels).ari == 1.0
    assert result.sizes().to_dict() == {1: 4, 2: 4, 3: 4}


def test_mca_hca_outputs() -> None:
    result = mca_hca(crafted_frame(), n_components=4)
    assert result.coordinates.shape == (12, 4)
    assert list(result.coordinates.columns) == ["F1", "F2", "F3", "F4"]
    inertia = result.explained_inertia.to_numpy()
    assert np.all(np.diff(inertia) <= 1e-9) and 0 < inertia.sum() <= 100 + 1e-9
    assert result.linkage.shape == (11, 4)
    assert np.all(np.diff(result.linkage[:, 2]) >= -1e-12)  # Ward heights are monotone
    assert {"variable", "category", "label", "F1"} <= set(result.category_coordinates.columns)
    assert "tier_group=region" in result.category_coordinates.index
    factor_map = result.factor_map()
    assert list(factor_map.columns) == ["id", "F1", "F2", "cluster"]


def test_over_represented_categories_name_the_clusters() -> None:
    result = mca_hca(crafted_frame())
    top = result.over_represented.groupby("cluster").head(1)
    assert {(r.cluster, r.share_cluster) for r in top.itertuples()} == {(1, 1.0), (2, 1.0), (3, 1.0)}
    c = result.over_represented.query("cluster == 3 and variable == 'tier_group'").iloc[0]
    assert (c.category, c.n_in_cluster, c.n_overall, c.cluster_size) == ("region", 4, 4, 4)
    assert round(c.share_overall, 4) == 0.3333
    # Lebart's test-value: (4 - 4*4/12) / sqrt(4 * 8/11 * 1/3 * 2/3) = 2.6667 / 0.8040
    assert c.v_test == pytest.approx(3.3166, abs=1e-4)
    assert c.p_value == pytest.approx(1 / 495)  # one way in C(12, 4) to draw the 4 regions
    assert "Niveau : Régions" in result.class_profile(3, top=20)  # profile C: many categories tie at v = 3.32
    assert "Ambition 1 : Jumelages hérités" in result.class_profile(1)
    assert not any(label.endswith(": non") for label in result.class_profile(1, top=50))
    assert any(label.endswith(": non") for label in result.class_profile(1, top=50, absent=True))


def test_mca_hca_is_deterministic_with_a_seed() -> None:
    for engine in ("scipy", "sklearn"):
        first = mca_hca(crafted_frame(), random_state=7, engine=engine)
        second = mca_hca(crafted_frame(), random_state=7, engine=engine)
        pd.testing.assert_series_equal(first.labels, second.labels)
        pd.testing.assert_frame_equal(first.coordinates, second.coordinates)
        np.testing.assert_array_equal(first.linkage, second.linkage)
        pd.testing.assert_frame_equal(first.over_represented, second.over_represented)


def test_n_clusters_given_and_checked() -> None:
    result = mca_hca(crafted_frame(), n_clusters=2)
    assert (result.n_clusters, result.chosen_by, result.labels.nunique()) == (2, "given", 2)
    with pytest.raises(ValueError, match="n_clusters must be between 2 and the number of cases"):
        mca_hca(crafted_frame(), n_clusters=13)


def test_an_analysis_that_cannot_be_computed_is_a_cufstudy_error() -> None:
    with pytest.raises(AnalysisError, match=r"too few cases for a data-driven typology \(n = 2, at least 5 needed\)") as info:
        mca_hca(crafted_frame().head(2))
    assert isinstance(info.value, ValueError) and isinstance(info.value, CufstudyError)
    frame = crafted_frame()
    alike = pd.concat([frame.head(4), frame.head(1).assign(id="a9")])  # five cases coded alike
    with pytest.raises(AnalysisError, match="fewer than 2 informative variables remain"):
        mca_hca(alike)


@pytest.mark.parametrize("n", [1, 3, 4])
def test_too_few_cases_say_so_in_french(n: int) -> None:
    """What the deliverable prints instead of the data-driven typology (a study of a handful of cases)."""
    with pytest.raises(InsufficientDataError) as info:
        mca_hca(crafted_frame().head(n))
    assert str(info.value) == f"too few cases for a data-driven typology (n = {n}, at least {MIN_CASES} needed)"
    assert info.value.sentence == (
        f"Trop peu de cas pour une typologie issue des données (n\u00a0=\u00a0{n}\u202f; il en faut au moins 5)."
    )
    assert pickle.loads(pickle.dumps(info.value)).sentence == info.value.sentence


def test_cases_coded_alike_say_so_in_french() -> None:
    frame = crafted_frame()
    alike = pd.concat([frame.head(4), frame.head(1).assign(id="a9")])
    with pytest.raises(InsufficientDataError) as info:
        mca_hca(alike)
    assert info.value.sentence.startswith("Les 5 cas sont codés de façon trop semblable")


def test_rare_categories_are_left_out_or_passive() -> None:
    frame = crafted_frame()
    frame.loc[0, "modalities"] = ["twinning", "emergency_aid"]  # one case only: no axis of its own
    frame.loc[1, "attachment_before"] = "shared_service"
    result = mca_hca(frame)
    assert "modalities.emergency_aid" in result.excluded
    assert "modalities.emergency_aid" not in result.table.columns
    assert "modalities.one_percent" in result.excluded  # never chosen: a single category
    assert result.excluded["attachment_before=shared_service"].startswith("held by 1 case(s): passive")
    assert "attachment_before=shared_service" not in result.category_coordinates.index
    assert "shared_service" not in set(result.over_represented["category"])
    assert list(result.labels) == [1] * 4 + [2] * 4 + [3] * 4


def test_coded_table() -> None:
    frame = crafted_frame().set_index("id")
    table = coded_table(frame)
    assert list(table.index) == list(frame.index)
    assert table.loc["a1", "motivations.climate_sdg"] == "yes"
    assert table.loc["a0", "motivations.climate_sdg"] == "no"
    assert table.loc["c0", "ambition"] == "4"
    assert table.loc["c0", "know_how_promotion"] == "yes"
    assert table.shape[1] == 2 + len(Motivation) + len(Modality) + 2
    with pytest.raises(ValueError, match="unknown MCA variable"):
        coded_table(frame, ["tier"])
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['themes'\]"):
        coded_table(frame, [*MCA_VARIABLES, "themes"])
    frame.loc["a0", "motivations"] = ["solidarty"]
    with pytest.raises(ValueError, match=r"unknown motivations code\(s\) \['solidarty'\]"):
        coded_table(frame)


# ---------------------------------------------------------------------------------------------------------
# comparison


def test_identical_labelings_agree_perfectly() -> None:
    expert = pd.Series(["x", "x", "y", "y", "z"], index=list("abcde"))
    data = pd.Series([2, 1, 1, 3, 3], index=list("edcba"))  # aligned on the ids, not by position
    result = compare(expert, data)
    assert result.ari == 1.0
    assert result.contingency.shape == (3, 3)
    assert result.disagreements.empty
    assert result.n_cases == 5


def test_disagreements_and_contingency() -> None:
    expert = pd.Series(["x", "x", "x", "y", "y", "y"], index=[f"c{i}" for i in range(6)])
    data = pd.Series([1, 1, 1, 1, 2, 2], index=[f"c{i}" for i in range(6)])
    result = compare(expert, data)
    assert result.contingency.to_dict() == {1: {"x": 3, "y": 1}, 2: {"x": 0, "y": 2}}
    assert result.majority == {1: ("x",), 2: ("y",)}
    assert result.disagreements.to_dict("records") == [
        {"id": "c3", "expert": "y", "cluster": 1, "cluster_majority": "x"}
    ]
    assert 0 < result.ari < 1


def test_ties_in_the_majority_are_not_disagreements() -> None:
    result = compare(["x", "y", "x"], [1, 1, 2])
    assert result.majority == {1: ("x", "y"), 2: ("x",)}
    assert result.disagreements.empty


def test_compare_checks_its_inputs() -> None:
    with pytest.raises(ValueError, match="same cases"):
        compare(pd.Series([1, 2], index=["a", "b"]), pd.Series([1, 2], index=["a", "c"]))
    with pytest.raises(ValueError, match="differ in length"):
        compare([1, 2, 3], [1, 2])


# ---------------------------------------------------------------------------------------------------------
# the default data set


def test_default_data_classifies_every_case_and_runs_the_mca(typology: Typology) -> None:
    base = load_cases(DATA)
    classified = classify_all(base, typology)
    assert list(classified["id"]) == [c.id for c in base]
    assert list(classified.columns) == ["id", "group", "type_id", "type_name", "rule", "reasons"]
    assert set(classified["type_id"]) <= set(typology.ids)
    assert classified["reasons"].str.len().min() > 0
    result = mca_hca(base)
    assert len(result.labels) == len(base)
    assert 2 <= result.n_clusters <= 8
    assert result.coordinates.notna().all().all()
    comparison = compare(classified["type_id"], result.labels)
    assert comparison.n_cases == len(base)
    assert -1 <= comparison.ari <= 1


def test_examples_by_type_are_bounded_and_spread_over_the_tiers() -> None:
    frame = pd.DataFrame(
        {"nom": [f"C{n:02d}" for n in range(12)], "group": ["commune"] * 8 + ["region"] * 3 + ["epci"]},
        index=[f"c{n}" for n in range(12)],
    )
    classes = pd.DataFrame(
        {"type_id": ["a"] * 11 + ["b"], "type_name": ["Type A"] * 11 + ["Type B"]}, index=frame.index
    )
    out = examples_by_type(classes, frame, per_type=4)
    a = out[out["type_id"] == "a"]
    assert len(a) == 4 and set(a["n_type"]) == {11}
    # turns over the tier groups (commune, epci, region), alphabetical inside each: C00, C08, C01, C09
    assert sorted(a.index) == ["c0", "c1", "c8", "c9"]
    assert list(out[out["type_id"] == "b"].index) == ["c11"]  # a type with fewer cases shows them all
    assert list(out["type_name"]) == ["Type A"] * 4 + ["Type B"]
    with pytest.raises(ValueError, match="per_type must be at least 1"):
        examples_by_type(classes, frame, per_type=0)


# --- the rules and the comparison, printed from the data -------------------------------------------------


def test_every_rule_is_printed_in_french_with_every_condition(typology: Typology) -> None:
    from cufstudy.study.typology import rules_note, rules_table

    table = rules_table(typology)
    n_rules = sum(len(t.rules) for t in typology)
    assert len(table) == n_rules + 1  # and the fallback's row
    assert list(dict.fromkeys(table["Type"])) == [t.name for t in typology]
    conditions = dict(zip(table["Règle"], table["Conditions (toutes requises)"], strict=True))
    assert conditions["Ambition de diplomatie territoriale"] == "ambition d'au moins 4"
    assert conditions["Coopération structurée à visée solidaire"] == (
        "ambition égale à 2 ; au moins une motivation parmi "
        + f"{quote_fr('solidarité et développement')} ou {quote_fr('diasporas')}"
    )
    influence = conditions["Région ou collectivité à statut particulier tournée vers l'influence"]
    assert "niveau : régions ou collectivités à statut particulier" in influence
    assert conditions["Rayonnement économique et valorisation des savoir-faire"].endswith("; valorisation des savoir-faire locaux")
    assert table.iloc[-1]["Règle"] == "Type par défaut" and table.iloc[-1]["Type"] == typology[typology.fallback].name
    assert f"« {typology[typology.fallback].name} »" in rules_note(typology)


def test_a_reader_recomputes_the_expert_type_from_the_printed_rules(typology: Typology) -> None:
    """The printed order and rules give the type classify gives: the first type, in the table's order, with a
    matching rule (checked on the cases' own coding)."""
    base = load_cases(DATA).population("dcol")
    for case in base:
        first = next((t for t in typology if any(r.explain(case) is not None for r in t.rules)), None)
        expected = first.id if first is not None else typology.fallback
        assert classify(case, typology).type_id == expected


def test_the_data_classes_are_named_from_their_over_represented_categories() -> None:
    from cufstudy.study._mca import V_TEST_THRESHOLD

    frame = load_cases(DATA).population("dcol").frame
    result = mca_hca(frame, random_state=0, min_clusters=3)
    names = result.class_names()
    assert set(names) == set(result.sizes().index)
    for k, name in names.items():
        rows = result.over_represented[(result.over_represented["cluster"] == k) & (result.over_represented["category"] != "no")]
        assert name and not name.startswith("Classe")
        if (rows["v_test"] >= V_TEST_THRESHOLD).any():
            assert "tendance" not in name
    assert len(set(names.values())) == len(names)  # every class has its own name


def test_the_comparison_is_told_in_french_and_names_the_cases_only_when_asked(typology: Typology) -> None:
    from cufstudy.study.typology import describe_comparison

    base = load_cases(DATA).population("dcol")
    classes = classify_all(base, typology)
    result = mca_hca(base.frame, random_state=0, min_clusters=3)
    comparison = compare(classes["type_id"], result.labels)
    public = describe_comparison(comparison, result, typology, noun="mission")
    names = dict(zip(base.frame["id"], base.frame["nom"], strict=True))
    internal = describe_comparison(comparison, result, typology, names, noun="mission")
    assert len(public) >= result.n_clusters and internal[: len(public)] == public
    for k in result.sizes().index:
        assert any(s.startswith(f"La classe {k} « {result.class_name(int(k))} »") for s in public)
    assert not any(name in " ".join(public) for name in names.values())  # no case named
    moved = comparison.disagreements
    if len(moved):
        last = internal[-1]
        assert all(names[i] in last for i in moved["id"])
    for text in internal:
        assert text[0].isupper() and text.endswith(".") and not text[0].isdigit()
