"""Organisation decision aid, tier comparisons, follow-up rates, facts and tables."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cufstudy.core import french
from cufstudy.core.errors import DataError, FactError
from cufstudy.core.french import escape_md
from cufstudy.model.cases import load_cases
from cufstudy.model.vocab import Attachment, TierGroup
from cufstudy.notebook import facts
from cufstudy.notebook.tables import markdown_table, show_table
from cufstudy.resources import data_path
from cufstudy.study import followup, tiers
from cufstudy.study.organisation_models import load_organisations, rank_models, transitions

from .conftest import DATA


@pytest.fixture(scope="module")
def base():  # type: ignore[no-untyped-def]
    return load_cases(DATA)


# --- organisation -------------------------------------------------------------------------------------


def test_organisation_models_cover_every_attachment() -> None:
    orgs = load_organisations(DATA)
    assert {m.attachment for m in orgs.models} == set(Attachment)
    assert all(m.advantages and m.drawbacks for m in orgs.models)
    # every source is a bibliography key or the team's own analysis
    assert "analyse-equipe" in orgs.sources()
    assert {"franceurbaine2021", "metz2021", "platforma-organigrammes"} <= orgs.sources()


def test_decision_aid_ranks_by_fit_and_applies_sourced_population_rule() -> None:
    orgs = load_organisations(DATA)
    ranked = rank_models(orgs, "influence", TierGroup.REGION)
    assert ranked[0].model.attachment is Attachment.ATTRACTIVENESS  # 3 (type) + 3 (tier)
    assert ranked[0].score == 6
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    small = {r.model.attachment: r.score for r in rank_models(orgs, "integree", "commune", population=50_000)}
    large = {r.model.attachment: r for r in rank_models(orgs, "integree", "commune", population=300_000)}
    assert large[Attachment.SHARED].score == small[Attachment.SHARED] + 1
    assert any("franceurbaine2021" in reason for reason in large[Attachment.SHARED].reasons)
    with pytest.raises(KeyError, match="unknown strategy type"):
        rank_models(orgs, "inconnu", "commune")


def test_organisation_file_errors_are_located(tmp_path: Path) -> None:
    shutil.copy(DATA / "references.bib", tmp_path)
    text = data_path("organisation.yaml", DATA).read_text(encoding="utf-8")
    text = text.replace("attachment: cabinet", "attachment: cabinett", 1)
    text = text.replace("source: metz2021", "source: metz2012", 1)
    (tmp_path / "organisation.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_organisations(tmp_path)
    [problem] = info.value.problems  # the enum error stops validation before the source check
    line = text.splitlines().index("  - attachment: cabinett") + 1
    assert problem.line == line and problem.field == "models[0].attachment"
    assert "did you mean 'cabinet'?" in problem.message
    (tmp_path / "organisation.yaml").write_text(text.replace("cabinett", "cabinet"), encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_organisations(tmp_path)
    [problem] = info.value.problems
    assert problem.field == "models[4].advantages[0].source"
    assert "unknown source 'metz2012'" in problem.message and "did you mean 'metz2021'?" in problem.message


def test_transitions_count_cases(base) -> None:  # type: ignore[no-untyped-def]
    table = transitions(base.select(dcol_only=True))
    assert int(table.to_numpy().sum()) == 18
    before = table.sum(axis=1)
    assert before["Cabinet du maire ou du président"] == sum(
        1
        for c in base
        if c.is_dcol and c.organisation.before and c.organisation.before.attachment is Attachment.CABINET
    )


# --- tiers --------------------------------------------------------------------------------------------


def test_distribution_and_profile(base) -> None:  # type: ignore[no-untyped-def]
    frame = base.frame
    amb = tiers.distribution(frame, "ambition")
    assert amb.sum().round(6).eq(1).all()
    mot = tiers.distribution(frame, "motivations", normalize=False)
    assert mot.loc["solidarity"].sum() == sum(1 for c in base if "solidarity" in c.strategy.motivations)
    prof = tiers.tier_summary(frame, "region")
    regions = [c for c in base if c.authority.group is TierGroup.REGION]
    assert prof["n_cases"] == len(regions)
    assert prof["mean_ambition"] == pytest.approx(sum(int(c.strategy.ambition) for c in regions) / len(regions))


def test_distinguishing_features_on_crafted_frame() -> None:
    frame = pd.DataFrame(
        {
            "group": ["region", "region", "commune", "commune", "commune"],
            "motivations": [["economic"], ["economic"], ["solidarity"], ["solidarity"], ["economic"]],
            "modalities": [["eu_projects"]] * 5,
            "themes": [[]] * 5,
            "attachment_before": ["cabinet"] * 5,
            "ambition": [4, 4, 2, 2, 2],
            "know_how_promotion": [True] * 5,
        }
    )
    feats = tiers.distinguishing_features(frame, "region")
    names = [f.feature for f in feats]
    assert names[:2] == ["ambition:2", "ambition:4"] or names[:2] == ["ambition:4", "ambition:2"]
    econ = next(f for f in feats if f.feature == "motivations:economic")
    assert econ.share_in_tier == 1.0 and econ.share_elsewhere == pytest.approx(1 / 3)
    assert econ.label == "Internationalisation économique"
    assert "modalities:eu_projects" not in names  # shared by every tier: not distinguishing
    assert tiers.distinguishing_features(frame, "epci") == []


# --- follow-up ----------------------------------------------------------------------------------------


def test_followup_rates_on_crafted_frame() -> None:
    recs = pd.DataFrame(
        {
            "group": ["a", "a", "a", "a", "b"],
            "kind": ["x"] * 5,
            "status": ["implemented", "partly", "abandoned", None, "not_started"],
            "obstacle": [None, "budget", "budget", None, "élections"],
        }
    )
    r = followup.rates(recs, "group")
    assert r.loc["a", "n"] == 4 and r.loc["a", "assessed"] == 3
    assert r.loc["a", "implemented"] == pytest.approx(1 / 3)
    assert r.loc["a", "engaged"] == pytest.approx(2 / 3)
    assert r.loc["b", "implemented"] == 0.0
    shares = followup.status_shares(recs, "group")
    assert list(shares.columns) == ["implemented", "partly", "not_started", "abandoned"]
    assert shares.sum(axis=1).round(6).eq(1).all()
    obst = followup.obstacles(recs)
    assert obst.iloc[0].tolist() == ["budget", 2]


# --- facts and tables ---------------------------------------------------------------------------------


def test_format_fr() -> None:
    assert french.format_fr(1234567) == "1\u202f234\u202f567"
    assert french.format_fr(32.85, "%") == "32,8\u202f%"  # half-even on the decimal value
    assert french.format_fr(2.0, "ETP") == "2,0\u00a0ETP"
    assert french.format_fr(1234.5678, decimals=2) == "1\u202f234,57"
    assert french.format_fr(True) == "oui"
    with pytest.raises(FactError):
        french.format_fr(float("nan"))


def test_record_and_get(tmp_path: Path) -> None:
    store = tmp_path / "_build" / "facts.json"
    fact = facts.record("niveau.region.n_cases", 3, "Régions", store=store, display=False)
    assert fact.text == "3"
    facts.record("share", 12.345, "Part", "%", store=store, display=False)
    assert facts.get("share", store=store).text == "12,3\u202f%"
    saved = json.loads(store.read_text(encoding="utf-8"))
    assert set(saved["facts"]) == {"niveau.region.n_cases", "share"}
    with pytest.raises(FactError, match=r"did you mean niveau\.region\.n_cases"):
        facts.get("n_cases", store=store)
    with pytest.raises(FactError, match="invalid fact key"):
        facts.record("Bad Key", 1, "x", store=store, display=False)


def test_a_long_listing_is_cut_with_a_note_and_written_whole_as_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import IPython.display

    shown: list[dict[str, str]] = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    (tmp_path / "_quarto.yml").write_text("project: {}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    frame = pd.DataFrame({"Collectivité": [f"Ville {n:04d}" for n in range(2500)], "Part": [0.5] * 2500})
    show_table(frame, max_rows=200, full_copy="_build/tables/cas.csv")
    md = shown[-1]["text/markdown"]
    assert md.count("| Ville ") == 200 and "Ville 0199" in md and "Ville 0200" not in md
    assert md.rstrip().endswith(
        "*Tableau limité aux 200 premières lignes sur 2\u202f500 ; tableau complet : \\_build/tables/cas.csv.*"
    )
    csv = (tmp_path / "_build" / "tables" / "cas.csv").read_bytes()
    assert csv.startswith(b"\xef\xbb\xbfCollectivit\xc3\xa9;Part\r\n") or csv.startswith(
        b"\xef\xbb\xbfCollectivit\xc3\xa9;Part\n"
    )
    assert csv.decode("utf-8-sig").splitlines()[-1] == "Ville 2499;0,5"
    show_table(frame.head(200), max_rows=200, full_copy="_build/tables/other.csv")
    assert "Tableau limité" not in shown[-1]["text/markdown"]  # not cut: no note, no file
    assert not (tmp_path / "_build" / "tables" / "other.csv").exists()


def test_an_empty_table_and_too_few_data_say_so(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A study of a few cases: an empty table, or an analysis without enough data, shows a sentence instead."""
    import IPython
    import IPython.display

    from cufstudy.core.errors import InsufficientDataError
    from cufstudy.notebook import enough_data

    show_table(pd.DataFrame({"Obstacle": []}), empty="Aucun obstacle n’est encore cité.")
    assert capsys.readouterr().out == "Aucun obstacle n’est encore cité.\n"  # outside a notebook: printed
    shown: list[dict[str, str]] = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())  # as in a kernel
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    show_table(pd.DataFrame({"Obstacle": []}), empty="Aucun obstacle n’est encore cité.")
    assert shown[-1]["text/markdown"] == "*Aucun obstacle n’est encore cité.*"
    show_table(pd.DataFrame({"Obstacle": ["Budget"]}), empty="Aucun obstacle n’est encore cité.")
    assert shown[-1]["text/markdown"].startswith("| Obstacle |")
    with enough_data():
        raise InsufficientDataError("n = 3", "Trop peu de cas pour une typologie issue des données.")
    assert shown[-1]["text/markdown"] == "*Trop peu de cas pour une typologie issue des données.*"
    with pytest.raises(ValueError, match="a bug"), enough_data():  # only too few data becomes a sentence
        raise ValueError("a bug")


def test_markdown_table_is_french_and_escaped() -> None:
    frame = pd.DataFrame({"Nom": ["<script>alert(1)</script>", "A | B"], "Part": [12.5, 1000.25]})
    md = markdown_table(frame, units={"Part": "%"})
    lines = md.splitlines()
    assert lines[0] == "| Nom | Part |"
    assert lines[1] == "|:---|---:|"
    assert "12,5\u202f%" in md and "1\u202f000,2\u202f%" in md
    assert "<script>" not in md and "\\<script\\>" in md
    assert "A \\| B" in md
    assert escape_md("{{< fact x >}}") == "\\{\\{\\< fact x \\>\\}\\}"


# --- what the thin notebooks call ----------------------------------------------------------------------


def test_overall_rates_agree_with_rates_and_say_when_nothing_is_assessed(base) -> None:  # type: ignore[no-untyped-def]
    recs = base.recommendations_frame()
    overall = followup.overall_rates(recs)
    one_group = followup.rates(recs.assign(all="Ensemble"), "all").loc["Ensemble"]
    assert (
        (overall.n, overall.assessed)
        == (one_group["n"], one_group["assessed"])
        == (len(recs), recs["status"].notna().sum())
    )
    assert overall.implemented == one_group["implemented"] and overall.engaged == one_group["engaged"]
    by_group = followup.rates(recs, "group")
    for group, sub in recs.groupby("group"):
        assert followup.overall_rates(sub).implemented == by_group.loc[group, "implemented"]
    none = followup.overall_rates(recs.assign(status=None))
    assert (none.n, none.assessed, none.implemented, none.engaged) == (len(recs), 0, None, None)


def test_ranking_over_tiers_sums_each_tiers_scores() -> None:
    from cufstudy.study.organisation_models import DECISION_TIERS, rank_models_over_tiers

    orgs = load_organisations(DATA)
    for strategy_type in sorted(orgs.strategy_type_ids):
        totals: dict[str, int] = {}
        for tier in DECISION_TIERS:
            for r in rank_models(orgs, strategy_type, tier):
                totals[r.model.label] = totals.get(r.model.label, 0) + r.score
        expected = sorted(totals.items(), key=lambda kv: -kv[1])  # ties: the first tier's order
        ranked = rank_models_over_tiers(orgs, strategy_type)
        assert [(r.model.label, r.score) for r in ranked] == expected
        assert len(ranked[0].reasons) == len(DECISION_TIERS) and ranked[0].reasons[0].startswith("Communes")


def test_setup_gives_the_public_view_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    from cufstudy.notebook import NotebookContext, setup

    study = setup(DATA)
    assert isinstance(study, NotebookContext) and not study.internal and study.data == DATA.resolve()
    assert len(study.frame) == len(study.base) == len(load_cases(DATA))
    assert study.recs.equals(study.base.recommendations_frame())
    assert study.base.confidential_values() == []
    assert study.typology.ids and len(study.organisations.models) >= 5
    internal = setup(DATA, internal=True)
    assert internal.internal and internal.base.confidential_values() == load_cases(DATA).confidential_values() != []
    monkeypatch.chdir(DATA / "cases")  # a relative data folder is from the project root, as in JupyterLab
    assert setup("data").data == DATA.resolve()


def test_a_markdown_cell_is_kept_and_a_note_is_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    from cufstudy.notebook.tables import Markdown

    shown: list[dict[str, str]] = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    cited = Markdown(escape_md("Fort portage *politique*") + " [@cuf2019]\n")
    frame = pd.DataFrame({"Modèle": ["Cabinet | maire"], "Avantages": [cited]})
    show_table(frame, note="* Analyse de l'équipe, à confirmer.")
    md = shown[-1]["text/markdown"]
    assert md.splitlines()[2] == "| Cabinet \\| maire | Fort portage \\*politique\\* [@cuf2019] |"
    assert md.endswith("|\n\n\\* Analyse de l'équipe, à confirmer.\n")
    assert shown[-1]["text/plain"].endswith("\n* Analyse de l'équipe, à confirmer.")
