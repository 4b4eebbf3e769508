"""The SDG framework: counts from the UN framework, repeats, search."""

from __future__ import annotations

from cufstudy.sdg.framework import Indicator, Target, load_framework

from .conftest import DATA


def test_counts() -> None:
    fw = load_framework(DATA)
    assert len(fw.goals) == 17
    assert len(fw.targets) == 169
    assert len(fw.indicators) == 251
    assert len(fw.unique_indicators) == 234
    assert sum(1 for i in fw.indicators if not i.added_2025_review and not i.is_repeat) == 231


def test_every_target_has_an_indicator_and_goal_codes_match() -> None:
    fw = load_framework(DATA)
    with_indicators = {i.target for i in fw.indicators}
    assert {t.code for t in fw.targets} == with_indicators
    assert all(t.code.split(".")[0] == str(t.goal) for t in fw.targets)


def test_lookup_and_search() -> None:
    fw = load_framework(DATA)
    target = fw.get("6.1")
    assert isinstance(target, Target) and target.goal == 6
    ind = fw.get("1.5.1")
    assert isinstance(ind, Indicator)
    assert fw.get("13.1.1").repeat_of == "1.5.1"  # type: ignore[union-attr]
    codes = [x.code for x in fw.search("eau potable")]
    assert "6.1" in codes
    assert [x.code for x in fw.search("EAU   POTABLE")] == codes  # case and spacing ignored
    assert fw.search("écoles") == fw.search("ecoles")  # accents ignored
    assert fw.goal(17).title_fr == "Partenariats pour la réalisation des objectifs"
