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
    assert "franceurbaine2021" in orgs.sources()
    # no source without a bibliographic reference: what cannot be cited is the team's analysis
    assert not {"metz2021", "platforma-organigrammes"} & orgs.sources()


def test_decision_aid_scores_the_weighted_fits_from_the_data_and_applies_the_sourced_population_rule() -> None:
    orgs = load_organisations(DATA)
    weight = {c.id: c.weight for c in orgs.scoring.criteria}
    ranked = rank_models(orgs, "influence", TierGroup.REGION)
    best = ranked[0]
    assert best.model.attachment is Attachment.ATTRACTIVENESS
    fits = best.model.fit
    assert best.score == weight["strategy_type"] * fits.strategy_types["influence"] + weight["tier"] * fits.tiers[TierGroup.REGION]
    assert best.max_score == 3 * sum(weight.values()) and [s.fit for s in best.subscores] == [3, 3]
    # every model is scored, the excluded ones (a fit of 0) last, the others by decreasing score
    kept = [r for r in ranked if not r.excluded]
    assert len(ranked) == len(orgs.models) and [r.score for r in kept] == sorted((r.score for r in kept), reverse=True)
    assert all(r.excluded for r in ranked[len(kept):])
    assert {r.model.attachment for r in ranked if r.excluded} >= {Attachment.SHARED}  # no shared service in a region
    # whatever the tier: the strategy type alone
    overall = rank_models(orgs, "influence")
    assert all(len(r.subscores) == 1 for r in overall) and overall[0].max_score == 3 * weight["strategy_type"]
    small = {r.model.attachment: r.score for r in rank_models(orgs, "integree", "commune", population=50_000)}
    large = {r.model.attachment: r for r in rank_models(orgs, "integree", "commune", population=300_000)}
    assert large[Attachment.SHARED].score == small[Attachment.SHARED] + 1
    assert any("franceurbaine2021" in reason for reason in large[Attachment.SHARED].reasons)
    with pytest.raises(KeyError, match="unknown strategy type"):
        rank_models(orgs, "inconnu", "commune")


def test_one_decision_aid_answers_overall_and_by_tier_and_leaves_cells_without_a_case() -> None:
    from cufstudy.study.organisation_models import NO_CASE, cases_per_cell, decision_aid, overall_table, tier_table
    from cufstudy.study.typology import classify_all, load_typology

    orgs, typology = load_organisations(DATA), load_typology(DATA)
    classes = classify_all(load_cases(DATA).population("dcol"), typology)
    cells = cases_per_cell(classes)
    assert sum(cells.values()) == 18
    aid = decision_aid(orgs, typology.ids, cells)
    for t in typology.ids:
        # the overall answer is the best strategy-type fit, ties together
        fits = {m.label: m.fit.strategy_types[t] for m in orgs.models}
        assert set(aid.answer(t).labels()) == {name for name, fit in fits.items() if fit == max(fits.values())}
        for g in aid.tiers:
            answer = aid.answer(t, g)
            assert answer.n_cases == cells.get((t, g), 0)
            if answer.n_cases == 0:
                assert answer.best == () and answer.text() == NO_CASE  # no recommendation without a case
            else:
                assert answer.labels() and all(not r.excluded for r in answer.best)
                assert answer.best == tuple(r for r in answer.ranking if r.score == answer.ranking[0].score)[: len(answer.best)]
    # twinnings in a region: no DCOL mission, so no cabinet recommended there
    assert aid.answer("jumelages", "region").text() == NO_CASE
    names = typology.names
    assert list(overall_table(aid, names)["Type de stratégie"]) == [names[t] for t in typology.ids]
    table = tier_table(aid, names)
    assert list(table.columns) == ["Type de stratégie", "Communes", "Intercommunalités", "Départements", "Régions"]
    # a model limited to some tiers says so in the overall answer
    assert "(communes et intercommunalités seulement)" in aid.answer("integree").text()


def test_the_scoring_grid_is_printed_from_the_data() -> None:
    from cufstudy.study.organisation_models import fit_grid, scoring_rule

    orgs = load_organisations(DATA)
    rule = scoring_rule(orgs)
    for c in orgs.scoring.criteria:
        assert f"{c.weight} × {c.name.lower()}" in rule
    assert "de 0 à 9" in rule and orgs.scoring.exclusion in rule
    grid = fit_grid(orgs, "tier")
    assert list(grid["Modèle"]) == [m.label for m in orgs.models]
    assert grid.set_index("Modèle").loc["Service mutualisé ville-intercommunalité", "Régions"] == 0


def test_organisation_file_errors_are_located(tmp_path: Path) -> None:
    shutil.copy(DATA / "references.bib", tmp_path)
    text = data_path("organisation.yaml", DATA).read_text(encoding="utf-8")
    text = text.replace("attachment: cabinet", "attachment: cabinett", 1)
    text = text.replace("source: franceurbaine2021", "source: franceurbaine2012", 1)
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
    assert problem.field == "population_rules[0].source"
    assert "unknown source 'franceurbaine2012'" in problem.message
    assert "did you mean 'franceurbaine2021'?" in problem.message


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
    # a percentage prints as every share of the prose does: whole (format_percent), unless told otherwise
    assert facts.get("share", store=store).text == "12\u202f%" == french.format_percent(0.12345)
    assert facts.record("tenth", 12.345, "Part", "%", decimals=1, store=store, display=False).text == "12,3\u202f%"
    saved = json.loads(store.read_text(encoding="utf-8"))
    assert set(saved["facts"]) == {"niveau.region.n_cases", "share", "tenth"}
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


def test_a_wide_table_sizes_its_columns_by_their_content() -> None:
    """Pandoc sizes a wide pipe table's columns by its rule's dashes: a column of long explanations gets most of
    the width, a column of short codes little, and no column is narrower than its longest word (tables are not
    hyphenated: the header « Recommandations » ran over the column beside it)."""
    import pypandoc

    frame = pd.DataFrame(
        {
            "Texte": ["CGCT", "Loi d'orientation des mobilités (24 décembre 2019)"],
            "Ce qu'il prévoit": ["Fondement de l'action extérieure des collectivités territoriales. " * 4] * 2,
            "Recommandations": [41, 15],
        }
    )
    md = markdown_table(frame)
    rule = md.splitlines()[1]
    text, summary, count = (len(part.strip(":")) for part in rule.strip("|").split("|"))
    assert rule.startswith("|:-") and rule.endswith("-:|")
    assert text < summary and count < summary
    doc = json.loads(pypandoc.convert_text(md, "json", format="markdown"))
    widths = [spec[1]["c"] for spec in doc["blocks"][0]["c"][2]]
    assert widths[1] > 0.45 and widths[2] < widths[1], widths
    # the longest word of a column, its header's too, fits in its share of a 72-character line unbroken
    assert widths[2] * 72 >= len("Recommandations") + 2 and widths[0] * 72 >= len("d'orientation") + 2, widths
    # a narrow table keeps its content's own widths (pandoc's default)
    assert markdown_table(pd.DataFrame({"Nom": ["Ville d'Aix-en-Provence"], "Part": [12.5]})).splitlines()[1] == (
        "|:---|---:|"
    )


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
