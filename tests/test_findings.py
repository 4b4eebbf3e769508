"""The written findings (cufstudy.study.findings) follow the data: removing or editing cases changes them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from scipy.stats import fisher_exact

from cufstudy.model.cases import load_cases
from cufstudy.notebook import setup
from cufstudy.study import findings
from cufstudy.study.findings import Findings, Rules, Section

from .conftest import DATA


def _copy_data(tmp_path: Path) -> Path:
    dest = tmp_path / "data"
    shutil.copytree(DATA, dest)
    return dest


def _found(data: Path, rules: Rules | None = None) -> Findings:
    study = setup(data)
    dcol = study.dcol
    return findings.find_all(
        dcol.frame, dcol.recs, study.classes, study.typology.names, rules, fallback=study.typology.fallback
    )


@pytest.fixture(scope="module")
def default() -> Findings:
    return _found(DATA)


def _texts(found: Findings) -> dict[str, str]:
    return {f.key: f.text for f in found}


def test_every_section_has_findings_written_as_french_sentences(default: Findings) -> None:
    for section in Section:
        assert default.section(section), section
    for f in default:
        assert f.text[0].isupper() and f.text.endswith("."), f.text
        assert not re.match(r"^\d", f.text), f.text  # no sentence starts with digits
        assert "nan" not in f.text.split() and "None" not in f.text, f.text
        assert f.base, f.key
    assert len({f.key for f in default}) == len(default)  # stable, unique keys


def test_findings_state_the_figures_of_the_data(default: Findings) -> None:
    base = load_cases(DATA).population("dcol")
    recs = [r for c in base for r in c.recommendations]
    assessed = [r for r in recs if r.follow_up]
    implemented = sum(r.follow_up.status.value == "implemented" for r in assessed if r.follow_up)
    text = _texts(default)["suivi.ensemble"]
    assert f"{len(recs)} recommandations" in text
    assert f"{round(100 * implemented / len(assessed))}\u202f%" in text
    know = sum(c.strategy.know_how_promotion for c in base)
    assert (
        _texts(default)["caracterisation.savoir_faire"]
        .lower()
        .startswith({13: "treize", 12: "douze", 14: "quatorze"}.get(know, str(know)))
    )
    assert default.n == len(base) and default.base == "n\u00a0=\u00a018 missions DCOL"


def test_no_finding_names_a_case(default: Findings) -> None:
    """Findings are about groups: the public deliverables may print them beside no real authority."""
    names = {c.authority.name for c in load_cases(DATA)} | {
        c.authority.official_name for c in load_cases(DATA) if c.authority.official_name
    }
    for f in default:
        for name in names:
            assert name not in f.text, (name, f.text)


def test_differences_pass_the_stated_rule_and_carry_fishers_test(default: Findings) -> None:
    rules = default.rules
    tier_diffs = [f for f in default.section(Section.TIERS) if f.kind == "difference" and f.key != "niveaux.suivi"]
    assert tier_diffs
    for f in tier_diffs:
        gap = int(re.search(r"soit (\d+) points d'écart", f.text).group(1))  # type: ignore[union-attr]
        assert gap >= round(100 * rules.min_gap), f.text
        assert f.p_value is not None and 0 < f.p_value <= 1
        assert f.rule and "25 points" in f.rule
    # the tier with fewer than min_group missions is said too small, and not compared
    small = _texts(default)["niveaux.trop_petits"]
    assert "régions" in small
    assert not [f for f in default.section(Section.TIERS) if f.key.startswith("niveaux.region.")]
    # at most max_per_group differences written out per tier, the others counted
    per_tier: dict[str, int] = {}
    for f in tier_diffs:
        per_tier[f.key.split(".")[1]] = per_tier.get(f.key.split(".")[1], 0) + 1
    assert max(per_tier.values()) <= rules.max_per_group


def test_the_test_of_a_difference_is_fishers_exact_test_on_the_counts() -> None:
    study = setup(DATA)
    frame = study.dcol.frame
    found = findings.tiers(frame, study.dcol.recs)
    twinning = next(f for f in found if f.key == "niveaux.commune.modalities-twinning")
    inside = frame["group"] == "commune"
    a = int(frame.loc[inside, "modalities"].apply(lambda m: "twinning" in m).sum())
    b = int(frame.loc[~inside, "modalities"].apply(lambda m: "twinning" in m).sum())
    _, p = fisher_exact([[a, int(inside.sum()) - a], [b, int((~inside).sum()) - b]])
    assert twinning.p_value == pytest.approx(p)


def test_a_stricter_rule_mentions_fewer_differences(default: Findings) -> None:
    strict = _found(DATA, Rules(min_gap=0.9))
    assert 0 < len(strict.differences) < len(default.differences)
    assert all("90 points" in (f.rule or "") for f in strict.differences if f.section is Section.TIERS)
    assert "90 points" in " ".join(strict.rules.describe())
    with pytest.raises(ValueError, match="min_gap"):
        Rules(min_gap=1.5)
    with pytest.raises(ValueError, match="at least 1"):
        Rules(min_group=0)


def test_removing_cases_changes_the_findings_the_synthesis_and_the_caution(tmp_path: Path, default: Findings) -> None:
    data = _copy_data(tmp_path)
    for path in (data / "cases").glob("ville-*.yaml"):  # every commune
        path.unlink()
    changed = _found(data)
    assert changed.n == default.n - 10
    texts = _texts(changed)
    # no commune left: no commune difference, the expert type the communes carried is gone
    assert not [k for k in texts if k.startswith("niveaux.commune.")]
    assert "typologie.porte.jumelages" not in texts
    assert "Jumelages hérités" in texts["typologie.types_vides"]
    assert "8 missions" in changed.caution() or "huit missions" in changed.caution()
    assert findings.synthesis_markdown(changed) != findings.synthesis_markdown(default)
    assert findings.conclusions_markdown(changed) != findings.conclusions_markdown(default)


def test_editing_the_follow_up_changes_the_follow_up_findings_and_the_recommendations(
    tmp_path: Path, default: Findings
) -> None:
    data = _copy_data(tmp_path)
    for path in (data / "cases").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"status: \w+", "status: implemented", text)
        path.write_text(text, encoding="utf-8")
    changed = _found(data)
    texts = _texts(changed)
    assert "100\u202f% sont mises en œuvre" in texts["suivi.ensemble"]
    assert "suivi.obstacles" not in texts  # nothing is left unimplemented
    recs = setup(data).dcol.recs
    before = findings.recommendations(default, setup(DATA).dcol.recs)
    after = findings.recommendations(changed, recs)
    assert any("obstacle le plus cité" in r for r in before)
    assert not any("obstacle le plus cité" in r for r in after)
    assert texts["niveaux.suivi"] != _texts(default)["niveaux.suivi"]


def test_an_adopted_organisation_drops_the_recommendation_to_follow_it_up(tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    for path in (data / "cases").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        recommended = re.search(r"recommended:\n\s+attachment: (\w+)", text)
        if recommended:
            text = re.sub(r"(after:\n\s+attachment: )\w+", rf"\g<1>{recommended.group(1)}", text)
        path.write_text(text, encoding="utf-8")
    changed = _found(data)
    follow = next(f for f in changed.section(Section.ORGANISATION) if f.key == "organisation.suivi")
    assert follow.values["adopted"] == follow.values["followed"]
    assert not any("changement d'organisation" in r for r in findings.recommendations(changed, setup(data).dcol.recs))


def test_synthesis_takes_the_weightiest_findings_of_each_section(default: Findings) -> None:
    chosen = findings.synthesis(default, per_section=2)
    assert set(chosen) == set(Section)
    for section, items in chosen.items():
        assert 1 <= len(items) <= 2
        assert all(f.section is section and f.kind != "caution" for f in items)
    text = findings.synthesis_markdown(default)
    assert "**Prudence de lecture.**" in text and "Fisher" in text
    assert findings.SECTION_TITLES[Section.FOLLOWUP] in text


def test_markdown_of_a_section_lists_its_findings_with_their_test_and_base(default: Findings) -> None:
    md = findings.section_markdown(default, Section.TIERS)
    assert md.count("\n- ") + md.startswith("- ") == len(default.section(Section.TIERS))
    assert "test exact de Fisher" in md and "n\u00a0=\u00a018 missions DCOL" in md
    assert findings.p_value_text(0.0004) == "p\u00a0<\u00a00,001"
    assert findings.p_value_text(0.0213) == "p\u00a0=\u00a00,02"


def test_an_empty_population_gives_no_finding_and_says_so(tmp_path: Path) -> None:
    study = setup(DATA)
    empty = study.dcol.frame.iloc[0:0]
    found = findings.find_all(empty, study.dcol.recs.iloc[0:0], study.classes.iloc[0:0], study.typology.names)
    assert len(found) == 0
    assert "aucun constat" in found.caution()
    assert "Aucun constat" in findings.section_markdown(found, Section.FOLLOWUP)
